//! RC302 `malformed-arn`: see [`MalformedArn`].

rule! {
    /// ## What it does
    ///
    /// Reports an `acs:` resource with the wrong number of parts
    /// (`acs:<ram-code>:<region>:<account-id>:<relative-id>`), an empty service or
    /// relative id, or whitespace. Fewer parts are accepted only when the last one
    /// written holds a `*` that spans the rest (`acs:imm:*`).
    ///
    /// ## Why is this bad?
    ///
    /// Such an ARN never matches a resource: the statement does nothing (for a
    /// Deny, it protects nothing).
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "acs:imm:cn-hangzhou:project/immtest"}
    /// ```
    ///
    /// Use instead (the account part was missing):
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject",
    ///  "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    MalformedArn { code: "RC302", name: "malformed-arn", severity: Error }
}
