//! `ramcheck can-i`: gather the policies that bear on one request, decide,
//! and render the answer. The CLI only parses arguments and maps the
//! result to an exit status.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::eval::{self, PolicySet, Response};
use crate::policy::PolicyKind;
use crate::request::{Context, Principal, Request, RequestError};
use crate::store::{Store, StoreError, load_policy_file};

/// A `can-i` question as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub action: String,
    pub resource: String,
    /// `user/<name>`, `role/<name>` or an ARN; reads the store when set.
    pub principal: Option<String>,
    pub store: PathBuf,
    /// Identity policies: added to the principal's, or its only ones.
    pub policies: Vec<PathBuf>,
    pub session_policy: Option<PathBuf>,
    pub control_policies: Vec<PathBuf>,
    pub resource_policy: Option<PathBuf>,
    /// `KEY=VALUE` entries; a repeated key gives a multi-valued key.
    pub context: Vec<String>,
}

/// Why a question cannot be answered. Never a decision.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// The request as evaluated and the evaluator's response.
#[derive(Debug, Clone)]
pub struct Answer {
    pub request: Request,
    pub response: Response,
}

/// Answers a query (semantics §4).
pub fn answer(query: &Query) -> Result<Answer, QueryError> {
    let mut context = Context::new();
    for entry in &query.context {
        context.insert_pair(entry)?;
    }
    let (principal, mut policies, store) = match &query.principal {
        Some(spec) => {
            let store = Store::load(&query.store)?;
            let resolved = store.resolve(spec)?;
            (resolved.principal, resolved.policies, Some(store))
        }
        None => (Principal::AdHoc, PolicySet::default(), None),
    };
    let request = Request::new(&query.action, &query.resource, principal, context)?;

    for path in &query.policies {
        policies
            .identity
            .push(load_policy_file(path, PolicyKind::Identity)?);
    }
    for path in &query.control_policies {
        policies
            .control
            .push(load_policy_file(path, PolicyKind::Control)?);
    }
    if let Some(path) = &query.session_policy {
        policies.session = Some(load_policy_file(path, PolicyKind::Session)?);
    }
    let resource_kind = if request.is_assume_role() {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    policies.resource = match &query.resource_policy {
        Some(path) => Some(load_policy_file(path, resource_kind)?),
        None if request.is_assume_role() => store
            .as_ref()
            .and_then(|s| s.trust_policy_for(request.resource())),
        None => None,
    };
    let response = eval::evaluate(&policies, &request);
    Ok(Answer { request, response })
}

impl Answer {
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
        });
        if r.decision == eval::Decision::ImplicitDeny {
            out["closest"] = serde_json::to_value(&r.closest).unwrap_or_default();
        }
        out
    }

    /// `yes` or `no`; with `explain`, the reasons beneath.
    pub fn to_text(&self, explain: bool) -> String {
        let r = &self.response;
        let mut out = String::from(if self.allowed() { "yes\n" } else { "no\n" });
        if !explain {
            return out;
        }
        let _ = writeln!(out, "  decision: {} at step {}", r.decision, r.step);
        let _ = writeln!(
            out,
            "  request:  {} on {} by {}",
            self.request.action(),
            self.request.resource(),
            self.request.principal()
        );
        if !r.statements.is_empty() {
            let _ = writeln!(out, "  deciding statements:");
            for s in &r.statements {
                let _ = writeln!(out, "    {}", describe(s));
                for u in &s.unreadable {
                    let _ = writeln!(
                        out,
                        "      matched because {} on {} could not read the request value {:?} (unreadable values resolve toward denial)",
                        u.operator,
                        u.key,
                        u.unreadable_value.as_deref().unwrap_or_default()
                    );
                }
            }
        }
        if !r.closest.is_empty() {
            let _ = writeln!(out, "  closest statements:");
            for m in &r.closest {
                let _ = writeln!(out, "    {}: {}", describe(&m.statement), m.failed);
            }
        } else if r.decision == eval::Decision::ImplicitDeny {
            let _ = writeln!(out, "  no Allow statement applies");
        }
        for note in &r.notes {
            let _ = writeln!(out, "  note: {note}");
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
