//! `ramcheck generate --service CODE --access LEVEL --resource ARN`: the
//! catalogue's actions of one access level on the given resources
//! (docs/generate.md, "Templates"), proven and lint-clean like every
//! generated policy.

mod common;

use common::{IMMTEST, ramcheck, scratch, status, stderr, stdout};

const BUCKET: &str = "acs:oss:cn-hangzhou:1234567890123456:examplebucket";
const OBJECT: &str = "acs:oss:cn-hangzhou:1234567890123456:examplebucket/reports/2025.csv";

fn granted(text: &str) -> Vec<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let mut out = Vec::new();
    for s in doc["Statement"].as_array().unwrap() {
        assert_eq!(s["Effect"], "Allow");
        for a in s["Action"].as_array().unwrap() {
            for r in s["Resource"].as_array().unwrap() {
                out.push((
                    a.as_str().unwrap().to_string(),
                    r.as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn read_on_a_project_is_the_get_actions_on_it() {
    let out = ramcheck(&[
        "generate",
        "--service",
        "imm",
        "--access",
        "read",
        "--resource",
        IMMTEST,
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let g = granted(&stdout(&out));
    assert!(g.contains(&("imm:GetProject".into(), IMMTEST.into())));
    assert!(
        g.iter()
            .all(|(a, r)| r == IMMTEST && a.starts_with("imm:Get")),
        "{g:?}"
    );
    assert!(
        !g.iter()
            .any(|(a, _)| a == "imm:UpdateProject" || a == "imm:ListProjects")
    );
    let err = stderr(&out);
    assert!(err.contains("template: 6 read actions of imm"), "{err}");
    assert!(err.contains("left out 10 read actions"), "{err}");
    assert!(err.contains("GetDataset"), "{err}");
    // Lint-clean, as the proof demands.
    let dir = scratch("template-read");
    let file = dir.join("read.json");
    std::fs::write(&file, stdout(&out)).unwrap();
    let lint = ramcheck(&["lint", file.to_str().unwrap(), "--fail-on", "warning"]);
    assert_eq!(status(&lint), 0, "{}", stdout(&lint));
}

#[test]
fn permissions_and_tagging_are_their_own_levels() {
    let run = |level: &str| {
        let out = ramcheck(&[
            "generate",
            "--service",
            "oss",
            "--access",
            level,
            "--resource",
            BUCKET,
            "--resource",
            OBJECT,
        ]);
        assert_eq!(status(&out), 0, "{level}: {}", stderr(&out));
        granted(&stdout(&out))
    };
    let permissions = run("permissions");
    assert!(permissions.contains(&("oss:PutBucketAcl".into(), BUCKET.into())));
    assert!(permissions.contains(&("oss:PutBucketPolicy".into(), BUCKET.into())));
    assert!(permissions.contains(&("oss:PutObjectAcl".into(), OBJECT.into())));
    // Never on the other resource type, never a read, never tags.
    assert!(!permissions.contains(&("oss:PutObjectAcl".into(), BUCKET.into())));
    assert!(!permissions.iter().any(|(a, _)| a.starts_with("oss:Get")));
    assert!(!permissions.iter().any(|(a, _)| a.contains("Tagging")));
    let tagging = run("tagging");
    assert!(tagging.contains(&("oss:PutBucketTagging".into(), BUCKET.into())));
    assert!(tagging.contains(&("oss:DeleteObjectTagging".into(), OBJECT.into())));
    assert!(!tagging.iter().any(|(a, _)| a == "oss:GetBucketTagging"));
    let write = run("write");
    assert!(write.contains(&("oss:PutObject".into(), OBJECT.into())));
    assert!(
        !write
            .iter()
            .any(|(a, _)| a == "oss:PutBucketAcl" || a == "oss:PutBucketTagging")
    );
}

#[test]
fn resources_are_checked_against_the_actions() {
    for (args, expected) in [
        (
            vec!["--service", "imm", "--access", "read", "--resource", BUCKET],
            "fits no read action of imm",
        ),
        (
            vec![
                "--service",
                "imm",
                "--access",
                "tagging",
                "--resource",
                IMMTEST,
            ],
            "imm has no action of access level tagging",
        ),
        (
            vec![
                "--service",
                "imx",
                "--access",
                "read",
                "--resource",
                IMMTEST,
            ],
            "did you mean `imm`",
        ),
        (
            vec!["--service", "imm", "--access", "read"],
            "needs --resource",
        ),
        (
            vec![
                "--service",
                "imm",
                "--access",
                "read",
                "--resource",
                "acs:imm:cn-hangzhou:1234567890123456:project/*",
            ],
            "fits no read action",
        ),
        (vec!["--resource", IMMTEST], "--resource needs --service"),
    ] {
        let mut all = vec!["generate"];
        all.extend(args);
        let out = ramcheck(&all);
        assert_eq!(status(&out), 2, "{all:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
        assert!(stderr(&out).contains(expected), "{all:?}: {}", stderr(&out));
    }
    // --access without --service is a usage error.
    let out = ramcheck(&["generate", "--access", "read"]);
    assert_eq!(status(&out), 2);
}

#[test]
fn list_actions_take_their_wildcard_arn_and_all_resources_take_star() {
    let out = ramcheck(&[
        "generate",
        "--service",
        "imm",
        "--access",
        "list",
        "--resource",
        "acs:imm:cn-hangzhou:1234567890123456:project/*",
        "--resource",
        "*",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let g = granted(&stdout(&out));
    assert!(g.contains(&(
        "imm:ListProjects".into(),
        "acs:imm:cn-hangzhou:1234567890123456:project/*".into()
    )));
    assert!(g.contains(&("imm:ListRegions".into(), "*".into())));
}
