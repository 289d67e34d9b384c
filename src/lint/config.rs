//! `ramcheck.toml`: which files to skip, which kind each file is, and which
//! findings to ignore or re-grade.
//!
//! ```toml
//! kind = "identity"                 # default kind (overridden by --kind)
//! ignore = ["RC406"]                # codes never reported
//! exclude = ["principals.json"]     # files skipped when walking directories
//!
//! [severity]                        # re-grade a rule everywhere
//! RC202 = "error"
//!
//! [[overrides]]                     # per-path settings; later ones win
//! paths = ["ImmDeployerTrust.json", "trust/**/*.json"]
//! kind = "trust"
//! ignore = ["RC503"]
//! severity = { RC604 = "suggestion" }
//! ```
//!
//! Paths are glob patterns relative to the directory holding the
//! configuration file. A pattern without `/` also matches a file of that
//! name in any directory (as in `.gitignore`). Rules are named by code
//! (`RC406`, any letter case) or by name (`unknown-action`).
//!
//! Without `--config`, [`Config::discover`] looks for `ramcheck.toml` in
//! the current directory and then its parents, as ruff looks for its
//! configuration, and stops at the root of the repository (the first
//! directory holding `.git`, `.hg`, `.jj` or `.svn`), so a configuration
//! outside the checkout never applies to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};
use serde::Deserialize;
use toml::Spanned;

use super::Severity;
use crate::policy::PolicyKind;

/// The file looked for in the current directory and its parents.
pub const FILE_NAME: &str = "ramcheck.toml";

/// Entries that mark the root of a repository, where discovery stops.
pub const REPOSITORY_MARKERS: [&str; 4] = [".git", ".hg", ".jj", ".svn"];

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read, is over its size limit or is not UTF-8.
    #[error(transparent)]
    Read(#[from] crate::input::ReadError),
    /// The file is not valid TOML or has a key the format does not know.
    #[error("{path}:{at}: {message}")]
    Parse {
        /// The configuration file, as named.
        path: String,
        /// Where.
        at: At,
        /// What the TOML reader reports.
        message: String,
    },
    /// A `kind` that names no policy kind.
    #[error(
        "{path}:{at}: unknown policy kind {value:?} (expected identity, session, control, trust or resource)"
    )]
    Kind {
        /// The configuration file, as named.
        path: String,
        /// Where the kind is written.
        at: At,
        /// The kind as written.
        value: String,
    },
    /// A severity that is not one of [`Severity::as_str`]'s names.
    #[error(
        "{path}:{at}: unknown severity {value:?} (expected error, security-warning, warning, suggestion or info)"
    )]
    Severity {
        /// The configuration file, as named.
        path: String,
        /// Where the severity is written.
        at: At,
        /// The severity as written.
        value: String,
    },
    /// A path pattern that is not a valid glob.
    #[error("{path}:{at}: invalid path pattern {pattern:?}: {message}")]
    Glob {
        /// The configuration file, as named.
        path: String,
        /// Where the pattern is written.
        at: At,
        /// The pattern as written.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
    /// A rule code or name that no rule has.
    #[error("{path}:{at}: {source}")]
    UnknownRule {
        /// The configuration file, as named.
        path: String,
        /// Where the rule is named.
        at: At,
        /// The code or name, and the closest rule.
        source: super::rules::UnknownRule,
    },
}

impl ConfigError {
    /// The configuration file and, when the error is about a place in it,
    /// that place.
    pub fn location(&self) -> (String, Option<At>) {
        match self {
            ConfigError::Read(e) => (e.path().to_string(), None),
            ConfigError::Parse { path, at, .. }
            | ConfigError::Kind { path, at, .. }
            | ConfigError::Severity { path, at, .. }
            | ConfigError::Glob { path, at, .. }
            | ConfigError::UnknownRule { path, at, .. } => (path.clone(), Some(*at)),
        }
    }
}

/// A place in a configuration file: line and column, from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct At {
    /// The line, from 1.
    pub line: u32,
    /// The column, in characters from 1.
    pub column: u32,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl At {
    /// The line and column of byte `offset` in `text` (clamped to it).
    pub fn of(text: &str, offset: usize) -> At {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        At {
            line: u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX),
            column: u32::try_from(before[line_start..].chars().count() + 1).unwrap_or(u32::MAX),
        }
    }
}

type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    kind: Option<Text>,
    #[serde(default)]
    ignore: Vec<Text>,
    #[serde(default)]
    exclude: Vec<Text>,
    #[serde(default)]
    severity: BTreeMap<Text, Text>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<Text>,
    kind: Option<Text>,
    #[serde(default)]
    ignore: Vec<Text>,
    #[serde(default)]
    severity: BTreeMap<Text, Text>,
}

/// Settings for some paths.
#[derive(Debug, Clone, Default)]
pub struct Override {
    /// `paths`: the files the override applies to.
    pub paths: Vec<Pattern>,
    /// `kind`: the kind those files are read as.
    pub kind: Option<PolicyKind>,
    /// `ignore`: codes not reported for those files (names resolved to codes).
    pub ignore: Vec<String>,
    /// `severity`: new severities by rule code for those files.
    pub severity: BTreeMap<String, Severity>,
}

/// A loaded configuration. The default is empty: every rule at its own
/// severity, every file an identity policy.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where the file was read from, if anywhere.
    pub source: Option<PathBuf>,
    /// The directory path patterns are relative to.
    pub base: PathBuf,
    /// `kind`: the kind a file is read as when no override sets one.
    pub kind: Option<PolicyKind>,
    /// `ignore`: codes never reported (names resolved to codes).
    pub ignore: Vec<String>,
    /// `exclude`: files skipped when walking directories and expanding globs.
    pub exclude: Vec<Pattern>,
    /// `[severity]`: new severities by rule code, everywhere.
    pub severity: BTreeMap<String, Severity>,
    /// `[[overrides]]`: per-path settings, in file order; later ones win.
    pub overrides: Vec<Override>,
}

impl Config {
    /// `ramcheck.toml` in the current directory or its parents up to the
    /// repository root ([`Config::find`]), or the empty configuration.
    pub fn discover() -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match Config::find(&cwd) {
            Some(path) => Config::load(&Config::shorten(&path, &cwd)),
            None => Ok(Config::default()),
        }
    }

    /// The configuration file that applies in `dir`: `ramcheck.toml` in
    /// `dir` or the nearest parent, looking no higher than the first
    /// directory that holds one of [`REPOSITORY_MARKERS`].
    pub fn find(dir: &Path) -> Option<PathBuf> {
        for dir in dir.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            if REPOSITORY_MARKERS
                .iter()
                .any(|m| dir.join(m).symlink_metadata().is_ok())
            {
                return None;
            }
        }
        None
    }

    /// `path` relative to `cwd` when it is inside it or a few parents up,
    /// so messages name `../ramcheck.toml` rather than an absolute path.
    fn shorten(path: &Path, cwd: &Path) -> PathBuf {
        let Some(dir) = path.parent() else {
            return path.to_path_buf();
        };
        let mut up = PathBuf::new();
        for ancestor in cwd.ancestors() {
            if ancestor == dir {
                return up.join(FILE_NAME);
            }
            up.push("..");
        }
        path.to_path_buf()
    }

    /// Reads the configuration file at `path`; its patterns are relative to its
    /// directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::input::read_text(path, crate::input::MAX_CONFIG_BYTES, "ramcheck.toml")?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut config = Config::parse(&text, &path.display().to_string(), base)?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses configuration text; `name` is used in errors, `base` is the
    /// directory that path patterns are relative to.
    pub fn parse(text: &str, name: &str, base: PathBuf) -> Result<Config, ConfigError> {
        let at = |span: std::ops::Range<usize>| At::of(text, span.start);
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: name.to_string(),
            at: e.span().map(at).unwrap_or(At { line: 1, column: 1 }),
            message: e.message().trim().to_string(),
        })?;
        let kind = |value: Option<Text>| -> Result<Option<PolicyKind>, ConfigError> {
            value
                .map(|v| {
                    PolicyKind::from_name(v.get_ref()).ok_or_else(|| ConfigError::Kind {
                        path: name.to_string(),
                        at: at(v.span()),
                        value: v.get_ref().clone(),
                    })
                })
                .transpose()
        };
        let code = |rule: &Text| -> Result<String, ConfigError> {
            super::rules::code_of(rule.get_ref())
                .map(str::to_string)
                .map_err(|source| ConfigError::UnknownRule {
                    path: name.to_string(),
                    at: at(rule.span()),
                    source,
                })
        };
        let severities = |map: BTreeMap<Text, Text>| {
            map.into_iter()
                .map(|(rule, value)| match Severity::from_name(value.get_ref()) {
                    Some(s) => Ok((code(&rule)?, s)),
                    None => Err(ConfigError::Severity {
                        path: name.to_string(),
                        at: at(value.span()),
                        value: value.get_ref().clone(),
                    }),
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        };
        let patterns = |list: Vec<Text>| {
            list.into_iter()
                .map(|p| {
                    Pattern::new(p.get_ref()).map_err(|e| ConfigError::Glob {
                        path: name.to_string(),
                        at: at(p.span()),
                        pattern: p.get_ref().clone(),
                        message: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let codes = |list: Vec<Text>| list.iter().map(code).collect::<Result<Vec<_>, _>>();
        let mut overrides = Vec::new();
        for o in raw.overrides {
            overrides.push(Override {
                paths: patterns(o.paths)?,
                kind: kind(o.kind)?,
                ignore: codes(o.ignore)?,
                severity: severities(o.severity)?,
            });
        }
        Ok(Config {
            source: None,
            base,
            kind: kind(raw.kind)?,
            ignore: codes(raw.ignore)?,
            exclude: patterns(raw.exclude)?,
            severity: severities(raw.severity)?,
            overrides,
        })
    }

    /// Every rule code the configuration names, to check that they exist.
    pub fn codes(&self) -> impl Iterator<Item = &String> {
        self.ignore.iter().chain(self.severity.keys()).chain(
            self.overrides
                .iter()
                .flat_map(|o| o.ignore.iter().chain(o.severity.keys())),
        )
    }

    /// `file` relative to the configuration's directory, when it is inside
    /// it; otherwise as given.
    fn relative(&self, file: &Path) -> PathBuf {
        let absolute = |p: &Path| {
            std::fs::canonicalize(p).unwrap_or_else(|_| {
                std::env::current_dir()
                    .map(|d| d.join(p))
                    .unwrap_or_else(|_| p.to_path_buf())
            })
        };
        let (file_abs, base_abs) = (absolute(file), absolute(&self.base));
        match file_abs.strip_prefix(&base_abs) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => file.to_path_buf(),
        }
    }

    fn matches(&self, patterns: &[Pattern], file: &Path) -> bool {
        if patterns.is_empty() {
            return false;
        }
        let options = MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let rel = self.relative(file);
        let name = file.file_name().map(Path::new);
        patterns.iter().any(|p| {
            p.matches_path_with(&rel, options)
                || (!p.as_str().contains('/')
                    && name.is_some_and(|n| p.matches_path_with(n, options)))
        })
    }

    fn overrides_for<'a>(&'a self, file: &'a Path) -> impl Iterator<Item = &'a Override> + 'a {
        self.overrides
            .iter()
            .filter(move |o| self.matches(&o.paths, file))
    }

    /// Whether `exclude` matches `file`. Only files found by walking a directory
    /// or expanding a glob are skipped; a file named directly is linted.
    pub fn excludes(&self, file: &Path) -> bool {
        self.matches(&self.exclude, file)
    }

    /// The configured kind for `file`: the last matching override's, else
    /// the default.
    pub fn kind_for(&self, file: &Path) -> Option<PolicyKind> {
        self.overrides_for(file)
            .filter_map(|o| o.kind)
            .last()
            .or(self.kind)
    }

    /// Whether findings of `code` (upper-case) are not reported for `file`, by
    /// the top-level `ignore` or a matching override's.
    pub fn ignores(&self, file: &Path, code: &str) -> bool {
        self.ignore.iter().any(|c| c == code)
            || self
                .overrides_for(file)
                .any(|o| o.ignore.iter().any(|c| c == code))
    }

    /// The configured severity of `code` (upper-case) for `file`: the last
    /// matching override's, else `[severity]`'s; `None` keeps the rule's own.
    pub fn severity_for(&self, file: &Path, code: &str) -> Option<Severity> {
        self.overrides_for(file)
            .filter_map(|o| o.severity.get(code).copied())
            .last()
            .or_else(|| self.severity.get(code).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let c = Config::parse(
            r#"
kind = "identity"
ignore = ["rc406"]
exclude = ["principals.json"]
[severity]
redundant-action = "error"
[[overrides]]
paths = ["trust/*.json", "ImmDeployerTrust.json"]
kind = "trust"
ignore = ["RC503"]
severity = { RC604 = "suggestion" }
"#,
            "t.toml",
            PathBuf::from("/nonexistent/base"),
        )
        .unwrap();
        let trust = Path::new("/nonexistent/base/trust/a.json");
        assert_eq!(c.kind_for(trust), Some(PolicyKind::Trust));
        assert_eq!(
            c.kind_for(Path::new("/elsewhere/ImmDeployerTrust.json")),
            Some(PolicyKind::Trust)
        );
        assert_eq!(
            c.kind_for(Path::new("/nonexistent/base/x.json")),
            Some(PolicyKind::Identity)
        );
        assert!(c.ignores(trust, "RC406") && c.ignores(trust, "RC503"));
        assert!(!c.ignores(Path::new("/nonexistent/base/x.json"), "RC503"));
        assert_eq!(c.severity_for(trust, "RC604"), Some(Severity::Suggestion));
        assert_eq!(c.severity_for(trust, "RC602"), Some(Severity::Error));
        assert!(c.excludes(Path::new("/nonexistent/base/sub/principals.json")));
        assert_eq!(c.codes().count(), 4);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = |t: &str| {
            Config::parse(t, "t.toml", PathBuf::new())
                .unwrap_err()
                .to_string()
        };
        assert!(e("kind = \"identiy\"").starts_with("t.toml:1:8: unknown policy kind"));
        assert!(e("[severity]\nRC101 = \"fatal\"").starts_with("t.toml:2:9: unknown severity"));
        assert!(e("ignor = []").contains("unknown field"));
        assert!(e("exclude = [\"[\"]").starts_with("t.toml:1:12: invalid path pattern"));
        assert_eq!(
            e("ignore = [\"RC101\",\n  \"unknown-actoin\"]"),
            "t.toml:2:3: unknown rule \"unknown-actoin\" (see `ramcheck rules`) (did you mean `unknown-action`?)"
        );
        assert!(e("x = ").starts_with("t.toml:1:"));
    }
}
