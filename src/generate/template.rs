//! `generate --service CODE --access LEVEL --resource ARN…`: every
//! catalogued action of one access level on the given resources
//! (policy_sentry's CRUD mode, for RAM), as intents that then go through
//! the same synthesis and proof as any other input.
//!
//! The catalogue's levels (data/services/*.json, per action row) are the
//! services' own: list, get/read, create/update/delete/write, or none. The
//! levels asked for here are policy_sentry's: `list`, `read` (get, read),
//! `write` (create, update, delete, write, and the actions the page gives no
//! level, which are not read-only: docs/catalog.md), and two that no RAM
//! page states, so they are read from the action's name
//! (docs/generate.md, "Templates"):
//! - `permissions`: an action that is not a read (its verb is not Get,
//!   List, Describe, ...) and whose name is about access: `Policy`, `Acl`,
//!   `Permission(s)` — except a policy or ACL of another kind (snapshot,
//!   backup, rotation, password, stack, security group, network ACL);
//! - `tagging`: an action that is not a read and whose name is about tags
//!   (`Tag`, `Tags`, `Tagging`, `Untag`).
//!
//! Each action of `permissions` or `tagging` is in that level only, never
//! also in `write`, as in policy_sentry.

use std::fmt;

use crate::catalog::{AccessLevel, ActionInfo, Catalog};

use super::conditions::ConditionSet;
use super::intent::{Intent, fits_action as fits};

/// An access level of `--access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Enumerating resources.
    List,
    /// Reading one resource.
    Read,
    /// Changing resources (not their permissions or tags).
    Write,
    /// Changing who may access a resource.
    Permissions,
    /// Changing a resource's tags.
    Tagging,
}

impl Access {
    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::List => "list",
            Access::Read => "read",
            Access::Write => "write",
            Access::Permissions => "permissions",
            Access::Tagging => "tagging",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A template: the service's RAM code and the level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `--service`, a RAM code of the catalogue.
    pub service: String,
    /// `--access`.
    pub access: Access,
}

/// Why a template cannot be written (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `--service` is not a RAM code of the catalogue.
    #[error("--service {service:?} is not a RAM code of the catalogue{}", crate::suggest::hint(.suggestion.as_ref()))]
    UnknownService {
        /// As given.
        service: String,
        /// The closest code.
        suggestion: Option<String>,
    },
    /// No `--resource`.
    #[error(
        "--service {service} --access {access} needs --resource ARN (or --resource '*' for \
         actions on all resources)"
    )]
    NoResource {
        /// The RAM code.
        service: String,
        /// The level.
        access: Access,
    },
    /// The service has no action of the level.
    #[error("{service} has no action of access level {access}")]
    NoAction {
        /// The RAM code.
        service: String,
        /// The level.
        access: Access,
    },
    /// A resource no action of the level is authorised on.
    #[error(
        "--resource {resource:?} fits no {access} action of {service}: they are authorised on {forms}"
    )]
    ResourceFitsNone {
        /// As given.
        resource: String,
        /// The RAM code.
        service: String,
        /// The level.
        access: Access,
        /// The ARN forms of the level's actions.
        forms: String,
    },
}

/// Verbs that read: an action named so is never `permissions` or
/// `tagging`, whatever its name mentions.
const READ_VERBS: &[&str] = &[
    "Get", "List", "Describe", "Query", "Search", "Check", "Validate", "Generate", "Preview",
    "Head", "Estimate", "Is", "Show", "Download", "Read",
];

/// Words that, right before `Policy` or `Acl`, make it something else than
/// a permissions policy or ACL.
const OTHER_POLICIES: &[&str] = &[
    "Snapshot", "Backup", "Rotation", "Password", "Stack", "Group", "Network",
];

/// The words of a PascalCase name: `PutBucketAcl` → Put, Bucket, Acl.
fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = name.as_bytes();
    for i in 1..bytes.len() {
        let upper = bytes[i].is_ascii_uppercase();
        let prev_lower = !bytes[i - 1].is_ascii_uppercase();
        let next_lower = bytes.get(i + 1).is_some_and(|b| b.is_ascii_lowercase());
        // A capital after a small letter starts a word, and so does the
        // last capital of a run followed by a small letter (OSSBucket).
        if upper && (prev_lower || next_lower) {
            out.push(&name[start..i]);
            start = i;
        }
    }
    if start < name.len() {
        out.push(&name[start..]);
    }
    out
}

/// The `--access` level of a catalogued action.
pub fn access_of(info: &ActionInfo) -> Access {
    let w = words(&info.name);
    let reads = w.first().is_some_and(|v| READ_VERBS.contains(v));
    if !reads {
        let about_access = w.iter().enumerate().any(|(i, word)| {
            matches!(*word, "Policy" | "Acl" | "Permission" | "Permissions")
                && !(i > 0 && OTHER_POLICIES.contains(&w[i - 1]))
                && w.get(i + 1) != Some(&"Instance")
        });
        if about_access {
            return Access::Permissions;
        }
        if w.iter()
            .any(|word| matches!(*word, "Tag" | "Tags" | "Tagging" | "Untag"))
        {
            return Access::Tagging;
        }
    }
    match info.access_level {
        AccessLevel::List => Access::List,
        AccessLevel::Get | AccessLevel::Read => Access::Read,
        AccessLevel::Create
        | AccessLevel::Update
        | AccessLevel::Delete
        | AccessLevel::Write
        | AccessLevel::Unclassified => Access::Write,
    }
}

/// The intents of a template, with notes for stderr (what was left out
/// and why). Every resource must fit at least one action of the level.
pub fn intents(
    template: &Template,
    resources: &[String],
) -> Result<(Vec<Intent>, Vec<String>), TemplateError> {
    let catalog = Catalog::builtin();
    let Some(service) = catalog.service(template.service.trim()) else {
        return Err(TemplateError::UnknownService {
            service: template.service.clone(),
            suggestion: catalog
                .suggest_code(template.service.trim())
                .map(str::to_string),
        });
    };
    if resources.is_empty() {
        return Err(TemplateError::NoResource {
            service: service.ram_code.clone(),
            access: template.access,
        });
    }
    let actions: Vec<&ActionInfo> = service
        .actions
        .iter()
        .filter(|a| access_of(a) == template.access)
        .collect();
    if actions.is_empty() {
        return Err(TemplateError::NoAction {
            service: service.ram_code.clone(),
            access: template.access,
        });
    }
    let mut intents = Vec::new();
    let mut notes = Vec::new();
    for r in resources {
        let r = r.trim();
        if !actions.iter().any(|a| fits(a, r)) {
            let mut types: Vec<String> = actions
                .iter()
                .flat_map(|a| a.resources.iter().map(|t| t.arn_template.clone()))
                .collect();
            types.sort();
            types.dedup();
            return Err(TemplateError::ResourceFitsNone {
                resource: r.to_string(),
                service: service.ram_code.clone(),
                access: template.access,
                forms: types.join(", "),
            });
        }
    }
    let mut left_out = Vec::new();
    let mut unclassified = Vec::new();
    for a in &actions {
        let fitting: Vec<&String> = resources.iter().filter(|r| fits(a, r.trim())).collect();
        if fitting.is_empty() {
            left_out.push(a.name.as_str());
            continue;
        }
        if a.access_level == AccessLevel::Unclassified {
            unclassified.push(a.name.as_str());
        }
        for r in fitting {
            intents.push(Intent {
                action: a.action.clone(),
                resource: r.trim().to_string(),
                conditions: ConditionSet::new(),
                origin: format!(
                    "--service {} --access {}",
                    service.ram_code, template.access
                ),
            });
        }
    }
    notes.push(format!(
        "template: {} {} action{} of {} on the given resources",
        actions.len() - left_out.len(),
        template.access,
        if actions.len() - left_out.len() == 1 {
            ""
        } else {
            "s"
        },
        service.ram_code
    ));
    if !left_out.is_empty() {
        notes.push(format!(
            "template: left out {} {} action{} authorised on no given resource: {}",
            left_out.len(),
            template.access,
            if left_out.len() == 1 { "" } else { "s" },
            left_out.join(", ")
        ));
    }
    if !unclassified.is_empty() {
        notes.push(format!(
            "template: {} action{} the catalogue gives no access level counted as write \
             (not read-only): {}",
            unclassified.len(),
            if unclassified.len() == 1 { "" } else { "s" },
            unclassified.join(", ")
        ));
    }
    Ok((intents, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(action: &str) -> Access {
        access_of(Catalog::builtin().action(action).unwrap())
    }

    #[test]
    fn words_of_names() {
        assert_eq!(words("AttachOSSBucket"), ["Attach", "OSS", "Bucket"]);
        assert_eq!(words("PutBucketAcl"), ["Put", "Bucket", "Acl"]);
        assert_eq!(words("ListTagResources"), ["List", "Tag", "Resources"]);
    }

    #[test]
    fn levels() {
        assert_eq!(level("imm:ListProjects"), Access::List);
        assert_eq!(level("imm:GetProject"), Access::Read);
        assert_eq!(level("imm:UpdateProject"), Access::Write);
        assert_eq!(level("imm:DetectImageFaces"), Access::Write);
        assert_eq!(level("oss:PutBucketAcl"), Access::Permissions);
        assert_eq!(level("oss:GetBucketAcl"), Access::Read);
        assert_eq!(level("oss:PutBucketTagging"), Access::Tagging);
        assert_eq!(level("oss:GetBucketTagging"), Access::Read);
        assert_eq!(level("ram:AttachPolicyToUser"), Access::Permissions);
        assert_eq!(level("ram:SetPasswordPolicy"), Access::Write);
        assert_eq!(level("ecs:CreateAutoSnapshotPolicy"), Access::Write);
        assert_eq!(level("ecs:ModifySecurityGroupPolicy"), Access::Write);
        assert_eq!(level("vpc:CreateNetworkAcl"), Access::Write);
        assert_eq!(level("kms:TagResource"), Access::Tagging);
        assert_eq!(level("ecs:ListTagResources"), Access::Read);
    }

    /// Every action classified `permissions`, over the whole catalogue: a
    /// change to the rules or the data shows here.
    #[test]
    fn the_permissions_level_of_the_catalogue() {
        let mut found: Vec<String> = Catalog::builtin()
            .services()
            .flat_map(|s| s.actions.iter())
            .filter(|a| access_of(a) == Access::Permissions)
            .map(|a| a.action.clone())
            .collect();
        found.sort();
        for a in &found {
            let name = a.split_once(':').unwrap().1;
            assert!(
                ["Policy", "Acl", "Permission"]
                    .iter()
                    .any(|w| name.contains(w)),
                "{a}"
            );
        }
        for expected in [
            "oss:PutBucketPolicy",
            "oss:DeleteBucketPolicy",
            "oss:PutObjectAcl",
            "ram:CreatePolicyVersion",
            "ram:DetachPolicyFromRole",
            "resourcemanager:DetachControlPolicy",
            "ecs:ModifyImageSharePermission",
        ] {
            assert!(
                found.iter().any(|a| a == expected),
                "{expected} in {found:?}"
            );
        }
        for not in [
            "kms:UpdateRotationPolicy",
            "rds:ModifyBackupPolicy",
            "ros:SetStackPolicy",
            "cs:ModifyPolicyInstance",
        ] {
            assert!(!found.iter().any(|a| a == not), "{not}");
        }
    }

    #[test]
    fn templates_need_fitting_resources() {
        let t = Template {
            service: "imm".into(),
            access: Access::Read,
        };
        let project = "acs:imm:cn-hangzhou:1234567890123456:project/immtest".to_string();
        let (intents, notes) = intents(&t, std::slice::from_ref(&project)).unwrap();
        assert!(intents.iter().any(|i| i.action == "imm:GetProject"));
        assert!(intents.iter().all(|i| i.resource == project));
        assert!(notes.iter().any(|n| n.contains("left out")), "{notes:?}");
        let e = intents_err(&t, "acs:ecs:cn-hangzhou:1234567890123456:instance/i-1");
        assert!(e.contains("fits no read action of imm"), "{e}");
        assert!(
            super::intents(
                &Template {
                    service: "imx".into(),
                    access: Access::Read
                },
                &[project]
            )
            .unwrap_err()
            .to_string()
            .contains("did you mean")
        );
    }

    fn intents_err(t: &Template, r: &str) -> String {
        intents(t, &[r.to_string()]).unwrap_err().to_string()
    }
}
