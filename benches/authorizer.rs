//! Decision and load times of the compiled authorizer.
//!
//! `cargo bench --bench authorizer` runs them; the side-by-side comparison
//! with cedar-policy lives in `bench/compare/` (its own crate, because
//! cedar-policy takes minutes to compile).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ramcheck::authorizer::{Authorizer, CompiledPolicySet};
use ramcheck::eval::{Decision, PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};

const ACCOUNT: &str = "1234567890123456";
const SERVICES: [(&str, &str); 10] = [
    ("ecs", "instance"),
    ("oss", "bucket"),
    ("imm", "project"),
    ("rds", "dbinstance"),
    ("vpc", "vpc"),
    ("slb", "loadbalancer"),
    ("kms", "key"),
    ("fc", "function"),
    ("sls", "logstore"),
    ("ram", "role"),
];
const CONDITIONS: [&str; 4] = [
    r#""IpAddress": {"acs:SourceIp": "10.0.0.0/8"}"#,
    r#""StringEquals": {"acs:SourceVpc": "vpc-prod"}"#,
    r#""Bool": {"acs:SecureTransport": "true"}"#,
    r#""DateLessThan": {"acs:CurrentTime": "2030-01-01T00:00:00Z"}"#,
];

/// The comparison crate's workload shape: N statements over ten services
/// with Get*/List*/* actions, team-scoped resources, every 7th a Deny.
fn policy(n: usize, with_conditions: bool) -> String {
    let mut statements = Vec::with_capacity(n);
    for i in 0..n {
        let (svc, ty) = SERVICES[i % 10];
        let action = ["Get*", "List*", "*"][(i / 10) % 3];
        let effect = if i % 7 == 6 { "Deny" } else { "Allow" };
        let team = i / 30;
        let mut s = format!(
            r#"{{"Effect": "{effect}", "Action": "{svc}:{action}", "Resource": "acs:{svc}:*:{ACCOUNT}:{ty}/team{team}-*""#
        );
        if with_conditions {
            let _ = write!(s, r#", "Condition": {{{}}}"#, CONDITIONS[i % 4]);
        }
        s.push('}');
        statements.push(s);
    }
    format!(
        r#"{{"Version": "1", "Statement": [{}]}}"#,
        statements.join(", ")
    )
}

fn policy_set(n: usize, with_conditions: bool) -> PolicySet {
    let p = Policy::parse(
        &policy(n, with_conditions),
        "bench",
        "bench",
        PolicyKind::Identity,
    )
    .expect("workload parses");
    PolicySet {
        identity: vec![Arc::new(p)],
        ..PolicySet::default()
    }
}

fn context() -> Context {
    let mut c = Context::new();
    for (k, v) in [
        ("acs:SourceIp", "10.1.2.3"),
        ("acs:SourceVpc", "vpc-prod"),
        ("acs:SecureTransport", "true"),
        ("acs:CurrentTime", "2026-11-28T00:00:00Z"),
    ] {
        c.insert(k, v).unwrap();
    }
    c
}

fn request(action: &str, resource: &str) -> Request {
    Request::new(
        action,
        resource,
        Principal::user(ACCOUNT, "bench"),
        context(),
    )
    .unwrap()
}

fn bench_decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize");
    for n in [10, 100, 1000] {
        for with_conditions in [false, true] {
            let set = policy_set(n, with_conditions);
            let compiled = CompiledPolicySet::new(&set);
            // A hit: the first team-scoped request some Allow grants and
            // no Deny takes back (every 7th statement is a Deny).
            let hit = (0..=n / 30)
                .flat_map(|team| {
                    SERVICES.iter().map(move |(svc, ty)| {
                        request(
                            &format!("{svc}:GetThing"),
                            &format!("acs:{svc}:cn-hangzhou:{ACCOUNT}:{ty}/team{team}-web"),
                        )
                    })
                })
                .find(|r| compiled.decide(r).0 == Decision::Allow)
                .expect("the workload allows something");
            // A miss: a team no statement names.
            let miss = request(
                "ecs:GetInstance",
                "acs:ecs:cn-hangzhou:1234567890123456:instance/team999-web",
            );
            assert_eq!(compiled.decide(&miss).0, Decision::ImplicitDeny);
            let label = if with_conditions {
                "conditions"
            } else {
                "plain"
            };
            for (kind, r) in [("hit", &hit), ("miss", &miss)] {
                group.bench_with_input(
                    BenchmarkId::new(format!("compiled/{kind}/{label}"), n),
                    r,
                    |b, r| b.iter(|| compiled.decide(black_box(r))),
                );
            }
            if with_conditions {
                group.bench_with_input(
                    BenchmarkId::new("core-evaluate/hit/conditions", n),
                    &hit,
                    |b, r| b.iter(|| evaluate(&set, black_box(r))),
                );
            }
        }
    }
    group.finish();
}

/// A store the size of RAM's per-account limit: 1,500 custom policies.
fn write_store(policies: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramcheck-bench-store-{policies}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut users = Vec::new();
    let per_user = 15;
    for u in 0..policies.div_ceil(per_user) {
        let names: Vec<String> = (u * per_user..((u + 1) * per_user).min(policies))
            .map(|p| format!("\"Policy{p}\""))
            .collect();
        users.push(format!(
            r#"{{"UserName": "user{u}", "Policies": [{}]}}"#,
            names.join(", ")
        ));
    }
    for p in 0..policies {
        std::fs::write(dir.join(format!("Policy{p}.json")), policy(8, p % 2 == 0)).unwrap();
    }
    std::fs::write(
        dir.join("principals.json"),
        format!(
            r#"{{"AccountId": "{ACCOUNT}", "Users": [{}]}}"#,
            users.join(",\n")
        ),
    )
    .unwrap();
    dir
}

fn bench_load(c: &mut Criterion) {
    let dir = write_store(1500);
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("store/1500-policies", |b| {
        b.iter(|| Authorizer::from_store(black_box(&dir)).unwrap())
    });
    // Parsing alone, without the file system.
    let texts: HashMap<String, String> = (0..1500)
        .map(|p| (format!("Policy{p}"), policy(8, p % 2 == 0)))
        .collect();
    group.bench_function("parse/1500-policies", |b| {
        b.iter(|| {
            for text in texts.values() {
                black_box(Policy::parse(text, "p", "p", PolicyKind::Identity).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decisions, bench_load);
criterion_main!(benches);
