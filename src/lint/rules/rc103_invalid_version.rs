//! RC103 `invalid-version`: see [`InvalidVersion`].

rule! {
    /// ## What it does
    ///
    /// Reports a document without `Version`, or with a `Version` other than the
    /// string `"1"` (the number `1` included).
    ///
    /// ## Why is this bad?
    ///
    /// `"1"` is the only policy language version RAM accepts; RAM rejects the
    /// document otherwise.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Version": 1, "Statement": []}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Version": "1", "Statement": []}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    InvalidVersion { code: "RC103", name: "invalid-version", severity: Error }
}
