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
mod oss_error;
pub mod proof;
pub mod synth;
pub mod template;

mod reader;

pub use reader::FileError;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::json::Node;
use crate::policy::PolicyKind;
use crate::values::parse_date;

use actiontrail::{Filter, PrincipalFilter, Tally};
use conditions::{ConditionError, ConditionSet};
use intent::{Intent, IntentError};
use proof::{Document, Grant, ProofError};
use synth::{Collapse, Pair, Statement};

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
    /// Called now and then while a long input is read (the CLI shows it on
    /// a terminal's stderr); `None` for silence.
    pub progress: Option<fn(&Progress)>,
}

/// How far the reading of the inputs has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Records (events and intents) read so far.
    pub read: usize,
    /// Events mapped to an action and resources so far.
    pub mapped: usize,
    /// Distinct (action, resource, conditions) inputs so far.
    pub distinct: usize,
    /// Time since the first file was opened.
    pub elapsed: Duration,
}

/// Why nothing was generated. Every variant but [`GenerateError::Check`]
/// is bad input (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// Other bad input, said in words.
    #[error("{0}")]
    Input(String),
    /// `--name` that is not a RAM policy name.
    #[error(
        "invalid --name {0:?}: a RAM policy name is letters, digits and '-' \
         (at most 120 here, leaving room for a -N suffix)"
    )]
    InvalidName(String),
    /// `--since`/`--until` that is not an RFC 3339 time.
    #[error("invalid {flag} {value:?}: {reason}")]
    InvalidTime {
        /// The flag.
        flag: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// `--principal` that is not `user/<name>` or `role/<name>`.
    #[error("invalid --principal {0:?}: expected user/<name> or role/<name>")]
    InvalidPrincipal(String),
    /// `--require` or `--expires`.
    #[error(transparent)]
    Condition(#[from] ConditionError),
    /// An intent refused, with where it came from (`--request 1`,
    /// `file:line`).
    #[error("{origin}: {error}")]
    Intent {
        /// Where the intent came from.
        origin: String,
        /// Why it is refused.
        error: IntentError,
    },
    /// A `--from` file that cannot be read as records.
    #[error(transparent)]
    Read(#[from] FileError),
    /// Neither a request nor an event that maps; `report` is the
    /// ActionTrail summary when events were read.
    #[error("nothing to grant: {}", match .report {
        None => "give --request \"<ACTION> <RESOURCE>\" or --from FILE".to_string(),
        Some(report) => format!("no event was mapped to an action and resource\n{report}"),
    })]
    NothingToGrant {
        /// The ActionTrail summary, when events were read.
        report: Option<String>,
    },
    /// One action on one resource does not fit in a policy.
    #[error(transparent)]
    TooLarge(#[from] synth::TooLarge),
    /// A `--service`/`--access` template that cannot be written.
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    /// An output file that cannot be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// The operating system's error.
        reason: String,
    },
    /// The generated policy failed its own check: exit status 3.
    #[error(
        "internal error: the generated policy failed its check and was not printed: {0} \
         (this is a bug in ramcheck; please report it with the input)"
    )]
    Check(#[from] ProofError),
}

impl GenerateError {
    /// The CLI's exit status: 2 for bad input, 3 for a failed proof.
    pub fn exit_code(&self) -> u8 {
        match self {
            GenerateError::Check(_) => 3,
            _ => 2,
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
            std::fs::write(path, &doc.text).map_err(|e| GenerateError::Write {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        Ok(paths)
    }
}

/// RAM policy names: 1–128 characters of letters, digits and `-`.
pub(crate) fn check_name(name: &str) -> Result<(), GenerateError> {
    if name.is_empty()
        || name.chars().count() > 120
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(GenerateError::InvalidName(name.to_string()));
    }
    Ok(())
}

/// An intent's error, with where the intent came from.
fn at(origin: &str) -> impl Fn(IntentError) -> GenerateError + '_ {
    move |error| GenerateError::Intent {
        origin: origin.to_string(),
        error,
    }
}

/// The distinct inputs, in the order first seen: memory grows with the
/// distinct (action, resource, conditions) tuples, not with the records
/// (docs/generate.md, "Scale").
#[derive(Debug, Default)]
struct Inputs {
    list: Vec<(Intent, usize)>,
    /// action → resource → (conditions, index into `list`): looked up by
    /// `&str`, so a repeated record allocates nothing.
    index: HashMap<String, HashMap<String, Vec<(ConditionSet, usize)>>>,
}

impl Inputs {
    /// Adds one record's tuple: a new one is kept with its origin, a repeat
    /// only counted.
    fn add(&mut self, action: &str, resource: &str, conditions: ConditionSet, origin: &str) {
        let found = self
            .index
            .get(action)
            .and_then(|by_resource| by_resource.get(resource))
            .and_then(|sets| sets.iter().find(|(c, _)| *c == conditions))
            .map(|&(_, i)| i);
        if let Some(i) = found {
            self.list[i].1 += 1;
            return;
        }
        let i = self.list.len();
        self.index
            .entry(action.to_string())
            .or_default()
            .entry(resource.to_string())
            .or_default()
            .push((conditions.clone(), i));
        self.list.push((
            Intent {
                action: action.to_string(),
                resource: resource.to_string(),
                conditions,
                origin: origin.to_string(),
            },
            1,
        ));
    }

    fn len(&self) -> usize {
        self.list.len()
    }
}

/// The `--since`/`--until`/`--principal`/`--include-failed` filter.
fn event_filter(options: &Options) -> Result<Filter, GenerateError> {
    let time =
        |flag: &'static str, t: &Option<String>| -> Result<Option<OffsetDateTime>, GenerateError> {
            t.as_deref()
                .map(|t| {
                    parse_date(t.trim()).map_err(|e| GenerateError::InvalidTime {
                        flag,
                        value: t.to_string(),
                        reason: e.to_string(),
                    })
                })
                .transpose()
        };
    Ok(Filter {
        principal: options
            .principal
            .as_deref()
            .map(|p| {
                PrincipalFilter::parse(p).map_err(|_| GenerateError::InvalidPrincipal(p.into()))
            })
            .transpose()?,
        since: time("--since", &options.since)?,
        until: time("--until", &options.until)?,
        include_failed: options.include_failed,
    })
}

/// `--require` and `--expires`: the conditions of every statement.
fn global_conditions(options: &Options) -> Result<ConditionSet, GenerateError> {
    let mut global = conditions::parse_require(&options.require)?;
    if let Some(t) = &options.expires {
        let (key, clause) = conditions::expires_clause(t, OffsetDateTime::now_utc())?;
        global.insert(key, clause);
    }
    Ok(global)
}

/// Runs `ramcheck generate`: reads the inputs, synthesizes, proves, and
/// returns the documents with the notes for stderr.
pub fn generate(options: &Options) -> Result<Generated, GenerateError> {
    let name = options.name.as_deref().unwrap_or(DEFAULT_NAME);
    check_name(name)?;
    let global = global_conditions(options)?;
    let filter = event_filter(options)?;

    let mut inputs = Inputs::default();
    for (i, r) in options.requests.iter().enumerate() {
        let origin = format!("--request {}", i + 1);
        let intent = intent::parse_request_flag(r, origin.clone()).map_err(at(&origin))?;
        inputs.add(
            &intent.action,
            &intent.resource,
            intent.conditions,
            &intent.origin,
        );
    }
    let mut template_notes = Vec::new();
    match &options.template {
        Some(t) => {
            let (more, notes) = template::intents(t, &options.resources)?;
            for i in more {
                inputs.add(&i.action, &i.resource, i.conditions, &i.origin);
            }
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
    let mut progress = reader::Ticker::new(options.progress);
    let mut mapper = actiontrail::Mapper::default();
    for path in &options.from {
        reader::read_file(path, &mut |r, origin| {
            match r {
                reader::Record::Node(node) => {
                    record(node, origin, &filter, &mut tally, &mut mapper, &mut inputs)?;
                }
                reader::Record::Event(event) => {
                    let mapped = actiontrail::read_fast_event(
                        event,
                        origin,
                        &filter,
                        &mut tally,
                        &mut mapper,
                    );
                    add_mapped(mapped, &mut inputs);
                }
            }
            progress.tick(tally.read.max(1), tally.mapped, inputs.len());
            Ok(())
        })?;
    }
    let mut notes = template_notes;
    if !tally.is_empty() {
        notes.push(tally.report().trim_end().to_string());
    }
    if inputs.list.is_empty() {
        return Err(GenerateError::NothingToGrant {
            report: (!tally.is_empty()).then(|| tally.report().trim_end().to_string()),
        });
    }
    let mut pairs: Vec<(Pair, String)> = Vec::with_capacity(inputs.len());
    for (i, count) in inputs.list {
        let conditions = conditions::merge(&global, &i.conditions)
            .map_err(|e| at(&i.origin)(IntentError::Condition(e)))?;
        let origin = match count {
            1 => i.origin,
            n => format!(
                "{} and {} more record{}",
                i.origin,
                n - 1,
                if n == 2 { "" } else { "s" }
            ),
        };
        pairs.push((
            Pair {
                action: i.action,
                resource: i.resource,
                conditions,
            },
            origin,
        ));
    }
    synthesize_with_budget(&pairs, options.collapse, options.max_policies, name, notes)
}

/// One record of a `--from` file: an intent, an ActionTrail event (or an
/// SLS row holding one), or neither (listed, never dropped).
fn record(
    node: &Node,
    origin: &str,
    filter: &Filter,
    tally: &mut Tally,
    mapper: &mut actiontrail::Mapper,
    inputs: &mut Inputs,
) -> Result<(), GenerateError> {
    if node.get("action").is_some() {
        let intent = intent::intent_from_node(node, origin.to_string()).map_err(at(origin))?;
        inputs.add(
            &intent.action,
            &intent.resource,
            intent.conditions,
            &intent.origin,
        );
        return Ok(());
    }
    if !actiontrail::is_event_record(node) {
        tally.read += 1;
        tally.unmappable(
            origin,
            "neither an intent ({\"action\", \"resource\"}) nor an ActionTrail event".into(),
        );
        return Ok(());
    }
    add_mapped(
        actiontrail::read_event_with(node, origin, filter, tally, mapper),
        inputs,
    );
    Ok(())
}

fn add_mapped(mapped: Option<actiontrail::MappedEvent>, inputs: &mut Inputs) {
    if let Some(m) = mapped {
        for resource in &m.resources {
            inputs.add(&m.action, resource, ConditionSet::new(), &m.origin);
        }
    }
}

/// The note for a collapse that found nothing to widen.
fn nothing_to_collapse(mode: Collapse) -> String {
    let what = match mode {
        Collapse::Actions => "actions",
        Collapse::Resources => "resources",
    };
    format!("--collapse {what}: nothing to collapse (no statement has two {what} of one kind)")
}

/// The packed statements as named documents: `name` alone, or `name-1`,
/// `name-2`, … when they are several.
fn name_documents(packed: &[Vec<Statement>], name: &str) -> Vec<Document> {
    packed
        .iter()
        .enumerate()
        .map(|(i, s)| Document {
            name: if packed.len() == 1 {
                name.to_string()
            } else {
                format!("{name}-{}", i + 1)
            },
            text: synth::render(s),
        })
        .collect()
}

/// The note that says the statements were split into several documents.
fn split_note(documents: &[Document], packed: &[Vec<Statement>], limit: usize) -> String {
    let sizes: Vec<String> = documents
        .iter()
        .zip(packed)
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
    format!(
        "split: the statements do not fit in one policy of {limit} characters (RAM counts \
         the characters of the document), so they are split into {} policies of about \
         the same size: {}; attach them all",
        documents.len(),
        sizes.join(", ")
    )
}

/// `--explain`: per statement, the inputs it was proven to allow.
fn explanation(
    documents: &[Document],
    packed: &[Vec<Statement>],
    coverage: &proof::Coverage,
    inputs: &[(Pair, String)],
) -> String {
    let mut out = String::new();
    for (d, (doc, statements)) in documents.iter().zip(packed).enumerate() {
        for (i, s) in statements.iter().enumerate() {
            let _ = write!(
                out,
                "{} statement {} ({}): {} on {}",
                doc.name,
                i + 1,
                s.sid,
                s.actions.join(", "),
                s.resources.join(", "),
            );
            if !s.conditions.is_empty() {
                let when: Vec<String> = s
                    .conditions
                    .iter()
                    .map(|(k, c)| format!("{} {k} {}", c.operator.name(), c.values.join("|")))
                    .collect();
                let _ = write!(out, " when {}", when.join(" and "));
            }
            out.push('\n');
            match coverage.get(&(d, i)) {
                None => out.push_str("  covers no input on its own\n"),
                Some(list) => {
                    for &k in list {
                        let (p, origin) = &inputs[k];
                        let _ = writeln!(out, "  covers {} {}  <- {origin}", p.action, p.resource);
                    }
                }
            }
        }
    }
    out
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
            notes.push(nothing_to_collapse(mode));
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
    let packed = synth::pack(statements, limit)?;
    let documents = name_documents(&packed, name);
    if documents.len() > 1 {
        notes.push(split_note(&documents, &packed, limit));
    }
    let pairs: Vec<Pair> = inputs.iter().map(|(p, _)| p.clone()).collect();
    let coverage = proof::prove(&documents, &pairs, grants, limit)?;
    let explanation = explanation(&documents, &packed, &coverage, inputs);
    Ok(Generated {
        documents,
        notes,
        explanation,
    })
}
