//! `ramcheck serve` as a process on 127.0.0.1: every endpoint, hostile
//! input, reloads, the decision log, signals.

mod common;
#[path = "common/serve.rs"]
mod serve_harness;

use std::io::Write;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

use common::{ACCOUNT, IMMTEST, copy_store, scratch};
use serde_json::{Value, json};
use serve_harness::*;

const MEDIA_NEWS: &str = "acs:imm:cn-hangzhou:1234567890123456:project/media-news";
const PROD: &str = "acs:imm:cn-hangzhou:1234567890123456:project/prod";

fn ask(serve: &Serve, principal: &str, action: &str, resource: &str, context: Value) -> Reply {
    let body =
        json!({"principal": principal, "action": action, "resource": resource, "context": context});
    serve.post_json("/v1/authorize", &body.to_string())
}

fn decision(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(
        body["allowed"],
        body["decision"] == "Allow",
        "allowed agrees with decision: {body}"
    );
    body["decision"].as_str().unwrap().to_string()
}

#[test]
fn authorize_answers_with_the_decision_and_its_statements() {
    let serve = Serve::start(&["--store", "policies"]);
    let health = serve.get("/healthz");
    assert_eq!(health.status, 200);
    let revision = health.body.trim().to_string();
    assert_eq!(revision.len(), 16, "{health:?}");
    assert_eq!(
        health.header("x-ramcheck-revision"),
        Some(revision.as_str())
    );

    let reply = ask(
        &serve,
        "user/alice",
        "imm:AttachOSSBucket",
        IMMTEST,
        json!({}),
    );
    assert_eq!(decision(&reply), "Allow");
    let body = reply.json();
    assert_eq!(body["revision"], revision.as_str());
    assert_eq!(body["statements"][0]["policy"], "ImmAttachImmtest");
    assert_eq!(body["statements"][0]["sid"], "AttachBucketsToImmtest");
    assert_eq!(body["statements"][0]["statement"], 0);
    let id = body["decision_id"].as_str().unwrap();
    assert_eq!(reply.header("x-ramcheck-decision-id"), Some(id));
    assert_eq!(reply.header("x-ramcheck-decision"), Some("Allow"));

    // Another project: implicitly denied, with the closest statement.
    let reply = ask(&serve, "user/alice", "imm:AttachOSSBucket", PROD, json!({}));
    assert_eq!(decision(&reply), "ImplicitDeny");
    assert_eq!(reply.json()["closest"][0]["failed"]["part"], "Resource");
    assert_ne!(reply.json()["decision_id"], id);

    // bob's NeverDelete statement.
    let reply = ask(
        &serve,
        "user/bob",
        "imm:DeleteProject",
        MEDIA_NEWS,
        json!({}),
    );
    assert_eq!(decision(&reply), "ExplicitDeny");
    assert_eq!(reply.json()["statements"][0]["sid"], "NeverDelete");

    // The context decides: bob may update media projects from the office.
    let reply = ask(
        &serve,
        "user/bob",
        "imm:UpdateProject",
        MEDIA_NEWS,
        json!({}),
    );
    assert_eq!(decision(&reply), "ImplicitDeny");
    let office = json!({"acs:SourceIp": ["192.0.2.10"]});
    let reply = ask(&serve, "user/bob", "imm:UpdateProject", MEDIA_NEWS, office);
    assert_eq!(decision(&reply), "Allow");
    // A scalar is one value; an IPv4-mapped address is the IPv4 address.
    let mapped = json!({"acs:sourceip": "::ffff:192.0.2.10"});
    let reply = ask(&serve, "user/bob", "imm:UpdateProject", MEDIA_NEWS, mapped);
    assert_eq!(decision(&reply), "Allow");

    // Principals the store does not hold are denied, not errors.
    for principal in [
        "user/mallory",
        "role/nobody",
        "assumed-role/imm-deployer/session-1",
        "acs:ram::999:user/alice",
        "service/ecs.aliyuncs.com",
    ] {
        let reply = ask(&serve, principal, "imm:AttachOSSBucket", IMMTEST, json!({}));
        let expected = if principal.starts_with("assumed-role/imm-deployer") {
            // A session of a store role decides with the role's policies.
            "Allow"
        } else {
            "ImplicitDeny"
        };
        assert_eq!(decision(&reply), expected, "{principal}: {reply:?}");
    }
}

#[test]
fn malformed_requests_get_400_and_an_error_object() {
    let serve = Serve::start(&["--store", "policies"]);
    let cases: &[(&str, &str)] = &[
        ("", "MalformedJson"),
        ("{", "MalformedJson"),
        ("[]", "InvalidRequest"),
        ("null", "InvalidRequest"),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject"}"#,
            "InvalidRequest",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "extra": 1}"#,
            "InvalidRequest",
        ),
        (
            r#"{"principal": "user/alice", "principal": "user/bob", "action": "imm:GetProject", "resource": "*"}"#,
            "InvalidRequest",
        ),
        (
            r#"{"principal": 1, "action": "imm:GetProject", "resource": "*"}"#,
            "InvalidRequest",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": []}"#,
            "InvalidRequest",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {"acs:SourceIp": ["abc"]}}"#,
            "InvalidContext",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {"acs:SecureTransport": "yes"}}"#,
            "InvalidContext",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {"acs:SourceIp": "192.0.2.1", "ACS:SOURCEIP": "192.0.2.1"}}"#,
            "InvalidContext",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {"acs:SourceIp": null}}"#,
            "InvalidContext",
        ),
        (
            // RAM sets acs:PrincipalARN from the caller: a contradiction is refused.
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {"acs:PrincipalARN": "acs:ram::1234567890123456:user/bob"}}"#,
            "ContextContradictsPrincipal",
        ),
        (
            r#"{"principal": "alice", "action": "imm:GetProject", "resource": "*"}"#,
            "InvalidPrincipal",
        ),
        (
            r#"{"principal": "user/\u001b[2J", "action": "imm:GetProject", "resource": "*"}"#,
            "InvalidPrincipal",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:*", "resource": "*"}"#,
            "InvalidAction",
        ),
        (
            r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "acs:imm:*"}"#,
            "InvalidResource",
        ),
    ];
    for (body, code) in cases {
        let reply = serve.post_json("/v1/authorize", body);
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert_eq!(reply.error_code(), *code, "{body}: {reply:?}");
        assert!(reply.header("x-ramcheck-decision").is_none(), "{reply:?}");
    }

    // Not JSON, too large, wrong method, unknown path.
    let reply = request(
        serve.addr,
        "POST",
        "/v1/authorize",
        &[],
        Some(r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*"}"#),
    );
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (415, "UnsupportedMediaType")
    );
    let reply = request(
        serve.addr,
        "POST",
        "/v1/authorize",
        &[
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
        ],
        Some(r#"{"principal": "user/alice", "action": "imm:GetProject", "resource": "*"}"#),
    );
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "RepeatedHeader")
    );
    let big = format!(
        r#"{{"principal": "user/alice", "action": "imm:GetProject", "resource": "*", "context": {{"acs:UserAgent": "{}"}}}}"#,
        "a".repeat(70_000)
    );
    let reply = serve.post_json("/v1/authorize", &big);
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (413, "BodyTooLarge")
    );
    let reply = serve.get("/v1/authorize");
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (405, "MethodNotAllowed")
    );
    assert_eq!(reply.header("allow"), Some("POST"));
    let reply = serve.get("/v1/nothing");
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (404, "NotFound")
    );

    // Still serving, and the 400s (the cases and the repeated Content-Type)
    // were counted, not decided.
    assert_eq!(serve.get("/healthz").status, 200);
    let undecided = serve
        .metric("ramcheck_decisions_total{decision=\"Allow\"}")
        .unwrap()
        + serve
            .metric("ramcheck_decisions_total{decision=\"ImplicitDeny\"}")
            .unwrap();
    assert_eq!(undecided, 0.0);
    assert_eq!(
        serve.metric("ramcheck_http_responses_total{endpoint=\"authorize\",code=\"400\"}"),
        Some(cases.len() as f64 + 1.0)
    );
}

#[test]
fn api_calls_are_checked_and_decided_for_every_resource() {
    let serve = Serve::start(&["--store", "policies"]);
    let call = |body: Value| serve.post_json("/v1/authorize/api", &body.to_string());

    let reply = call(
        json!({"principal": "user/alice", "api": "AttachOSSBucket", "region": "cn-hangzhou",
        "params": {"ProjectName": "immtest", "OSSBucket": "examplebucket"}}),
    );
    assert_eq!(decision(&reply), "Allow");
    let body = reply.json();
    assert_eq!(body["resource"], IMMTEST);
    assert_eq!(body["api"]["account"], ACCOUNT);
    assert_eq!(body["resources"].as_array().unwrap().len(), 1);
    assert_eq!(body["resources"][0]["decision"], "Allow");
    assert_eq!(body["resources"][0]["decision_id"], body["decision_id"]);
    assert!(body.get("no_permission").is_none(), "{body}");

    // Denied: RAM's NoPermission body, with the decision id as request id.
    let reply = call(
        json!({"principal": "user/alice", "api": "AttachOSSBucket", "region": "cn-hangzhou",
        "account": ACCOUNT, "params": {"ProjectName": "prod", "OSSBucket": "examplebucket"}}),
    );
    assert_eq!(decision(&reply), "ImplicitDeny");
    let body = reply.json();
    let denial = &body["no_permission"];
    assert_eq!(denial["Code"], "NoPermission");
    assert_eq!(denial["RequestId"], body["decision_id"]);
    assert_eq!(
        denial["AccessDeniedDetail"]["NoPermissionType"],
        "ImplicitDeny"
    );
    assert_eq!(denial["DecodedDiagnosticMessage"]["AuthResource"], PROD);

    let reply = call(
        json!({"principal": "user/bob", "api": "DeleteProject", "region": "cn-hangzhou",
        "params": {"ProjectName": "media-news"}}),
    );
    assert_eq!(decision(&reply), "ExplicitDeny");
    assert_eq!(
        reply.json()["no_permission"]["AccessDeniedDetail"]["NoPermissionType"],
        "ExplicitDeny"
    );

    // The control policy denies imm:* outside mainland regions.
    let reply = call(
        json!({"principal": "role/imm-deployer", "api": "DeleteProject",
        "region": "ap-southeast-1", "params": {"ProjectName": "immtest"}}),
    );
    assert_eq!(decision(&reply), "ExplicitDeny");
    assert_eq!(reply.json()["deciding_step"], "Control");

    // Invalid calls: IMM's codes, 400, and the status IMM would answer.
    let invalid: &[(Value, &str, u64)] = &[
        (
            json!({"principal": "user/alice", "api": "AttachOSSBucket", "region": "cn-hangzhou",
                "params": {"OSSBucket": "b"}}),
            "MissingProjectName",
            400,
        ),
        (
            json!({"principal": "user/alice", "api": "AttachOssBucket", "region": "cn-hangzhou"}),
            "InvalidAction.NotFound",
            404,
        ),
        (
            json!({"principal": "user/alice", "api": "GetProject", "region": "cn-hangzhou",
                "params": {"ProjectName": "immtest", "projectname": "prod"}}),
            "Invalidprojectname",
            400,
        ),
        (
            json!({"principal": "user/alice", "api": "GetProject", "region": "CN HANGZHOU",
                "params": {"ProjectName": "immtest"}}),
            "InvalidRegionId",
            400,
        ),
    ];
    for (body, code, imm_status) in invalid {
        let reply = call(body.clone());
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert_eq!(reply.error_code(), *code, "{body}");
        assert_eq!(reply.json()["error"]["imm_status"], *imm_status);
    }
    // A parameter named twice in the JSON itself, or not a scalar.
    let reply = serve.post_json(
        "/v1/authorize/api",
        r#"{"principal": "user/alice", "api": "GetProject", "region": "cn-hangzhou",
            "params": {"ProjectName": "immtest", "ProjectName": "prod"}}"#,
    );
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "InvalidProjectName")
    );
    let reply = call(
        json!({"principal": "user/alice", "api": "GetProject", "region": "cn-hangzhou",
        "params": {"ProjectName": ["immtest"]}}),
    );
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "InvalidProjectName")
    );
    let reply = call(json!({"principal": "user/alice", "api": "GetProject"}));
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "InvalidRequest")
    );
}

#[test]
fn auth_request_decides_from_headers() {
    let serve = Serve::start(&["--store", "policies"]);
    let ask =
        |headers: &[(&str, &str)]| request(serve.addr, "GET", "/v1/auth-request", headers, None);
    let alice = [
        ("X-Ramcheck-Principal", "user/alice"),
        ("X-Ramcheck-Action", "imm:AttachOSSBucket"),
        ("X-Ramcheck-Resource", IMMTEST),
    ];
    let reply = ask(&alice);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("x-ramcheck-decision"), Some("Allow"));
    assert_eq!(
        reply.json()["decision_id"],
        reply.header("x-ramcheck-decision-id").unwrap()
    );
    // Any method: nginx asks with the method of the request it checks.
    let post = request(
        serve.addr,
        "POST",
        "/v1/auth-request",
        &alice,
        Some("ignored"),
    );
    assert_eq!(post.status, 200, "{post:?}");

    let reply = ask(&[
        ("X-Ramcheck-Principal", "user/alice"),
        ("X-Ramcheck-Action", "imm:AttachOSSBucket"),
        ("X-Ramcheck-Resource", PROD),
    ]);
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.header("x-ramcheck-decision"), Some("ImplicitDeny"));
    let reply = ask(&[
        ("X-Ramcheck-Principal", "user/nobody"),
        ("X-Ramcheck-Action", "imm:AttachOSSBucket"),
        ("X-Ramcheck-Resource", IMMTEST),
    ]);
    assert_eq!(reply.status, 403, "{reply:?}");

    // Context headers: bob from the office.
    let bob = [
        ("X-Ramcheck-Principal", "user/bob"),
        ("X-Ramcheck-Action", "imm:UpdateProject"),
        ("X-Ramcheck-Resource", MEDIA_NEWS),
    ];
    assert_eq!(ask(&bob).status, 403);
    let mut office = bob.to_vec();
    office.push(("X-Ramcheck-Context-Acs-SourceIp", "192.0.2.10"));
    assert_eq!(ask(&office).status, 200);
    // The whole context as JSON, for keys no header name can spell and
    // multi-valued keys.
    let with_json = |json: &'static str| {
        let mut headers = bob.to_vec();
        headers.push(("X-Ramcheck-Context", json));
        ask(&headers)
    };
    let reply = with_json(
        r#"{"acs:SourceIp": "192.0.2.10", "acs:ResourceTag/env": "prod", "acs:TagKeys": ["env", "team"]}"#,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    for (json, why) in [
        (
            r#"{"acs:SourceIp": ["192.0.2.10", "192.0.2.11"]}"#,
            "one value",
        ),
        (r#"{"acs:SourceIp": "office"}"#, "typed"),
        (r#"["acs:SourceIp"]"#, "an object"),
        (
            r#"{"acs:SourceIp": "192.0.2.10", "ACS:SOURCEIP": "192.0.2.10"}"#,
            "once",
        ),
    ] {
        let reply = with_json(json);
        assert_eq!(reply.status, 400, "{why}: {reply:?}");
    }
    // A key given by its own header and in the JSON header is refused.
    let mut both = office.clone();
    both.push(("X-Ramcheck-Context", r#"{"acs:SourceIp": "203.0.113.9"}"#));
    let reply = ask(&both);
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "InvalidContext")
    );
    let mut twice = office.clone();
    twice.push(("X-Ramcheck-Context", "{}"));
    twice.push(("X-Ramcheck-Context", "{}"));
    assert_eq!(ask(&twice).error_code(), "RepeatedHeader");

    // Malformed: missing, repeated, not typed as the key requires.
    let malformed: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (alice[1..].to_vec(), "MissingHeader"),
        (alice[..2].to_vec(), "MissingHeader"),
        (
            [&alice[..], &[("X-Ramcheck-Principal", "user/bob")]].concat(),
            "RepeatedHeader",
        ),
        (
            [&alice[..], &[("x-ramcheck-action", "imm:GetProject")]].concat(),
            "RepeatedHeader",
        ),
        (
            [&alice[..], &[("X-Ramcheck-Resource", PROD)]].concat(),
            "RepeatedHeader",
        ),
        (
            [
                &office[..],
                &[("X-Ramcheck-Context-Acs-SourceIp", "192.0.2.11")],
            ]
            .concat(),
            "RepeatedHeader",
        ),
        (
            [
                &bob[..],
                &[("X-Ramcheck-Context-Acs-SourceIp", "the office")],
            ]
            .concat(),
            "InvalidContext",
        ),
        (
            [&bob[..], &[("X-Ramcheck-Context-Acs", "x")]].concat(),
            "InvalidContext",
        ),
        (
            vec![
                ("X-Ramcheck-Principal", "user/alice, user/bob"),
                ("X-Ramcheck-Action", "imm:AttachOSSBucket"),
                ("X-Ramcheck-Resource", IMMTEST),
            ],
            "InvalidPrincipal",
        ),
        (
            vec![
                ("X-Ramcheck-Principal", "user/alice"),
                ("X-Ramcheck-Action", "imm:Attach*"),
                ("X-Ramcheck-Resource", IMMTEST),
            ],
            "InvalidAction",
        ),
    ];
    for (headers, code) in &malformed {
        let reply = ask(headers);
        assert_eq!(reply.status, 400, "{headers:?}: {reply:?}");
        assert_eq!(reply.error_code(), *code, "{headers:?}");
    }
}

/// A small deterministic generator, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn hostile_bodies_never_break_the_service() {
    let serve = Serve::start(&["--store", "policies"]);
    let seeds = [
        json!({"principal": "user/alice", "action": "imm:AttachOSSBucket", "resource": IMMTEST,
            "context": {"acs:SourceIp": ["192.0.2.10"], "acs:CurrentTime": "2026-01-01T00:00:00Z"}})
        .to_string(),
        json!({"principal": "user/bob", "api": "AttachOSSBucket", "region": "cn-hangzhou",
            "params": {"ProjectName": "media-news", "OSSBucket": "b"}, "context": {"acs:SecureTransport": true}})
        .to_string(),
    ];
    let noise: &[&str] = &[
        "\"",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\\u0000",
        "\\ud800",
        "*",
        "?",
        "/",
        "acs:",
        "::ffff:",
        "null",
        "1e999",
        "-0",
        "\u{202e}",
        "\u{1b}[2J",
        "é",
        "\\",
        "\"\"",
        "[[[[[[[[",
        "true",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut statuses = std::collections::BTreeMap::new();
    for round in 0..300 {
        let seed = &seeds[round % seeds.len()];
        let mut body: Vec<u8> = seed.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(body.len() + 1);
            match rng.below(3) {
                0 => {
                    let piece = noise[rng.below(noise.len())].as_bytes();
                    body.splice(at..at, piece.iter().copied());
                }
                1 if at < body.len() => {
                    let end = (at + 1 + rng.below(8)).min(body.len());
                    body.drain(at..end);
                }
                _ => {
                    let byte = rng.next() as u8;
                    body.insert(at, byte);
                }
            }
        }
        let target = if round % 2 == 0 {
            "/v1/authorize"
        } else {
            "/v1/authorize/api"
        };
        // Bytes that are not UTF-8 go as they are.
        let mut stream = TcpStream::connect(serve.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let reply = read_reply(&mut stream);
        assert!(
            matches!(reply.status, 200 | 400),
            "{target} {:?}: {reply:?}",
            String::from_utf8_lossy(&body)
        );
        if reply.status == 400 {
            reply.error_code();
        } else {
            assert!(reply.json()["decision"].is_string(), "{reply:?}");
        }
        *statuses.entry(reply.status).or_insert(0) += 1;
    }
    // Both kinds of answer were exercised, and the service is still up.
    assert!(statuses.len() == 2, "{statuses:?}");
    assert_eq!(serve.get("/healthz").status, 200);
    assert!(!serve.process.stderr().contains("panicked"));
}

#[test]
fn reloads_on_change_and_on_sighup_keep_the_last_good_store() {
    let dir = scratch("serve-reload");
    let store = dir.join("store");
    copy_store(&store);
    let mut serve = Serve::start(&["--store", store.to_str().unwrap()]);
    let first = serve.revision();
    let alice_prod = |serve: &Serve| {
        decision(&ask(
            serve,
            "user/alice",
            "imm:AttachOSSBucket",
            PROD,
            json!({}),
        ))
    };
    assert_eq!(alice_prod(&serve), "ImplicitDeny");

    // An edit is seen by content and swapped in.
    let policy = store.join("ImmAttachImmtest.json");
    let original = std::fs::read_to_string(&policy).unwrap();
    replace_file(
        &policy,
        &original.replace("project/immtest", "project/prod"),
    );
    // The new store serves a moment before its reload is counted.
    wait_until("the edit to be loaded", Duration::from_secs(15), || {
        serve.revision() != first
            && serve.metric("ramcheck_store_reloads_total{result=\"ok\"}") >= Some(1.0)
    });
    let second = serve.revision();
    assert_eq!(alice_prod(&serve), "Allow");
    assert_eq!(
        serve.metric(&format!(
            "ramcheck_store_info{{revision=\"{second}\",account=\"{ACCOUNT}\"}}"
        )),
        Some(1.0)
    );

    // A broken edit fails to load: the last good store keeps serving.
    replace_file(&policy, "{\"Version\": \"1\", \"Statement\": [");
    wait_until("the failed reload", Duration::from_secs(15), || {
        serve.metric("ramcheck_store_reloads_total{result=\"failed\"}") >= Some(1.0)
    });
    assert_eq!(serve.revision(), second);
    assert_eq!(alice_prod(&serve), "Allow");
    serve
        .process
        .wait_stderr("still serving revision", Duration::from_secs(5));

    // SIGHUP reloads at once (the fixed file, written with the poller's
    // view updated by the failed load).
    std::fs::write(&policy, &original).unwrap();
    serve.process.signal("HUP");
    wait_until("the SIGHUP reload", Duration::from_secs(15), || {
        serve.revision() == first
    });
    assert_eq!(alice_prod(&serve), "ImplicitDeny");
    serve
        .process
        .wait_stderr("(SIGHUP)", Duration::from_secs(5));
}

#[test]
fn the_decision_log_has_one_line_per_decision() {
    let dir = scratch("serve-log");
    let log = dir.join("decisions.jsonl");
    let mut serve = Serve::start(&[
        "--store",
        "policies",
        "--decision-log",
        log.to_str().unwrap(),
        "--log-context",
        "values",
    ]);
    let office = json!({"acs:SourceIp": ["192.0.2.10"]});
    let allowed = ask(&serve, "user/bob", "imm:UpdateProject", MEDIA_NEWS, office);
    assert_eq!(decision(&allowed), "Allow");
    let denied = ask(
        &serve,
        "user/bob",
        "imm:DeleteProject",
        MEDIA_NEWS,
        json!({}),
    );
    assert_eq!(decision(&denied), "ExplicitDeny");
    let api = serve.post_json(
        "/v1/authorize/api",
        &json!({"principal": "user/alice", "api": "AttachOSSBucket", "region": "cn-hangzhou",
            "params": {"ProjectName": "immtest", "OSSBucket": "b"}})
        .to_string(),
    );
    assert_eq!(decision(&api), "Allow");
    // Not decisions: not logged.
    assert_eq!(serve.post_json("/v1/authorize", "{").status, 400);

    serve.process.signal("TERM");
    let status = serve.process.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status}: {}", serve.process.stderr());

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let first = &lines[0];
    assert_eq!(first["decision_id"], allowed.json()["decision_id"]);
    assert_eq!(first["principal"], "acs:ram::1234567890123456:user/bob");
    assert_eq!(first["action"], "imm:UpdateProject");
    assert_eq!(first["resource"], MEDIA_NEWS);
    assert_eq!(first["decision"], "Allow");
    assert_eq!(first["context"]["acs:SourceIp"], json!(["192.0.2.10"]));
    assert_eq!(first["statements"][0]["policy"], "ImmMediaOperator");
    assert_eq!(first["statements"][0]["statement"], 1);
    assert_eq!(
        first["statements"][0]["sid"],
        "ManageMediaProjectsFromOffice"
    );
    assert_eq!(first["revision"], allowed.json()["revision"]);
    assert!(first["latency_us"].as_f64().unwrap() >= 0.0);
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["statements"][0]["sid"], "NeverDelete");
    assert_eq!(lines[2]["api"], "AttachOSSBucket");
    assert_eq!(lines[2]["endpoint"], "authorize_api");

    // keys: the keys only; none: no context at all.
    for (what, expected) in [
        (
            "keys",
            Some(json!([
                "acs:CurrentTime",
                "acs:PrincipalARN",
                "acs:SourceIp"
            ])),
        ),
        ("none", None),
    ] {
        let mut serve = Serve::start_with(
            &[
                "--store",
                "policies",
                "--decision-log",
                "-",
                "--log-context",
                what,
            ],
            Stdio::piped(),
        );
        let office = json!({"acs:SourceIp": ["192.0.2.10"]});
        decision(&ask(
            &serve,
            "user/bob",
            "imm:UpdateProject",
            MEDIA_NEWS,
            office,
        ));
        serve.process.signal("TERM");
        serve.process.wait_exit(Duration::from_secs(15));
        let mut out = String::new();
        use std::io::Read;
        serve
            .process
            .child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let line: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(line.get("context").cloned(), expected, "{what}: {out}");
    }
}

/// logrotate renames the log and sends SIGHUP: the lines after the signal
/// go to a new file of the old name.
#[test]
fn sighup_reopens_the_decision_log_for_rotation() {
    let dir = scratch("serve-log-rotate");
    let log = dir.join("decisions.jsonl");
    let rotated = dir.join("decisions.jsonl.1");
    let mut serve = Serve::start(&[
        "--store",
        "policies",
        "--decision-log",
        log.to_str().unwrap(),
    ]);
    let lines = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let first = ask(
        &serve,
        "user/alice",
        "imm:AttachOSSBucket",
        IMMTEST,
        json!({}),
    );
    wait_until("the first line", Duration::from_secs(10), || {
        lines(&log) == 1
    });
    std::fs::rename(&log, &rotated).unwrap();
    serve.process.signal("HUP");
    serve
        .process
        .wait_stderr("(SIGHUP)", Duration::from_secs(10));
    let second = ask(
        &serve,
        "user/alice",
        "imm:AttachOSSBucket",
        IMMTEST,
        json!({}),
    );
    wait_until("the new file", Duration::from_secs(10), || lines(&log) == 1);
    serve.process.signal("TERM");
    serve.process.wait_exit(Duration::from_secs(15));
    let id = |path: &std::path::Path| -> Value {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str::<Value>(text.lines().next().unwrap()).unwrap()["decision_id"].clone()
    };
    assert_eq!(lines(&rotated), 1);
    assert_eq!(id(&rotated), first.json()["decision_id"]);
    assert_eq!(lines(&log), 1);
    assert_eq!(id(&log), second.json()["decision_id"]);
}

#[test]
fn a_full_log_disk_is_reported_and_decisions_go_on() {
    let mut serve = Serve::start(&["--store", "policies", "--decision-log", "/dev/full"]);
    for _ in 0..3 {
        let reply = ask(
            &serve,
            "user/alice",
            "imm:AttachOSSBucket",
            IMMTEST,
            json!({}),
        );
        assert_eq!(decision(&reply), "Allow");
    }
    wait_until(
        "the write errors to be counted",
        Duration::from_secs(10),
        || serve.metric("ramcheck_decision_log_write_errors_total") >= Some(1.0),
    );
    assert!(serve.metric("ramcheck_decision_log_lost_total") >= Some(1.0));
    assert_eq!(serve.metric("ramcheck_decision_log_lines_total"), Some(0.0));
    serve
        .process
        .wait_stderr("decision log: write failed", Duration::from_secs(5));
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    let mut serve = Serve::start(&["--store", "policies"]);
    let body =
        json!({"principal": "user/alice", "action": "imm:AttachOSSBucket", "resource": IMMTEST})
            .to_string();
    let (half, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(serve.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{half}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    serve.process.signal("TERM");
    serve
        .process
        .wait_stderr("finishing the requests in flight", Duration::from_secs(5));
    // New connections are refused once the listener is closed.
    wait_until("the listener to close", Duration::from_secs(5), || {
        TcpStream::connect(serve.addr).is_err()
    });
    stream.write_all(rest.as_bytes()).unwrap();
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["decision"], "Allow");
    let status = serve.process.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status}");
    serve
        .process
        .wait_stderr("stopped after 1 decisions", Duration::from_secs(5));
}

#[test]
fn startup_errors_exit_2() {
    let dir = scratch("serve-startup");
    let out = common::ramcheck(&[
        "serve",
        "--store",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(common::status(&out), 2, "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("cannot load the store"),
        "{}",
        common::stderr(&out)
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = common::ramcheck(&["serve", "--listen", &addr]);
    assert_eq!(common::status(&out), 2, "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("cannot listen on"),
        "{}",
        common::stderr(&out)
    );

    let out = common::ramcheck(&[
        "serve",
        "--decision-log",
        dir.join("no/such/dir").to_str().unwrap(),
    ]);
    assert_eq!(common::status(&out), 2, "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("cannot open the decision log"));
}

/// Splits a shell command line: words, with single-quoted strings kept
/// whole (all the README's examples need).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn the_readme_curl_examples_work_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## `ramcheck serve`").expect("a serve section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];

    // Commands (with their continuation lines) and the output shown.
    let mut examples: Vec<(String, String)> = Vec::new();
    let mut in_console = false;
    let mut continuing = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_console = line == "```console";
            continuing = false;
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            examples.push((command.trim_end_matches('\\').to_string(), String::new()));
            continuing = line.ends_with('\\');
        } else if let Some((command, output)) = examples.last_mut() {
            if continuing {
                command.push(' ');
                command.push_str(line.trim().trim_end_matches('\\'));
                continuing = line.ends_with('\\');
            } else {
                output.push_str(line);
                output.push('\n');
            }
        }
    }

    let serve = Serve::start(&["--store", "policies"]);
    let mut curls = 0;
    for (command, output) in &examples {
        let words = shell_words(command);
        if words.first().map(String::as_str) != Some("curl") {
            continue;
        }
        curls += 1;
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body = None;
        let mut url = None;
        let mut args = words[1..].iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-s" | "-i" => {}
                "-H" => {
                    let (name, value) = args.next().unwrap().split_once(':').unwrap();
                    headers.push((name.trim().to_string(), value.trim().to_string()));
                }
                "-d" => body = Some(args.next().unwrap().clone()),
                other if other.starts_with("http://127.0.0.1:8181/") => url = Some(other),
                other => panic!("the test does not know curl's {other} (in {command})"),
            }
        }
        let target = &url.expect("a URL")["http://127.0.0.1:8181".len()..];
        let method = if body.is_some() { "POST" } else { "GET" };
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let reply = request(serve.addr, method, target, &headers, body.as_deref());

        let shown_status = output
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .map(|s| s.parse::<u16>().unwrap());
        let shown_error = output
            .split("\"error\":{\"code\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        let expected_status = shown_status.unwrap_or(if shown_error.is_some() { 400 } else { 200 });
        assert_eq!(reply.status, expected_status, "{command}: {reply:?}");
        if let Some(code) = shown_error {
            assert_eq!(reply.error_code(), code, "{command}");
        }
        if let Some(decision) = output
            .split("\"decision\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        {
            assert_eq!(reply.json()["decision"], decision, "{command}: {reply:?}");
        }
        if target == "/healthz" {
            assert_eq!(reply.body.trim().len(), 16, "{reply:?}");
        }
    }
    assert!(curls >= 5, "only {curls} curl examples found");
}

#[test]
fn a_stalled_log_reader_never_holds_up_decisions() {
    // The log goes to a pipe nobody reads: once the pipe and the queue are
    // full, lines are dropped and counted, and decisions go on.
    let mut serve = Serve::start_with(
        &["--store", "policies", "--decision-log", "-"],
        Stdio::piped(),
    );
    let mut connection = KeepAlive::connect(serve.addr);
    let started = std::time::Instant::now();
    for n in 0..10_000 {
        let reply = connection.get(
            "/v1/auth-request",
            &[
                ("X-Ramcheck-Principal", "user/alice"),
                ("X-Ramcheck-Action", "imm:AttachOSSBucket"),
                ("X-Ramcheck-Resource", IMMTEST),
            ],
        );
        assert_eq!(reply.status, 200, "request {n}: {reply:?}");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "stuck at request {n}"
        );
    }
    let dropped = serve.metric("ramcheck_decision_log_dropped_total").unwrap();
    assert!(dropped > 0.0, "nothing dropped");
    assert!(serve.metric("ramcheck_decisions_total{decision=\"Allow\"}") == Some(10_000.0));
    serve
        .process
        .wait_stderr("the writer fell behind", Duration::from_secs(5));
}

/// JSON numbers are compared as written, as `can-i --batch` and the CLI
/// compare them: read as binary floats, `0.30000000000000000001` was 0.3
/// and a Deny on `NumericGreaterThan 0.3` did not apply (an allow), and
/// integers past 2^64 lost their last digits.
#[test]
fn context_numbers_keep_every_digit() {
    let dir = scratch("serve-numbers");
    std::fs::write(
        dir.join("P.json"),
        r#"{"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "imm:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "imm:*", "Resource": "*",
             "Condition": {"NumericGreaterThan": {"imm:f": "0.3"}}},
            {"Effect": "Deny", "Action": "imm:*", "Resource": "*",
             "Condition": {"NumericGreaterThan": {"imm:n": "100000000000000000000"}}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "bob", "Policies": ["P"]}]}"#,
    )
    .unwrap();
    let serve = Serve::start(&["--store", dir.to_str().unwrap()]);
    let body = |f: &str, n: &str| {
        format!(
            r#"{{"principal": "user/bob", "action": "imm:GetProject", "resource": "*",
                 "context": {{"imm:f": {f}, "imm:n": {n}}}}}"#
        )
    };
    for (f, n, want) in [
        ("0.1", "1", "Allow"),
        ("0.30000000000000000001", "1", "ExplicitDeny"),
        (r#""0.30000000000000000001""#, "1", "ExplicitDeny"),
        ("[0.30000000000000000001]", "1", "ExplicitDeny"),
        ("0.1", "100000000000000000001", "ExplicitDeny"),
        ("0.1", "100000000000000000000", "Allow"),
    ] {
        let reply = serve.post_json("/v1/authorize", &body(f, n));
        assert_eq!(decision(&reply), want, "{f} {n}: {reply:?}");
    }
}
