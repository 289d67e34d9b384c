//! RC101 `invalid-json`: see [`InvalidJson`].

rule! {
    /// ## What it does
    ///
    /// Reports a document that is not strict RFC 8259 JSON: a trailing comma,
    /// a comment, a single-quoted string, an unescaped control character, a byte
    /// order mark, invalid UTF-8, or anything after the closing brace. The finding
    /// points at the first offending character.
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects such a document outright, and tools disagree on how to read
    /// the lenient forms (a comment one tool strips is a syntax error in the
    /// next), so the policy that is reviewed may not be the policy that is
    /// deployed. No other check can run on a document that does not parse.
    ///
    /// ## Example
    ///
    /// ```json
    /// {
    ///   "Version": "1",
    ///   "Statement": [
    ///     {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"},
    ///   ]
    /// }
    /// ```
    ///
    /// Use instead (no comma before `]`):
    ///
    /// ```json
    /// {
    ///   "Version": "1",
    ///   "Statement": [
    ///     {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}
    ///   ]
    /// }
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidJson { code: "RC101", name: "invalid-json", severity: Error }
}

use crate::json::JsonErrorKind;

/// A hint for each kind of syntax error.
pub fn help(kind: &JsonErrorKind) -> String {
    match kind {
        JsonErrorKind::TrailingComma { closer } => format!("remove the comma before `{closer}`"),
        JsonErrorKind::Comment => "remove the comment: JSON has no comments".into(),
        JsonErrorKind::ByteOrderMark => "save the file as UTF-8 without a byte order mark".into(),
        JsonErrorKind::InvalidUtf8 => "save the file as UTF-8".into(),
        JsonErrorKind::ControlCharacter(_) => "escape the character (e.g. \\t, \\n)".into(),
        JsonErrorKind::TrailingContent => "remove what follows the document's closing `}`".into(),
        JsonErrorKind::UnexpectedChar { found, .. } if found == "`'`" => {
            "JSON strings use double quotes".into()
        }
        _ => "fix the JSON syntax at this position".into(),
    }
}
