//! `ramcheck generate` as a command: exit statuses, stdout/stderr, files,
//! and the end-to-end path of docs/generate.md (events → policy → can-i).
//!
//! Exit status 3 (the generated policy failed its own check) is only
//! reachable through a bug, and the binary has no test hook to fake one:
//! tests/generate_exit3.rs pins the one real input found to reach it (now
//! fixed); the library test `a_wrong_policy_fails_the_proof`
//! (tests/generate.rs) covers the check that leads to it.

mod common;

use common::{IMMTEST, ramcheck, scratch};

#[test]
fn a_policy_on_stdout_with_exit_0() {
    let out = ramcheck(&[
        "generate",
        "--request",
        &format!("imm:AttachOSSBucket {IMMTEST}"),
        "--request",
        &format!("imm:GetProject {IMMTEST}"),
        "--explain",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["Version"], "1");
    assert_eq!(
        doc["Statement"][0]["Action"],
        serde_json::json!(["imm:AttachOSSBucket", "imm:GetProject"])
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("covers imm:AttachOSSBucket"), "{stderr}");
    assert!(stderr.contains("<- --request 1"), "{stderr}");
}

#[test]
fn bad_input_is_exit_2() {
    for args in [
        vec!["generate"],
        vec![
            "generate",
            "--request",
            "imm:AttachOSSBuckets acs:imm:cn-hangzhou:1234567890123456:project/immtest",
        ],
        vec!["generate", "--request", "imm:AttachOSSBucket *"],
        vec!["generate", "--request", "imm:AttachOSSBucket"],
        vec![
            "generate",
            "--from",
            "tests/fixtures/actiontrail/does-not-exist.json",
        ],
        vec![
            "generate",
            "--from",
            "tests/fixtures/actiontrail/events.json",
            "--principal",
            "alice",
        ],
        vec![
            "generate",
            "--from",
            "tests/fixtures/actiontrail/events.json",
            "--until",
            "soon",
        ],
        vec![
            "generate",
            "--from",
            "tests/fixtures/actiontrail/events.json",
            "--require",
            "acs:SourceIP4=1.2.3.4",
        ],
        vec![
            "generate",
            "--from",
            "tests/fixtures/actiontrail/events.json",
            "--collapse",
            "everything",
        ],
    ] {
        let out = ramcheck(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = ramcheck(&[
        "generate",
        "--request",
        &format!("imm:AttachOSSBuckets {IMMTEST}"),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("did you mean `imm:AttachOSSBucket`"),
        "{stderr}"
    );
}

/// docs/generate.md: events → policy → can-i says yes and no.
#[test]
fn end_to_end_events_to_can_i() {
    let dir = scratch("e2e");
    let policy = dir.join("alice.json");
    let out = ramcheck(&[
        "generate",
        "--from",
        "tests/fixtures/actiontrail/events.json",
        "--principal",
        "user/alice",
        "--name",
        "alice-imm",
        "--output",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("6 mapped"), "{stderr}");
    assert!(stderr.contains("wrote"), "{stderr}");
    let can_i = |action: &str, resource: &str| {
        ramcheck(&[
            "can-i",
            action,
            resource,
            "--policy",
            policy.to_str().unwrap(),
        ])
        .status
        .code()
    };
    assert_eq!(can_i("imm:AttachOSSBucket", IMMTEST), Some(0));
    assert_eq!(can_i("imm:ListRegions", "*"), Some(0));
    assert_eq!(can_i("imm:DeleteProject", IMMTEST), Some(1));
    assert_eq!(
        can_i(
            "imm:AttachOSSBucket",
            "acs:imm:cn-hangzhou:1234567890123456:project/media-news"
        ),
        Some(1)
    );
    // The linter agrees.
    let lint = ramcheck(&["lint", policy.to_str().unwrap(), "--fail-on", "warning"]);
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_policies_go_to_numbered_files() {
    let dir = scratch("split");
    let intents = dir.join("intents.jsonl");
    let mut text = String::new();
    for i in 0..150 {
        text.push_str(&format!(
            "{{\"action\": \"imm:GetProject\", \"resource\": \"acs:imm:cn-hangzhou:1234567890123456:project/p-{i:03}\"}}\n"
        ));
    }
    std::fs::write(&intents, text).unwrap();
    let output = dir.join("big.json");
    let out = ramcheck(&[
        "generate",
        "--from",
        intents.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("split into"), "{stderr}");
    let first = dir.join("big-1.json");
    let second = dir.join("big-2.json");
    assert!(first.exists() && second.exists(), "{stderr}");
    assert!(!output.exists());
    for f in [&first, &second] {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.chars().count() <= 6144);
    }
    let can_i = |project: &str| {
        ramcheck(&[
            "can-i",
            "imm:GetProject",
            &format!("acs:imm:cn-hangzhou:1234567890123456:project/{project}"),
            "--policy",
            first.to_str().unwrap(),
            "--policy",
            second.to_str().unwrap(),
        ])
        .status
        .code()
    };
    assert_eq!(can_i("p-000"), Some(0));
    assert_eq!(can_i("p-149"), Some(0));
    assert_eq!(can_i("p-150"), Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}
