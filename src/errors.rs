//! Errors as programs read them: a stable code, the message, and the
//! place (file, line, column) where there is one; and the exit statuses
//! every command shares.
//!
//! Each error type of the library stays a typed `thiserror` enum; this
//! module adds [`Coded`], which gives any of them an [`ErrorReport`]. The
//! command line prints that report as text on stderr, and with
//! `--format json` also as `{"error": {"code", "message", "file", "line",
//! "column"}}` on stdout (`file`, `line` and `column` are `null` when the
//! error is about no place), so a script never has to parse a message.
//!
//! Codes are kebab-case, stable, and listed in [`CODES`] (a test checks
//! that every code used is listed, and README lists them).

use serde::Serialize;

use crate::can_i::QueryError;
use crate::generate::GenerateError;
use crate::input::ReadError;
use crate::lint::{ConfigError, LintError};
use crate::policy::PolicyError;
use crate::store::StoreError;

/// Exit statuses shared by every command.
pub mod exit {
    /// Success: allowed, no finding at or above `--fail-on`, written.
    pub const OK: u8 = 0;
    /// A negative answer: denied, or findings at or above `--fail-on`.
    pub const NEGATIVE: u8 = 1;
    /// No answer: bad input, an unreadable file, a usage or configuration
    /// error.
    pub const ERROR: u8 = 2;
    /// A bug in ramcheck caught before it printed a wrong result.
    pub const INTERNAL: u8 = 3;
}

/// Every error code, with what it means.
pub const CODES: &[(&str, &str)] = &[
    ("usage", "the command line is invalid"),
    ("read-failed", "a file cannot be opened or read"),
    (
        "too-large",
        "an input is over its size limit (SECURITY.md lists them)",
    ),
    (
        "not-regular-file",
        "a store file is a directory, a pipe or a device",
    ),
    ("not-utf8", "a text input is not UTF-8"),
    (
        "stdin-twice",
        "`-` was given for two inputs; standard input can be read once",
    ),
    ("invalid-json", "an input is not strict JSON"),
    (
        "invalid-policy",
        "a policy document does not follow the grammar",
    ),
    (
        "invalid-store",
        "the principal store is inconsistent (unknown group or policy, bad name, ...)",
    ),
    (
        "store-not-found",
        "there is no principal store where looked",
    ),
    ("unknown-principal", "the store holds no such principal"),
    (
        "invalid-principal",
        "a principal is not user/<name>, role/<name> or an ARN",
    ),
    (
        "account-mismatch",
        "the principal belongs to another account than the store",
    ),
    (
        "invalid-request",
        "the action, resource or a context value is invalid",
    ),
    (
        "invalid-api-call",
        "an API call is refused before authorization (IMM's error code is in the message)",
    ),
    ("invalid-config", "ramcheck.toml cannot be used"),
    ("unknown-rule", "no lint rule has this code or name"),
    (
        "not-in-catalog",
        "the catalogue has no such RAM code or action (`catalog`)",
    ),
    (
        "serve-failed",
        "`serve` cannot listen, or its runtime failed",
    ),
    (
        "not-found",
        "a path names nothing, or a glob matches nothing",
    ),
    ("invalid-glob", "a glob pattern is invalid"),
    ("invalid-plan", "a file is not a Terraform plan"),
    ("invalid-input", "an input of `generate` is invalid"),
    (
        "invalid-batch-line",
        "a line of `can-i --batch` is not a valid query",
    ),
    (
        "internal",
        "ramcheck caught its own bug and printed no result",
    ),
    ("output-failed", "the result could not be written"),
];

/// An error as a program reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    /// One of [`CODES`].
    pub code: &'static str,
    /// The message, as printed on stderr (without the `ramcheck: error: `
    /// prefix).
    pub message: String,
    /// The file the error is about, as named (`<stdin>` for `-`).
    pub file: Option<String>,
    /// The line in `file`, from 1.
    pub line: Option<u32>,
    /// The column in `line`, in characters from 1.
    pub column: Option<u32>,
}

impl ErrorReport {
    /// A report with no place.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ErrorReport {
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
        }
    }

    /// The same report, about `file`.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// The same report, at `line` and `column` of its file.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// `{"error": {"code", "message", "file", "line", "column"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self })
    }

    /// [`ErrorReport::to_json`] as indented text with the members in the
    /// order above, and a final newline.
    pub fn to_json_text(&self) -> String {
        #[derive(Serialize)]
        struct Wrapper<'a> {
            error: &'a ErrorReport,
        }
        let mut text = serde_json::to_string_pretty(&Wrapper { error: self }).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// An error that has a stable code and may name a place.
pub trait Coded: std::error::Error {
    /// The error's report.
    fn report(&self) -> ErrorReport;
}

impl Coded for ErrorReport {
    fn report(&self) -> ErrorReport {
        self.clone()
    }
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorReport {}

fn report(code: &'static str, e: &dyn std::fmt::Display) -> ErrorReport {
    ErrorReport::new(code, e.to_string())
}

impl Coded for ReadError {
    fn report(&self) -> ErrorReport {
        let code = match self {
            ReadError::Io { .. } => "read-failed",
            ReadError::TooLarge { .. } => "too-large",
            ReadError::NotRegularFile { .. } => "not-regular-file",
            ReadError::NotUtf8 { .. } => "not-utf8",
            ReadError::StdinTwice => "stdin-twice",
        };
        report(code, self).in_file(self.path())
    }
}

impl Coded for PolicyError {
    fn report(&self) -> ErrorReport {
        let code = match self.kind {
            crate::policy::PolicyErrorKind::Json(_) => "invalid-json",
            _ => "invalid-policy",
        };
        report(code, self)
            .in_file(&self.origin)
            .at(self.span.start.line, self.span.start.column)
    }
}

impl Coded for StoreError {
    fn report(&self) -> ErrorReport {
        match self {
            StoreError::Read(e) => e.report(),
            StoreError::Policy(e) => e.report(),
            StoreError::Json { file, error } => report("invalid-json", self)
                .in_file(file)
                .at(error.position.line, error.position.column),
            StoreError::Schema { file, span, .. }
            | StoreError::UnknownGroup { file, span, .. }
            | StoreError::UnknownPolicy { file, span, .. }
            | StoreError::AmbiguousPolicy { file, span, .. }
            | StoreError::UnreadablePolicy { file, span, .. }
            | StoreError::InvalidPolicyName { file, span, .. } => report("invalid-store", self)
                .in_file(file)
                .at(span.start.line, span.start.column),
            StoreError::UnknownPrincipal { file, .. } => {
                report("unknown-principal", self).in_file(file)
            }
            StoreError::InvalidPrincipal(_) => report("invalid-principal", self),
            StoreError::AccountMismatch { .. } => report("account-mismatch", self),
        }
    }
}

impl Coded for QueryError {
    fn report(&self) -> ErrorReport {
        match self {
            QueryError::Store(e) => e.report(),
            QueryError::Again(e) => e.report(),
            QueryError::StoreNotFound { dir, .. } => {
                report("store-not-found", self).in_file(dir.display().to_string())
            }
            QueryError::Request(_) => report("invalid-request", self),
            QueryError::ApiCall(_) | QueryError::ApiCallRequest(_) => {
                report("invalid-api-call", self)
            }
            QueryError::Usage(_) => report("usage", self),
        }
    }
}

impl Coded for ConfigError {
    fn report(&self) -> ErrorReport {
        if let ConfigError::Read(e) = self {
            return e.report();
        }
        let (file, at) = self.location();
        let out = report("invalid-config", self).in_file(file);
        match at {
            Some(at) => out.at(at.line, at.column),
            None => out,
        }
    }
}

impl Coded for LintError {
    fn report(&self) -> ErrorReport {
        match self {
            LintError::Read { path, .. } => report("read-failed", self).in_file(path),
            LintError::Input(e) => e.report(),
            LintError::NotFound(path) => report("not-found", self).in_file(path),
            LintError::NoMatch(_) => report("not-found", self),
            LintError::Glob { .. } => report("invalid-glob", self),
            LintError::UnknownCode(_) => report("unknown-rule", self),
            LintError::Config(e) => e.report(),
            LintError::Plan { path, .. } => report("invalid-plan", self).in_file(path),
        }
    }
}

impl Coded for GenerateError {
    fn report(&self) -> ErrorReport {
        match self {
            GenerateError::Check(_) => report("internal", self),
            _ => report("invalid-input", self),
        }
    }
}

impl Coded for crate::generate::from_error::FromErrorError {
    fn report(&self) -> ErrorReport {
        use crate::generate::from_error::FromErrorError;
        match self {
            FromErrorError::Input { file, position, .. } => {
                let mut r = report("invalid-input", self);
                if let Some(f) = file {
                    r = r.in_file(f);
                }
                if let Some(p) = position {
                    r = r.at(p.line, p.column);
                }
                r
            }
            FromErrorError::Read(e) => e.report(),
            FromErrorError::Policy(e) => e.report(),
            FromErrorError::NotFixable(_) => report("invalid-input", self),
            FromErrorError::Generate(e) => e.report(),
            FromErrorError::Check(_) => report("internal", self),
        }
    }
}

impl Coded for crate::analysis::AnalysisError {
    fn report(&self) -> ErrorReport {
        use crate::analysis::AnalysisError;
        match self {
            AnalysisError::Store(e) => e.report(),
            AnalysisError::Request(_) => report("invalid-request", self),
            AnalysisError::Usage(_) => report("usage", self),
            AnalysisError::WitnessFailed(_) => report("internal", self),
        }
    }
}

impl Coded for crate::catalog::query::QueryError {
    fn report(&self) -> ErrorReport {
        report("not-in-catalog", self)
    }
}

#[cfg(feature = "serve")]
impl Coded for crate::serve::ServeError {
    fn report(&self) -> ErrorReport {
        use crate::serve::ServeError;
        match self {
            ServeError::Store(e) => ErrorReport {
                message: self.to_string(),
                ..e.report()
            },
            ServeError::Log { path, .. } => {
                report("output-failed", self).in_file(path.display().to_string())
            }
            ServeError::Listen { .. } | ServeError::Io(_) => report("serve-failed", self),
        }
    }
}

impl Coded for crate::lint::rules::UnknownRule {
    fn report(&self) -> ErrorReport {
        report("unknown-rule", self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_carry_code_and_place() {
        let e = crate::policy::Policy::parse(
            "{\"Version\": \"1\",\n \"Statement\": 3}",
            "p",
            "p.json",
            crate::policy::PolicyKind::Identity,
        )
        .unwrap_err();
        let r = e.report();
        assert_eq!(
            (r.code, r.file.as_deref(), r.line),
            ("invalid-policy", Some("p.json"), Some(2))
        );
        let json = r.to_json();
        assert_eq!(json["error"]["code"], "invalid-policy");
        assert_eq!(json["error"]["column"], 15);
        let r = ReadError::StdinTwice.report();
        assert_eq!(
            (r.code, r.file.as_deref()),
            ("stdin-twice", Some("<stdin>"))
        );
        assert_eq!(
            ErrorReport::new("usage", "x").to_json(),
            serde_json::json!({"error": {"code": "usage", "message": "x", "file": null, "line": null, "column": null}})
        );
    }

    #[test]
    fn every_code_is_listed() {
        // The codes used above, found in this file's source.
        let source = include_str!("errors.rs");
        let listed: Vec<&str> = CODES.iter().map(|(c, _)| *c).collect();
        for (i, _) in source.match_indices("report(\"") {
            let rest = &source[i + 8..];
            let code = &rest[..rest.find('"').unwrap()];
            assert!(listed.contains(&code), "{code} is not in CODES");
        }
    }
}
