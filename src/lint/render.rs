//! Printing a [`Report`]: text with code frames, JSON, SARIF 2.1.0 and
//! GitHub Actions workflow commands; and the rule list of `ramcheck rules`.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::{Value, json};

use super::rules::{RULES, RuleMeta};
use super::{Document, Finding, Report, Severity};
use crate::errors::ErrorReport;
use crate::json::Span;
use crate::terminal::escape;

/// Output formats of `ramcheck lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Findings with code frames from the document, then a summary.
    Text,
    /// JSON: every finding, and counts of documents and findings by severity.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands, one annotation per finding.
    Github,
}

/// Whether text on standard output may be coloured with `--color auto`
/// (see [`crate::terminal::ColorChoice`]).
pub fn stdout_color() -> bool {
    crate::terminal::ColorChoice::Auto.stdout()
}

/// Renders a report in `format`. `color` applies to text only.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text(report, color),
        Format::Json => format!("{:#}\n", to_json(report)),
        Format::Sarif => format!("{:#}\n", sarif(report)),
        Format::Github => github(report),
    }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::SecurityWarning => Level::WARNING.with_name("security-warning"),
        Severity::Warning => Level::WARNING,
        Severity::Suggestion => Level::HELP.with_name("suggestion"),
        Severity::Info => Level::NOTE.with_name("info"),
    }
}

/// Where a finding is shown in its document's text: byte range, clamped to
/// the text and to character boundaries.
fn range(text: &str, span: Span) -> std::ops::Range<usize> {
    let clamp = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    clamp(span.start.offset)..clamp(span.end.offset.max(span.start.offset))
}

/// The range a code frame underlines: a span over several lines (a whole
/// statement, for a missing element) is shown by its first line only, so
/// the frame stays a few lines long.
fn frame_range(text: &str, span: Span) -> std::ops::Range<usize> {
    let r = range(text, span);
    match text[r.clone()].find('\n') {
        Some(newline) if span.end.line > span.start.line => r.start..r.start + newline,
        _ => r,
    }
}

/// How much of a long line a code frame shows on each side of its span.
const WINDOW: usize = 120;

/// The largest character boundary of `text` at or before `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn origin(document: &Document) -> String {
    let origin = match &document.resource {
        Some(address) => format!("{} ({address})", document.file),
        None => document.file.clone(),
    };
    escape(&origin).into_owned()
}

/// rustc-like text: each finding with a code frame and its help.
pub fn text(report: &Report, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for document in &report.documents {
        let path = origin(document);
        for f in &document.findings {
            // Only the line the frame shows, and of a long line only a
            // window around the span, is handed to the renderer: thousands
            // of findings in a large document cost their own spans, not the
            // whole text each.
            let text = document.text.as_str();
            let frame = frame_range(text, f.span);
            let first = text[..frame.start].rfind('\n').map_or(0, |i| i + 1);
            let last = text[frame.end..]
                .find('\n')
                .map_or(text.len(), |i| frame.end + i);
            let from = floor_boundary(text, frame.start.saturating_sub(WINDOW).max(first));
            let end = floor_boundary(text, frame.end.min(frame.start + WINDOW));
            let to = floor_boundary(text, (end + WINDOW).min(last));
            let (before, after) = (
                if from > first { "..." } else { "" },
                if to < last { "..." } else { "" },
            );
            // Whatever the document holds is shown escaped (see
            // crate::terminal), piece by piece so that the span still
            // points at its part.
            let head = format!("{before}{}", escape(&text[from..frame.start]));
            let marked = escape(&text[frame.start..end]);
            let source = format!("{head}{marked}{}{after}", escape(&text[end..to]));
            let at = head.len();
            let line = f.span.start.line as usize;
            let snippet = Snippet::source(source.as_str())
                .line_start(line)
                .path(path.as_str())
                .annotation(AnnotationKind::Primary.span(at..at + marked.len()));
            // The renderer counts the column within the window; the
            // location line must give it within the document.
            let shown = format!("{path}:{line}:{}", head.chars().count() + 1);
            let real = format!("{path}:{line}:{}", f.span.start.column);
            let message = escape(&f.message);
            let help = f.help.as_deref().map(escape);
            let mut groups = vec![
                level(f.severity)
                    .primary_title(message.as_ref())
                    .id(f.code)
                    .element(snippet),
            ];
            if let Some(help) = &help {
                groups.push(Group::with_title(
                    Level::HELP.secondary_title(help.as_ref()),
                ));
            }
            out.push_str(&renderer.render(&groups).replacen(&shown, &real, 1));
            out.push_str("\n\n");
        }
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// `Found 3 findings (1 error, 2 warnings) in 2 documents.`
pub fn summary(report: &Report) -> String {
    let files = report.documents.len();
    let files = format!(
        "{files} {}",
        if files == 1 { "document" } else { "documents" }
    );
    let counts = report.counts();
    let total: usize = counts.values().sum();
    if total == 0 {
        return format!("No findings in {files}.");
    }
    let parts: Vec<String> = counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {}{}", s, if *n == 1 { "" } else { "s" }))
        .collect();
    format!(
        "Found {total} {} ({}) in {files}.",
        if total == 1 { "finding" } else { "findings" },
        parts.join(", ")
    )
}

/// `{"findings": [...], "summary": {...}}`.
pub fn to_json(report: &Report) -> Value {
    let findings: Vec<&Finding> = report.findings().collect();
    let counts: serde_json::Map<String, Value> = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                json!(report.counts().get(s).copied().unwrap_or(0)),
            )
        })
        .collect();
    json!({
        "findings": findings,
        "summary": {
            "documents": report.documents.len(),
            "findings": findings.len(),
            "by_severity": counts,
        },
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::SecurityWarning | Severity::Warning => "warning",
        Severity::Suggestion | Severity::Info => "note",
    }
}

/// A relative path as a URI reference: forward slashes, and reserved or
/// non-ASCII bytes percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits: a stable fingerprint without a hashing dependency.
fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

fn sarif_rule(meta: &RuleMeta) -> Value {
    let mut tags = vec![family(meta.code)];
    let mut properties = serde_json::Map::new();
    if meta.severity == Severity::SecurityWarning {
        tags.push("security");
        properties.insert("security-severity".into(), json!("7.5"));
    }
    properties.insert("tags".into(), json!(tags));
    properties.insert("ramcheck-severity".into(), json!(meta.severity.as_str()));
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary()},
        "fullDescription": {"text": meta.summary()},
        "help": {"text": meta.doc(), "markdown": meta.doc()},
        "defaultConfiguration": {"level": sarif_level(meta.severity)},
        "properties": properties,
    })
}

/// The rule family of a code, for tags.
pub fn family(code: &str) -> &'static str {
    match code.get(2..3) {
        Some("1") => "syntax",
        Some("2") => "actions",
        Some("3") => "resources",
        Some("4") => "conditions",
        Some("5") => "over-permission",
        Some("6") => "redundancy",
        Some("7") => "limits",
        _ => "other",
    }
}

/// A SARIF 2.1.0 log with one run: the tool's rules and one result per
/// finding.
pub fn sarif(report: &Report) -> Value {
    let mut results = Vec::new();
    for document in &report.documents {
        for f in &document.findings {
            let rule_index = RULES.iter().position(|r| r.meta.code == f.code);
            // For a document inside a Terraform plan, the region is where
            // the document sits in the plan file; the position inside the
            // document is in the message and the logical location.
            let span = document.file_span.unwrap_or(f.span);
            let mut message = f.message.clone();
            if let Some(address) = &f.resource {
                message = format!(
                    "{address}: {message} (policy document line {}, column {})",
                    f.span.start.line, f.span.start.column
                );
            }
            if let Some(help) = &f.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let fqn = match &f.resource {
                Some(address) => format!("{address}{}", f.path),
                None => f.path.clone(),
            };
            let mut logical = json!({"fullyQualifiedName": if fqn.is_empty() { "/".to_string() } else { fqn }, "kind": "member"});
            if let Some(address) = &f.resource {
                logical["name"] = json!(address);
            }
            let mut result = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.file)},
                        "region": {
                            "startLine": span.start.line,
                            "startColumn": span.start.column,
                            "endLine": span.end.line,
                            "endColumn": span.end.column.max(span.start.column),
                        },
                    },
                    "logicalLocations": [logical],
                }],
                "partialFingerprints": {
                    "ramcheck/v1": fnv(&format!(
                        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
                        f.code,
                        f.file,
                        f.resource.as_deref().unwrap_or(""),
                        f.path,
                        f.message
                    )),
                },
                "properties": {"ramcheck-severity": f.severity.as_str()},
            });
            if let Some(i) = rule_index {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    sarif_log(results, json!({"executionSuccessful": true}))
}

/// A SARIF log whose one run is `invocation` with `results`.
fn sarif_log(results: Vec<Value>, invocation: Value) -> Value {
    let rules: Vec<Value> = RULES.iter().map(|r| sarif_rule(r.meta)).collect();
    let mut driver = json!({
        "name": "ramcheck",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
    if !REPOSITORY.is_empty() {
        driver["informationUri"] = json!(REPOSITORY);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// The SARIF log of a run that failed before it could lint (exit status 2):
/// no results, and an invocation with `executionSuccessful: false` and the
/// error as a tool execution notification, so a code-scanning upload shows
/// the failure instead of a clean run.
pub fn sarif_failure(error: &ErrorReport) -> Value {
    let mut notification = json!({
        "level": "error",
        "message": {"text": error.message},
        "descriptor": {"id": error.code},
    });
    if let Some(file) = &error.file {
        let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri(file)}}});
        if let (Some(line), Some(column)) = (error.line, error.column) {
            location["physicalLocation"]["region"] =
                json!({"startLine": line, "startColumn": column});
        }
        notification["locations"] = json!([location]);
    }
    sarif_log(
        Vec::new(),
        json!({
            "executionSuccessful": false,
            "exitCode": i32::from(crate::errors::exit::ERROR),
            "toolExecutionNotifications": [notification],
        }),
    )
}

/// A GitHub Actions `::error` annotation for a run that failed before it
/// could lint.
pub fn github_failure(error: &ErrorReport) -> String {
    let mut properties = Vec::new();
    if let Some(file) = &error.file {
        properties.push(format!("file={}", escape_property(file)));
        if let (Some(line), Some(column)) = (error.line, error.column) {
            properties.push(format!("line={line},col={column}"));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("ramcheck {}", error.code))
    ));
    format!(
        "::error {}::{}\n",
        properties.join(","),
        escape_data(&error.message)
    )
}

/// Escapes workflow-command data (`%`, CR, LF), and what else a log
/// viewer would act on (see crate::terminal).
fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape(&s).into_owned()
}

/// Escapes a workflow-command property (data escapes plus `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, one `::error`/`::warning`/`::notice` line per
/// finding.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for document in &report.documents {
        for f in &document.findings {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::SecurityWarning | Severity::Warning => "warning",
                Severity::Suggestion | Severity::Info => "notice",
            };
            let span = document.file_span.unwrap_or(f.span);
            let mut message = match &f.resource {
                Some(address) => format!("{address}: {}", f.message),
                None => f.message.clone(),
            };
            if let Some(help) = &f.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            out.push_str(&format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                escape_property(&f.file),
                span.start.line,
                span.start.column,
                span.end.line,
                span.end.column.max(span.start.column),
                escape_property(&format!("{} {}", f.code, f.name)),
                escape_data(&message),
            ));
        }
    }
    out
}

/// `ramcheck rules`: one line per rule.
pub fn rules_list() -> String {
    rules_list_wrapped(None)
}

/// [`rules_list`] with each description wrapped to fit `width` columns
/// (continuation lines indented under it); `None` keeps one line per rule,
/// for scripts.
pub fn rules_list_wrapped(width: Option<usize>) -> String {
    const INDENT: usize = 6 + 1 + 30 + 1 + 17 + 1;
    // Below this, wrapping makes the list harder to read than long lines.
    const NARROWEST: usize = 24;
    let mut out = String::new();
    for r in RULES {
        let m = r.meta;
        let head = format!("{:<6} {:<30} {:<17} ", m.code, m.name, m.severity.as_str());
        let short = m.short();
        let lines = match width {
            Some(w) => wrap(&short, w.saturating_sub(INDENT).max(NARROWEST)),
            None => vec![short],
        };
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                out.push_str(&head);
            } else {
                out.push_str(&" ".repeat(INDENT));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Splits `text` into lines of at most `width` characters at spaces (a
/// word longer than `width` stands alone on its line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A rule for `ramcheck rules --format json`: code, name, default severity,
/// family, one-line and one-paragraph summaries, documentation (Markdown).
pub fn rule_json(meta: &RuleMeta) -> Value {
    json!({
        "code": meta.code,
        "name": meta.name,
        "severity": meta.severity.as_str(),
        "family": family(meta.code),
        "short": meta.short(),
        "summary": meta.summary(),
        "doc": meta.doc(),
    })
}

/// `ramcheck rules --format json`: `{"rules": [...]}`, see [`rule_json`].
pub fn rules_json() -> Value {
    json!({"rules": RULES.iter().map(|r| rule_json(r.meta)).collect::<Vec<_>>()})
}

/// `ramcheck rules <CODE>`: the rule's documentation.
pub fn rule_doc(meta: &RuleMeta) -> String {
    format!(
        "# {} {}\n\nDefault severity: {}.\n\n{}",
        meta.code,
        meta.name,
        meta.severity.as_str(),
        meta.doc()
    )
}

/// `docs/lint-rules.md`, generated from the rules' documentation (a test
/// checks the checked-in file is current).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# ramcheck lint rules\n\n\
         <!-- Generated from the rules' doc comments by `ramcheck rules --markdown`; \
         do not edit by hand. -->\n\n\
         Codes are stable and never reused. Families: `RC1xx` syntax and structure, \
         `RC2xx` actions, `RC3xx` resources, `RC4xx` conditions, `RC5xx` \
         over-permission, `RC6xx` redundancy, `RC7xx` limits.\n\n\
         | code | name | default severity | what it reports |\n|---|---|---|---|\n",
    );
    for r in RULES {
        let m = r.meta;
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            m.code,
            m.code.to_ascii_lowercase(),
            m.name,
            m.severity.as_str(),
            m.summary().replace('|', "\\|")
        ));
    }
    for r in RULES {
        let m = r.meta;
        // Demote the rule's own headings below the rule's heading.
        let doc = m.doc().replace("\n## ", "\n### ");
        let doc = doc
            .strip_prefix("## ")
            .map_or(doc.clone(), |d| format!("### {d}"));
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default severity: **{}**\n\n{}",
            m.code,
            m.name,
            m.severity.as_str(),
            doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_wrap_to_the_width() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("", 5), vec![""]);
        let list = rules_list_wrapped(Some(80));
        assert!(
            list.lines()
                .all(|l| l.chars().count() <= 80 || !l.trim().contains(' ')),
            "{list}"
        );
        assert!(list.lines().count() > RULES.len());
        assert_eq!(rules_list_wrapped(None).lines().count(), RULES.len());
    }

    #[test]
    fn a_failed_run_is_recorded() {
        let error = ErrorReport::new("invalid-config", "bad")
            .in_file("ramcheck.toml")
            .at(2, 3);
        let log = sarif_failure(&error);
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
            "invalid-config"
        );
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            github_failure(&error),
            "::error file=ramcheck.toml,line=2,col=3,title=ramcheck invalid-config::bad\n"
        );
    }
}
