//! Decision and load times of the compiled authorizer.
//!
//! `cargo bench --bench authorizer` runs them; the side-by-side comparison
//! with cedar-policy lives in `bench/compare/` (its own crate, because
//! cedar-policy takes minutes to compile).

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ramcheck::authorizer::{Authorizer, CompiledPolicySet};
use ramcheck::eval::{Decision, PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::request::Request;

mod workload;

use workload::{ACCOUNT, Rng, SEED, ram_request, render, statements, workload};

fn policy_set(document: &str) -> PolicySet {
    let p =
        Policy::parse(document, "bench", "bench", PolicyKind::Identity).expect("workload parses");
    PolicySet {
        identity: vec![Arc::new(p)],
        ..PolicySet::default()
    }
}

/// The workload of bench/compare (benches/workload/): per N, one allowed
/// and one implicitly denied request, with and without the statements'
/// conditions, and the whole mix of 1,000 requests the comparison times.
fn bench_decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize");
    for n in [10, 100, 1000] {
        let (stmts, reqs) = workload(n);
        let requests: Vec<Request> = reqs.iter().map(ram_request).collect();
        for with_conditions in [false, true] {
            let set = policy_set(&render(&stmts, with_conditions));
            let compiled = CompiledPolicySet::new(&set);
            let first = |wanted: Decision| {
                requests
                    .iter()
                    .find(|r| compiled.decide(r).0 == wanted)
                    .expect("the workload has both outcomes")
            };
            let label = if with_conditions {
                "conditions"
            } else {
                "plain"
            };
            for (kind, r) in [
                ("hit", first(Decision::Allow)),
                ("miss", first(Decision::ImplicitDeny)),
            ] {
                group.bench_with_input(
                    BenchmarkId::new(format!("compiled/{kind}/{label}"), n),
                    r,
                    |b, r| b.iter(|| compiled.decide(black_box(r))),
                );
            }
            if with_conditions {
                // Throughput over the comparison's whole mix: the time of
                // one iteration over 1,000 decisions.
                group.bench_with_input(
                    BenchmarkId::new("compiled/mix-of-1000/conditions", n),
                    &requests,
                    |b, rs| {
                        b.iter(|| {
                            rs.iter()
                                .filter(|r| compiled.decide(black_box(r)).0.is_allowed())
                                .count()
                        })
                    },
                );
                group.bench_with_input(
                    BenchmarkId::new("core-evaluate/hit/conditions", n),
                    first(Decision::Allow),
                    |b, r| b.iter(|| evaluate(&set, black_box(r))),
                );
            }
        }
    }
    group.finish();
}

/// Policy `p` of the load benchmark: 8 statements of the workload, with
/// conditions in every other policy.
fn store_policy(p: usize) -> String {
    let mut rng = Rng(SEED ^ ((p as u64) << 16));
    render(&statements(8, &mut rng), p.is_multiple_of(2))
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
        std::fs::write(dir.join(format!("Policy{p}.json")), store_policy(p)).unwrap();
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
        .map(|p| (format!("Policy{p}"), store_policy(p)))
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
