//! The evaluator: docs/semantics.md, "Evaluation", step by step.
//!
//! Like Cedar's authorizer, it returns the decision together with the
//! statements that determined it, and for an implicit deny the statements
//! that came closest and the first part of each that did not match: the
//! vocabulary of RAM's `DecodeDiagnosticMessage`.

use std::fmt;

use crate::condition::{ConditionFailure, ConditionOutcome};
use crate::policy::{Effect, PolicyKind, PolicyRef, PrincipalBlock, Statement};
use crate::principal::Principal;
use crate::request::Request;

/// The answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Decision {
    /// An Allow statement matched, and no step denied.
    Allow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Not allowed, and no matching Deny decided: a step that had to allow
    /// found no matching Allow statement.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request is allowed.
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

/// The evaluation step that decided (docs/semantics.md, "Evaluation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Step {
    /// The Resource Directory control policies.
    Control,
    /// The session policy of a role session.
    Session,
    /// The principal's identity policies.
    Identity,
    /// The resource's own policy; for `sts:AssumeRole`, the role's trust policy.
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
    /// The policy's name.
    pub policy: String,
    /// The policy's kind.
    pub kind: PolicyKind,
    /// The file or `builtin:<name>` the policy came from.
    pub file: String,
    /// Index in the policy's `Statement` array, from 0.
    pub statement: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// The statement's `Effect`.
    pub effect: Effect,
    /// The line the statement begins on, counting from 1.
    pub line: u32,
    /// The column the statement begins at, counting characters from 1.
    pub column: u32,
    /// Condition keys whose request value could not be read and which
    /// were taken as matching this Deny (docs/semantics.md, "Conditions", toward denial).
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
    /// The request's action does not match the statement's `Action` (or
    /// `NotAction`).
    Action,
    /// The request's resource does not match the statement's `Resource` (or
    /// `NotResource`).
    Resource,
    /// The statement's `Principal` does not name the caller.
    Principal,
    /// A condition entry did not hold, or the request value could not be read in
    /// its operator's type.
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
    /// The statement; its fields sit directly in the JSON object.
    #[serde(flatten)]
    pub statement: StatementRef,
    /// The first part of the statement that did not match.
    pub failed: Mismatch,
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Response {
    /// The answer.
    pub decision: Decision,
    /// The step that decided (docs/semantics.md, "Evaluation").
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

/// Whether a statement applies to a request, allocating nothing: the one
/// matching rule that both [`evaluate`] and the compiled
/// [`crate::authorizer::Authorizer`] use.
pub fn statement_applies(statement: &Statement, request: &Request) -> bool {
    statement.action.matches_lowercase(request.action_lower())
        && applies_beyond_action(statement, request)
}

/// [`statement_applies`] for a statement whose action is known to match,
/// e.g. found through an action index.
pub fn applies_beyond_action(statement: &Statement, request: &Request) -> bool {
    statement
        .resource
        .as_ref()
        .is_none_or(|r| r.matches(request.resource()))
        && statement
            .principal
            .as_ref()
            .is_none_or(|p| principal_matches(p, request))
        && statement
            .condition
            .as_ref()
            .is_none_or(|c| c.holds(request.context(), statement.effect == Effect::Deny))
}

/// Why a statement does or does not apply, for explanations; agrees with
/// [`statement_applies`] (tested).
fn explain_statement(
    statement: &Statement,
    request: &Request,
) -> Result<Vec<ConditionFailure>, Mismatch> {
    if !statement.action.matches(request.action()) {
        return Err(Mismatch::Action);
    }
    if let Some(resource) = &statement.resource
        && !resource.matches(request.resource())
    {
        return Err(Mismatch::Resource);
    }
    if let Some(principal) = &statement.principal
        && !principal_matches(principal, request)
    {
        return Err(Mismatch::Principal);
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

/// Whether a resource-based statement's `Principal` names the caller
/// (docs/semantics.md, "Resource-based policies and `Principal`").
fn principal_matches(block: &PrincipalBlock, request: &Request) -> bool {
    principal_named(block, request.principal())
        || (!block.service.is_empty()
            && request
                .context()
                .get_lowercase("acs:service")
                .iter()
                .any(|s| block.service.iter().any(|e| e.pattern.matches(s.as_str()))))
}

/// Whether a `Principal` names `caller` itself, leaving aside a call that
/// names a service only through `acs:Service` in its context: the part of
/// [`principal_matches`] that depends on the caller alone (the analysis
/// decides the rest).
pub(crate) fn principal_named(block: &PrincipalBlock, caller: &Principal) -> bool {
    // An identity provider is named by `Federated` entries alone: it is
    // no RAM identity of its account, and not "everyone" of `"RAM": "*"`.
    if let Principal::IdentityProvider { arn, .. } = caller {
        return block.federated.iter().any(|e| e.pattern.matches(arn));
    }
    let ram = block.ram.iter().any(|entry| {
        let v = entry.value.as_str();
        if v == "*" {
            // Everyone: any RAM identity, and a principal known only by
            // its policies; a service is named by `Service` entries.
            return !matches!(caller, Principal::Service { .. });
        }
        let (Some(account), Some(arn)) = (caller.account(), caller.arn()) else {
            return false;
        };
        // An account ID, or acs:ram::<account>:root: any principal of it.
        let root_account = v
            .strip_prefix("acs:ram::")
            .and_then(|rest| rest.strip_suffix(":root"));
        v == account
            || matches!(caller, Principal::User { uid: Some(uid), .. } if v == uid)
            || root_account == Some(account)
            || entry.pattern.matches(arn)
            // A role's sessions are named by the role, or as OSS bucket
            // policies write them, arn:sts::<account>:assumed-role/<role>/<session>.
            || matches!(caller, Principal::RoleSession { role_arn, sts_arn, .. }
                if entry.pattern.matches(role_arn) || entry.pattern.matches(sts_arn))
    });
    // Service entries match only calls made by that service: a service
    // principal, or (in `principal_matches`) a call carrying its name in
    // `acs:Service`.
    let service = match caller {
        Principal::Service { name } => block.service.iter().any(|e| e.pattern.matches(name)),
        _ => false,
    };
    ram || service
}

/// One policy set's verdict (docs/semantics.md, "Evaluation", first paragraph), allocating
/// nothing.
pub fn policies_verdict<'a>(
    policies: impl IntoIterator<Item = &'a PolicyRef>,
    request: &Request,
) -> Decision {
    let mut allowed = false;
    for policy in policies {
        for statement in &policy.statements {
            if statement_applies(statement, request) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Which policy sets a request passes through, and in what order.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    /// Control policies are given: the control step runs first and must allow.
    pub control: bool,
    /// A session policy is given: the session step runs and must allow.
    pub session: bool,
    /// The resource has a policy: the resource step runs beside the identity
    /// step.
    pub resource: bool,
    /// The request is `sts:AssumeRole`: the identity policies and the role's trust
    /// policy must both allow.
    pub assume_role: bool,
    /// The caller is outside RAM: a cloud service (`service/<name>`) or an
    /// identity provider's user (`saml-provider/<name>`). It has no
    /// identity policies, so for `sts:AssumeRole` the trust policy alone
    /// decides.
    pub service_caller: bool,
}

/// Semantics §4: the order of the steps and how their verdicts combine.
/// `verdict` is asked for each step as it is reached, so a step that ends
/// evaluation spares the later ones. Both evaluators decide through here.
pub fn combine_steps(steps: Steps, mut verdict: impl FnMut(Step) -> Decision) -> (Decision, Step) {
    // 1. Control policies, when any apply, must allow.
    if steps.control {
        let v = verdict(Step::Control);
        if v != Decision::Allow {
            return (v, Step::Control);
        }
    }
    // 2. A session policy must allow.
    if steps.session {
        let v = verdict(Step::Session);
        if v != Decision::Allow {
            return (v, Step::Session);
        }
    }
    // 3. Identity together with the resource policy: any explicit deny,
    // then any allow.
    let identity = verdict(Step::Identity);
    if identity == Decision::ExplicitDeny {
        return (identity, Step::Identity);
    }
    let resource = steps.resource.then(|| verdict(Step::Resource));
    if resource == Some(Decision::ExplicitDeny) {
        return (Decision::ExplicitDeny, Step::Resource);
    }
    if steps.assume_role && steps.service_caller {
        // 4. A service or an identity provider's user assuming a role: the
        // trust policy alone.
        return match resource {
            Some(Decision::Allow) => (Decision::Allow, Step::Resource),
            _ => (Decision::ImplicitDeny, Step::Resource),
        };
    }
    if steps.assume_role {
        // 4. sts:AssumeRole needs the caller's identity policies and the
        // role's trust policy.
        return if identity != Decision::Allow {
            (Decision::ImplicitDeny, Step::Identity)
        } else if resource != Some(Decision::Allow) {
            (Decision::ImplicitDeny, Step::Resource)
        } else {
            (Decision::Allow, Step::Resource)
        };
    }
    if identity == Decision::Allow {
        (Decision::Allow, Step::Identity)
    } else if resource == Some(Decision::Allow) {
        (Decision::Allow, Step::Resource)
    } else {
        (Decision::ImplicitDeny, Step::Identity)
    }
}

impl PolicySet {
    /// The steps `request` passes through with these policies.
    pub fn steps(&self, request: &Request) -> Steps {
        Steps {
            control: !self.control.is_empty() && !request.principal().is_service_linked(),
            session: self.session.is_some(),
            resource: self.resource.is_some(),
            assume_role: request.is_assume_role(),
            service_caller: request.principal().is_outside_ram(),
        }
    }

    /// The policies evaluated at `step`.
    pub fn step_policies(&self, step: Step) -> &[PolicyRef] {
        match step {
            Step::Control => &self.control,
            Step::Session => self.session.as_slice(),
            Step::Identity => &self.identity,
            Step::Resource => self.resource.as_slice(),
        }
    }

    /// The decision and its step, without an explanation.
    pub fn decide(&self, request: &Request) -> (Decision, Step) {
        combine_steps(self.steps(request), |step| {
            policies_verdict(self.step_policies(step), request)
        })
    }
}

/// Decides `request` against `policies` (docs/semantics.md, "Evaluation") and explains why.
pub fn evaluate(policies: &PolicySet, request: &Request) -> Response {
    let (decision, step) = policies.decide(request);
    explain(policies, request, decision, step)
}

/// Builds the explanation of a decision already taken by
/// [`combine_steps`]: the deciding statements, or the closest misses.
pub fn explain(
    policies: &PolicySet,
    request: &Request,
    decision: Decision,
    step: Step,
) -> Response {
    // The policies whose statements explain the answer.
    let mut sources: Vec<&PolicyRef> = Vec::new();
    match (decision, step) {
        (Decision::Allow, _) => {
            sources.extend(&policies.identity);
            sources.extend(&policies.resource);
        }
        (Decision::ImplicitDeny, Step::Identity) if !request.is_assume_role() => {
            sources.extend(&policies.identity);
            sources.extend(&policies.resource);
        }
        _ => sources.extend(policies.step_policies(step)),
    }
    let mut statements = Vec::new();
    let mut misses = Vec::new();
    for policy in sources {
        for statement in &policy.statements {
            match explain_statement(statement, request) {
                Ok(unreadable) => {
                    let wanted = match decision {
                        Decision::Allow => statement.effect == Effect::Allow,
                        Decision::ExplicitDeny => statement.effect == Effect::Deny,
                        Decision::ImplicitDeny => false,
                    };
                    if wanted {
                        let mut r = StatementRef::new(policy, statement);
                        r.unreadable = unreadable;
                        statements.push(r);
                    }
                }
                Err(failed) if statement.effect == Effect::Allow => misses.push(ClosestMiss {
                    statement: StatementRef::new(policy, statement),
                    failed,
                }),
                Err(_) => {}
            }
        }
    }
    let mut notes = Vec::new();
    if !policies.control.is_empty() && request.principal().is_service_linked() {
        notes.push("control policies do not apply to a service-linked role".to_string());
    }
    if policies.identity.is_empty() && matches!(step, Step::Identity | Step::Resource) {
        notes.push("the principal has no identity policies".to_string());
    }
    if request.is_assume_role() && policies.resource.is_none() && step == Step::Resource {
        notes.push("sts:AssumeRole needs the role's trust policy, and none was given".into());
    }
    Response {
        decision,
        step,
        statements,
        closest: if decision == Decision::ImplicitDeny {
            closest(misses)
        } else {
            Vec::new()
        },
        notes,
    }
}

fn closest(mut misses: Vec<ClosestMiss>) -> Vec<ClosestMiss> {
    let Some(best) = misses.iter().map(|m| progress(&m.failed)).max() else {
        return misses;
    };
    misses.retain(|m| progress(&m.failed) == best);
    misses.truncate(MAX_CLOSEST);
    misses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyKind};
    use crate::request::Context;
    use std::sync::Arc;

    /// The fast check and the explaining check agree on every statement.
    #[test]
    fn statement_applies_agrees_with_explanation() {
        let text = r#"{"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "imm:Get*", "Resource": "*"},
            {"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*:*:project/a",
             "Condition": {"NumericLessThan": {"imm:n": "3"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NumericLessThan": {"imm:n": "3"}, "StringEquals": {"acs:SourceVpc": "v"}}}]}"#;
        let p = Arc::new(Policy::parse(text, "p", "p", PolicyKind::Identity).unwrap());
        for action in ["imm:GetProject", "oss:GetObject"] {
            for resource in ["*", "acs:imm:cn-hangzhou:1:project/a"] {
                for ctx in [
                    vec![],
                    vec![("imm:n", "1")],
                    vec![("imm:n", "x"), ("acs:SourceVpc", "v")],
                ] {
                    let mut c = Context::new();
                    for (k, v) in ctx {
                        c.insert(k, v).unwrap();
                    }
                    let r = Request::new(action, resource, Principal::AdHoc, c).unwrap();
                    for s in &p.statements {
                        assert_eq!(statement_applies(s, &r), explain_statement(s, &r).is_ok());
                    }
                }
            }
        }
    }
}
