//! RC407 `invalid-condition-key`: see [`InvalidConditionKey`].

rule! {
    /// ## What it does
    ///
    /// Reports a condition key that is not of the form `<ram-code>:<key>`
    /// (`acs:SourceIp`, `oss:Prefix`), or that holds whitespace. RAM's console
    /// refuses it ("Invalid condition key format").
    ///
    /// ## Why is this bad?
    ///
    /// No request carries such a key, so the condition is never what was meant:
    /// an Allow keyed `"acs:MFAPresent "` (with a trailing space) never applies,
    /// and a Deny keyed `"SourceIp"` never denies.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"SourceIp": "192.0.2.0/24"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidConditionKey { code: "RC407", name: "invalid-condition-key", severity: Error }
}
