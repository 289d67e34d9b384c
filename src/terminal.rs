//! Text meant for a terminal or a CI log, made safe to print.
//!
//! Policies, stores, requests and ActionTrail events carry strings that
//! ramcheck repeats in its messages (`Sid`s, condition keys, file names,
//! request values). A string holding an escape sequence (`\u001b[2J`), a
//! carriage return or a bidirectional override would act on the terminal
//! or disguise the line it is printed in, so every text output passes such
//! characters through [`escape`], which writes them as visible escapes
//! (`\u{1b}`). JSON and SARIF outputs need nothing: their own escaping
//! covers it.
//!
//! Whether to colour a stream is decided here too ([`ColorChoice`]).

use std::borrow::Cow;
use std::ffi::OsString;

/// `--color`: whether output may carry colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    /// Always colour, whatever the stream and the environment.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    ///
    /// `always` and `never` win over the environment (a flag on the command
    /// line is the most specific wish). With `auto`: `NO_COLOR` set and not
    /// empty means no colour (no-color.org); else `CLICOLOR_FORCE` set and
    /// not `0` means colour even when not a terminal; else `CLICOLOR=0` or
    /// `TERM=dumb` means no colour; else colour exactly on a terminal. This
    /// is the order anstream (cargo, ruff, clap) follows.
    pub fn enabled(self, is_terminal: bool) -> bool {
        self.enabled_with(is_terminal, |key| std::env::var_os(key))
    }

    /// [`ColorChoice::enabled`] with the environment given as a lookup.
    pub fn enabled_with(self, is_terminal: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
        let set = |key: &str| env(key).filter(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if set("NO_COLOR").is_some() {
                    false
                } else if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                    true
                } else if env("CLICOLOR").is_some_and(|v| v == "0")
                    || env("TERM").is_some_and(|v| v == "dumb")
                {
                    false
                } else {
                    is_terminal
                }
            }
        }
    }

    /// Whether to colour standard output.
    pub fn stdout(self) -> bool {
        use std::io::IsTerminal;
        self.enabled(std::io::stdout().is_terminal())
    }

    /// Whether to colour standard error.
    pub fn stderr(self) -> bool {
        use std::io::IsTerminal;
        self.enabled(std::io::stderr().is_terminal())
    }
}

/// Whether a character must not reach a terminal as itself: control
/// characters (C0 including newline and tab, DEL, C1), and the invisible
/// formatting characters that reorder or hide text (bidirectional marks,
/// embeddings, overrides and isolates; line and paragraph separators).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character written as `\u{…}`: for one line of
/// a message, which must stay one line.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for text ramcheck laid out in lines itself: newlines and
/// tabs stay, everything else unsafe is escaped.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_the_environment() {
        let with = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        let auto = ColorChoice::Auto;
        assert!(auto.enabled_with(true, with(&[])));
        assert!(!auto.enabled_with(false, with(&[])));
        assert!(!auto.enabled_with(true, with(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR is not set.
        assert!(auto.enabled_with(true, with(&[("NO_COLOR", "")])));
        assert!(auto.enabled_with(false, with(&[("CLICOLOR_FORCE", "1")])));
        assert!(!auto.enabled_with(false, with(&[("CLICOLOR_FORCE", "0")])));
        // NO_COLOR wins over CLICOLOR_FORCE.
        assert!(!auto.enabled_with(true, with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])));
        assert!(!auto.enabled_with(true, with(&[("CLICOLOR", "0")])));
        assert!(!auto.enabled_with(true, with(&[("TERM", "dumb")])));
        // The flag wins over everything.
        assert!(ColorChoice::Always.enabled_with(false, with(&[("NO_COLOR", "1")])));
        assert!(!ColorChoice::Never.enabled_with(true, with(&[("CLICOLOR_FORCE", "1")])));
    }

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(escape("imm:GetProject"), "imm:GetProject");
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\r"), "x\\u{a}y\\u{d}");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("\u{7f}"), "\\u{7f}");
        assert_eq!(escape("é ü 項目"), "é ü 項目");
        assert_eq!(
            escape_lines("a\n\tb\u{1b}]0;x\u{7}"),
            "a\n\tb\\u{1b}]0;x\\u{7}"
        );
    }
}
