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
use ramcheck::request::Request;

#[path = "../../../benches/workload/mod.rs"]
mod workload;
use workload::*;

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
        let (stmts, reqs) = workload(n);

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
