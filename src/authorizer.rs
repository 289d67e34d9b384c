//! The compiled authorizer an API gateway puts in front of a service.
//!
//! It is the core evaluator made fast, not a second engine: every decision
//! goes through [`eval::combine_steps`] (the order of semantics §4) and
//! [`eval::statement_applies`] (the one statement check). What compiling
//! adds is *which* statements are checked: each step's statements are
//! indexed by action (exact names in a hash map, patterns by service, the
//! rest in a short side list), so a decision touches only the statements
//! whose action can match, and allocates nothing. Explanations are built
//! by the core evaluator, only when asked for.
//!
//! ```
//! use ramcheck::authorizer::Authorizer;
//! use ramcheck::request::{Context, Principal, Request};
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

use crate::eval::{self, Decision, PolicySet, Response, Step, Steps};
use crate::policy::{Effect, PolicyRef, Statement};
use crate::request::{Principal, PrincipalKind, Request};
use crate::store::{Store, StoreError, role_in_account};

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

/// One step's policies, flattened and indexed by action.
#[derive(Debug, Default)]
pub struct CompiledPolicies {
    statements: Vec<Statement>,
    /// Full lower-case action (`imm:getproject`) to the statements that
    /// name it literally.
    exact: Map<Candidates>,
    /// Service code (`imm`) to the statements with a pattern on a literal
    /// service (`imm:Get*`).
    by_service: Map<Candidates>,
    /// `*`, `*:Get*` and `NotAction` statements: checked for every action.
    everywhere: Candidates,
}

impl CompiledPolicies {
    pub fn new<'a>(policies: impl IntoIterator<Item = &'a PolicyRef>) -> Self {
        let mut compiled = CompiledPolicies::default();
        for statement in policies.into_iter().flat_map(|p| &p.statements) {
            compiled.add(statement.clone());
        }
        compiled
    }

    fn add(&mut self, statement: Statement) {
        let index = self.statements.len() as u32;
        let effect = statement.effect;
        let checked = Candidate {
            statement: index,
            check_action: true,
        };
        let patterns: Vec<&str> = statement
            .action
            .patterns
            .iter()
            .map(|p| p.wildcard.as_str())
            .collect();
        let service_of = |p: &str| p.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let anywhere = statement.action.negated
            || patterns
                .iter()
                .any(|p| service_of(p).is_none_or(|s| s.contains(['*', '?'])));
        if anywhere {
            self.everywhere.push(effect, checked);
        } else {
            // Each service once: under the service when any of its patterns
            // has a wildcard, else under each exact name.
            let mut services: Vec<String> = patterns.iter().filter_map(|p| service_of(p)).collect();
            services.sort();
            services.dedup();
            for service in services {
                let mine: Vec<&str> = patterns
                    .iter()
                    .copied()
                    .filter(|p| service_of(p).as_deref() == Some(service.as_str()))
                    .collect();
                if mine.iter().any(|p| p.contains(['*', '?'])) {
                    self.by_service
                        .entry(service.into())
                        .or_default()
                        .push(effect, checked);
                } else {
                    let mut names: Vec<String> =
                        mine.iter().map(|p| p.to_ascii_lowercase()).collect();
                    names.sort();
                    names.dedup();
                    for name in names {
                        self.exact.entry(name.into()).or_default().push(
                            effect,
                            Candidate {
                                statement: index,
                                check_action: false,
                            },
                        );
                    }
                }
            }
        }
        self.statements.push(statement);
    }

    /// The step's verdict: any matching Deny, else any matching Allow.
    pub fn verdict(&self, request: &Request) -> Decision {
        let action = request.action_lower();
        let service = action.split_once(':').map_or(action, |(s, _)| s);
        let groups = [
            self.exact.get(action),
            self.by_service.get(service),
            Some(&self.everywhere),
        ];
        let applies = |c: &Candidate| {
            let statement = &self.statements[c.statement as usize];
            if c.check_action {
                eval::statement_applies(statement, request)
            } else {
                eval::applies_beyond_action(statement, request)
            }
        };
        if groups.iter().flatten().any(|g| g.deny.iter().any(applies)) {
            return Decision::ExplicitDeny;
        }
        if groups.iter().flatten().any(|g| g.allow.iter().any(applies)) {
            return Decision::Allow;
        }
        Decision::ImplicitDeny
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
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
            control: self.control.is_some(),
            session: self.session.is_some(),
            resource: resource.is_some(),
            assume_role: request.is_assume_role(),
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
    users: Map<CompiledPolicySet>,
    roles: Map<CompiledPolicySet>,
    trust: Map<Trust>,
}

/// A decision of the [`Authorizer`]. It borrows the authorizer and the
/// request so that [`Authorization::explain`] can say why later, at no
/// cost to decisions that are never explained.
#[derive(Debug, Clone, Copy)]
pub struct Authorization<'a> {
    pub decision: Decision,
    pub step: Step,
    policies: Option<&'a CompiledPolicySet>,
    trust: Option<&'a PolicyRef>,
    request: &'a Request,
}

impl Authorization<'_> {
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
        for (kind, names) in [
            ("user", store.users().collect::<Vec<_>>()),
            ("role", store.roles().collect()),
        ] {
            for name in names {
                // Names come from the store itself, so they resolve.
                let Ok(resolved) = store.resolve(&format!("{kind}/{name}")) else {
                    continue;
                };
                let compiled = compile(&resolved.policies);
                let map = if kind == "user" {
                    &mut authorizer.users
                } else {
                    &mut authorizer.roles
                };
                map.insert(name.into(), compiled);
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

    pub fn account_id(&self) -> &str {
        &self.account
    }

    /// Decides a request of a store principal; allocation-free. A
    /// principal the store does not hold is implicitly denied.
    pub fn authorize<'a>(&'a self, request: &'a Request) -> Authorization<'a> {
        let policies = match request.principal() {
            Principal::Named {
                kind,
                account,
                name,
                ..
            } if *account == self.account => match kind {
                PrincipalKind::User => self.users.get(name.as_str()),
                PrincipalKind::Role => self.roles.get(name.as_str()),
            },
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
    pub fn new(authorizer: Authorizer) -> Self {
        SharedAuthorizer {
            current: ArcSwap::from_pointee(authorizer),
        }
    }

    pub fn from_store(dir: &Path) -> Result<Self, StoreError> {
        Ok(SharedAuthorizer::new(Authorizer::from_store(dir)?))
    }

    /// The authorizer in force; hold the guard for the duration of a
    /// request so that one request sees one store.
    pub fn current(&self) -> Guard<Arc<Authorizer>> {
        self.current.load()
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
