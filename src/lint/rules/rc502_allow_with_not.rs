//! RC502 `allow-with-not`: see [`AllowWithNot`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Allow` statement that uses `NotAction` or `NotResource`.
    ///
    /// ## Why is this bad?
    ///
    /// An Allow with `NotAction` grants every action except those listed,
    /// including every action of every service added later; `NotResource`
    /// likewise grants every resource but the listed ones. Such statements almost
    /// always grant far more than intended. Use `NotAction` in `Deny` statements.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"}
    /// ```
    ///
    /// Use instead: list what is granted.
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:*", "oss:GetObject"], "Resource": "*"}
    /// ```
    ///
    /// Not applied to control and session policies, which only limit what other policies
    /// grant: `Allow` `*` on `*` is their usual default statement.
    AllowWithNot { code: "RC502", name: "allow-with-not", severity: SecurityWarning }
}

use super::Context;
use crate::lint::Diagnostic;
use crate::policy::Effect;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.kind.only_limits() {
        return;
    }
    for s in ctx.statements() {
        if s.effect != Effect::Allow {
            continue;
        }
        if s.action.negated {
            out.push(
                Diagnostic::new(
                    &AllowWithNot::META,
                    s.action.key_span,
                    &format!("{}/NotAction", s.pointer),
                    "`Allow` with `NotAction` grants every action not listed, \
                     including those of services added later",
                )
                .help("list the allowed actions with `Action`"),
            );
        }
        if let Some(list) = s.resource.as_ref().filter(|r| r.negated) {
            out.push(
                Diagnostic::new(
                    &AllowWithNot::META,
                    list.key_span,
                    &format!("{}/NotResource", s.pointer),
                    "`Allow` with `NotResource` grants every resource not listed",
                )
                .help("list the allowed resources with `Resource`"),
            );
        }
    }
}
