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
use crate::suggest::did_you_mean;

/// RAM codes of Alibaba Cloud services commonly named in policies, besides
/// those of the catalogue. Lower case; RAM compares actions
/// case-insensitively.
pub const KNOWN_SERVICES: &[&str] = &[
    "actiontrail",
    "adb",
    "alb",
    "alidns",
    "alikafka",
    "apigateway",
    "arms",
    "bss",
    "bssapi",
    "cas",
    "cdn",
    "cen",
    "cloudfw",
    "cms",
    "cr",
    "cs",
    "dcdn",
    "dds",
    "dm",
    "dms",
    "drds",
    "dts",
    "eci",
    "ecs",
    "edas",
    "ehpc",
    "elasticsearch",
    "emr",
    "ess",
    "fc",
    "ga",
    "gpdb",
    "hbase",
    "hbr",
    "hitsdb",
    "ims",
    "imm",
    "iot",
    "kms",
    "kvstore",
    "live",
    "log",
    "mns",
    "mse",
    "nas",
    "nlb",
    "odps",
    "oos",
    "ons",
    "oss",
    "ots",
    "polardb",
    "pvtz",
    "ram",
    "rds",
    "resourcemanager",
    "ros",
    "sas",
    "slb",
    "sts",
    "swas",
    "tag",
    "vod",
    "vpc",
    "waf",
    "yundun",
];

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for s in ctx.statements() {
        for (i, p) in s.action.patterns.iter().enumerate() {
            let Some(service) = action_service(p.wildcard.as_str()) else {
                continue;
            };
            let lower = service.to_ascii_lowercase();
            if service.contains(['*', '?'])
                || ctx.catalog.service(service).is_some()
                || KNOWN_SERVICES.contains(&lower.as_str())
            {
                continue;
            }
            let candidates = ctx
                .catalog
                .services
                .iter()
                .map(|s| s.ram_code.as_str())
                .chain(KNOWN_SERVICES.iter().copied());
            let mut d = Diagnostic::new(
                &UnknownService::META,
                p.span,
                &action_pointer(s, i),
                format!("unknown service `{service}` in action `{}`", p.wildcard),
            );
            if let Some(suggestion) = did_you_mean(service, candidates) {
                d = d.help(crate::suggest::question(suggestion));
            }
            out.push(d);
        }
    }
}
