//! Input: `principals.json` text, then alternating policy name and policy
//! text, all separated by NUL: `principals NUL name NUL text NUL name NUL
//! text …`. An odd piece left at the end (a name without text) is read as
//! request lines instead: `action`, `resource`, then `KEY=VALUE` context
//! entries, as in the `evaluate` target.
//!
//! `Store::from_documents` must never panic. When the store loads,
//! `Authorizer::new` compiles it, and for each of its first users and roles
//! (and a session of each of the first two roles) a set of requests (fixed
//! ones, ones made from the patterns and conditions of the store's own
//! policies, and the one from the input, each with one of four contexts in
//! turn) is decided twice: `Authorizer::authorize(&req).decision` must
//! equal `eval::evaluate(&store.resolve("user/<name>")?.policies,
//! &req).decision` (`role/<name>`, `assumed-role/<role>/<session>` for the
//! others), and each name resolves to the principal it names. For
//! `sts:AssumeRole` the evaluated set also holds the trust policy of the
//! role named by the resource (`Store::trust_policy_for`), as
//! `Authorization::explain` builds it. Principals the store does not hold
//! (unknown names, another account's, the account root, a service, ad hoc)
//! are implicitly denied.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use ramcheck::authorizer::Authorizer;
use ramcheck::eval::{Decision, PolicySet, evaluate};
use ramcheck::policy::PolicyRef;
use ramcheck::request::{Context, Request};
use ramcheck::principal::Principal;
use ramcheck::store::Store;

/// Users and roles checked per store (each one costs every request).
const MAX_PRINCIPALS: usize = 6;
/// Action/resource pairs taken from the store's policies.
const MAX_DERIVED: usize = 8;
/// A fixed time, so that runs are reproducible.
const NOW: &str = "2024-01-01T00:00:00Z";
/// The session name of the role sessions asked for.
const SESSION: &str = "fuzz-session";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut pieces = text.split('\0');
    let principals = pieces.next().unwrap_or("");
    let rest: Vec<&str> = pieces.collect();
    let mut documents = HashMap::new();
    for pair in rest.chunks_exact(2) {
        documents.insert(pair[0].to_string(), pair[1].to_string());
    }
    let extra = (rest.len() % 2 == 1).then(|| rest[rest.len() - 1]);

    let store = match Store::from_documents(principals, &documents) {
        Ok(store) => store,
        Err(err) => {
            // Error rendering must not panic either.
            let _ = err.to_string();
            let _ = format!("{err:?}");
            return;
        }
    };
    let authorizer = Authorizer::new(&store);
    assert_eq!(authorizer.account_id(), store.account_id());
    assert_eq!(authorizer.revision(), store.revision());
    let account = store.account_id().to_string();

    let users: Vec<String> = store.users().take(MAX_PRINCIPALS).map(String::from).collect();
    let roles: Vec<String> = store.roles().take(MAX_PRINCIPALS).map(String::from).collect();
    let all_roles: Vec<String> = store.roles().map(String::from).collect();

    // The store principals to ask for: users, roles, and a session of
    // each role (decided with the role's policies).
    let mut principals: Vec<(String, Principal)> = Vec::new();
    for name in &users {
        principals.push((format!("user/{name}"), Principal::user(&account, name)));
    }
    for name in &roles {
        principals.push((format!("role/{name}"), Principal::role(&account, name)));
    }
    for name in roles.iter().take(2) {
        principals.push((
            format!("assumed-role/{name}/{SESSION}"),
            Principal::role_session(&account, name, SESSION),
        ));
    }

    // Every policy the store holds, for the derived requests.
    let mut policies: Vec<PolicyRef> = Vec::new();
    for (_, principal) in &principals {
        if let Some(set) = store.policies_for(principal) {
            policies.extend(set.control);
            policies.extend(set.identity);
        }
    }
    policies.extend(all_roles.iter().filter_map(|r| store.trust_policy(r)));
    // Principals share their policies (the control ones, groups'): once each.
    let mut seen = std::collections::HashSet::new();
    policies.retain(|p| seen.insert(std::sync::Arc::as_ptr(p)));
    let targets = request_targets(&account, &all_roles, &policies, extra);
    let contexts = contexts(&policies, extra);

    for (spec, principal) in &principals {
        // The store's own names are valid and held, so they resolve.
        let resolved = match store.resolve(spec) {
            Ok(resolved) => resolved,
            Err(err) => panic!("the store's own {spec} does not resolve: {err}"),
        };
        assert_eq!(&resolved.principal, principal, "{spec} resolves to another principal");
        // Each target with one of the contexts, in turn, so that the work
        // per input stays moderate.
        for (i, (action, resource)) in targets.iter().enumerate() {
            let context = &contexts[i % contexts.len()];
            let Ok(request) = Request::new(action, resource, principal.clone(), context.clone())
            else {
                continue;
            };
            check(&store, &authorizer, &resolved.policies, &request, spec, i == 0);
        }
    }

    // Principals the store does not hold: unknown names, another
    // account's, the account itself, a service, an ad hoc one.
    let stranger = (0..)
        .map(|i| format!("stranger{i}"))
        .find(|n| !store.users().any(|u| u == n) && !store.roles().any(|r| r == n))
        .unwrap_or_default();
    let other_account = if account == "1" { "2" } else { "1" };
    for principal in [
        Principal::user(&account, &stranger),
        Principal::role(&account, &stranger),
        Principal::role_session(&account, &stranger, SESSION),
        Principal::user(other_account, users.first().map_or("alice", String::as_str)),
        Principal::role(other_account, roles.first().map_or("r", String::as_str)),
        Principal::account_root(&account),
        Principal::service("ecs.aliyuncs.com"),
        Principal::AdHoc,
    ] {
        for (action, resource) in targets.iter().take(4) {
            let Ok(request) = Request::new(action, resource, principal.clone(), contexts[0].clone())
            else {
                continue;
            };
            let got = authorizer.authorize(&request).decision;
            assert_eq!(
                got,
                Decision::ImplicitDeny,
                "{principal} is not in the store, yet {action} on {resource} is {got}"
            );
        }
    }
});

/// Decides `request` with the authorizer and with the core evaluator.
fn check(
    store: &Store,
    authorizer: &Authorizer,
    set: &PolicySet,
    request: &Request,
    who: &str,
    explain: bool,
) {
    let authorization = authorizer.authorize(request);
    let again = authorizer.authorize(request);
    assert_eq!(
        (authorization.decision, authorization.step),
        (again.decision, again.step),
        "Authorizer::authorize is not deterministic"
    );
    let mut set = set.clone();
    if request.is_assume_role() {
        set.resource = store.trust_policy_for(request.resource());
    }
    let want = evaluate(&set, request);
    assert_eq!(
        authorization.decision,
        want.decision,
        "{who}: {} on {} with {:?}: Authorizer says {} at step {}, evaluate says {} at step {}",
        request.action(),
        request.resource(),
        request.context(),
        authorization.decision,
        authorization.step,
        want.decision,
        want.step
    );
    if explain {
        let _ = authorization.explain();
    }
}

/// The (action, resource) pairs to ask about.
fn request_targets(
    account: &str,
    roles: &[String],
    policies: &[PolicyRef],
    extra: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(lines) = extra {
        let mut lines = lines.split('\n');
        let action = lines.next().unwrap_or_default();
        let resource = lines.next().unwrap_or("*");
        out.push((action.to_string(), resource.to_string()));
    }
    let imm = |region: &str, id: &str| format!("acs:imm:{region}:{account}:{id}");
    out.extend([
        ("imm:AttachOSSBucket".into(), imm("cn-hangzhou", "project/immtest")),
        ("imm:GetProject".into(), imm("cn-hangzhou", "project/media-x")),
        ("imm:DeleteProject".into(), imm("cn-hangzhou", "project/media-x")),
        ("IMM:getproject".into(), imm("ap-southeast-1", "project/immtest")),
        ("imm:ListProjects".into(), "*".into()),
        ("imm:ListProjects".into(), imm("cn-hangzhou", "project/*")),
        ("oss:GetObject".into(), format!("acs:oss:*:{account}:bucket/b/object")),
        ("ram:PassRole".into(), format!("acs:ram::{account}:role/AliyunIMMDefaultRole")),
    ]);
    for role in roles.iter().take(MAX_PRINCIPALS) {
        out.push(("sts:AssumeRole".into(), format!("acs:ram::{account}:role/{role}")));
    }
    out.push(("sts:AssumeRole".into(), format!("acs:ram::{account}:role/no-such-role")));
    // From the store's own statements: each action pattern with a resource
    // pattern of the same statement, wildcards filled three ways (the
    // third makes prefixes such as `acs:imm:ap-*` full ARNs, and puts `:`
    // in relative ids).
    let mut derived = 0;
    'policies: for policy in policies {
        for statement in &policy.statements {
            let actions = &statement.action.patterns;
            let resources: Vec<&str> = statement
                .resource
                .as_ref()
                .map(|r| r.patterns.iter().map(|p| p.wildcard.as_str()).collect())
                .unwrap_or_default();
            for (i, action) in actions.iter().enumerate() {
                let resource = match resources.len() {
                    0 => "*",
                    n => resources[i % n],
                };
                for (action_fill, resource_fill) in
                    [("x", "x"), ("", ""), ("oss:Get", "a:b:c:d/e")]
                {
                    let pair = (
                        concrete(action.wildcard.as_str(), action_fill),
                        concrete_resource(resource, resource_fill),
                    );
                    if !out.contains(&pair) {
                        out.push(pair);
                    }
                }
                derived += 1;
                if derived >= MAX_DERIVED {
                    break 'policies;
                }
            }
            // The other resources with the first action.
            if let Some(action) = actions.first() {
                for resource in resources.iter().skip(actions.len()).take(4) {
                    out.push((
                        concrete(action.wildcard.as_str(), "x"),
                        concrete_resource(resource, "x"),
                    ));
                }
            }
        }
    }
    out
}

/// A resource pattern made into a request resource: a pattern of stars
/// only is the resource `*`, any other is made [`concrete`].
fn concrete_resource(pattern: &str, fill: &str) -> String {
    if !pattern.is_empty() && pattern.bytes().all(|b| b == b'*') {
        return "*".into();
    }
    concrete(pattern, fill)
}

/// A pattern made into a concrete string: `*` becomes `fill`, `?` a letter.
fn concrete(pattern: &str, fill: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(fill),
            '?' => out.push('q'),
            c => out.push(c),
        }
    }
    out
}

/// Contexts to ask with: two fixed ones, one holding the first value of
/// every condition key of the store's policies, and the input's.
fn contexts(policies: &[PolicyRef], extra: Option<&str>) -> Vec<Context> {
    let mut out = Vec::new();
    let fixed = |pairs: &[(&str, &str)]| {
        let mut context = Context::new();
        for (k, v) in pairs {
            context.insert(k, v).ok();
        }
        context
    };
    out.push(fixed(&[
        ("acs:CurrentTime", NOW),
        ("acs:SourceIp", "192.0.2.10"),
        ("acs:MFAPresent", "true"),
        ("acs:SecureTransport", "true"),
        ("acs:Service", "imm.aliyuncs.com"),
    ]));
    out.push(fixed(&[
        ("acs:CurrentTime", NOW),
        ("acs:SourceIp", "203.0.113.5"),
        ("acs:MFAPresent", "false"),
    ]));
    let mut derived = fixed(&[("acs:CurrentTime", NOW)]);
    for policy in policies {
        for statement in &policy.statements {
            for clause in statement.condition.iter().flat_map(|c| &c.clauses) {
                for entry in &clause.entries {
                    if !derived.contains(&entry.key)
                        && let Some(value) = entry.raw_values.first()
                        && derived.insert(&entry.key, value).is_err()
                    {
                        // A network such as 192.0.2.0/24: its address.
                        if let Some((address, _)) = value.split_once('/') {
                            derived.insert(&entry.key, address).ok();
                        }
                    }
                }
            }
        }
    }
    out.push(derived);
    if let Some(lines) = extra {
        let mut context = fixed(&[("acs:CurrentTime", NOW)]);
        let mut ok = true;
        for entry in lines.split('\n').skip(2) {
            if entry.starts_with("acs:CurrentTime=") {
                continue;
            }
            ok &= context.insert_pair(entry).is_ok();
        }
        if ok {
            out.push(context);
        }
    }
    out
}
