//! ramcheck vs cedar-policy on one RAM-shaped workload.
//!
//! For N = 10, 100 and 1000 statements in one identity policy, this builds
//! the statements once, renders them as a RAM policy document and as Cedar
//! policies, generates 1,000 requests from a fixed seed, checks that every
//! decision agrees, and prints the median nanoseconds per decision of
//! ramcheck's compiled authorizer, of its core (explaining) evaluator and
//! of Cedar's authorizer. The last line is
//! `speedup_vs_cedar_100=<cedar median / ramcheck compiled median at N=100>`.
//!
//! `--quick` runs fewer timing passes (under a minute after the build).
//! See README.md for the workload and the translation to Cedar.

use std::hint::black_box;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use cedar_policy as cedar;
use ramcheck::authorizer::CompiledPolicySet;
use ramcheck::eval::{self, Decision, PolicySet};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::request::{Context, Request};
use ramcheck::principal::Principal;

const SEED: u64 = 0x5eed_0f_ca11_ab1e;
const REQUESTS: usize = 1000;
const ACCOUNT: &str = "1234567890123456";
const TEAMS: u64 = 20;
/// Service code and the resource type its statements name.
const SERVICES: &[(&str, &str)] = &[
    ("ecs", "instance"),
    ("oss", "bucket"),
    ("imm", "project"),
    ("rds", "dbinstance"),
    ("vpc", "vpc"),
    ("slb", "loadbalancer"),
    ("kms", "key"),
    ("fc", "function"),
    ("sls", "logstore"),
    ("ram", "user"),
];
const VERBS: &[&str] = &["Get", "List", "Describe", "Delete"];
const THINGS: &[&str] = &["Instance", "Bucket", "Project", "Key", "Snapshot", "Tags"];
const REGIONS: &[&str] = &["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"];
const CIDRS: &[&str] = &["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"];
const VPCS: &[&str] = &["vpc-a", "vpc-b", "vpc-c", "vpc-d"];
/// 2025-06-01T00:00:00Z and 2026-06-01T00:00:00Z: request times fall in
/// between, DateLessThan thresholds in the middle half.
const TIME_FROM: i64 = 1_748_736_000;
const TIME_TO: i64 = 1_780_272_000;

/// xorshift64*: small, fast, and enough for a reproducible workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy)]
enum ActionKind {
    Get,
    List,
    All,
}

#[derive(Clone)]
enum Cond {
    IpAddress(&'static str),
    StringEquals(&'static str),
    Bool(bool),
    DateLessThan(i64),
}

/// One statement, rendered to both engines.
struct Stmt {
    deny: bool,
    service: usize,
    action: ActionKind,
    team: u64,
    cond: Cond,
}

impl Stmt {
    fn action_pattern(&self) -> String {
        let svc = SERVICES[self.service].0;
        match self.action {
            ActionKind::Get => format!("{svc}:Get*"),
            ActionKind::List => format!("{svc}:List*"),
            ActionKind::All => format!("{svc}:*"),
        }
    }
    fn resource_pattern(&self) -> String {
        let (svc, ty) = SERVICES[self.service];
        format!("acs:{svc}:*:{ACCOUNT}:{ty}/team{}-*", self.team)
    }
}

fn statements(n: usize, rng: &mut Rng) -> Vec<Stmt> {
    (0..n)
        .map(|i| {
            let action = match rng.below(3) {
                0 => ActionKind::Get,
                1 => ActionKind::List,
                _ => ActionKind::All,
            };
            let cond = match i % 4 {
                0 => Cond::IpAddress(*rng.pick(CIDRS)),
                1 => Cond::StringEquals(*rng.pick(&VPCS[..3])),
                // Mostly "true", as real policies are.
                2 => Cond::Bool(rng.chance(80)),
                _ => {
                    let quarter = (TIME_TO - TIME_FROM) / 4;
                    Cond::DateLessThan(TIME_FROM + quarter + rng.below(2 * quarter as u64) as i64)
                }
            };
            Stmt {
                deny: i % 7 == 6,
                service: rng.below(SERVICES.len() as u64) as usize,
                action,
                team: rng.below(TEAMS),
                cond,
            }
        })
        .collect()
}

fn ram_document(stmts: &[Stmt]) -> String {
    let rendered: Vec<String> = stmts
        .iter()
        .map(|s| {
            let condition = match &s.cond {
                Cond::IpAddress(c) => format!(r#"{{"IpAddress": {{"acs:SourceIp": "{c}"}}}}"#),
                Cond::StringEquals(v) => {
                    format!(r#"{{"StringEquals": {{"acs:SourceVpc": "{v}"}}}}"#)
                }
                Cond::Bool(b) => format!(r#"{{"Bool": {{"acs:SecureTransport": "{b}"}}}}"#),
                Cond::DateLessThan(t) => format!(
                    r#"{{"DateLessThan": {{"acs:CurrentTime": "{}"}}}}"#,
                    rfc3339(*t)
                ),
            };
            format!(
                r#"    {{"Effect": "{}", "Action": "{}", "Resource": "{}", "Condition": {condition}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                s.action_pattern(),
                s.resource_pattern()
            )
        })
        .collect();
    format!(
        "{{\"Version\": \"1\", \"Statement\": [\n{}\n]}}",
        rendered.join(",\n")
    )
}

/// The same statements as Cedar policies. Cedar's `like` is case-sensitive
/// and RAM's action matching is not, so action patterns (and, in
/// [`CedarRequest`], request actions) are lower-cased.
fn cedar_policies(stmts: &[Stmt]) -> String {
    let mut out = String::new();
    for s in stmts {
        let condition = match &s.cond {
            Cond::IpAddress(c) => format!(r#"context.source_ip.isInRange(ip("{c}"))"#),
            Cond::StringEquals(v) => format!(r#"context.source_vpc == "{v}""#),
            Cond::Bool(b) => format!("context.secure_transport == {b}"),
            Cond::DateLessThan(t) => format!("context.current_time < {t}"),
        };
        out.push_str(&format!(
            "{}(principal, action, resource) when {{ context.action like \"{}\" && context.resource like \"{}\" && {condition} }};\n",
            if s.deny { "forbid" } else { "permit" },
            s.action_pattern().to_ascii_lowercase(),
            s.resource_pattern()
        ));
    }
    out
}

/// One request, engine-independent.
struct Req {
    action: String,
    resource: String,
    source_ip: String,
    source_vpc: &'static str,
    secure_transport: bool,
    current_time: i64,
}

fn random_ip(rng: &mut Rng) -> String {
    let (a, b, c, d) = (
        rng.below(256),
        rng.below(256),
        rng.below(254) + 1,
        rng.below(254) + 1,
    );
    match rng.below(4) {
        0 => format!("10.{a}.{b}.{c}"),
        1 => format!("192.168.{b}.{c}"),
        2 => format!("172.{}.{b}.{c}", 16 + rng.below(16)),
        _ => format!("203.0.{a}.{d}"),
    }
}

fn ip_in(cidr: &str, rng: &mut Rng) -> String {
    let (b, c) = (rng.below(256), rng.below(254) + 1);
    match cidr {
        "10.0.0.0/8" => format!("10.{}.{b}.{c}", rng.below(256)),
        "192.168.0.0/16" => format!("192.168.{b}.{c}"),
        _ => format!("172.{}.{b}.{c}", 16 + rng.below(16)),
    }
}

/// Requests: about two thirds aimed at one statement (its service, a verb
/// its pattern covers, its resource type and team, and usually a context
/// that satisfies its condition), the rest random.
fn requests(stmts: &[Stmt], rng: &mut Rng) -> Vec<Req> {
    (0..REQUESTS)
        .map(|_| {
            let mut req = Req {
                action: String::new(),
                resource: String::new(),
                source_ip: random_ip(rng),
                source_vpc: *rng.pick(VPCS),
                secure_transport: rng.chance(70),
                current_time: TIME_FROM + rng.below((TIME_TO - TIME_FROM) as u64) as i64,
            };
            let (service, verb, team) = if rng.chance(67) {
                let s = rng.pick(stmts);
                let verb = match s.action {
                    ActionKind::Get => "Get",
                    ActionKind::List => "List",
                    ActionKind::All => rng.pick(VERBS),
                };
                if rng.chance(80) {
                    match &s.cond {
                        Cond::IpAddress(c) => req.source_ip = ip_in(c, rng),
                        Cond::StringEquals(v) => req.source_vpc = v,
                        Cond::Bool(b) => req.secure_transport = *b,
                        Cond::DateLessThan(t) => {
                            req.current_time = TIME_FROM + rng.below((t - TIME_FROM) as u64) as i64
                        }
                    }
                }
                (s.service, verb, s.team)
            } else {
                (
                    rng.below(SERVICES.len() as u64) as usize,
                    *rng.pick(VERBS),
                    rng.below(TEAMS),
                )
            };
            let (svc, ty) = SERVICES[service];
            // One action in twenty written in another case: RAM matches
            // actions case-insensitively.
            let verb = if rng.chance(5) {
                verb.to_ascii_lowercase()
            } else {
                verb.to_string()
            };
            req.action = format!("{svc}:{verb}{}", rng.pick(THINGS));
            req.resource = format!(
                "acs:{svc}:{}:{ACCOUNT}:{ty}/team{team}-{:x}",
                rng.pick(REGIONS),
                rng.next() & 0xffff
            );
            req
        })
        .collect()
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn rfc3339(t: i64) -> String {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn ram_request(r: &Req) -> Request {
    let mut context = Context::new();
    context.insert("acs:SourceIp", &r.source_ip).unwrap();
    context.insert("acs:SourceVpc", r.source_vpc).unwrap();
    context
        .insert(
            "acs:SecureTransport",
            if r.secure_transport { "true" } else { "false" },
        )
        .unwrap();
    context
        .insert("acs:CurrentTime", &rfc3339(r.current_time))
        .unwrap();
    Request::new(
        &r.action,
        &r.resource,
        Principal::user(ACCOUNT, "alice"),
        context,
    )
    .unwrap()
}

fn cedar_request(r: &Req) -> cedar::Request {
    use cedar::RestrictedExpression as E;
    let context = cedar::Context::from_pairs([
        (
            "action".to_string(),
            E::new_string(r.action.to_ascii_lowercase()),
        ),
        ("resource".to_string(), E::new_string(r.resource.clone())),
        ("source_ip".to_string(), E::new_ip(&r.source_ip)),
        (
            "source_vpc".to_string(),
            E::new_string(r.source_vpc.to_string()),
        ),
        (
            "secure_transport".to_string(),
            E::new_bool(r.secure_transport),
        ),
        ("current_time".to_string(), E::new_long(r.current_time)),
    ])
    .unwrap();
    cedar::Request::new(
        cedar::EntityUid::from_str(r#"User::"alice""#).unwrap(),
        cedar::EntityUid::from_str(r#"Action::"call""#).unwrap(),
        cedar::EntityUid::from_str(r#"Resource::"target""#).unwrap(),
        context,
        None,
    )
    .unwrap()
}

/// Median ns per decision: each request is timed on its own, `reps` times
/// in a row divided by `reps`, over `passes` passes; the median is over all
/// those samples.
fn median_ns<R>(requests: &[R], passes: usize, mut decide: impl FnMut(&R) -> bool) -> f64 {
    // Warm up, and estimate the cost to choose the repetitions: 16 for fast
    // decisions (timer resolution), fewer for slow ones (time budget).
    let start = Instant::now();
    for r in requests {
        black_box(decide(black_box(r)));
    }
    let estimate = start.elapsed().as_nanos() as f64 / requests.len() as f64;
    let reps = (20_000.0 / estimate).clamp(1.0, 16.0) as usize;
    let mut samples = Vec::with_capacity(requests.len() * passes);
    for _ in 0..passes {
        for r in requests {
            let start = Instant::now();
            for _ in 0..reps {
                black_box(decide(black_box(r)));
            }
            samples.push(start.elapsed().as_nanos() as f64 / reps as f64);
        }
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

struct Row {
    n: usize,
    compiled: f64,
    core: f64,
    cedar: f64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // For profiling ramcheck alone (e.g. under `perf record`): skips the
    // timing of the core evaluator and of Cedar; the agreement check stays.
    let ramcheck_only = args.iter().any(|a| a == "--ramcheck-only");
    if let Some(a) = args
        .iter()
        .find(|a| !matches!(a.as_str(), "--quick" | "--ramcheck-only"))
    {
        eprintln!("unknown argument {a:?}; usage: ramcheck-compare [--quick] [--ramcheck-only]");
        return ExitCode::from(2);
    }
    let passes: usize = if quick { 3 } else { 31 };
    // Cedar at N = 1000 costs far more per decision; fewer passes keep the
    // run short, and its median is stable at that scale.
    let cedar_passes = |n: usize| {
        if n >= 1000 {
            passes.div_ceil(3)
        } else {
            passes
        }
    };
    println!(
        "ramcheck-compare: {REQUESTS} requests per N, seed {SEED:#x}, {passes} passes{}",
        if quick { " (--quick)" } else { "" }
    );
    let mut rows = Vec::new();
    for n in [10usize, 100, 1000] {
        let mut rng = Rng(SEED ^ n as u64);
        let stmts = statements(n, &mut rng);
        let reqs = requests(&stmts, &mut rng);

        let doc = ram_document(&stmts);
        let policy = Policy::parse(&doc, "Workload", "generated", PolicyKind::Identity)
            .unwrap_or_else(|e| panic!("ramcheck rejects the generated policy: {e}"));
        let set = PolicySet {
            identity: vec![Arc::new(policy)],
            ..PolicySet::default()
        };
        let compiled = CompiledPolicySet::new(&set);
        let cedar_set = cedar::PolicySet::from_str(&cedar_policies(&stmts))
            .unwrap_or_else(|e| panic!("cedar rejects the generated policies: {e}"));
        let authorizer = cedar::Authorizer::new();
        let entities = cedar::Entities::empty();

        let ram_reqs: Vec<Request> = reqs.iter().map(ram_request).collect();
        let cedar_reqs: Vec<cedar::Request> = reqs.iter().map(cedar_request).collect();

        // Every decision must agree, between the engines and between
        // ramcheck's two evaluators.
        let (mut allow, mut explicit, mut implicit) = (0, 0, 0);
        for (i, (rr, cr)) in ram_reqs.iter().zip(&cedar_reqs).enumerate() {
            let (decision, _) = compiled.decide(rr);
            let core = eval::evaluate(&set, rr).decision;
            let response = authorizer.is_authorized(cr, &cedar_set, &entities);
            let errors: Vec<String> = response
                .diagnostics()
                .errors()
                .map(|e| e.to_string())
                .collect();
            let cedar_allows = response.decision() == cedar::Decision::Allow;
            if decision != core || decision.is_allowed() != cedar_allows || !errors.is_empty() {
                let r = &reqs[i];
                eprintln!("N={n}: decisions differ on request {i}:");
                eprintln!("  action {}  resource {}", r.action, r.resource);
                eprintln!(
                    "  acs:SourceIp={} acs:SourceVpc={} acs:SecureTransport={} acs:CurrentTime={} ({})",
                    r.source_ip,
                    r.source_vpc,
                    r.secure_transport,
                    rfc3339(r.current_time),
                    r.current_time
                );
                eprintln!(
                    "  ramcheck compiled {decision}, ramcheck core {core}, cedar {:?} (reasons {:?}, errors {errors:?})",
                    response.decision(),
                    response.diagnostics().reason().collect::<Vec<_>>()
                );
                return ExitCode::FAILURE;
            }
            match decision {
                Decision::Allow => allow += 1,
                Decision::ExplicitDeny => explicit += 1,
                Decision::ImplicitDeny => implicit += 1,
            }
        }
        println!(
            "N={n}: {allow} allowed, {explicit} explicitly denied, {implicit} implicitly denied; all {REQUESTS} decisions agree"
        );

        let compiled_ns = median_ns(&ram_reqs, passes, |r| compiled.decide(r).0.is_allowed());
        if ramcheck_only {
            println!("N={n}: ramcheck compiled median {compiled_ns:.1} ns");
            continue;
        }
        let core_ns = median_ns(&ram_reqs, passes, |r| {
            eval::evaluate(&set, r).decision.is_allowed()
        });
        let cedar_ns = median_ns(&cedar_reqs, cedar_passes(n), |r| {
            authorizer
                .is_authorized(r, &cedar_set, &entities)
                .decision()
                == cedar::Decision::Allow
        });
        rows.push(Row {
            n,
            compiled: compiled_ns,
            core: core_ns,
            cedar: cedar_ns,
        });
    }

    if ramcheck_only {
        return ExitCode::SUCCESS;
    }
    println!();
    println!(
        "{:>5}  {:>22}  {:>22}  {:>12}  {:>9}",
        "N", "ramcheck compiled ns", "ramcheck evaluate ns", "cedar ns", "speedup"
    );
    for r in &rows {
        println!(
            "{:>5}  {:>22.1}  {:>22.1}  {:>12.1}  {:>8.1}x",
            r.n,
            r.compiled,
            r.core,
            r.cedar,
            r.cedar / r.compiled
        );
    }
    let at_100 = rows.iter().find(|r| r.n == 100).unwrap();
    println!("speedup_vs_cedar_100={:.2}", at_100.cedar / at_100.compiled);
    ExitCode::SUCCESS
}
