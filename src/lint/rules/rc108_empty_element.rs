//! RC108 `empty-element`: see [`EmptyElement`].

rule! {
    /// ## What it does
    ///
    /// Reports an empty array or object where RAM needs at least one entry:
    /// `Action: []`, `Resource: []`, `Condition: {}`, an operator with no keys, a
    /// condition key with no values, an empty `Principal` or principal entry.
    ///
    /// ## Why is this bad?
    ///
    /// An empty list matches nothing, so the statement can never apply (or, for
    /// an empty `NotAction`, applies to everything); either way it is not what was
    /// meant. RAM rejects empty elements.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": [], "Resource": "*"}
    /// ```
    ///
    /// Use instead: list the actions, or remove the statement.
    ///
    /// This rule is enforced by the policy parser; lint reports its error.
    EmptyElement { code: "RC108", name: "empty-element", severity: Error }
}
