//! The RAM-shaped workload of the benchmarks, defined once: `benches/authorizer.rs`
//! (criterion) and `bench/compare` (side by side with cedar-policy, which
//! includes this file by path) decide the same statements and requests.
//! bench/compare/README.md describes the workload.

// Each includer uses its own part; the derefs pick `&str` out of `&[&str]`.
#![allow(dead_code, clippy::explicit_auto_deref)]

use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};

pub const SEED: u64 = 0x005e_ed0f_ca11_ab1e;
pub const REQUESTS: usize = 1000;
pub const ACCOUNT: &str = "1234567890123456";
pub const TEAMS: u64 = 20;
/// Service code and the resource type its statements name.
pub const SERVICES: &[(&str, &str)] = &[
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
pub const VERBS: &[&str] = &["Get", "List", "Describe", "Delete"];
pub const THINGS: &[&str] = &["Instance", "Bucket", "Project", "Key", "Snapshot", "Tags"];
pub const REGIONS: &[&str] = &["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"];
pub const CIDRS: &[&str] = &["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"];
pub const VPCS: &[&str] = &["vpc-a", "vpc-b", "vpc-c", "vpc-d"];
/// 2025-06-01T00:00:00Z and 2026-06-01T00:00:00Z: request times fall in
/// between, DateLessThan thresholds in the middle half.
pub const TIME_FROM: i64 = 1_748_736_000;
pub const TIME_TO: i64 = 1_780_272_000;

/// xorshift64*: small, fast, and enough for a reproducible workload.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy)]
pub enum ActionKind {
    Get,
    List,
    All,
}

#[derive(Clone)]
pub enum Cond {
    IpAddress(&'static str),
    StringEquals(&'static str),
    Bool(bool),
    DateLessThan(i64),
}

/// One statement, rendered to both engines.
pub struct Stmt {
    pub deny: bool,
    pub service: usize,
    pub action: ActionKind,
    pub team: u64,
    pub cond: Cond,
}

impl Stmt {
    pub fn action_pattern(&self) -> String {
        let svc = SERVICES[self.service].0;
        match self.action {
            ActionKind::Get => format!("{svc}:Get*"),
            ActionKind::List => format!("{svc}:List*"),
            ActionKind::All => format!("{svc}:*"),
        }
    }
    pub fn resource_pattern(&self) -> String {
        let (svc, ty) = SERVICES[self.service];
        format!("acs:{svc}:*:{ACCOUNT}:{ty}/team{}-*", self.team)
    }
}

pub fn statements(n: usize, rng: &mut Rng) -> Vec<Stmt> {
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

pub fn ram_document(stmts: &[Stmt]) -> String {
    render(stmts, true)
}

/// The statements as a RAM policy document, with their conditions or
/// without.
pub fn render(stmts: &[Stmt], with_conditions: bool) -> String {
    document(stmts.iter().map(|s| s.render(with_conditions)))
}

/// A policy document of rendered statements.
pub fn document(statements: impl IntoIterator<Item = String>) -> String {
    let rendered: Vec<String> = statements.into_iter().collect();
    format!(
        "{{\"Version\": \"1\", \"Statement\": [\n{}\n]}}",
        rendered.join(",\n")
    )
}

impl Stmt {
    /// The statement as RAM JSON, with its condition or without.
    pub fn render(&self, with_conditions: bool) -> String {
        let condition = if with_conditions {
            format!(r#", "Condition": {}"#, self.condition())
        } else {
            String::new()
        };
        format!(
            r#"    {{"Effect": "{}", "Action": "{}", "Resource": "{}"{condition}}}"#,
            if self.deny { "Deny" } else { "Allow" },
            self.action_pattern(),
            self.resource_pattern()
        )
    }

    /// The statement's `Condition` object.
    pub fn condition(&self) -> String {
        match &self.cond {
            Cond::IpAddress(c) => format!(r#"{{"IpAddress": {{"acs:SourceIp": "{c}"}}}}"#),
            Cond::StringEquals(v) => format!(r#"{{"StringEquals": {{"acs:SourceVpc": "{v}"}}}}"#),
            Cond::Bool(b) => format!(r#"{{"Bool": {{"acs:SecureTransport": "{b}"}}}}"#),
            Cond::DateLessThan(t) => format!(
                r#"{{"DateLessThan": {{"acs:CurrentTime": "{}"}}}}"#,
                rfc3339(*t)
            ),
        }
    }
}

/// One request, engine-independent.
pub struct Req {
    pub action: String,
    pub resource: String,
    pub source_ip: String,
    pub source_vpc: &'static str,
    pub secure_transport: bool,
    pub current_time: i64,
}

pub fn random_ip(rng: &mut Rng) -> String {
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

pub fn ip_in(cidr: &str, rng: &mut Rng) -> String {
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
pub fn requests(stmts: &[Stmt], rng: &mut Rng) -> Vec<Req> {
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
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

pub fn rfc3339(t: i64) -> String {
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

pub fn ram_request(r: &Req) -> Request {
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

/// The statements and requests for `n` statements, as every benchmark
/// draws them: from `Rng(SEED ^ n)`.
pub fn workload(n: usize) -> (Vec<Stmt>, Vec<Req>) {
    let mut rng = Rng(SEED ^ n as u64);
    let stmts = statements(n, &mut rng);
    let reqs = requests(&stmts, &mut rng);
    (stmts, reqs)
}
