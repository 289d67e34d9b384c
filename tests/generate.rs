//! `ramcheck generate`: the generated policy allows exactly what was asked
//! (property tests over the catalogue's IMM actions), is deterministic,
//! splits over RAM's 6,144-character limit, and a wrong policy fails the
//! proof.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use ramcheck::catalog::Catalog;
use ramcheck::eval::{PolicySet, evaluate};
use ramcheck::generate::conditions::ConditionSet;
use ramcheck::generate::proof::{self, Document, Grant, witness_resource};
use ramcheck::generate::synth::{Collapse, Pair};
use ramcheck::generate::{self, GenerateError, Generated, Options, synthesize};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};

const ACCOUNTS: [&str; 2] = ["1234567890123456", "2234567890123456"];
const REGIONS: [&str; 2] = ["cn-hangzhou", "cn-shanghai"];
const PROJECTS: [&str; 3] = ["immtest", "media-news", "photos"];
const DATASETS: [&str; 2] = ["faces", "docs"];

/// The resource IMM authorises `action` on for one choice of names, built
/// by the catalogue.
fn resource_of(
    action: usize,
    region: usize,
    account: usize,
    project: usize,
    dataset: usize,
) -> (String, String) {
    let info = &Catalog::builtin().service("imm").unwrap().actions[action];
    let arns = info
        .resource_arn_for_call(REGIONS[region], ACCOUNTS[account], |p| match p {
            "ProjectName" => Some(PROJECTS[project]),
            "DatasetName" => Some(DATASETS[dataset]),
            _ => Some("x"),
        })
        .unwrap();
    (info.action.clone(), arns[0].clone())
}

fn imm_actions() -> usize {
    Catalog::builtin().service("imm").unwrap().actions.len()
}

/// Every (action, resource) of the universe for the given actions.
fn universe(actions: &BTreeSet<usize>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for &a in actions {
        for r in 0..REGIONS.len() {
            for c in 0..ACCOUNTS.len() {
                for p in 0..PROJECTS.len() {
                    for d in 0..DATASETS.len() {
                        out.insert(resource_of(a, r, c, p, d));
                    }
                }
            }
        }
    }
    out
}

fn inputs(pairs: &[(String, String)]) -> Vec<(Pair, String)> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (a, r))| {
            (
                Pair {
                    action: a.clone(),
                    resource: r.clone(),
                    conditions: ConditionSet::new(),
                },
                format!("input {i}"),
            )
        })
        .collect()
}

fn policy_set(g: &Generated) -> PolicySet {
    PolicySet {
        identity: g
            .documents
            .iter()
            .map(|d| {
                Arc::new(Policy::parse(&d.text, &d.name, &d.name, PolicyKind::Identity).unwrap())
            })
            .collect(),
        ..PolicySet::default()
    }
}

fn allowed(set: &PolicySet, action: &str, resource: &str) -> bool {
    let request = Request::new(
        action,
        &witness_resource(resource),
        Principal::AdHoc,
        Context::new(),
    )
    .unwrap();
    evaluate(set, &request).decision.is_allowed()
}

fn pair_strategy() -> impl Strategy<Value = Vec<(usize, usize, usize, usize, usize)>> {
    prop::collection::vec(
        (
            0..imm_actions(),
            0..REGIONS.len(),
            0..ACCOUNTS.len(),
            0..PROJECTS.len(),
            0..DATASETS.len(),
        ),
        1..14,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Each requested pair is allowed; every other pair of the universe
    /// (the same actions on every region, account, project and dataset,
    /// and every other catalogued action) is not: no cross product.
    #[test]
    fn allows_exactly_the_requested_pairs(choices in pair_strategy(), extra in 0..imm_actions()) {
        let requested: Vec<(String, String)> = choices
            .iter()
            .map(|&(a, r, c, p, d)| resource_of(a, r, c, p, d))
            .collect();
        let g = synthesize(&inputs(&requested), None, "prop", Vec::new()).unwrap();
        let set = policy_set(&g);
        let asked: BTreeSet<(String, String)> = requested.iter().cloned().collect();
        let mut actions: BTreeSet<usize> = choices.iter().map(|c| c.0).collect();
        actions.insert(extra);
        for (action, resource) in universe(&actions) {
            let expect = asked.contains(&(action.clone(), resource.clone()));
            prop_assert_eq!(
                allowed(&set, &action, &resource),
                expect,
                "{} on {}\n{}",
                action,
                resource,
                g.stdout_text()
            );
        }
        prop_assert!(!allowed(&set, "oss:GetObject", "*"));
    }

    /// The same pairs in any order (and repeated) give the same bytes.
    #[test]
    fn deterministic(choices in pair_strategy(), seed in any::<u64>()) {
        let requested: Vec<(String, String)> = choices
            .iter()
            .map(|&(a, r, c, p, d)| resource_of(a, r, c, p, d))
            .collect();
        let first = synthesize(&inputs(&requested), None, "p", Vec::new()).unwrap();
        let mut shuffled = requested.clone();
        // A seeded Fisher-Yates shuffle, plus one duplicate.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        shuffled.push(shuffled[0].clone());
        let second = synthesize(&inputs(&shuffled), None, "p", Vec::new()).unwrap();
        prop_assert_eq!(first.stdout_text(), second.stdout_text());
    }

    /// Collapsing widens only what the notes declare, and still allows
    /// every requested pair; the proof checks the rest.
    #[test]
    fn collapse_keeps_every_requested_pair(choices in pair_strategy(), actions in any::<bool>()) {
        let requested: Vec<(String, String)> = choices
            .iter()
            .map(|&(a, r, c, p, d)| resource_of(a, r, c, p, d))
            .collect();
        let mode = if actions { Collapse::Actions } else { Collapse::Resources };
        let g = synthesize(&inputs(&requested), Some(mode), "p", Vec::new()).unwrap();
        let set = policy_set(&g);
        for (a, r) in &requested {
            prop_assert!(allowed(&set, a, r));
        }
        // Other accounts are never reached by a collapse.
        for (a, r) in &requested {
            if r != "*" {
                let other = r.replacen(":1234567890123456:", ":9999999999999999:", 1)
                    .replacen(":2234567890123456:", ":9999999999999999:", 1);
                prop_assert!(!allowed(&set, a, &other));
            }
        }
    }
}

/// Many projects: the statements no longer fit one policy of 6,144
/// characters, so they are split into numbered policies, each within the
/// limit, that together allow exactly the pairs.
#[test]
fn splits_over_the_size_limit() {
    let mut requested = Vec::new();
    for i in 0..160 {
        let project = format!("acs:imm:cn-hangzhou:1234567890123456:project/media-{i:03}");
        requested.push(("imm:GetProject".to_string(), project.clone()));
        if i % 2 == 0 {
            requested.push(("imm:UpdateProject".to_string(), project));
        }
    }
    let g = synthesize(&inputs(&requested), None, "media", Vec::new()).unwrap();
    assert!(g.documents.len() > 1, "expected a split");
    for (i, d) in g.documents.iter().enumerate() {
        assert_eq!(d.name, format!("media-{}", i + 1));
        assert!(
            d.text.chars().count() <= 6144,
            "{} is {} characters",
            d.name,
            d.text.chars().count()
        );
    }
    assert!(
        g.notes.iter().any(|n| n.starts_with("split:")),
        "{:?}",
        g.notes
    );
    let set = policy_set(&g);
    for (a, r) in &requested {
        assert!(allowed(&set, a, r));
    }
    assert!(!allowed(
        &set,
        "imm:UpdateProject",
        "acs:imm:cn-hangzhou:1234567890123456:project/media-001"
    ));
    assert!(!allowed(
        &set,
        "imm:GetProject",
        "acs:imm:cn-hangzhou:1234567890123456:project/media-160"
    ));
    // The split is deterministic too.
    let mut reversed = requested.clone();
    reversed.reverse();
    let again = synthesize(&inputs(&reversed), None, "media", Vec::new()).unwrap();
    assert_eq!(g.stdout_text(), again.stdout_text());
}

fn exact_grants(pairs: &[Pair]) -> Vec<Grant> {
    pairs.iter().map(Grant::from_pair).collect()
}

const IMMTEST: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

/// A policy that is wrong in any of the ways the proof looks for is
/// refused: too wide (another project, another action, a wildcard), too
/// narrow (a requested pair missing), or with a lint warning.
#[test]
fn a_wrong_policy_fails_the_proof() {
    let pairs = vec![Pair {
        action: "imm:GetProject".into(),
        resource: IMMTEST.into(),
        conditions: ConditionSet::new(),
    }];
    let grants = exact_grants(&pairs);
    let doc = |statements: &str| Document {
        name: "p".into(),
        text: format!(r#"{{"Version": "1", "Statement": [{statements}]}}"#),
    };
    let good = doc(&format!(
        r#"{{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"]}}"#
    ));
    assert!(proof::prove(&[good], &pairs, &grants, 6144).is_ok());
    for bad in [
        // Too wide: every project.
        r#"{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["acs:imm:cn-hangzhou:1234567890123456:project/*"]}"#.to_string(),
        // Too wide: another action.
        format!(r#"{{"Effect": "Allow", "Action": ["imm:GetProject", "imm:DeleteProject"], "Resource": ["{IMMTEST}"]}}"#),
        // Too wide: any region.
        r#"{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["acs:imm:*:1234567890123456:project/immtest"]}"#.to_string(),
        // Too narrow.
        format!(r#"{{"Effect": "Allow", "Action": ["imm:UpdateProject"], "Resource": ["{IMMTEST}"]}}"#),
        // Denied outright.
        format!(r#"{{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"]}}, {{"Effect": "Deny", "Action": ["imm:GetProject"], "Resource": ["*"]}}"#),
        // A lint warning (a duplicate statement).
        format!(r#"{{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"]}}, {{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"]}}"#),
        // A condition nobody asked for.
        format!(r#"{{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"], "Condition": {{"Bool": {{"acs:SecureTransport": "true"}}}}}}"#),
    ] {
        let result = proof::prove(&[doc(&bad)], &pairs, &grants, 6144);
        assert!(result.is_err(), "accepted: {bad}");
    }
    // Over the size limit.
    let big = doc(&format!(
        r#"{{"Effect": "Allow", "Action": ["imm:GetProject"], "Resource": ["{IMMTEST}"]}}"#
    ));
    assert!(proof::prove(&[big], &pairs, &grants, 50).is_err());
}

/// A required condition is part of the proof: the pair is allowed with
/// the context and not without it.
#[test]
fn conditions_are_proven_to_matter() {
    let options = Options {
        requests: vec![format!("imm:GetProject {IMMTEST}")],
        require: vec![
            "acs:SourceIp=192.0.2.0/24".into(),
            "acs:SecureTransport=true".into(),
        ],
        expires: Some("2999-12-31T00:00:00Z".into()),
        ..Options::default()
    };
    let g = generate::generate(&options).unwrap();
    let text = &g.documents[0].text;
    assert!(text.contains("\"IpAddress\""), "{text}");
    assert!(text.contains("\"Bool\""), "{text}");
    assert!(text.contains("\"DateLessThan\""), "{text}");
    let set = policy_set(&g);
    let ask = |pairs: &[(&str, &str)]| {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.insert(k, v).unwrap();
        }
        let r = Request::new("imm:GetProject", IMMTEST, Principal::AdHoc, c).unwrap();
        evaluate(&set, &r).decision.is_allowed()
    };
    assert!(ask(&[
        ("acs:SourceIp", "192.0.2.7"),
        ("acs:SecureTransport", "true")
    ]));
    assert!(!ask(&[
        ("acs:SourceIp", "198.51.100.7"),
        ("acs:SecureTransport", "true")
    ]));
    assert!(!ask(&[
        ("acs:SourceIp", "192.0.2.7"),
        ("acs:SecureTransport", "false")
    ]));
    assert!(!ask(&[("acs:SourceIp", "192.0.2.7")]));
    assert!(!ask(&[
        ("acs:SourceIp", "192.0.2.7"),
        ("acs:SecureTransport", "true"),
        ("acs:CurrentTime", "2999-12-31T00:00:00Z")
    ]));
}

#[test]
fn intents_from_a_file_with_context() {
    let dir = std::env::temp_dir().join(format!("ramcheck-generate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("intents.jsonl");
    std::fs::write(
        &file,
        format!(
            "{{\"action\": \"imm:GetProject\", \"resource\": \"{IMMTEST}\"}}\n\n\
             {{\"action\": \"imm:UpdateProject\", \"resource\": \"{IMMTEST}\", \"context\": {{\"acs:SourceIp\": [\"192.0.2.0/24\", \"198.51.100.0/24\"]}}}}\n"
        ),
    )
    .unwrap();
    let g = generate::generate(&Options {
        from: vec![file.clone()],
        ..Options::default()
    })
    .unwrap();
    let text = &g.documents[0].text;
    assert_eq!(text.matches("\"Sid\"").count(), 2, "{text}");
    assert!(
        g.explanation.contains("intents.jsonl:3"),
        "{}",
        g.explanation
    );
    // A bad intent is bad input, with the line.
    std::fs::write(
        &file,
        "{\"action\": \"imm:GetProjekt\", \"resource\": \"*\"}\n",
    )
    .unwrap();
    let e = generate::generate(&Options {
        from: vec![file.clone()],
        ..Options::default()
    })
    .unwrap_err();
    // A caller can tell which failure it is without reading the message.
    assert!(matches!(
        &e,
        GenerateError::Intent {
            error: generate::intent::IntentError::UnknownAction { .. },
            ..
        }
    ));
    assert!(e.to_string().contains("intents.jsonl:1"), "{e}");
    assert!(
        e.to_string().contains("did you mean `imm:GetProject`"),
        "{e}"
    );
    assert_eq!(e.exit_code(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_inputs_are_exit_status_2() {
    let run = |o: Options| generate::generate(&o).unwrap_err();
    let request = |r: &str| Options {
        requests: vec![r.to_string()],
        ..Options::default()
    };
    for e in [
        run(Options::default()),
        run(request("imm:GetProjekt *")),
        run(request("imm:GetProject *")),
        run(request(&format!("imm:GetProject {IMMTEST}/dataset/d"))),
        run(request(&format!("imm:Get* {IMMTEST}"))),
        run(request("oss:GetObject acs:oss:*:*:bucket/object")),
        run(Options {
            require: vec!["acs:SourceIp=not-an-ip".into()],
            ..request(&format!("imm:GetProject {IMMTEST}"))
        }),
        run(Options {
            expires: Some("2001-01-01T00:00:00Z".into()),
            ..request(&format!("imm:GetProject {IMMTEST}"))
        }),
        run(Options {
            name: Some("bad name".into()),
            ..request(&format!("imm:GetProject {IMMTEST}"))
        }),
        run(Options {
            principal: Some("alice".into()),
            ..request(&format!("imm:GetProject {IMMTEST}"))
        }),
    ] {
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}

/// Found by the property above: two Get actions on `*` collapsed to
/// `imm:Get*` on `*` granted GetBatch on every account's batches. Actions
/// on `*` now stay exact under `--collapse actions`.
#[test]
fn collapse_never_widens_actions_on_star() {
    let requested = vec![
        (
            "imm:GetBatch".to_string(),
            "acs:imm:cn-hangzhou:1234567890123456:project/immtest/batch/*".to_string(),
        ),
        (
            "imm:GetDecodeBlindWatermarkResult".to_string(),
            "*".to_string(),
        ),
        ("imm:GetOSSBucketAttachment".to_string(), "*".to_string()),
    ];
    let g = synthesize(
        &inputs(&requested),
        Some(Collapse::Actions),
        "p",
        Vec::new(),
    )
    .unwrap();
    let set = policy_set(&g);
    for (a, r) in &requested {
        assert!(allowed(&set, a, r), "{a} {r}");
    }
    let other = "acs:imm:cn-hangzhou:9999999999999999:project/immtest/batch/*";
    assert!(!allowed(&set, "imm:GetBatch", other), "{}", g.stdout_text());
    assert!(!allowed(
        &set,
        "imm:GetProject",
        "acs:imm:cn-hangzhou:1234567890123456:project/immtest"
    ));
}
