//! RC401 `unknown-operator`: see [`UnknownOperator`].

rule! {
    /// ## What it does
    ///
    /// Reports a condition operator that is not one of RAM's (with the closest
    /// valid name). Operator names are case-sensitive.
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects the document. A tool that ignored the operator would drop a
    /// restriction the author relied on.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"IpAdress": {"acs:SourceIp": "192.0.2.0/24"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    UnknownOperator { code: "RC401", name: "unknown-operator", severity: Error }
}
