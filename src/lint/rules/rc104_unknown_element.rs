//! RC104 `unknown-element`: see [`UnknownElement`].

rule! {
    /// ## What it does
    ///
    /// Reports a key that is not part of the policy grammar, in the document
    /// (`Version`, `Statement`), in a statement (`Sid`, `Effect`, `Action`,
    /// `NotAction`, `Resource`, `NotResource`, `Principal`, `Condition`) or in a
    /// `Principal` (`RAM`, `Service`, `Federated`), with the closest valid name.
    /// Element names are case-sensitive.
    ///
    /// ## Why is this bad?
    ///
    /// A misspelt element is not ignored harmlessly: `"Resources"` leaves the
    /// statement without the `Resource` the author wrote, and `"Conditon"` drops a
    /// restriction the author relied on. RAM rejects such documents.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resources": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    UnknownElement { code: "RC104", name: "unknown-element", severity: Error }
}
