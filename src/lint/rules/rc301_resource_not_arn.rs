//! RC301 `resource-not-arn`: see [`ResourceNotArn`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Resource`/`NotResource` entry that is neither `*` nor an ARN
    /// starting with `acs:` (an AWS `arn:aws:...` ARN, a bare bucket or project
    /// name).
    ///
    /// ## Why is this bad?
    ///
    /// Alibaba Cloud resources are named `acs:<ram-code>:<region>:<account>:<id>`;
    /// anything else matches no resource, and RAM rejects the document.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "arn:aws:s3:::my-bucket/*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:my-bucket/*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    ResourceNotArn { code: "RC301", name: "resource-not-arn", severity: Error }
}
