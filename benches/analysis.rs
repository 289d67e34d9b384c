//! The exact analysis: `diff` of two policies, `check`, `who-can` over a
//! store of 1,500 policies, and how `diff` grows with the statements.
//!
//! `cargo bench --bench analysis`; figures in the README ("Performance").

// The library's errors carry spans and are large; benches only unwrap them.
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ramcheck::analysis::{self, CheckQuestion, DiffOptions, NotGranted, Verdict};
use ramcheck::policy::{Policy, PolicyKind, PolicyRef};

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

/// The authorizer bench's workload shape: N statements over ten services
/// with Get*/List*/* actions, team-scoped resources, every 7th a Deny, one
/// condition each. `widen` makes statement `widen` grant `svc:*` on every
/// resource of its service.
fn policy_text(n: usize, widen: Option<usize>) -> String {
    let mut statements = Vec::with_capacity(n);
    for i in 0..n {
        let (svc, ty) = SERVICES[i % 10];
        let action = ["Get*", "List*", "*"][(i / 10) % 3];
        let effect = if i % 7 == 6 { "Deny" } else { "Allow" };
        let team = i / 30;
        let mut s = if widen == Some(i) {
            format!(
                r#"{{"Effect": "Allow", "Action": "{svc}:*", "Resource": "acs:{svc}:*:{ACCOUNT}:*""#
            )
        } else {
            format!(
                r#"{{"Effect": "{effect}", "Action": "{svc}:{action}", "Resource": "acs:{svc}:*:{ACCOUNT}:{ty}/team{team}-*""#
            )
        };
        let _ = write!(s, r#", "Condition": {{{}}}"#, CONDITIONS[i % 4]);
        s.push('}');
        statements.push(s);
    }
    format!(
        r#"{{"Version": "1", "Statement": [{}]}}"#,
        statements.join(", ")
    )
}

fn policy(n: usize, widen: Option<usize>) -> PolicyRef {
    Arc::new(Policy::parse(&policy_text(n, widen), "p", "p.json", PolicyKind::Identity).unwrap())
}

/// A store of 500 users, each with three custom policies of their own
/// (1,500 policies), written once under the target directory.
fn store() -> PathBuf {
    let dir = std::env::temp_dir().join("ramcheck-bench-analysis-store");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let mut users = Vec::new();
    for u in 0..500 {
        let mut names = Vec::new();
        for k in 0..3 {
            let name = format!("P{u}x{k}");
            let i = u * 3 + k;
            let (svc, ty) = SERVICES[i % 10];
            let action = ["Get*", "List*", "*"][k];
            let text = format!(
                r#"{{"Version": "1", "Statement": [
                  {{"Effect": "Allow", "Action": "{svc}:{action}", "Resource": "acs:{svc}:*:{ACCOUNT}:{ty}/team{}-*",
                    "Condition": {{{}}}}},
                  {{"Effect": "Deny", "Action": "{svc}:Delete*", "Resource": "*"}}]}}"#,
                u % 20,
                CONDITIONS[i % 4]
            );
            fs::write(dir.join(format!("{name}.json")), text).unwrap();
            names.push(format!("\"{name}\""));
        }
        users.push(format!(
            r#"{{"UserName": "user{u}", "Policies": [{}]}}"#,
            names.join(", ")
        ));
    }
    fs::write(
        dir.join("principals.json"),
        format!(
            r#"{{"AccountId": "{ACCOUNT}", "Users": [{}]}}"#,
            users.join(",\n")
        ),
    )
    .unwrap();
    dir
}

fn bench(c: &mut Criterion) {
    let options = DiffOptions::default();
    let old = policy(100, None);
    let same = policy(100, None);
    let wider = policy(100, Some(52));
    assert_eq!(
        analysis::diff_policies(&old, &same, &options)
            .unwrap()
            .result,
        Verdict::Pass
    );
    assert_eq!(
        analysis::diff_policies(&old, &wider, &options)
            .unwrap()
            .result,
        Verdict::Fail
    );
    let mut g = c.benchmark_group("analysis");
    g.sample_size(20);
    g.bench_function("diff/100-statements/pass", |b| {
        b.iter(|| analysis::diff_policies(black_box(&old), black_box(&same), &options))
    });
    g.bench_function("diff/100-statements/fail", |b| {
        b.iter(|| analysis::diff_policies(black_box(&old), black_box(&wider), &options))
    });
    let question = CheckQuestion::NotGranted(vec![NotGranted::parse("ram:Delete*").unwrap()]);
    g.bench_function("check/100-statements", |b| {
        b.iter(|| analysis::check(black_box(&old), &question, 20))
    });
    let dir = store();
    let resource = format!("acs:ecs:cn-hangzhou:{ACCOUNT}:instance/team0-web");
    let r = analysis::who_can(&dir, "ecs:GetInstance", &resource, &[], false).unwrap();
    assert!(!r.principals.is_empty());
    g.bench_function("who-can/store-1500-policies", |b| {
        b.iter(|| analysis::who_can(&dir, "ecs:GetInstance", black_box(&resource), &[], false))
    });
    for n in [10, 100, 1000] {
        let a = policy(n, None);
        let b2 = policy(n, None);
        let w = policy(n, Some(n / 2 + 2));
        g.bench_with_input(BenchmarkId::new("diff/pass", n), &n, |b, _| {
            b.iter(|| analysis::diff_policies(&a, &b2, &options))
        });
        g.bench_with_input(BenchmarkId::new("diff/fail", n), &n, |b, _| {
            b.iter(|| analysis::diff_policies(&a, &w, &options))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
