//! The catalogue against the tools that read it: every catalogued action,
//! on an ARN of each of its resource types filled in, is allowed by a
//! policy that grants exactly that, with no typo warning from `can-i` and
//! no finding from lint; and docs/catalog.md lists every service file.

use ramcheck::arn::Template;
use ramcheck::can_i::{self, Query};
use ramcheck::catalog::{ActionInfo, Catalog};
use ramcheck::lint::{Severity, lint_text};
use ramcheck::policy::PolicyKind;
use std::path::Path;

const ACCOUNT: &str = "1234567890123456";

/// A value for every placeholder: the region and account, or a name built
/// from the placeholder's (a path gets two segments).
fn value(name: &str) -> String {
    match name {
        "regionId" => "cn-hangzhou".to_string(),
        "accountId" | "AccountId" => ACCOUNT.to_string(),
        _ => format!("example-{}", name.to_ascii_lowercase()),
    }
}

/// The ARN of one resource type, filled in: the policy's resource, and a
/// concrete ARN of it for the request (a `*` the template keeps, such as
/// OSS's service-level `acs:oss:*:<account>:*`, stands for any value).
/// `path` is the value of an `ObjectPath`.
fn filled(template: &Template, path: &str) -> (String, String) {
    let values: Vec<(String, String)> = template
        .placeholders()
        .map(|p| {
            let v = if p == "ObjectPath" {
                path.to_string()
            } else {
                value(p)
            };
            (p.to_string(), v)
        })
        .collect();
    let policy = template
        .fill(|name| {
            values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", template.as_str()));
    let request = if policy == "*" {
        "*".to_string()
    } else {
        policy.replace('*', "any")
    };
    (policy, request)
}

fn scratch_policy(action: &ActionInfo, resource: &str) -> (tempfile_path::Path, String) {
    let text = format!(
        "{{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {{\"Effect\": \"Allow\", \"Action\": \"{}\", \"Resource\": \"{resource}\"}}\n  ]\n}}\n",
        action.action
    );
    (tempfile_path::write(&text), text)
}

/// A file under the target directory, removed when dropped.
mod tempfile_path {
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct Path(pub std::path::PathBuf);

    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    pub fn write(text: &str) -> Path {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!(
            "catalog-{}-{}.json",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).unwrap();
        Path(path)
    }
}

#[test]
fn every_action_on_each_of_its_resource_types_is_allowed_cleanly() {
    let catalog = Catalog::builtin();
    let mut checked = 0;
    let mut failures = Vec::new();
    for service in catalog.services() {
        for action in &service.actions {
            // Assuming a role is decided by its trust policy too.
            if action.action == "sts:AssumeRole" {
                continue;
            }
            for r in &action.resources {
                let (policy_arn, request_arn) = filled(r.template(), "photos/2026/cat.jpg");
                let (file, text) = scratch_policy(action, &policy_arn);
                let query = Query {
                    action: action.action.clone(),
                    resource: request_arn.clone(),
                    policies: vec![file.0.clone()],
                    ..Query::default()
                };
                match can_i::answer(&query) {
                    Ok(answer) if !answer.allowed() => failures.push(format!(
                        "{} on {request_arn}: {:?}",
                        action.action, answer.response.decision
                    )),
                    Ok(answer) if !answer.warnings.is_empty() => failures.push(format!(
                        "{} on {request_arn}: {:?}",
                        action.action, answer.warnings
                    )),
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{} on {request_arn}: {e}", action.action)),
                }
                let findings: Vec<_> = lint_text(&text, PolicyKind::Identity)
                    .into_iter()
                    // Granting a privilege-escalation action is what RC503 is for.
                    .filter(|f| f.rule.severity != Severity::Info && f.rule.code != "RC503")
                    .map(|f| format!("{} {}", f.rule.code, f.message))
                    .collect();
                if !findings.is_empty() {
                    failures.push(format!("{} on {policy_arn}: {findings:?}", action.action));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000, "{checked}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn path_placeholders_take_several_segments() {
    let oss = Catalog::builtin().service("oss").unwrap();
    let object = oss.resource_type("object").unwrap();
    let (arn, _) = filled(object.template(), "example-objectpath/part");
    assert_eq!(
        arn,
        format!("acs:oss:cn-hangzhou:{ACCOUNT}:example-bucketname/example-objectpath/part")
    );
    assert!(object.matches_arn(&arn));
    // A bucket is one segment.
    assert!(!oss.resource_type("bucket").unwrap().matches_arn(&arn));
}

#[test]
fn the_coverage_table_lists_every_service() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/catalog.md"))
            .unwrap();
    let catalog = Catalog::builtin();
    for s in catalog.services() {
        let stated = s.actions.iter().filter(|a| a.confirmed).count();
        let row = format!(
            "| `{}` | {} | {} ({stated}) |",
            s.ram_code,
            s.product,
            s.actions.len()
        );
        assert!(page.contains(&row), "docs/catalog.md lacks the row {row}");
    }
    assert!(page.contains(&format!(
        "{} RAM codes are in the index",
        catalog.codes().len()
    )));
}
