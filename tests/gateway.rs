//! The gateway example (`examples/gateway.rs`), served on 127.0.0.1 and
//! called over real HTTP/1.1 connections with a minimal client.

#![allow(clippy::result_large_err)]

mod common;
#[path = "common/gateway.rs"]
mod gateway_harness;

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use common::ACCOUNT;
use gateway_harness::gateway::Gateway;
use gateway_harness::*;

#[test]
fn allowed_calls_get_the_stub_upstream_body() {
    let server = Server::bundled();

    let reply = server.rpc(Some("user/alice"), ATTACH_IMMTEST);
    assert_eq!(reply.status, 200, "{reply:?}");
    let id = reply.body["RequestId"].as_str().unwrap();
    assert!(is_request_id(id), "{id}");
    assert_eq!(reply.body.as_object().unwrap().len(), 1, "{reply:?}");
    assert_eq!(reply.header("x-acs-request-id"), Some(id));
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    // POST with the same query string, as the SDKs send it.
    let post = http(
        server.addr,
        "POST",
        &format!("/?{ATTACH_IMMTEST}"),
        &[("x-ramcheck-principal", "user/alice")],
    );
    assert_eq!(post.status, 200, "{post:?}");
    assert_ne!(post.body["RequestId"], reply.body["RequestId"]);

    // The ARN form of the principal, and extra RPC common parameters.
    let arn = format!("acs:ram::{ACCOUNT}:user/alice");
    let reply = server.rpc(
        Some(&arn),
        &format!("{ATTACH_IMMTEST}&Version=2020-09-30&Format=JSON"),
    );
    assert_eq!(reply.status, 200, "{reply:?}");

    // A role, in a region named by the header (EXPECTED.md row 18).
    let reply = server.rpc_with(
        Some("role/imm-deployer"),
        "Action=DeleteProject&ProjectName=immtest",
        &[("x-ramcheck-region", "cn-shanghai")],
    );
    assert_eq!(reply.status, 200, "{reply:?}");

    // Alice's group allows imm:Get* (row 5).
    let reply = server.rpc(Some("user/alice"), "Action=GetProject&ProjectName=immprod");
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn denied_calls_get_the_no_permission_body() {
    let server = Server::bundled();

    let reply = server.rpc(Some("user/alice"), ATTACH_PROD);
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.code(), "NoPermission");
    assert!(is_request_id(reply.body["RequestId"].as_str().unwrap()));
    assert_eq!(reply.body["HostId"], "imm.cn-hangzhou.aliyuncs.com");
    let detail = &reply.body["AccessDeniedDetail"];
    assert_eq!(detail["NoPermissionType"], "ImplicitDeny");
    assert_eq!(detail["AuthAction"], "imm:AttachOSSBucket");
    assert_eq!(detail["AuthPrincipalType"], "SubUser");
    assert_eq!(detail["AuthPrincipalOwnerId"], ACCOUNT);
    assert_eq!(detail["AuthPrincipalDisplayName"], "alice");
    assert_eq!(detail["PolicyType"], "AccountLevelIdentityBasedPolicy");
    let decoded = &reply.body["DecodedDiagnosticMessage"];
    assert_eq!(decoded["ExplicitDeny"], false);
    assert_eq!(
        decoded["AuthResource"],
        format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/prod")
    );
    // The context the gateway built: the peer's address, plain HTTP.
    let conditions = decoded["AuthConditions"].as_array().unwrap();
    let condition = |key: &str| {
        conditions
            .iter()
            .find(|c| c["ConditionKey"] == key)
            .map(|c| c["ConditionValues"].clone())
    };
    assert_eq!(
        condition("acs:SourceIp"),
        Some(serde_json::json!(["127.0.0.1"]))
    );
    assert_eq!(
        condition("acs:SecureTransport"),
        Some(serde_json::json!(["false"]))
    );
    assert!(condition("acs:CurrentTime").is_some());

    // An explicit deny: bob's NeverDelete (rows 11 and 12).
    let reply = server.rpc(
        Some("user/bob"),
        "Action=DeleteProject&ProjectName=media-news",
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.code(), "NoPermission");
    assert_eq!(reply.no_permission_type(), "ExplicitDeny");
    assert_eq!(
        reply.body["AccessDeniedDetail"]["AuthAction"],
        "imm:DeleteProject"
    );
    assert_eq!(reply.body["DecodedDiagnosticMessage"]["ExplicitDeny"], true);
    assert_eq!(
        reply.body["DecodedDiagnosticMessage"]["MatchedPolicies"][0]["PolicyIdentifier"],
        "ImmMediaOperator"
    );

    // Bob may update media projects only from 192.0.2.0/24 (rows 8-10);
    // this call comes from 127.0.0.1.
    let reply = server.rpc(
        Some("user/bob"),
        "Action=UpdateProject&ProjectName=media-news",
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.no_permission_type(), "ImplicitDeny");

    // The control policy, in a region named by the header (row 7).
    let reply = server.rpc_with(
        Some("user/alice"),
        "Action=GetProject&ProjectName=immtest",
        &[("x-ramcheck-region", "ap-southeast-1")],
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.no_permission_type(), "ExplicitDeny");
    assert_eq!(
        reply.body["AccessDeniedDetail"]["PolicyType"],
        "ControlPolicy"
    );
    assert_eq!(reply.body["HostId"], "imm.ap-southeast-1.aliyuncs.com");

    // Principals the store does not hold: unknown, or of another account.
    for principal in ["user/mallory", "role/alice", "acs:ram::999:user/alice"] {
        let reply = server.rpc(Some(principal), ATTACH_IMMTEST);
        assert_eq!(reply.status, 403, "{principal}: {reply:?}");
        assert_eq!(reply.code(), "NoPermission");
        assert_eq!(reply.no_permission_type(), "ImplicitDeny");
    }
    let reply = server.rpc(Some("acs:ram::999:user/alice"), ATTACH_IMMTEST);
    assert_eq!(
        reply.body["AccessDeniedDetail"]["AuthPrincipalOwnerId"],
        "999"
    );
    let reply = server.rpc(Some("role/imm-deployer"), ATTACH_IMMTEST);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body.as_object().unwrap().len(), 1);
}

#[test]
fn invalid_calls_get_imm_error_codes() {
    let server = Server::bundled();
    let check = |reply: Reply, status: u16, code: &str| {
        assert_eq!((reply.status, reply.code()), (status, code), "{reply:?}");
        assert!(is_request_id(reply.body["RequestId"].as_str().unwrap()));
        assert!(
            reply.body["Message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(
            reply.header("x-acs-request-id"),
            reply.body["RequestId"].as_str()
        );
        reply
    };

    let reply = check(
        server.rpc(
            Some("user/alice"),
            "Action=AttachOSSBucket&OSSBucket=examplebucket",
        ),
        400,
        "MissingProjectName",
    );
    assert_eq!(reply.body["HostId"], "imm.cn-hangzhou.aliyuncs.com");
    check(
        server.rpc(
            Some("user/alice"),
            "Action=AttachOSSBucket&ProjectName=&OSSBucket=b",
        ),
        400,
        "MissingProjectName",
    );
    check(
        server.rpc(
            Some("user/alice"),
            "Action=AttachOSSBucket&ProjectName=immtest",
        ),
        400,
        "MissingOSSBucket",
    );
    let reply = check(
        server.rpc(
            Some("user/alice"),
            "Action=AttachOssBucket&ProjectName=immtest&OSSBucket=b",
        ),
        404,
        "InvalidAction.NotFound",
    );
    assert!(
        reply.body["Message"]
            .as_str()
            .unwrap()
            .contains("AttachOSSBucket"),
        "a suggestion: {reply:?}"
    );
    check(
        server.rpc(Some("user/alice"), "Action=NoSuchApi"),
        404,
        "InvalidAction.NotFound",
    );
    check(
        server.rpc(Some("user/alice"), "ProjectName=immtest"),
        400,
        "MissingAction",
    );
    check(
        server.rpc(
            Some("user/alice"),
            &format!("{ATTACH_IMMTEST}&ProjectName=prod"),
        ),
        400,
        "InvalidProjectName",
    );
    check(
        server.rpc(
            Some("user/alice"),
            &format!("{ATTACH_IMMTEST}&Action=DeleteProject"),
        ),
        400,
        "InvalidAction",
    );
    check(
        server.rpc(
            Some("user/alice"),
            &format!("{ATTACH_IMMTEST}&Description={}", "x".repeat(129)),
        ),
        400,
        "InvalidDescription",
    );
    check(
        server.rpc(
            Some("user/alice"),
            "Action=AttachOSSBucket&ProjectName=a%20b&OSSBucket=b",
        ),
        400,
        "InvalidProjectName",
    );
    let reply = check(
        server.rpc_with(
            Some("user/alice"),
            ATTACH_IMMTEST,
            &[("x-ramcheck-region", "CN_HANGZHOU")],
        ),
        400,
        "InvalidRegionId",
    );
    assert_eq!(reply.body["HostId"], "imm.cn-hangzhou.aliyuncs.com");

    // The caller's name.
    check(server.rpc(None, ATTACH_IMMTEST), 400, "MissingPrincipal");
    for bad in [
        "alice",
        "group/media-ops",
        "user/",
        "user/a/b",
        "acs:ram::x:user/alice",
    ] {
        check(
            server.rpc(Some(bad), ATTACH_IMMTEST),
            400,
            "InvalidPrincipal",
        );
    }
    check(
        server.rpc_with(
            Some("user/alice"),
            ATTACH_IMMTEST,
            &[("x-ramcheck-principal", "user/bob")],
        ),
        400,
        "InvalidPrincipal",
    );
    // The principal comes first, as authentication would.
    check(
        server.rpc(None, "Action=NoSuchApi"),
        400,
        "MissingPrincipal",
    );

    // Paths and methods that are not the RPC endpoint.
    let principal = [("x-ramcheck-principal", "user/alice")];
    check(
        http(
            server.addr,
            "GET",
            &format!("/v1?{ATTACH_IMMTEST}"),
            &principal,
        ),
        404,
        "InvalidAction.NotFound",
    );
    check(
        http(
            server.addr,
            "PUT",
            &format!("/?{ATTACH_IMMTEST}"),
            &principal,
        ),
        404,
        "InvalidAction.NotFound",
    );
}

#[test]
fn concurrent_calls_get_their_own_answers() {
    let server = Server::bundled();
    let ids: Vec<String> = thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let server = &server;
                scope.spawn(move || {
                    let mut ids = Vec::new();
                    for i in 0..25 {
                        let (principal, query, status) = match (t + i) % 3 {
                            0 => ("user/alice", ATTACH_IMMTEST, 200),
                            1 => ("user/alice", ATTACH_PROD, 403),
                            _ => (
                                "user/bob",
                                "Action=DeleteProject&ProjectName=media-news",
                                403,
                            ),
                        };
                        let reply = server.rpc(Some(principal), query);
                        assert_eq!(reply.status, status, "{principal} {query}: {reply:?}");
                        if status == 403 {
                            assert_eq!(reply.code(), "NoPermission");
                        }
                        ids.push(reply.body["RequestId"].as_str().unwrap().to_string());
                    }
                    ids
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(ids.len(), 200);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        200,
        "request ids are unique"
    );
}

#[test]
fn store_changes_are_picked_up_and_broken_stores_are_not() {
    let dir = store_copy("poll");
    let policy = dir.join("ImmAttachImmtest.json");
    let allow = std::fs::read_to_string(&policy).unwrap();
    let deny = allow.replace("\"Effect\": \"Allow\"", "\"Effect\": \"Deny\"");
    assert_ne!(allow, deny);

    let server = Server::start(Gateway::new(&dir, "cn-hangzhou").unwrap());
    let alice_attach = || server.rpc(Some("user/alice"), ATTACH_IMMTEST);
    let alice_get = || server.rpc(Some("user/alice"), "Action=GetProject&ProjectName=immtest");
    assert_eq!(alice_attach().status, 200);

    // A policy now denies: the poller reloads within a few polls.
    replace_file(&policy, &deny);
    wait_for("the deny to take effect", Duration::from_secs(10), || {
        alice_attach().status == 403 && server.gateway.reload_counts().0 >= 1
    });
    let reply = alice_attach();
    assert_eq!(reply.no_permission_type(), "ExplicitDeny", "{reply:?}");

    // A broken policy: the reload fails and the last good store serves.
    let (_, failed) = server.gateway.reload_counts();
    replace_file(&policy, r#"{"Version": "1", "Statement": ["#);
    wait_for("the failed reload", Duration::from_secs(10), || {
        server.gateway.reload_counts().1 > failed
    });
    let reply = alice_attach();
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.no_permission_type(), "ExplicitDeny");
    assert_eq!(alice_get().status, 200);
    // Still so after more polls: nothing retries the broken file.
    thread::sleep(Duration::from_millis(700));
    assert_eq!(alice_attach().status, 403);
    assert_eq!(alice_get().status, 200);

    // Fixed again: allowed again.
    replace_file(&policy, &allow);
    wait_for("the allow to come back", Duration::from_secs(10), || {
        alice_attach().status == 200
    });

    // A new file referenced by principals.json counts too: carol gets
    // alice's attach policy.
    let carol = || server.rpc(Some("user/carol"), ATTACH_IMMTEST);
    assert_eq!(carol().status, 403);
    let principals = dir.join("principals.json");
    let text = std::fs::read_to_string(&principals).unwrap();
    let text = text.replace(
        r#"{"UserName": "carol"}"#,
        r#"{"UserName": "carol", "Policies": ["CarolAttach"]}"#,
    );
    std::fs::write(dir.join("CarolAttach.json"), &allow).unwrap();
    replace_file(&principals, &text);
    wait_for("carol's new policy", Duration::from_secs(10), || {
        carol().status == 200
    });

    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_store() {
    let dir = store_copy("sighup");
    let policy = dir.join("ImmAttachImmtest.json");
    let allow = std::fs::read_to_string(&policy).unwrap();
    let deny = allow.replace("\"Effect\": \"Allow\"", "\"Effect\": \"Deny\"");

    // No polling: only the signal reloads. The handler is installed
    // before the first call is answered, so the signal cannot hit the
    // default action (which would end the test process).
    let gateway = Gateway::new(&dir, "cn-hangzhou")
        .unwrap()
        .with_poll_interval(None);
    let server = Server::start(gateway);
    let alice_attach = || server.rpc(Some("user/alice"), ATTACH_IMMTEST).status;
    assert_eq!(alice_attach(), 200);

    replace_file(&policy, &deny);
    thread::sleep(Duration::from_millis(1200));
    assert_eq!(alice_attach(), 200, "nothing reloads without the signal");

    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The new store serves a moment before the reload is counted.
    wait_for("the SIGHUP reload", Duration::from_secs(10), || {
        alice_attach() == 403 && server.gateway.reload_counts().0 >= 1
    });

    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn list_calls_are_authorized_on_their_wildcard_arn() {
    let server = Server::bundled();
    // alice's group has AliyunIMMReadOnlyAccess: imm:List* on `*`.
    let reply = server.rpc(Some("user/alice"), "Action=ListProjects");
    assert_eq!(reply.status, 200, "{reply:?}");
    // carol has no policy: denied on the literal project/* ARN.
    let reply = server.rpc(Some("user/carol"), "Action=ListProjects");
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.body["DecodedDiagnosticMessage"]["AuthResource"],
        "acs:imm:cn-hangzhou:1234567890123456:project/*"
    );
}
