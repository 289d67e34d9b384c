//! Input: `<old document> NUL <new document> [NUL <not-granted>]`.
//! Both documents are read as the kind the old one shows (as
//! `ramcheck diff` does); the third piece is a `--not-granted` question
//! (`ACTION [RESOURCE]`, default `*`).
//!
//! The exact analysis (docs/analysis.md) must never panic, and a witness
//! that does not check with the concrete evaluator is a bug: `diff`
//! (both directions) and `check` (`--not-granted`, and `--no-public-access`
//! for trust and resource policies) must never answer `WitnessFailed`.
//! For identity-kind documents each witness is also re-checked here, as a
//! reader of the report would: NEW allows it and OLD does not (diff), the
//! policy allows it and it lies inside the question (check). Budgets
//! (docs/analysis.md, "Limits") keep every input bounded; `unknown` is a
//! valid answer.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ramcheck::analysis::{
    AnalysisError, CheckQuestion, DiffOptions, NotGranted, Verdict, Witness, check,
    diff_policies,
};
use ramcheck::eval::{PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind, PolicyRef};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};
use ramcheck::wildcard::{Case, Wildcard};

fuzz_target!(|data: &[u8]| {
    let mut pieces = data.splitn(3, |&b| b == 0);
    let (Some(old), Some(new)) = (pieces.next(), pieces.next()) else {
        return;
    };
    let question = pieces.next().unwrap_or(b"*");
    let (Ok(old), Ok(new), Ok(question)) = (
        std::str::from_utf8(old),
        std::str::from_utf8(new),
        std::str::from_utf8(question),
    ) else {
        return;
    };
    let kind = ramcheck::json::parse(old)
        .map(|root| PolicyKind::recognize(&root))
        .unwrap_or(PolicyKind::Identity);
    let parse = |text: &str, name: &str| -> Option<PolicyRef> {
        Policy::parse(text, name, &format!("{name}.json"), kind)
            .ok()
            .map(Arc::new)
    };
    let (Some(old), Some(new)) = (parse(old, "old"), parse(new, "new")) else {
        return;
    };
    let options = DiffOptions {
        both: true,
        max: 4,
        ..DiffOptions::default()
    };
    match diff_policies(&old, &new, &options) {
        Ok(report) => {
            if report.result == Verdict::Fail {
                assert!(!report.new_access.is_empty());
            }
            if kind == PolicyKind::Identity {
                for w in &report.new_access {
                    recheck_diff(&old, &new, w);
                }
                for w in report.removed_access.iter().flatten() {
                    recheck_diff(&new, &old, w);
                }
            }
        }
        Err(e) => no_failed_witness(e),
    }
    if let Ok(q) = NotGranted::parse(question) {
        match check(&new, &CheckQuestion::NotGranted(vec![q.clone()]), 4) {
            Ok(report) => {
                if kind == PolicyKind::Identity {
                    let a = Wildcard::new(&q.action, Case::Insensitive);
                    let r = Wildcard::new(&q.resource, Case::Sensitive);
                    for w in &report.violations {
                        let req = request(w);
                        assert!(allowed(&new, &req), "{w:#?}");
                        assert!(a.matches(&w.action) && r.matches(&w.resource), "{w:#?}");
                    }
                }
            }
            Err(e) => no_failed_witness(e),
        }
    }
    if kind.has_principal()
        && let Err(e) = check(&new, &CheckQuestion::NoPublicAccess, 4)
    {
        no_failed_witness(e);
    }
});

fn no_failed_witness(e: AnalysisError) {
    assert!(
        !matches!(e, AnalysisError::WitnessFailed(_)),
        "a witness did not check: {e}"
    );
}

/// The witness as a request of an ad-hoc caller (identity policies have
/// no `Principal`, so the analysis asks for any caller).
fn request(w: &Witness) -> Request {
    let mut context = Context::new();
    for (k, vs) in &w.context {
        for v in vs {
            context.insert(k, v).expect("a witness's context is valid");
        }
    }
    Request::new(&w.action, &w.resource, Principal::AdHoc, context)
        .expect("a witness is a valid request")
}

fn allowed(p: &PolicyRef, r: &Request) -> bool {
    let set = PolicySet {
        identity: vec![p.clone()],
        ..PolicySet::default()
    };
    evaluate(&set, r).decision.is_allowed()
}

fn recheck_diff(old: &PolicyRef, new: &PolicyRef, w: &Witness) {
    let r = request(w);
    assert!(allowed(new, &r) && !allowed(old, &r), "{w:#?}");
}
