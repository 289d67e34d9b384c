//! RC504 `service-wide-wildcard`: see [`ServiceWideWildcard`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Allow` of every action of a service (`imm:*`, `oss:*`) on
    /// resource `*`, unless a condition narrows it (source IP or VPC, MFA, a
    /// time window, secure transport).
    ///
    /// ## Why is this bad?
    ///
    /// It grants every current and future action of the service, deletions and
    /// permission changes included, on every resource of the account: full
    /// administration of the service. Usually the principal needs a few actions,
    /// or all actions on a few resources.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:*", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:*",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/media-*"}
    /// ```
    ///
    /// Not applied to control and session policies, which only limit what other policies
    /// grant: `Allow` `*` on `*` is their usual default statement.
    ServiceWideWildcard { code: "RC504", name: "service-wide-wildcard", severity: SecurityWarning }
}

use super::rc501_allow_all::on_every_resource;
use super::{Context, RESTRICTING_KEYS, action_pointer, action_service, conditioned_on, is_all};
use crate::lint::Diagnostic;
use crate::policy::Effect;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.kind.only_limits() {
        return;
    }
    for s in ctx.statements() {
        if s.effect != Effect::Allow
            || s.action.negated
            || !on_every_resource(s, false)
            || conditioned_on(s, RESTRICTING_KEYS)
        {
            continue;
        }
        for (i, p) in s.action.patterns.iter().enumerate() {
            let text = p.wildcard.as_str();
            let Some((service, name)) = text.split_once(':') else {
                continue;
            };
            if !is_all(name) || service.contains(['*', '?']) {
                continue;
            }
            debug_assert_eq!(action_service(text), Some(service));
            out.push(
                Diagnostic::new(
                    &ServiceWideWildcard::META,
                    p.span,
                    &action_pointer(s, i),
                    format!(
                        "`{text}` on every resource grants every current and future \
                         `{service}` action"
                    ),
                )
                .help("list the actions needed, or name the resources"),
            );
        }
    }
}
