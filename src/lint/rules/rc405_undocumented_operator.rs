//! RC405 `undocumented-operator`: see [`UndocumentedOperator`].

rule! {
    /// ## What it does
    ///
    /// Reports condition operators outside RAM's 21 documented ones: the
    /// `IfExists` suffix, the `Null` operator and the `ForAnyValue:` /
    /// `ForAllValues:` set qualifiers.
    ///
    /// ## Why is this bad?
    ///
    /// ramcheck evaluates them with AWS-compatible semantics (docs/semantics.md, "Conditions",
    /// decided), and Alibaba's own templates use the set qualifiers, but RAM's
    /// documentation does not define them: RAM may evaluate them differently, or
    /// reject them in a future version. A condition whose meaning is uncertain is
    /// a weak guarantee.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"StringEqualsIfExists": {"acs:SourceVpc": "vpc-123"}}
    /// ```
    ///
    /// Use instead, when the key is always present:
    ///
    /// ```json
    /// "Condition": {"StringEquals": {"acs:SourceVpc": "vpc-123"}}
    /// ```
    UndocumentedOperator { code: "RC405", name: "undocumented-operator", severity: Warning }
}

use super::Context;
use crate::condition::Operator;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let Some(condition) = &s.condition else {
            continue;
        };
        for clause in &condition.clauses {
            let spec = &clause.operator;
            if spec.is_documented() {
                continue;
            }
            let mut parts = Vec::new();
            if let Some(q) = spec.qualifier {
                parts.push(format!("the set qualifier `{}`", q.prefix()));
            }
            if spec.if_exists {
                parts.push("the `IfExists` suffix".to_string());
            }
            if spec.operator == Operator::Null {
                parts.push("the `Null` operator".to_string());
            }
            out.push(
                Diagnostic::new(
                    &UndocumentedOperator::META,
                    clause.operator_span,
                    &format!(
                        "{}/Condition/{}",
                        s.pointer,
                        crate::json::escape_pointer_token(&spec.to_string())
                    ),
                    format!(
                        "`{spec}` uses {}, which RAM does not document",
                        parts.join(" and ")
                    ),
                )
                .help("ramcheck reads it as AWS does; check that RAM does the same"),
            );
        }
    }
}
