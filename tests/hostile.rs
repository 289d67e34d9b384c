//! One test per finding of the adversarial pass (SECURITY.md, "How it is
//! tested"): inputs written by an attacker — policy files, stores, requests,
//! HTTP clients — must never make ramcheck allow more than the policies
//! say, panic, hang, or eat memory. The bounds on work are pinned by step
//! counts in the unit tests (src/wildcard.rs, src/lint/patterns.rs); the
//! tests here run the hostile inputs end to end.

#![allow(clippy::result_large_err)]

mod common;
#[path = "common/gateway.rs"]
mod gateway_harness;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ACCOUNT, copy_store, ramcheck, scratch, status, stderr, stdout};
use gateway_harness::gateway::Gateway;
use gateway_harness::{Server, http, http_body, wait_for};
use ramcheck::authorizer::SharedAuthorizer;
use ramcheck::http::Limits;

const POLICY: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}]}"#;
const PROJECT: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

fn can_i_deployer(store: &Path, action: &str) -> Output {
    ramcheck(&[
        "can-i",
        action,
        PROJECT,
        "--as",
        "role/imm-deployer",
        "--store",
        store.to_str().unwrap(),
    ])
}

/// Finding 1: a custom policy that narrows a system policy's name, once
/// broken (a dangling link, a directory, deleted between listing and
/// reading), never falls back to the broader system policy.
#[test]
fn a_broken_custom_policy_never_falls_back_to_the_system_policy() {
    let dir = scratch("fallback");
    copy_store(&dir);
    let principals = fs::read_to_string(dir.join("principals.json"))
        .unwrap()
        .replace(
            r#""Policies": ["AliyunIMMFullAccess"]"#,
            r#""Policies": [{"PolicyName": "AliyunIMMFullAccess", "PolicyType": "Custom"}]"#,
        );
    fs::write(dir.join("principals.json"), &principals).unwrap();
    let custom = dir.join("AliyunIMMFullAccess.json");
    fs::write(&custom, POLICY).unwrap();
    assert_eq!(status(&can_i_deployer(&dir, "imm:GetProject")), 0);
    assert_eq!(status(&can_i_deployer(&dir, "imm:DeleteProject")), 1);
    let shared = SharedAuthorizer::from_store(&dir).unwrap();
    let revision = shared.current().revision().to_string();

    // A dangling link, a directory, nothing at all: each is an error.
    fs::remove_file(&custom).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("gone.json"), &custom).unwrap();
        let out = can_i_deployer(&dir, "imm:DeleteProject");
        assert_eq!(status(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("cannot be read"), "{}", stderr(&out));
        fs::remove_file(&custom).unwrap();
    }
    fs::create_dir(&custom).unwrap();
    let out = can_i_deployer(&dir, "imm:DeleteProject");
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    fs::remove_dir(&custom).unwrap();
    let out = can_i_deployer(&dir, "imm:DeleteProject");
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown custom policy"),
        "{}",
        stderr(&out)
    );

    // A hot reload fails and the narrow store keeps serving.
    assert!(shared.reload(&dir).is_err());
    assert_eq!(shared.current().revision(), revision);

    // A bare name that is both a system policy and a file must say which.
    fs::write(&custom, POLICY).unwrap();
    fs::write(
        dir.join("principals.json"),
        principals.replace(
            r#"{"PolicyName": "AliyunIMMFullAccess", "PolicyType": "Custom"}"#,
            r#""AliyunIMMFullAccess""#,
        ),
    )
    .unwrap();
    let out = can_i_deployer(&dir, "imm:DeleteProject");
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("both a system policy and a file"));
}

/// Finding 2: IPv4-mapped IPv6 spellings of an address are that address,
/// for the CLI and the compiled authorizer alike.
#[test]
fn ipv4_mapped_addresses_do_not_escape_an_ipv4_deny() {
    let dir = scratch("mapped");
    let policy = dir.join("p.json");
    fs::write(
        &policy,
        r#"{"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "imm:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "imm:*", "Resource": "*",
             "Condition": {"IpAddress": {"acs:SourceIp": "203.0.113.0/24"}}}]}"#,
    )
    .unwrap();
    for ip in [
        "203.0.113.5",
        "::ffff:203.0.113.5",
        "::ffff:cb00:7105",
        "0:0:0:0:0:ffff:cb00:7105",
    ] {
        let out = ramcheck(&[
            "can-i",
            "imm:GetProject",
            "*",
            "--policy",
            policy.to_str().unwrap(),
            "--context",
            &format!("acs:SourceIp={ip}"),
        ]);
        assert_eq!(status(&out), 1, "{ip}: {}", stdout(&out));
    }
    let out = ramcheck(&[
        "can-i",
        "imm:GetProject",
        "*",
        "--policy",
        policy.to_str().unwrap(),
        "--context",
        "acs:SourceIp=::ffff:198.51.100.1",
    ]);
    assert_eq!(status(&out), 0);
}

/// Finding 3: condition keys that differ only in case are one key, so two
/// of them under one operator are a duplicate key, never ANDed.
#[test]
fn condition_keys_differing_in_case_are_a_duplicate_key() {
    let text = r#"{"Version": "1", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"acs:SourceVpc": "vpc-a", "ACS:SOURCEVPC": "vpc-b"}}}]}"#;
    let e = ramcheck::policy::Policy::parse(
        text,
        "p",
        "p.json",
        ramcheck::policy::PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!((e.span.start.line, e.span.start.column), (2, 66));
    let codes: Vec<&str> = ramcheck::lint::lint_text(text, ramcheck::policy::PolicyKind::Identity)
        .iter()
        .map(|d| d.rule.code)
        .collect();
    assert_eq!(codes, ["RC102"]);
}

/// Finding 4: the gateway authorizes the values the service would act on,
/// and refuses duplicates and conflicts rather than letting the first win.
#[test]
fn the_gateway_authorizes_what_the_call_acts_on() {
    let server = Server::bundled();
    let alice = [("x-ramcheck-principal", "user/alice")];
    let attach = "Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=b";
    assert_eq!(server.rpc(Some("user/alice"), attach).status, 200);
    // Two region headers.
    let two = [
        ("x-ramcheck-principal", "user/alice"),
        ("x-ramcheck-region", "cn-hangzhou"),
        ("x-ramcheck-region", "ap-southeast-1"),
    ];
    let r = http(server.addr, "GET", &format!("/?{attach}"), &two);
    assert_eq!((r.status, r.code()), (400, "InvalidRegionId"));
    // RegionId is authorized: the control policy denies IMM outside China.
    let r = server.rpc(
        Some("user/alice"),
        &format!("{attach}&RegionId=ap-southeast-1"),
    );
    assert_eq!((r.status, r.no_permission_type()), (403, "ExplicitDeny"));
    // A header and RegionId that disagree.
    let r = http(
        server.addr,
        "GET",
        &format!("/?{attach}&RegionId=ap-southeast-1"),
        &[
            ("x-ramcheck-principal", "user/alice"),
            ("x-ramcheck-region", "cn-hangzhou"),
        ],
    );
    assert_eq!((r.status, r.code()), (400, "InvalidRegionId"));
    // The body's ProjectName is authorized; alice may not touch prod.
    let form = [
        ("x-ramcheck-principal", "user/alice"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let r = http_body(
        server.addr,
        "POST",
        "/?Action=AttachOSSBucket&OSSBucket=b",
        &form,
        "ProjectName=prod",
    );
    assert_eq!(r.status, 403, "{:?}", r.body);
    // The query and the body may not both name it.
    let r = http_body(
        server.addr,
        "POST",
        &format!("/?{attach}"),
        &form,
        "ProjectName=prod",
    );
    assert_eq!((r.status, r.code()), (400, "InvalidProjectName"));
    // Nor may two spellings of one name.
    let r = server.rpc(Some("user/alice"), &format!("{attach}&projectname=prod"));
    assert_eq!((r.status, r.code()), (400, "Invalidprojectname"));
    // A body that is not a form is not silently ignored.
    let r = http_body(
        server.addr,
        "POST",
        &format!("/?{attach}"),
        &alice,
        "{\"ProjectName\": \"prod\"}",
    );
    assert_eq!(r.status, 400);
}

/// Finding 5: an edit that keeps size and modification time (`cp -p`,
/// `touch -r`) is still seen, and the store revision says which store
/// answers.
#[test]
fn a_same_size_edit_with_its_time_restored_is_reloaded() {
    let dir = scratch("same-size");
    copy_store(&dir);
    let server = Server::start(Gateway::new(&dir, "cn-hangzhou").unwrap());
    let attach = "Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=b";
    let first = server.rpc(Some("user/alice"), attach);
    assert_eq!(first.status, 200);
    let revision = first.header("x-ramcheck-revision").unwrap().to_string();
    let path = dir.join("ImmAttachImmtest.json");
    let text = fs::read_to_string(&path).unwrap();
    let revoked = text.replace("\"Allow\"", "\"Deny\" ");
    assert_eq!(revoked.len(), text.len());
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    fs::write(&path, &revoked).unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    wait_for(
        "the reload of a same-size edit",
        Duration::from_secs(10),
        || server.rpc(Some("user/alice"), attach).status == 403,
    );
    let after = server.rpc(Some("user/alice"), attach);
    assert_ne!(after.header("x-ramcheck-revision").unwrap(), revision);
}

/// Finding 6: hostile wildcard patterns answer (the step bound is pinned by
/// `wildcard::tests::the_hostile_case_of_the_adversarial_pass_is_linear`).
#[test]
fn a_hostile_wildcard_pattern_answers() {
    let dir = scratch("wildcard");
    let policy = dir.join("p.json");
    let pattern = format!("acs:imm:*{}?b*", "a".repeat(30_000));
    fs::write(
        &policy,
        format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "imm:*{}?b*", "Resource": "{pattern}"}}]}}"#,
            "a".repeat(30_000)
        ),
    )
    .unwrap();
    let resource = format!("acs:imm:cn-hangzhou:1:project/{}", "a".repeat(120_000));
    let out = ramcheck(&[
        "can-i",
        "imm:GetProject",
        &resource,
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
}

/// Finding 7: lint on thousands of statements and on long `*` patterns is
/// bounded; past the budget it says so (RC703).
#[test]
fn lint_is_bounded_on_many_statements_and_long_patterns() {
    let dir = scratch("lint-bounded");
    let statements: Vec<String> = (0..5000)
        .map(|i| {
            format!(r#"{{"Effect": "Allow", "Action": ["*:Get*"], "Resource": "acs:imm:*p{i}*"}}"#)
        })
        .collect();
    let many = dir.join("many.json");
    fs::write(
        &many,
        format!(
            r#"{{"Version": "1", "Statement": [{}]}}"#,
            statements.join(",")
        ),
    )
    .unwrap();
    let long: Vec<String> = (0..200)
        .map(|i| format!("\"acs:{}{i}\"", "a*".repeat(200)))
        .collect();
    let stars = dir.join("stars.json");
    fs::write(
        &stars,
        format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "imm:*", "Resource": [{}]}}]}}"#,
            long.join(",")
        ),
    )
    .unwrap();
    for file in [&many, &stars] {
        let out = ramcheck(&[
            "lint",
            file.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        assert_eq!(status(&out), 0, "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert!(codes.contains(&"RC701"), "{codes:?}");
        if file == &many {
            assert!(codes.contains(&"RC703"), "{codes:?}");
        }
    }
}

/// Finding 8: link loops in a directory are never entered, and each real
/// file is read once.
#[cfg(unix)]
#[test]
fn directory_walks_survive_link_loops() {
    let dir = scratch("loops");
    let d = dir.join("d");
    fs::create_dir_all(d.join("sub")).unwrap();
    fs::write(d.join("a.json"), POLICY).unwrap();
    fs::write(d.join("sub/b.json"), POLICY).unwrap();
    std::os::unix::fs::symlink(".", d.join("self")).unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("a.json", d.join("same.json")).unwrap();
    let out = ramcheck(&["lint", d.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No findings in 2 documents."),
        "{}",
        stdout(&out)
    );
}

/// Finding 9: files far over any policy's size are refused before they are
/// read whole; `--policy /dev/zero` stops.
#[test]
fn oversized_inputs_are_refused_early() {
    let dir = scratch("oversized");
    let big = dir.join("big.json");
    let padding = " ".repeat(2 * 1024 * 1024);
    fs::write(
        &big,
        format!("{{\"Version\": \"1\",{padding}\"Statement\": []}}"),
    )
    .unwrap();
    for args in [
        vec!["lint", big.to_str().unwrap()],
        vec![
            "can-i",
            "imm:GetProject",
            "*",
            "--policy",
            big.to_str().unwrap(),
        ],
    ] {
        let out = ramcheck(&args);
        assert_eq!(status(&out), 2, "{args:?}");
        assert!(
            stderr(&out).contains("larger than 1048576 bytes"),
            "{}",
            stderr(&out)
        );
    }
    #[cfg(unix)]
    {
        let out = ramcheck(&["can-i", "imm:GetProject", "*", "--policy", "/dev/zero"]);
        assert_eq!(status(&out), 2);
        assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    }
}

/// Finding 10: clients that hold connections with partial headers are cut
/// off after the header deadline, and never keep real requests out.
#[test]
fn slow_clients_cannot_hold_the_gateway() {
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        max_connections: 16,
        ..Limits::default()
    };
    let server = Server::start(
        Gateway::new(common::bundled_store(), "cn-hangzhou")
            .unwrap()
            .with_limits(limits),
    );
    // 64 slow clients: four times the connection limit.
    let mut slow: Vec<TcpStream> = (0..64)
        .filter_map(|_| TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).ok())
        .collect();
    for s in &mut slow {
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    }
    let start = Instant::now();
    let reply = server.rpc(
        Some("user/alice"),
        "Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=b",
    );
    assert_eq!(reply.status, 200);
    // Bounded: at most a few header deadlines, not forever.
    assert!(start.elapsed() < Duration::from_secs(30));
    // The server closed the slow connections.
    let first = &mut slow[0];
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let closed = first.read_to_end(&mut rest).is_ok();
    assert!(closed, "a slow connection stayed open");
}

/// Finding 11: non-ASCII where ASCII is expected is an input error, never a
/// panic from slicing inside a character.
#[test]
fn non_ascii_input_is_an_error_not_a_panic() {
    let out = ramcheck(&[
        "generate",
        "--request",
        &format!("imm:GetProject {PROJECT}"),
        "--require",
        "abcé=x",
    ]);
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    for key in ["é", "aé", "acsé:x", "acs:é"] {
        let out = ramcheck(&[
            "generate",
            "--request",
            &format!("imm:GetProject {PROJECT}"),
            "--require",
            &format!("{key}=x"),
        ]);
        assert_eq!(status(&out), 2, "{key}: {}", stderr(&out));
    }
}

/// Finding 12: output that cannot be written is exit 2, never a panic
/// (101) or a success.
#[cfg(target_os = "linux")]
#[test]
fn lost_output_is_exit_2() {
    let full = || {
        fs::File::options()
            .write(true)
            .open("/dev/full")
            .map(Stdio::from)
            .unwrap()
    };
    let run = |args: &[&str], stdout_full: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ramcheck"));
        command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
        if stdout_full {
            command.stdout(full()).stderr(Stdio::null());
        } else {
            command.stderr(full()).stdout(Stdio::null());
        }
        command.status().unwrap().code()
    };
    assert_eq!(
        run(&["can-i", "imm:GetProject", "*", "--as", "user/bad"], false),
        Some(2)
    );
    assert_eq!(
        run(
            &[
                "generate",
                "--request",
                &format!("imm:GetProject {PROJECT}")
            ],
            true
        ),
        Some(2)
    );
    assert_eq!(
        run(
            &[
                "lint",
                "--format",
                "sarif",
                "--fail-on",
                "never",
                "policies/ImmAttachImmtest.json"
            ],
            true
        ),
        Some(2)
    );
    assert_eq!(
        run(
            &[
                "can-i",
                "imm:GetProject",
                "*",
                "--policy",
                "policies/ImmAttachImmtest.json"
            ],
            true
        ),
        Some(2)
    );
    // A reader that went away is not an error: the answer stays the status.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ramcheck"))
        .args(["rules"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Finding 13: control characters from a document never reach the
/// terminal raw.
#[test]
fn control_characters_are_escaped_in_text_output() {
    let dir = scratch("controls");
    let policy = dir.join("p.json");
    fs::write(
        &policy,
        r#"{"Version": "1", "Statement": [{"Sid": "\u001b[2J\u009b31m", "Effect": "Allow", "Action": "imm:Get*", "Resource": "*",
            "Condition": {"StringEquals": {"k:\u001b]0;owned\u0007": "v", "acs:SourceVpc": "\u202evpc"}}},
            {"Effect": "Allow", "Action": "imm:Get\u001b[1m", "Resource": "*"}]}"#,
    )
    .unwrap();
    let outputs = [
        ramcheck(&["lint", policy.to_str().unwrap()]),
        ramcheck(&["lint", policy.to_str().unwrap(), "--format", "github"]),
        ramcheck(&[
            "can-i",
            "imm:GetProject",
            "*",
            "--policy",
            policy.to_str().unwrap(),
            "--explain",
        ]),
    ];
    for out in &outputs {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text
                    .chars()
                    .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
                "raw control character in {text:?}"
            );
        }
    }
}

/// Finding 14: a `--param` given twice is refused, as the gateway refuses
/// it.
#[test]
fn a_param_given_twice_is_refused() {
    let out = ramcheck(&[
        "can-i",
        "--api",
        "AttachOSSBucket",
        "--param",
        "ProjectName=immtest",
        "--param",
        "ProjectName=prod",
        "--param",
        "OSSBucket=b",
        "--region",
        "cn-hangzhou",
        "--account",
        ACCOUNT,
    ]);
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("InvalidProjectName"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------
// The second pass, over the surfaces added since (SECURITY.md): the
// analysis (tests/analysis.rs holds its budget and principal tests), the
// gateway's numbers (tests/serve.rs), `catalog`.

/// `catalog`'s pattern answer echoed the argument raw: an escape sequence
/// in it reached the terminal.
#[test]
fn catalog_escapes_the_pattern_it_echoes() {
    let out = ramcheck(&["catalog", "imm:\u{1b}[2J\u{1b}]0;pwn\u{7}*"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}[2J"), "{text:?}");
}
