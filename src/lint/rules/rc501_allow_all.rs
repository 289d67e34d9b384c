//! RC501 `allow-all`: see [`AllowAll`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Allow` statement whose `Action` includes `*` (every action of
    /// every service) and whose `Resource` includes `*` (or, in a resource-based
    /// policy, that has no `Resource`).
    ///
    /// ## Why is this bad?
    ///
    /// It grants full administrator access, including the right to change RAM
    /// itself, and so everything else. A condition narrows who or when, not what.
    /// Access Analyzer and RAM's console both flag it.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "*", "Resource": "*"}
    /// ```
    ///
    /// Use instead: list the actions and resources the principal needs.
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:Get*", "imm:List*"], "Resource": "*"}
    /// ```
    ///
    /// Not applied to control and session policies, which only limit what other policies
    /// grant: `Allow` `*` on `*` is their usual default statement.
    AllowAll { code: "RC501", name: "allow-all", severity: SecurityWarning }
}

use super::{Context, action_pointer, is_all};
use crate::lint::Diagnostic;
use crate::policy::{Effect, Statement};

/// Whether a statement allows every action on every resource.
pub fn allows_everything(s: &Statement) -> bool {
    s.effect == Effect::Allow
        && !s.action.negated
        && s.action
            .patterns
            .iter()
            .any(|p| is_all(p.wildcard.as_str()))
        && on_every_resource(s, true)
}

/// Whether a statement's resources include `*`. `none_is_all`: whether a
/// statement without `Resource` (resource-based policies) counts.
pub fn on_every_resource(s: &Statement, none_is_all: bool) -> bool {
    match &s.resource {
        None => none_is_all,
        Some(list) => !list.negated && list.patterns.iter().any(|p| is_all(p.wildcard.as_str())),
    }
}

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.kind.only_limits() {
        return;
    }
    for s in ctx.statements() {
        if !allows_everything(s) {
            continue;
        }
        let Some((i, p)) = s
            .action
            .patterns
            .iter()
            .enumerate()
            .find(|(_, p)| is_all(p.wildcard.as_str()))
        else {
            continue;
        };
        let limited = if s.condition.is_some() {
            " (the condition limits when, not what)"
        } else {
            ""
        };
        out.push(
            Diagnostic::new(
                &AllowAll::META,
                p.span,
                &action_pointer(s, i),
                format!("statement allows every action on every resource{limited}"),
            )
            .help("grant the specific actions and resources that are needed"),
        );
    }
}
