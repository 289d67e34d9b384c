//! The catalogue of Alibaba Cloud RAM: every documented RAM code, and for
//! the services whose "RAM authorization" tables were read, their actions,
//! access levels, resource types with ARN templates, condition keys and
//! dependent actions (and, for IMM, the API parameters that fill each ARN).
//!
//! The linter (unknown services and actions, resources of the wrong type),
//! the generator (actions and ARNs of ActionTrail events), `can-i`'s typo
//! warnings and the gateway (which ARN a call needs) all read the same
//! facts. They are data, written in the project's own format from what the
//! documentation states (`data/services.json`, `data/services/<code>.json`;
//! the format is in `data/services/README.md`, the sources in
//! docs/catalog.md), compiled in, and parsed lazily: the index on first
//! use, each service file on the first question about that service, so a
//! command that needs no catalogue pays nothing for it.
//!
//! Rows read from a page carry `confirmed: true`; inferred rows carry a
//! note. A service whose action table was not read whole
//! (`actions_complete: false`) gets no "unknown action" findings: the
//! catalogue cannot tell a missing row from a typo there.

mod data;
pub mod query;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::arn::{ACCOUNT_PLACEHOLDER, FillError, REGION_PLACEHOLDER, Template};
use crate::values::ValueType;

/// The data format this module reads.
const FORMAT: u32 = 2;

/// Why catalogue data was refused. Embedded data never is (a test checks
/// every file); these errors are for data read from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The file is not JSON of the format's shape.
    #[error("catalogue file {file}: not valid: {message}")]
    Json {
        /// The file.
        file: String,
        /// What the JSON reader says.
        message: String,
    },
    /// The file is of another format version.
    #[error("catalogue file {file}: format {found} is not supported (expected {FORMAT})")]
    Format {
        /// The file.
        file: String,
        /// Its format.
        found: u32,
    },
    /// The file fails a consistency check.
    #[error("catalogue file {file}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// Which check.
        message: String,
    },
}

/// Why no ARN could be built for a call. Carries the placeholder and the
/// parameter so a gateway can tell the client exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// The call does not supply a value the ARN needs.
    #[error("missing {}", describe(.placeholder, .param))]
    Missing {
        /// Placeholder name, without `{#` `}`.
        placeholder: String,
        /// Request parameter expected to fill it; `None` for the region and
        /// account, which come from the call context.
        param: Option<String>,
    },
    /// A value would change the ARN's shape or make it a pattern: it is
    /// empty or contains `/`, `:`, `*`, `?` or whitespace.
    #[error("invalid {}", describe(.placeholder, .param))]
    Invalid {
        /// Placeholder name, without `{#` `}`.
        placeholder: String,
        /// Request parameter that supplied the value; `None` for region and
        /// account.
        param: Option<String>,
    },
    /// Two request parameters fill the same placeholder with different
    /// values (`ObjectPath` and its alias `ObjectName`).
    #[error("request parameters {param} and {other} fill the same value differently")]
    Conflict {
        /// The parameter of the placeholder's own name.
        param: String,
        /// The other parameter the catalogue lets fill it.
        other: String,
    },
}

fn describe(placeholder: &str, param: &Option<String>) -> String {
    match param {
        Some(p) => format!("request parameter {p} (fills {{#{placeholder}}})"),
        None => format!("value for {{#{placeholder}}}"),
    }
}

/// How finely a service authorizes, as its RAM page states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Resource-level: actions name resource ARNs.
    Resource,
    /// Operation-level: every action is authorized on `*`.
    Operation,
    /// Not stated where the code was found.
    Unknown,
}

/// One documented RAM code, from the index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    /// The code as policies write it, e.g. `oss`.
    pub ram_code: String,
    /// The product's name.
    pub product: String,
    /// The page that states the code.
    pub source: String,
    /// The authorization granularity the page states.
    pub granularity: Granularity,
    /// Our own remark, where one is needed.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    format: u32,
    services: Vec<CodeEntry>,
}

/// RAM access level of an action, as the service's page states it. Older
/// pages say read/write/list, newer ones get/create/update/delete/list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// Enumerates resources or their contents.
    List,
    /// Reads one resource.
    Get,
    /// Reads (older pages' word for get).
    Read,
    /// Creates a resource.
    Create,
    /// Modifies a resource.
    Update,
    /// Removes a resource.
    Delete,
    /// Changes something (older pages' word for create, update, delete).
    Write,
    /// The page assigns no level. Many such actions process media and are
    /// billed, so tools must not treat them as read-only.
    #[serde(rename = "none")]
    Unclassified,
}

impl AccessLevel {
    /// The spelling of the documentation, for messages and output.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "list",
            AccessLevel::Get => "get",
            AccessLevel::Read => "read",
            AccessLevel::Create => "create",
            AccessLevel::Update => "update",
            AccessLevel::Delete => "delete",
            AccessLevel::Write => "write",
            AccessLevel::Unclassified => "none",
        }
    }

    /// Whether a "read-only" policy may include actions of this level.
    /// Fails closed: unclassified actions are not read-only.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            AccessLevel::List | AccessLevel::Get | AccessLevel::Read
        )
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JSON type of an API request parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// Text.
    String,
    /// Whole number.
    Integer,
    /// Floating-point number.
    Number,
    /// `true` / `false`.
    Boolean,
    /// JSON array (sent JSON-encoded in RPC-style calls).
    Array,
    /// JSON object (sent JSON-encoded in RPC-style calls).
    Object,
}

impl ParamKind {
    /// Lower-case name, as in the data.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::String => "string",
            ParamKind::Integer => "integer",
            ParamKind::Number => "number",
            ParamKind::Boolean => "boolean",
            ParamKind::Array => "array",
            ParamKind::Object => "object",
        }
    }
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request parameter of an API operation (IMM's actions carry them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiParam {
    /// Parameter name; case-sensitive, as in the API.
    pub name: String,
    /// Whether the API model marks it required. A parameter can fill an
    /// ARN placeholder without being required (`DatasetName` of
    /// `CreateBinding`); the call then cannot be authorized without it.
    pub required: bool,
    /// Declared JSON type.
    #[serde(rename = "type")]
    pub kind: ParamKind,
    /// Minimum length in characters, where documented.
    #[serde(default)]
    pub min_len: Option<u32>,
    /// Maximum length in characters, where documented.
    #[serde(default)]
    pub max_len: Option<u32>,
    /// Maximum length in UTF-8 bytes, where the docs state bytes.
    #[serde(default)]
    pub max_bytes: Option<u32>,
    /// The ARN placeholder (without `{#` `}`) this parameter's value becomes.
    #[serde(default)]
    pub fills_arn: Option<String>,
    /// The docs call the parameter deprecated; generators should not emit it.
    #[serde(default)]
    pub deprecated: bool,
    /// Limits the docs state in prose only.
    #[serde(default)]
    pub note: Option<String>,
}

impl ApiParam {
    /// Whether a value respects the documented length limits: characters
    /// for `min_len`/`max_len`, UTF-8 bytes for `max_bytes`, as the docs
    /// state them.
    pub fn length_ok(&self, value: &str) -> bool {
        if self
            .max_bytes
            .is_some_and(|max| value.len() as u64 > u64::from(max))
        {
            return false;
        }
        if self.min_len.is_none() && self.max_len.is_none() {
            return true;
        }
        // Stop counting past the maximum: a huge value costs no more than
        // the limit.
        let cap = self
            .max_len
            .map_or(usize::MAX, |m| (m as usize).saturating_add(1));
        let chars = value.chars().take(cap).count();
        self.min_len.is_none_or(|min| chars >= min as usize)
            && self.max_len.is_none_or(|max| chars <= max as usize)
    }
}

/// A kind of resource and the shape of its ARN.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    /// The type as the page names it (`Project`, `bucket`); another
    /// service's type is `<code>:<type>` (`ecs:instance`).
    pub name: String,
    /// ARN template in the docs' `{#Placeholder}` notation; `*` for "All
    /// Resources".
    #[serde(rename = "arn")]
    pub arn_template: String,
    /// Placeholders whose values are paths of several `/`-separated
    /// segments (`ObjectPath`); every other placeholder is one segment.
    #[serde(default, rename = "path_placeholders")]
    pub paths: Vec<String>,
    /// Request parameters, other than the one of a placeholder's own name,
    /// that carry its value in API calls and ActionTrail events
    /// (placeholder → parameter names): OSS records an object key as
    /// `objectName`, which fills `{#ObjectPath}`.
    #[serde(default)]
    pub request_params: BTreeMap<String, Vec<String>>,
    /// Our own remark, where one is needed.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(skip, default = "all_resources")]
    template: Template,
}

fn all_resources() -> Template {
    Template::parse("*")
}

impl ResourceType {
    /// Whether this is "All Resources", whose only ARN is `*`.
    pub fn is_all_resources(&self) -> bool {
        self.template.is_all_resources()
    }

    /// The ARN template, parsed.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Whether a concrete ARN has this type's shape (see
    /// [`Template::fits`]).
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.template.fits(arn)
    }

    /// Fills the template with a region, an account and values looked up
    /// by placeholder name; `None` if one is missing or invalid.
    pub fn build_arn<'p>(
        &self,
        region: &str,
        account: &str,
        values: impl Fn(&str) -> Option<&'p str>,
    ) -> Option<String> {
        self.template
            .fill(|p| match p {
                REGION_PLACEHOLDER => Some(region),
                ACCOUNT_PLACEHOLDER => Some(account),
                _ => values(p),
            })
            .ok()
    }
}

/// A condition key a service defines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionKey {
    /// `<code>:<key>` (or an `acs:` key the service documents as its own).
    pub name: String,
    /// The type its values are read in.
    #[serde(rename = "type")]
    pub kind: KeyType,
    /// Whether a request may carry several values.
    #[serde(default)]
    pub multi: bool,
    /// Our own remark, where one is needed.
    #[serde(default)]
    pub note: Option<String>,
}

/// The type of a service condition key, as the data writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// Text.
    String,
    /// A number.
    Number,
    /// An RFC 3339 date-time.
    Date,
    /// `true` / `false`.
    Boolean,
    /// An IP address or block.
    Ip,
}

impl KeyType {
    /// The value type operators read it in.
    pub fn value_type(self) -> ValueType {
        match self {
            KeyType::String => ValueType::String,
            KeyType::Number => ValueType::Number,
            KeyType::Date => ValueType::Date,
            KeyType::Boolean => ValueType::Boolean,
            KeyType::Ip => ValueType::Ip,
        }
    }
}

/// One resource an action is authorized on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionResource {
    /// Name of a [`ResourceType`] of the same service file.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Whether the page marks the type as required.
    pub required: bool,
    /// The ARN template this action is checked against: the type's, or an
    /// action-specific form (list actions on `.../project/*`).
    #[serde(rename = "arn", default)]
    pub arn_template: String,
    #[serde(skip, default = "all_resources")]
    template: Template,
}

impl ActionResource {
    /// The ARN template, parsed.
    pub fn template(&self) -> &Template {
        &self.template
    }
}

/// Everything known about one action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInfo {
    /// The action name without the code, e.g. `AttachOSSBucket`.
    pub name: String,
    /// The action as a policy writes it, e.g. `imm:AttachOSSBucket`.
    #[serde(skip)]
    pub action: String,
    /// The API operation, when the page names one.
    #[serde(default)]
    pub api: Option<String>,
    /// Access level from the page.
    pub access_level: AccessLevel,
    /// Resources a call is authorized on; a call needs every required one.
    pub resources: Vec<ActionResource>,
    /// The service's condition keys that apply to the action.
    #[serde(default)]
    pub condition_keys: Vec<String>,
    /// Other actions the caller must also be allowed for the call to work.
    #[serde(default)]
    pub dependent_actions: Vec<String>,
    /// Request parameters of the API operation, where known.
    #[serde(default)]
    pub params: Vec<ApiParam>,
    /// `false` when no page that was read states this row; `note` says
    /// what it was inferred from.
    pub confirmed: bool,
    /// The page the row was read from, when not the service's own.
    #[serde(default)]
    pub source: Option<String>,
    /// Why an unconfirmed row says what it says.
    #[serde(default)]
    pub note: Option<String>,
}

impl ActionInfo {
    /// A request parameter by its exact (case-sensitive) name.
    pub fn param(&self, name: &str) -> Option<&ApiParam> {
        self.params.iter().find(|p| p.name == name)
    }

    /// [`ActionInfo::resource_arn_for_call`], a placeholder the call's
    /// parameters do not fill by name being filled by a parameter its
    /// resource type lists in `request_params` (OSS's `ObjectName` for
    /// `{#ObjectPath}`). The one mapping of a call to ARNs, for API calls
    /// and ActionTrail events alike; `service` is this action's.
    pub fn resource_arns<'p>(
        &self,
        service: &Service,
        region: &str,
        account: &str,
        params: impl Fn(&str) -> Option<&'p str>,
    ) -> Result<Vec<String>, ArnError> {
        let alias = |name: &str| {
            self.resources
                .iter()
                .filter_map(|r| service.resource_type(&r.resource_type))
                .filter_map(|t| t.request_params.get(name))
                .flatten()
                .find_map(|alias| params(alias).map(|value| (alias.as_str(), value)))
        };
        // Two parameters that fill one placeholder with different values
        // are refused, never "first wins": the service might act on the
        // one not authorized.
        let conflict = std::cell::RefCell::new(None);
        let arns =
            self.resource_arn_for_call(region, account, |name| match (params(name), alias(name)) {
                (Some(own), Some((other, value))) if own != value => {
                    *conflict.borrow_mut() = Some((name.to_string(), other.to_string()));
                    None
                }
                (Some(own), _) => Some(own),
                (None, aliased) => aliased.map(|(_, value)| value),
            });
        match conflict.into_inner() {
            Some((param, other)) => Err(ArnError::Conflict { param, other }),
            None => arns,
        }
    }

    /// The ARNs RAM checks for one call: what a gateway must authorize
    /// before forwarding it. `params` gives the call's value of a request
    /// parameter. A placeholder is filled by the parameter whose
    /// `fills_arn` names it when the catalogue lists the API's parameters,
    /// else by the parameter of the placeholder's own name. A required
    /// resource whose value is missing or invalid is an error (fail closed);
    /// an optional one whose values are absent is skipped.
    pub fn resource_arn_for_call<'p>(
        &self,
        region: &str,
        account: &str,
        params: impl Fn(&str) -> Option<&'p str>,
    ) -> Result<Vec<String>, ArnError> {
        let param = |placeholder: &str| -> Option<String> {
            match placeholder {
                REGION_PLACEHOLDER | ACCOUNT_PLACEHOLDER => None,
                // Without the API's parameter list, a placeholder names
                // its parameter: RPC parameters are PascalCase, ARN
                // templates write `{#instanceId}` as often as
                // `{#InstanceId}`.
                _ if self.params.is_empty() => {
                    let mut chars = placeholder.chars();
                    chars
                        .next()
                        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                }
                _ => self
                    .params
                    .iter()
                    .find(|q| q.fills_arn.as_deref() == Some(placeholder))
                    .map(|q| q.name.clone()),
            }
        };
        let mut arns = Vec::with_capacity(self.resources.len());
        for r in &self.resources {
            let filled = r.template.fill(|p| match p {
                REGION_PLACEHOLDER => Some(region),
                ACCOUNT_PLACEHOLDER => Some(account),
                _ => param(p).and_then(|name| params(&name)),
            });
            match filled {
                Ok(arn) => arns.push(arn),
                Err(FillError::Missing { .. }) if !r.required => {}
                Err(FillError::Missing { placeholder }) => {
                    let param = param(&placeholder);
                    return Err(ArnError::Missing { placeholder, param });
                }
                Err(FillError::Invalid { placeholder }) => {
                    let param = param(&placeholder);
                    return Err(ArnError::Invalid { placeholder, param });
                }
            }
        }
        Ok(arns)
    }
}

/// One service with its action table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    #[serde(rename = "format")]
    _format: u32,
    /// RAM code as written in policies, e.g. `imm`.
    pub ram_code: String,
    /// The product's name.
    pub product: String,
    /// The service's "RAM authorization" page.
    pub source: String,
    /// The authorization granularity the page states.
    pub granularity: Granularity,
    /// Whether `actions` is the page's whole table.
    pub actions_complete: bool,
    /// The API version the parameters were taken from, where they are.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Resource types the actions are authorized on.
    pub resource_types: Vec<ResourceType>,
    /// The service's own condition keys.
    #[serde(default)]
    pub condition_keys: Vec<ConditionKey>,
    /// Actions, in data order.
    pub actions: Vec<ActionInfo>,
    /// Our own remark, where one is needed.
    #[serde(default)]
    pub note: Option<String>,
    /// Indexes into `actions`, ordered by name case-insensitively: lint,
    /// `can-i`'s typo warnings and `serve` look an action up per request.
    #[serde(skip)]
    by_name: Vec<usize>,
}

/// Orders names as RAM compares them: ASCII case-insensitively.
fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

impl Service {
    /// Reads and checks one service file.
    pub fn from_json(file: &str, text: &str) -> Result<Service, CatalogError> {
        let format = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("format")?.as_u64())
            .unwrap_or(0) as u32;
        if format != FORMAT {
            return Err(CatalogError::Format {
                file: file.to_string(),
                found: format,
            });
        }
        let mut service: Service = serde_json::from_str(text).map_err(|e| CatalogError::Json {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        service
            .validate()
            .map_err(|message| CatalogError::Invalid {
                file: file.to_string(),
                message,
            })?;
        let mut by_name: Vec<usize> = (0..service.actions.len()).collect();
        by_name
            .sort_by(|&a, &b| cmp_ignore_case(&service.actions[a].name, &service.actions[b].name));
        service.by_name = by_name;
        Ok(service)
    }

    /// An action by name (`AttachOSSBucket`) or policy form
    /// (`imm:AttachOSSBucket`), case-insensitively as RAM compares them.
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        let name = self.strip_prefix(name)?;
        let i = self
            .by_name
            .binary_search_by(|&i| cmp_ignore_case(&self.actions[i].name, name))
            .ok()?;
        Some(&self.actions[self.by_name[i]])
    }

    /// A resource type by name, case-insensitively.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// A condition key the service defines, case-insensitively.
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        self.condition_keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
    }

    /// The resource types a concrete ARN belongs to.
    pub fn resource_types_for_arn<'a>(
        &'a self,
        arn: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.resource_types
            .iter()
            .filter(move |t| !t.is_all_resources() && t.matches_arn(arn))
    }

    /// Did-you-mean: the action closest to `query`, if close enough to be
    /// a typo. Queries with wildcards get none.
    pub fn suggest_action(&self, query: &str) -> Option<&ActionInfo> {
        let query = self.strip_prefix(query)?;
        self.best_match(query).map(|(_, action)| action)
    }

    fn best_match(&self, query: &str) -> Option<(usize, &ActionInfo)> {
        if query.contains(['*', '?']) {
            return None;
        }
        let names = self.actions.iter().map(|a| a.name.as_str());
        let best = crate::suggest::did_you_mean(query, names)?;
        let action = self.actions.iter().find(|a| a.name == best)?;
        Some((crate::suggest::edit_distance(query, best), action))
    }

    /// Accepts `imm:Name` as well as `Name`; another service's prefix means
    /// the name is not ours.
    fn strip_prefix<'q>(&self, name: &'q str) -> Option<&'q str> {
        match name.split_once(':') {
            Some((code, rest)) if code.eq_ignore_ascii_case(&self.ram_code) => Some(rest),
            Some(_) => None,
            None => Some(name),
        }
    }

    /// The consistency checks every file passes: one of each name, every
    /// ARN template well formed, every action's resource types and keys
    /// defined, every inferred row explained, every placeholder of an API
    /// with parameters filled by exactly one of them.
    fn validate(&mut self) -> Result<(), String> {
        let code = self.ram_code.clone();
        if code.is_empty()
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!("invalid RAM code {code:?}"));
        }
        if self.source.is_empty() {
            return Err("no source".into());
        }
        for t in &mut self.resource_types {
            check_template(&t.arn_template)
                .map_err(|e| format!("resource type {}: {e}", t.name))?;
            t.template = Template::with_paths(&t.arn_template, &t.paths);
            if let Some(p) = t
                .paths
                .iter()
                .chain(t.request_params.keys())
                .find(|p| !t.template.placeholders().any(|n| n == *p))
            {
                return Err(format!("resource type {}: no placeholder {p}", t.name));
            }
        }
        for (i, t) in self.resource_types.iter().enumerate() {
            if self.resource_types[..i]
                .iter()
                .any(|u| u.name.eq_ignore_ascii_case(&t.name))
            {
                return Err(format!("resource type {} listed twice", t.name));
            }
            if !t.is_all_resources() {
                let owner = t.name.split_once(':').map_or(code.as_str(), |(o, _)| o);
                let service = t.arn_template.split(':').nth(1).unwrap_or_default();
                if !service.eq_ignore_ascii_case(owner) && owner == code {
                    return Err(format!(
                        "resource type {} has an ARN of service {service}",
                        t.name
                    ));
                }
            }
        }
        for (i, k) in self.condition_keys.iter().enumerate() {
            if !k.name.contains(':') || k.name.chars().any(char::is_whitespace) {
                return Err(format!("condition key {:?} is not <code>:<key>", k.name));
            }
            if self.condition_keys[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&k.name))
            {
                return Err(format!("condition key {} listed twice", k.name));
            }
        }
        let mut seen: HashMap<String, ()> = HashMap::new();
        for action in &mut self.actions {
            let name = action.name.clone();
            if name.is_empty() || name.contains([':', '*', '?', ' ']) {
                return Err(format!("invalid action name {name:?}"));
            }
            if seen.insert(name.to_ascii_lowercase(), ()).is_some() {
                return Err(format!("action {name} listed twice"));
            }
            action.action = format!("{code}:{name}");
            if action.resources.is_empty() {
                return Err(format!("action {name}: no resource types"));
            }
            if !action.confirmed && action.note.is_none() {
                return Err(format!("action {name}: an inferred row without a note"));
            }
            for r in &mut action.resources {
                let Some(t) = self
                    .resource_types
                    .iter()
                    .find(|t| t.name == r.resource_type)
                else {
                    return Err(format!(
                        "action {name}: unknown resource type {}",
                        r.resource_type
                    ));
                };
                if r.arn_template.is_empty() {
                    r.arn_template = t.arn_template.clone();
                }
                check_template(&r.arn_template).map_err(|e| format!("action {name}: {e}"))?;
                r.template = Template::with_paths(&r.arn_template, &t.paths);
            }
            for key in &action.condition_keys {
                if !self
                    .condition_keys
                    .iter()
                    .any(|k| k.name.eq_ignore_ascii_case(key))
                {
                    return Err(format!("action {name}: undefined condition key {key}"));
                }
            }
            for d in &action.dependent_actions {
                let well_formed = d
                    .split_once(':')
                    .is_some_and(|(c, n)| !c.is_empty() && !n.is_empty());
                if !well_formed {
                    return Err(format!(
                        "action {name}: dependent action {d:?} is not <code>:<Action>"
                    ));
                }
            }
            check_params(action)?;
        }
        Ok(())
    }
}

/// An ARN template is `*`, or `acs:<code>:<region>:<account>:<relative>`
/// with well-formed `{#Name}` placeholders.
fn check_template(template: &str) -> Result<(), String> {
    if template == "*" {
        return Ok(());
    }
    if crate::arn::Arn::split(template).is_none() {
        return Err(format!(
            "ARN template {template:?} is not acs:<code>:<region>:<account>:<id>"
        ));
    }
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("ARN template {template:?} has an unclosed placeholder"))?;
        let name = after[1..end]
            .strip_prefix('#')
            .ok_or_else(|| format!("ARN template {template:?}: placeholders are {{#Name}}"))?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(format!(
                "ARN template {template:?}: bad placeholder {name:?}"
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// For an action with API parameters: each placeholder filled by exactly
/// one parameter, and each `fills_arn` naming a placeholder.
fn check_params(action: &ActionInfo) -> Result<(), String> {
    if action.params.is_empty() {
        return Ok(());
    }
    let name = &action.name;
    let placeholders: Vec<&str> = action
        .resources
        .iter()
        .flat_map(|r| r.template.placeholders())
        .filter(|p| *p != REGION_PLACEHOLDER && *p != ACCOUNT_PLACEHOLDER)
        .collect();
    for p in &placeholders {
        let fillers = action
            .params
            .iter()
            .filter(|q| q.fills_arn.as_deref() == Some(*p))
            .count();
        if fillers != 1 {
            return Err(format!(
                "action {name}: {{#{p}}} is filled by {fillers} parameters"
            ));
        }
    }
    for (i, q) in action.params.iter().enumerate() {
        if action.params[..i].iter().any(|o| o.name == q.name) {
            return Err(format!("action {name}: parameter {} listed twice", q.name));
        }
        if let Some(f) = q.fills_arn.as_deref().filter(|f| !placeholders.contains(f)) {
            return Err(format!(
                "action {name}: {} fills {{#{f}}}, which no ARN has",
                q.name
            ));
        }
        if q.min_len.zip(q.max_len).is_some_and(|(min, max)| min > max) {
            return Err(format!("action {name}: {} has min_len > max_len", q.name));
        }
    }
    Ok(())
}

/// The whole catalogue: the index of codes and the service files, each
/// parsed on first use.
pub struct Catalog {
    index: OnceLock<Vec<CodeEntry>>,
    services: Vec<OnceLock<Service>>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Catalog({} service files)", data::SERVICES.len())
    }
}

impl Catalog {
    /// The catalogue compiled into the crate.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| Catalog {
            index: OnceLock::new(),
            services: data::SERVICES.iter().map(|_| OnceLock::new()).collect(),
        })
    }

    /// Every documented RAM code, sorted.
    pub fn codes(&self) -> &[CodeEntry] {
        self.index.get_or_init(|| {
            let index: IndexFile = serde_json::from_str(data::INDEX)
                .unwrap_or_else(|e| panic!("embedded data/services.json is invalid: {e}"));
            debug_assert_eq!(index.format, FORMAT);
            let mut codes = index.services;
            codes.sort_by(|a, b| cmp_ignore_case(&a.ram_code, &b.ram_code));
            codes
        })
    }

    /// A documented RAM code, case-insensitively (actions compare so).
    pub fn code(&self, ram_code: &str) -> Option<&CodeEntry> {
        let codes = self.codes();
        let i = codes
            .binary_search_by(|c| cmp_ignore_case(&c.ram_code, ram_code))
            .ok()?;
        Some(&codes[i])
    }

    /// The documented code closest to a misspelt one.
    pub fn suggest_code(&self, ram_code: &str) -> Option<&str> {
        crate::suggest::did_you_mean(ram_code, self.codes().iter().map(|c| c.ram_code.as_str()))
    }

    /// A service with an action table, by RAM code, case-insensitively;
    /// parsed on first use.
    pub fn service(&self, ram_code: &str) -> Option<&Service> {
        let i = data::SERVICES
            .iter()
            .position(|(code, _)| code.eq_ignore_ascii_case(ram_code))?;
        Some(self.load(i))
    }

    fn load(&self, i: usize) -> &Service {
        self.services[i].get_or_init(|| {
            let (code, text) = data::SERVICES[i];
            Service::from_json(&format!("data/services/{code}.json"), text).unwrap_or_else(|e| {
                panic!("embedded catalogue is invalid (a unit test checks it): {e}")
            })
        })
    }

    /// Every service with an action table, parsed.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        (0..data::SERVICES.len()).map(|i| self.load(i))
    }

    /// The RAM codes of the services with an action table, without parsing
    /// any.
    pub(crate) fn service_codes(&self) -> impl Iterator<Item = &'static str> {
        data::SERVICES.iter().map(|(code, _)| *code)
    }

    /// The services whose RAM code a pattern can name (`oss`, `o*`,
    /// `*`), parsed only when they can.
    pub fn services_matching<'a>(
        &'a self,
        code_pattern: &'a crate::wildcard::Wildcard,
    ) -> impl Iterator<Item = &'a Service> + 'a {
        (0..data::SERVICES.len())
            .filter(move |&i| code_pattern.matches(data::SERVICES[i].0))
            .map(|i| self.load(i))
    }

    /// A policy-style action such as `imm:AttachOSSBucket`,
    /// case-insensitively. Exact: patterns like `imm:Get*` give `None`.
    pub fn action(&self, ram_action: &str) -> Option<&ActionInfo> {
        let (code, name) = ram_action.split_once(':')?;
        self.service(code)?.action(name)
    }

    /// The type of a condition key and whether a request may carry several
    /// values: RAM's common keys first, then the key's service's own
    /// (`oss:Prefix`), case-insensitively. `None` for a key nobody
    /// documents, which is then compared as text.
    pub fn key_type(&self, key: &str) -> Option<(ValueType, bool)> {
        crate::values::common_key_type(key).or_else(|| {
            let (code, _) = key.split_once(':')?;
            let k = self.service(code)?.condition_key(key)?;
            Some((k.kind.value_type(), k.multi))
        })
    }

    /// Did-you-mean for an action that matched nothing, within its
    /// service.
    pub fn suggest_action(&self, query: &str) -> Option<&ActionInfo> {
        let (code, name) = query.split_once(':')?;
        self.service(code)?.suggest_action(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const REGION: &str = "cn-hangzhou";
    const ACCOUNT: &str = "1234567890123456";

    fn imm() -> &'static Service {
        Catalog::builtin().service("imm").expect("imm service")
    }

    fn action(name: &str) -> &'static ActionInfo {
        imm().action(name).expect("action exists")
    }

    fn params<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |k| map.get(k).copied()
    }

    /// The consistency check of the real-world issue: every embedded file
    /// parses and validates, the list in data.rs is the directory, and
    /// every code with a file is in the index.
    #[test]
    fn embedded_data_is_consistent() {
        let catalog = Catalog::builtin();
        for (code, text) in data::SERVICES {
            let service = Service::from_json(code, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(service.ram_code, *code);
            assert!(
                catalog.code(code).is_some(),
                "{code} is not in data/services.json"
            );
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/services");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                Some(name.strip_suffix(".json")?.to_string())
            })
            .collect();
        files.sort();
        let listed: Vec<&str> = data::SERVICES.iter().map(|(c, _)| *c).collect();
        assert_eq!(files, listed);
        let codes: Vec<&str> = catalog
            .codes()
            .iter()
            .map(|c| c.ram_code.as_str())
            .collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "the index is sorted, without duplicates");
        assert!(codes.len() > 200, "{}", codes.len());
        for c in catalog.codes() {
            assert!(
                !c.source.is_empty() && !c.product.is_empty(),
                "{}",
                c.ram_code
            );
        }
    }

    #[test]
    fn imm_matches_the_documentation() {
        assert_eq!(imm().actions.len(), 105);
        assert_eq!(imm().api_version.as_deref(), Some("2020-09-30"));
        let a = action("AttachOSSBucket");
        assert_eq!(a.action, "imm:AttachOSSBucket");
        assert_eq!(a.access_level, AccessLevel::Create);
        assert_eq!(a.resources[0].resource_type, "Project");
        assert!(a.resources[0].required);
        let project = a.param("ProjectName").expect("ProjectName");
        assert!(project.required);
        assert_eq!(project.fills_arn.as_deref(), Some("ProjectName"));
        let desc = a.param("Description").expect("Description");
        assert!(!desc.required);
        assert_eq!((desc.min_len, desc.max_len), (Some(1), Some(128)));
        let unconfirmed: Vec<&str> = imm()
            .actions
            .iter()
            .filter(|a| !a.confirmed)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            unconfirmed,
            [
                "ContextualAnswer",
                "GetDRMLicense",
                "ListRegions",
                "SemanticQuery",
                "SimpleQuery"
            ]
        );
    }

    #[test]
    fn lookups_are_case_insensitive() {
        let c = Catalog::builtin();
        assert!(c.service("IMM").is_some());
        assert!(c.service("nosuchservice").is_none());
        assert!(c.code("OSS").is_some());
        assert!(c.code("nosuchcode").is_none());
        assert_eq!(c.suggest_code("osss"), Some("oss"));
        assert_eq!(
            c.action("IMM:attachossbucket").unwrap().name,
            "AttachOSSBucket"
        );
        assert!(c.action("imm:Attach*").is_none());
        assert_eq!(
            c.suggest_action("imm:AttachOssBuckets")
                .map(|a| a.name.as_str()),
            Some("AttachOSSBucket")
        );
        assert!(imm().action("oss:GetObject").is_none());
    }

    #[test]
    fn arns_for_calls() {
        let a = action("AttachOSSBucket");
        assert_eq!(
            a.resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", "immtest")])),
            Ok(vec![
                "acs:imm:cn-hangzhou:1234567890123456:project/immtest".to_string()
            ])
        );
        assert_eq!(
            a.resource_arn_for_call(REGION, ACCOUNT, params(&[("OSSBucket", "b")])),
            Err(ArnError::Missing {
                placeholder: "ProjectName".into(),
                param: Some("ProjectName".into())
            })
        );
        for bad in ["", "a/b", "a:b", "*", "p?", "a b"] {
            assert_eq!(
                a.resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", bad)])),
                Err(ArnError::Invalid {
                    placeholder: "ProjectName".into(),
                    param: Some("ProjectName".into())
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            a.resource_arn_for_call(REGION, ACCOUNT, params(&[]))
                .unwrap_err()
                .to_string(),
            "missing request parameter ProjectName (fills {#ProjectName})"
        );
        // List actions are authorized on their wildcard ARN; All Resources on *.
        assert_eq!(
            action("ListProjects").resource_arn_for_call(REGION, ACCOUNT, params(&[])),
            Ok(vec![
                "acs:imm:cn-hangzhou:1234567890123456:project/*".to_string()
            ])
        );
        assert_eq!(
            action("ListRegions").resource_arn_for_call(REGION, ACCOUNT, params(&[])),
            Ok(vec!["*".to_string()])
        );
        // A dataset action needs both names, even where the API marks one
        // optional.
        let binding = action("CreateBinding");
        assert!(!binding.param("DatasetName").unwrap().required);
        assert!(matches!(
            binding.resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", "p")])),
            Err(ArnError::Missing { .. })
        ));
    }

    #[test]
    fn resource_types_classify_arns() {
        let p = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";
        let d = "acs:imm:cn-hangzhou:1234567890123456:project/immtest/dataset/ds1";
        let types = |arn: &'static str| -> Vec<&str> {
            imm()
                .resource_types_for_arn(arn)
                .map(|t| t.name.as_str())
                .collect()
        };
        assert_eq!(types(p), ["Project"]);
        assert_eq!(types(d), ["Dataset"]);
        let project = imm().resource_type("project").unwrap();
        assert_eq!(
            project
                .build_arn(REGION, ACCOUNT, params(&[("ProjectName", "p")]))
                .as_deref(),
            Some("acs:imm:cn-hangzhou:1234567890123456:project/p")
        );
        assert_eq!(
            project.build_arn(REGION, "1:2", params(&[("ProjectName", "p")])),
            None
        );
        assert!(
            imm()
                .resource_type("All Resources")
                .unwrap()
                .is_all_resources()
        );
    }

    #[test]
    fn invalid_files_are_refused() {
        let base = r#"{"format": 2, "ram_code": "x", "product": "X", "source": "s",
            "granularity": "resource", "actions_complete": true,
            "resource_types": [{"name": "T", "arn": "acs:x:{#regionId}:{#accountId}:t/{#Name}"}],
            "actions": [ACTIONS]}"#;
        let file = |actions: &str| base.replace("ACTIONS", actions);
        let ok = r#"{"name": "GetT", "access_level": "get", "resources": [{"type": "T", "required": true}], "confirmed": true}"#;
        assert!(Service::from_json("x", &file(ok)).is_ok());
        let bad = [
            ok.replace("\"T\"", "\"U\""),
            format!("{ok}, {ok}"),
            ok.replace("\"confirmed\": true", "\"confirmed\": false"),
            ok.replace("\"get\"", "\"readish\""),
            ok.replace("\"confirmed\": true", "\"confirmed\": true, \"typo\": 1"),
            ok.replace("}], ", "}], \"condition_keys\": [\"x:Undefined\"], "),
        ];
        for actions in bad {
            assert!(
                Service::from_json("x", &file(&actions)).is_err(),
                "{actions}"
            );
        }
        assert!(matches!(
            Service::from_json("x", &file(ok).replace("\"format\": 2", "\"format\": 1")),
            Err(CatalogError::Format { found: 1, .. })
        ));
        let broken_arn = file(ok).replace("t/{#Name}", "t/{Name}");
        assert!(Service::from_json("x", &broken_arn).is_err());
    }
}
