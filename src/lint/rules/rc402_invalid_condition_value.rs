//! RC402 `invalid-condition-value`: see [`InvalidConditionValue`].

rule! {
    /// ## What it does
    ///
    /// Reports a condition value that the operator cannot read: a bad IP address
    /// or CIDR block for `IpAddress`, a date that is not RFC 3339 with `Z` or an
    /// offset for `Date*`, anything but `true`/`false` for `Bool`, a non-number for
    /// `Numeric*`.
    ///
    /// ## Why is this bad?
    ///
    /// The comparison can never succeed as intended: `"2019-01-01"` is not an
    /// instant, `"yes"` is not a boolean. RAM rejects or misreads the value.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"DateLessThan": {"acs:CurrentTime": "2019-08-12"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"DateLessThan": {"acs:CurrentTime": "2019-08-12T17:00:00+08:00"}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidConditionValue { code: "RC402", name: "invalid-condition-value", severity: Error }
}
