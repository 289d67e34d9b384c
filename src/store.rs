//! The principal store: a directory with `principals.json` and one
//! `<PolicyName>.json` per custom policy, plus the system policies ramcheck
//! ships. Everything is read and validated when the store is loaded, so a
//! broken reference is an error before any question is answered.
//!
//! Loading is three passes: `principals.json` is read once into a typed
//! index (every schema error names its line); each policy it references is
//! resolved to RAM's namespace (`PolicyType`: system or custom) and loaded
//! once, on all cores for a large store; then the store is assembled.
//! System and custom policies are separate namespaces: a custom policy that
//! is referenced but cannot be read is an error, never a fallback to a
//! system policy of the same name (docs/semantics.md, "Policy references").

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::arn::role_in_account;
use crate::eval::PolicySet;
use crate::input::{self, ReadError};
use crate::json::{self, JsonError, Member, Node, Span, Value};
use crate::policy::{Policy, PolicyError, PolicyKind, PolicyRef};
use crate::principal::{Principal, PrincipalError};
use crate::suggest::{did_you_mean, hint};

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

/// RAM's two policy namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    /// Alibaba Cloud's own policies, read-only; ramcheck ships some.
    System,
    /// The account's policies: `<PolicyName>.json` in the store.
    Custom,
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        })
    }
}

/// Why a store or policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store could not be read (or is over its size cap).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// `principals.json` or a policy file is not UTF-8 JSON.
    #[error("{file}:{}:{}: invalid JSON: {}", .error.position.line, .error.position.column, .error.kind)]
    Json {
        /// The file.
        file: String,
        /// Where and what.
        error: JsonError,
    },
    /// `principals.json` does not follow the store's schema.
    #[error("{file}:{}:{}: {message}", .span.start.line, .span.start.column)]
    Schema {
        /// The file.
        file: String,
        /// Where.
        span: Span,
        /// What is wrong.
        message: String,
    },
    /// A user names a group the store does not define.
    #[error("{file}:{}:{}: unknown group {group:?}{}", .span.start.line, .span.start.column, hint(.suggestion.as_ref()))]
    UnknownGroup {
        /// The file.
        file: String,
        /// Where the group is named.
        span: Span,
        /// The group as named.
        group: String,
        /// The closest defined group.
        suggestion: Option<String>,
    },
    /// A reference to a policy that exists in neither namespace it may be in.
    #[error("{file}:{}:{}: unknown {}policy {name:?}: {}{}", .span.start.line, .span.start.column, policy_type_word(*.policy_type), unknown_policy_reason(*.policy_type, .name), hint(.suggestion.as_ref()))]
    UnknownPolicy {
        /// The file.
        file: String,
        /// Where the policy is named.
        span: Span,
        /// The policy name.
        name: String,
        /// The namespace the reference named; `None` for a bare name,
        /// which was looked up in both.
        policy_type: Option<PolicyType>,
        /// The closest policy name.
        suggestion: Option<String>,
    },
    /// A bare name that is both a shipped system policy and a store file
    /// (docs/semantics.md, "Policy references in a principal store").
    #[error(
        "{file}:{}:{}: policy {name:?} is both a system policy and a file of the store: name its type, {{\"PolicyName\": {name:?}, \"PolicyType\": \"Custom\"}} (or \"System\")",
        .span.start.line, .span.start.column
    )]
    AmbiguousPolicy {
        /// The file.
        file: String,
        /// Where the policy is named.
        span: Span,
        /// The policy name.
        name: String,
    },
    /// A custom policy the store holds but that cannot be read: a dangling
    /// link, a directory, an unreadable or oversized file.
    #[error("{file}:{}:{}: custom policy {name:?} cannot be read: {source}", .span.start.line, .span.start.column)]
    UnreadablePolicy {
        /// The file that names the policy.
        file: String,
        /// Where the policy is named.
        span: Span,
        /// The policy name.
        name: String,
        /// Why it cannot be read.
        #[source]
        source: ReadError,
    },
    /// A policy name outside RAM's rules.
    #[error("{file}:{}:{}: invalid policy name {name:?}: 1-128 characters of A-Z, a-z, 0-9 and '-'", .span.start.line, .span.start.column)]
    InvalidPolicyName {
        /// The file.
        file: String,
        /// Where the name is written.
        span: Span,
        /// The name as written.
        name: String,
    },
    /// A policy of the store does not parse.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The store does not hold the principal asked about.
    #[error("unknown principal {principal:?} in {file}{}", hint(.suggestion.as_ref()))]
    UnknownPrincipal {
        /// The principal as given.
        principal: String,
        /// The store's `principals.json`.
        file: String,
        /// The closest principal of the store.
        suggestion: Option<String>,
    },
    /// The principal asked about does not follow RAM's grammar.
    #[error(transparent)]
    InvalidPrincipal(#[from] PrincipalError),
    /// The principal asked about is of another account.
    #[error(
        "principal {principal:?} belongs to account {found}, but the store is for account {expected}"
    )]
    AccountMismatch {
        /// The principal as given.
        principal: String,
        /// Its account.
        found: String,
        /// The store's account.
        expected: String,
    },
}

fn policy_type_word(policy_type: Option<PolicyType>) -> &'static str {
    match policy_type {
        Some(PolicyType::Custom) => "custom ",
        Some(PolicyType::System) => "system ",
        None => "",
    }
}

fn unknown_policy_reason(policy_type: Option<PolicyType>, name: &str) -> String {
    match policy_type {
        Some(PolicyType::Custom) => format!("the store has no {name}.json"),
        Some(PolicyType::System) => "ramcheck ships no system policy of that name".to_string(),
        None => {
            format!("the store has no {name}.json and ramcheck ships no system policy of that name")
        }
    }
}

/// Reads a policy document from a file; its name is the file stem. `-`
/// reads standard input, and names the policy and its file `<stdin>`.
pub fn load_policy_file(path: &Path, kind: PolicyKind) -> Result<PolicyRef, StoreError> {
    Ok(PolicySource::read(path)?.parse(kind)?)
}

/// A policy document read from a file but not parsed yet, so that it can be
/// parsed as more than one kind without reading the file (or standard
/// input) again.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// The policy's name: the file stem, or `<stdin>`.
    pub name: String,
    /// The file as messages name it.
    pub file: String,
    /// The document's text.
    pub text: String,
}

impl PolicySource {
    /// Reads the document at `path` (`-`: standard input), within
    /// [`input::MAX_POLICY_BYTES`].
    pub fn read(path: &Path) -> Result<PolicySource, StoreError> {
        let bytes = input::read_limited(path, input::MAX_POLICY_BYTES, "a policy document")?;
        let file = input::display_name(path);
        let text = utf8(bytes, &file)?;
        let name = if input::is_stdin(path) {
            input::STDIN_NAME.to_string()
        } else {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Ok(PolicySource { name, file, text })
    }

    /// Parses the document as a policy of `kind`.
    pub fn parse(&self, kind: PolicyKind) -> Result<PolicyRef, PolicyError> {
        Ok(Arc::new(Policy::parse(
            &self.text, &self.name, &self.file, kind,
        )?))
    }
}

/// The text of a file's bytes; invalid UTF-8 is reported where the bad
/// byte is, through the JSON reader's rules.
fn utf8(bytes: Vec<u8>, file: &str) -> Result<String, StoreError> {
    String::from_utf8(bytes).map_err(|e| {
        let error = json::parse_bytes(e.as_bytes()).err().unwrap_or(JsonError {
            kind: json::JsonErrorKind::InvalidUtf8,
            position: Default::default(),
        });
        StoreError::Json {
            file: file.to_string(),
            error,
        }
    })
}

#[derive(Debug, Clone)]
struct User {
    name: String,
    uid: Option<String>,
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
    revision: String,
}

/// A principal found in the store, with every policy that applies to it.
#[derive(Debug, Clone)]
pub struct ResolvedPrincipal {
    /// The principal, read.
    pub principal: Principal,
    /// Its control and identity policies.
    pub policies: PolicySet,
}

impl Store {
    /// Loads `dir/principals.json` and every policy it names.
    pub fn load(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("principals.json");
        let bytes = input::read_regular(&path, input::MAX_PRINCIPALS_BYTES, "principals.json")?;
        let file = path.display().to_string();
        Store::build(&file, &utf8(bytes, &file)?, &Documents::Dir(dir))
    }

    /// Builds a store from documents in memory: the text of
    /// `principals.json` and each custom policy's text by name. System
    /// policies are found as with [`Store::load`].
    pub fn from_documents(
        principals: &str,
        policies: &HashMap<String, String>,
    ) -> Result<Store, StoreError> {
        Store::build("principals.json", principals, &Documents::Memory(policies))
    }

    fn build(file: &str, principals: &str, documents: &Documents) -> Result<Store, StoreError> {
        let root = json::parse(principals).map_err(|error| StoreError::Json {
            file: file.to_string(),
            error,
        })?;
        let index = Index::read(&root, file)?;
        let loaded = Loaded::load(&index, file, documents)?;
        let mut revision = Sha256::new();
        revision.update(b"ramcheck store v1\0");
        digest_part(&mut revision, "principals.json", principals.as_bytes());
        loaded.digest(&mut revision);
        let revision = hex(&revision.finalize()[..8]);
        let users = index
            .users
            .iter()
            .map(|u| User {
                name: u.name.clone(),
                uid: u.uid.clone(),
                groups: u.groups.iter().map(|(g, _)| g.clone()).collect(),
                policies: loaded.all(&u.policies, PolicyKind::Identity),
            })
            .collect();
        let groups = index
            .groups
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    loaded.all(&g.policies, PolicyKind::Identity),
                )
            })
            .collect();
        let roles = index
            .roles
            .iter()
            .map(|r| Role {
                name: r.name.clone(),
                policies: loaded.all(&r.policies, PolicyKind::Identity),
                trust: r
                    .trust
                    .as_ref()
                    .and_then(|t| loaded.get(t, PolicyKind::Trust)),
            })
            .collect();
        Ok(Store {
            file: file.to_string(),
            account_id: index.account,
            users,
            groups,
            roles,
            control: loaded.all(&index.control, PolicyKind::Control),
            revision,
        })
    }

    /// The account the store describes.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// A digest of everything the store was built from (`principals.json`
    /// and each policy it references, by content): equal revisions mean
    /// equal stores, so a fleet's consistency can be checked.
    pub fn revision(&self) -> &str {
        &self.revision
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

    /// The policies that apply to a store principal: the store's control
    /// policies, then its identity policies (a user's own, then its
    /// groups' in order; a role's, also for its sessions). `None` when the
    /// store does not hold it (another account, an unknown name, a service).
    pub fn policies_for(&self, principal: &Principal) -> Option<PolicySet> {
        if principal.account() != Some(self.account_id.as_str()) {
            return None;
        }
        let identity = match principal {
            Principal::User { name, .. } => {
                let user = self.users.iter().find(|u| u.name == *name)?;
                let mut identity = user.policies.clone();
                for group in &user.groups {
                    // Groups were checked at load time.
                    if let Some(p) = self.groups.get(group) {
                        identity.extend(p.iter().cloned());
                    }
                }
                identity
            }
            Principal::Role { name, .. } | Principal::RoleSession { role: name, .. } => self
                .roles
                .iter()
                .find(|r| r.name == *name)?
                .policies
                .clone(),
            Principal::Service { .. }
            | Principal::IdentityProvider { .. }
            | Principal::Account { .. }
            | Principal::AdHoc => {
                return None;
            }
        };
        Some(PolicySet {
            control: self.control.clone(),
            identity,
            ..PolicySet::default()
        })
    }

    /// Reads a principal (see [`Principal::parse`]) of the store's account
    /// and gathers its policies (see [`Store::policies_for`]).
    pub fn resolve(&self, spec: &str) -> Result<ResolvedPrincipal, StoreError> {
        let principal = Principal::parse(spec, &self.account_id)?;
        if let Some(account) = principal.account()
            && account != self.account_id
        {
            return Err(StoreError::AccountMismatch {
                principal: spec.to_string(),
                found: account.to_string(),
                expected: self.account_id.clone(),
            });
        }
        let policies = self.policies_for(&principal).ok_or_else(|| {
            let (prefix, name, candidates): (&str, &str, Vec<&str>) = match &principal {
                Principal::User { name, .. } => ("user", name, self.users().collect()),
                Principal::Role { name, .. } | Principal::RoleSession { role: name, .. } => {
                    ("role", name, self.roles().collect())
                }
                _ => ("", "", Vec::new()),
            };
            StoreError::UnknownPrincipal {
                principal: spec.to_string(),
                file: self.file.clone(),
                suggestion: did_you_mean(name, candidates).map(|s| format!("{prefix}/{s}")),
            }
        })?;
        // The store knows the user's ID; the spec does not carry it.
        let uid = match &principal {
            Principal::User { name, .. } => self
                .users
                .iter()
                .find(|u| u.name == *name)
                .and_then(|u| u.uid.as_deref()),
            _ => None,
        };
        Ok(ResolvedPrincipal {
            principal: principal.clone().with_uid(uid),
            policies,
        })
    }

    /// The trust policy of the store role that `resource` names, for
    /// `sts:AssumeRole` on `acs:ram::<account>:role/<name>`.
    pub fn trust_policy_for(&self, resource: &str) -> Option<PolicyRef> {
        self.trust_policy(role_in_account(resource, &self.account_id)?)
    }
}

/// A digest of every `*.json` entry of a store directory, by name and
/// content (an entry that cannot be read counts by name and error). A
/// watcher that compares digests sees every edit, even one that keeps the
/// size and modification time (`cp -p`, `touch -r`), which metadata would
/// miss.
pub fn directory_digest(dir: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut entries: Vec<std::path::PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.retain(|p| p.extension().is_some_and(|e| e == "json"));
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match input::read_regular(&path, input::MAX_PRINCIPALS_BYTES, "a store file") {
            Ok(bytes) => digest_part(&mut hasher, &name, &bytes),
            Err(e) => digest_part(
                &mut hasher,
                &format!("unreadable:{name}"),
                e.to_string().as_bytes(),
            ),
        }
    }
    hex(&hasher.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_valid_policy_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// RAM's user, group and role names: 1-64 letters, digits, `.`, `_`, `-`
/// (and `@` in user names).
fn is_valid_principal_name(name: &str, at_allowed: bool) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'.' | b'_' | b'-')
                || (at_allowed && b == b'@')
        })
}

fn digest_part(hasher: &mut Sha256, name: &str, bytes: &[u8]) {
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// A policy as `principals.json` names it.
#[derive(Debug, Clone)]
struct Reference {
    name: String,
    /// Set when the reference names its namespace.
    policy_type: Option<PolicyType>,
    span: Span,
}

#[derive(Debug)]
struct UserEntry {
    name: String,
    uid: Option<String>,
    groups: Vec<(String, Span)>,
    policies: Vec<Reference>,
}

#[derive(Debug)]
struct GroupEntry {
    name: String,
    policies: Vec<Reference>,
}

#[derive(Debug)]
struct RoleEntry {
    name: String,
    policies: Vec<Reference>,
    trust: Option<Reference>,
}

/// `principals.json`, read and checked, before any policy is loaded.
#[derive(Debug)]
struct Index {
    account: String,
    users: Vec<UserEntry>,
    groups: Vec<GroupEntry>,
    roles: Vec<RoleEntry>,
    control: Vec<Reference>,
}

/// The one walk of `principals.json`'s schema.
struct Schema<'a> {
    file: &'a str,
}

impl Schema<'_> {
    fn error(&self, span: Span, message: impl Into<String>) -> StoreError {
        StoreError::Schema {
            file: self.file.to_string(),
            span,
            message: message.into(),
        }
    }

    /// An object's members, refusing unknown keys and requiring `required`.
    fn object<'n>(
        &self,
        node: &'n Node,
        what: &str,
        allowed: &[&'static str],
        required: &[&str],
    ) -> Result<&'n [Member], StoreError> {
        let members = node
            .as_object()
            .ok_or_else(|| self.error(node.span, format!("{what} must be an object")))?;
        for m in members {
            if !allowed.contains(&m.key.as_str()) {
                let mut message = format!("unknown key {:?} in {what}", m.key);
                message.push_str(&hint(did_you_mean(&m.key, allowed.iter().copied())));
                return Err(self.error(m.key_span, message));
            }
        }
        for key in required {
            if !members.iter().any(|m| m.key == *key) {
                return Err(self.error(node.span, format!("{what} needs {key:?}")));
            }
        }
        Ok(members)
    }

    fn string<'n>(&self, node: &'n Node, what: &str) -> Result<&'n str, StoreError> {
        match node.as_str() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(self.error(node.span, format!("{what} must be a non-empty string"))),
        }
    }

    fn array<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], StoreError> {
        match &node.value {
            Value::Array(items) => Ok(items),
            _ => Err(self.error(node.span, format!("{what} must be an array"))),
        }
    }

    /// A user, group or role name, valid by RAM's rules.
    fn principal_name(
        &self,
        node: &Node,
        what: &str,
        at_allowed: bool,
    ) -> Result<String, StoreError> {
        let name = self.string(node, what)?;
        if !is_valid_principal_name(name, at_allowed) {
            return Err(self.error(
                node.span,
                format!(
                    "invalid {what} {name:?}: 1-64 letters, digits, '.', '_', '-'{}",
                    if at_allowed { " and '@'" } else { "" }
                ),
            ));
        }
        Ok(name.to_string())
    }

    /// A policy reference: `"Name"` or `{"PolicyName": "Name", "PolicyType":
    /// "System"|"Custom"}` (RAM's own shape).
    fn reference(&self, node: &Node) -> Result<Reference, StoreError> {
        let (name_node, policy_type) = match &node.value {
            Value::Object(_) => {
                let members = self.object(
                    node,
                    "a policy reference",
                    &["PolicyName", "PolicyType"],
                    &["PolicyName", "PolicyType"],
                )?;
                let get = |k: &str| members.iter().find(|m| m.key == k).map(|m| &m.value);
                let type_node =
                    get("PolicyType").ok_or_else(|| self.error(node.span, "missing PolicyType"))?;
                let policy_type = match type_node.as_str() {
                    Some("System") => PolicyType::System,
                    Some("Custom") => PolicyType::Custom,
                    _ => {
                        return Err(self.error(
                            type_node.span,
                            "PolicyType must be \"System\" or \"Custom\"",
                        ));
                    }
                };
                let name =
                    get("PolicyName").ok_or_else(|| self.error(node.span, "missing PolicyName"))?;
                (name, Some(policy_type))
            }
            _ => (node, None),
        };
        let name = self.string(name_node, "a policy name")?;
        if !is_valid_policy_name(name) {
            // Also keeps names like `../x` from reaching the file system.
            return Err(StoreError::InvalidPolicyName {
                file: self.file.to_string(),
                span: name_node.span,
                name: name.to_string(),
            });
        }
        Ok(Reference {
            name: name.to_string(),
            policy_type,
            span: name_node.span,
        })
    }

    /// `Policies` (or `ControlPolicies`): an array of references.
    fn references(&self, node: Option<&Node>, what: &str) -> Result<Vec<Reference>, StoreError> {
        match node {
            None => Ok(Vec::new()),
            Some(node) => self
                .array(node, what)?
                .iter()
                .map(|n| self.reference(n))
                .collect(),
        }
    }
}

fn member<'n>(members: &'n [Member], key: &str) -> Option<&'n Node> {
    members.iter().find(|m| m.key == key).map(|m| &m.value)
}

impl Index {
    fn read(root: &Node, file: &str) -> Result<Index, StoreError> {
        let schema = Schema { file };
        let members = schema.object(
            root,
            "principals.json",
            &["AccountId", "Users", "Groups", "Roles", "ControlPolicies"],
            &["AccountId"],
        )?;
        let account_node = member(members, "AccountId")
            .ok_or_else(|| schema.error(root.span, "missing AccountId"))?;
        let account = schema.string(account_node, "AccountId")?;
        if account.len() > 32 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(schema.error(account_node.span, "AccountId must be the account's digits"));
        }

        let mut groups: Vec<GroupEntry> = Vec::new();
        for g in member(members, "Groups").map_or(Ok(&[][..]), |n| schema.array(n, "Groups"))? {
            let m = schema.object(g, "a group", &["GroupName", "Policies"], &["GroupName"])?;
            let name_node =
                member(m, "GroupName").ok_or_else(|| schema.error(g.span, "missing GroupName"))?;
            let name = schema.principal_name(name_node, "group name", false)?;
            if groups.iter().any(|x| x.name == name) {
                return Err(
                    schema.error(name_node.span, format!("group {name:?} is defined twice"))
                );
            }
            let policies = schema.references(member(m, "Policies"), "Policies")?;
            groups.push(GroupEntry { name, policies });
        }

        let mut users: Vec<UserEntry> = Vec::new();
        for u in member(members, "Users").map_or(Ok(&[][..]), |n| schema.array(n, "Users"))? {
            let m = schema.object(
                u,
                "a user",
                &["UserName", "UserId", "Groups", "Policies"],
                &["UserName"],
            )?;
            let name_node =
                member(m, "UserName").ok_or_else(|| schema.error(u.span, "missing UserName"))?;
            let name = schema.principal_name(name_node, "user name", true)?;
            if users.iter().any(|x| x.name == name) {
                return Err(schema.error(name_node.span, format!("user {name:?} is defined twice")));
            }
            // RAM's UserId: OSS bucket policies may name the user by it.
            let uid = match member(m, "UserId") {
                None => None,
                Some(node) => {
                    let id = schema.string(node, "UserId")?;
                    if id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(schema.error(node.span, "UserId must be 1-32 digits"));
                    }
                    if users.iter().any(|x| x.uid.as_deref() == Some(id)) {
                        return Err(schema.error(node.span, format!("UserId {id} is given twice")));
                    }
                    Some(id.to_string())
                }
            };
            let mut user_groups = Vec::new();
            if let Some(list) = member(m, "Groups") {
                for g in schema.array(list, "Groups")? {
                    let group = schema.string(g, "Groups")?;
                    if !groups.iter().any(|x| x.name == group) {
                        return Err(StoreError::UnknownGroup {
                            file: file.to_string(),
                            span: g.span,
                            group: group.to_string(),
                            suggestion: did_you_mean(group, groups.iter().map(|x| x.name.as_str()))
                                .map(str::to_string),
                        });
                    }
                    user_groups.push((group.to_string(), g.span));
                }
            }
            let policies = schema.references(member(m, "Policies"), "Policies")?;
            users.push(UserEntry {
                name,
                uid,
                groups: user_groups,
                policies,
            });
        }

        let mut roles: Vec<RoleEntry> = Vec::new();
        for r in member(members, "Roles").map_or(Ok(&[][..]), |n| schema.array(n, "Roles"))? {
            let m = schema.object(
                r,
                "a role",
                &["RoleName", "Policies", "TrustPolicy", "IsServiceLinkedRole"],
                &["RoleName"],
            )?;
            let name_node =
                member(m, "RoleName").ok_or_else(|| schema.error(r.span, "missing RoleName"))?;
            let name = schema.principal_name(name_node, "role name", false)?;
            // RAM's own field: service-linked roles are exactly those named
            // AliyunServiceRoleFor<Service>, which control policies skip, so
            // a store that says otherwise is refused rather than believed.
            if let Some(flag) = member(m, "IsServiceLinkedRole") {
                let Value::Bool(linked) = flag.value else {
                    return Err(
                        schema.error(flag.span, "IsServiceLinkedRole must be true or false")
                    );
                };
                if linked != Principal::role("", &name).is_service_linked() {
                    return Err(schema.error(
                        flag.span,
                        format!(
                            "IsServiceLinkedRole is {linked}, but service-linked roles are exactly \
                             those named AliyunServiceRoleFor<Service> (role {name:?})"
                        ),
                    ));
                }
            }
            if roles.iter().any(|x| x.name == name) {
                return Err(schema.error(name_node.span, format!("role {name:?} is defined twice")));
            }
            let policies = schema.references(member(m, "Policies"), "Policies")?;
            let trust = member(m, "TrustPolicy")
                .map(|t| schema.reference(t))
                .transpose()?;
            roles.push(RoleEntry {
                name,
                policies,
                trust,
            });
        }

        let control = schema.references(member(members, "ControlPolicies"), "ControlPolicies")?;
        Ok(Index {
            account: account.to_string(),
            users,
            groups,
            roles,
            control,
        })
    }

    /// Every reference with the kind it is read as, in file order.
    fn references(&self) -> Vec<(&Reference, PolicyKind)> {
        let mut out = Vec::new();
        for g in &self.groups {
            out.extend(g.policies.iter().map(|r| (r, PolicyKind::Identity)));
        }
        for u in &self.users {
            out.extend(u.policies.iter().map(|r| (r, PolicyKind::Identity)));
        }
        for r in &self.roles {
            out.extend(r.policies.iter().map(|p| (p, PolicyKind::Identity)));
            out.extend(r.trust.iter().map(|t| (t, PolicyKind::Trust)));
        }
        out.extend(self.control.iter().map(|r| (r, PolicyKind::Control)));
        out
    }
}

/// Where a store's custom policies come from.
enum Documents<'a> {
    /// `<PolicyName>.json` files in a directory.
    Dir(&'a Path),
    /// Policy name to text.
    Memory(&'a HashMap<String, String>),
}

impl Documents<'_> {
    /// Whether the store holds an entry called `name` in any form: a file,
    /// a link (even a dangling one), a directory. Such a name is never
    /// bound to a system policy without its type being named.
    fn holds(&self, name: &str) -> bool {
        match self {
            Documents::Dir(dir) => fs::symlink_metadata(dir.join(format!("{name}.json"))).is_ok(),
            Documents::Memory(map) => map.contains_key(name),
        }
    }

    /// The text of custom policy `name` and where it came from; `None`
    /// when the store holds no entry of that name.
    fn read(&self, name: &str) -> Option<Result<(String, String), StoreError>> {
        match self {
            Documents::Dir(dir) => {
                if !self.holds(name) {
                    return None;
                }
                let path = dir.join(format!("{name}.json"));
                let file = path.display().to_string();
                Some(
                    input::read_regular(&path, input::MAX_POLICY_BYTES, "a policy document")
                        .map_err(StoreError::from)
                        .and_then(|bytes| utf8(bytes, &file))
                        .map(|text| (text, file)),
                )
            }
            Documents::Memory(map) => map
                .get(name)
                .map(|text| Ok((text.clone(), format!("memory:{name}")))),
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

/// One policy to load: its name, namespace and kind.
type Wanted = (String, PolicyType, PolicyKind);

/// Every referenced policy, loaded once.
struct Loaded {
    /// The namespace each reference without a type was resolved to.
    plain: HashMap<String, PolicyType>,
    policies: HashMap<Wanted, PolicyRef>,
    /// The custom policies' text, for the revision.
    texts: Vec<(String, String)>,
    /// The system policies used, for the revision.
    system: Vec<String>,
}

impl Loaded {
    /// Resolves every reference of `index` to its namespace and loads each
    /// policy once, on all cores when there are many. The first error in
    /// file order is reported.
    fn load(index: &Index, file: &str, documents: &Documents) -> Result<Loaded, StoreError> {
        let mut wanted: Vec<(Wanted, Option<PolicyType>, Span)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // A name without a type is resolved once, so that every reference
        // to it means the same policy even if the directory changes.
        let mut plain: HashMap<String, PolicyType> = HashMap::new();
        for (reference, kind) in index.references() {
            let policy_type = match (reference.policy_type, plain.get(&reference.name)) {
                (Some(named), _) => named,
                (None, Some(&resolved)) => resolved,
                (None, None) => {
                    let resolved = resolve(reference, file, documents)?;
                    plain.insert(reference.name.clone(), resolved);
                    resolved
                }
            };
            let key = (reference.name.clone(), policy_type, kind);
            if seen.insert(key.clone()) {
                wanted.push((key, reference.policy_type, reference.span));
            }
        }
        let load_one = |(key, named, span): &(Wanted, Option<PolicyType>, Span)| {
            load_policy(key, *named, *span, file, documents)
        };
        const PER_THREAD: usize = 64;
        let results: Vec<Result<(PolicyRef, Option<String>), StoreError>> = if wanted.len()
            < 2 * PER_THREAD
        {
            wanted.iter().map(load_one).collect()
        } else {
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            let chunk = wanted.len().div_ceil(threads).max(PER_THREAD);
            std::thread::scope(|scope| {
                let workers: Vec<_> = wanted
                    .chunks(chunk)
                    .map(|part| scope.spawn(move || part.iter().map(load_one).collect::<Vec<_>>()))
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| match w.join() {
                        Ok(results) => results,
                        // A parser panic is a bug; re-raise it here.
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            })
        };
        let mut loaded = Loaded {
            plain,
            policies: HashMap::with_capacity(wanted.len()),
            texts: Vec::new(),
            system: Vec::new(),
        };
        for ((key, _, _), result) in wanted.into_iter().zip(results) {
            let (policy, text) = result?;
            match text {
                Some(text) => loaded.texts.push((key.0.clone(), text)),
                None => loaded.system.push(key.0.clone()),
            }
            loaded.policies.insert(key, policy);
        }
        loaded.texts.sort();
        loaded.texts.dedup();
        loaded.system.sort();
        loaded.system.dedup();
        Ok(loaded)
    }

    /// The loaded policy of a reference (every reference was loaded, or
    /// [`Loaded::load`] failed).
    fn get(&self, reference: &Reference, kind: PolicyKind) -> Option<PolicyRef> {
        let policy_type = reference
            .policy_type
            .or_else(|| self.plain.get(&reference.name).copied())?;
        self.policies
            .get(&(reference.name.clone(), policy_type, kind))
            .cloned()
    }

    fn all(&self, references: &[Reference], kind: PolicyKind) -> Vec<PolicyRef> {
        references
            .iter()
            .filter_map(|r| self.get(r, kind))
            .collect()
    }

    fn digest(&self, hasher: &mut Sha256) {
        for (name, text) in &self.texts {
            digest_part(hasher, name, text.as_bytes());
        }
        for name in &self.system {
            digest_part(hasher, &format!("system:{name}"), &[]);
        }
    }
}

/// The namespace a reference names: its `PolicyType` when written; else
/// a system policy ramcheck ships, unless the store also holds a file of
/// that name (then the type must be named); else a custom policy.
fn resolve(
    reference: &Reference,
    file: &str,
    documents: &Documents,
) -> Result<PolicyType, StoreError> {
    if let Some(policy_type) = reference.policy_type {
        return Ok(policy_type);
    }
    let system = SYSTEM_POLICIES.iter().any(|(n, _)| *n == reference.name);
    match (system, documents.holds(&reference.name)) {
        (true, true) => Err(StoreError::AmbiguousPolicy {
            file: file.to_string(),
            span: reference.span,
            name: reference.name.clone(),
        }),
        (true, false) => Ok(PolicyType::System),
        (false, _) => Ok(PolicyType::Custom),
    }
}

/// Loads one policy; for a custom policy, also its text (for the revision).
fn load_policy(
    (name, policy_type, kind): &Wanted,
    named: Option<PolicyType>,
    span: Span,
    file: &str,
    documents: &Documents,
) -> Result<(PolicyRef, Option<String>), StoreError> {
    let unknown = |policy_type: PolicyType| {
        let mut candidates: Vec<String> = Vec::new();
        if policy_type == PolicyType::Custom {
            candidates.extend(documents.names());
        }
        if policy_type == PolicyType::System || named.is_none() {
            candidates.extend(SYSTEM_POLICIES.iter().map(|(n, _)| n.to_string()));
        }
        StoreError::UnknownPolicy {
            file: file.to_string(),
            span,
            name: name.clone(),
            policy_type: named,
            suggestion: did_you_mean(name, candidates.iter().map(String::as_str))
                .map(str::to_string),
        }
    };
    match policy_type {
        PolicyType::System => {
            let (_, text) = SYSTEM_POLICIES
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| unknown(PolicyType::System))?;
            let policy = Policy::parse(text, name, &format!("builtin:{name}"), *kind)?;
            Ok((Arc::new(policy), None))
        }
        PolicyType::Custom => {
            let (text, origin) = match documents.read(name) {
                None => return Err(unknown(PolicyType::Custom)),
                Some(Err(StoreError::Read(source))) => {
                    return Err(StoreError::UnreadablePolicy {
                        file: file.to_string(),
                        span,
                        name: name.clone(),
                        source,
                    });
                }
                Some(other) => other?,
            };
            let policy = Policy::parse(&text, name, &origin, *kind)?;
            Ok((Arc::new(policy), Some(text)))
        }
    }
}
