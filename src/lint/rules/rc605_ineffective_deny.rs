//! RC605 `ineffective-deny`: see [`IneffectiveDeny`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Deny` statement, in a session or trust policy, that can never
    /// match a request any `Allow` of the same policy grants (their actions or
    /// their resources never meet).
    ///
    /// ## Why is this bad?
    ///
    /// A session policy and a role's trust policy must themselves allow a
    /// request for it to pass, so a Deny outside everything they allow removes
    /// nothing: it is dead, and usually meant to restrict one of the Allows (a
    /// misspelt resource, a wrong region). In identity, resource and control
    /// policies a Deny also guards what *other* policies grant, so it is never
    /// reported there.
    ///
    /// ## Example
    ///
    /// ```json
    /// [
    ///   {"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:cn-hangzhou:*:project/*"},
    ///   {"Effect": "Deny", "Action": "imm:Delete*", "Resource": "acs:imm:cn-shanghai:*:project/*"}
    /// ]
    /// ```
    ///
    /// Use instead: make the Deny name what it should protect, or remove it.
    IneffectiveDeny { code: "RC605", name: "ineffective-deny", severity: Warning }
}

use super::{Context, describe, statement_span};
use crate::lint::Diagnostic;
use crate::lint::compare::statements_overlap;
use crate::policy::{Effect, PolicyKind};

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !matches!(ctx.kind, PolicyKind::Session | PolicyKind::Trust) || !ctx.complete {
        return;
    }
    let statements = ctx.statements();
    let (prepared, index) = ctx.prepared();
    for (d, deny) in statements.iter().enumerate() {
        if deny.effect != Effect::Deny {
            continue;
        }
        if ctx.budget.exceeded() {
            break;
        }
        // Not worked out (budget) counts as useful: nothing is reported.
        let useful = index
            .may_meet(&prepared[d])
            .into_iter()
            .filter(|&a| statements[a].effect == Effect::Allow)
            .any(|a| statements_overlap(&prepared[d], &prepared[a], ctx.budget) != Some(false));
        if !useful {
            out.push(
                Diagnostic::new(
                    &IneffectiveDeny::META,
                    statement_span(deny),
                    &deny.pointer,
                    format!(
                        "{} never matches anything this {} policy allows, so it denies nothing",
                        describe(deny),
                        ctx.kind
                    ),
                )
                .help("point the Deny at what an Allow grants, or remove it"),
            );
        }
    }
}
