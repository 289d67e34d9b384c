//! RC406 `non-string-condition-value`: see [`NonStringConditionValue`].

rule! {
    /// ## What it does
    ///
    /// Reports a condition value written as a JSON boolean or number instead of
    /// a string: `true` instead of `"true"`, `5` instead of `"5"`.
    ///
    /// ## Why is this bad?
    ///
    /// RAM's documentation writes every condition value as a string. ramcheck
    /// reads `true` as `"true"` (docs/semantics.md, "Conditions"), so this has no effect on access,
    /// but a number such as `1.50` may be re-printed as `1.5` by tools that round-trip
    /// the JSON, and the document is not written the way RAM documents it.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"Bool": {"acs:SecureTransport": true}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"Bool": {"acs:SecureTransport": "true"}}
    /// ```
    NonStringConditionValue { code: "RC406", name: "non-string-condition-value", severity: Suggestion }
}

use super::Context;
use crate::json::{Node, Value};
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for statement in ctx.statement_nodes() {
        let Some(condition) = statement.get("Condition") else {
            continue;
        };
        for operator in condition.value.as_object().unwrap_or_default() {
            for key in operator.value.as_object().unwrap_or_default() {
                let values: Vec<&Node> = match &key.value.value {
                    Value::Array(items) => items.iter().collect(),
                    _ => vec![&key.value],
                };
                for v in values {
                    let text = match &v.value {
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.clone(),
                        _ => continue,
                    };
                    out.push(
                        Diagnostic::new(
                            &NonStringConditionValue::META,
                            v.span,
                            &v.pointer,
                            format!(
                                "condition value {text} of `{}` is {}, not a string",
                                key.key,
                                v.value.type_name()
                            ),
                        )
                        .help(format!("write it as a string: \"{text}\"")),
                    );
                }
            }
        }
    }
}
