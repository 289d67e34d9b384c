//! Proof before print: the generated documents are parsed and evaluated by
//! the crate's own parser and evaluator, and linted by its linter. Every
//! requested pair must be allowed under its context; every other pair of a
//! universe of near misses (the service's other catalogued actions; other
//! projects, regions and accounts; `*`) must be allowed exactly when the
//! requested pairs, or a widening `--collapse` declared, allow it. A
//! failure means the generator is wrong, and nothing is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::catalog::Catalog;
use crate::eval::{PolicySet, evaluate};
use crate::lint::{self, Severity};
use crate::policy::{Policy, PolicyKind};
use crate::principal::Principal;
use crate::request::{Context, Request};
use crate::values::{parse_date, parse_network};
use crate::wildcard::{Case, Wildcard};

use super::conditions::{Clause, ConditionSet};
use super::synth::{Pair, Statement};

/// A generated document, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The policy name.
    pub name: String,
    /// The document, as printed.
    pub text: String,
}

/// One grant the policy must allow exactly: the requested pairs, and the
/// statements a collapse widened.
#[derive(Debug, Clone)]
pub struct Grant {
    actions: Vec<Wildcard>,
    resources: Vec<Wildcard>,
    conditions: ConditionSet,
}

impl Grant {
    /// The grant of one requested pair.
    pub fn from_pair(p: &Pair) -> Self {
        Grant {
            actions: vec![Wildcard::new(&p.action, Case::Insensitive)],
            resources: vec![Wildcard::new(&p.resource, Case::Sensitive)],
            conditions: p.conditions.clone(),
        }
    }

    /// The grant of a statement a collapse widened on purpose.
    pub fn from_statement(s: &Statement) -> Self {
        Grant {
            actions: s
                .actions
                .iter()
                .map(|a| Wildcard::new(a, Case::Insensitive))
                .collect(),
            resources: s
                .resources
                .iter()
                .map(|r| Wildcard::new(r, Case::Sensitive))
                .collect(),
            conditions: s.conditions.clone(),
        }
    }
}

/// How a proof context treats one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Witness {
    /// The context holds a value that satisfies this clause.
    Satisfies(Clause),
    /// The context holds a value that does not satisfy this clause.
    Violates(Clause),
}

type Spec = BTreeMap<String, Witness>;

/// The text that stands for a requested resource in a proof request. RAM
/// checks an action whose catalogue ARN ends in `*` (Trigger, Batch,
/// `ListProjects`) against that literal ARN, and [`Request`] carries it as
/// is; should a request ever refuse it, any name in place of the `*` is
/// matched by the same patterns.
pub fn witness_resource(resource: &str) -> String {
    if Request::new(
        "ramcheck:Witness",
        resource,
        Principal::AdHoc,
        Context::new(),
    )
    .is_ok()
    {
        return resource.to_string();
    }
    match resource.strip_suffix('*') {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}ramcheck-witness"),
        _ => resource.to_string(),
    }
}

fn satisfying_value(key: &str, clause: &Clause) -> Option<String> {
    let first = clause.values.first()?;
    match clause.operator {
        "IpAddress" => Some(parse_network(first).ok()?.network().to_string()),
        "DateLessThan" => {
            let earliest = clause
                .values
                .iter()
                .filter_map(|v| parse_date(v).ok())
                .min()?;
            (earliest - Duration::seconds(1)).format(&Rfc3339).ok()
        }
        "Bool" | "StringEquals" => Some(first.clone()),
        _ => {
            let _ = key;
            None
        }
    }
}

fn violating_value(clause: &Clause) -> Option<String> {
    match clause.operator {
        "IpAddress" => {
            let nets: Vec<_> = clause
                .values
                .iter()
                .filter_map(|v| parse_network(v).ok())
                .collect();
            [
                "203.0.113.77",
                "198.51.100.77",
                "192.0.2.77",
                "10.255.0.77",
                "2001:db8:ffff::77",
                "ffff:ffff::77",
            ]
            .into_iter()
            .find(|c| {
                let ip: std::net::IpAddr = c.parse().expect("valid literal");
                !nets.iter().any(|n| crate::values::network_contains(n, ip))
            })
            .map(str::to_string)
        }
        "Bool" => ["true", "false"]
            .into_iter()
            .find(|b| !clause.values.iter().any(|v| v == b))
            .map(str::to_string),
        "StringEquals" => (0..)
            .map(|i| format!("ramcheck-near-miss-{i}"))
            .find(|c| !clause.values.contains(c)),
        "DateLessThan" => clause
            .values
            .iter()
            .filter_map(|v| parse_date(v).ok())
            .max()
            .and_then(|d| d.format(&Rfc3339).ok()),
        _ => None,
    }
}

fn context_for(spec: &Spec) -> Result<Context, String> {
    let mut context = Context::new();
    for (key, witness) in spec {
        let value = match witness {
            Witness::Satisfies(c) => satisfying_value(key, c),
            Witness::Violates(c) => violating_value(c),
        }
        .ok_or_else(|| format!("no witness value for {key}"))?;
        context
            .insert(key, &value)
            .map_err(|e| format!("proof context: {e}"))?;
    }
    Ok(context)
}

/// A context in which every clause of `conditions` holds (for proofs
/// outside this module, e.g. `--from-error --into`).
pub(crate) fn satisfying_context(conditions: &ConditionSet) -> Result<Context, String> {
    context_for(&satisfying(conditions))
}

fn satisfying(conditions: &ConditionSet) -> Spec {
    conditions
        .iter()
        .map(|(k, c)| (k.clone(), Witness::Satisfies(c.clone())))
        .collect()
}

/// What the grants say about `action` on `resource` in a context built
/// from `spec`: `Some(true)` allowed, `Some(false)` not, `None` when a
/// grant's conditions differ from the context's in a way this model does
/// not decide (then the pair is not checked).
fn expected(grants: &[Grant], action: &str, resource: &str, spec: &Spec) -> Option<bool> {
    let mut unknown = false;
    for g in grants {
        if !g.actions.iter().any(|a| a.matches(action))
            || !g.resources.iter().any(|r| r.matches(resource))
        {
            continue;
        }
        let mut holds = Some(true);
        for (key, clause) in &g.conditions {
            match spec.get(key) {
                Some(Witness::Satisfies(c)) if c == clause => {}
                Some(Witness::Violates(c)) if c == clause => holds = Some(false),
                None => holds = Some(false),
                Some(_) => {
                    if holds == Some(true) {
                        holds = None;
                    }
                }
            }
            if holds == Some(false) {
                break;
            }
        }
        match holds {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(false) }
}

/// Resources near `resource`: another region, another account, another
/// name at each level of the relative id, a longer name, a child.
fn near_resources(resource: &str) -> Vec<String> {
    let parts: Vec<&str> = resource.splitn(5, ':').collect();
    if parts.len() != 5 {
        return Vec::new();
    }
    let with = |i: usize, value: &str| {
        let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
        p[i] = value.to_string();
        p.join(":")
    };
    let mut out = Vec::new();
    if !parts[2].is_empty() {
        let region = ["cn-shanghai", "cn-beijing"]
            .into_iter()
            .find(|r| *r != parts[2])
            .expect("two regions");
        out.push(with(2, region));
    }
    let account = ["1000000000000001", "1000000000000002"]
        .into_iter()
        .find(|a| *a != parts[3])
        .expect("two accounts");
    out.push(with(3, account));
    let segments: Vec<&str> = parts[4].split('/').collect();
    for i in (1..segments.len()).step_by(2) {
        for replacement in [
            "ramcheck-near-miss".to_string(),
            format!("{}x", segments[i]),
        ] {
            if replacement == segments[i] {
                continue;
            }
            let mut s: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
            s[i] = replacement;
            out.push(with(4, &s.join("/")));
        }
    }
    out.push(format!("{resource}/ramcheck-near-miss"));
    out
}

/// Which inputs (by index into `pairs`) each statement of each document
/// was proven to allow: `(document, statement index)` → pair indices.
pub type Coverage = BTreeMap<(usize, usize), Vec<usize>>;

/// Parses, lints and evaluates `documents` against `pairs` (every input,
/// each with its own conditions) and `grants` (what the policy may allow).
pub fn prove(
    documents: &[Document],
    pairs: &[Pair],
    grants: &[Grant],
    limit: usize,
) -> Result<Coverage, String> {
    let mut policies = PolicySet::default();
    for d in documents {
        let size = d.text.chars().count();
        if size > limit {
            return Err(format!(
                "{} is {size} characters, over the {limit}-character limit",
                d.name
            ));
        }
        let policy = Policy::parse(&d.text, &d.name, &d.name, PolicyKind::Identity)
            .map_err(|e| format!("{} does not parse: {e}", d.name))?;
        for diag in lint::lint_text(&d.text, PolicyKind::Identity) {
            if diag.rule.severity >= Severity::Warning {
                return Err(format!(
                    "{}: lint {} ({}) at {}: {}",
                    d.name, diag.rule.code, diag.rule.severity, diag.path, diag.message
                ));
            }
        }
        policies.identity.push(Arc::new(policy));
    }
    let index_of: BTreeMap<&str, usize> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    let request = |action: &str, resource: &str, context: Context| {
        Request::new(action, resource, Principal::AdHoc, context)
            .map_err(|e| format!("cannot build the proof request {action} {resource}: {e}"))
    };

    // 1. Every requested pair is allowed under its own context.
    let mut coverage = Coverage::new();
    for (i, p) in pairs.iter().enumerate() {
        let spec = satisfying(&p.conditions);
        let resource = witness_resource(&p.resource);
        let response = evaluate(
            &policies,
            &request(&p.action, &resource, context_for(&spec)?)?,
        );
        if !response.decision.is_allowed() {
            return Err(format!(
                "requested {} on {} is {} (expected Allow)",
                p.action, p.resource, response.decision
            ));
        }
        for s in &response.statements {
            if let Some(&d) = index_of.get(s.policy.as_str()) {
                coverage.entry((d, s.statement)).or_default().push(i);
            }
        }
        // 2. Each condition matters: the pair without it is not allowed
        // (unless the grants say otherwise).
        for (key, clause) in &p.conditions {
            let mut broken = spec.clone();
            broken.insert(key.clone(), Witness::Violates(clause.clone()));
            let Ok(context) = context_for(&broken) else {
                continue; // e.g. IpAddress 0.0.0.0/0 and ::/0: nothing violates it
            };
            check(
                &policies,
                grants,
                &p.action,
                &resource,
                &broken,
                request(&p.action, &resource, context)?,
            )?;
        }
    }

    // 3. The near misses, under each distinct context of the inputs.
    let catalog = Catalog::builtin();
    let mut actions: BTreeSet<String> = BTreeSet::new();
    let mut resources: BTreeSet<String> = BTreeSet::new();
    resources.insert("*".into());
    for p in pairs {
        if let Some(service) = p
            .action
            .split_once(':')
            .and_then(|(code, _)| catalog.service(code))
        {
            actions.extend(service.actions.iter().map(|a| a.action.clone()));
        }
        actions.insert(p.action.clone());
        let w = witness_resource(&p.resource);
        resources.extend(near_resources(&w));
        resources.insert(w);
    }
    let specs: BTreeSet<&ConditionSet> = pairs.iter().map(|p| &p.conditions).collect();
    for conditions in specs {
        let spec = satisfying(conditions);
        let context = context_for(&spec)?;
        for action in &actions {
            for resource in &resources {
                check(
                    &policies,
                    grants,
                    action,
                    resource,
                    &spec,
                    request(action, resource, context.clone())?,
                )?;
            }
        }
    }
    for list in coverage.values_mut() {
        list.sort();
        list.dedup();
    }
    Ok(coverage)
}

fn check(
    policies: &PolicySet,
    grants: &[Grant],
    action: &str,
    resource: &str,
    spec: &Spec,
    request: Request,
) -> Result<(), String> {
    let Some(expect) = expected(grants, action, resource, spec) else {
        return Ok(());
    };
    // The decision alone, through the same path `evaluate` takes first;
    // the explanation is only wanted for the requested pairs.
    let (decision, _) = policies.decide(&request);
    if decision.is_allowed() != expect {
        let context: Vec<String> = spec.keys().cloned().collect();
        return Err(format!(
            "{action} on {resource} (context keys: {}) is {decision}, expected {}",
            if context.is_empty() {
                "none".to_string()
            } else {
                context.join(", ")
            },
            if expect { "Allow" } else { "not Allow" }
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn witnesses() {
        let trigger = witness_resource("acs:imm:cn-hangzhou:1:project/p/trigger/*");
        assert!(trigger.starts_with("acs:imm:cn-hangzhou:1:project/p/trigger/"));
        assert!(Request::new("imm:GetTrigger", &trigger, Principal::AdHoc, Context::new()).is_ok());
        assert_eq!(witness_resource("*"), "*");
        let ip = Clause {
            operator: "IpAddress",
            values: vec!["192.0.2.0/24".into()],
        };
        assert_eq!(satisfying_value("acs:SourceIp", &ip).unwrap(), "192.0.2.0");
        assert_eq!(violating_value(&ip).unwrap(), "203.0.113.77");
        let all = Clause {
            operator: "IpAddress",
            values: vec!["0.0.0.0/0".into(), "::/0".into()],
        };
        assert!(violating_value(&all).is_none());
        // The model reads addresses as the evaluator does: an IPv4 address
        // is in an IPv6 block when its mapped form is (docs/semantics.md,
        // "Request values"), so it never violates ::/1.
        let low_half = Clause {
            operator: "IpAddress",
            values: vec!["::/1".into()],
        };
        assert_eq!(violating_value(&low_half).unwrap(), "ffff:ffff::77");
        let every_v6 = Clause {
            operator: "IpAddress",
            values: vec!["::/0".into()],
        };
        assert!(violating_value(&every_v6).is_none());
        let near = near_resources("acs:imm:cn-hangzhou:1234567890123456:project/p/dataset/d");
        assert!(near.contains(&"acs:imm:cn-shanghai:1234567890123456:project/p/dataset/d".into()));
        assert!(near.contains(&"acs:imm:cn-hangzhou:1000000000000001:project/p/dataset/d".into()));
        assert!(near.contains(
            &"acs:imm:cn-hangzhou:1234567890123456:project/ramcheck-near-miss/dataset/d".into()
        ));
        assert!(near.contains(&"acs:imm:cn-hangzhou:1234567890123456:project/p/dataset/dx".into()));
    }
}
