//! `ramcheck can-i --list`: what a principal of the store may do, per
//! Allow statement: the catalogued actions it grants that some request can
//! actually use (each shown by a witness the evaluator allows), its
//! resource patterns and conditions, and the Deny statements that carve
//! into it.

use std::path::Path;

use super::bits::Bits;
use super::engine::{Budget, Extra, F, Lit, Search, Space, Undecided};
use super::{AnalysisError, all_policies, evaluation_cost, witness};
use crate::catalog::Catalog;
use crate::eval;
use crate::policy::{Effect, PolicyRef, Statement};
use crate::store::Store;

/// Past this many actions, a grant lists its patterns and a count.
const MAX_LISTED: usize = 40;

/// One Allow statement and what it grants.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Grant {
    /// The policy's name.
    pub policy: String,
    /// The statement's index, from 0.
    pub statement: usize,
    /// Its `Sid`, if any.
    pub sid: Option<String>,
    /// Catalogued actions some request may use through it (or, past 40
    /// and without `--service`, its patterns with a count).
    pub actions: Vec<String>,
    /// Its resource patterns (`NotResource` as `not …`).
    pub resources: Vec<String>,
    /// Its conditions, as written.
    pub conditions: Vec<String>,
    /// The Deny statements that remove part of it, and the catalogued
    /// actions it grants that no request can use.
    pub denied: Vec<String>,
}

/// The answer of `can-i --list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GrantList {
    /// The principal, as given.
    pub principal: String,
    /// What it may do.
    pub grants: Vec<Grant>,
    /// Statements whose question was not decided, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

impl GrantList {
    /// 0 when something is listed, 4 when nothing is and some statement's
    /// question was undecided (an empty list is never a guess,
    /// docs/analysis.md), 1 when nothing is granted.
    pub fn exit_code(&self) -> u8 {
        if !self.grants.is_empty() {
            0
        } else if !self.undecided.is_empty() {
            4
        } else {
            1
        }
    }
}

fn describe(p: &PolicyRef, s: &Statement) -> String {
    let sid = s
        .sid
        .as_ref()
        .map(|(x, _)| format!(" ({x})"))
        .unwrap_or_default();
    let actions: Vec<&str> = s
        .action
        .patterns
        .iter()
        .map(|a| a.wildcard.as_str())
        .collect();
    let resources: Vec<&str> = s
        .resource
        .iter()
        .flat_map(|r| r.patterns.iter())
        .map(|r| r.wildcard.as_str())
        .collect();
    format!(
        "{} statement {}{}: {}{} on {}{}{}",
        p.name,
        s.index,
        sid,
        if s.action.negated { "not " } else { "" },
        actions.join(", "),
        if s.resource.as_ref().is_some_and(|r| r.negated) {
            "not "
        } else {
            ""
        },
        if resources.is_empty() {
            "the resource".to_string()
        } else {
            resources.join(", ")
        },
        if s.condition.is_some() {
            " (with conditions)"
        } else {
            ""
        }
    )
}

/// `ramcheck can-i --list --as PRINCIPAL [--service S]`.
pub fn list(
    store_dir: &Path,
    principal: &str,
    service: Option<&str>,
) -> Result<GrantList, AnalysisError> {
    let store = Store::load(store_dir)?;
    let resolved = store.resolve(principal)?;
    let set = &resolved.policies;
    let caller = &resolved.principal;
    let policies = all_policies(&[set]);
    let mut undecided = Vec::new();
    let space = match Space::build(&policies, Some(caller), &Extra::default()) {
        Ok(s) => s,
        Err(Undecided(r)) => {
            return Ok(GrantList {
                principal: principal.to_string(),
                grants: Vec::new(),
                undecided: vec![r],
            });
        }
    };
    let catalog: Vec<String> = Catalog::builtin()
        .services()
        .filter(|s| service.is_none_or(|code| s.ram_code.eq_ignore_ascii_case(code)))
        .flat_map(|s| s.actions.iter().map(|a| a.action.clone()))
        .collect();
    let allowed = space.allowed(set);
    let mut search = Search::new(&space);
    // Each witness is spelled from, and evaluated against, every pattern
    // of the principal's policies: a statement of 30,000 literal actions
    // made 30,000 witnesses of 30,000 patterns each. They share a budget
    // (docs/analysis.md, "Limits"); past it, the rest are undecided.
    let witness_cost = 2 * evaluation_cost(set);
    let mut concrete = Budget::question();
    let mut grants = Vec::new();
    for p in &set.identity {
        for s in &p.statements {
            if s.effect != Effect::Allow {
                continue;
            }
            let Some(id) = space.stmt_id(p, s.index) else {
                continue;
            };
            // Catalogued actions, and literal ones the catalogue lacks.
            let mut names: Vec<String> = catalog
                .iter()
                .filter(|a| s.action.matches(a))
                .cloned()
                .collect();
            let mut seen: std::collections::HashSet<String> =
                names.iter().map(|n| n.to_ascii_lowercase()).collect();
            for a in &s.action.patterns {
                let text = a.wildcard.as_str();
                let in_service = service.is_none_or(|code| {
                    text.split(':')
                        .next()
                        .is_some_and(|c| c.eq_ignore_ascii_case(code))
                });
                if !text.contains(['*', '?'])
                    && in_service
                    && seen.insert(text.to_ascii_lowercase())
                {
                    names.push(text.to_string());
                }
            }
            if names.is_empty() {
                continue;
            }
            // One question per class of actions.
            let mut usable: Vec<String> = Vec::new();
            let mut unusable: Vec<String> = Vec::new();
            let mut by_class: std::collections::HashMap<u32, Option<bool>> =
                std::collections::HashMap::new();
            for name in &names {
                let Some(c) = space.actions.classify(name) else {
                    continue;
                };
                let known = by_class.get(&c).copied();
                let verdict = match known {
                    Some(v) => v,
                    None => {
                        let mut only = Bits::new(space.actions.len());
                        only.set(c as usize);
                        let goal = F::and(vec![
                            F::Lit(Lit::Action(only)),
                            F::Match(id),
                            allowed.clone(),
                        ]);
                        let v = match search.find(space.full_cube(), goal) {
                            Ok(Some(_)) if concrete.charge(witness_cost).is_err() => {
                                undecided.push(format!(
                                    "{name}: the witnesses took more than {} steps",
                                    super::engine::MAX_QUESTION_STEPS
                                ));
                                None
                            }
                            Ok(Some(cube)) => {
                                let w = witness::build(
                                    &space,
                                    &cube,
                                    caller,
                                    &policies,
                                    std::slice::from_ref(name),
                                )?;
                                let r = eval::evaluate(set, &w.request);
                                if !r.decision.is_allowed() {
                                    return Err(AnalysisError::WitnessFailed(format!(
                                        "{principal} {} on {}: {}",
                                        w.request.action(),
                                        w.request.resource(),
                                        r.decision
                                    )));
                                }
                                Some(true)
                            }
                            Ok(None) => Some(false),
                            Err(Undecided(r)) => {
                                undecided.push(format!("{name}: {r}"));
                                None
                            }
                        };
                        by_class.insert(c, v);
                        v
                    }
                };
                match verdict {
                    Some(true) => usable.push(name.clone()),
                    Some(false) => unusable.push(name.clone()),
                    None => {}
                }
            }
            if usable.is_empty() {
                continue;
            }
            let actions = if service.is_none() && usable.len() > MAX_LISTED {
                let patterns: Vec<&str> = s
                    .action
                    .patterns
                    .iter()
                    .map(|a| a.wildcard.as_str())
                    .collect();
                vec![format!(
                    "{}{} ({} catalogued actions)",
                    if s.action.negated { "not " } else { "" },
                    patterns.join(", "),
                    usable.len()
                )]
            } else {
                usable
            };
            let resources = match &s.resource {
                Some(r) => r
                    .patterns
                    .iter()
                    .map(|x| {
                        format!(
                            "{}{}",
                            if r.negated { "not " } else { "" },
                            x.wildcard.as_str()
                        )
                    })
                    .collect(),
                None => vec!["the resource the policy is attached to".into()],
            };
            let mut conditions = Vec::new();
            if let Some(cond) = &s.condition {
                for clause in &cond.clauses {
                    for e in &clause.entries {
                        conditions.push(format!(
                            "{} {} {}",
                            clause.operator,
                            e.key,
                            serde_json::to_string(&e.raw_values).unwrap_or_default()
                        ));
                    }
                }
            }
            // Deny statements that meet this grant.
            let mut denied = Vec::new();
            for q in set.control.iter().chain(set.identity.iter()) {
                for d in q.statements.iter().filter(|d| d.effect == Effect::Deny) {
                    let Some(did) = space.stmt_id(q, d.index) else {
                        continue;
                    };
                    let goal = F::and(vec![F::Match(id), F::Match(did)]);
                    match search.find(space.full_cube(), goal) {
                        Ok(Some(_)) => denied.push(describe(q, d)),
                        Ok(None) => {}
                        Err(Undecided(r)) => undecided.push(r),
                    }
                }
            }
            if !unusable.is_empty() {
                denied.push(format!("never usable: {}", unusable.join(", ")));
            }
            grants.push(Grant {
                policy: p.name.clone(),
                statement: s.index,
                sid: s.sid.as_ref().map(|(x, _)| x.clone()),
                actions,
                resources,
                conditions,
                denied,
            });
        }
    }
    Ok(GrantList {
        principal: principal.to_string(),
        grants,
        undecided,
    })
}
