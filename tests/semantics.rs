//! One test per rule of docs/semantics.md,
//! named after its section, so a changed rule fails here by name.

use std::sync::Arc;

use ramcheck::authorizer::CompiledPolicySet;
use ramcheck::eval::{Decision, Mismatch, PolicySet, Response, Step, evaluate};
use ramcheck::policy::{Policy, PolicyErrorKind, PolicyKind, PolicyRef};
use ramcheck::principal::Principal;
use ramcheck::request::{Context, Request, RequestError};

const ACCOUNT: &str = "1234567890123456";
const IMMTEST: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

fn policy(kind: PolicyKind, statements: &str) -> PolicyRef {
    let text = format!(r#"{{"Version": "1", "Statement": [{statements}]}}"#);
    Arc::new(Policy::parse(&text, "p", "p.json", kind).unwrap_or_else(|e| panic!("{e}\n{text}")))
}

fn identity(statements: &str) -> PolicySet {
    PolicySet {
        identity: vec![policy(PolicyKind::Identity, statements)],
        ..PolicySet::default()
    }
}

fn request(action: &str, resource: &str, context: &[(&str, &str)]) -> Request {
    let mut c = Context::new();
    for (k, v) in context {
        c.insert(k, v).unwrap();
    }
    Request::new(action, resource, Principal::user(ACCOUNT, "alice"), c).unwrap()
}

/// Every case runs through both engines: the core evaluator and the
/// compiled authorizer must agree on the decision and its step.
fn decide(set: &PolicySet, action: &str, resource: &str, context: &[(&str, &str)]) -> Response {
    let request = request(action, resource, context);
    let response = evaluate(set, &request);
    let compiled = CompiledPolicySet::new(set).decide(&request);
    assert_eq!(
        compiled,
        (response.decision, response.step),
        "compiled authorizer disagrees on {action} {resource} {context:?}"
    );
    response
}

fn decision(set: &PolicySet, action: &str, resource: &str, context: &[(&str, &str)]) -> Decision {
    decide(set, action, resource, context).decision
}

/// A statement allowing imm:GetProject on immtest under `condition`.
fn allow_if(condition: &str) -> PolicySet {
    identity(&format!(
        r#"{{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{IMMTEST}", "Condition": {condition}}}"#
    ))
}

fn deny_if(condition: &str) -> PolicySet {
    identity(&format!(
        r#"{{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}},
           {{"Effect": "Deny", "Action": "imm:GetProject", "Resource": "{IMMTEST}", "Condition": {condition}}}"#
    ))
}

fn get(set: &PolicySet, context: &[(&str, &str)]) -> Decision {
    decision(set, "imm:GetProject", IMMTEST, context)
}

fn parse_err(kind: PolicyKind, text: &str) -> PolicyErrorKind {
    Policy::parse(text, "p", "p.json", kind).unwrap_err().kind
}

// §1 Document grammar

#[test]
fn s1_version_must_be_the_string_1() {
    let e = parse_err(PolicyKind::Identity, r#"{"Version": 1, "Statement": []}"#);
    assert!(matches!(e, PolicyErrorKind::InvalidVersion { .. }));
}

#[test]
fn s1_single_statement_object_is_read_as_array() {
    let text =
        r#"{"Version": "1", "Statement": {"Effect": "Allow", "Action": "imm:*", "Resource": "*"}}"#;
    let p = Arc::new(Policy::parse(text, "p", "p.json", PolicyKind::Identity).unwrap());
    assert!(p.statement_is_object);
    let set = PolicySet {
        identity: vec![p],
        ..PolicySet::default()
    };
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
}

#[test]
fn s1_empty_statement_array_grants_nothing() {
    let set = identity("");
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s1_effect_is_case_sensitive() {
    let e = parse_err(
        PolicyKind::Identity,
        r#"{"Version": "1", "Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}"#,
    );
    assert!(matches!(e, PolicyErrorKind::InvalidEffect { .. }));
}

#[test]
fn s1_unknown_elements_and_duplicate_keys_are_errors() {
    let e = parse_err(
        PolicyKind::Identity,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resources": "*"}]}"#,
    );
    assert!(matches!(e, PolicyErrorKind::UnknownElement { .. }));
    let e = parse_err(
        PolicyKind::Identity,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}]}"#,
    );
    assert!(matches!(
        e,
        PolicyErrorKind::Json(ramcheck::json::JsonErrorKind::DuplicateKey { .. })
    ));
}

#[test]
fn s1_strict_json_only() {
    for text in [
        r#"{"Version": "1", "Statement": [],}"#,
        "{\"Version\": \"1\", // c\n \"Statement\": []}",
    ] {
        assert!(matches!(
            parse_err(PolicyKind::Identity, text),
            PolicyErrorKind::Json(_)
        ));
    }
}

#[test]
fn s1_not_resource_is_the_complement() {
    let set = identity(
        r#"{"Effect": "Allow", "Action": "imm:*", "NotResource": "acs:imm:*:*:project/prod*"}"#,
    );
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
    let prod = "acs:imm:cn-hangzhou:1234567890123456:project/prod1";
    assert_eq!(
        decision(&set, "imm:GetProject", prod, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s1_principal_only_in_resource_based_policies() {
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Session,
        PolicyKind::Control,
    ] {
        let e = parse_err(
            kind,
            r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {"RAM": "*"}}]}"#,
        );
        assert!(
            matches!(e, PolicyErrorKind::PrincipalNotAllowed { .. }),
            "{kind}"
        );
    }
}

// §2 Matching

#[test]
fn s2_wildcards_cross_colons_and_slashes() {
    let set = identity(r#"{"Effect": "Allow", "Action": "*:Get*", "Resource": "acs:imm:*"}"#);
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
    assert_eq!(
        decision(&set, "oss:GetObject", IMMTEST, &[]),
        Decision::Allow
    );
    let oss = "acs:oss:cn-hangzhou:1234567890123456:bucket/x";
    assert_eq!(
        decision(&set, "oss:GetObject", oss, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s2_question_mark_is_exactly_one_character() {
    let set = identity(
        r#"{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "acs:imm:*:*:project/immtes?"}"#,
    );
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
    let longer = "acs:imm:cn-hangzhou:1234567890123456:project/immtestx";
    assert_eq!(
        decision(&set, "imm:GetProject", longer, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s2_brackets_braces_backslash_are_literal() {
    let set = identity(
        r#"{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "acs:imm:*:*:project/[ab]"}"#,
    );
    let literal = "acs:imm:cn-hangzhou:1234567890123456:project/[ab]";
    assert_eq!(
        decision(&set, "imm:GetProject", literal, &[]),
        Decision::Allow
    );
    let class = "acs:imm:cn-hangzhou:1234567890123456:project/a";
    assert_eq!(
        decision(&set, "imm:GetProject", class, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s2_actions_case_insensitive_resources_case_sensitive() {
    let set = identity(&format!(
        r#"{{"Effect": "Allow", "Action": "IMM:getproject", "Resource": "{IMMTEST}"}}"#
    ));
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
    let upper = "acs:imm:cn-hangzhou:1234567890123456:project/ImmTest";
    assert_eq!(
        decision(&set, "imm:GetProject", upper, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s2_matching_is_linear() {
    // Exponential backtracking would not finish this in any test timeout.
    let set = identity(
        r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*a*a*a*a*a*a*a*a*a*a*b"}"#,
    );
    let resource = format!("acs:imm:cn-hangzhou:1:project/{}", "a".repeat(20_000));
    assert_eq!(
        decision(&set, "imm:GetProject", &resource, &[]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s2_not_action_matches_everything_else() {
    let set =
        identity(r#"{"Effect": "Allow", "NotAction": ["ram:*", "imm:Delete*"], "Resource": "*"}"#);
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
    assert_eq!(
        decision(&set, "imm:DeleteProject", IMMTEST, &[]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decision(&set, "RAM:CreateUser", "*", &[]),
        Decision::ImplicitDeny
    );
}

// §3 Conditions

#[test]
fn s3_values_or_keys_and_operators_and() {
    let set = allow_if(
        r#"{"StringEquals": {"acs:UserAgent": ["a", "b"], "acs:Referer": "r"}, "Bool": {"acs:SecureTransport": "true"}}"#,
    );
    let full = [
        ("acs:UserAgent", "b"),
        ("acs:Referer", "r"),
        ("acs:SecureTransport", "true"),
    ];
    assert_eq!(get(&set, &full), Decision::Allow);
    assert_eq!(
        get(&set, &[("acs:UserAgent", "c"), full[1], full[2]]),
        Decision::ImplicitDeny
    );
    assert_eq!(get(&set, &[full[0], full[2]]), Decision::ImplicitDeny);
    assert_eq!(
        get(&set, &[full[0], full[1], ("acs:SecureTransport", "false")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_keys_case_insensitive_values_case_sensitive() {
    let set = allow_if(r#"{"StringEquals": {"ACS:USERAGENT": "Agent"}}"#);
    assert_eq!(get(&set, &[("acs:useragent", "Agent")]), Decision::Allow);
    assert_eq!(
        get(&set, &[("acs:UserAgent", "agent")]),
        Decision::ImplicitDeny
    );
    let ignore = allow_if(r#"{"StringEqualsIgnoreCase": {"acs:UserAgent": "Agent"}}"#);
    assert_eq!(get(&ignore, &[("acs:UserAgent", "AGENT")]), Decision::Allow);
}

#[test]
fn s3_string_like_is_case_sensitive_wildcard() {
    let set = allow_if(r#"{"StringLike": {"acs:UserAgent": "aliyun-cli/*"}}"#);
    assert_eq!(
        get(&set, &[("acs:UserAgent", "aliyun-cli/3.0")]),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:UserAgent", "Aliyun-cli/3.0")]),
        Decision::ImplicitDeny
    );
    let not = allow_if(r#"{"StringNotLike": {"acs:UserAgent": "curl*"}}"#);
    assert_eq!(get(&not, &[("acs:UserAgent", "aliyun")]), Decision::Allow);
    assert_eq!(
        get(&not, &[("acs:UserAgent", "curl/8")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_json_booleans_and_numbers_are_their_text() {
    let set =
        allow_if(r#"{"Bool": {"acs:SecureTransport": true}, "NumericLessThan": {"imm:Count": 5}}"#);
    assert_eq!(
        get(
            &set,
            &[("acs:SecureTransport", "true"), ("imm:Count", "4.5")]
        ),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:SecureTransport", "true"), ("imm:Count", "5")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_numeric_operators() {
    let cases = [
        ("NumericEquals", "10", "10.0", true),
        ("NumericNotEquals", "10", "11", true),
        ("NumericLessThan", "10", "9.99", true),
        ("NumericLessThanEquals", "10", "10", true),
        ("NumericGreaterThan", "10", "10", false),
        ("NumericGreaterThanEquals", "-1", "-0.5", true),
    ];
    for (op, policy_value, value, allowed) in cases {
        let set = allow_if(&format!(r#"{{"{op}": {{"imm:Count": "{policy_value}"}}}}"#));
        assert_eq!(
            get(&set, &[("imm:Count", value)]).is_allowed(),
            allowed,
            "{op} {value}"
        );
    }
}

#[test]
fn s3_dates_compare_as_instants() {
    let set = allow_if(r#"{"DateLessThan": {"acs:CurrentTime": "2019-08-12T17:00:00+08:00"}}"#);
    // 08:59:59Z is 16:59:59+08:00: before the limit.
    assert_eq!(
        get(&set, &[("acs:CurrentTime", "2019-08-12T08:59:59Z")]),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:CurrentTime", "2019-08-12T09:00:00Z")]),
        Decision::ImplicitDeny
    );
    for (op, value, allowed) in [
        ("DateEquals", "2019-08-12T09:00:00Z", true),
        ("DateNotEquals", "2019-08-12T09:00:00Z", false),
        ("DateLessThanEquals", "2019-08-12T09:00:00Z", true),
        ("DateGreaterThan", "2019-08-12T09:00:01Z", true),
        ("DateGreaterThanEquals", "2019-08-12T08:00:00Z", false),
    ] {
        let set = allow_if(&format!(
            r#"{{"{op}": {{"acs:CurrentTime": "2019-08-12T17:00:00+08:00"}}}}"#
        ));
        assert_eq!(
            get(&set, &[("acs:CurrentTime", value)]).is_allowed(),
            allowed,
            "{op} {value}"
        );
    }
}

#[test]
fn s3_current_time_defaults_to_now() {
    let past = allow_if(r#"{"DateGreaterThan": {"acs:CurrentTime": "2000-01-01T00:00:00Z"}}"#);
    assert_eq!(get(&past, &[]), Decision::Allow);
    let future = allow_if(r#"{"DateGreaterThan": {"acs:CurrentTime": "2999-01-01T00:00:00Z"}}"#);
    assert_eq!(get(&future, &[]), Decision::ImplicitDeny);
}

#[test]
fn s3_ip_addresses_and_cidrs_v4_and_v6() {
    let set = allow_if(
        r#"{"IpAddress": {"acs:SourceIp": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]}}"#,
    );
    assert_eq!(
        get(&set, &[("acs:SourceIp", "192.0.2.99")]),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:SourceIp", "2001:db8::1")]),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:SourceIp", "198.51.100.7")]),
        Decision::Allow
    );
    assert_eq!(
        get(&set, &[("acs:SourceIp", "198.51.100.8")]),
        Decision::ImplicitDeny
    );
    let not = allow_if(r#"{"NotIpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#);
    assert_eq!(
        get(&not, &[("acs:SourceIp", "203.0.113.1")]),
        Decision::Allow
    );
    assert_eq!(
        get(&not, &[("acs:SourceIp", "192.0.2.1")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_missing_key_positive_false_negated_true() {
    assert_eq!(
        get(
            &allow_if(r#"{"StringEquals": {"acs:SourceVpc": "vpc-1"}}"#),
            &[]
        ),
        Decision::ImplicitDeny
    );
    for negated in [
        r#"{"StringNotEquals": {"acs:SourceVpc": "vpc-1"}}"#,
        r#"{"StringNotEqualsIgnoreCase": {"acs:SourceVpc": "vpc-1"}}"#,
        r#"{"StringNotLike": {"acs:SourceVpc": "vpc-*"}}"#,
        r#"{"NumericNotEquals": {"imm:Count": "1"}}"#,
        r#"{"DateNotEquals": {"imm:When": "2020-01-01T00:00:00Z"}}"#,
        r#"{"NotIpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#,
    ] {
        assert_eq!(get(&allow_if(negated), &[]), Decision::Allow, "{negated}");
    }
}

#[test]
fn s3_if_exists_holds_on_missing_key() {
    let set = allow_if(r#"{"IpAddressIfExists": {"acs:SourceIp": "192.0.2.0/24"}}"#);
    assert_eq!(get(&set, &[]), Decision::Allow);
    assert_eq!(get(&set, &[("acs:SourceIp", "192.0.2.1")]), Decision::Allow);
    assert_eq!(
        get(&set, &[("acs:SourceIp", "203.0.113.1")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_set_qualifiers_on_missing_key() {
    assert_eq!(
        get(
            &allow_if(r#"{"ForAllValues:StringEquals": {"acs:TagKeys": "env"}}"#),
            &[]
        ),
        Decision::Allow
    );
    assert_eq!(
        get(
            &allow_if(r#"{"ForAnyValue:StringEquals": {"acs:TagKeys": "env"}}"#),
            &[]
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_set_qualifiers_on_multi_valued_keys() {
    let all = allow_if(r#"{"ForAllValues:StringEquals": {"acs:TagKeys": ["env", "team"]}}"#);
    assert_eq!(
        get(&all, &[("acs:TagKeys", "env"), ("acs:TagKeys", "team")]),
        Decision::Allow
    );
    assert_eq!(
        get(&all, &[("acs:TagKeys", "env"), ("acs:TagKeys", "cost")]),
        Decision::ImplicitDeny
    );
    let any = allow_if(r#"{"ForAnyValue:StringEquals": {"acs:TagKeys": ["env"]}}"#);
    assert_eq!(
        get(&any, &[("acs:TagKeys", "cost"), ("acs:TagKeys", "env")]),
        Decision::Allow
    );
    assert_eq!(
        get(&any, &[("acs:TagKeys", "cost")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_unqualified_multi_valued_keys() {
    // Positive: any request value matches any policy value.
    let pos = allow_if(r#"{"StringEquals": {"acs:TagKeys": ["env"]}}"#);
    assert_eq!(
        get(&pos, &[("acs:TagKeys", "cost"), ("acs:TagKeys", "env")]),
        Decision::Allow
    );
    // Negated: no request value matches any policy value.
    let neg = allow_if(r#"{"StringNotEquals": {"acs:TagKeys": ["secret", "admin"]}}"#);
    assert_eq!(
        get(&neg, &[("acs:TagKeys", "env"), ("acs:TagKeys", "cost")]),
        Decision::Allow
    );
    assert_eq!(
        get(&neg, &[("acs:TagKeys", "env"), ("acs:TagKeys", "admin")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_negated_operator_with_several_values_is_not_of_or() {
    let set = allow_if(r#"{"StringNotEquals": {"acs:SourceVpc": ["vpc-a", "vpc-b"]}}"#);
    assert_eq!(get(&set, &[("acs:SourceVpc", "vpc-c")]), Decision::Allow);
    assert_eq!(
        get(&set, &[("acs:SourceVpc", "vpc-b")]),
        Decision::ImplicitDeny
    );
}

#[test]
fn s3_null_operator() {
    let absent = allow_if(r#"{"Null": {"acs:SourceVpc": "true"}}"#);
    assert_eq!(get(&absent, &[]), Decision::Allow);
    assert_eq!(
        get(&absent, &[("acs:SourceVpc", "vpc-1")]),
        Decision::ImplicitDeny
    );
    let present = allow_if(r#"{"Null": {"acs:SourceVpc": "false"}}"#);
    assert_eq!(
        get(&present, &[("acs:SourceVpc", "vpc-1")]),
        Decision::Allow
    );
}

#[test]
fn s3_wrong_typed_common_key_is_an_invalid_request() {
    let mut c = Context::new();
    let e = c.insert("acs:SourceIp", "abc").unwrap_err();
    assert!(matches!(e, RequestError::InvalidContextValue { .. }));
    assert!(
        Context::new()
            .insert("acs:CurrentTime", "yesterday")
            .is_err()
    );
    assert!(
        Context::new()
            .insert("acs:SecureTransport", "maybe")
            .is_err()
    );
}

#[test]
fn s3_unreadable_value_resolves_toward_denial() {
    // An Allow whose operator cannot read the value does not match…
    let allow = allow_if(r#"{"NumericLessThan": {"imm:Count": "10"}}"#);
    let r = decide(&allow, "imm:GetProject", IMMTEST, &[("imm:Count", "ten")]);
    assert_eq!(r.decision, Decision::ImplicitDeny);
    let Mismatch::Condition(failure) = &r.closest[0].failed else {
        panic!("{:?}", r.closest)
    };
    assert_eq!(failure.unreadable_value.as_deref(), Some("ten"));
    // …and a Deny does, even a negated one, and says so.
    for op in ["NumericLessThan", "NumericNotEquals"] {
        let deny = deny_if(&format!(r#"{{"{op}": {{"imm:Count": "10"}}}}"#));
        let r = decide(&deny, "imm:GetProject", IMMTEST, &[("imm:Count", "ten")]);
        assert_eq!(r.decision, Decision::ExplicitDeny, "{op}");
        assert_eq!(r.statements[0].unreadable[0].key, "imm:Count");
    }
    // A common key read by an operator of another type (IpAddress on a
    // date) is unreadable too.
    let deny = deny_if(r#"{"IpAddress": {"acs:CurrentTime": "192.0.2.0/24"}}"#);
    assert_eq!(get(&deny, &[]), Decision::ExplicitDeny);
    // The same Deny with a readable, non-matching value does not match.
    let deny = deny_if(r#"{"NumericLessThan": {"imm:Count": "10"}}"#);
    assert_eq!(get(&deny, &[("imm:Count", "11")]), Decision::Allow);
}

// §4 Evaluation

fn allow_all() -> PolicyRef {
    policy(
        PolicyKind::Identity,
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
    )
}

#[test]
fn s4_explicit_deny_wins_within_a_set() {
    let set = identity(
        r#"{"Effect": "Allow", "Action": "imm:*", "Resource": "*"}, {"Effect": "Deny", "Action": "imm:GetProject", "Resource": "*"}"#,
    );
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ExplicitDeny, Step::Identity)
    );
    assert_eq!(r.statements[0].statement, 1);
}

#[test]
fn s4_control_policies_must_allow() {
    let mut set = PolicySet {
        identity: vec![allow_all()],
        ..PolicySet::default()
    };
    set.control = vec![policy(
        PolicyKind::Control,
        r#"{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}"#,
    )];
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Control)
    );
    set.control = vec![policy(
        PolicyKind::Control,
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "imm:Get*", "Resource": "*"}"#,
    )];
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ExplicitDeny, Step::Control)
    );
    assert_eq!(
        decision(&set, "imm:ListProjects", "*", &[]),
        Decision::Allow
    );
}

#[test]
fn s4_session_policy_must_allow() {
    let set = PolicySet {
        identity: vec![allow_all()],
        session: Some(policy(
            PolicyKind::Session,
            r#"{"Effect": "Allow", "Action": "imm:List*", "Resource": "*"}"#,
        )),
        ..PolicySet::default()
    };
    assert_eq!(
        decision(&set, "imm:ListProjects", "*", &[]),
        Decision::Allow
    );
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Session)
    );
}

#[test]
fn s4_session_policy_does_not_grant_on_its_own() {
    let set = PolicySet {
        session: Some(policy(
            PolicyKind::Session,
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
        )),
        ..PolicySet::default()
    };
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Identity)
    );
}

#[test]
fn s4_first_step_that_does_not_allow_decides_even_over_a_later_explicit_deny() {
    let set = PolicySet {
        control: vec![policy(
            PolicyKind::Control,
            r#"{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}"#,
        )],
        identity: vec![policy(
            PolicyKind::Identity,
            r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#,
        )],
        ..PolicySet::default()
    };
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Control)
    );
}

#[test]
fn s4_users_groups_policies_are_one_identity_set() {
    // A deny in a group policy beats an allow in the user's own policy.
    let set = PolicySet {
        identity: vec![
            allow_all(),
            policy(
                PolicyKind::Identity,
                r#"{"Effect": "Deny", "Action": "imm:Delete*", "Resource": "*"}"#,
            ),
        ],
        ..PolicySet::default()
    };
    assert_eq!(
        decision(&set, "imm:DeleteProject", IMMTEST, &[]),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decision(&set, "imm:GetProject", IMMTEST, &[]),
        Decision::Allow
    );
}

fn bucket_policy(statements: &str) -> PolicyRef {
    policy(PolicyKind::Resource, statements)
}

#[test]
fn s4_resource_policy_allow_alone_grants() {
    let set = PolicySet {
        resource: Some(bucket_policy(&format!(
            r#"{{"Effect": "Allow", "Action": "imm:GetProject", "Principal": ["{ACCOUNT}"], "Resource": "{IMMTEST}"}}"#
        ))),
        ..PolicySet::default()
    };
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!((r.decision, r.step), (Decision::Allow, Step::Resource));
}

#[test]
fn s4_resource_policy_explicit_deny_wins_over_identity_allow() {
    let set = PolicySet {
        identity: vec![allow_all()],
        resource: Some(bucket_policy(
            r#"{"Effect": "Deny", "Action": "*", "Principal": "*"}"#,
        )),
        ..PolicySet::default()
    };
    let r = decide(&set, "imm:GetProject", IMMTEST, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ExplicitDeny, Step::Resource)
    );
}

fn trust(principal: &str) -> PolicyRef {
    policy(
        PolicyKind::Trust,
        &format!(r#"{{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {principal}}}"#),
    )
}

const ROLE: &str = "acs:ram::1234567890123456:role/imm-deployer";

#[test]
fn s4_assume_role_needs_identity_and_trust() {
    let assume = policy(
        PolicyKind::Identity,
        &format!(r#"{{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "{ROLE}"}}"#),
    );
    let both = PolicySet {
        identity: vec![assume.clone()],
        resource: Some(trust(r#"{"RAM": "acs:ram::1234567890123456:root"}"#)),
        ..PolicySet::default()
    };
    assert_eq!(
        decision(&both, "sts:AssumeRole", ROLE, &[]),
        Decision::Allow
    );

    let trust_only = PolicySet {
        resource: both.resource.clone(),
        ..PolicySet::default()
    };
    let r = decide(&trust_only, "sts:AssumeRole", ROLE, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Identity)
    );

    let identity_only = PolicySet {
        identity: vec![assume.clone()],
        ..PolicySet::default()
    };
    let r = decide(&identity_only, "sts:AssumeRole", ROLE, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Resource)
    );

    let other_account = PolicySet {
        identity: vec![assume],
        resource: Some(trust(r#"{"RAM": "acs:ram::9999999999999999:root"}"#)),
        ..PolicySet::default()
    };
    let r = decide(&other_account, "sts:AssumeRole", ROLE, &[]);
    assert_eq!(
        (r.decision, r.step),
        (Decision::ImplicitDeny, Step::Resource)
    );
    assert_eq!(r.closest[0].failed, Mismatch::Principal);
}

#[test]
fn s4_principal_forms() {
    let assume = policy(
        PolicyKind::Identity,
        r#"{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}"#,
    );
    let check = |principal: &str, context: &[(&str, &str)]| {
        let set = PolicySet {
            identity: vec![assume.clone()],
            resource: Some(trust(principal)),
            ..PolicySet::default()
        };
        decision(&set, "sts:AssumeRole", ROLE, context)
    };
    assert_eq!(check(r#"{"RAM": "*"}"#, &[]), Decision::Allow);
    assert_eq!(
        check(r#"{"RAM": "1234567890123456"}"#, &[]),
        Decision::Allow
    );
    assert_eq!(
        check(r#"{"RAM": "acs:ram::1234567890123456:user/alice"}"#, &[]),
        Decision::Allow
    );
    assert_eq!(
        check(r#"{"RAM": "acs:ram::1234567890123456:user/al*"}"#, &[]),
        Decision::Allow
    );
    assert_eq!(
        check(r#"{"RAM": "acs:ram::1234567890123456:user/bob"}"#, &[]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        check(r#"{"RAM": "acs:ram::1234567890123456:role/alice"}"#, &[]),
        Decision::ImplicitDeny
    );
    // Service entries match only calls made by that service.
    assert_eq!(
        check(r#"{"Service": "ecs.aliyuncs.com"}"#, &[]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        check(
            r#"{"Service": "ecs.aliyuncs.com"}"#,
            &[("acs:Service", "ecs.aliyuncs.com")]
        ),
        Decision::Allow
    );
    // Federated sessions are not modelled: such entries match nothing.
    assert_eq!(check(r#"{"Federated": "*"}"#, &[]), Decision::ImplicitDeny);
}

#[test]
fn s4_implicit_deny_explains_the_closest_statement_and_failing_part() {
    let set = identity(
        r#"{"Sid": "Far", "Effect": "Allow", "Action": "oss:*", "Resource": "*"},
           {"Sid": "Near", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*",
            "Condition": {"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}},
           {"Sid": "Mid", "Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:*:*:project/other"}"#,
    );
    let r = decide(
        &set,
        "imm:GetProject",
        IMMTEST,
        &[("acs:SourceIp", "203.0.113.9")],
    );
    assert_eq!(r.decision, Decision::ImplicitDeny);
    assert_eq!(r.closest.len(), 1);
    assert_eq!(r.closest[0].statement.sid.as_deref(), Some("Near"));
    assert_eq!(r.closest[0].statement.line, 2);
    let Mismatch::Condition(c) = &r.closest[0].failed else {
        panic!()
    };
    assert_eq!(
        (c.key.as_str(), c.operator.as_str()),
        ("acs:SourceIp", "IpAddress")
    );
}

#[test]
fn s2_a_star_in_a_request_resource_is_literal() {
    // RAM authorizes list actions on ARNs such as project/*: only a
    // pattern that matches that text allows them.
    let list = "acs:imm:cn-hangzhou:1234567890123456:project/*";
    let one = identity(
        r#"{"Effect": "Allow", "Action": "imm:ListProjects", "Resource": "acs:imm:*:*:project/immtest"}"#,
    );
    assert_eq!(
        decision(&one, "imm:ListProjects", list, &[]),
        Decision::ImplicitDeny
    );
    let all = identity(
        r#"{"Effect": "Allow", "Action": "imm:ListProjects", "Resource": "acs:imm:*:*:project/*"}"#,
    );
    assert_eq!(
        decision(&all, "imm:ListProjects", list, &[]),
        Decision::Allow
    );
}

/// A cloud service assuming a role has no identity policies: the trust
/// policy alone decides, and names it in `Service`.
#[test]
fn s4_a_service_assumes_a_role_by_the_trust_policy_alone() {
    let set = |principal: &str| PolicySet {
        resource: Some(trust(principal)),
        ..PolicySet::default()
    };
    let ask = |set: &PolicySet, service: &str| {
        let request = Request::new(
            "sts:AssumeRole",
            ROLE,
            Principal::service(service),
            Context::new(),
        )
        .unwrap();
        let response = evaluate(set, &request);
        let compiled = CompiledPolicySet::new(set).decide(&request);
        assert_eq!(compiled, (response.decision, response.step));
        (response.decision, response.step)
    };
    let ecs = set(r#"{"Service": ["ecs.aliyuncs.com"]}"#);
    assert_eq!(
        ask(&ecs, "ecs.aliyuncs.com"),
        (Decision::Allow, Step::Resource)
    );
    assert_eq!(
        ask(&ecs, "fc.aliyuncs.com"),
        (Decision::ImplicitDeny, Step::Resource)
    );
    // A RAM principal entry, even "*", does not name a service.
    let everyone = set(r#"{"RAM": ["*"]}"#);
    assert_eq!(
        ask(&everyone, "ecs.aliyuncs.com"),
        (Decision::ImplicitDeny, Step::Resource)
    );
}
