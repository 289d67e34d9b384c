//! `--require KEY=VALUE`, `--expires T` and the `context` of an intent:
//! each becomes one condition clause whose operator is chosen by the key's
//! type (docs/semantics.md, "Conditions", "Common condition keys"): IP → `IpAddress`, Boolean
//! → `Bool`, String → `StringEquals`; an expiry is `DateLessThan` on
//! `acs:CurrentTime`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::condition::Operator;
use crate::suggest::did_you_mean;
use crate::values::{COMMON_KEYS, common_key_name, common_key_type};
use crate::values::{ValueType, parse_bool, parse_date, parse_network};

/// One condition clause: the operator and its values, sorted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clause {
    /// The operator, e.g. [`Operator::IpAddress`]: the policy model's own
    /// type, so that the proof matches on it rather than on a name.
    pub operator: Operator,
    /// The values, any of which satisfies the clause.
    pub values: Vec<String>,
}

/// Condition keys (canonical spelling) to their clause. Several keys are
/// ANDed (one statement's `Condition`), several values of one key ORed.
pub type ConditionSet = BTreeMap<String, Clause>;

/// The key every expiry is written on.
pub const CURRENT_TIME: &str = "acs:CurrentTime";

/// Why a condition cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    /// An `acs:` key RAM does not define.
    #[error("unknown condition key {key:?}: not one of RAM's common acs: keys{hint}")]
    UnknownKey {
        /// The key as given.
        key: String,
        /// ` (did you mean ...?)`, or empty.
        hint: String,
    },
    /// A key outside RAM's common `acs:` keys.
    #[error(
        "condition key {0:?} cannot be required: only RAM's common acs: keys are \
         supported (the catalogue lists no service condition keys for its actions)"
    )]
    NotRequirable(String),
    /// A common key without a known type.
    #[error("condition key {0} has no known type")]
    Untyped(String),
    /// A date key: only `--expires` writes one.
    #[error("{0} cannot be required with a value; use --expires T for an expiry")]
    DateKey(String),
    /// A key of a type no operator here is chosen for.
    #[error("{key} is of type {value_type}, which cannot be required")]
    UnsupportedType {
        /// The key.
        key: String,
        /// Its type.
        value_type: ValueType,
    },
    /// A value that is not of the key's type.
    #[error("invalid value {value:?} for {key}: {reason}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A key without any value.
    #[error("no value for condition key {0}")]
    NoValue(String),
    /// `--require` without `=`.
    #[error("invalid --require {0:?}: expected KEY=VALUE")]
    NotKeyValue(String),
    /// `--expires` that is not an RFC 3339 time.
    #[error("invalid --expires {text:?}: {reason}")]
    InvalidExpiry {
        /// The value as given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// `--expires` in the past.
    #[error("--expires {0} is not in the future: the policy would grant nothing")]
    ExpiryPast(String),
    /// The same key from `--require`/`--expires` and an intent.
    #[error("condition key {0} is given both by --require/--expires and by the intent's context")]
    GivenTwice(String),
}

/// The canonical spelling of a common key, or why it cannot be required.
fn canonical_key(key: &str) -> Result<String, ConditionError> {
    if let Some(name) = common_key_name(key) {
        return Ok(name);
    }
    if key
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("acs:"))
    {
        let hint = did_you_mean(key, COMMON_KEYS.iter().map(|(k, _, _)| *k));
        return Err(ConditionError::UnknownKey {
            key: key.to_string(),
            hint: crate::suggest::hint(hint),
        });
    }
    Err(ConditionError::NotRequirable(key.to_string()))
}

/// The clause for `key` holding any of `values`, typed by the key.
pub fn clause_for(key: &str, values: &[String]) -> Result<(String, Clause), ConditionError> {
    let key = canonical_key(key.trim())?;
    let (value_type, _) =
        common_key_type(&key).ok_or_else(|| ConditionError::Untyped(key.clone()))?;
    let operator = match value_type {
        ValueType::Ip => Operator::IpAddress,
        ValueType::Boolean => Operator::Bool,
        ValueType::String => Operator::StringEquals,
        ValueType::Date => return Err(ConditionError::DateKey(key)),
        other => {
            return Err(ConditionError::UnsupportedType {
                key,
                value_type: other,
            });
        }
    };
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim();
        let check = match value_type {
            ValueType::Ip => parse_network(value).map(|_| ()),
            ValueType::Boolean => parse_bool(value).map(|_| ()),
            _ if value.is_empty() => Err("expected a non-empty value"),
            _ => Ok(()),
        };
        check.map_err(|reason| ConditionError::InvalidValue {
            key: key.clone(),
            value: value.to_string(),
            reason,
        })?;
        out.push(value.to_string());
    }
    if out.is_empty() {
        return Err(ConditionError::NoValue(key));
    }
    out.sort();
    out.dedup();
    Ok((
        key,
        Clause {
            operator,
            values: out,
        },
    ))
}

/// Reads `--require KEY=VALUE` entries; a key repeated gives several values
/// (any of them satisfies it).
pub fn parse_require(entries: &[String]) -> Result<ConditionSet, ConditionError> {
    let mut by_key: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for entry in entries {
        let Some((key, value)) = entry.split_once('=') else {
            return Err(ConditionError::NotKeyValue(entry.clone()));
        };
        let canonical = canonical_key(key.trim())?;
        by_key
            .entry(canonical.to_ascii_lowercase())
            .or_insert_with(|| (canonical, Vec::new()))
            .1
            .push(value.to_string());
    }
    let mut set = ConditionSet::new();
    for (_, (key, values)) in by_key {
        let (key, clause) = clause_for(&key, &values)?;
        set.insert(key, clause);
    }
    Ok(set)
}

/// `--expires T`: `DateLessThan` on `acs:CurrentTime`. An instant that has
/// already passed would make a policy that grants nothing, so it is refused.
pub fn expires_clause(text: &str, now: OffsetDateTime) -> Result<(String, Clause), ConditionError> {
    let instant = parse_date(text.trim()).map_err(|e| ConditionError::InvalidExpiry {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    if instant <= now {
        return Err(ConditionError::ExpiryPast(text.to_string()));
    }
    Ok((
        CURRENT_TIME.to_string(),
        Clause {
            operator: Operator::DateLessThan,
            values: vec![text.trim().to_string()],
        },
    ))
}

/// `global` and an intent's own conditions together; the same key in both
/// is refused rather than guessed at.
pub fn merge(global: &ConditionSet, own: &ConditionSet) -> Result<ConditionSet, ConditionError> {
    let mut out = global.clone();
    for (key, clause) in own {
        if out.contains_key(key) {
            return Err(ConditionError::GivenTwice(key.clone()));
        }
        out.insert(key.clone(), clause.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn operators_follow_the_key_type() {
        let (k, c) = clause_for("acs:sourceip", &s(&["192.0.2.0/24"])).unwrap();
        assert_eq!(
            (k.as_str(), c.operator),
            ("acs:SourceIp", Operator::IpAddress)
        );
        let (k, c) = clause_for("acs:SecureTransport", &s(&["true"])).unwrap();
        assert_eq!(
            (k.as_str(), c.operator),
            ("acs:SecureTransport", Operator::Bool)
        );
        let (k, c) = clause_for("acs:SourceVpc", &s(&["vpc-1"])).unwrap();
        assert_eq!(
            (k.as_str(), c.operator),
            ("acs:SourceVpc", Operator::StringEquals)
        );
        let (k, _) = clause_for("ACS:resourcetag/env", &s(&["prod"])).unwrap();
        assert_eq!(k, "acs:ResourceTag/env");
        assert!(clause_for("acs:SourceIp", &s(&["abc"])).is_err());
        assert!(clause_for("acs:SecureTransport", &s(&["yes"])).is_err());
        assert!(clause_for("acs:CurrentTime", &s(&["2099-01-01T00:00:00Z"])).is_err());
        let e = clause_for("acs:SourceIP4", &s(&["1.2.3.4"])).unwrap_err();
        assert!(e.to_string().contains("did you mean `acs:SourceIp`"), "{e}");
        assert!(clause_for("imm:Whatever", &s(&["x"])).is_err());
    }

    #[test]
    fn require_groups_values_by_key() {
        let set = parse_require(&s(&[
            "acs:SourceIp=198.51.100.0/24",
            "acs:sourceip=192.0.2.0/24",
            "acs:SecureTransport=true",
        ]))
        .unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(
            set["acs:SourceIp"].values,
            ["192.0.2.0/24", "198.51.100.0/24"]
        );
        assert!(parse_require(&s(&["novalue"])).is_err());
    }

    #[test]
    fn expiry_must_be_in_the_future() {
        let now = OffsetDateTime::now_utc();
        assert!(expires_clause("2000-01-01T00:00:00Z", now).is_err());
        assert!(expires_clause("tomorrow", now).is_err());
        let (k, c) = expires_clause("2999-12-31T00:00:00Z", now).unwrap();
        assert_eq!(
            (k.as_str(), c.operator),
            (CURRENT_TIME, Operator::DateLessThan)
        );
    }
}
