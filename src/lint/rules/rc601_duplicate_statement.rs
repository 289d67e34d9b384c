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
    for (j, later) in statements.iter().enumerate() {
        if let Some(earlier) = statements[..j]
            .iter()
            .find(|e| statement_covers(e, later) && statement_covers(later, e))
        {
            out.push(
                Diagnostic::new(
                    &DuplicateStatement::META,
                    statement_span(later),
                    &later.pointer,
                    format!("{} duplicates {}", describe(later), describe(earlier)),
                )
                .help("remove one of the two statements"),
            );
        }
    }
}
