//! RC102 `duplicate-key`: see [`DuplicateKey`].

rule! {
    /// ## What it does
    ///
    /// Reports an object that names the same key twice, e.g. two `Effect`
    /// members in one statement or two `acs:SourceIp` keys under one operator.
    /// Keys are compared after unescaping, so `"\u0041ction"` is `"Action"`;
    /// condition keys under one operator are also compared case-insensitively,
    /// as RAM reads them, so `acs:SourceVpc` and `ACS:SOURCEVPC` are one key.
    ///
    /// ## Why is this bad?
    ///
    /// JSON leaves the meaning of duplicate keys open: one reader keeps the
    /// first, another the last. A reviewer reading `"Effect": "Deny"` on line 3 may
    /// miss the `"Effect": "Allow"` on line 9 that the deploying tool keeps, so
    /// ramcheck refuses the document (fail closed, docs/semantics.md, "Document grammar"). Two spellings
    /// of one condition key are worse: both are tested, so a Deny holding
    /// `"acs:SourceVpc": "vpc-a"` and `"ACS:SOURCEVPC": "vpc-b"` can never apply.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Deny", "Action": "imm:*", "Resource": "*", "Effect": "Allow"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Deny", "Action": "imm:*", "Resource": "*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    DuplicateKey { code: "RC102", name: "duplicate-key", severity: Error }
}
