//! Every lint rule fires on a policy made to trigger it, with its code,
//! severity and line; clean policies give no finding.

use ramcheck::lint::{RULES, Severity, lint_text};
use ramcheck::policy::PolicyKind;

/// A document whose statements start on line 4, one per line as written.
fn doc(statements: &str) -> String {
    format!("{{\n  \"Version\": \"1\",\n  \"Statement\": [\n{statements}\n  ]\n}}\n")
}

const P: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

/// Lints `text` as `kind` and asserts that `code` is reported, with its
/// default severity, on `line`; returns the message.
fn expect(kind: PolicyKind, text: &str, code: &str, line: u32) -> String {
    let found = lint_text(text, kind);
    let d = found
        .iter()
        .find(|d| d.rule.code == code)
        .unwrap_or_else(|| panic!("{code} not reported for:\n{text}\nfound: {found:#?}"));
    assert_eq!(d.span.start.line, line, "{code} line, in {found:#?}");
    let meta = RULES.iter().find(|r| r.meta.code == code).unwrap().meta;
    assert_eq!(d.rule.severity, meta.severity);
    d.message.clone()
}

fn codes(kind: PolicyKind, text: &str) -> Vec<&'static str> {
    lint_text(text, kind).iter().map(|d| d.rule.code).collect()
}

fn id(text: &str, code: &str, line: u32) -> String {
    expect(PolicyKind::Identity, text, code, line)
}

#[test]
fn clean_policies_have_no_findings() {
    let clean = doc(&format!(
        r#"    {{"Sid": "Attach", "Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "{P}"}},
    {{"Sid": "Read", "Effect": "Allow", "Action": ["imm:Get*", "imm:List*"], "Resource": "acs:imm:*:1234567890123456:project/*",
      "Condition": {{"IpAddress": {{"acs:SourceIp": ["192.0.2.0/24"]}}, "Bool": {{"acs:SecureTransport": "true"}}}}}},
    {{"Effect": "Deny", "Action": "imm:Delete*", "Resource": "*"}}"#
    ));
    assert_eq!(codes(PolicyKind::Identity, &clean), Vec::<&str>::new());
}

#[test]
fn syntax_and_structure() {
    assert!(
        id(
            "{\n  \"Version\": \"1\",\n  \"Statement\": [],\n}",
            "RC101",
            3
        )
        .contains("trailing comma")
    );
    id(
        "{\n  \"Version\": \"1\",\n  \"Version\": \"1\", \"Statement\": []}",
        "RC102",
        3,
    );
    id("{\n  \"Version\": 1,\n  \"Statement\": []\n}", "RC103", 2);
    let m = id(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:GetProject", "Resources": "*"}"#),
        "RC104",
        4,
    );
    assert!(m.contains("Resources") && m.contains("Resource"));
    let d = lint_text(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:GetProject", "Resources": "*"}"#),
        PolicyKind::Identity,
    );
    assert_eq!(d[0].help.as_deref(), Some("did you mean `Resource`?"));
    id(
        &doc(r#"    {"Effect": "allow", "Action": "imm:GetProject", "Resource": "*"}"#),
        "RC105",
        4,
    );
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:GetProject", "NotAction": "imm:ListProjects", "Resource": "*"}"#,
        ),
        "RC106",
        4,
    );
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:GetProject"}"#),
        "RC107",
        4,
    );
    id(
        &doc(r#"    {"Effect": "Allow", "Action": [], "Resource": "*"}"#),
        "RC108",
        4,
    );
    id(
        "{\n  \"Version\": \"1\",\n  \"Statement\": \"Allow\"\n}",
        "RC109",
        3,
    );
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*", "Principal": {"RAM": "*"}}"#,
        ),
        "RC110",
        4,
    );
    expect(
        PolicyKind::Trust,
        &doc(r#"    {"Effect": "Allow", "Action": "sts:AssumeRole"}"#),
        "RC111",
        4,
    );
    expect(
        PolicyKind::Trust,
        &doc(
            r#"    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Principal": {"RAM": "acs:ram::1234567890123456:root"}}"#,
        ),
        "RC112",
        4,
    );
    id(
        "{\n  \"Version\": \"1\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"imm:GetProject\", \"Resource\": \"*\"}\n}",
        "RC113",
        3,
    );
    id(
        "{\n  \"Version\": \"1\",\n  \"Statement\": []\n}",
        "RC114",
        3,
    );
    id(
        &doc(
            r#"    {"Sid": "A", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"},
    {"Sid": "A", "Effect": "Allow", "Action": "imm:ListProjects", "Resource": "*"}"#,
        ),
        "RC115",
        5,
    );
    id(
        &doc(r#"    {"Effect": "Deny", "Action": "imm:*", "NotResource": "acs:imm:cn-*"}"#),
        "RC116",
        4,
    );
    // `Condition: {}` is no condition, as Alibaba's system policies write
    // it: a note, not an error.
    let empty = doc(&format!(
        r#"    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{P}", "Condition": {{}}}}"#
    ));
    assert!(id(&empty, "RC117", 4).contains("without a condition"));
    assert_eq!(codes(PolicyKind::Identity, &empty), ["RC117"]);
}

/// Without a kind, the document says which it is.
#[test]
fn the_kind_is_recognized_from_the_document() {
    use ramcheck::lint::lint_text_as;
    let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}"#;
    let bucket = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
        "Principal": ["1234567890123456"], "Resource": "acs:oss:*:*:photos/*"}]}"#;
    let identity = doc(&format!(
        r#"    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{P}"}}"#
    ));
    let (kind, found) = lint_text_as(trust, None);
    assert_eq!(kind, PolicyKind::Trust);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(lint_text_as(bucket, None).0, PolicyKind::Resource);
    assert_eq!(lint_text_as(&identity, None).0, PolicyKind::Identity);
    // A kind given wins.
    assert_eq!(
        lint_text_as(trust, Some(PolicyKind::Identity)).0,
        PolicyKind::Identity
    );
}

#[test]
fn every_bad_statement_is_reported_not_just_the_first() {
    let text = doc(
        r#"    {"Effect": "allow", "Action": "imm:GetProject", "Resource": "*"},
    {"Effect": "Allow", "Action": "imm:GetProject", "Resources": "*"},
    {"Effect": "Allow", "Action": "imm:AttachOssBuckets", "Resource": "*"}"#,
    );
    let found = lint_text(&text, PolicyKind::Identity);
    let lines: Vec<(&str, u32)> = found
        .iter()
        .map(|d| (d.rule.code, d.span.start.line))
        .collect();
    assert!(lines.contains(&("RC105", 4)), "{lines:?}");
    assert!(lines.contains(&("RC104", 5)), "{lines:?}");
    assert!(lines.contains(&("RC203", 6)), "{lines:?}");
}

#[test]
fn actions() {
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "GetProject", "Resource": "*"}"#),
        "RC201",
        4,
    );
    let text = doc(r#"    {"Effect": "Allow", "Action": "imn:GetProject", "Resource": "*"}"#);
    id(&text, "RC202", 4);
    assert_eq!(
        lint_text(&text, PolicyKind::Identity)[0].help.as_deref(),
        Some("did you mean `imm`?")
    );
    let text = doc(r#"    {"Effect": "Allow", "Action": "imm:AttachOssBuckets", "Resource": "*"}"#);
    id(&text, "RC203", 4);
    let help = lint_text(&text, PolicyKind::Identity)
        .into_iter()
        .find(|d| d.rule.code == "RC203")
        .unwrap()
        .help;
    assert_eq!(help.as_deref(), Some("did you mean `imm:AttachOSSBucket`?"));
    // Case does not matter to RAM, nor to the check.
    assert!(
        !codes(
            PolicyKind::Identity,
            &doc(&format!(
                r#"    {{"Effect": "Allow", "Action": "IMM:attachossbucket", "Resource": "{P}"}}"#
            ))
        )
        .contains(&"RC203")
    );
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:Read*", "Resource": "*"}"#),
        "RC204",
        4,
    );
    // Known services outside the catalogue are not reported.
    assert!(codes(PolicyKind::Identity, &doc(r#"    {"Effect": "Allow", "Action": ["oss:GetObject", "ecs:DescribeInstances"], "Resource": "*"}"#)).is_empty());
}

#[test]
fn resources() {
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "arn:aws:s3:::bucket/*"}"#,
        ),
        "RC301",
        4,
    );
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "acs:imm:cn-hangzhou:project/immtest"}"#,
        ),
        "RC302",
        4,
    );
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:GetProject",
      "Resource": "acs:oss:*:*:media-bucket/*"}"#),
        "RC303",
        5,
    );
    // An action authorized only on `*` never applies to a named resource.
    let m = id(
        &doc(&format!(
            r#"    {{"Effect": "Allow", "Action": ["imm:AttachOSSBucket",
        "imm:DetachOSSBucket"], "Resource": "{P}"}}"#
        )),
        "RC305",
        5,
    );
    assert!(m.contains("imm:DetachOSSBucket"), "{m}");
    // Wildcards may cover both kinds, and `*` among the resources applies.
    assert!(
        !codes(
            PolicyKind::Identity,
            &doc(&format!(
                r#"    {{"Effect": "Allow", "Action": "imm:*OSSBucket", "Resource": "{P}"}}"#
            ))
        )
        .contains(&"RC305")
    );
    assert!(!codes(PolicyKind::Identity, &doc(&format!(r#"    {{"Effect": "Allow", "Action": "imm:DetachOSSBucket", "Resource": ["{P}", "*"]}}"#))).contains(&"RC305"));
    // Documented cross-service resources, and actions the catalogue has no
    // row for, are not reported.
    for (action, resource) in [
        (
            "slb:AddBackendServers",
            "acs:ecs:cn-shanghai:1234567890123456:instance/i-1",
        ),
        ("dms:LoginDatabase", "acs:rds:*:*:dbinstance/rm-1"),
        ("slb:*", "acs:ecs:*:*:*"),
        ("cdn:DescribeCdnDomainDetail", "acs:oss:*:*:media"),
    ] {
        let text = doc(&format!(
            r#"    {{"Effect": "Allow", "Action": "{action}", "Resource": "{resource}"}}"#
        ));
        assert!(
            !codes(PolicyKind::Identity, &text).contains(&"RC303"),
            "{action} {resource}"
        );
    }
    // sts:AssumeRole acts on RAM roles.
    assert!(codes(PolicyKind::Identity, &doc(r#"    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram::1234567890123456:role/deployer"}"#)).is_empty());
    let m = id(
        &doc(&format!(
            r#"    {{"Effect": "Allow", "Action": "imm:AttachOSSBucket",
      "Resource": "{P}/dataset/faces"}}"#
        )),
        "RC304",
        5,
    );
    assert!(m.contains("Dataset") && m.contains("Project"), "{m}");
    // A pattern that can name a project is fine; one that names only datasets is not.
    assert!(codes(PolicyKind::Identity, &doc(r#"    {"Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "acs:imm:*:*:project/media-*"}"#)).is_empty());
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:AttachOSSBucket", "Resource": "acs:imm:*:*:project/*/dataset/*"}"#,
        ),
        "RC304",
        4,
    );
}

#[test]
fn conditions() {
    let cond = |c: &str| {
        doc(&format!(
            "    {{\"Effect\": \"Allow\", \"Action\": \"imm:GetProject\", \"Resource\": \"*\",\n      \"Condition\": {c}}}"
        ))
    };
    let text = cond(r#"{"IpAdress": {"acs:SourceIp": "192.0.2.0/24"}}"#);
    id(&text, "RC401", 5);
    assert_eq!(
        lint_text(&text, PolicyKind::Identity)[0].help.as_deref(),
        Some("did you mean `IpAddress`?")
    );
    assert!(
        id(
            &cond(r#"{"IpAddress": {"acs:SourceIp": "192.0.2.0/33"}}"#),
            "RC402",
            5
        )
        .contains("192.0.2.0/33")
    );
    id(
        &cond(r#"{"DateLessThan": {"acs:CurrentTime": "2019-08-12"}}"#),
        "RC402",
        5,
    );
    id(
        &cond(r#"{"Bool": {"acs:SecureTransport": "yes"}}"#),
        "RC402",
        5,
    );
    id(
        &cond(r#"{"NumericLessThan": {"imm:Count": "ten"}}"#),
        "RC402",
        5,
    );
    let text = cond(r#"{"IpAddress": {"acs:SoureIp": "192.0.2.0/24"}}"#);
    id(&text, "RC403", 5);
    assert_eq!(
        lint_text(&text, PolicyKind::Identity)[0].help.as_deref(),
        Some("did you mean `acs:SourceIp`?")
    );
    id(
        &cond(r#"{"IpAddress": {"acs:CurrentTime": "192.0.2.0/24"}}"#),
        "RC404",
        5,
    );
    id(
        &cond(r#"{"StringEqualsIfExists": {"acs:SourceVpc": "vpc-1"}}"#),
        "RC405",
        5,
    );
    id(
        &cond(r#"{"ForAnyValue:StringEquals": {"acs:TagKeys": "team"}}"#),
        "RC405",
        5,
    );
    id(&cond(r#"{"Null": {"acs:SourceVpc": "true"}}"#), "RC405", 5);
    id(
        &cond(r#"{"Bool": {"acs:SecureTransport": true}}"#),
        "RC406",
        5,
    );
    // Service keys are typed by the catalogue, and their typos are caught.
    id(
        &cond(r#"{"NumericEquals": {"ecs:AssociatePublicIpAddress": "1"}}"#),
        "RC404",
        5,
    );
    let text = cond(r#"{"StringLike": {"oss:Prefx": "photos/*"}}"#);
    id(&text, "RC409", 5);
    assert_eq!(
        lint_text(&text, PolicyKind::Identity)[0].help.as_deref(),
        Some("did you mean `oss:Prefix`?")
    );
    // A key the catalogue lacks but close to none is not a typo.
    assert!(
        codes(
            PolicyKind::Identity,
            &cond(r#"{"StringEquals": {"oss:SomethingNew": "x"}}"#)
        )
        .is_empty()
    );
    // Keys are `<service>:<name>`; Bool takes one value.
    assert!(
        id(
            &cond(r#"{"StringEquals": {"SourceVpc": "vpc-1"}}"#),
            "RC407",
            5
        )
        .contains("SourceVpc")
    );
    id(
        &cond(r#"{"StringEquals": {"acs: SourceVpc": "vpc-1"}}"#),
        "RC407",
        5,
    );
    id(
        &cond(r#"{"Bool": {"acs:SecureTransport": ["true", "false"]}}"#),
        "RC408",
        5,
    );
    assert!(
        codes(
            PolicyKind::Identity,
            &cond(r#"{"Bool": {"acs:SecureTransport": ["true"]}}"#)
        )
        .is_empty()
    );
    // An OSS bucket policy that tests the source address must test the VPC.
    let bucket = |c: &str| {
        doc(&format!(
            "    {{\"Effect\": \"Allow\", \"Action\": \"oss:GetObject\", \"Resource\": \"acs:oss:*:1234567890123456:media/*\",\n      \"Principal\": [\"1234567890123456\"], \"Condition\": {c}}}"
        ))
    };
    expect(
        PolicyKind::Resource,
        &bucket(r#"{"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}"#),
        "RC411",
        5,
    );
    assert!(
        !codes(
            PolicyKind::Resource,
            &bucket(r#"{"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}, "StringNotLike": {"acs:SourceVpc": "vpc-*"}}"#)
        )
        .contains(&"RC411")
    );
    // Any case of a common key is that key.
    assert!(
        codes(
            PolicyKind::Identity,
            &cond(r#"{"IpAddress": {"ACS:SOURCEIP": "192.0.2.1"}}"#)
        )
        .is_empty()
    );
}

#[test]
fn principals_that_never_match() {
    let trust = |principal: &str| {
        doc(&format!(
            r#"    {{"Effect": "Allow", "Action": "sts:AssumeRole",
      "Principal": {principal}}}"#
        ))
    };
    let m = expect(
        PolicyKind::Trust,
        &trust(r#"{"RAM": ["user/deployer"]}"#),
        "RC118",
        5,
    );
    assert!(m.contains("`user/deployer`"), "{m}");
    expect(
        PolicyKind::Trust,
        &trust(r#"{"Service": "ecs"}"#),
        "RC118",
        5,
    );
    expect(
        PolicyKind::Trust,
        &trust(r#"{"Federated": "corp-adfs"}"#),
        "RC118",
        5,
    );
    for fine in [
        r#"{"RAM": ["acs:ram::1234567890123456:root", "1234567890123456", "acs:ram::123456789012****:user/x"]}"#,
        r#"{"Service": ["ecs.aliyuncs.com", "5678901234567890@log.aliyuncs.com"]}"#,
        r#"{"Federated": "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c5e1"}"#,
    ] {
        assert!(
            !codes(PolicyKind::Trust, &trust(fine)).contains(&"RC118"),
            "{fine}"
        );
    }
    // OSS's list form: account and user IDs, and sessions by their STS ARN.
    let bucket = doc(
        r#"    {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:1234567890123456:media/*",
      "Principal": ["202147604049359142", "arn:sts::1234567890123456:assumed-role/log-shipper/*"]}"#,
    );
    assert!(!codes(PolicyKind::Resource, &bucket).contains(&"RC118"));
}

#[test]
fn over_permission() {
    // Everyone, with nothing narrowing the caller.
    let public = |principal: &str, condition: &str| {
        doc(&format!(
            r#"    {{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:1234567890123456:media/*",
      "Principal": {principal}{condition}}}"#
        ))
    };
    let m = expect(PolicyKind::Resource, &public("[\"*\"]", ""), "RC505", 5);
    assert!(m.contains("public access"), "{m}");
    let m = expect(PolicyKind::Resource, &public("[]", ""), "RC505", 5);
    assert!(m.contains("empty `Principal` list"), "{m}");
    let narrowed = public(
        "[\"*\"]",
        r#", "Condition": {"StringEquals": {"acs:SourceVpc": "vpc-1"}}"#,
    );
    assert!(!codes(PolicyKind::Resource, &narrowed).contains(&"RC505"));
    let named = public("[\"1234567890123456\"]", "");
    assert!(!codes(PolicyKind::Resource, &named).contains(&"RC505"));
    let m = id(
        &doc(r#"    {"Effect": "Allow", "Action": "*", "Resource": "*"}"#),
        "RC501",
        4,
    );
    assert!(m.contains("every action"));
    // A control policy's Allow * is its default filter, not a grant.
    assert!(
        codes(
            PolicyKind::Control,
            &doc(r#"    {"Effect": "Allow", "Action": "*", "Resource": "*"}"#)
        )
        .is_empty()
    );
    id(
        &doc(r#"    {"Effect": "Allow", "NotAction": "ram:*", "Resource": "*"}"#),
        "RC502",
        4,
    );
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:GetProject", "NotResource": "acs:imm:*:*:project/secret"}"#,
        ),
        "RC502",
        4,
    );
    let m = id(
        &doc(
            r#"    {"Effect": "Allow", "Action": ["imm:GetProject", "ram:PassRole"], "Resource": "*"}"#,
        ),
        "RC503",
        4,
    );
    assert!(m.contains("ram:PassRole"));
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "ram:Attach*", "Resource": "*"}"#),
        "RC503",
        4,
    );
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}"#),
        "RC503",
        4,
    );
    // Scoped or conditioned: fine.
    assert!(codes(PolicyKind::Identity, &doc(r#"    {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "*", "Condition": {"StringEquals": {"acs:Service": "imm.aliyuncs.com"}}}"#)).is_empty());
    assert!(codes(PolicyKind::Identity, &doc(r#"    {"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::1234567890123456:role/AliyunIMMDefaultRole"}"#)).is_empty());
    id(
        &doc(r#"    {"Effect": "Allow", "Action": "imm:*", "Resource": "*"}"#),
        "RC504",
        4,
    );
    assert!(
        codes(
            PolicyKind::Identity,
            &doc(r#"    {"Effect": "Deny", "Action": "imm:*", "Resource": "*"}"#)
        )
        .is_empty()
    );
}

#[test]
fn redundancy() {
    id(
        &doc(
            r#"    {"Sid": "A", "Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"},
    {"Sid": "B", "Effect": "Allow", "Action": "IMM:GetProject", "Resource": "*"}"#,
        ),
        "RC601",
        5,
    );
    let m = id(
        &doc(r#"    {"Effect": "Allow", "Action": ["imm:Get*",
      "imm:GetProject"], "Resource": "*"}"#),
        "RC602",
        5,
    );
    assert!(m.contains("covered by `imm:Get*`"), "{m}");
    assert!(id(&doc(r#"    {"Effect": "Allow", "Action": ["imm:GetProject", "imm:getproject"], "Resource": "*"}"#), "RC602", 4).contains("twice"));
    id(
        &doc(
            r#"    {"Effect": "Allow", "Action": "imm:GetProject", "Resource": ["acs:imm:*:*:project/*",
      "acs:imm:*:*:project/immtest"]}"#,
        ),
        "RC603",
        5,
    );
    let m = id(
        &doc(&format!(
            r#"    {{"Effect": "Allow", "Action": "imm:Get*", "Resource": "acs:imm:*:*:project/*"}},
    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{P}", "Condition": {{"Bool": {{"acs:SecureTransport": "true"}}}}}}"#
        )),
        "RC604",
        5,
    );
    assert!(
        m.contains("statement 1") && m.contains("statement 0"),
        "{m}"
    );
    // A conditioned statement does not cover an unconditioned one.
    assert!(!codes(PolicyKind::Identity, &doc(&format!(r#"    {{"Effect": "Allow", "Action": "imm:Get*", "Resource": "*", "Condition": {{"Bool": {{"acs:SecureTransport": "true"}}}}}},
    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{P}"}}"#))).contains(&"RC604"));
    let deny = doc(
        r#"    {"Effect": "Allow", "Action": "imm:*", "Resource": "acs:imm:cn-hangzhou:*:project/*"},
    {"Effect": "Deny", "Action": "imm:Delete*", "Resource": "acs:imm:cn-shanghai:*:project/*"}"#,
    );
    expect(PolicyKind::Session, &deny, "RC605", 5);
    // In an identity policy the Deny may guard other policies' grants.
    assert!(!codes(PolicyKind::Identity, &deny).contains(&"RC605"));
    let useful = deny.replace("cn-shanghai", "cn-hangzhou");
    assert!(!codes(PolicyKind::Session, &useful).contains(&"RC605"));
}

#[test]
fn limits() {
    let statement =
        format!(r#"    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "{P}"}}"#);
    // ~110 characters per statement: 70 statements exceed 6,144 however written.
    let big = doc(&vec![statement.clone(); 70].join(",\n"));
    let m = id(&big, "RC701", 1);
    assert!(m.contains("minified") && m.contains("6144"), "{m}");
    // Padding with whitespace: too large as written, fine minified.
    let padded =
        doc(&vec![statement.replace(", ", &format!(",{}", " ".repeat(60))); 30].join(",\n"));
    let found = codes(PolicyKind::Identity, &padded);
    assert!(
        found.contains(&"RC702") && !found.contains(&"RC701"),
        "{found:?}"
    );
    // Session policies have a smaller limit.
    let medium = doc(&vec![statement; 25].join(",\n"));
    assert!(codes(PolicyKind::Session, &medium).contains(&"RC701"));
    assert!(!codes(PolicyKind::Identity, &medium).contains(&"RC701"));
    assert!(!codes(PolicyKind::Identity, &big).contains(&"RC703"));
}

/// Hostile documents get bounded work, and are told so: two resource
/// patterns of 8,000 wildcards each would take a 64-million-cell search.
#[test]
fn pattern_checks_past_the_budget_are_reported() {
    let long = |tail: &str| format!("acs:imm:*{}{tail}", "a*".repeat(4000));
    let text = doc(&format!(
        r#"    {{"Effect": "Allow", "Action": "imm:GetProject", "Resource": ["{}", "{}"]}}"#,
        long("x"),
        long("y")
    ));
    let m = id(&text, "RC703", 1);
    assert!(m.contains("work budget"), "{m}");
}

#[test]
fn every_rule_has_a_test_above() {
    let source = include_str!("lint_rules.rs");
    for r in RULES {
        assert!(
            source.contains(&format!("\"{}\"", r.meta.code)),
            "{} has no triggering test",
            r.meta.code
        );
    }
    // Severities are one of the four.
    assert!(
        RULES
            .iter()
            .all(|r| Severity::ALL.contains(&r.meta.severity))
    );
}
