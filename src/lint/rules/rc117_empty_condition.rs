//! RC117 `empty-condition`: see [`EmptyCondition`].

rule! {
    /// ## What it does
    ///
    /// Notes a statement whose `Condition` is an empty object, `{}`. RAM reads
    /// it as no condition at all, and so does ramcheck.
    ///
    /// ## Why is this bad?
    ///
    /// It is not: Alibaba Cloud's own system policies and tutorials publish
    /// `"Condition": {}`. It is reported at `info` because a reader may take it
    /// for a restriction that was meant to be filled in: the statement applies
    /// to every request its actions and resources match.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:photos/*", "Condition": {}}
    /// ```
    ///
    /// Use instead: leave `Condition` out, or add the condition that was meant.
    EmptyCondition { code: "RC117", name: "empty-condition", severity: Info }
}

use super::Context;
use crate::json::Value;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for node in ctx.statement_nodes() {
        let Some(member) = node.get("Condition") else {
            continue;
        };
        if matches!(&member.value.value, Value::Object(m) if m.is_empty()) {
            out.push(
                Diagnostic::new(
                    &EmptyCondition::META,
                    member.key_span,
                    &member.value.pointer,
                    "`Condition` is empty: the statement applies without a condition",
                )
                .help("leave `Condition` out, or add the condition that was meant"),
            );
        }
    }
}
