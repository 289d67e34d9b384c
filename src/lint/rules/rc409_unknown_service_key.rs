//! RC409 `unknown-service-key`: see [`UnknownServiceKey`].

rule! {
    /// ## What it does
    ///
    /// Reports a service condition key (`oss:Prefx`) that the service's
    /// catalogued keys do not include but one of them is a plausible
    /// misspelling of, with the key meant. Keys of services without
    /// catalogued keys, and keys close to none, are not reported: the
    /// catalogue's key lists may be partial, and a key the catalogue lacks
    /// is not a typo.
    ///
    /// ## Why is this bad?
    ///
    /// RAM compares a key the request does not carry as missing: an Allow on
    /// `oss:Prefx` never applies, a Deny never denies. The author meant the
    /// documented key.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"StringLike": {"oss:Prefx": "photos/*"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"StringLike": {"oss:Prefix": "photos/*"}}
    /// ```
    UnknownServiceKey { code: "RC409", name: "unknown-service-key", severity: Warning }
}

use super::Context;
use crate::lint::Diagnostic;
use crate::suggest::did_you_mean;

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let Some(condition) = &s.condition else {
            continue;
        };
        for clause in &condition.clauses {
            for entry in &clause.entries {
                let key = entry.key.as_str();
                let Some((code, _)) = key.split_once(':') else {
                    continue;
                };
                if code.eq_ignore_ascii_case("acs") || ctx.catalog.key_type(key).is_some() {
                    continue;
                }
                let Some(service) = ctx.catalog.service(code) else {
                    continue;
                };
                let names = service.condition_keys.iter().map(|k| k.name.as_str());
                let Some(meant) = did_you_mean(key, names) else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        &UnknownServiceKey::META,
                        entry.key_span,
                        &entry.pointer,
                        format!("`{key}` is not a condition key of {}", service.product),
                    )
                    .help(crate::suggest::question(meant)),
                );
            }
        }
    }
}
