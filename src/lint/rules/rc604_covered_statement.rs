//! RC604 `covered-statement`: see [`CoveredStatement`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement whose every request is already matched by another
    /// statement of the same effect in the same document: the other's actions and
    /// resources include this one's, its principal is the same, and it has no
    /// condition or the same one.
    ///
    /// ## Why is this bad?
    ///
    /// The covered statement has no effect. Either it is left over, or the
    /// covering statement is wider than intended (a narrow, conditioned grant next
    /// to an unconditioned wildcard usually means the wildcard is the mistake).
    ///
    /// ## Example
    ///
    /// ```json
    /// [
    ///   {"Effect": "Allow", "Action": "imm:*", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": "imm:GetProject",
    ///    "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}
    /// ]
    /// ```
    ///
    /// Use instead: remove the covered statement, or narrow the wide one.
    CoveredStatement { code: "RC604", name: "covered-statement", severity: Warning }
}

use super::{Context, describe, statement_span};
use crate::lint::Diagnostic;
use crate::lint::compare::statement_covers;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let statements = ctx.statements();
    for (j, narrow) in statements.iter().enumerate() {
        // Mutual coverage is a duplicate (RC601), reported there.
        let by = statements.iter().enumerate().find(|&(i, wide)| {
            i != j && statement_covers(wide, narrow) && !statement_covers(narrow, wide)
        });
        if let Some((_, wide)) = by {
            out.push(
                Diagnostic::new(
                    &CoveredStatement::META,
                    statement_span(narrow),
                    &narrow.pointer,
                    format!(
                        "{} is fully covered by {}",
                        describe(narrow),
                        describe(wide)
                    ),
                )
                .help("remove it, or narrow the covering statement"),
            );
        }
    }
}
