//! RC116 `not-resource`: see [`NotResource`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement that uses `NotResource`.
    ///
    /// ## Why is this bad?
    ///
    /// `NotResource` is not in RAM's current policy grammar. ramcheck accepts it
    /// with complement semantics ("every resource but these", docs/semantics.md, "Document grammar",
    /// decided), but RAM may reject the document or read it differently, and the
    /// complement of a list grows with every resource created later.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Deny", "Action": "imm:*", "NotResource": "acs:imm:cn-*"}
    /// ```
    ///
    /// Use instead: list the resources the statement applies to.
    ///
    /// ```json
    /// {"Effect": "Deny", "Action": "imm:*", "Resource": ["acs:imm:ap-*", "acs:imm:eu-*"]}
    /// ```
    NotResource { code: "RC116", name: "not-resource", severity: Warning }
}

use super::Context;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        if let Some(list) = &s.resource
            && list.negated
        {
            out.push(
                Diagnostic::new(
                    &NotResource::META,
                    list.key_span,
                    &format!("{}/NotResource", s.pointer),
                    "`NotResource` is not part of RAM's documented policy grammar",
                )
                .help("list the resources with `Resource` instead"),
            );
        }
    }
}
