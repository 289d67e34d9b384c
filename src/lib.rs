//! ramcheck: strict parsing, evaluation and explanation of Alibaba Cloud
//! RAM policies.
//!
//! The modules follow the data flow:
//!
//! | stage | modules |
//! |---|---|
//! | reading input | [`input`] (size-capped reads), [`json`] (strict JSON with the line and column of every element) |
//! | the policy model | [`policy`] (documents, statements, kinds), [`wildcard`] (RAM's `*`/`?` patterns, linear time), [`arn`] (resource names and the catalogue's ARN templates), [`condition`] (operators and clauses), [`values`] (typed values and the common condition keys) |
//! | the request | [`principal`] (who asks), [`request`] (action, resource, context) |
//! | deciding | [`eval`] (the evaluation steps, the decision and why), [`store`] (principals and their policies, from a directory), [`authorizer`] (the store compiled for a gateway, and its hot-swappable [`authorizer::SharedAuthorizer`]) |
//! | knowing the services | [`catalog`] (every RAM code, and per service its actions, resource types and API parameters), [`api_call`] (an API call's parameters to the RAM action and resource it needs) |
//! | beside the evaluator | [`lint`] (pre-deploy checks with stable codes), [`generate`] (least-privilege policies from intents, ActionTrail, catalogue templates or a denial, proven with the evaluator), [`analysis`] (exact `diff`, `check`, `who-can`, `can-i --list`, with witness requests re-checked by the evaluator) |
//! | the command line | [`can_i`] (`ramcheck can-i`, one question or a batch), [`errors`] (stable error codes and places, exit statuses), [`terminal`] (text safe to print, colour), [`http`] (HTTP serving with limits against hostile clients; feature `serve`) |
//! | the decision service | `serve` (`ramcheck serve`: the authorizer over HTTP for gateways, with metrics and a decision log; feature `serve`) |
//!
//! The rules implemented are those of docs/semantics.md.
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

pub mod analysis;
pub mod api_call;
pub mod arn;
pub mod authorizer;
pub mod can_i;
pub mod catalog;
pub mod condition;
pub mod errors;
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
#[cfg(feature = "serve")]
pub mod serve;
pub mod store;
pub(crate) mod suggest;
pub mod terminal;
pub mod values;
pub mod wildcard;

// The README's and the docs' Rust snippets compile and run as doctests, so
// they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
#[cfg(doctest)]
#[doc = include_str!("../docs/semantics.md")]
struct SemanticsDoctests;
#[cfg(doctest)]
#[doc = include_str!("../docs/lint.md")]
struct LintDoctests;
#[cfg(doctest)]
#[doc = include_str!("../docs/generate.md")]
struct GenerateDoctests;
#[cfg(doctest)]
#[doc = include_str!("../docs/catalog.md")]
struct CatalogDoctests;
