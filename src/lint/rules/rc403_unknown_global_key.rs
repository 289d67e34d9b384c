//! RC403 `unknown-global-key`: see [`UnknownGlobalKey`].

rule! {
    /// ## What it does
    ///
    /// Reports a condition key under `acs:` that no documentation names: not
    /// one of RAM's common keys (docs/semantics.md, "Common condition
    /// keys": `acs:SourceIp`, `acs:SourceVpc`, `acs:PrincipalARN`,
    /// `acs:AccessId`, `acs:ResourceTag/<key>`, ...) nor an `acs:` key a
    /// catalogued service documents as its own, with the closest one. Keys
    /// are compared case-insensitively, as RAM does.
    ///
    /// ## Why is this bad?
    ///
    /// A key nobody documents is most likely a typo, and RAM evaluates it as
    /// missing: a positive operator is then false (the Allow never applies)
    /// and a negated one true (the Deny always applies). `acs:SourceIP`
    /// works, but `acs:SoureIp` silently breaks the statement.
    ///
    /// ## Example
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:SoureIp": "192.0.2.0/24"}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}
    /// ```
    UnknownGlobalKey { code: "RC403", name: "unknown-global-key", severity: Warning }
}

use super::Context;
use crate::lint::Diagnostic;
use crate::suggest::did_you_mean;
use crate::values::{COMMON_KEYS, TAG_KEY_PREFIXES, common_key_type};

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        let Some(condition) = &s.condition else {
            continue;
        };
        for clause in &condition.clauses {
            for entry in &clause.entries {
                let key = entry.key.as_str();
                if !key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("acs:"))
                    || common_key_type(key).is_some()
                {
                    continue;
                }
                let (stem, tag) = match key.split_once('/') {
                    Some((stem, tag)) => (stem, Some(tag)),
                    None => (key, None),
                };
                let mut d = Diagnostic::new(
                    &UnknownGlobalKey::META,
                    entry.key_span,
                    &entry.pointer,
                    format!("unknown common condition key `{key}`"),
                );
                // Tag keys are suggested by their stem (`acs:ResourceTag`).
                let names = COMMON_KEYS
                    .iter()
                    .map(|(k, _, _)| *k)
                    .chain(TAG_KEY_PREFIXES.iter().map(|p| p.trim_end_matches('/')));
                if let Some(suggestion) = did_you_mean(stem, names) {
                    let full = match tag {
                        Some(tag) if suggestion.ends_with("Tag") => format!("{suggestion}/{tag}"),
                        _ => suggestion.to_string(),
                    };
                    d = d.help(crate::suggest::question(full));
                }
                out.push(d);
            }
        }
    }
}
