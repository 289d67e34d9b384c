//! RC604 `covered-statement`: see [`CoveredStatement`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement whose every request is already matched by another
    /// statement of the same effect in the same document: the other's actions and
    /// resources include this one's, its principal is the same, and it has no
    /// condition or the same one. In identity, session and control policies it
    /// also reports a statement covered by the union of several others, found
    /// by the exact analysis engine (docs/analysis.md): `imm:*` on
    /// `project/a*` and on `project/b*` together cover `imm:GetProject` on
    /// `project/[ab]*`, and two conditions such as `IpAddress` and
    /// `NotIpAddress` on one block together cover every request.
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
    let (prepared, index) = ctx.prepared();
    let union_cover = if ctx.complete && !ctx.kind.has_principal() {
        ctx.policy.map(crate::analysis::covered_by_union)
    } else {
        None
    };
    for (j, narrow) in statements.iter().enumerate() {
        if ctx.budget.exceeded() {
            break;
        }
        let this = (narrow, &prepared[j]);
        // Mutual coverage is a duplicate (RC601), reported there.
        let by = index.may_cover(j, prepared).into_iter().find(|&i| {
            let wide = (&statements[i], &prepared[i]);
            statement_covers(wide, this, ctx.budget) == Some(true)
                && statement_covers(this, wide, ctx.budget) == Some(false)
        });
        if by.is_none()
            && let Some(union) = union_cover
                .as_ref()
                .and_then(|u| u.get(j))
                .and_then(|c| c.as_ref())
        {
            let names: Vec<String> = union.iter().map(|&i| describe(&statements[i])).collect();
            out.push(
                Diagnostic::new(
                    &CoveredStatement::META,
                    statement_span(narrow),
                    &narrow.pointer,
                    format!(
                        "{} is fully covered by the union of {}",
                        describe(narrow),
                        names.join(" and ")
                    ),
                )
                .help("remove it, or narrow the covering statements"),
            );
            continue;
        }
        if let Some(i) = by {
            out.push(
                Diagnostic::new(
                    &CoveredStatement::META,
                    statement_span(narrow),
                    &narrow.pointer,
                    format!(
                        "{} is fully covered by {}",
                        describe(narrow),
                        describe(&statements[i])
                    ),
                )
                .help("remove it, or narrow the covering statement"),
            );
        }
    }
}
