//! RC505 `public-access`: see [`PublicAccess`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Allow` in a resource-based or trust policy whose `Principal`
    /// is everyone (`"*"`, or in an OSS bucket policy an empty list `[]`), unless
    /// a condition narrows the callers (source IP or VPC, the calling service, a
    /// principal ARN, account or AccessKey). Whatever its `Resource` says.
    ///
    /// ## Why is this bad?
    ///
    /// Anyone with an Alibaba Cloud account, or in an OSS bucket policy anyone
    /// at all, can use the grant: a public bucket, or a role any account may
    /// assume. `acs:Referer` and `acs:UserAgent` do not narrow it; clients set
    /// them.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"],
    ///  "Resource": ["acs:oss:*:*:photos/*"]}
    /// ```
    ///
    /// Use instead: name the accounts or roles, or add a condition on
    /// `acs:SourceVpc` or `acs:SourceIp`.
    PublicAccess { code: "RC505", name: "public-access", severity: SecurityWarning }
}

use super::{CALLER_KEYS, Context, conditioned_on};
use crate::lint::Diagnostic;
use crate::policy::{Effect, PolicyKind};

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !ctx.kind.has_principal() {
        return;
    }
    for s in ctx.statements() {
        if s.effect != Effect::Allow || conditioned_on(s, CALLER_KEYS) {
            continue;
        }
        let Some(principal) = &s.principal else {
            continue;
        };
        let Some(everyone) = principal.ram.iter().find(|e| e.value == "*") else {
            continue;
        };
        // An OSS bucket policy's `[]` was read as `*`.
        let written = ctx
            .text
            .get(everyone.span.start.offset..everyone.span.end.offset)
            .unwrap_or_default();
        let how = if written.starts_with('[') {
            "an empty `Principal` list, which means everyone"
        } else {
            "`Principal` `*`"
        };
        let whom = match ctx.kind {
            PolicyKind::Trust => "any principal of any account may assume this role",
            _ => "anyone may use this grant",
        };
        out.push(
            Diagnostic::new(
                &PublicAccess::META,
                everyone.span,
                &format!("{}/Principal", s.pointer),
                format!("public access: {how}, and no condition narrows the caller: {whom}"),
            )
            .help(
                "name the accounts or roles in `Principal`, or add a condition on \
                 acs:SourceVpc or acs:SourceIp",
            ),
        );
    }
}
