//! Exact analysis (`diff`, `check`, `who-can`, `can-i --list`): the cases
//! that need completeness, a brute-force comparison over a small universe,
//! and the command line's exit codes and JSON.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use ramcheck::analysis::{
    self, CheckQuestion, DiffOptions, NotGranted, Verdict, Witness, diff_policies,
};
use ramcheck::eval::{PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind, PolicyRef};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request};

use common::{ramcheck, scratch, status, stderr, stdout};

fn policy(name: &str, statements: &str) -> PolicyRef {
    let text = format!(r#"{{"Version": "1", "Statement": [{statements}]}}"#);
    Arc::new(Policy::parse(&text, name, &format!("{name}.json"), PolicyKind::Identity).unwrap())
}

fn diff(old: &str, new: &str) -> analysis::DiffReport {
    diff_policies(
        &policy("old", old),
        &policy("new", new),
        &DiffOptions {
            both: true,
            ..DiffOptions::default()
        },
    )
    .unwrap()
}

fn request_of(w: &Witness) -> Request {
    let mut c = Context::new();
    for (k, vs) in &w.context {
        for v in vs {
            c.insert(k, v).unwrap();
        }
    }
    Request::new(&w.action, &w.resource, Principal::AdHoc, c).unwrap()
}

fn allowed(p: &PolicyRef, r: &Request) -> bool {
    let set = PolicySet {
        identity: vec![p.clone()],
        ..PolicySet::default()
    };
    evaluate(&set, r).decision.is_allowed()
}

/// Asserts NEW gains access over OLD, and that every witness is one.
fn gains(old: &str, new: &str) -> Vec<Witness> {
    let r = diff(old, new);
    assert_eq!(r.result, Verdict::Fail, "{r:#?}");
    let (o, n) = (policy("old", old), policy("new", new));
    for w in &r.new_access {
        let req = request_of(w);
        assert!(allowed(&n, &req) && !allowed(&o, &req), "{w:#?}");
    }
    r.new_access
}

fn passes(old: &str, new: &str) {
    let r = diff(old, new);
    assert_eq!(r.result, Verdict::Pass, "{r:#?}");
}

const ALL: &str = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*"}"#;

#[test]
fn new_access_hidden_behind_the_union_of_two_statements() {
    // NEW's one wildcard is covered by OLD's two statements together only
    // for projects starting with a or b.
    let old = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*:*:project/a*"},
                 {"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*:*:project/b*"}"#;
    let new = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*:*:project/*"}"#;
    let w = gains(old, new);
    assert!(w[0].resource.contains("project/"), "{w:#?}");
    // Two conditions that together cover every request: the union is
    // needed to prove there is nothing new.
    let old = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                  "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}},
                 {"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                  "Condition": {"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}}}"#;
    passes(old, ALL);
}

#[test]
fn if_exists_versus_plain() {
    let old = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                  "Condition": {"StringEquals": {"acs:SourceVpc": "vpc-1"}}}"#;
    let new = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                  "Condition": {"StringEqualsIfExists": {"acs:SourceVpc": "vpc-1"}}}"#;
    let w = gains(old, new);
    // The difference is a request without the key.
    assert!(w[0].context.is_empty(), "{w:#?}");
    passes(new, old);
}

#[test]
fn not_action_versus_star() {
    let old = r#"{"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"}"#;
    let new = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
    let w = gains(old, new);
    assert!(
        w[0].action.to_ascii_lowercase().starts_with("ram:"),
        "{w:#?}"
    );
    passes(new, old);
}

#[test]
fn question_mark_versus_star() {
    let old =
        r#"{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:bucket/?"}"#;
    let new =
        r#"{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:bucket/*"}"#;
    gains(old, new);
    passes(new, old);
    // `?` is one character: `imm:Get?` does not cover `imm:GetProject`.
    gains(
        r#"{"Effect": "Allow", "Action": "imm:Get?", "Resource": "*"}"#,
        r#"{"Effect": "Allow", "Action": "imm:Get*", "Resource": "*"}"#,
    );
}

#[test]
fn cidr_widening_and_narrowing() {
    let at = |cidr: &str| {
        format!(
            r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                "Condition": {{"IpAddress": {{"acs:SourceIp": "{cidr}"}}}}}}"#
        )
    };
    let w = gains(&at("192.0.2.0/24"), &at("192.0.0.0/16"));
    let ip = &w[0].context["acs:SourceIp"][0];
    assert!(
        ip.starts_with("192.0.") && !ip.starts_with("192.0.2."),
        "{ip}"
    );
    passes(&at("192.0.0.0/16"), &at("192.0.2.0/24"));
    // An IPv4-mapped block is the IPv4 block.
    passes(&at("192.0.2.0/24"), &at("::ffff:192.0.2.0/120"));
    passes(&at("::ffff:192.0.2.0/120"), &at("192.0.2.0/24"));
}

#[test]
fn a_deny_narrowed() {
    let old = format!(r#"{ALL}, {{"Effect": "Deny", "Action": "imm:Delete*", "Resource": "*"}}"#);
    let new =
        format!(r#"{ALL}, {{"Effect": "Deny", "Action": "imm:DeleteProject", "Resource": "*"}}"#);
    let w = gains(&old, &new);
    assert!(w[0].action.starts_with("imm:Delete"), "{w:#?}");
    passes(&new, &old);
}

#[test]
fn a_date_bound_moved() {
    let until = |d: &str| {
        format!(
            r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                "Condition": {{"DateLessThan": {{"acs:CurrentTime": "{d}"}}}}}}"#
        )
    };
    let w = gains(
        &until("2026-01-01T00:00:00Z"),
        &until("2027-01-01T00:00:00+08:00"),
    );
    let t = &w[0].context["acs:CurrentTime"][0];
    assert!(t.starts_with("2026"), "{t}");
    passes(
        &until("2027-01-01T00:00:00Z"),
        &until("2026-12-31T23:59:59Z"),
    );
}

#[test]
fn multi_valued_keys_and_qualifiers() {
    let tags = |op: &str| {
        format!(
            r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                "Condition": {{"{op}": {{"acs:TagKeys": ["a", "b"]}}}}}}"#
        )
    };
    gains(
        &tags("ForAllValues:StringEquals"),
        &tags("ForAnyValue:StringEquals"),
    );
    gains(
        &tags("ForAnyValue:StringEquals"),
        &tags("ForAllValues:StringEquals"),
    );
    passes(&tags("StringEquals"), &tags("ForAnyValue:StringEquals"));
}

#[test]
fn unreadable_values_and_null() {
    // A Deny on a number the request cannot give: a value that is not a
    // number makes the Deny hold, so removing the Deny's reach below 10
    // gains only numbers.
    let old = format!(
        r#"{ALL}, {{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {{"NumericLessThan": {{"imm:n": "10"}}}}}}"#
    );
    let new = format!(
        r#"{ALL}, {{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {{"NumericLessThan": {{"imm:n": "5"}}}}}}"#
    );
    let w = gains(&old, &new);
    assert_eq!(w[0].context["imm:n"].len(), 1);
    passes(&new, &old);
    let null = |v: &str| {
        format!(
            r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                "Condition": {{"Null": {{"acs:SourceVpc": "{v}"}}}}}}"#
        )
    };
    gains(&null("true"), ALL);
    passes(&null("true"), &null("true"));
}

#[test]
fn check_not_granted() {
    let p = policy(
        "p",
        r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*"},
           {"Effect": "Deny", "Action": "imm:Delete*", "Resource": "*"}"#,
    );
    let q = |s: &str| CheckQuestion::NotGranted(vec![NotGranted::parse(s).unwrap()]);
    assert_eq!(
        analysis::check(&p, &q("imm:Delete*"), 5).unwrap().result,
        Verdict::Pass
    );
    let r = analysis::check(&p, &q("imm:Update*"), 5).unwrap();
    assert_eq!(r.result, Verdict::Fail);
    assert!(r.violations[0].action.starts_with("imm:Update"));
    assert_eq!(
        analysis::check(&p, &q("ram:*"), 5).unwrap().result,
        Verdict::Pass
    );
}

#[test]
fn no_public_access() {
    let bucket = |principal: &str, cond: &str| {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "oss:GetObject",
                "Principal": {principal}, "Resource": "acs:oss:*:*:bucket/*"{cond}}}]}}"#
        );
        Arc::new(Policy::parse(&text, "b", "b.json", PolicyKind::Resource).unwrap())
    };
    let check = |p: &PolicyRef| {
        analysis::check(p, &CheckQuestion::NoPublicAccess, 5)
            .unwrap()
            .result
    };
    assert_eq!(check(&bucket(r#"["*"]"#, "")), Verdict::Fail);
    assert_eq!(check(&bucket("[]", "")), Verdict::Fail);
    assert_eq!(check(&bucket(r#"["1234567890123456"]"#, "")), Verdict::Pass);
    let narrowed = r#", "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#;
    assert_eq!(check(&bucket(r#"["*"]"#, narrowed)), Verdict::Pass);
    let not_narrowed = r#", "Condition": {"NotIpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#;
    assert_eq!(check(&bucket(r#"["*"]"#, not_narrowed)), Verdict::Fail);
}

#[test]
fn trust_policy_diff_names_the_new_caller() {
    let trust = |who: &str| {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {{"RAM": [{who}]}}}}]}}"#
        );
        Arc::new(Policy::parse(&text, "t", "t.json", PolicyKind::Trust).unwrap())
    };
    let old = trust(r#""acs:ram::1234567890123456:user/bob""#);
    let new = trust(r#""acs:ram::1234567890123456:user/bob", "acs:ram::1111111111111111:root""#);
    let r = diff_policies(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(r.result, Verdict::Fail, "{r:#?}");
    assert!(
        r.new_access[0]
            .principal
            .as_deref()
            .unwrap()
            .contains("1111111111111111")
    );
    let r = diff_policies(&new, &old, &DiffOptions::default()).unwrap();
    assert_eq!(r.result, Verdict::Pass, "{r:#?}");
}

#[test]
fn hostile_patterns_are_undecided_not_slow() {
    // Independent infix patterns: 2^40 combinations of which match.
    let statements: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "acs:x:*:*:*q{i:02}z*"}}"#
            )
        })
        .collect();
    let r = diff(ALL, &statements.join(","));
    assert_eq!(r.result, Verdict::Unknown, "{r:#?}");
    assert!(!r.undecided.is_empty());
}

// ---------------------------------------------------------------------
// Brute force over a small universe.

const ACTIONS: &[&str] = &["a:x", "a:y", "b:x"];
const ACTION_PATTERNS: &[&str] = &["*", "a:*", "a:x", "*:x", "b:?", "a:??"];
const RESOURCES: &[&str] = &["acs:s:r:1:p/a", "acs:s:r:1:p/bb", "*"];
const RESOURCE_PATTERNS: &[&str] = &["*", "acs:s:r:1:p/*", "acs:s:r:1:p/a", "acs:s:r:1:p/?"];
const CONDITIONS: &[&str] = &[
    r#""StringEquals": {"k:s": "v1"}"#,
    r#""StringNotEquals": {"k:s": ["v1", "v2"]}"#,
    r#""StringLike": {"k:s": "v*"}"#,
    r#""StringEqualsIfExists": {"k:s": "v2"}"#,
    r#""ForAnyValue:StringEquals": {"k:s": "w"}"#,
    r#""ForAllValues:StringLike": {"k:s": "v?"}"#,
    r#""NumericLessThan": {"k:n": "5"}"#,
    r#""NumericGreaterThanEquals": {"k:n": "1"}"#,
    r#""NumericNotEquals": {"k:n": "5"}"#,
    r#""IpAddress": {"acs:SourceIp": "10.0.0.0/8"}"#,
    r#""NotIpAddress": {"acs:SourceIp": "10.1.0.0/16"}"#,
    r#""Null": {"k:s": "true"}"#,
    r#""Null": {"k:n": "false"}"#,
];

fn statement() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::sample::subsequence(ACTION_PATTERNS, 1..3),
        proptest::sample::subsequence(RESOURCE_PATTERNS, 1..3),
        proptest::sample::subsequence(CONDITIONS, 0..3),
    )
        .prop_map(|(allow, not_action, actions, resources, conditions)| {
            let q = |v: &[&str]| serde_json::to_string(v).unwrap();
            // One operator once per statement: duplicate operator names
            // are a JSON error.
            let mut ops: Vec<&str> = Vec::new();
            let mut cond: Vec<&str> = Vec::new();
            for c in conditions {
                let op = c.split(':').next().unwrap_or("");
                if !ops.contains(&op) {
                    ops.push(op);
                    cond.push(c);
                }
            }
            format!(
                r#"{{"Effect": "{}", "{}": {}, "Resource": {}{}}}"#,
                if allow { "Allow" } else { "Deny" },
                if not_action && !allow {
                    "NotAction"
                } else {
                    "Action"
                },
                q(&actions),
                q(&resources),
                if cond.is_empty() {
                    String::new()
                } else {
                    format!(r#", "Condition": {{{}}}"#, cond.join(", "))
                }
            )
        })
}

fn document() -> impl Strategy<Value = String> {
    proptest::collection::vec(statement(), 1..4).prop_map(|v| v.join(", "))
}

/// Every request of the universe.
fn universe() -> Vec<Request> {
    let strings: &[&[&str]] = &[&[], &["v1"], &["v2"], &["w"], &["v1", "w"], &["vv"]];
    let numbers: &[&[&str]] = &[&[], &["0"], &["5"], &["7"], &["x"]];
    let ips: &[&[&str]] = &[&[], &["10.0.0.1"], &["10.1.0.1"], &["192.0.2.1"]];
    let mut out = Vec::new();
    for a in ACTIONS {
        for r in RESOURCES {
            for s in strings {
                for n in numbers {
                    for ip in ips {
                        let mut c = Context::new();
                        for v in *s {
                            c.insert("k:s", v).unwrap();
                        }
                        for v in *n {
                            c.insert("k:n", v).unwrap();
                        }
                        for v in *ip {
                            c.insert("acs:SourceIp", v).unwrap();
                        }
                        out.push(Request::new(a, r, Principal::AdHoc, c).unwrap());
                    }
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn diff_agrees_with_brute_force(old in document(), new in document()) {
        let (o, n) = (policy("old", &old), policy("new", &new));
        let r = diff_policies(&o, &n, &DiffOptions::default()).unwrap();
        let sampled = universe().into_iter().find(|q| allowed(&n, q) && !allowed(&o, q));
        match r.result {
            Verdict::Pass => prop_assert!(sampled.is_none(), "pass, but {:?} is new", sampled),
            Verdict::Fail => {
                for w in &r.new_access {
                    let q = request_of(w);
                    prop_assert!(allowed(&n, &q) && !allowed(&o, &q), "{:?}", w);
                }
            }
            Verdict::Unknown => prop_assert!(false, "undecided: {:?}", r.undecided),
        }
        if sampled.is_some() {
            prop_assert_eq!(r.result, Verdict::Fail);
        }
    }
}

// ---------------------------------------------------------------------
// The command line.

fn write(dir: &Path, name: &str, statements: &str) -> String {
    let path = dir.join(name);
    fs::write(
        &path,
        format!(r#"{{"Version": "1", "Statement": [{statements}]}}"#),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn diff_cli_exit_codes_and_json() {
    let dir = scratch("diff-cli");
    let old = write(
        &dir,
        "old.json",
        r#"{"Effect": "Allow", "Action": "imm:Get*", "Resource": "*"}"#,
    );
    let new = write(
        &dir,
        "new.json",
        r#"{"Sid": "Wider", "Effect": "Allow", "Action": "imm:*", "Resource": "*"}"#,
    );
    let out = ramcheck(&["diff", &old, &new, "--format", "json", "--both"]);
    assert_eq!(status(&out), 1, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"], "fail");
    let w = &json["new_access"][0];
    assert!(w["action"].as_str().unwrap().starts_with("imm:"));
    assert!(w["context"].is_object());
    assert_eq!(w["statements"][0]["sid"], "Wider");
    assert_eq!(w["statements"][0]["index"], 0);
    assert!(w["statements"][0]["line"].as_u64().is_some());
    assert!(w["description"].as_str().is_some());
    assert_eq!(json["removed_access"], serde_json::json!([]));
    let out = ramcheck(&["diff", &new, &old]);
    assert_eq!(status(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).starts_with("PASS"));
    let out = ramcheck(&["diff", &old, "missing.json"]);
    assert_eq!(status(&out), 2);
    // SARIF and GitHub point at NEW's statement.
    let out = ramcheck(&["diff", &old, &new, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "RA001");
    assert!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("new.json")
    );
    let out = ramcheck(&["diff", &old, &new, "--format", "github"]);
    assert!(
        stdout(&out).starts_with("::warning file="),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_cli() {
    let dir = scratch("check-cli");
    let p = write(
        &dir,
        "p.json",
        r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*"}"#,
    );
    let out = ramcheck(&["check", &p, "--not-granted", "ram:*", "--format", "json"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"], "pass");
    let out = ramcheck(&[
        "check",
        &p,
        "--not-granted",
        "imm:DeleteProject acs:imm:*:*:project/prod",
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["violations"][0]["action"], "imm:DeleteProject");
    assert!(
        json["violations"][0]["resource"]
            .as_str()
            .unwrap()
            .ends_with("project/prod")
    );
    let out = ramcheck(&["check", &p, "--not-granted", "imm"]);
    assert_eq!(status(&out), 2);
    let out = ramcheck(&["check", &p, "--no-public-access"]);
    assert_eq!(
        status(&out),
        2,
        "identity policies have no public access question"
    );
}

#[test]
fn diff_of_two_stores_is_per_principal() {
    let old = scratch("store-old");
    let new = scratch("store-new");
    common::copy_store(&old);
    common::copy_store(&new);
    // Carol joins media-ops in the new store.
    let principals = fs::read_to_string(new.join("principals.json")).unwrap();
    fs::write(
        new.join("principals.json"),
        principals.replace(
            r#"{"UserName": "carol"}"#,
            r#"{"UserName": "carol", "Groups": ["media-ops"]}"#,
        ),
    )
    .unwrap();
    let out = ramcheck(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for w in json["new_access"].as_array().unwrap() {
        assert!(
            w["principal"].as_str().unwrap().ends_with("user/carol"),
            "{w:#}"
        );
    }
    let out = ramcheck(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(status(&out), 0, "{}", stdout(&out));
}

/// The `who-can` and `can-i --list` rows of `policies/EXPECTED.md`.
#[test]
fn bundled_store_who_can_and_list_rows() {
    let table =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/EXPECTED.md"))
            .unwrap();
    let unquote = |s: &str| s.trim().trim_matches('`').to_string();
    let (mut who, mut list) = (0, 0);
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 {
            continue;
        }
        if cells[1].starts_with('W') && cells[1][1..].parse::<u32>().is_ok() {
            // | W1 | action | resource | context | expected principals: decision, ... |
            let mut args = vec![
                "who-can".to_string(),
                unquote(cells[2]),
                unquote(cells[3]),
                "--format".into(),
                "json".into(),
            ];
            for c in cells[4].split(',').map(unquote).filter(|c| !c.is_empty()) {
                args.push("--context".into());
                args.push(c);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = ramcheck(&args);
            let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{}: {e}: {}", cells[1], stderr(&out)));
            let got: BTreeMap<String, String> = json["principals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["principal"].as_str().unwrap().to_string(),
                        p["decision"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let want: BTreeMap<String, String> = cells[5]
                .split(',')
                .map(unquote)
                .filter(|c| !c.is_empty() && c != "nobody")
                .map(|c| {
                    let (p, d) = c.split_once(' ').unwrap();
                    (unquote(p), unquote(d))
                })
                .collect();
            assert_eq!(got, want, "row {}", cells[1]);
            assert_eq!(
                status(&out),
                if want.is_empty() { 1 } else { 0 },
                "row {}",
                cells[1]
            );
            who += 1;
        }
        if cells[1].starts_with('L') && cells[1][1..].parse::<u32>().is_ok() {
            // | L1 | principal | service | action | expected |
            let mut args = vec![
                "can-i".to_string(),
                "--list".into(),
                "--as".into(),
                unquote(cells[2]),
                "--format".into(),
                "json".into(),
            ];
            let service = unquote(cells[3]);
            if !service.is_empty() {
                args.push("--service".into());
                args.push(service);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = ramcheck(&args);
            let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{}: {e}: {}", cells[1], stderr(&out)));
            let action = unquote(cells[4]);
            let listed = json["grants"].as_array().unwrap().iter().any(|g| {
                g["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_str() == Some(action.as_str()))
            });
            let expected = unquote(cells[5]);
            assert_eq!(listed, expected == "listed", "row {}: {json:#}", cells[1]);
            list += 1;
        }
    }
    assert!(
        who >= 4 && list >= 4,
        "read {who} who-can and {list} list rows"
    );
}

#[test]
fn lint_rc604_finds_coverage_by_a_union() {
    let dir = scratch("rc604-union");
    let p = write(
        &dir,
        "p.json",
        r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
            "Condition": {"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}},
           {"Effect": "Allow", "Action": "imm:*", "Resource": "*",
            "Condition": {"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}}},
           {"Sid": "Covered", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}"#,
    );
    let out = ramcheck(&["lint", &p, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains("RC604") && text.contains("union"), "{json:#}");
}

// ---------------------------------------------------------------------
// Principals: the analysis takes requests as the evaluator does
// (docs/semantics.md, "Request context RAM fills" and "Evaluation"):
// `acs:PrincipalARN` is the caller's, and service-linked roles skip the
// control policies.

const ALLOW_ALL: &str = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;
/// Resource Directory's documented control policy: deny everything but
/// to the account access role (docs/semantics.md).
const RD_CONTROL: &str = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition":
      {"StringNotLike": {"acs:PrincipalARN": "acs:ram:*:*:role/resourcedirectoryaccountaccessrole"}}}"#;
const DENY_ALL_CONTROL: &str = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*"}"#;
const FROM_OFFICE: &str = r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
    "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}}"#;
const PROJECT: &str = "acs:imm:cn-hangzhou:1234567890123456:project/p";

/// A store of user alice and roles ResourceDirectoryAccountAccessRole and
/// AliyunServiceRoleForIMM, each with `grant`, under `control`.
fn principal_store(name: &str, grant: &str, control: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(&dir, "Grant.json", grant);
    write(&dir, "Control.json", control);
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456",
            "Users": [{"UserName": "alice", "Policies": ["Grant"]}],
            "Roles": [
              {"RoleName": "ResourceDirectoryAccountAccessRole", "Policies": ["Grant"]},
              {"RoleName": "AliyunServiceRoleForIMM", "Policies": ["Grant"], "IsServiceLinkedRole": true}
            ],
            "ControlPolicies": ["Control"]}"#,
    )
    .unwrap();
    dir
}

fn who_can_json(store: &Path, action: &str, resource: &str) -> (i32, BTreeMap<String, String>) {
    let out = ramcheck(&[
        "who-can",
        action,
        resource,
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    let got = json["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["principal"].as_str().unwrap().to_string(),
                p["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (status(&out), got)
}

#[test]
fn who_can_takes_principal_arn_from_the_caller() {
    // Conditional grant: the engine, not the first concrete evaluation,
    // decides. alice cannot claim the access role's ARN.
    let store = principal_store("who-can-principal-arn", FROM_OFFICE, RD_CONTROL);
    let (code, got) = who_can_json(&store, "imm:DeleteProject", PROJECT);
    assert_eq!(code, 0);
    assert_eq!(
        got.get("role/ResourceDirectoryAccountAccessRole")
            .map(String::as_str),
        Some("ConditionalAllow"),
        "{got:?}"
    );
    assert_eq!(
        got.get("role/AliyunServiceRoleForIMM").map(String::as_str),
        Some("ConditionalAllow"),
        "{got:?}"
    );
    assert!(!got.contains_key("user/alice"), "{got:?}");
    // A context naming one caller's ARN is a request only that caller
    // makes: the others are not listed, and it is no error.
    let out = ramcheck(&[
        "who-can",
        "imm:DeleteProject",
        PROJECT,
        "--store",
        store.to_str().unwrap(),
        "--context",
        "acs:PrincipalARN=acs:ram::1234567890123456:role/resourcedirectoryaccountaccessrole",
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = json["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["principal"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["role/ResourceDirectoryAccountAccessRole"]);
}

#[test]
fn who_can_service_linked_role_skips_control_policies() {
    let store = principal_store("who-can-linked", FROM_OFFICE, DENY_ALL_CONTROL);
    let (code, got) = who_can_json(&store, "imm:DeleteProject", PROJECT);
    assert_eq!(code, 0, "{got:?}");
    let want: BTreeMap<String, String> = [(
        "role/AliyunServiceRoleForIMM".to_string(),
        "ConditionalAllow".to_string(),
    )]
    .into();
    assert_eq!(got, want);
}

fn list_json(store: &Path, principal: &str) -> (i32, serde_json::Value) {
    let out = ramcheck(&[
        "can-i",
        "--list",
        "--as",
        principal,
        "--service",
        "imm",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (status(&out), json)
}

#[test]
fn can_i_list_agrees_with_the_evaluator_on_principals() {
    let store = principal_store("list-principals", FROM_OFFICE, RD_CONTROL);
    // alice: the control policy denies her everything.
    let (code, json) = list_json(&store, "user/alice");
    assert_eq!(code, 1, "{json:#}");
    assert!(json["grants"].as_array().unwrap().is_empty(), "{json:#}");
    let (code, json) = list_json(&store, "role/ResourceDirectoryAccountAccessRole");
    assert_eq!(code, 0, "{json:#}");
    // A service-linked role under a deny-all control policy.
    let store = principal_store("list-linked", ALLOW_ALL, DENY_ALL_CONTROL);
    let (code, json) = list_json(&store, "role/AliyunServiceRoleForIMM");
    assert_eq!(code, 0, "{json:#}");
    assert!(!json["grants"].as_array().unwrap().is_empty(), "{json:#}");
    let (code, _) = list_json(&store, "user/alice");
    assert_eq!(code, 1);
}

#[test]
fn diff_of_stores_sees_principals_as_the_evaluator_does() {
    // A grant added under a deny-all control policy reaches only the
    // service-linked role.
    let old = principal_store("diff-linked-old", "", DENY_ALL_CONTROL);
    let new = principal_store("diff-linked-new", ALLOW_ALL, DENY_ALL_CONTROL);
    let out = ramcheck(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let who: Vec<&str> = json["new_access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["principal"].as_str().unwrap())
        .collect();
    assert!(
        !who.is_empty() && who.iter().all(|p| p.ends_with("AliyunServiceRoleForIMM")),
        "{who:?}"
    );
    // Under the RD control policy, only the access role (and the linked
    // one) gain; no witness claims another caller's ARN.
    let old = principal_store("diff-arn-old", "", RD_CONTROL);
    let new = principal_store("diff-arn-new", ALLOW_ALL, RD_CONTROL);
    let out = ramcheck(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
        "--max",
        "50",
    ]);
    assert_eq!(status(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for w in json["new_access"].as_array().unwrap() {
        let p = w["principal"].as_str().unwrap();
        assert!(!p.ends_with("user/alice"), "{w:#}");
        assert!(w["context"].get("acs:PrincipalARN").is_none(), "{w:#}");
    }
}

#[test]
fn resource_policy_conditioned_on_principal_arn_is_found() {
    // Principal names an account; the condition narrows it to one user.
    // The callers enumerated must include that user, or the grant is
    // never found (a diff that passes while access is gained).
    let resource = |cond: &str| {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "oss:GetObject",
                "Resource": "acs:oss:*:*:bucket/*", "Principal": {{"RAM": ["1111111111111111"]}}{cond}}}]}}"#
        );
        let p: PolicyRef =
            Arc::new(Policy::parse(&text, "bucket", "bucket.json", PolicyKind::Resource).unwrap());
        p
    };
    let old = resource(
        r#", "Condition": {"StringEquals": {"acs:PrincipalARN": "acs:ram::1111111111111111:user/nobody"}}"#,
    );
    let new = resource(
        r#", "Condition": {"StringEquals": {"acs:PrincipalARN": "acs:ram::1111111111111111:user/reader"}}"#,
    );
    let r = diff_policies(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(r.result, Verdict::Fail, "{r:#?}");
    for w in &r.new_access {
        assert_eq!(
            w.principal.as_deref(),
            Some("acs:ram::1111111111111111:user/reader"),
            "{w:#?}"
        );
        assert!(!w.context.contains_key("acs:PrincipalARN"), "{w:#?}");
    }
}

// ---------------------------------------------------------------------
// Hostile documents: every question is bounded by counted budgets
// (docs/analysis.md, "Limits") and answers undecided (exit 4) past them;
// no recursion a document controls. These assert the answer, not the
// time.

fn hostile_policy(name: &str, statements: &[String]) -> PolicyRef {
    policy(name, &statements.join(","))
}

#[test]
fn thousands_of_deny_statements_do_not_overflow_the_stack() {
    // Each Deny is one more level of choices ("which constraint fails");
    // the search recursed once per level and overflowed a test thread's
    // stack.
    let mut statements = vec![ALL.to_string()];
    statements.extend((0..1500).map(|i| {
        format!(
            r#"{{"Effect": "Deny", "Action": "imm:*", "Resource": "*",
                "Condition": {{"StringEquals": {{"k:s{i}": "v"}}}}}}"#
        )
    }));
    let new = hostile_policy("new", &statements);
    let r = diff_policies(&policy("old", ""), &new, &DiffOptions::default()).unwrap();
    // Every key absent is such a request; a budget may also stop first.
    assert_ne!(r.result, Verdict::Pass, "{r:#?}");
    for w in &r.new_access {
        assert!(allowed(&new, &request_of(w)), "{w:#?}");
    }
}

#[test]
fn many_condition_values_are_undecided() {
    let numbers: Vec<String> = (0..60_000).map(|i| format!("\"{i}\"")).collect();
    let ips: Vec<String> = (0..40_000)
        .map(|i| format!("\"10.{}.{}.0/24\"", i / 256, i % 256))
        .collect();
    for (operator, key, values) in [
        ("NumericEquals", "k:n", &numbers),
        ("IpAddress", "acs:SourceIp", &ips),
    ] {
        let new = hostile_policy(
            "new",
            &[format!(
                r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                    "Condition": {{"{operator}": {{"{key}": [{}]}}}}}}"#,
                values.join(",")
            )],
        );
        let r = diff_policies(&policy("old", ""), &new, &DiffOptions::default()).unwrap();
        assert_eq!(r.result, Verdict::Unknown, "{operator}: {r:#?}");
        assert!(
            r.undecided.iter().any(|u| u.contains("value comparisons")),
            "{:?}",
            r.undecided
        );
    }
}

#[test]
fn a_huge_not_action_list_is_decided() {
    let not: Vec<String> = (0..30_000).map(|i| format!("\"imm:Act{i}\"")).collect();
    let new = hostile_policy(
        "new",
        &[format!(
            r#"{{"Effect": "Allow", "NotAction": [{}], "Resource": "*"}}"#,
            not.join(",")
        )],
    );
    let r = diff_policies(&policy("old", ""), &new, &DiffOptions::default()).unwrap();
    assert_eq!(r.result, Verdict::Fail, "{r:#?}");
    for w in &r.new_access {
        assert!(
            !w.action.to_ascii_lowercase().starts_with("imm:act"),
            "{w:#?}"
        );
        assert!(allowed(&new, &request_of(w)), "{w:#?}");
    }
}

#[test]
fn who_can_and_list_on_a_hostile_store_are_undecided() {
    // 200 roles share a policy whose one condition is past the comparison
    // budget: the store's question shares one budget, so the first role
    // spends it and the others are undecided at once, instead of each
    // taking its own.
    let dir = scratch("who-can-hostile-store");
    let numbers: Vec<String> = (0..60_000).map(|i| format!("\"{i}\"")).collect();
    write(
        &dir,
        "Heavy.json",
        &format!(
            r#"{{"Effect": "Allow", "Action": "imm:*", "Resource": "*",
                "Condition": {{"NumericEquals": {{"k:n": [{}]}}}}}}"#,
            numbers.join(",")
        ),
    );
    let roles: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"RoleName": "r{i}", "Policies": ["Heavy"]}}"#))
        .collect();
    fs::write(
        dir.join("principals.json"),
        format!(
            r#"{{"AccountId": "1234567890123456", "Roles": [{}]}}"#,
            roles.join(",")
        ),
    )
    .unwrap();
    let store = dir.to_str().unwrap();
    let out = ramcheck(&[
        "who-can",
        "imm:DeleteProject",
        PROJECT,
        "--store",
        store,
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 4, "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let undecided = json["undecided"].as_array().unwrap();
    assert_eq!(undecided.len(), 200, "{json:#}");
    assert!(undecided[1].as_str().unwrap().contains("steps"), "{json:#}");
    let out = ramcheck(&[
        "can-i", "--list", "--as", "role/r0", "--store", store, "--format", "json",
    ]);
    assert_eq!(status(&out), 4, "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn who_can_over_a_trust_policy_of_many_services_is_bounded() {
    // 40,000 Service entries: each named service is a caller, and each
    // evaluation reads the whole trust policy. The callers were
    // deduplicated by a scan (quadratic) and every one evaluated
    // (quadratic again): minutes. Now the concrete evaluations share a
    // budget; past it the rest are undecided.
    let dir = scratch("who-can-many-services");
    let services: Vec<String> = (0..40_000)
        .map(|i| format!("\"s{i}.aliyuncs.com\""))
        .collect();
    write(
        &dir,
        "Trust.json",
        &format!(
            r#"{{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {{"Service": [{}]}}}}"#,
            services.join(",")
        ),
    );
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Roles": [{"RoleName": "r", "TrustPolicy": "Trust"}]}"#,
    )
    .unwrap();
    let out = ramcheck(&[
        "who-can",
        "sts:AssumeRole",
        "acs:ram::1234567890123456:role/r",
        "--store",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed = json["principals"].as_array().unwrap();
    let undecided = json["undecided"].as_array().unwrap();
    assert!(!allowed.is_empty() && !undecided.is_empty());
    assert_eq!(allowed.len() + undecided.len(), 40_001);
    assert!(
        allowed.iter().all(|p| p["decision"] == "Allow"
            && p["principal"].as_str().unwrap().starts_with("service/")),
        "{allowed:?}"
    );
}

#[test]
fn can_i_list_of_a_huge_action_list_is_bounded() {
    // 12,000 literal actions, each its own class: each witness was spelled
    // from and evaluated against all 12,000 patterns, with nothing to stop
    // it (30,000 took over 5 minutes). The witnesses share a budget now.
    let dir = scratch("list-huge-action-list");
    let actions: Vec<String> = (0..12_000).map(|i| format!("\"imm:Act{i}\"")).collect();
    write(
        &dir,
        "P.json",
        &format!(
            r#"{{"Effect": "Allow", "Action": [{}], "Resource": "*"}}"#,
            actions.join(",")
        ),
    );
    fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Users": [{"UserName": "alice", "Policies": ["P"]}]}"#,
    )
    .unwrap();
    let (code, json) = list_json(&dir, "user/alice");
    assert_eq!(code, 0, "{json:#}");
    let undecided = json["undecided"].as_array().unwrap();
    assert!(
        undecided
            .iter()
            .any(|u| u.as_str().unwrap().contains("witnesses took more than")),
        "{undecided:?}"
    );
}
