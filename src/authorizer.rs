//! The compiled authorizer an API gateway puts in front of a service.
//!
//! It is the core evaluator made fast, not a second engine: every decision
//! goes through [`eval::combine_steps`] (the order of docs/semantics.md, "Evaluation") and
//! [`eval::statement_applies`] (the one statement check). What compiling
//! adds is *which* statements are checked: each step's statements are
//! indexed by action (exact names in a hash map, patterns by service, the
//! rest in a short side list), so a decision touches only the statements
//! whose action can match, and allocates nothing. Explanations are built
//! by the core evaluator, only when asked for.
//!
//! ```
//! use ramcheck::authorizer::Authorizer;
//! use ramcheck::request::{Context, Request};
//! use ramcheck::principal::Principal;
//!
//! let authorizer = Authorizer::from_store("policies".as_ref())?;
//! let request = Request::new(
//!     "imm:AttachOSSBucket",
//!     "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
//!     Principal::user("1234567890123456", "alice"),
//!     Context::new(),
//! )?;
//! let authorization = authorizer.authorize(&request);
//! assert!(authorization.is_allowed());
//! // Why, computed only now:
//! assert_eq!(authorization.explain().statements[0].policy, "ImmAttachImmtest");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;
use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::arn::{Arn, role_in_account};
use crate::eval::{self, Decision, PolicySet, Response, Step, Steps};
use crate::policy::{Effect, PolicyRef, Statement};
use crate::principal::Principal;
use crate::request::Request;
use crate::store::{Store, StoreError};

/// FNV-1a. Keys are short action and principal names from trusted
/// policies; SipHash's resistance to flooding buys nothing here and costs
/// a third of a decision.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type Map<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;

/// A statement to check, and whether its action still needs checking (it
/// does not when it was found under its exact action name).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    policy: u32,
    statement: u32,
    check_action: bool,
}

/// Candidates split by effect, so that Denies are tried first and the
/// search for an Allow stops at the first match.
#[derive(Debug, Default)]
struct Candidates {
    deny: Vec<Candidate>,
    allow: Vec<Candidate>,
}

impl Candidates {
    fn push(&mut self, effect: Effect, candidate: Candidate) {
        match effect {
            Effect::Deny => self.deny.push(candidate),
            Effect::Allow => self.allow.push(candidate),
        }
    }
}

/// The statements under one action key, indexed by resource.
///
/// Why the index is exact: when a request resource has exactly four `:`
/// (an ARN whose relative id has none), a pattern with four literal `:`
/// before its first wildcard-free relative-id prefix can only match if
/// those colons align with the request's. No `*` or `?` can take a colon
/// then, or the pattern's literal colons would outnumber the request's.
/// So the request's relative id must start with the pattern's literal
/// relative-id prefix, and statements are filed under that prefix.
#[derive(Debug, Default)]
struct ResourceIndex {
    /// Every statement, for resources the index cannot read.
    all: Candidates,
    /// By prefix length, then by the literal relative-id prefix.
    by_prefix: Vec<(usize, Map<Candidates>)>,
    /// Statements without such a prefix on every resource pattern.
    unindexed: Candidates,
}

/// The literal relative-id prefix of a resource pattern, when the pattern
/// has four literal `:` and a non-empty literal start after them.
fn relative_prefix(pattern: &str) -> Option<&str> {
    // Wildcards before the relative id cannot take a `:` here (see above),
    // so they do not matter.
    let arn = Arn::split(pattern)?;
    let relative = arn.relative_id();
    let literal = &relative[..relative.find(['*', '?']).unwrap_or(relative.len())];
    (!literal.is_empty() && !literal.contains(':')).then_some(literal)
}

impl ResourceIndex {
    fn add(&mut self, statement: &Statement, candidate: Candidate) {
        self.all.push(statement.effect, candidate);
        let prefixes: Option<Vec<&str>> = match &statement.resource {
            Some(r) if !r.negated => r
                .patterns
                .iter()
                .map(|p| relative_prefix(p.wildcard.as_str()))
                .collect(),
            _ => None,
        };
        let Some(mut prefixes) = prefixes else {
            self.unindexed.push(statement.effect, candidate);
            return;
        };
        prefixes.sort_unstable();
        prefixes.dedup();
        for prefix in prefixes {
            let slot = match self
                .by_prefix
                .iter()
                .position(|(len, _)| *len == prefix.len())
            {
                Some(i) => i,
                None => {
                    self.by_prefix.push((prefix.len(), Map::default()));
                    self.by_prefix.len() - 1
                }
            };
            self.by_prefix[slot]
                .1
                .entry(prefix.into())
                .or_default()
                .push(statement.effect, candidate);
        }
    }

    /// Adds the candidate lists this request reaches to `hits`; false when
    /// `hits` is full.
    fn collect<'a>(&'a self, request: &Request, hits: &mut Hits<'a>) -> bool {
        let Some(relative) = request.relative_id() else {
            return hits.push(&self.all);
        };
        if !hits.push(&self.unindexed) {
            return false;
        }
        for (len, map) in &self.by_prefix {
            if let Some(found) = relative.get(..*len).and_then(|prefix| map.get(prefix))
                && !hits.push(found)
            {
                return false;
            }
        }
        true
    }
}

/// The candidate lists one request reaches, gathered once so that the
/// Deny pass and the Allow pass share the index lookups. A fixed array:
/// deciding allocates nothing.
struct Hits<'a> {
    len: usize,
    lists: [Option<&'a Candidates>; MAX_HITS],
}

/// More distinct prefix lengths than this under one action key fall back to
/// checking the key's every statement (still exact, only slower).
const MAX_HITS: usize = 16;

impl<'a> Hits<'a> {
    fn new() -> Self {
        Hits {
            len: 0,
            lists: [None; MAX_HITS],
        }
    }

    fn push(&mut self, candidates: &'a Candidates) -> bool {
        if candidates.deny.is_empty() && candidates.allow.is_empty() {
            return true;
        }
        if self.len == MAX_HITS {
            return false;
        }
        self.lists[self.len] = Some(candidates);
        self.len += 1;
        true
    }

    fn iter(&self) -> impl Iterator<Item = &'a Candidates> + '_ {
        self.lists[..self.len].iter().flatten().copied()
    }
}

/// The statements of one service (`imm`).
#[derive(Debug, Default)]
struct ServiceIndex {
    /// Lower-case action name (`getproject`) to the statements naming it
    /// literally.
    exact: Map<ResourceIndex>,
    /// Statements with a pattern on this service (`imm:Get*`).
    patterns: ResourceIndex,
}

/// One step's policies, flattened and indexed by action, then resource.
#[derive(Debug, Default)]
pub struct CompiledPolicies {
    /// The step's policies; candidates point into them, so compiling
    /// copies no statement.
    policies: Vec<PolicyRef>,
    /// Lower-case service code to its statements.
    services: Map<ServiceIndex>,
    /// `*`, `*:Get*` and `NotAction` statements: checked for every action.
    everywhere: ResourceIndex,
}

impl CompiledPolicies {
    /// Compiles one step's policies.
    pub fn new<'a>(policies: impl IntoIterator<Item = &'a PolicyRef>) -> Self {
        let mut compiled = CompiledPolicies {
            policies: policies.into_iter().cloned().collect(),
            ..CompiledPolicies::default()
        };
        let policies = compiled.policies.clone();
        for (p, policy) in policies.iter().enumerate() {
            for (s, statement) in policy.statements.iter().enumerate() {
                compiled.add(p as u32, s as u32, statement);
            }
        }
        compiled
    }

    fn add(&mut self, policy: u32, index: u32, statement: &Statement) {
        let checked = Candidate {
            policy,
            statement: index,
            check_action: true,
        };
        let patterns: Vec<String> = statement
            .action
            .patterns
            .iter()
            .map(|p| p.wildcard.as_str().to_ascii_lowercase())
            .collect();
        let split = |p: &str| {
            p.split_once(':')
                .map(|(s, n)| (s.to_string(), n.to_string()))
        };
        let anywhere = statement.action.negated
            || patterns
                .iter()
                .any(|p| split(p).is_none_or(|(s, _)| s.contains(['*', '?'])));
        if anywhere {
            self.everywhere.add(statement, checked);
        } else {
            // Each service once: under its patterns when any of its
            // patterns has a wildcard, else under each exact name.
            let mut by_service: Vec<(String, String)> =
                patterns.iter().filter_map(|p| split(p)).collect();
            by_service.sort();
            by_service.dedup();
            let mut services: Vec<&str> = by_service.iter().map(|(s, _)| s.as_str()).collect();
            services.dedup();
            for service in services {
                let names: Vec<&str> = by_service
                    .iter()
                    .filter(|(s, _)| s == service)
                    .map(|(_, n)| n.as_str())
                    .collect();
                let bucket = self.services.entry(service.into()).or_default();
                if names.iter().any(|n| n.contains(['*', '?'])) {
                    bucket.patterns.add(statement, checked);
                } else {
                    for name in names {
                        bucket.exact.entry(name.into()).or_default().add(
                            statement,
                            Candidate {
                                policy,
                                statement: index,
                                check_action: false,
                            },
                        );
                    }
                }
            }
        }
    }

    /// The step's verdict: any matching Deny, else any matching Allow.
    pub fn verdict(&self, request: &Request) -> Decision {
        let (service, name) = request.service_and_name_lower();
        let bucket = if self.services.is_empty() {
            None
        } else {
            self.services.get(service)
        };
        let exact = bucket.and_then(|b| {
            if b.exact.is_empty() {
                None
            } else {
                b.exact.get(name)
            }
        });
        let groups = [exact, bucket.map(|b| &b.patterns), Some(&self.everywhere)];
        let mut hits = Hits::new();
        let complete = groups
            .iter()
            .flatten()
            .all(|g| g.collect(request, &mut hits));
        if !complete {
            hits = Hits::new();
            for g in groups.iter().flatten() {
                hits.push(&g.all);
            }
        }
        let applies = |c: &Candidate| {
            let statement = &self.policies[c.policy as usize].statements[c.statement as usize];
            if c.check_action {
                eval::statement_applies(statement, request)
            } else {
                eval::applies_beyond_action(statement, request)
            }
        };
        if hits.iter().any(|c| c.deny.iter().any(applies)) {
            return Decision::ExplicitDeny;
        }
        if hits.iter().any(|c| c.allow.iter().any(applies)) {
            return Decision::Allow;
        }
        Decision::ImplicitDeny
    }
}

/// A [`PolicySet`] compiled for fast decisions.
#[derive(Debug)]
pub struct CompiledPolicySet {
    source: PolicySet,
    control: Option<Arc<CompiledPolicies>>,
    session: Option<CompiledPolicies>,
    identity: CompiledPolicies,
    resource: Option<CompiledPolicies>,
}

impl CompiledPolicySet {
    /// Compiles every step of `set`.
    pub fn new(set: &PolicySet) -> Self {
        let control =
            (!set.control.is_empty()).then(|| Arc::new(CompiledPolicies::new(&set.control)));
        Self::with_control(set, control)
    }

    /// Shares one compiled copy of the control policies between principals.
    fn with_control(set: &PolicySet, control: Option<Arc<CompiledPolicies>>) -> Self {
        CompiledPolicySet {
            source: set.clone(),
            control,
            session: set.session.as_ref().map(|p| CompiledPolicies::new([p])),
            identity: CompiledPolicies::new(&set.identity),
            resource: set.resource.as_ref().map(|p| CompiledPolicies::new([p])),
        }
    }

    /// The decision and its step; equal to [`eval::evaluate`]'s.
    pub fn decide(&self, request: &Request) -> (Decision, Step) {
        self.decide_with(request, self.resource.as_ref())
    }

    fn decide_with(
        &self,
        request: &Request,
        resource: Option<&CompiledPolicies>,
    ) -> (Decision, Step) {
        let steps = Steps {
            control: self.control.is_some() && !request.principal().is_service_linked(),
            session: self.session.is_some(),
            resource: resource.is_some(),
            assume_role: request.is_assume_role(),
            service_caller: request.principal().is_outside_ram(),
        };
        eval::combine_steps(steps, |step| {
            let policies = match step {
                Step::Control => self.control.as_deref(),
                Step::Session => self.session.as_ref(),
                Step::Identity => Some(&self.identity),
                Step::Resource => resource,
            };
            policies.map_or(Decision::ImplicitDeny, |p| p.verdict(request))
        })
    }

    /// The policies this set was compiled from.
    pub fn source(&self) -> &PolicySet {
        &self.source
    }
}

/// A role's trust policy, compiled.
#[derive(Debug)]
struct Trust {
    policy: PolicyRef,
    compiled: CompiledPolicies,
}

/// Every principal of a store, compiled. `Send + Sync`: share it between
/// threads behind an `Arc`, or use [`SharedAuthorizer`] to reload it.
#[derive(Debug)]
pub struct Authorizer {
    account: String,
    revision: String,
    users: Map<CompiledPolicySet>,
    roles: Map<CompiledPolicySet>,
    trust: Map<Trust>,
}

/// A decision of the [`Authorizer`]. It borrows the authorizer and the
/// request so that [`Authorization::explain`] can say why later, at no
/// cost to decisions that are never explained.
#[derive(Debug, Clone, Copy)]
pub struct Authorization<'a> {
    /// The answer.
    pub decision: Decision,
    /// The step that decided (docs/semantics.md, "Evaluation").
    pub step: Step,
    policies: Option<&'a CompiledPolicySet>,
    trust: Option<&'a PolicyRef>,
    request: &'a Request,
}

impl Authorization<'_> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The deciding statements or the closest misses, from the core
    /// evaluator's explanation of this decision.
    pub fn explain(&self) -> Response {
        let mut set = self.policies.map(|p| p.source.clone()).unwrap_or_default();
        if self.request.is_assume_role() {
            set.resource = self.trust.cloned();
        }
        let mut response = eval::explain(&set, self.request, self.decision, self.step);
        if self.policies.is_none() {
            response.notes.push(format!(
                "{} is not a principal of the store",
                self.request.principal()
            ));
        }
        response
    }
}

impl Authorizer {
    /// Loads, validates and compiles a principal store directory.
    pub fn from_store(dir: &Path) -> Result<Authorizer, StoreError> {
        Ok(Authorizer::new(&Store::load(dir)?))
    }

    /// Compiles a loaded store (see also [`Store::from_documents`]).
    pub fn new(store: &Store) -> Authorizer {
        let mut authorizer = Authorizer {
            account: store.account_id().to_string(),
            revision: store.revision().to_string(),
            users: Map::default(),
            roles: Map::default(),
            trust: Map::default(),
        };
        let mut control: Option<Arc<CompiledPolicies>> = None;
        let mut compile = |set: &PolicySet| {
            if control.is_none() && !set.control.is_empty() {
                control = Some(Arc::new(CompiledPolicies::new(&set.control)));
            }
            CompiledPolicySet::with_control(set, control.clone())
        };
        let account = store.account_id();
        for name in store.users() {
            // Names come from the store itself, so they are found.
            if let Some(policies) = store.policies_for(&Principal::user(account, name)) {
                authorizer.users.insert(name.into(), compile(&policies));
            }
        }
        for name in store.roles() {
            if let Some(policies) = store.policies_for(&Principal::role(account, name)) {
                authorizer.roles.insert(name.into(), compile(&policies));
            }
        }
        for role in store.roles() {
            if let Some(policy) = store.trust_policy(role) {
                let compiled = CompiledPolicies::new([&policy]);
                authorizer
                    .trust
                    .insert(role.into(), Trust { policy, compiled });
            }
        }
        authorizer
    }

    /// The account ID of the store it was compiled from.
    pub fn account_id(&self) -> &str {
        &self.account
    }

    /// The revision of the store it was compiled from
    /// ([`Store::revision`]).
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Decides a request of a store principal; allocation-free. A
    /// principal the store does not hold is implicitly denied.
    pub fn authorize<'a>(&'a self, request: &'a Request) -> Authorization<'a> {
        // A role session decides with its role's policies; its session
        // policy, if any, is not the store's to hold.
        let policies = match request.principal() {
            Principal::User { account, name, .. } if *account == self.account => {
                self.users.get(name.as_str())
            }
            Principal::Role { account, name, .. }
            | Principal::RoleSession {
                account,
                role: name,
                ..
            } if *account == self.account => self.roles.get(name.as_str()),
            _ => None,
        };
        let trust = if request.is_assume_role() {
            role_in_account(request.resource(), &self.account).and_then(|r| self.trust.get(r))
        } else {
            None
        };
        let (decision, step) = match policies {
            Some(p) => p.decide_with(request, trust.map(|t| &t.compiled)),
            None => (Decision::ImplicitDeny, Step::Identity),
        };
        Authorization {
            decision,
            step,
            policies,
            trust: trust.map(|t| &t.policy),
            request,
        }
    }
}

/// An [`Authorizer`] that can be replaced while other threads use it.
///
/// [`SharedAuthorizer::reload`] builds and validates the new store fully
/// before swapping it in; if that fails, the old one keeps serving and the
/// error is returned. Readers never block and never see a mix of the two.
pub struct SharedAuthorizer {
    current: ArcSwap<Authorizer>,
}

impl SharedAuthorizer {
    /// Starts with `authorizer` in force.
    pub fn new(authorizer: Authorizer) -> Self {
        SharedAuthorizer {
            current: ArcSwap::from_pointee(authorizer),
        }
    }

    /// Loads, validates and compiles a principal store directory, as
    /// [`Authorizer::from_store`] does.
    pub fn from_store(dir: &Path) -> Result<Self, StoreError> {
        Ok(SharedAuthorizer::new(Authorizer::from_store(dir)?))
    }

    /// The authorizer in force; hold the snapshot for the duration of a
    /// request so that one request sees one store.
    pub fn current(&self) -> Snapshot {
        Snapshot(self.current.load())
    }

    /// Replaces the store with `dir`'s, or keeps the old one on error.
    pub fn reload(&self, dir: &Path) -> Result<(), StoreError> {
        let next = Authorizer::from_store(dir)?;
        self.current.store(Arc::new(next));
        Ok(())
    }

    /// Replaces the store with an already compiled one.
    pub fn replace(&self, authorizer: Authorizer) {
        self.current.store(Arc::new(authorizer));
    }
}

/// The [`Authorizer`] that was in force when [`SharedAuthorizer::current`]
/// was called. It dereferences to the authorizer and keeps that store alive
/// while it is held, even if a reload replaces it meanwhile; holding it is
/// cheap (no allocation, no lock), but drop it at the end of the request so
/// the replaced store can be freed.
pub struct Snapshot(Guard<Arc<Authorizer>>);

impl std::ops::Deref for Snapshot {
    type Target = Authorizer;

    fn deref(&self) -> &Authorizer {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send_sync<T: Send + Sync>() {}

    #[test]
    fn authorizers_are_send_and_sync() {
        is_send_sync::<Authorizer>();
        is_send_sync::<SharedAuthorizer>();
    }
}
