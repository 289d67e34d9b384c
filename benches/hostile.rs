//! The work bounds of SECURITY.md, measured: hostile wildcard patterns and
//! lint on documents far over RAM's limits. These are figures for the
//! README, not targets compared with a peer: no other engine claims these
//! bounds. `cargo bench --bench hostile`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ramcheck::lint::lint_text;
use ramcheck::policy::PolicyKind;
use ramcheck::wildcard::{Case, Wildcard};

fn document(statements: &[String]) -> String {
    format!(
        r#"{{"Version": "1", "Statement": [{}]}}"#,
        statements.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);

    // A 120 KB resource against `acs:imm:*` + `a`×30000 + `?b*`.
    let pattern = Wildcard::new(
        &format!("acs:imm:*{}?b*", "a".repeat(30_000)),
        Case::Sensitive,
    );
    let input = format!("acs:imm:{}", "a".repeat(120_000));
    group.bench_function("wildcard/120KB-vs-30000-char-segment", |b| {
        b.iter(|| black_box(pattern.matches(black_box(&input))))
    });
    let literal = Wildcard::new(
        &format!("acs:imm:*{}b*", "a".repeat(30_000)),
        Case::Sensitive,
    );
    group.bench_function("wildcard/120KB-vs-30000-char-literal", |b| {
        b.iter(|| black_box(literal.matches(black_box(&input))))
    });

    for n in [500, 2000, 5000] {
        let distinct: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"Effect": "Allow", "Action": ["imm:GetProject", "imm:ListDatasets"], "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/p{i}"}}"#
                )
            })
            .collect();
        let text = document(&distinct);
        group.bench_function(format!("lint/{n}-distinct-statements"), |b| {
            b.iter(|| black_box(lint_text(black_box(&text), PolicyKind::Identity)))
        });
        let alike: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"Effect": "Allow", "Action": ["*:Get*"], "Resource": "acs:imm:*p{i}*"}}"#
                )
            })
            .collect();
        let text = document(&alike);
        group.bench_function(format!("lint/{n}-look-alike-statements"), |b| {
            b.iter(|| black_box(lint_text(black_box(&text), PolicyKind::Identity)))
        });
    }

    // An 80 KB resource list of long `*` patterns.
    let long: Vec<String> = (0..200)
        .map(|i| format!("\"acs:{}{i}\"", "a*".repeat(200)))
        .collect();
    let text = format!(
        r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "imm:*", "Resource": [{}]}}]}}"#,
        long.join(",")
    );
    group.bench_function("lint/80KB-of-long-star-patterns", |b| {
        b.iter(|| black_box(lint_text(black_box(&text), PolicyKind::Identity)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
