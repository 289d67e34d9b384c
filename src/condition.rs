//! The `Condition` element: operators, typed values and their evaluation.
//!
//! Policy values are read in the operator's type when the policy is loaded,
//! so a bad CIDR or date is a load error at its line, never a silent
//! non-match at request time (docs/semantics.md, "Conditions"). Request values are read at
//! evaluation; one that cannot be read in the operator's type resolves
//! toward denial: an Allow does not match, a Deny does.

use std::cmp::Ordering;
use std::fmt;

use ipnet::IpNet;
use time::OffsetDateTime;

use crate::json::Span;
use crate::request::{Context, ContextValue};
use crate::values::{
    Decimal, DecimalRef, ValueType, network_contains, parse_bool, parse_date, parse_network,
};
use crate::wildcard::{Case, Wildcard};

/// RAM's 21 documented operators, plus `Null` (accepted with a lint warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// The request value equals a policy value, case-sensitively.
    StringEquals,
    /// The request value equals none of the policy values, case-sensitively.
    StringNotEquals,
    /// The request value equals a policy value, ignoring case.
    StringEqualsIgnoreCase,
    /// The request value equals none of the policy values, ignoring case.
    StringNotEqualsIgnoreCase,
    /// The request value matches a policy pattern (`*`, `?`), case-sensitively.
    StringLike,
    /// The request value matches none of the policy patterns.
    StringNotLike,
    /// The request number equals a policy number.
    NumericEquals,
    /// The request number equals none of the policy numbers.
    NumericNotEquals,
    /// The request number is less than a policy number.
    NumericLessThan,
    /// The request number is less than or equal to a policy number.
    NumericLessThanEquals,
    /// The request number is greater than a policy number.
    NumericGreaterThan,
    /// The request number is greater than or equal to a policy number.
    NumericGreaterThanEquals,
    /// The request date-time is the same instant as a policy date-time.
    DateEquals,
    /// The request date-time is none of the policy instants.
    DateNotEquals,
    /// The request date-time is before a policy date-time.
    DateLessThan,
    /// The request date-time is before or at a policy date-time.
    DateLessThanEquals,
    /// The request date-time is after a policy date-time.
    DateGreaterThan,
    /// The request date-time is at or after a policy date-time.
    DateGreaterThanEquals,
    /// The request value is the policy's `true` or `false`.
    Bool,
    /// The request address lies in a policy address or CIDR block.
    IpAddress,
    /// The request address lies in none of the policy addresses or blocks.
    NotIpAddress,
    /// `true`: the request has no value for the key; `false`: it has one. Not
    /// documented by RAM.
    Null,
}

impl Operator {
    /// Every operator, the 21 documented ones first, then `Null`.
    pub const ALL: [Operator; 22] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::IpAddress,
        Operator::NotIpAddress,
        Operator::Null,
    ];

    /// The operator's name as a policy spells it, e.g. `StringEquals`.
    pub fn name(self) -> &'static str {
        match self {
            Operator::StringEquals => "StringEquals",
            Operator::StringNotEquals => "StringNotEquals",
            Operator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Operator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Operator::StringLike => "StringLike",
            Operator::StringNotLike => "StringNotLike",
            Operator::NumericEquals => "NumericEquals",
            Operator::NumericNotEquals => "NumericNotEquals",
            Operator::NumericLessThan => "NumericLessThan",
            Operator::NumericLessThanEquals => "NumericLessThanEquals",
            Operator::NumericGreaterThan => "NumericGreaterThan",
            Operator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Operator::DateEquals => "DateEquals",
            Operator::DateNotEquals => "DateNotEquals",
            Operator::DateLessThan => "DateLessThan",
            Operator::DateLessThanEquals => "DateLessThanEquals",
            Operator::DateGreaterThan => "DateGreaterThan",
            Operator::DateGreaterThanEquals => "DateGreaterThanEquals",
            Operator::Bool => "Bool",
            Operator::IpAddress => "IpAddress",
            Operator::NotIpAddress => "NotIpAddress",
            Operator::Null => "Null",
        }
    }

    /// Operator names are case-sensitive (docs/semantics.md, "Conditions").
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The type the operator reads its policy and request values in.
    pub fn value_type(self) -> ValueType {
        use Operator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => ValueType::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => ValueType::Number,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => ValueType::Date,
            Bool => ValueType::Boolean,
            IpAddress | NotIpAddress => ValueType::Ip,
            Null => ValueType::Presence,
        }
    }

    /// Negated operators hold when no request value matches any policy
    /// value, and on a missing key (docs/semantics.md, "Conditions", decided as AWS does).
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
        )
    }

    /// True for the 21 operators RAM documents.
    pub fn is_documented(self) -> bool {
        self != Operator::Null
    }
}

/// `ForAnyValue:` / `ForAllValues:` (AWS-compatible; RAM does not document them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// `ForAnyValue:`: holds when any request value satisfies the operator;
    /// false on a missing key.
    ForAnyValue,
    /// `ForAllValues:`: holds when every request value satisfies the operator;
    /// true on a missing key.
    ForAllValues,
}

impl SetQualifier {
    /// The prefix as written, colon included, e.g. `ForAnyValue:`.
    pub fn prefix(self) -> &'static str {
        match self {
            SetQualifier::ForAnyValue => "ForAnyValue:",
            SetQualifier::ForAllValues => "ForAllValues:",
        }
    }
}

/// An operator as written: `[ForAnyValue:|ForAllValues:]Operator[IfExists]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperatorSpec {
    /// The `ForAnyValue:` or `ForAllValues:` prefix, if written.
    pub qualifier: Option<SetQualifier>,
    /// The operator named.
    pub operator: Operator,
    /// Whether the name ends in `IfExists`, which makes a missing key hold.
    pub if_exists: bool,
}

impl OperatorSpec {
    /// Reads an operator name; `None` for anything not in the grammar,
    /// including `Null` with a qualifier or `IfExists`, which has no meaning.
    pub fn parse(name: &str) -> Option<OperatorSpec> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let operator = Operator::from_name(base)?;
        if operator == Operator::Null && (qualifier.is_some() || if_exists) {
            return None;
        }
        Some(OperatorSpec {
            qualifier,
            operator,
            if_exists,
        })
    }

    /// True when any part of the spelling is outside RAM's documented grammar.
    pub fn is_documented(&self) -> bool {
        self.qualifier.is_none() && !self.if_exists && self.operator.is_documented()
    }

    /// Every valid operator spelling, for did-you-mean suggestions.
    pub fn all_names() -> Vec<String> {
        let mut names = Vec::new();
        for op in Operator::ALL {
            names.push(op.name().to_string());
            if op != Operator::Null {
                names.push(format!("{}IfExists", op.name()));
                for q in [SetQualifier::ForAnyValue, SetQualifier::ForAllValues] {
                    names.push(format!("{}{}", q.prefix(), op.name()));
                }
            }
        }
        names
    }
}

impl fmt::Display for OperatorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            f.write_str(q.prefix())?;
        }
        f.write_str(self.operator.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Policy values, read once in the operator's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Strings for the `StringEquals` and `StringNotEquals` families.
    Strings(Vec<String>),
    /// Wildcard patterns for `StringLike` and `StringNotLike`.
    Patterns(Vec<Wildcard>),
    /// Numbers for the `Numeric` operators.
    Numbers(Vec<Decimal>),
    /// Instants for the `Date` operators.
    Dates(Vec<OffsetDateTime>),
    /// Booleans for `Bool`, and for `Null` (`true`: the key must be absent).
    Bools(Vec<bool>),
    /// Addresses and CIDR blocks for `IpAddress` and `NotIpAddress`; a lone
    /// address is a one-address block.
    Networks(Vec<IpNet>),
}

impl Values {
    /// Reads raw policy values for `operator`; on failure, the index of the
    /// bad value and why.
    pub fn parse(operator: Operator, raw: &[String]) -> Result<Values, (usize, &'static str)> {
        fn all<T>(
            raw: &[String],
            f: impl Fn(&str) -> Result<T, &'static str>,
        ) -> Result<Vec<T>, (usize, &'static str)> {
            raw.iter()
                .enumerate()
                .map(|(i, s)| f(s).map_err(|e| (i, e)))
                .collect()
        }
        Ok(match operator.value_type() {
            ValueType::String => match operator {
                Operator::StringLike | Operator::StringNotLike => Values::Patterns(
                    raw.iter()
                        .map(|s| Wildcard::new(s, Case::Sensitive))
                        .collect(),
                ),
                _ => Values::Strings(raw.to_vec()),
            },
            ValueType::Number => Values::Numbers(all(raw, |s| s.parse())?),
            ValueType::Date => Values::Dates(all(raw, parse_date)?),
            ValueType::Boolean | ValueType::Presence => Values::Bools(all(raw, parse_bool)?),
            ValueType::Ip => Values::Networks(all(raw, parse_network)?),
        })
    }
}

/// One key under one operator, e.g. `"acs:SourceIp": ["192.0.2.0/24"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionEntry {
    /// The key as written.
    pub key: String,
    /// The key lower-cased: keys compare case-insensitively, and the
    /// context stores them lower-cased, so lookups need no allocation.
    pub key_lower: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The JSON pointer to the entry's value, e.g.
    /// `/Statement/0/Condition/IpAddress/acs:SourceIp`.
    pub pointer: String,
    /// The values as written, for explanations and lint.
    pub raw_values: Vec<String>,
    /// Where each value is written, in the order of `raw_values`.
    pub value_spans: Vec<Span>,
    /// The values read in the operator's type.
    pub values: Values,
}

/// One operator block, e.g. `"IpAddress": {...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionClause {
    /// The operator, as read from its name.
    pub operator: OperatorSpec,
    /// Where the operator's name is written.
    pub operator_span: Span,
    /// The keys under the operator, in source order; all must hold.
    pub entries: Vec<ConditionEntry>,
}

/// The whole `Condition` element: every clause and entry must hold (AND).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator blocks, in source order.
    pub clauses: Vec<ConditionClause>,
    /// Where the `Condition` object is written.
    pub span: Span,
}

/// Why a condition did not hold, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConditionFailure {
    /// The condition key, as the policy writes it.
    pub key: String,
    /// The operator as the policy writes it, e.g. `ForAnyValue:StringLike`.
    pub operator: String,
    /// Set when the request value could not be read in the operator's type.
    pub unreadable_value: Option<String>,
}

/// The outcome of a condition for a statement of a given effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionOutcome {
    /// The condition holds.
    Holds {
        /// Keys whose unreadable request values were taken as matching,
        /// which happens only in Deny statements.
        unreadable: Vec<ConditionFailure>,
    },
    /// The condition does not hold; the first entry that failed, and why.
    Fails(ConditionFailure),
}

enum EntryResult<'r> {
    True,
    False,
    /// The request value at hand cannot be read in the operator's type.
    Unreadable(&'r str),
}

/// The first entry that keeps a condition from holding.
struct Failure<'c, 'r> {
    clause: &'c ConditionClause,
    entry: &'c ConditionEntry,
    unreadable: Option<&'r str>,
}

impl Failure<'_, '_> {
    fn to_owned(&self) -> ConditionFailure {
        ConditionFailure {
            key: self.entry.key.clone(),
            operator: self.clause.operator.to_string(),
            unreadable_value: self.unreadable.map(str::to_string),
        }
    }
}

impl Condition {
    /// Whether every clause holds, allocating nothing: the check the
    /// evaluators run per statement. An unreadable request value counts as
    /// holding when `unreadable_holds` (a Deny statement) and as failing
    /// otherwise (docs/semantics.md, "Conditions", decided: toward denial).
    pub fn holds(&self, context: &Context, unreadable_holds: bool) -> bool {
        self.first_failure(context, unreadable_holds).is_none()
    }

    /// Like [`Condition::holds`], with the reasons, for explanations.
    pub fn evaluate(&self, context: &Context, unreadable_holds: bool) -> ConditionOutcome {
        if let Some(failure) = self.first_failure(context, unreadable_holds) {
            return ConditionOutcome::Fails(failure.to_owned());
        }
        let mut unreadable = Vec::new();
        if unreadable_holds {
            for clause in &self.clauses {
                for entry in &clause.entries {
                    if let EntryResult::Unreadable(value) =
                        evaluate_entry(&clause.operator, entry, context)
                    {
                        unreadable.push(
                            Failure {
                                clause,
                                entry,
                                unreadable: Some(value),
                            }
                            .to_owned(),
                        );
                    }
                }
            }
        }
        ConditionOutcome::Holds { unreadable }
    }

    fn first_failure<'c, 'r>(
        &'c self,
        context: &'r Context,
        unreadable_holds: bool,
    ) -> Option<Failure<'c, 'r>> {
        for clause in &self.clauses {
            for entry in &clause.entries {
                let unreadable = match evaluate_entry(&clause.operator, entry, context) {
                    EntryResult::True => continue,
                    EntryResult::Unreadable(_) if unreadable_holds => continue,
                    EntryResult::Unreadable(value) => Some(value),
                    EntryResult::False => None,
                };
                return Some(Failure {
                    clause,
                    entry,
                    unreadable,
                });
            }
        }
        None
    }
}

fn evaluate_entry<'r>(
    spec: &OperatorSpec,
    entry: &ConditionEntry,
    context: &'r Context,
) -> EntryResult<'r> {
    let request = context.get_lowercase(&entry.key_lower);
    let to_result = |b: bool| {
        if b {
            EntryResult::True
        } else {
            EntryResult::False
        }
    };
    if spec.operator == Operator::Null {
        let Values::Bools(expect_absent) = &entry.values else {
            return EntryResult::False;
        };
        // Several values are ORed like any other operator's.
        return to_result(expect_absent.contains(&request.is_empty()));
    }
    if request.is_empty() {
        return to_result(if spec.if_exists {
            true
        } else {
            match spec.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => spec.operator.is_negated(),
            }
        });
    }
    // Per request value: does the positive operator match any policy value?
    // Negation applies per value (docs/semantics.md, "Conditions": a negated operator holds
    // for a value that matches none). Then combine over request values.
    let negated = spec.operator.is_negated();
    let (mut any, mut all) = (false, true);
    for value in request {
        match positive_match(spec.operator, &entry.values, value) {
            Some(m) => {
                let holds = m != negated;
                any |= holds;
                all &= holds;
            }
            None => return EntryResult::Unreadable(value.as_str()),
        }
    }
    to_result(match spec.qualifier {
        Some(SetQualifier::ForAllValues) => all,
        Some(SetQualifier::ForAnyValue) => any,
        // Unqualified on a multi-valued key: positive holds if any request
        // value matches; negated holds if no request value matches.
        None if negated => all,
        None => any,
    })
}

/// Whether `value` matches any policy value under the positive form of
/// `operator`; `None` when `value` cannot be read in the operator's type.
fn positive_match(operator: Operator, values: &Values, value: &ContextValue) -> Option<bool> {
    use Operator::*;
    let text = value.as_str();
    Some(match values {
        Values::Strings(list) => match operator {
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                list.iter().any(|v| eq_ignore_case(v, text))
            }
            _ => list.iter().any(|v| v == text),
        },
        Values::Patterns(list) => list.iter().any(|p| p.matches(text)),
        Values::Numbers(list) => {
            let n = DecimalRef::parse(text).ok()?;
            list.iter().any(|v| compare(operator, n.cmp(&v.as_ref())))
        }
        Values::Dates(list) => {
            let d = value.date()?;
            list.iter().any(|v| compare(operator, d.cmp(v)))
        }
        Values::Bools(list) => {
            let b = parse_bool(text).ok()?;
            list.contains(&b)
        }
        Values::Networks(list) => {
            let ip = value.ip()?;
            list.iter().any(|net| network_contains(net, ip))
        }
    })
}

/// Whether `text`, as one request value, matches any of `values` under the
/// positive form of `operator`; `None` when the operator cannot read it.
/// The evaluator's own comparison, for the analysis ([`crate::analysis`]),
/// which must agree with it value for value.
pub(crate) fn value_matches(operator: Operator, values: &Values, text: &str) -> Option<bool> {
    positive_match(operator, values, &ContextValue::new(text))
}

/// `ordering` is request value compared with policy value.
fn compare(operator: Operator, ordering: Ordering) -> bool {
    use Operator::*;
    match operator {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => ordering.is_eq(),
        NumericLessThan | DateLessThan => ordering.is_lt(),
        NumericLessThanEquals | DateLessThanEquals => ordering.is_le(),
        NumericGreaterThan | DateGreaterThan => ordering.is_gt(),
        NumericGreaterThanEquals | DateGreaterThanEquals => ordering.is_ge(),
        _ => false,
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_spellings() {
        assert_eq!(
            Operator::ALL.iter().filter(|o| o.is_documented()).count(),
            21
        );
        let spec = OperatorSpec::parse("ForAllValues:StringLikeIfExists").unwrap();
        assert_eq!(spec.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(spec.operator, Operator::StringLike);
        assert!(spec.if_exists);
        assert_eq!(spec.to_string(), "ForAllValues:StringLikeIfExists");
        assert!(OperatorSpec::parse("stringequals").is_none());
        assert!(OperatorSpec::parse("NullIfExists").is_none());
        assert!(OperatorSpec::parse("ForAnyValue:Null").is_none());
        assert!(OperatorSpec::parse("StringEqualsIfExistsIfExists").is_none());
        for name in OperatorSpec::all_names() {
            assert!(OperatorSpec::parse(&name).is_some(), "{name}");
        }
    }
}
