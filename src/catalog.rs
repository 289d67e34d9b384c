//! Built-in catalogue of cloud-service actions, resource types and API
//! parameters (currently Alibaba Cloud IMM, API version 2020-09-30).
//!
//! A policy linter, a policy generator and an API gateway all need the same
//! facts: which actions exist, which resource ARN each one is authorised
//! against, and which request parameter supplies each part of that ARN.
//! Keeping those facts as data (`data/imm-catalog.json`, embedded at compile
//! time) rather than code means a documentation update is a data diff, and
//! every consumer reads the same table. See `docs/catalog.md` for how the data
//! was derived and which rows are still inferences rather than documented
//! facts (`confirmed == false`).
//!
//! ARN templates use the notation of Alibaba's RAM documentation:
//! `acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}`. `{#regionId}` and
//! `{#accountId}` come from the call context; every other placeholder is filled
//! by the request parameter whose `fills_arn` names it. A template ending in
//! `*` (e.g. the Trigger type) is authorised on that wildcard ARN itself; the
//! template `*` alone is the "All Resources" type of actions without
//! resource-level authorisation.

use std::error::Error;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::arn::{ACCOUNT_PLACEHOLDER, FillError, REGION_PLACEHOLDER, Template};

/// The embedded catalogue. Kept next to `src/` (not generated at build time)
/// so that reviewers see data changes in diffs and the crate has no build
/// script.
const BUILTIN_JSON: &str = include_str!("../data/imm-catalog.json");

/// The only data format this module understands; bumped when a field changes
/// meaning so that stale data fails loudly instead of being misread.
const FORMAT_VERSION: u32 = 1;

/// The whole catalogue: one entry per cloud service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Data format version; checked on load so that a catalogue written for a
    /// different layout is rejected rather than half-understood.
    pub format: u32,
    /// Services in data order.
    pub services: Vec<Service>,
}

/// One cloud service, identified in policies by its RAM code (the part of an
/// action before `:` and the second field of its ARNs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// RAM code as written in policies, e.g. `imm`.
    pub ram_code: String,
    /// Human-readable product name, for messages.
    pub name: String,
    /// OpenAPI version the parameter lists were taken from; parameters differ
    /// between API versions of the same service.
    pub api_version: String,
    /// Resource types the service authorises against.
    pub resource_types: Vec<ResourceType>,
    /// Actions, sorted by name.
    pub actions: Vec<ActionInfo>,
}

/// A kind of resource and the shape of its ARN.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    /// Type name as the RAM documentation prints it (`Project`,
    /// `All Resources`).
    pub name: String,
    /// ARN template in the documentation's `{#Placeholder}` notation.
    #[serde(rename = "arn")]
    pub arn_template: String,
}

/// Everything known about one action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInfo {
    /// API operation name, e.g. `AttachOSSBucket`.
    pub name: String,
    /// The action as written in a policy, e.g. `imm:AttachOSSBucket`.
    pub action: String,
    /// Access level from the RAM documentation.
    pub access_level: AccessLevel,
    /// Resources a call is authorised against. A call needs permission on
    /// every required one.
    pub resources: Vec<ActionResource>,
    /// Service-specific condition keys. Empty for all IMM actions: only the
    /// global `acs:*` keys apply to them.
    #[serde(default)]
    pub condition_keys: Vec<String>,
    /// Other actions the caller must also be allowed for the call to succeed.
    #[serde(default)]
    pub associated_actions: Vec<String>,
    /// Request parameters of the API operation.
    pub params: Vec<ApiParam>,
    /// `false` when no source read states this row; `note` then gives the
    /// inference, so tools can warn instead of asserting.
    pub confirmed: bool,
    /// Where the row was read (for confirmed rows) or what it was inferred
    /// from.
    #[serde(default)]
    pub source: Option<String>,
    /// Why an unconfirmed row says what it says.
    #[serde(default)]
    pub note: Option<String>,
}

/// One resource an action is authorised against.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionResource {
    /// Name of a [`ResourceType`] of the same service.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Whether the docs mark the type as required (`*` prefix).
    pub required: bool,
    /// ARN template this action is checked against. Usually the resource
    /// type's own template, but list actions may use a wildcard form (e.g.
    /// `ListProjects` is checked against `.../project/*`), so it is stored per
    /// action. Filled from the type on load when the data omits it.
    #[serde(rename = "arn", default)]
    pub arn_template: String,
}

/// RAM access level of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// Creates a resource.
    Create,
    /// Enumerates resources or their contents.
    List,
    /// Reads one resource.
    Get,
    /// Modifies a resource.
    Update,
    /// Removes a resource.
    Delete,
    /// The docs print `none`: the service assigns no level. Many of these
    /// actions process media and are billed, so tools must not treat them as
    /// read-only.
    #[serde(rename = "none")]
    Unclassified,
}

impl AccessLevel {
    /// The spelling used by the RAM documentation, for messages and output.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Create => "create",
            AccessLevel::List => "list",
            AccessLevel::Get => "get",
            AccessLevel::Update => "update",
            AccessLevel::Delete => "delete",
            AccessLevel::Unclassified => "none",
        }
    }

    /// Whether a "read-only" policy may include actions of this level. Fails
    /// closed: unclassified actions are not read-only.
    pub fn is_read_only(self) -> bool {
        matches!(self, AccessLevel::List | AccessLevel::Get)
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JSON type of a request parameter as the API models declare it.
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
    /// Lower-case name, matching the catalogue data.
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

/// One request parameter of an API operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiParam {
    /// Parameter name; case-sensitive, as in the API.
    pub name: String,
    /// Whether the API model marks it required. Note that a parameter can fill
    /// an ARN placeholder without being required (e.g. `DatasetName` of
    /// `CreateBinding`); the call then cannot be authorised without it.
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
    /// Maximum length in bytes (UTF-8), where the docs state bytes rather
    /// than characters.
    #[serde(default)]
    pub max_bytes: Option<u32>,
    /// The ARN placeholder (without `{#` `}`) this parameter's value becomes.
    #[serde(default)]
    pub fills_arn: Option<String>,
    /// The docs call the parameter invalid/deprecated; generators should not
    /// emit it.
    #[serde(default)]
    pub deprecated: bool,
    /// Limits the docs state in prose only (character set, element counts).
    #[serde(default)]
    pub note: Option<String>,
}

impl ApiParam {
    /// Whether a string value respects the documented length limits. Counts
    /// characters (Unicode scalar values) for `min_len`/`max_len` and UTF-8
    /// bytes for `max_bytes`, because the docs state them in those units.
    /// Parameters without documented limits accept any length.
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
        // Stop counting past the maximum so a huge value costs no more than
        // the limit.
        let cap = self
            .max_len
            .map_or(usize::MAX, |m| (m as usize).saturating_add(1));
        let chars = value.chars().take(cap).count();
        self.min_len.is_none_or(|min| chars >= min as usize)
            && self.max_len.is_none_or(|max| chars <= max as usize)
    }
}

/// Why the catalogue data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    message: String,
}

impl CatalogError {
    fn new(message: impl Into<String>) -> Self {
        CatalogError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid action catalogue: {}", self.message)
    }
}

impl Error for CatalogError {}

/// Why no ARN could be built for a call. Carries the placeholder and the
/// parameter so a gateway can tell the client exactly what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnError {
    /// The call does not supply a value the ARN needs.
    Missing {
        /// Placeholder name, without `{#` `}`.
        placeholder: String,
        /// Request parameter expected to fill it; `None` for the region and
        /// account, which come from the call context.
        param: Option<String>,
    },
    /// A value would change the ARN's shape or make it a pattern: it is empty
    /// or contains `/`, `:`, `*` or `?`. Rejected rather than escaped because
    /// no IMM name can contain these and RAM has no escape syntax.
    Invalid {
        /// Placeholder name, without `{#` `}`.
        placeholder: String,
        /// Request parameter that supplied the value; `None` for region and
        /// account.
        param: Option<String>,
    },
}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, placeholder, param) = match self {
            ArnError::Missing { placeholder, param } => ("missing", placeholder, param),
            ArnError::Invalid { placeholder, param } => ("invalid", placeholder, param),
        };
        match param {
            Some(p) => write!(f, "{what} request parameter {p} (fills {{#{placeholder}}})"),
            None => write!(f, "{what} value for {{#{placeholder}}}"),
        }
    }
}

impl Error for ArnError {}

impl Catalog {
    /// The catalogue compiled into the crate, parsed on first use. Parsing is
    /// deferred and shared because most runs of the CLI never need it, and
    /// those that do need it many times.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalog::from_json(BUILTIN_JSON).expect(
                "embedded data/imm-catalog.json is invalid (the catalog unit tests check this)",
            )
        })
    }

    /// Parses and checks a catalogue in the `data/imm-catalog.json` format.
    /// Public so that tools can load a newer catalogue than the one compiled
    /// in; the checks make every lookup method below safe to rely on (every
    /// action resource names a known type, every placeholder has a filler).
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog =
            serde_json::from_str(text).map_err(|e| CatalogError::new(e.to_string()))?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// Looks a service up by RAM code. Case-insensitive because RAM compares
    /// actions (and so their service prefix) case-insensitively.
    pub fn service(&self, ram_code: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.ram_code.eq_ignore_ascii_case(ram_code))
    }

    /// Looks up a policy-style action such as `imm:AttachOSSBucket`,
    /// case-insensitively. This is an exact lookup: wildcard patterns like
    /// `imm:Get*` return `None` (matching patterns is the evaluator's job).
    pub fn action(&self, ram_action: &str) -> Option<&ActionInfo> {
        let (code, name) = ram_action.split_once(':')?;
        self.service(code)?.action(name)
    }

    /// Did-you-mean for a policy-style action that matched nothing. Without a
    /// known `service:` prefix every service is searched, so a bare API name
    /// still gets a suggestion.
    pub fn suggest_action(&self, query: &str) -> Option<&ActionInfo> {
        let prefixed = query
            .split_once(':')
            .and_then(|(code, name)| Some((self.service(code)?, name)));
        if let Some((service, name)) = prefixed {
            return service.suggest_action(name);
        }
        self.services
            .iter()
            .filter_map(|s| s.best_match(query))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, action)| action)
    }

    fn validate(&mut self) -> Result<(), CatalogError> {
        if self.format != FORMAT_VERSION {
            return Err(CatalogError::new(format!(
                "format {} is not supported (expected {FORMAT_VERSION})",
                self.format
            )));
        }
        for (i, service) in self.services.iter().enumerate() {
            if self.services[..i]
                .iter()
                .any(|s| s.ram_code.eq_ignore_ascii_case(&service.ram_code))
            {
                return Err(CatalogError::new(format!(
                    "service {} listed twice",
                    service.ram_code
                )));
            }
        }
        for service in &mut self.services {
            service.validate()?;
        }
        Ok(())
    }
}

impl Service {
    /// Looks an action up by API name (`AttachOSSBucket`) or policy form
    /// (`imm:AttachOSSBucket`), case-insensitively as RAM does.
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        let name = self.strip_prefix(name)?;
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Looks a resource type up by name, case-insensitively, so that
    /// `all resources` and `All Resources` are the same type.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The resource types a concrete ARN belongs to, so a linter can say "this
    /// is a Dataset ARN, but the action needs a Project".
    pub fn resource_types_for_arn<'a>(
        &'a self,
        arn: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.resource_types
            .iter()
            .filter(move |t| t.matches_arn(arn))
    }

    /// Did-you-mean: the action whose name is closest to `query` by
    /// case-insensitive edit distance, if it is close enough to be a typo
    /// (as many edits as [`crate::suggest::max_edits`] allows). An
    /// exact case-insensitive match is returned as is. Queries containing
    /// wildcards get no suggestion: a pattern that matches nothing is not a
    /// misspelling of one name. Ties go to the first action in name order.
    pub fn suggest_action(&self, query: &str) -> Option<&ActionInfo> {
        let query = self.strip_prefix(query)?;
        self.best_match(query).map(|(_, action)| action)
    }

    fn best_match(&self, query: &str) -> Option<(usize, &ActionInfo)> {
        if query.contains(['*', '?']) {
            return None;
        }
        let query_len = query.chars().count();
        let limit = crate::suggest::max_edits(query_len);
        let mut best: Option<(usize, &ActionInfo)> = None;
        for action in &self.actions {
            // The length difference bounds the distance from below; skipping
            // here also keeps a huge query from costing more than a scan.
            if action.name.chars().count().abs_diff(query_len) > limit {
                continue;
            }
            let distance = crate::suggest::edit_distance(query, &action.name);
            if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, action));
            }
        }
        best
    }

    /// Accepts `imm:Name` as well as `Name`; a different service prefix means
    /// the name is not ours.
    fn strip_prefix<'q>(&self, name: &'q str) -> Option<&'q str> {
        match name.split_once(':') {
            Some((code, rest)) if code.eq_ignore_ascii_case(&self.ram_code) => Some(rest),
            Some(_) => None,
            None => Some(name),
        }
    }

    fn validate(&mut self) -> Result<(), CatalogError> {
        let code = self.ram_code.clone();
        let err = |msg: String| CatalogError::new(format!("service {code}: {msg}"));
        if code.is_empty() || code.contains([':', '*', '?']) {
            return Err(err("invalid RAM code".into()));
        }
        for (i, t) in self.resource_types.iter().enumerate() {
            if t.arn_template.is_empty() {
                return Err(err(format!("resource type {} has an empty ARN", t.name)));
            }
            if self.resource_types[..i]
                .iter()
                .any(|u| u.name.eq_ignore_ascii_case(&t.name))
            {
                return Err(err(format!("resource type {} listed twice", t.name)));
            }
        }
        for i in 0..self.actions.len() {
            let (earlier, rest) = self.actions.split_at_mut(i);
            let action = &mut rest[0];
            if earlier
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case(&action.name))
            {
                return Err(err(format!("action {} listed twice", action.name)));
            }
            validate_action(&code, &self.resource_types, action).map_err(err)?;
        }
        Ok(())
    }
}

/// Checks one action and fills in per-action ARN templates from the types.
fn validate_action(
    ram_code: &str,
    types: &[ResourceType],
    action: &mut ActionInfo,
) -> Result<(), String> {
    let name = action.name.clone();
    if name.is_empty() || name.contains([':', '*', '?']) {
        return Err(format!("invalid action name {name:?}"));
    }
    if action.action != format!("{ram_code}:{name}") {
        return Err(format!(
            "action {name}: policy name {} is not {ram_code}:{name}",
            action.action
        ));
    }
    if action.resources.is_empty() {
        return Err(format!("action {name}: no resource types"));
    }
    if !action.confirmed && action.note.is_none() {
        return Err(format!("action {name}: unconfirmed row without a note"));
    }
    let mut placeholders: Vec<String> = Vec::new();
    for r in &mut action.resources {
        let Some(t) = types.iter().find(|t| t.name == r.resource_type) else {
            return Err(format!(
                "action {name}: unknown resource type {}",
                r.resource_type
            ));
        };
        if r.arn_template.is_empty() {
            r.arn_template = t.arn_template.clone();
        }
        placeholders.extend(
            Template::parse(&r.arn_template)
                .placeholders()
                .filter(|p| *p != REGION_PLACEHOLDER && *p != ACCOUNT_PLACEHOLDER)
                .map(str::to_string),
        );
    }
    for p in &placeholders {
        let fillers = action
            .params
            .iter()
            .filter(|q| q.fills_arn.as_deref() == Some(p.as_str()))
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
        if let Some(f) = q.fills_arn.as_ref().filter(|f| !placeholders.contains(f)) {
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

impl ResourceType {
    /// Whether this is the "All Resources" pseudo-type of actions without
    /// resource-level authorisation, whose only ARN is `*`.
    pub fn is_all_resources(&self) -> bool {
        self.arn_template == "*"
    }

    /// Whether a concrete ARN has this type's shape: literal parts must match
    /// exactly (case-sensitive, as RAM resource matching is), each
    /// `{#Placeholder}` must match one non-empty run of characters without `/`
    /// or `:` (so a Dataset ARN, which continues after the project name, is not
    /// a Project), and a trailing `*` matches any non-empty rest (an empty id
    /// names no resource). The All Resources template matches only the literal
    /// `*`. Wildcards in `arn` are not interpreted: this classifies resources,
    /// it does not compare policy patterns. Runs in time linear in `arn`.
    pub fn matches_arn(&self, arn: &str) -> bool {
        Template::parse(&self.arn_template).fits(arn)
    }

    /// Fills the template with a region, an account and request parameters.
    /// Placeholders are looked up by their own name (IMM names its
    /// placeholders after the parameters that fill them); prefer
    /// [`ActionInfo::resource_arn_for_call`] when the action is known, as it
    /// follows the catalogue's `fills_arn` mapping and reports what is missing.
    /// Returns `None` if a value is missing or invalid (empty, or containing
    /// `/`, `:`, `*` or `?`), so the result always satisfies
    /// [`matches_arn`](Self::matches_arn).
    pub fn build_arn<'p>(
        &self,
        region: &str,
        account: &str,
        params: impl Fn(&str) -> Option<&'p str>,
    ) -> Option<String> {
        Template::parse(&self.arn_template)
            .fill(|p| match p {
                REGION_PLACEHOLDER => Some(region),
                ACCOUNT_PLACEHOLDER => Some(account),
                _ => params(p),
            })
            .ok()
    }
}

impl ActionInfo {
    /// Looks a request parameter up by its exact (case-sensitive) name, as
    /// the API itself does.
    pub fn param(&self, name: &str) -> Option<&ApiParam> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The ARNs RAM checks for one call of this action: what an API gateway
    /// must authorise before forwarding the call. `params` returns the call's
    /// value for a request parameter name. For IMM, `AttachOSSBucket` with
    /// `ProjectName=immtest` in `cn-hangzhou` gives
    /// `acs:imm:cn-hangzhou:<account>:project/immtest`; actions on All
    /// Resources give `*`. A required resource whose value is missing or
    /// invalid is an error (fail closed: the call cannot be authorised); an
    /// optional resource whose parameters are absent is skipped.
    pub fn resource_arn_for_call<'p>(
        &self,
        region: &str,
        account: &str,
        params: impl Fn(&str) -> Option<&'p str>,
    ) -> Result<Vec<String>, ArnError> {
        let mut arns = Vec::with_capacity(self.resources.len());
        for r in &self.resources {
            // The parameter that fills a placeholder; the region and the
            // account come from the call.
            let param = |placeholder: &str| {
                self.params
                    .iter()
                    .find(|q| q.fills_arn.as_deref() == Some(placeholder))
                    .map(|q| q.name.clone())
            };
            let filled = Template::parse(&r.arn_template).fill(|p| match p {
                REGION_PLACEHOLDER => Some(region),
                ACCOUNT_PLACEHOLDER => Some(account),
                _ => param(p).and_then(|name| params(&name)),
            });
            let placeholder_param = |placeholder: String| {
                let param = match placeholder.as_str() {
                    REGION_PLACEHOLDER | ACCOUNT_PLACEHOLDER => None,
                    other => param(other),
                };
                (placeholder, param)
            };
            match filled {
                Ok(arn) => arns.push(arn),
                Err(FillError::Missing { .. }) if !r.required => {}
                Err(FillError::Missing { placeholder }) => {
                    let (placeholder, param) = placeholder_param(placeholder);
                    return Err(ArnError::Missing { placeholder, param });
                }
                Err(FillError::Invalid { placeholder }) => {
                    let (placeholder, param) = placeholder_param(placeholder);
                    return Err(ArnError::Invalid { placeholder, param });
                }
            }
        }
        Ok(arns)
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

    #[test]
    fn embedded_data_parses_and_validates() {
        let catalog = Catalog::from_json(BUILTIN_JSON).expect("embedded catalogue is valid");
        assert_eq!(catalog.format, FORMAT_VERSION);
        assert_eq!(catalog.services.len(), 1);
        assert_eq!(imm().actions.len(), 105);
        assert_eq!(imm().api_version, "2020-09-30");
    }

    #[test]
    fn every_action_is_prefixed_with_the_ram_code() {
        for a in &imm().actions {
            assert_eq!(a.action, format!("imm:{}", a.name));
            assert!(!a.resources.is_empty(), "{}", a.name);
            assert!(
                !a.resources.iter().any(|r| r.arn_template.is_empty()),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn unconfirmed_rows_explain_themselves() {
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
        for a in &imm().actions {
            if a.confirmed {
                assert!(a.source.is_some(), "{} has no source", a.name);
            } else {
                assert!(a.note.is_some(), "{} has no note", a.name);
            }
        }
    }

    #[test]
    fn service_lookup_is_case_insensitive() {
        let c = Catalog::builtin();
        assert!(c.service("IMM").is_some());
        assert!(c.service("Imm").is_some());
        assert!(c.service("ecs").is_none());
        assert!(c.service("").is_none());
    }

    #[test]
    fn attach_oss_bucket_matches_the_documentation() {
        let a = action("AttachOSSBucket");
        assert_eq!(a.action, "imm:AttachOSSBucket");
        assert_eq!(a.access_level, AccessLevel::Create);
        assert_eq!(a.resources.len(), 1);
        assert_eq!(a.resources[0].resource_type, "Project");
        assert!(a.resources[0].required);
        assert!(a.condition_keys.is_empty());
        assert!(a.associated_actions.is_empty());

        let project = a.param("ProjectName").expect("ProjectName");
        assert!(project.required);
        assert_eq!(project.kind, ParamKind::String);
        assert_eq!(project.fills_arn.as_deref(), Some("ProjectName"));

        let bucket = a.param("OSSBucket").expect("OSSBucket");
        assert!(bucket.required);
        assert_eq!(bucket.fills_arn, None);

        let desc = a.param("Description").expect("Description");
        assert!(!desc.required);
        assert_eq!(desc.min_len, Some(1));
        assert_eq!(desc.max_len, Some(128));
        assert!(desc.length_ok(&"x".repeat(128)));
        assert!(!desc.length_ok(&"x".repeat(129)));
        assert!(!desc.length_ok(""));
        // Characters, not bytes: 128 three-byte characters are fine.
        assert!(desc.length_ok(&"图".repeat(128)));
        assert!(
            a.param("description").is_none(),
            "parameter names are case-sensitive"
        );
    }

    #[test]
    fn action_lookup_is_case_insensitive_and_accepts_the_policy_form() {
        assert_eq!(
            imm().action("attachossbucket").map(|a| a.name.as_str()),
            Some("AttachOSSBucket")
        );
        assert!(imm().action("IMM:AttachOSSBucket").is_some());
        assert!(imm().action("ecs:AttachOSSBucket").is_none());
        assert!(imm().action("imm:Attach*").is_none());
        let c = Catalog::builtin();
        assert!(c.action("imm:attachOSSbucket").is_some());
        assert!(
            c.action("AttachOSSBucket").is_none(),
            "the catalogue-level lookup needs a service"
        );
        assert!(c.action("oss:GetObject").is_none());
    }

    #[test]
    fn attach_oss_bucket_arn_for_a_call() {
        let arns = action("AttachOSSBucket")
            .resource_arn_for_call(
                REGION,
                ACCOUNT,
                params(&[("ProjectName", "immtest"), ("OSSBucket", "b")]),
            )
            .expect("arn");
        assert_eq!(
            arns,
            ["acs:imm:cn-hangzhou:1234567890123456:project/immtest"]
        );

        let project = imm().resource_type("Project").expect("Project");
        assert_eq!(
            project
                .build_arn(REGION, ACCOUNT, params(&[("ProjectName", "immtest")]))
                .as_deref(),
            Some("acs:imm:cn-hangzhou:1234567890123456:project/immtest")
        );
    }

    #[test]
    fn missing_or_malformed_values_are_reported() {
        let a = action("AttachOSSBucket");
        assert_eq!(
            a.resource_arn_for_call(REGION, ACCOUNT, params(&[("OSSBucket", "b")])),
            Err(ArnError::Missing {
                placeholder: "ProjectName".into(),
                param: Some("ProjectName".into())
            })
        );
        for bad in ["", "a/b", "a:b", "*", "p?"] {
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
            a.resource_arn_for_call("", ACCOUNT, params(&[("ProjectName", "p")])),
            Err(ArnError::Invalid {
                placeholder: "regionId".into(),
                param: None
            })
        );
        let project = imm().resource_type("Project").expect("Project");
        assert_eq!(project.build_arn(REGION, ACCOUNT, params(&[])), None);
        assert_eq!(
            project.build_arn(REGION, "1:2", params(&[("ProjectName", "p")])),
            None
        );
        let msg = a
            .resource_arn_for_call(REGION, ACCOUNT, params(&[]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "missing request parameter ProjectName (fills {#ProjectName})"
        );
    }

    #[test]
    fn dataset_actions_need_both_names() {
        let a = action("CreateBinding");
        let arn = a
            .resource_arn_for_call(
                REGION,
                ACCOUNT,
                params(&[("ProjectName", "p"), ("DatasetName", "d")]),
            )
            .expect("arn");
        assert_eq!(
            arn,
            ["acs:imm:cn-hangzhou:1234567890123456:project/p/dataset/d"]
        );
        // DatasetName is optional in the API model but the ARN needs it.
        assert!(!a.param("DatasetName").expect("DatasetName").required);
        assert!(matches!(
            a.resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", "p")])),
            Err(ArnError::Missing { .. })
        ));
    }

    #[test]
    fn all_resources_and_list_actions() {
        // ListRegions: list level, no resource-level authorisation.
        let regions = action("ListRegions");
        assert_eq!(regions.access_level, AccessLevel::List);
        assert_eq!(regions.resources[0].resource_type, "All Resources");
        assert_eq!(
            regions
                .resource_arn_for_call(REGION, ACCOUNT, params(&[]))
                .expect("arn"),
            ["*"]
        );

        // ListProjects is authorised on a wildcard project ARN, not on *.
        let list = action("ListProjects");
        assert_eq!(list.access_level, AccessLevel::List);
        assert_eq!(
            list.resource_arn_for_call(REGION, ACCOUNT, params(&[]))
                .expect("arn"),
            ["acs:imm:cn-hangzhou:1234567890123456:project/*"]
        );

        // CreateProject needs the new project's ARN.
        let create = action("CreateProject");
        assert_eq!(
            create
                .resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", "p1")]))
                .expect("arn"),
            ["acs:imm:cn-hangzhou:1234567890123456:project/p1"]
        );

        // A project-scoped request parameter does not narrow an All Resources action.
        let watermark = action("GetDecodeBlindWatermarkResult");
        assert!(watermark.param("ProjectName").is_some());
        assert_eq!(
            watermark
                .resource_arn_for_call(REGION, ACCOUNT, params(&[("ProjectName", "p")]))
                .expect("arn"),
            ["*"]
        );
    }

    #[test]
    fn arn_matching_by_resource_type() {
        let project = imm().resource_type("Project").expect("Project");
        let dataset = imm().resource_type("Dataset").expect("Dataset");
        let trigger = imm().resource_type("Trigger").expect("Trigger");
        let all = imm().resource_type("all resources").expect("All Resources");

        let p = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";
        let d = "acs:imm:cn-hangzhou:1234567890123456:project/immtest/dataset/ds1";
        assert!(project.matches_arn(p));
        assert!(!project.matches_arn(d), "a Dataset ARN is not a Project");
        assert!(dataset.matches_arn(d));
        assert!(!dataset.matches_arn(p));

        assert!(!project.matches_arn("acs:imm:cn-hangzhou:1234567890123456:project/"));
        assert!(
            !project.matches_arn("acs:imm::1234567890123456:project/p"),
            "empty region"
        );
        assert!(!project.matches_arn("acs:imm:cn-hangzhou:12:34:project/p"));
        assert!(!project.matches_arn("acs:imm:cn-hangzhou:1:project/a:b"));
        assert!(
            !project.matches_arn("acs:IMM:cn-hangzhou:1:project/p"),
            "case-sensitive"
        );
        assert!(!project.matches_arn(&format!("{p}/")));
        assert!(!project.matches_arn("*"));

        assert!(trigger.matches_arn("acs:imm:cn-hangzhou:1:project/p/trigger/t-1"));
        assert!(trigger.matches_arn("acs:imm:cn-hangzhou:1:project/p/trigger/a/b:c"));
        assert!(!trigger.matches_arn("acs:imm:cn-hangzhou:1:project/p/trigger/"));
        assert!(!trigger.matches_arn("acs:imm:cn-hangzhou:1:project/p/batch/b"));

        assert!(all.matches_arn("*"));
        assert!(!all.matches_arn(p));
        assert!(!all.matches_arn("acs:imm:*"));

        let types: Vec<&str> = imm()
            .resource_types_for_arn(d)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(types, ["Dataset"]);
    }

    #[test]
    fn matching_is_general_and_linear() {
        // Placeholders that are not followed by a delimiter still match
        // correctly (no greedy shortcut).
        let t = ResourceType {
            name: "T".into(),
            arn_template: "x:{#a}-{#b}/y".into(),
        };
        assert!(t.matches_arn("x:p-q-r/y"));
        assert!(!t.matches_arn("x:-q/y"));
        assert!(!t.matches_arn("x:pq/y"));
        // Unterminated placeholder and inner star are literal.
        let lit = ResourceType {
            name: "L".into(),
            arn_template: "a{#b*c".into(),
        };
        assert!(lit.matches_arn("a{#b*c"));
        assert!(!lit.matches_arn("a{#bXc"));
        // A long hostile input finishes quickly.
        let project = imm().resource_type("Project").expect("Project");
        let long = format!("acs:imm:{}", "a".repeat(200_000));
        assert!(!project.matches_arn(&long));
    }

    #[test]
    fn built_arns_always_fit_their_template() {
        let values = [("ProjectName", "p-1"), ("DatasetName", "d_1")];
        for a in &imm().actions {
            let arns = a
                .resource_arn_for_call(REGION, ACCOUNT, params(&values))
                .unwrap_or_else(|e| panic!("{}: {e}", a.name));
            for (arn, r) in arns.iter().zip(&a.resources) {
                let t = imm().resource_type(&r.resource_type).expect("type");
                let own = ResourceType {
                    name: String::new(),
                    arn_template: r.arn_template.clone(),
                };
                assert!(own.matches_arn(arn), "{}: {arn}", a.name);
                assert!(
                    t.matches_arn(arn),
                    "{}: {arn} vs {}",
                    a.name,
                    t.arn_template
                );
            }
        }
    }

    #[test]
    fn did_you_mean() {
        let name = |q: &str| imm().suggest_action(q).map(|a| a.name.as_str());
        assert_eq!(name("AttachOssBuckets"), Some("AttachOSSBucket"));
        assert_eq!(name("imm:AtachOSSBucket"), Some("AttachOSSBucket"));
        assert_eq!(name("ListProject"), Some("ListProjects"));
        assert_eq!(name("attachossbucket"), Some("AttachOSSBucket"));
        assert_eq!(name("DescribeInstances"), None);
        assert_eq!(name("Get"), None);
        assert_eq!(name("Attach*"), None);
        assert_eq!(name(""), None);
        assert_eq!(name("ecs:AttachOSSBucket"), None);
        assert_eq!(name(&"x".repeat(100_000)), None);
        let c = Catalog::builtin();
        assert_eq!(
            c.suggest_action("imm:AttachOssBuckets")
                .map(|a| a.action.as_str()),
            Some("imm:AttachOSSBucket")
        );
        assert_eq!(
            c.suggest_action("CreateProjects")
                .map(|a| a.action.as_str()),
            Some("imm:CreateProject")
        );
    }

    #[test]
    fn access_levels() {
        assert!(AccessLevel::Get.is_read_only());
        assert!(!AccessLevel::Unclassified.is_read_only());
        assert_eq!(
            action("AddImageMosaic").access_level,
            AccessLevel::Unclassified
        );
        assert_eq!(AccessLevel::Unclassified.to_string(), "none");
        // Name prefixes do not decide the level.
        assert_eq!(
            action("CreateFacesSearchingTask").access_level,
            AccessLevel::List
        );
    }

    #[test]
    fn invalid_catalogues_are_rejected() {
        let base = r#"{"format":1,"services":[{"ram_code":"x","name":"X","api_version":"1",
            "resource_types":[{"name":"Thing","arn":"acs:x:{#regionId}:{#accountId}:thing/{#ThingId}"}],
            "actions":[ACTION]}]}"#;
        let ok = r#"{"name":"GetThing","action":"x:GetThing","access_level":"get",
            "resources":[{"type":"Thing","required":true}],
            "params":[{"name":"ThingId","required":true,"type":"string","fills_arn":"ThingId"}],
            "confirmed":true,"source":"s"}"#;
        assert!(Catalog::from_json(&base.replace("ACTION", ok)).is_ok());
        let broken = [
            ok.replace("x:GetThing", "y:GetThing"),
            ok.replace(r#""type":"Thing""#, r#""type":"Other""#),
            ok.replace(r#","fills_arn":"ThingId""#, ""),
            ok.replace(r#""confirmed":true"#, r#""confirmed":false"#),
            ok.replace(r#""access_level":"get""#, r#""access_level":"read""#),
            ok.replace(r#""source":"s""#, r#""source":"s","extra":1"#),
            format!("{ok},{ok}"),
        ];
        for b in &broken {
            assert!(
                Catalog::from_json(&base.replace("ACTION", b)).is_err(),
                "{b}"
            );
        }
        assert!(
            Catalog::from_json(
                &base
                    .replace("ACTION", ok)
                    .replace(r#""format":1"#, r#""format":2"#)
            )
            .is_err()
        );
        assert!(Catalog::from_json("not json").is_err());
    }
}
