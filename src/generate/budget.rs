//! The size budget: when the exact statements need more documents than
//! `--max-policies N` (by default RAM's limit of custom policies attached
//! to one RAM user, group or role, [`RAM_MAX_POLICIES`]), propose the least
//! broadening that fits, report each step and, for each, concrete requests
//! it allows that no input asked for.
//!
//! The order (docs/generate.md, "Size budget"): resources first — a
//! resource's last name, among siblings (the datasets of one project, the
//! objects under one prefix of a bucket), then one level up (the projects
//! of a region and account, the prefixes of a bucket), and so on, never to
//! a bare `*` — and actions by access level last (`<code>:<Verb>*`, the
//! `--collapse actions` step). Within a level the group that saves most
//! characters goes first, and broadening stops as soon as the documents
//! fit. Every broadened statement is a declared grant of the proof, like a
//! `--collapse`; everything else stays proven exact.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::{self, DiffOptions};
use crate::policy::{Policy, PolicyKind};
use crate::wildcard::{Case, Wildcard};

use super::GenerateError;
use super::proof::Grant;
use super::synth::{self, Collapse, Statement};

/// RAM's limit on custom policies attached to one RAM user, user group or
/// role (RAM "Limits",
/// <https://www.alibabacloud.com/help/en/ram/product-overview/limits>).
pub const RAM_MAX_POLICIES: usize = 10;

/// How many example requests each broadening reports.
const EXAMPLES: usize = 2;

/// The number of documents `statements` pack into.
fn documents(statements: &[Statement]) -> Result<usize, GenerateError> {
    let limit = PolicyKind::Identity.size_limit();
    Ok(synth::pack(statements.to_vec(), limit)?.len())
}

/// One resource broadening: in statement `statement`, `members` become
/// `pattern`.
#[derive(Debug, Clone)]
struct Candidate {
    statement: usize,
    pattern: String,
    members: Vec<String>,
}

fn longest_common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut len = first.len();
    for n in names {
        len = first[..len]
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
    }
    first[..len].to_string()
}

/// The part of a resource that a broadening generalizes: the ARN itself,
/// or a pattern without its trailing `*` (a catalogue wildcard ARN such as
/// `.../dataset/*` of ListDatasets, or a name prefix an earlier level made,
/// `.../ds-*`), so a higher level can broaden it again. Other patterns are
/// left alone.
fn body(resource: &str) -> Option<&str> {
    let body = match resource.strip_suffix('*') {
        Some(b) => b.strip_suffix('/').unwrap_or(b),
        None => resource,
    };
    (!body.contains(['*', '?'])).then_some(body)
}

/// The resource broadenings of one level: resources of a statement that
/// agree on all but their last `cut` segments of the relative id become
/// `<kept segments>/<common prefix of the next segment>*`. A pattern that
/// would cover the whole account (`*` with no kept segment or name
/// prefix) is never proposed.
fn candidates(statements: &[Statement], cut: usize) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let mut groups: BTreeMap<(String, String), Vec<&String>> = BTreeMap::new();
        for r in &s.resources {
            let Some(body) = body(r) else {
                continue;
            };
            let parts: Vec<&str> = body.splitn(5, ':').collect();
            let [_, _, _, _, relative] = parts.as_slice() else {
                continue;
            };
            let head = &body[..body.len() - relative.len()];
            let segments: Vec<&str> = relative.split('/').collect();
            if segments.len() < cut {
                continue;
            }
            let kept = segments[..segments.len() - cut].join("/");
            groups.entry((head.to_string(), kept)).or_default().push(r);
        }
        for ((head, kept), members) in groups {
            if members.len() < 2 {
                continue;
            }
            let depth = kept.split('/').filter(|k| !k.is_empty()).count();
            let next: Vec<&str> = members
                .iter()
                .map(|m| {
                    let relative = body(m).map_or("", |b| &b[head.len()..]);
                    relative.split('/').nth(depth).unwrap_or("")
                })
                .collect();
            let prefix = longest_common_prefix(next.iter().copied());
            if kept.is_empty() && prefix.is_empty() {
                continue;
            }
            let pattern = if kept.is_empty() {
                format!("{head}{prefix}*")
            } else {
                format!("{head}{kept}/{prefix}*")
            };
            out.push(Candidate {
                statement: i,
                pattern,
                members: members.into_iter().cloned().collect(),
            });
        }
    }
    // Most characters saved first; ties in a stable order.
    out.sort_by(|a, b| {
        let saved = |c: &Candidate| {
            c.members.iter().map(|m| m.len() + 4).sum::<usize>() as i64 - c.pattern.len() as i64
        };
        saved(b)
            .cmp(&saved(a))
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    out
}

fn apply(statements: &mut [Statement], c: &Candidate) {
    let s = &mut statements[c.statement];
    s.resources.retain(|r| !c.members.contains(r));
    s.resources.push(c.pattern.clone());
    s.resources.sort();
    s.resources.dedup();
}

/// Up to [`EXAMPLES`] requests `after` allows and `before` does not, found
/// by the analysis engine's `diff` (docs/analysis.md) and re-checked there
/// with the evaluator.
fn examples(before: &Statement, after: &Statement) -> String {
    let doc = |s: &Statement, name: &str| -> Option<Arc<Policy>> {
        let mut s = s.clone();
        s.sid = "Budget".into();
        let text = synth::render(std::slice::from_ref(&s));
        Policy::parse(&text, name, name, PolicyKind::Identity)
            .ok()
            .map(Arc::new)
    };
    let (Some(old), Some(new)) = (doc(before, "before"), doc(after, "after")) else {
        return String::new();
    };
    match analysis::diff_policies(
        &old,
        &new,
        &DiffOptions {
            kind: Some(PolicyKind::Identity),
            both: false,
            max: EXAMPLES,
        },
    ) {
        Ok(report) if !report.new_access.is_empty() => format!(
            "; e.g. it adds {}",
            report
                .new_access
                .iter()
                .map(|w| format!("{} on {}", w.action, w.resource))
                .collect::<Vec<_>>()
                .join(", and ")
        ),
        _ => String::new(),
    }
}

/// Up to [`EXAMPLES`] requests a resource broadening adds: `pattern` with
/// its wildcards filled in, kept when none of the statement's resources
/// before the step matches it. The statement is otherwise unchanged (same
/// actions, same conditions), so such a resource is exactly new access;
/// the matcher is the evaluator's (docs/generate.md, "Size budget"). This
/// costs a few matches per step where [`examples`] costs an analysis: a
/// large log takes hundreds of steps.
fn resource_examples(before: &Statement, pattern: &str) -> String {
    let Some(action) = before.actions.first() else {
        return String::new();
    };
    let old: Vec<Wildcard> = before
        .resources
        .iter()
        .map(|r| Wildcard::new(r, Case::Sensitive))
        .collect();
    let found: Vec<String> = ["example", "other-example"]
        .iter()
        .map(|filler| pattern.replace('*', filler).replace('?', "x"))
        .filter(|r| !old.iter().any(|w| w.matches(r)))
        .take(EXAMPLES)
        .map(|r| format!("{action} on {r}"))
        .collect();
    if found.is_empty() {
        String::new()
    } else {
        format!("; e.g. it adds {}", found.join(", and "))
    }
}

fn summary(members: &[String]) -> String {
    match members {
        [] => "nothing".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// The resource levels of the budget: broadens resources, least first,
/// until `statements` pack into `max` documents or nothing is left to
/// broaden. Returns whether they fit; each broadened statement is pushed
/// to `broadened` and reported in `notes`.
fn broaden_resources(
    statements: &mut Vec<Statement>,
    max: usize,
    broadened: &mut Vec<Statement>,
    notes: &mut Vec<String>,
) -> Result<bool, GenerateError> {
    let max_cut = statements
        .iter()
        .flat_map(|s| s.resources.iter())
        .filter_map(|r| body(r)?.splitn(5, ':').nth(4))
        .map(|rel| rel.split('/').count())
        .max()
        .unwrap_or(0);
    // Packing and tidying cost a pass over every statement (tidy compares
    // them pairwise), so neither runs per step: the candidates of a level
    // touch disjoint resources and are applied in turn while an estimate of
    // the total size says they cannot fit yet; the real count is taken once
    // the estimate fits, and tidy runs once per round of a level.
    let limit = PolicyKind::Identity.size_limit();
    let mut estimate: usize = statements
        .iter()
        .map(|s| synth::size(&synth::render(std::slice::from_ref(s))))
        .sum();
    for cut in 1..=max_cut {
        loop {
            let list = candidates(statements, cut);
            if list.is_empty() {
                break;
            }
            for c in &list {
                // The step's declared grant is what it adds: the statement's
                // actions and conditions on the new pattern (its old
                // resources are granted already). Not the whole statement,
                // which a large log broadens hundreds of times.
                let before = &statements[c.statement];
                let added = Statement {
                    sid: String::new(),
                    actions: before.actions.clone(),
                    resources: vec![c.pattern.clone()],
                    conditions: before.conditions.clone(),
                };
                notes.push(format!(
                    "budget: {} replaces {} for {}{}",
                    c.pattern,
                    summary(&c.members),
                    added.actions.join(", "),
                    resource_examples(before, &c.pattern)
                ));
                apply(statements, c);
                broadened.push(added);
                // Each resource line is the ARN, two quotes, a comma, a
                // newline and the indentation.
                let saved = c.members.iter().map(|m| m.len() + 12).sum::<usize>();
                estimate = estimate.saturating_sub(saved) + c.pattern.len() + 12;
                if estimate <= max * limit {
                    *statements = synth::tidy(std::mem::take(statements));
                    if documents(statements)? <= max {
                        return Ok(true);
                    }
                    // Tidy moved the statements: take the candidates anew.
                    break;
                }
            }
            *statements = synth::tidy(std::mem::take(statements));
            if documents(statements)? <= max {
                return Ok(true);
            }
            estimate = statements
                .iter()
                .map(|s| synth::size(&synth::render(std::slice::from_ref(s))))
                .sum();
        }
    }
    Ok(false)
}

/// `--collapse resources` beyond one level: after the per-statement
/// collapse, the budget's resource levels until one document (or nothing
/// is left to broaden; then the usual split applies). Each broadened
/// statement becomes a declared grant.
pub(crate) fn collapse_resources(
    mut statements: Vec<Statement>,
    grants: &mut Vec<Grant>,
    notes: &mut Vec<String>,
) -> Result<Vec<Statement>, GenerateError> {
    if documents(&statements)? <= 1 {
        return Ok(statements);
    }
    let mut broadened = Vec::new();
    let mut steps = Vec::new();
    broaden_resources(&mut statements, 1, &mut broadened, &mut steps)?;
    notes.extend(
        steps
            .into_iter()
            .map(|n| n.replacen("budget: ", "--collapse resources: ", 1)),
    );
    grants.extend(broadened.iter().map(Grant::from_statement));
    Ok(statements)
}

/// Fits `statements` into `max` documents (`None`: RAM's limit, and only
/// when the exact result exceeds it), broadening as little as possible.
/// Returns the statements and the notes; pushes each broadened statement
/// to `grants`.
pub(crate) fn fit(
    mut statements: Vec<Statement>,
    max: Option<usize>,
    grants: &mut Vec<Grant>,
    notes: &mut Vec<String>,
) -> Result<Vec<Statement>, GenerateError> {
    let explicit = max.is_some();
    let max = max.unwrap_or(RAM_MAX_POLICIES);
    if max == 0 {
        return Err(GenerateError::Input(
            "--max-policies must be at least 1".into(),
        ));
    }
    let exact = documents(&statements)?;
    if exact <= max {
        return Ok(statements);
    }
    let why = if explicit {
        format!("--max-policies {max}")
    } else {
        format!("RAM's limit of {max} custom policies per user, group or role")
    };
    notes.push(format!(
        "budget: the exact statements need {exact} policies, over {why}; broadening as \
         little as possible"
    ));
    let mut broadened: Vec<Statement> = Vec::new();
    let mut fits = broaden_resources(&mut statements, max, &mut broadened, notes)?;
    if !fits {
        // Actions by access level last: the `--collapse actions` step,
        // statement by statement, largest first.
        let mut order: Vec<usize> = (0..statements.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(statements[i].actions.len()));
        for i in order {
            let Some(before) = statements.get(i).cloned() else {
                continue;
            };
            let (mut widened, _, collapse_notes) =
                synth::collapse(vec![before.clone()], Collapse::Actions);
            let after = widened.remove(0);
            if after == before {
                continue;
            }
            for n in collapse_notes {
                notes.push(format!(
                    "budget: {}",
                    n.trim_start_matches("--collapse actions: ")
                ));
            }
            if let Some(last) = notes.last_mut() {
                last.push_str(&examples(&before, &after));
            }
            statements[i] = after.clone();
            broadened.push(after);
            if documents(&statements)? <= max {
                fits = true;
                break;
            }
        }
        statements = synth::tidy(statements);
        fits = fits || documents(&statements)? <= max;
    }
    if !fits {
        return Err(GenerateError::Input(format!(
            "the statements need {} policies even after every broadening ramcheck proposes, \
             over {why}",
            documents(&statements)?
        )));
    }
    grants.extend(broadened.iter().map(Grant::from_statement));
    notes.push(format!(
        "budget: {} polic{} after {} broadening{} (each above)",
        documents(&statements)?,
        if documents(&statements)? == 1 {
            "y"
        } else {
            "ies"
        },
        broadened.len(),
        if broadened.len() == 1 { "" } else { "s" }
    ));
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::conditions::ConditionSet;

    fn statement(actions: &[&str], resources: &[String]) -> Statement {
        Statement {
            sid: String::new(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources: resources.to_vec(),
            conditions: ConditionSet::new(),
        }
    }

    const HEAD: &str = "acs:imm:cn-hangzhou:1234567890123456:";

    #[test]
    fn siblings_first_then_one_level_up() {
        let datasets: Vec<String> = (0..3)
            .map(|i| format!("{HEAD}project/p/dataset/ds-{i}"))
            .collect();
        let c = candidates(&[statement(&["imm:GetDataset"], &datasets)], 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].pattern, format!("{HEAD}project/p/dataset/ds-*"));
        let projects: Vec<String> = ["media-a", "media-b", "archive"]
            .iter()
            .map(|p| format!("{HEAD}project/{p}"))
            .collect();
        let c = candidates(&[statement(&["imm:GetProject"], &projects)], 1);
        assert_eq!(c[0].pattern, format!("{HEAD}project/*"));
        // Catalogue wildcard ARNs broaden by the segments before `/*`.
        let lists: Vec<String> = ["proj-1", "proj-2"]
            .iter()
            .map(|p| format!("{HEAD}project/{p}/dataset/*"))
            .collect();
        let list = [statement(&["imm:ListDatasets"], &lists)];
        assert!(candidates(&list, 1).is_empty());
        assert_eq!(
            candidates(&list, 2)[0].pattern,
            format!("{HEAD}project/proj-*")
        );
        // A name prefix of an earlier level is broadened again higher up.
        let mixed = [statement(
            &["imm:GetDataset"],
            &[
                format!("{HEAD}project/a/dataset/ds-*"),
                format!("{HEAD}project/b/dataset/photos"),
            ],
        )];
        assert_eq!(candidates(&mixed, 3)[0].pattern, format!("{HEAD}project/*"));
        // Never the whole account.
        let buckets = vec![
            "acs:oss:cn-hangzhou:1234567890123456:alpha".to_string(),
            "acs:oss:cn-hangzhou:1234567890123456:beta".to_string(),
        ];
        assert!(candidates(&[statement(&["oss:GetBucketInfo"], &buckets)], 1).is_empty());
        let buckets = vec![
            "acs:oss:cn-hangzhou:1234567890123456:logs-a".to_string(),
            "acs:oss:cn-hangzhou:1234567890123456:logs-b".to_string(),
        ];
        assert_eq!(
            candidates(&[statement(&["oss:GetBucketInfo"], &buckets)], 1)[0].pattern,
            "acs:oss:cn-hangzhou:1234567890123456:logs-*"
        );
    }

    #[test]
    fn nothing_changes_within_the_budget() {
        let s = vec![statement(
            &["imm:GetProject"],
            &[format!("{HEAD}project/a")],
        )];
        let (mut grants, mut notes) = (Vec::new(), Vec::new());
        let out = fit(s.clone(), Some(1), &mut grants, &mut notes).unwrap();
        assert_eq!(out, s);
        assert!(notes.is_empty() && grants.is_empty());
        assert!(fit(s, Some(0), &mut grants, &mut notes).is_err());
    }
}
