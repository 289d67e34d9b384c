//! What is being asked: who calls which action on which resource, in what
//! context. Everything here is checked when the request is built, so the
//! evaluator only ever sees well-formed requests (docs/semantics.md, "Conditions": a wrong-typed
//! value of a common key is an invalid request, not a decision).

use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::arn::{self, Arn, ArnError, Part};
use crate::catalog::Catalog;
use crate::principal::{Principal, PrincipalError};
use crate::values::{Decimal, ValueType, parse_address, parse_bool, parse_date};

/// Why a request cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The action is not one concrete `<ram-code>:<action-name>`.
    #[error("invalid action {action:?}: {reason}")]
    InvalidAction {
        /// The action as given.
        action: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The resource is not `*` or a concrete ARN.
    #[error("invalid resource {resource:?}: {reason}")]
    InvalidResource {
        /// The resource as given.
        resource: String,
        /// What is wrong with it.
        reason: ArnError,
    },
    /// A common key's value is not of the key's type (docs/semantics.md,
    /// "Conditions": such a request is refused, not decided).
    #[error("invalid context value {value:?} for {key}: expected {expected}")]
    InvalidContextValue {
        /// The key as given.
        key: String,
        /// The value as given.
        value: String,
        /// The key's type.
        expected: ValueType,
    },
    /// A single-valued common key given several values.
    #[error("context key {key} takes one value, got {count}")]
    MultipleValues {
        /// The key as given.
        key: String,
        /// How many values it got.
        count: usize,
    },
    /// A `--context` entry that is not `KEY=VALUE`.
    #[error("invalid context entry {entry:?}: expected KEY=VALUE")]
    MalformedContextEntry {
        /// The entry as given.
        entry: String,
    },
    /// The principal does not follow RAM's grammar.
    #[error(transparent)]
    InvalidPrincipal(#[from] PrincipalError),
    /// A context value that RAM takes from the caller, given otherwise
    /// (docs/semantics.md, "Request context RAM fills"): never believed.
    #[error(
        "context key {key} is set by RAM from the caller: {principal} gives {derived:?}, \
         not {given:?}"
    )]
    ContradictsPrincipal {
        /// The key.
        key: &'static str,
        /// The value given.
        given: String,
        /// The value RAM would set.
        derived: String,
        /// The caller.
        principal: String,
    },
}

/// One value of a context key, with the typed readings the condition
/// operators need worked out once, when the request is built, rather than
/// on every statement that tests it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextValue {
    text: String,
    ip: Option<IpAddr>,
    date: Option<OffsetDateTime>,
}

impl ContextValue {
    pub(crate) fn new(text: &str) -> Self {
        ContextValue {
            text: text.to_string(),
            ip: parse_address(text),
            date: parse_date(text).ok(),
        }
    }

    /// The value as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value read as an IP address, if it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The value read as an RFC 3339 date-time, if it is one.
    pub fn date(&self) -> Option<OffsetDateTime> {
        self.date
    }
}

impl serde::Serialize for ContextValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Request context: condition keys (case-insensitive) to one or more values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Entries sorted by lower-cased key. A request carries a handful of
    /// keys, so a scan that compares lengths first beats a tree or a hash.
    entries: Vec<ContextEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ContextEntry {
    lower: String,
    /// The key as first written, for display.
    key: String,
    values: Vec<ContextValue>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value, checking it against the key's type: RAM's common keys
    /// and the catalogued services' own keys are typed; other keys are text.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), RequestError> {
        if let Some((value_type, multi)) = Catalog::builtin().key_type(key) {
            let ok = match value_type {
                ValueType::Ip => value.parse::<IpAddr>().is_ok(),
                ValueType::Boolean => parse_bool(value).is_ok(),
                ValueType::Date => parse_date(value).is_ok(),
                ValueType::Number => value.parse::<Decimal>().is_ok(),
                ValueType::String | ValueType::Presence => true,
            };
            if !ok {
                return Err(RequestError::InvalidContextValue {
                    key: key.to_string(),
                    value: value.to_string(),
                    expected: value_type,
                });
            }
            let existing = self.get(key).len();
            if !multi && existing >= 1 {
                return Err(RequestError::MultipleValues {
                    key: key.to_string(),
                    count: existing + 1,
                });
            }
        }
        let value = ContextValue::new(value);
        let lower = key.to_ascii_lowercase();
        match self.entries.binary_search_by(|e| e.lower.cmp(&lower)) {
            Ok(i) => self.entries[i].values.push(value),
            Err(at) => self.entries.insert(
                at,
                ContextEntry {
                    lower,
                    key: key.to_string(),
                    values: vec![value],
                },
            ),
        }
        Ok(())
    }

    /// Adds `KEY=VALUE` as written on a command line.
    pub fn insert_pair(&mut self, entry: &str) -> Result<(), RequestError> {
        match entry.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => self.insert(key.trim(), value),
            _ => Err(RequestError::MalformedContextEntry {
                entry: entry.to_string(),
            }),
        }
    }

    /// The values of `key` (compared case-insensitively), empty when absent.
    pub fn get(&self, key: &str) -> &[ContextValue] {
        self.entries
            .iter()
            .find(|e| e.lower.len() == key.len() && e.lower.eq_ignore_ascii_case(key))
            .map_or(&[], |e| &e.values)
    }

    /// [`Context::get`] for a key already in ASCII lower case, as condition
    /// entries keep theirs: a plain comparison.
    pub fn get_lowercase(&self, lower: &str) -> &[ContextValue] {
        self.entries
            .iter()
            .find(|e| e.lower == lower)
            .map_or(&[], |e| &e.values)
    }

    /// Whether `key` has a value (case-insensitively).
    pub fn contains(&self, key: &str) -> bool {
        !self.get(key).is_empty()
    }

    /// Every key as first written, with its values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries
            .iter()
            .map(|e| (e.key.as_str(), e.values.as_slice()))
    }
}

/// One authorization question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    action: String,
    /// The action lower-cased once, for case-insensitive index lookups.
    action_lower: String,
    /// Where the `:` between service and action name is.
    colon: usize,
    assume_role: bool,
    /// Where the relative id starts, when the resource is an ARN with
    /// exactly four `:` (its relative id has none): the compiled
    /// authorizer's resource index relies on that alignment.
    relative_id_start: Option<usize>,
    resource: String,
    principal: Principal,
    context: Context,
}

impl Request {
    /// Builds a request. The action must be `<ram-code>:<action-name>` and
    /// the resource a concrete ARN or `*`: a request names one call, so
    /// wildcards are refused rather than read as patterns. When the context
    /// lacks `acs:CurrentTime`, it is set to now (UTC).
    pub fn new(
        action: &str,
        resource: &str,
        principal: Principal,
        mut context: Context,
    ) -> Result<Request, RequestError> {
        validate_request_action(action)?;
        arn::validate_request(resource).map_err(|reason| RequestError::InvalidResource {
            resource: resource.to_string(),
            reason,
        })?;
        if let Some(derived) = principal.principal_arn() {
            const KEY: &str = "acs:PrincipalARN";
            match context.get(KEY) {
                [] => context.insert(KEY, &derived)?,
                [given] if given.as_str() == derived => {}
                given => {
                    return Err(RequestError::ContradictsPrincipal {
                        key: KEY,
                        given: given
                            .iter()
                            .map(ContextValue::as_str)
                            .collect::<Vec<_>>()
                            .join(", "),
                        derived,
                        principal: principal.to_string(),
                    });
                }
            }
        }
        if !context.contains("acs:CurrentTime") {
            let now = OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string());
            context.insert("acs:CurrentTime", &now)?;
        }
        let relative_id_start = Arn::split(resource)
            .filter(|a| !a.relative_id().contains(':'))
            .map(|a| a.range(Part::RelativeId).start);
        Ok(Request {
            action: action.to_string(),
            action_lower: action.to_ascii_lowercase(),
            // Validated above: the action has a ':'.
            colon: action.find(':').unwrap_or(0),
            assume_role: action.eq_ignore_ascii_case("sts:AssumeRole"),
            relative_id_start,
            resource: resource.to_string(),
            principal,
            context,
        })
    }

    /// The action as given, e.g. `imm:AttachOSSBucket`.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The action in lower case (action matching ignores ASCII case).
    pub fn action_lower(&self) -> &str {
        &self.action_lower
    }

    /// The resource ARN as given, or `*`.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The relative id (`project/immtest`) of a resource ARN whose relative
    /// id holds no `:`; `None` otherwise.
    pub fn relative_id(&self) -> Option<&str> {
        self.relative_id_start.map(|i| &self.resource[i..])
    }

    /// Who makes the request.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The request's condition keys and values.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// `sts:AssumeRole` needs the trust policy as well (docs/semantics.md, "Evaluation").
    pub fn is_assume_role(&self) -> bool {
        self.assume_role
    }

    /// The lower-case service code and action name, e.g. `("imm",
    /// "attachossbucket")`.
    pub fn service_and_name_lower(&self) -> (&str, &str) {
        (
            &self.action_lower[..self.colon],
            &self.action_lower[self.colon + 1..],
        )
    }
}

fn is_action_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

fn validate_request_action(action: &str) -> Result<(), RequestError> {
    let err = |reason| {
        Err(RequestError::InvalidAction {
            action: action.to_string(),
            reason,
        })
    };
    let Some((service, name)) = action.split_once(':') else {
        return err("expected <ram-code>:<action-name>, e.g. imm:AttachOSSBucket");
    };
    if service.is_empty() || name.is_empty() {
        return err("expected <ram-code>:<action-name>, e.g. imm:AttachOSSBucket");
    }
    if action.contains(['*', '?']) {
        return err("a request names one action; wildcards belong in policies");
    }
    if !service.chars().all(is_action_char) || !name.chars().all(is_action_char) {
        return err("only letters, digits, '-', '_' and '.' may appear around the ':'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_keys_are_typed_by_the_catalogue() {
        let mut c = Context::new();
        assert!(matches!(
            c.insert("ecs:PasswordCustomized", "maybe"),
            Err(RequestError::InvalidContextValue {
                expected: ValueType::Boolean,
                ..
            })
        ));
        c.insert("ECS:PasswordCustomized", "true").unwrap();
        // Keys nobody documents are text.
        c.insert("imm:Whatever", "maybe").unwrap();
    }

    #[test]
    fn common_keys_are_type_checked() {
        let mut c = Context::new();
        assert!(c.insert("acs:SourceIp", "192.0.2.1").is_ok());
        assert!(matches!(
            c.insert("acs:sourceip", "10.0.0.1"),
            Err(RequestError::MultipleValues { .. })
        ));
        assert!(matches!(
            Context::new().insert("acs:SourceIp", "abc"),
            Err(RequestError::InvalidContextValue { .. })
        ));
        assert!(
            Context::new()
                .insert("acs:CurrentTime", "yesterday")
                .is_err()
        );
        assert!(Context::new().insert("acs:SecureTransport", "yes").is_err());
        assert!(Context::new().insert("acs:MFAPresent", "false").is_ok());
        let mut tags = Context::new();
        tags.insert("acs:TagKeys", "a").unwrap();
        tags.insert("acs:TagKeys", "b").unwrap();
        let values: Vec<&str> = tags
            .get("ACS:TAGKEYS")
            .iter()
            .map(ContextValue::as_str)
            .collect();
        assert_eq!(values, ["a", "b"]);
        // Other keys are read by the operator at evaluation.
        assert!(Context::new().insert("imm:Whatever", "ten").is_ok());
        assert!(Context::new().insert_pair("novalue").is_err());
        assert!(Context::new().insert_pair("acs:UserAgent=a=b").is_ok());
    }

    #[test]
    fn current_time_defaults_to_now() {
        let r = Request::new("imm:GetProject", "*", Principal::AdHoc, Context::new()).unwrap();
        let now = r.context().get("acs:CurrentTime")[0].date().unwrap();
        assert!((OffsetDateTime::now_utc() - now).whole_seconds().abs() < 60);
    }

    #[test]
    fn request_shapes() {
        let ok = |a, r| Request::new(a, r, Principal::AdHoc, Context::new()).is_ok();
        assert!(ok(
            "imm:AttachOSSBucket",
            "acs:imm:cn-hangzhou:1234567890123456:project/immtest"
        ));
        assert!(ok("sts:AssumeRole", "acs:ram::1234567890123456:role/x"));
        assert!(ok("imm:ListProjects", "*"));
        assert!(!ok("imm:*", "*"));
        assert!(!ok("AttachOSSBucket", "*"));
        assert!(!ok("imm:Attach OSSBucket", "*"));
        assert!(ok("imm:ListProjects", "acs:imm:cn-hangzhou:1:project/*"));
        assert!(!ok("imm:GetProject", "acs:imm:cn-hangzhou:1:project/?"));
        assert!(!ok("imm:GetProject", "arn:imm:cn-hangzhou:1:project/x"));
        assert!(!ok("imm:GetProject", "acs:imm:cn-hangzhou:project/x"));
        assert!(!ok("imm:GetProject", "acs:imm:cn-hangzhou:1:"));
    }
}
