//! A small IMM API gateway that decides every call with `ramcheck`'s
//! shared authorizer.
//!
//! It takes IMM RPC-style requests (`GET` or `POST` on `/`, the API in the
//! `Action` parameter and its parameters beside it, in the query string or a
//! form body), decides each with
//! the compiled authorizer, and answers the way Alibaba Cloud's API gateway
//! would: 403 with RAM's `NoPermission` body when any resource of the call is
//! denied, 200 with a stub of IMM's success body (`{"RequestId": ...}`) when
//! all are allowed. Nothing is forwarded upstream: this is the decision
//! point, with a stub where the service would be.
//!
//! Run it on the example store and try it:
//!
//! ```text
//! cargo run --example gateway -- --store policies
//! # --listen 127.0.0.1:8080 and --region cn-hangzhou are the defaults
//! # (the region default can also come from RAMCHECK_GATEWAY_REGION).
//!
//! # 200 {"RequestId": "..."}: alice may attach buckets to project immtest.
//! curl -s -H 'x-ramcheck-principal: user/alice' \
//!   'http://127.0.0.1:8080/?Action=AttachOSSBucket&ProjectName=immtest&OSSBucket=examplebucket'
//!
//! # 403 NoPermission, ImplicitDeny: but not to project prod.
//! curl -s -X POST -H 'x-ramcheck-principal: acs:ram::1234567890123456:user/alice' \
//!   'http://127.0.0.1:8080/?Action=AttachOSSBucket&ProjectName=prod&OSSBucket=examplebucket'
//!
//! # 403 NoPermission, ExplicitDeny: bob's NeverDelete statement.
//! curl -s -H 'x-ramcheck-principal: user/bob' \
//!   'http://127.0.0.1:8080/?Action=DeleteProject&ProjectName=media-news'
//!
//! # 200: the role, in another region (header beats the default).
//! curl -s -H 'x-ramcheck-principal: role/imm-deployer' -H 'x-ramcheck-region: cn-shanghai' \
//!   'http://127.0.0.1:8080/?Action=DeleteProject&ProjectName=immtest'
//!
//! # Edit a policy file under policies/ (or `kill -HUP <pid>`): the gateway
//! # reloads within half a second; a broken edit is logged and the last
//! # good store keeps serving.
//! ```
//!
//! The caller is named by the `x-ramcheck-principal` header: `user/<name>`,
//! `role/<name>` or an ARN `acs:ram::<account>:user/<name>` (or `:role/`).
//! The gateway trusts that header: it stands for whatever authenticated the
//! caller in front of it (the signature check of a real gateway), so only
//! run it where clients cannot set it themselves. The RPC common parameters
//! (`Version`, `AccessKeyId`, `Signature`, ...) are passed through and not
//! checked. The account is the store's; the region comes from the
//! `x-ramcheck-region` header, the `RegionId` parameter or the default.
//! What is authorized is what the service would act on: a parameter given
//! twice (in the query, the body, both, or in two spellings of its name), a
//! region header given twice, or a header and `RegionId` that disagree are
//! refused with 400 (`ramcheck::api_call::RpcRequest`). The request context holds
//! `acs:SourceIp` (the TCP peer's address; `X-Forwarded-For` is not
//! trusted), `acs:SecureTransport` = `false` (plain HTTP) and the
//! `acs:CurrentTime` every request gets.
//!
//! Answers, each with an Alibaba-style JSON body (`RequestId`, `HostId`
//! `imm.<region>.aliyuncs.com`, `Code`, `Message`) and the request id also
//! in the `x-acs-request-id` header, checked in this order:
//!
//! | status | `Code` | when |
//! |---|---|---|
//! | 400 | `MissingPrincipal` | no `x-ramcheck-principal` header (this gateway's own code, in IMM's `Missing{Name}` style) |
//! | 400 | `InvalidPrincipal` | the header is not one of the forms above, or is given twice |
//! | 400 | `MissingAction` | no `Action` parameter |
//! | 400 | `InvalidRegionId`, `Invalid{Name}` | the region header twice, or disagreeing with `RegionId`; a parameter given twice or in two spellings; a POST body that is not a form, too large (over 64 KiB) or too slow |
//! | 404 | `InvalidAction.NotFound` | an unknown API (IMM names are exact: `AttachOssBucket` is unknown), or a path other than `/`, or a method other than GET and POST |
//! | 400 | `Missing{Name}`, `Invalid{Name}`, `InvalidRegionId` | the call fails the catalogue's checks (`MissingProjectName`, ...), or a parameter is given twice (`Invalid{Name}`) |
//! | 403 | `NoPermission` | any resource of the call is denied; the body carries `AccessDeniedDetail` and the `DecodedDiagnosticMessage` fields. A principal the store does not hold, or of another account, is implicitly denied |
//! | 200 | | every resource is allowed |
//! | 500 | `InternalError` | the call passed its checks but still cannot be turned into an authorization request (a bug) |
//!
//! Reloading: on `SIGHUP`, and whenever a `*.json` file in the store
//! directory appears, disappears or changes content (a digest of every
//! file, polled every 500 ms, so an edit that keeps size and modification
//! time is seen), the store is loaded and validated afresh and swapped in;
//! a store that fails to load is reported on stderr and the previous one
//! keeps serving. Each call is decided against one store: the gateway holds
//! one `current()` guard for all the resources of a call. The revision in
//! force is in every answer's `x-ramcheck-revision` header.
//!
//! This is the in-process (embedded) form of `ramcheck serve`, and shares
//! its request mapping with it (`ramcheck::serve::mapping`: the principal
//! header, an IMM call's resources decided against one store, the request
//! ids) and its reloading (`ramcheck::serve::reload`).
//!
//! Connections are served with `ramcheck::http`'s limits: headers within
//! 10 seconds, bodies within 10 seconds and 64 KiB, at most 1,024
//! connections at once.

#![allow(clippy::result_large_err)] // StoreError carries spans; see ramcheck's lib.rs.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use clap::Parser;
use ramcheck::api_call::{ApiCallError, ApiCallRequestError, RpcRequest, no_permission_body};
use ramcheck::authorizer::SharedAuthorizer;
use ramcheck::http::Limits;
use ramcheck::request::Context;
use ramcheck::serve::mapping::{self, HeaderError, RequestIds};
use ramcheck::serve::reload::{self, StoreReloader};
use ramcheck::store::StoreError;
use serde_json::{Value, json};
use tokio::net::TcpListener;

// The headers naming the caller (`x-ramcheck-principal`), the region
// (overriding the gateway's default) and the store revision an answer was
// decided on are `ramcheck serve`'s.
use ramcheck::serve::mapping::{REGION_HEADER, REVISION_HEADER};
/// The header that repeats the body's `RequestId`, as Alibaba Cloud's does.
pub const REQUEST_ID_HEADER: &str = "x-acs-request-id";
pub const DEFAULT_REGION: &str = "cn-hangzhou";
/// How often the store directory is checked for changes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The gateway's state, shared by every connection.
pub struct Gateway {
    reloader: Arc<StoreReloader>,
    default_region: String,
    poll_interval: Option<Duration>,
    limits: Limits,
    ids: RequestIds,
}

impl Gateway {
    /// Loads and compiles the store in `store`; polls it for changes every
    /// [`POLL_INTERVAL`] once served.
    pub fn new(
        store: impl Into<PathBuf>,
        default_region: impl Into<String>,
    ) -> Result<Self, StoreError> {
        Ok(Gateway {
            reloader: Arc::new(StoreReloader::new(store, "gateway")?),
            default_region: default_region.into(),
            poll_interval: Some(POLL_INTERVAL),
            limits: Limits::default(),
            ids: RequestIds::new(),
        })
    }

    /// Sets how often the store directory is polled; `None` reloads on
    /// `SIGHUP` only.
    pub fn with_poll_interval(mut self, interval: Option<Duration>) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the connection limits (see [`ramcheck::http::Limits`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn authorizer(&self) -> &SharedAuthorizer {
        self.reloader.authorizer()
    }

    pub fn store(&self) -> &Path {
        self.reloader.dir()
    }

    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// Reloads done and failed so far (not counting the initial load).
    pub fn reload_counts(&self) -> (u64, u64) {
        self.reloader.counts()
    }

    /// Reloads the store now, logging the outcome; on failure the previous
    /// store keeps serving.
    pub fn reload(&self, reason: &str) -> Result<(), StoreError> {
        self.reloader.reload(reason)
    }

    /// A request id shaped like Alibaba Cloud's (8-4-4-4-12 upper-case
    /// hex), unique within the process.
    pub fn next_request_id(&self) -> String {
        self.ids.next_id()
    }

    /// Decides one RPC call: the status and JSON body to answer. `query`
    /// and `body` are the parameters of the query string and the form body,
    /// in order, `Action` included.
    pub fn answer(
        &self,
        request_id: &str,
        peer: IpAddr,
        headers: &HeaderMap,
        query: Vec<(String, String)>,
        body: Vec<(String, String)>,
    ) -> (StatusCode, Value) {
        let region_headers: Vec<&str> = headers
            .get_all(REGION_HEADER)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{fffd}"))
            .collect();
        // A region fit to name a host in error bodies.
        let host_region = match region_headers.as_slice() {
            [one] if looks_like_region(one) => one.to_string(),
            _ => self.default_region.clone(),
        };
        let host_region = host_region.as_str();
        let error = |status: StatusCode, code: &str, message: String| {
            (status, error_body(request_id, host_region, code, &message))
        };
        let call_error = |e: ApiCallError| {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, e.body(request_id, host_region))
        };

        // One store for the whole call.
        let authorizer = self.authorizer().current();
        // Who: the header stands for authentication, so it comes first.
        let principal = match mapping::principal_from_headers(headers, authorizer.account_id()) {
            Ok(p) => p,
            Err(e @ HeaderError::Missing(_)) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "MissingPrincipal",
                    format!(
                        "{e}: name the caller as user/<name>, role/<name> or \
                         acs:ram::<account>:user/<name>."
                    ),
                );
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, "InvalidPrincipal", e.to_string()),
        };

        // What: the API and its parameters, each given once, in one place.
        let call = RpcRequest {
            query,
            body,
            region_headers,
            default_region: &self.default_region,
            account: authorizer.account_id(),
        }
        .call();
        let call = match call {
            Ok(call) => call,
            Err(e) => return call_error(e),
        };

        let mut context = Context::new();
        let context_ok = context
            .insert("acs:SourceIp", &peer.to_canonical().to_string())
            .and_then(|()| context.insert("acs:SecureTransport", "false"));
        if let Err(e) = context_ok {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                format!("cannot build the request context: {e}"),
            );
        }

        let requests = match call.requests(&principal, &context) {
            Ok(requests) => requests,
            Err(ApiCallRequestError::Call(e)) => return call_error(e),
            // The call check has vetted every parameter, so a request that
            // still cannot be built is the gateway's fault.
            Err(ApiCallRequestError::Request(e)) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    format!("cannot build the authorization request: {e}"),
                );
            }
        };

        // Every resource must be allowed; the first denial is reported.
        let authorizations = mapping::decide_all(&authorizer, &requests);
        if let Some(i) =
            mapping::deciding(&authorizations).filter(|&i| !authorizations[i].is_allowed())
        {
            let explanation = authorizations[i].explain();
            return (
                StatusCode::FORBIDDEN,
                no_permission_body(&requests[i], &explanation, request_id, host_region),
            );
        }
        // Where a real gateway would forward the call: IMM's success body
        // for AttachOSSBucket (and the other calls that return no data).
        (StatusCode::OK, json!({ "RequestId": request_id }))
    }
}

/// The router: RPC calls on `/`, `InvalidAction.NotFound` for anything
/// else.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/", any(rpc))
        .fallback(not_found)
        .with_state(gateway)
}

/// Serves `listener` with the gateway's limits until the returned future
/// is dropped or the listener fails, reloading the store on `SIGHUP` and
/// (unless disabled) when its files change. The `SIGHUP` handler is
/// installed before the first connection is accepted.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) -> std::io::Result<()> {
    let _watch = reload::watch(&gateway.reloader, gateway.poll_interval)?;
    let limits = gateway.limits;
    ramcheck::http::serve(listener, router(gateway), limits, std::future::pending()).await
}

async fn rpc(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    if method != Method::GET && method != Method::POST {
        return not_found(State(gateway)).await;
    }
    let request_id = gateway.next_request_id();
    let bad = |message: String| {
        (
            StatusCode::BAD_REQUEST,
            error_body(
                &request_id,
                gateway.default_region(),
                "InvalidArgument",
                &message,
            ),
        )
    };
    let (status, body) = match read_params(&gateway, &headers, &uri, body).await {
        Ok((query, form)) => gateway.answer(&request_id, peer.ip(), &headers, query, form),
        Err(message) => bad(message),
    };
    respond(&gateway, &request_id, status, body)
}

/// The query string's parameters and, for a request with a body, the form
/// body's; a body that is not a form, or too large or slow, is refused.
async fn read_params(
    gateway: &Gateway,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), String> {
    let Query(query) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| format!("The query string cannot be read: {e}"))?;
    let bytes = ramcheck::http::read_body(body, &gateway.limits)
        .await
        .map_err(|e| format!("{e}."))?;
    if bytes.is_empty() {
        return Ok((query, Vec::new()));
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(
            "A request body must be a form (application/x-www-form-urlencoded).".to_string(),
        );
    }
    let body: Vec<(String, String)> = serde_urlencoded_pairs(&bytes)?;
    Ok((query, body))
}

/// Parameters of a form body, decoded as a query string is.
fn serde_urlencoded_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "The form body is not UTF-8.".to_string())?;
    let uri: Uri = format!("/?{text}")
        .parse()
        .map_err(|_| "The form body cannot be read.".to_string())?;
    Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(pairs)| pairs)
        .map_err(|e| format!("The form body cannot be read: {e}"))
}

async fn not_found(State(gateway): State<Arc<Gateway>>) -> Response {
    let request_id = gateway.next_request_id();
    let body = error_body(
        &request_id,
        gateway.default_region(),
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    );
    respond(&gateway, &request_id, StatusCode::NOT_FOUND, body)
}

fn respond(gateway: &Gateway, request_id: &str, status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if let Ok(value) = HeaderValue::from_str(gateway.authorizer().current().revision()) {
        response.headers_mut().insert(REVISION_HEADER, value);
    }
    response
}

/// Alibaba Cloud's RPC error envelope, as `ApiCallError::body` writes it.
fn error_body(request_id: &str, region: &str, code: &str, message: &str) -> Value {
    json!({
        "RequestId": request_id,
        "HostId": format!("imm.{region}.aliyuncs.com"),
        "Code": code,
        "Message": message,
    })
}

/// The shape `ApiCall` accepts for a region id.
fn looks_like_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Parser)]
#[command(about = "An IMM API gateway that authorizes every call with ramcheck")]
struct Args {
    /// The principal store directory (principals.json and its policies).
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The region of calls without an x-ramcheck-region header [default:
    /// $RAMCHECK_GATEWAY_REGION, else cn-hangzhou].
    #[arg(long)]
    region: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let region = args
        .region
        .or_else(|| std::env::var("RAMCHECK_GATEWAY_REGION").ok())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let gateway = match Gateway::new(&args.store, region) {
        Ok(gateway) => Arc::new(gateway),
        Err(e) => {
            eprintln!("gateway: cannot load the store: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("gateway: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let address = listener.local_addr().map_or(args.listen, |a| a);
    eprintln!(
        "gateway: serving store {} (account {}, default region {}) on http://{address}/",
        gateway.store().display(),
        gateway.authorizer().current().account_id(),
        gateway.default_region(),
    );
    let outcome = tokio::select! {
        served = serve(listener, Arc::clone(&gateway)) => served,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    let (reloads, failed) = gateway.reload_counts();
    eprintln!("gateway: stopped after {reloads} reloads ({failed} failed)");
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway: {e}");
            ExitCode::FAILURE
        }
    }
}
