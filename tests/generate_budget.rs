//! The size budget of `ramcheck generate` (docs/generate.md, "Size
//! budget"): `--max-policies N`, RAM's own limit, and `--collapse
//! resources` on a log of one user over many projects and buckets. Each
//! broadening is reported with requests it adds, and the result still
//! allows every input.

mod common;

use common::{ramcheck, scratch, status, stderr, stdout};

const ACCOUNT: &str = "1234567890123456";

/// ActionTrail events (JSON lines) of the RAM user alice over `projects`
/// IMM projects: three calls each, rotating over six APIs, and a dataset
/// per project for the dataset APIs.
fn imm_events(projects: usize) -> String {
    let apis = [
        "GetProject",
        "UpdateProject",
        "ListDatasets",
        "GetDataset",
        "AttachOSSBucket",
        "ListBindings",
    ];
    let mut out = String::new();
    for p in 0..projects {
        for k in 0..3 {
            let api = apis[(p + k * 2) % apis.len()];
            let mut params = format!("\"ProjectName\": \"proj-{p:03}\"");
            if matches!(api, "GetDataset" | "ListBindings") {
                params.push_str(&format!(", \"DatasetName\": \"ds-{}\"", p % 5));
            }
            if api == "AttachOSSBucket" {
                params.push_str(&format!(", \"OSSBucket\": \"bucket-{:02}\"", p % 40));
            }
            out.push_str(&format!(
                "{{\"eventName\": \"{api}\", \"serviceName\": \"imm\", \"acsRegion\": \
                 \"cn-hangzhou\", \"eventTime\": \"2025-03-01T00:00:00Z\", \"userIdentity\": \
                 {{\"type\": \"ram-user\", \"userName\": \"alice\", \"accountId\": \
                 \"{ACCOUNT}\"}}, \"requestParameters\": {{{params}}}, \"errorCode\": \"\"}}\n"
            ));
        }
    }
    out
}

/// ActionTrail events of alice over `buckets` OSS buckets: the bucket's
/// info, one object read under `in/` and one written under `out/`.
fn oss_events(buckets: usize) -> String {
    let mut out = String::new();
    for b in 0..buckets {
        for (api, object) in [
            ("GetBucketInfo", None),
            ("GetObject", Some(format!("in/img-{b}.jpg"))),
            ("PutObject", Some(format!("out/img-{b}.jpg"))),
        ] {
            let object = object
                .map(|o| format!(", \"objectName\": \"{o}\""))
                .unwrap_or_default();
            out.push_str(&format!(
                "{{\"eventName\": \"{api}\", \"serviceName\": \"Oss\", \"acsRegion\": \
                 \"cn-hangzhou\", \"eventTime\": \"2025-03-01T00:00:00Z\", \"userIdentity\": \
                 {{\"type\": \"ram-user\", \"userName\": \"alice\", \"accountId\": \
                 \"{ACCOUNT}\"}}, \"requestParameters\": {{\"bucketName\": \"bucket-{b:02}\"{object}}}, \
                 \"errorCode\": \"\"}}\n"
            ));
        }
    }
    out
}

fn documents(text: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .map(|d| d.unwrap())
        .collect()
}

fn allowed(policy: &std::path::Path, action: &str, resource: &str) -> bool {
    let out = ramcheck(&[
        "can-i",
        action,
        resource,
        "--policy",
        policy.to_str().unwrap(),
    ]);
    status(&out) == 0
}

#[test]
fn max_policies_broadens_resources_and_reports_what_it_adds() {
    let dir = scratch("budget-max");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, imm_events(40)).unwrap();
    let exact = ramcheck(&["generate", "--from", events.to_str().unwrap()]);
    assert_eq!(status(&exact), 0, "{}", stderr(&exact));
    assert!(
        documents(&stdout(&exact)).len() > 1,
        "the exact result must not fit one"
    );
    let out = ramcheck(&[
        "generate",
        "--from",
        events.to_str().unwrap(),
        "--max-policies",
        "1",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let docs = documents(&stdout(&out));
    assert_eq!(docs.len(), 1);
    let err = stderr(&out);
    assert!(err.contains("over --max-policies 1"), "{err}");
    let steps: Vec<&str> = err.lines().filter(|l| l.contains("replaces")).collect();
    assert!(!steps.is_empty(), "{err}");
    for step in &steps {
        assert!(step.contains("e.g. it adds"), "{step}");
    }
    assert!(err.contains("budget: 1 policy after"), "{err}");
    // Resources first: no action was widened.
    let text = stdout(&out);
    assert!(
        !text.contains("imm:Get*") && !text.contains("imm:Update*"),
        "{text}"
    );
    // Every input is still allowed; another account's project is not.
    let policy = dir.join("policy.json");
    std::fs::write(&policy, &text).unwrap();
    for (action, resource) in [
        (
            "imm:GetProject",
            format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/proj-000"),
        ),
        (
            "imm:UpdateProject",
            format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/proj-039"),
        ),
        (
            "imm:GetDataset",
            format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/proj-003/dataset/ds-3"),
        ),
    ] {
        assert!(allowed(&policy, action, &resource), "{action} {resource}");
    }
    assert!(!allowed(
        &policy,
        "imm:GetProject",
        "acs:imm:cn-hangzhou:1000000000000001:project/proj-000"
    ));
    assert!(!allowed(
        &policy,
        "imm:DeleteProject",
        &format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/proj-000")
    ));
}

/// The case: one user over 200 IMM projects and 40 OSS buckets,
/// as ActionTrail events; `--collapse resources` gives one document.
#[test]
fn collapse_resources_gives_one_document_for_many_projects_and_buckets() {
    let dir = scratch("budget-collapse");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, imm_events(200) + &oss_events(40)).unwrap();
    let exact = ramcheck(&["generate", "--from", events.to_str().unwrap()]);
    assert_eq!(status(&exact), 0, "{}", stderr(&exact));
    assert!(documents(&stdout(&exact)).len() > 1);
    let out = ramcheck(&[
        "generate",
        "--from",
        events.to_str().unwrap(),
        "--principal",
        "user/alice",
        "--collapse",
        "resources",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("720 events read: 720 mapped"),
        "{}",
        stderr(&out)
    );
    let docs = documents(&stdout(&out));
    assert_eq!(docs.len(), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("acs:oss:cn-hangzhou:{ACCOUNT}:bucket-*")),
        "{text}"
    );
    let policy = dir.join("policy.json");
    std::fs::write(&policy, &text).unwrap();
    for (action, resource) in [
        (
            "oss:GetObject",
            format!("acs:oss:cn-hangzhou:{ACCOUNT}:bucket-07/in/img-7.jpg"),
        ),
        (
            "oss:PutObject",
            format!("acs:oss:cn-hangzhou:{ACCOUNT}:bucket-39/out/img-39.jpg"),
        ),
        (
            "imm:GetProject",
            format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/proj-199"),
        ),
    ] {
        assert!(allowed(&policy, action, &resource), "{action} {resource}");
    }
    assert!(!allowed(
        &policy,
        "oss:DeleteObject",
        &format!("acs:oss:cn-hangzhou:{ACCOUNT}:bucket-07/in/img-7.jpg")
    ));
    assert!(!allowed(
        &policy,
        "oss:GetObject",
        "acs:oss:cn-hangzhou:1000000000000001:bucket-07/in/img-7.jpg"
    ));
}

#[test]
fn a_budget_of_zero_is_refused() {
    let out = ramcheck(&[
        "generate",
        "--request",
        &format!("imm:GetProject acs:imm:cn-hangzhou:{ACCOUNT}:project/a"),
        "--max-policies",
        "0",
    ]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("at least 1"));
}

/// Without --max-policies, RAM's own limit applies once exceeded: 10
/// custom policies per user, group or role.
#[test]
fn rams_policy_count_limit_applies_without_the_flag() {
    let dir = scratch("budget-ram-limit");
    let intents = dir.join("intents.jsonl");
    let lines: Vec<String> = (0..1100)
        .map(|i| {
            format!(
                "{{\"action\": \"imm:GetProject\", \"resource\": \"acs:imm:cn-hangzhou:{ACCOUNT}:project/team-{i:04}\"}}"
            )
        })
        .collect();
    std::fs::write(&intents, lines.join("\n")).unwrap();
    let out = ramcheck(&["generate", "--from", intents.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the exact statements need 13 policies, over RAM's limit of 10"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "acs:imm:cn-hangzhou:{ACCOUNT}:project/team-* replaces"
        )),
        "{err}"
    );
    assert_eq!(documents(&stdout(&out)).len(), 1);
    // With a budget the exact result meets, nothing is broadened.
    let out = ramcheck(&[
        "generate",
        "--from",
        intents.to_str().unwrap(),
        "--max-policies",
        "13",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("budget:"));
    assert_eq!(documents(&stdout(&out)).len(), 13);
}
