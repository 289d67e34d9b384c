//! `ramcheck catalog`: the services, one service, one action, a pattern;
//! every answer names its source, and misses exit 2 with did-you-mean.

mod common;

use common::{ramcheck, status, stderr, stdout};

fn json(args: &[&str]) -> serde_json::Value {
    let o = ramcheck(args);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn lists_every_documented_code() {
    let v = json(&["catalog", "--format", "json"]);
    let services = v["services"].as_array().unwrap();
    assert_eq!(
        services.len(),
        ramcheck::catalog::Catalog::builtin().codes().len()
    );
    assert!(services.len() > 200);
    let imm = services.iter().find(|s| s["code"] == "imm").unwrap();
    assert_eq!(imm["actions_complete"], true);
    assert!(imm["source"].as_str().unwrap().starts_with("https://"));
    let text = stdout(&ramcheck(&["catalog"]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("oss ") && l.contains("(complete)")),
        "{text}"
    );
}

#[test]
fn one_action_with_its_resources_and_source() {
    let v = json(&["catalog", "imm:AttachOSSBucket", "--format", "json"]);
    assert_eq!(v["action"], "imm:AttachOSSBucket");
    assert_eq!(v["access_level"], "create");
    assert_eq!(
        v["resources"][0]["arn"],
        "acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}"
    );
    assert_eq!(v["confirmed"], true);
    // Cross-service resources are shown as the page gives them.
    let v = json(&["catalog", "slb:AddBackendServers", "--format", "json"]);
    let arns: Vec<&str> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["arn"].as_str().unwrap())
        .collect();
    assert!(arns.iter().any(|a| a.starts_with("acs:ecs:")), "{arns:?}");
}

#[test]
fn patterns_expand_and_say_when_tables_are_partial() {
    let v = json(&["catalog", "oss:Get*", "--format", "json"]);
    let actions = v["actions"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["action"] == "oss:GetObject"));
    assert_eq!(v["partial"], serde_json::json!([]));
    let v = json(&["catalog", "ecs:Describe*", "--format", "json"]);
    assert_eq!(v["partial"], serde_json::json!(["ecs"]));
}

#[test]
fn misses_exit_2_with_did_you_mean() {
    let o = ramcheck(&["catalog", "imm:AttachOssBuckets"]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `imm:AttachOSSBucket`?"),
        "{}",
        stderr(&o)
    );
    let o = ramcheck(&["catalog", "osss"]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("did you mean `oss`?"));
    let o = ramcheck(&["catalog", "bss:DescribeOrder"]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("no action table"));
}
