//! RC203 `unknown-action`: see [`UnknownAction`].

rule! {
    /// ## What it does
    ///
    /// Reports an action without wildcards that the built-in catalogue does not
    /// list for its (catalogued) service, with the closest catalogued action.
    /// Comparison is case-insensitive, as RAM's.
    ///
    /// ## Why is this bad?
    ///
    /// An action that does not exist matches no request: an Allow grants
    /// nothing, a Deny protects nothing, and the author believes otherwise.
    /// Misspellings such as `imm:AttachOssBuckets` for `imm:AttachOSSBucket` are
    /// common because API names are not spelt consistently. It is a warning,
    /// not an error: RAM stores the policy as written, and the catalogue may
    /// lag a service's newest actions.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:AttachOssBuckets", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "*"}
    /// ```
    UnknownAction { code: "RC203", name: "unknown-action", severity: Warning }
}

use super::{Context, action_pointer, action_service};
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        for (i, p) in s.action.patterns.iter().enumerate() {
            let text = p.wildcard.as_str();
            if !p.wildcard.is_literal() {
                continue;
            }
            // Only a service whose whole action table is known can say an
            // action does not exist.
            let Some(service) = action_service(text)
                .and_then(|c| ctx.catalog.service(c))
                .filter(|s| s.actions_complete)
            else {
                continue;
            };
            if ctx.catalog.action(text).is_some() {
                continue;
            }
            let mut d = Diagnostic::new(
                &UnknownAction::META,
                p.span,
                &action_pointer(s, i),
                format!(
                    "`{text}` is not an action of {} ({})",
                    service.product, service.ram_code
                ),
            );
            if let Some(a) = ctx.catalog.suggest_action(text) {
                d = d.help(crate::suggest::question(&a.action));
            }
            out.push(d);
        }
    }
}
