//! RC602 `redundant-action`: see [`RedundantAction`].

rule! {
    /// ## What it does
    ///
    /// Reports an entry of `Action` (or `NotAction`) that is listed twice or is
    /// covered by another entry of the same statement, such as `imm:GetProject`
    /// next to `imm:Get*`. Actions compare case-insensitively.
    ///
    /// ## Why is this bad?
    ///
    /// The entry has no effect. Often it shows that the wider pattern grants more
    /// than the author meant: `imm:GetProject` was listed on purpose, and
    /// `imm:Get*` came with a template.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:Get*", "imm:GetProject"], "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:Get*"], "Resource": "*"}
    /// ```
    RedundantAction { code: "RC602", name: "redundant-action", severity: Warning }
}

use super::{Context, action_pointer};
use crate::lint::Diagnostic;
use crate::lint::compare::{actions, redundant_entries, redundant_message};

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        for r in redundant_entries(&actions(s), ctx.budget) {
            let (this, other) = (&s.action.patterns[r.index], &s.action.patterns[r.by]);
            out.push(
                Diagnostic::new(
                    &RedundantAction::META,
                    this.span,
                    &action_pointer(s, r.index),
                    redundant_message(&this.wildcard, &other.wildcard, r.twice),
                )
                .help("remove the redundant entry"),
            );
        }
    }
}
