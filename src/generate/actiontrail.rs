//! ActionTrail events as input: what a principal actually did.
//!
//! Three layouts are read, all with the crate's strict JSON reader:
//! - a JSON array of events, as ActionTrail delivers them to an OSS bucket
//!   (gzip files holding arrays of events, read as they are);
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
//! The RAM action and its resources come from the catalogue alone, for
//! every catalogued service (docs/generate.md, "Every service"): see
//! [`read_event`]. `serviceName` is matched case-insensitively against the
//! catalogue's RAM codes (`Oss` → `oss`).

use std::borrow::Cow;
use std::collections::HashMap;

use time::OffsetDateTime;

use crate::catalog::{ActionInfo, Catalog, Service};
use serde::Deserialize;

use crate::json::{self, Node, Value};
use crate::values::parse_date;

use super::intent::check_arn_parts;

/// `--principal user/<name>` or `role/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalFilter {
    /// A RAM user, by name.
    User(String),
    /// A role's sessions, by role name.
    Role(String),
}

/// `--principal` that is not `user/<name>` or `role/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --principal {0:?}: expected user/<name> or role/<name>")]
pub struct InvalidPrincipal(pub String);

/// Why an event could not be mapped to an action and its resources (listed
/// on stderr, never fatal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The `event` field of an SLS row is a string but not JSON.
    #[error("the `event` field is not JSON: {0}")]
    SlsNotJson(String),
    /// The `event` field of an SLS row is neither a string nor an object.
    #[error("the `event` field is neither a JSON string nor an object")]
    SlsNotAnEvent,
    /// The record is not an object.
    #[error("the event is not a JSON object")]
    NotAnObject,
    /// No `eventName` or `serviceName`.
    #[error("the event has no eventName or serviceName")]
    NoName,
    /// `--since`/`--until` with an event without a readable time.
    #[error("no readable eventTime to compare with --since/--until")]
    NoTime,
    /// A service without an action table.
    #[error("service {0:?} is not in the catalogue")]
    UnknownService(String),
    /// An action the service does not have.
    #[error("unknown action {action} (not in the catalogue){hint}")]
    UnknownAction {
        /// `<ram-code>:<eventName>`.
        action: String,
        /// ` (did you mean ...?)`, or empty.
        hint: String,
    },
    /// A value the ARN needs is missing or invalid.
    #[error(transparent)]
    Arn(#[from] crate::catalog::ArnError),
    /// The action needs no resource.
    #[error("the call needs no resource")]
    NoResource,
    /// A region or account that is not one.
    #[error(transparent)]
    Resource(#[from] super::intent::IntentError),
}

impl PrincipalFilter {
    /// Reads `user/<name>` or `role/<name>`.
    pub fn parse(text: &str) -> Result<Self, InvalidPrincipal> {
        match text.split_once('/') {
            Some(("user", name)) if !name.is_empty() && !name.contains('/') => {
                Ok(PrincipalFilter::User(name.to_string()))
            }
            Some(("role", name)) if !name.is_empty() && !name.contains('/') => {
                Ok(PrincipalFilter::Role(name.to_string()))
            }
            _ => Err(InvalidPrincipal(text.to_string())),
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

/// The most distinct reasons for unmappable events listed one by one;
/// past it they are only counted, so that memory does not grow with a
/// trail of unmappable events (docs/generate.md, "Scale").
const MAX_REASONS: usize = 1000;

/// One reason events could not be mapped: where it was first seen, and
/// how many events had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmappable {
    /// `file:line` of the first event with this reason.
    pub origin: String,
    /// What the event was and why it could not be mapped.
    pub why: String,
    /// How many events had this reason.
    pub events: usize,
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
    /// Events of other principals (failed or not).
    pub other_principal: usize,
    /// Events outside `--since`/`--until`.
    pub outside_window: usize,
    /// Events that could not be mapped.
    pub unmappable: usize,
    /// The distinct reasons, in the order first seen (at most 1,000).
    pub reasons: Vec<Unmappable>,
    reason_index: HashMap<String, usize>,
}

impl Tally {
    /// Whether no event was read at all.
    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// Counts an unmappable event; its reason is listed once, with the
    /// number of events that share it.
    pub fn unmappable(&mut self, origin: &str, why: String) {
        self.unmappable += 1;
        if let Some(&i) = self.reason_index.get(&why) {
            self.reasons[i].events += 1;
        } else if self.reasons.len() < MAX_REASONS {
            self.reason_index.insert(why.clone(), self.reasons.len());
            self.reasons.push(Unmappable {
                origin: origin.to_string(),
                why,
                events: 1,
            });
        }
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
            self.unmappable
        );
        let mut listed = 0;
        for u in &self.reasons {
            listed += u.events;
            out.push_str(&format!("actiontrail: unmappable: {}: {}", u.origin, u.why));
            if u.events > 1 {
                out.push_str(&format!(
                    " (and {} more event{} like it)",
                    u.events - 1,
                    if u.events == 2 { "" } else { "s" }
                ));
            }
            out.push('\n');
        }
        if listed < self.unmappable {
            out.push_str(&format!(
                "actiontrail: unmappable: {} more events for other reasons (only the first \
                 {MAX_REASONS} reasons are listed)\n",
                self.unmappable - listed
            ));
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

/// The event a record holds: the record itself, or the `event` field of
/// an SLS row (a JSON string or object). `Err` says why there is none.
fn unwrap_sls_row(record: &Node) -> Result<Cow<'_, Node>, MapError> {
    match record.get("event") {
        Some(m) if record.get("eventName").is_none() => match &m.value.value {
            Value::String(s) => json::parse(s)
                .map(Cow::Owned)
                .map_err(|e| MapError::SlsNotJson(e.to_string())),
            Value::Object(_) => Ok(Cow::Borrowed(&m.value)),
            _ => Err(MapError::SlsNotAnEvent),
        },
        _ => Ok(Cow::Borrowed(record)),
    }
}

/// Why an event is left out before it is mapped.
enum Skip {
    OtherPrincipal,
    Failed,
    OutsideWindow,
    /// Unmappable, with the reason.
    Unreadable(MapError),
}

/// The filters of `--principal`, `--include-failed` and `--since`/`--until`,
/// in that order: a failed call of another principal is another
/// principal's event, not a failed call of ours (docs/generate.md,
/// "ActionTrail").
fn filter_event(event: &impl EventFields, filter: &Filter) -> Result<(), Skip> {
    if let Some(principal) = &filter.principal {
        let identity = |key| event.identity(key).unwrap_or("");
        if !principal.matches(identity("type"), identity("userName")) {
            return Err(Skip::OtherPrincipal);
        }
    }
    if event.failed() && !filter.include_failed {
        return Err(Skip::Failed);
    }
    if filter.since.is_some() || filter.until.is_some() {
        let Some(time) = event.text("eventTime").and_then(|t| parse_date(t).ok()) else {
            return Err(Skip::Unreadable(MapError::NoTime));
        };
        if filter.since.is_some_and(|s| time < s) || filter.until.is_some_and(|u| time >= u) {
            return Err(Skip::OutsideWindow);
        }
    }
    Ok(())
}

/// The fields of an event that `generate` reads, from the crate's JSON
/// tree or from the fast reader of JSON lines ([`FastEvent`]).
trait EventFields {
    /// A top-level string field (`eventName`, `acsRegion`, ...).
    fn text(&self, key: &str) -> Option<&str>;
    /// A string field of `userIdentity`.
    fn identity(&self, key: &str) -> Option<&str>;
    /// Whether `errorCode` says the call failed: present, not null, and
    /// not the empty string.
    fn failed(&self) -> bool;
    /// The request parameters: name, and the value as text when it is a
    /// string or a number.
    fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)>;
}

impl EventFields for Node {
    fn text(&self, key: &str) -> Option<&str> {
        text_of(self, key)
    }

    fn identity(&self, key: &str) -> Option<&str> {
        self.get("userIdentity")
            .and_then(|m| text_of(&m.value, key))
    }

    fn failed(&self) -> bool {
        match self.get("errorCode").map(|m| &m.value.value) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.get("requestParameters")
            .and_then(|m| m.value.as_object())
            .unwrap_or(&[])
            .iter()
            .map(|m| (m.key.as_str(), param_text(&m.value)))
    }
}

/// An ActionTrail event read from one JSON line by `serde_json`, borrowing
/// from the line: only the fields `generate` reads. A line that does not
/// read as one (an SLS row, an intent, a field of another type, a number
/// among the request parameters, a syntax error) goes through the crate's
/// strict reader instead, which gives the same answers and the errors'
/// positions. A duplicate of a field read here is an error as there; a
/// duplicate among the fields not read is not looked for (docs/generate.md,
/// "Scale").
#[derive(Debug, Deserialize)]
pub struct FastEvent<'a> {
    #[serde(rename = "eventName", borrow)]
    event_name: Cow<'a, str>,
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Option<Cow<'a, str>>,
    #[serde(rename = "acsRegion", borrow, default)]
    acs_region: Option<Cow<'a, str>>,
    #[serde(rename = "eventTime", borrow, default)]
    event_time: Option<Cow<'a, str>>,
    #[serde(rename = "eventId", borrow, default)]
    event_id: Option<Cow<'a, str>>,
    #[serde(rename = "errorCode", default)]
    error_code: Option<serde_json::Value>,
    #[serde(rename = "userIdentity", borrow, default)]
    user_identity: Option<FastIdentity<'a>>,
    #[serde(rename = "requestParameters", borrow, default)]
    request_parameters: Option<FastParams<'a>>,
    /// An SLS row or an intent: not for the fast reader.
    #[serde(default)]
    event: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    action: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct FastIdentity<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "userName", borrow, default)]
    user_name: Option<Cow<'a, str>>,
    #[serde(rename = "accountId", borrow, default)]
    account_id: Option<Cow<'a, str>>,
}

/// `requestParameters`: string values kept, others (objects, arrays,
/// Booleans, null) only named; a number or a duplicate name refuses the
/// fast reader.
#[derive(Debug, Default)]
struct FastParams<'a>(Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for FastParams<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = FastParams<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<FastParams<'a>, M::Error> {
                let mut out: Vec<(Cow<'a, str>, Option<Cow<'a, str>>)> = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom("duplicate parameter"));
                    }
                    let value = map.next_value::<FastParam<'de>>()?;
                    out.push((key, value.0));
                }
                Ok(FastParams(out))
            }
        }
        d.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

/// One parameter's value: its text when a string, `None` for an object,
/// an array, a Boolean or null; a number is refused (its text as written
/// is what the strict reader keeps).
struct FastParam<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for FastParam<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = FastParam<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<FastParam<'a>, E> {
                Ok(FastParam(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<FastParam<'a>, E> {
                Ok(FastParam(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<FastParam<'a>, E> {
                Ok(FastParam(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<FastParam<'a>, E> {
                Ok(FastParam(None))
            }
            fn visit_unit<E>(self) -> Result<FastParam<'a>, E> {
                Ok(FastParam(None))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<FastParam<'a>, S::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(FastParam(None))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<FastParam<'a>, M::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(FastParam(None))
            }
        }
        d.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

impl<'a> FastEvent<'a> {
    /// Reads one JSON line as an event, or `None` when the line is for the
    /// strict reader.
    pub fn parse(line: &'a str) -> Option<FastEvent<'a>> {
        let event: FastEvent = serde_json::from_str(line).ok()?;
        (event.event.is_none() && event.action.is_none()).then_some(event)
    }
}

impl EventFields for FastEvent<'_> {
    fn text(&self, key: &str) -> Option<&str> {
        match key {
            "eventName" => Some(&self.event_name),
            "serviceName" => self.service_name.as_deref(),
            "acsRegion" => self.acs_region.as_deref(),
            "eventTime" => self.event_time.as_deref(),
            "eventId" => self.event_id.as_deref(),
            _ => None,
        }
    }

    fn identity(&self, key: &str) -> Option<&str> {
        let identity = self.user_identity.as_ref()?;
        match key {
            "type" => identity.kind.as_deref(),
            "userName" => identity.user_name.as_deref(),
            "accountId" => identity.account_id.as_deref(),
            _ => None,
        }
    }

    fn failed(&self) -> bool {
        match &self.error_code {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }

    fn params(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.request_parameters
            .iter()
            .flat_map(|p| p.0.iter())
            .map(|(k, v)| (k.as_ref(), v.as_deref()))
    }
}

/// The catalogue's answer for each (`serviceName`, `eventName`) seen, so
/// that a long trail looks each one up once.
#[derive(Debug, Default)]
pub struct Mapper {
    actions: HashMap<String, HashMap<String, Result<&'static ActionInfo, MapError>>>,
}

impl Mapper {
    /// The action of an event, or why there is none.
    fn action(
        &mut self,
        service_name: &str,
        event_name: &str,
    ) -> Result<&'static ActionInfo, MapError> {
        if let Some(found) = self
            .actions
            .get(service_name)
            .and_then(|by_event| by_event.get(event_name))
        {
            return found.clone();
        }
        let found = lookup_action(service_name, event_name);
        self.actions
            .entry(service_name.to_string())
            .or_default()
            .insert(event_name.to_string(), found.clone());
        found
    }
}

/// Reads one record (an event, or an SLS row with an `event` field) and
/// either maps it, counts it as filtered out, or lists it as unmappable.
pub fn read_event(
    record: &Node,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
) -> Option<MappedEvent> {
    read_event_with(record, origin, filter, tally, &mut Mapper::default())
}

/// [`read_event`] with a [`Mapper`] kept across the events of a run.
pub fn read_event_with(
    record: &Node,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
    mapper: &mut Mapper,
) -> Option<MappedEvent> {
    tally.read += 1;
    let event = match unwrap_sls_row(record) {
        Ok(event) => event,
        Err(why) => {
            tally.unmappable(origin, why.to_string());
            return None;
        }
    };
    if event.as_object().is_none() {
        tally.unmappable(origin, MapError::NotAnObject.to_string());
        return None;
    }
    read_fields(&*event, origin, filter, tally, mapper)
}

/// [`read_event_with`] for an event the fast reader of JSON lines read.
pub fn read_fast_event(
    event: &FastEvent,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
    mapper: &mut Mapper,
) -> Option<MappedEvent> {
    tally.read += 1;
    read_fields(event, origin, filter, tally, mapper)
}

/// Filters and maps one event, counting what happened to it.
fn read_fields(
    event: &impl EventFields,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
    mapper: &mut Mapper,
) -> Option<MappedEvent> {
    let what = || {
        let or_unknown = |key| event.text(key).filter(|t| !t.is_empty()).unwrap_or("?");
        format!("{} {}", or_unknown("serviceName"), or_unknown("eventName"))
    };
    match filter_event(event, filter) {
        Ok(()) => {}
        Err(Skip::OtherPrincipal) => {
            tally.other_principal += 1;
            return None;
        }
        Err(Skip::Failed) => {
            tally.failed_skipped += 1;
            return None;
        }
        Err(Skip::OutsideWindow) => {
            tally.outside_window += 1;
            return None;
        }
        Err(Skip::Unreadable(why)) => {
            tally.unmappable(origin, format!("{}: {why}", what()));
            return None;
        }
    }
    match map_event(event, mapper) {
        Ok((action, resources)) => {
            tally.mapped += 1;
            Some(MappedEvent {
                action,
                resources,
                origin: match event.text("eventId") {
                    Some(id) => format!("{origin} (event {id})"),
                    None => origin.to_string(),
                },
            })
        }
        Err(why) => {
            tally.unmappable(origin, format!("{}: {why}", what()));
            None
        }
    }
}

/// The catalogued action an event's `eventName` is: the action of that
/// name, else the action whose API it is (OSS records `GetBucket`, the API
/// of `oss:ListObjects`), else the action of that name in another case.
fn action_for_event<'c>(service: &'c Service, event_name: &str) -> Option<&'c ActionInfo> {
    service
        .actions
        .iter()
        .find(|a| a.name == event_name)
        .or_else(|| {
            service
                .actions
                .iter()
                .find(|a| a.api.as_deref() == Some(event_name))
        })
        .or_else(|| service.action(event_name))
}

/// The catalogued action of `serviceName` and `eventName`, or why there is
/// none.
fn lookup_action(service_name: &str, event_name: &str) -> Result<&'static ActionInfo, MapError> {
    let Some(service) = Catalog::builtin().service(service_name) else {
        return Err(MapError::UnknownService(service_name.to_string()));
    };
    action_for_event(service, event_name).ok_or_else(|| MapError::UnknownAction {
        action: format!("{}:{event_name}", service.ram_code),
        hint: crate::suggest::hint(service.suggest_action(event_name).map(|a| &a.action)),
    })
}

/// A request parameter's value as text: a string or a number.
fn param_text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::String(s) | Value::Number(s) => Some(s),
        _ => None,
    }
}

/// Maps an event to its action and resources through the catalogue alone
/// (docs/generate.md, "Every service"): the action from `serviceName` and
/// `eventName`, each resource by filling the action's ARN template with
/// `acsRegion`, `userIdentity.accountId` and the request parameters. A
/// placeholder is filled by the parameter the catalogue says fills it
/// (IMM lists its APIs' parameters), else by the parameter of the
/// placeholder's name in any case (`bucketName` for `{#BucketName}`), else
/// by a parameter the resource type lists for it in `request_params`
/// (`objectName` for OSS's `{#ObjectPath}`).
fn map_event(
    event: &impl EventFields,
    mapper: &mut Mapper,
) -> Result<(String, Vec<String>), MapError> {
    let event_name = event.text("eventName").unwrap_or("");
    let service_name = event.text("serviceName").unwrap_or("");
    if event_name.is_empty() || service_name.is_empty() {
        return Err(MapError::NoName);
    }
    let info = mapper.action(service_name, event_name)?;
    let catalog = Catalog::builtin();
    let service = catalog
        .service(info.action.split_once(':').map_or("", |(code, _)| code))
        .ok_or_else(|| MapError::UnknownService(service_name.to_string()))?;
    let region = event.text("acsRegion").unwrap_or("");
    let account = event.identity("accountId").unwrap_or("");
    let by_name = |name: &str| -> Option<&str> {
        if let Some((_, value)) = event.params().find(|(key, _)| *key == name) {
            return value;
        }
        // In another case only when one parameter has that name: two
        // spellings could carry two values (fail closed).
        let mut found = event
            .params()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name));
        match (found.next(), found.next()) {
            (Some((_, value)), None) => value,
            _ => None,
        }
    };
    let aliases = |name: &str| -> Option<&str> {
        info.resources
            .iter()
            .filter_map(|r| service.resource_type(&r.resource_type))
            .filter_map(|t| t.request_params.get(name))
            .flatten()
            .find_map(|alias| by_name(alias))
    };
    let resources = info.resource_arn_for_call(region, account, |name| {
        by_name(name).or_else(|| aliases(name))
    })?;
    if resources.is_empty() {
        return Err(MapError::NoResource);
    }
    // The ARNs fit the action's templates by construction (they were
    // filled from them, and filling refuses values that change their
    // shape); what the event supplied for the region and account must
    // still look like a region and an account.
    for r in &resources {
        check_arn_parts(r)?;
    }
    Ok((info.action.clone(), resources))
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
        let m = read_event(&node, "f:1", &Filter::default(), &mut tally).unwrap();
        assert_eq!(m.action, "imm:GetProject");
        assert_eq!(
            m.resources,
            ["acs:imm:cn-hangzhou:1234567890123456:project/immtest"]
        );
    }

    #[test]
    fn the_fast_reader_leaves_what_it_cannot_read_exactly_to_the_strict_one() {
        let line = r#"{"eventName": "GetProject", "serviceName": "imm", "acsRegion": "cn-hangzhou", "userIdentity": {"accountId": "1234567890123456", "type": "ram-user", "userName": "alice"}, "requestParameters": {"ProjectName": "immtest", "Tags": [1, {"a": true}]}, "errorCode": ""}"#;
        let fast = FastEvent::parse(line).expect("an event");
        let node = json::parse(line).unwrap();
        let mut t1 = Tally::default();
        let mut t2 = Tally::default();
        let mut mapper = Mapper::default();
        let a = read_fast_event(&fast, "f:1", &Filter::default(), &mut t1, &mut mapper);
        let b = read_event_with(&node, "f:1", &Filter::default(), &mut t2, &mut mapper);
        assert_eq!(a, b);
        assert_eq!(
            a.unwrap().resources,
            ["acs:imm:cn-hangzhou:1234567890123456:project/immtest"]
        );
        // A number among the parameters (kept as written by the strict
        // reader), a duplicate field read, an SLS row, an intent: not fast.
        for line in [
            r#"{"eventName": "GetProject", "requestParameters": {"ProjectName": 12}}"#,
            r#"{"eventName": "GetProject", "eventName": "DeleteProject"}"#,
            r#"{"eventName": "GetProject", "requestParameters": {"A": "1", "A": "2"}}"#,
            r#"{"event": "{}"}"#,
            r#"{"eventName": "x", "action": "imm:GetProject"}"#,
            r#"{"eventName": 5}"#,
        ] {
            assert!(FastEvent::parse(line).is_none(), "{line}");
        }
    }

    #[test]
    fn unmappable_events_are_grouped_by_reason() {
        let mut tally = Tally::default();
        for i in 0..5 {
            tally.unmappable(&format!("f:{i}"), "Oss X: unknown action".into());
        }
        tally.unmappable("f:9", "Imm Y: missing ProjectName".into());
        let report = tally.report();
        assert!(
            report.contains("unmappable: f:0: Oss X: unknown action (and 4 more events like it)"),
            "{report}"
        );
        assert!(report.contains("unmappable: f:9: Imm Y: missing ProjectName\n"));
        assert_eq!(tally.unmappable, 6);
        // Past the cap, reasons are counted, not kept.
        for i in 0..(MAX_REASONS + 10) {
            tally.unmappable("g:1", format!("reason {i}"));
        }
        assert_eq!(tally.reasons.len(), MAX_REASONS);
        assert!(tally.report().contains("more events for other reasons"));
    }
}
