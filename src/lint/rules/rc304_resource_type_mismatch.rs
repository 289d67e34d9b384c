//! RC304 `resource-type-mismatch`: see [`ResourceTypeMismatch`].

rule! {
    /// ## What it does
    ///
    /// Reports a resource of a catalogued service that fits none of the resource
    /// types of the statement's actions, e.g. a Dataset ARN
    /// (`.../project/p/dataset/d`) for `imm:AttachOSSBucket`, which is authorised
    /// on a Project (`acs:imm:{regionId}:{accountId}:project/{ProjectName}`).
    /// Resource patterns with wildcards are compared with the catalogue's ARN
    /// templates as patterns: a resource is reported only if no ARN of any type the
    /// actions use can match it, and only for actions whose row the service's
    /// page states (inferred rows are not ground enough).
    ///
    /// ## Why is this bad?
    ///
    /// RAM checks an action against the ARN of the resource type the action is
    /// authorised on. A resource of another shape never matches, so the statement
    /// does not grant (or deny) what it appears to; the author typically named the
    /// dataset an action works on instead of its project.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:AttachOSSBucket",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest/dataset/faces"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:AttachOSSBucket",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}
    /// ```
    ResourceTypeMismatch { code: "RC304", name: "resource-type-mismatch", severity: Warning }
}

use super::{Context, resource_pointer};
use crate::catalog::{ActionInfo, Service};
use crate::lint::Diagnostic;
use crate::patterns::{Budget, Pattern, intersects};
use crate::wildcard::{Case, Wildcard};

/// Whether the resource can name a resource the action is authorised on;
/// when that is not worked out (budget), it is taken to fit.
fn fits(resource: &Wildcard, action: &ActionInfo, budget: &Budget) -> bool {
    let pattern = Pattern::glob(resource.as_str(), Case::Sensitive);
    action.resources.iter().any(|r| {
        if r.template().is_all_resources() {
            resource.matches("*")
        } else {
            intersects(&pattern, r.template().pattern(), budget) != Some(false)
        }
    })
}

fn types(service: &Service, actions: &[&ActionInfo]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in actions {
        for r in &a.resources {
            let name = match service.resource_type(&r.resource_type) {
                Some(t) if !t.is_all_resources() => format!("{} ({})", t.name, r.arn_template),
                _ => format!("{} (\"*\")", r.resource_type),
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
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
            let part = Wildcard::new(part, Case::Insensitive);
            for service in ctx.catalog.services_matching(&part) {
                let actions: Vec<&ActionInfo> = service
                    .actions
                    .iter()
                    .filter(|a| {
                        s.action
                            .patterns
                            .iter()
                            .any(|p| p.wildcard.matches(&a.action))
                    })
                    // Actions authorized only on `*` are RC305's.
                    .filter(|a| !a.resources.iter().all(|r| r.template().is_all_resources()))
                    .collect();
                // Only rows a page states: an inferred resource type is no
                // ground to say a resource never applies.
                if actions.is_empty()
                    || actions.iter().any(|a| !a.confirmed)
                    || actions.iter().any(|a| fits(&r.wildcard, a, ctx.budget))
                {
                    continue;
                }
                let found = if r.wildcard.is_literal() {
                    service
                        .resource_types_for_arn(text)
                        .next()
                        .map(|t| format!(" (it is a {} ARN)", t.name))
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                let wanted = types(service, &actions).join(", ");
                let message = match actions.as_slice() {
                    [one] => format!(
                        "`{}` is not authorised on this resource{found}: it needs {wanted}",
                        one.action
                    ),
                    many => format!(
                        "this resource{found} fits none of the resource types of the statement's \
                         {} {} actions: {wanted}",
                        many.len(),
                        service.ram_code
                    ),
                };
                out.push(
                    Diagnostic::new(
                        &ResourceTypeMismatch::META,
                        r.span,
                        &resource_pointer(s, i),
                        message,
                    )
                    .help("name a resource of the type the action is authorised on"),
                );
            }
        }
    }
}
