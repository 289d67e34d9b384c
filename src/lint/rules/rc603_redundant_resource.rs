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
use crate::lint::compare::{redundant_entries, redundant_message, resources};

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let (Some(list), Some((_, patterns))) = (&s.resource, resources(s)) else {
            continue;
        };
        for r in redundant_entries(&patterns, ctx.budget) {
            let (this, other) = (&list.patterns[r.index], &list.patterns[r.by]);
            out.push(
                Diagnostic::new(
                    &RedundantResource::META,
                    this.span,
                    &resource_pointer(s, r.index),
                    redundant_message(&this.wildcard, &other.wildcard, r.twice),
                )
                .help("remove the redundant entry"),
            );
        }
    }
}
