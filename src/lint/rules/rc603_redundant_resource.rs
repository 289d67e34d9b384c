//! RC603 `redundant-resource`: see [`RedundantResource`].

rule! {
    /// ## What it does
    ///
    /// Reports an entry of `Resource` (or `NotResource`) that is listed twice or
    /// is covered by another entry of the same statement, such as
    /// `acs:imm:*:*:project/immtest` next to `acs:imm:*:*:project/*`. Resources
    /// compare case-sensitively.
    ///
    /// ## Why is this bad?
    ///
    /// The entry has no effect; often the wider pattern grants more than the
    /// author meant to.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject",
    ///  "Resource": ["acs:imm:*:*:project/*", "acs:imm:*:*:project/immtest"]}
    /// ```
    ///
    /// Use instead: keep the pattern that says what is meant.
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": ["acs:imm:*:*:project/immtest"]}
    /// ```
    RedundantResource { code: "RC603", name: "redundant-resource", severity: Warning }
}

use super::{Context, resource_pointer};
use crate::lint::Diagnostic;
use crate::lint::compare::resources;
use crate::lint::patterns::covers;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let (Some(list), Some((_, patterns))) = (&s.resource, resources(s)) else {
            continue;
        };
        for (j, narrow) in patterns.iter().enumerate() {
            let by = patterns.iter().enumerate().find(|&(i, wide)| {
                i != j && covers(wide, narrow) && (i < j || !covers(narrow, wide))
            });
            let Some((i, _)) = by else {
                continue;
            };
            let (this, other) = (&list.patterns[j], &list.patterns[i]);
            let message = if covers(narrow, &patterns[i]) {
                format!("`{}` is listed twice", this.wildcard)
            } else {
                format!(
                    "`{}` is already covered by `{}`",
                    this.wildcard, other.wildcard
                )
            };
            out.push(
                Diagnostic::new(
                    &RedundantResource::META,
                    this.span,
                    &resource_pointer(s, j),
                    message,
                )
                .help("remove the redundant entry"),
            );
        }
    }
}
