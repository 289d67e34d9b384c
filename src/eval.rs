//! The evaluator: semantics §4, step by step.
//!
//! Like Cedar's authorizer, it returns the decision together with the
//! statements that determined it, and for an implicit deny the statements
//! that came closest and the first part of each that did not match: the
//! vocabulary of RAM's `DecodeDiagnosticMessage`.

use std::fmt;

use crate::condition::{ConditionFailure, ConditionOutcome};
use crate::policy::{Effect, PolicyKind, PolicyRef, PrincipalBlock, Statement};
use crate::request::{Principal, Request};

/// The answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        })
    }
}

/// The evaluation step that decided (semantics §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Step {
    Control,
    Session,
    Identity,
    Resource,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Control => "Control",
            Step::Session => "Session",
            Step::Identity => "Identity",
            Step::Resource => "Resource",
        })
    }
}

/// Every policy that bears on a principal's requests, by step.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Resource Directory control policies; when any are given, the
    /// request must be allowed by them.
    pub control: Vec<PolicyRef>,
    /// Set when the principal is a role session created with a policy.
    pub session: Option<PolicyRef>,
    /// A user's own and its groups' policies, or a role's.
    pub identity: Vec<PolicyRef>,
    /// The resource's own policy (for `sts:AssumeRole`, the role's trust
    /// policy), if it has one.
    pub resource: Option<PolicyRef>,
}

/// A statement named in an answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub kind: PolicyKind,
    /// The file or `builtin:<name>` the policy came from.
    pub file: String,
    /// Index in the policy's `Statement` array, from 0.
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub line: u32,
    pub column: u32,
    /// Condition keys whose request value could not be read and which
    /// were taken as matching this Deny (semantics §3, toward denial).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<ConditionFailure>,
}

impl StatementRef {
    fn new(policy: &PolicyRef, statement: &Statement) -> Self {
        StatementRef {
            policy: policy.name.clone(),
            kind: policy.kind,
            file: policy.origin.clone(),
            statement: statement.index,
            sid: statement.sid.as_ref().map(|(s, _)| s.clone()),
            effect: statement.effect,
            line: statement.span.start.line,
            column: statement.span.start.column,
            unreadable: Vec::new(),
        }
    }
}

/// The first part of a statement that did not match.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "part")]
pub enum Mismatch {
    Action,
    Resource,
    Principal,
    Condition(ConditionFailure),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Action => f.write_str("action does not match"),
            Mismatch::Resource => f.write_str("resource does not match"),
            Mismatch::Principal => f.write_str("principal does not match"),
            Mismatch::Condition(c) => match &c.unreadable_value {
                Some(v) => write!(
                    f,
                    "condition {} on {}: request value {v:?} cannot be read in the operator's type",
                    c.operator, c.key
                ),
                None => write!(f, "condition {} on {} does not hold", c.operator, c.key),
            },
        }
    }
}

/// An Allow statement that did not match, and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClosestMiss {
    #[serde(flatten)]
    pub statement: StatementRef,
    pub failed: Mismatch,
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Response {
    pub decision: Decision,
    pub step: Step,
    /// The statements that decided: the matching Denies for an explicit
    /// deny, the matching Allows of the last step for an allow.
    pub statements: Vec<StatementRef>,
    /// For an implicit deny, the Allow statements of the deciding step that
    /// got furthest, and the part of each that failed.
    pub closest: Vec<ClosestMiss>,
    /// Facts that explain an answer without a statement, e.g. "no policy".
    pub notes: Vec<String>,
}

/// How many near misses an explanation lists at most.
const MAX_CLOSEST: usize = 5;

/// How far a statement got before it failed; higher is closer.
fn progress(m: &Mismatch) -> u8 {
    match m {
        Mismatch::Action => 0,
        Mismatch::Resource => 1,
        Mismatch::Principal => 2,
        Mismatch::Condition(_) => 3,
    }
}

/// Matches one statement against a request.
fn match_statement(
    statement: &Statement,
    request: &Request,
) -> Result<Vec<ConditionFailure>, Mismatch> {
    if !statement.action.matches(request.action()) {
        return Err(Mismatch::Action);
    }
    if let Some(resource) = &statement.resource {
        if !resource.matches(request.resource()) {
            return Err(Mismatch::Resource);
        }
    }
    if let Some(principal) = &statement.principal {
        if !principal_matches(principal, request) {
            return Err(Mismatch::Principal);
        }
    }
    match &statement.condition {
        None => Ok(Vec::new()),
        Some(condition) => {
            match condition.evaluate(request.context(), statement.effect == Effect::Deny) {
                ConditionOutcome::Holds { unreadable } => Ok(unreadable),
                ConditionOutcome::Fails(f) => Err(Mismatch::Condition(f)),
            }
        }
    }
}

/// Semantics §4, "Resource-based policies and `Principal`".
fn principal_matches(block: &PrincipalBlock, request: &Request) -> bool {
    let caller = request.principal();
    let arn = caller.arn();
    let ram = block.ram.iter().any(|entry| {
        let v = entry.value.as_str();
        if v == "*" {
            return true;
        }
        let Principal::Named { account, .. } = caller else {
            return false;
        };
        if v == account || v == format!("acs:ram::{account}:root") {
            return true;
        }
        arn.as_deref().is_some_and(|a| entry.pattern.matches(a))
    });
    // Service entries match only calls made by that service.
    let service = request.context().get("acs:Service").iter().any(|s| {
        block
            .service
            .iter()
            .any(|e| e.value == "*" || e.pattern.matches(s))
    });
    // Federated sessions are not modelled, so `Federated` entries match no
    // request (fail closed; README "Semantics").
    ram || service
}

/// One policy set's verdict (semantics §4, first paragraph).
struct StepResult {
    decision: Decision,
    denies: Vec<StatementRef>,
    allows: Vec<StatementRef>,
    misses: Vec<ClosestMiss>,
}

fn evaluate_policies<'a>(
    policies: impl IntoIterator<Item = &'a PolicyRef>,
    request: &Request,
) -> StepResult {
    let mut result = StepResult {
        decision: Decision::ImplicitDeny,
        denies: Vec::new(),
        allows: Vec::new(),
        misses: Vec::new(),
    };
    for policy in policies {
        for statement in &policy.statements {
            match match_statement(statement, request) {
                Ok(unreadable) => {
                    let mut r = StatementRef::new(policy, statement);
                    r.unreadable = unreadable;
                    match statement.effect {
                        Effect::Deny => result.denies.push(r),
                        Effect::Allow => result.allows.push(r),
                    }
                }
                Err(failed) if statement.effect == Effect::Allow => {
                    result.misses.push(ClosestMiss {
                        statement: StatementRef::new(policy, statement),
                        failed,
                    });
                }
                Err(_) => {}
            }
        }
    }
    result.decision = if !result.denies.is_empty() {
        Decision::ExplicitDeny
    } else if !result.allows.is_empty() {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    result
}

fn closest(mut misses: Vec<ClosestMiss>) -> Vec<ClosestMiss> {
    let Some(best) = misses.iter().map(|m| progress(&m.failed)).max() else {
        return misses;
    };
    misses.retain(|m| progress(&m.failed) == best);
    misses.truncate(MAX_CLOSEST);
    misses
}

fn denied(step: Step, result: StepResult, notes: Vec<String>) -> Response {
    match result.decision {
        Decision::ExplicitDeny => Response {
            decision: Decision::ExplicitDeny,
            step,
            statements: result.denies,
            closest: Vec::new(),
            notes,
        },
        _ => Response {
            decision: Decision::ImplicitDeny,
            step,
            statements: Vec::new(),
            closest: closest(result.misses),
            notes,
        },
    }
}

/// Decides `request` against `policies` (semantics §4).
pub fn evaluate(policies: &PolicySet, request: &Request) -> Response {
    // 1. Control policies, when any apply, must allow.
    if !policies.control.is_empty() {
        let result = evaluate_policies(&policies.control, request);
        if result.decision != Decision::Allow {
            return denied(Step::Control, result, Vec::new());
        }
    }
    // 2. A session policy must allow.
    if let Some(session) = &policies.session {
        let result = evaluate_policies([session], request);
        if result.decision != Decision::Allow {
            return denied(Step::Session, result, Vec::new());
        }
    }
    // 3. Identity together with the resource policy.
    let identity = evaluate_policies(&policies.identity, request);
    let mut resource = policies
        .resource
        .as_ref()
        .map(|p| evaluate_policies([p], request));
    let mut notes = Vec::new();
    if policies.identity.is_empty() {
        notes.push("the principal has no identity policies".to_string());
    }

    // Any explicit deny, identity first.
    if identity.decision == Decision::ExplicitDeny {
        return denied(Step::Identity, identity, notes);
    }
    if let Some(r) = resource.take_if(|r| r.decision == Decision::ExplicitDeny) {
        return denied(Step::Resource, r, notes);
    }

    if request.is_assume_role() {
        // 4. Both the caller's identity policies and the trust policy.
        if identity.decision != Decision::Allow {
            return denied(Step::Identity, identity, notes);
        }
        let Some(trust) = resource else {
            notes.push("sts:AssumeRole needs the role's trust policy, and none was given".into());
            return Response {
                decision: Decision::ImplicitDeny,
                step: Step::Resource,
                statements: Vec::new(),
                closest: Vec::new(),
                notes,
            };
        };
        if trust.decision != Decision::Allow {
            return denied(Step::Resource, trust, notes);
        }
        let mut statements = identity.allows;
        statements.extend(trust.allows);
        return Response {
            decision: Decision::Allow,
            step: Step::Resource,
            statements,
            closest: Vec::new(),
            notes,
        };
    }

    // Otherwise an Allow from either grants access.
    let resource_allows = resource
        .as_ref()
        .is_some_and(|r| r.decision == Decision::Allow);
    if identity.decision == Decision::Allow || resource_allows {
        let step = if identity.decision == Decision::Allow {
            Step::Identity
        } else {
            Step::Resource
        };
        let mut statements = identity.allows;
        if let Some(r) = resource {
            statements.extend(r.allows);
        }
        return Response {
            decision: Decision::Allow,
            step,
            statements,
            closest: Vec::new(),
            notes,
        };
    }
    let mut misses = identity.misses;
    if let Some(r) = resource {
        misses.extend(r.misses);
    }
    Response {
        decision: Decision::ImplicitDeny,
        step: Step::Identity,
        statements: Vec::new(),
        closest: closest(misses),
        notes,
    }
}
