//! Load on `ramcheck serve`: decisions per second and latency percentiles
//! for `POST /v1/authorize`, direct and through nginx, with 1, 8 and 64
//! concurrent keep-alive clients on 127.0.0.1, while the store is rewritten
//! and reloaded every second. Every answer is checked against the
//! in-process authorizer for the revision the answer names: the run fails
//! on a single wrong decision.
//!
//! ```text
//! cargo bench --bench serve_load                     # 5 s per run
//! RAMCHECK_LOAD_SECONDS=2 cargo bench --bench serve_load
//! ```
//!
//! Bounded: each run stops after `RAMCHECK_LOAD_SECONDS` (default 5) or
//! `RAMCHECK_LOAD_MAX` requests (default 500,000), whichever comes first.
//! The nginx runs are skipped, with a message, when nginx is not installed.
//! Not part of `cargo test` or CI.

#[path = "../tests/common/nginx.rs"]
mod nginx;
#[path = "../tests/common/serve.rs"]
mod serve_harness;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ramcheck::authorizer::Authorizer;
use ramcheck::eval::Decision;
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};
use serde_json::{Value, json};
use serve_harness::{Serve, replace_file};

const ACCOUNT: &str = "1234567890123456";

/// One question: principal, action, resource, context.
type Question = (
    &'static str,
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
);

/// The questions asked, round robin.
fn questions() -> Vec<Question> {
    let project = |p: &str| format!("acs:imm:cn-hangzhou:{ACCOUNT}:project/{p}");
    vec![
        (
            "user/alice",
            "imm:AttachOSSBucket",
            project("immtest"),
            vec![],
        ),
        ("user/alice", "imm:AttachOSSBucket", project("prod"), vec![]),
        (
            "user/bob",
            "imm:DeleteProject",
            project("media-news"),
            vec![],
        ),
        (
            "user/bob",
            "imm:UpdateProject",
            project("media-news"),
            vec![("acs:SourceIp", "192.0.2.10")],
        ),
        (
            "user/bob",
            "imm:UpdateProject",
            project("media-news"),
            vec![("acs:SourceIp", "198.51.100.7")],
        ),
        ("user/mallory", "imm:GetProject", project("immtest"), vec![]),
        (
            "role/imm-deployer",
            "imm:DeleteProject",
            format!("acs:imm:ap-southeast-1:{ACCOUNT}:project/immtest"),
            vec![],
        ),
        ("user/alice", "imm:GetProject", project("immprod"), vec![]),
    ]
}

/// The decision of every question under the store in `dir`, from the
/// library: what the service must answer for that store's revision.
fn expected(dir: &Path) -> (String, Vec<Decision>) {
    let authorizer = Authorizer::from_store(dir).expect("store loads");
    let decisions = questions()
        .iter()
        .map(|(principal, action, resource, context)| {
            let mut c = Context::new();
            for (k, v) in context {
                c.insert(k, v).unwrap();
            }
            let principal = Principal::parse(principal, ACCOUNT).unwrap();
            let request = Request::new(action, resource, principal, c).unwrap();
            authorizer.authorize(&request).decision
        })
        .collect();
    (authorizer.revision().to_string(), decisions)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u32>,
    wrong: u64,
    errors: u64,
    revisions: HashMap<String, u64>,
}

/// One keep-alive client: sends the questions round robin until `stop`,
/// checking each answer.
fn client(
    addr: SocketAddr,
    first: usize,
    bodies: Arc<Vec<String>>,
    expected: Arc<HashMap<String, Vec<Decision>>>,
    stop: Arc<AtomicBool>,
    budget: Arc<AtomicU64>,
) -> Outcome {
    let mut out = Outcome::default();
    let connect = || {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        (stream, reader)
    };
    let (mut stream, mut reader) = connect();
    let mut i = first;
    let mut line = String::new();
    while !stop.load(Ordering::Relaxed) {
        if budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_err()
        {
            break;
        }
        let q = i % bodies.len();
        i += 1;
        let body = &bodies[q];
        let request = format!(
            "POST /v1/authorize HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let sent = Instant::now();
        let answer = (|| -> std::io::Result<(u16, Vec<u8>, bool)> {
            stream.write_all(request.as_bytes())?;
            line.clear();
            reader.read_line(&mut line)?;
            let status: u16 = line
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut length = 0usize;
            let mut close = false;
            loop {
                line.clear();
                reader.read_line(&mut line)?;
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    } else if name.eq_ignore_ascii_case("connection") {
                        close = value.trim().eq_ignore_ascii_case("close");
                    }
                }
            }
            let mut bytes = vec![0; length];
            reader.read_exact(&mut bytes)?;
            Ok((status, bytes, close))
        })();
        let elapsed = sent.elapsed();
        match answer {
            Ok((200, bytes, close)) => {
                out.latencies_us
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let revision = body["revision"].as_str().unwrap_or("");
                let decision = body["decision"].as_str().unwrap_or("");
                let right = expected
                    .get(revision)
                    .is_some_and(|d| d[q].to_string() == decision);
                if !right {
                    out.wrong += 1;
                    if out.wrong <= 3 {
                        eprintln!("WRONG: question {q} at revision {revision:?}: {decision:?}");
                    }
                }
                *out.revisions.entry(revision.to_string()).or_default() += 1;
                if close {
                    (stream, reader) = connect();
                }
            }
            other => {
                out.errors += 1;
                if out.errors <= 3 {
                    eprintln!(
                        "error: {:?}",
                        other.map(|(s, b, _)| (s, String::from_utf8_lossy(&b).into_owned()))
                    );
                }
                (stream, reader) = connect();
            }
        }
    }
    out
}

struct Row {
    path: &'static str,
    clients: usize,
    decisions: usize,
    seconds: f64,
    p50: u32,
    p99: u32,
    wrong: u64,
    errors: u64,
    revisions: usize,
}

fn run(
    path: &'static str,
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    max: u64,
    bodies: &Arc<Vec<String>>,
    expected: &Arc<HashMap<String, Vec<Decision>>>,
) -> Row {
    // Warm the connections and caches of both servers first.
    let warm = run_clients(addr, clients.min(8), 0.3, 2_000, bodies, expected);
    assert_eq!(warm.0.wrong, 0, "wrong decisions while warming up");
    let (outcome, elapsed) = run_clients(addr, clients, seconds, max, bodies, expected);
    let mut latencies = outcome.latencies_us;
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Row {
        path,
        clients,
        decisions: latencies.len(),
        seconds: elapsed,
        p50: at(0.50),
        p99: at(0.99),
        wrong: outcome.wrong,
        errors: outcome.errors,
        revisions: outcome.revisions.len(),
    }
}

fn run_clients(
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    max: u64,
    bodies: &Arc<Vec<String>>,
    expected: &Arc<HashMap<String, Vec<Decision>>>,
) -> (Outcome, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let budget = Arc::new(AtomicU64::new(max));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|n| {
            let (bodies, expected) = (Arc::clone(bodies), Arc::clone(expected));
            let (stop, budget) = (Arc::clone(&stop), Arc::clone(&budget));
            thread::spawn(move || client(addr, n, bodies, expected, stop, budget))
        })
        .collect();
    while started.elapsed().as_secs_f64() < seconds && budget.load(Ordering::Relaxed) > 0 {
        thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let mut all = Outcome::default();
    for t in threads {
        let o = t.join().expect("client thread");
        all.latencies_us.extend(o.latencies_us);
        all.wrong += o.wrong;
        all.errors += o.errors;
        for (r, n) in o.revisions {
            *all.revisions.entry(r).or_default() += n;
        }
    }
    (all, started.elapsed().as_secs_f64())
}

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is not supported.
    let seconds = env_number("RAMCHECK_LOAD_SECONDS", 5.0).clamp(0.5, 60.0);
    let max = env_number("RAMCHECK_LOAD_MAX", 500_000.0).clamp(1.0, 5_000_000.0) as u64;
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-load");
    let _ = std::fs::remove_dir_all(&scratch);
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");

    // Two stores that disagree on alice's projects; the served one flips
    // between them every second.
    let (a, b, live) = (scratch.join("a"), scratch.join("b"), scratch.join("live"));
    copy_dir(&bundled, &a);
    copy_dir(&bundled, &b);
    copy_dir(&bundled, &live);
    let policy = "ImmAttachImmtest.json";
    let text_a = std::fs::read_to_string(a.join(policy)).unwrap();
    let text_b = text_a.replace("project/immtest", "project/prod");
    std::fs::write(b.join(policy), &text_b).unwrap();
    let (rev_a, decisions_a) = expected(&a);
    let (rev_b, decisions_b) = expected(&b);
    assert_ne!(rev_a, rev_b);
    assert_eq!(
        (decisions_a[0], decisions_b[0]),
        (Decision::Allow, Decision::ImplicitDeny)
    );
    assert_eq!(
        (decisions_a[1], decisions_b[1]),
        (Decision::ImplicitDeny, Decision::Allow)
    );
    let expected = Arc::new(HashMap::from([(rev_a, decisions_a), (rev_b, decisions_b)]));
    let bodies: Arc<Vec<String>> = Arc::new(
        questions()
            .into_iter()
            .map(|(principal, action, resource, context)| {
                let context: serde_json::Map<String, Value> = context
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), json!([v])))
                    .collect();
                json!({"principal": principal, "action": action, "resource": resource, "context": context})
                    .to_string()
            })
            .collect(),
    );

    let serve = Serve::start(&["--store", live.to_str().unwrap()]);
    let nginx_binary = nginx::find_or_skip("serve_load through nginx");
    let nginx = nginx_binary.as_ref().map(|binary| {
        let block = format!(
            "upstream ramcheck {{ server {}; keepalive 128; }}\n\
             server {{\n\
               listen {{listen}};\n\
               access_log off;\n\
               location /v1/ {{\n\
                 proxy_pass http://ramcheck;\n\
                 proxy_http_version 1.1;\n\
                 proxy_set_header Connection \"\";\n\
               }}\n\
             }}",
            serve.addr
        );
        nginx::Nginx::start(binary, &scratch.join("nginx"), &block)
    });

    // Rewrite and reload the store every second for the whole benchmark.
    let stop = Arc::new(AtomicBool::new(false));
    let reloader = {
        let stop = Arc::clone(&stop);
        let pid = serve.process.pid();
        let target = live.join(policy);
        thread::spawn(move || {
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_secs(1));
                flips += 1;
                replace_file(&target, if flips % 2 == 1 { &text_b } else { &text_a });
                let _ = std::process::Command::new("kill")
                    .args(["-HUP", &pid.to_string()])
                    .status();
            }
            flips
        })
    };

    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut rows = Vec::new();
    for clients in [1, 8, 64] {
        rows.push(run(
            "direct", serve.addr, clients, seconds, max, &bodies, &expected,
        ));
        if let Some(nginx) = &nginx {
            rows.push(run(
                "nginx", nginx.addr, clients, seconds, max, &bodies, &expected,
            ));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flips = reloader.join().unwrap();
    let reloads = serve
        .metric("ramcheck_store_reloads_total{result=\"ok\"}")
        .unwrap_or(0.0);
    let failed = serve
        .metric("ramcheck_store_reloads_total{result=\"failed\"}")
        .unwrap_or(0.0);
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    // Where the time goes: the service's own share (parse, decide, explain).
    let sum = serve
        .metric("ramcheck_decision_duration_seconds_sum{endpoint=\"authorize\"}")
        .unwrap_or(0.0);
    let count = serve
        .metric("ramcheck_decision_duration_seconds_count{endpoint=\"authorize\"}")
        .unwrap_or(0.0);

    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "ramcheck serve load: {cores} cores, {seconds} s per run, store rewritten {flips} times (reloads: {reloads} ok, {failed} failed)"
    );
    println!("load average before: {}after: {}", load_before, load_after);
    println!(
        "inside the service, from the parsed body to the decision and its explanation: {:.1} µs on average over {count} decisions",
        sum / count.max(1.0) * 1e6
    );
    println!(
        "| path | clients | decisions/s | p50 | p99 | decisions | wrong | errors | revisions seen |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut wrong = 0;
    for r in &rows {
        println!(
            "| {} | {} | {:.0} | {} µs | {} µs | {} | {} | {} | {} |",
            r.path,
            r.clients,
            r.decisions as f64 / r.seconds,
            r.p50,
            r.p99,
            r.decisions,
            r.wrong,
            r.errors,
            r.revisions
        );
        wrong += r.wrong + r.errors;
    }
    assert_eq!(wrong, 0, "wrong decisions or failed requests");
    assert!(reloads >= 1.0, "the store was never reloaded");
}
