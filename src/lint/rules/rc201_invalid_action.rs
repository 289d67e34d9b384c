//! RC201 `invalid-action`: see [`InvalidAction`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Action`/`NotAction` entry that is not `*` and not of the form
    /// `<ram-code>:<action-name>`: no `:`, an empty side, two `:`, spaces or other
    /// characters than letters, digits, `-`, `_`, `.`, `*` and `?`.
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects the document, and an action such as `imm GetProject` or
    /// `imm:GetProject ` could never match a request anyway.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "GetProject", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidAction { code: "RC201", name: "invalid-action", severity: Error }
}
