//! RC204 `action-matches-nothing`: see [`ActionMatchesNothing`].

rule! {
    /// ## What it does
    ///
    /// Reports an action pattern with wildcards, of a catalogued service, that
    /// matches none of the service's actions in the built-in catalogue.
    ///
    /// ## Why is this bad?
    ///
    /// The pattern grants (or denies) nothing today. Usually the prefix is
    /// misspelt (`imm:Gett*`) or names a verb the service does not use
    /// (`imm:Read*`).
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "imm:Read*", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": ["imm:Get*", "imm:List*"], "Resource": "*"}
    /// ```
    ActionMatchesNothing { code: "RC204", name: "action-matches-nothing", severity: Warning }
}

use super::{Context, action_pointer, action_service};
use crate::lint::Diagnostic;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        for (i, p) in s.action.patterns.iter().enumerate() {
            if p.wildcard.is_literal() {
                continue;
            }
            let Some(code) = action_service(p.wildcard.as_str()) else {
                continue;
            };
            if code.contains(['*', '?']) {
                continue;
            }
            let Some(service) = ctx.catalog.service(code).filter(|s| s.actions_complete) else {
                continue;
            };
            if service
                .actions
                .iter()
                .any(|a| p.wildcard.matches(&a.action))
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &ActionMatchesNothing::META,
                    p.span,
                    &action_pointer(s, i),
                    format!(
                        "`{}` matches none of the {} actions of {}",
                        p.wildcard,
                        service.actions.len(),
                        service.product
                    ),
                )
                .help("check the spelling; `ramcheck rules RC204` explains"),
            );
        }
    }
}
