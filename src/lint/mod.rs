//! `ramcheck lint`: pre-deploy checks of RAM policy documents, each finding
//! with a stable code, a severity and the exact place it refers to.
//!
//! Lint sits beside the evaluator and reuses its model: the document is read
//! once by [`crate::json::parse`] (the spanned tree, for checks on the text as
//! written) and once into the [`crate::policy::Policy`] model by
//! [`Policy::parse_lenient`] (for checks on meaning). Every error the parser
//! reports becomes a finding with its own code; the checks on meaning run on
//! the statements that parsed. Pattern comparisons ("does `imm:Get*` cover
//! `imm:GetProject`?") use `crate::patterns`, which compares patterns and
//! never matches strings: matching stays with [`crate::wildcard`].
//!
//! The rules live one per file under [`rules`], each with its documentation
//! (`ramcheck rules <CODE>`). [`config`] reads `ramcheck.toml`, [`render`]
//! prints findings as text, JSON, SARIF or GitHub annotations, [`terraform`]
//! pulls policy documents out of a `terraform show -json` plan.

pub(crate) mod compare;
pub mod config;
pub mod render;
pub mod rules;
pub mod terraform;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::json::{self, Span};
use crate::patterns::{self, Budget};
use crate::policy::{Policy, PolicyKind};

pub use config::{Config, ConfigError};
pub use rules::{RULES, RuleMeta, rule};

/// How much a finding matters, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing to fix (RAM accepts it as written).
    Info,
    /// Style; no effect on access.
    Suggestion,
    /// Works, but is probably a mistake.
    Warning,
    /// Grants more than is likely intended.
    SecurityWarning,
    /// Part of the policy cannot work, or RAM would reject it.
    Error,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Error,
        Severity::SecurityWarning,
        Severity::Warning,
        Severity::Suggestion,
        Severity::Info,
    ];

    /// The name used in configuration, on the command line and in output, e.g.
    /// `security-warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security-warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
            Severity::Info => "info",
        }
    }

    /// The severity a name from [`Severity::as_str`] spells; `None` for any
    /// other text.
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem found in one document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The rule's stable code, e.g. `RC203`.
    pub code: &'static str,
    /// The rule's name, e.g. `unknown-action`.
    #[serde(skip)]
    pub name: &'static str,
    /// The severity after the configuration's overrides, e.g. `warning`.
    pub severity: Severity,
    /// What is wrong, for a person to read.
    pub message: String,
    /// How to fix it; `null` when there is nothing to add to the message.
    pub help: Option<String>,
    /// The file as named on the command line (or found walking a directory).
    pub file: String,
    /// JSON pointer of the offending node, e.g. `/Statement/0/Effect`; empty
    /// for the whole document.
    pub path: String,
    /// Where in the document (for a Terraform plan: in the policy document
    /// held by the resource, not in the plan file).
    pub span: Span,
    /// For documents taken from a Terraform plan: the resource address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A finding as a rule reports it, before the file and configured severity
/// are known.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The rule that reports it.
    pub rule: &'static RuleMeta,
    /// What is wrong, for a person to read.
    pub message: String,
    /// How to fix it; `None` when there is nothing to add to the message.
    pub help: Option<String>,
    /// JSON pointer of the offending node, e.g. `/Statement/0/Effect`; empty for
    /// the whole document.
    pub path: String,
    /// Where in the document.
    pub span: Span,
}

impl Diagnostic {
    /// A diagnostic of `rule` at `span` and JSON pointer `path`, without help.
    pub fn new(
        rule: &'static RuleMeta,
        span: Span,
        path: &str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            rule,
            message: message.into(),
            help: None,
            path: path.to_string(),
            span,
        }
    }

    /// Adds how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// One linted document and what was found in it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file as named to the user.
    pub file: String,
    /// For a document taken from a Terraform plan: the resource address.
    pub resource: Option<String>,
    /// For a document taken from a Terraform plan: where its string sits in
    /// the plan file, for annotations that must point into the file itself.
    pub file_span: Option<Span>,
    /// The kind the document was read as.
    pub kind: PolicyKind,
    /// The document's text (for code frames).
    pub text: String,
    /// What was found, after ignores and severity overrides, in document order.
    pub findings: Vec<Finding>,
}

/// Everything one `ramcheck lint` run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The linted documents: files in path order, then those of the Terraform
    /// plan.
    pub documents: Vec<Document>,
}

impl Report {
    /// Every finding of every document, document by document.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.documents.iter().flat_map(|d| d.findings.iter())
    }

    /// Number of findings per severity, most severe first.
    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut counts = BTreeMap::new();
        for f in self.findings() {
            *counts.entry(f.severity).or_insert(0) += 1;
        }
        counts
    }

    /// The warning for a run that found no document to lint (a directory
    /// without `*.json`, every file excluded, a plan without RAM
    /// policies); `None` when there was something to lint.
    pub fn nothing_found(&self, invocation: &Invocation) -> Option<String> {
        if !self.documents.is_empty() {
            return None;
        }
        let mut inputs: Vec<String> = invocation.paths.clone();
        if let Some(plan) = &invocation.terraform_plan {
            inputs.push(format!(
                "{} (Terraform plan)",
                crate::input::display_name(plan)
            ));
        }
        Some(format!(
            "warning: no policy documents found in {} (directories are walked for *.json; \
             excluded files are skipped)",
            inputs.join(", ")
        ))
    }

    /// True when some finding is at or above `threshold` (`None`: never).
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.findings().any(|f| f.severity >= t))
    }
}

/// What a lint run may not get past: these are exit status 2, not findings.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// A file or directory that cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory, as named.
        path: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// A policy file or Terraform plan that cannot be read or is over its size
    /// limit.
    #[error(transparent)]
    Input(#[from] crate::input::ReadError),
    /// A path on the command line that names nothing and is not a glob.
    #[error("no such file or directory: {0}")]
    NotFound(String),
    /// A glob on the command line that is not a valid pattern.
    #[error("invalid glob {pattern:?}: {message}")]
    Glob {
        /// The glob as given.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
    /// A glob that matches no file.
    #[error("no file matches {0:?}")]
    NoMatch(String),
    /// A rule code or name, on the command line or in the configuration,
    /// that no rule has.
    #[error(transparent)]
    UnknownCode(#[from] rules::UnknownRule),
    /// The configuration cannot be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file given as a Terraform plan that is not JSON or has no
    /// `planned_values`.
    #[error("{path} is not a Terraform plan: {message}")]
    Plan {
        /// The plan file, as named.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Options of one run: the command line merged with the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--kind`: when set, every file is read as this kind, whatever the
    /// configuration says.
    pub kind: Option<PolicyKind>,
    /// `--ignore`: codes never reported.
    pub ignore: Vec<String>,
    /// The configuration (`ramcheck.toml`), or the default when there is none.
    pub config: Config,
    /// `--force-exclude`: the configuration's `exclude` applies to files named
    /// on the command line too.
    pub force_exclude: bool,
    /// `--stdin-filename`: the file standard input (`-`) stands for, which
    /// names it in findings and is matched against the configuration.
    pub stdin_filename: Option<PathBuf>,
}

impl Options {
    /// Checks that every code named on the command line or in the
    /// configuration exists, so that a typo does not silently ignore nothing.
    pub fn validate(&self) -> Result<(), LintError> {
        for code in self.ignore.iter().chain(self.config.codes()) {
            rules::code_of(code)?;
        }
        Ok(())
    }

    /// The kind a file is read as: `--kind`, else the configuration's
    /// per-path or default kind; `None` leaves it to the document.
    pub fn kind_for(&self, file: &Path) -> Option<PolicyKind> {
        self.kind.or_else(|| self.config.kind_for(file))
    }

    fn apply(&self, file: &Path, diagnostics: Vec<Diagnostic>, name: &str) -> Vec<Finding> {
        let mut findings: Vec<Finding> = diagnostics
            .into_iter()
            .filter(|d| !self.ignore.iter().any(|c| c == d.rule.code))
            .filter(|d| !self.config.ignores(file, d.rule.code))
            .map(|d| Finding {
                code: d.rule.code,
                name: d.rule.name,
                severity: self
                    .config
                    .severity_for(file, d.rule.code)
                    .unwrap_or(d.rule.severity),
                message: d.message,
                help: d.help,
                file: name.to_string(),
                path: d.path,
                span: d.span,
                resource: None,
            })
            .collect();
        findings.sort_by(|a, b| {
            (a.span.start.offset, a.code, &a.message).cmp(&(
                b.span.start.offset,
                b.code,
                &b.message,
            ))
        });
        findings.dedup();
        findings
    }
}

/// Lints one document's text as a policy of `kind`, with every rule and no
/// configuration. The building block of [`lint_paths`]; handy in tests.
pub fn lint_text(text: &str, kind: PolicyKind) -> Vec<Diagnostic> {
    lint_text_as(text, Some(kind)).1
}

/// Lints one document's text as `kind`, or, without one, as the kind the
/// document shows (docs/semantics.md, "Document grammar": a `Principal`
/// makes a trust or resource-based policy). Returns the kind used.
pub fn lint_text_as(text: &str, kind: Option<PolicyKind>) -> (PolicyKind, Vec<Diagnostic>) {
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            return (
                kind.unwrap_or(PolicyKind::Identity),
                vec![rules::json_error(&e)],
            );
        }
    };
    let kind = kind.unwrap_or_else(|| PolicyKind::recognize(&root));
    let size = text.chars().count();
    let (policy, errors) = Policy::parse_lenient(&root, size, "", "", kind);
    let mut out: Vec<Diagnostic> = errors.iter().map(rules::policy_error).collect();
    let budget = Budget::new(patterns::DOCUMENT_BUDGET);
    let ctx = rules::Context {
        budget: &budget,
        text,
        root: &root,
        policy: policy.as_ref(),
        kind,
        catalog: Catalog::builtin(),
        complete: errors.is_empty(),
        prepared: std::cell::OnceCell::new(),
    };
    rules::check_all(&ctx, &mut out);
    (kind, out)
}

/// Lints raw bytes (a file's content) as [`lint_text_as`] does: invalid
/// UTF-8 is a finding too. Returns the text, the kind used and the
/// diagnostics.
pub fn lint_bytes(bytes: &[u8], kind: Option<PolicyKind>) -> (String, PolicyKind, Vec<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let (kind, diagnostics) = lint_text_as(text, kind);
            (text.to_string(), kind, diagnostics)
        }
        Err(_) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let diagnostics = json::parse_bytes(bytes)
                .err()
                .map(|e| vec![rules::json_error(&e)])
                .unwrap_or_default();
            (text, kind.unwrap_or(PolicyKind::Identity), diagnostics)
        }
    }
}

/// Lints one document held in memory, naming it `file` in findings.
pub fn lint_document(
    file: &str,
    path_for_config: &Path,
    bytes: &[u8],
    options: &Options,
) -> Document {
    let (text, kind, diagnostics) = lint_bytes(bytes, options.kind_for(path_for_config));
    Document {
        file: file.to_string(),
        resource: None,
        file_span: None,
        kind,
        findings: options.apply(path_for_config, diagnostics, file),
        text,
    }
}

/// Expands the command line's paths: files as given, directories walked for
/// `*.json` (skipping what the configuration excludes), globs expanded by
/// the `glob` crate (also skipping excluded files), `-` for standard input.
/// Sorted, each real file once however many names lead to it. A walk does
/// not follow links to directories (as git and ripgrep do not), so a link
/// loop (`ln -s . d/self`) is never entered.
///
/// A file named on the command line is linted even when the configuration
/// excludes it, unless `force_exclude` (ruff's `--force-exclude`): a tool
/// that passes every changed file, as pre-commit does, then skips the
/// excluded ones too.
pub fn expand_paths(
    args: &[String],
    config: &Config,
    force_exclude: bool,
) -> Result<Vec<PathBuf>, LintError> {
    let mut files = Vec::new();
    let mut walked = HashSet::new();
    for arg in args {
        let path = Path::new(arg);
        if crate::input::is_stdin(path) {
            files.push(path.to_path_buf());
        } else if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, &mut walked)?;
            found.retain(|f| !config.excludes(f));
            files.extend(found);
        } else if path.exists() || path.is_symlink() {
            if !(force_exclude && config.excludes(path)) {
                files.push(path.to_path_buf());
            }
        } else if arg.contains(['*', '?', '[']) {
            let entries = glob::glob(arg).map_err(|e| LintError::Glob {
                pattern: arg.clone(),
                message: e.to_string(),
            })?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| LintError::Read {
                    path: e.path().display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                if entry.is_dir() {
                    walk(&entry, &mut found, &mut walked)?;
                } else {
                    found.push(entry);
                }
            }
            if found.is_empty() {
                return Err(LintError::NoMatch(arg.clone()));
            }
            found.retain(|f| !config.excludes(f));
            files.extend(found);
        } else {
            return Err(LintError::NotFound(arg.clone()));
        }
    }
    let mut seen = HashSet::new();
    files.retain(|f| {
        let key = if crate::input::is_stdin(f) {
            f.clone()
        } else {
            std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())
        };
        seen.insert(key)
    });
    Ok(files)
}

/// Collects the `*.json` files under `dir`. `walked` holds the directories
/// already walked (by their real path), so none is read twice.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    walked: &mut HashSet<PathBuf>,
) -> Result<(), LintError> {
    let read_err = |source| LintError::Read {
        path: dir.display().to_string(),
        source,
    };
    let real = std::fs::canonicalize(dir).map_err(read_err)?;
    if !walked.insert(real) {
        return Ok(());
    }
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, file_type) in entries {
        let is_json = entry.extension().is_some_and(|e| e == "json");
        if file_type.is_dir() {
            walk(&entry, out, walked)?;
        } else if file_type.is_symlink() {
            // A link to a file is read through; a link to a directory is
            // not followed. A dangling link named *.json is kept, so that
            // reading it reports the problem.
            let to_dir = std::fs::metadata(&entry).is_ok_and(|m| m.is_dir());
            if is_json && !to_dir {
                out.push(entry);
            }
        } else if is_json {
            out.push(entry);
        }
    }
    Ok(())
}

/// Lints files, directories and globs. A file that cannot be read is an
/// error (exit status 2); a file that is not a valid policy is a finding.
pub fn lint_paths(args: &[String], options: &Options) -> Result<Report, LintError> {
    options.validate()?;
    let files = expand_paths(args, &options.config, options.force_exclude)?;
    let mut report = Report::default();
    for file in files {
        // Standard input is linted as the file it stands for, if named.
        let (name, config_path) = match &options.stdin_filename {
            Some(as_file) if crate::input::is_stdin(&file) => {
                if options.force_exclude && options.config.excludes(as_file) {
                    continue;
                }
                (as_file.display().to_string(), as_file.clone())
            }
            _ => (crate::input::display_name(&file), file.clone()),
        };
        let bytes =
            crate::input::read_limited(&file, crate::input::MAX_POLICY_BYTES, "a policy document")?;
        report
            .documents
            .push(lint_document(&name, &config_path, &bytes, options));
    }
    Ok(report)
}

/// A `ramcheck lint` command line, as the library needs it.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Files, directories and globs to lint.
    pub paths: Vec<String>,
    /// `--kind`: when set, every file is read as this kind.
    pub kind: Option<PolicyKind>,
    /// `--ignore`: rules never reported, by code (any letter case) or name.
    pub ignore: Vec<String>,
    /// `--config`; without it [`Config::discover`] looks for `ramcheck.toml`
    /// in the current directory and its parents.
    pub config: Option<PathBuf>,
    /// `--isolated`: no configuration file at all, found or named.
    pub isolated: bool,
    /// `--force-exclude`: see [`expand_paths`].
    pub force_exclude: bool,
    /// `--stdin-filename`: see [`Options::stdin_filename`].
    pub stdin_filename: Option<PathBuf>,
    /// `--terraform-plan`: a `terraform show -json` plan whose policy documents
    /// are linted too.
    pub terraform_plan: Option<PathBuf>,
}

/// Runs `ramcheck lint`: loads the configuration, lints the paths and the
/// Terraform plan. Errors are exit status 2; findings are in the report.
pub fn run(invocation: &Invocation) -> Result<Report, LintError> {
    let config = match &invocation.config {
        _ if invocation.isolated => Config::default(),
        Some(path) => Config::load(path)?,
        None => Config::discover()?,
    };
    let ignore = invocation
        .ignore
        .iter()
        .map(|c| rules::code_of(c).map(str::to_string))
        .collect::<Result<_, _>>()?;
    let options = Options {
        kind: invocation.kind,
        ignore,
        config,
        force_exclude: invocation.force_exclude,
        stdin_filename: invocation.stdin_filename.clone(),
    };
    let mut report = if invocation.paths.is_empty() {
        options.validate()?;
        Report::default()
    } else {
        lint_paths(&invocation.paths, &options)?
    };
    if let Some(plan) = &invocation.terraform_plan {
        report
            .documents
            .extend(terraform::lint_plan(plan, &options)?);
    }
    Ok(report)
}
