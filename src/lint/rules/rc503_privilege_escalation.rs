//! RC503 `privilege-escalation`: see [`PrivilegeEscalation`].

rule! {
    /// ## What it does
    ///
    /// Reports an `Allow` without a `Condition`, on resource `*`, of an action
    /// that lets its holder gain more permissions: `ram:PassRole`, attaching
    /// policies (`ram:AttachPolicyToUser`, `...ToGroup`, `...ToRole`), rewriting
    /// policies (`ram:CreatePolicyVersion`, `ram:SetDefaultPolicyVersion`),
    /// creating credentials for others (`ram:CreateAccessKey`,
    /// `ram:CreateLoginProfile`, `ram:UpdateLoginProfile`), joining groups
    /// (`ram:AddUserToGroup`), changing trust (`ram:UpdateRole`) and assuming
    /// roles (`sts:AssumeRole`). Wildcards that include them (`ram:*`,
    /// `ram:Attach*`) count.
    ///
    /// ## Why is this bad?
    ///
    /// Each of these, on every resource, turns a limited principal into an
    /// administrator: attach `AdministratorAccess` to yourself, pass a powerful
    /// role to a service you control, create an access key for an admin. Scope the
    /// resource (the role or user ARN) or add a condition (`acs:Service` for
    /// `ram:PassRole`, as `AliyunIMMFullAccess` does).
    ///
    /// ## Example
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "*"}
    /// ```
    ///
    /// Use instead:
    ///
    /// ```json
    /// {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "*",
    ///  "Condition": {"StringEquals": {"acs:Service": "imm.aliyuncs.com"}}}
    /// ```
    ///
    /// Not applied to control and session policies, which only limit what other policies
    /// grant: `Allow` `*` on `*` is their usual default statement.
    PrivilegeEscalation { code: "RC503", name: "privilege-escalation", severity: SecurityWarning }
}

use super::rc501_allow_all::{allows_everything, on_every_resource};
use super::{Context, action_pointer};
use crate::lint::Diagnostic;
use crate::policy::Effect;

/// Actions that let their holder obtain more permissions.
pub const ESCALATION_ACTIONS: &[&str] = &[
    "ram:PassRole",
    "ram:AttachPolicyToUser",
    "ram:AttachPolicyToGroup",
    "ram:AttachPolicyToRole",
    "ram:CreatePolicyVersion",
    "ram:SetDefaultPolicyVersion",
    "ram:CreateAccessKey",
    "ram:CreateLoginProfile",
    "ram:UpdateLoginProfile",
    "ram:AddUserToGroup",
    "ram:UpdateRole",
    "sts:AssumeRole",
];

pub fn check(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.kind.only_limits() {
        return;
    }
    for s in ctx.statements() {
        if s.effect != Effect::Allow
            || s.action.negated
            || s.condition.is_some()
            || !on_every_resource(s, false)
            || allows_everything(s)
        {
            continue;
        }
        let granted: Vec<&str> = ESCALATION_ACTIONS
            .iter()
            .copied()
            .filter(|a| s.action.patterns.iter().any(|p| p.wildcard.matches(a)))
            .collect();
        let Some((i, p)) = s
            .action
            .patterns
            .iter()
            .enumerate()
            .find(|(_, p)| granted.iter().any(|a| p.wildcard.matches(a)))
        else {
            continue;
        };
        out.push(
            Diagnostic::new(
                &PrivilegeEscalation::META,
                p.span,
                &action_pointer(s, i),
                format!(
                    "`{}` allows privilege escalation on every resource without a condition: {}",
                    p.wildcard,
                    granted.join(", ")
                ),
            )
            .help("name the roles or users in `Resource`, or add a `Condition`"),
        );
    }
}
