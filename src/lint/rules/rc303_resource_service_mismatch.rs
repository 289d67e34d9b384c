//! RC303 `resource-service-mismatch`: see [`ResourceServiceMismatch`].

rule! {
    /// ## What it does
    ///
    /// Reports a resource whose service part (`oss` in `acs:oss:...`) cannot be
    /// the service of any action in the same statement. `sts:AssumeRole` is
    /// authorised on `acs:ram:` roles, so `sts` actions go with `ram` resources.
    /// Statements with `NotAction`, an action `*` or a resource `*` are not
    /// checked.
    ///
    /// ## Why is this bad?
    ///
    /// Requests for an action carry a resource of that action's service, so the
    /// resource never matches: that part of the statement is dead. Usually a
    /// resource was copied from another statement, or the actions were changed
    /// without the resources.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "acs:oss:*:*:media-bucket/*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/*"}
    /// ```
    ResourceServiceMismatch { code: "RC303", name: "resource-service-mismatch", severity: Warning }
}

use super::{Context, action_service, is_all, resource_pointer};
use crate::lint::Diagnostic;
use crate::patterns::{Pattern, intersects};
use crate::wildcard::Case;

/// Services whose actions are authorised on another service's resources.
const RESOURCE_SERVICE: &[(&str, &str)] = &[("sts", "ram")];

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        if s.action.negated {
            continue;
        }
        let Some(resources) = s.resource.as_ref().filter(|r| !r.negated) else {
            continue;
        };
        let mut services = Vec::new();
        for p in &s.action.patterns {
            match action_service(p.wildcard.as_str()) {
                Some(code) => {
                    let lower = code.to_ascii_lowercase();
                    let mapped = RESOURCE_SERVICE
                        .iter()
                        .find(|(a, _)| *a == lower)
                        .map(|(_, r)| r.to_string())
                        .unwrap_or(lower);
                    services.push(mapped);
                }
                None => services.push("*".to_string()),
            }
        }
        if services.iter().any(|c| is_all(c)) {
            continue;
        }
        let service_patterns: Vec<Pattern> = services
            .iter()
            .map(|c| Pattern::glob(c, Case::Insensitive))
            .collect();
        for (i, r) in resources.patterns.iter().enumerate() {
            let text = r.wildcard.as_str();
            let Some(part) = text.split(':').nth(1) else {
                continue;
            };
            let part_pattern = Pattern::glob(part, Case::Insensitive);
            if service_patterns
                .iter()
                .any(|p| intersects(p, &part_pattern, ctx.budget) != Some(false))
            {
                continue;
            }
            let mut names: Vec<&str> = services.iter().map(String::as_str).collect();
            names.dedup();
            out.push(
                Diagnostic::new(
                    &ResourceServiceMismatch::META,
                    r.span,
                    &resource_pointer(s, i),
                    format!(
                        "resource of service `{part}` cannot match the statement's actions, \
                         which act on `{}` resources",
                        names.join("`, `")
                    ),
                )
                .help("use a resource of the actions' service, or move it to its own statement"),
            );
        }
    }
}
