//! Synthesis: from exact (action, resource, conditions) pairs to sorted,
//! named statements that allow exactly those pairs, then packed into
//! documents under RAM's size limit.
//!
//! The rule that keeps a policy exact: a statement `A × R` is only ever
//! built from actions that were all requested on exactly the resources `R`
//! (or resources that were all requested for exactly the actions `A`). Two
//! actions requested on different resources never share a statement, so
//! the policy is never the cross product of what was asked.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::lint::compare::list_covers;
use crate::patterns::{Budget, DOCUMENT_BUDGET, Pattern, covers};
use crate::wildcard::{Case, Wildcard};

use super::conditions::ConditionSet;
use super::intent::fits_resource;

/// One exact grant: an action (catalogue spelling) on one resource, under
/// the conditions of its context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    /// The action, in the catalogue's spelling.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The conditions it is granted under.
    pub conditions: ConditionSet,
}

/// A statement to write: `Allow` of `actions` on `resources` when
/// `conditions` hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Statement {
    /// The `Sid`, made from the actions.
    pub sid: String,
    /// `Action`, sorted.
    pub actions: Vec<String>,
    /// `Resource`, sorted.
    pub resources: Vec<String>,
    /// `Condition`, by key.
    pub conditions: ConditionSet,
}

/// What `--collapse` widens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collapse {
    /// Actions of one verb in a statement become `<ram-code>:<Verb>*`.
    Actions,
    /// Resources of a statement that differ only in their last name become
    /// `<prefix>/*` (e.g. all projects of a region and account).
    Resources,
}

/// Drops the pairs that another pair makes redundant: the same action and
/// resource under a subset of its conditions allows everything it allows.
pub fn minimal_pairs(pairs: impl IntoIterator<Item = Pair>) -> BTreeSet<Pair> {
    let mut by_target: BTreeMap<(String, String), BTreeSet<ConditionSet>> = BTreeMap::new();
    for p in pairs {
        by_target
            .entry((p.action, p.resource))
            .or_default()
            .insert(p.conditions);
    }
    let mut out = BTreeSet::new();
    for ((action, resource), sets) in by_target {
        for c in &sets {
            let weaker_exists = sets
                .iter()
                .any(|other| other != c && other.iter().all(|(k, v)| c.get(k) == Some(v)));
            if !weaker_exists {
                out.insert(Pair {
                    action: action.clone(),
                    resource: resource.clone(),
                    conditions: c.clone(),
                });
            }
        }
    }
    out
}

/// Groups exact pairs into statements without a cross product: per
/// condition set, actions with identical resource sets share a statement
/// (or, when that gives fewer statements, resources with identical action
/// sets). Output sorted, without `Sid`s.
pub fn group(pairs: &BTreeSet<Pair>) -> Vec<Statement> {
    let mut by_conditions: BTreeMap<&ConditionSet, Vec<&Pair>> = BTreeMap::new();
    for p in pairs {
        by_conditions.entry(&p.conditions).or_default().push(p);
    }
    let mut out = Vec::new();
    for (conditions, pairs) in by_conditions {
        let by_action = group_by(pairs.iter().map(|p| (&p.action, &p.resource)));
        let by_resource = group_by(pairs.iter().map(|p| (&p.resource, &p.action)));
        let size = |g: &BTreeMap<BTreeSet<&String>, BTreeSet<&String>>| {
            let entries: usize = g.iter().map(|(a, b)| a.len() + b.len()).sum();
            (g.len(), entries)
        };
        let statements: Vec<Statement> = if size(&by_resource) < size(&by_action) {
            by_resource
                .into_iter()
                .map(|(actions, resources)| statement(actions, resources, conditions))
                .collect()
        } else {
            by_action
                .into_iter()
                .map(|(resources, actions)| statement(actions, resources, conditions))
                .collect()
        };
        out.extend(statements);
    }
    out.sort();
    out
}

/// Groups the keys of `(key, value)` pairs by their identical value sets:
/// value set → keys.
fn group_by<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<BTreeSet<&'a String>, BTreeSet<&'a String>> {
    let mut values: BTreeMap<&String, BTreeSet<&String>> = BTreeMap::new();
    for (k, v) in pairs {
        values.entry(k).or_default().insert(v);
    }
    let mut groups: BTreeMap<BTreeSet<&String>, BTreeSet<&String>> = BTreeMap::new();
    for (k, vs) in values {
        groups.entry(vs).or_default().insert(k);
    }
    groups
}

fn statement(
    actions: BTreeSet<&String>,
    resources: BTreeSet<&String>,
    conditions: &ConditionSet,
) -> Statement {
    Statement {
        sid: String::new(),
        actions: actions.into_iter().cloned().collect(),
        resources: resources.into_iter().cloned().collect(),
        conditions: conditions.clone(),
    }
}

/// The verb of an API name: its first capitalised word (`Get` of
/// `GetProject`, `Attach` of `AttachOSSBucket`).
fn verb(name: &str) -> &str {
    let mut end = name.len();
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() || c == '*' {
            end = i;
            break;
        }
    }
    &name[..end]
}

/// Widens statements as `--collapse` asks. Returns the new statements, the
/// widened statements as declared grants (what the proof must allow beyond
/// the requested pairs), and one note per widening saying what it adds.
pub fn collapse(
    statements: Vec<Statement>,
    mode: Collapse,
) -> (Vec<Statement>, Vec<Statement>, Vec<String>) {
    let mut out = Vec::with_capacity(statements.len());
    let mut declared = Vec::new();
    let mut notes = Vec::new();
    for s in statements {
        let widened = match mode {
            Collapse::Actions => collapse_actions(&s, &mut notes),
            Collapse::Resources => collapse_resources(&s, &mut notes),
        };
        match widened {
            Some(w) => {
                declared.push(w.clone());
                out.push(w);
            }
            None => out.push(s),
        }
    }
    (out, declared, notes)
}

fn collapse_actions(s: &Statement, notes: &mut Vec<String>) -> Option<Statement> {
    let catalog = Catalog::builtin();
    let mut groups: BTreeMap<(String, String), Vec<&String>> = BTreeMap::new();
    for a in &s.actions {
        let (code, name) = a.split_once(':').unwrap_or(("", a));
        groups
            .entry((code.to_string(), verb(name).to_string()))
            .or_default()
            .push(a);
    }
    if groups.values().all(|g| g.len() < 2) {
        return None;
    }
    // On `*` a pattern would grant every action it matches on every
    // resource of every type (`imm:Get*` on `*` covers GetBatch on any
    // account's batches): far more than "the other Get actions". Leave
    // such statements exact, and say so.
    if s.resources.iter().any(|r| r == "*") {
        notes.push(format!(
            "--collapse actions: left {} on * exact: a wildcard action on * would allow every \
             matching action on every resource",
            s.actions.join(", ")
        ));
        return None;
    }
    let mut actions = Vec::new();
    for ((code, verb), members) in groups {
        if members.len() < 2 {
            actions.extend(members.into_iter().cloned());
            continue;
        }
        let pattern = format!("{code}:{verb}*");
        let wildcard = Wildcard::new(&pattern, Case::Insensitive);
        let mut fitting = Vec::new();
        let mut other = 0usize;
        if let Some(service) = catalog.service(&code) {
            for info in &service.actions {
                if !wildcard.matches(&info.action) || members.contains(&&info.action) {
                    continue;
                }
                let fits = s
                    .resources
                    .iter()
                    .any(|r| info.resources.iter().any(|t| fits_resource(t, r)));
                if fits {
                    fitting.push(info.action.as_str());
                } else {
                    other += 1;
                }
            }
        }
        let replaced: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
        let mut note = format!(
            "--collapse actions: {pattern} replaces {} on {}; it also allows ",
            replaced.join(", "),
            summary(&s.resources)
        );
        if fitting.is_empty() {
            note.push_str("no other catalogued action on these resources");
        } else {
            note.push_str(&format!(
                "{} more action{} on these resources: {}",
                fitting.len(),
                if fitting.len() == 1 { "" } else { "s" },
                fitting.join(", ")
            ));
        }
        if other > 0 {
            note.push_str(&format!(
                " (and matches {other} catalogued action{} never authorised on them), plus any \
                 action of that name the service adds later",
                if other == 1 { "" } else { "s" }
            ));
        } else {
            note.push_str(", plus any action of that name the service adds later");
        }
        notes.push(note);
        actions.push(pattern);
    }
    actions.sort();
    actions.dedup();
    Some(Statement {
        actions,
        ..s.clone()
    })
}

fn collapse_resources(s: &Statement, notes: &mut Vec<String>) -> Option<Statement> {
    let mut groups: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    let mut resources = Vec::new();
    for r in &s.resources {
        let relative_slash = r.splitn(5, ':').nth(4).and_then(|rel| rel.rfind('/'));
        match relative_slash {
            Some(_) if !r.contains(['*', '?']) => {
                let cut = r.rfind('/').unwrap_or(0) + 1;
                groups.entry(r[..cut].to_string()).or_default().push(r);
            }
            _ => resources.push(r.clone()),
        }
    }
    if groups.values().all(|g| g.len() < 2) {
        return None;
    }
    for (prefix, members) in groups {
        if members.len() < 2 {
            resources.extend(members.into_iter().cloned());
            continue;
        }
        let pattern = format!("{prefix}*");
        notes.push(format!(
            "--collapse resources: {pattern} replaces {} for {}; it also allows {} on every \
             other resource whose ARN starts with {prefix}",
            members
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            s.actions.join(", "),
            if s.actions.len() == 1 { "it" } else { "them" },
        ));
        resources.push(pattern);
    }
    resources.sort();
    resources.dedup();
    Some(Statement {
        resources,
        ..s.clone()
    })
}

fn summary(resources: &[String]) -> String {
    match resources {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => "nothing".into(),
    }
}

/// After a collapse: merges statements that now share their actions (or
/// resources) and conditions, drops entries another entry of the same
/// statement covers, and drops statements another one covers (the cases the
/// linter reports as redundant, decided by the linter's own comparisons).
pub fn tidy(mut statements: Vec<Statement>) -> Vec<Statement> {
    loop {
        let before = statements.len();
        statements = merge_by(
            statements,
            |s| (s.conditions.clone(), s.actions.clone()),
            true,
        );
        statements = merge_by(
            statements,
            |s| (s.conditions.clone(), s.resources.clone()),
            false,
        );
        if statements.len() == before {
            break;
        }
    }
    for s in &mut statements {
        s.actions = drop_covered(std::mem::take(&mut s.actions), Case::Insensitive);
        s.resources = drop_covered(std::mem::take(&mut s.resources), Case::Sensitive);
    }
    let patterns: Vec<(Vec<Pattern>, Vec<Pattern>)> = statements
        .iter()
        .map(|s| {
            (
                s.actions
                    .iter()
                    .map(|a| Pattern::glob(a, Case::Insensitive))
                    .collect(),
                s.resources
                    .iter()
                    .map(|r| Pattern::glob(r, Case::Sensitive))
                    .collect(),
            )
        })
        .collect();
    // Literal prefixes (up to the first wildcard; actions folded): a list
    // can cover an entry only if one of its prefixes begins the entry's,
    // since past its own prefix the entry can take a character no longer
    // prefix expects. Checked first, this spares the pattern comparisons
    // on almost every pair (a large log's statements are hundreds).
    let prefixes: Vec<(Vec<String>, Vec<String>)> = statements
        .iter()
        .map(|s| {
            let lit = |e: &String| e[..e.find(['*', '?']).unwrap_or(e.len())].to_string();
            (
                s.actions
                    .iter()
                    .map(|a| lit(a).to_ascii_lowercase())
                    .collect(),
                s.resources.iter().map(lit).collect(),
            )
        })
        .collect();
    let may_cover = |wide: &[String], narrow: &[String]| {
        narrow
            .iter()
            .all(|n| wide.iter().any(|w| n.starts_with(w.as_str())))
    };
    // Comparisons past the budget answer "not covered": a statement is
    // then kept, never widened.
    let budget = Budget::new(DOCUMENT_BUDGET);
    let mut keep = vec![true; statements.len()];
    for i in 0..statements.len() {
        for j in 0..statements.len() {
            if i == j || !keep[j] {
                continue;
            }
            let wide = &statements[j];
            let narrow = &statements[i];
            let conditions_ok = wide.conditions.is_empty() || wide.conditions == narrow.conditions;
            if conditions_ok
                && may_cover(&prefixes[j].0, &prefixes[i].0)
                && may_cover(&prefixes[j].1, &prefixes[i].1)
                && list_covers(false, &patterns[j].0, false, &patterns[i].0, &budget) == Some(true)
                && list_covers(false, &patterns[j].1, false, &patterns[i].1, &budget) == Some(true)
            {
                keep[i] = false;
                break;
            }
        }
    }
    let mut out: Vec<Statement> = statements
        .into_iter()
        .zip(keep)
        .filter_map(|(s, k)| k.then_some(s))
        .collect();
    out.sort();
    out
}

fn merge_by<K: Ord>(
    statements: Vec<Statement>,
    key: impl Fn(&Statement) -> K,
    union_resources: bool,
) -> Vec<Statement> {
    let mut merged: BTreeMap<K, Statement> = BTreeMap::new();
    for s in statements {
        match merged.entry(key(&s)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(s);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let target = o.get_mut();
                let (into, from) = if union_resources {
                    (&mut target.resources, s.resources)
                } else {
                    (&mut target.actions, s.actions)
                };
                into.extend(from);
                into.sort();
                into.dedup();
            }
        }
    }
    merged.into_values().collect()
}

fn drop_covered(mut entries: Vec<String>, case: Case) -> Vec<String> {
    entries.sort();
    entries.dedup_by(|a, b| match case {
        Case::Insensitive => a.eq_ignore_ascii_case(b),
        Case::Sensitive => a == b,
    });
    let patterns: Vec<Pattern> = entries.iter().map(|e| Pattern::glob(e, case)).collect();
    let budget = Budget::new(DOCUMENT_BUDGET);
    let mut keep = vec![true; entries.len()];
    // After the dedup, an entry without a wildcard covers no other one: only
    // patterns need comparing (linear, not quadratic, in plain ARNs).
    let wild: Vec<usize> = (0..entries.len())
        .filter(|&j| entries[j].contains(['*', '?']))
        .collect();
    // A pattern covers an entry only if its literal prefix begins the
    // entry's (see `tidy`). Patterns are looked up by prefix, one lookup per
    // distinct prefix length, so a statement of thousands of resources is
    // not compared pairwise.
    let folded: Vec<String> = entries
        .iter()
        .map(|e| match case {
            Case::Insensitive => e.to_ascii_lowercase(),
            Case::Sensitive => e.clone(),
        })
        .collect();
    let mut by_prefix: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut lengths: BTreeSet<usize> = BTreeSet::new();
    for &j in &wild {
        let prefix = &folded[j][..folded[j].find(['*', '?']).unwrap_or(folded[j].len())];
        by_prefix.entry(prefix).or_default().push(j);
        lengths.insert(prefix.len());
    }
    for i in 0..entries.len() {
        let entry = folded[i].as_str();
        let covered = lengths
            .iter()
            .take_while(|&&l| l <= entry.len())
            .filter_map(|&l| entry.get(..l).and_then(|p| by_prefix.get(p)))
            .flatten()
            .any(|&j| {
                i != j && keep[j] && covers(&patterns[j], &patterns[i], &budget) == Some(true)
            });
        if covered {
            keep[i] = false;
        }
    }
    entries
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

/// The longest `Sid` written; the size check reserves room for it.
const MAX_SID: usize = 64;

/// Gives each statement a readable, unique `Sid`: the verbs of its actions
/// and a label of its first resource, e.g. `GetUpdateOnProjectImmtest`.
pub fn assign_sids(statements: &mut [Statement]) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for s in statements.iter_mut() {
        let base = sid_base(s);
        let mut sid = base.clone();
        let mut n = 2;
        while used.contains(&sid) {
            sid = format!("{base}{n}");
            n += 1;
        }
        used.insert(sid.clone());
        s.sid = sid;
    }
}

fn pascal(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

fn sid_base(s: &Statement) -> String {
    let mut text = if let [one] = s.actions.as_slice() {
        pascal(one.split_once(':').map_or(one.as_str(), |(_, n)| n))
    } else {
        let verbs: BTreeSet<String> = s
            .actions
            .iter()
            .map(|a| pascal(verb(a.split_once(':').map_or(a.as_str(), |(_, n)| n))))
            .collect();
        verbs.into_iter().collect::<String>()
    };
    if text.is_empty() {
        text.push_str("Allow");
    }
    text.push_str("On");
    let label = |r: &str| -> String {
        if r == "*" {
            return "AllResources".into();
        }
        let relative = r.splitn(5, ':').nth(4).unwrap_or(r);
        pascal(&relative.replace('*', "-all"))
    };
    if let Some(first) = s.resources.first() {
        text.push_str(&label(first));
        if s.resources.len() > 1 {
            text.push_str(&format!("And{}More", s.resources.len() - 1));
        }
    }
    // Leave room for a numeric suffix.
    text.chars().take(MAX_SID - 4).collect()
}

#[derive(Serialize)]
struct StatementOut<'a> {
    #[serde(rename = "Sid")]
    sid: &'a str,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Action")]
    action: &'a [String],
    #[serde(rename = "Resource")]
    resource: &'a [String],
    #[serde(rename = "Condition", skip_serializing_if = "BTreeMap::is_empty")]
    condition: BTreeMap<&'static str, BTreeMap<&'a str, &'a [String]>>,
}

/// What precedes the statements of a document.
const HEAD: &str = "{\n  \"Version\": \"1\",\n  \"Statement\": [\n";
/// What follows them, with the final newline.
const TAIL: &str = "\n  ]\n}\n";
/// What separates two statements.
const SEPARATOR: &str = ",\n";

/// One statement as it appears in a document: pretty-printed, each line
/// indented by four spaces, without a trailing separator. A document is
/// `HEAD`, its statements joined by `SEPARATOR`, and `TAIL`, so its size is
/// the sum of theirs: packing never re-renders a document.
fn render_statement(s: &Statement) -> String {
    let mut condition: BTreeMap<&'static str, BTreeMap<&str, &[String]>> = BTreeMap::new();
    for (key, clause) in &s.conditions {
        condition
            .entry(clause.operator.name())
            .or_default()
            .insert(key.as_str(), clause.values.as_slice());
    }
    let out = StatementOut {
        sid: &s.sid,
        effect: "Allow",
        action: &s.actions,
        resource: &s.resources,
        condition,
    };
    let text = serde_json::to_string_pretty(&out).expect("a statement always serializes");
    let mut indented = String::with_capacity(text.len() + 64);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            indented.push('\n');
        }
        indented.push_str("    ");
        indented.push_str(line);
    }
    indented
}

/// The policy document of `statements`, pretty-printed (two-space indent),
/// with a final newline.
pub fn render(statements: &[Statement]) -> String {
    if statements.is_empty() {
        return "{\n  \"Version\": \"1\",\n  \"Statement\": []\n}\n".to_string();
    }
    let rendered: Vec<String> = statements.iter().map(render_statement).collect();
    let mut text = String::with_capacity(
        HEAD.len() + TAIL.len() + rendered.iter().map(|r| r.len() + 2).sum::<usize>(),
    );
    text.push_str(HEAD);
    text.push_str(&rendered.join(SEPARATOR));
    text.push_str(TAIL);
    text
}

/// RAM counts a policy's size in characters of the document.
pub fn size(text: &str) -> usize {
    text.chars().count()
}

/// The size of a document holding statements of these sizes.
fn document_size(statement_sizes: &[usize]) -> usize {
    size(HEAD)
        + size(TAIL)
        + statement_sizes.iter().sum::<usize>()
        + SEPARATOR.len() * statement_sizes.len().saturating_sub(1)
}

/// The size of a statement alone in a document, with the longest `Sid`
/// (the real ones are assigned after splitting).
fn size_alone(s: &Statement) -> usize {
    let mut probe = s.clone();
    probe.sid = "X".repeat(MAX_SID);
    document_size(&[size(&render_statement(&probe))])
}

/// One action on one resource that does not fit in a policy on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the statement for {actions} on {resources} alone exceeds {limit} characters")]
pub struct TooLarge {
    /// The statement's actions, comma-separated.
    pub actions: String,
    /// Its resources, comma-separated.
    pub resources: String,
    /// RAM's limit.
    pub limit: usize,
}

impl TooLarge {
    fn of(s: &Statement, limit: usize) -> Self {
        TooLarge {
            actions: s.actions.join(", "),
            resources: s.resources.join(", "),
            limit,
        }
    }
}

/// `items` cut into `k` contiguous runs whose lengths differ by one at
/// most.
fn even_chunks(items: &[String], k: usize) -> Vec<Vec<String>> {
    let (base, extra) = (items.len() / k, items.len() % k);
    let mut out = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let len = base + usize::from(i < extra);
        out.push(items[start..start + len].to_vec());
        start += len;
    }
    out
}

/// A statement too large for one document, cut evenly into as few
/// statements as fit: by its resources, else by its actions. Each part is
/// still exact (a product of a subset of one list with the other).
fn split_to_fit(s: Statement, limit: usize) -> Result<Vec<Statement>, TooLarge> {
    let alone = size_alone(&s);
    if alone <= limit {
        return Ok(vec![s]);
    }
    let by_resources = s.resources.len() > 1;
    let list = if by_resources {
        &s.resources
    } else {
        &s.actions
    };
    if list.len() < 2 {
        return Err(TooLarge::of(&s, limit));
    }
    // Start from the share of the limit the statement needs, and cut
    // finer until every part fits; parts of one entry are split further
    // by the other list.
    let mut k = alone.div_ceil(limit).clamp(2, list.len());
    loop {
        let parts: Vec<Statement> = even_chunks(list, k)
            .into_iter()
            .map(|chunk| {
                if by_resources {
                    Statement {
                        resources: chunk,
                        ..s.clone()
                    }
                } else {
                    Statement {
                        actions: chunk,
                        ..s.clone()
                    }
                }
            })
            .collect();
        if parts.iter().all(|p| size_alone(p) <= limit) {
            return Ok(parts);
        }
        if k == list.len() {
            let mut out = Vec::new();
            for p in parts {
                if by_resources && p.actions.len() > 1 {
                    out.extend(split_to_fit(p, limit)?);
                } else if size_alone(&p) <= limit {
                    out.push(p);
                } else {
                    return Err(TooLarge::of(&p, limit));
                }
            }
            return Ok(out);
        }
        k += 1;
    }
}

/// Greedy in-order packing of statement sizes into documents of at most
/// `capacity` characters: the start index of each document.
fn pack_greedy(sizes: &[usize], capacity: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let mut current = size(HEAD) + size(TAIL);
    for (i, &s) in sizes.iter().enumerate() {
        let first = i == *starts.last().expect("one start");
        let added = if first { s } else { s + SEPARATOR.len() };
        if !first && current + added > capacity {
            starts.push(i);
            current = size(HEAD) + size(TAIL) + s;
        } else {
            current += added;
        }
    }
    starts
}

/// Splits statements that alone exceed `limit` (evenly, by their
/// resources, else their actions: each part is still exact), names them,
/// then packs them in order into as few documents as fit, of about the
/// same size: the smallest capacity that needs no more documents than
/// packing to the limit does (docs/generate.md, "Synthesis").
pub fn pack(statements: Vec<Statement>, limit: usize) -> Result<Vec<Vec<Statement>>, TooLarge> {
    let mut fitting = Vec::with_capacity(statements.len());
    for s in statements {
        fitting.extend(split_to_fit(s, limit)?);
    }
    fitting.sort();
    assign_sids(&mut fitting);
    let sizes: Vec<usize> = fitting.iter().map(|s| size(&render_statement(s))).collect();
    let count = pack_greedy(&sizes, limit).len();
    // The least capacity giving `count` documents, by bisection: packing
    // in order is monotone in the capacity.
    let (mut low, mut high) = (
        document_size(&[sizes.iter().copied().max().unwrap_or(0)]),
        limit,
    );
    while low < high {
        let mid = low + (high - low) / 2;
        if pack_greedy(&sizes, mid).len() <= count {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let starts = pack_greedy(&sizes, high);
    let mut documents = Vec::with_capacity(starts.len());
    let mut rest = fitting;
    for &start in starts.iter().skip(1).rev() {
        documents.push(rest.split_off(start));
    }
    documents.push(rest);
    documents.reverse();
    if documents.len() == 1 && documents[0].is_empty() {
        documents.clear();
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(action: &str, resource: &str) -> Pair {
        Pair {
            action: action.into(),
            resource: resource.into(),
            conditions: ConditionSet::new(),
        }
    }

    const A: &str = "acs:imm:cn-hangzhou:1234567890123456:project/a";
    const B: &str = "acs:imm:cn-hangzhou:1234567890123456:project/b";

    #[test]
    fn actions_with_the_same_resources_share_a_statement() {
        let pairs: BTreeSet<Pair> = [
            pair("imm:GetProject", A),
            pair("imm:UpdateProject", A),
            pair("imm:GetProject", B),
            pair("imm:UpdateProject", B),
        ]
        .into();
        let s = group(&pairs);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].actions, ["imm:GetProject", "imm:UpdateProject"]);
        assert_eq!(s[0].resources, [A, B]);
    }

    #[test]
    fn no_cross_product() {
        // GetProject on a and b, UpdateProject on a only: one statement for
        // both actions on both projects would grant UpdateProject on b.
        let pairs: BTreeSet<Pair> = [
            pair("imm:GetProject", A),
            pair("imm:GetProject", B),
            pair("imm:UpdateProject", A),
        ]
        .into();
        let s = group(&pairs);
        assert_eq!(s.len(), 2);
        let granted: BTreeSet<(String, String)> = s
            .iter()
            .flat_map(|s| {
                s.actions
                    .iter()
                    .flat_map(move |a| s.resources.iter().map(move |r| (a.clone(), r.clone())))
            })
            .collect();
        let asked: BTreeSet<(String, String)> = pairs
            .iter()
            .map(|p| (p.action.clone(), p.resource.clone()))
            .collect();
        assert_eq!(granted, asked);
    }

    #[test]
    fn grouping_by_resource_when_it_is_smaller() {
        // Three actions on A, the same three on B plus one more: by action
        // gives 2 statements, by resource 2 as well; ties go to actions.
        let pairs: BTreeSet<Pair> = [
            pair("imm:GetProject", A),
            pair("imm:GetProject", B),
            pair("imm:DeleteProject", B),
        ]
        .into();
        let s = group(&pairs);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn weaker_conditions_make_stronger_ones_redundant() {
        let mut with_ip = pair("imm:GetProject", A);
        with_ip.conditions.insert(
            "acs:SourceIp".into(),
            super::super::conditions::Clause {
                operator: crate::condition::Operator::IpAddress,
                values: vec!["192.0.2.0/24".into()],
            },
        );
        let pairs = minimal_pairs([with_ip.clone(), pair("imm:GetProject", A)]);
        assert_eq!(pairs.len(), 1);
        assert!(pairs.iter().next().unwrap().conditions.is_empty());
        assert_eq!(minimal_pairs([with_ip.clone()]).len(), 1);
    }

    #[test]
    fn verbs_and_sids() {
        assert_eq!(verb("AttachOSSBucket"), "Attach");
        assert_eq!(verb("ListProjects"), "List");
        assert_eq!(verb("Get*"), "Get");
        let mut s = vec![
            Statement {
                sid: String::new(),
                actions: vec!["imm:GetProject".into()],
                resources: vec![A.into()],
                conditions: ConditionSet::new(),
            },
            Statement {
                sid: String::new(),
                actions: vec!["imm:GetProject".into()],
                resources: vec![A.into()],
                conditions: ConditionSet::new(),
            },
        ];
        assign_sids(&mut s);
        assert_eq!(s[0].sid, "GetProjectOnProjectA");
        assert_eq!(s[1].sid, "GetProjectOnProjectA2");
    }

    #[test]
    fn collapse_actions_says_what_it_adds() {
        let s = Statement {
            sid: String::new(),
            actions: vec!["imm:GetProject".into(), "imm:GetBinding".into()],
            resources: vec![A.into()],
            conditions: ConditionSet::new(),
        };
        let (out, declared, notes) = collapse(vec![s], Collapse::Actions);
        assert_eq!(out[0].actions, ["imm:Get*"]);
        assert_eq!(declared.len(), 1);
        assert!(notes[0].contains("imm:Get* replaces"), "{}", notes[0]);
    }

    #[test]
    fn collapse_resources_by_prefix() {
        let s = Statement {
            sid: String::new(),
            actions: vec!["imm:GetProject".into()],
            resources: vec![A.into(), B.into()],
            conditions: ConditionSet::new(),
        };
        let (out, _, notes) = collapse(vec![s], Collapse::Resources);
        assert_eq!(
            out[0].resources,
            ["acs:imm:cn-hangzhou:1234567890123456:project/*"]
        );
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn tidy_drops_covered_statements() {
        let wide = Statement {
            sid: String::new(),
            actions: vec!["imm:Get*".into()],
            resources: vec![A.into(), B.into()],
            conditions: ConditionSet::new(),
        };
        let narrow = Statement {
            sid: String::new(),
            actions: vec!["imm:GetBinding".into()],
            resources: vec![A.into()],
            conditions: ConditionSet::new(),
        };
        assert_eq!(tidy(vec![narrow, wide.clone()]), vec![wide]);
    }

    #[test]
    fn packing_respects_the_limit() {
        let statements: Vec<Statement> = (0..200)
            .map(|i| Statement {
                sid: String::new(),
                actions: vec!["imm:GetProject".into()],
                resources: vec![format!(
                    "acs:imm:cn-hangzhou:1234567890123456:project/p{i:03}"
                )],
                conditions: ConditionSet::new(),
            })
            .collect();
        let docs = pack(statements, 6144).unwrap();
        assert!(docs.len() > 1);
        let sizes: Vec<usize> = docs.iter().map(|d| size(&render(d))).collect();
        for &s in &sizes {
            assert!(s <= 6144);
        }
        // Even: no document is much smaller than the others.
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min < 600, "{sizes:?}");
        assert_eq!(docs.iter().map(Vec::len).sum::<usize>(), 200);
    }

    #[test]
    fn an_oversized_statement_is_cut_evenly() {
        let resources: Vec<String> = (0..300)
            .map(|i| format!("acs:imm:cn-hangzhou:1234567890123456:project/p{i:03}"))
            .collect();
        let s = Statement {
            sid: String::new(),
            actions: vec!["imm:GetProject".into(), "imm:UpdateProject".into()],
            resources: resources.clone(),
            conditions: ConditionSet::new(),
        };
        let parts = split_to_fit(s, 6144).unwrap();
        assert!(parts.len() >= 4, "{}", parts.len());
        let lens: Vec<usize> = parts.iter().map(|p| p.resources.len()).collect();
        let (min, max) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
        // Even: not halves of halves (e.g. 150, 75, 38, 37).
        assert!(max - min <= 1, "{lens:?}");
        for p in &parts {
            assert!(size_alone(p) <= 6144);
            assert_eq!(p.actions.len(), 2);
        }
        let back: Vec<String> = parts.into_iter().flat_map(|p| p.resources).collect();
        assert_eq!(back, resources);
        // One action on one resource that cannot fit is an error, not a loop.
        let huge = Statement {
            sid: String::new(),
            actions: vec!["imm:GetProject".into()],
            resources: vec![format!(
                "acs:imm:cn-hangzhou:1234567890123456:project/{}",
                "p".repeat(7000)
            )],
            conditions: ConditionSet::new(),
        };
        assert!(split_to_fit(huge, 6144).is_err());
    }

    #[test]
    fn a_document_is_the_sum_of_its_statements() {
        let statements: Vec<Statement> = (0..3)
            .map(|i| Statement {
                sid: format!("S{i}"),
                actions: vec!["imm:GetProject".into()],
                resources: vec![format!("acs:imm:cn-hangzhou:1:project/p{i}")],
                conditions: ConditionSet::new(),
            })
            .collect();
        let text = render(&statements);
        let sizes: Vec<usize> = statements
            .iter()
            .map(|s| size(&render_statement(s)))
            .collect();
        assert_eq!(size(&text), document_size(&sizes));
        // The same bytes as serde's pretty printer gives for the whole
        // document (how it was rendered before).
        #[derive(Serialize)]
        struct DocumentOut<'a> {
            #[serde(rename = "Version")]
            version: &'static str,
            #[serde(rename = "Statement")]
            statement: Vec<StatementOut<'a>>,
        }
        let doc = DocumentOut {
            version: "1",
            statement: statements
                .iter()
                .map(|s| StatementOut {
                    sid: &s.sid,
                    effect: "Allow",
                    action: &s.actions,
                    resource: &s.resources,
                    condition: BTreeMap::new(),
                })
                .collect(),
        };
        let mut pretty = serde_json::to_string_pretty(&doc).unwrap();
        pretty.push('\n');
        assert_eq!(text, pretty);
    }
}
