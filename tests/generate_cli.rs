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
    assert!(stderr.contains("7 mapped"), "{stderr}");
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
    // The OSS event, mapped through the catalogue.
    let bucket = "acs:oss:cn-hangzhou:1234567890123456:examplebucket";
    assert_eq!(can_i("oss:PutBucket", bucket), Some(0));
    assert_eq!(can_i("oss:DeleteBucket", bucket), Some(1));
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

/// ActionTrail's OSS delivery: gzip files, read as they are; a damaged
/// one is bad input naming the file and the line reached.
#[test]
fn gzip_files_are_read_directly() {
    use std::io::Write as _;
    let dir = scratch("gzip");
    let plain = std::fs::read("tests/fixtures/actiontrail/events.jsonl").unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&plain).unwrap();
    let gz = encoder.finish().unwrap();
    let file = dir.join("events.jsonl.gz");
    std::fs::write(&file, &gz).unwrap();
    let run = |path: &str| ramcheck(&["generate", "--from", path, "--principal", "user/alice"]);
    let zipped = run(file.to_str().unwrap());
    let unzipped = run("tests/fixtures/actiontrail/events.jsonl");
    assert_eq!(
        zipped.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&zipped.stderr)
    );
    assert_eq!(zipped.stdout, unzipped.stdout);
    // Cut in the middle: exit 2, with the file and the line.
    let broken = dir.join("broken.json.gz");
    std::fs::write(&broken, &gz[..gz.len() / 2]).unwrap();
    let out = run(broken.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("broken.json.gz:"), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    // Not gzip after the magic bytes at all.
    let garbage = dir.join("garbage.gz");
    std::fs::write(&garbage, [0x1f, 0x8b, 0xff, 0x00, 0x12]).unwrap();
    let out = run(garbage.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--quiet` leaves stderr empty on success; without a terminal there is
/// no progress line either way.
#[test]
fn quiet_means_nothing_on_stderr() {
    let out = ramcheck(&[
        "generate",
        "--from",
        "tests/fixtures/actiontrail/events.jsonl",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loud = ramcheck(&[
        "generate",
        "--from",
        "tests/fixtures/actiontrail/events.jsonl",
    ]);
    assert_eq!(loud.stdout, out.stdout);
    let stderr = String::from_utf8(loud.stderr).unwrap();
    assert!(stderr.contains("events read"), "{stderr}");
    assert!(!stderr.contains("records/s"), "{stderr}");
}

/// A line that is not UTF-8, or not JSON, is bad input naming its line.
#[test]
fn bad_lines_name_their_line() {
    let dir = scratch("badlines");
    let good = std::fs::read("tests/fixtures/actiontrail/events.jsonl").unwrap();
    let mut bytes = good.clone();
    bytes.extend_from_slice(b"{\"eventName\": \"\xff\"}\n");
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let lines = good.iter().filter(|&&b| b == b'\n').count();
    let out = ramcheck(&["generate", "--from", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("bad.jsonl:{}: not UTF-8", lines + 1)),
        "{stderr}"
    );
    let mut bytes = good;
    bytes.extend_from_slice("{\"eventName\": \"Gét\", \n".as_bytes());
    std::fs::write(&file, &bytes).unwrap();
    let out = ramcheck(&["generate", "--from", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("bad.jsonl:{}: not JSON", lines + 1)),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
