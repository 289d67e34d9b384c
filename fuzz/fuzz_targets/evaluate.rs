//! Input: `<policy document> NUL <tail>`, the tail being lines
//!   action
//!   resource
//!   principal   (`user:ACCOUNT:NAME`, `role:ACCOUNT:NAME`, anything else = ad hoc)
//!   KEY=VALUE   (context entries, any number)
//! Missing lines take defaults. The document is parsed as each policy kind;
//! if the request builds, it is evaluated against several policy sets made
//! of whichever kinds parsed. Must never panic, and must be deterministic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ramcheck::eval::{PolicySet, evaluate};
use ramcheck::policy::{Policy, PolicyKind};
use ramcheck::request::{Context, Request};
use ramcheck::principal::Principal;

fuzz_target!(|data: &[u8]| {
    let (doc, tail) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(doc), Ok(tail)) = (std::str::from_utf8(doc), std::str::from_utf8(tail)) else {
        return;
    };
    let Some(request) = build_request(tail) else {
        return;
    };

    let parse = |kind| Policy::parse(doc, "Fuzz", "fuzz.json", kind).ok().map(Arc::new);
    let identity = parse(PolicyKind::Identity);
    let session = parse(PolicyKind::Session);
    let control = parse(PolicyKind::Control);
    let resource = if request.is_assume_role() {
        parse(PolicyKind::Trust)
    } else {
        parse(PolicyKind::Resource)
    };
    if identity.is_none() && session.is_none() && control.is_none() && resource.is_none() {
        return;
    }
    let ids: Vec<_> = identity.iter().cloned().collect();

    let sets = [
        PolicySet::default(),
        PolicySet {
            identity: ids.clone(),
            ..PolicySet::default()
        },
        PolicySet {
            control: control.iter().cloned().collect(),
            identity: ids.clone(),
            ..PolicySet::default()
        },
        PolicySet {
            session: session.clone(),
            identity: ids.clone(),
            ..PolicySet::default()
        },
        PolicySet {
            resource: resource.clone(),
            ..PolicySet::default()
        },
        PolicySet {
            identity: ids.clone(),
            resource: resource.clone(),
            ..PolicySet::default()
        },
        PolicySet {
            control: control.iter().cloned().collect(),
            session: session.clone(),
            identity: ids,
            resource: resource.clone(),
        },
    ];
    for set in &sets {
        let first = evaluate(set, &request);
        let again = evaluate(set, &request);
        assert_eq!(first, again, "evaluate is not deterministic");
        let _ = format!("{first:?}");
    }
});

fn build_request(tail: &str) -> Option<Request> {
    let mut lines = tail.split('\n');
    let action = lines.next().filter(|s| !s.is_empty()).unwrap_or("imm:GetProject");
    let resource = lines
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("acs:imm:cn-hangzhou:1234567890123456:project/immtest");
    let principal = match lines.next().map(|s| s.splitn(3, ':').collect::<Vec<_>>()) {
        Some(p) if p.len() == 3 && p[0] == "user" => Principal::user(p[1], p[2]),
        Some(p) if p.len() == 3 && p[0] == "role" => Principal::role(p[1], p[2]),
        Some(p) if p.len() == 1 && p[0].is_empty() => Principal::user("1234567890123456", "bob"),
        None => Principal::user("1234567890123456", "bob"),
        Some(_) => Principal::AdHoc,
    };
    let mut context = Context::new();
    for entry in lines {
        context.insert_pair(entry).ok()?;
    }
    Request::new(action, resource, principal, context).ok()
}
