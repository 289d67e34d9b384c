//! The compiled authorizer against the core evaluator, and hot reload
//! under load.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ramcheck::authorizer::{Authorizer, SharedAuthorizer};
use ramcheck::eval::{Decision, Step, evaluate};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};
use ramcheck::store::Store;

use common::{ACCOUNT, bundled_store, copy_store};

/// Requests over the bundled store: every principal, a spread of actions,
/// resources (including regions the control policy denies) and contexts.
fn requests() -> Vec<Request> {
    let principals = [
        Principal::user(ACCOUNT, "alice"),
        Principal::user(ACCOUNT, "bob"),
        Principal::user(ACCOUNT, "carol"),
        Principal::user(ACCOUNT, "mallory"),
        Principal::user("9999999999999999", "alice"),
        Principal::role(ACCOUNT, "imm-deployer"),
        Principal::AdHoc,
    ];
    let actions = [
        "imm:AttachOSSBucket",
        "imm:attachossbucket",
        "imm:GetProject",
        "imm:ListProjects",
        "imm:DeleteProject",
        "imm:UpdateProject",
        "oss:ListBuckets",
        "ram:PassRole",
        "sts:AssumeRole",
        "ecs:DescribeInstances",
    ];
    let resources = [
        "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
        "acs:imm:cn-hangzhou:1234567890123456:project/ImmTest",
        "acs:imm:cn-hangzhou:1234567890123456:project/media-news",
        "acs:imm:ap-southeast-1:1234567890123456:project/immtest",
        "acs:ram::1234567890123456:role/imm-deployer",
        "acs:ram::1234567890123456:role/other",
        "acs:ram::9999999999999999:role/imm-deployer",
        "*",
    ];
    let contexts: [&[(&str, &str)]; 4] = [
        &[],
        &[("acs:SourceIp", "192.0.2.10"), ("acs:MFAPresent", "true")],
        &[
            ("acs:SourceIp", "198.51.100.7"),
            ("acs:Service", "imm.aliyuncs.com"),
        ],
        &[
            ("acs:MFAPresent", "false"),
            ("acs:Service", "ecs.aliyuncs.com"),
        ],
    ];
    let mut out = Vec::new();
    for p in &principals {
        for a in actions {
            for r in resources {
                for ctx in contexts {
                    let mut c = Context::new();
                    for (k, v) in ctx {
                        c.insert(k, v).unwrap();
                    }
                    out.push(Request::new(a, r, p.clone(), c).unwrap());
                }
            }
        }
    }
    out
}

/// What the core evaluator answers for a store principal, gathering its
/// policies the way `can-i` does.
fn core(store: &Store, request: &Request) -> (Decision, Step) {
    let Some(mut set) = store.policies_for(request.principal()) else {
        return (Decision::ImplicitDeny, Step::Identity);
    };
    if request.is_assume_role() {
        set.resource = store.trust_policy_for(request.resource());
    }
    let r = evaluate(&set, request);
    (r.decision, r.step)
}

#[test]
fn authorizer_equals_core_evaluator_on_the_bundled_store() {
    let store = Store::load(&bundled_store()).unwrap();
    let authorizer = Authorizer::new(&store);
    let mut seen = HashMap::new();
    for request in requests() {
        let fast = authorizer.authorize(&request);
        let expected = core(&store, &request);
        assert_eq!(
            (fast.decision, fast.step),
            expected,
            "{} {} {}",
            request.principal(),
            request.action(),
            request.resource()
        );
        // The lazy explanation is the core evaluator's explanation.
        let explained = fast.explain();
        assert_eq!((explained.decision, explained.step), expected);
        *seen.entry(expected.0).or_insert(0) += 1;
    }
    // The table exercises every kind of answer.
    for d in [
        Decision::Allow,
        Decision::ExplicitDeny,
        Decision::ImplicitDeny,
    ] {
        assert!(seen.get(&d).copied().unwrap_or(0) > 10, "{d}: {seen:?}");
    }
}

#[test]
fn in_memory_documents_compile_like_a_directory() {
    let mut policies = HashMap::new();
    policies.insert(
        "Attach".to_string(),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "*"}]}"#.to_string(),
    );
    let principals = r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "dave", "Policies": ["Attach", "AliyunIMMReadOnlyAccess"]}]}"#;
    let store = Store::from_documents(principals, &policies).unwrap();
    let authorizer = Authorizer::new(&store);
    let ask = |action: &str| {
        let r = Request::new(
            action,
            "*",
            Principal::user(ACCOUNT, "dave"),
            Context::new(),
        )
        .unwrap();
        authorizer.authorize(&r).decision
    };
    assert_eq!(ask("imm:AttachOSSBucket"), Decision::Allow);
    assert_eq!(ask("imm:ListProjects"), Decision::Allow);
    assert_eq!(ask("imm:DeleteProject"), Decision::ImplicitDeny);
    let err = Store::from_documents(
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "dave", "Policies": ["Missing"]}]}"#,
        &policies,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown policy \"Missing\""),
        "{err}"
    );
}

#[test]
fn explanation_of_an_unknown_principal_says_so() {
    let authorizer = Authorizer::from_store(&bundled_store()).unwrap();
    let r = Request::new(
        "imm:GetProject",
        "*",
        Principal::user(ACCOUNT, "mallory"),
        Context::new(),
    )
    .unwrap();
    let a = authorizer.authorize(&r);
    assert_eq!(a.decision, Decision::ImplicitDeny);
    assert!(
        a.explain()
            .notes
            .iter()
            .any(|n| n.contains("not a principal of the store"))
    );
}

#[test]
fn reload_under_load_never_gives_a_third_answer() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reload");
    let _ = fs::remove_dir_all(&tmp);
    let (a, b, broken) = (tmp.join("a"), tmp.join("b"), tmp.join("broken"));
    copy_store(&a);
    copy_store(&b);
    copy_store(&broken);
    // Store B: alice loses her attach policy, bob loses the delete deny.
    fs::write(
        b.join("ImmAttachImmtest.json"),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:ListProjects", "Resource": "*"}]}"#,
    )
    .unwrap();
    fs::write(
        b.join("ImmMediaOperator.json"),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:*", "Resource": "*"}]}"#,
    )
    .unwrap();
    fs::write(
        broken.join("ImmAttachImmtest.json"),
        "{\"Version\": \"1\",}",
    )
    .unwrap();

    let requests = Arc::new(requests());
    let answers = |dir: &Path| -> Vec<Decision> {
        let auth = Authorizer::from_store(dir).unwrap();
        requests
            .iter()
            .map(|r| auth.authorize(r).decision)
            .collect()
    };
    let (in_a, in_b) = (answers(&a), answers(&b));
    let differing = in_a.iter().zip(&in_b).filter(|(x, y)| x != y).count();
    assert!(
        differing > 20,
        "the two stores must disagree somewhere: {differing}"
    );

    let shared = Arc::new(SharedAuthorizer::from_store(&a).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let (in_a, in_b) = (Arc::new(in_a), Arc::new(in_b));
    let readers: Vec<_> = (0..3)
        .map(|t| {
            let (shared, stop, checked) = (shared.clone(), stop.clone(), checked.clone());
            let (requests, in_a, in_b) = (requests.clone(), in_a.clone(), in_b.clone());
            std::thread::spawn(move || {
                let mut i = t * 97;
                while !stop.load(Ordering::Relaxed) {
                    let k = i % requests.len();
                    let answer = shared.current().authorize(&requests[k]).decision;
                    assert!(
                        answer == in_a[k] || answer == in_b[k],
                        "request {k}: {answer}"
                    );
                    checked.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    for round in 0..40 {
        let dir = if round % 2 == 0 { &b } else { &a };
        shared.reload(dir).unwrap();
        // A failed reload reports the error and keeps the store in force.
        let err = shared.reload(&broken).unwrap_err();
        assert!(
            err.to_string().contains("ImmAttachImmtest.json:1:16"),
            "{err}"
        );
        let expected = if round % 2 == 0 { &in_b } else { &in_a };
        let current = shared.current();
        for (k, r) in requests.iter().enumerate().step_by(37) {
            assert_eq!(current.authorize(r).decision, expected[k]);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(checked.load(Ordering::Relaxed) > 1000);
}

/// Large stores are parsed on several threads before the validating pass;
/// the answers and the errors are those of a sequential load.
#[test]
fn large_stores_load_in_parallel_with_the_same_errors() {
    let n = 300;
    let mut policies = HashMap::new();
    for i in 0..n {
        policies.insert(
            format!("P{i}"),
            format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "acs:imm:*:*:project/p{i}"}}]}}"#
            ),
        );
    }
    let users: Vec<String> = (0..n)
        .map(|i| {
            format!(r#"{{"UserName": "u{i}", "Policies": ["P{i}", "AliyunIMMReadOnlyAccess"]}}"#)
        })
        .collect();
    let principals = format!(
        r#"{{"AccountId": "1234567890123456", "Users": [{}]}}"#,
        users.join(",\n")
    );
    let store = Store::from_documents(&principals, &policies).unwrap();
    let authorizer = Authorizer::new(&store);
    let ask = |user: &str, project: &str| {
        let r = Request::new(
            "imm:AttachOSSBucket",
            &format!("acs:imm:cn-hangzhou:1234567890123456:project/{project}"),
            Principal::user(ACCOUNT, user),
            Context::new(),
        )
        .unwrap();
        authorizer.authorize(&r).decision
    };
    assert_eq!(ask("u7", "p7"), Decision::Allow);
    assert_eq!(ask("u299", "p299"), Decision::Allow);
    assert_eq!(ask("u7", "p8"), Decision::ImplicitDeny);

    // A broken policy: the error is the sequential pass's, with its place.
    policies.insert(
        "P150".into(),
        "{\"Version\": \"1\",\n \"Statement\": [],}".into(),
    );
    let err = Store::from_documents(&principals, &policies).unwrap_err();
    assert_eq!(
        err.to_string(),
        "memory:P150:2:17: invalid JSON: trailing comma: strict JSON allows no comma before `}`"
    );
}
