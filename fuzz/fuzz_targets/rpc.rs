//! The gateway's request mapping. Input: `query NUL body NUL header NUL
//! header …`, split on NUL: the query string, the form body, then each
//! value of the region header (none when there are only two pieces). Query
//! and body are `&`-separated `k=v` pairs (a piece without `=` is a name
//! with an empty value, empty pieces are skipped; no percent-decoding).
//!
//! `RpcRequest { query, body, region_headers, default_region, account
//! }.call()` must never panic, and on `Ok(call)`:
//! - no two keys of `call.params` are equal ignoring ASCII case, and none
//!   is `Action` (in any case);
//! - `call.api` is the value of the one `Action` pair, not empty;
//! - `call.params` holds every other pair given, with its value;
//! - `call.region` is the header value when exactly one was given (then a
//!   `RegionId` given agrees with it), else `RegionId` when given, else the
//!   default; two or more header values are refused.
//!
//! Then `call.required_access()`; on `Ok`, the action is `imm:<api>`-shaped
//! and `call.requests(..)` builds a request for every resource (the gateway
//! answers 500 when it cannot: "the call check has vetted every parameter").
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramcheck::api_call::{ACTION_PARAM, ApiCallRequestError, REGION_PARAM, RpcRequest};
use ramcheck::request::Context;
use ramcheck::principal::Principal;

const DEFAULT_REGION: &str = "cn-hangzhou";
const ACCOUNT: &str = "1234567890123456";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut pieces = text.split('\0');
    let query = pairs(pieces.next().unwrap_or(""));
    let body = pairs(pieces.next().unwrap_or(""));
    let headers: Vec<&str> = pieces.collect();

    let given: Vec<(String, String)> = query.iter().chain(&body).cloned().collect();
    let rpc = RpcRequest {
        query,
        body,
        region_headers: headers.clone(),
        default_region: DEFAULT_REGION,
        account: ACCOUNT,
    };
    let call = match rpc.call() {
        Ok(call) => call,
        Err(err) => {
            let _ = err.to_string();
            let _ = err.code();
            let _ = err.http_status();
            let _ = err.body("fuzz", DEFAULT_REGION);
            return;
        }
    };

    // No two parameters that a case-insensitive reader would confuse.
    let keys: Vec<&String> = call.params.keys().collect();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert!(
                !a.eq_ignore_ascii_case(b),
                "params hold both {a:?} and {b:?}"
            );
        }
        assert!(
            !a.eq_ignore_ascii_case(ACTION_PARAM),
            "params still hold {a:?} (the API is {:?})",
            call.api
        );
    }

    // The API is the one Action given.
    let actions: Vec<&str> = given
        .iter()
        .filter(|(k, _)| k == ACTION_PARAM)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(actions, [call.api.as_str()], "Action pairs given: {actions:?}");
    assert!(!call.api.is_empty(), "empty API accepted");

    // Every other parameter, with the value given (each was given once).
    let others = given.iter().filter(|(k, _)| k != ACTION_PARAM);
    assert_eq!(others.clone().count(), call.params.len(), "parameters lost or added");
    for (k, v) in others {
        assert_eq!(call.params.get(k), Some(v), "parameter {k:?}");
    }

    // The region authorized is the one the service will use.
    let region_id = call.params.get(REGION_PARAM);
    let want = match headers.as_slice() {
        [one] => {
            if let Some(id) = region_id {
                assert_eq!(id, one, "RegionId disagrees with the region header");
            }
            one.to_string()
        }
        [] => region_id.cloned().unwrap_or_else(|| DEFAULT_REGION.to_string()),
        many => panic!("{} region header values accepted: {many:?}", many.len()),
    };
    assert_eq!(call.region, want, "region (headers {headers:?}, RegionId {region_id:?})");
    assert_eq!(call.account, ACCOUNT);

    match call.required_access() {
        Ok(access) => {
            assert!(
                access.action.starts_with("imm:") && access.action.len() > 4,
                "action {:?} for API {:?}",
                access.action,
                call.api
            );
            assert!(!access.resources.is_empty(), "no resource for {:?}", call.api);
            let mut context = Context::new();
            context.insert("acs:SourceIp", "192.0.2.1").ok();
            context.insert("acs:SecureTransport", "false").ok();
            let principal = Principal::user(ACCOUNT, "alice");
            match call.requests(&principal, &context) {
                Ok(requests) => assert_eq!(requests.len(), access.resources.len()),
                Err(ApiCallRequestError::Request(e)) => panic!(
                    "required_access accepted {:?} in {} with {:?}, but no request can be \
                     built for {:?}: {e}",
                    call.api, call.region, call.params, access.resources
                ),
                Err(ApiCallRequestError::Call(e)) => {
                    panic!("required_access succeeded, then requests() refused the call: {e}")
                }
            }
        }
        Err(err) => {
            let _ = err.to_string();
            let _ = err.body("fuzz", &call.region);
        }
    }
});

/// `a=1&b=2` as pairs, in order; `a` alone is `("a", "")`.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}
