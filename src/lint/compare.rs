//! Statement-level comparisons for the over-permission and redundancy
//! rules, built on [`super::patterns`]. Every "covers" answer here is
//! sound: when it says a statement covers another, it does; it may miss
//! some coverings (a pattern list covered only by the union of several
//! patterns, conditions that differ but imply each other).

use super::patterns::{Pattern, covers, intersects};
use crate::condition::Condition;
use crate::policy::{PrincipalBlock, Statement};
use crate::wildcard::Case;

/// A statement's action patterns, compared case-insensitively.
pub fn actions(s: &Statement) -> Vec<Pattern> {
    s.action
        .patterns
        .iter()
        .map(|p| Pattern::glob(p.wildcard.as_str(), Case::Insensitive))
        .collect()
}

/// A statement's resource patterns (case-sensitive), if it has a list.
pub fn resources(s: &Statement) -> Option<(bool, Vec<Pattern>)> {
    s.resource.as_ref().map(|list| {
        (
            list.negated,
            list.patterns
                .iter()
                .map(|p| Pattern::glob(p.wildcard.as_str(), Case::Sensitive))
                .collect(),
        )
    })
}

/// Whether the list `wide` (its complement when `wide_neg`) includes every
/// string of the list `narrow` (its complement when `narrow_neg`).
pub fn list_covers(wide_neg: bool, wide: &[Pattern], narrow_neg: bool, narrow: &[Pattern]) -> bool {
    match (wide_neg, narrow_neg) {
        (false, false) => narrow.iter().all(|n| wide.iter().any(|w| covers(w, n))),
        // not(W) ⊇ not(N)  ⇔  W ⊆ N
        (true, true) => wide.iter().all(|w| narrow.iter().any(|n| covers(n, w))),
        // not(W) ⊇ N  ⇔  N and W are disjoint
        (true, false) => narrow
            .iter()
            .all(|n| wide.iter().all(|w| !intersects(w, n))),
        // A finite list never covers the complement of one.
        (false, true) => false,
    }
}

/// Whether some string is in both lists. Errs toward `true` (overlap) when
/// unsure.
pub fn lists_intersect(a_neg: bool, a: &[Pattern], b_neg: bool, b: &[Pattern]) -> bool {
    match (a_neg, b_neg) {
        (false, false) => a.iter().any(|x| b.iter().any(|y| intersects(x, y))),
        (true, false) => !list_covers(false, a, false, b),
        (false, true) => !list_covers(false, b, false, a),
        (true, true) => true,
    }
}

/// Whether `wide`'s actions include all of `narrow`'s.
pub fn actions_cover(wide: &Statement, narrow: &Statement) -> bool {
    list_covers(
        wide.action.negated,
        &actions(wide),
        narrow.action.negated,
        &actions(narrow),
    )
}

/// Whether `wide`'s resources include all of `narrow`'s. Statements without
/// a resource list (resource-based policies) cover each other.
pub fn resources_cover(wide: &Statement, narrow: &Statement) -> bool {
    match (resources(wide), resources(narrow)) {
        (None, None) => true,
        (Some((wn, w)), Some((nn, n))) => list_covers(wn, &w, nn, &n),
        _ => false,
    }
}

/// A condition in a form where equal meaning is equal value: clauses and
/// values sorted, keys folded to lower case.
fn normal_condition(c: &Condition) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = c
        .clauses
        .iter()
        .flat_map(|clause| {
            clause.entries.iter().map(move |e| {
                let mut values = e.raw_values.clone();
                values.sort();
                values.dedup();
                (
                    clause.operator.to_string(),
                    e.key.to_ascii_lowercase(),
                    values,
                )
            })
        })
        .collect();
    out.sort();
    out
}

pub fn same_condition(a: Option<&Condition>, b: Option<&Condition>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => normal_condition(a) == normal_condition(b),
        _ => false,
    }
}

fn normal_principal(p: &PrincipalBlock) -> [Vec<String>; 3] {
    let list = |entries: &[crate::policy::PrincipalEntry]| {
        let mut v: Vec<String> = entries.iter().map(|e| e.value.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    [list(&p.ram), list(&p.service), list(&p.federated)]
}

pub fn same_principal(a: Option<&PrincipalBlock>, b: Option<&PrincipalBlock>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => normal_principal(a) == normal_principal(b),
        _ => false,
    }
}

/// Whether `wide` applies to every request `narrow` applies to, with the
/// same effect: then `narrow` changes nothing.
pub fn statement_covers(wide: &Statement, narrow: &Statement) -> bool {
    wide.effect == narrow.effect
        && same_principal(wide.principal.as_ref(), narrow.principal.as_ref())
        && (wide.condition.is_none()
            || same_condition(wide.condition.as_ref(), narrow.condition.as_ref()))
        && actions_cover(wide, narrow)
        && resources_cover(wide, narrow)
}

/// Whether some request could match both statements (conditions and
/// principals are assumed to allow it).
pub fn statements_overlap(a: &Statement, b: &Statement) -> bool {
    let actions = lists_intersect(a.action.negated, &actions(a), b.action.negated, &actions(b));
    let resources = match (resources(a), resources(b)) {
        (Some((an, ap)), Some((bn, bp))) => lists_intersect(an, &ap, bn, &bp),
        _ => true,
    };
    actions && resources
}

/// An entry of a pattern list that another entry of the same list makes
/// redundant: `index` is listed twice, or covered by the entry at `by`.
pub struct Redundant {
    pub index: usize,
    pub by: usize,
    pub twice: bool,
}

/// The redundant entries of one list. Of two equal entries the later one
/// is reported, so that each duplicate is named once.
pub fn redundant_entries(patterns: &[Pattern]) -> Vec<Redundant> {
    let mut out = Vec::new();
    for (j, narrow) in patterns.iter().enumerate() {
        let by = patterns
            .iter()
            .enumerate()
            .find(|&(i, wide)| i != j && covers(wide, narrow) && (i < j || !covers(narrow, wide)));
        if let Some((i, wide)) = by {
            out.push(Redundant {
                index: j,
                by: i,
                twice: covers(narrow, wide),
            });
        }
    }
    out
}

/// The message of a [`Redundant`] entry.
pub fn redundant_message(
    this: &impl std::fmt::Display,
    other: &impl std::fmt::Display,
    twice: bool,
) -> String {
    if twice {
        format!("`{this}` is listed twice")
    } else {
        format!("`{this}` is already covered by `{other}`")
    }
}
