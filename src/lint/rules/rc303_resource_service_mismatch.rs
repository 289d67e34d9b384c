//! RC303 `resource-service-mismatch`: see [`ResourceServiceMismatch`].

rule! {
    /// ## What it does
    ///
    /// Reports a resource whose service part (`oss` in `acs:oss:...`) is the
    /// service of none of the resources the statement's actions are
    /// authorized on. Actions may act on other services' resources: the
    /// catalogue says which (`sts:AssumeRole` on `acs:ram:` roles,
    /// `slb:AddBackendServers` on `acs:ecs:` instances). Where it cannot tell
    /// (an uncatalogued service, an inferred row, a wildcard over an
    /// incomplete action table) nothing is reported; nor are statements with
    /// `NotAction`, an action `*` or a resource `*`.
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
use crate::policy::ActionPattern;
use crate::wildcard::Case;

/// What one action pattern says about the services whose resources it acts
/// on.
enum Acts {
    /// It may act on the resource's service, or the catalogue cannot tell
    /// (an uncatalogued service, an inferred row, a wildcard over an
    /// incomplete table): no finding.
    Maybe,
    /// Per the catalogue, it acts only on resources of these services.
    Only(Vec<String>),
}

fn acts(ctx: &Context, p: &ActionPattern, part: &Pattern) -> Acts {
    let text = p.wildcard.as_str();
    let Some(code) = action_service(text) else {
        return Acts::Maybe;
    };
    let own = Pattern::glob(code, Case::Insensitive);
    if is_all(code) || intersects(&own, part, ctx.budget) != Some(false) {
        return Acts::Maybe;
    }
    if code.contains(['*', '?']) {
        return Acts::Maybe;
    }
    let Some(service) = ctx.catalog.service(code) else {
        return Acts::Maybe;
    };
    let literal = p.wildcard.is_literal();
    if !literal && !service.actions_complete {
        return Acts::Maybe;
    }
    let matched: Vec<_> = service
        .actions
        .iter()
        .filter(|a| p.wildcard.matches(&a.action))
        .collect();
    if matched.is_empty() || matched.iter().any(|a| !a.confirmed) {
        return Acts::Maybe;
    }
    let mut services: Vec<String> = Vec::new();
    for r in matched.iter().flat_map(|a| &a.resources) {
        if r.template().is_all_resources() {
            continue;
        }
        let Some(owner) = r.arn_template.split(':').nth(1) else {
            continue;
        };
        if intersects(&Pattern::glob(owner, Case::Insensitive), part, ctx.budget) != Some(false) {
            return Acts::Maybe;
        }
        let owner = owner.to_ascii_lowercase();
        if !services.contains(&owner) {
            services.push(owner);
        }
    }
    if services.is_empty() {
        services.push(code.to_ascii_lowercase());
    }
    Acts::Only(services)
}

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        if s.action.negated {
            continue;
        }
        let Some(resources) = s.resource.as_ref().filter(|r| !r.negated) else {
            continue;
        };
        for (i, r) in resources.patterns.iter().enumerate() {
            let text = r.wildcard.as_str();
            let Some(part) = text.split(':').nth(1) else {
                continue;
            };
            let part_pattern = Pattern::glob(part, Case::Insensitive);
            let mut names: Vec<String> = Vec::new();
            let mut maybe = false;
            for p in &s.action.patterns {
                match acts(ctx, p, &part_pattern) {
                    Acts::Maybe => {
                        maybe = true;
                        break;
                    }
                    Acts::Only(services) => {
                        for service in services {
                            if !names.contains(&service) {
                                names.push(service);
                            }
                        }
                    }
                }
            }
            if maybe {
                continue;
            }
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
