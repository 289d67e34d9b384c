//! A harness for `ramcheck serve` as a process: started on a free port of
//! 127.0.0.1, called over real HTTP/1.1 connections with a minimal client,
//! signalled with `kill`, and killed on drop whatever happens. Included
//! with `#[path = "common/serve.rs"] mod serve_harness;`.

#![allow(dead_code)] // each test crate uses some of these

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child process, killed and reaped on drop; its stderr collected.
pub struct Process {
    pub name: String,
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Process {
    /// Spawns `command` with stderr collected (stdout as the command says).
    pub fn spawn(name: &str, mut command: Command) -> Process {
        command.stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        Process {
            name: name.to_string(),
            child,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends a signal by name (`HUP`, `TERM`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// Waits for the process to exit, for at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "{} did not exit within {limit:?}; stderr:\n{}",
                self.name,
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until stderr contains `text`, for at most `limit`.
    pub fn wait_stderr(&mut self, text: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let all = self.stderr();
            if all.contains(text) {
                return all;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader catch up with what was written last.
                thread::sleep(Duration::from_millis(100));
                let all = self.stderr();
                if all.contains(text) {
                    return all;
                }
                panic!(
                    "{} exited ({status}) before printing {text:?}; stderr:\n{all}",
                    self.name
                );
            }
            assert!(
                start.elapsed() < limit,
                "{} did not print {text:?} within {limit:?}; stderr:\n{all}",
                self.name
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `ramcheck serve` on a free port of 127.0.0.1.
pub struct Serve {
    pub process: Process,
    pub addr: SocketAddr,
}

impl Serve {
    /// Starts `ramcheck serve --listen 127.0.0.1:0 ARGS...` and waits for the
    /// address it prints.
    pub fn start(args: &[&str]) -> Serve {
        Self::start_with(args, Stdio::null())
    }

    /// [`Serve::start`] with stdout going to `stdout`.
    pub fn start_with(args: &[&str], stdout: Stdio) -> Serve {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ramcheck"));
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(stdout);
        let mut process = Process::spawn("ramcheck serve", command);
        let stderr = process.wait_stderr(" on http://", Duration::from_secs(30));
        let addr = stderr
            .split(" on http://")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("no address in {stderr:?}"));
        Serve { process, addr }
    }

    pub fn get(&self, target: &str) -> Reply {
        request(self.addr, "GET", target, &[], None)
    }

    /// POSTs a JSON body.
    pub fn post_json(&self, target: &str, body: &str) -> Reply {
        request(
            self.addr,
            "POST",
            target,
            &[("Content-Type", "application/json")],
            Some(body),
        )
    }

    pub fn revision(&self) -> String {
        let reply = self.get("/healthz");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body.trim().to_string()
    }

    /// The value of one metric line (`name{labels}` as written), if present.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let reply = self.get("/metrics");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body.lines().find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// The `error.code` of an error body.
    pub fn error_code(&self) -> String {
        let body = self.json();
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "no error message in {self:?}");
        body["error"]["code"].as_str().unwrap_or("").to_string()
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`), the
/// whole response read; every step within 10 s.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).unwrap();
    read_reply(&mut stream)
}

/// Reads a whole response from a connection the server closes after it.
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("read: {e} after {:?}", String::from_utf8_lossy(&raw)));
    parse_reply(&raw)
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header block in {text:?}"));
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
    let mut reply = Reply {
        status,
        headers,
        body: body.to_string(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(body);
    } else if let Some(length) = reply.header("content-length") {
        let length: usize = length.parse().unwrap();
        assert_eq!(reply.body.len(), length, "{text}");
    }
    reply
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = body.split_once("\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// Polls `done` every 50 ms for at most `limit`.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Replaces a file at once (write aside, then rename), so a reload never
/// reads half a file.
pub fn replace_file(path: &std::path::Path, text: &str) {
    let aside = path.with_extension("tmp");
    std::fs::write(&aside, text).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

/// A keep-alive HTTP/1.1 connection: many requests, one after another.
pub struct KeepAlive {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl KeepAlive {
    pub fn connect(addr: SocketAddr) -> KeepAlive {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        KeepAlive {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    /// Sends a GET with `headers` and reads the response (its body by
    /// Content-Length).
    pub fn get(&mut self, target: &str, headers: &[(&str, &str)]) -> Reply {
        let mut head = format!("GET {target} HTTP/1.1\r\nHost: test\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            raw.extend_from_slice(line.as_bytes());
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        raw.extend_from_slice(&body);
        parse_reply(&raw)
    }
}
