//! RC701 `policy-too-large`: see [`PolicyTooLarge`].

rule! {
    /// ## What it does
    ///
    /// Reports a document longer than RAM's limit for its kind even with all
    /// insignificant whitespace removed: 6,144 characters for a custom (identity)
    /// policy, 2,048 for a session policy, 4,096 for a control policy. The
    /// finding gives the size as written and minified.
    ///
    /// ## Why is this bad?
    ///
    /// RAM refuses to create or update the policy, so the deployment fails.
    ///
    /// ## Example
    ///
    /// A 7,000-character identity policy with 120 statements naming one project
    /// each.
    ///
    /// Use instead: wildcards (`acs:imm:*:*:project/media-*`) or several policies.
    PolicyTooLarge { code: "RC701", name: "policy-too-large", severity: Error }
}

use super::{Context, head};
use crate::json::{Node, Value};
use crate::lint::Diagnostic;

/// The document's length in characters with insignificant whitespace
/// removed, computed from the spanned tree: each scalar and key as written
/// (escapes kept), plus brackets, colons and commas.
pub fn minified_len(text: &str, node: &Node) -> usize {
    let slice = |start: usize, end: usize| text.get(start..end).map_or(0, |s| s.chars().count());
    match &node.value {
        Value::Object(members) => {
            2 + members.len().saturating_sub(1)
                + members
                    .iter()
                    .map(|m| {
                        slice(m.key_span.start.offset, m.key_span.end.offset)
                            + 1
                            + minified_len(text, &m.value)
                    })
                    .sum::<usize>()
        }
        Value::Array(items) => {
            2 + items.len().saturating_sub(1)
                + items.iter().map(|n| minified_len(text, n)).sum::<usize>()
        }
        _ => slice(node.span.start.offset, node.span.end.offset),
    }
}

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    let limit = ctx.kind.size_limit();
    let written = ctx.text.chars().count();
    let minified = minified_len(ctx.text, ctx.root);
    if minified > limit {
        out.push(
            Diagnostic::new(
                &PolicyTooLarge::META,
                head(ctx.root),
                "",
                format!(
                    "the document is {written} characters as written and {minified} minified; \
                     RAM's limit for a {} policy is {limit}",
                    ctx.kind
                ),
            )
            .help("split the policy, or use wildcards to name resources and actions"),
        );
    }
}
