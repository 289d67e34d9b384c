//! RC113 `statement-not-array`: see [`StatementNotArray`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Statement` written as a single object instead of an array of
    /// statement objects.
    ///
    /// ## Why is this bad?
    ///
    /// RAM's grammar says `Statement` is an array. ramcheck reads a single object
    /// as a one-element array (docs/semantics.md, "Document grammar", decided), but other tools and RAM
    /// itself may not, so the document is not portable.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Version": "1", "Statement": {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}]}
    /// ```
    StatementNotArray { code: "RC113", name: "statement-not-array", severity: Warning }
}

use super::Context;
use crate::json::Value;
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if let Some(m) = ctx.root.get("Statement")
        && matches!(m.value.value, Value::Object(_))
    {
        out.push(
            Diagnostic::new(
                &StatementNotArray::META,
                m.key_span,
                &m.value.pointer,
                "`Statement` is a single object, not an array of statements",
            )
            .help("wrap the statement in an array: \"Statement\": [ { ... } ]"),
        );
    }
}
