//! ActionTrail events as input: what a principal actually did.
//!
//! Three layouts are read, all with the crate's strict JSON reader:
//! - a JSON array of events, as ActionTrail delivers them to an OSS bucket
//!   (gzip files holding arrays of events; gunzip them first);
//! - JSON lines, one event per line;
//! - rows of a Simple Log Service export, whose `event` field holds the
//!   event as a JSON string or object.
//!
//! Field meanings follow ActionTrail's documented event format:
//! - `userIdentity.type` is `ram-user` for a RAM user, with `userName` the
//!   user's name; `assumed-role` for an STS session of a role, with
//!   `userName` `<role-name>:<session-name>` and `accountId` the role's
//!   account; `root-account` for the Alibaba Cloud account itself.
//!   Sources: "Query ActionTrail events by assuming a RAM role"
//!   (<https://www.alibabacloud.com/help/en/actiontrail/user-guide/query-actiontrail-events-by-assuming-a-ram-role>),
//!   the ActionTrail event examples (<https://www.alibabacloud.com/help/doc-detail/28826.htm>,
//!   `ram-user`) and the OSS management event examples
//!   (<https://www.alibabacloud.com/help/doc-detail/293590.htm>, `root-account`).
//! - `errorCode` is empty (`""`) or absent for a call that succeeded.
//! - the SLS fields `event`, `event.serviceName`, `event.acsRegion`,
//!   `event.userIdentity.*`, `event.errorCode`: "ActionTrail log fields"
//!   (<https://www.alibabacloud.com/help/en/sls/actiontrail>).
//! - events delivered to OSS are stored as arrays
//!   (<https://www.alibabacloud.com/help/doc-detail/181198.htm>).
//!
//! The RAM action is `<ram-code>:<eventName>`, `serviceName` matched
//! case-insensitively against the catalogue's RAM codes (`Imm` → `imm`).
//! The resource comes from the request parameters through
//! [`crate::api_call::ApiCall`]: for IMM, `ProjectName` gives the Project
//! ARN in `acsRegion` and `userIdentity.accountId`; actions on all
//! resources give `*`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::api_call::{ApiCall, ApiCallError};
use crate::catalog::{Catalog, Service};
use crate::json::{self, Node, Value};
use crate::values::parse_date;

use super::intent::scalar_text;

/// `--principal user/<name>` or `role/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalFilter {
    /// A RAM user, by name.
    User(String),
    /// A role's sessions, by role name.
    Role(String),
}

impl PrincipalFilter {
    /// Reads `user/<name>` or `role/<name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            Some(("user", name)) if !name.is_empty() && !name.contains('/') => {
                Ok(PrincipalFilter::User(name.to_string()))
            }
            Some(("role", name)) if !name.is_empty() && !name.contains('/') => {
                Ok(PrincipalFilter::Role(name.to_string()))
            }
            _ => Err(format!(
                "invalid --principal {text:?}: expected user/<name> or role/<name>"
            )),
        }
    }

    /// Whether an event's `userIdentity` is this principal.
    fn matches(&self, identity_type: &str, user_name: &str) -> bool {
        match self {
            PrincipalFilter::User(name) => identity_type == "ram-user" && user_name == name,
            PrincipalFilter::Role(name) => {
                identity_type == "assumed-role"
                    && user_name.split(':').next().is_some_and(|role| role == name)
            }
        }
    }
}

/// Which events to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this principal's events.
    pub principal: Option<PrincipalFilter>,
    /// Inclusive.
    pub since: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
    /// Also events with an `errorCode`.
    pub include_failed: bool,
}

/// An event mapped to what it needed from RAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedEvent {
    /// The RAM action the call needed.
    pub action: String,
    /// The resources it was authorized on.
    pub resources: Vec<String>,
    /// `file:line` of the event.
    pub origin: String,
}

/// What happened to the events of one run.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Events read.
    pub read: usize,
    /// Events mapped to an action and resources.
    pub mapped: usize,
    /// Failed calls left out.
    pub failed_skipped: usize,
    /// Events of other principals.
    pub other_principal: usize,
    /// Events outside `--since`/`--until`.
    pub outside_window: usize,
    /// `origin: what: why`, one per event that could not be mapped.
    pub unmappable: Vec<String>,
}

impl Tally {
    /// Whether no event was read at all.
    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// The summary written to stderr.
    pub fn report(&self) -> String {
        let mut out = format!(
            "actiontrail: {} event{} read: {} mapped, {} failed call{} skipped{}, {} of other \
             principals, {} outside --since/--until, {} unmappable\n",
            self.read,
            if self.read == 1 { "" } else { "s" },
            self.mapped,
            self.failed_skipped,
            if self.failed_skipped == 1 { "" } else { "s" },
            if self.failed_skipped > 0 {
                " (--include-failed keeps them)"
            } else {
                ""
            },
            self.other_principal,
            self.outside_window,
            self.unmappable.len()
        );
        for u in &self.unmappable {
            out.push_str(&format!("actiontrail: unmappable: {u}\n"));
        }
        out
    }
}

/// Whether a record is an ActionTrail event or an SLS row holding one.
pub fn is_event_record(node: &Node) -> bool {
    node.get("eventName").is_some() || node.get("event").is_some()
}

fn text_of<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(|m| m.value.as_str())
}

/// Reads one record (an event, or an SLS row with an `event` field) and
/// either maps it, counts it as filtered out, or lists it as unmappable.
pub fn read_event(
    record: &Node,
    source: &str,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
) -> Option<MappedEvent> {
    tally.read += 1;
    let mut unmappable = |why: String| {
        tally.unmappable.push(format!("{origin}: {why}"));
        None
    };
    // SLS rows carry the event as a JSON string (or object) in `event`.
    let owned;
    let (event, event_source): (&Node, &str) = match record.get("event") {
        Some(m) if record.get("eventName").is_none() => match &m.value.value {
            Value::String(s) => match json::parse(s) {
                Ok(node) => {
                    owned = (node, s.as_str());
                    (&owned.0, owned.1)
                }
                Err(e) => return unmappable(format!("the `event` field is not JSON: {e}")),
            },
            Value::Object(_) => (&m.value, source),
            _ => {
                return unmappable(
                    "the `event` field is neither a JSON string nor an object".into(),
                );
            }
        },
        _ => (record, source),
    };
    if event.as_object().is_none() {
        return unmappable("the event is not a JSON object".into());
    }
    let event_name = text_of(event, "eventName").unwrap_or("");
    let service_name = text_of(event, "serviceName").unwrap_or("");
    let what = format!(
        "{} {}",
        if service_name.is_empty() {
            "?"
        } else {
            service_name
        },
        if event_name.is_empty() {
            "?"
        } else {
            event_name
        }
    );

    let failed = match event.get("errorCode").map(|m| &m.value.value) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    if failed && !filter.include_failed {
        tally.failed_skipped += 1;
        return None;
    }

    let identity = event.get("userIdentity").map(|m| &m.value);
    let identity_text = |key: &str| identity.and_then(|i| text_of(i, key)).unwrap_or("");
    if let Some(principal) = &filter.principal
        && !principal.matches(identity_text("type"), identity_text("userName"))
    {
        tally.other_principal += 1;
        return None;
    }

    if filter.since.is_some() || filter.until.is_some() {
        let Some(time) = text_of(event, "eventTime").and_then(|t| parse_date(t).ok()) else {
            return unmappable(format!(
                "{what}: no readable eventTime to compare with --since/--until"
            ));
        };
        if filter.since.is_some_and(|s| time < s) || filter.until.is_some_and(|u| time >= u) {
            tally.outside_window += 1;
            return None;
        }
    }

    if event_name.is_empty() || service_name.is_empty() {
        return unmappable(format!("{what}: the event has no eventName or serviceName"));
    }
    let catalog = Catalog::builtin();
    let Some(service) = catalog.service(service_name) else {
        return unmappable(format!(
            "{what}: service {service_name:?} is not in the catalogue"
        ));
    };
    if !service.ram_code.eq_ignore_ascii_case("imm") {
        return unmappable(format!(
            "{what}: no API mapping for service {}",
            service.ram_code
        ));
    }
    let region = text_of(event, "acsRegion").unwrap_or("");
    let account = identity_text("accountId");
    let mut params = BTreeMap::new();
    if let Some(members) = event
        .get("requestParameters")
        .and_then(|m| m.value.as_object())
    {
        for m in members {
            let value = scalar_text(&m.value).or_else(|| {
                // Arrays and objects as written (RPC calls send them JSON-encoded).
                let span = m.value.span;
                event_source
                    .get(span.start.offset..span.end.offset)
                    .map(str::to_string)
            });
            if let Some(v) = value {
                params.insert(m.key.clone(), v);
            }
        }
    }
    let call = ApiCall {
        api: event_name.to_string(),
        region: region.to_string(),
        account: account.to_string(),
        params,
    };
    let origin_with_id = match text_of(event, "eventId") {
        Some(id) => format!("{origin} (event {id})"),
        None => origin.to_string(),
    };
    let resources = match call.required_access() {
        Ok(access) => Ok(access.resources),
        // An event records a call that RAM already authorised; a parameter
        // that does not name the resource (left out of the record, or
        // recorded in another form) does not change what it needed.
        Err(
            ApiCallError::MissingParameter { param } | ApiCallError::InvalidParameter { param, .. },
        ) if !fills_arn(service, event_name, &param) => {
            match service.actions.iter().find(|a| a.name == event_name) {
                Some(info) => info
                    .resource_arn_for_call(region, account, |p| {
                        call.params.get(p).map(String::as_str)
                    })
                    .map_err(|e| e.to_string()),
                None => Err(format!("unknown API {event_name}")),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    match resources {
        Ok(resources) if resources.is_empty() => {
            unmappable(format!("{what}: the call needs no resource"))
        }
        Ok(resources) => {
            tally.mapped += 1;
            Some(MappedEvent {
                action: format!("{}:{event_name}", service.ram_code),
                resources,
                origin: origin_with_id,
            })
        }
        Err(e) => unmappable(format!("{what}: {e}")),
    }
}

/// Whether `param` of the API fills a part of its resource ARN.
fn fills_arn(service: &Service, api: &str, param: &str) -> bool {
    service
        .actions
        .iter()
        .find(|a| a.name == api)
        .and_then(|a| a.param(param))
        .is_none_or(|p| p.fills_arn.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_filters() {
        let u = PrincipalFilter::parse("user/alice").unwrap();
        assert!(u.matches("ram-user", "alice"));
        assert!(!u.matches("assumed-role", "alice:s"));
        let r = PrincipalFilter::parse("role/media-worker").unwrap();
        assert!(r.matches("assumed-role", "media-worker:session-1"));
        assert!(!r.matches("ram-user", "media-worker"));
        assert!(PrincipalFilter::parse("alice").is_err());
        assert!(PrincipalFilter::parse("group/x").is_err());
    }

    #[test]
    fn sls_row_with_the_event_as_a_string() {
        let row = r#"{"__topic__": "actiontrail_audit_event", "event": "{\"eventName\": \"GetProject\", \"serviceName\": \"imm\", \"acsRegion\": \"cn-hangzhou\", \"userIdentity\": {\"accountId\": \"1234567890123456\", \"type\": \"ram-user\", \"userName\": \"alice\"}, \"requestParameters\": {\"ProjectName\": \"immtest\"}, \"errorCode\": \"\"}"}"#;
        let node = json::parse(row).unwrap();
        let mut tally = Tally::default();
        let m = read_event(&node, row, "f:1", &Filter::default(), &mut tally).unwrap();
        assert_eq!(m.action, "imm:GetProject");
        assert_eq!(
            m.resources,
            ["acs:imm:cn-hangzhou:1234567890123456:project/immtest"]
        );
    }
}
