//! Properties that must hold for every policy and request, not just the
//! hand-written cases.

use std::sync::Arc;

use proptest::prelude::*;
use ramcheck::authorizer::CompiledPolicySet;
use ramcheck::eval::{Decision, PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};
use ramcheck::wildcard::{Case, Wildcard};

const ACTIONS: &[&str] = &[
    "imm:GetProject",
    "imm:AttachOSSBucket",
    "imm:DeleteProject",
    "oss:GetObject",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "imm:*",
    "imm:Get*",
    "*:Get*",
    "imm:AttachOSSBucket",
    "IMM:deleteproject",
    "oss:*",
    "imm:?etProject",
];
const RESOURCES: &[&str] = &[
    "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
    "acs:imm:cn-shanghai:1234567890123456:project/prod",
    "acs:oss:cn-hangzhou:1234567890123456:bucket/x",
    "acs:ram::1234567890123456:role/x",
    "acs:imm:cn-hangzhou:1234567890123456:project/immtest:x",
    "acs:imm:cn:hangzhou:1234567890123456:project/immtest",
    "acs:imm:cn-hangzhou:1234567890123456:project/imm",
    "*",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "acs:imm:*",
    "acs:imm:cn-hangzhou:*",
    "acs:*:*:*:project/immtest",
    "acs:oss:*:*:bucket/?",
    "acs:imm:*:*:project/imm*",
    "acs:imm:cn-*:1234567890123456:project/*",
    "acs:ram::1234567890123456:role/x",
    "acs:imm:*:project/*",
    "acs:imm:*:*:project/immtest:*",
];
const CONDITIONS: &[&str] = &[
    "",
    r#", "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#,
    r#", "Condition": {"StringNotEquals": {"acs:SourceVpc": "vpc-1"}}"#,
    r#", "Condition": {"Bool": {"acs:SecureTransport": "true"}}"#,
    r#", "Condition": {"NumericLessThan": {"imm:Count": "10"}}"#,
];
const CONTEXTS: &[&[(&str, &str)]] = &[
    &[],
    &[
        ("acs:SourceIp", "192.0.2.9"),
        ("acs:SecureTransport", "true"),
    ],
    &[("acs:SourceVpc", "vpc-1"), ("imm:Count", "ten")],
    &[("acs:SourceIp", "203.0.113.1"), ("imm:Count", "3")],
];

#[derive(Debug, Clone)]
struct StatementSpec {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    condition: usize,
}

fn statement_spec() -> impl Strategy<Value = StatementSpec> {
    (
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTION_PATTERNS.len(), 1..3),
        prop::collection::vec(0..RESOURCE_PATTERNS.len(), 1..3),
        0..CONDITIONS.len(),
    )
        .prop_map(
            |(deny, not_action, actions, resources, condition)| StatementSpec {
                deny,
                not_action,
                actions,
                resources,
                condition,
            },
        )
}

fn render(s: &StatementSpec) -> String {
    let list = |idx: &[usize], from: &[&str]| {
        idx.iter()
            .map(|&i| format!("{:?}", from[i]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"{{"Effect": "{}", "{}": [{}], "Resource": [{}]{}}}"#,
        if s.deny { "Deny" } else { "Allow" },
        if s.not_action { "NotAction" } else { "Action" },
        list(&s.actions, ACTION_PATTERNS),
        list(&s.resources, RESOURCE_PATTERNS),
        CONDITIONS[s.condition]
    )
}

fn policy_set(statements: &[StatementSpec]) -> PolicySet {
    let body = statements.iter().map(render).collect::<Vec<_>>().join(", ");
    let text = format!(r#"{{"Version": "1", "Statement": [{body}]}}"#);
    let policy =
        Policy::parse(&text, "p", "p.json", PolicyKind::Identity).expect("generated policy parses");
    PolicySet {
        identity: vec![Arc::new(policy)],
        ..PolicySet::default()
    }
}

fn request(action: usize, resource: usize, context: usize) -> Request {
    let mut c = Context::new();
    for (k, v) in CONTEXTS[context] {
        c.insert(k, v).unwrap();
    }
    Request::new(
        ACTIONS[action],
        RESOURCES[resource],
        Principal::user("1234567890123456", "alice"),
        c,
    )
    .unwrap()
}

fn request_strategy() -> impl Strategy<Value = (usize, usize, usize)> {
    (0..ACTIONS.len(), 0..RESOURCES.len(), 0..CONTEXTS.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A Deny statement that matches the request decides, whatever else the
    /// policies say.
    #[test]
    fn explicit_deny_always_wins(
        statements in prop::collection::vec(statement_spec(), 0..6),
        (a, r, c) in request_strategy(),
    ) {
        let mut with_deny = statements.clone();
        // Exactly the request's action and resource, unconditionally.
        let deny = format!(
            r#"{{"Effect": "Deny", "Action": "{}", "Resource": "{}"}}"#,
            ACTIONS[a], RESOURCES[r]
        );
        let body = with_deny.iter_mut().map(|s| render(s)).chain([deny]).collect::<Vec<_>>().join(", ");
        let text = format!(r#"{{"Version": "1", "Statement": [{body}]}}"#);
        let policy = Policy::parse(&text, "p", "p.json", PolicyKind::Identity).unwrap();
        let set = PolicySet { identity: vec![Arc::new(policy)], ..PolicySet::default() };
        prop_assert_eq!(evaluate(&set, &request(a, r, c)).decision, Decision::ExplicitDeny);
    }

    /// More Allow statements can only grant more.
    #[test]
    fn adding_an_allow_never_turns_allow_into_deny(
        statements in prop::collection::vec(statement_spec(), 0..6),
        mut extra in statement_spec(),
        (a, r, c) in request_strategy(),
    ) {
        extra.deny = false;
        let before = evaluate(&policy_set(&statements), &request(a, r, c)).decision;
        let mut more = statements.clone();
        more.push(extra);
        let after = evaluate(&policy_set(&more), &request(a, r, c)).decision;
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
        // And an Allow never creates an explicit deny.
        prop_assert_eq!(before == Decision::ExplicitDeny, after == Decision::ExplicitDeny);
    }

    /// The decision does not depend on statement order.
    #[test]
    fn statement_order_does_not_matter(
        statements in prop::collection::vec(statement_spec(), 0..6),
        (a, r, c) in request_strategy(),
    ) {
        let mut reversed = statements.clone();
        reversed.reverse();
        prop_assert_eq!(
            evaluate(&policy_set(&statements), &request(a, r, c)).decision,
            evaluate(&policy_set(&reversed), &request(a, r, c)).decision
        );
    }
}

fn policy_of(kind: PolicyKind, statements: &[StatementSpec]) -> Arc<Policy> {
    let body = statements.iter().map(render).collect::<Vec<_>>().join(", ");
    let text = format!(r#"{{"Version": "1", "Statement": [{body}]}}"#);
    Arc::new(Policy::parse(&text, "p", "p.json", kind).expect("generated policy parses"))
}

fn statements() -> impl Strategy<Value = Vec<StatementSpec>> {
    prop::collection::vec(statement_spec(), 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The compiled authorizer decides exactly as the core evaluator, with
    /// every step in play (control, session, identity across several
    /// policies, resource).
    #[test]
    fn compiled_authorizer_equals_core_evaluator(
        control in prop::option::of(statements()),
        session in prop::option::of(statements()),
        identity in prop::collection::vec(statements(), 0..3),
        resource in prop::option::of(statements()),
        (a, r, c) in request_strategy(),
    ) {
        let set = PolicySet {
            control: control.iter().map(|s| policy_of(PolicyKind::Control, s)).collect(),
            session: session.as_deref().map(|s| policy_of(PolicyKind::Session, s)),
            identity: identity.iter().map(|s| policy_of(PolicyKind::Identity, s)).collect(),
            // Resource-kind policies need Principal; render adds none, so
            // read these as identity-shaped statements on the resource side.
            resource: resource.as_deref().map(|s| policy_of(PolicyKind::Identity, s)),
        };
        let request = request(a, r, c);
        let core = evaluate(&set, &request);
        prop_assert_eq!(CompiledPolicySet::new(&set).decide(&request), (core.decision, core.step));
    }
}

/// The obvious exponential-time reference: `*` any run, `?` one char.
fn reference(pattern: &[char], input: &[char], fold: bool) -> bool {
    match pattern.split_first() {
        None => input.is_empty(),
        Some(('*', rest)) => (0..=input.len()).any(|i| reference(rest, &input[i..], fold)),
        Some(('?', rest)) => !input.is_empty() && reference(rest, &input[1..], fold),
        Some((c, rest)) => match input.split_first() {
            Some((d, tail)) => {
                let same = if fold {
                    c.eq_ignore_ascii_case(d)
                } else {
                    c == d
                };
                same && reference(rest, tail, fold)
            }
            None => false,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The compiled matcher agrees with the reference on short strings over
    /// a small alphabet (where collisions are likely), including `é`.
    #[test]
    fn matcher_agrees_with_reference(
        pattern in "[abAB*?:/é\\[]{0,8}",
        input in "[abAB:/é\\[]{0,10}",
        fold in any::<bool>(),
    ) {
        let case = if fold { Case::Insensitive } else { Case::Sensitive };
        let p: Vec<char> = pattern.chars().collect();
        let s: Vec<char> = input.chars().collect();
        prop_assert_eq!(
            Wildcard::new(&pattern, case).matches(&input),
            reference(&p, &s, fold),
            "pattern {:?} input {:?} fold {}", pattern, input, fold
        );
    }

    /// No input makes the JSON reader or the policy parser panic.
    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = ramcheck::json::parse(&text);
        for kind in [PolicyKind::Identity, PolicyKind::Trust, PolicyKind::Resource] {
            let _ = Policy::parse(&text, "p", "p.json", kind);
        }
    }

    /// Nor does JSON-shaped noise, which reaches deeper into the parser.
    #[test]
    fn parser_never_panics_on_json_like_text(
        text in r#"[{}\[\]",:0-9a-zA-Z \-.\\eE*?/]{0,120}"#,
    ) {
        let _ = ramcheck::json::parse(&text);
        let wrapped = format!(r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": {text}, "Resource": "*"}}]}}"#);
        let _ = Policy::parse(&wrapped, "p", "p.json", PolicyKind::Identity);
        let cond = format!(r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {text}}}]}}"#);
        let _ = Policy::parse(&cond, "p", "p.json", PolicyKind::Identity);
    }

    /// Byte-level mutations of a valid policy never panic, and whatever
    /// parses also evaluates.
    #[test]
    fn mutated_policies_never_panic(pos in 0usize..400, byte in any::<u8>(), (a, r, c) in request_strategy()) {
        let mut bytes = include_bytes!("../policies/ImmMediaOperator.json").to_vec();
        let pos = pos % bytes.len();
        bytes[pos] = byte;
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Ok(p) = Policy::parse(text, "p", "p.json", PolicyKind::Identity) {
                let set = PolicySet { identity: vec![Arc::new(p)], ..PolicySet::default() };
                let _ = evaluate(&set, &request(a, r, c));
            }
    }
}
