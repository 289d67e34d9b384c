//! RC110 `principal-not-allowed`: see [`PrincipalNotAllowed`].

rule! {
    /// ## What it does
    ///
    /// Reports `Principal` in an identity, session or control policy.
    ///
    /// ## Why is this bad?
    ///
    /// `Principal` names who may act, which only a resource-based policy (a
    /// role's trust policy, a bucket policy) can say: an identity policy applies to
    /// whoever it is attached to. RAM rejects the document. If the file *is* a
    /// trust policy, lint it with `--kind trust` or set its kind in
    /// `ramcheck.toml`.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*",
    ///  "Principal": {"RAM": "acs:ram::1234567890123456:root"}}
    /// ```
    ///
    /// Use instead: drop `Principal` and attach the policy to that principal.
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    PrincipalNotAllowed { code: "RC110", name: "principal-not-allowed", severity: Error }
}
