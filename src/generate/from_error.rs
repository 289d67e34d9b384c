//! `generate --from-error`: from a denial to the smallest statement that
//! allows the denied call, proven like every generated policy.
//!
//! Three inputs are read, all with the crate's strict JSON reader:
//! - RAM's error response as the SDKs, the CLI and the API return it: a JSON
//!   body with `Code` `NoPermission` (or `Forbidden.RAM`, `NotAuthorized`,
//!   the other codes RAM's troubleshooting page lists for OpenAPI access)
//!   and `AccessDeniedDetail` (`AuthAction`, `AuthPrincipalType`,
//!   `AuthPrincipalOwnerId`, `AuthPrincipalDisplayName`, `PolicyType`,
//!   `NoPermissionType`, `EncodedDiagnosticMessage`); the body may be
//!   wrapped in an SDK exception's `data` or `Data`, or in `can-i --format
//!   json`'s `no_permission`;
//! - the answer of RAM's `DecodeDiagnosticMessage` (its
//!   `DecodedDiagnosticMessage` names the resource, `AuthResource`);
//! - a failed ActionTrail event (`errorCode` one of those codes), whose
//!   request parameters are the call.
//!
//! The encoded diagnostic message is encrypted by RAM, so the resource of a
//! plain error body comes from the call (`--api`, `--param`, `--region`,
//! `--account`, as for `can-i --api`) or from `--resource`. Sources and the
//! decision rules are in docs/generate.md, "From a denial".

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::analysis::{self, DiffOptions, Witness};
use crate::api_call::ApiCall;
use crate::eval::{Decision, PolicySet, evaluate};
use crate::input::{ReadError, display_name, read_limited};
use crate::json::{self, Node, Position, Value};
use crate::lint::{self, Severity};
use crate::policy::{Policy, PolicyKind};
use crate::principal::Principal;
use crate::request::{Context, Request};

use super::actiontrail::{self, Filter, Tally};
use super::conditions;
use super::intent::{self, scalar_text};
use super::synth::Pair;
use super::{DEFAULT_NAME, GenerateError, Generated, Options, proof::Document};

/// The largest error response read: far above any real one.
const MAX_ERROR_BYTES: u64 = 1024 * 1024;

/// The error codes of a RAM permission denial in OpenAPI access (RAM, "How
/// do I troubleshoot an access denied error?").
const DENIAL_CODES: &[&str] = &["NoPermission", "Forbidden.RAM", "NotAuthorized"];

/// Why `generate --from-error` printed no policy.
#[derive(Debug, thiserror::Error)]
pub enum FromErrorError {
    /// The denial or a flag cannot be used (exit status 2), with the place in
    /// the file where there is one.
    #[error("{}", placed(file.as_deref(), position.as_ref(), message))]
    Input {
        /// What is wrong.
        message: String,
        /// The file, as named (`<stdin>` for `-`).
        file: Option<String>,
        /// Where in the file.
        position: Option<Position>,
    },
    /// The file cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The `--into` policy cannot be read or parsed.
    #[error(transparent)]
    Policy(#[from] crate::store::StoreError),
    /// No Allow in an identity policy can make the call succeed: an explicit
    /// deny, or a policy type an identity policy does not change (exit
    /// status 1).
    #[error("{0}")]
    NotFixable(String),
    /// Synthesis or its proof failed.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The `--into` merge failed its own proof: a bug (exit status 3).
    #[error(
        "internal error: the merged policy failed its check and was not printed: {0} \
         (this is a bug in ramcheck; please report it with the input)"
    )]
    Check(String),
}

impl FromErrorError {
    /// The CLI's exit status: 1 when no Allow helps, 2 for bad input, 3 for
    /// a failed proof.
    pub fn exit_code(&self) -> u8 {
        match self {
            FromErrorError::NotFixable(_) => 1,
            FromErrorError::Generate(e) => e.exit_code(),
            FromErrorError::Check(_) => 3,
            _ => 2,
        }
    }
}

fn placed(file: Option<&str>, position: Option<&Position>, message: &str) -> String {
    match (file, position) {
        (Some(f), Some(p)) => format!("{f}:{}:{}: {message}", p.line, p.column),
        (Some(f), None) => format!("{f}: {message}"),
        _ => message.to_string(),
    }
}

fn usage(message: impl Into<String>) -> FromErrorError {
    FromErrorError::Input {
        message: message.into(),
        file: None,
        position: None,
    }
}

/// RAM's policy types, as `AccessDeniedDetail.PolicyType` and
/// `DecodeDiagnosticMessage`'s `NoPermissionPolicyType` name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyType {
    /// `ControlPolicy`: a Resource Directory control policy.
    Control,
    /// `SessionPolicy`: the policy passed when the role was assumed.
    Session,
    /// `AccountLevelIdentityBasedPolicy`.
    AccountIdentity,
    /// `ResourceGroupLevelIdentityBasedPolicy`.
    ResourceGroupIdentity,
    /// `IdentityBasedPolicy` (some services' spelling).
    Identity,
    /// `AssumeRolePolicy`: the role's trust policy.
    AssumeRole,
    /// `ResourceBasedPolicy`, e.g. an OSS bucket policy.
    Resource,
    /// A value ramcheck does not know.
    Other(String),
}

impl PolicyType {
    /// Reads RAM's value.
    pub fn parse(text: &str) -> PolicyType {
        match text {
            "ControlPolicy" => PolicyType::Control,
            "SessionPolicy" => PolicyType::Session,
            "AccountLevelIdentityBasedPolicy" => PolicyType::AccountIdentity,
            "ResourceGroupLevelIdentityBasedPolicy" => PolicyType::ResourceGroupIdentity,
            "IdentityBasedPolicy" => PolicyType::Identity,
            "AssumeRolePolicy" => PolicyType::AssumeRole,
            "ResourceBasedPolicy" => PolicyType::Resource,
            other => PolicyType::Other(other.to_string()),
        }
    }

    /// What the type is, for messages.
    pub fn describe(&self) -> String {
        match self {
            PolicyType::Control => "a control policy (Resource Directory)".into(),
            PolicyType::Session => "the session policy given when the role was assumed".into(),
            PolicyType::AccountIdentity => {
                "an identity policy attached at the account level (to the user, its groups, \
                 or the role)"
                    .into()
            }
            PolicyType::ResourceGroupIdentity => {
                "an identity policy attached at the resource-group level".into()
            }
            PolicyType::Identity => "an identity policy".into(),
            PolicyType::AssumeRole => "the role's trust policy".into(),
            PolicyType::Resource => "a resource-based policy (such as an OSS bucket policy)".into(),
            PolicyType::Other(t) => format!("policy type {t:?} (not one ramcheck knows)"),
        }
    }
}

/// A denial as read from the input.
#[derive(Debug, Clone, Default)]
pub struct Denial {
    /// `Code`, or the event's `errorCode`.
    pub code: String,
    /// `AuthAction`: the action RAM checked.
    pub action: Option<String>,
    /// `AuthResource` of a decoded diagnostic message.
    pub resource: Option<String>,
    /// `AuthPrincipalType`: `SubUser`, `AssumedRoleUser`, `Federated`.
    pub principal_type: Option<String>,
    /// `AuthPrincipalDisplayName`.
    pub principal: Option<String>,
    /// `AuthPrincipalOwnerId`.
    pub owner: Option<String>,
    /// `PolicyType` / `NoPermissionPolicyType`.
    pub policy_type: Option<PolicyType>,
    /// `NoPermissionType` `ExplicitDeny` / `ExplicitDeny: true`; `None` when
    /// the input does not say (an ActionTrail event).
    pub explicit: Option<bool>,
    /// Whether the body carries an `EncodedDiagnosticMessage`.
    pub encoded: bool,
    /// For an ActionTrail event: the action and resources its call needed.
    pub event: Option<(String, Vec<String>)>,
    /// For an ActionTrail event that could not be mapped: why.
    pub unmapped: Option<String>,
    /// Where it was read: `file:line`.
    pub origin: String,
}

struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn at(&self, node: &Node, message: String) -> FromErrorError {
        FromErrorError::Input {
            message,
            file: Some(self.file.to_string()),
            position: Some(node.span.start),
        }
    }

    /// A member that must be a string when present.
    fn string(&self, object: &Node, key: &str) -> Result<Option<String>, FromErrorError> {
        match object.get(key) {
            None => Ok(None),
            Some(m) => match &m.value.value {
                Value::String(s) if s.trim().is_empty() => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                Value::Null => Ok(None),
                other => Err(self.at(
                    &m.value,
                    format!("{key} must be a string, not {}", other.type_name()),
                )),
            },
        }
    }
}

/// OSS's XML error response (oss_error.rs) as a denial.
fn read_oss_denial(text: &str, file: &str) -> Result<Denial, FromErrorError> {
    let at = |message: String, position: Position| FromErrorError::Input {
        message,
        file: Some(file.to_string()),
        position: Some(position),
    };
    let e = super::oss_error::parse(text).map_err(|e| at(e.message, e.position))?;
    let start = Position {
        line: 1,
        column: 1,
        offset: 0,
    };
    let code = e.fields.get("Code").map(|(c, _)| c.as_str()).unwrap_or("");
    if code != "AccessDenied" {
        return Err(at(
            format!("OSS error Code {code:?} is not AccessDenied: nothing a policy can fix"),
            e.fields.get("Code").map_or(start, |(_, p)| *p),
        ));
    }
    let Some(detail) = &e.detail else {
        return Err(at(
            format!(
                "OSS AccessDenied without <AccessDeniedDetail> (EC {}) is not a RAM policy \
                 denial: check the signature, the bucket's ACL and Block Public Access",
                e.fields.get("EC").map_or("?", |(c, _)| c.as_str())
            ),
            start,
        ));
    };
    let get = |key: &str| {
        detail
            .get(key)
            .map(|(v, _)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let explicit = match detail.get("NoPermissionType") {
        None => None,
        Some((t, _)) if t == "ExplicitDeny" => Some(true),
        Some((t, _)) if t == "ImplicitDeny" => Some(false),
        Some((t, p)) => {
            return Err(at(
                format!("NoPermissionType {t:?}: expected ExplicitDeny or ImplicitDeny"),
                *p,
            ));
        }
    };
    Ok(Denial {
        code: code.to_string(),
        action: get("AuthAction"),
        principal_type: get("AuthPrincipalType"),
        principal: get("AuthPrincipalDisplayName"),
        owner: get("AuthPrincipalOwnerId"),
        policy_type: get("PolicyType").map(|t| PolicyType::parse(&t)),
        explicit,
        encoded: get("EncodedDiagnosticMessage").is_some(),
        origin: format!("{file}:1"),
        ..Denial::default()
    })
}

/// Reads a denial from the text of `file`: RAM's JSON body, a
/// DecodeDiagnosticMessage answer, an ActionTrail event, or OSS's XML
/// error response.
pub fn read_denial(text: &str, file: &str) -> Result<Denial, FromErrorError> {
    if super::oss_error::is_xml(text) {
        return read_oss_denial(text, file);
    }
    let root = json::parse(text).map_err(|e| FromErrorError::Input {
        message: format!(
            "not JSON ({}): expected RAM's error response body, the answer of \
             DecodeDiagnosticMessage, or an ActionTrail event",
            e.kind
        ),
        file: Some(file.to_string()),
        position: Some(e.position),
    })?;
    let reader = Reader { file };
    let origin = |node: &Node| format!("{file}:{}", node.span.start.line);
    let mut node = &root;
    // An ActionTrail delivery file is an array; one event is wanted.
    if let Value::Array(items) = &root.value {
        match items.as_slice() {
            [one] => node = one,
            _ => {
                return Err(reader.at(
                    &root,
                    format!(
                        "an array of {} records: give one error response or one event",
                        items.len()
                    ),
                ));
            }
        }
    }
    if node.as_object().is_none() {
        return Err(reader.at(
            node,
            format!(
                "expected a JSON object (an error response or an event), not {}",
                node.value.type_name()
            ),
        ));
    }
    if actiontrail::is_event_record(node) {
        return read_event(node, &reader, origin(node));
    }
    // Unwrap an SDK exception's `data`, or `can-i --format json`.
    for wrapper in ["no_permission", "data", "Data"] {
        if node.get("Code").is_none()
            && node.get("DecodedDiagnosticMessage").is_none()
            && let Some(m) = node.get(wrapper)
            && m.value.as_object().is_some()
        {
            node = &m.value;
        }
    }
    let mut denial = Denial {
        origin: origin(node),
        ..Denial::default()
    };
    let decoded = node.get("DecodedDiagnosticMessage").map(|m| &m.value);
    match reader.string(node, "Code")? {
        Some(code) => {
            if !DENIAL_CODES.contains(&code.as_str()) {
                let m = node.get("Code").expect("read above");
                return Err(reader.at(
                    &m.value,
                    format!(
                        "Code {code:?} is not a RAM permission denial (expected {}): \
                         nothing a policy can fix",
                        DENIAL_CODES.join(", ")
                    ),
                ));
            }
            denial.code = code;
        }
        None if decoded.is_some() => denial.code = "NoPermission".into(),
        None => {
            return Err(reader.at(
                node,
                "neither an error response (no \"Code\"), a DecodeDiagnosticMessage answer \
                 (no \"DecodedDiagnosticMessage\") nor an ActionTrail event (no \"eventName\")"
                    .into(),
            ));
        }
    }
    if let Some(m) = node.get("AccessDeniedDetail") {
        let detail = &m.value;
        if detail.as_object().is_none() {
            return Err(reader.at(
                detail,
                format!(
                    "AccessDeniedDetail must be an object, not {}",
                    detail.value.type_name()
                ),
            ));
        }
        denial.action = reader.string(detail, "AuthAction")?;
        denial.principal_type = reader.string(detail, "AuthPrincipalType")?;
        denial.principal = reader.string(detail, "AuthPrincipalDisplayName")?;
        denial.owner = reader.string(detail, "AuthPrincipalOwnerId")?;
        denial.policy_type = reader
            .string(detail, "PolicyType")?
            .map(|t| PolicyType::parse(&t));
        denial.encoded = reader
            .string(detail, "EncodedDiagnosticMessage")?
            .is_some_and(|s| !s.is_empty());
        if let Some(t) = reader.string(detail, "NoPermissionType")? {
            denial.explicit = match t.as_str() {
                "ExplicitDeny" => Some(true),
                "ImplicitDeny" => Some(false),
                other => {
                    let m = detail.get("NoPermissionType").expect("read above");
                    return Err(reader.at(
                        &m.value,
                        format!(
                            "NoPermissionType {other:?}: expected ExplicitDeny or ImplicitDeny"
                        ),
                    ));
                }
            };
        }
    }
    if let Some(d) = decoded {
        if d.as_object().is_none() {
            return Err(reader.at(
                d,
                format!(
                    "DecodedDiagnosticMessage must be an object, not {}",
                    d.value.type_name()
                ),
            ));
        }
        let action = reader.string(d, "AuthAction")?;
        if let (Some(a), Some(b)) = (&denial.action, &action)
            && !a.eq_ignore_ascii_case(b)
        {
            return Err(reader.at(
                d,
                format!("AccessDeniedDetail names {a} but DecodedDiagnosticMessage names {b}"),
            ));
        }
        denial.action = denial.action.or(action);
        denial.resource = reader.string(d, "AuthResource")?;
        if let Some(t) = reader.string(d, "NoPermissionPolicyType")? {
            denial.policy_type = Some(PolicyType::parse(&t));
        }
        if let Some(m) = d.get("ExplicitDeny") {
            let explicit = match &m.value.value {
                Value::Bool(b) => *b,
                _ => {
                    return Err(reader.at(
                        &m.value,
                        format!(
                            "ExplicitDeny must be true or false, not {}",
                            m.value.value.type_name()
                        ),
                    ));
                }
            };
            if denial.explicit.is_some_and(|e| e != explicit) {
                return Err(reader.at(
                    &m.value,
                    "ExplicitDeny disagrees with AccessDeniedDetail.NoPermissionType".into(),
                ));
            }
            denial.explicit = Some(explicit);
        }
        if let Some(p) = d.get("AuthPrincipal").map(|m| &m.value)
            && p.as_object().is_some()
        {
            denial.principal_type = denial
                .principal_type
                .or(reader.string(p, "AuthPrincipalType")?);
            denial.principal = denial
                .principal
                .or(reader.string(p, "AuthPrincipalDisplayName")?);
            denial.owner = denial.owner.or(reader.string(p, "AuthPrincipalOwnerId")?);
        }
    }
    Ok(denial)
}

fn read_event(node: &Node, reader: &Reader, origin: String) -> Result<Denial, FromErrorError> {
    // An SLS row holds the event in `event`; read_event unwraps it.
    let event = match node.get("event") {
        Some(m) if node.get("eventName").is_none() => match &m.value.value {
            Value::String(s) => json::parse(s).ok(),
            Value::Object(_) => Some(m.value.clone()),
            _ => None,
        },
        _ => Some(node.clone()),
    };
    let code = event
        .as_ref()
        .and_then(|e| e.get("errorCode"))
        .and_then(|m| scalar_text(&m.value))
        .unwrap_or_default();
    if !DENIAL_CODES.contains(&code.as_str()) {
        return Err(reader.at(
            node,
            if code.is_empty() {
                "the event did not fail (no errorCode): nothing was denied".to_string()
            } else {
                format!(
                    "the event failed with {code:?}, not a RAM permission denial (expected {})",
                    DENIAL_CODES.join(", ")
                )
            },
        ));
    }
    let filter = Filter {
        include_failed: true,
        ..Filter::default()
    };
    let mut tally = Tally::default();
    let mapped = actiontrail::read_event(node, &origin, &filter, &mut tally);
    let text_of = |key: &str| {
        event
            .as_ref()
            .and_then(|e| e.get(key))
            .and_then(|m| m.value.as_str())
            .unwrap_or("")
            .to_string()
    };
    // Unmapped, the event still names the action; the resource must then
    // come from --resource (target()).
    let (action, event_access, unmapped) = match mapped {
        Some(m) => (Some(m.action.clone()), Some((m.action, m.resources)), None),
        None => {
            let why = tally
                .reasons
                .first()
                .map(|u| u.why.clone())
                .unwrap_or_else(|| "the event cannot be mapped".into());
            let action = format!(
                "{}:{}",
                text_of("serviceName").to_ascii_lowercase(),
                text_of("eventName")
            );
            (Some(action), None, Some(why))
        }
    };
    let identity = event
        .as_ref()
        .and_then(|e| e.get("userIdentity"))
        .map(|m| &m.value);
    let text = |key: &str| {
        identity
            .and_then(|i| i.get(key))
            .and_then(|m| m.value.as_str())
            .map(str::to_string)
    };
    Ok(Denial {
        code,
        action,
        principal_type: text("type"),
        principal: text("userName"),
        owner: text("accountId"),
        event: event_access,
        unmapped,
        origin,
        ..Denial::default()
    })
}

/// The flags of `--from-error` besides the file.
#[derive(Debug, Clone, Default)]
pub struct CallFlags {
    /// `--api`.
    pub api: Option<String>,
    /// `--param NAME=VALUE`.
    pub params: Vec<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--account`.
    pub account: Option<String>,
}

/// Decides whether an Allow in an identity policy can fix the denial: the
/// reason to stop (exit 1), or notes on where the statement goes.
fn fixable(denial: &Denial) -> Result<Vec<String>, FromErrorError> {
    let by = denial
        .policy_type
        .as_ref()
        .map(PolicyType::describe)
        .unwrap_or_else(|| "a policy (the error names no PolicyType)".into());
    if denial.explicit == Some(true) {
        return Err(FromErrorError::NotFixable(format!(
            "{}{}: explicitly denied by {by}: no Allow can help (an explicit Deny wins \
             over every Allow, docs/semantics.md); find the Deny statement{}",
            denial.action.as_deref().unwrap_or("the call"),
            denial
                .resource
                .as_deref()
                .map(|r| format!(" on {r}"))
                .unwrap_or_default(),
            if denial.encoded {
                " (RAM's DecodeDiagnosticMessage decodes EncodedDiagnosticMessage and names \
                 the policy)"
            } else {
                ""
            }
        )));
    }
    let mut notes = Vec::new();
    match &denial.policy_type {
        Some(PolicyType::Control) => {
            return Err(FromErrorError::NotFixable(format!(
                "{}: no control policy allows it (implicit deny by {by}): an Allow in an \
                 identity policy cannot help; the Resource Directory's control policies must \
                 allow the action",
                denial.action.as_deref().unwrap_or("the call"),
            )));
        }
        Some(PolicyType::AssumeRole) => {
            return Err(FromErrorError::NotFixable(format!(
                "{}: {by} does not let this caller assume the role: an identity policy \
                 cannot fix that; edit the trust policy",
                denial.action.as_deref().unwrap_or("the call"),
            )));
        }
        Some(PolicyType::Session) => notes.push(
            "the denial is by the session policy: the role's own policies may already allow \
             the call; add this statement to the session policy given to AssumeRole (its \
             Policy parameter)"
                .into(),
        ),
        Some(PolicyType::Resource) => notes.push(
            "the denial is by a resource-based policy: for a caller of another account, that \
             policy must allow the call too"
                .into(),
        ),
        Some(PolicyType::Other(t)) => notes.push(format!(
            "PolicyType {t:?} is not one ramcheck knows: the statement is for an identity \
             policy"
        )),
        _ => {}
    }
    if denial.explicit.is_none() {
        notes.push(
            "the input does not say whether the deny was explicit: if the principal already \
             has this statement, look for a Deny (ramcheck can-i --explain)"
                .into(),
        );
    }
    Ok(notes)
}

/// Where the statement goes: the principal as RAM named it.
fn attach_note(denial: &Denial) -> Option<String> {
    let who = denial.principal.as_deref()?;
    let what = match denial.principal_type.as_deref() {
        Some("SubUser") | Some("ram-user") => format!("the RAM user {who}"),
        Some("AssumedRoleUser") | Some("assumed-role") => {
            let role = who.split(':').next().unwrap_or(who);
            format!("the RAM role {role} (the denied session was {who})")
        }
        Some("Federated") => format!("the identity provider's role for {who} (SSO)"),
        Some(other) => format!("{who} ({other})"),
        None => who.to_string(),
    };
    Some(format!(
        "denied principal: {what}{}",
        denial
            .owner
            .as_deref()
            .map(|o| format!(" of account {o}"))
            .unwrap_or_default()
    ))
}

/// The action and resources to allow.
fn target(
    denial: &Denial,
    call: &CallFlags,
    resources: &[String],
    notes: &mut Vec<String>,
) -> Result<(String, Vec<String>), FromErrorError> {
    let checked = |action: &str| intent::check_action(action).map_err(|e| usage(e.to_string()));
    if let Some(api) = &call.api {
        let mut pairs = Vec::with_capacity(call.params.len());
        for entry in &call.params {
            let Some((k, v)) = entry.split_once('=') else {
                return Err(usage(format!(
                    "invalid --param {entry:?}: expected NAME=VALUE"
                )));
            };
            pairs.push((k.to_string(), v.to_string()));
        }
        let params = crate::api_call::collect_params(pairs).map_err(|e| usage(e.to_string()))?;
        let account = match (&call.account, &denial.owner) {
            (Some(a), _) => a.clone(),
            (None, Some(owner)) => {
                notes.push(format!(
                    "account: {owner}, the denied principal's (AuthPrincipalOwnerId); give \
                     --account when the resource belongs to another account"
                ));
                owner.clone()
            }
            (None, None) => {
                return Err(usage(
                    "--api needs --account: the error names no AuthPrincipalOwnerId",
                ));
            }
        };
        let region = call.region.clone().unwrap_or_default();
        let code = denial
            .action
            .as_deref()
            .and_then(|a| a.split_once(':'))
            .map_or("imm", |(code, _)| code);
        let access = if code.eq_ignore_ascii_case("imm") {
            // IMM calls are checked strictly, as `can-i --api` does.
            ApiCall {
                api: api.clone(),
                region,
                account,
                params,
            }
            .required_access()
            .map_err(|e| usage(format!("--api {api}: {e}")))?
        } else {
            other_service_call(code, api, &region, &account, &params)?
        };
        if let Some(a) = &denial.action
            && !a.eq_ignore_ascii_case(&access.action)
        {
            return Err(usage(format!(
                "the error is about {a}, but --api {api} needs {}: give the call that was \
                 denied, or --resource ARN for {a}",
                access.action
            )));
        }
        return Ok((access.action, access.resources));
    }
    if let Some((action, event_resources)) = &denial.event
        && resources.is_empty()
    {
        return Ok((action.clone(), event_resources.clone()));
    }
    if let Some(why) = &denial.unmapped
        && resources.is_empty()
    {
        return Err(usage(format!(
            "{}: {why}; give the resource with --resource ARN",
            denial.origin
        )));
    }
    let Some(action) = denial.action.as_deref() else {
        return Err(usage(
            "the error names no AuthAction: give the call with --api (and --param, --region, \
             --account)",
        ));
    };
    let info = checked(action)?;
    let given: Vec<String> = if !resources.is_empty() {
        resources.to_vec()
    } else if let Some(r) = &denial.resource {
        vec![r.clone()]
    } else if info.resources.iter().all(|r| r.arn_template == "*") {
        vec!["*".into()]
    } else {
        return Err(usage(format!(
            "{} is authorised on {}, and the error does not say which: give the call (--api \
             with --param, --region, --account) or --resource ARN{}",
            info.action,
            info.resources
                .iter()
                .map(|r| r.arn_template.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            " (EncodedDiagnosticMessage is encrypted; RAM's DecodeDiagnosticMessage answer \
             names the resource and can be given instead)"
        )));
    };
    let mut out = Vec::with_capacity(given.len());
    for r in &given {
        out.push(intent::check_resource(info, r).map_err(|e| usage(e.to_string()))?);
    }
    Ok((info.action.clone(), out))
}

/// The access a call of another service than IMM needs: the call as the
/// ActionTrail event it would leave, mapped like every event (docs/generate.md,
/// "ActionTrail"), so every service the event mapping knows is known here.
fn other_service_call(
    code: &str,
    api: &str,
    region: &str,
    account: &str,
    params: &BTreeMap<String, String>,
) -> Result<crate::api_call::RequiredAccess, FromErrorError> {
    let event = serde_json::json!({
        "eventName": api,
        "serviceName": code,
        "acsRegion": region,
        "userIdentity": {"accountId": account},
        "requestParameters": params,
        "errorCode": "NoPermission",
    });
    let text = event.to_string();
    let node = json::parse(&text).map_err(|e| usage(format!("--api {api}: {e}")))?;
    let filter = Filter {
        include_failed: true,
        ..Filter::default()
    };
    let mut tally = Tally::default();
    match actiontrail::read_event(&node, "--api", &filter, &mut tally) {
        Some(m) => Ok(crate::api_call::RequiredAccess {
            action: m.action,
            resources: m.resources,
        }),
        None => Err(usage(format!(
            "--api {api}: {}; give the resource with --resource ARN",
            tally
                .reasons
                .first()
                .map(|u| u.why.as_str())
                .unwrap_or("the call cannot be mapped")
        ))),
    }
}

/// `ramcheck generate --from-error FILE`.
pub fn generate_from_error(
    path: &Path,
    call: &CallFlags,
    into: Option<&Path>,
    options: &Options,
) -> Result<Generated, FromErrorError> {
    let name = options.name.as_deref().unwrap_or(DEFAULT_NAME);
    super::check_name(name)?;
    let bytes = read_limited(path, MAX_ERROR_BYTES, "an error response")?;
    let shown = display_name(path);
    let text = String::from_utf8(bytes).map_err(|_| FromErrorError::Input {
        message: "not UTF-8 text".into(),
        file: Some(shown.clone()),
        position: None,
    })?;
    let denial = read_denial(&text, &shown)?;
    let mut notes = fixable(&denial)?;
    let (action, resources) = target(&denial, call, &options.resources, &mut notes)?;
    notes.extend(attach_note(&denial));
    let global = conditions::parse_require(&options.require).map_err(|e| usage(e.to_string()))?;
    let global = match &options.expires {
        Some(t) => {
            let mut g = global;
            let (k, c) = conditions::expires_clause(t, time::OffsetDateTime::now_utc())
                .map_err(|e| usage(e.to_string()))?;
            g.insert(k, c);
            g
        }
        None => global,
    };
    let inputs: Vec<(Pair, String)> = resources
        .iter()
        .map(|r| {
            (
                Pair {
                    action: action.clone(),
                    resource: r.clone(),
                    conditions: global.clone(),
                },
                format!("{} ({})", denial.origin, denial.code),
            )
        })
        .collect();
    let generated = super::synthesize(&inputs, None, name, notes)?;
    match into {
        None => Ok(generated),
        Some(policy) => merge_into(policy, generated, &inputs),
    }
}

/// `--into POLICY`: the statement appended to POLICY's `Statement`, the rest
/// of the file unchanged; proven (parses, no new lint finding at warning or
/// above, allows the call) and described with the analysis engine's diff.
fn merge_into(
    path: &Path,
    generated: Generated,
    inputs: &[(Pair, String)],
) -> Result<Generated, FromErrorError> {
    let source = crate::store::PolicySource::read(path)?;
    let old = source
        .parse(PolicyKind::Identity)
        .map_err(crate::store::StoreError::from)?;
    let shown = old.origin.clone();
    let [document] = generated.documents.as_slice() else {
        return Err(FromErrorError::Check(
            "--into: the statement did not fit one document".into(),
        ));
    };
    let old_text = source.text.clone();
    let root = json::parse(&old_text).map_err(|e| FromErrorError::Input {
        message: e.kind.to_string(),
        file: Some(shown.clone()),
        position: Some(e.position),
    })?;
    let statement_text = only_statement(&document.text)?;
    let used: Vec<String> = old
        .statements
        .iter()
        .filter_map(|s| s.sid.as_ref().map(|(sid, _)| sid.clone()))
        .collect();
    let statement_text = unique_sid(&statement_text, &used);
    let merged = insert_statement(&old_text, &root, &statement_text).ok_or_else(|| {
        FromErrorError::Input {
            message: "--into: the policy has no Statement to add to".into(),
            file: Some(shown.clone()),
            position: None,
        }
    })?;
    let new = Policy::parse(&merged, &old.name, &shown, PolicyKind::Identity)
        .map(Arc::new)
        .map_err(|e| FromErrorError::Check(format!("the merged policy does not parse: {e}")))?;

    // Already allowed: the denial came from elsewhere; nothing to add.
    // The decision on every request of the call: the first one not
    // allowed, or Allow.
    let decide = |policy: &Arc<Policy>| -> Result<Decision, FromErrorError> {
        let set = PolicySet {
            identity: vec![policy.clone()],
            ..PolicySet::default()
        };
        for (p, _) in inputs {
            let resource = super::proof::witness_resource(&p.resource);
            let context = proof_context(p)?;
            let request = Request::new(&p.action, &resource, Principal::AdHoc, context)
                .map_err(|e| FromErrorError::Check(format!("proof request: {e}")))?;
            let decision = evaluate(&set, &request).decision;
            if !decision.is_allowed() {
                return Ok(decision);
            }
        }
        Ok(Decision::Allow)
    };
    let call_allowed =
        |policy: &Arc<Policy>| -> Result<bool, FromErrorError> { Ok(decide(policy)?.is_allowed()) };
    let mut notes = generated.notes.clone();
    if call_allowed(&old)? {
        notes.push(format!(
            "{shown} already allows {} on {}: the merge adds nothing; the denial comes from \
             another policy (see PolicyType) or another principal",
            inputs[0].0.action,
            inputs
                .iter()
                .map(|(p, _)| p.resource.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(Generated {
            documents: vec![Document {
                name: old.name.clone(),
                text: old_text,
            }],
            notes,
            explanation: generated.explanation,
        });
    }
    // The file itself denies the call: no statement added to it can help.
    if decide(&old)? == Decision::ExplicitDeny {
        return Err(FromErrorError::NotFixable(format!(
            "{shown} itself denies {} (a Deny statement): adding an Allow to it cannot help",
            inputs[0].0.action
        )));
    }
    // Over RAM's size limit: the statement needs a policy of its own.
    let limit = PolicyKind::Identity.size_limit();
    let size = merged.chars().count();
    if size > limit {
        return Err(FromErrorError::Input {
            message: format!(
                "--into: the merged policy would be {size} characters, over RAM's {limit} \
                 (docs/semantics.md, \"Limits\"): attach the statement as a policy of its own \
                 (run without --into)"
            ),
            file: Some(shown),
            position: None,
        });
    }
    if !call_allowed(&new)? {
        return Err(FromErrorError::Check(format!(
            "the merged policy does not allow {}",
            inputs[0].0.action
        )));
    }
    let findings = |text: &str| -> BTreeMap<String, usize> {
        let mut by_rule = BTreeMap::new();
        for d in lint::lint_text(text, PolicyKind::Identity) {
            if d.rule.severity >= Severity::Warning {
                *by_rule.entry(d.rule.code.to_string()).or_default() += 1;
            }
        }
        by_rule
    };
    let (before, after) = (findings(&old_text), findings(&merged));
    for (rule, n) in &after {
        if before.get(rule).copied().unwrap_or(0) < *n {
            return Err(FromErrorError::Check(format!(
                "the merge adds a lint finding {rule} to {shown}"
            )));
        }
    }
    let report = analysis::diff_policies(
        &old,
        &new,
        &DiffOptions {
            kind: Some(PolicyKind::Identity),
            both: false,
            max: 20,
        },
    )
    .map_err(|e| FromErrorError::Check(format!("diff of the merge: {e}")))?;
    let added_sid = sid_of(&statement_text);
    for w in &report.new_access {
        if !w
            .statements
            .iter()
            .any(|s| s.sid.as_deref() == added_sid.as_deref())
        {
            return Err(FromErrorError::Check(format!(
                "the merge adds access not granted by the new statement: {}",
                w.description
            )));
        }
    }
    notes.push(format!(
        "--into {shown}: the merge adds statement {} and, by `ramcheck diff`, {}",
        added_sid.as_deref().unwrap_or("(no Sid)"),
        describe_diff(&report.new_access, report.result)
    ));
    Ok(Generated {
        documents: vec![Document {
            name: old.name.clone(),
            text: merged,
        }],
        notes,
        explanation: generated.explanation,
    })
}

fn describe_diff(witnesses: &[Witness], verdict: analysis::Verdict) -> String {
    if witnesses.is_empty() {
        return format!("no new access ({verdict:?})").to_lowercase();
    }
    let list: Vec<String> = witnesses
        .iter()
        .map(|w| format!("{} on {}", w.action, w.resource))
        .collect();
    format!("new access, e.g. {}", list.join("; "))
}

fn proof_context(p: &Pair) -> Result<Context, FromErrorError> {
    // The merge proof reuses the generated statement's own conditions; a
    // context that satisfies them is what the synthesis proof built.
    if p.conditions.is_empty() {
        return Ok(Context::new());
    }
    super::proof::satisfying_context(&p.conditions)
        .map_err(|e| FromErrorError::Check(e.to_string()))
}

/// The text of the only statement of a generated document, its lines
/// after the first without the document's indentation.
fn only_statement(document: &str) -> Result<String, FromErrorError> {
    let root = json::parse(document)
        .map_err(|e| FromErrorError::Check(format!("generated document: {e}")))?;
    let stmt = root
        .get("Statement")
        .and_then(|m| match &m.value.value {
            Value::Array(items) if items.len() == 1 => Some(items[0].span),
            _ => None,
        })
        .ok_or_else(|| {
            FromErrorError::Check("the generated document has not one statement".into())
        })?;
    let text = &document[stmt.start.offset..stmt.end.offset];
    let strip = (stmt.start.column as usize).saturating_sub(1);
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let spaces = l.len() - l.trim_start_matches(' ').len();
            if i == 0 { l } else { &l[spaces.min(strip)..] }
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

fn sid_of(statement: &str) -> Option<String> {
    let node = json::parse(statement).ok()?;
    node.get("Sid")
        .and_then(|m| m.value.as_str())
        .map(str::to_string)
}

/// Renames the statement's `Sid` when the policy already uses it.
fn unique_sid(statement: &str, used: &[String]) -> String {
    let Some(sid) = sid_of(statement) else {
        return statement.to_string();
    };
    if !used.iter().any(|u| u.eq_ignore_ascii_case(&sid)) {
        return statement.to_string();
    }
    let fresh = (2..)
        .map(|n| format!("{sid}{n}"))
        .find(|c| !used.iter().any(|u| u.eq_ignore_ascii_case(c)))
        .expect("unbounded");
    statement.replacen(
        &format!("\"Sid\": \"{sid}\""),
        &format!("\"Sid\": \"{fresh}\""),
        1,
    )
}

/// Appends `statement` to the document's `Statement` array (or turns a
/// single statement object into an array of both), indenting it like the
/// existing statements. `None` when there is no `Statement`.
fn insert_statement(text: &str, root: &Node, statement: &str) -> Option<String> {
    let member = root.get("Statement")?;
    let value = &member.value;
    let indent_of = |node: &Node| {
        let line_start = text[..node.span.start.offset]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        text[line_start..node.span.start.offset].to_string()
    };
    let reindent = |indent: &str| {
        statement
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    l.to_string()
                } else {
                    format!("{indent}{l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    match &value.value {
        Value::Array(items) => {
            let (insert_at, prefix, indent) = match items.last() {
                // A statement on its own lines: the new one follows, alike.
                Some(last) if indent_of(last).trim().is_empty() => {
                    let indent = indent_of(last);
                    (last.span.end.offset, format!(",\n{indent}"), indent)
                }
                // A document written on one line stays on one line.
                Some(last) => {
                    let mut out = String::with_capacity(text.len() + statement.len());
                    out.push_str(&text[..last.span.end.offset]);
                    out.push(',');
                    out.push_str(&minify(statement));
                    out.push_str(&text[last.span.end.offset..]);
                    return Some(out);
                }
                None => {
                    let indent =
                        format!("{}  ", indent_of_line(text, member.key_span.start.offset));
                    (value.span.start.offset + 1, format!("\n{indent}"), indent)
                }
            };
            let mut out = String::with_capacity(text.len() + statement.len() + 16);
            out.push_str(&text[..insert_at]);
            out.push_str(&prefix);
            out.push_str(&reindent(&indent));
            if items.is_empty() {
                out.push('\n');
                out.push_str(&indent_of_line(text, member.key_span.start.offset));
            }
            out.push_str(&text[insert_at..]);
            Some(out)
        }
        Value::Object(_) => {
            let indent = format!("{}  ", indent_of_line(text, member.key_span.start.offset));
            let old = &text[value.span.start.offset..value.span.end.offset];
            let old_reindented = old.replace('\n', "\n  ");
            let mut out = String::with_capacity(text.len() + statement.len() + 16);
            out.push_str(&text[..value.span.start.offset]);
            out.push_str(&format!(
                "[\n{indent}{old_reindented},\n{indent}{}\n{}]",
                reindent(&indent),
                indent_of_line(text, member.key_span.start.offset)
            ));
            out.push_str(&text[value.span.end.offset..]);
            Some(out)
        }
        _ => None,
    }
}

/// `text` (JSON) without the whitespace outside its strings.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !c.is_whitespace() {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

fn indent_of_line(text: &str, offset: usize) -> String {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{
  "RequestId": "7F7C0C5E-0000-4000-8000-000000000001",
  "HostId": "imm.cn-hangzhou.aliyuncs.com",
  "Code": "NoPermission",
  "Message": "You are not authorized to do this action.",
  "AccessDeniedDetail": {
    "AuthAction": "imm:GetProject",
    "AuthPrincipalType": "SubUser",
    "AuthPrincipalOwnerId": "1234567890123456",
    "AuthPrincipalDisplayName": "alice",
    "PolicyType": "AccountLevelIdentityBasedPolicy",
    "NoPermissionType": "ImplicitDeny",
    "EncodedDiagnosticMessage": "AQEAAAAAexample"
  }
}"#;

    #[test]
    fn reads_the_access_denied_detail() {
        let d = read_denial(BODY, "e.json").unwrap();
        assert_eq!(d.action.as_deref(), Some("imm:GetProject"));
        assert_eq!(d.explicit, Some(false));
        assert_eq!(d.policy_type, Some(PolicyType::AccountIdentity));
        assert!(d.encoded);
        assert_eq!(d.origin, "e.json:1");
        assert!(fixable(&d).unwrap().is_empty());
    }

    #[test]
    fn explicit_and_control_denials_are_not_fixable() {
        let explicit = BODY
            .replace("ImplicitDeny", "ExplicitDeny")
            .replace("AccountLevelIdentityBasedPolicy", "ControlPolicy");
        let d = read_denial(&explicit, "e.json").unwrap();
        let e = fixable(&d).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.to_string().contains("control policy"), "{e}");
        let control = BODY.replace("AccountLevelIdentityBasedPolicy", "ControlPolicy");
        assert_eq!(
            fixable(&read_denial(&control, "e.json").unwrap())
                .unwrap_err()
                .exit_code(),
            1
        );
    }

    #[test]
    fn malformed_input_names_the_place() {
        let bad = BODY.replace("\"ImplicitDeny\"", "7");
        match read_denial(&bad, "e.json").unwrap_err() {
            FromErrorError::Input { position, .. } => {
                let p = position.unwrap();
                assert_eq!((p.line, p.column), (12, 25));
            }
            other => panic!("{other:?}"),
        }
        assert!(read_denial("{\"Code\": \"Throttling\"}", "e").is_err());
        assert!(read_denial("[1, 2]", "e").is_err());
        assert!(read_denial("\"x\"", "e").is_err());
        assert!(read_denial("{", "e").is_err());
    }

    /// Every prefix of a real body, and the body with any one character
    /// replaced by a quote, a bracket or a digit: an answer or an error,
    /// never a panic.
    #[test]
    fn no_input_panics() {
        let chars: Vec<(usize, char)> = BODY.char_indices().collect();
        for &(i, _) in &chars {
            let _ = read_denial(&BODY[..i], "e.json");
        }
        for &(i, c) in &chars {
            for r in ['"', '{', ']', '7', 'x'] {
                let mut text = String::with_capacity(BODY.len());
                text.push_str(&BODY[..i]);
                text.push(r);
                text.push_str(&BODY[i + c.len_utf8()..]);
                if let Ok(d) = read_denial(&text, "e.json") {
                    let _ = fixable(&d);
                }
            }
        }
    }

    #[test]
    fn statements_are_appended_with_the_file_indentation() {
        let policy = "{\n    \"Version\": \"1\",\n    \"Statement\": [\n        {\"Effect\": \"Allow\", \"Action\": \"imm:ListProjects\", \"Resource\": \"*\"}\n    ]\n}\n";
        let root = json::parse(policy).unwrap();
        let out = insert_statement(policy, &root, "{\n  \"Sid\": \"X\"\n}").unwrap();
        assert!(json::parse(&out).is_ok(), "{out}");
        assert!(
            out.contains("},\n        {\n          \"Sid\": \"X\"\n        }\n    ]"),
            "{out}"
        );
        let single = "{\"Version\": \"1\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}";
        let root = json::parse(single).unwrap();
        let out = insert_statement(single, &root, "{\"Sid\": \"X\"}").unwrap();
        let node = json::parse(&out).unwrap();
        match &node.get("Statement").unwrap().value.value {
            Value::Array(items) => assert_eq!(items.len(), 2),
            _ => panic!("{out}"),
        }
        assert_eq!(
            unique_sid("{\"Sid\": \"A\"}", &["a".into()]),
            "{\"Sid\": \"A2\"}"
        );
    }
}
