//! A harness for the gateway example: served on 127.0.0.1 on its own
//! runtime, called over real HTTP/1.1 connections with a minimal client.
//! Included with `#[path = "common/gateway.rs"] mod gateway_harness;` by
//! the tests that need it.

#![allow(dead_code)] // each test crate uses some of these

#[path = "../../examples/gateway.rs"]
#[allow(dead_code)] // main and its CLI are not used here
pub mod gateway;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gateway::Gateway;

use super::common::bundled_store;
use serde_json::Value;

pub const ATTACH_IMMTEST: &str =
    "Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=examplebucket";
pub const ATTACH_PROD: &str = "Action=AttachOSSBucket&ProjectName=prod&OSSBucket=examplebucket";

/// A gateway served on its own runtime and thread; stopped on drop.
pub struct Server {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(gateway: Gateway) -> Server {
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

    pub fn bundled() -> Server {
        Server::start(Gateway::new(bundled_store(), "cn-hangzhou").unwrap())
    }

    /// An RPC call on `/` with the principal header (when given) and any
    /// other headers.
    pub fn rpc(&self, principal: Option<&str>, query: &str) -> Reply {
        self.rpc_with(principal, query, &[])
    }

    pub fn rpc_with(
        &self,
        principal: Option<&str>,
        query: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
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
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }

    pub fn no_permission_type(&self) -> &str {
        self.body["AccessDeniedDetail"]["NoPermissionType"]
            .as_str()
            .unwrap_or("")
    }
}

/// A minimal HTTP/1.1 client: one request per connection, the whole
/// response read until the server closes.
pub fn http(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    http_body(addr, method, target, headers, "")
}

/// [`http`] with a request body (sent with its Content-Length).
pub fn http_body(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
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
    if method == "POST" || method == "PUT" || !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
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

pub fn is_request_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        })
}

/// Polls `done` every 50 ms for at most `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
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
pub fn store_copy(name: &str) -> PathBuf {
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
pub fn replace_file(path: &Path, text: &str) {
    let aside = path.with_extension("tmp");
    std::fs::write(&aside, text).unwrap();
    std::fs::rename(&aside, path).unwrap();
}
