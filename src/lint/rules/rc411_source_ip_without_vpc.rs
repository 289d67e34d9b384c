//! RC411 `source-ip-without-vpc`: see [`SourceIpWithoutVpc`].

rule! {
    /// ## What it does
    ///
    /// Reports a statement of an OSS bucket policy that tests `acs:SourceIp`
    /// without also testing `acs:SourceVpc`.
    ///
    /// ## Why is this bad?
    ///
    /// OSS refuses to create a bucket policy that restricts `acs:SourceIp`
    /// without `acs:SourceVpc` (docs/lint.md has the source): requests from a
    /// VPC carry private addresses, so an IP condition alone does not say which
    /// network it means. An existing policy of this shape cannot be saved again
    /// as it is.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Principal": ["1234567890123456"], "Action": "oss:GetObject",
    ///  "Resource": "acs:oss:*:*:photos/*",
    ///  "Condition": {"IpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}
    /// ```
    ///
    /// Use instead: add `"StringEquals": {"acs:SourceVpc": "vpc-..."}` (or
    /// `StringNotLike` `"vpc-*"` for requests from the Internet).
    SourceIpWithoutVpc { code: "RC411", name: "source-ip-without-vpc", severity: Warning }
}

use super::{Context, conditioned_on};
use crate::lint::Diagnostic;
use crate::policy::{PolicyKind, Statement};

/// Whether a statement is about OSS: an `oss:` action or an `acs:oss:`
/// resource.
fn is_oss(s: &Statement) -> bool {
    s.action.patterns.iter().any(|p| {
        p.wildcard
            .as_str()
            .get(..4)
            .is_some_and(|h| h.eq_ignore_ascii_case("oss:"))
    }) || s.resource.as_ref().is_some_and(|r| {
        r.patterns
            .iter()
            .any(|p| p.wildcard.as_str().starts_with("acs:oss:"))
    })
}

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.kind != PolicyKind::Resource {
        return;
    }
    for s in ctx.statements() {
        if !is_oss(s)
            || !conditioned_on(s, &["acs:SourceIp"])
            || conditioned_on(s, &["acs:SourceVpc"])
        {
            continue;
        }
        let Some(condition) = &s.condition else {
            continue;
        };
        let Some(entry) = condition
            .clauses
            .iter()
            .flat_map(|c| &c.entries)
            .find(|e| e.key.eq_ignore_ascii_case("acs:SourceIp"))
        else {
            continue;
        };
        out.push(
            Diagnostic::new(
                &SourceIpWithoutVpc::META,
                entry.key_span,
                &entry.pointer,
                "an OSS bucket policy that tests acs:SourceIp must also test acs:SourceVpc",
            )
            .help(
                "add a condition on acs:SourceVpc (StringNotLike \"vpc-*\" for Internet requests)",
            ),
        );
    }
}
