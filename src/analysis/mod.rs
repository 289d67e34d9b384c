//! Exact policy analysis: `ramcheck diff`, `check`, `who-can` and
//! `can-i --list` (docs/analysis.md).
//!
//! Every question is "is there a request such that …", over RAM's whole
//! language (docs/semantics.md): wildcard actions and resources, `Not`
//! forms, every condition operator with `IfExists`, `ForAnyValue` and
//! `ForAllValues`, `Null`, missing and multi-valued keys, and the
//! evaluation steps. The engine ([`engine`]) cuts each dimension of the
//! request into finitely many classes that no statement tells apart
//! ([`lang`] for wildcard patterns, [`domain`] for condition values) and
//! searches the product exactly. An answer is one of:
//!
//! - **yes**, with witness requests: each is re-checked with the concrete
//!   evaluator ([`crate::eval::evaluate`]) before it is returned, and a
//!   witness that does not check is [`AnalysisError::WitnessFailed`]
//!   (exit 3), a bug, never printed;
//! - **no**, proved by an exhausted search;
//! - **undecided**, when a documented budget ([`lang::MAX_STATES`],
//!   [`lang::MAX_WORK`], [`lang::MAX_CELLS`], [`MAX_COMPARISONS`],
//!   [`engine::MAX_NODES`], [`engine::MAX_STEPS`],
//!   [`engine::MAX_QUESTION_STEPS`]; docs/analysis.md, "Limits") is
//!   exceeded or a condition key is compared as two kinds of value; never
//!   a guess.

pub(crate) mod bits;
pub(crate) mod domain;
pub mod engine;
pub mod lang;
mod list;
pub mod render;
mod witness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::eval::{self, Decision, PolicySet, StatementRef};
use crate::policy::{Effect, Policy, PolicyKind, PolicyRef};
use crate::principal::Principal;
use crate::request::RequestError;
use crate::store::{Store, StoreError};
use crate::wildcard::{Case, Wildcard};

use engine::{Budget, Extra, F, Lit, Search, Space, Undecided};

pub use domain::MAX_COMPARISONS;
pub use list::{Grant, GrantList, list};
pub use render::Format;

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A policy file or store could not be loaded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request given on the command line is invalid.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The question is malformed.
    #[error("{0}")]
    Usage(String),
    /// A witness the engine found did not check with the evaluator: a bug
    /// in ramcheck (exit 3).
    #[error("internal error: a witness request did not check with the evaluator: {0}")]
    WitnessFailed(String),
}

impl AnalysisError {
    /// The exit status: 2 for errors, 3 for a failed witness.
    pub fn exit_code(&self) -> u8 {
        match self {
            AnalysisError::WitnessFailed(_) => 3,
            _ => 2,
        }
    }
}

/// The answer of `diff` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing found, and the search was complete.
    Pass,
    /// At least one witness, checked.
    Fail,
    /// No witness, and some search ran out of budget.
    Unknown,
}

impl Verdict {
    /// `diff` and `check` exit statuses: 0, 1, 4.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::Unknown => 4,
        }
    }
}

/// A statement named by a witness.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementLoc {
    /// The file (or `builtin:<name>`) of the policy.
    pub file: String,
    /// The policy's name.
    pub policy: String,
    /// The statement's index, from 0.
    pub index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<String>,
    /// The line it starts on.
    pub line: u32,
    /// The column it starts at.
    pub column: u32,
}

impl From<&StatementRef> for StatementLoc {
    fn from(s: &StatementRef) -> Self {
        StatementLoc {
            file: s.file.clone(),
            policy: s.policy.clone(),
            index: s.statement,
            sid: s.sid.clone(),
            line: s.line,
            column: s.column,
        }
    }
}

/// A concrete request the analysis found, checked with the evaluator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Witness {
    /// The caller, when the question has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// The context keys it needs, each with its values.
    pub context: BTreeMap<String, Vec<String>>,
    /// The statements that allow it (of NEW, for `diff`).
    pub statements: Vec<StatementLoc>,
    /// One sentence saying what differs.
    pub description: String,
}

/// The answer of `diff`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiffReport {
    /// Pass, fail or unknown.
    pub result: Verdict,
    /// Requests NEW allows and OLD does not.
    pub new_access: Vec<Witness>,
    /// With `--both`: requests OLD allows and NEW does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_access: Option<Vec<Witness>>,
    /// Why some question was not decided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

/// Options of `diff`.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The kind to read both files as; `None` recognizes it from the
    /// document.
    pub kind: Option<PolicyKind>,
    /// Also report removed access.
    pub both: bool,
    /// The most witnesses reported per direction.
    pub max: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            kind: None,
            both: false,
            max: 20,
        }
    }
}

/// Reads a policy file as `kind`, or as the kind its document shows. The
/// file is read once, so `-` (standard input) works too.
pub fn load_policy(path: &Path, kind: Option<PolicyKind>) -> Result<PolicyRef, AnalysisError> {
    let source = crate::store::PolicySource::read(path)?;
    let kind = kind.unwrap_or_else(|| {
        crate::json::parse(&source.text)
            .map(|root| PolicyKind::recognize(&root))
            .unwrap_or(PolicyKind::Identity)
    });
    Ok(source.parse(kind).map_err(StoreError::from)?)
}

/// The origin of [`allow_all`]: never a granting statement of a witness.
pub(crate) const ASSUMED: &str = "(assumed)";

/// An identity policy allowing everything: stands for the caller's own
/// policies when a trust policy is analysed alone.
fn allow_all() -> PolicyRef {
    let text =
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    Arc::new(
        Policy::parse(
            text,
            "(caller's identity policies)",
            "(assumed)",
            PolicyKind::Identity,
        )
        .unwrap_or_else(|_| Policy {
            name: String::new(),
            origin: String::new(),
            kind: PolicyKind::Identity,
            version_span: Default::default(),
            statements: Vec::new(),
            statement_is_object: false,
            size: 0,
        }),
    )
}

/// The policy set in which one document, analysed alone, decides.
fn standalone(policy: &PolicyRef, caller: &Principal) -> PolicySet {
    match policy.kind {
        PolicyKind::Trust => PolicySet {
            identity: if caller.is_outside_ram() {
                Vec::new()
            } else {
                vec![allow_all()]
            },
            resource: Some(policy.clone()),
            ..PolicySet::default()
        },
        PolicyKind::Resource => PolicySet {
            resource: Some(policy.clone()),
            ..PolicySet::default()
        },
        _ => PolicySet {
            identity: vec![policy.clone()],
            ..PolicySet::default()
        },
    }
}

/// One side of a comparison: the caller and its policies.
struct Side<'a> {
    set: &'a PolicySet,
    label: &'a str,
}

fn all_policies(sets: &[&PolicySet]) -> Vec<PolicyRef> {
    let mut out = Vec::new();
    for s in sets {
        out.extend(s.control.iter().cloned());
        out.extend(s.session.iter().cloned());
        out.extend(s.identity.iter().cloned());
        out.extend(s.resource.iter().cloned());
    }
    out
}

/// Requests `new` allows and `old` does not, for one caller. Returns the
/// witnesses (at most `max`) and the reasons of any undecided search.
fn new_access(
    old: Side<'_>,
    new: Side<'_>,
    caller: &Principal,
    max: usize,
    witnesses: &mut Vec<Witness>,
    undecided: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<(), AnalysisError> {
    let policies = all_policies(&[old.set, new.set]);
    if let Err(Undecided(reason)) = budget.check() {
        undecided.push(reason);
        return Ok(());
    }
    let space = match Space::build(&policies, Some(caller), &Extra::default()) {
        Ok(s) => s,
        Err(Undecided(reason)) => {
            budget.spend_failed_build();
            undecided.push(reason);
            return Ok(());
        }
    };
    let gained = F::and(vec![space.allowed(new.set), space.not_allowed(old.set)]);
    let granting: Vec<u32> = new
        .set
        .identity
        .iter()
        .chain(new.set.resource.iter())
        .filter(|p| p.origin != ASSUMED)
        .flat_map(|p| space.policy_stmts(p))
        .filter(|(_, e)| *e == Effect::Allow)
        .map(|(id, _)| id)
        .collect();
    let mut search = match budget.search(&space) {
        Ok(s) => s,
        Err(Undecided(reason)) => {
            undecided.push(reason);
            return Ok(());
        }
    };
    let result = new_access_search(
        &space,
        &mut search,
        &policies,
        &gained,
        granting,
        (&old, &new),
        caller,
        max,
        witnesses,
        undecided,
    );
    budget.spend(&space, &search);
    result
}

#[allow(clippy::too_many_arguments)]
fn new_access_search(
    space: &Space,
    search: &mut Search<'_>,
    policies: &[PolicyRef],
    gained: &F,
    granting: Vec<u32>,
    (old, new): (&Side<'_>, &Side<'_>),
    caller: &Principal,
    max: usize,
    witnesses: &mut Vec<Witness>,
    undecided: &mut Vec<String>,
) -> Result<(), AnalysisError> {
    let mut found = 0;
    for id in granting {
        if found >= max {
            break;
        }
        let goal = F::and(vec![F::Match(id), gained.clone()]);
        match search.find(space.full_cube(), goal) {
            Ok(Some(cube)) => {
                let w = witness::build(space, &cube, caller, policies, &[])?;
                let old_r = eval::evaluate(old.set, &w.request);
                let new_r = eval::evaluate(new.set, &w.request);
                if !new_r.decision.is_allowed() || old_r.decision.is_allowed() {
                    return Err(AnalysisError::WitnessFailed(format!(
                        "{} on {}: {} {}, {} {}",
                        w.request.action(),
                        w.request.resource(),
                        new.label,
                        new_r.decision,
                        old.label,
                        old_r.decision
                    )));
                }
                if witnesses.iter().any(|x| {
                    x.action == w.request.action()
                        && x.resource == w.request.resource()
                        && x.principal.as_deref() == principal_label(caller).as_deref()
                }) {
                    continue;
                }
                let before = match old_r.decision {
                    Decision::ExplicitDeny => format!(
                        "{} denies it explicitly ({})",
                        old.label,
                        old_r
                            .statements
                            .first()
                            .map(render::describe)
                            .unwrap_or_default()
                    ),
                    _ => format!("{} does not allow it", old.label),
                };
                let description = format!(
                    "{} allows {} on {}{}{}; {before}",
                    new.label,
                    w.request.action(),
                    w.request.resource(),
                    w.context_phrase(),
                    principal_label(caller)
                        .map(|p| format!(" for {p}"))
                        .unwrap_or_default()
                );
                witnesses.push(w.into_witness(
                    principal_label(caller),
                    &new_r.statements,
                    description,
                ));
                found += 1;
            }
            Ok(None) => {}
            Err(Undecided(reason)) => undecided.push(reason),
        }
    }
    Ok(())
}

fn principal_label(p: &Principal) -> Option<String> {
    match p {
        Principal::AdHoc => None,
        other => Some(other.to_string()),
    }
}

/// The callers a trust or resource-based policy can tell apart: every
/// principal its entries name, one of each kind from each account they
/// name and from an account they do not, the services they name, and an
/// ad-hoc principal. Complete for entries without wildcards; a wildcard
/// entry (other than `*`) makes the question undecided.
fn callers(policies: &[PolicyRef]) -> Result<Vec<Principal>, Undecided> {
    let mut accounts: Vec<String> = Vec::new();
    let mut out: Vec<Principal> = vec![Principal::AdHoc];
    let mut services: Vec<String> = Vec::new();
    let mut any_principal = false;
    for p in policies {
        for s in &p.statements {
            let Some(block) = &s.principal else { continue };
            any_principal = true;
            for e in &block.ram {
                let v = e.value.as_str();
                if v == "*" {
                    continue;
                }
                if v.contains(['*', '?']) {
                    return Err(Undecided(format!(
                        "the Principal entry {v:?} holds a wildcard; only exact entries and \"*\" are analysed"
                    )));
                }
                if v.bytes().all(|b| b.is_ascii_digit()) {
                    accounts.push(v.to_string());
                    continue;
                }
                if let Ok(principal) = Principal::parse(v, "") {
                    if let Some(a) = principal.account() {
                        accounts.push(a.to_string());
                    }
                    if let Principal::Role { account, name, .. } = &principal {
                        out.push(Principal::role_session(account, name, "ramcheck-session"));
                    }
                    out.push(principal);
                }
            }
            for e in &block.service {
                if e.value.contains(['*', '?']) {
                    return Err(Undecided(format!(
                        "the Service entry {:?} holds a wildcard; only exact entries are analysed",
                        e.value
                    )));
                }
                services.push(e.value.clone());
            }
        }
    }
    if !any_principal {
        return Ok(out);
    }
    accounts.push(OUTSIDER_ACCOUNT.to_string());
    accounts.sort();
    accounts.dedup();
    principal_arn_callers(policies, &accounts, &mut out)?;
    for a in &accounts {
        out.push(Principal::user(a, "ramcheck-user"));
        out.push(Principal::role(a, "ramcheck-role"));
        out.push(Principal::role_session(
            a,
            "ramcheck-role",
            "ramcheck-session",
        ));
        out.push(Principal::account_root(a));
    }
    services.push("ramcheck.aliyuncs.com".to_string());
    services.sort();
    services.dedup();
    out.extend(services.iter().map(|s| Principal::service(s)));
    Ok(out)
}

/// The callers that `acs:PrincipalARN` conditions name. RAM fills the key
/// from the caller (docs/semantics.md, "Request context RAM fills"), so a
/// condition `StringEquals acs:PrincipalARN acs:ram::<account>:user/x` is
/// met by user x of that account alone: it must be among the callers, or a
/// grant to it is never found. A value whose account is `*` names that
/// principal in every account of the question; a value with a wildcard
/// anywhere else (in the account beyond `*`, or in the name) makes the
/// question undecided, as for `Principal` entries (docs/analysis.md,
/// "Limits").
fn principal_arn_callers(
    policies: &[PolicyRef],
    accounts: &[String],
    out: &mut Vec<Principal>,
) -> Result<(), Undecided> {
    for p in policies {
        for s in &p.statements {
            let Some(cond) = &s.condition else { continue };
            for clause in &cond.clauses {
                for entry in &clause.entries {
                    if entry.key_lower != "acs:principalarn" {
                        continue;
                    }
                    for v in &entry.raw_values {
                        principal_arn_value(v, accounts, out)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn principal_arn_value(
    value: &str,
    accounts: &[String],
    out: &mut Vec<Principal>,
) -> Result<(), Undecided> {
    let parts: Vec<&str> = value.splitn(5, ':').collect();
    let [_, service, _, account, relative] = parts[..] else {
        // Not an ARN: no caller's acs:PrincipalARN is this value.
        return Ok(());
    };
    let wild = |t: &str| t.contains(['*', '?']);
    let undecided = || {
        Undecided(format!(
            "the acs:PrincipalARN value {value:?} holds a wildcard in its account or name;              only exact values, or `*` as the account, are analysed"
        ))
    };
    if wild(relative) || (wild(account) && account != "*") {
        return Err(undecided());
    }
    if wild(service) && service != "*" {
        return Err(undecided());
    }
    let named: Vec<&str> = if account == "*" {
        accounts.iter().map(String::as_str).collect()
    } else {
        vec![account]
    };
    for a in named {
        if let Some(name) = relative.strip_prefix("user/") {
            out.push(Principal::user(a, name));
        } else if let Some(name) = relative.strip_prefix("role/") {
            out.push(Principal::role(a, name));
            out.push(Principal::role_session(a, name, "ramcheck-session"));
        } else if relative == "root" {
            out.push(Principal::account_root(a));
        }
    }
    Ok(())
}

/// An account no policy of the question names.
const OUTSIDER_ACCOUNT: &str = "9999999999999999";

/// `ramcheck diff OLD NEW` on two policy files.
pub fn diff_files(
    old: &Path,
    new: &Path,
    options: &DiffOptions,
) -> Result<DiffReport, AnalysisError> {
    let old_p = load_policy(old, options.kind)?;
    let new_p = load_policy(new, options.kind.or(Some(old_p.kind)))?;
    diff_policies(&old_p, &new_p, options)
}

/// No-new-access check of one policy document against another, read as
/// the same kind.
pub fn diff_policies(
    old: &PolicyRef,
    new: &PolicyRef,
    options: &DiffOptions,
) -> Result<DiffReport, AnalysisError> {
    let both = [old.clone(), new.clone()];
    let mut undecided = Vec::new();
    let callers = match callers(&both) {
        Ok(c) => c,
        Err(Undecided(r)) => {
            undecided.push(r);
            Vec::new()
        }
    };
    let run = |from: &PolicyRef, to: &PolicyRef, undecided: &mut Vec<String>| {
        let mut out = Vec::new();
        let mut budget = Budget::question();
        for caller in &callers {
            let (a, b) = (standalone(from, caller), standalone(to, caller));
            new_access(
                Side {
                    set: &a,
                    label: "OLD",
                },
                Side {
                    set: &b,
                    label: "NEW",
                },
                caller,
                options.max.saturating_sub(out.len()),
                &mut out,
                undecided,
                &mut budget,
            )?;
        }
        Ok::<_, AnalysisError>(out)
    };
    let new_access = run(old, new, &mut undecided)?;
    let removed = if options.both {
        let mut r = Vec::new();
        let mut budget = Budget::question();
        for caller in &callers {
            let (a, b) = (standalone(new, caller), standalone(old, caller));
            new_access_into(
                &a,
                &b,
                caller,
                options.max,
                &mut r,
                &mut undecided,
                &mut budget,
            )?;
        }
        Some(r)
    } else {
        None
    };
    Ok(report(new_access, removed, undecided))
}

fn new_access_into(
    new_set: &PolicySet,
    old_set: &PolicySet,
    caller: &Principal,
    max: usize,
    out: &mut Vec<Witness>,
    undecided: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<(), AnalysisError> {
    // Removed access: what OLD allows and NEW does not, described from
    // OLD's side.
    new_access(
        Side {
            set: new_set,
            label: "NEW",
        },
        Side {
            set: old_set,
            label: "OLD",
        },
        caller,
        max.saturating_sub(out.len()),
        out,
        undecided,
        budget,
    )
}

fn report(
    new_access: Vec<Witness>,
    removed: Option<Vec<Witness>>,
    undecided: Vec<String>,
) -> DiffReport {
    let result = if !new_access.is_empty() {
        Verdict::Fail
    } else if !undecided.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Pass
    };
    DiffReport {
        result,
        new_access,
        removed_access: removed,
        undecided,
    }
}

/// `ramcheck diff OLD_DIR NEW_DIR`: per principal of either store (users
/// with their groups, roles), requests the new store allows and the old
/// does not, `sts:AssumeRole` decided with the role's trust policy of each
/// store.
pub fn diff_stores(
    old: &Path,
    new: &Path,
    options: &DiffOptions,
) -> Result<DiffReport, AnalysisError> {
    let old_s = Store::load(old)?;
    let new_s = Store::load(new)?;
    let mut principals: Vec<String> = Vec::new();
    for s in [&old_s, &new_s] {
        principals.extend(s.users().map(|u| format!("user/{u}")));
        principals.extend(s.roles().map(|r| format!("role/{r}")));
    }
    principals.dedup();
    let mut seen = std::collections::HashSet::new();
    principals.retain(|p| seen.insert(p.clone()));
    let mut undecided = Vec::new();
    let mut gained = Vec::new();
    let mut removed = options.both.then(Vec::new);
    let empty = PolicySet::default();
    let (mut gained_budget, mut removed_budget) = (Budget::question(), Budget::question());
    for spec in &principals {
        let old_set = old_s.resolve(spec).ok();
        let new_set = new_s.resolve(spec).ok();
        let caller = match (&old_set, &new_set) {
            (_, Some(r)) | (Some(r), None) => r.principal.clone(),
            (None, None) => continue,
        };
        let old_ps = old_set.as_ref().map_or(&empty, |r| &r.policies);
        let new_ps = new_set.as_ref().map_or(&empty, |r| &r.policies);
        // sts:AssumeRole on each store role: with that role's trust policy.
        for (a, b) in assume_role_sides(&old_s, &new_s, old_ps, new_ps) {
            new_access(
                Side {
                    set: &a,
                    label: "OLD",
                },
                Side {
                    set: &b,
                    label: "NEW",
                },
                &caller,
                options.max.saturating_sub(gained.len()),
                &mut gained,
                &mut undecided,
                &mut gained_budget,
            )?;
            if let Some(r) = removed.as_mut() {
                let max = options.max.saturating_sub(r.len());
                new_access(
                    Side {
                        set: &b,
                        label: "NEW",
                    },
                    Side {
                        set: &a,
                        label: "OLD",
                    },
                    &caller,
                    max,
                    r,
                    &mut undecided,
                    &mut removed_budget,
                )?;
            }
        }
    }
    Ok(report(gained, removed, undecided))
}

/// The policy sets to compare for one principal: without a resource
/// policy (every action but `sts:AssumeRole` on a store role), and once per
/// role whose trust policy differs, with it.
fn assume_role_sides(
    old_s: &Store,
    new_s: &Store,
    old_ps: &PolicySet,
    new_ps: &PolicySet,
) -> Vec<(PolicySet, PolicySet)> {
    let mut out = vec![(old_ps.clone(), new_ps.clone())];
    let mut roles: Vec<String> = old_s
        .roles()
        .chain(new_s.roles())
        .map(String::from)
        .collect();
    roles.sort();
    roles.dedup();
    for role in roles {
        let (ot, nt) = (old_s.trust_policy(&role), new_s.trust_policy(&role));
        if ot.is_none() && nt.is_none() {
            continue;
        }
        let mut a = old_ps.clone();
        a.resource = ot;
        let mut b = new_ps.clone();
        b.resource = nt;
        out.push((a, b));
    }
    out
}

/// One `--not-granted` question: an action pattern and a resource
/// pattern.
#[derive(Debug, Clone)]
pub struct NotGranted {
    /// The action pattern, e.g. `ram:*`.
    pub action: String,
    /// The resource pattern, `*` when not given.
    pub resource: String,
}

impl NotGranted {
    /// Reads `"<ACTION> [<RESOURCE>]"`.
    pub fn parse(text: &str) -> Result<NotGranted, AnalysisError> {
        let mut parts = text.split_whitespace();
        let action = parts.next().unwrap_or_default().to_string();
        let resource = parts.next().unwrap_or("*").to_string();
        if parts.next().is_some() {
            return Err(AnalysisError::Usage(format!(
                "--not-granted {text:?}: expected \"<ACTION> [<RESOURCE>]\""
            )));
        }
        crate::policy::validate_action_pattern(&action).map_err(|e| {
            AnalysisError::Usage(format!("--not-granted {text:?}: invalid action: {e}"))
        })?;
        crate::arn::validate_pattern(&resource).map_err(|e| {
            AnalysisError::Usage(format!("--not-granted {text:?}: invalid resource: {e}"))
        })?;
        Ok(NotGranted { action, resource })
    }
}

/// What `check` asks of a policy.
#[derive(Debug, Clone)]
pub enum CheckQuestion {
    /// No request matching these is allowed.
    NotGranted(Vec<NotGranted>),
    /// No caller outside the accounts the policy names is allowed, unless
    /// a condition restricts where the call comes from.
    NoPublicAccess,
}

/// The answer of `check`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    /// Pass, fail or unknown.
    pub result: Verdict,
    /// Requests that break the rule, checked.
    pub violations: Vec<Witness>,
    /// Why some question was not decided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

/// Keys that restrict where a call comes from: a public grant narrowed by
/// one is not public. They are taken as absent for an outsider.
pub const RESTRICTING_KEYS: &[&str] = &["acs:sourceip", "acs:sourcevpc", "acs:service"];

/// `ramcheck check`.
pub fn check(
    policy: &PolicyRef,
    question: &CheckQuestion,
    max: usize,
) -> Result<CheckReport, AnalysisError> {
    let mut violations = Vec::new();
    let mut undecided = Vec::new();
    let mut budget = Budget::question();
    match question {
        CheckQuestion::NotGranted(list) => {
            for q in list {
                let extra = Extra {
                    actions: vec![q.action.clone()],
                    resources: vec![q.resource.clone()],
                };
                let callers = match callers(std::slice::from_ref(policy)) {
                    Ok(c) => c,
                    Err(Undecided(r)) => {
                        undecided.push(r);
                        continue;
                    }
                };
                for caller in &callers {
                    let set = standalone(policy, caller);
                    if let Err(Undecided(r)) = budget.check() {
                        undecided.push(r);
                        break;
                    }
                    let space = match Space::build(&all_policies(&[&set]), Some(caller), &extra) {
                        Ok(s) => s,
                        Err(Undecided(r)) => {
                            budget.spend_failed_build();
                            undecided.push(r);
                            continue;
                        }
                    };
                    let region = F::and(vec![
                        F::Lit(Lit::Action(
                            space.actions.matching(&space.extra_actions, false),
                        )),
                        F::Lit(Lit::Resource(
                            space.resources.matching(&space.extra_resources, false),
                        )),
                    ]);
                    let a = Wildcard::new(&q.action, Case::Insensitive);
                    let r = Wildcard::new(&q.resource, Case::Sensitive);
                    let prefer = [q.action.clone()];
                    let found = find_allowed(
                        &space,
                        &set,
                        caller,
                        region,
                        max.saturating_sub(violations.len()),
                        &prefer,
                        &mut undecided,
                        &mut budget,
                    )?;
                    for (w, resp) in found {
                        if !a.matches(w.request.action()) || !r.matches(w.request.resource()) {
                            return Err(AnalysisError::WitnessFailed(format!(
                                "{} on {} is outside --not-granted {} {}",
                                w.request.action(),
                                w.request.resource(),
                                q.action,
                                q.resource
                            )));
                        }
                        let description = format!(
                            "{} allows {} on {}{}{}, which --not-granted \"{} {}\" forbids",
                            policy.name,
                            w.request.action(),
                            w.request.resource(),
                            w.context_phrase(),
                            principal_label(caller)
                                .map(|p| format!(" for {p}"))
                                .unwrap_or_default(),
                            q.action,
                            q.resource
                        );
                        if !violations.iter().any(|v: &Witness| {
                            v.action == w.request.action() && v.resource == w.request.resource()
                        }) {
                            violations.push(w.into_witness(
                                principal_label(caller),
                                &resp.statements,
                                description,
                            ));
                        }
                    }
                }
            }
        }
        CheckQuestion::NoPublicAccess => {
            if !policy.kind.has_principal() {
                return Err(AnalysisError::Usage(format!(
                    "--no-public-access applies to trust and resource-based policies; {} was read as {} (use --kind trust or --kind resource)",
                    policy.origin, policy.kind
                )));
            }
            let outsiders = [
                Principal::AdHoc,
                Principal::user(OUTSIDER_ACCOUNT, "ramcheck-user"),
                Principal::role_session(OUTSIDER_ACCOUNT, "ramcheck-role", "ramcheck-session"),
                Principal::account_root(OUTSIDER_ACCOUNT),
            ];
            for caller in &outsiders {
                let set = standalone(policy, caller);
                if let Err(Undecided(r)) = budget.check() {
                    undecided.push(r);
                    break;
                }
                let space =
                    match Space::build(&all_policies(&[&set]), Some(caller), &Extra::default()) {
                        Ok(s) => s,
                        Err(Undecided(r)) => {
                            budget.spend_failed_build();
                            undecided.push(r);
                            continue;
                        }
                    };
                let n = |k: usize| space.keys[k].len();
                let restrict = F::and(
                    RESTRICTING_KEYS
                        .iter()
                        .filter_map(|k| space.key(k))
                        .map(|k| F::Lit(Lit::Key(k, engine_absent(n(k)))))
                        .collect(),
                );
                let found = find_allowed(
                    &space,
                    &set,
                    caller,
                    restrict,
                    max.saturating_sub(violations.len()),
                    &[],
                    &mut undecided,
                    &mut budget,
                )?;
                for (w, resp) in found {
                    let description = format!(
                        "{} allows {} on {} to {}, a caller from an account it does not name{}",
                        policy.name,
                        w.request.action(),
                        w.request.resource(),
                        caller,
                        w.context_phrase()
                    );
                    if !violations.iter().any(|v: &Witness| {
                        v.action == w.request.action() && v.resource == w.request.resource()
                    }) {
                        violations.push(w.into_witness(
                            principal_label(caller),
                            &resp.statements,
                            description,
                        ));
                    }
                }
            }
        }
    }
    let result = if !violations.is_empty() {
        Verdict::Fail
    } else if !undecided.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Pass
    };
    Ok(CheckReport {
        result,
        violations,
        undecided,
    })
}

fn engine_absent(n: usize) -> engine::KeyForm {
    engine::KeyForm {
        absent: true,
        present: false,
        all: bits::Bits::full(n),
        exists: Vec::new(),
    }
}

/// Requests inside `region` that `set` allows, one per granting
/// statement, each checked with the evaluator.
#[allow(clippy::too_many_arguments)]
fn find_allowed(
    space: &Space,
    set: &PolicySet,
    caller: &Principal,
    region: F,
    max: usize,
    prefer_actions: &[String],
    undecided: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<Vec<(witness::Found, eval::Response)>, AnalysisError> {
    let allowed = space.allowed(set);
    let granting: Vec<u32> = set
        .identity
        .iter()
        .chain(set.resource.iter())
        .filter(|p| p.origin != ASSUMED)
        .flat_map(|p| space.policy_stmts(p))
        .filter(|(_, e)| *e == Effect::Allow)
        .map(|(id, _)| id)
        .collect();
    let policies = all_policies(&[set]);
    let mut search = match budget.search(space) {
        Ok(s) => s,
        Err(Undecided(r)) => {
            undecided.push(r);
            return Ok(Vec::new());
        }
    };
    let mut out: Vec<(witness::Found, eval::Response)> = Vec::new();
    let result = (|| {
        for id in granting {
            if out.len() >= max {
                break;
            }
            let goal = F::and(vec![F::Match(id), region.clone(), allowed.clone()]);
            match search.find(space.full_cube(), goal) {
                Ok(Some(cube)) => {
                    let w = witness::build(space, &cube, caller, &policies, prefer_actions)?;
                    let resp = eval::evaluate(set, &w.request);
                    if !resp.decision.is_allowed() {
                        return Err(AnalysisError::WitnessFailed(format!(
                            "{} on {}: {}",
                            w.request.action(),
                            w.request.resource(),
                            resp.decision
                        )));
                    }
                    if out.iter().any(|(x, _)| {
                        x.request.action() == w.request.action()
                            && x.request.resource() == w.request.resource()
                    }) {
                        continue;
                    }
                    out.push((w, resp));
                }
                Ok(None) => {}
                Err(Undecided(r)) => undecided.push(r),
            }
        }
        Ok(())
    })();
    budget.spend(space, &search);
    result.map(|()| out)
}

/// One principal `who-can` lists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WhoCanEntry {
    /// `user/alice`, `role/x`, `service/ecs.aliyuncs.com`.
    pub principal: String,
    /// `Allow`: allowed with the context given; `ConditionalAllow`: allowed
    /// when the request also carries the `witness_context`; `Deny`: not
    /// allowed (listed with `--all`).
    pub decision: String,
    /// The conditions of the allowing statements, as written.
    pub conditions: Vec<String>,
    /// The statements that allow it.
    pub via: Vec<Via>,
    /// For a conditional allow, context that makes it allowed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub witness_context: BTreeMap<String, Vec<String>>,
}

/// A statement that allows a `who-can` answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Via {
    /// The policy's name.
    pub policy: String,
    /// The statement's index, from 0.
    pub statement: usize,
    /// The statement's `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The answer of `who-can`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WhoCanReport {
    /// The action asked about.
    pub action: String,
    /// The resource asked about.
    pub resource: String,
    /// Every principal allowed, or allowed under conditions.
    pub principals: Vec<WhoCanEntry>,
    /// Principals whose question was not decided, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

/// `ramcheck who-can ACTION RESOURCE`.
pub fn who_can(
    store_dir: &Path,
    action: &str,
    resource: &str,
    context: &[String],
    all: bool,
) -> Result<WhoCanReport, AnalysisError> {
    let store = Store::load(store_dir)?;
    let mut given = crate::request::Context::new();
    for entry in context {
        given.insert_pair(entry)?;
    }
    // The request must be valid as asked.
    crate::request::Request::new(action, resource, Principal::AdHoc, given.clone())?;
    let mut callers: Vec<(String, Principal, PolicySet)> = Vec::new();
    for u in store.users() {
        let spec = format!("user/{u}");
        let r = store.resolve(&spec)?;
        callers.push((spec, r.principal, r.policies));
    }
    for role in store.roles() {
        let spec = format!("role/{role}");
        let r = store.resolve(&spec)?;
        callers.push((spec, r.principal, r.policies));
    }
    let assume_role = action.eq_ignore_ascii_case("sts:AssumeRole");
    let trust = if assume_role {
        store.trust_policy_for(resource)
    } else {
        None
    };
    if let Some(t) = &trust {
        // A set, not a scan of the list per entry: a trust policy of tens
        // of thousands of Service entries made this quadratic.
        let mut named: std::collections::HashSet<String> =
            callers.iter().map(|(_, p, _)| p.to_string()).collect();
        for s in &t.statements {
            if let Some(block) = &s.principal {
                for e in &block.service {
                    if !e.value.contains(['*', '?']) {
                        let p = Principal::service(&e.value);
                        if named.insert(p.to_string()) {
                            callers.push((p.to_string(), p, PolicySet::default()));
                        }
                    }
                }
            }
        }
    }
    let mut principals = Vec::new();
    let mut undecided = Vec::new();
    // One budget for the whole store: a store of thousands of roles
    // shares it (docs/analysis.md, "Limits").
    let mut budget = Budget::question();
    let mut concrete = Budget::question();
    for (spec, principal, mut set) in callers {
        set.resource = trust.clone();
        // The concrete evaluations (up to three per principal) have a
        // budget of their own: each costs about the size of the
        // principal's policies, and the callers a trust policy names grow
        // with that policy, so together they would grow with its square
        // (docs/analysis.md, "Limits"). Their own, so that a principal
        // whose question exhausted the engine's budget does not keep the
        // others from a plain Allow.
        if let Err(Undecided(r)) = concrete.charge(3 * evaluation_cost(&set)) {
            undecided.push(format!("{spec}: {r}"));
            continue;
        }
        match witness::who(&set, &principal, action, resource, &given, &mut budget) {
            Ok(Some(entry)) => principals.push(WhoCanEntry {
                principal: spec,
                ..entry
            }),
            Ok(None) => {
                if all {
                    principals.push(WhoCanEntry {
                        principal: spec,
                        decision: "Deny".into(),
                        conditions: Vec::new(),
                        via: Vec::new(),
                        witness_context: BTreeMap::new(),
                    });
                }
            }
            Err(witness::WhoError::Undecided(r)) => undecided.push(format!("{spec}: {r}")),
            Err(witness::WhoError::Analysis(e)) => return Err(e),
        }
    }
    Ok(WhoCanReport {
        action: action.to_string(),
        resource: resource.to_string(),
        principals,
        undecided,
    })
}

/// About the work of one concrete evaluation of `set`: its statements,
/// patterns, principal entries and condition values.
fn evaluation_cost(set: &PolicySet) -> u64 {
    all_policies(&[set])
        .iter()
        .flat_map(|p| p.statements.iter())
        .map(|s| {
            let principal = s
                .principal
                .as_ref()
                .map_or(0, |b| b.ram.len() + b.service.len() + b.federated.len());
            let condition = s.condition.as_ref().map_or(0, |c| {
                c.clauses
                    .iter()
                    .flat_map(|cl| cl.entries.iter())
                    .map(|e| e.raw_values.len() + 1)
                    .sum()
            });
            let resource = s.resource.as_ref().map_or(0, |r| r.patterns.len());
            (1 + s.action.patterns.len() + resource + principal + condition) as u64
        })
        .sum()
}

impl WhoCanReport {
    /// 0 when someone can, 4 when nobody is shown to and some principal's
    /// question was undecided (never "nobody" on a guess, docs/analysis.md),
    /// 1 when nobody can.
    pub fn exit_code(&self) -> u8 {
        if self.principals.iter().any(|p| p.decision != "Deny") {
            0
        } else if !self.undecided.is_empty() {
            4
        } else {
            1
        }
    }
}

/// Where the policies of a path come from, for `diff`.
pub fn is_store_dir(path: &Path) -> bool {
    path.is_dir() && path.join("principals.json").is_file()
}

/// Paths given to `diff`.
#[derive(Debug, Clone)]
pub struct DiffPaths {
    /// OLD.
    pub old: PathBuf,
    /// NEW.
    pub new: PathBuf,
}

/// `ramcheck diff`: two files, or two store directories.
pub fn diff(paths: &DiffPaths, options: &DiffOptions) -> Result<DiffReport, AnalysisError> {
    match (is_store_dir(&paths.old), is_store_dir(&paths.new)) {
        (true, true) => diff_stores(&paths.old, &paths.new, options),
        (false, false) => diff_files(&paths.old, &paths.new, options),
        _ => Err(AnalysisError::Usage(
            "diff compares two policy files or two store directories (with principals.json), not one of each".into(),
        )),
    }
}

/// Statements (by position) whose every request is matched by the union of
/// other statements of the same effect that are not themselves inside it,
/// with those statements; for lint's RC604. Bounded: documents with more
/// than [`UNION_COVER_MAX_STATEMENTS`] statements, or questions past a
/// small search budget, are left out (no finding).
pub(crate) fn covered_by_union(policy: &Policy) -> Vec<Option<Vec<usize>>> {
    let n = policy.statements.len();
    let mut out = vec![None; n];
    if !(3..=UNION_COVER_MAX_STATEMENTS).contains(&n) {
        return out;
    }
    let p: PolicyRef = Arc::new(policy.clone());
    let Ok(space) = Space::build(std::slice::from_ref(&p), None, &Extra::default()) else {
        return out;
    };
    let mut search = Search::with_limit(&space, 2_000);
    let id = |i: usize| space.stmt_id(&p, i);
    // inside[i][j]: statement i's requests are all statement j's.
    let mut inside = vec![vec![None; n]; n];
    for (i, row) in inside.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let same = policy.statements[i].effect == policy.statements[j].effect;
            if i == j || !same {
                continue;
            }
            let (Some(a), Some(b)) = (id(i), id(j)) else {
                continue;
            };
            *cell = match search.find(space.full_cube(), F::and(vec![F::Match(a), F::NotMatch(b)]))
            {
                Ok(found) => Some(found.is_none()),
                Err(_) => None,
            };
        }
    }
    for j in 0..n {
        let Some(b) = id(j) else { continue };
        // Covered by one other statement alone: the single-statement check
        // reports it (or RC601, for two that cover each other).
        if (0..n).any(|i| inside[j][i] == Some(true)) {
            continue;
        }
        let others: Vec<usize> = (0..n)
            .filter(|&i| {
                i != j
                    && policy.statements[i].effect == policy.statements[j].effect
                    && inside[i][j] == Some(false)
            })
            .collect();
        if others.len() < 2 {
            continue;
        }
        let mut goal = vec![F::Match(b)];
        goal.extend(others.iter().filter_map(|&i| id(i)).map(F::NotMatch));
        if let Ok(None) = search.find(space.full_cube(), F::and(goal)) {
            // Name the statements that meet it.
            let meeting: Vec<usize> = others
                .into_iter()
                .filter(|&i| {
                    id(i).is_some_and(|a| {
                        matches!(
                            search.find(space.full_cube(), F::and(vec![F::Match(a), F::Match(b)])),
                            Ok(Some(_))
                        )
                    })
                })
                .collect();
            out[j] = Some(meeting);
        }
    }
    out
}

/// The most statements a document may have for RC604's union check.
pub const UNION_COVER_MAX_STATEMENTS: usize = 64;
