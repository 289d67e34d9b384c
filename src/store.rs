//! The principal store: a directory with `principals.json` and one
//! `<PolicyName>.json` per custom policy, plus the system policies ramcheck
//! ships. Everything is read and validated when the store is loaded, so a
//! broken reference is an error before any question is answered.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use crate::eval::PolicySet;
use crate::json::{self, JsonError, Member, Node, Span, Value};
use crate::policy::{Policy, PolicyError, PolicyKind, PolicyRef};
use crate::request::{Principal, PrincipalKind};
use crate::suggest::did_you_mean;

/// System policies shipped with ramcheck, verbatim from Alibaba Cloud's
/// published documents (sources in `src/system_policies/SOURCES.md`).
pub const SYSTEM_POLICIES: &[(&str, &str)] = &[
    (
        "AliyunIMMFullAccess",
        include_str!("system_policies/AliyunIMMFullAccess.json"),
    ),
    (
        "AliyunIMMReadOnlyAccess",
        include_str!("system_policies/AliyunIMMReadOnlyAccess.json"),
    ),
];

/// Why a store or policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{}:{}: invalid JSON: {}", .error.position.line, .error.position.column, .error.kind)]
    Json { file: String, error: JsonError },
    #[error("{file}:{}:{}: {message}", .span.start.line, .span.start.column)]
    Schema {
        file: String,
        span: Span,
        message: String,
    },
    #[error("{file}:{}:{}: unknown group {group:?}{}", .span.start.line, .span.start.column, hint(.suggestion))]
    UnknownGroup {
        file: String,
        span: Span,
        group: String,
        suggestion: Option<String>,
    },
    #[error("{file}:{}:{}: unknown policy {name:?}: no {name}.json in the store and no system policy of that name{}", .span.start.line, .span.start.column, hint(.suggestion))]
    UnknownPolicy {
        file: String,
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    #[error("{file}:{}:{}: invalid policy name {name:?}: 1-128 characters of A-Z, a-z, 0-9 and '-'", .span.start.line, .span.start.column)]
    InvalidPolicyName {
        file: String,
        span: Span,
        name: String,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("unknown principal {principal:?} in {file}{}", hint(.suggestion))]
    UnknownPrincipal {
        principal: String,
        file: String,
        suggestion: Option<String>,
    },
    #[error(
        "invalid principal {principal:?}: expected user/<name>, role/<name> or acs:ram::<account>:user/<name>"
    )]
    InvalidPrincipal { principal: String },
    #[error(
        "principal {principal:?} belongs to account {found}, but the store is for account {expected}"
    )]
    AccountMismatch {
        principal: String,
        found: String,
        expected: String,
    },
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean {s:?}?)"),
        None => String::new(),
    }
}

/// Reads a policy document from a file; its name is the file stem.
pub fn load_policy_file(path: &Path, kind: PolicyKind) -> Result<PolicyRef, StoreError> {
    let text = read(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Arc::new(Policy::parse(
        &text,
        &name,
        &path.display().to_string(),
        kind,
    )?))
}

fn read(path: &Path) -> Result<String, StoreError> {
    let bytes = fs::read(path).map_err(|source| StoreError::Io {
        path: path.display().to_string(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // Report where the bad byte is, through the JSON reader's rules.
        let error = json::parse_bytes(e.as_bytes()).err().unwrap_or(JsonError {
            kind: json::JsonErrorKind::InvalidUtf8,
            position: Default::default(),
        });
        StoreError::Json {
            file: path.display().to_string(),
            error,
        }
    })
}

#[derive(Debug, Clone)]
struct User {
    name: String,
    groups: Vec<String>,
    policies: Vec<PolicyRef>,
}

#[derive(Debug, Clone)]
struct Role {
    name: String,
    policies: Vec<PolicyRef>,
    trust: Option<PolicyRef>,
}

/// A loaded, validated principal store.
#[derive(Debug, Clone)]
pub struct Store {
    file: String,
    account_id: String,
    users: Vec<User>,
    groups: HashMap<String, Vec<PolicyRef>>,
    roles: Vec<Role>,
    control: Vec<PolicyRef>,
}

/// A principal found in the store, with every policy that applies to it.
#[derive(Debug, Clone)]
pub struct ResolvedPrincipal {
    pub principal: Principal,
    pub policies: PolicySet,
}

impl Store {
    /// Loads `dir/principals.json` and every policy it names.
    pub fn load(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("principals.json");
        let file = path.display().to_string();
        let text = read(&path)?;
        let root = json::parse(&text).map_err(|error| StoreError::Json {
            file: file.clone(),
            error,
        })?;
        let mut loader = Loader {
            documents: Documents::Dir(dir),
            file: &file,
            cache: HashMap::new(),
        };
        loader.prefetch(&root);
        loader.store(&root)
    }

    /// Builds a store from documents in memory: the text of
    /// `principals.json` and each custom policy's text by name. System
    /// policies are found as with [`Store::load`].
    pub fn from_documents(
        principals: &str,
        policies: &HashMap<String, String>,
    ) -> Result<Store, StoreError> {
        let file = "principals.json";
        let root = json::parse(principals).map_err(|error| StoreError::Json {
            file: file.to_string(),
            error,
        })?;
        let mut loader = Loader {
            documents: Documents::Memory(policies),
            file,
            cache: HashMap::new(),
        };
        loader.prefetch(&root);
        loader.store(&root)
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The user names, in file order.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.iter().map(|u| u.name.as_str())
    }

    /// The role names, in file order.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|r| r.name.as_str())
    }

    /// A role's trust policy, by role name.
    pub fn trust_policy(&self, role: &str) -> Option<PolicyRef> {
        self.roles
            .iter()
            .find(|r| r.name == role)
            .and_then(|r| r.trust.clone())
    }

    /// Finds `user/<name>`, `role/<name>` or the ARN form and gathers its
    /// policies: the store's control policies, then its identity policies
    /// (a user's own, then its groups' in order).
    pub fn resolve(&self, spec: &str) -> Result<ResolvedPrincipal, StoreError> {
        let (kind, name) = self.parse_principal(spec)?;
        let unknown = |candidates: Vec<&str>| StoreError::UnknownPrincipal {
            principal: spec.to_string(),
            file: self.file.clone(),
            suggestion: did_you_mean(name, candidates).map(|s| format!("{kind}/{s}")),
        };
        let mut policies = PolicySet {
            control: self.control.clone(),
            ..PolicySet::default()
        };
        let principal =
            if kind == "user" {
                let user =
                    self.users.iter().find(|u| u.name == name).ok_or_else(|| {
                        unknown(self.users.iter().map(|u| u.name.as_str()).collect())
                    })?;
                policies.identity = user.policies.clone();
                for group in &user.groups {
                    // Groups were checked at load time.
                    if let Some(p) = self.groups.get(group) {
                        policies.identity.extend(p.iter().cloned());
                    }
                }
                Principal::user(&self.account_id, name)
            } else {
                let role =
                    self.roles.iter().find(|r| r.name == name).ok_or_else(|| {
                        unknown(self.roles.iter().map(|r| r.name.as_str()).collect())
                    })?;
                policies.identity = role.policies.clone();
                Principal::role(&self.account_id, name)
            };
        Ok(ResolvedPrincipal {
            principal,
            policies,
        })
    }

    /// The trust policy of the store role that `resource` names, for
    /// `sts:AssumeRole` on `acs:ram::<account>:role/<name>`.
    pub fn trust_policy_for(&self, resource: &str) -> Option<PolicyRef> {
        self.trust_policy(role_in_account(resource, &self.account_id)?)
    }

    fn parse_principal<'s>(&self, spec: &'s str) -> Result<(&'static str, &'s str), StoreError> {
        let principal =
            Principal::parse(spec, &self.account_id).map_err(|_| StoreError::InvalidPrincipal {
                principal: spec.to_string(),
            })?;
        let Principal::Named { kind, account, .. } = &principal else {
            return Err(StoreError::InvalidPrincipal {
                principal: spec.to_string(),
            });
        };
        if *account != self.account_id {
            return Err(StoreError::AccountMismatch {
                principal: spec.to_string(),
                found: account.clone(),
                expected: self.account_id.clone(),
            });
        }
        // The name is the text after the last '/', as `parse` read it.
        let name = spec.rsplit_once('/').map_or(spec, |(_, n)| n);
        Ok((
            match kind {
                PrincipalKind::User => "user",
                PrincipalKind::Role => "role",
            },
            name,
        ))
    }
}

fn is_valid_policy_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Where a store's custom policies come from.
enum Documents<'a> {
    /// `<PolicyName>.json` files in a directory.
    Dir(&'a Path),
    /// Policy name to text.
    Memory(&'a HashMap<String, String>),
}

impl Documents<'_> {
    /// The text of custom policy `name` and where it came from, if held.
    fn policy(&self, name: &str) -> Result<Option<(String, String)>, StoreError> {
        match self {
            Documents::Dir(dir) => {
                let path = dir.join(format!("{name}.json"));
                if !path.is_file() {
                    return Ok(None);
                }
                Ok(Some((read(&path)?, path.display().to_string())))
            }
            Documents::Memory(map) => Ok(map
                .get(name)
                .map(|text| (text.clone(), format!("memory:{name}")))),
        }
    }

    /// Every policy name held, for did-you-mean.
    fn names(&self) -> Vec<String> {
        match self {
            Documents::Dir(dir) => fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| {
                            let p = e.ok()?.path();
                            if p.extension()? != "json" {
                                return None;
                            }
                            Some(p.file_stem()?.to_string_lossy().into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Documents::Memory(map) => map.keys().cloned().collect(),
        }
    }
}

/// The text and origin of policy `name`: the store's own document, else
/// a system policy ramcheck ships (a store file of the same name wins).
fn policy_text(documents: &Documents, name: &str) -> Result<Option<(String, String)>, StoreError> {
    if let Some(found) = documents.policy(name)? {
        return Ok(Some(found));
    }
    Ok(SYSTEM_POLICIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| (text.to_string(), format!("builtin:{name}"))))
}

/// The role name an ARN `acs:ram::<account>:role/<name>` names, when the
/// account is `account`: where `sts:AssumeRole` finds the trust policy.
pub fn role_in_account<'r>(resource: &'r str, account: &str) -> Option<&'r str> {
    let rest = resource.strip_prefix("acs:ram::")?;
    let (acct, role) = rest.split_once(":role/")?;
    (acct == account && !role.is_empty()).then_some(role)
}

/// Reads `principals.json` with its spans, so every schema error names a
/// line, and loads each policy once per kind.
struct Loader<'a> {
    documents: Documents<'a>,
    file: &'a str,
    cache: HashMap<(String, PolicyKind), PolicyRef>,
}

impl Loader<'_> {
    fn schema(&self, span: Span, message: impl Into<String>) -> StoreError {
        StoreError::Schema {
            file: self.file.to_string(),
            span,
            message: message.into(),
        }
    }

    fn object<'n>(
        &self,
        node: &'n Node,
        what: &str,
        allowed: &[&'static str],
        required: &[&str],
    ) -> Result<&'n [Member], StoreError> {
        let members = node
            .as_object()
            .ok_or_else(|| self.schema(node.span, format!("{what} must be an object")))?;
        for m in members {
            if !allowed.contains(&m.key.as_str()) {
                let mut message = format!("unknown key {:?} in {what}", m.key);
                if let Some(s) = did_you_mean(&m.key, allowed.iter().copied()) {
                    message.push_str(&format!(" (did you mean {s:?}?)"));
                }
                return Err(self.schema(m.key_span, message));
            }
        }
        for key in required {
            if !members.iter().any(|m| m.key == *key) {
                return Err(self.schema(node.span, format!("{what} needs {key:?}")));
            }
        }
        Ok(members)
    }

    fn string<'n>(&self, node: &'n Node, what: &str) -> Result<&'n str, StoreError> {
        match node.as_str() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(self.schema(node.span, format!("{what} must be a non-empty string"))),
        }
    }

    fn strings<'n>(&self, node: &'n Node, what: &str) -> Result<Vec<(&'n str, Span)>, StoreError> {
        let Value::Array(items) = &node.value else {
            return Err(self.schema(node.span, format!("{what} must be an array of strings")));
        };
        items
            .iter()
            .map(|n| Ok((self.string(n, what)?, n.span)))
            .collect()
    }

    fn array<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], StoreError> {
        match &node.value {
            Value::Array(items) => Ok(items),
            _ => Err(self.schema(node.span, format!("{what} must be an array"))),
        }
    }

    fn policy(
        &mut self,
        name: &str,
        span: Span,
        kind: PolicyKind,
    ) -> Result<PolicyRef, StoreError> {
        if !is_valid_policy_name(name) {
            // Also keeps names like `../x` from reaching the file system.
            return Err(StoreError::InvalidPolicyName {
                file: self.file.to_string(),
                span,
                name: name.to_string(),
            });
        }
        if let Some(p) = self.cache.get(&(name.to_string(), kind)) {
            return Ok(p.clone());
        }
        let policy = if let Some((text, origin)) = policy_text(&self.documents, name)? {
            Policy::parse(&text, name, &origin, kind)?
        } else {
            let mut candidates: Vec<String> =
                SYSTEM_POLICIES.iter().map(|(n, _)| n.to_string()).collect();
            candidates.extend(self.documents.names());
            return Err(StoreError::UnknownPolicy {
                file: self.file.to_string(),
                span,
                name: name.to_string(),
                suggestion: did_you_mean(name, candidates.iter().map(String::as_str))
                    .map(str::to_string),
            });
        };
        let policy = Arc::new(policy);
        self.cache.insert((name.to_string(), kind), policy.clone());
        Ok(policy)
    }

    fn policies(
        &mut self,
        node: &Node,
        what: &str,
        kind: PolicyKind,
    ) -> Result<Vec<PolicyRef>, StoreError> {
        self.strings(node, what)?
            .into_iter()
            .map(|(name, span)| self.policy(name, span, kind))
            .collect()
    }

    /// Reads and parses every policy `principals.json` names, on all cores,
    /// before the validating pass walks the file: a store at RAM's limit
    /// of 1,500 policies then loads in a fraction of the time. Whatever
    /// fails here is left to that pass, which reports it in file order.
    fn prefetch(&mut self, root: &Node) {
        let mut wanted: Vec<(String, PolicyKind)> = Vec::new();
        let mut want = |node: Option<&Member>, kind: PolicyKind| match node.map(|m| &m.value.value)
        {
            Some(Value::Array(items)) => wanted.extend(
                items
                    .iter()
                    .filter_map(Node::as_str)
                    .map(|n| (n.to_string(), kind)),
            ),
            Some(Value::String(name)) => wanted.push((name.clone(), kind)),
            _ => {}
        };
        for (section, key, kind) in [
            ("Users", "Policies", PolicyKind::Identity),
            ("Groups", "Policies", PolicyKind::Identity),
            ("Roles", "Policies", PolicyKind::Identity),
            ("Roles", "TrustPolicy", PolicyKind::Trust),
        ] {
            if let Some(Value::Array(items)) = root.get(section).map(|m| &m.value.value) {
                for item in items {
                    want(item.get(key), kind);
                }
            }
        }
        want(root.get("ControlPolicies"), PolicyKind::Control);
        let mut seen = std::collections::HashSet::new();
        wanted.retain(|(name, kind)| {
            is_valid_policy_name(name) && seen.insert((name.clone(), *kind))
        });
        const PER_THREAD: usize = 64;
        if wanted.len() < 2 * PER_THREAD {
            return;
        }
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = wanted.len().div_ceil(threads).max(PER_THREAD);
        let documents = &self.documents;
        let parsed: Vec<((String, PolicyKind), PolicyRef)> = std::thread::scope(|scope| {
            let workers: Vec<_> = wanted
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .filter_map(|(name, kind)| {
                                let (text, origin) = policy_text(documents, name).ok()??;
                                let policy = Policy::parse(&text, name, &origin, *kind).ok()?;
                                Some(((name.clone(), *kind), Arc::new(policy)))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        self.cache.extend(parsed);
    }

    /// One entry of `Users`, `Groups` or `Roles`: its members (unknown keys
    /// refused), its name and where the name is written.
    fn entry<'n>(
        &self,
        node: &'n Node,
        what: &str,
        name_key: &'static str,
        allowed: &[&'static str],
    ) -> Result<(&'n [Member], String, Span), StoreError> {
        let members = self.object(node, what, allowed, &[name_key])?;
        let name_node = &members
            .iter()
            .find(|m| m.key == name_key)
            .ok_or_else(|| self.schema(node.span, format!("missing {name_key}")))?
            .value;
        let name = self.string(name_node, name_key)?.to_string();
        Ok((members, name, name_node.span))
    }

    /// The identity policies an entry's `Policies` names.
    fn attached(&mut self, members: &[Member]) -> Result<Vec<PolicyRef>, StoreError> {
        match members.iter().find(|m| m.key == "Policies") {
            Some(p) => self.policies(&p.value, "Policies", PolicyKind::Identity),
            None => Ok(Vec::new()),
        }
    }

    fn store(&mut self, root: &Node) -> Result<Store, StoreError> {
        let members = self.object(
            root,
            "principals.json",
            &["AccountId", "Users", "Groups", "Roles", "ControlPolicies"],
            &["AccountId"],
        )?;
        let get = |k: &str| members.iter().find(|m| m.key == k).map(|m| &m.value);
        let account =
            get("AccountId").ok_or_else(|| self.schema(root.span, "missing AccountId"))?;
        let account_id = self.string(account, "AccountId")?;
        if !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.schema(account.span, "AccountId must be the account's digits"));
        }

        let mut groups = HashMap::new();
        if let Some(node) = get("Groups") {
            for g in self.array(node, "Groups")? {
                let (m, name, span) =
                    self.entry(g, "a group", "GroupName", &["GroupName", "Policies"])?;
                let policies = self.attached(m)?;
                if groups.insert(name.clone(), policies).is_some() {
                    return Err(self.schema(span, format!("group {name:?} is defined twice")));
                }
            }
        }

        let mut users: Vec<User> = Vec::new();
        if let Some(node) = get("Users") {
            for u in self.array(node, "Users")? {
                let (m, name, span) =
                    self.entry(u, "a user", "UserName", &["UserName", "Groups", "Policies"])?;
                if users.iter().any(|x| x.name == name) {
                    return Err(self.schema(span, format!("user {name:?} is defined twice")));
                }
                let mut user_groups = Vec::new();
                if let Some(gs) = m.iter().find(|m| m.key == "Groups") {
                    for (g, span) in self.strings(&gs.value, "Groups")? {
                        if !groups.contains_key(g) {
                            return Err(StoreError::UnknownGroup {
                                file: self.file.to_string(),
                                span,
                                group: g.to_string(),
                                suggestion: did_you_mean(g, groups.keys().map(String::as_str))
                                    .map(str::to_string),
                            });
                        }
                        user_groups.push(g.to_string());
                    }
                }
                let policies = self.attached(m)?;
                users.push(User {
                    name,
                    groups: user_groups,
                    policies,
                });
            }
        }

        let mut roles: Vec<Role> = Vec::new();
        if let Some(node) = get("Roles") {
            for r in self.array(node, "Roles")? {
                let (m, name, span) = self.entry(
                    r,
                    "a role",
                    "RoleName",
                    &["RoleName", "Policies", "TrustPolicy"],
                )?;
                if roles.iter().any(|x| x.name == name) {
                    return Err(self.schema(span, format!("role {name:?} is defined twice")));
                }
                let policies = self.attached(m)?;
                let trust = match m.iter().find(|m| m.key == "TrustPolicy") {
                    Some(t) => {
                        let trust_name = self.string(&t.value, "TrustPolicy")?;
                        Some(self.policy(trust_name, t.value.span, PolicyKind::Trust)?)
                    }
                    None => None,
                };
                roles.push(Role {
                    name,
                    policies,
                    trust,
                });
            }
        }

        let control = match get("ControlPolicies") {
            Some(node) => self.policies(node, "ControlPolicies", PolicyKind::Control)?,
            None => Vec::new(),
        };

        Ok(Store {
            file: self.file.to_string(),
            account_id: account_id.to_string(),
            users,
            groups,
            roles,
            control,
        })
    }
}
