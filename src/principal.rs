//! Who makes a request: RAM's principal forms, read from one grammar.
//!
//! `--as`, the gateway's principal header and the store all name
//! principals the way RAM writes them: `user/<name>`, `role/<name>`,
//! `assumed-role/<role>/<session>`, `service/<name>.aliyuncs.com`, `root`,
//! `saml-provider/<name>` and `oidc-provider/<name>` (identity providers
//! whose users assume roles), or the ARN forms
//! `acs:ram::<account>:user/<name>` (and `:role/`, `:assumed-role/`,
//! `:saml-provider/`, `:oidc-provider/`, `:root`). Names follow RAM's rules, so a principal
//! never carries a character a policy pattern or a terminal could misread
//! (docs/semantics.md, "Principals").

use std::fmt;

/// A principal that does not follow RAM's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid principal {spec:?}: {reason}")]
pub struct PrincipalError {
    /// The principal as given.
    pub spec: String,
    /// What in it breaks the grammar.
    pub reason: &'static str,
}

/// Who makes a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A RAM user.
    User {
        /// The account ID.
        account: String,
        /// The user name.
        name: String,
        /// The user's ID (UID), when known: OSS bucket policies may name a
        /// RAM user by it.
        uid: Option<String>,
        /// `acs:ram::<account>:user/<name>`, built once because resource
        /// policies match against it on every request.
        arn: String,
    },
    /// A RAM role (the store's view of a role's own policies).
    Role {
        /// The account ID.
        account: String,
        /// The role name.
        name: String,
        /// `acs:ram::<account>:role/<name>`.
        arn: String,
    },
    /// A session of an assumed role.
    RoleSession {
        /// The account ID.
        account: String,
        /// The assumed role's name.
        role: String,
        /// The session name.
        session: String,
        /// `acs:ram::<account>:assumed-role/<role>/<session>`.
        arn: String,
        /// The role's own ARN, which trust policies name.
        role_arn: String,
        /// `arn:sts::<account>:assumed-role/<role>/<session>`, the form OSS
        /// bucket policies name sessions by.
        sts_arn: String,
    },
    /// A cloud service calling for itself, e.g. `ecs.aliyuncs.com`
    /// assuming a service role.
    Service {
        /// The service's name, e.g. `ecs.aliyuncs.com`.
        name: String,
    },
    /// A SAML or OIDC identity provider, for its users assuming a role
    /// (role-based SSO): trust policies name it in `Principal.Federated`.
    IdentityProvider {
        /// The account the provider is registered in.
        account: String,
        /// `saml-provider` or `oidc-provider`.
        kind: &'static str,
        /// The provider's name.
        name: String,
        /// `acs:ram::<account>:<kind>/<name>`.
        arn: String,
    },
    /// An account's root identity, `acs:ram::<account>:root`.
    Account {
        /// The account ID.
        account: String,
        /// `acs:ram::<account>:root`.
        arn: String,
    },
    /// A principal known only by the policies given for it: no account,
    /// so resource policies match it only through `"*"`.
    AdHoc,
}

/// RAM's user names: 1–64 letters, digits, `.`, `_`, `-` and `@`.
fn is_user_name(name: &str) -> bool {
    is_name(name, 1, b"._-@")
}

/// RAM's role names: 1–64 letters, digits, `.`, `_`, `-`.
fn is_role_name(name: &str) -> bool {
    is_name(name, 1, b"._-")
}

/// STS session names: 2–64 letters, digits, `.`, `_`, `-`, `@`.
fn is_session_name(name: &str) -> bool {
    is_name(name, 2, b"._-@")
}

/// Identity provider names: 1–128 letters, digits, `.` and `-`.
fn is_provider_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn is_name(name: &str, min: usize, extra: &[u8]) -> bool {
    (min..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Service principals: a domain such as `ecs.aliyuncs.com`, possibly
/// with an account prefix (`<uid>@log.aliyuncs.com`), as trust policies
/// write them.
fn is_service_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.contains('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

fn is_account(account: &str) -> bool {
    (1..=32).contains(&account.len()) && account.bytes().all(|b| b.is_ascii_digit())
}

impl Principal {
    /// The user `name` of `account`. Names are not checked: to read untrusted
    /// text, use [`Principal::parse`].
    pub fn user(account: &str, name: &str) -> Self {
        Principal::User {
            account: account.to_string(),
            name: name.to_string(),
            uid: None,
            arn: format!("acs:ram::{account}:user/{name}"),
        }
    }

    /// The same principal, known to have the user ID `uid` (for a user;
    /// other principals are returned as they are).
    pub fn with_uid(mut self, id: Option<&str>) -> Self {
        if let Principal::User { uid, .. } = &mut self {
            *uid = id.map(str::to_string);
        }
        self
    }

    /// The role `name` of `account`, unchecked like [`Principal::user`].
    pub fn role(account: &str, name: &str) -> Self {
        Principal::Role {
            account: account.to_string(),
            name: name.to_string(),
            arn: crate::arn::role(account, name),
        }
    }

    /// The session `session` of the role `role` of `account`, unchecked like
    /// [`Principal::user`].
    pub fn role_session(account: &str, role: &str, session: &str) -> Self {
        Principal::RoleSession {
            account: account.to_string(),
            role: role.to_string(),
            session: session.to_string(),
            arn: format!("acs:ram::{account}:assumed-role/{role}/{session}"),
            role_arn: crate::arn::role(account, role),
            sts_arn: format!("arn:sts::{account}:assumed-role/{role}/{session}"),
        }
    }

    /// The cloud service `name`, e.g. `ecs.aliyuncs.com`, unchecked like
    /// [`Principal::user`].
    pub fn service(name: &str) -> Self {
        Principal::Service {
            name: name.to_string(),
        }
    }

    /// The identity provider `name` of `account`, `kind` being
    /// `saml-provider` or `oidc-provider`, unchecked like
    /// [`Principal::user`].
    pub fn identity_provider(account: &str, kind: &'static str, name: &str) -> Self {
        Principal::IdentityProvider {
            account: account.to_string(),
            kind,
            name: name.to_string(),
            arn: format!("acs:ram::{account}:{kind}/{name}"),
        }
    }

    /// The root identity of `account`, unchecked like [`Principal::user`].
    pub fn account_root(account: &str) -> Self {
        Principal::Account {
            account: account.to_string(),
            arn: format!("acs:ram::{account}:root"),
        }
    }

    /// Reads a principal. Forms without an account (`user/alice`) are in
    /// `account`; the ARN forms name theirs.
    pub fn parse(spec: &str, account: &str) -> Result<Principal, PrincipalError> {
        let invalid = |reason| PrincipalError {
            spec: spec.to_string(),
            reason,
        };
        const FORMS: &str = "expected user/<name>, role/<name>, assumed-role/<role>/<session>, \
                             service/<name>, saml-provider/<name>, oidc-provider/<name>, root, or \
                             acs:ram::<account>:user/<name> (and :role/, :assumed-role/, \
                             :saml-provider/, :oidc-provider/, :root)";
        if let Some(name) = spec.strip_prefix("service/") {
            return if is_service_name(name) {
                Ok(Principal::service(name))
            } else {
                Err(invalid("a service is named like ecs.aliyuncs.com"))
            };
        }
        let (account, relative) = match spec.strip_prefix("acs:ram::") {
            Some(rest) => {
                let (account, relative) = rest.split_once(':').ok_or_else(|| invalid(FORMS))?;
                if !is_account(account) {
                    return Err(invalid("the account must be digits"));
                }
                (account, relative)
            }
            None => (account, spec),
        };
        if relative == "root" {
            return Ok(Principal::account_root(account));
        }
        let (kind, rest) = relative.split_once('/').ok_or_else(|| invalid(FORMS))?;
        match kind {
            "user" if is_user_name(rest) => Ok(Principal::user(account, rest)),
            "user" => Err(invalid(
                "a user name is 1-64 letters, digits, '.', '_', '-' and '@'",
            )),
            "role" if is_role_name(rest) => Ok(Principal::role(account, rest)),
            "role" => Err(invalid(
                "a role name is 1-64 letters, digits, '.', '_' and '-'",
            )),
            "assumed-role" => match rest.split_once('/') {
                Some((role, session)) if is_role_name(role) && is_session_name(session) => {
                    Ok(Principal::role_session(account, role, session))
                }
                _ => Err(invalid(
                    "expected assumed-role/<role>/<session>, a session name being 2-64 letters, \
                     digits, '.', '_', '-' and '@'",
                )),
            },
            kind @ ("saml-provider" | "oidc-provider") if is_provider_name(rest) => {
                let kind = if kind == "saml-provider" {
                    "saml-provider"
                } else {
                    "oidc-provider"
                };
                Ok(Principal::identity_provider(account, kind, rest))
            }
            "saml-provider" | "oidc-provider" => Err(invalid(
                "an identity provider name is 1-128 letters, digits, '.' and '-'",
            )),
            _ => Err(invalid(FORMS)),
        }
    }

    /// The value RAM gives `acs:PrincipalARN` for this principal
    /// (docs/semantics.md, "Request context RAM fills"): a user's ARN; for a
    /// role and each of its sessions, the role's ARN with the name in lower
    /// case, as RAM writes role ARNs; the root's ARN. A service, an
    /// identity provider or an ad-hoc principal has none.
    pub fn principal_arn(&self) -> Option<String> {
        match self {
            Principal::User { arn, .. } | Principal::Account { arn, .. } => Some(arn.clone()),
            Principal::Role { account, name, .. }
            | Principal::RoleSession {
                account,
                role: name,
                ..
            } => Some(crate::arn::role(account, &name.to_ascii_lowercase())),
            Principal::Service { .. } | Principal::IdentityProvider { .. } | Principal::AdHoc => {
                None
            }
        }
    }

    /// Whether the caller is outside RAM's identities, a cloud service or
    /// an identity provider's user: it has no identity policies, and what it
    /// may do (assume a role) the resource policy decides alone
    /// (docs/semantics.md, "Evaluation").
    pub fn is_outside_ram(&self) -> bool {
        matches!(
            self,
            Principal::Service { .. } | Principal::IdentityProvider { .. }
        )
    }

    /// Whether this is a service-linked role or one of its sessions: RAM
    /// names those roles `AliyunServiceRoleFor<Service>`, and Resource
    /// Directory's control policies do not apply to them
    /// (docs/semantics.md, "Evaluation").
    pub fn is_service_linked(&self) -> bool {
        const PREFIX: &str = "aliyunservicerolefor";
        match self {
            Principal::Role { name, .. } | Principal::RoleSession { role: name, .. } => name
                .get(..PREFIX.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(PREFIX)),
            _ => false,
        }
    }

    /// The principal's ARN, as resource policies match it.
    pub fn arn(&self) -> Option<&str> {
        match self {
            Principal::User { arn, .. }
            | Principal::Role { arn, .. }
            | Principal::RoleSession { arn, .. }
            | Principal::IdentityProvider { arn, .. }
            | Principal::Account { arn, .. } => Some(arn),
            Principal::Service { .. } | Principal::AdHoc => None,
        }
    }

    /// The account the principal belongs to.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::User { account, .. }
            | Principal::Role { account, .. }
            | Principal::RoleSession { account, .. }
            | Principal::IdentityProvider { account, .. }
            | Principal::Account { account, .. } => Some(account),
            Principal::Service { .. } | Principal::AdHoc => None,
        }
    }

    /// RAM's `AuthPrincipalType` for a denial body.
    pub fn auth_type(&self) -> &'static str {
        match self {
            Principal::User { .. } => "SubUser",
            Principal::Role { .. } | Principal::RoleSession { .. } => "AssumedRoleUser",
            Principal::Service { .. } => "Service",
            Principal::IdentityProvider { .. } => "IdentityProvider",
            Principal::Account { .. } => "Account",
            Principal::AdHoc => "Unknown",
        }
    }

    /// RAM's `AuthPrincipalDisplayName`: the user, role or service name.
    pub fn display_name(&self) -> String {
        match self {
            Principal::User { name, .. } | Principal::Role { name, .. } => name.clone(),
            Principal::RoleSession { role, session, .. } => format!("{role}:{session}"),
            Principal::Service { name } | Principal::IdentityProvider { name, .. } => name.clone(),
            Principal::Account { account, .. } => account.clone(),
            Principal::AdHoc => String::new(),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Service { name } => write!(f, "service/{name}"),
            Principal::AdHoc => f.write_str("(ad hoc)"),
            other => f.write_str(other.arn().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_providers() {
        let p = Principal::parse("saml-provider/corp-idp", "1").unwrap();
        assert_eq!(p.arn(), Some("acs:ram::1:saml-provider/corp-idp"));
        assert!(p.is_outside_ram());
        assert_eq!(p.principal_arn(), None);
        let p = Principal::parse("acs:ram::2:oidc-provider/ci.oidc-1", "1").unwrap();
        assert_eq!(p.arn(), Some("acs:ram::2:oidc-provider/ci.oidc-1"));
        assert_eq!(p.to_string(), "acs:ram::2:oidc-provider/ci.oidc-1");
        for bad in ["saml-provider/", "oidc-provider/a_b", "saml-provider/a/b"] {
            assert!(Principal::parse(bad, "1").is_err(), "{bad}");
        }
        assert!(Principal::parse(&format!("saml-provider/{}", "a".repeat(129)), "1").is_err());
    }

    #[test]
    fn forms() {
        let p = Principal::parse("user/alice", "1").unwrap();
        assert_eq!(p.arn(), Some("acs:ram::1:user/alice"));
        let p = Principal::parse("acs:ram::2:role/deployer", "1").unwrap();
        assert_eq!(p.arn(), Some("acs:ram::2:role/deployer"));
        let p = Principal::parse("assumed-role/deployer/ci-run", "1").unwrap();
        assert_eq!(p.arn(), Some("acs:ram::1:assumed-role/deployer/ci-run"));
        let p = Principal::parse("acs:ram::2:root", "1").unwrap();
        assert_eq!(p, Principal::account_root("2"));
        assert_eq!(Principal::parse("root", "1").unwrap().account(), Some("1"));
        let p = Principal::parse("service/ecs.aliyuncs.com", "1").unwrap();
        assert_eq!((p.arn(), p.account()), (None, None));
        assert_eq!(p.to_string(), "service/ecs.aliyuncs.com");
        for bad in [
            "alice",
            "group/x",
            "user/",
            "user/a b",
            "role/a@b",
            "acs:ram::x:user/a",
            "acs:ram::1",
            "assumed-role/r",
            "assumed-role/r/s",
            "service/ecs",
            "service/a b.com",
            "user/\u{1b}[2J",
        ] {
            assert!(Principal::parse(bad, "1").is_err(), "{bad}");
        }
    }
}
