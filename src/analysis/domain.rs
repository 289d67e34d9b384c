//! The values of one condition key, cut into classes that every condition
//! entry on the key treats alike.
//!
//! - Strings (`StringEquals`, `StringEqualsIgnoreCase`, `StringLike` and
//!   their negations): the classes of [`super::lang`] over the entries'
//!   values, `Equals` values as literal patterns, `IgnoreCase` values as
//!   Unicode case-folded ones.
//! - Numbers, dates and IP addresses: the constants cut the line into
//!   points and open intervals (IP blocks into address ranges, IPv4 as its
//!   IPv4-mapped IPv6 range, so both spellings agree as the evaluator
//!   makes them); one value per non-empty piece.
//! - Booleans: `true` and `false`.
//! - On a key that is not a typed common key, one more class: a value the
//!   operator cannot read (`x`), which makes an Allow fail and a Deny hold.
//!
//! Each candidate value is then run through the evaluator's own comparison
//! ([`crate::condition`]), and candidates with the same outcome on every
//! entry are one class. A key compared in two value families (say both as
//! a string and as a number) is not cut: the analysis answers
//! "undecided" for it.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::lang::{LangBuilder, Pat, Universe};
use crate::condition::{Operator, Values, value_matches};
use crate::values::{DecimalRef, ValueType, common_key_type, parse_date};

/// A value the non-string operators cannot read.
const UNREADABLE: &str = "x";

/// The most value comparisons (a candidate value against one value of a
/// condition entry, through the evaluator's `value_matches`) the keys of
/// one question may take, cutting the keys into classes and compiling the
/// entries together. Past it the question is undecided (docs/analysis.md,
/// "Limits"): 60,000 numbers in one `NumericEquals` would otherwise take
/// 60,000 × 120,000 comparisons.
pub const MAX_COMPARISONS: u64 = 20_000_000;

/// Charges `n` comparisons to `budget` (what is left of
/// [`MAX_COMPARISONS`]).
pub(crate) fn charge(budget: &mut u64, n: u64, what: &str) -> Result<(), String> {
    match budget.checked_sub(n) {
        Some(left) => {
            *budget = left;
            Ok(())
        }
        None => Err(format!(
            "{what}: more than {MAX_COMPARISONS} value comparisons"
        )),
    }
}

/// One comparison made on the key: an operator and its values.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    pub operator: Operator,
    pub values: Values,
    /// The values as written, preferred as witness values.
    pub raw: Vec<String>,
}

/// The classes of one key.
#[derive(Debug)]
pub(crate) struct KeyDomain {
    /// The key, lower-cased.
    pub lower: String,
    /// The key as first written.
    pub name: String,
    /// Whether a request may carry several values.
    pub multi: bool,
    /// `acs:CurrentTime`: every request has one.
    pub always_present: bool,
    /// One value per class.
    pub reps: Vec<String>,
    /// Per test, per class: the positive operator's outcome (`None`:
    /// unreadable).
    pub outcomes: Vec<Vec<Option<bool>>>,
    tests: Vec<Test>,
    by_outcome: HashMap<Vec<Option<bool>>, u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    Number,
    Date,
    Bool,
    Ip,
}

fn family(operator: Operator) -> Option<Family> {
    match operator.value_type() {
        ValueType::String => Some(Family::String),
        ValueType::Number => Some(Family::Number),
        ValueType::Date => Some(Family::Date),
        ValueType::Boolean => Some(Family::Bool),
        ValueType::Ip => Some(Family::Ip),
        ValueType::Presence => None,
    }
}

impl KeyDomain {
    /// Cuts the key's values by `tests`. `Err` names why the key cannot be
    /// decided.
    pub(crate) fn build(
        name: &str,
        tests: Vec<Test>,
        budget: &mut u64,
    ) -> Result<KeyDomain, String> {
        let lower = name.to_ascii_lowercase();
        let common = common_key_type(name);
        let multi = common.is_none_or(|(_, multi)| multi);
        let typed = match common {
            Some((t @ (ValueType::Ip | ValueType::Boolean | ValueType::Date), _)) => Some(t),
            _ => None,
        };
        let mut families: Vec<Family> = tests.iter().filter_map(|t| family(t.operator)).collect();
        families.sort_by_key(|f| *f as u8);
        families.dedup();
        if families.len() > 1 {
            return Err(format!(
                "condition key {name} is compared as values of {} kinds (e.g. as a string and as a number)",
                families.len()
            ));
        }
        let family = families.first().copied();
        if let (Some(t), Some(f)) = (typed, family) {
            let expected = match t {
                ValueType::Ip => Family::Ip,
                ValueType::Boolean => Family::Bool,
                _ => Family::Date,
            };
            if f != expected {
                return Err(format!(
                    "condition key {name} holds {t} values but is compared with another kind of operator"
                ));
            }
        }
        let mut candidates: Vec<String> = Vec::new();
        match family {
            None => candidates.push(
                match typed {
                    Some(ValueType::Ip) => "192.0.2.10",
                    Some(ValueType::Boolean) => "true",
                    Some(_) => "2025-01-01T00:00:00Z",
                    None => "example",
                }
                .to_string(),
            ),
            Some(Family::String) => candidates.extend(string_candidates(&tests, budget)?),
            Some(Family::Number) => candidates.extend(number_candidates(&tests)),
            Some(Family::Date) => candidates.extend(date_candidates(&tests)),
            Some(Family::Bool) => candidates.extend(["true".to_string(), "false".to_string()]),
            Some(Family::Ip) => candidates.extend(ip_candidates(&tests)),
        }
        if typed.is_none() && !matches!(family, None | Some(Family::String)) {
            candidates.push(UNREADABLE.to_string());
        }
        let per_candidate: u64 = tests.iter().map(|t| t.raw.len().max(1) as u64).sum();
        charge(
            budget,
            per_candidate.saturating_mul(candidates.len() as u64),
            &format!("condition key {name}"),
        )?;
        let mut domain = KeyDomain {
            lower,
            name: name.to_string(),
            multi,
            always_present: lower_is_current_time(name),
            reps: Vec::new(),
            outcomes: vec![Vec::new(); tests.len()],
            tests,
            by_outcome: HashMap::new(),
        };
        for value in candidates {
            let vector = domain.outcome_vector(&value);
            if domain.by_outcome.contains_key(&vector) {
                continue;
            }
            let class = domain.reps.len() as u32;
            for (t, o) in vector.iter().enumerate() {
                domain.outcomes[t].push(*o);
            }
            domain.by_outcome.insert(vector, class);
            domain.reps.push(value);
        }
        Ok(domain)
    }

    fn outcome_vector(&self, value: &str) -> Vec<Option<bool>> {
        self.tests
            .iter()
            .map(|t| value_matches(t.operator, &t.values, value))
            .collect()
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.reps.len()
    }

    /// The class of a request value; `None` would mean the cut missed a
    /// class, which is a bug the caller reports.
    pub(crate) fn classify(&self, value: &str) -> Option<u32> {
        self.by_outcome.get(&self.outcome_vector(value)).copied()
    }
}

fn lower_is_current_time(name: &str) -> bool {
    name.eq_ignore_ascii_case("acs:CurrentTime")
}

/// One string per class of the string tests: the policy's own values
/// first, then a plain word, then the automaton's shortest strings.
fn string_candidates(tests: &[Test], budget: &mut u64) -> Result<Vec<String>, String> {
    let mut builder = LangBuilder::default();
    for t in tests {
        match &t.values {
            Values::Strings(list) => {
                for v in list {
                    builder.add(match t.operator {
                        Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => {
                            Pat::fold(v)
                        }
                        _ => Pat::literal(v),
                    });
                }
            }
            Values::Patterns(list) => {
                for p in list {
                    builder.add(Pat::wildcard(p.as_str(), false));
                }
            }
            _ => {}
        }
    }
    let lang = builder.build(Universe::Text).map_err(|e| e.0)?;
    charge(budget, lang.work, "string values")?;
    let mut out: Vec<String> = Vec::new();
    for t in tests {
        for raw in &t.raw {
            if !raw.contains(['*', '?']) || matches!(t.values, Values::Strings(_)) {
                out.push(raw.clone());
            } else {
                out.push(raw.replace('*', "example").replace('?', "x"));
            }
        }
    }
    out.push("example".into());
    out.extend(lang.classes.iter().map(|c| c.rep.clone()));
    Ok(out)
}

/// A decimal as sign, integer digits (no leading zeros) and fraction
/// digits (no trailing zeros).
#[derive(Debug, Clone)]
struct Dec {
    neg: bool,
    int: String,
    frac: String,
}

impl Dec {
    fn parse(s: &str) -> Option<Dec> {
        let d = DecimalRef::parse(s).ok()?;
        let _ = d;
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let int = int.trim_start_matches('0').to_string();
        let frac = frac.trim_end_matches('0').to_string();
        let zero = int.is_empty() && frac.is_empty();
        Some(Dec {
            neg: neg && !zero,
            int,
            frac,
        })
    }

    fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    fn text(neg: bool, int: &str, frac: &str) -> String {
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        s.push_str(if int.is_empty() { "0" } else { int });
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        s
    }
}

/// `digits + 1`.
fn increment(digits: &str) -> String {
    let mut d: Vec<u8> = digits.bytes().collect();
    let mut i = d.len();
    loop {
        if i == 0 {
            d.insert(0, b'1');
            break;
        }
        i -= 1;
        if d[i] == b'9' {
            d[i] = b'0';
        } else {
            d[i] += 1;
            break;
        }
    }
    String::from_utf8(d).unwrap_or_default()
}

fn padded(frac: &str, len: usize) -> String {
    let mut s = frac.to_string();
    while s.len() < len {
        s.push('0');
    }
    s.push('1');
    s
}

fn number_candidates(tests: &[Test]) -> Vec<String> {
    let mut consts: Vec<(String, Dec)> = Vec::new();
    for t in tests {
        if let Values::Numbers(_) = t.values {
            for raw in &t.raw {
                if let Some(d) = Dec::parse(raw) {
                    consts.push((raw.clone(), d));
                }
            }
        }
    }
    let cmp = |a: &String, b: &String| match (DecimalRef::parse(a), DecimalRef::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    };
    consts.sort_by(|a, b| cmp(&a.0, &b.0));
    consts.dedup_by(|a, b| cmp(&a.0, &b.0) == Ordering::Equal);
    let mut out: Vec<String> = Vec::new();
    let Some(first) = consts.first() else {
        out.push("1".into());
        return out;
    };
    let below = if !first.1.neg && !first.1.is_zero() {
        "0".to_string()
    } else {
        format!("-{}", increment(&first.1.int))
    };
    out.push(below);
    for (i, (raw, d)) in consts.iter().enumerate() {
        out.push(raw.clone());
        match consts.get(i + 1) {
            Some((_, next)) => {
                let k = d.frac.len().max(next.frac.len());
                out.push(if !d.neg {
                    Dec::text(false, &d.int, &padded(&d.frac, k))
                } else if next.neg || next.is_zero() {
                    Dec::text(true, &next.int, &padded(&next.frac, k))
                } else {
                    "0".to_string()
                });
            }
            None => out.push(if d.neg {
                "0".to_string()
            } else {
                increment(&d.int)
            }),
        }
    }
    out
}

fn format_date(d: OffsetDateTime) -> Option<String> {
    let text = d.format(&Rfc3339).ok()?;
    (parse_date(&text).ok()? == d).then_some(text)
}

fn date_candidates(tests: &[Test]) -> Vec<String> {
    let mut consts: Vec<(OffsetDateTime, String)> = Vec::new();
    for t in tests {
        if let Values::Dates(list) = &t.values {
            consts.extend(list.iter().copied().zip(t.raw.iter().cloned()));
        }
    }
    consts.sort_by_key(|c| c.0);
    consts.dedup_by_key(|c| c.0);
    let utc = |d: OffsetDateTime| d.to_offset(time::UtcOffset::UTC);
    let mut out = Vec::new();
    let steps = [
        Duration::days(1),
        Duration::seconds(1),
        Duration::nanoseconds(1),
    ];
    let Some(first) = consts.first() else {
        out.push("2025-01-01T00:00:00Z".into());
        return out;
    };
    if let Some(s) = steps
        .iter()
        .find_map(|s| first.0.checked_sub(*s).map(utc).and_then(format_date))
    {
        out.push(s);
    }
    for (i, (d, raw)) in consts.iter().enumerate() {
        out.push(raw.clone());
        match consts.get(i + 1) {
            Some((next, _)) => {
                let gap = *next - *d;
                if gap > Duration::nanoseconds(1)
                    && let Some(s) = format_date(utc(*d + gap / 2))
                {
                    out.push(s);
                }
            }
            None => {
                if let Some(s) = steps
                    .iter()
                    .find_map(|s| d.checked_add(*s).map(utc).and_then(format_date))
                {
                    out.push(s);
                }
            }
        }
    }
    out
}

const MAPPED: u128 = 0xffff_u128 << 32;

fn range(net: &IpNet) -> (u128, u128) {
    match net {
        IpNet::V4(n) => (
            MAPPED | u128::from(u32::from(n.network())),
            MAPPED | u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    }
}

fn ip_text(x: u128) -> String {
    if x >> 32 == 0xffff {
        Ipv4Addr::from(x as u32).to_string()
    } else {
        Ipv6Addr::from(x).to_string()
    }
}

fn ip_candidates(tests: &[Test]) -> Vec<String> {
    let mut cuts: Vec<u128> = vec![0];
    for t in tests {
        if let Values::Networks(list) = &t.values {
            for net in list {
                let (lo, hi) = range(net);
                cuts.push(lo);
                if let Some(next) = hi.checked_add(1) {
                    cuts.push(next);
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let preferred: Vec<u128> = ["203.0.113.10", "198.51.100.10", "192.0.2.10", "10.0.0.10"]
        .iter()
        .filter_map(|s| s.parse::<Ipv4Addr>().ok())
        .map(|a| MAPPED | u128::from(u32::from(a)))
        .chain("2001:db8::10".parse::<Ipv6Addr>().ok().map(u128::from))
        .collect();
    let mut out = Vec::new();
    for (i, &lo) in cuts.iter().enumerate() {
        let hi = cuts.get(i + 1).map_or(u128::MAX, |n| n - 1);
        let pick = preferred
            .iter()
            .copied()
            .find(|p| (lo..=hi).contains(p))
            .or_else(|| {
                // Some IPv4 address in the piece, else its first address.
                let (mlo, mhi) = (lo.max(MAPPED), hi.min(MAPPED | 0xffff_ffff));
                if mlo <= mhi {
                    Some(if mhi > mlo { mlo + 1 } else { mlo })
                } else {
                    Some(if hi > lo { lo + 1 } else { lo })
                }
            })
            .unwrap_or(lo);
        out.push(ip_text(pick));
    }
    // Every candidate must be an address a request may carry.
    out.retain(|s| s.parse::<IpAddr>().is_ok());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(name: &str, tests: Vec<Test>) -> Result<KeyDomain, String> {
        KeyDomain::build(name, tests, &mut { MAX_COMPARISONS })
    }

    fn test(op: &str, raw: &[&str]) -> Test {
        let operator = Operator::from_name(op).unwrap();
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        Test {
            operator,
            values: Values::parse(operator, &raw).unwrap(),
            raw,
        }
    }

    #[test]
    fn numbers_cut_into_points_and_gaps() {
        let d = build(
            "imm:n",
            vec![
                test("NumericLessThan", &["3", "3.5"]),
                test("NumericEquals", &["-2"]),
            ],
        )
        .unwrap();
        // Below 3.5 but not -2, -2, from 3.5 up, unreadable: the pieces
        // the tests tell apart.
        assert_eq!(d.len(), 4, "{:?}", d.reps);
        assert!(d.classify("1000").is_some());
        assert!(d.classify("ten").is_some());
    }

    #[test]
    fn ips_agree_with_mapped_spellings() {
        let d = build(
            "acs:SourceIp",
            vec![test(
                "IpAddress",
                &["192.0.2.0/24", "::ffff:198.51.100.0/120"],
            )],
        )
        .unwrap();
        assert_eq!(d.len(), 2, "{:?}", d.reps);
        assert_eq!(d.classify("::ffff:192.0.2.1"), d.classify("192.0.2.200"));
    }

    #[test]
    fn mixed_families_are_undecided() {
        assert!(
            build(
                "imm:n",
                vec![
                    test("NumericLessThan", &["3"]),
                    test("StringEquals", &["3"])
                ]
            )
            .is_err()
        );
    }

    #[test]
    fn dates_and_strings() {
        let d = build(
            "acs:CurrentTime",
            vec![test("DateLessThan", &["2026-01-01T00:00:00Z"])],
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        let s = build(
            "acs:SourceVpc",
            vec![
                test("StringLike", &["vpc-*"]),
                test("StringEquals", &["vpc-1"]),
            ],
        )
        .unwrap();
        assert_eq!(s.len(), 3, "{:?}", s.reps);
    }
}
