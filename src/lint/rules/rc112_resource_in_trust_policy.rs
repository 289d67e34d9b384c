//! RC112 `resource-in-trust-policy`: see [`ResourceInTrustPolicy`].

rule! {
    /// ## What it does
    ///
    /// Reports `Resource` or `NotResource` in a trust policy.
    ///
    /// ## Why is this bad?
    ///
    /// A trust policy (a role's `AssumeRolePolicyDocument`) always applies to
    /// the role it is attached to; RAM rejects a `Resource` in it.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
    ///  "Principal": {"Service": ["ecs.aliyuncs.com"]}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole",
    ///  "Principal": {"Service": ["ecs.aliyuncs.com"]}}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    ResourceInTrustPolicy { code: "RC112", name: "resource-in-trust-policy", severity: Error }
}
