//! RC601 `duplicate-statement`: see [`DuplicateStatement`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement that means the same as an earlier one: same effect,
    /// the same actions and resources (as sets of patterns, in any order and
    /// case for actions), the same condition and principal. `Sid` is ignored.
    ///
    /// ## Why is this bad?
    ///
    /// The copy changes nothing, and the next edit will likely change one copy
    /// but not the other, leaving access granted (or not denied) where the author
    /// believes it was changed.
    ///
    /// ## Example
    ///
    /// ```json
    /// [
    ///   {"Sid": "Read", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"},
    ///   {"Sid": "ReadAgain", "Effect": "Allow", "Action": "IMM:GetProject", "Resource": "*"}
    /// ]
    /// ```
    ///
    /// Use instead: keep one of them.
    DuplicateStatement { code: "RC601", name: "duplicate-statement", severity: Warning }
}

use super::{Context, describe, statement_span};
use crate::lint::Diagnostic;
use crate::lint::compare::statement_covers;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let statements = ctx.statements();
    let (prepared, index) = ctx.prepared();
    for (j, later) in statements.iter().enumerate() {
        if ctx.budget.exceeded() {
            break;
        }
        let same = |i: usize| {
            let (earlier, later) = ((&statements[i], &prepared[i]), (later, &prepared[j]));
            statement_covers(earlier, later, ctx.budget) == Some(true)
                && statement_covers(later, earlier, ctx.budget) == Some(true)
        };
        let earlier = index
            .may_cover(j, prepared)
            .into_iter()
            .filter(|&i| i < j)
            .find(|&i| same(i));
        if let Some(i) = earlier {
            out.push(
                Diagnostic::new(
                    &DuplicateStatement::META,
                    statement_span(later),
                    &later.pointer,
                    format!(
                        "{} duplicates {}",
                        describe(later),
                        describe(&statements[i])
                    ),
                )
                .help("remove one of the two statements"),
            );
        }
    }
}
