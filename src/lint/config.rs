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
//! name in any directory (as in `.gitignore`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};
use serde::Deserialize;

use super::Severity;
use crate::policy::PolicyKind;

/// The file looked for in the current directory.
pub const FILE_NAME: &str = "ramcheck.toml";

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read, is over its size limit or is not UTF-8.
    #[error(transparent)]
    Read(#[from] crate::input::ReadError),
    /// The file is not valid TOML or has a key the format does not know.
    #[error("{path}: {message}")]
    Parse {
        /// The configuration file, as named.
        path: String,
        /// What the TOML reader reports.
        message: String,
    },
    /// A `kind` that names no policy kind.
    #[error(
        "{path}: unknown policy kind {value:?} (expected identity, session, control, trust or resource)"
    )]
    Kind {
        /// The configuration file, as named.
        path: String,
        /// The kind as written.
        value: String,
    },
    /// A severity that is not one of [`Severity::as_str`]'s names.
    #[error(
        "{path}: unknown severity {value:?} (expected error, security-warning, warning, suggestion or info)"
    )]
    Severity {
        /// The configuration file, as named.
        path: String,
        /// The severity as written.
        value: String,
    },
    /// A path pattern that is not a valid glob.
    #[error("{path}: invalid path pattern {pattern:?}: {message}")]
    Glob {
        /// The configuration file, as named.
        path: String,
        /// The pattern as written.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    kind: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<String>,
    kind: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

/// Settings for some paths.
#[derive(Debug, Clone, Default)]
pub struct Override {
    /// `paths`: the files the override applies to.
    pub paths: Vec<Pattern>,
    /// `kind`: the kind those files are read as.
    pub kind: Option<PolicyKind>,
    /// `ignore`: codes not reported for those files, upper-cased.
    pub ignore: Vec<String>,
    /// `severity`: new severities by rule code (upper-cased) for those files.
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
    /// `ignore`: codes never reported, upper-cased.
    pub ignore: Vec<String>,
    /// `exclude`: files skipped when walking directories and expanding globs.
    pub exclude: Vec<Pattern>,
    /// `[severity]`: new severities by rule code (upper-cased), everywhere.
    pub severity: BTreeMap<String, Severity>,
    /// `[[overrides]]`: per-path settings, in file order; later ones win.
    pub overrides: Vec<Override>,
}

impl Config {
    /// `ramcheck.toml` in the current directory, or the empty configuration.
    pub fn discover() -> Result<Config, ConfigError> {
        let path = Path::new(FILE_NAME);
        if path.is_file() {
            Config::load(path)
        } else {
            Ok(Config::default())
        }
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
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: name.to_string(),
            message: e.to_string(),
        })?;
        let kind = |value: Option<String>| -> Result<Option<PolicyKind>, ConfigError> {
            value
                .map(|v| {
                    PolicyKind::from_name(&v).ok_or(ConfigError::Kind {
                        path: name.to_string(),
                        value: v,
                    })
                })
                .transpose()
        };
        let severities = |map: BTreeMap<String, String>| {
            map.into_iter()
                .map(|(code, value)| match Severity::from_name(&value) {
                    Some(s) => Ok((code.to_ascii_uppercase(), s)),
                    None => Err(ConfigError::Severity {
                        path: name.to_string(),
                        value,
                    }),
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        };
        let patterns = |list: Vec<String>| {
            list.into_iter()
                .map(|p| {
                    Pattern::new(&p).map_err(|e| ConfigError::Glob {
                        path: name.to_string(),
                        pattern: p.clone(),
                        message: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let upper = |list: Vec<String>| list.into_iter().map(|c| c.to_ascii_uppercase()).collect();
        let mut overrides = Vec::new();
        for o in raw.overrides {
            overrides.push(Override {
                paths: patterns(o.paths)?,
                kind: kind(o.kind)?,
                ignore: upper(o.ignore),
                severity: severities(o.severity)?,
            });
        }
        Ok(Config {
            source: None,
            base,
            kind: kind(raw.kind)?,
            ignore: upper(raw.ignore),
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
RC202 = "error"
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
        assert_eq!(c.severity_for(trust, "RC202"), Some(Severity::Error));
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
        assert!(e("kind = \"identiy\"").contains("unknown policy kind"));
        assert!(e("[severity]\nRC101 = \"fatal\"").contains("unknown severity"));
        assert!(e("ignor = []").contains("unknown field"));
        assert!(e("exclude = [\"[\"]").contains("invalid path pattern"));
    }
}
