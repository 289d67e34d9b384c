//! `ramcheck can-i --batch <FILE|->`: many questions in one process.
//!
//! Each line is one JSON query, each answer one JSON line on the output,
//! in the same order:
//!
//! ```text
//! {"action": "imm:AttachOSSBucket", "resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest", "principal": "user/alice"}
//! {"id": 7, "action": "imm:GetProject", "resource": "*", "context": {"acs:SourceIp": "192.0.2.10", "acs:MFAPresent": true}}
//! ```
//!
//! Fields: `action` and `resource` (strings, required); `principal`
//! (`user/<name>`, `role/<name>` or an ARN of the store; default the
//! command line's `--as`, else the ad-hoc principal of `--policy`);
//! `context` (an object of condition keys, each a string, number, boolean
//! or an array of them for a multi-valued key; added to `--context`); `id`
//! (a string or number, echoed in the answer). Any other field is an error.
//!
//! An answer is `--format json`'s object plus `line` (from 1) and `id` when
//! given. A line that is not a valid query (not JSON, a missing or unknown
//! field, an unknown principal, a bad context value, longer than
//! [`crate::input::MAX_BATCH_LINE_BYTES`]) is answered with
//! `{"line", "id"?, "allowed": false, "error": {"code", "message", "file",
//! "line", "column"}}` and the batch goes on: never an abort of the lines
//! after it, never an answer that could be read as "allowed". Blank lines
//! are skipped. Memory stays within one line's cap however long the input
//! is, and the store and policy files are loaded once.

use std::io::{BufRead, Write};

use serde_json::{Map, Value as JsonValue};

use super::{Asker, QueryError};
use crate::errors::{Coded, ErrorReport, exit};
use crate::input::{self, Line, MAX_BATCH_LINE_BYTES};
use crate::json::{self, Node, Value};
use crate::request::Context;

/// How many lines got which kind of answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Answered "allowed".
    pub allowed: u64,
    /// Answered "denied".
    pub denied: u64,
    /// Answered with an error.
    pub errors: u64,
}

impl Summary {
    /// The exit status: 2 when a line was an error, else 1 when a line was
    /// denied, else 0 (the worst answer, as `can-i` for one question).
    pub fn exit_code(&self) -> u8 {
        if self.errors > 0 {
            exit::ERROR
        } else if self.denied > 0 {
            exit::NEGATIVE
        } else {
            exit::OK
        }
    }
}

/// Why a batch stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The input cannot be opened or read.
    #[error(transparent)]
    Read(#[from] input::ReadError),
    /// The answers cannot be written (the reader went away, a full disk).
    #[error("cannot write an answer: {0}")]
    Write(#[source] std::io::Error),
    /// A `--context` entry of the command line is invalid: every line
    /// would fail, so the batch does not start.
    #[error(transparent)]
    Context(#[from] crate::request::RequestError),
}

impl Coded for BatchError {
    fn report(&self) -> ErrorReport {
        match self {
            BatchError::Read(e) => e.report(),
            BatchError::Write(_) => ErrorReport::new("output-failed", self.to_string()),
            BatchError::Context(e) => QueryError::from(e.clone()).report(),
        }
    }
}

/// What every line shares: the command line's principal and context.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// `--as`: the principal of lines that name none.
    pub principal: Option<String>,
    /// `--context KEY=VALUE` entries, added to every line's context.
    pub context: Vec<String>,
}

/// Answers every line of `reader` (named `source` in errors) on `writer`.
pub fn run(
    asker: &Asker,
    defaults: &Defaults,
    source: &str,
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
) -> Result<Summary, BatchError> {
    let mut context = Context::new();
    for entry in &defaults.context {
        context.insert_pair(entry)?;
    }
    let mut summary = Summary::default();
    let mut number: u32 = 0;
    loop {
        let read = input::read_line_capped(reader, MAX_BATCH_LINE_BYTES).map_err(|e| {
            input::ReadError::Io {
                path: source.to_string(),
                source: e,
            }
        })?;
        let Some(line) = read else { break };
        number = number.saturating_add(1);
        let (id, result) = match line {
            Line::TooLong => (
                None,
                Err(ErrorReport::new(
                    "invalid-batch-line",
                    format!(
                        "line longer than {MAX_BATCH_LINE_BYTES} bytes, ramcheck's limit for a batch query; skipped"
                    ),
                )),
            ),
            Line::Text(bytes) => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                answer_line(asker, defaults.principal.as_deref(), &context, &bytes)
            }
        };
        let mut out = Map::new();
        out.insert("line".into(), number.into());
        if let Some(id) = id {
            out.insert("id".into(), id);
        }
        match result {
            Ok(answer) => {
                if answer.allowed() {
                    summary.allowed += 1;
                } else {
                    summary.denied += 1;
                }
                if let JsonValue::Object(fields) = answer.to_json() {
                    out.extend(fields);
                }
            }
            Err(mut report) => {
                summary.errors += 1;
                if report.file.is_none() {
                    report.file = Some(source.to_string());
                    report.line = Some(number);
                }
                out.insert("allowed".into(), false.into());
                out.insert(
                    "error".into(),
                    serde_json::to_value(&report).unwrap_or_default(),
                );
            }
        }
        let mut text = JsonValue::Object(out).to_string();
        text.push('\n');
        writer
            .write_all(text.as_bytes())
            .and_then(|()| writer.flush())
            .map_err(BatchError::Write)?;
    }
    Ok(summary)
}

/// A line's error at `column` of the line (the file and line are filled
/// in by [`run`]).
fn invalid(message: impl Into<String>, column: Option<u32>) -> ErrorReport {
    let mut report = ErrorReport::new("invalid-batch-line", message);
    report.column = column;
    report
}

/// Reads and answers one line; the `id` is returned even when the rest of
/// the query is invalid, so that the error can be matched to it.
fn answer_line(
    asker: &Asker,
    principal: Option<&str>,
    context: &Context,
    bytes: &[u8],
) -> (Option<JsonValue>, Result<super::Answer, ErrorReport>) {
    let node = match json::parse_bytes(bytes) {
        Ok(node) => node,
        Err(e) => {
            return (
                None,
                Err(invalid(
                    format!("invalid JSON: {}", e.kind),
                    Some(e.position.column),
                )),
            );
        }
    };
    let Some(members) = node.as_object() else {
        return (
            None,
            Err(invalid(
                format!(
                    "a query must be a JSON object, found {}",
                    node.value.type_name()
                ),
                Some(node.span.start.column),
            )),
        );
    };
    let id = members
        .iter()
        .find(|m| m.key == "id")
        .and_then(|m| scalar_json(&m.value));
    let result = query(members).and_then(|q| {
        let mut context = context.clone();
        for (key, values) in &q.context {
            for value in values {
                context
                    .insert(key, value)
                    .map_err(|e| QueryError::from(e).report())?;
            }
        }
        let principal = q.principal.or(principal);
        asker
            .ask(q.action, q.resource, principal, context, None)
            .map_err(|e| e.report())
    });
    (id, result)
}

/// One line's fields.
struct Query<'a> {
    action: &'a str,
    resource: &'a str,
    principal: Option<&'a str>,
    context: Vec<(&'a str, Vec<String>)>,
}

fn query(members: &[json::Member]) -> Result<Query<'_>, ErrorReport> {
    let (mut action, mut resource, mut principal) = (None, None, None);
    let mut context = Vec::new();
    fn string(m: &json::Member) -> Result<&str, ErrorReport> {
        m.value.as_str().ok_or_else(|| {
            invalid(
                format!(
                    "{:?} must be a string, found {}",
                    m.key,
                    m.value.value.type_name()
                ),
                Some(m.value.span.start.column),
            )
        })
    }
    for m in members {
        match m.key.as_str() {
            "action" => action = Some(string(m)?),
            "resource" => resource = Some(string(m)?),
            "principal" => principal = Some(string(m)?),
            "id" => {
                if scalar_json(&m.value).is_none() {
                    return Err(invalid(
                        "\"id\" must be a string or a number",
                        Some(m.value.span.start.column),
                    ));
                }
            }
            "context" => {
                let Some(entries) = m.value.as_object() else {
                    return Err(invalid(
                        "\"context\" must be an object of condition keys",
                        Some(m.value.span.start.column),
                    ));
                };
                for e in entries {
                    let values = match &e.value.value {
                        Value::Array(items) => items.iter().map(scalar_text).collect(),
                        _ => vec![scalar_text(&e.value)],
                    };
                    let values: Option<Vec<String>> = values.into_iter().collect();
                    let Some(values) = values else {
                        return Err(invalid(
                            format!(
                                "context key {:?}: a value must be a string, number or boolean, or an array of them",
                                e.key
                            ),
                            Some(e.value.span.start.column),
                        ));
                    };
                    context.push((e.key.as_str(), values));
                }
            }
            other => {
                let suggestion = crate::suggest::did_you_mean(
                    other,
                    ["action", "resource", "principal", "context", "id"],
                );
                return Err(invalid(
                    format!(
                        "unknown field {other:?} (expected \"action\", \"resource\", \"principal\", \"context\", \"id\"){}",
                        crate::suggest::hint(suggestion)
                    ),
                    Some(m.key_span.start.column),
                ));
            }
        }
    }
    match (action, resource) {
        (Some(action), Some(resource)) => Ok(Query {
            action,
            resource,
            principal,
            context,
        }),
        _ => Err(invalid(
            "a query needs string fields \"action\" and \"resource\"",
            None,
        )),
    }
}

/// A context value as text: strings as they are, numbers as written,
/// booleans as `true`/`false`.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An `id` to echo: a string, or a number as written.
fn scalar_json(node: &Node) -> Option<JsonValue> {
    match &node.value {
        Value::String(s) => Some(JsonValue::String(s.clone())),
        Value::Number(n) => serde_json::from_str::<serde_json::Number>(n)
            .ok()
            .map(JsonValue::Number)
            .or_else(|| Some(JsonValue::String(n.clone()))),
        _ => None,
    }
}
