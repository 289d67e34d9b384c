//! `ramcheck serve`: the compiled authorizer as an HTTP decision service
//! for gateways in any language (feature `serve`).
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /healthz` | 200, the store revision in force |
//! | `POST /v1/authorize` | `{"principal", "action", "resource", "context"?}` → 200 with the decision, its id, the store revision and the deciding statements |
//! | `POST /v1/authorize/api` | `{"principal", "api", "region", "account"?, "params"?, "context"?}` → an IMM call checked against the catalogue and decided for every resource it touches; a denial carries RAM's `NoPermission` body |
//! | `/v1/auth-request` | for nginx `auth_request` and the like: the request from headers; 200 allow, 403 deny, 400 malformed |
//! | `GET /metrics` | Prometheus text |
//!
//! Every client is treated as an attacker. A principal the store does not
//! hold is denied (a decision, never an error a careless client could read
//! as success); anything ambiguous or malformed is a 400 with
//! `{"error": {"code", "message"}}`: invalid JSON, a missing, unknown or
//! repeated member, a context key given twice (also in two spellings), a
//! context value of the wrong type (docs/semantics.md, "Conditions"), a
//! naming header given twice. Connections are served with
//! [`crate::http`]'s limits (header and body deadlines, a body cap, a
//! connection cap). The decision log never holds up a decision
//! ([`log`]). The store is reloaded on `SIGHUP` and when its content
//! changes, keeping the last good store when a reload fails
//! ([`reload`]); `SIGTERM` and `SIGINT` stop the service once the
//! requests in flight have been answered.
//!
//! [`mapping`] holds what the service shares with the embedded gateway
//! (`examples/gateway.rs`): headers to a principal and context, an IMM
//! call's resources decided against one store.

pub mod log;
pub mod mapping;
pub mod metrics;
pub mod reload;

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;

use crate::api_call::{self, ApiCall, ApiCallRequestError};
use crate::can_i::{Answer, typo_warnings};
use crate::eval::{self, Decision};
use crate::http::{BodyError, Limits, read_body};
use crate::json::{Node, Value as JsonValue};
use crate::principal::Principal;
use crate::request::{Context, Request, RequestError};
use crate::store::StoreError;
use log::DecisionLog;
use mapping::{
    ACTION_HEADER, DECISION_HEADER, DECISION_ID_HEADER, HeaderError, RESOURCE_HEADER,
    REVISION_HEADER, RequestIds,
};
use metrics::{Endpoint, Gauges, Metrics};
use reload::StoreReloader;

/// The address `ramcheck serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8181";

/// How often the store directory is checked for changes by default.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// Where the decision log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output (`--decision-log -`).
    Stdout,
    /// A file, appended to (created if missing).
    File(PathBuf),
}

impl LogTarget {
    /// `-` is standard output, anything else a file.
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            LogTarget::Stdout
        } else {
            LogTarget::File(arg.into())
        }
    }
}

/// How much of a request's context the decision log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogContext {
    /// Nothing.
    None,
    /// The condition keys only (the default: values such as source
    /// addresses may be personal data).
    #[default]
    Keys,
    /// Keys and values.
    Values,
}

impl LogContext {
    /// The names `--log-context` takes.
    pub const NAMES: [&'static str; 3] = ["none", "keys", "values"];

    /// Reads one of [`LogContext::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "none" => Some(LogContext::None),
            "keys" => Some(LogContext::Keys),
            "values" => Some(LogContext::Values),
            _ => None,
        }
    }
}

/// What `ramcheck serve` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The principal store directory.
    pub store: PathBuf,
    /// The address to listen on (port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// Where decisions are logged, if anywhere.
    pub decision_log: Option<LogTarget>,
    /// How much context the log records.
    pub log_context: LogContext,
    /// Connection limits.
    pub limits: Limits,
    /// How often the store's content is checked for changes; `None` reloads
    /// on `SIGHUP` only.
    pub poll_interval: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            store: PathBuf::from("./policies"),
            listen: DEFAULT_LISTEN
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8181))),
            decision_log: None,
            log_context: LogContext::default(),
            limits: Limits::default(),
            poll_interval: Some(DEFAULT_POLL),
        }
    }
}

/// Why the service could not start or stopped on an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store did not load.
    #[error("cannot load the store: {0}")]
    Store(#[from] StoreError),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {error}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The decision log cannot be opened.
    #[error("cannot open the decision log {path}: {error}")]
    Log {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The runtime, a signal handler or the server failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The decision service: a reloadable store, counters, a decision log.
pub struct Service {
    reloader: Arc<StoreReloader>,
    metrics: Metrics,
    log: Option<DecisionLog>,
    log_context: LogContext,
    ids: RequestIds,
    limits: Limits,
    poll_interval: Option<Duration>,
}

impl Service {
    /// Loads and compiles the store and opens the decision log.
    pub fn new(options: &Options) -> Result<Service, ServeError> {
        let reloader = Arc::new(StoreReloader::new(&options.store, "ramcheck")?);
        // The catalogue is read lazily: read IMM's now, not on the first call.
        let _ = crate::catalog::Catalog::builtin().service("imm");
        let log = match &options.decision_log {
            None => None,
            Some(LogTarget::Stdout) => Some(DecisionLog::new(
                Box::new(std::io::stdout()),
                log::QUEUE_LINES,
            )?),
            Some(LogTarget::File(path)) => {
                Some(DecisionLog::file(path, log::QUEUE_LINES).map_err(|error| {
                    ServeError::Log {
                        path: path.clone(),
                        error,
                    }
                })?)
            }
        };
        Ok(Service {
            reloader,
            metrics: Metrics::default(),
            log,
            log_context: options.log_context,
            ids: RequestIds::new(),
            limits: options.limits,
            poll_interval: options.poll_interval,
        })
    }

    /// The store being served.
    pub fn reloader(&self) -> &Arc<StoreReloader> {
        &self.reloader
    }

    /// The `/metrics` text.
    pub fn metrics_text(&self) -> String {
        let current = self.reloader.authorizer().current();
        self.metrics.render(&Gauges {
            reloads: self.reloader.counts(),
            revision: current.revision().to_string(),
            account: current.account_id().to_string(),
            log: self.log.as_ref().map(DecisionLog::counts),
        })
    }

    /// Writes what the decision log still holds, waiting up to `grace`.
    pub fn close_log(&self, grace: Duration) {
        if let Some(log) = &self.log {
            log.close(grace);
        }
    }

    fn record(&self, endpoint: Endpoint, decided: &Decided<'_>, latency: Duration) {
        self.metrics.decision(decided.response.decision);
        let Some(log) = &self.log else {
            return;
        };
        let request = decided.request;
        let mut line = serde_json::Map::new();
        line.insert("decision_id".into(), decided.id.into());
        let time = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        line.insert("time".into(), time.into());
        line.insert("endpoint".into(), endpoint.name().into());
        line.insert("principal".into(), request.principal().to_string().into());
        line.insert("action".into(), request.action().into());
        line.insert("resource".into(), request.resource().into());
        if let Some(api) = decided.api {
            line.insert("api".into(), api.into());
        }
        match self.log_context {
            LogContext::None => {}
            LogContext::Keys => {
                let keys: Vec<&str> = request.context().iter().map(|(k, _)| k).collect();
                line.insert("context".into(), json!(keys));
            }
            LogContext::Values => {
                let map: serde_json::Map<String, Value> = request
                    .context()
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                line.insert("context".into(), Value::Object(map));
            }
        }
        line.insert(
            "decision".into(),
            decided.response.decision.to_string().into(),
        );
        let statements: Vec<Value> = decided
            .response
            .statements
            .iter()
            .map(|s| json!({"policy": s.policy, "statement": s.statement, "sid": s.sid}))
            .collect();
        line.insert("statements".into(), statements.into());
        line.insert("revision".into(), decided.revision.into());
        line.insert(
            "latency_us".into(),
            json!((latency.as_secs_f64() * 1e7).round() / 10.0),
        );
        log.record(Value::Object(line).to_string());
    }

    /// `POST /v1/authorize` once the body is read.
    fn authorize(&self, body: &[u8]) -> Reply {
        let started = Instant::now();
        let input: AuthorizeInput = match parse_json(body) {
            Ok(input) => input,
            Err(reply) => return reply,
        };
        let context = match context_from_pairs(input.context) {
            Ok(context) => context,
            Err(reply) => return reply,
        };
        let current = self.reloader.authorizer().current();
        let principal = match Principal::parse(&input.principal, current.account_id()) {
            Ok(p) => p,
            Err(e) => return Reply::error(StatusCode::BAD_REQUEST, "InvalidPrincipal", e),
        };
        let request = match Request::new(&input.action, &input.resource, principal, context) {
            Ok(r) => r,
            Err(e) => return request_error(&e),
        };
        let (response, id) = self.decide(Endpoint::Authorize, &current, &request, started);
        let decided = Decided {
            id: &id,
            request: &request,
            response: &response,
            revision: current.revision(),
            api: None,
        };
        let mut body = decided.to_json();
        body["revision"] = current.revision().into();
        Reply::decision(StatusCode::OK, body, response.decision, id)
    }

    /// Decides one request against `current`, timing it from `started`
    /// and logging it: the shared tail of `/v1/authorize` and
    /// `/v1/auth-request`. Returns the explained response and its id.
    fn decide(
        &self,
        endpoint: Endpoint,
        current: &crate::authorizer::Snapshot,
        request: &Request,
        started: Instant,
    ) -> (eval::Response, String) {
        let response = current.authorize(request).explain();
        let id = self.ids.next_id();
        let decided = Decided {
            id: &id,
            request,
            response: &response,
            revision: current.revision(),
            api: None,
        };
        let latency = started.elapsed();
        self.metrics.latency(endpoint, latency);
        self.record(endpoint, &decided, latency);
        (response, id)
    }

    /// `POST /v1/authorize/api` once the body is read.
    fn authorize_api(&self, body: &[u8]) -> Reply {
        let started = Instant::now();
        let input: ApiInput = match parse_json(body) {
            Ok(input) => input,
            Err(reply) => return reply,
        };
        let context = match context_from_pairs(input.context) {
            Ok(context) => context,
            Err(reply) => return reply,
        };
        let mut pairs = Vec::with_capacity(input.params.0.len());
        for (name, value) in input.params.0 {
            match scalar(&value) {
                Some(text) => pairs.push((name, text)),
                None => {
                    return Reply::error(
                        StatusCode::BAD_REQUEST,
                        &format!("Invalid{name}"),
                        format!("the parameter {name} must be a string, number or boolean"),
                    );
                }
            }
        }
        let params = match api_call::collect_params(pairs) {
            Ok(params) => params,
            Err(e) => return call_error(&e),
        };
        // One store for the whole call.
        let current = self.reloader.authorizer().current();
        let call = ApiCall {
            api: input.api,
            region: input.region,
            account: input
                .account
                .unwrap_or_else(|| current.account_id().to_string()),
            params,
        };
        let principal = match Principal::parse(&input.principal, current.account_id()) {
            Ok(p) => p,
            Err(e) => return Reply::error(StatusCode::BAD_REQUEST, "InvalidPrincipal", e),
        };
        let requests = match call.requests(&principal, &context) {
            Ok(requests) => requests,
            Err(ApiCallRequestError::Call(e)) => return call_error(&e),
            // The call check has vetted every parameter, so a request that
            // still cannot be built is ours to fix.
            Err(ApiCallRequestError::Request(e)) => {
                return Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e);
            }
        };
        let authorizations = mapping::decide_all(&current, &requests);
        let responses: Vec<eval::Response> = authorizations.iter().map(|a| a.explain()).collect();
        let Some(deciding) = mapping::deciding(&authorizations) else {
            return Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "the call needs no resource to authorize",
            );
        };
        let ids: Vec<String> = requests.iter().map(|_| self.ids.next_id()).collect();
        let latency = started.elapsed();
        self.metrics.latency(Endpoint::AuthorizeApi, latency);
        let mut resources = Vec::with_capacity(requests.len());
        for ((request, response), id) in requests.iter().zip(&responses).zip(&ids) {
            let decided = Decided {
                id,
                request,
                response,
                revision: current.revision(),
                api: Some(&call.api),
            };
            self.record(Endpoint::AuthorizeApi, &decided, latency);
            resources.push(decided.to_json());
        }
        let (request, response, id) = (&requests[deciding], &responses[deciding], &ids[deciding]);
        let mut body = Answer {
            request: request.clone(),
            response: response.clone(),
            api: Some(call.clone()),
            // As `can-i --api`: the catalogue vetted the call.
            warnings: Vec::new(),
        }
        .to_json();
        body["decision_id"] = id.as_str().into();
        body["revision"] = current.revision().into();
        if !response.decision.is_allowed() {
            body["no_permission"] =
                api_call::no_permission_body(request, response, id, &call.region);
        }
        body["resources"] = resources.into();
        Reply::decision(StatusCode::OK, body, response.decision, id.clone())
    }

    /// `/v1/auth-request`: the request from headers.
    fn auth_request(&self, headers: &HeaderMap) -> Reply {
        let started = Instant::now();
        let current = self.reloader.authorizer().current();
        let header_error = |e: HeaderError| Reply::error(StatusCode::BAD_REQUEST, e.code(), e);
        let read = || -> Result<Request, Reply> {
            let principal = mapping::principal_from_headers(headers, current.account_id())
                .map_err(header_error)?;
            let action = mapping::required_header(headers, ACTION_HEADER).map_err(header_error)?;
            let resource =
                mapping::required_header(headers, RESOURCE_HEADER).map_err(header_error)?;
            let mut context = mapping::context_from_headers(headers).map_err(header_error)?;
            if let Some(json) = context_from_json_header(headers)? {
                merge_context(&mut context, &json)?;
            }
            Request::new(action, resource, principal, context)
                .map_err(|e| header_error(HeaderError::Request(e)))
        };
        let request = match read() {
            Ok(request) => request,
            Err(reply) => return reply,
        };
        let (response, id) = self.decide(Endpoint::AuthRequest, &current, &request, started);
        let status = if response.decision.is_allowed() {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        let body = json!({
            "decision": response.decision,
            "allowed": response.decision.is_allowed(),
            "decision_id": id,
            "revision": current.revision(),
        });
        Reply::decision(status, body, response.decision, id)
    }
}

/// One decision, as answered and logged.
struct Decided<'a> {
    id: &'a str,
    request: &'a Request,
    response: &'a eval::Response,
    revision: &'a str,
    api: Option<&'a str>,
}

impl Decided<'_> {
    /// `can-i --format json`'s object, with the decision id.
    fn to_json(&self) -> Value {
        let mut body = Answer {
            request: self.request.clone(),
            response: self.response.clone(),
            api: None,
            // As `can-i`: what looks like a typo (an action or context key
            // no service defines) is named; for an API call the catalogue
            // has vetted it already.
            warnings: if self.api.is_none() {
                typo_warnings(self.request)
            } else {
                Vec::new()
            },
        }
        .to_json();
        body["decision_id"] = self.id.into();
        body
    }
}

/// A JSON object's members in order, repeated names kept so that they can
/// be refused. Each value is read from its exact text by ramcheck's own
/// JSON reader, as `can-i --batch` reads it: a number keeps the digits
/// written. Read as a `serde_json::Value`, `0.30000000000000000001` became
/// the binary float `0.3`, and a Deny on `NumericGreaterThan 0.3` let the
/// request through (docs/semantics.md: the values compared are the
/// values sent).
#[derive(Debug, Default)]
struct Members(Vec<(String, Node)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                use serde::de::Error;
                let mut members = Vec::new();
                while let Some((name, raw)) =
                    map.next_entry::<String, Box<serde_json::value::RawValue>>()?
                {
                    let node = crate::json::parse(raw.get()).map_err(A::Error::custom)?;
                    members.push((name, node));
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeInput {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: Members,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiInput {
    principal: String,
    api: String,
    region: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    params: Members,
    #[serde(default)]
    context: Members,
}

/// A response to send, with what the counters need.
struct Reply {
    status: StatusCode,
    body: Value,
    decision: Option<(Decision, String)>,
}

impl Reply {
    fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Reply {
        Reply {
            status,
            body: json!({"error": {"code": code, "message": message.to_string()}}),
            decision: None,
        }
    }

    fn decision(status: StatusCode, body: Value, decision: Decision, id: String) -> Reply {
        Reply {
            status,
            body,
            decision: Some((decision, id)),
        }
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_data() {
            "InvalidRequest"
        } else {
            "MalformedJson"
        };
        Reply::error(StatusCode::BAD_REQUEST, code, e)
    })
}

fn request_error(e: &RequestError) -> Reply {
    Reply::error(StatusCode::BAD_REQUEST, mapping::request_error_code(e), e)
}

/// An IMM call refused before authorization: 400 with IMM's code (and the
/// status IMM itself would answer, 404 for an unknown API).
fn call_error(e: &api_call::ApiCallError) -> Reply {
    let mut reply = Reply::error(StatusCode::BAD_REQUEST, &e.code(), e);
    reply.body["error"]["imm_status"] = e.http_status().into();
    reply
}

/// The context of [`mapping::CONTEXT_JSON_HEADER`], given at most once: a
/// JSON object read as `/v1/authorize` reads its `context`.
fn context_from_json_header(headers: &HeaderMap) -> Result<Option<Context>, Reply> {
    let bad = |e: &dyn std::fmt::Display| {
        Reply::error(StatusCode::BAD_REQUEST, "InvalidContext", e.to_string())
    };
    let text = match mapping::single_header(headers, mapping::CONTEXT_JSON_HEADER) {
        Ok(None) => return Ok(None),
        Ok(Some(text)) => text,
        Err(e) => return Err(Reply::error(StatusCode::BAD_REQUEST, e.code(), e)),
    };
    let members: Members = serde_json::from_str(text).map_err(|e| {
        bad(&format!(
            "the {} header must be a JSON object: {e}",
            mapping::CONTEXT_JSON_HEADER
        ))
    })?;
    context_from_pairs(members).map(Some)
}

/// Adds the keys of `extra` to `context`. A key given both by its own
/// header and in the JSON header is refused: which one would be meant?
fn merge_context(context: &mut Context, extra: &Context) -> Result<(), Reply> {
    let bad = |message: String| Reply::error(StatusCode::BAD_REQUEST, "InvalidContext", message);
    for (key, values) in extra.iter() {
        if !context.get(key).is_empty() {
            return Err(bad(format!(
                "the context key {key:?} is given twice: by its own header and in {}",
                mapping::CONTEXT_JSON_HEADER
            )));
        }
        for v in values {
            context
                .insert(key, v.as_str())
                .map_err(|e| bad(e.to_string()))?;
        }
    }
    Ok(())
}

/// A JSON scalar as the text a context value or parameter takes: strings
/// as they are, numbers exactly as written, booleans as `true`/`false`.
fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        JsonValue::String(s) => Some(s.clone()),
        JsonValue::Bool(b) => Some(b.to_string()),
        JsonValue::Number(n) => Some(n.clone()),
        _ => None,
    }
}

/// The request context from a JSON object: each key once (condition keys
/// are case-insensitive, so two spellings of one key are one key given
/// twice), each value a scalar or a non-empty array of scalars, typed as
/// the key requires.
fn context_from_pairs(members: Members) -> Result<Context, Reply> {
    let bad = |message: String| Reply::error(StatusCode::BAD_REQUEST, "InvalidContext", message);
    let mut context = Context::new();
    let mut seen: Vec<String> = Vec::with_capacity(members.0.len());
    for (key, value) in members.0 {
        if !key.contains(':') || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(format!(
                "the context key {key:?} is not a condition key such as acs:SourceIp"
            )));
        }
        if let Some(first) = seen.iter().find(|k| k.eq_ignore_ascii_case(&key)) {
            return Err(bad(format!(
                "the context key {key:?} is given twice (as {first:?}); condition keys are case-insensitive"
            )));
        }
        let values: Vec<String> = match &value.value {
            JsonValue::Array(items) if !items.is_empty() => {
                match items.iter().map(scalar).collect::<Option<Vec<_>>>() {
                    Some(values) => values,
                    None => {
                        return Err(bad(format!(
                            "the values of {key:?} must be strings, numbers or booleans"
                        )));
                    }
                }
            }
            _ => match scalar(&value) {
                Some(v) => vec![v],
                None => {
                    return Err(bad(format!(
                        "the value of {key:?} must be a string, number or boolean, or a non-empty array of them"
                    )));
                }
            },
        };
        for v in &values {
            context
                .insert(&key, v)
                .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, "InvalidContext", e))?;
        }
        seen.push(key);
    }
    Ok(context)
}

/// The router of the service's endpoints.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_endpoint))
        .route("/v1/authorize", post(authorize))
        .route("/v1/authorize/api", post(authorize_api))
        .route("/v1/auth-request", any(auth_request))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(service)
}

/// What `SIGHUP` does besides reloading the store: reopen the decision
/// log's file, for log rotation.
fn hangup(service: &Arc<Service>) -> impl Fn() + Send + Sync + 'static {
    let service = Arc::clone(service);
    move || {
        if let Some(log) = &service.log {
            log.reopen();
        }
    }
}

/// Serves `service` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish ([`crate::http::serve`]); reloads the store
/// meanwhile (on `SIGHUP` and, unless disabled, when its content changes).
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let _watch =
        reload::watch_with_hangup(&service.reloader, service.poll_interval, hangup(&service))?;
    let limits = service.limits;
    crate::http::serve(listener, router(service), limits, shutdown).await
}

/// Runs `ramcheck serve`: loads the store, listens, and serves until
/// `SIGTERM` or `SIGINT`, on a runtime of its own. The address served is
/// printed on stderr (`ramcheck: serving ... on http://ADDR`).
pub fn run(options: &Options) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let service = Arc::new(Service::new(options)?);
    let outcome = runtime.block_on(async {
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|error| ServeError::Listen {
                    addr: options.listen,
                    error,
                })?;
        // Every signal handler is in place before the address is printed:
        // a SIGHUP sent as soon as the service is up reloads, never kills.
        let shutdown = stop_signal()?;
        let _watch =
            reload::watch_with_hangup(&service.reloader, service.poll_interval, hangup(&service))?;
        let address = listener.local_addr()?;
        let current = service.reloader.authorizer().current();
        eprintln!(
            "ramcheck: serving store {} (revision {}, account {}) on http://{address}",
            crate::terminal::escape(&options.store.display().to_string()),
            current.revision(),
            current.account_id(),
        );
        drop(current);
        let limits = service.limits;
        crate::http::serve(listener, router(Arc::clone(&service)), limits, shutdown).await?;
        Ok::<(), ServeError>(())
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    service.close_log(Duration::from_secs(5));
    let (allow, implicit, explicit) = service.metrics.decisions();
    let (ok, failed) = service.reloader.counts();
    eprintln!(
        "ramcheck: stopped after {} decisions ({allow} allowed, {implicit} implicitly and {explicit} explicitly denied) and {ok} reloads ({failed} failed)",
        allow + implicit + explicit
    );
    outcome
}

/// Completes on `SIGTERM` or `SIGINT`; the handlers are installed before it
/// returns.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        #[cfg(not(unix))]
        let name = {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        };
        eprintln!("ramcheck: {name}: finishing the requests in flight");
    })
}

/// Sends `reply` with the revision and decision headers, and counts it.
fn respond(service: &Service, endpoint: Endpoint, reply: Reply) -> Response {
    service.metrics.response(endpoint, reply.status.as_u16());
    let mut response = (reply.status, axum::Json(reply.body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(service.reloader.authorizer().current().revision()) {
        headers.insert(REVISION_HEADER, value);
    }
    if let Some((decision, id)) = reply.decision {
        if let Ok(value) = HeaderValue::from_str(&decision.to_string()) {
            headers.insert(DECISION_HEADER, value);
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(DECISION_ID_HEADER, value);
        }
    }
    response
}

/// Runs a handler's synchronous core; a panic (a bug) becomes a 500
/// rather than a dropped connection.
fn guarded(f: impl FnOnce() -> Reply) -> Reply {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "the request could not be decided",
        )
    })
}

/// The JSON body of a decision request, read within the limits.
async fn json_body(service: &Service, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Reply> {
    let content_type = mapping::single_header(headers, header::CONTENT_TYPE.as_str())
        .map_err(|e| Reply::error(StatusCode::BAD_REQUEST, e.code(), e))?;
    let json = content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    match read_body(body, &service.limits).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(e @ BodyError::TooLarge(_)) => Err(Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BodyTooLarge",
            e,
        )),
        Err(e @ BodyError::TooSlow(_)) => {
            Err(Reply::error(StatusCode::REQUEST_TIMEOUT, "BodyTimeout", e))
        }
        Err(e @ BodyError::Broken(_)) => Err(Reply::error(StatusCode::BAD_REQUEST, "BadBody", e)),
    }
}

async fn healthz(State(service): State<Arc<Service>>) -> Response {
    service.metrics.response(Endpoint::Other, 200);
    let revision = service
        .reloader
        .authorizer()
        .current()
        .revision()
        .to_string();
    let mut response = (StatusCode::OK, format!("{revision}\n")).into_response();
    if let Ok(value) = HeaderValue::from_str(&revision) {
        response.headers_mut().insert(REVISION_HEADER, value);
    }
    response
}

async fn metrics_endpoint(State(service): State<Arc<Service>>) -> Response {
    service.metrics.response(Endpoint::Other, 200);
    let mut response = (StatusCode::OK, service.metrics_text()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn authorize(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let reply = match json_body(&service, &headers, body).await {
        Ok(bytes) => guarded(|| service.authorize(&bytes)),
        Err(reply) => reply,
    };
    respond(&service, Endpoint::Authorize, reply)
}

async fn authorize_api(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let reply = match json_body(&service, &headers, body).await {
        Ok(bytes) => guarded(|| service.authorize_api(&bytes)),
        Err(reply) => reply,
    };
    respond(&service, Endpoint::AuthorizeApi, reply)
}

/// Any method: nginx's `auth_request` asks with the method of the request
/// it checks. The body, if any, is not read.
async fn auth_request(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let reply = guarded(|| service.auth_request(&headers));
    respond(&service, Endpoint::AuthRequest, reply)
}

async fn not_found(State(service): State<Arc<Service>>, uri: Uri) -> Response {
    let reply = Reply::error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!(
            "no endpoint {:?}: try /v1/authorize, /v1/authorize/api, /v1/auth-request, /healthz or /metrics",
            uri.path()
        ),
    );
    respond(&service, Endpoint::Other, reply)
}

async fn method_not_allowed(
    State(service): State<Arc<Service>>,
    method: Method,
    uri: Uri,
) -> Response {
    let allow = match uri.path() {
        "/v1/authorize" | "/v1/authorize/api" => "POST",
        _ => "GET, HEAD",
    };
    let reply = Reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("{} takes {allow}, not {method}", uri.path()),
    );
    let mut response = respond(&service, Endpoint::Other, reply);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(json: &str) -> Result<Context, u16> {
        let members: Members = serde_json::from_str(json).unwrap();
        context_from_pairs(members).map_err(|r| r.status.as_u16())
    }

    #[test]
    fn context_members_are_strict() {
        let c =
            context(r#"{"acs:SourceIp": ["192.0.2.10"], "acs:SecureTransport": true}"#).unwrap();
        assert_eq!(c.get("acs:SourceIp")[0].as_str(), "192.0.2.10");
        assert_eq!(c.get("acs:SecureTransport")[0].as_str(), "true");
        for bad in [
            r#"{"acs:SourceIp": "not-an-ip"}"#,
            r#"{"acs:SourceIp": "192.0.2.10", "ACS:SOURCEIP": "192.0.2.11"}"#,
            r#"{"acs:SourceIp": "192.0.2.10", "acs:SourceIp": "192.0.2.10"}"#,
            r#"{"acs:TagKeys": []}"#,
            r#"{"acs:TagKeys": [["a"]]}"#,
            r#"{"acs:TagKeys": null}"#,
            r#"{"acs:TagKeys": {"a": "b"}}"#,
            r#"{"SourceIp": "192.0.2.10"}"#,
            r#"{"acs:SourceIp": ["192.0.2.10", "192.0.2.11"]}"#,
        ] {
            assert_eq!(context(bad).unwrap_err(), 400, "{bad}");
        }
    }
}
