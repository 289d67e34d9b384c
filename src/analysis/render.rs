//! Printing analysis answers: text that reads like a review comment, JSON,
//! and (for `diff` and `check`) SARIF and GitHub annotations through
//! lint's renderers, pointing at the statements that grant the access.

use serde_json::json;

use super::{CheckReport, DiffReport, GrantList, Verdict, WhoCanReport, Witness};
use crate::eval::StatementRef;
use crate::json::{Position, Span};
use crate::lint::{self, Document, Finding, Report, Severity};
use crate::terminal::escape;

/// Output formats of `diff` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A review comment.
    Text,
    /// The JSON of docs/analysis.md.
    Json,
    /// SARIF 2.1.0: one result per witness, at the granting statement.
    Sarif,
    /// GitHub Actions annotations at the granting statements.
    Github,
}

/// `statement 1 (Sid) of policy at file:line`.
pub(crate) fn describe(s: &StatementRef) -> String {
    let sid = s
        .sid
        .as_ref()
        .map(|sid| format!(" ({sid})"))
        .unwrap_or_default();
    format!(
        "{} statement {}{} at {}:{}",
        s.policy, s.statement, sid, s.file, s.line
    )
}

fn witness_lines(out: &mut String, i: usize, w: &Witness) {
    let mut line = |t: String| {
        out.push_str(&escape(&t));
        out.push('\n');
    };
    match &w.principal {
        Some(p) => line(format!("{i}. {p}: {} on {}", w.action, w.resource)),
        None => line(format!("{i}. {} on {}", w.action, w.resource)),
    }
    for (k, vs) in &w.context {
        line(format!("   with {k} = {}", vs.join(", ")));
    }
    for s in &w.statements {
        let sid = s
            .sid
            .as_ref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        line(format!(
            "   granted by {} statement {}{} at {}:{}",
            s.policy, s.index, sid, s.file, s.line
        ));
    }
    line(format!("   {}", w.description));
}

fn undecided_lines(out: &mut String, undecided: &[String]) {
    for u in undecided {
        out.push_str(&escape(&format!("undecided: {u}")));
        out.push('\n');
    }
}

/// The text of a `diff` answer.
pub fn diff_text(r: &DiffReport) -> String {
    let mut out = String::new();
    match r.result {
        Verdict::Pass => out.push_str("PASS: NEW grants nothing that OLD does not (checked exactly, for every request).\n"),
        Verdict::Unknown => out.push_str("UNKNOWN: no new access was found, but the analysis did not finish (see below); treat as not proven.\n"),
        Verdict::Fail => out.push_str(&format!(
            "FAIL: NEW grants access that OLD does not. {} example request{}, each checked with the evaluator:\n\n",
            r.new_access.len(),
            if r.new_access.len() == 1 { "" } else { "s" }
        )),
    }
    for (i, w) in r.new_access.iter().enumerate() {
        witness_lines(&mut out, i + 1, w);
        out.push('\n');
    }
    if let Some(removed) = &r.removed_access {
        if removed.is_empty() {
            out.push_str("No access was removed.\n");
        } else {
            out.push_str(&format!("Removed access ({}):\n\n", removed.len()));
            for (i, w) in removed.iter().enumerate() {
                witness_lines(&mut out, i + 1, w);
                out.push('\n');
            }
        }
    }
    undecided_lines(&mut out, &r.undecided);
    out
}

/// The JSON of a `diff` answer.
pub fn diff_json(r: &DiffReport) -> serde_json::Value {
    let list = |v: &[Witness]| -> Vec<serde_json::Value> { v.iter().map(witness_json).collect() };
    let mut out = json!({"result": r.result, "new_access": list(&r.new_access)});
    if let Some(removed) = &r.removed_access {
        out["removed_access"] = json!(list(removed));
    }
    if !r.undecided.is_empty() {
        out["undecided"] = json!(r.undecided);
    }
    out
}

fn witness_json(w: &Witness) -> serde_json::Value {
    let mut v = json!({
        "action": w.action,
        "resource": w.resource,
        "context": w.context,
        "statements": w.statements.iter().map(|s| json!({
            "file": s.file, "policy": s.policy, "index": s.index, "sid": s.sid, "line": s.line,
        })).collect::<Vec<_>>(),
        "description": w.description,
    });
    if let Some(p) = &w.principal {
        v["principal"] = json!(p);
    }
    v
}

/// The text of a `check` answer.
pub fn check_text(r: &CheckReport) -> String {
    let mut out = String::new();
    match r.result {
        Verdict::Pass => {
            out.push_str("PASS: no request the check forbids is allowed (checked exactly).\n")
        }
        Verdict::Unknown => out.push_str(
            "UNKNOWN: no violation was found, but the analysis did not finish (see below).\n",
        ),
        Verdict::Fail => out.push_str(&format!(
            "FAIL: {} violation{}, each checked with the evaluator:\n\n",
            r.violations.len(),
            if r.violations.len() == 1 { "" } else { "s" }
        )),
    }
    for (i, w) in r.violations.iter().enumerate() {
        witness_lines(&mut out, i + 1, w);
        out.push('\n');
    }
    undecided_lines(&mut out, &r.undecided);
    out
}

/// The JSON of a `check` answer.
pub fn check_json(r: &CheckReport) -> serde_json::Value {
    let mut out = json!({
        "result": r.result,
        "violations": r.violations.iter().map(witness_json).collect::<Vec<_>>(),
    });
    if !r.undecided.is_empty() {
        out["undecided"] = json!(r.undecided);
    }
    out
}

/// Witnesses as lint findings, one per granting statement, so that lint's
/// SARIF and GitHub renderers print them.
fn as_lint_report(witnesses: &[Witness], code: &'static str, name: &'static str) -> Report {
    let mut report = Report::default();
    for w in witnesses {
        for s in &w.statements {
            let finding = Finding {
                code,
                name,
                severity: Severity::SecurityWarning,
                message: w.description.clone(),
                help: None,
                file: s.file.clone(),
                path: format!("/Statement/{}", s.index),
                span: Span {
                    start: Position {
                        line: s.line,
                        column: s.column,
                        offset: 0,
                    },
                    end: Position {
                        line: s.line,
                        column: s.column,
                        offset: 0,
                    },
                },
                resource: None,
            };
            match report.documents.iter_mut().find(|d| d.file == s.file) {
                Some(d) => d.findings.push(finding),
                None => report.documents.push(Document {
                    file: s.file.clone(),
                    resource: None,
                    file_span: None,
                    kind: crate::policy::PolicyKind::Identity,
                    text: String::new(),
                    findings: vec![finding],
                }),
            }
        }
    }
    report
}

/// `diff` in any format.
pub fn render_diff(r: &DiffReport, format: Format) -> String {
    match format {
        Format::Text => diff_text(r),
        Format::Json => format!("{:#}\n", diff_json(r)),
        Format::Sarif => format!(
            "{:#}\n",
            lint::render::sarif(&as_lint_report(&r.new_access, "RA001", "new-access"))
        ),
        Format::Github => {
            lint::render::github(&as_lint_report(&r.new_access, "RA001", "new-access"))
        }
    }
}

/// `check` in any format.
pub fn render_check(r: &CheckReport, format: Format) -> String {
    match format {
        Format::Text => check_text(r),
        Format::Json => format!("{:#}\n", check_json(r)),
        Format::Sarif => format!(
            "{:#}\n",
            lint::render::sarif(&as_lint_report(&r.violations, "RA002", "check-violation"))
        ),
        Format::Github => {
            lint::render::github(&as_lint_report(&r.violations, "RA002", "check-violation"))
        }
    }
}

/// `who-can` as text.
pub fn who_can_text(r: &WhoCanReport) -> String {
    let mut out = String::new();
    let mut line = |t: String| {
        out.push_str(&escape(&t));
        out.push('\n');
    };
    let allowed: Vec<_> = r
        .principals
        .iter()
        .filter(|p| p.decision != "Deny")
        .collect();
    if allowed.is_empty() {
        line(format!("nobody can {} on {}", r.action, r.resource));
    }
    for p in &r.principals {
        let via: Vec<String> = p
            .via
            .iter()
            .map(|v| format!("{} statement {}", v.policy, v.statement))
            .collect();
        if via.is_empty() {
            line(format!("{}  {}", p.principal, p.decision));
        } else {
            line(format!(
                "{}  {}  via {}",
                p.principal,
                p.decision,
                via.join(", ")
            ));
        }
        for c in &p.conditions {
            line(format!("    condition: {c}"));
        }
        for (k, vs) in &p.witness_context {
            line(format!("    e.g. with {k}={}", vs.join(",")));
        }
    }
    for u in &r.undecided {
        line(format!("undecided: {u}"));
    }
    out
}

/// `can-i --list` as text.
pub fn list_text(l: &GrantList) -> String {
    let mut out = String::new();
    let mut line = |t: String| {
        out.push_str(&escape(&t));
        out.push('\n');
    };
    line(format!("{} may:", l.principal));
    if l.grants.is_empty() {
        line("  nothing".into());
    }
    for g in &l.grants {
        let sid = g
            .sid
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        line(format!("  {} statement {}{}:", g.policy, g.statement, sid));
        line(format!("    actions:   {}", g.actions.join(", ")));
        line(format!("    resources: {}", g.resources.join(", ")));
        for c in &g.conditions {
            line(format!("    when:      {c}"));
        }
        for d in &g.denied {
            line(format!("    except:    {d}"));
        }
    }
    for u in &l.undecided {
        line(format!("undecided: {u}"));
    }
    out
}
