//! The lint rules, one per file, and their registry.
//!
//! Each rule file declares its rule with the `rule!` macro: the doc comment on the
//! rule's type is its documentation (`## What it does`, `## Why is this
//! bad?`, `## Example`), kept in that one place and reused by
//! `ramcheck rules`, SARIF's rule descriptions and `docs/lint-rules.md`.
//!
//! Codes are stable and never reused: `RC1xx` syntax and structure, `RC2xx`
//! actions, `RC3xx` resources, `RC4xx` conditions, `RC5xx` over-permission,
//! `RC6xx` redundancy, `RC7xx` limits.
//!
//! Rules come in two sorts. The grammar rules (most of `RC1xx`, and the
//! syntax halves of `RC2xx`–`RC4xx`) are enforced by the policy parser
//! itself; `policy_error` maps each parser error to its rule, so the
//! parser stays the one judge of the grammar. The other rules have a
//! `check` function that reads the rules' `Context`.

use crate::arn::ArnError;
use crate::catalog::Catalog;
use crate::json::{JsonError, JsonErrorKind, Node, Position, Span, Value};
use crate::policy::{Policy, PolicyError, PolicyErrorKind, PolicyKind, Statement};

use super::compare::{Prepared, StatementIndex};
use super::{Diagnostic, Severity};
use crate::patterns::Budget;

/// A rule's identity and documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, e.g. `RC203`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `unknown-action`.
    pub name: &'static str,
    /// The severity when the configuration does not override it.
    pub severity: Severity,
    /// The rule type's doc comment, as Markdown (each line keeps the one
    /// leading space of `///`; [`RuleMeta::doc`] removes it).
    pub raw_doc: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown.
    pub fn doc(&self) -> String {
        let mut out = String::new();
        for line in self.raw_doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    /// The first sentence of `## What it does`, for one-line lists.
    pub fn short(&self) -> String {
        let summary = self.summary();
        // A sentence ends at ". " before a capital letter (not at "e.g. x").
        let end = summary
            .match_indices(". ")
            .map(|(i, _)| i)
            .find(|&i| summary[i + 2..].starts_with(|c: char| c.is_uppercase()))
            .unwrap_or(summary.len());
        summary[..end].trim_end_matches('.').to_string()
    }

    /// The first paragraph of `## What it does`, on one line.
    pub fn summary(&self) -> String {
        let doc = self.doc();
        let body = doc
            .split_once("## What it does")
            .map(|(_, rest)| rest)
            .unwrap_or(&doc);
        body.trim_start()
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Declares a rule type whose doc comment is the rule's documentation.
macro_rules! rule {
    (
        $(#[doc = $doc:literal])*
        $name:ident { code: $code:literal, name: $rule_name:literal, severity: $severity:ident $(,)? }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::lint::rules::RuleMeta = $crate::lint::rules::RuleMeta {
                code: $code,
                name: $rule_name,
                severity: $crate::lint::Severity::$severity,
                raw_doc: concat!($($doc, "\n"),*),
            };
        }
    };
}

pub(crate) mod rc101_invalid_json;
pub(crate) mod rc102_duplicate_key;
pub(crate) mod rc103_invalid_version;
pub(crate) mod rc104_unknown_element;
pub(crate) mod rc105_invalid_effect;
pub(crate) mod rc106_conflicting_elements;
pub(crate) mod rc107_missing_element;
pub(crate) mod rc108_empty_element;
pub(crate) mod rc109_wrong_type;
pub(crate) mod rc110_principal_not_allowed;
pub(crate) mod rc111_missing_principal;
pub(crate) mod rc112_resource_in_trust_policy;
pub(crate) mod rc113_statement_not_array;
pub(crate) mod rc114_empty_statement;
pub(crate) mod rc115_duplicate_sid;
pub(crate) mod rc116_not_resource;
pub(crate) mod rc117_empty_condition;
pub(crate) mod rc118_principal_never_matches;
pub(crate) mod rc201_invalid_action;
pub(crate) mod rc202_unknown_service;
pub(crate) mod rc203_unknown_action;
pub(crate) mod rc204_action_matches_nothing;
pub(crate) mod rc301_resource_not_arn;
pub(crate) mod rc302_malformed_arn;
pub(crate) mod rc303_resource_service_mismatch;
pub(crate) mod rc304_resource_type_mismatch;
pub(crate) mod rc305_grant_never_applies;
pub(crate) mod rc401_unknown_operator;
pub(crate) mod rc402_invalid_condition_value;
pub(crate) mod rc403_unknown_global_key;
pub(crate) mod rc404_operator_key_type_mismatch;
pub(crate) mod rc405_undocumented_operator;
pub(crate) mod rc406_non_string_condition_value;
pub(crate) mod rc407_invalid_condition_key;
pub(crate) mod rc408_multiple_boolean_values;
pub(crate) mod rc409_unknown_service_key;
pub(crate) mod rc411_source_ip_without_vpc;
pub(crate) mod rc501_allow_all;
pub(crate) mod rc502_allow_with_not;
pub(crate) mod rc503_privilege_escalation;
pub(crate) mod rc504_service_wide_wildcard;
pub(crate) mod rc505_public_access;
pub(crate) mod rc601_duplicate_statement;
pub(crate) mod rc602_redundant_action;
pub(crate) mod rc603_redundant_resource;
pub(crate) mod rc604_covered_statement;
pub(crate) mod rc605_ineffective_deny;
pub(crate) mod rc701_policy_too_large;
pub(crate) mod rc702_policy_too_large_as_written;
pub(crate) mod rc703_too_complex;

/// What a check may look at.
pub(crate) struct Context<'a> {
    /// The work budget of the pattern comparisons of this document.
    pub(crate) budget: &'a Budget,
    pub(crate) text: &'a str,
    /// The document as written.
    pub(crate) root: &'a Node,
    /// The statements that parsed (see [`Policy::parse_lenient`]).
    pub(crate) policy: Option<&'a Policy>,
    pub(crate) kind: PolicyKind,
    pub(crate) catalog: &'static Catalog,
    /// True when the whole document parsed: checks that reason about the
    /// policy as a whole (is this Deny ever useful?) run only then.
    pub(crate) complete: bool,
    pub(crate) prepared: std::cell::OnceCell<(Vec<Prepared>, StatementIndex)>,
}

impl Context<'_> {
    pub(crate) fn statements(&self) -> &[Statement] {
        self.policy.map(|p| p.statements.as_slice()).unwrap_or(&[])
    }

    /// The statements' patterns, read once for the comparison rules, and
    /// their index.
    pub(crate) fn prepared(&self) -> &(Vec<Prepared>, StatementIndex) {
        self.prepared.get_or_init(|| {
            let prepared = Prepared::all(self.statements());
            let index = StatementIndex::new(&prepared);
            (prepared, index)
        })
    }

    /// The statement objects as written (`Statement` array items, or the
    /// single object).
    pub(crate) fn statement_nodes(&self) -> Vec<&Node> {
        match self.root.get("Statement").map(|m| &m.value.value) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(Value::Object(_)) => vec![&self.root.get("Statement").unwrap().value],
            _ => Vec::new(),
        }
    }
}

type Check = fn(&Context, &mut Vec<Diagnostic>);

/// A registry entry: the rule and, unless the parser enforces it, its check.
pub struct Registered {
    /// The rule's code, name, severity and documentation.
    pub meta: &'static RuleMeta,
    pub(crate) check: Option<Check>,
}

macro_rules! registry {
    ($($module:ident :: $ty:ident $(=> $check:path)?),* $(,)?) => {
        /// Every rule, in code order.
        pub static RULES: &[Registered] = &[
            $(Registered { meta: &$module::$ty::META, check: registry!(@check $($check)?) }),*
        ];
    };
    (@check) => { None };
    (@check $check:path) => { Some($check) };
}

registry! {
    rc101_invalid_json::InvalidJson,
    rc102_duplicate_key::DuplicateKey,
    rc103_invalid_version::InvalidVersion,
    rc104_unknown_element::UnknownElement,
    rc105_invalid_effect::InvalidEffect,
    rc106_conflicting_elements::ConflictingElements,
    rc107_missing_element::MissingElement,
    rc108_empty_element::EmptyElement,
    rc109_wrong_type::WrongType,
    rc110_principal_not_allowed::PrincipalNotAllowed,
    rc111_missing_principal::MissingPrincipal,
    rc112_resource_in_trust_policy::ResourceInTrustPolicy,
    rc113_statement_not_array::StatementNotArray => rc113_statement_not_array::check,
    rc114_empty_statement::EmptyStatement => rc114_empty_statement::check,
    rc115_duplicate_sid::DuplicateSid => rc115_duplicate_sid::check,
    rc116_not_resource::NotResource => rc116_not_resource::check,
    rc117_empty_condition::EmptyCondition => rc117_empty_condition::check,
    rc118_principal_never_matches::PrincipalNeverMatches => rc118_principal_never_matches::check,
    rc201_invalid_action::InvalidAction,
    rc202_unknown_service::UnknownService => rc202_unknown_service::check,
    rc203_unknown_action::UnknownAction => rc203_unknown_action::check,
    rc204_action_matches_nothing::ActionMatchesNothing => rc204_action_matches_nothing::check,
    rc301_resource_not_arn::ResourceNotArn,
    rc302_malformed_arn::MalformedArn,
    rc303_resource_service_mismatch::ResourceServiceMismatch => rc303_resource_service_mismatch::check,
    rc304_resource_type_mismatch::ResourceTypeMismatch => rc304_resource_type_mismatch::check,
    rc305_grant_never_applies::GrantNeverApplies => rc305_grant_never_applies::check,
    rc401_unknown_operator::UnknownOperator,
    rc402_invalid_condition_value::InvalidConditionValue,
    rc403_unknown_global_key::UnknownGlobalKey => rc403_unknown_global_key::check,
    rc404_operator_key_type_mismatch::OperatorKeyTypeMismatch => rc404_operator_key_type_mismatch::check,
    rc405_undocumented_operator::UndocumentedOperator => rc405_undocumented_operator::check,
    rc406_non_string_condition_value::NonStringConditionValue => rc406_non_string_condition_value::check,
    rc407_invalid_condition_key::InvalidConditionKey,
    rc408_multiple_boolean_values::MultipleBooleanValues,
    rc409_unknown_service_key::UnknownServiceKey => rc409_unknown_service_key::check,
    rc411_source_ip_without_vpc::SourceIpWithoutVpc => rc411_source_ip_without_vpc::check,
    rc501_allow_all::AllowAll => rc501_allow_all::check,
    rc502_allow_with_not::AllowWithNot => rc502_allow_with_not::check,
    rc503_privilege_escalation::PrivilegeEscalation => rc503_privilege_escalation::check,
    rc504_service_wide_wildcard::ServiceWideWildcard => rc504_service_wide_wildcard::check,
    rc505_public_access::PublicAccess => rc505_public_access::check,
    rc601_duplicate_statement::DuplicateStatement => rc601_duplicate_statement::check,
    rc602_redundant_action::RedundantAction => rc602_redundant_action::check,
    rc603_redundant_resource::RedundantResource => rc603_redundant_resource::check,
    rc604_covered_statement::CoveredStatement => rc604_covered_statement::check,
    rc605_ineffective_deny::IneffectiveDeny => rc605_ineffective_deny::check,
    rc701_policy_too_large::PolicyTooLarge => rc701_policy_too_large::check,
    rc702_policy_too_large_as_written::PolicyTooLargeAsWritten => rc702_policy_too_large_as_written::check,
    rc703_too_complex::TooComplex => rc703_too_complex::check,
}

/// A rule by code (case-insensitive) or name.
pub fn rule(code_or_name: &str) -> Option<&'static RuleMeta> {
    RULES
        .iter()
        .map(|r| r.meta)
        .find(|m| m.code.eq_ignore_ascii_case(code_or_name) || m.name == code_or_name)
}

/// A rule code or name that no rule has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {given:?} (see `ramcheck rules`){}", crate::suggest::hint(.suggestion.as_ref()))]
pub struct UnknownRule {
    /// The code or name as given.
    pub given: String,
    /// The closest code or name, when one is a plausible typo.
    pub suggestion: Option<&'static str>,
}

/// The code of the rule named by `code_or_name` (a code in any letter
/// case, e.g. `rc203`, or a name, e.g. `unknown-action`), so that names
/// are accepted wherever codes are.
pub fn code_of(code_or_name: &str) -> Result<&'static str, UnknownRule> {
    resolve(code_or_name).map(|m| m.code)
}

/// The rule named by `code_or_name` (see [`code_of`]), or why there is
/// none, with the closest code or name.
pub fn resolve(code_or_name: &str) -> Result<&'static RuleMeta, UnknownRule> {
    rule(code_or_name).ok_or_else(|| {
        let candidates = RULES.iter().flat_map(|r| [r.meta.code, r.meta.name]);
        UnknownRule {
            given: code_or_name.to_string(),
            suggestion: crate::suggest::did_you_mean(code_or_name, candidates),
        }
    })
}

/// Runs every rule that has a check.
pub(crate) fn check_all(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for r in RULES {
        if let Some(check) = r.check {
            check(ctx, out);
        }
    }
}

/// A JSON syntax error as a finding: the parser's message, at its position.
pub(crate) fn json_error(e: &JsonError) -> Diagnostic {
    let span = point(e.position);
    match &e.kind {
        JsonErrorKind::DuplicateKey { .. } => Diagnostic::new(
            &rc102_duplicate_key::DuplicateKey::META,
            span,
            "",
            e.kind.to_string(),
        )
        .help("remove one of the two members: RAM readers disagree on which one wins"),
        kind => Diagnostic::new(
            &rc101_invalid_json::InvalidJson::META,
            span,
            "",
            format!("invalid JSON: {kind}"),
        )
        .help(rc101_invalid_json::help(kind)),
    }
}

/// A policy parser error as a finding of the rule that owns it.
pub(crate) fn policy_error(e: &PolicyError) -> Diagnostic {
    use PolicyErrorKind as K;
    let meta: &'static RuleMeta = match &e.kind {
        K::Json(JsonErrorKind::DuplicateKey { .. }) | K::DuplicateConditionKey { .. } => {
            &rc102_duplicate_key::DuplicateKey::META
        }
        K::Json(_) => &rc101_invalid_json::InvalidJson::META,
        K::InvalidVersion { .. } | K::MissingElement("Version") => {
            &rc103_invalid_version::InvalidVersion::META
        }
        K::UnknownElement { .. } | K::UnknownPrincipalType { .. } => {
            &rc104_unknown_element::UnknownElement::META
        }
        K::InvalidEffect { .. } | K::MissingElement("Effect") => {
            &rc105_invalid_effect::InvalidEffect::META
        }
        K::Conflicting { .. } => &rc106_conflicting_elements::ConflictingElements::META,
        K::MissingElement(_) | K::MissingEither(_) => &rc107_missing_element::MissingElement::META,
        K::Empty(_) => &rc108_empty_element::EmptyElement::META,
        K::WrongType { .. } => &rc109_wrong_type::WrongType::META,
        K::PrincipalNotAllowed { .. } => &rc110_principal_not_allowed::PrincipalNotAllowed::META,
        K::MissingPrincipal { .. } => &rc111_missing_principal::MissingPrincipal::META,
        K::ResourceInTrustPolicy { .. } => {
            &rc112_resource_in_trust_policy::ResourceInTrustPolicy::META
        }
        K::InvalidAction { .. } => &rc201_invalid_action::InvalidAction::META,
        K::InvalidResource {
            reason: ArnError::NotAnArn,
            ..
        } => &rc301_resource_not_arn::ResourceNotArn::META,
        K::InvalidResource { .. } => &rc302_malformed_arn::MalformedArn::META,
        K::UnknownOperator { .. } => &rc401_unknown_operator::UnknownOperator::META,
        K::InvalidConditionValue { .. } => {
            &rc402_invalid_condition_value::InvalidConditionValue::META
        }
        K::InvalidConditionKey { .. } => &rc407_invalid_condition_key::InvalidConditionKey::META,
        K::MultipleBooleans { .. } => &rc408_multiple_boolean_values::MultipleBooleanValues::META,
    };
    let help = match &e.kind {
        K::UnknownElement {
            suggestion: Some(s),
            ..
        }
        | K::UnknownPrincipalType {
            suggestion: Some(s),
            ..
        }
        | K::InvalidEffect {
            suggestion: Some(s),
            ..
        } => Some(crate::suggest::question(s)),
        K::UnknownOperator {
            suggestion: Some(s),
            ..
        } => Some(crate::suggest::question(s)),
        K::InvalidVersion { .. } | K::MissingElement("Version") => {
            Some("write \"Version\": \"1\" (a string)".into())
        }
        K::MissingEither("Resource") => Some(
            "add \"Resource\": the ARNs the statement applies to (or \"*\"); a trust policy \
             (--kind trust) has none"
                .into(),
        ),
        K::PrincipalNotAllowed { .. } => Some(
            "`Principal` belongs in trust and resource policies; lint this file with \
             --kind trust (or set its kind in ramcheck.toml)"
                .into(),
        ),
        K::Conflicting { first, second } => Some(format!("keep either `{first}` or `{second}`")),
        K::Json(kind) => Some(rc101_invalid_json::help(kind)),
        K::DuplicateConditionKey { .. } => Some(
            "keep one spelling of the key: condition keys are case-insensitive, so both \
             entries test the same key and together can never hold"
                .into(),
        ),
        _ => None,
    };
    let mut d = Diagnostic::new(meta, e.span, &e.pointer, e.kind.to_string());
    d.help = help;
    d
}

/// An empty span at `p`.
pub(crate) fn point(p: Position) -> Span {
    Span { start: p, end: p }
}

/// The span of `node`'s first character, for findings about a whole
/// document or statement (a code frame of the whole would say nothing).
pub(crate) fn head(node: &Node) -> Span {
    let start = node.span.start;
    Span {
        start,
        end: Position {
            line: start.line,
            column: start.column + 1,
            offset: start.offset + 1,
        },
    }
}

/// How a statement is named in messages: `statement 2 ("Sid")`.
pub(crate) fn describe(s: &Statement) -> String {
    match &s.sid {
        Some((sid, _)) => format!("statement {} ({sid:?})", s.index),
        None => format!("statement {}", s.index),
    }
}

/// The effect's span, where findings about a whole statement point.
pub(crate) fn statement_span(s: &Statement) -> Span {
    s.effect_span
}

/// JSON pointer of a statement's `i`-th action entry.
pub(crate) fn action_pointer(s: &Statement, i: usize) -> String {
    let key = if s.action.negated {
        "NotAction"
    } else {
        "Action"
    };
    if s.action.single_string {
        format!("{}/{key}", s.pointer)
    } else {
        format!("{}/{key}/{i}", s.pointer)
    }
}

/// JSON pointer of a statement's `i`-th resource entry.
pub(crate) fn resource_pointer(s: &Statement, i: usize) -> String {
    let Some(list) = &s.resource else {
        return s.pointer.clone();
    };
    let key = if list.negated {
        "NotResource"
    } else {
        "Resource"
    };
    if list.single_string {
        format!("{}/{key}", s.pointer)
    } else {
        format!("{}/{key}/{i}", s.pointer)
    }
}

/// Condition keys that narrow from where, how or until when a statement
/// applies: a grant conditioned on one of them is not open-ended (RC504).
pub(crate) const RESTRICTING_KEYS: &[&str] = &[
    "acs:SourceIp",
    "acs:SourceVpc",
    "acs:MFAPresent",
    "acs:CurrentTime",
    "acs:SecureTransport",
];

/// Condition keys that narrow who may use a resource-based grant: a grant
/// to `*` conditioned on one of them is not public (RC505).
pub(crate) const CALLER_KEYS: &[&str] = &[
    "acs:SourceIp",
    "acs:SourceVpc",
    "acs:Service",
    "acs:PrincipalARN",
    "acs:PrincipalAccount",
    "acs:AccessId",
];

/// Whether the statement's condition tests one of `keys`.
pub(crate) fn conditioned_on(s: &Statement, keys: &[&str]) -> bool {
    s.condition.as_ref().is_some_and(|c| {
        c.clauses.iter().any(|clause| {
            clause
                .entries
                .iter()
                .any(|e| keys.iter().any(|k| k.eq_ignore_ascii_case(&e.key)))
        })
    })
}

/// True for a pattern of stars only (`*`, `**`): it matches everything.
pub(crate) fn is_all(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c == '*')
}

/// The service part of an action pattern (`imm` of `imm:Get*`), if any.
pub(crate) fn action_service(text: &str) -> Option<&str> {
    text.split_once(':').map(|(service, _)| service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        let mut previous = "";
        for r in RULES {
            let m = r.meta;
            assert!(codes.insert(m.code), "{} twice", m.code);
            assert!(names.insert(m.name), "{} twice", m.name);
            assert!(m.code > previous, "{} out of order", m.code);
            previous = m.code;
            let doc = m.doc();
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(doc.contains(section), "{} lacks {section}", m.code);
            }
            assert!(!m.summary().is_empty(), "{}", m.code);
            // The code's hundreds match the rule's family.
            let family = &m.code[2..3];
            assert!(("1"..="7").contains(&family), "{}", m.code);
        }
        assert_eq!(rule("rc203").unwrap().name, "unknown-action");
        assert_eq!(rule("unknown-action").unwrap().code, "RC203");
        assert!(rule("RC999").is_none());
    }
}
