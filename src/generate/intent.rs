//! Intents: `--request "<ACTION> <RESOURCE>"` and `{"action", "resource",
//! "context"?}` records. Every action must be in the catalogue and every
//! resource must be one the action is authorised against.

use crate::arn::{Arn, Template};
use crate::catalog::{ActionInfo, ActionResource, Catalog};
use crate::json::{Node, Value};

use super::conditions::{ConditionError, ConditionSet, clause_for};

/// Why an intent (`--request`, or an intent record) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    /// `--request` that is not two words.
    #[error(
        "expected \"<ACTION> <RESOURCE>\", e.g. \"imm:GetProject \
         acs:imm:cn-hangzhou:1234567890123456:project/immtest\", got {0:?}"
    )]
    NotActionAndResource(String),
    /// A wildcard action: only `--collapse actions` writes those.
    #[error("action {0:?}: name one action; wildcards are only made by --collapse actions")]
    WildcardAction(String),
    /// An action without `<ram-code>:`.
    #[error("action {action:?}: expected <ram-code>:<action-name>, e.g. imm:AttachOSSBucket{hint}")]
    NoServiceCode {
        /// The action as given.
        action: String,
        /// ` (did you mean ...?)`, or empty.
        hint: String,
    },
    /// A service without an action table.
    #[error(
        "action {action:?}: service {code:?} is not in the catalogue (known: {known}), so its \
         resources cannot be checked"
    )]
    UnknownService {
        /// The action as given.
        action: String,
        /// Its RAM code.
        code: String,
        /// The catalogued codes, comma-separated.
        known: String,
    },
    /// An action the service does not have.
    #[error("unknown action {action:?}{hint}")]
    UnknownAction {
        /// The action as given.
        action: String,
        /// ` (did you mean ...?)`, or empty.
        hint: String,
    },
    /// Neither `*` nor an ARN.
    #[error("resource {0:?}: expected `*` or acs:<ram-code>:<region>:<account-id>:<relative-id>")]
    NotAnArn(String),
    /// A region that is not a region id.
    #[error("resource {resource:?}: region {region:?} is not a region id such as cn-hangzhou")]
    BadRegion {
        /// The resource.
        resource: String,
        /// Its region part.
        region: String,
    },
    /// An account that is not digits.
    #[error("resource {resource:?}: account {account:?} is not an account id (digits)")]
    BadAccount {
        /// The resource.
        resource: String,
        /// Its account part.
        account: String,
    },
    /// A resource of another type than the action's.
    #[error("resource {resource:?} does not fit {action}, which is authorised on {expected}")]
    ResourceMismatch {
        /// The resource.
        resource: String,
        /// The action, in the catalogue's spelling.
        action: String,
        /// The action's templates and resource types.
        expected: String,
    },
    /// An intent record that is not an object.
    #[error("an intent must be a JSON object")]
    NotAnObject,
    /// `context` that is not an object.
    #[error("\"context\" must be an object of condition keys")]
    ContextNotAnObject,
    /// A context key twice (in two spellings).
    #[error("context key {0} given twice")]
    ContextKeyTwice(String),
    /// A field an intent does not have.
    #[error("unknown intent field {0:?} (expected \"action\", \"resource\", \"context\")")]
    UnknownField(String),
    /// `action` or `resource` missing, or not strings.
    #[error("an intent needs string fields \"action\" and \"resource\"")]
    MissingFields,
    /// A condition of the context.
    #[error(transparent)]
    Condition(#[from] ConditionError),
}

/// ` (did you mean ...?)` for the catalogued action closest to `action`.
fn action_hint(action: &str) -> String {
    Catalog::builtin()
        .suggest_action(action)
        .map(|a| crate::suggest::hint(Some(&a.action)))
        .unwrap_or_default()
}

/// An action checked against the catalogue, in the catalogue's spelling.
pub fn check_action(action: &str) -> Result<&'static ActionInfo, IntentError> {
    let catalog = Catalog::builtin();
    let action = action.trim();
    if action.contains(['*', '?']) {
        return Err(IntentError::WildcardAction(action.to_string()));
    }
    let Some((code, _)) = action.split_once(':') else {
        return Err(IntentError::NoServiceCode {
            action: action.to_string(),
            hint: action_hint(action),
        });
    };
    if catalog.service(code).is_none() {
        let known: Vec<&str> = catalog.services().map(|s| s.ram_code.as_str()).collect();
        return Err(IntentError::UnknownService {
            action: action.to_string(),
            code: code.to_string(),
            known: known.join(", "),
        });
    }
    catalog
        .action(action)
        .ok_or_else(|| IntentError::UnknownAction {
            action: action.to_string(),
            hint: action_hint(action),
        })
}

/// Whether `resource` is an ARN the action is authorised against under
/// `template` (an action's ARN template). A template ending in `*` (Trigger,
/// Batch, `ListProjects`) is authorised on that wildcard ARN itself, so the
/// resource must end in the same `*`; anywhere else wildcards are refused:
/// an intent names resources, `--collapse resources` widens them.
pub fn fits_template(template: &str, resource: &str) -> bool {
    if template == "*" {
        return resource == "*";
    }
    let (template, resource) = match template.strip_suffix('*') {
        Some(t) => match resource.strip_suffix('*') {
            Some(r) => (t, r),
            None => return false,
        },
        None => (template, resource),
    };
    if resource.contains(['*', '?']) {
        return false;
    }
    Template::parse(template).fits(resource)
}

/// [`fits_template`] for one of an action's resource types, whose
/// template knows its path placeholders (an OSS object key holds `/`).
pub fn fits_resource(r: &ActionResource, resource: &str) -> bool {
    if r.arn_template.ends_with('*') || resource.contains(['*', '?']) {
        return fits_template(&r.arn_template, resource);
    }
    r.template().fits(resource)
}

/// Whether `resource` is one `info` is authorised on (any of its resource
/// types, by [`fits_resource`]).
pub(crate) fn fits_action(info: &ActionInfo, resource: &str) -> bool {
    info.resources.iter().any(|r| fits_resource(r, resource))
}

/// `*`, or an ARN with a plausible region and a numeric account: what
/// every resource of a generated policy must be, before its shape is
/// compared with the action's templates.
pub fn check_arn_parts(resource: &str) -> Result<(), IntentError> {
    if resource == "*" {
        return Ok(());
    }
    let Some(arn) = Arn::split(resource) else {
        return Err(IntentError::NotAnArn(resource.to_string()));
    };
    let region = arn.region();
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(IntentError::BadRegion {
            resource: resource.to_string(),
            region: region.to_string(),
        });
    }
    let account = arn.account();
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntentError::BadAccount {
            resource: resource.to_string(),
            account: account.to_string(),
        });
    }
    Ok(())
}

/// Checks a resource for an action: `*` or an ARN that fits one of the
/// action's resource types, with a plausible region and a numeric account.
pub fn check_resource(info: &ActionInfo, resource: &str) -> Result<String, IntentError> {
    let resource = resource.trim();
    check_arn_parts(resource)?;
    if fits_action(info, resource) {
        return Ok(resource.to_string());
    }
    let expected: Vec<String> = info
        .resources
        .iter()
        .map(|r| format!("{} ({})", r.arn_template, r.resource_type))
        .collect();
    Err(IntentError::ResourceMismatch {
        resource: resource.to_string(),
        action: info.action.clone(),
        expected: expected.join(" or "),
    })
}

/// One requested (action, resource) with the conditions of its context and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The action, in the catalogue's spelling.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The conditions of its context.
    pub conditions: ConditionSet,
    /// For messages and `--explain`: `--request 1`, `file:line`.
    pub origin: String,
}

/// Reads one `--request "<ACTION> <RESOURCE>"`.
pub fn parse_request_flag(text: &str, origin: String) -> Result<Intent, IntentError> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [action, resource] = parts.as_slice() else {
        return Err(IntentError::NotActionAndResource(text.to_string()));
    };
    let info = check_action(action)?;
    let resource = check_resource(info, resource)?;
    Ok(Intent {
        action: info.action.clone(),
        resource,
        conditions: ConditionSet::new(),
        origin,
    })
}

/// A scalar JSON value as text (`true`, `5`, `"x"` → `x`).
pub fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.clone()),
        _ => None,
    }
}

/// Reads an intent record `{"action": ..., "resource": ..., "context": {...}}`.
pub fn intent_from_node(node: &Node, origin: String) -> Result<Intent, IntentError> {
    let members = node.as_object().ok_or(IntentError::NotAnObject)?;
    let mut action = None;
    let mut resource = None;
    let mut conditions = ConditionSet::new();
    for m in members {
        match m.key.as_str() {
            "action" => action = m.value.as_str(),
            "resource" => resource = m.value.as_str(),
            "context" => {
                let entries = m.value.as_object().ok_or(IntentError::ContextNotAnObject)?;
                for e in entries {
                    let values: Vec<String> = match &e.value.value {
                        Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
                        _ => scalar_text(&e.value).into_iter().collect(),
                    };
                    let (key, clause) = clause_for(&e.key, &values)?;
                    if conditions.insert(key.clone(), clause).is_some() {
                        return Err(IntentError::ContextKeyTwice(key));
                    }
                }
            }
            other => return Err(IntentError::UnknownField(other.to_string())),
        }
    }
    let (Some(action), Some(resource)) = (action, resource) else {
        return Err(IntentError::MissingFields);
    };
    let info = check_action(action)?;
    let resource = check_resource(info, resource)?;
    Ok(Intent {
        action: info.action.clone(),
        resource,
        conditions,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

    #[test]
    fn actions_are_catalogued_with_suggestions() {
        assert_eq!(
            check_action("imm:attachossbucket").unwrap().action,
            "imm:AttachOSSBucket"
        );
        let e = check_action("imm:AttachOssBuckets").unwrap_err();
        assert!(
            e.to_string().contains("did you mean `imm:AttachOSSBucket`"),
            "{e}"
        );
        assert!(check_action("imm:Get*").is_err());
        assert!(matches!(
            check_action("nosuchservice:GetThing"),
            Err(IntentError::UnknownService { .. })
        ));
        assert!(check_action("GetProject").is_err());
    }

    #[test]
    fn resources_must_fit_the_action() {
        let attach = check_action("imm:AttachOSSBucket").unwrap();
        assert!(check_resource(attach, P).is_ok());
        assert!(check_resource(attach, "*").is_err());
        assert!(check_resource(attach, &format!("{P}/dataset/d")).is_err());
        assert!(check_resource(attach, "acs:imm:cn-hangzhou:*:project/immtest").is_err());
        assert!(check_resource(attach, "acs:imm:cn-hangzhou:alice:project/immtest").is_err());
        assert!(check_resource(attach, "acs:imm:cn-hangzhou:1:project/*").is_err());
        let list = check_action("imm:ListProjects").unwrap();
        assert!(check_resource(list, "acs:imm:cn-hangzhou:1:project/*").is_ok());
        assert!(check_resource(list, P).is_err());
        let regions = check_action("imm:ListRegions").unwrap();
        assert!(check_resource(regions, "*").is_ok());
        assert!(check_resource(regions, P).is_err());
    }

    #[test]
    fn request_flags_and_records() {
        let i = parse_request_flag(&format!("imm:getproject {P}"), "--request 1".into()).unwrap();
        assert_eq!(i.action, "imm:GetProject");
        assert!(parse_request_flag("imm:GetProject", "x".into()).is_err());
        let node = crate::json::parse(&format!(
            r#"{{"action": "imm:GetProject", "resource": "{P}", "context": {{"acs:SourceIp": "192.0.2.0/24"}}}}"#
        ))
        .unwrap();
        let i = intent_from_node(&node, "f:1".into()).unwrap();
        assert_eq!(
            i.conditions["acs:SourceIp"].operator,
            crate::condition::Operator::IpAddress
        );
        let node = crate::json::parse(r#"{"action": "imm:GetProject", "resources": "*"}"#).unwrap();
        assert!(intent_from_node(&node, "f:1".into()).is_err());
    }
}
