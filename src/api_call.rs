//! API calls: from `AttachOSSBucket` with its parameters to the RAM action
//! and resource that must be allowed, and back to the error bodies a client
//! of the API expects.
//!
//! A bare API name is IMM's (the gateway's service); `ecs:DescribeInstances`
//! names another catalogued service's API. Parameters fill the action's ARN
//! templates: through the catalogue's `fills_arn` where it lists the API's
//! parameters (IMM), else by the placeholder's own name (`{#InstanceId}` from
//! `InstanceId`), see `docs/catalog.md`.
//!
//! Parameter checks follow the catalogue (`data/services/imm.json`), and
//! error codes follow IMM's documented error handling: `Missing{Name}`
//! ("{Name} is mandatory for this action.") and `Invalid{Name}`, both HTTP
//! 400, and the gateway's `InvalidAction.NotFound` (404) for an unknown
//! API. Sources: <https://www.alibabacloud.com/help/en/imm/developer-reference/error-handling-1>,
//! <https://www.alibabacloud.com/help/doc-detail/67787.htm>.

use std::collections::BTreeMap;

use crate::catalog::{ArnError, Catalog, ParamKind};
use crate::eval::{Decision, Response, Step};
use crate::principal::Principal;
use crate::request::{Context, Request, RequestError};
use crate::suggest::{hint, question};

/// One call of an API, as a gateway receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiCall {
    /// The API name, e.g. `AttachOSSBucket` (the RPC `Action` parameter):
    /// IMM's, or another service's as `<ram-code>:<Api>`, e.g.
    /// `ecs:DescribeInstances`.
    pub api: String,
    /// The region the call is made in, e.g. `cn-hangzhou`.
    pub region: String,
    /// The account that owns the resources.
    pub account: String,
    /// Request parameters by exact (case-sensitive) name.
    pub params: BTreeMap<String, String>,
}

/// Why a call is refused before any authorization, with the code IMM
/// would answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiCallError {
    /// An API the service does not have (`InvalidAction.NotFound`, 404).
    #[error("InvalidAction.NotFound: Specified api {api:?} is not found{}", hint(.suggestion.as_ref()))]
    UnknownApi {
        /// The API as named.
        api: String,
        /// The closest API.
        suggestion: Option<String>,
    },
    /// A service the catalogue has no action table for
    /// (`InvalidAction.NotFound`, 404).
    #[error("InvalidAction.NotFound: the catalogue has no API table for service {service:?}{}", hint(.suggestion.as_ref()))]
    UnknownService {
        /// The service as named.
        service: String,
        /// The closest service with a table.
        suggestion: Option<String>,
    },
    /// A required parameter is missing or empty (`Missing{Name}`).
    #[error("Missing{param}: {param} is mandatory for this action.")]
    MissingParameter {
        /// The parameter.
        param: String,
    },
    /// A parameter's value is not valid, or it is given twice
    /// (`Invalid{Name}`).
    #[error("Invalid{param}: the specified value of parameter {param} is not valid: {reason}")]
    InvalidParameter {
        /// The parameter.
        param: String,
        /// What is wrong.
        reason: String,
    },
    /// The region is not a region id.
    #[error("InvalidRegionId: {0:?} is not a region id such as cn-hangzhou")]
    InvalidRegion(String),
    /// The account is not an account id.
    #[error("InvalidAccountId: {0:?} is not an account id (digits)")]
    InvalidAccount(String),
}

impl ApiCallError {
    /// The error code of the response body, e.g. `MissingProjectName`.
    pub fn code(&self) -> String {
        match self {
            ApiCallError::UnknownApi { .. } | ApiCallError::UnknownService { .. } => {
                "InvalidAction.NotFound".into()
            }
            ApiCallError::MissingParameter { param } => format!("Missing{param}"),
            ApiCallError::InvalidParameter { param, .. } => format!("Invalid{param}"),
            ApiCallError::InvalidRegion(_) => "InvalidRegionId".into(),
            ApiCallError::InvalidAccount(_) => "InvalidAccountId".into(),
        }
    }

    /// The HTTP status a client gets: 404 for an unknown API, else 400.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiCallError::UnknownApi { .. } | ApiCallError::UnknownService { .. } => 404,
            _ => 400,
        }
    }

    /// The error body in Alibaba Cloud's RPC shape.
    pub fn body(&self, request_id: &str, region: &str) -> serde_json::Value {
        serde_json::json!({
            "RequestId": request_id,
            "HostId": host_id("imm", region),
            "Code": self.code(),
            "Message": self.to_string(),
        })
    }
}

fn host_id(service: &str, region: &str) -> String {
    format!("{service}.{region}.aliyuncs.com")
}

/// What a valid call needs from RAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredAccess {
    /// e.g. `imm:AttachOSSBucket`.
    pub action: String,
    /// Every ARN RAM checks; all must be allowed. `*` for actions on all
    /// resources.
    pub resources: Vec<String>,
}

/// Collects a call's parameters from `NAME=VALUE` pairs in the order they
/// came. A name given twice, or in two spellings that differ only in case
/// (`ProjectName` and `projectname`), is refused: the service might read the
/// other value than the one authorized.
pub fn collect_params(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>, ApiCallError> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        if let Some(first) = params.keys().find(|k| k.eq_ignore_ascii_case(&name)) {
            let reason = if *first == name {
                "given more than once".to_string()
            } else {
                format!("given twice, as {first} and as {name}")
            };
            return Err(ApiCallError::InvalidParameter {
                param: name,
                reason,
            });
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// An RPC-style call as a gateway receives it (`Action` and the other
/// parameters in the query string and, for POST, in a form body; the region
/// in a header or the `RegionId` parameter), turned into the [`ApiCall`] to
/// authorize.
///
/// Every value the service would act on must be the value that was
/// authorized, so nothing is resolved by "first wins": a parameter given
/// twice (in the query, in the body, in both, or in two spellings of its
/// name), a region header given twice, or a region header and `RegionId`
/// that disagree are refused.
#[derive(Debug, Clone, Default)]
pub struct RpcRequest<'a> {
    /// The query string's parameters, in order.
    pub query: Vec<(String, String)>,
    /// The form body's parameters, in order.
    pub body: Vec<(String, String)>,
    /// Every value of the region header, as given.
    pub region_headers: Vec<&'a str>,
    /// The region when neither the header nor `RegionId` names one.
    pub default_region: &'a str,
    /// The account that owns the resources.
    pub account: &'a str,
}

/// The RPC parameter that names the API.
pub const ACTION_PARAM: &str = "Action";
/// The RPC common parameter that names the region.
pub const REGION_PARAM: &str = "RegionId";

impl RpcRequest<'_> {
    /// The call, or the error a client gets (400, or 404 for an unknown
    /// API).
    pub fn call(self) -> Result<ApiCall, ApiCallError> {
        let mut params = collect_params(self.query.into_iter().chain(self.body))?;
        let api = params
            .remove(ACTION_PARAM)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| ApiCallError::MissingParameter {
                param: ACTION_PARAM.into(),
            })?;
        // The gateway fronts one service: `Action=ecs:DescribeInstances`
        // would authorize an action the backend never performs.
        if api.contains(':') {
            return Err(ApiCallError::UnknownApi {
                api,
                suggestion: None,
            });
        }
        let header = match self.region_headers.as_slice() {
            [] => None,
            [one] => Some(one.to_string()),
            _ => {
                return Err(ApiCallError::InvalidParameter {
                    param: REGION_PARAM.into(),
                    reason: "the region header is given more than once".into(),
                });
            }
        };
        let region = match (header, params.get(REGION_PARAM)) {
            (Some(h), Some(p)) if h != *p => {
                return Err(ApiCallError::InvalidParameter {
                    param: REGION_PARAM.into(),
                    reason: format!("{p:?} disagrees with the region header {h:?}"),
                });
            }
            (Some(h), _) => h,
            (None, Some(p)) => p.clone(),
            (None, None) => self.default_region.to_string(),
        };
        Ok(ApiCall {
            api,
            region,
            account: self.account.to_string(),
            params,
        })
    }
}

impl ApiCall {
    /// Checks the call against the catalogue and derives the RAM action and
    /// resources it needs.
    pub fn required_access(&self) -> Result<RequiredAccess, ApiCallError> {
        let (code, api) = self.service_and_api();
        let catalog = Catalog::builtin();
        let service = catalog
            .service(code)
            .ok_or_else(|| ApiCallError::UnknownService {
                service: code.to_string(),
                suggestion: crate::suggest::did_you_mean(code, catalog.service_codes())
                    .map(str::to_string),
            })?;
        let qualified = |name: &str| {
            if self.api.contains(':') {
                format!("{code}:{name}")
            } else {
                name.to_string()
            }
        };
        // API names are exact, as in an RPC endpoint.
        let info = service
            .actions
            .iter()
            .find(|a| a.api.as_deref().unwrap_or(&a.name) == api)
            .ok_or_else(|| ApiCallError::UnknownApi {
                api: self.api.clone(),
                suggestion: service.suggest_action(api).map(|a| qualified(&a.name)),
            })?;
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ApiCallError::InvalidRegion(self.region.clone()));
        }
        if self.account.is_empty() || !self.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiCallError::InvalidAccount(self.account.clone()));
        }
        // A parameter named like one of the API's in another case is
        // refused rather than passed on: the service might read it as that
        // parameter, with a value that was never authorized.
        for given in self.params.keys() {
            if let Some(param) = info
                .params
                .iter()
                .find(|p| p.name != *given && p.name.eq_ignore_ascii_case(given))
            {
                return Err(ApiCallError::InvalidParameter {
                    param: given.clone(),
                    reason: format!(
                        "parameter names are case-sensitive: {}",
                        question(&param.name)
                    ),
                });
            }
        }
        for param in &info.params {
            let value = self.params.get(&param.name).map(String::as_str);
            match value {
                // An empty value is no value: IMM rejects `ProjectName=`.
                None | Some("") if param.required => {
                    return Err(ApiCallError::MissingParameter {
                        param: param.name.clone(),
                    });
                }
                None => {}
                Some(v) => {
                    if !param.length_ok(v) {
                        let limits = match (param.min_len, param.max_len) {
                            (Some(min), Some(max)) => format!("{min} to {max} characters"),
                            (None, Some(max)) => format!("at most {max} characters"),
                            (Some(min), None) => format!("at least {min} characters"),
                            (None, None) => "within the documented size".to_string(),
                        };
                        return Err(ApiCallError::InvalidParameter {
                            param: param.name.clone(),
                            reason: format!("expected {limits}"),
                        });
                    }
                    let well_typed = match param.kind {
                        ParamKind::Integer => v.parse::<i64>().is_ok(),
                        ParamKind::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
                        ParamKind::Boolean => v == "true" || v == "false",
                        _ => true,
                    };
                    if !well_typed {
                        return Err(ApiCallError::InvalidParameter {
                            param: param.name.clone(),
                            reason: format!("expected a value of type {}", param.kind),
                        });
                    }
                }
            }
        }
        let resources = info
            .resource_arns(service, &self.region, &self.account, |p| {
                self.params.get(p).map(String::as_str)
            })
            .map_err(|e| match e {
                ArnError::Missing {
                    placeholder, param, ..
                } => ApiCallError::MissingParameter {
                    param: param.unwrap_or(placeholder),
                },
                ArnError::Conflict { param, other } => ApiCallError::InvalidParameter {
                    param: other,
                    reason: format!("it names the same value as {param}, differently"),
                },
                ArnError::Invalid {
                    placeholder, param, ..
                } => ApiCallError::InvalidParameter {
                    param: param.unwrap_or(placeholder),
                    reason: "a name may not be empty or contain '/', ':', '*', '?' or whitespace"
                        .into(),
                },
            })?;
        Ok(RequiredAccess {
            action: info.action.clone(),
            resources,
        })
    }

    /// The service's RAM code and the API's name: `ecs:DescribeInstances`
    /// is ECS's, a bare name IMM's.
    pub fn service_and_api(&self) -> (&str, &str) {
        self.api.split_once(':').unwrap_or(("imm", &self.api))
    }

    /// The requests to authorize, one per resource; all must be allowed.
    pub fn requests(
        &self,
        principal: &Principal,
        context: &Context,
    ) -> Result<Vec<Request>, ApiCallRequestError> {
        let access = self.required_access()?;
        let mut requests = Vec::with_capacity(access.resources.len());
        for resource in &access.resources {
            requests.push(Request::new(
                &access.action,
                resource,
                principal.clone(),
                context.clone(),
            )?);
        }
        Ok(requests)
    }
}

/// A call that cannot become a request: invalid call or invalid context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiCallRequestError {
    /// The call fails the catalogue's checks.
    #[error(transparent)]
    Call(#[from] ApiCallError),
    /// The call's action or resource does not make a request.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// RAM's name for the policy type that denied, as `AccessDeniedDetail`
/// and `DecodeDiagnosticMessage` report it.
pub fn policy_type(step: Step, request: &Request) -> &'static str {
    match step {
        Step::Control => "ControlPolicy",
        Step::Session => "SessionPolicy",
        Step::Identity => "AccountLevelIdentityBasedPolicy",
        Step::Resource if request.is_assume_role() => "AssumeRolePolicy",
        Step::Resource => "ResourceBasedPolicy",
    }
}

/// The `NoPermission` error body (HTTP 403) for a denied request: the
/// `AccessDeniedDetail` RAM returns, and in place of the encrypted
/// `EncodedDiagnosticMessage` the fields `DecodeDiagnosticMessage` would
/// give (explicit deny or not, policy type, action, resource, principal,
/// conditions, matched policies). Sources: RAM "How to troubleshoot an
/// access denied error" and the `DecodeDiagnosticMessage` API reference.
pub fn no_permission_body(
    request: &Request,
    response: &Response,
    request_id: &str,
    region: &str,
) -> serde_json::Value {
    let principal = request.principal();
    let (principal_type, owner, display) = (
        principal.auth_type(),
        principal.account().unwrap_or_default(),
        principal.display_name(),
    );
    let explicit = response.decision == Decision::ExplicitDeny;
    let no_permission_type = if explicit {
        "ExplicitDeny"
    } else {
        "ImplicitDeny"
    };
    let policy_type = policy_type(response.step, request);
    let conditions: Vec<serde_json::Value> = request
        .context()
        .iter()
        .map(|(key, values)| serde_json::json!({"ConditionKey": key, "ConditionValues": values}))
        .collect();
    let matched: Vec<serde_json::Value> = response
        .statements
        .iter()
        .map(|s| {
            serde_json::json!({
                "Effect": s.effect,
                "PolicyIdentifier": s.policy,
                "PolicyType": if s.file.starts_with("builtin:") { "System" } else { "Custom" },
            })
        })
        .collect();
    serde_json::json!({
        "RequestId": request_id,
        "HostId": host_id(request.action().split(':').next().unwrap_or("imm"), region),
        "Code": "NoPermission",
        "Message": "You are not authorized to do this action. You should be authorized by RAM.",
        "AccessDeniedDetail": {
            "AuthAction": request.action(),
            "AuthPrincipalType": principal_type,
            "AuthPrincipalOwnerId": owner,
            "AuthPrincipalDisplayName": display,
            "NoPermissionType": no_permission_type,
            "PolicyType": policy_type,
        },
        "DecodedDiagnosticMessage": {
            "ExplicitDeny": explicit,
            "NoPermissionPolicyType": policy_type,
            "AuthAction": request.action(),
            "AuthResource": request.resource(),
            "AuthPrincipal": {
                "AuthPrincipalType": principal_type,
                "AuthPrincipalOwnerId": owner,
                "AuthPrincipalDisplayName": display,
            },
            "AuthConditions": conditions,
            "MatchedPolicies": matched,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(api: &str, params: &[(&str, &str)]) -> ApiCall {
        ApiCall {
            api: api.into(),
            region: "cn-hangzhou".into(),
            account: "1234567890123456".into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn attach_oss_bucket_maps_to_the_project_arn() {
        let access = call(
            "AttachOSSBucket",
            &[("ProjectName", "immtest"), ("OSSBucket", "examplebucket")],
        )
        .required_access()
        .unwrap();
        assert_eq!(access.action, "imm:AttachOSSBucket");
        assert_eq!(
            access.resources,
            ["acs:imm:cn-hangzhou:1234567890123456:project/immtest"]
        );
    }

    #[test]
    fn other_services_fill_their_templates_from_parameters() {
        let access = call("ecs:StartInstance", &[("InstanceId", "i-123")])
            .required_access()
            .unwrap();
        assert_eq!(access.action, "ecs:StartInstance");
        assert_eq!(
            access.resources,
            ["acs:ecs:cn-hangzhou:1234567890123456:instance/i-123"]
        );
        let access = call(
            "oss:GetObject",
            &[("BucketName", "b"), ("ObjectPath", "reports/q1.csv")],
        )
        .required_access()
        .unwrap();
        assert_eq!(
            access.resources,
            ["acs:oss:cn-hangzhou:1234567890123456:b/reports/q1.csv"]
        );
        // The parameter OSS names the object by fills {#ObjectPath} too,
        // as in ActionTrail events (one mapping for both).
        let access = call(
            "oss:GetObject",
            &[("BucketName", "b"), ("ObjectName", "reports/q1.csv")],
        )
        .required_access()
        .unwrap();
        assert_eq!(
            access.resources,
            ["acs:oss:cn-hangzhou:1234567890123456:b/reports/q1.csv"]
        );
        // The same value given twice, differently, is refused.
        let err = call(
            "oss:GetObject",
            &[
                ("BucketName", "b"),
                ("ObjectPath", "a"),
                ("ObjectName", "x"),
            ],
        )
        .required_access()
        .unwrap_err();
        assert_eq!(err.code(), "InvalidObjectName");
        assert!(
            call(
                "oss:GetObject",
                &[
                    ("BucketName", "b"),
                    ("ObjectPath", "a"),
                    ("ObjectName", "a")
                ],
            )
            .required_access()
            .is_ok()
        );
        let err = call("ecs:StartInstance", &[])
            .required_access()
            .unwrap_err();
        assert_eq!(err.code(), "MissingInstanceId");
        let err = call("ecz:StartInstance", &[])
            .required_access()
            .unwrap_err();
        assert!(
            matches!(&err, ApiCallError::UnknownService { suggestion: Some(s), .. } if s == "ecs"),
            "{err:?}"
        );
        assert_eq!(err.http_status(), 404);
        let err = call("ecs:StartInstanse", &[])
            .required_access()
            .unwrap_err();
        assert!(
            matches!(&err, ApiCallError::UnknownApi { suggestion: Some(s), .. } if s == "ecs:StartInstance"),
            "{err:?}"
        );
    }

    #[test]
    fn the_gateway_refuses_another_services_api() {
        let rpc = RpcRequest {
            query: vec![
                ("Action".into(), "ecs:StartInstance".into()),
                ("InstanceId".into(), "i-1".into()),
            ],
            default_region: "cn-hangzhou",
            account: "1234567890123456",
            ..Default::default()
        };
        let err = rpc.call().unwrap_err();
        assert!(matches!(err, ApiCallError::UnknownApi { .. }), "{err:?}");
    }

    #[test]
    fn parameter_errors_use_imm_codes() {
        let code =
            |api, params: &[(&str, &str)]| call(api, params).required_access().unwrap_err().code();
        assert_eq!(
            code("AttachOSSBucket", &[("OSSBucket", "b")]),
            "MissingProjectName"
        );
        assert_eq!(
            code(
                "AttachOSSBucket",
                &[("ProjectName", ""), ("OSSBucket", "b")]
            ),
            "MissingProjectName"
        );
        assert_eq!(
            code("AttachOSSBucket", &[("ProjectName", "p")]),
            "MissingOSSBucket"
        );
        let long = "x".repeat(129);
        assert_eq!(
            code(
                "AttachOSSBucket",
                &[
                    ("ProjectName", "p"),
                    ("OSSBucket", "b"),
                    ("Description", &long)
                ]
            ),
            "InvalidDescription"
        );
        assert_eq!(
            code(
                "AttachOSSBucket",
                &[
                    ("ProjectName", "p"),
                    ("OSSBucket", "b"),
                    ("Description", "")
                ]
            ),
            "InvalidDescription"
        );
        assert!(
            call(
                "AttachOSSBucket",
                &[
                    ("ProjectName", "p"),
                    ("OSSBucket", "b"),
                    ("Description", &"é".repeat(128))
                ]
            )
            .required_access()
            .is_ok()
        );
        assert_eq!(
            code(
                "AttachOSSBucket",
                &[("ProjectName", "a/b"), ("OSSBucket", "b")]
            ),
            "InvalidProjectName"
        );
        assert_eq!(code("AttachOssBucket", &[]), "InvalidAction.NotFound");
        let e = call("AttachOssBucket", &[]).required_access().unwrap_err();
        assert!(
            e.to_string().contains("did you mean `AttachOSSBucket`"),
            "{e}"
        );
        assert_eq!(e.http_status(), 404);
        let mut bad_region = call("ListProjects", &[]);
        bad_region.region = "CN HANGZHOU".into();
        assert_eq!(
            bad_region.required_access().unwrap_err().code(),
            "InvalidRegionId"
        );
    }

    #[test]
    fn list_actions_become_requests_on_their_wildcard_arn() {
        let c = call("ListProjects", &[]);
        let requests = c.requests(&Principal::AdHoc, &Context::new()).unwrap();
        assert_eq!(
            requests[0].resource(),
            "acs:imm:cn-hangzhou:1234567890123456:project/*"
        );
    }

    #[test]
    fn rpc_requests_authorize_what_the_service_would_act_on() {
        let pairs = |text: &str| -> Vec<(String, String)> {
            text.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect()
        };
        let rpc = |query: &str, body: &str, headers: Vec<&'static str>| {
            RpcRequest {
                query: pairs(query),
                body: pairs(body),
                region_headers: headers,
                default_region: "cn-hangzhou",
                account: "1234567890123456",
            }
            .call()
        };
        let ok = rpc("Action=GetProject&ProjectName=p", "", vec![]).unwrap();
        assert_eq!(
            (ok.api.as_str(), ok.region.as_str()),
            ("GetProject", "cn-hangzhou")
        );
        // RegionId is the region authorized.
        let sg = rpc(
            "Action=GetProject&ProjectName=p&RegionId=ap-southeast-1",
            "",
            vec![],
        )
        .unwrap();
        assert_eq!(sg.region, "ap-southeast-1");
        // The body's parameters count, and may not repeat the query's.
        let body = rpc("Action=GetProject", "ProjectName=prod", vec![]).unwrap();
        assert_eq!(body.params["ProjectName"], "prod");
        let code = |r: Result<ApiCall, ApiCallError>| r.unwrap_err().code();
        assert_eq!(
            code(rpc(
                "Action=GetProject&ProjectName=immtest",
                "ProjectName=prod",
                vec![]
            )),
            "InvalidProjectName"
        );
        assert_eq!(
            code(rpc(
                "Action=GetProject&ProjectName=immtest&projectname=prod",
                "",
                vec![]
            )),
            "Invalidprojectname"
        );
        assert_eq!(
            code(rpc(
                "Action=GetProject&ProjectName=p",
                "",
                vec!["cn-hangzhou", "ap-southeast-1"]
            )),
            "InvalidRegionId"
        );
        assert_eq!(
            code(rpc(
                "Action=GetProject&ProjectName=p&RegionId=ap-southeast-1",
                "",
                vec!["cn-hangzhou"]
            )),
            "InvalidRegionId"
        );
        assert_eq!(code(rpc("ProjectName=p", "", vec![])), "MissingAction");
        // A parameter in another case than the API's is refused.
        let lower = rpc("Action=GetProject&projectname=prod", "", vec![]).unwrap();
        assert_eq!(
            lower.required_access().unwrap_err().code(),
            "Invalidprojectname"
        );
    }

    #[test]
    fn whitespace_in_a_name_is_an_invalid_parameter() {
        let e = call(
            "AttachOSSBucket",
            &[("ProjectName", "a b"), ("OSSBucket", "b")],
        )
        .required_access()
        .unwrap_err();
        assert_eq!(e.code(), "InvalidProjectName");
    }

    #[test]
    fn actions_on_all_resources_map_to_star() {
        let access = call("ListRegions", &[("AcceptLanguage", "en")])
            .required_access()
            .unwrap();
        assert_eq!(access.resources, ["*"]);
    }
}
