//! Statement-level comparisons for the over-permission and redundancy
//! rules, built on [`super::patterns`]. Every "covers" answer here is
//! sound: when it says a statement covers another, it does; it may miss
//! some coverings (a pattern list covered only by the union of several
//! patterns, conditions that differ but imply each other).
//!
//! Answers are `Option<bool>`: `None` means the document's [`Budget`] ran
//! out before the question was settled, and every rule then reports
//! nothing. Which pairs are compared at all is narrowed by a
//! [`PrefixIndex`] of the patterns' literal starts: a pattern can only
//! cover one whose literal start extends its own, so a document whose
//! statements name distinct actions or resources costs near-linear time.

use std::collections::HashMap;

use crate::condition::Condition;
use crate::patterns::{Budget, Pattern, covers, intersects};
use crate::policy::{PrincipalBlock, Statement};
use crate::wildcard::Case;

/// A statement's patterns, read once for all its comparisons.
pub struct Prepared {
    /// Action patterns, compared case-insensitively.
    pub actions: Vec<Pattern>,
    pub actions_negated: bool,
    /// Resource patterns (case-sensitive) and whether negated, if the
    /// statement has a list.
    pub resources: Option<(bool, Vec<Pattern>)>,
}

impl Prepared {
    pub fn new(s: &Statement) -> Prepared {
        Prepared {
            actions: actions(s),
            actions_negated: s.action.negated,
            resources: resources(s),
        }
    }

    /// Every statement of a document, prepared.
    pub fn all(statements: &[Statement]) -> Vec<Prepared> {
        statements.iter().map(Prepared::new).collect()
    }
}

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

/// "For all of `items`, `test` holds": `Some(false)` as soon as one is
/// known not to, `None` when none is known not to but some are unknown.
fn all_of<T>(items: &[T], mut test: impl FnMut(&T) -> Option<bool>) -> Option<bool> {
    let mut unknown = false;
    for item in items {
        match test(item) {
            Some(true) => {}
            Some(false) => return Some(false),
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(true) }
}

/// "For some of `items`, `test` holds", likewise three-valued.
fn any_of<T>(items: &[T], mut test: impl FnMut(&T) -> Option<bool>) -> Option<bool> {
    all_of(items, |item| test(item).map(|b| !b)).map(|b| !b)
}

/// Whether the list `wide` (its complement when `wide_neg`) includes every
/// string of the list `narrow` (its complement when `narrow_neg`).
pub fn list_covers(
    wide_neg: bool,
    wide: &[Pattern],
    narrow_neg: bool,
    narrow: &[Pattern],
    budget: &Budget,
) -> Option<bool> {
    match (wide_neg, narrow_neg) {
        (false, false) => all_of(narrow, |n| any_of(wide, |w| covers(w, n, budget))),
        // not(W) ⊇ not(N)  ⇔  W ⊆ N
        (true, true) => all_of(wide, |w| any_of(narrow, |n| covers(n, w, budget))),
        // not(W) ⊇ N  ⇔  N and W are disjoint
        (true, false) => all_of(narrow, |n| {
            all_of(wide, |w| intersects(w, n, budget).map(|b| !b))
        }),
        // A finite list never covers the complement of one.
        (false, true) => Some(false),
    }
}

/// Whether some string is in both lists; `None` when not worked out.
pub fn lists_intersect(
    a_neg: bool,
    a: &[Pattern],
    b_neg: bool,
    b: &[Pattern],
    budget: &Budget,
) -> Option<bool> {
    match (a_neg, b_neg) {
        (false, false) => any_of(a, |x| any_of(b, |y| intersects(x, y, budget))),
        (true, false) => list_covers(false, a, false, b, budget).map(|c| !c),
        (false, true) => list_covers(false, b, false, a, budget).map(|c| !c),
        (true, true) => Some(true),
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

/// What comparing two statements costs before any pattern search, in the
/// budget's cells: the bookkeeping of a pair takes about as long as a
/// search of a few hundred cells, so that a document of thousands of
/// look-alike statements runs out of budget in about a second.
const PAIR_COST: u64 = 256;

/// Whether `wide` applies to every request `narrow` applies to, with the
/// same effect: then `narrow` changes nothing.
pub fn statement_covers(
    (wide, wp): (&Statement, &Prepared),
    (narrow, np): (&Statement, &Prepared),
    budget: &Budget,
) -> Option<bool> {
    if !budget.take(PAIR_COST) {
        return None;
    }
    if wide.effect != narrow.effect
        || !same_principal(wide.principal.as_ref(), narrow.principal.as_ref())
        || !(wide.condition.is_none()
            || same_condition(wide.condition.as_ref(), narrow.condition.as_ref()))
    {
        return Some(false);
    }
    let resources = match (&wp.resources, &np.resources) {
        (None, None) => Some(true),
        (Some((wn, w)), Some((nn, n))) => list_covers(*wn, w, *nn, n, budget),
        _ => Some(false),
    };
    if resources == Some(false) {
        return Some(false);
    }
    let actions = list_covers(
        wp.actions_negated,
        &wp.actions,
        np.actions_negated,
        &np.actions,
        budget,
    );
    all_of(&[actions, resources], |&r| r)
}

/// Whether some request could match both statements (conditions and
/// principals are assumed to allow it); `None` when not worked out.
pub fn statements_overlap(a: &Prepared, b: &Prepared, budget: &Budget) -> Option<bool> {
    if !budget.take(PAIR_COST) {
        return None;
    }
    let resources = match (&a.resources, &b.resources) {
        (Some((an, ap)), Some((bn, bp))) => lists_intersect(*an, ap, *bn, bp, budget),
        _ => Some(true),
    };
    if resources == Some(false) {
        return Some(false);
    }
    let actions = lists_intersect(
        a.actions_negated,
        &a.actions,
        b.actions_negated,
        &b.actions,
        budget,
    );
    all_of(&[actions, resources], |&r| r)
}

/// Items filed by the literal starts of their patterns, to find the few
/// that can cover or meet a given pattern.
#[derive(Debug, Default)]
pub struct PrefixIndex {
    /// Literal start to the items with a pattern starting so.
    by_start: HashMap<String, Vec<usize>>,
    /// The distinct lengths of the starts, so that a look-up tries only
    /// those.
    lengths: Vec<usize>,
    /// (literal start, item), sorted, for starts that extend a given one.
    sorted: Vec<(String, usize)>,
    /// Items that can relate to any pattern (negated lists).
    anywhere: Vec<usize>,
    /// Items without a list at all (a resource-based statement without
    /// `Resource`).
    without: Vec<usize>,
}

impl PrefixIndex {
    /// Files `item` under the literal start of each of `patterns`.
    pub fn add(&mut self, item: usize, patterns: &[Pattern]) {
        for p in patterns {
            let start = p.literal_prefix();
            self.sorted.push((start.clone(), item));
            self.by_start.entry(start).or_default().push(item);
        }
    }

    pub fn add_anywhere(&mut self, item: usize) {
        self.anywhere.push(item);
    }

    pub fn add_without(&mut self, item: usize) {
        self.without.push(item);
    }

    /// Sorts the index; call once after adding.
    pub fn finish(mut self) -> Self {
        self.sorted.sort_unstable();
        self.sorted.dedup();
        for items in self.by_start.values_mut() {
            items.dedup();
        }
        self.lengths = self.by_start.keys().map(String::len).collect();
        self.lengths.sort_unstable();
        self.lengths.dedup();
        self
    }

    /// Items with a pattern whose literal start is a prefix of `start`:
    /// the only ones that can cover a pattern starting with `start`.
    fn prefixes_of(&self, start: &str, out: &mut Vec<usize>) {
        for &length in self.lengths.iter().take_while(|&&l| l <= start.len()) {
            if let Some(head) = start.get(..length)
                && let Some(items) = self.by_start.get(head)
            {
                out.extend(items);
            }
        }
    }

    /// Whether `item` has a pattern whose literal start is a prefix of
    /// `start` (or can relate to anything).
    fn may_cover_start(patterns: &[Pattern], start: &str) -> bool {
        patterns
            .iter()
            .any(|p| start.starts_with(p.literal_prefix().as_str()))
    }

    /// Items with a pattern whose literal start is a prefix of `start` or
    /// extends it: the only ones that can meet a pattern starting so.
    fn related_to(&self, start: &str, out: &mut Vec<usize>) {
        self.prefixes_of(start, out);
        let from = self.sorted.partition_point(|(p, _)| p.as_str() <= start);
        out.extend(
            self.sorted[from..]
                .iter()
                .take_while(|(p, _)| p.starts_with(start))
                .map(|&(_, i)| i),
        );
    }
}

/// The literal start of the pattern that narrows a search most.
fn longest_start(patterns: &[Pattern]) -> String {
    patterns
        .iter()
        .map(Pattern::literal_prefix)
        .max_by_key(String::len)
        .unwrap_or_default()
}

fn sorted(mut items: Vec<usize>) -> Vec<usize> {
    items.sort_unstable();
    items.dedup();
    items
}

fn intersect_sorted(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// A document's statements indexed by action and resource starts.
pub struct StatementIndex {
    actions: PrefixIndex,
    resources: PrefixIndex,
}

/// Below this many candidates from one index, the other side is checked
/// candidate by candidate rather than looked up.
const FEW: usize = 64;

impl StatementIndex {
    pub fn new(prepared: &[Prepared]) -> StatementIndex {
        let mut actions = PrefixIndex::default();
        let mut resources = PrefixIndex::default();
        for (i, p) in prepared.iter().enumerate() {
            if p.actions_negated {
                actions.add_anywhere(i);
            } else {
                actions.add(i, &p.actions);
            }
            match &p.resources {
                None => resources.add_without(i),
                Some((true, _)) => resources.add_anywhere(i),
                Some((false, list)) => resources.add(i, list),
            }
        }
        StatementIndex {
            actions: actions.finish(),
            resources: resources.finish(),
        }
    }

    /// The statements that may cover statement `index` (a superset of
    /// those that do), sorted, without `index` itself.
    pub fn may_cover(&self, index: usize, prepared: &[Prepared]) -> Vec<usize> {
        let narrow = &prepared[index];
        let action_start = (!narrow.actions_negated).then(|| longest_start(&narrow.actions));
        let action_fits = |p: &Prepared| match &action_start {
            None => p.actions_negated,
            Some(start) => p.actions_negated || PrefixIndex::may_cover_start(&p.actions, start),
        };
        let resource_start = match &narrow.resources {
            Some((false, list)) => Some(longest_start(list)),
            _ => None,
        };
        let resource_fits = |p: &Prepared| match (&narrow.resources, &p.resources) {
            (None, None) => true,
            (Some((true, _)), Some((true, _))) => true,
            (Some((false, _)), Some((true, _))) => true,
            (Some((false, _)), Some((false, list))) => {
                PrefixIndex::may_cover_start(list, resource_start.as_deref().unwrap_or(""))
            }
            _ => false,
        };
        let by_resource = match (&narrow.resources, &resource_start) {
            (None, _) => self.resources.without.clone(),
            (Some((false, _)), Some(start)) => {
                let mut out = self.resources.anywhere.clone();
                self.resources.prefixes_of(start, &mut out);
                out
            }
            _ => self.resources.anywhere.clone(),
        };
        let mut out = if by_resource.len() <= FEW {
            by_resource
                .into_iter()
                .filter(|&i| action_fits(&prepared[i]))
                .collect()
        } else {
            let mut by_action = self.actions.anywhere.clone();
            if let Some(start) = &action_start {
                self.actions.prefixes_of(start, &mut by_action);
            }
            if by_action.len() < by_resource.len() {
                by_action
                    .into_iter()
                    .filter(|&i| resource_fits(&prepared[i]))
                    .collect()
            } else {
                by_resource
                    .into_iter()
                    .filter(|&i| action_fits(&prepared[i]))
                    .collect()
            }
        };
        out = sorted(out);
        out.retain(|&i| i != index);
        out
    }

    /// The statements that may meet `of` (a superset of those that do).
    pub fn may_meet(&self, of: &Prepared) -> Vec<usize> {
        let mut by_action = self.actions.anywhere.clone();
        if of.actions_negated {
            by_action.extend(self.actions.sorted.iter().map(|&(_, i)| i));
        } else {
            for p in &of.actions {
                self.actions.related_to(&p.literal_prefix(), &mut by_action);
            }
        }
        let mut by_resource = self.resources.anywhere.clone();
        by_resource.extend(&self.resources.without);
        match &of.resources {
            Some((false, list)) => {
                for p in list {
                    self.resources
                        .related_to(&p.literal_prefix(), &mut by_resource);
                }
            }
            _ => by_resource.extend(self.resources.sorted.iter().map(|&(_, i)| i)),
        }
        intersect_sorted(&sorted(by_action), &sorted(by_resource))
    }
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
pub fn redundant_entries(patterns: &[Pattern], budget: &Budget) -> Vec<Redundant> {
    let mut index = PrefixIndex::default();
    for (i, p) in patterns.iter().enumerate() {
        index.add(i, std::slice::from_ref(p));
    }
    let index = index.finish();
    // Identical entries are found by hashing, whatever their number.
    let mut first_of: HashMap<&Pattern, usize> = HashMap::new();
    let mut out = Vec::new();
    for (j, narrow) in patterns.iter().enumerate() {
        if let Some(&i) = first_of.get(narrow) {
            out.push(Redundant {
                index: j,
                by: i,
                twice: true,
            });
            continue;
        }
        first_of.insert(narrow, j);
        if budget.exceeded() {
            continue;
        }
        let mut candidates = Vec::new();
        index.prefixes_of(&narrow.literal_prefix(), &mut candidates);
        let by = sorted(candidates).into_iter().find(|&i| {
            budget.take(PAIR_COST)
                && i != j
                && patterns[i] != *narrow
                && covers(&patterns[i], narrow, budget) == Some(true)
                && (i < j || covers(narrow, &patterns[i], budget) == Some(false))
        });
        if let Some(i) = by {
            out.push(Redundant {
                index: j,
                by: i,
                twice: covers(narrow, &patterns[i], budget) == Some(true),
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
