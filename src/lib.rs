//! ramcheck: strict parsing, evaluation and explanation of Alibaba Cloud
//! RAM policies.
//!
//! The modules follow the data flow: [`json`] (strict JSON with spans) →
//! [`policy`] (the typed model, its patterns compiled by [`wildcard`] and its
//! conditions by [`condition`]) → [`eval`] (the decision and why), fed by a
//! [`request::Request`] and a [`eval::PolicySet`] gathered from a
//! [`store::Store`]. [`can_i`] is the `ramcheck can-i` command built on them,
//! and [`catalog`] describes IMM's actions, resource types and API
//! parameters; [`generate`] writes least-privilege policies from intents
//! or ActionTrail events and proves them with the evaluator. The rules
//! implemented are those of docs/semantics.md; the README lists
//! the decided ones.
//!
//! ```
//! use ramcheck::eval::{evaluate, Decision, PolicySet};
//! use ramcheck::policy::{Policy, PolicyKind};
//! use ramcheck::request::{Context, Request};
//! use ramcheck::principal::Principal;
//! use std::sync::Arc;
//!
//! let text = r#"{"Version": "1", "Statement": [{"Effect": "Allow",
//!     "Action": "imm:AttachOSSBucket",
//!     "Resource": "acs:imm:cn-hangzhou:1234567890123456:project/immtest"}]}"#;
//! let policy = Policy::parse(text, "ImmAttachImmtest", "inline", PolicyKind::Identity)?;
//! let policies = PolicySet { identity: vec![Arc::new(policy)], ..PolicySet::default() };
//! let request = Request::new(
//!     "imm:AttachOSSBucket",
//!     "acs:imm:cn-hangzhou:1234567890123456:project/immtest",
//!     Principal::user("1234567890123456", "alice"),
//!     Context::new(),
//! )?;
//! let response = evaluate(&policies, &request);
//! assert_eq!(response.decision, Decision::Allow);
//! assert_eq!(response.statements[0].statement, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Errors carry the file, span and JSON pointer they refer to, so they are
// larger than clippy's threshold; they sit on the cold path, and plain
// enums stay easy for callers to match.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![allow(clippy::result_large_err)]

pub mod api_call;
pub mod arn;
pub mod authorizer;
pub mod can_i;
pub mod catalog;
pub mod condition;
pub mod eval;
pub mod generate;
#[cfg(feature = "serve")]
pub mod http;
pub mod input;
pub mod json;
pub mod lint;
pub(crate) mod patterns;
pub mod policy;
pub mod principal;
pub mod request;
pub mod store;
pub(crate) mod suggest;
pub mod terminal;
pub mod values;
pub mod wildcard;
