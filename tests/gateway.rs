//! The gateway example (`examples/gateway.rs`), served on 127.0.0.1 and
//! called over real HTTP/1.1 connections with a minimal client.

#![allow(clippy::result_large_err)]

#[path = "../examples/gateway.rs"]
#[allow(dead_code)] // main and its CLI are not used here
mod gateway;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gateway::Gateway;
use serde_json::Value;

const ACCOUNT: &str = "1234567890123456";
const ATTACH_IMMTEST: &str = "Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=examplebucket";
const ATTACH_PROD: &str = "Action=AttachOSSBucket&ProjectName=prod&OSSBucket=examplebucket";

fn bundled_store() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// A gateway served on its own runtime and thread; stopped on drop.
struct Server {
    addr: SocketAddr,
    gateway: Arc<Gateway>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    fn start(gateway: Gateway) -> Server {
        let gateway = Arc::new(gateway);
        // Bound here, so the address is known and connections queue until
        // the server accepts them.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&gateway);
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    served = gateway::serve(listener, served) => served.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        Server {
            addr,
            gateway,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn bundled() -> Server {
        Server::start(Gateway::new(bundled_store(), "cn-hangzhou").unwrap())
    }

    /// An RPC call on `/` with the principal header (when given) and any
    /// other headers.
    fn rpc(&self, principal: Option<&str>, query: &str) -> Reply {
        self.rpc_with(principal, query, &[])
    }

    fn rpc_with(&self, principal: Option<&str>, query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = principal
            .map(|p| ("x-ramcheck-principal", p))
            .into_iter()
            .collect();
        all.extend_from_slice(headers);
        http(self.addr, "GET", &format!("/?{query}"), &all)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    fn no_permission_type(&self) -> &str {
        self.body["AccessDeniedDetail"]["NoPermissionType"]
            .as_str()
            .unwrap_or("")
    }
}

/// A minimal HTTP/1.1 client: one request per connection, the whole
/// response read until the server closes.
fn http(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" || method == "PUT" {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: Value::Null,
    };
    let length: usize = reply
        .header("content-length")
        .expect("a Content-Length (JSON bodies are sent whole)")
        .parse()
        .unwrap();
    assert_eq!(body.len(), length, "{text}");
    Reply {
        body: serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}")),
        ..reply
    }
}

fn is_request_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        })
}

/// Polls `done` every 50 ms for at most `limit`.
fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A fresh copy of the bundled store under the test's temp dir.
fn copy_store(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gateway-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(bundled_store()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Replaces a file at once (write aside, then rename), so the poller never
/// reads half a file.
fn replace_file(path: &Path, text: &str) {
    let aside = path.with_extension("tmp");
    std::fs::write(&aside, text).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

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
    let dir = copy_store("poll");
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
        alice_attach().status == 403
    });
    let reply = alice_attach();
    assert_eq!(reply.no_permission_type(), "ExplicitDeny", "{reply:?}");
    assert!(server.gateway.reload_counts().0 >= 1);

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
    let dir = copy_store("sighup");
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
    wait_for("the SIGHUP reload", Duration::from_secs(10), || {
        alice_attach() == 403
    });
    assert!(server.gateway.reload_counts().0 >= 1);

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
