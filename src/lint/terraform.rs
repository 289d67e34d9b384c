//! Policy documents from a Terraform plan (`terraform show -json plan`).
//!
//! Every resource in `planned_values` (root module and child modules) of
//! these types is linted:
//!
//! | resource type | attribute | kind |
//! |---|---|---|
//! | `alicloud_ram_policy` | `policy_document` (older: `document`) | identity |
//! | `alicloud_resource_manager_control_policy` | `policy_document` (or `document`) | control |
//! | `alicloud_ram_role` | `assume_role_policy_document` (older: `document`) | trust |
//!
//! A value not known until apply (`null` in `planned_values`) is skipped. The
//! plan is read with the crate's one JSON reader; findings carry the
//! resource address, and their span is inside the policy document (the
//! document's place in the plan file is kept for annotations).

use std::path::Path;

use super::{Document, LintError, Options, lint_bytes};
use crate::json::{self, Node, Value};
use crate::policy::PolicyKind;

/// Resource types and the attributes holding their policy document.
const TYPES: &[(&str, &[&str], PolicyKind)] = &[
    (
        "alicloud_ram_policy",
        &["policy_document", "document"],
        PolicyKind::Identity,
    ),
    (
        "alicloud_resource_manager_control_policy",
        &["policy_document", "document"],
        PolicyKind::Control,
    ),
    (
        "alicloud_ram_role",
        &["assume_role_policy_document", "document"],
        PolicyKind::Trust,
    ),
];

/// One policy document found in a plan.
#[derive(Debug, Clone)]
pub struct PlanDocument {
    /// The resource's address in the plan, e.g. `module.iam.alicloud_ram_policy.deployer`.
    pub address: String,
    /// The kind its resource type implies: identity, control or trust.
    pub kind: PolicyKind,
    /// The policy document's text.
    pub text: String,
    /// The string's place in the plan file.
    pub span: json::Span,
}

/// Finds the policy documents of a plan's text.
pub fn documents(plan_text: &str, plan_name: &str) -> Result<Vec<PlanDocument>, LintError> {
    let root = json::parse(plan_text).map_err(|e| LintError::Plan {
        path: plan_name.to_string(),
        message: e.to_string(),
    })?;
    let Some(planned) = root.get("planned_values") else {
        return Err(LintError::Plan {
            path: plan_name.to_string(),
            message: "no `planned_values` (expected the output of `terraform show -json <plan>`)"
                .into(),
        });
    };
    let mut out = Vec::new();
    if let Some(module) = planned.value.get("root_module") {
        module_documents(&module.value, &mut out);
    }
    Ok(out)
}

fn module_documents(module: &Node, out: &mut Vec<PlanDocument>) {
    if let Some(Value::Array(resources)) = module.get("resources").map(|m| &m.value.value) {
        for resource in resources {
            let get = |k: &str| resource.get(k).and_then(|m| m.value.as_str());
            if get("mode").is_some_and(|m| m != "managed") {
                continue;
            }
            let (Some(ty), Some(address)) = (get("type"), get("address")) else {
                continue;
            };
            let Some((_, attributes, kind)) = TYPES.iter().find(|(t, _, _)| *t == ty) else {
                continue;
            };
            let Some(values) = resource.get("values") else {
                continue;
            };
            let document = attributes
                .iter()
                .filter_map(|a| values.value.get(a))
                .find(|m| m.value.as_str().is_some());
            if let Some(m) = document {
                out.push(PlanDocument {
                    address: address.to_string(),
                    kind: *kind,
                    text: m.value.as_str().unwrap_or_default().to_string(),
                    span: m.value.span,
                });
            }
        }
    }
    if let Some(Value::Array(children)) = module.get("child_modules").map(|m| &m.value.value) {
        for child in children {
            module_documents(child, out);
        }
    }
}

/// Lints every policy document of the plan at `path`. `--kind` does not
/// apply (each resource type has its kind); ignores and severity overrides
/// do, matched against the plan's path.
pub fn lint_plan(path: &Path, options: &Options) -> Result<Vec<Document>, LintError> {
    options.validate()?;
    let name = crate::input::display_name(path);
    let text = crate::input::read_text(path, crate::input::MAX_PLAN_BYTES, "a Terraform plan")?;
    let mut documents = Vec::new();
    for d in self::documents(&text, &name)? {
        let (doc_text, _, diagnostics) = lint_bytes(d.text.as_bytes(), Some(d.kind));
        let mut findings = options.apply(path, diagnostics, &name);
        for f in &mut findings {
            f.resource = Some(d.address.clone());
        }
        documents.push(Document {
            file: name.clone(),
            resource: Some(d.address),
            file_span: Some(d.span),
            kind: d.kind,
            text: doc_text,
            findings,
        });
    }
    Ok(documents)
}
