//! `ramcheck can-i`: gather the policies that bear on one request, decide,
//! and render the answer. The CLI only parses arguments and maps the
//! result to an exit status.
//!
//! [`Asker`] loads what the flags name (the store, the policy files) once;
//! [`answer`] asks it one question, [`batch`] asks it one per line of a
//! file.

pub mod batch;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use crate::api_call::{self, ApiCall, ApiCallError};
use crate::catalog::Catalog;
use crate::eval::{self, PolicySet, Response};
use crate::policy::{PolicyError, PolicyErrorKind, PolicyKind, PolicyRef};
use crate::principal::Principal;
use crate::request::{Context, Request, RequestError};
use crate::store::{PolicySource, Store, StoreError};
use crate::suggest::{did_you_mean, hint};
use crate::terminal::escape;
use crate::values::COMMON_KEYS;

/// The environment variable naming the default principal store.
pub const STORE_ENV: &str = "RAMCHECK_STORE";

/// The store used when neither `--store` nor [`STORE_ENV`] names one.
pub const DEFAULT_STORE: &str = "./policies";

/// How the store directory was chosen, for the message when it is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StoreOrigin {
    /// Neither `--store` nor [`STORE_ENV`]: [`DEFAULT_STORE`].
    #[default]
    Default,
    /// [`STORE_ENV`].
    Env,
    /// `--store`.
    Flag,
}

impl std::fmt::Display for StoreOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreOrigin::Default => "the default",
            StoreOrigin::Env => "from RAMCHECK_STORE",
            StoreOrigin::Flag => "from --store",
        })
    }
}

/// The principal store's directory: `--store` when given, else
/// `$RAMCHECK_STORE` when set and not empty, else [`DEFAULT_STORE`].
pub fn store_location(flag: Option<PathBuf>) -> (PathBuf, StoreOrigin) {
    store_location_with(flag, std::env::var_os(STORE_ENV))
}

/// [`store_location`] with the environment variable's value given.
pub fn store_location_with(
    flag: Option<PathBuf>,
    env: Option<std::ffi::OsString>,
) -> (PathBuf, StoreOrigin) {
    match (flag, env) {
        (Some(dir), _) => (dir, StoreOrigin::Flag),
        (None, Some(dir)) if !dir.is_empty() => (PathBuf::from(dir), StoreOrigin::Env),
        _ => (PathBuf::from(DEFAULT_STORE), StoreOrigin::Default),
    }
}

/// A `can-i` question as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The action, `<ram-code>:<action-name>`, e.g. `imm:AttachOSSBucket`; unused
    /// with `api`.
    pub action: String,
    /// The resource ARN, or `*`; unused with `api`.
    pub resource: String,
    /// `user/<name>`, `role/<name>` or an ARN; reads the store when set.
    pub principal: Option<String>,
    /// The principal store's directory ([`store_location`]), read only when
    /// `principal` is set.
    pub store: PathBuf,
    /// How `store` was chosen.
    pub store_origin: StoreOrigin,
    /// Identity policies: added to the principal's, or its only ones.
    pub policies: Vec<PathBuf>,
    /// `--session-policy`: makes the principal a role session created with this
    /// policy.
    pub session_policy: Option<PathBuf>,
    /// `--control-policy`: Resource Directory control policies.
    pub control_policies: Vec<PathBuf>,
    /// `--resource-policy`: the resource's policy, e.g. a role's trust policy for
    /// `sts:AssumeRole`. Without it, `sts:AssumeRole` on a store role uses that
    /// role's trust policy.
    pub resource_policy: Option<PathBuf>,
    /// `KEY=VALUE` entries; a repeated key gives a multi-valued key.
    pub context: Vec<String>,
    /// `--session-name`: asks as a session of the role `principal` names.
    pub session_name: Option<String>,
    /// An IMM API call to check instead of `action` and `resource`.
    pub api: Option<ApiQuery>,
}

/// `--api NAME --param K=V… --region R --account A`.
#[derive(Debug, Clone, Default)]
pub struct ApiQuery {
    /// The API's name, e.g. `AttachOSSBucket`.
    pub api: String,
    /// `NAME=VALUE` entries.
    pub params: Vec<String>,
    /// The region of the call, e.g. `cn-hangzhou`.
    pub region: String,
    /// Defaults to the store's account when `--as` is given.
    pub account: Option<String>,
}

/// Why a question cannot be answered. Never a decision.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The store or a policy file cannot be loaded, or the principal is not in
    /// the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store directory has no `principals.json`.
    #[error(
        "no principal store at {} ({origin}: it has no principals.json); --as reads the store named by --store, else by ${STORE_ENV}, else {DEFAULT_STORE}",
        .dir.display()
    )]
    StoreNotFound {
        /// The directory looked in.
        dir: PathBuf,
        /// How it was chosen.
        origin: StoreOrigin,
    },
    /// The action, the resource or a context entry is invalid.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The API call is refused before authorization, e.g. an unknown API or a
    /// missing parameter.
    #[error(transparent)]
    ApiCall(#[from] ApiCallError),
    /// The API call cannot become requests: the call or the context is invalid.
    #[error(transparent)]
    ApiCallRequest(#[from] api_call::ApiCallRequestError),
    /// An error met before, by an earlier question of the same [`Asker`]
    /// (a store that does not load fails every question that needs it).
    #[error(transparent)]
    Again(std::sync::Arc<QueryError>),
    /// The question is incomplete or malformed, e.g. a `--param` without `=`, or
    /// `--api` with no account to use.
    #[error("{0}")]
    Usage(String),
}

/// The request as evaluated and the evaluator's response.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The request evaluated; for an API call, the first one not allowed, or the
    /// last.
    pub request: Request,
    /// The evaluator's decision and its explanation.
    pub response: Response,
    /// Set when the question was an API call.
    pub api: Option<ApiCall>,
    /// What in the question looks like a typo (see [`typo_warnings`]).
    pub warnings: Vec<Warning>,
}

/// Something in a question that the catalogue says is probably not what
/// was meant. The answer is still given: a `no` to `imm:GetProjct` is
/// right, but the user asked the wrong question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// What kind of slip: `unknown-service`, `unknown-action`,
    /// `unknown-context-key` or `resource-type`.
    pub kind: &'static str,
    /// The warning, with the did-you-mean when there is one.
    pub message: String,
}

/// The typos the catalogue can see in a question: a service nobody
/// documents, an action its service's table does not list, a context key
/// no service defines, a resource that fits none of the action's resource
/// types. Only stated facts count: an action missing from a partial table
/// is reported only with a close match, and inferred rows say nothing about
/// resources.
pub fn typo_warnings(request: &Request) -> Vec<Warning> {
    let catalog = Catalog::builtin();
    let mut warnings = Vec::new();
    let mut warn = |kind, message: String| warnings.push(Warning { kind, message });
    let action = request.action();
    if let Some((code, name)) = action.split_once(':')
        && !action.contains(['*', '?'])
    {
        match (catalog.code(code), catalog.service(code)) {
            (None, _) => warn(
                "unknown-service",
                format!(
                    "no RAM code `{code}` is documented{}",
                    hint(catalog.suggest_code(code))
                ),
            ),
            (Some(_), Some(service)) => match service.action(name) {
                None => {
                    let meant = service.suggest_action(name).map(|a| a.action.as_str());
                    if service.actions_complete || meant.is_some() {
                        warn(
                            "unknown-action",
                            format!(
                                "{} lists no action `{action}`{}",
                                service.product,
                                hint(meant)
                            ),
                        );
                    }
                }
                Some(info) if info.confirmed => {
                    let resource = request.resource();
                    if !info.resources.iter().any(|r| r.template().fits(resource)) {
                        let wanted: Vec<&str> = info
                            .resources
                            .iter()
                            .map(|r| r.arn_template.as_str())
                            .collect();
                        warn(
                            "resource-type",
                            format!(
                                "RAM checks `{}` on {}, which `{resource}` does not fit",
                                info.action,
                                wanted.join(" or ")
                            ),
                        );
                    }
                }
                Some(_) => {}
            },
            (Some(_), None) => {}
        }
    }
    for (key, _) in request.context().iter() {
        if catalog.key_type(key).is_some() {
            continue;
        }
        let Some((code, _)) = key.split_once(':') else {
            continue;
        };
        let meant = if code.eq_ignore_ascii_case("acs") {
            did_you_mean(key, COMMON_KEYS.iter().map(|(k, _, _)| *k))
        } else if let Some(service) = catalog.service(code) {
            match did_you_mean(key, service.condition_keys.iter().map(|k| k.name.as_str())) {
                Some(meant) => Some(meant),
                // The service's key list may be partial.
                None => continue,
            }
        } else if catalog.code(code).is_some() {
            continue;
        } else {
            None
        };
        warn(
            "unknown-context-key",
            format!("no service defines the context key `{key}`{}", hint(meant)),
        );
    }
    warnings
}

/// Answers a query (docs/semantics.md, "Evaluation"). For an API call that needs several
/// resources, every one must be allowed; the answer is the first that is
/// not, or the last.
pub fn answer(query: &Query) -> Result<Answer, QueryError> {
    let mut context = Context::new();
    for entry in &query.context {
        context.insert_pair(entry)?;
    }
    let session_spec = match (&query.principal, &query.session_name) {
        (Some(spec), Some(session)) => Some(session_of(spec, session)?),
        (None, Some(_)) => {
            return Err(QueryError::Usage(
                "--session-name needs --as role/<name>".into(),
            ));
        }
        _ => None,
    };
    let principal = session_spec.as_deref().or(query.principal.as_deref());
    let asker = Asker::new(query, principal.is_some())?;
    asker.ask(
        &query.action,
        &query.resource,
        principal,
        context,
        query.api.as_ref(),
    )
}

/// What a query's flags name, loaded and checked once: the store (when a
/// principal is asked about), the identity, control and session policies,
/// and the resource policy's text.
#[derive(Debug)]
pub struct Asker {
    /// Loaded at once when a principal is given with the query, else when
    /// a question first names one; a failure is kept and given again.
    store: OnceCell<Result<Store, std::sync::Arc<QueryError>>>,
    store_dir: PathBuf,
    store_origin: StoreOrigin,
    identity: Vec<PolicyRef>,
    control: Vec<PolicyRef>,
    session: Option<PolicyRef>,
    /// The resource policy and its parse as a trust policy and as a
    /// resource-based policy, each made when first needed.
    resource: Option<(PolicySource, Parsed, Parsed)>,
}

/// A policy parsed when first needed, the result kept.
type Parsed = OnceCell<Result<PolicyRef, PolicyError>>;

/// Loads the store at `dir`; a directory without `principals.json` is
/// [`QueryError::StoreNotFound`].
fn load_store(dir: &Path, origin: StoreOrigin) -> Result<Store, QueryError> {
    if !dir.join("principals.json").exists() {
        return Err(QueryError::StoreNotFound {
            dir: dir.to_path_buf(),
            origin,
        });
    }
    Ok(Store::load(dir)?)
}

impl Asker {
    /// Loads the policy files `query` names, and the store when
    /// `needs_store`; otherwise the store is loaded (once) when a question
    /// first names a principal.
    pub fn new(query: &Query, needs_store: bool) -> Result<Asker, QueryError> {
        let store = OnceCell::new();
        if needs_store {
            let _ = store.set(Ok(load_store(&query.store, query.store_origin)?));
        }
        let mut identity = Vec::new();
        for path in &query.policies {
            let policy = PolicySource::read(path)?
                .parse(PolicyKind::Identity)
                .map_err(|e| match e {
                    // A document with `Principal` is a trust or resource-based
                    // policy (docs/semantics.md, "Document grammar").
                    PolicyError {
                        kind: PolicyErrorKind::PrincipalNotAllowed { .. },
                        ..
                    } => QueryError::Usage(format!(
                        "{}: this document has `Principal`, so it is a trust or resource-based \
                         policy, not an identity policy: give it with --resource-policy",
                        crate::input::display_name(path)
                    )),
                    other => StoreError::from(other).into(),
                })?;
            identity.push(policy);
        }
        let mut control = Vec::new();
        for path in &query.control_policies {
            control.push(
                PolicySource::read(path)?
                    .parse(PolicyKind::Control)
                    .map_err(StoreError::from)?,
            );
        }
        let session = match &query.session_policy {
            Some(path) => Some(
                PolicySource::read(path)?
                    .parse(PolicyKind::Session)
                    .map_err(StoreError::from)?,
            ),
            None => None,
        };
        let resource = match &query.resource_policy {
            Some(path) => Some((PolicySource::read(path)?, OnceCell::new(), OnceCell::new())),
            None => None,
        };
        Ok(Asker {
            store,
            store_dir: query.store.clone(),
            store_origin: query.store_origin,
            identity,
            control,
            session,
            resource,
        })
    }

    /// The resource policy as `kind` (trust or resource-based).
    fn resource_policy(&self, kind: PolicyKind) -> Result<Option<PolicyRef>, QueryError> {
        let Some((source, trust, resource)) = &self.resource else {
            return Ok(None);
        };
        let cell = if kind == PolicyKind::Trust {
            trust
        } else {
            resource
        };
        match cell.get_or_init(|| source.parse(kind)) {
            Ok(p) => Ok(Some(p.clone())),
            Err(e) => Err(StoreError::from(e.clone()).into()),
        }
    }

    /// Answers one question: `action` on `resource` (or the API call
    /// `api`) by `principal` (a store principal; `None`: the ad-hoc
    /// principal holding only the policy files), in `context`.
    pub fn ask(
        &self,
        action: &str,
        resource: &str,
        principal: Option<&str>,
        context: Context,
        api: Option<&ApiQuery>,
    ) -> Result<Answer, QueryError> {
        let (principal, mut policies, store) = match principal {
            Some(spec) => {
                let store = self
                    .store
                    .get_or_init(|| {
                        load_store(&self.store_dir, self.store_origin).map_err(std::sync::Arc::new)
                    })
                    .as_ref()
                    .map_err(|e| QueryError::Again(e.clone()))?;
                let principal =
                    Principal::parse(spec, store.account_id()).map_err(StoreError::from)?;
                if principal.is_outside_ram() {
                    // A cloud service or an identity provider's user has no
                    // identity policies of its own: what it may assume, the
                    // role's trust policy decides alone.
                    (principal, PolicySet::default(), Some(store))
                } else {
                    let resolved = store.resolve(spec)?;
                    (resolved.principal, resolved.policies, Some(store))
                }
            }
            None => (Principal::AdHoc, PolicySet::default(), None),
        };
        let (api, requests) = match api {
            None => (
                None,
                vec![Request::new(action, resource, principal, context)?],
            ),
            Some(q) => {
                let call = api_call(q, store)?;
                let requests = call.requests(&principal, &context)?;
                (Some(call), requests)
            }
        };
        policies.identity.extend(self.identity.iter().cloned());
        policies.control.extend(self.control.iter().cloned());
        if let Some(session) = &self.session {
            policies.session = Some(session.clone());
        }
        let mut last = None;
        for request in requests {
            let resource_kind = if request.is_assume_role() {
                PolicyKind::Trust
            } else {
                PolicyKind::Resource
            };
            policies.resource = match self.resource_policy(resource_kind)? {
                Some(p) => Some(p),
                None if request.is_assume_role() => {
                    store.and_then(|s| s.trust_policy_for(request.resource()))
                }
                None => None,
            };
            let response = eval::evaluate(&policies, &request);
            let allowed = response.decision.is_allowed();
            // An API call's action and resource come from the catalogue.
            let warnings = if api.is_none() {
                typo_warnings(&request)
            } else {
                Vec::new()
            };
            last = Some(Answer {
                request,
                response,
                api: api.clone(),
                warnings,
            });
            if !allowed {
                break;
            }
        }
        last.ok_or_else(|| QueryError::Usage("the API call needs no resource to authorize".into()))
    }
}

/// `role/<name>` (or its ARN) with a session name: that role's session,
/// `assumed-role/<name>/<session>`.
fn session_of(spec: &str, session: &str) -> Result<String, QueryError> {
    if let Some(role) = spec.strip_prefix("role/") {
        return Ok(format!("assumed-role/{role}/{session}"));
    }
    if let Some((head, role)) = spec.split_once(":role/")
        && head.starts_with("acs:ram::")
    {
        return Ok(format!("{head}:assumed-role/{role}/{session}"));
    }
    Err(QueryError::Usage(format!(
        "--session-name needs --as role/<name>, not {spec:?}"
    )))
}

fn api_call(q: &ApiQuery, store: Option<&Store>) -> Result<ApiCall, QueryError> {
    let mut pairs = Vec::with_capacity(q.params.len());
    for entry in &q.params {
        let Some((k, v)) = entry.split_once('=') else {
            return Err(QueryError::Usage(format!(
                "invalid --param {entry:?}: expected NAME=VALUE"
            )));
        };
        pairs.push((k.to_string(), v.to_string()));
    }
    let params = api_call::collect_params(pairs)?;
    let account = match (&q.account, store) {
        (Some(a), _) => a.clone(),
        (None, Some(s)) => s.account_id().to_string(),
        (None, None) => {
            return Err(QueryError::Usage(
                "--api needs --account (or --as, to take the store's account)".into(),
            ));
        }
    };
    Ok(ApiCall {
        api: q.api.clone(),
        region: q.region.clone(),
        account,
        params,
    })
}

impl Answer {
    /// Whether the request is allowed.
    pub fn allowed(&self) -> bool {
        self.response.decision.is_allowed()
    }

    /// The JSON object of `--format json`.
    pub fn to_json(&self) -> serde_json::Value {
        let r = &self.response;
        let mut out = serde_json::json!({
            "decision": r.decision,
            "allowed": self.allowed(),
            "action": self.request.action(),
            "resource": self.request.resource(),
            "principal": self.request.principal().to_string(),
            "deciding_step": r.step,
            "statements": r.statements,
            "notes": r.notes,
            "warnings": self.warnings,
        });
        if r.decision == eval::Decision::ImplicitDeny {
            out["closest"] = serde_json::to_value(&r.closest).unwrap_or_default();
        }
        if let Some(call) = &self.api {
            out["api"] = serde_json::json!({
                "name": call.api,
                "region": call.region,
                "account": call.account,
                "params": call.params,
            });
            if !self.allowed() {
                out["no_permission"] =
                    api_call::no_permission_body(&self.request, r, "ramcheck-can-i", &call.region);
            }
        }
        out
    }

    /// `yes` or `no`; with `explain`, the reasons beneath. Strings from
    /// policies and the request are escaped for the terminal.
    pub fn to_text(&self, explain: bool) -> String {
        let r = &self.response;
        let mut out = String::from(if self.allowed() { "yes\n" } else { "no\n" });
        if !explain {
            return out;
        }
        let mut line = |text: String| {
            out.push_str(&escape(&text));
            out.push('\n');
        };
        line(format!("  decision: {} at step {}", r.decision, r.step));
        line(format!(
            "  request:  {} on {} by {}",
            self.request.action(),
            self.request.resource(),
            self.request.principal()
        ));
        if !r.statements.is_empty() {
            line("  deciding statements:".into());
            for s in &r.statements {
                line(format!("    {}", describe(s)));
                for u in &s.unreadable {
                    line(format!(
                        "      matched because {} on {} could not read the request value {:?} (unreadable values resolve toward denial)",
                        u.operator,
                        u.key,
                        u.unreadable_value.as_deref().unwrap_or_default()
                    ));
                }
            }
        }
        if !r.closest.is_empty() {
            line("  closest statements:".into());
            for m in &r.closest {
                line(format!("    {}: {}", describe(&m.statement), m.failed));
            }
        } else if r.decision == eval::Decision::ImplicitDeny {
            line("  no Allow statement applies".into());
        }
        for note in &r.notes {
            line(format!("  note: {note}"));
        }
        out
    }
}

fn describe(s: &eval::StatementRef) -> String {
    let sid = s
        .sid
        .as_ref()
        .map(|sid| format!(" ({sid})"))
        .unwrap_or_default();
    format!(
        "{} {} policy {} statement {}{} at {}:{}",
        s.effect, s.kind, s.policy, s.statement, sid, s.file, s.line
    )
}
