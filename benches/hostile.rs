//! The work bounds of SECURITY.md, measured: hostile wildcard patterns and
//! lint on documents far over RAM's limits. These are figures for the
//! README, not targets compared with a peer: no other engine claims these
//! bounds. `cargo bench --bench hostile`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

use ramcheck::analysis::{DiffOptions, diff_policies};
use ramcheck::lint::lint_text;
use ramcheck::policy::{Policy, PolicyKind, PolicyRef};
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

    // The analysis on documents far over RAM's limit: each question stops
    // at its budget (docs/analysis.md, "Limits") and answers `unknown`.
    let parse = |text: &str| -> PolicyRef {
        Arc::new(Policy::parse(text, "p", "p.json", PolicyKind::Identity).expect("parses"))
    };
    let empty = parse(&document(&[]));
    let mut denies = vec![r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*"}"#.to_string()];
    denies.extend((0..3000).map(|i| {
        format!(
            r#"{{"Effect": "Deny", "Action": "imm:*", "Resource": "*", "Condition": {{"StringEquals": {{"k:s{i}": "v"}}}}}}"#
        )
    }));
    let denies = parse(&document(&denies));
    group.bench_function("analysis/diff-3000-deny-statements", |b| {
        b.iter(|| black_box(diff_policies(&empty, &denies, &DiffOptions::default()).is_ok()))
    });
    let numbers: Vec<String> = (0..60_000).map(|i| format!("\"{i}\"")).collect();
    let numbers = parse(&document(&[format!(
        r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*", "Condition": {{"NumericEquals": {{"k:n": [{}]}}}}}}"#,
        numbers.join(",")
    )]));
    group.bench_function("analysis/diff-60000-numeric-values", |b| {
        b.iter(|| black_box(diff_policies(&empty, &numbers, &DiffOptions::default()).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
