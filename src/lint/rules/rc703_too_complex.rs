//! RC703 `too-complex`: see [`TooComplex`].

rule! {
    /// ## What it does
    ///
    /// Reports a document whose pattern comparisons went past ramcheck's work
    /// budget, so that the rules built on them (RC303, RC304 and RC601 to
    /// RC605) stopped early and may have missed findings. Each comparison of
    /// two wildcard patterns costs the product of their lengths; the budget
    /// (400 million steps per document) is far above what any document within
    /// RAM's size limits needs.
    ///
    /// ## Why is this bad?
    ///
    /// Lint stays fast on any input, so a hostile or generated document cannot
    /// stall a CI job; the price is that such a document is not fully
    /// checked. A document this large is also far over RAM's limits (RC701),
    /// so RAM would refuse it.
    ///
    /// ## Example
    ///
    /// Thousands of statements whose resources are long patterns starting with
    /// `*`, such as `"*a*a*a*…"`.
    ///
    /// Use instead: split the document into policies within RAM's limits.
    TooComplex { code: "RC703", name: "too-complex", severity: Warning }
}

use super::{Context, head};
use crate::lint::Diagnostic;

/// Runs after every other check (the registry is in code order), when the
/// budget has been drawn on.
pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.budget.exceeded() {
        out.push(
            Diagnostic::new(
                &TooComplex::META,
                head(ctx.root),
                "",
                "pattern comparisons went past ramcheck's work budget; the redundancy and \
                 coverage rules (RC601-RC605) and the resource rules (RC303, RC304) may have \
                 missed findings",
            )
            .help("split the document into policies within RAM's size limits"),
        );
    }
}
