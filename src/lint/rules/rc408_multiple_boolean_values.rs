//! RC408 `multiple-boolean-values`: see [`MultipleBooleanValues`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Bool` condition that gives one key several values, such as
    /// `["true", "false"]`. RAM's console refuses it ("Invalid condition multiple
    /// Boolean").
    ///
    /// ## Why is this bad?
    ///
    /// Values of one key are ORed: `true` or `false` holds whenever the key is
    /// present, so the condition restricts nothing, though it reads as if it did.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"Bool": {"acs:SecureTransport": ["true", "false"]}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"Bool": {"acs:SecureTransport": "true"}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    MultipleBooleanValues { code: "RC408", name: "multiple-boolean-values", severity: Error }
}
