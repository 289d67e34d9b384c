//! RC118 `principal-never-matches`: see [`PrincipalNeverMatches`].

rule! {
    /// ## What it does
    ///
    /// Reports a `Principal` entry that names no caller in any form RAM
    /// writes principals (docs/semantics.md, "Resource-based policies and
    /// `Principal`"): a `RAM` entry (or an entry of an OSS bucket policy's
    /// list) that is not `*`, an account or user ID, an ARN
    /// `acs:ram::<account>:...` or a session's `arn:sts::<account>:...`; a
    /// `Service` entry that is not a service name such as
    /// `ecs.aliyuncs.com`; a `Federated` entry that is not an identity
    /// provider's ARN, `acs:ram::<account>:saml-provider/<name>` or
    /// `:oidc-provider/<name>`.
    ///
    /// ## Why is this bad?
    ///
    /// No request carries such a principal, so the entry grants nothing: the
    /// author wrote `user/alice` for `acs:ram::<account>:user/alice`, a role
    /// name for its ARN, or a service's short name for its domain. Whoever
    /// was meant to be let in is not.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole",
    ///  "Principal": {"RAM": ["user/deployer"], "Service": ["ecs"]}}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "sts:AssumeRole",
    ///  "Principal": {"RAM": ["acs:ram::1234567890123456:user/deployer"],
    ///                "Service": ["ecs.aliyuncs.com"]}}
    /// ```
    PrincipalNeverMatches { code: "RC118", name: "principal-never-matches", severity: Warning }
}

use super::Context;
use crate::lint::Diagnostic;
use crate::policy::PrincipalEntry;

/// An account or user ID as policies write them: digits, possibly masked
/// with `*` or `x` in published examples, or a `*` pattern.
fn is_id(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'x')
}

fn ram_entry_can_match(v: &str) -> bool {
    v == "*" || is_id(v) || v.starts_with("acs:ram::") || v.starts_with("arn:sts::")
}

fn service_entry_can_match(v: &str) -> bool {
    v == "*" || v.contains('.') || v.contains('*')
}

fn federated_entry_can_match(v: &str) -> bool {
    v == "*"
        || (v.starts_with("acs:ram::")
            && (v.contains(":saml-provider/") || v.contains(":oidc-provider/") || v.ends_with('*')))
}

/// One kind of `Principal` entry: its key, which values can match, and the
/// fix to suggest.
type EntryKind<'a> = (
    &'a [PrincipalEntry],
    &'static str,
    fn(&str) -> bool,
    &'static str,
);

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !ctx.kind.has_principal() {
        return;
    }
    for s in ctx.statements() {
        let Some(principal) = &s.principal else {
            continue;
        };
        let groups: [EntryKind; 3] = [
            (
                &principal.ram,
                "RAM",
                ram_entry_can_match,
                "name a principal by its ARN (acs:ram::<account>:user/<name>, :role/<name>, :root) or its account ID",
            ),
            (
                &principal.service,
                "Service",
                service_entry_can_match,
                "name the service by its domain, e.g. ecs.aliyuncs.com",
            ),
            (
                &principal.federated,
                "Federated",
                federated_entry_can_match,
                "name the identity provider by its ARN, acs:ram::<account>:saml-provider/<name> or :oidc-provider/<name>",
            ),
        ];
        for (entries, key, can_match, help) in groups {
            for e in entries.iter().filter(|e| !can_match(&e.value)) {
                out.push(
                    Diagnostic::new(
                        &PrincipalNeverMatches::META,
                        e.span,
                        &format!("{}/Principal", s.pointer),
                        format!("the {key} principal `{}` names no caller", e.value),
                    )
                    .help(help),
                );
            }
        }
    }
}
