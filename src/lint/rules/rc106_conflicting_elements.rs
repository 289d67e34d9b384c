//! RC106 `conflicting-elements`: see [`ConflictingElements`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement that has both `Action` and `NotAction`, or both
    /// `Resource` and `NotResource`.
    ///
    /// ## Why is this bad?
    ///
    /// A statement takes exactly one of each pair: RAM rejects the document, and
    /// no reading of both at once is the obvious one.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:Get*", "NotAction": "imm:GetProject", "Resource": "*"}
    /// ```
    ///
    /// Use instead (two statements say "all Get actions but GetProject"):
    ///
    /// ```json
    /// [
    ///   {"Effect": "Allow", "Action": "imm:Get*", "Resource": "*"},
    ///   {"Effect": "Deny", "Action": "imm:GetProject", "Resource": "*"}
    /// ]
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    ConflictingElements { code: "RC106", name: "conflicting-elements", severity: Error }
}
