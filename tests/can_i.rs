//! `ramcheck can-i` as a user runs it: the binary, real files, exit codes.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{IMMTEST, ramcheck, scratch, stderr, stdout};

/// Every row of `policies/EXPECTED.md` is a can-i query on the bundled store
/// with its expected decision; the README walks through the same store.
#[test]
fn bundled_store_answers_as_documented() {
    let table =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/EXPECTED.md"))
            .unwrap();
    let mut rows = 0;
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 8 || cells[1].parse::<u32>().is_err() {
            continue;
        }
        let unquote = |s: &str| s.trim_matches('`').to_string();
        let (principal, action, resource) =
            (unquote(cells[2]), unquote(cells[3]), unquote(cells[4]));
        let expected = unquote(cells[6]);
        let mut args = vec![
            "can-i".to_string(),
            action.clone(),
            resource.clone(),
            "--as".into(),
            principal.clone(),
            "--format".into(),
            "json".into(),
        ];
        for entry in cells[5]
            .split(',')
            .map(|c| unquote(c.trim()))
            .filter(|c| !c.is_empty())
        {
            args.push("--context".into());
            args.push(entry);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ramcheck(&args);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("row {}: {e}: {}", cells[1], stderr(&out)));
        assert_eq!(
            json["decision"],
            expected.as_str(),
            "row {}: {args:?}\n{json:#}",
            cells[1]
        );
        let code = if expected == "Allow" { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "row {}", cells[1]);
        rows += 1;
    }
    assert!(rows >= 12, "only {rows} rows read from EXPECTED.md");
}

#[test]
fn readme_quick_start_query() {
    let out = ramcheck(&[
        "can-i",
        "imm:AttachOSSBucket",
        IMMTEST,
        "--as",
        "user/alice",
    ]);
    assert_eq!(stdout(&out), "yes\n");
    assert_eq!(out.status.code(), Some(0));
    let out = ramcheck(&[
        "can-i",
        "imm:AttachOSSBucket",
        "acs:imm:cn-hangzhou:1234567890123456:project/immprod",
        "--as",
        "user/alice",
    ]);
    assert_eq!(stdout(&out), "no\n");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_output_has_the_documented_fields() {
    let out = ramcheck(&[
        "can-i",
        "imm:DeleteProject",
        "acs:imm:cn-hangzhou:1234567890123456:project/media-news",
        "--as",
        "acs:ram::1234567890123456:user/bob",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["decision"], "ExplicitDeny");
    assert_eq!(json["allowed"], false);
    assert_eq!(json["action"], "imm:DeleteProject");
    assert_eq!(json["principal"], "acs:ram::1234567890123456:user/bob");
    assert_eq!(json["deciding_step"], "Identity");
    let s = &json["statements"][0];
    assert_eq!(s["policy"], "ImmMediaOperator");
    assert_eq!(s["statement"], 0);
    assert_eq!(s["sid"], "NeverDelete");
    assert_eq!(s["effect"], "Deny");
    assert!(
        s["file"]
            .as_str()
            .unwrap()
            .ends_with("ImmMediaOperator.json")
    );
    assert_eq!(s["line"], 4);
    assert!(json.get("closest").is_none());

    let out = ramcheck(&[
        "can-i",
        "imm:UpdateProject",
        IMMTEST,
        "--as",
        "user/alice",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["decision"], "ImplicitDeny");
    assert_eq!(json["closest"][0]["policy"], "ImmAttachImmtest");
    assert_eq!(json["closest"][0]["failed"]["part"], "Action");
}

#[test]
fn explain_names_file_and_line() {
    let out = ramcheck(&[
        "can-i",
        "imm:UpdateProject",
        "acs:imm:cn-hangzhou:1234567890123456:project/media-news",
        "--as",
        "user/bob",
        "--context",
        "acs:SourceIp=198.51.100.7",
        "--explain",
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("no\n"), "{text}");
    assert!(text.contains("ImmMediaOperator.json:10"), "{text}");
    assert!(
        text.contains("condition IpAddress on acs:SourceIp does not hold"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn ad_hoc_policies_work_without_a_store() {
    let dir = scratch("adhoc");
    let policy = dir.join("p.json");
    fs::write(
        &policy,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:Get*", "Resource": "*"}]}"#,
    )
    .unwrap();
    // Run outside the repository, where no ./policies exists.
    let out = Command::new(env!("CARGO_BIN_EXE_ramcheck"))
        .args(["can-i", "imm:GetProject", IMMTEST, "--policy", "p.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        (stdout(&out).as_str(), out.status.code()),
        ("yes\n", Some(0)),
        "{}",
        stderr(&out)
    );

    let session = dir.join("s.json");
    fs::write(
        &session,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:List*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let s = session.to_str().unwrap();
    let out = ramcheck(&[
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--policy",
        p,
        "--session-policy",
        s,
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["decision"].as_str(), json["deciding_step"].as_str()),
        (Some("ImplicitDeny"), Some("Session"))
    );
    assert_eq!(out.status.code(), Some(1));

    let control = dir.join("c.json");
    fs::write(
        &control,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "imm:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    let c = control.to_str().unwrap();
    let out = ramcheck(&[
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--as",
        "user/alice",
        "--control-policy",
        c,
    ]);
    assert_eq!(
        (stdout(&out).as_str(), out.status.code()),
        ("no\n", Some(1))
    );
}

#[test]
fn resource_policy_flag_is_the_trust_policy_for_assume_role() {
    let dir = scratch("trust");
    let trust = dir.join("trust.json");
    fs::write(
        &trust,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::1234567890123456:user/bob"]}}]}"#,
    )
    .unwrap();
    let role = "acs:ram::1234567890123456:role/imm-deployer";
    let t = trust.to_str().unwrap();
    let out = ramcheck(&[
        "can-i",
        "sts:AssumeRole",
        role,
        "--as",
        "user/bob",
        "--resource-policy",
        t,
    ]);
    assert_eq!(
        (stdout(&out).as_str(), out.status.code()),
        ("yes\n", Some(0)),
        "{}",
        stderr(&out)
    );
}

fn assert_error(out: &Output, needles: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    assert!(
        out.stdout.is_empty(),
        "an error must not print a decision: {}",
        stdout(out)
    );
    let err = stderr(out);
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
}

#[test]
fn errors_exit_2_and_name_the_place() {
    let dir = scratch("errors");
    let bad = dir.join("bad.json");
    fs::write(&bad, "{\n  \"Version\": \"1\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}").unwrap();
    let b = bad.to_str().unwrap();
    assert_error(
        &ramcheck(&["can-i", "imm:GetProject", IMMTEST, "--policy", b]),
        &["bad.json:3:28", "Effect"],
    );

    let dup = dir.join("dup.json");
    fs::write(
        &dup,
        "{\"Version\": \"1\",\n \"Version\": \"1\", \"Statement\": []}",
    )
    .unwrap();
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--policy",
            dup.to_str().unwrap(),
        ]),
        &["dup.json:2:2", "duplicate key"],
    );

    assert_error(
        &ramcheck(&["can-i", "imm:GetProject", IMMTEST, "--as", "user/alcie"]),
        &["unknown principal", "user/alice"],
    );
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--context",
            "acs:SourceIp=abc",
        ]),
        &["acs:SourceIp", "abc"],
    );
    assert_error(
        &ramcheck(&["can-i", "imm:*", IMMTEST, "--as", "user/alice"]),
        &["invalid action"],
    );
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            "project/immtest",
            "--as",
            "user/alice",
        ]),
        &["invalid resource"],
    );
    assert_error(&ramcheck(&["can-i", "imm:GetProject"]), &["RESOURCE"]);
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--policy",
            "/nonexistent/p.json",
        ]),
        &["/nonexistent/p.json", "cannot read"],
    );
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "acs:ram::9999999999999999:user/alice",
        ]),
        &["account"],
    );
}

#[test]
fn store_errors_name_file_and_line() {
    let dir = scratch("store");
    fs::write(
        dir.join("principals.json"),
        "{\"AccountId\": \"1234567890123456\",\n \"Users\": [{\"UserName\": \"alice\", \"Groups\": [\"ops\"]}]}",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--store",
            d,
        ]),
        &["principals.json:2:45", "unknown group \"ops\""],
    );

    fs::write(
        dir.join("principals.json"),
        "{\"AccountId\": \"1234567890123456\",\n \"Users\": [{\"UserName\": \"alice\", \"Policies\": [\"AliyunIMMReadOnlyAcess\"]}]}",
    )
    .unwrap();
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--store",
            d,
        ]),
        &[
            "principals.json:2:47",
            "unknown policy",
            "AliyunIMMReadOnlyAccess",
        ],
    );

    // System and custom policies are separate namespaces: a name that is
    // both must say which it means, and a custom policy that goes missing
    // is an error, never a fallback to the system policy of that name.
    let ask = || {
        ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--store",
            d,
        ])
    };
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice", "Policies": ["AliyunIMMReadOnlyAccess"]}]}"#,
    )
    .unwrap();
    fs::write(
        dir.join("AliyunIMMReadOnlyAccess.json"),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    assert_error(
        &ask(),
        &[
            "principals.json:1:80",
            "both a system policy and a file of the store",
            "\"PolicyType\": \"Custom\"",
        ],
    );
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice", "Policies": [{"PolicyName": "AliyunIMMReadOnlyAccess", "PolicyType": "Custom"}]}]}"#,
    )
    .unwrap();
    let out = ask();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    fs::remove_file(dir.join("AliyunIMMReadOnlyAccess.json")).unwrap();
    assert_error(
        &ask(),
        &["unknown custom policy \"AliyunIMMReadOnlyAccess\""],
    );
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice", "Policies": ["AliyunIMMReadOnlyAccess"]}]}"#,
    )
    .unwrap();
    let out = ask();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A broken policy in the store stops every query, not just its users'.
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice"}, {"UserName": "bob", "Policies": ["Broken"]}]}"#,
    )
    .unwrap();
    fs::write(
        dir.join("Broken.json"),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",}]}"#,
    )
    .unwrap();
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--store",
            d,
        ]),
        &["Broken.json:1:82", "trailing comma"],
    );

    // Policy names cannot walk out of the store.
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice", "Policies": ["../x"]}]}"#,
    )
    .unwrap();
    assert_error(
        &ramcheck(&[
            "can-i",
            "imm:GetProject",
            IMMTEST,
            "--as",
            "user/alice",
            "--store",
            d,
        ]),
        &["invalid policy name"],
    );
}

#[test]
fn multi_valued_context_keys() {
    let dir = scratch("multi");
    let policy = dir.join("p.json");
    fs::write(
        &policy,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"acs:TagKeys": ["env", "team"]}}}]}"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let run = |ctx: &[&str]| {
        let mut args = vec!["can-i", "imm:TagResources", IMMTEST, "--policy", p];
        for c in ctx {
            args.extend(["--context", c]);
        }
        ramcheck(&args).status.code()
    };
    assert_eq!(run(&["acs:TagKeys=env", "acs:TagKeys=team"]), Some(0));
    assert_eq!(run(&["acs:TagKeys=env", "acs:TagKeys=cost"]), Some(1));
}

#[test]
fn api_calls_map_through_the_catalogue() {
    let base = [
        "can-i",
        "--api",
        "AttachOSSBucket",
        "--region",
        "cn-hangzhou",
        "--as",
        "user/alice",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        ramcheck(&args)
    };
    let out = run(&[
        "--param",
        "ProjectName=immtest",
        "--param",
        "OSSBucket=examplebucket",
        "--account",
        "1234567890123456",
    ]);
    assert_eq!(
        (stdout(&out).as_str(), out.status.code()),
        ("yes\n", Some(0)),
        "{}",
        stderr(&out)
    );

    let out = run(&[
        "--param",
        "ProjectName=prod",
        "--param",
        "OSSBucket=examplebucket",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["resource"],
        "acs:imm:cn-hangzhou:1234567890123456:project/prod"
    );
    let body = &json["no_permission"];
    assert_eq!(body["Code"], "NoPermission");
    assert_eq!(
        body["AccessDeniedDetail"]["NoPermissionType"],
        "ImplicitDeny"
    );
    assert_eq!(
        body["AccessDeniedDetail"]["PolicyType"],
        "AccountLevelIdentityBasedPolicy"
    );
    assert_eq!(
        body["DecodedDiagnosticMessage"]["AuthResource"],
        "acs:imm:cn-hangzhou:1234567890123456:project/prod"
    );
    assert_eq!(
        body["DecodedDiagnosticMessage"]["AuthConditions"][0]["ConditionKey"],
        "acs:CurrentTime"
    );

    // A region the control policy denies: explicit deny by a control policy.
    let out = ramcheck(&[
        "can-i",
        "--api",
        "AttachOSSBucket",
        "--region",
        "ap-southeast-1",
        "--as",
        "user/alice",
        "--param",
        "ProjectName=immtest",
        "--param",
        "OSSBucket=b",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let detail = &json["no_permission"]["DecodedDiagnosticMessage"];
    assert_eq!(detail["ExplicitDeny"], true);
    assert_eq!(detail["NoPermissionPolicyType"], "ControlPolicy");
    assert_eq!(
        detail["MatchedPolicies"][0]["PolicyIdentifier"],
        "DenyOutsideChina"
    );

    // Invalid calls exit 2 with IMM's error code.
    assert_error(
        &run(&["--param", "OSSBucket=examplebucket"]),
        &["MissingProjectName"],
    );
    assert_error(
        &run(&["--param", "ProjectName=immtest", "--param", "OSSBucket="]),
        &["MissingOSSBucket"],
    );
    let long = format!("Description={}", "d".repeat(129));
    assert_error(
        &run(&[
            "--param",
            "ProjectName=immtest",
            "--param",
            "OSSBucket=b",
            "--param",
            &long,
        ]),
        &["InvalidDescription"],
    );
    assert_error(
        &ramcheck(&[
            "can-i",
            "--api",
            "AttachOssBucket",
            "--region",
            "cn-hangzhou",
            "--as",
            "user/alice",
        ]),
        &["InvalidAction.NotFound", "AttachOSSBucket"],
    );
    // --api needs a region, and excludes a positional action.
    assert_error(
        &ramcheck(&["can-i", "--api", "AttachOSSBucket", "--as", "user/alice"]),
        &["--region"],
    );
    assert_error(
        &ramcheck(&[
            "can-i",
            "--api",
            "ListProjects",
            "--region",
            "cn-hangzhou",
            "--param",
            "AcceptLanguage=en",
        ]),
        &["--account"],
    );
}

/// `--api <code>:<Api>` maps any catalogued service's API call: the
/// parameters fill the ARN template (docs/catalog.md).
#[test]
fn api_calls_of_other_services_map_through_the_catalogue() {
    let dir = scratch("api-other-services");
    let policy = dir.join("ops.json");
    std::fs::write(
        &policy,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow",
            "Action": ["ecs:StartInstance", "oss:GetObject"],
            "Resource": ["acs:ecs:*:*:instance/i-123", "acs:oss:*:*:examplebucket/reports/*"]}]}"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let run = |api: &str, params: &[&str]| {
        let mut args = vec![
            "can-i",
            "--api",
            api,
            "--region",
            "cn-hangzhou",
            "--account",
            "1234567890123456",
            "--policy",
            p,
            "--format",
            "json",
        ];
        for param in params {
            args.extend(["--param", param]);
        }
        ramcheck(&args)
    };
    let out = run("ecs:StartInstance", &["InstanceId=i-123"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run("ecs:StartInstance", &["InstanceId=i-999"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["resource"],
        "acs:ecs:cn-hangzhou:1234567890123456:instance/i-999"
    );
    assert_eq!(
        json["no_permission"]["HostId"],
        "ecs.cn-hangzhou.aliyuncs.com"
    );
    let out = run(
        "oss:GetObject",
        &["BucketName=examplebucket", "ObjectPath=reports/q1.csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Invalid calls exit 2 with the error in the JSON answer.
    let error = |out: Output| {
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["error"]["message"].as_str().unwrap().to_string()
    };
    assert!(error(run("ecs:StartInstance", &[])).starts_with("MissingInstanceId:"));
    let message = error(run("ecz:StartInstance", &["InstanceId=i-123"]));
    assert!(
        message.starts_with("InvalidAction.NotFound:") && message.contains("`ecs`"),
        "{message}"
    );
}

/// Typos are answered (a `no` to a misspelt action is right) but warned
/// about, with the word meant; `--strict` makes them errors.
#[test]
fn typos_are_warned_about_and_strict_refuses_them() {
    let ask = |args: &[&str]| {
        let mut all = vec!["can-i"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--as", "user/alice"]);
        ramcheck(&all)
    };
    // imm:Get* matches the typo, so the answer is yes, with a warning.
    let o = ask(&["imm:GetProjct", IMMTEST]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning: Intelligent Media Management lists no action `imm:GetProjct` (did you mean `imm:GetProject`?)"),
        "{}",
        stderr(&o)
    );
    let o = ask(&["imm:GetProjct", IMMTEST, "--strict"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    // JSON carries them too.
    let o = ask(&[
        "imn:GetProject",
        "*",
        "--context",
        "acs:SourceIpp=192.0.2.1",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let kinds: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unknown-service", "unknown-context-key"]);
    assert!(
        v["warnings"][1]["message"]
            .as_str()
            .unwrap()
            .contains("`acs:SourceIp`")
    );
    // A resource of the wrong type for a documented action.
    let o = ask(&[
        "imm:AttachOSSBucket",
        "acs:imm:cn-hangzhou:1234567890123456:project/immtest/dataset/d",
    ]);
    assert!(stderr(&o).contains("does not fit"), "{}", stderr(&o));
    // A clean question has none.
    let o = ask(&[
        "imm:AttachOSSBucket",
        IMMTEST,
        "--strict",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(stderr(&o), "");
}
