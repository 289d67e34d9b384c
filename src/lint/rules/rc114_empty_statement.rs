//! RC114 `empty-statement`: see [`EmptyStatement`].

rule! {
    /// ## What it does
    ///
    /// Reports a document whose `Statement` is an empty array.
    ///
    /// ## Why is this bad?
    ///
    /// The policy grants and denies nothing. Attaching it has no effect, which
    /// is rarely what its author meant: statements were probably lost in an edit
    /// or a template that rendered nothing.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Version": "1", "Statement": []}
    /// ```
    ///
    /// Use instead: add the statements, or do not create the policy.
    EmptyStatement { code: "RC114", name: "empty-statement", severity: Warning }
}

use super::Context;
use crate::json::Value;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if let Some(m) = ctx.root.get("Statement")
        && matches!(&m.value.value, Value::Array(items) if items.is_empty())
    {
        out.push(
            Diagnostic::new(
                &EmptyStatement::META,
                m.value.span,
                &m.value.pointer,
                "`Statement` is empty: the policy grants and denies nothing",
            )
            .help("add statements, or remove the policy"),
        );
    }
}
