//! RC109 `wrong-type`: see [`WrongType`].

rule! {
    /// ## What it does
    ///
    /// Reports an element of the wrong JSON type: a document or statement that
    /// is not an object, a `Statement` that is neither an array nor an object, an
    /// `Action` or `Resource` entry that is not a string, a `Sid` that is not a
    /// string, a condition value that is an object or `null`.
    ///
    /// ## Why is this bad?
    ///
    /// RAM rejects the document; a tool that coerced the value would grant
    /// something other than what RAM evaluates.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:GetProject", 42], "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": "*"}
    /// ```
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    WrongType { code: "RC109", name: "wrong-type", severity: Error }
}
