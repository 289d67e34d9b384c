//! RC702 `policy-too-large-as-written`: see [`PolicyTooLargeAsWritten`].

rule! {
    /// ## What it does
    ///
    /// Reports a document longer than RAM's limit for its kind as written
    /// (6,144 characters for a custom policy, 2,048 for a session policy, 4,096
    /// for a control policy) that fits once insignificant whitespace is removed.
    /// The finding gives both sizes.
    ///
    /// ## Why is this bad?
    ///
    /// RAM counts the document as submitted. Tools that minify it (Terraform's
    /// `jsonencode`) deploy it; tools that upload the file as is fail. Either way
    /// the policy is close to the limit.
    ///
    /// ## Example
    ///
    /// A pretty-printed 6,500-character identity policy that is 5,000 characters
    /// minified.
    ///
    /// Use instead: submit it minified, or make it smaller.
    PolicyTooLargeAsWritten { code: "RC702", name: "policy-too-large-as-written", severity: Warning }
}

use super::rc701_policy_too_large::minified_len;
use super::{Context, head};
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let limit = ctx.kind.size_limit();
    let written = ctx.text.chars().count();
    if written <= limit {
        return;
    }
    let minified = minified_len(ctx.text, ctx.root);
    if minified <= limit {
        out.push(
            Diagnostic::new(
                &PolicyTooLargeAsWritten::META,
                head(ctx.root),
                "",
                format!(
                    "the document is {written} characters as written ({minified} minified); \
                     RAM's limit for a {} policy is {limit}",
                    ctx.kind
                ),
            )
            .help("submit the document minified, or make it smaller"),
        );
    }
}
