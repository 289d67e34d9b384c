//! Proof before print: the generated documents are parsed and evaluated by
//! the crate's own parser and evaluator, and linted by its linter. Every
//! requested pair must be allowed under its context; every other pair of a
//! universe of near misses (the service's other catalogued actions; other
//! projects, regions and accounts; `*`) must be allowed exactly when the
//! requested pairs, or a widening `--collapse` declared, allow it. A
//! failure means the generator is wrong, and nothing is printed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::authorizer::CompiledPolicySet;
use crate::catalog::{ActionResource, Catalog, Service};
use crate::condition::Operator;
use crate::eval::{PolicySet, statement_applies};
use crate::lint::{self, Severity};
use crate::policy::{Policy, PolicyKind, PolicyRef, Statement};
use crate::principal::Principal;
use crate::request::{Context, Request};
use crate::values::{parse_date, parse_network};
use crate::wildcard::{Case, Wildcard};

use super::conditions::{CURRENT_TIME, Clause, ConditionSet};
use super::intent::fits_resource;
use super::synth::{self, Pair};

/// Why a generated policy failed its proof: a bug in the generator
/// (exit status 3; docs/generate.md, "The proof").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A document over RAM's size limit.
    #[error("{name} is {size} characters, over the {limit}-character limit")]
    TooLarge {
        /// The document.
        name: String,
        /// Its size in characters.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A document the parser refuses.
    #[error("{name} does not parse: {reason}")]
    Unparsable {
        /// The document.
        name: String,
        /// The parser's message.
        reason: String,
    },
    /// A lint finding at warning or above.
    #[error("{name}: lint {code} ({severity}) at {path}: {message}")]
    Lint {
        /// The document.
        name: String,
        /// The rule's code.
        code: String,
        /// Its severity.
        severity: String,
        /// Where in the document.
        path: String,
        /// The finding.
        message: String,
    },
    /// A request or context the proof could not build.
    #[error("cannot build the proof request {action} {resource}: {reason}")]
    Request {
        /// The action.
        action: String,
        /// The resource.
        resource: String,
        /// Why.
        reason: String,
    },
    /// A context value the proof could not build.
    #[error("proof context: {0}")]
    Context(String),
    /// No value satisfies (or violates) a condition.
    #[error("no witness value for {0}")]
    NoWitness(String),
    /// A key conditioned twice in one statement.
    #[error("key {0} is conditioned twice")]
    ConditionedTwice(String),
    /// An input the documents do not allow.
    #[error("requested {action} on {resource} is {decision} (expected Allow)")]
    NotAllowed {
        /// The action.
        action: String,
        /// The resource.
        resource: String,
        /// The evaluator's decision.
        decision: String,
    },
    /// A decision other than the grants say.
    #[error("{action} on {resource} (context keys: {context}) is {decision}, expected {expected}")]
    Wrong {
        /// The action.
        action: String,
        /// The resource.
        resource: String,
        /// The context's keys, or `none`.
        context: String,
        /// The evaluator's decision.
        decision: String,
        /// `Allow` or `not Allow`.
        expected: &'static str,
    },
}

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
    pub fn from_statement(s: &synth::Statement) -> Self {
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
    if !resource.contains('*') {
        // Nothing to stand in for; a request refuses it or not as it is.
        return resource.to_string();
    }
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

fn satisfying_value(clause: &Clause) -> Option<String> {
    let first = clause.values.first()?;
    match clause.operator {
        Operator::IpAddress => Some(parse_network(first).ok()?.network().to_string()),
        Operator::DateLessThan => {
            let earliest = clause
                .values
                .iter()
                .filter_map(|v| parse_date(v).ok())
                .min()?;
            (earliest - Duration::seconds(1)).format(&Rfc3339).ok()
        }
        Operator::Bool | Operator::StringEquals => Some(first.clone()),
        _ => None,
    }
}

fn violating_value(clause: &Clause) -> Option<String> {
    match clause.operator {
        Operator::IpAddress => {
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
        Operator::Bool => ["true", "false"]
            .into_iter()
            .find(|b| !clause.values.iter().any(|v| v == b))
            .map(str::to_string),
        Operator::StringEquals => (0..)
            .map(|i| format!("ramcheck-near-miss-{i}"))
            .find(|c| !clause.values.contains(c)),
        Operator::DateLessThan => clause
            .values
            .iter()
            .filter_map(|v| parse_date(v).ok())
            .max()
            .and_then(|d| d.format(&Rfc3339).ok()),
        _ => None,
    }
}

fn context_for(spec: &Spec) -> Result<Context, ProofError> {
    let mut context = Context::new();
    for (key, witness) in spec {
        let value = match witness {
            Witness::Satisfies(c) => satisfying_value(c),
            Witness::Violates(c) => violating_value(c),
        }
        .ok_or_else(|| ProofError::NoWitness(key.clone()))?;
        context
            .insert(key, &value)
            .map_err(|e| ProofError::Context(e.to_string()))?;
    }
    // The time `Request::new` would fill in, once per context rather than
    // once per request.
    if !context.contains(CURRENT_TIME) {
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .map_err(|e| ProofError::Context(e.to_string()))?;
        context
            .insert(CURRENT_TIME, &now)
            .map_err(|e| ProofError::Context(e.to_string()))?;
    }
    Ok(context)
}

/// A context in which every clause of `conditions` holds (for proofs
/// outside this module, e.g. `--from-error --into`).
pub(crate) fn satisfying_context(conditions: &ConditionSet) -> Result<Context, ProofError> {
    context_for(&satisfying(conditions))
}

fn satisfying(conditions: &ConditionSet) -> Spec {
    conditions
        .iter()
        .map(|(k, c)| (k.clone(), Witness::Satisfies(c.clone())))
        .collect()
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

/// Whether a pattern is one literal name (no `*` or `?`).
fn literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?'])
}

/// The grants, indexed so that asking what they say about one (action,
/// resource) looks at the grants that can match it, not at all of them.
struct GrantIndex<'g> {
    /// Grants of one literal action on one literal resource, by lower-case
    /// action, then resource (looked up by `&str`, allocating nothing).
    exact: HashMap<String, HashMap<String, Vec<&'g Grant>>>,
    /// Other grants of literal actions, by lower-case action, then by the
    /// literal prefix of each of their resources (a broadened statement
    /// holds hundreds: only those whose prefix begins a resource are tried).
    by_action: HashMap<String, PrefixIndex<'g>>,
    /// Grants with an action pattern.
    patterns: Vec<&'g Grant>,
}

impl<'g> GrantIndex<'g> {
    fn new(grants: &'g [Grant]) -> Self {
        let mut index = GrantIndex {
            exact: HashMap::new(),
            by_action: HashMap::new(),
            patterns: Vec::new(),
        };
        for g in grants {
            if !g.actions.iter().all(|a| literal(a.as_str())) {
                index.patterns.push(g);
                continue;
            }
            for a in &g.actions {
                let action = a.as_str().to_ascii_lowercase();
                match g.resources.as_slice() {
                    [r] if literal(r.as_str()) => index
                        .exact
                        .entry(action)
                        .or_default()
                        .entry(r.as_str().to_string())
                        .or_default()
                        .push(g),
                    _ => {
                        let entry = index.by_action.entry(action).or_default();
                        for (i, r) in g.resources.iter().enumerate() {
                            entry.insert(r.as_str(), g, i);
                        }
                    }
                }
            }
        }
        index
    }

    /// What the grants say about `action` on `resource` in a context built
    /// from `spec`: `Some(true)` allowed, `Some(false)` not, `None` when a
    /// grant's conditions differ from the context's in a way this model
    /// does not decide (then the pair is not checked).
    fn expected(&self, action: &str, resource: &str, spec: &Spec) -> Option<bool> {
        let lower = action.to_ascii_lowercase();
        let exact = self
            .exact
            .get(&lower)
            .and_then(|by_resource| by_resource.get(resource))
            .into_iter()
            .flatten();
        // Candidates: a grant, and the one resource to try (`None`: all).
        let by_action = self
            .by_action
            .get(&lower)
            .into_iter()
            .flat_map(|index| index.candidates(resource))
            .map(|(g, i)| (g, Some(i)));
        let others = exact.chain(self.patterns.iter()).map(|g| (*g, None));
        let mut unknown = false;
        for (g, only) in by_action.chain(others) {
            let resource_matches = match only {
                Some(i) => g.resources[i].matches(resource),
                None => g.resources.iter().any(|r| r.matches(resource)),
            };
            if !resource_matches || !g.actions.iter().any(|a| a.matches(action)) {
                continue;
            }
            match conditions_hold(&g.conditions, spec) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown { None } else { Some(false) }
    }
}

/// Grants by the literal prefix (up to the first wildcard) of one of their
/// resources: a pattern can match a resource only if its prefix begins it.
#[derive(Default)]
struct PrefixIndex<'g> {
    by_prefix: HashMap<&'g str, Vec<(&'g Grant, usize)>>,
    lengths: BTreeSet<usize>,
}

impl<'g> PrefixIndex<'g> {
    fn insert(&mut self, pattern: &'g str, grant: &'g Grant, resource: usize) {
        let prefix = &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())];
        self.by_prefix
            .entry(prefix)
            .or_default()
            .push((grant, resource));
        self.lengths.insert(prefix.len());
    }

    /// The (grant, resource index) pairs whose pattern's prefix begins
    /// `resource`.
    fn candidates<'a>(
        &'a self,
        resource: &'a str,
    ) -> impl Iterator<Item = (&'g Grant, usize)> + 'a {
        self.lengths
            .iter()
            .take_while(move |&&l| l <= resource.len())
            .filter_map(move |&l| resource.get(..l).and_then(|p| self.by_prefix.get(p)))
            .flatten()
            .copied()
    }
}

/// Whether a grant's conditions hold in a context built from `spec`.
fn conditions_hold(conditions: &ConditionSet, spec: &Spec) -> Option<bool> {
    let mut holds = Some(true);
    for (key, clause) in conditions {
        match spec.get(key) {
            Some(Witness::Satisfies(c)) if c == clause => {}
            Some(Witness::Violates(c)) if c == clause => return Some(false),
            None => return Some(false),
            Some(_) => holds = None,
        }
    }
    holds
}

/// The statements of the parsed documents, indexed like the grants, to
/// find which statements allow an input (`--explain`) without trying
/// every statement.
struct StatementIndex<'p> {
    exact: HashMap<(String, String), Vec<Indexed<'p>>>,
    by_action: HashMap<String, Vec<Indexed<'p>>>,
    rest: Vec<Indexed<'p>>,
}

/// A statement with its document and its index in it.
type Indexed<'p> = (usize, usize, &'p Statement);

impl<'p> StatementIndex<'p> {
    fn new(policies: &'p [PolicyRef]) -> Self {
        let mut index = StatementIndex {
            exact: HashMap::new(),
            by_action: HashMap::new(),
            rest: Vec::new(),
        };
        for (d, policy) in policies.iter().enumerate() {
            for (i, s) in policy.statements.iter().enumerate() {
                let entry = (d, i, s);
                let actions: Option<Vec<String>> = (!s.action.negated)
                    .then(|| {
                        s.action
                            .patterns
                            .iter()
                            .map(|p| p.wildcard.as_str())
                            .filter(|a| literal(a))
                            .map(str::to_ascii_lowercase)
                            .collect::<Vec<_>>()
                    })
                    .filter(|a| a.len() == s.action.patterns.len());
                let Some(actions) = actions else {
                    index.rest.push(entry);
                    continue;
                };
                let resources: Option<Vec<&str>> = match &s.resource {
                    Some(r) if !r.negated => r
                        .patterns
                        .iter()
                        .map(|p| p.wildcard.as_str())
                        .map(|r| literal(r).then_some(r))
                        .collect(),
                    _ => None,
                };
                for a in actions {
                    match &resources {
                        Some(resources) => {
                            for r in resources {
                                index
                                    .exact
                                    .entry((a.clone(), r.to_string()))
                                    .or_default()
                                    .push(entry);
                            }
                        }
                        None => index.by_action.entry(a).or_default().push(entry),
                    }
                }
            }
        }
        index
    }

    /// The (document, statement) pairs that apply to `request`, by the
    /// evaluator's own statement check.
    fn applying(&self, request: &Request) -> Vec<(usize, usize)> {
        let action = request.action_lower();
        let exact = self
            .exact
            .get(&(action.to_string(), request.resource().to_string()))
            .into_iter()
            .flatten();
        let by_action = self.by_action.get(action).into_iter().flatten();
        exact
            .chain(by_action)
            .chain(self.rest.iter())
            .filter(|(_, _, s)| statement_applies(s, request))
            .map(|&(d, i, _)| (d, i))
            .collect()
    }
}

/// Parses every document, checks its size and lints it.
fn parse_and_lint(documents: &[Document], limit: usize) -> Result<PolicySet, ProofError> {
    let mut policies = PolicySet::default();
    for d in documents {
        let size = d.text.chars().count();
        if size > limit {
            return Err(ProofError::TooLarge {
                name: d.name.clone(),
                size,
                limit,
            });
        }
        let policy =
            Policy::parse(&d.text, &d.name, &d.name, PolicyKind::Identity).map_err(|e| {
                ProofError::Unparsable {
                    name: d.name.clone(),
                    reason: e.to_string(),
                }
            })?;
        for diag in lint::lint_text(&d.text, PolicyKind::Identity) {
            if diag.rule.severity >= Severity::Warning {
                return Err(ProofError::Lint {
                    name: d.name.clone(),
                    code: diag.rule.code.to_string(),
                    severity: diag.rule.severity.to_string(),
                    path: diag.path.to_string(),
                    message: diag.message.to_string(),
                });
            }
        }
        policies.identity.push(Arc::new(policy));
    }
    Ok(policies)
}

/// The evaluator (compiled: indexed by action, then resource) and the
/// grants it must agree with.
struct Prover<'g> {
    compiled: CompiledPolicySet,
    grants: GrantIndex<'g>,
}

impl Prover<'_> {
    fn request(action: &str, resource: &str, context: Context) -> Result<Request, ProofError> {
        Request::new(action, resource, Principal::AdHoc, context).map_err(|e| ProofError::Request {
            action: action.to_string(),
            resource: resource.to_string(),
            reason: e.to_string(),
        })
    }

    /// `action` on `resource` under `spec` must be allowed exactly when the
    /// grants allow it.
    fn check(
        &self,
        action: &str,
        resource: &str,
        spec: &Spec,
        context: &Context,
    ) -> Result<(), ProofError> {
        let Some(expect) = self.grants.expected(action, resource, spec) else {
            return Ok(());
        };
        let request = Self::request(action, resource, context.clone())?;
        let (decision, _) = self.compiled.decide(&request);
        if decision.is_allowed() != expect {
            let context: Vec<String> = spec.keys().cloned().collect();
            return Err(ProofError::Wrong {
                action: action.to_string(),
                resource: resource.to_string(),
                context: if context.is_empty() {
                    "none".to_string()
                } else {
                    context.join(", ")
                },
                decision: decision.to_string(),
                expected: if expect { "Allow" } else { "not Allow" },
            });
        }
        Ok(())
    }
}

/// Parses, lints and evaluates `documents` against `pairs` (every input,
/// each with its own conditions) and `grants` (what the policy may allow).
///
/// The cost grows with the distinct inputs and the statements, never with
/// their product (docs/generate.md, "The proof"): each decision goes
/// through the compiled evaluator, which looks only at the statements
/// filed under the request's action and resource, and the grants are
/// indexed the same way.
pub fn prove(
    documents: &[Document],
    pairs: &[Pair],
    grants: &[Grant],
    limit: usize,
) -> Result<Coverage, ProofError> {
    let policies = parse_and_lint(documents, limit)?;
    let prover = Prover {
        compiled: CompiledPolicySet::new(&policies),
        grants: GrantIndex::new(grants),
    };
    let statements = StatementIndex::new(&policies.identity);
    let mut coverage = Coverage::new();
    let mut contexts: HashMap<&ConditionSet, (Spec, Context)> = HashMap::new();
    for (i, p) in pairs.iter().enumerate() {
        if !contexts.contains_key(&p.conditions) {
            let spec = satisfying(&p.conditions);
            let context = context_for(&spec)?;
            contexts.insert(&p.conditions, (spec, context));
        }
        let (spec, context) = &contexts[&p.conditions];
        prove_input(&prover, &statements, p, spec, context, i, &mut coverage)?;
        prove_near_misses(&prover, p, spec, context)?;
    }
    prove_statements(&prover, &policies.identity, pairs)?;
    prove_other_actions(&prover, pairs, &policies.identity, &contexts)?;
    for list in coverage.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    Ok(coverage)
}

/// Step 1: An input is allowed under its own context, and each of its
/// conditions matters: the input without it is not allowed (unless the
/// grants say otherwise).
fn prove_input(
    prover: &Prover,
    statements: &StatementIndex,
    p: &Pair,
    spec: &Spec,
    context: &Context,
    i: usize,
    coverage: &mut Coverage,
) -> Result<(), ProofError> {
    let resource = witness_resource(&p.resource);
    let request = Prover::request(&p.action, &resource, context.clone())?;
    let (decision, _) = prover.compiled.decide(&request);
    if !decision.is_allowed() {
        return Err(ProofError::NotAllowed {
            action: p.action.clone(),
            resource: p.resource.clone(),
            decision: decision.to_string(),
        });
    }
    for key in statements.applying(&request) {
        coverage.entry(key).or_default().push(i);
    }
    for (key, clause) in &p.conditions {
        let mut broken = spec.clone();
        broken.insert(key.clone(), Witness::Violates(clause.clone()));
        let Ok(context) = context_for(&broken) else {
            continue; // e.g. IpAddress 0.0.0.0/0 and ::/0: nothing violates it
        };
        prover.check(&p.action, &resource, &broken, &context)?;
    }
    Ok(())
}

/// Step 2: The input's action on resources near its own: another region,
/// account or name, a longer name, a child, and `*`.
fn prove_near_misses(
    prover: &Prover,
    p: &Pair,
    spec: &Spec,
    context: &Context,
) -> Result<(), ProofError> {
    let resource = witness_resource(&p.resource);
    for near in near_resources(&resource)
        .iter()
        .map(String::as_str)
        .chain(["*"])
    {
        prover.check(&p.action, near, spec, context)?;
    }
    Ok(())
}

/// Step 3: Everything a statement of literal actions and resources allows, it
/// allows as the product of its lists; each (action, resource) of that
/// product must be granted. This is where a cross product would show, and
/// for such statements it is complete: nothing else can match them.
/// Wildcard entries are checked as their literal text (what a collapse
/// declared).
fn prove_statements(
    prover: &Prover,
    policies: &[PolicyRef],
    pairs: &[Pair],
) -> Result<(), ProofError> {
    let catalog = Catalog::builtin();
    // The inputs themselves were decided in step 1.
    let mut inputs: HashMap<(&str, &str), Vec<&ConditionSet>> = HashMap::new();
    for p in pairs {
        inputs
            .entry((p.action.as_str(), p.resource.as_str()))
            .or_default()
            .push(&p.conditions);
    }
    for policy in policies {
        for s in &policy.statements {
            let clauses = statement_clauses(s)?;
            let spec = satisfying(&clauses);
            let context = context_for(&spec)?;
            let Some(resources) = &s.resource else {
                continue;
            };
            for a in &s.action.patterns {
                let pattern = a.wildcard.as_str();
                // A pattern stands for the catalogued actions it matches.
                let actions: Vec<&str> = if literal(pattern) {
                    vec![pattern]
                } else {
                    pattern
                        .split_once(':')
                        .and_then(|(code, _)| catalog.service(code))
                        .map(|service| {
                            service
                                .actions
                                .iter()
                                .filter(|info| a.wildcard.matches(&info.action))
                                .map(|info| info.action.as_str())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                for action in actions {
                    for r in &resources.patterns {
                        let asked = inputs
                            .get(&(action, r.wildcard.as_str()))
                            .is_some_and(|sets| sets.contains(&&clauses));
                        if asked {
                            continue;
                        }
                        let resource = witness_resource(r.wildcard.as_str());
                        prover.check(action, &resource, &spec, &context)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A parsed statement's `Condition` as the generator writes it: one
/// operator and key per clause.
fn statement_clauses(s: &Statement) -> Result<ConditionSet, ProofError> {
    let mut set = ConditionSet::new();
    let Some(condition) = &s.condition else {
        return Ok(set);
    };
    for block in &condition.clauses {
        let operator = block.operator.operator;
        for entry in &block.entries {
            let clause = Clause {
                operator,
                values: entry.raw_values.clone(),
            };
            if set.insert(entry.key.clone(), clause).is_some() {
                return Err(ProofError::ConditionedTwice(entry.key.clone()));
            }
        }
    }
    Ok(set)
}

/// Step 4: For each distinct input resource and context, the catalogued
/// actions of its service that fit it and that the documents name (a
/// wrong grouping could add them), and one that they do not name (nothing
/// may allow it). Step 3 already enumerates everything the statements
/// allow as the parser read them; this step asks the evaluator itself, on
/// the real resources. Actions are grouped by ARN template, so each
/// resource is compared with each template once.
fn prove_other_actions(
    prover: &Prover,
    pairs: &[Pair],
    policies: &[PolicyRef],
    contexts: &HashMap<&ConditionSet, (Spec, Context)>,
) -> Result<(), ProofError> {
    let catalog = Catalog::builtin();
    let named = NamedActions::new(policies);
    let mut by_template: HashMap<&str, Vec<(&ActionResource, Vec<&str>)>> = HashMap::new();
    let mut seen: HashSet<(&str, &ConditionSet)> = HashSet::new();
    for p in pairs {
        if !seen.insert((p.resource.as_str(), &p.conditions)) {
            continue;
        }
        let Some(service) = p
            .action
            .split_once(':')
            .and_then(|(code, _)| catalog.service(code))
        else {
            continue;
        };
        let templates = by_template
            .entry(service.ram_code.as_str())
            .or_insert_with(|| actions_by_template(service, &named));
        let (spec, context) = &contexts[&p.conditions];
        let resource = witness_resource(&p.resource);
        for (template, actions) in templates.iter() {
            if fits_resource(template, &p.resource) {
                for action in actions {
                    prover.check(action, &resource, spec, context)?;
                }
            }
        }
    }
    Ok(())
}

/// The actions the documents name: literal ones, and patterns.
struct NamedActions {
    literal: HashSet<String>,
    patterns: Vec<Wildcard>,
}

impl NamedActions {
    fn new(policies: &[PolicyRef]) -> Self {
        let mut named = NamedActions {
            literal: HashSet::new(),
            patterns: Vec::new(),
        };
        for s in policies.iter().flat_map(|p| &p.statements) {
            for a in &s.action.patterns {
                let text = a.wildcard.as_str();
                if literal(text) {
                    named.literal.insert(text.to_ascii_lowercase());
                } else {
                    named.patterns.push(a.wildcard.clone());
                }
            }
        }
        named
    }

    fn contains(&self, action: &str) -> bool {
        self.literal.contains(&action.to_ascii_lowercase())
            || self.patterns.iter().any(|p| p.matches(action))
    }
}

/// A service's actions by the ARN template they are authorised on: those
/// the documents name, and the first one they do not.
fn actions_by_template<'s>(
    service: &'s Service,
    named: &NamedActions,
) -> Vec<(&'s ActionResource, Vec<&'s str>)> {
    let mut out: Vec<(&ActionResource, Vec<&str>, bool)> = Vec::new();
    for info in &service.actions {
        let is_named = named.contains(&info.action);
        for r in &info.resources {
            let slot = match out
                .iter()
                .position(|(t, _, _)| t.arn_template == r.arn_template)
            {
                Some(i) => i,
                None => {
                    out.push((r, Vec::new(), false));
                    out.len() - 1
                }
            };
            let (_, actions, sentinel) = &mut out[slot];
            if is_named {
                actions.push(&info.action);
            } else if !*sentinel {
                actions.push(&info.action);
                *sentinel = true;
            }
        }
    }
    out.into_iter()
        .map(|(t, mut actions, _)| {
            actions.dedup();
            (t, actions)
        })
        .collect()
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
            operator: Operator::IpAddress,
            values: vec!["192.0.2.0/24".into()],
        };
        assert_eq!(satisfying_value(&ip).unwrap(), "192.0.2.0");
        assert_eq!(violating_value(&ip).unwrap(), "203.0.113.77");
        let all = Clause {
            operator: Operator::IpAddress,
            values: vec!["0.0.0.0/0".into(), "::/0".into()],
        };
        assert!(violating_value(&all).is_none());
        // The model reads addresses as the evaluator does: an IPv4 address
        // is in an IPv6 block when its mapped form is (docs/semantics.md,
        // "Request values"), so it never violates ::/1.
        let low_half = Clause {
            operator: Operator::IpAddress,
            values: vec!["::/1".into()],
        };
        assert_eq!(violating_value(&low_half).unwrap(), "ffff:ffff::77");
        let every_v6 = Clause {
            operator: Operator::IpAddress,
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
