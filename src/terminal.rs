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

use std::borrow::Cow;

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
