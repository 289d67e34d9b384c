//! RC115 `duplicate-sid`: see [`DuplicateSid`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Sid` used by more than one statement of the document.
    ///
    /// ## Why is this bad?
    ///
    /// A `Sid` names a statement in explanations, logs and reviews ("denied by
    /// `NeverDelete`"). Two statements with one name make every such reference
    /// ambiguous, and usually mean a statement was copied without being renamed.
    ///
    /// ## Example
    ///
    /// ```json
    /// [
    ///   {"Sid": "ReadProjects", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"},
    ///   {"Sid": "ReadProjects", "Effect": "Allow", "Action": "imm:ListProjects", "Resource": "*"}
    /// ]
    /// ```
    ///
    /// Use instead: give the second statement its own `Sid`.
    DuplicateSid { code: "RC115", name: "duplicate-sid", severity: Warning }
}

use std::collections::HashMap;

use super::Context;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, node) in ctx.statement_nodes().into_iter().enumerate() {
        let Some(member) = node.get("Sid") else {
            continue;
        };
        let Some(sid) = member.value.as_str() else {
            continue;
        };
        if let Some(first) = seen.get(sid) {
            out.push(
                Diagnostic::new(
                    &DuplicateSid::META,
                    member.value.span,
                    &member.value.pointer,
                    format!("Sid {sid:?} is also used by statement {first}"),
                )
                .help("give each statement its own Sid"),
            );
        } else {
            seen.insert(sid, index);
        }
    }
}
