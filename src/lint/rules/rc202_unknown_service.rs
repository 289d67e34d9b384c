//! RC202 `unknown-service`: see [`UnknownService`].

rule! {
    /// ## What it does
    ///
    /// Reports an action whose service part (the RAM code before `:`) is not a
    /// known Alibaba Cloud RAM code, with the closest known code. Known codes are
    /// those of the built-in catalogue plus a list of common services (`ram`,
    /// `sts`, `oss`, `ecs`, `vpc`, `kms`, `log`, ...). Service parts with wildcards
    /// are not checked.
    ///
    /// ## Why is this bad?
    ///
    /// An action of a service that does not exist matches no request: an Allow
    /// grants nothing and a Deny protects nothing. A typo (`ims:GetProject` for
    /// `imm:GetProject`) is the usual cause. The list of services is not complete,
    /// so this is a warning; silence it for a new service with `--ignore RC202`
    /// or in `ramcheck.toml`.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imn:GetProject", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}
    /// ```
    UnknownService { code: "RC202", name: "unknown-service", severity: Warning }
}

use super::{Context, action_pointer, action_service};
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        for (i, p) in s.action.patterns.iter().enumerate() {
            let Some(service) = action_service(p.wildcard.as_str()) else {
                continue;
            };
            if service.contains(['*', '?']) || ctx.catalog.code(service).is_some() {
                continue;
            }
            let mut d = Diagnostic::new(
                &UnknownService::META,
                p.span,
                &action_pointer(s, i),
                format!("unknown service `{service}` in action `{}`", p.wildcard),
            );
            if let Some(suggestion) = ctx.catalog.suggest_code(service) {
                d = d.help(crate::suggest::question(suggestion));
            }
            out.push(d);
        }
    }
}
