//! RC404 `operator-key-type-mismatch`: see [`OperatorKeyTypeMismatch`].

rule! {
    /// ## What it does
    ///
    /// Reports a typed operator (`Numeric*`, `Date*`, `Bool`, `IpAddress`,
    /// `NotIpAddress`) applied to a key of another type: a common key
    /// (`IpAddress` on `acs:CurrentTime`, `DateLessThan` on `acs:SourceIp`)
    /// or a service's key typed by the catalogue.
    /// String operators are not reported: they compare any key as text.
    ///
    /// ## Why is this bad?
    ///
    /// The request's value cannot be read in the operator's type, so the
    /// condition never holds as written: an Allow never applies and a Deny always
    /// does (docs/semantics.md, "Conditions": unreadable values resolve toward denial).
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:CurrentTime": "192.0.2.0/24"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}
    /// ```
    OperatorKeyTypeMismatch { code: "RC404", name: "operator-key-type-mismatch", severity: Error }
}

use super::Context;
use crate::lint::Diagnostic;
use crate::values::ValueType;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let Some(condition) = &s.condition else {
            continue;
        };
        for clause in &condition.clauses {
            let wanted = clause.operator.operator.value_type();
            if matches!(wanted, ValueType::String | ValueType::Presence) {
                continue;
            }
            for entry in &clause.entries {
                let Some((key_type, _)) = ctx.catalog.key_type(&entry.key) else {
                    continue;
                };
                if key_type == wanted {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        &OperatorKeyTypeMismatch::META,
                        entry.key_span,
                        &entry.pointer,
                        format!(
                            "`{}` compares a {wanted}, but `{}` is a {key_type}",
                            clause.operator, entry.key
                        ),
                    )
                    .help(format!("use an operator for a {key_type}, or another key")),
                );
            }
        }
    }
}
