//! Principals and the request context as RAM fills them, written from the
//! documented examples in `tests/fixtures/rd/` (see its README for the
//! sources): `acs:PrincipalARN` comes from the caller and cannot be
//! overridden, control policies skip service-linked roles, OSS names role
//! sessions `arn:sts::<uid>:assumed-role/<role>/<session>`, and session
//! policies draw no over-permission findings.

mod common;

use common::{ramcheck, status, stderr, stdout};
use ramcheck::lint::lint_text;
use ramcheck::policy::PolicyKind;

const STORE: &str = "tests/fixtures/rd";

fn ask(args: &[&str]) -> std::process::Output {
    let mut all = vec!["can-i"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--store", STORE]);
    ramcheck(&all)
}

fn answer(args: &[&str]) -> String {
    let o = ask(args);
    assert!(matches!(status(&o), 0 | 1), "{}", stderr(&o));
    stdout(&o).lines().next().unwrap_or_default().to_string()
}

const USER_ARN: &str = "acs:ram::1234567890123456:user/dev";

/// "Deny RAM writes except for ResourceDirectoryAccountAccessRole": the
/// control policy matches the role by `acs:PrincipalARN`, with the role
/// name in lower case as RAM writes role ARNs.
#[test]
fn principal_arn_comes_from_the_caller() {
    assert_eq!(
        answer(&[
            "ram:DeleteUser",
            USER_ARN,
            "--as",
            "role/ResourceDirectoryAccountAccessRole"
        ]),
        "yes"
    );
    assert_eq!(
        answer(&[
            "ram:DeleteUser",
            USER_ARN,
            "--as",
            "role/ResourceDirectoryAccountAccessRole",
            "--session-name",
            "ops-console"
        ]),
        "yes"
    );
    assert_eq!(
        answer(&["ram:DeleteUser", USER_ARN, "--as", "user/dev"]),
        "no"
    );
    // Reading RAM is not denied.
    assert_eq!(
        answer(&["ram:GetUser", USER_ARN, "--as", "user/dev"]),
        "yes"
    );
    // A context value that contradicts the caller is an error, not believed.
    let o = ask(&[
        "ram:DeleteUser",
        USER_ARN,
        "--as",
        "user/dev",
        "--context",
        "acs:PrincipalARN=acs:ram::1234567890123456:role/resourcedirectoryaccountaccessrole",
    ]);
    assert_eq!(status(&o), 2);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("set by RAM from the caller"),
        "{}",
        stderr(&o)
    );
    // The same value as RAM's is fine.
    let o = ask(&[
        "ram:GetUser",
        USER_ARN,
        "--as",
        "user/dev",
        "--context",
        &format!("acs:PrincipalARN={USER_ARN}"),
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
}

/// The cloud-service whitelist: ECS and RDS only in Beijing and Shanghai,
/// except for the `a-project-admin-*` roles.
#[test]
fn project_admin_roles_pass_the_whitelist() {
    let store = format!("{STORE}/whitelist");
    let hangzhou = "acs:ecs:cn-hangzhou:1234567890123456:instance/i-1";
    let beijing = "acs:ecs:cn-beijing:1234567890123456:instance/i-1";
    for (who, resource, expected) in [
        ("role/a-project-admin-media", hangzhou, "yes"),
        ("user/dev", hangzhou, "no"),
        ("user/dev", beijing, "yes"),
    ] {
        let o = ramcheck(&[
            "can-i",
            "ecs:DeleteInstance",
            resource,
            "--store",
            &store,
            "--as",
            who,
        ]);
        assert_eq!(
            stdout(&o).trim(),
            expected,
            "{who} on {resource}: {}",
            stderr(&o)
        );
    }
}

/// "Access control policies do not apply to service-linked roles."
#[test]
fn service_linked_roles_skip_control_policies() {
    let o = ask(&[
        "ram:DeleteUser",
        USER_ARN,
        "--as",
        "role/AliyunServiceRoleForIMM",
        "--explain",
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("control policies do not apply to a service-linked role"));
    // A store that calls another role service-linked is refused.
    let dir = common::scratch("service-linked-flag");
    std::fs::write(
        dir.join("principals.json"),
        r#"{"AccountId": "1234567890123456", "Roles": [{"RoleName": "ops", "IsServiceLinkedRole": true}]}"#,
    )
    .unwrap();
    let o = ramcheck(&[
        "can-i",
        "ram:GetUser",
        USER_ARN,
        "--store",
        dir.to_str().unwrap(),
        "--as",
        "role/ops",
    ]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("AliyunServiceRoleFor"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// OSS bucket policies name a role's sessions by their STS ARN.
#[test]
fn bucket_policies_match_role_sessions_by_sts_arn() {
    let bucket = format!("{STORE}/MediaBucketPolicy.json");
    let object = "acs:oss:cn-hangzhou:1234567890123456:media/2026/cat.jpg";
    let session = ["--as", "role/media-writer", "--session-name", "uploader-1"];
    let mut args = vec!["oss:PutObject", object, "--resource-policy", &bucket];
    args.extend_from_slice(&session);
    assert_eq!(answer(&args), "yes");
    // The role itself, not a session, is not named by that form.
    assert_eq!(
        answer(&[
            "oss:PutObject",
            object,
            "--resource-policy",
            &bucket,
            "--as",
            "role/media-writer"
        ]),
        "no"
    );
    let o = ask(&[
        "oss:PutObject",
        object,
        "--session-name",
        "x",
        "--as",
        "user/dev",
    ]);
    assert_eq!(status(&o), 2);
    // A RAM user named by its user ID, which the store records.
    assert_eq!(
        answer(&[
            "oss:GetObject",
            object,
            "--resource-policy",
            &bucket,
            "--as",
            "user/reader"
        ]),
        "yes"
    );
    assert_eq!(
        answer(&[
            "oss:PutObject",
            object,
            "--resource-policy",
            &bucket,
            "--as",
            "user/reader"
        ]),
        "no"
    );
}

/// A session policy only narrows: STS's sample session policy (allow `*`
/// on `*`) draws no "grants too much" finding; a documented key is not
/// called unknown.
#[test]
fn session_policies_and_documented_keys_lint_clean() {
    let allow_all =
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    assert!(lint_text(allow_all, PolicyKind::Session).is_empty());
    assert!(
        lint_text(allow_all, PolicyKind::Identity)
            .iter()
            .any(|f| f.rule.code == "RC501")
    );
    for key in ["acs:PrincipalARN", "acs:AccessId"] {
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Deny", "Action": "oss:*", "Resource": "*",
                "Condition": {{"StringNotLike": {{"{key}": "STS.*"}}}}}}]}}"#
        );
        let codes: Vec<_> = lint_text(&text, PolicyKind::Identity)
            .iter()
            .map(|f| f.rule.code)
            .collect();
        assert!(!codes.contains(&"RC403"), "{key}: {codes:?}");
    }
}

/// Role-based SSO: an identity provider's users are named by
/// `Principal.Federated` alone, and the trust policy decides with what the
/// token says (tests/fixtures/idp/README.md cites the page).
#[test]
fn identity_providers_assume_roles_through_federated_entries() {
    const ROLE: &str = "acs:ram::1234567890123456:role/sso-admin";
    let trust = |name: &str| format!("tests/fixtures/idp/{name}");
    let saml = trust("saml-trust.json");
    let oidc = trust("oidc-trust.json");
    let everyone = trust("everyone-trust.json");
    const RECIPIENT: &str = "saml:recipient=https://signin.alibabacloud.com/saml-role/sso";
    let assume = |who: &str, policy: &str, context: &[&str]| {
        let mut args = vec![
            "sts:AssumeRole",
            ROLE,
            "--as",
            who,
            "--resource-policy",
            policy,
        ];
        for c in context {
            args.extend(["--context", c]);
        }
        answer(&args)
    };
    assert_eq!(assume("saml-provider/corp-idp", &saml, &[RECIPIENT]), "yes");
    assert_eq!(
        assume(
            "acs:ram::1234567890123456:saml-provider/corp-idp",
            &saml,
            &[RECIPIENT]
        ),
        "yes"
    );
    // The token must name the sign-in endpoint.
    assert_eq!(assume("saml-provider/corp-idp", &saml, &[]), "no");
    // Another provider, or a RAM user of the account, is not the one named.
    assert_eq!(assume("saml-provider/other-idp", &saml, &[RECIPIENT]), "no");
    assert_eq!(assume("user/dev", &saml, &[RECIPIENT]), "no");
    // "*" and the account ID name RAM identities, not a provider's users.
    assert_eq!(
        assume("saml-provider/corp-idp", &everyone, &[RECIPIENT]),
        "no"
    );

    let token = [
        "oidc:iss=https://oidc.example.com",
        "oidc:aud=sts.aliyuncs.com",
        "oidc:sub=repo:example/app:ref:refs/heads/main",
    ];
    assert_eq!(assume("oidc-provider/ci-oidc", &oidc, &token), "yes");
    let forked = [
        token[0],
        token[1],
        "oidc:sub=repo:fork/app:ref:refs/heads/main",
    ];
    assert_eq!(assume("oidc-provider/ci-oidc", &oidc, &forked), "no");
    // A SAML provider of the same name is another provider.
    assert_eq!(assume("saml-provider/ci-oidc", &oidc, &token), "no");

    // The documented keys are known: no typo warning, lint clean.
    let o = ask(&[
        "sts:AssumeRole",
        ROLE,
        "--as",
        "oidc-provider/ci-oidc",
        "--resource-policy",
        &oidc,
        "--context",
        token[0],
        "--context",
        token[1],
        "--context",
        token[2],
        "--strict",
    ]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    for file in [&saml, &oidc] {
        let o = ramcheck(&["lint", "--kind", "trust", file]);
        assert_eq!(status(&o), 0, "{file}: {}", stdout(&o));
    }
    // Names follow RAM's rules.
    let o = ask(&["sts:AssumeRole", ROLE, "--as", "saml-provider/bad name"]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("identity provider name"),
        "{}",
        stderr(&o)
    );
}
