//! `ramcheck catalog`: what the catalogue says about the services, one
//! service, one action, or the actions an action pattern covers.
//!
//! The answers are built here and rendered as text or JSON here, so the CLI
//! only picks the format. Every fact shown carries the source it was read
//! from, and inferred rows say so: a reader can check any line against the
//! service's page (docs/catalog.md).

use serde_json::{Value, json};

use super::{ActionInfo, Catalog, CodeEntry, Granularity, Service};
use crate::wildcard::{Case, Wildcard};

/// Why a catalogue question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No documented RAM code is spelt so.
    #[error("no RAM code {code:?} is documented{}", crate::suggest::hint(.suggestion.as_deref()))]
    UnknownCode {
        /// The code asked for.
        code: String,
        /// The closest documented code.
        suggestion: Option<String>,
    },
    /// The service's table has no such action.
    #[error("{service} lists no action {action:?}{}{}",
        crate::suggest::hint(.suggestion.as_deref()),
        if *.complete { "" } else { " (its table in the catalogue is partial)" })]
    UnknownAction {
        /// The RAM code.
        service: String,
        /// The action asked for.
        action: String,
        /// The closest action of the service.
        suggestion: Option<String>,
        /// Whether the catalogue holds the service's whole table.
        complete: bool,
    },
    /// The code is documented, but no action table of it was read.
    #[error(
        "{code} is a documented RAM code, but the catalogue has no action table for it \
         (see `ramcheck catalog {code}`)"
    )]
    NoTable {
        /// The RAM code.
        code: String,
    },
    /// Not a code, an action or a pattern.
    #[error(
        "{query:?} is not a RAM code, an action (`imm:AttachOSSBucket`) or a pattern (`oss:Get*`)"
    )]
    Malformed {
        /// The query.
        query: String,
    },
}

/// One answer of `ramcheck catalog`.
#[derive(Debug)]
pub enum Answer<'c> {
    /// Every documented code (no query, or a code pattern such as `yundun*`).
    Codes(Vec<&'c CodeEntry>),
    /// One code: its index entry and, when one was read, its table.
    Service {
        /// The index entry.
        entry: &'c CodeEntry,
        /// The service's table, if the catalogue has one.
        service: Option<&'c Service>,
    },
    /// One action.
    Action {
        /// Its service.
        service: &'c Service,
        /// The action.
        action: &'c ActionInfo,
    },
    /// The catalogued actions an action pattern covers.
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// The actions it covers, by service.
        actions: Vec<(&'c Service, &'c ActionInfo)>,
        /// Codes the pattern names whose table is partial or missing: it may
        /// cover more than is listed.
        partial: Vec<String>,
    },
}

/// The longest query answered; RAM codes and action names are far shorter.
const MAX_QUERY: usize = 512;

/// Answers `ramcheck catalog [QUERY]`.
pub fn lookup<'c>(catalog: &'c Catalog, query: Option<&str>) -> Result<Answer<'c>, QueryError> {
    let Some(query) = query else {
        return Ok(Answer::Codes(catalog.codes().iter().collect()));
    };
    let malformed = || QueryError::Malformed {
        query: query.chars().take(80).collect(),
    };
    if query.is_empty() || query.len() > MAX_QUERY || query.chars().any(char::is_whitespace) {
        return Err(malformed());
    }
    let wild = query.contains(['*', '?']);
    match query.split_once(':') {
        None if wild => {
            let pattern = Wildcard::new(query, Case::Insensitive);
            Ok(Answer::Codes(
                catalog
                    .codes()
                    .iter()
                    .filter(|c| pattern.matches(&c.ram_code))
                    .collect(),
            ))
        }
        None => {
            let entry = catalog.code(query).ok_or_else(|| QueryError::UnknownCode {
                code: query.to_string(),
                suggestion: catalog.suggest_code(query).map(str::to_string),
            })?;
            Ok(Answer::Service {
                entry,
                service: catalog.service(&entry.ram_code),
            })
        }
        Some((code, name)) if code.is_empty() || name.is_empty() || name.contains(':') => {
            Err(malformed())
        }
        Some(_) if wild => Ok(expand(catalog, query)),
        Some((code, name)) => {
            let entry = catalog.code(code).ok_or_else(|| QueryError::UnknownCode {
                code: code.to_string(),
                suggestion: catalog.suggest_code(code).map(str::to_string),
            })?;
            let service = catalog
                .service(&entry.ram_code)
                .ok_or_else(|| QueryError::NoTable {
                    code: entry.ram_code.clone(),
                })?;
            let action = service
                .action(name)
                .ok_or_else(|| QueryError::UnknownAction {
                    service: service.ram_code.clone(),
                    action: query.to_string(),
                    suggestion: service.suggest_action(name).map(|a| a.action.clone()),
                    complete: service.actions_complete,
                })?;
            Ok(Answer::Action { service, action })
        }
    }
}

/// The actions of every catalogued service that `pattern` covers, with the
/// codes whose tables cannot say it all.
fn expand<'c>(catalog: &'c Catalog, pattern: &str) -> Answer<'c> {
    let (code, _) = pattern.split_once(':').unwrap_or((pattern, ""));
    let code_pattern = Wildcard::new(code, Case::Insensitive);
    let action_pattern = Wildcard::new(pattern, Case::Insensitive);
    let mut actions = Vec::new();
    let mut partial = Vec::new();
    for entry in catalog
        .codes()
        .iter()
        .filter(|c| code_pattern.matches(&c.ram_code))
    {
        match catalog.service(&entry.ram_code) {
            Some(service) => {
                actions.extend(
                    service
                        .actions
                        .iter()
                        .filter(|a| action_pattern.matches(&a.action))
                        .map(|a| (service, a)),
                );
                if !service.actions_complete {
                    partial.push(entry.ram_code.clone());
                }
            }
            None => partial.push(entry.ram_code.clone()),
        }
    }
    Answer::Pattern {
        pattern: pattern.to_string(),
        actions,
        partial,
    }
}

fn granularity(g: Granularity) -> &'static str {
    match g {
        Granularity::Resource => "resource",
        Granularity::Operation => "operation",
        Granularity::Unknown => "unknown",
    }
}

fn table_size(service: Option<&Service>) -> String {
    match service {
        Some(s) if s.actions_complete => format!("{} (complete)", s.actions.len()),
        Some(s) => format!("{} (partial)", s.actions.len()),
        None => "-".to_string(),
    }
}

fn resources_text(service: &Service, action: &ActionInfo) -> Vec<String> {
    action
        .resources
        .iter()
        .map(|r| {
            let name = service
                .resource_type(&r.resource_type)
                .map_or(r.resource_type.as_str(), |t| t.name.as_str());
            let required = if r.required { " (required)" } else { "" };
            format!("{name}{required}  {}", r.arn_template)
        })
        .collect()
}

fn or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

impl Answer<'_> {
    /// The answer for a terminal: aligned columns, one fact per line.
    pub fn to_text(&self, catalog: &Catalog) -> String {
        let mut out = String::new();
        match self {
            Answer::Codes(codes) => {
                let width = codes
                    .iter()
                    .map(|c| c.ram_code.len())
                    .max()
                    .unwrap_or(4)
                    .max(4);
                out += &format!(
                    "{:width$}  {:15}  {:11}  PRODUCT\n",
                    "CODE", "ACTIONS", "GRANULARITY"
                );
                let mut tables = 0;
                for c in codes {
                    let service = catalog.service(&c.ram_code);
                    tables += usize::from(service.is_some());
                    out += &format!(
                        "{:width$}  {:15}  {:11}  {}\n",
                        c.ram_code,
                        table_size(service),
                        granularity(c.granularity),
                        c.product
                    );
                }
                out += &format!(
                    "{} RAM codes; {tables} with action tables. `ramcheck catalog <CODE>` shows one.\n",
                    codes.len()
                );
            }
            Answer::Service { entry, service } => {
                out += &format!("{}: {}\n", entry.ram_code, entry.product);
                out += &format!("  source:       {}\n", entry.source);
                out += &format!("  granularity:  {}\n", granularity(entry.granularity));
                if let Some(note) = &entry.note {
                    out += &format!("  note:         {note}\n");
                }
                let Some(s) = service else {
                    out += "  actions:      no action table in the catalogue: policies naming this \
                            code are checked for syntax only\n";
                    return out;
                };
                out += &format!("  actions:      {}\n", table_size(Some(s)));
                out += "resource types:\n";
                for t in &s.resource_types {
                    out += &format!("  {:24}  {}\n", t.name, t.arn_template);
                }
                if !s.condition_keys.is_empty() {
                    out += "condition keys:\n";
                    for k in &s.condition_keys {
                        let multi = if k.multi { ", multi-valued" } else { "" };
                        out += &format!("  {}  ({}{multi})\n", k.name, k.kind.value_type());
                    }
                }
                out += "actions (* inferred, not stated by the page):\n";
                let width = s.actions.iter().map(|a| a.action.len()).max().unwrap_or(0);
                for a in &s.actions {
                    let mark = if a.confirmed { ' ' } else { '*' };
                    let types: Vec<&str> = a
                        .resources
                        .iter()
                        .map(|r| r.resource_type.as_str())
                        .collect();
                    out += &format!(
                        "  {mark}{:width$}  {:6}  {}\n",
                        a.action,
                        a.access_level.as_str(),
                        types.join(", ")
                    );
                }
            }
            Answer::Action { service, action } => {
                out += &format!("{}\n", action.action);
                out += &format!(
                    "  service:            {} ({})\n",
                    service.product, service.ram_code
                );
                if let Some(api) = &action.api {
                    out += &format!("  API:                {api}\n");
                }
                out += &format!("  access level:       {}\n", action.access_level);
                let mut lines = resources_text(service, action).into_iter();
                out += &format!(
                    "  resources:          {}\n",
                    lines.next().unwrap_or_default()
                );
                for line in lines {
                    out += &format!("                      {line}\n");
                }
                out += &format!(
                    "  condition keys:     {}\n",
                    or_dash(&action.condition_keys)
                );
                out += &format!(
                    "  dependent actions:  {}\n",
                    or_dash(&action.dependent_actions)
                );
                if !action.params.is_empty() {
                    let params: Vec<String> = action
                        .params
                        .iter()
                        .map(|p| {
                            if p.required {
                                format!("{} (required)", p.name)
                            } else {
                                p.name.clone()
                            }
                        })
                        .collect();
                    out += &format!("  API parameters:     {}\n", params.join(", "));
                }
                let source = action.source.as_deref().unwrap_or(&service.source);
                out += &format!("  source:             {source}\n");
                if action.confirmed {
                    out += "  stated by the page: yes\n";
                } else {
                    out += "  stated by the page: no, inferred\n";
                }
                if let Some(note) = &action.note {
                    out += &format!("  note:               {note}\n");
                }
            }
            Answer::Pattern {
                pattern,
                actions,
                partial,
            } => {
                let width = actions
                    .iter()
                    .map(|(_, a)| a.action.len())
                    .max()
                    .unwrap_or(0);
                for (_, a) in actions {
                    out += &format!("{:width$}  {}\n", a.action, a.access_level);
                }
                // The pattern is the user's argument: escaped, as every
                // text output escapes what a terminal would act on
                // (SECURITY.md, "Safe output").
                out += &format!(
                    "{} covers {} catalogued actions",
                    crate::terminal::escape(pattern),
                    actions.len()
                );
                if partial.is_empty() {
                    out += ".\n";
                } else {
                    out += &format!(
                        "; it may cover more of {} (tables partial or missing).\n",
                        partial.join(", ")
                    );
                }
            }
        }
        out
    }

    /// The answer as JSON, for scripts.
    pub fn to_json(&self, catalog: &Catalog) -> Value {
        let action_json = |service: &Service, a: &ActionInfo| {
            json!({
                "action": a.action,
                "api": a.api,
                "access_level": a.access_level.as_str(),
                "resources": a.resources.iter().map(|r| json!({
                    "type": r.resource_type,
                    "required": r.required,
                    "arn": r.arn_template,
                })).collect::<Vec<_>>(),
                "condition_keys": a.condition_keys,
                "dependent_actions": a.dependent_actions,
                "params": a.params.iter().map(|p| json!({
                    "name": p.name, "required": p.required, "type": p.kind.as_str(),
                })).collect::<Vec<_>>(),
                "confirmed": a.confirmed,
                "source": a.source.as_deref().unwrap_or(&service.source),
                "note": a.note,
            })
        };
        let code_json = |c: &CodeEntry| {
            let service = catalog.service(&c.ram_code);
            json!({
                "code": c.ram_code,
                "product": c.product,
                "source": c.source,
                "granularity": granularity(c.granularity),
                "actions": service.map(|s| s.actions.len()),
                "actions_complete": service.map(|s| s.actions_complete),
                "note": c.note,
            })
        };
        match self {
            Answer::Codes(codes) => {
                json!({"services": codes.iter().map(|c| code_json(c)).collect::<Vec<_>>()})
            }
            Answer::Service { entry, service } => {
                let mut v = code_json(entry);
                if let Some(s) = service {
                    v["resource_types"] = s
                        .resource_types
                        .iter()
                        .map(|t| json!({"name": t.name, "arn": t.arn_template}))
                        .collect();
                    v["condition_keys"] = s
                        .condition_keys
                        .iter()
                        .map(|k| json!({"name": k.name, "type": k.kind.value_type().to_string(), "multi": k.multi}))
                        .collect();
                    v["actions"] = s.actions.iter().map(|a| action_json(s, a)).collect();
                }
                v
            }
            Answer::Action { service, action } => action_json(service, action),
            Answer::Pattern {
                pattern,
                actions,
                partial,
            } => json!({
                "pattern": pattern,
                "actions": actions.iter().map(|(s, a)| action_json(s, a)).collect::<Vec<_>>(),
                "partial": partial,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(query: &str) -> Result<Answer<'static>, QueryError> {
        lookup(Catalog::builtin(), Some(query))
    }

    #[test]
    fn services_actions_and_patterns() {
        let c = Catalog::builtin();
        let Answer::Codes(all) = lookup(c, None).unwrap() else {
            panic!()
        };
        assert_eq!(all.len(), c.codes().len());
        assert!(matches!(
            ask("IMM").unwrap(),
            Answer::Service {
                service: Some(_),
                ..
            }
        ));
        assert!(matches!(
            ask("bss").unwrap(),
            Answer::Service { service: None, .. }
        ));
        let Answer::Action { action, .. } = ask("imm:attachossbucket").unwrap() else {
            panic!()
        };
        assert_eq!(action.action, "imm:AttachOSSBucket");
        let Answer::Pattern {
            actions, partial, ..
        } = ask("oss:Get*").unwrap()
        else {
            panic!()
        };
        assert!(actions.iter().any(|(_, a)| a.action == "oss:GetObject"));
        assert!(actions.iter().all(|(_, a)| a.action.starts_with("oss:Get")));
        assert!(partial.is_empty(), "oss's table is complete");
        let Answer::Codes(yundun) = ask("yundun*").unwrap() else {
            panic!()
        };
        assert!(yundun.iter().all(|c| c.ram_code.starts_with("yundun")));
    }

    #[test]
    fn misses_say_what_was_meant() {
        assert_eq!(
            ask("osss").unwrap_err().to_string(),
            "no RAM code \"osss\" is documented (did you mean `oss`?)"
        );
        let e = ask("imm:AttachOssBuckets").unwrap_err().to_string();
        assert!(e.contains("did you mean `imm:AttachOSSBucket`?"), "{e}");
        assert!(matches!(
            ask("bss:DescribeOrder"),
            Err(QueryError::NoTable { .. })
        ));
        assert!(matches!(ask("a b"), Err(QueryError::Malformed { .. })));
        assert!(matches!(ask("imm:"), Err(QueryError::Malformed { .. })));
        assert!(matches!(
            ask(&"x".repeat(10_000)),
            Err(QueryError::Malformed { .. })
        ));
    }
}
