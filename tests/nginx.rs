//! `ramcheck serve` behind a real nginx: `auth_request` asks
//! `/v1/auth-request`, and only allowed requests reach the upstream (a stub
//! here that records what it receives). Skipped, with a message, where
//! nginx is not installed, unless `RAMCHECK_REQUIRE_NGINX=1` (as in CI).
//!
//! The nginx configuration is the one docs/deploy.md recommends.

mod common;
#[path = "common/nginx.rs"]
mod nginx;
#[path = "common/serve.rs"]
mod serve_harness;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{copy_store, scratch};
use serve_harness::*;

/// An upstream that answers every request with 200 `upstream ok` and
/// records its request line and headers; stopped on drop.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((mut stream, _)) = listener.accept() else {
                        thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                        match stream.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => break,
                        }
                    }
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let body = "upstream ok\n";
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            })
        };
        Upstream {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The `http { }` block of docs/deploy.md's example: the caller's identity
/// comes from the authentication in front (here the header
/// `X-Authenticated-User` stands for it), the action and resource from the
/// route, and nothing else the client sent reaches the decision.
fn http_block(service: SocketAddr, upstream: SocketAddr) -> String {
    format!(
        r#"
upstream ramcheck {{ server {service}; keepalive 16; }}
upstream app {{ server {upstream}; }}
server {{
    listen {{listen}};

    location ~ ^/imm/projects/(?<project>[A-Za-z0-9_-]+)/buckets$ {{
        set $ramcheck_action "imm:AttachOSSBucket";
        set $ramcheck_resource "acs:imm:cn-hangzhou:1234567890123456:project/$project";
        auth_request /_ramcheck;
        auth_request_set $ramcheck_status $upstream_status;
        auth_request_set $ramcheck_decision_id $upstream_http_x_ramcheck_decision_id;
        error_page 500 = @ramcheck_error;
        proxy_set_header X-Ramcheck-Decision-Id $ramcheck_decision_id;
        proxy_pass http://app;
    }}

    location = /_ramcheck {{
        internal;
        proxy_pass http://ramcheck/v1/auth-request;
        proxy_pass_request_body off;
        proxy_pass_request_headers off;
        proxy_set_header Content-Length "";
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_connect_timeout 1s;
        proxy_read_timeout 2s;
        proxy_set_header X-Ramcheck-Principal $http_x_authenticated_user;
        proxy_set_header X-Ramcheck-Action $ramcheck_action;
        proxy_set_header X-Ramcheck-Resource $ramcheck_resource;
        proxy_set_header X-Ramcheck-Context-Acs-SourceIp $remote_addr;
    }}

    location @ramcheck_error {{
        default_type text/plain;
        if ($ramcheck_status = 400) {{ return 400 "malformed authorization request\n"; }}
        return 503 "authorization unavailable\n";
    }}
}}
"#
    )
}

#[test]
fn nginx_auth_request_lets_through_only_what_the_store_allows() {
    let Some(binary) =
        nginx::find_or_skip("nginx_auth_request_lets_through_only_what_the_store_allows")
    else {
        return;
    };
    let started = Instant::now();
    let dir = scratch("nginx");
    let store = dir.join("store");
    copy_store(&store);
    let mut serve = Serve::start(&["--store", store.to_str().unwrap()]);
    let upstream = Upstream::start();
    let nginx = nginx::Nginx::start(
        &binary,
        &dir.join("nginx"),
        &http_block(serve.addr, upstream.addr),
    );

    let call = |project: &str, headers: &[(&str, &str)]| {
        request(
            nginx.addr,
            "GET",
            &format!("/imm/projects/{project}/buckets"),
            headers,
            None,
        )
    };
    let alice = [("X-Authenticated-User", "user/alice")];

    // Allowed: reaches the upstream, with the decision id of the log.
    let reply = call("immtest", &alice);
    assert_eq!(reply.status, 200, "{reply:?}\n{}", nginx.error_log());
    assert_eq!(reply.body, "upstream ok\n");
    let seen = upstream.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("GET /imm/projects/immtest/buckets "),
        "{seen:?}"
    );
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("x-ramcheck-decision-id: "),
        "{seen:?}"
    );

    // Denied: 403 from nginx, never upstream.
    let reply = call("prod", &alice);
    assert_eq!(reply.status, 403, "{reply:?}");
    let reply = call("immtest", &[("X-Authenticated-User", "user/mallory")]);
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(upstream.requests().len(), 1);

    // Malformed: no identity, or one that is not a principal: 400. A
    // client naming itself in the service's own header gets nowhere: nginx
    // passes the decision only the headers it sets.
    let reply = call("immtest", &[("X-Ramcheck-Principal", "user/alice")]);
    assert_eq!(reply.status, 400, "{reply:?}");
    let reply = call("immtest", &[("X-Authenticated-User", "alice; drop")]);
    assert_eq!(reply.status, 400, "{reply:?}");
    let reply = call(
        "immtest",
        &[
            ("X-Authenticated-User", "user/mallory"),
            ("X-Ramcheck-Principal", "user/alice"),
        ],
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(upstream.requests().len(), 1, "{:?}", upstream.requests());

    // A policy edit flips decisions through nginx, without a restart.
    let before = serve.revision();
    let policy = store.join("ImmAttachImmtest.json");
    let text = std::fs::read_to_string(&policy).unwrap();
    replace_file(&policy, &text.replace("project/immtest", "project/prod"));
    wait_until("the edit to be loaded", Duration::from_secs(15), || {
        serve.revision() != before
    });
    let reply = call("prod", &alice);
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = call("immtest", &alice);
    assert_eq!(reply.status, 403, "{reply:?}");
    let seen = upstream.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[1].starts_with("GET /imm/projects/prod/buckets "),
        "{seen:?}"
    );

    // The service gone: nginx denies (503), nothing reaches the upstream.
    serve.process.signal("TERM");
    serve.process.wait_exit(Duration::from_secs(15));
    let reply = call("prod", &alice);
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(upstream.requests().len(), 2);

    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
}
