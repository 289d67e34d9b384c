//! From an HTTP request to the requests the authorizer decides: the
//! mapping `ramcheck serve` and the embedded gateway (`examples/gateway.rs`)
//! share, so that both read a caller, a context and an IMM call the same
//! way.
//!
//! Everything here refuses rather than guesses: a header that names the
//! principal, action or resource given twice is an error (never "first
//! wins", which a proxy that appends headers would turn into a bypass), and
//! a context value of the wrong type is an error (docs/semantics.md,
//! "Conditions"), not a decision.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

use crate::authorizer::{Authorization, Authorizer};
use crate::principal::Principal;
use crate::request::{Context, Request, RequestError};
use crate::values::common_key_name;

/// The header naming the caller: `user/<name>`, `role/<name>`,
/// `assumed-role/<role>/<session>`, `service/<name>` or an ARN
/// (docs/semantics.md, "Principals").
pub const PRINCIPAL_HEADER: &str = "x-ramcheck-principal";
/// The header naming the RAM action (`/v1/auth-request`).
pub const ACTION_HEADER: &str = "x-ramcheck-action";
/// The header naming the resource ARN (`/v1/auth-request`).
pub const RESOURCE_HEADER: &str = "x-ramcheck-resource";
/// The header carrying a whole request context as a JSON object, for keys
/// a header name cannot spell (`acs:ResourceTag/env`) and multi-valued
/// keys: `x-ramcheck-context: {"acs:TagKeys": ["env", "team"]}`.
pub const CONTEXT_JSON_HEADER: &str = "x-ramcheck-context";

/// The prefix of the context headers (`/v1/auth-request`):
/// `x-ramcheck-context-acs-sourceip: 192.0.2.10` is the condition key
/// `acs:SourceIp` (see [`context_from_headers`]).
pub const CONTEXT_HEADER_PREFIX: &str = "x-ramcheck-context-";
/// The header naming the region of an RPC call (the gateway).
pub const REGION_HEADER: &str = "x-ramcheck-region";
/// The header naming the store revision an answer was decided on.
pub const REVISION_HEADER: &str = "x-ramcheck-revision";
/// The header carrying a decision (`Allow`, `ImplicitDeny`,
/// `ExplicitDeny`).
pub const DECISION_HEADER: &str = "x-ramcheck-decision";
/// The header carrying the decision id, as in the decision log.
pub const DECISION_ID_HEADER: &str = "x-ramcheck-decision-id";

/// Why the headers of a request do not name one request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A required header is absent.
    #[error("the {0} header is mandatory")]
    Missing(String),
    /// A header that must be given once is given more than once.
    #[error("the {0} header must be given once")]
    Repeated(String),
    /// A header's value is not visible ASCII text.
    #[error("the {0} header is not text")]
    NotText(String),
    /// A context header names no condition key.
    #[error(
        "the header {0} names no condition key: expected {CONTEXT_HEADER_PREFIX}<service>-<key>, e.g. {CONTEXT_HEADER_PREFIX}acs-sourceip"
    )]
    BadContextName(String),
    /// The principal header does not name a principal.
    #[error("the {PRINCIPAL_HEADER} header: {0}")]
    Principal(crate::principal::PrincipalError),
    /// The action, resource or a context value is not valid.
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl HeaderError {
    /// A stable code for error bodies, e.g. `RepeatedHeader`.
    pub fn code(&self) -> &'static str {
        match self {
            HeaderError::Missing(_) => "MissingHeader",
            HeaderError::Repeated(_) => "RepeatedHeader",
            HeaderError::NotText(_) => "InvalidHeader",
            HeaderError::BadContextName(_) => "InvalidContext",
            HeaderError::Principal(_) => "InvalidPrincipal",
            HeaderError::Request(e) => request_error_code(e),
        }
    }
}

/// A stable code for a request that cannot be built, e.g. `InvalidAction`.
pub fn request_error_code(error: &RequestError) -> &'static str {
    match error {
        RequestError::InvalidAction { .. } => "InvalidAction",
        RequestError::InvalidResource { .. } => "InvalidResource",
        RequestError::InvalidContextValue { .. }
        | RequestError::MultipleValues { .. }
        | RequestError::MalformedContextEntry { .. } => "InvalidContext",
        RequestError::InvalidPrincipal(_) => "InvalidPrincipal",
        RequestError::ContradictsPrincipal { .. } => "ContextContradictsPrincipal",
    }
}

/// The value of a header that may be given at most once; `None` when it is
/// absent.
pub fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, HeaderError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(HeaderError::Repeated(name.to_string())),
        (Some(value), None) => value
            .to_str()
            .map(|v| Some(v.trim()))
            .map_err(|_| HeaderError::NotText(name.to_string())),
    }
}

/// The value of a header that must be given exactly once.
pub fn required_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, HeaderError> {
    single_header(headers, name)?.ok_or_else(|| HeaderError::Missing(name.to_string()))
}

/// The caller named by [`PRINCIPAL_HEADER`], given exactly once. Forms
/// without an account (`user/alice`) are in `account`, the store's.
pub fn principal_from_headers(
    headers: &HeaderMap,
    account: &str,
) -> Result<Principal, HeaderError> {
    let spec = required_header(headers, PRINCIPAL_HEADER)?;
    Principal::parse(spec, account).map_err(HeaderError::Principal)
}

/// The request context named by the headers under
/// [`CONTEXT_HEADER_PREFIX`]: `x-ramcheck-context-<service>-<key>: VALUE`
/// is the condition key `<service>:<key>` (header names are
/// case-insensitive, as condition keys are; the first `-` after the prefix
/// stands for the `:`) with one value. Each such header may be given once;
/// values are checked as the key's type requires.
pub fn context_from_headers(headers: &HeaderMap) -> Result<Context, HeaderError> {
    let mut context = Context::new();
    let mut seen: Vec<&str> = Vec::new();
    for name in headers.keys() {
        let name = name.as_str();
        let Some(rest) = name.strip_prefix(CONTEXT_HEADER_PREFIX) else {
            continue;
        };
        // HeaderMap::keys yields each name once.
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let key = match rest.split_once('-') {
            Some((service, key)) if !service.is_empty() && !key.is_empty() => {
                let key = format!("{service}:{key}");
                common_key_name(&key).unwrap_or(key)
            }
            _ => return Err(HeaderError::BadContextName(name.to_string())),
        };
        let value = required_header(headers, name)?;
        context.insert(&key, value)?;
    }
    Ok(context)
}

/// Decides every request of a call against one store: all must be
/// allowed. The authorizations are in the order of `requests`.
pub fn decide_all<'a>(
    authorizer: &'a Authorizer,
    requests: &'a [Request],
) -> Vec<Authorization<'a>> {
    requests.iter().map(|r| authorizer.authorize(r)).collect()
}

/// Which authorization decides a call: the first that is not allowed,
/// else the last (as `ramcheck can-i --api` reports it); `None` when there
/// is none.
pub fn deciding(authorizations: &[Authorization<'_>]) -> Option<usize> {
    authorizations
        .iter()
        .position(|a| !a.is_allowed())
        .or(authorizations.len().checked_sub(1))
}

/// Ids for requests and decisions, shaped like Alibaba Cloud's request ids
/// (8-4-4-4-12 upper-case hex) and unique within the process: a bijective
/// mix of a per-process seed and a counter.
#[derive(Debug)]
pub struct RequestIds {
    seed: u64,
    count: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestIds {
    /// Ids seeded from the time and the process id.
    pub fn new() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        RequestIds {
            seed: splitmix64(now ^ (u64::from(std::process::id()) << 32)),
            count: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> String {
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        let hi = splitmix64(self.seed.wrapping_add(n.wrapping_mul(2)));
        let lo = splitmix64(self.seed.wrapping_add(n.wrapping_mul(2) + 1));
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn a_header_given_twice_is_refused() {
        let h = headers(&[
            (PRINCIPAL_HEADER, "user/alice"),
            (PRINCIPAL_HEADER, "user/bob"),
        ]);
        assert_eq!(
            principal_from_headers(&h, "1").unwrap_err().code(),
            "RepeatedHeader"
        );
        let h = headers(&[]);
        assert_eq!(
            principal_from_headers(&h, "1").unwrap_err().code(),
            "MissingHeader"
        );
        let h = headers(&[(PRINCIPAL_HEADER, "user/alice, user/bob")]);
        assert_eq!(
            principal_from_headers(&h, "1").unwrap_err().code(),
            "InvalidPrincipal"
        );
        let h = headers(&[(PRINCIPAL_HEADER, " user/alice ")]);
        assert_eq!(
            principal_from_headers(&h, "1").unwrap(),
            Principal::user("1", "alice")
        );
    }

    #[test]
    fn context_headers_name_condition_keys() {
        let h = headers(&[
            ("x-ramcheck-context-acs-sourceip", "192.0.2.10"),
            ("X-Ramcheck-Context-Acs-SecureTransport", "true"),
            ("x-ramcheck-context-imm-some-key", "v"),
            ("x-other", "ignored"),
        ]);
        let context = context_from_headers(&h).unwrap();
        let keys: Vec<&str> = context.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["acs:SecureTransport", "acs:SourceIp", "imm:some-key"]
        );
        assert_eq!(context.get("acs:SourceIp")[0].as_str(), "192.0.2.10");

        let bad = |pairs: &[(&'static str, &str)]| {
            context_from_headers(&headers(pairs)).unwrap_err().code()
        };
        assert_eq!(
            bad(&[("x-ramcheck-context-acs-sourceip", "nope")]),
            "InvalidContext"
        );
        assert_eq!(
            bad(&[
                ("x-ramcheck-context-acs-sourceip", "192.0.2.10"),
                ("x-ramcheck-context-acs-sourceip", "192.0.2.11")
            ]),
            "RepeatedHeader"
        );
        assert_eq!(bad(&[("x-ramcheck-context-acs", "x")]), "InvalidContext");
        assert_eq!(bad(&[("x-ramcheck-context--x", "x")]), "InvalidContext");
    }

    #[test]
    fn request_ids_are_unique_and_shaped() {
        let ids = RequestIds::new();
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }
}
