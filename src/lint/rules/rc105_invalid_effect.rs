//! RC105 `invalid-effect`: see [`InvalidEffect`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement without `Effect`, or whose `Effect` is not exactly
    /// `"Allow"` or `"Deny"` (the values are case-sensitive: `"allow"` is
    /// reported, with a did-you-mean).
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects the document. A tool that compared case-insensitively would
    /// read the statement differently from RAM.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "allow", "Action": "imm:GetProject", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidEffect { code: "RC105", name: "invalid-effect", severity: Error }
}
