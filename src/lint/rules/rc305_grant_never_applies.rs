//! RC305 `grant-never-applies`: see [`GrantNeverApplies`].

rule! {
    /// ## What it does
    ///
    /// Reports an action that RAM authorizes only on `*` ("All Resources": the
    /// service has no resource-level authorization for it) in a statement whose
    /// `Resource` names only specific ARNs. The catalogue says which actions
    /// those are; actions it does not know, or whose row is inferred rather
    /// than stated by the service's page, are not reported.
    ///
    /// ## Why is this bad?
    ///
    /// RAM checks such an action against the resource `*`, which no specific
    /// ARN pattern matches: an Allow of it never allows, a Deny never denies.
    /// The author meant it to apply.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:AttachOSSBucket", "imm:DetachOSSBucket"],
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}
    /// ```
    ///
    /// `imm:DetachOSSBucket` is authorized on `*` only. Use instead:
    ///
    /// ```json
    /// [
    ///   {"Effect": "Allow", "Action": "imm:AttachOSSBucket",
    ///    "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"},
    ///   {"Effect": "Allow", "Action": "imm:DetachOSSBucket", "Resource": "*"}
    /// ]
    /// ```
    GrantNeverApplies { code: "RC305", name: "grant-never-applies", severity: Warning }
}

use super::{Context, action_pointer};
use crate::lint::Diagnostic;
use crate::policy::Effect;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        if s.action.negated {
            continue;
        }
        let Some(resources) = s.resource.as_ref().filter(|r| !r.negated) else {
            continue;
        };
        if resources.patterns.iter().any(|p| p.wildcard.matches("*")) {
            continue;
        }
        for (i, p) in s.action.patterns.iter().enumerate() {
            if !p.wildcard.is_literal() {
                continue;
            }
            let Some(info) = ctx
                .catalog
                .action(p.wildcard.as_str())
                .filter(|info| info.confirmed)
            else {
                continue;
            };
            if !info
                .resources
                .iter()
                .all(|r| r.template().is_all_resources())
            {
                continue;
            }
            let what = match s.effect {
                Effect::Allow => "allows",
                Effect::Deny => "denies",
            };
            out.push(
                Diagnostic::new(
                    &GrantNeverApplies::META,
                    p.span,
                    &action_pointer(s, i),
                    format!(
                        "`{}` is authorized only on `*` (All Resources), which none of this \
                         statement's resources matches: the statement never {what} it",
                        info.action
                    ),
                )
                .help(format!(
                    "RAM checks `{}` on the resource `*`: name it in a statement with \
                     \"Resource\": \"*\"",
                    info.action
                )),
            );
        }
    }
}
