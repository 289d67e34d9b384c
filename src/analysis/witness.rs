//! From a cube of requests the engine found to one readable request:
//! catalogued action names and the policies' own ARNs and values first,
//! the smallest context that shows the difference (a key is left out
//! whenever leaving it out is in the cube).

use std::collections::BTreeMap;

use super::engine::{Budget, Cube, Extra, F, Lit, Space, Undecided};
use super::{AnalysisError, StatementLoc, Via, WhoCanEntry, Witness};
use crate::catalog::Catalog;
use crate::eval::{self, PolicySet, StatementRef};
use crate::policy::PolicyRef;
use crate::principal::Principal;
use crate::request::{Context, Request};

/// A request found, with the context keys the analysis chose.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub request: Request,
    pub context: BTreeMap<String, Vec<String>>,
}

impl Found {
    /// ` with k=v, k2=v2`, or nothing.
    pub(crate) fn context_phrase(&self) -> String {
        if self.context.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .context
            .iter()
            .map(|(k, vs)| format!("{k}={}", vs.join(",")))
            .collect();
        format!(" with {}", parts.join(", "))
    }

    pub(crate) fn into_witness(
        self,
        principal: Option<String>,
        statements: &[StatementRef],
        description: String,
    ) -> Witness {
        Witness {
            principal,
            action: self.request.action().to_string(),
            resource: self.request.resource().to_string(),
            context: self.context,
            statements: statements
                .iter()
                .filter(|s| s.file != super::ASSUMED)
                .map(StatementLoc::from)
                .collect(),
            description,
        }
    }
}

fn is_literal(s: &str) -> bool {
    !s.contains(['*', '?'])
}

/// Fills a resource pattern's wildcards with plausible text.
fn fill(pattern: &str, account: &str) -> Vec<String> {
    let parts: Vec<&str> = pattern.splitn(5, ':').collect();
    let mut out = Vec::new();
    if parts.len() == 5 {
        let region = if parts[2] == "*" {
            "cn-hangzhou"
        } else {
            parts[2]
        };
        let acct = if parts[3] == "*" { account } else { parts[3] };
        let rel = parts[4].replace('*', "example").replace('?', "x");
        out.push(format!(
            "{}:{}:{}:{}:{}",
            parts[0],
            parts[1],
            region.replace('*', "").replace('?', "x"),
            acct.replace('*', "").replace('?', "1"),
            rel
        ));
    }
    out.push(pattern.replace('*', "example").replace('?', "x"));
    out.push(pattern.replace('*', "").replace('?', "x"));
    out
}

/// Chooses one request of the cube for `caller`.
pub(crate) fn build(
    space: &Space,
    cube: &Cube,
    caller: &Principal,
    policies: &[PolicyRef],
    prefer_actions: &[String],
) -> Result<Found, AnalysisError> {
    let action = choose_action(space, cube, policies, prefer_actions);
    let resource = choose_resource(space, cube, policies, action.as_deref());
    let (Some(action), Some(resource)) = (action, resource) else {
        return Err(AnalysisError::WitnessFailed(
            "no action or resource of the cube could be spelled".into(),
        ));
    };
    let (context, chosen) = choose_context(space, cube, &Context::new())?;
    let request = Request::new(&action, &resource, caller.clone(), context)
        .map_err(|e| AnalysisError::WitnessFailed(e.to_string()))?;
    Ok(Found {
        request,
        context: chosen,
    })
}

fn choose_action(
    space: &Space,
    cube: &Cube,
    policies: &[PolicyRef],
    prefer: &[String],
) -> Option<String> {
    let ok = |a: &str| {
        space
            .actions
            .classify(a)
            .is_some_and(|c| cube.action.get(c as usize))
    };
    let literal = prefer.iter().map(String::as_str).chain(
        policies
            .iter()
            .flat_map(|p| p.statements.iter())
            .flat_map(|s| s.action.patterns.iter())
            .map(|a| a.wildcard.as_str()),
    );
    for a in literal {
        if is_literal(a) && a != "*" && ok(a) {
            return Some(a.to_string());
        }
    }
    for service in Catalog::builtin().services() {
        for info in &service.actions {
            if ok(&info.action) {
                return Some(info.action.clone());
            }
        }
    }
    cube.action
        .iter()
        .map(|c| space.actions.classes[c].rep.clone())
        .next()
}

fn choose_resource(
    space: &Space,
    cube: &Cube,
    policies: &[PolicyRef],
    action: Option<&str>,
) -> Option<String> {
    let ok = |r: &str| {
        space
            .resources
            .classify(r)
            .is_some_and(|c| cube.resource.get(c as usize))
    };
    let patterns: Vec<&str> = policies
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.patterns.iter())
        .map(|r| r.wildcard.as_str())
        .collect();
    let account = patterns
        .iter()
        .filter_map(|p| p.split(':').nth(3))
        .find(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("1234567890123456")
        .to_string();
    for p in &patterns {
        if is_literal(p) && *p != "*" && ok(p) {
            return Some(p.to_string());
        }
    }
    for p in &patterns {
        for candidate in fill(p, &account) {
            if candidate != "*" && ok(&candidate) {
                return Some(candidate);
            }
        }
    }
    // A resource of the action's own service, then any.
    let service = action
        .and_then(|a| a.split(':').next())
        .unwrap_or("example")
        .to_ascii_lowercase();
    let own = if service == "sts" || service == "ram" {
        format!("acs:ram::{account}:role/example")
    } else {
        format!("acs:{service}:cn-hangzhou:{account}:example/example")
    };
    let generic = format!("acs:example:cn-hangzhou:{account}:example/example");
    for candidate in [own.as_str(), generic.as_str(), "*"] {
        if ok(candidate) {
            return Some(candidate.to_string());
        }
    }
    cube.resource
        .iter()
        .map(|c| space.resources.classes[c].rep.clone())
        .next()
}

/// The context of a request of the cube: `given`'s entries, then for each
/// other key of the cube nothing if it may be absent, else the fewest
/// values that satisfy it.
fn choose_context(
    space: &Space,
    cube: &Cube,
    given: &Context,
) -> Result<(Context, BTreeMap<String, Vec<String>>), AnalysisError> {
    let mut context = given.clone();
    let mut chosen = BTreeMap::new();
    for (k, domain) in space.keys.iter().enumerate() {
        // RAM fills acs:PrincipalARN from the caller, and so does
        // `Request::new` (docs/semantics.md, "Request context RAM fills").
        if given.contains(&domain.lower) || space.principal_arn.is_some_and(|(p, _)| p == k) {
            continue;
        }
        let form = &cube.keys[k];
        if form.absent && !domain.always_present {
            continue;
        }
        let mut values: Vec<usize> = Vec::new();
        if domain.multi {
            for e in &form.exists {
                if values.iter().any(|&c| e.get(c)) {
                    continue;
                }
                if let Some(c) = e.intersection(&form.all).first() {
                    values.push(c);
                }
            }
        }
        if values.is_empty()
            && let Some(c) = form.all.first()
        {
            values.push(c);
        }
        let name = crate::values::common_key_name(&domain.name).unwrap_or(domain.name.clone());
        let mut texts = Vec::new();
        for c in values {
            let v = &domain.reps[c];
            context
                .insert(&name, v)
                .map_err(|e| AnalysisError::WitnessFailed(e.to_string()))?;
            texts.push(v.clone());
        }
        if !texts.is_empty() {
            chosen.insert(name, texts);
        }
    }
    Ok((context, chosen))
}

/// Why `who` did not answer.
pub(crate) enum WhoError {
    Undecided(String),
    Analysis(AnalysisError),
}

impl From<AnalysisError> for WhoError {
    fn from(e: AnalysisError) -> Self {
        WhoError::Analysis(e)
    }
}

fn conditions_of(statements: &[StatementRef], policies: &[PolicyRef]) -> Vec<String> {
    let mut out = Vec::new();
    for r in statements {
        let Some(p) = policies
            .iter()
            .find(|p| p.name == r.policy && p.origin == r.file)
        else {
            continue;
        };
        let Some(s) = p.statements.iter().find(|s| s.index == r.statement) else {
            continue;
        };
        if let Some(cond) = &s.condition {
            for clause in &cond.clauses {
                for e in &clause.entries {
                    let text = format!(
                        "{} {} {}",
                        clause.operator,
                        e.key,
                        serde_json::to_string(&e.raw_values).unwrap_or_default()
                    );
                    if !out.contains(&text) {
                        out.push(text);
                    }
                }
            }
        }
    }
    out
}

/// Whether `caller` may do `action` on `resource` with `given` context
/// (`Allow`), or with some more context (`ConditionalAllow`).
pub(crate) fn who(
    set: &PolicySet,
    caller: &Principal,
    action: &str,
    resource: &str,
    given: &Context,
    budget: &mut Budget,
) -> Result<Option<WhoCanEntry>, WhoError> {
    let policies = super::all_policies(&[set]);
    let via = |statements: &[StatementRef]| -> Vec<Via> {
        statements
            .iter()
            .map(|s| Via {
                policy: s.policy.clone(),
                statement: s.statement,
                sid: s.sid.clone(),
            })
            .collect()
    };
    let request = match Request::new(action, resource, caller.clone(), given.clone()) {
        Ok(r) => r,
        // The given context names another caller's acs:PrincipalARN: no
        // request of this caller carries it (docs/semantics.md, "Request
        // context RAM fills").
        Err(crate::request::RequestError::ContradictsPrincipal { .. }) => return Ok(None),
        Err(e) => return Err(AnalysisError::from(e).into()),
    };
    let response = eval::evaluate(set, &request);
    if response.decision.is_allowed() {
        return Ok(Some(WhoCanEntry {
            principal: caller.to_string(),
            decision: "Allow".into(),
            conditions: conditions_of(&response.statements, &policies),
            via: via(&response.statements),
            witness_context: BTreeMap::new(),
        }));
    }
    if response.decision == eval::Decision::ExplicitDeny && given_decides(set, &request) {
        return Ok(None);
    }
    // Context can only help a statement whose action and resource already
    // match: without one among the granting policies, nothing can.
    let could = |s: &crate::policy::Statement| {
        s.effect == crate::policy::Effect::Allow
            && s.action.matches(action)
            && s.resource.as_ref().is_none_or(|r| r.matches(resource))
    };
    let granting = set.identity.iter().chain(set.resource.iter());
    if !granting.flat_map(|p| p.statements.iter()).any(could)
        || (!set.control.is_empty()
            && !caller.is_service_linked()
            && !set
                .control
                .iter()
                .flat_map(|p| p.statements.iter())
                .any(could))
    {
        return Ok(None);
    }
    budget
        .check()
        .map_err(|Undecided(r)| WhoError::Undecided(r))?;
    let space = match Space::build(&policies, Some(caller), &Extra::default()) {
        Ok(space) => space,
        Err(Undecided(r)) => {
            // Charged as much as a space may take: a store of roles whose
            // policies each run out of budget must not multiply it.
            budget.spend_failed_build();
            return Err(WhoError::Undecided(r));
        }
    };
    let mut cube = space.full_cube();
    let restrict = |lang: &super::lang::Lang, text: &str| {
        let mut b = super::bits::Bits::new(lang.len());
        if let Some(c) = lang.classify(text) {
            b.set(c as usize);
        }
        b
    };
    let mut goals = vec![
        F::Lit(Lit::Action(restrict(&space.actions, action))),
        F::Lit(Lit::Resource(restrict(&space.resources, resource))),
    ];
    for (key, values) in given.iter() {
        let Some(k) = space.key(&key.to_ascii_lowercase()) else {
            continue;
        };
        let d = &space.keys[k];
        let mut all = super::bits::Bits::new(d.len());
        let mut exists = Vec::new();
        for v in values {
            let c = d.classify(v.as_str()).ok_or_else(|| {
                AnalysisError::WitnessFailed(format!(
                    "value {:?} of {key} fits no class",
                    v.as_str()
                ))
            })?;
            all.set(c as usize);
            let mut one = super::bits::Bits::new(d.len());
            one.set(c as usize);
            exists.push(one);
        }
        goals.push(F::Lit(Lit::Key(
            k,
            super::engine::KeyForm {
                absent: false,
                present: true,
                all,
                exists,
            },
        )));
    }
    goals.push(space.allowed(set));
    let mut search = budget
        .search(&space)
        .map_err(|Undecided(r)| WhoError::Undecided(r))?;
    let found = search.find(cube.clone(), F::and(goals));
    budget.spend(&space, &search);
    let found = found.map_err(|Undecided(r)| WhoError::Undecided(r))?;
    let Some(found) = found else {
        return Ok(None);
    };
    cube = found;
    let (context, chosen) = choose_context(&space, &cube, given)?;
    let request = Request::new(action, resource, caller.clone(), context)
        .map_err(|e| AnalysisError::WitnessFailed(e.to_string()))?;
    let response = eval::evaluate(set, &request);
    if !response.decision.is_allowed() {
        return Err(AnalysisError::WitnessFailed(format!(
            "{caller} {action} on {resource} with {chosen:?}: {}",
            response.decision
        ))
        .into());
    }
    Ok(Some(WhoCanEntry {
        principal: caller.to_string(),
        decision: "ConditionalAllow".into(),
        conditions: conditions_of(&response.statements, &policies),
        via: via(&response.statements),
        witness_context: chosen,
    }))
}

/// An explicit deny that no added context could lift: the denying
/// statements have no condition.
fn given_decides(set: &PolicySet, request: &Request) -> bool {
    let r = eval::evaluate(set, request);
    r.statements.iter().all(|s| {
        super::all_policies(&[set])
            .iter()
            .find(|p| p.name == s.policy && p.origin == s.file)
            .and_then(|p| p.statements.iter().find(|x| x.index == s.statement))
            .is_some_and(|x| x.condition.is_none())
    }) && !r.statements.is_empty()
}
