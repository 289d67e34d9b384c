//! RC107 `missing-element`: see [`MissingElement`].

rule! {
    /// ## What it does
    ///
    /// Reports a required element that is missing: `Statement` in the document;
    /// `Action`/`NotAction` in a statement; `Resource`/`NotResource` in a statement
    /// of an identity, session or control policy (a trust policy has none; a
    /// resource policy may omit it).
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects the document. A statement without `Resource` in an identity
    /// policy does not mean "every resource".
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    MissingElement { code: "RC107", name: "missing-element", severity: Error }
}
