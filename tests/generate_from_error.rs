//! `ramcheck generate --from-error`: from RAM's denial (an error response,
//! a DecodeDiagnosticMessage answer, a failed ActionTrail event) to the
//! statement that allows the call, and `--into` an existing policy. The
//! fixtures in tests/fixtures/denials/ are written for these tests, in the
//! shape docs/generate.md ("From a denial") describes.

mod common;

use common::{IMMTEST, ramcheck, ramcheck_with, root, scratch, status, stderr, stdout};

const IMPLICIT: &str = "tests/fixtures/denials/get-project-implicit.json";
const CONTROL: &str = "tests/fixtures/denials/get-project-explicit-control.json";
const EVENT: &str = "tests/fixtures/denials/actiontrail-update-dataset.json";
const DECODED: &str = "tests/fixtures/denials/decoded-list-bindings.json";

fn call(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "generate",
        "--from-error",
        IMPLICIT,
        "--api",
        "GetProject",
        "--param",
        "ProjectName=immtest",
        "--region",
        "cn-hangzhou",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ramcheck(&refs)
}

fn statements(text: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    doc["Statement"].as_array().unwrap().clone()
}

#[test]
fn an_implicit_deny_with_its_call_gives_the_exact_statement() {
    let out = run(&call(&[]));
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let s = statements(&stdout(&out));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["Action"], serde_json::json!(["imm:GetProject"]));
    assert_eq!(s[0]["Resource"], serde_json::json!([IMMTEST]));
    let err = stderr(&out);
    assert!(
        err.contains("denied principal: the RAM user alice"),
        "{err}"
    );
    // The account came from the error, and stderr says so.
    assert!(err.contains("AuthPrincipalOwnerId"), "{err}");
    // --account wins over the principal's account.
    let out = run(&call(&["--account", "1000000000000009"]));
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(
        statements(&stdout(&out))[0]["Resource"],
        serde_json::json!(["acs:imm:cn-hangzhou:1000000000000009:project/immtest"])
    );
}

#[test]
fn without_the_call_the_resource_is_asked_for() {
    let out = ramcheck(&["generate", "--from-error", IMPLICIT]);
    assert_eq!(status(&out), 2);
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("--api"), "{err}");
    assert!(err.contains("--resource"), "{err}");
    let out = ramcheck(&["generate", "--from-error", IMPLICIT, "--resource", IMMTEST]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(
        statements(&stdout(&out))[0]["Resource"],
        serde_json::json!([IMMTEST])
    );
    // A resource that does not fit the denied action.
    let out = ramcheck(&[
        "generate",
        "--from-error",
        IMPLICIT,
        "--resource",
        &format!("{IMMTEST}/dataset/photos"),
    ]);
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("does not fit imm:GetProject"));
}

#[test]
fn a_call_for_another_action_is_refused() {
    let out = ramcheck(&[
        "generate",
        "--from-error",
        IMPLICIT,
        "--api",
        "DeleteProject",
        "--param",
        "ProjectName=immtest",
        "--region",
        "cn-hangzhou",
    ]);
    assert_eq!(status(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("the error is about imm:GetProject") && err.contains("imm:DeleteProject"),
        "{err}"
    );
}

#[test]
fn an_explicit_deny_names_the_policy_type_and_exits_1() {
    let out = ramcheck(&[
        "generate",
        "--from-error",
        CONTROL,
        "--api",
        "GetProject",
        "--param",
        "ProjectName=immtest",
        "--region",
        "cn-hangzhou",
    ]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("explicitly denied by a control policy"),
        "{err}"
    );
    assert!(err.contains("no Allow can help"), "{err}");
    // Each of RAM's policy types is named.
    let body = std::fs::read_to_string(root().join(CONTROL)).unwrap();
    for (ty, words) in [
        ("SessionPolicy", "the session policy"),
        (
            "AccountLevelIdentityBasedPolicy",
            "an identity policy attached at the account level",
        ),
        (
            "ResourceGroupLevelIdentityBasedPolicy",
            "resource-group level",
        ),
    ] {
        let text = body.replace("ControlPolicy", ty);
        let out = ramcheck_with(
            root(),
            &["generate", "--from-error", "-", "--resource", IMMTEST],
            text.as_bytes(),
            &[],
        );
        assert_eq!(status(&out), 1, "{ty}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{ty}: {}", stderr(&out));
    }
    // An implicit deny by a control policy: an identity Allow cannot help.
    let text = body.replace("ExplicitDeny", "ImplicitDeny");
    let out = ramcheck_with(
        root(),
        &["generate", "--from-error", "-", "--resource", IMMTEST],
        text.as_bytes(),
        &[],
    );
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no control policy allows it"));
}

#[test]
fn a_failed_actiontrail_event_is_its_own_call() {
    let out = ramcheck(&[
        "generate",
        "--from-error",
        EVENT,
        "--name",
        "media-worker-fix",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let s = statements(&stdout(&out));
    assert_eq!(s[0]["Action"], serde_json::json!(["imm:UpdateDataset"]));
    assert_eq!(
        s[0]["Resource"],
        serde_json::json!([
            "acs:imm:cn-shanghai:1234567890123456:project/media-news/dataset/archive"
        ])
    );
    let err = stderr(&out);
    assert!(err.contains("the RAM role media-worker"), "{err}");
    assert!(
        err.contains("does not say whether the deny was explicit"),
        "{err}"
    );
    // An event that did not fail is not a denial.
    let ok = std::fs::read_to_string(root().join(EVENT))
        .unwrap()
        .replace("\"errorCode\": \"NoPermission\",", "\"errorCode\": \"\",");
    let out = ramcheck_with(
        root(),
        &["generate", "--from-error", "-"],
        ok.as_bytes(),
        &[],
    );
    assert_eq!(status(&out), 2);
    assert!(stderr(&out).contains("did not fail"), "{}", stderr(&out));
}

#[test]
fn a_decoded_diagnostic_message_names_the_resource() {
    let out = ramcheck(&["generate", "--from-error", DECODED]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let s = statements(&stdout(&out));
    assert_eq!(s[0]["Action"], serde_json::json!(["imm:ListBindings"]));
    assert_eq!(
        s[0]["Resource"],
        serde_json::json!(["acs:imm:cn-beijing:1234567890123456:project/catalog/dataset/photos"])
    );
    assert!(stderr(&out).contains("add this statement to the session policy"));
}

#[test]
fn malformed_and_hostile_input_is_exit_2_with_the_place() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"Code\": \"NoPermission\",\n  \"AccessDeniedDetail\": 7}".to_vec(), "<stdin>:2:25"),
        (b"{\"Code\": \"NoPermission\"".to_vec(), "<stdin>:1:"),
        (b"{\"Code\": \"NoPermission\", \"Code\": \"x\"}".to_vec(), "duplicate key"),
        (b"{\"Code\": \"Throttling.User\"}".to_vec(), "not a RAM permission denial"),
        (b"{\"Code\": 403}".to_vec(), "<stdin>:1:10: Code must be a string"),
        (b"[]".to_vec(), "an array of 0 records"),
        (b"{}".to_vec(), "neither an error response"),
        ("[".repeat(100_000).into_bytes(), "nesting deeper"),
        (vec![0xff, 0xfe, 0x00], "UTF-8"),
        (
            format!("{{\"Code\": \"NoPermission\", \"Message\": \"{}\"}}", "x".repeat(2 << 20))
                .into_bytes(),
            "larger than 1048576 bytes",
        ),
        (b"{\"Code\": \"NoPermission\", \"DecodedDiagnosticMessage\": []}".to_vec(), "DecodedDiagnosticMessage must be an object"),
        (
            b"{\"DecodedDiagnosticMessage\": {\"ExplicitDeny\": \"yes\"}}".to_vec(),
            "ExplicitDeny must be true or false",
        ),
        (
            b"{\"Code\": \"NoPermission\", \"AccessDeniedDetail\": {\"NoPermissionType\": \"Maybe\"}}"
                .to_vec(),
            "expected ExplicitDeny or ImplicitDeny",
        ),
    ];
    for (input, expected) in cases {
        let out = ramcheck_with(root(), &["generate", "--from-error", "-"], &input, &[]);
        assert_eq!(status(&out), 2, "{expected}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
        let err = stderr(&out);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn into_merges_and_reports_what_the_merge_adds() {
    let dir = scratch("from-error-into");
    let policy = dir.join("alice.json");
    std::fs::write(
        &policy,
        "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\n      \"Sid\": \"List\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"imm:ListProjects\",\n      \"Resource\": \"acs:imm:cn-hangzhou:1234567890123456:project/*\"\n    }\n  ]\n}\n",
    )
    .unwrap();
    let out = run(&call(&["--into", policy.to_str().unwrap()]));
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let merged = stdout(&out);
    // The file's own statement is unchanged, byte for byte, and first.
    assert!(
        merged.starts_with(
            "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\n      \"Sid\": \"List\","
        ),
        "{merged}"
    );
    let s = statements(&merged);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1]["Action"], serde_json::json!(["imm:GetProject"]));
    let err = stderr(&out);
    assert!(
        err.contains("the merge adds statement GetProjectOnProjectImmtest"),
        "{err}"
    );
    assert!(
        err.contains(&format!("new access, e.g. imm:GetProject on {IMMTEST}")),
        "{err}"
    );
    // The merged policy allows the call, and still nothing else.
    let merged_path = dir.join("merged.json");
    std::fs::write(&merged_path, &merged).unwrap();
    let yes = ramcheck(&[
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--policy",
        merged_path.to_str().unwrap(),
    ]);
    assert_eq!(status(&yes), 0);
    let no = ramcheck(&[
        "can-i",
        "imm:DeleteProject",
        IMMTEST,
        "--policy",
        merged_path.to_str().unwrap(),
    ]);
    assert_eq!(status(&no), 1);
    // Merging again adds nothing: the policy already allows the call.
    let again = run(&call(&["--into", merged_path.to_str().unwrap()]));
    assert_eq!(status(&again), 0, "{}", stderr(&again));
    assert_eq!(stdout(&again), merged);
    assert!(
        stderr(&again).contains("the merge adds nothing"),
        "{}",
        stderr(&again)
    );
    // A policy that does not parse is refused with its place.
    std::fs::write(&policy, "{\"Version\": \"1\", \"Statement\": [}").unwrap();
    let bad = run(&call(&["--into", policy.to_str().unwrap()]));
    assert_eq!(status(&bad), 2);
    assert!(stderr(&bad).contains("alice.json"), "{}", stderr(&bad));
}

#[test]
fn a_can_i_answer_round_trips() {
    // `can-i --api --format json` prints the NoPermission body a gateway
    // would return; generate reads it and the result makes can-i say yes.
    let dir = scratch("from-error-can-i");
    let empty = dir.join("empty.json");
    std::fs::write(
        &empty,
        "{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"imm:ListRegions\", \"Resource\": \"*\"}]}",
    )
    .unwrap();
    let args = [
        "--api",
        "AttachOSSBucket",
        "--param",
        "ProjectName=immtest",
        "--param",
        "OSSBucket=examplebucket",
        "--region",
        "cn-hangzhou",
        "--account",
        "1234567890123456",
    ];
    let mut ask = vec![
        "can-i",
        "--policy",
        empty.to_str().unwrap(),
        "--format",
        "json",
    ];
    ask.extend(args);
    let denied = ramcheck(&ask);
    assert_eq!(status(&denied), 1);
    let mut generate = vec!["generate", "--from-error", "-"];
    generate.extend(args);
    generate.extend(["--into", empty.to_str().unwrap()]);
    let fixed = ramcheck_with(root(), &generate, &denied.stdout, &[]);
    assert_eq!(status(&fixed), 0, "{}", stderr(&fixed));
    let fixed_path = dir.join("fixed.json");
    std::fs::write(&fixed_path, fixed.stdout).unwrap();
    ask[2] = fixed_path.to_str().unwrap();
    assert_eq!(status(&ramcheck(&ask)), 0);
}

#[test]
fn into_a_policy_that_denies_or_is_full() {
    let dir = scratch("from-error-into-edge");
    // The file itself denies the call: exit 1, nothing printed.
    let deny = dir.join("deny.json");
    std::fs::write(
        &deny,
        format!(
            "{{\"Version\": \"1\", \"Statement\": [{{\"Effect\": \"Deny\", \"Action\": \"imm:*\", \"Resource\": \"{IMMTEST}\"}}]}}"
        ),
    )
    .unwrap();
    let out = run(&call(&["--into", deny.to_str().unwrap()]));
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("itself denies imm:GetProject"),
        "{}",
        stderr(&out)
    );
    // A policy with no room left: exit 2, the statement needs its own policy.
    let resources: Vec<String> = (0..112)
        .map(|i| format!("\"acs:imm:cn-hangzhou:1234567890123456:project/p{i:03}\""))
        .collect();
    let full = dir.join("full.json");
    let text = format!(
        "{{\"Version\": \"1\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"imm:ListDatasets\", \"Resource\": [{}]}}]}}",
        resources.join(", ")
    );
    assert!(text.chars().count() < 6144 && text.chars().count() > 5800);
    std::fs::write(&full, text).unwrap();
    let out = run(&call(&["--into", full.to_str().unwrap()]));
    assert_eq!(status(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("over RAM's 6144"), "{}", stderr(&out));
}

#[test]
fn a_denied_call_of_another_service_is_mapped_like_its_event() {
    // OSS: the call as the ActionTrail event it would leave.
    let out = ramcheck(&[
        "generate",
        "--from-error",
        "tests/fixtures/denials/oss-get-object-implicit.json",
        "--api",
        "GetObject",
        "--param",
        "bucketName=examplebucket",
        "--param",
        "objectName=photos/2025/cat.jpg",
        "--region",
        "cn-hangzhou",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let s = statements(&stdout(&out));
    assert_eq!(s[0]["Action"], serde_json::json!(["oss:GetObject"]));
    assert_eq!(
        s[0]["Resource"],
        serde_json::json!([
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket/photos/2025/cat.jpg"
        ])
    );
    assert!(
        stderr(&out).contains("the RAM role media-worker"),
        "{}",
        stderr(&out)
    );
    // Without the call, --resource names the object.
    let out = ramcheck(&[
        "generate",
        "--from-error",
        "tests/fixtures/denials/oss-get-object-implicit.json",
        "--resource",
        "acs:oss:cn-hangzhou:1234567890123456:examplebucket/photos/2025/cat.jpg",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    // A call of another action than the denied one is refused.
    let out = ramcheck(&[
        "generate",
        "--from-error",
        "tests/fixtures/denials/oss-get-object-implicit.json",
        "--api",
        "PutObject",
        "--param",
        "bucketName=examplebucket",
        "--param",
        "objectName=a.jpg",
        "--region",
        "cn-hangzhou",
    ]);
    assert_eq!(status(&out), 2);
    assert!(
        stderr(&out).contains("the error is about oss:GetObject"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn oss_xml_error_responses_are_read_too() {
    const XML: &str = "tests/fixtures/denials/oss-put-object-implicit.xml";
    let out = ramcheck(&[
        "generate",
        "--from-error",
        XML,
        "--api",
        "PutObject",
        "--param",
        "bucketName=examplebucket",
        "--param",
        "objectName=out/report.pdf",
        "--region",
        "cn-hangzhou",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let s = statements(&stdout(&out));
    assert_eq!(s[0]["Action"], serde_json::json!(["oss:PutObject"]));
    assert_eq!(
        s[0]["Resource"],
        serde_json::json!(["acs:oss:cn-hangzhou:1234567890123456:examplebucket/out/report.pdf"])
    );
    // Explicit: exit 1, as for RAM's JSON body.
    let text = std::fs::read_to_string(root().join(XML))
        .unwrap()
        .replace("ImplicitDeny", "ExplicitDeny");
    let out = ramcheck_with(
        root(),
        &[
            "generate",
            "--from-error",
            "-",
            "--resource",
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket/a",
        ],
        text.as_bytes(),
        &[],
    );
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    // An AccessDenied without the detail (an ACL, a signature) is not a RAM
    // denial; malformed XML names its place; entities are not expanded.
    for (text, expected) in [
        (
            "<Error><Code>AccessDenied</Code><EC>0003-00000001</EC></Error>",
            "without <AccessDeniedDetail>",
        ),
        (
            "<Error>\n  <Code>AccessDenied</Code>\n  <Code>x</Code></Error>",
            "<stdin>:3:3: <Code> given twice",
        ),
        (
            "<!DOCTYPE lol [<!ENTITY a \"aaaa\">]><Error></Error>",
            "<stdin>:1:1: <!DOCTYPE is not read",
        ),
        (
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
            "is not AccessDenied",
        ),
    ] {
        let out = ramcheck_with(
            root(),
            &["generate", "--from-error", "-"],
            text.as_bytes(),
            &[],
        );
        assert_eq!(status(&out), 2, "{text}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{text}: {}", stderr(&out));
    }
}
