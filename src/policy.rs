//! The policy model and its strict parser.
//!
//! A [`Policy`] is built from the spanned JSON of [`crate::json`]; every
//! element keeps its span so that errors, explanations and lint findings
//! point at the exact place. Anything the grammar of docs/semantics.md, "Document grammar" does not
//! allow is an error: a policy that does not parse is never evaluated.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::arn::{self, ArnError};
use crate::condition::{Condition, ConditionClause, ConditionEntry, OperatorSpec, Values};
use crate::json::{self, JsonErrorKind, Member, Node, Span, Value};
use crate::suggest::{did_you_mean, hint};
use crate::wildcard::{Case, Wildcard};

/// Where a policy is used. It decides which elements a statement may carry
/// and which size limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// Attached to a user, group or role.
    Identity,
    /// Passed when a role session is created.
    Session,
    /// A Resource Directory control policy.
    Control,
    /// A role's trust policy (`AssumeRolePolicyDocument`): `Principal`, no `Resource`.
    Trust,
    /// A resource-based policy such as an OSS bucket policy: `Principal`,
    /// `Resource` optional.
    Resource,
}

impl PolicyKind {
    /// Every kind, in the order the CLI lists them.
    pub const ALL: [PolicyKind; 5] = [
        PolicyKind::Identity,
        PolicyKind::Session,
        PolicyKind::Control,
        PolicyKind::Trust,
        PolicyKind::Resource,
    ];

    /// A kind by its name (`identity`, `session`, ...).
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind a document shows when no one says (docs/semantics.md,
    /// "Document grammar"): a `Principal` with only `sts:AssumeRole`
    /// actions is a trust policy, any other `Principal` a resource-based
    /// policy, no `Principal` an identity policy.
    pub fn recognize(root: &Node) -> PolicyKind {
        let statements: Vec<&Node> = match root.get("Statement").map(|m| &m.value) {
            Some(
                node @ Node {
                    value: Value::Object(_),
                    ..
                },
            ) => vec![node],
            Some(Node {
                value: Value::Array(items),
                ..
            }) => items.iter().collect(),
            _ => Vec::new(),
        };
        if !statements.iter().any(|s| s.get("Principal").is_some()) {
            return PolicyKind::Identity;
        }
        let only_assume_role = statements.iter().all(|s| {
            let actions: Vec<&str> = match s.get("Action").map(|m| &m.value.value) {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Node::as_str).collect(),
                _ => Vec::new(),
            };
            !actions.is_empty()
                && actions
                    .iter()
                    .all(|a| a.eq_ignore_ascii_case("sts:AssumeRole"))
        });
        if only_assume_role {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        }
    }

    /// Control and session policies only narrow what identity and
    /// resource policies grant: an Allow in them grants nothing by itself,
    /// so "grants too much" does not apply to them.
    pub fn only_limits(self) -> bool {
        matches!(self, PolicyKind::Control | PolicyKind::Session)
    }

    /// Resource-based kinds name who may act; the others must not.
    pub fn has_principal(self) -> bool {
        matches!(self, PolicyKind::Trust | PolicyKind::Resource)
    }

    /// RAM's document size limit in characters ("Limits" page).
    pub fn size_limit(self) -> usize {
        match self {
            PolicyKind::Session => 2048,
            PolicyKind::Control => 4096,
            _ => 6144,
        }
    }

    /// The kind's name, as `--kind` and `ramcheck.toml` write it.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Session => "session",
            PolicyKind::Control => "control",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a statement does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    /// Grants the request (unless something denies it).
    Allow,
    /// Refuses the request, whatever else allows it.
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// An entry of `Action`/`NotAction`: `<ram-code>:<action-name>` or `*`,
/// matched case-insensitively.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPattern {
    /// The pattern, compiled.
    pub wildcard: Wildcard,
    /// Where the entry is written.
    pub span: Span,
}

/// An entry of `Resource`/`NotResource`: an ARN pattern or `*`, matched
/// case-sensitively.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePattern {
    /// The pattern, compiled.
    pub wildcard: Wildcard,
    /// Where the entry is written.
    pub span: Span,
}

/// `Action` or `NotAction`, `Resource` or `NotResource`: a list of patterns,
/// possibly negated (the complement of the list).
#[derive(Debug, Clone, PartialEq)]
pub struct PatternList<P> {
    /// True for `NotAction`/`NotResource`: the list names what does *not*
    /// match.
    pub negated: bool,
    /// The entries, in the order written.
    pub patterns: Vec<P>,
    /// Span of the element's key, e.g. `"Action"`.
    pub key_span: Span,
    /// True when written as a bare string rather than an array.
    pub single_string: bool,
}

impl PatternList<ActionPattern> {
    /// Whether the element covers `action` (case-insensitively).
    pub fn matches(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.wildcard.matches(action)) != self.negated
    }

    /// [`PatternList::matches`] for an action already in ASCII lower case
    /// ([`crate::request::Request::action_lower`]), which compares faster.
    pub fn matches_lowercase(&self, action: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| p.wildcard.matches_lowercase(action))
            != self.negated
    }
}

impl PatternList<ResourcePattern> {
    /// Whether the element covers `resource` (case-sensitively).
    pub fn matches(&self, resource: &str) -> bool {
        self.patterns.iter().any(|p| p.wildcard.matches(resource)) != self.negated
    }
}

/// Who a resource-based statement applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalBlock {
    /// `RAM` entries, and the entries of the flat bucket-policy form.
    pub ram: Vec<PrincipalEntry>,
    /// `Service` entries: cloud services such as `ecs.aliyuncs.com`.
    pub service: Vec<PrincipalEntry>,
    /// `Federated` entries: SAML or OIDC identity providers.
    pub federated: Vec<PrincipalEntry>,
    /// Where `Principal`'s value is written.
    pub span: Span,
}

/// One entry of `Principal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalEntry {
    /// The entry as written.
    pub value: String,
    /// Where it is written.
    pub span: Span,
    /// For `RAM` entries that are ARNs: matched against the caller's ARN.
    pub pattern: Wildcard,
}

/// One element of `Statement`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the `Statement` array, from 0.
    pub index: usize,
    /// Where the statement object is written.
    pub span: Span,
    /// Its JSON pointer, e.g. `/Statement/2`.
    pub pointer: String,
    /// `Sid`, if written, and where.
    pub sid: Option<(String, Span)>,
    /// `Effect`.
    pub effect: Effect,
    /// Where `Effect`'s value is written (findings about a whole statement
    /// point here).
    pub effect_span: Span,
    /// `Action` or `NotAction`.
    pub action: PatternList<ActionPattern>,
    /// `None` only in resource-based policies, where the statement covers
    /// the resource the policy is attached to.
    pub resource: Option<PatternList<ResourcePattern>>,
    /// `Principal`, in resource-based policies only.
    pub principal: Option<PrincipalBlock>,
    /// `Condition`, if written (an empty `{}` is none).
    pub condition: Option<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy name (store policies, system policies) or the file name.
    pub name: String,
    /// Where the text came from, for messages: a path, or `builtin:<name>`.
    pub origin: String,
    /// The kind it was read as.
    pub kind: PolicyKind,
    /// Where `Version`'s value is written.
    pub version_span: Span,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
    /// True when `Statement` was a single object rather than an array
    /// (accepted as a one-element array, docs/semantics.md, "Document grammar", decided).
    pub statement_is_object: bool,
    /// Size in characters as written.
    pub size: usize,
}

/// A shared, immutable policy; policy sets hold these.
pub type PolicyRef = Arc<Policy>;

/// Why a document is not a valid policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyErrorKind {
    /// The text is not strict JSON.
    #[error("invalid JSON: {0}")]
    Json(JsonErrorKind),
    /// An element has the wrong JSON type.
    #[error("{element} must be {expected}, found {found}")]
    WrongType {
        /// The element, as messages name it.
        element: String,
        /// The type it must have.
        expected: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// A required element is missing.
    #[error("missing required element `{0}`")]
    MissingElement(&'static str),
    /// An element the grammar does not know (a typo such as `Resources`).
    #[error("unknown element `{name}`{}", hint(.suggestion.as_ref()))]
    UnknownElement {
        /// The key as written.
        name: String,
        /// The closest known element.
        suggestion: Option<&'static str>,
    },
    /// `Version` is not the string `"1"`.
    #[error("`Version` must be the string \"1\", found {found}")]
    InvalidVersion {
        /// What was written instead.
        found: String,
    },
    /// `Effect` is not `"Allow"` or `"Deny"`.
    #[error("`Effect` must be \"Allow\" or \"Deny\" (case-sensitive), found {found:?}{}", hint(.suggestion.as_ref()))]
    InvalidEffect {
        /// What was written instead.
        found: String,
        /// The closest valid effect.
        suggestion: Option<&'static str>,
    },
    /// Both an element and its `Not` form.
    #[error("a statement may have `{first}` or `{second}`, not both")]
    Conflicting {
        /// The first of the two.
        first: &'static str,
        /// The second of the two.
        second: &'static str,
    },
    /// Neither an element nor its `Not` form.
    #[error("a statement needs `{0}` or `Not{0}`")]
    MissingEither(&'static str),
    /// An element, operator or key with nothing in it.
    #[error("`{0}` must not be empty")]
    Empty(String),
    /// An `Action` entry outside the grammar.
    #[error("invalid action {value:?}: {reason}")]
    InvalidAction {
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `Resource` entry outside the ARN grammar.
    #[error("invalid resource {value:?}: {reason}")]
    InvalidResource {
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        reason: ArnError,
    },
    /// A condition operator RAM does not have.
    #[error("unknown condition operator `{name}`{}", hint(.suggestion.as_ref()))]
    UnknownOperator {
        /// The operator as written.
        name: String,
        /// The closest operator.
        suggestion: Option<String>,
    },
    /// A condition value that cannot be read in its operator's type.
    #[error("invalid value {value:?} for {operator}: {reason}")]
    InvalidConditionValue {
        /// The operator as written.
        operator: String,
        /// The value as written.
        value: String,
        /// Why it cannot be read.
        reason: &'static str,
    },
    /// `Principal` in a policy kind that has none.
    #[error("`Principal` is not allowed in a{} {kind} policy", if matches!(.kind, PolicyKind::Identity) { "n" } else { "" })]
    PrincipalNotAllowed {
        /// The kind the document was read as.
        kind: PolicyKind,
    },
    /// A resource-based statement without `Principal`.
    #[error("a {kind} policy statement needs `Principal`")]
    MissingPrincipal {
        /// The kind the document was read as.
        kind: PolicyKind,
    },
    /// `Resource` or `NotResource` in a trust policy.
    #[error(
        "`{element}` is not allowed in a trust policy; it applies to the role it is attached to"
    )]
    ResourceInTrustPolicy {
        /// The element written.
        element: &'static str,
    },
    /// Two spellings of one condition key under one operator.
    #[error(
        "duplicate condition key {key:?} under `{operator}`: keys compare case-insensitively, and {first:?} (line {first_line}, column {first_column}) is the same key"
    )]
    DuplicateConditionKey {
        /// The operator both are under.
        operator: String,
        /// The second spelling.
        key: String,
        /// The first spelling.
        first: String,
        /// Where the first is written.
        first_line: u32,
        /// Where the first is written.
        first_column: u32,
    },
    /// A condition key not of the form `<ram-code>:<key>` (RAM's console:
    /// "Invalid condition key format").
    #[error("invalid condition key {key:?}: {reason}")]
    InvalidConditionKey {
        /// The key as written.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `Bool` given several values for one key (RAM's console: "Invalid
    /// condition multiple Boolean").
    #[error("`Bool` takes one value for {key:?}, not several")]
    MultipleBooleans {
        /// The key.
        key: String,
    },
    /// A `Principal` key other than `RAM`, `Service` or `Federated`.
    #[error("unknown principal type `{name}`: expected `RAM`, `Service` or `Federated`{}", hint(.suggestion.as_ref()))]
    UnknownPrincipalType {
        /// The key as written.
        name: String,
        /// The closest principal type.
        suggestion: Option<&'static str>,
    },
}

/// A policy error with the place it refers to. `origin` names the file or
/// policy; `Display` renders `origin:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{}:{}: {kind}", .span.start.line, .span.start.column)]
pub struct PolicyError {
    /// The file or label of the document.
    pub origin: String,
    /// What is wrong.
    pub kind: PolicyErrorKind,
    /// Where.
    pub span: Span,
    /// JSON pointer of the offending node, e.g. `/Statement/0/Effect`.
    pub pointer: String,
}

const DOCUMENT_ELEMENTS: &[&str] = &["Version", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["RAM", "Service", "Federated"];

impl Policy {
    /// Parses a policy document. `name` is the policy's name, `origin` the
    /// file or label used in messages.
    pub fn parse(
        text: &str,
        name: &str,
        origin: &str,
        kind: PolicyKind,
    ) -> Result<Policy, PolicyError> {
        let root = json::parse(text).map_err(|e| PolicyError {
            origin: origin.to_string(),
            kind: PolicyErrorKind::Json(e.kind),
            span: Span {
                start: e.position,
                end: e.position,
            },
            pointer: String::new(),
        })?;
        Parser { origin, kind }.policy(&root, name, text.chars().count())
    }

    /// Reads as much of an already parsed JSON document as is valid, for
    /// the linter: every statement that parses is kept, and one error is
    /// returned for each element that does not (an unknown document
    /// element, a bad `Version`, each bad element of each statement), where
    /// [`Policy::parse`] stops at the first. `None` when the document has no usable
    /// `Statement`. Statements keep their `index` in the document, so in a
    /// partial policy `statements[i].index` may differ from `i`; such a
    /// policy is for inspection only and must never be evaluated.
    /// `size` is the document's length in characters as written.
    pub fn parse_lenient(
        root: &Node,
        size: usize,
        name: &str,
        origin: &str,
        kind: PolicyKind,
    ) -> (Option<Policy>, Vec<PolicyError>) {
        Parser { origin, kind }.policy_lenient(root, name, size)
    }
}

struct Parser<'a> {
    origin: &'a str,
    kind: PolicyKind,
}

impl Parser<'_> {
    fn error(&self, node_span: Span, pointer: &str, kind: PolicyErrorKind) -> PolicyError {
        PolicyError {
            origin: self.origin.to_string(),
            kind,
            span: node_span,
            pointer: pointer.to_string(),
        }
    }

    fn wrong_type(&self, node: &Node, element: &str, expected: &'static str) -> PolicyError {
        self.error(
            node.span,
            &node.pointer,
            PolicyErrorKind::WrongType {
                element: element.to_string(),
                expected,
                found: node.value.type_name(),
            },
        )
    }

    /// The members of an object, refusing any key outside `allowed`.
    fn object<'n>(
        &self,
        node: &'n Node,
        element: &str,
        allowed: &'static [&'static str],
    ) -> Result<&'n [Member], PolicyError> {
        let members = node
            .as_object()
            .ok_or_else(|| self.wrong_type(node, element, "an object"))?;
        for m in members {
            if !allowed.contains(&m.key.as_str()) {
                return Err(self.error(
                    m.key_span,
                    &m.value.pointer,
                    PolicyErrorKind::UnknownElement {
                        name: m.key.clone(),
                        suggestion: did_you_mean(&m.key, allowed.iter().copied()),
                    },
                ));
            }
        }
        Ok(members)
    }

    /// The strict reading is the lenient one that refuses any error, so
    /// both apply exactly the same grammar.
    fn policy(&self, root: &Node, name: &str, size: usize) -> Result<Policy, PolicyError> {
        let (policy, errors) = self.policy_lenient(root, name, size);
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        policy
            .ok_or_else(|| self.error(root.span, "", PolicyErrorKind::MissingElement("Statement")))
    }

    fn policy_lenient(
        &self,
        root: &Node,
        name: &str,
        size: usize,
    ) -> (Option<Policy>, Vec<PolicyError>) {
        let mut errors = Vec::new();
        let Some(members) = root.as_object() else {
            return (
                None,
                vec![self.wrong_type(root, "the policy document", "an object")],
            );
        };
        for m in members {
            if !DOCUMENT_ELEMENTS.contains(&m.key.as_str()) {
                errors.push(self.error(
                    m.key_span,
                    &m.value.pointer,
                    PolicyErrorKind::UnknownElement {
                        name: m.key.clone(),
                        suggestion: did_you_mean(&m.key, DOCUMENT_ELEMENTS.iter().copied()),
                    },
                ));
            }
        }
        let find = |k: &str| members.iter().find(|m| m.key == k);
        let version_span = match find("Version") {
            None => {
                errors.push(self.error(root.span, "", PolicyErrorKind::MissingElement("Version")));
                root.span
            }
            Some(version) => {
                let found = match &version.value.value {
                    Value::String(v) if v == "1" => None,
                    Value::String(v) => Some(format!("{v:?}")),
                    other => Some(other.type_name().to_string()),
                };
                if let Some(found) = found {
                    errors.push(self.error(
                        version.value.span,
                        &version.value.pointer,
                        PolicyErrorKind::InvalidVersion { found },
                    ));
                }
                version.value.span
            }
        };
        let Some(statement) = find("Statement") else {
            errors.push(self.error(root.span, "", PolicyErrorKind::MissingElement("Statement")));
            return (None, errors);
        };
        let (items, statement_is_object) = match &statement.value.value {
            Value::Array(items) => (items.iter().collect::<Vec<_>>(), false),
            Value::Object(_) => (vec![&statement.value], true),
            _ => {
                errors.push(self.wrong_type(
                    &statement.value,
                    "`Statement`",
                    "an array of objects",
                ));
                return (None, errors);
            }
        };
        let mut statements = Vec::with_capacity(items.len());
        for (i, node) in items.into_iter().enumerate() {
            match self.statement(i, node) {
                Ok(s) => statements.push(s),
                Err(e) => errors.extend(e),
            }
        }
        let policy = Policy {
            name: name.to_string(),
            origin: self.origin.to_string(),
            kind: self.kind,
            version_span,
            statements,
            statement_is_object,
            size,
        };
        (Some(policy), errors)
    }

    /// Reads one statement. Every element is checked on its own, so that
    /// the linter hears of each bad element; the strict reading keeps the
    /// first error, in element order.
    fn statement(&self, index: usize, node: &Node) -> Result<Statement, Vec<PolicyError>> {
        let members = self
            .object(node, "a statement", STATEMENT_ELEMENTS)
            .map_err(|e| vec![e])?;
        let find = |k: &str| members.iter().find(|m| m.key == k);
        let mut errors = Vec::new();
        let e = &mut errors;
        let sid = keep(e, self.sid(find("Sid")));
        let effect = keep(e, self.effect(node, find("Effect")));
        let action = keep(
            e,
            self.action_element(node, find("Action"), find("NotAction")),
        );
        // Principal before Resource: a trust policy read as an identity
        // policy is best told "Principal is not allowed here" first.
        let principal = keep(e, self.principal_element(node, find("Principal")));
        // A statement with `Principal` where none is allowed is most likely
        // a trust or bucket policy read as the wrong kind: its missing
        // `Resource` follows from that and is not reported on its own.
        let resource_optional = self.kind.has_principal() || find("Principal").is_some();
        let resource = keep(
            e,
            self.resource_element(
                node,
                find("Resource"),
                find("NotResource"),
                resource_optional,
            ),
        );
        let condition = keep(
            e,
            match find("Condition") {
                Some(m) => self.condition(&m.value),
                None => Ok(None),
            },
        );
        match (sid, effect, action, principal, resource, condition) {
            (
                Some(sid),
                Some((effect, effect_span)),
                Some(action),
                Some(principal),
                Some(resource),
                Some(condition),
            ) if errors.is_empty() => Ok(Statement {
                index,
                span: node.span,
                pointer: node.pointer.clone(),
                sid,
                effect,
                effect_span,
                action,
                resource,
                principal,
                condition,
            }),
            _ => Err(errors),
        }
    }

    fn sid(&self, member: Option<&Member>) -> Result<Option<(String, Span)>, PolicyError> {
        match member {
            Some(m) => match m.value.as_str() {
                Some(s) => Ok(Some((s.to_string(), m.value.span))),
                None => Err(self.wrong_type(&m.value, "`Sid`", "a string")),
            },
            None => Ok(None),
        }
    }

    fn effect(&self, node: &Node, member: Option<&Member>) -> Result<(Effect, Span), PolicyError> {
        let m = member.ok_or_else(|| {
            self.error(
                node.span,
                &node.pointer,
                PolicyErrorKind::MissingElement("Effect"),
            )
        })?;
        match m.value.as_str() {
            Some("Allow") => Ok((Effect::Allow, m.value.span)),
            Some("Deny") => Ok((Effect::Deny, m.value.span)),
            Some(other) => Err(self.error(
                m.value.span,
                &m.value.pointer,
                PolicyErrorKind::InvalidEffect {
                    found: other.to_string(),
                    suggestion: did_you_mean(other, ["Allow", "Deny"]),
                },
            )),
            None => Err(self.wrong_type(&m.value, "`Effect`", "a string")),
        }
    }

    fn action_element(
        &self,
        node: &Node,
        action: Option<&Member>,
        not_action: Option<&Member>,
    ) -> Result<PatternList<ActionPattern>, PolicyError> {
        match (action, not_action) {
            (Some(_), Some(m)) => Err(self.error(
                m.key_span,
                &m.value.pointer,
                PolicyErrorKind::Conflicting {
                    first: "Action",
                    second: "NotAction",
                },
            )),
            (Some(m), None) => self.actions(m, false),
            (None, Some(m)) => self.actions(m, true),
            (None, None) => Err(self.error(
                node.span,
                &node.pointer,
                PolicyErrorKind::MissingEither("Action"),
            )),
        }
    }

    fn principal_element(
        &self,
        node: &Node,
        member: Option<&Member>,
    ) -> Result<Option<PrincipalBlock>, PolicyError> {
        match member {
            Some(m) if !self.kind.has_principal() => Err(self.error(
                m.key_span,
                &m.value.pointer,
                PolicyErrorKind::PrincipalNotAllowed { kind: self.kind },
            )),
            Some(m) => self.principal(&m.value).map(Some),
            None if self.kind.has_principal() => Err(self.error(
                node.span,
                &node.pointer,
                PolicyErrorKind::MissingPrincipal { kind: self.kind },
            )),
            None => Ok(None),
        }
    }

    fn resource_element(
        &self,
        node: &Node,
        resource: Option<&Member>,
        not_resource: Option<&Member>,
        optional: bool,
    ) -> Result<Option<PatternList<ResourcePattern>>, PolicyError> {
        let (m, negated) = match (resource, not_resource) {
            (Some(_), Some(m)) => {
                return Err(self.error(
                    m.key_span,
                    &m.value.pointer,
                    PolicyErrorKind::Conflicting {
                        first: "Resource",
                        second: "NotResource",
                    },
                ));
            }
            (Some(m), None) => (m, false),
            (None, Some(m)) => (m, true),
            (None, None) if optional => return Ok(None),
            (None, None) => {
                return Err(self.error(
                    node.span,
                    &node.pointer,
                    PolicyErrorKind::MissingEither("Resource"),
                ));
            }
        };
        if self.kind == PolicyKind::Trust {
            return Err(self.error(
                m.key_span,
                &m.value.pointer,
                PolicyErrorKind::ResourceInTrustPolicy {
                    element: if negated { "NotResource" } else { "Resource" },
                },
            ));
        }
        self.resources(m, negated).map(Some)
    }

    /// A string, or a non-empty array of strings.
    fn strings<'n>(&self, node: &'n Node, element: &str) -> Result<Vec<&'n Node>, PolicyError> {
        match &node.value {
            Value::String(_) => Ok(vec![node]),
            Value::Array(items) if items.is_empty() => Err(self.error(
                node.span,
                &node.pointer,
                PolicyErrorKind::Empty(element.to_string()),
            )),
            Value::Array(items) => {
                for item in items {
                    if item.as_str().is_none() {
                        return Err(self.wrong_type(
                            item,
                            &format!("each entry of `{element}`"),
                            "a string",
                        ));
                    }
                }
                Ok(items.iter().collect())
            }
            _ => Err(self.wrong_type(
                node,
                &format!("`{element}`"),
                "a string or an array of strings",
            )),
        }
    }

    fn actions(
        &self,
        m: &Member,
        negated: bool,
    ) -> Result<PatternList<ActionPattern>, PolicyError> {
        self.patterns(
            m,
            negated,
            validate_action_pattern,
            |value, reason| PolicyErrorKind::InvalidAction { value, reason },
            |text, span| ActionPattern {
                wildcard: Wildcard::new(text, Case::Insensitive),
                span,
            },
        )
    }

    fn resources(
        &self,
        m: &Member,
        negated: bool,
    ) -> Result<PatternList<ResourcePattern>, PolicyError> {
        self.patterns(
            m,
            negated,
            arn::validate_pattern,
            |value, reason| PolicyErrorKind::InvalidResource { value, reason },
            |text, span| ResourcePattern {
                wildcard: Wildcard::new(text, Case::Sensitive),
                span,
            },
        )
    }

    /// An `Action`-like element: a string or non-empty array of valid patterns.
    fn patterns<P, E>(
        &self,
        m: &Member,
        negated: bool,
        validate: fn(&str) -> Result<(), E>,
        invalid: fn(String, E) -> PolicyErrorKind,
        make: fn(&str, Span) -> P,
    ) -> Result<PatternList<P>, PolicyError> {
        let nodes = self.strings(&m.value, &m.key)?;
        let mut patterns = Vec::with_capacity(nodes.len());
        for node in nodes {
            let text = node.as_str().unwrap_or_default();
            if let Err(reason) = validate(text) {
                return Err(self.error(
                    node.span,
                    &node.pointer,
                    invalid(text.to_string(), reason),
                ));
            }
            patterns.push(make(text, node.span));
        }
        Ok(PatternList {
            negated,
            patterns,
            key_span: m.key_span,
            single_string: matches!(m.value.value, Value::String(_)),
        })
    }

    fn principal(&self, node: &Node) -> Result<PrincipalBlock, PolicyError> {
        let entries = |n: &Node, element: &str| -> Result<Vec<PrincipalEntry>, PolicyError> {
            self.strings(n, element)?
                .into_iter()
                .map(|s| {
                    let value = s.as_str().unwrap_or_default();
                    if value.trim().is_empty() || value.trim() != value {
                        return Err(self.error(
                            s.span,
                            &s.pointer,
                            PolicyErrorKind::Empty(format!("an entry of `{element}`")),
                        ));
                    }
                    Ok(PrincipalEntry {
                        value: value.to_string(),
                        span: s.span,
                        pattern: Wildcard::new(value, Case::Sensitive),
                    })
                })
                .collect()
        };
        let mut block = PrincipalBlock {
            ram: Vec::new(),
            service: Vec::new(),
            federated: Vec::new(),
            span: node.span,
        };
        match &node.value {
            // In an OSS bucket policy an empty list means everyone, as
            // `["*"]` does (docs/semantics.md, "Document grammar").
            Value::Array(items) if items.is_empty() && self.kind == PolicyKind::Resource => {
                block.ram = vec![PrincipalEntry {
                    value: "*".to_string(),
                    span: node.span,
                    pattern: Wildcard::new("*", Case::Sensitive),
                }];
            }
            // The bucket-policy form: a flat list of accounts or "*".
            Value::Array(_) | Value::String(_) => block.ram = entries(node, "Principal")?,
            Value::Object(members) => {
                if members.is_empty() {
                    return Err(self.error(
                        node.span,
                        &node.pointer,
                        PolicyErrorKind::Empty("Principal".into()),
                    ));
                }
                for m in members {
                    let list = match m.key.as_str() {
                        "RAM" => &mut block.ram,
                        "Service" => &mut block.service,
                        "Federated" => &mut block.federated,
                        other => {
                            return Err(self.error(
                                m.key_span,
                                &m.value.pointer,
                                PolicyErrorKind::UnknownPrincipalType {
                                    name: other.to_string(),
                                    suggestion: did_you_mean(
                                        other,
                                        PRINCIPAL_TYPES.iter().copied(),
                                    ),
                                },
                            ));
                        }
                    };
                    *list = entries(&m.value, &format!("Principal.{}", m.key))?;
                }
            }
            _ => {
                return Err(self.wrong_type(
                    node,
                    "`Principal`",
                    "an object or an array of strings",
                ));
            }
        }
        Ok(block)
    }

    /// `Condition`; `{}` is no condition (docs/semantics.md, "Document
    /// grammar": Alibaba's own system policies publish it).
    fn condition(&self, node: &Node) -> Result<Option<Condition>, PolicyError> {
        let operators = node
            .as_object()
            .ok_or_else(|| self.wrong_type(node, "`Condition`", "an object"))?;
        if operators.is_empty() {
            return Ok(None);
        }
        let mut clauses = Vec::with_capacity(operators.len());
        for op in operators {
            let Some(spec) = OperatorSpec::parse(&op.key) else {
                let names = OperatorSpec::all_names();
                return Err(self.error(
                    op.key_span,
                    &op.value.pointer,
                    PolicyErrorKind::UnknownOperator {
                        name: op.key.clone(),
                        suggestion: did_you_mean(&op.key, names.iter().map(String::as_str))
                            .map(str::to_string),
                    },
                ));
            };
            let keys = op.value.as_object().ok_or_else(|| {
                self.wrong_type(
                    &op.value,
                    &format!("`{}`", op.key),
                    "an object of condition keys",
                )
            })?;
            if keys.is_empty() {
                return Err(self.error(
                    op.value.span,
                    &op.value.pointer,
                    PolicyErrorKind::Empty(op.key.clone()),
                ));
            }
            let mut entries: Vec<ConditionEntry> = Vec::with_capacity(keys.len());
            let mut seen: HashMap<String, usize> = HashMap::with_capacity(keys.len());
            for key in keys {
                let entry = self.condition_entry(&spec, key)?;
                // Keys are case-insensitive: two spellings of one key under
                // one operator are a duplicate key, never two conditions
                // ANDed (docs/semantics.md, "Document grammar").
                if let Some(first) = seen.get(&entry.key_lower).map(|&i| &entries[i]) {
                    return Err(self.error(
                        key.key_span,
                        &key.value.pointer,
                        PolicyErrorKind::DuplicateConditionKey {
                            operator: op.key.clone(),
                            key: key.key.clone(),
                            first: first.key.clone(),
                            first_line: first.key_span.start.line,
                            first_column: first.key_span.start.column,
                        },
                    ));
                }
                seen.insert(entry.key_lower.clone(), entries.len());
                entries.push(entry);
            }
            clauses.push(ConditionClause {
                operator: spec,
                operator_span: op.key_span,
                entries,
            });
        }
        Ok(Some(Condition {
            clauses,
            span: node.span,
        }))
    }

    fn condition_entry(
        &self,
        spec: &OperatorSpec,
        key: &Member,
    ) -> Result<ConditionEntry, PolicyError> {
        if key.key.trim().is_empty() {
            return Err(self.error(
                key.key_span,
                &key.value.pointer,
                PolicyErrorKind::Empty("a condition key".into()),
            ));
        }
        if let Err(reason) = validate_condition_key(&key.key) {
            return Err(self.error(
                key.key_span,
                &key.value.pointer,
                PolicyErrorKind::InvalidConditionKey {
                    key: key.key.clone(),
                    reason,
                },
            ));
        }
        let value_nodes: Vec<&Node> = match &key.value.value {
            Value::Array(items) if items.is_empty() => {
                return Err(self.error(
                    key.value.span,
                    &key.value.pointer,
                    PolicyErrorKind::Empty(key.key.clone()),
                ));
            }
            Value::Array(items) => items.iter().collect(),
            _ => vec![&key.value],
        };
        let mut raw = Vec::with_capacity(value_nodes.len());
        for v in &value_nodes {
            // JSON booleans and numbers are read as their text (docs/semantics.md, "Conditions").
            match &v.value {
                Value::String(s) => raw.push(s.clone()),
                Value::Bool(b) => raw.push(b.to_string()),
                Value::Number(n) => raw.push(n.clone()),
                _ => {
                    return Err(self.wrong_type(
                        v,
                        &format!("the value of `{}`", key.key),
                        "a string, number or boolean",
                    ));
                }
            }
        }
        // RAM's console refuses several Boolean values for one key: with
        // `true` and `false` both, the condition holds whenever the key is
        // there.
        if spec.operator == crate::condition::Operator::Bool && raw.len() > 1 {
            return Err(self.error(
                key.value.span,
                &key.value.pointer,
                PolicyErrorKind::MultipleBooleans {
                    key: key.key.clone(),
                },
            ));
        }
        let values = Values::parse(spec.operator, &raw).map_err(|(i, reason)| {
            self.error(
                value_nodes[i].span,
                &value_nodes[i].pointer,
                PolicyErrorKind::InvalidConditionValue {
                    operator: spec.to_string(),
                    value: raw[i].clone(),
                    reason,
                },
            )
        })?;
        Ok(ConditionEntry {
            key: key.key.clone(),
            key_lower: key.key.to_ascii_lowercase(),
            key_span: key.key_span,
            pointer: key.value.pointer.clone(),
            raw_values: raw,
            value_spans: value_nodes.iter().map(|n| n.span).collect(),
            values,
        })
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*' | '?')
}

/// The value of `r`, or `None` with its error noted.
fn keep<T>(errors: &mut Vec<PolicyError>, r: Result<T, PolicyError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// A condition key: `<ram-code>:<key>` (`acs:SourceIp`, `oss:Prefix`,
/// `acs:ResourceTag/team`), with no whitespace or control character: a key
/// that no request can carry is refused rather than silently never
/// matching.
pub fn validate_condition_key(key: &str) -> Result<(), &'static str> {
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("whitespace is not allowed in a condition key");
    }
    match key.split_once(':') {
        Some((code, name))
            if !code.is_empty()
                && !name.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(())
        }
        _ => Err("expected <ram-code>:<condition-key>, e.g. acs:SourceIp or oss:Prefix"),
    }
}

/// `*`, or `<ram-code>:<action-name>` where either side may use wildcards.
pub fn validate_action_pattern(text: &str) -> Result<(), &'static str> {
    if text == "*" {
        return Ok(());
    }
    let Some((service, name)) = text.split_once(':') else {
        return Err("expected <ram-code>:<action-name> (e.g. imm:AttachOSSBucket) or \"*\"");
    };
    if service.is_empty() || name.is_empty() {
        return Err("expected <ram-code>:<action-name> (e.g. imm:AttachOSSBucket) or \"*\"");
    }
    if name.contains(':') {
        return Err("an action has exactly one ':'");
    }
    if !service.chars().all(is_name_char) || !name.chars().all(is_name_char) {
        return Err("only letters, digits, '-', '_', '.', '*' and '?' may appear (no spaces)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, "p", "p.json", PolicyKind::Identity)
    }

    fn err(text: &str) -> PolicyError {
        parse(text).expect_err(text)
    }

    const GOOD: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Sid": "AttachImmtest",
      "Effect": "Allow",
      "Action": ["imm:AttachOSSBucket"],
      "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
      "Condition": {"IpAddress": {"acs:SourceIp": ["192.0.2.0/24"]}}
    }
  ]
}"#;

    #[test]
    fn parses_the_reference_document() {
        let p = parse(GOOD).unwrap();
        let s = &p.statements[0];
        assert_eq!(s.sid.as_ref().unwrap().0, "AttachImmtest");
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(s.effect_span.start.line, 6);
        assert!(s.action.matches("IMM:attachossbucket"));
        let r = s.resource.as_ref().unwrap();
        assert!(r.single_string);
        assert!(r.matches("acs:imm:cn-hangzhou:1234567890123456:project/immtest"));
        assert!(!r.matches("acs:imm:cn-hangzhou:1234567890123456:project/Immtest"));
        assert_eq!(s.condition.as_ref().unwrap().clauses.len(), 1);
        assert!(!p.statement_is_object);
    }

    #[test]
    fn grammar_errors_name_the_place() {
        let e = err(&GOOD.replace("\"Allow\"", "\"allow\""));
        assert!(matches!(
            e.kind,
            PolicyErrorKind::InvalidEffect {
                suggestion: Some("Allow"),
                ..
            }
        ));
        assert_eq!((e.span.start.line, e.span.start.column), (6, 17));
        assert_eq!(e.pointer, "/Statement/0/Effect");
        assert_eq!(
            e.to_string(),
            "p.json:6:17: `Effect` must be \"Allow\" or \"Deny\" (case-sensitive), found \"allow\" (did you mean `Allow`?)"
        );

        let e = err(&GOOD.replace("\"Resource\"", "\"Resources\""));
        assert!(
            matches!(&e.kind, PolicyErrorKind::UnknownElement { name, suggestion: Some("Resource") } if name == "Resources")
        );
        assert_eq!(e.span.start.line, 8);

        assert!(matches!(
            err(&GOOD.replace("\"1\"", "1")).kind,
            PolicyErrorKind::InvalidVersion { .. }
        ));
        assert!(matches!(
            err(&GOOD.replace("\"1\"", "\"2\"")).kind,
            PolicyErrorKind::InvalidVersion { .. }
        ));
        assert!(matches!(
            err(r#"{"Statement": []}"#).kind,
            PolicyErrorKind::MissingElement("Version")
        ));
        assert!(matches!(
            err(r#"{"Version": "1"}"#).kind,
            PolicyErrorKind::MissingElement("Statement")
        ));
        assert!(matches!(
            err(r#"{"Version": "1", "Statement": [], "Extra": 1}"#).kind,
            PolicyErrorKind::UnknownElement { .. }
        ));
        assert!(matches!(
            err(r#"{"Version": "1", "Statement": "x"}"#).kind,
            PolicyErrorKind::WrongType { .. }
        ));
    }

    #[test]
    fn element_rules() {
        let stmt = |body: &str| format!(r#"{{"Version": "1", "Statement": [{{{body}}}]}}"#);
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*""#,
        ));
        assert!(matches!(
            e.kind,
            PolicyErrorKind::Conflicting {
                first: "Action",
                second: "NotAction"
            }
        ));
        let e = err(&stmt(r#""Effect": "Allow", "Action": [], "Resource": "*""#));
        assert!(matches!(e.kind, PolicyErrorKind::Empty(ref s) if s == "Action"));
        let e = err(&stmt(r#""Effect": "Allow", "Resource": "*""#));
        assert!(matches!(e.kind, PolicyErrorKind::MissingEither("Action")));
        let e = err(&stmt(r#""Effect": "Allow", "Action": "a:b""#));
        assert!(matches!(e.kind, PolicyErrorKind::MissingEither("Resource")));
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "a:b", "Resource": "*", "NotResource": "*""#,
        ));
        assert!(matches!(e.kind, PolicyErrorKind::Conflicting { .. }));
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "imm", "Resource": "*""#,
        ));
        assert!(matches!(e.kind, PolicyErrorKind::InvalidAction { .. }));
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "a:b", "Resource": "arn:aws:s3:::x""#,
        ));
        assert!(matches!(e.kind, PolicyErrorKind::InvalidResource { .. }));
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": ["a:b", 3], "Resource": "*""#,
        ));
        assert!(matches!(e.kind, PolicyErrorKind::WrongType { .. }));
        assert_eq!(e.pointer, "/Statement/0/Action/1");
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "a:b", "Resource": "*", "Principal": {"RAM": "*"}"#,
        ));
        assert!(matches!(
            e.kind,
            PolicyErrorKind::PrincipalNotAllowed { .. }
        ));
        let e = err(&stmt(
            r#""Effect": "Allow", "Action": "a:b", "Resource": "*", "Sid": 5"#,
        ));
        assert!(matches!(e.kind, PolicyErrorKind::WrongType { .. }));

        // NotResource is accepted with complement semantics (decided).
        let p = parse(&stmt(
            r#""Effect": "Deny", "NotAction": "ram:*", "NotResource": "acs:imm:*""#,
        ))
        .unwrap();
        let s = &p.statements[0];
        assert!(s.action.negated && s.resource.as_ref().unwrap().negated);
        assert!(s.action.matches("imm:GetProject") && !s.action.matches("RAM:CreateUser"));
        assert!(
            !s.resource
                .as_ref()
                .unwrap()
                .matches("acs:imm:cn-hangzhou:1:project/x")
        );
    }

    #[test]
    fn every_bad_element_of_a_statement_is_reported_leniently() {
        let text = r#"{"Version": "1", "Statement": [{"Effect": "allow", "Action": "imm", "Resource": "arn:x", "Condition": {"IpAdress": {}}}]}"#;
        let root = json::parse(text).unwrap();
        let (_, errors) =
            Policy::parse_lenient(&root, text.len(), "p", "p.json", PolicyKind::Identity);
        let kinds: Vec<&str> = errors
            .iter()
            .map(|e| e.pointer.rsplit('/').next().unwrap_or(""))
            .collect();
        assert_eq!(kinds, ["Effect", "Action", "Resource", "IpAdress"]);
        // The strict reading stops at the first, in element order.
        assert!(matches!(
            err(text).kind,
            PolicyErrorKind::InvalidEffect { .. }
        ));
    }

    #[test]
    fn single_statement_object_is_accepted() {
        let p = parse(
            r#"{"Version": "1", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#,
        )
        .unwrap();
        assert!(p.statement_is_object);
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].pointer, "/Statement");
    }

    #[test]
    fn empty_statement_array_grants_nothing_but_parses() {
        assert!(
            parse(r#"{"Version": "1", "Statement": []}"#)
                .unwrap()
                .statements
                .is_empty()
        );
    }

    #[test]
    fn condition_errors() {
        let cond = |c: &str| {
            format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {c}}}]}}"#
            )
        };
        let e = err(&cond(r#"{"IpAdress": {"acs:SourceIp": "1.2.3.4"}}"#));
        assert!(
            matches!(&e.kind, PolicyErrorKind::UnknownOperator { suggestion: Some(s), .. } if s == "IpAddress")
        );
        let e = err(&cond(
            r#"{"IpAddress": {"acs:SourceIp": ["1.2.3.0/24", "1.2.3.0/40"]}}"#,
        ));
        assert!(matches!(
            e.kind,
            PolicyErrorKind::InvalidConditionValue { .. }
        ));
        assert_eq!(e.pointer, "/Statement/0/Condition/IpAddress/acs:SourceIp/1");
        assert!(
            err(&cond(
                r#"{"DateLessThan": {"acs:CurrentTime": "2019-01-01"}}"#
            ))
            .to_string()
            .contains("RFC 3339")
        );
        assert!(
            err(&cond(r#"{"Bool": {"acs:SecureTransport": "yes"}}"#))
                .to_string()
                .contains("true or false")
        );
        assert!(
            err(&cond(r#"{"NumericLessThan": {"k:n": "ten"}}"#))
                .to_string()
                .contains("number")
        );
        assert!(
            err(&cond(r#"{"IpAddress": {"SourceIp": "192.0.2.0/24"}}"#))
                .to_string()
                .contains("<ram-code>:<condition-key>")
        );
        assert!(
            err(&cond(r#"{"Bool": {"acs:MFAPresent ": "true"}}"#))
                .to_string()
                .contains("whitespace")
        );
        assert!(matches!(
            err(&cond(
                r#"{"Bool": {"acs:SecureTransport": ["true", "false"]}}"#
            ))
            .kind,
            PolicyErrorKind::MultipleBooleans { .. }
        ));
        // `{}` is no condition, as Alibaba's system policies write it.
        assert!(
            parse(&cond(r#"{}"#)).unwrap().statements[0]
                .condition
                .is_none()
        );
        assert!(
            err(&cond(r#"{"StringEquals": {}}"#))
                .to_string()
                .contains("must not be empty")
        );
        assert!(
            err(&cond(r#"{"StringEquals": {"x:k": []}}"#))
                .to_string()
                .contains("must not be empty")
        );
        assert!(
            err(&cond(r#"{"StringEquals": {"x:k": null}}"#))
                .to_string()
                .contains("string, number or boolean")
        );
        assert!(
            err(&cond(r#"{"stringequals": {"x:k": "v"}}"#))
                .to_string()
                .contains("unknown condition operator")
        );
        // JSON booleans and numbers are read as text.
        assert!(
            parse(&cond(
                r#"{"Bool": {"acs:SecureTransport": true}, "NumericEquals": {"k:n": 5}}"#
            ))
            .is_ok()
        );
    }

    #[test]
    fn trust_policies() {
        let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"RAM": ["acs:ram::1234567890123456:root"], "Service": "ecs.aliyuncs.com"}}]}"#;
        let p = Policy::parse(trust, "t", "t.json", PolicyKind::Trust).unwrap();
        let principal = p.statements[0].principal.as_ref().unwrap();
        assert_eq!(principal.ram[0].value, "acs:ram::1234567890123456:root");
        assert_eq!(principal.service[0].value, "ecs.aliyuncs.com");
        let with_resource = trust.replace(
            "\"sts:AssumeRole\",",
            "\"sts:AssumeRole\", \"Resource\": \"*\",",
        );
        assert!(matches!(
            Policy::parse(&with_resource, "t", "t.json", PolicyKind::Trust)
                .unwrap_err()
                .kind,
            PolicyErrorKind::ResourceInTrustPolicy { .. }
        ));
        let no_principal =
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}"#;
        assert!(matches!(
            Policy::parse(no_principal, "t", "t.json", PolicyKind::Trust)
                .unwrap_err()
                .kind,
            PolicyErrorKind::MissingPrincipal { .. }
        ));
        let typo = trust.replace("\"Service\"", "\"Services\"");
        assert!(matches!(
            Policy::parse(&typo, "t", "t.json", PolicyKind::Trust)
                .unwrap_err()
                .kind,
            PolicyErrorKind::UnknownPrincipalType {
                suggestion: Some("Service"),
                ..
            }
        ));
        let bucket = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
            "Principal": ["1234567890123456"], "Resource": "acs:oss:*:*:bucket/*"}]}"#;
        assert!(Policy::parse(bucket, "b", "b.json", PolicyKind::Resource).is_ok());
        // An empty list is everyone in a bucket policy, and nothing a trust
        // policy can say.
        let everyone = bucket.replace("[\"1234567890123456\"]", "[]");
        let p = Policy::parse(&everyone, "b", "b.json", PolicyKind::Resource).unwrap();
        assert_eq!(
            p.statements[0].principal.as_ref().unwrap().ram[0].value,
            "*"
        );
        assert!(Policy::parse(&everyone, "b", "b.json", PolicyKind::Trust).is_err());
    }

    #[test]
    fn action_pattern_grammar() {
        assert!(validate_action_pattern("*:Get*").is_ok());
        assert!(validate_action_pattern("imm:*").is_ok());
        assert!(validate_action_pattern("imm:a:b").is_err());
        assert!(validate_action_pattern(":Get").is_err());
        assert!(validate_action_pattern("imm:Get ").is_err());
    }
}
