//! `ramcheck generate`: least-privilege policies from intents and from
//! ActionTrail events, proven exact before they are printed.
//!
//! The pipeline: [`intent`] and [`actiontrail`] turn the inputs into exact
//! (action, resource, conditions) pairs checked against the catalogue;
//! [`conditions`] types `--require`/`--expires`; [`synth`] groups the pairs
//! into statements without a cross product, widens them only when
//! `--collapse` asks, names them and packs them under RAM's size limit;
//! [`proof`] parses, lints and evaluates the result with the crate's own
//! parser, linter and evaluator. A document that fails the proof is never
//! printed: that is an internal error (exit status 3).

pub mod actiontrail;
pub mod budget;
pub mod conditions;
pub mod from_error;
pub mod intent;
pub mod proof;
pub mod synth;
pub mod template;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::json::{self, Node, Value};
use crate::policy::PolicyKind;
use crate::values::parse_date;

use actiontrail::{Filter, PrincipalFilter, Tally};
use conditions::ConditionSet;
use intent::Intent;
use proof::{Document, Grant};
use synth::{Collapse, Pair};

/// A `generate` run as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--request "<ACTION> <RESOURCE>"` entries.
    pub requests: Vec<String>,
    /// `--from FILE`: intents and/or ActionTrail events.
    pub from: Vec<PathBuf>,
    /// `--principal user/<name>|role/<name>` (ActionTrail events only).
    pub principal: Option<String>,
    /// `--since T` (inclusive), RFC 3339.
    pub since: Option<String>,
    /// `--until T` (exclusive), RFC 3339.
    pub until: Option<String>,
    /// `--include-failed`: also what failed calls tried.
    pub include_failed: bool,
    /// `--collapse`: widen actions or resources to wildcards.
    pub collapse: Option<Collapse>,
    /// `--require KEY=VALUE` entries.
    pub require: Vec<String>,
    /// `--expires T`, RFC 3339.
    pub expires: Option<String>,
    /// `--name NAME`: the policy name (split policies get `-1`, `-2`, …).
    pub name: Option<String>,
    /// `--resource ARN` entries: the resources of `--service`/`--access`
    /// templates and of `--from-error` denials.
    pub resources: Vec<String>,
    /// `--service CODE --access LEVEL`: a template (template.rs).
    pub template: Option<template::Template>,
    /// `--max-policies N`: at most N documents, broadening as little as
    /// possible to fit (budget.rs); `None`: RAM's limit.
    pub max_policies: Option<usize>,
}

/// Why nothing was generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// Bad input: exit status 2.
    #[error("{0}")]
    Input(String),
    /// The generated policy failed its own check: exit status 3.
    #[error(
        "internal error: the generated policy failed its check and was not printed: {0} \
         (this is a bug in ramcheck; please report it with the input)"
    )]
    Check(String),
}

impl GenerateError {
    /// The CLI's exit status: 2 for bad input, 3 for a failed proof.
    pub fn exit_code(&self) -> u8 {
        match self {
            GenerateError::Input(_) => 2,
            GenerateError::Check(_) => 3,
        }
    }
}

/// The default policy name.
pub const DEFAULT_NAME: &str = "ramcheck-generated";

/// A proven result.
#[derive(Debug, Clone)]
pub struct Generated {
    /// One document, or several numbered ones when the statements do not
    /// fit RAM's limit in one.
    pub documents: Vec<Document>,
    /// Notes for stderr: ActionTrail counts, what each collapse adds, the split.
    pub notes: Vec<String>,
    /// Per statement, the inputs it covers (`--explain`, stderr).
    pub explanation: String,
}

impl Generated {
    /// What goes to stdout without `--output`: the document, or the
    /// documents one after another (a stream of JSON values).
    pub fn stdout_text(&self) -> String {
        self.documents
            .iter()
            .map(|d| d.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The files `--output FILE` writes: `FILE` for one document;
    /// `<stem>-1.<ext>`, `<stem>-2.<ext>`, … for several.
    pub fn output_paths(&self, output: &Path) -> Vec<PathBuf> {
        if self.documents.len() == 1 {
            return vec![output.to_path_buf()];
        }
        let stem = output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "policy".into());
        let ext = output
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        (1..=self.documents.len())
            .map(|i| output.with_file_name(format!("{stem}-{i}{ext}")))
            .collect()
    }

    /// Writes the documents for `--output FILE`.
    pub fn write(&self, output: &Path) -> Result<Vec<PathBuf>, GenerateError> {
        let paths = self.output_paths(output);
        for (path, doc) in paths.iter().zip(&self.documents) {
            std::fs::write(path, &doc.text).map_err(|e| {
                GenerateError::Input(format!("cannot write {}: {e}", path.display()))
            })?;
        }
        Ok(paths)
    }
}

fn input<T>(r: Result<T, String>) -> Result<T, GenerateError> {
    r.map_err(GenerateError::Input)
}

/// RAM policy names: 1–128 characters of letters, digits and `-`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.chars().count() > 120
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "invalid --name {name:?}: a RAM policy name is letters, digits and '-' \
             (at most 120 here, leaving room for a -N suffix)"
        ));
    }
    Ok(())
}

/// Runs `ramcheck generate`: reads the inputs, synthesizes, proves, and
/// returns the documents with the notes for stderr.
pub fn generate(options: &Options) -> Result<Generated, GenerateError> {
    let name = options.name.as_deref().unwrap_or(DEFAULT_NAME);
    input(check_name(name))?;
    let now = OffsetDateTime::now_utc();
    let mut global = input(conditions::parse_require(&options.require))?;
    if let Some(t) = &options.expires {
        let (key, clause) = input(conditions::expires_clause(t, now))?;
        global.insert(key, clause);
    }
    let time = |flag: &str, t: &Option<String>| -> Result<Option<OffsetDateTime>, GenerateError> {
        t.as_deref()
            .map(|t| {
                parse_date(t.trim())
                    .map_err(|e| GenerateError::Input(format!("invalid {flag} {t:?}: {e}")))
            })
            .transpose()
    };
    let filter = Filter {
        principal: options
            .principal
            .as_deref()
            .map(PrincipalFilter::parse)
            .transpose()
            .map_err(GenerateError::Input)?,
        since: time("--since", &options.since)?,
        until: time("--until", &options.until)?,
        include_failed: options.include_failed,
    };

    let mut intents: Vec<Intent> = Vec::new();
    for (i, r) in options.requests.iter().enumerate() {
        intents.push(input(intent::parse_request_flag(
            r,
            format!("--request {}", i + 1),
        ))?);
    }
    let mut template_notes = Vec::new();
    match &options.template {
        Some(t) => {
            let (more, notes) = input(template::intents(t, &options.resources))?;
            intents.extend(more);
            template_notes = notes;
        }
        None if !options.resources.is_empty() => {
            return Err(GenerateError::Input(
                "--resource needs --service and --access (a template) or --from-error".into(),
            ));
        }
        None => {}
    }
    let mut tally = Tally::default();
    for path in &options.from {
        read_file(path, &filter, &mut tally, &mut intents)?;
    }
    let mut notes = template_notes;
    if !tally.is_empty() {
        notes.push(tally.report().trim_end().to_string());
    }
    if intents.is_empty() {
        return Err(GenerateError::Input(if tally.is_empty() {
            "nothing to grant: give --request \"<ACTION> <RESOURCE>\" or --from FILE".into()
        } else {
            format!(
                "nothing to grant: no event was mapped to an action and resource\n{}",
                tally.report().trim_end()
            )
        }));
    }
    let mut inputs: Vec<(Pair, String)> = Vec::with_capacity(intents.len());
    for i in intents {
        let conditions = input(
            conditions::merge(&global, &i.conditions).map_err(|e| format!("{}: {e}", i.origin)),
        )?;
        inputs.push((
            Pair {
                action: i.action,
                resource: i.resource,
                conditions,
            },
            i.origin,
        ));
    }
    synthesize_with_budget(&inputs, options.collapse, options.max_policies, name, notes)
}

/// Synthesis and proof for pairs already checked against the catalogue
/// (each with where it came from, for `--explain`).
pub fn synthesize(
    inputs: &[(Pair, String)],
    collapse: Option<Collapse>,
    name: &str,
    notes: Vec<String>,
) -> Result<Generated, GenerateError> {
    synthesize_with_budget(inputs, collapse, None, name, notes)
}

/// [`synthesize`] within `--max-policies` documents (`None`: RAM's limit,
/// [`budget::RAM_MAX_POLICIES`]), broadening as little as possible when the
/// exact statements need more (budget.rs).
pub fn synthesize_with_budget(
    inputs: &[(Pair, String)],
    collapse: Option<Collapse>,
    max_policies: Option<usize>,
    name: &str,
    mut notes: Vec<String>,
) -> Result<Generated, GenerateError> {
    let exact = synth::minimal_pairs(inputs.iter().map(|(p, _)| p.clone()));
    let mut statements = synth::group(&exact);
    let mut grants: Vec<Grant> = exact.iter().map(Grant::from_pair).collect();
    if let Some(mode) = collapse {
        let (widened, declared, collapse_notes) = synth::collapse(statements, mode);
        if collapse_notes.is_empty() {
            notes.push(format!(
                "--collapse {}: nothing to collapse (no statement has two {} of one kind)",
                match mode {
                    Collapse::Actions => "actions",
                    Collapse::Resources => "resources",
                },
                match mode {
                    Collapse::Actions => "actions",
                    Collapse::Resources => "resources",
                },
            ));
        }
        notes.extend(collapse_notes);
        grants.extend(declared.iter().map(Grant::from_statement));
        statements = synth::tidy(widened);
    }
    if collapse == Some(Collapse::Resources) {
        statements = budget::collapse_resources(statements, &mut grants, &mut notes)?;
    }
    let statements = budget::fit(statements, max_policies, &mut grants, &mut notes)?;
    finish(inputs, statements, &grants, name, notes)
}

/// Packs, renders, proves and explains statements that allow `inputs`
/// (exactly, or as `grants` declare): the end of every synthesis.
pub(crate) fn finish(
    inputs: &[(Pair, String)],
    statements: Vec<synth::Statement>,
    grants: &[Grant],
    name: &str,
    mut notes: Vec<String>,
) -> Result<Generated, GenerateError> {
    let limit = PolicyKind::Identity.size_limit();
    let packed = synth::pack(statements, limit).map_err(GenerateError::Input)?;
    let documents: Vec<Document> = if packed.len() == 1 {
        vec![Document {
            name: name.to_string(),
            text: synth::render(&packed[0]),
        }]
    } else {
        packed
            .iter()
            .enumerate()
            .map(|(i, s)| Document {
                name: format!("{name}-{}", i + 1),
                text: synth::render(s),
            })
            .collect()
    };
    if documents.len() > 1 {
        let sizes: Vec<String> = documents
            .iter()
            .zip(&packed)
            .map(|(d, s)| {
                format!(
                    "{} ({} statement{}, {} characters)",
                    d.name,
                    s.len(),
                    if s.len() == 1 { "" } else { "s" },
                    synth::size(&d.text)
                )
            })
            .collect();
        notes.push(format!(
            "split: the statements do not fit in one policy of {limit} characters (RAM counts \
             the characters of the document), so they are split into {} policies: {}; attach \
             them all",
            documents.len(),
            sizes.join(", ")
        ));
    }
    let pairs: Vec<Pair> = inputs.iter().map(|(p, _)| p.clone()).collect();
    let coverage = proof::prove(&documents, &pairs, grants, limit).map_err(GenerateError::Check)?;

    let mut explanation = String::new();
    for (d, (doc, statements)) in documents.iter().zip(&packed).enumerate() {
        for (i, s) in statements.iter().enumerate() {
            let _ = writeln!(
                explanation,
                "{} statement {} ({}): {} on {}{}",
                doc.name,
                i + 1,
                s.sid,
                s.actions.join(", "),
                s.resources.join(", "),
                if s.conditions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " when {}",
                        s.conditions
                            .iter()
                            .map(|(k, c)| format!("{} {k} {}", c.operator, c.values.join("|")))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )
                }
            );
            match coverage.get(&(d, i)) {
                None => {
                    let _ = writeln!(explanation, "  covers no input on its own");
                }
                Some(list) => {
                    for &k in list {
                        let (p, origin) = &inputs[k];
                        let _ = writeln!(
                            explanation,
                            "  covers {} {}  <- {origin}",
                            p.action, p.resource
                        );
                    }
                }
            }
        }
    }
    Ok(Generated {
        documents,
        notes,
        explanation,
    })
}

/// Reads one `--from` file: a JSON array (ActionTrail's OSS delivery), a
/// single JSON value, or JSON lines; each record an intent, an event or an
/// SLS row.
fn read_file(
    path: &Path,
    filter: &Filter,
    tally: &mut Tally,
    intents: &mut Vec<Intent>,
) -> Result<(), GenerateError> {
    let bytes = crate::input::read_limited(path, crate::input::MAX_EVENTS_BYTES, "an input file")
        .map_err(|e| GenerateError::Input(e.to_string()))?;
    let shown = crate::input::display_name(path);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(GenerateError::Input(format!(
            "{shown} is gzip-compressed (as ActionTrail delivers to OSS): gunzip it first"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| GenerateError::Input(format!("{shown} is not UTF-8 text")))?;
    let mut record = |node: &Node, source: &str, line: u32| -> Result<(), GenerateError> {
        let origin = format!("{shown}:{line}");
        if node.get("action").is_some() {
            intents.push(input(intent::intent_from_node(node, origin))?);
            return Ok(());
        }
        if !actiontrail::is_event_record(node) {
            // Neither an intent nor an event: listed, never dropped.
            tally.read += 1;
            tally.unmappable.push(format!(
                "{origin}: neither an intent ({{\"action\", \"resource\"}}) nor an ActionTrail event"
            ));
            return Ok(());
        }
        if let Some(m) = actiontrail::read_event(node, source, &origin, filter, tally) {
            for resource in m.resources {
                intents.push(Intent {
                    action: m.action.clone(),
                    resource,
                    conditions: ConditionSet::new(),
                    origin: m.origin.clone(),
                });
            }
        }
        Ok(())
    };
    match json::parse(&text) {
        Ok(root) => match &root.value {
            Value::Array(items) => {
                for item in items {
                    record(item, &text, item.span.start.line)?;
                }
            }
            _ => record(&root, &text, 1)?,
        },
        Err(whole) => {
            let mut any = false;
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                any = true;
                let node = json::parse(line).map_err(|e| {
                    GenerateError::Input(format!(
                        "{shown}:{}: not JSON (expected a JSON array, or one JSON object per \
                         line): {}",
                        i + 1,
                        e.kind
                    ))
                })?;
                record(&node, line, (i + 1) as u32)?;
            }
            if !any {
                return Err(GenerateError::Input(format!(
                    "{shown}: empty or not JSON: {}",
                    whole.kind
                )));
            }
        }
    }
    Ok(())
}
