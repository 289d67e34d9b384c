//! RC111 `missing-principal`: see [`MissingPrincipal`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement without `Principal` in a trust or resource policy.
    ///
    /// ## Why is this bad?
    ///
    /// A resource-based statement that names nobody cannot match any caller;
    /// RAM rejects it.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole",
    ///  "Principal": {"RAM": ["acs:ram::1234567890123456:user/bob"]}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    MissingPrincipal { code: "RC111", name: "missing-principal", severity: Error }
}
