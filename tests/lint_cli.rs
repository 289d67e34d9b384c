//! `ramcheck lint` and `ramcheck rules` as a user runs them: exit statuses,
//! the four formats (SARIF checked against the SARIF 2.1.0 schema), paths,
//! configuration and Terraform plans.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use common::{ramcheck, ramcheck_in, scratch, status, stdout};

const STORE: &str = "tests/fixtures/lint/store";

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The SARIF 2.1.0 schema as published has a pattern that is not a valid
/// ECMA 262 regular expression (the `language` properties of `run` and
/// `toolComponent`: `...-[a-zA-Z]{2}]?$`, a stray `]`), which the
/// validator's meta-schema check refuses. The vendored file is kept as
/// published; the copy compiled here has that pattern replaced by what it
/// evidently means. ramcheck writes no `language` property.
fn sarif_validator(schema: &Value) -> jsonschema::Validator {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn fix(v: &mut Value, count: &mut usize) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "pattern" && v == BROKEN {
                        *v = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
                        *count += 1;
                    } else {
                        fix(v, count);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| fix(v, count)),
            _ => {}
        }
    }
    let mut schema = schema.clone();
    let mut count = 0;
    fix(&mut schema, &mut count);
    assert_eq!(count, 2, "the vendored schema changed");
    jsonschema::validator_for(&schema).expect("compile the SARIF schema")
}

#[test]
fn the_bundled_store_lints_clean() {
    let o = ramcheck(&[
        "lint",
        "policies/",
        "--config",
        "policies/ramcheck.toml",
        "--fail-on",
        "suggestion",
    ]);
    assert_eq!(status(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("No findings in 4 documents."),
        "{}",
        stdout(&o)
    );
    // Each file also as its own kind on the command line.
    for (file, kind) in [
        ("policies/ImmAttachImmtest.json", "identity"),
        ("policies/ImmMediaOperator.json", "identity"),
        ("policies/ImmDeployerTrust.json", "trust"),
        ("policies/DenyOutsideChina.json", "control"),
    ] {
        let o = ramcheck(&[
            "lint",
            file,
            "--kind",
            kind,
            "--fail-on",
            "suggestion",
            "--format",
            "json",
        ]);
        assert_eq!(status(&o), 0, "{file}: {}", stdout(&o));
        assert_eq!(json_of(&o)["findings"], serde_json::json!([]));
    }
}

#[test]
fn exit_statuses() {
    let bad = format!("{STORE}/escalation.json");
    // RC503 is a security-warning: the default --fail-on.
    assert_eq!(status(&ramcheck(&["lint", &bad])), 1);
    // Catalogue findings (RC203, RC305) are warnings: RAM accepts the policy.
    assert_eq!(status(&ramcheck(&["lint", &bad, "--fail-on", "error"])), 0);
    assert_eq!(
        status(&ramcheck(&["lint", &bad, "--fail-on", "warning"])),
        1
    );
    assert_eq!(status(&ramcheck(&["lint", &bad, "--fail-on", "never"])), 0);
    assert_eq!(
        status(&ramcheck(&[
            "lint",
            &bad,
            "--fail-on",
            "error",
            "--ignore",
            "RC203",
            "--ignore",
            "rc304"
        ])),
        0
    );
    // Invalid JSON is a finding, not an error.
    let o = ramcheck(&["lint", &format!("{STORE}/broken.json")]);
    assert_eq!(status(&o), 1);
    assert!(stdout(&o).contains("RC101"), "{}", stdout(&o));
    // Unreadable paths and usage errors are 2.
    let o = ramcheck(&["lint", "no/such/file.json"]);
    assert_eq!(status(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no such file"));
    assert_eq!(
        status(&ramcheck(&["lint", "tests/fixtures/lint/nothing-*.json"])),
        2
    );
    assert_eq!(status(&ramcheck(&["lint", &bad, "--ignore", "RC999"])), 2);
    assert_eq!(status(&ramcheck(&["lint", &bad, "--format", "xml"])), 2);
    assert_eq!(status(&ramcheck(&["lint"])), 2);
    assert_eq!(
        status(&ramcheck(&[
            "lint",
            &bad,
            "--config",
            "no/such/ramcheck.toml"
        ])),
        2
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let o = ramcheck(&[
        "lint",
        &format!("{STORE}/escalation.json"),
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    let findings = v["findings"].as_array().unwrap();
    let unknown = findings
        .iter()
        .find(|f| f["code"] == "RC203")
        .expect("RC203");
    assert_eq!(unknown["severity"], "warning");
    assert_eq!(unknown["file"], format!("{STORE}/escalation.json"));
    assert_eq!(unknown["path"], "/Statement/0/Action/0");
    assert_eq!(unknown["help"], "did you mean `imm:AttachOSSBucket`?");
    assert_eq!(unknown["span"]["start"]["line"], 8);
    assert_eq!(unknown["span"]["start"]["column"], 9);
    assert_eq!(unknown["span"]["end"]["line"], 8);
    assert!(unknown["span"]["start"]["offset"].as_u64().unwrap() > 0);
    let escalation = findings
        .iter()
        .find(|f| f["code"] == "RC503")
        .expect("RC503");
    assert_eq!(escalation["severity"], "security-warning");
    assert_eq!(v["summary"]["findings"], findings.len());
    assert_eq!(v["summary"]["by_severity"]["security-warning"], 1);
}

#[test]
fn text_output_has_code_frames_and_no_colour_when_piped() {
    let o = ramcheck(&["lint", &format!("{STORE}/escalation.json")]);
    let out = stdout(&o);
    assert!(
        out.contains("warning[RC203]: `imm:AttachOssBuckets` is not an action"),
        "{out}"
    );
    assert!(
        out.contains(&format!("--> {STORE}/escalation.json:8:9")),
        "{out}"
    );
    assert!(out.contains("^^^^"), "{out}");
    assert!(
        out.contains("help: did you mean `imm:AttachOSSBucket`?"),
        "{out}"
    );
    assert!(out.contains("security-warning[RC503]"), "{out}");
    assert!(!out.contains('\u{1b}'), "colour escape in piped output");
    assert!(out.trim_end().ends_with("in 1 document."), "{out}");
}

#[test]
fn github_annotations() {
    let o = ramcheck(&[
        "lint",
        &format!("{STORE}/escalation.json"),
        "--format",
        "github",
    ]);
    let out = stdout(&o);
    let error = out
        .lines()
        .find(|l| l.contains("RC203"))
        .expect("RC203 line");
    assert!(
        error.starts_with(&format!(
            "::warning file={STORE}/escalation.json,line=8,col=9,endLine=8,endColumn=31,title=RC203 unknown-action::"
        )),
        "{error}"
    );
    // Newlines in the message are escaped.
    assert!(error.contains("%0Ahelp: did you mean"), "{error}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("::warning ") && l.contains("RC503")),
        "{out}"
    );
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
}

#[test]
fn sarif_validates_against_the_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("schema");
    let validator = sarif_validator(&schema);
    let o = ramcheck(&["lint", STORE, "--format", "sarif"]);
    assert_eq!(status(&o), 1);
    let log = json_of(&o);
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // A deliberately broken log is rejected, so the check can fail.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));

    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ramcheck");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ramcheck::lint::RULES.len());
    let results = run["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "RC203")
        .expect("RC203");
    assert_eq!(r["level"], "warning");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "RC203"
    );
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        format!("{STORE}/escalation.json")
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 8);
    assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 9);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "/Statement/0/Action/0"
    );
    assert!(
        r["partialFingerprints"]["ramcheck/v1"]
            .as_str()
            .unwrap()
            .len()
            == 16
    );
    let security = results.iter().find(|r| r["ruleId"] == "RC503").unwrap();
    assert_eq!(security["level"], "warning");
    let rc503 = rules.iter().find(|r| r["id"] == "RC503").unwrap();
    assert_eq!(rc503["properties"]["security-severity"], "7.5");
    // The invalid-JSON file's finding is there too.
    assert!(results.iter().any(|r| r["ruleId"] == "RC101"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // A run that cannot lint (exit 2) still writes a valid log, which
    // records the failure rather than looking like a clean run.
    let o = ramcheck(&["lint", "no/such/file.json", "--format", "sarif"]);
    assert_eq!(status(&o), 2);
    let log = json_of(&o);
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    assert_eq!(run["results"], serde_json::json!([]));
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["exitCode"], 2);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    assert_eq!(notification["descriptor"]["id"], "not-found");
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "no/such/file.json"
    );
    assert!(
        notification["message"]["text"]
            .as_str()
            .unwrap()
            .contains("no/such/file.json")
    );
}

#[test]
fn directories_and_globs() {
    let o = ramcheck(&["lint", STORE, "--format", "json", "--fail-on", "never"]);
    let v = json_of(&o);
    assert_eq!(v["summary"]["documents"], 3, "notes.txt is not walked");
    let o = ramcheck(&["lint", &format!("{STORE}/g*.json"), "--format", "json"]);
    assert_eq!(status(&o), 0);
    assert_eq!(json_of(&o)["summary"]["documents"], 1);
    // The same file twice is linted once.
    let good = format!("{STORE}/good.json");
    let o = ramcheck(&["lint", &good, &good, "--format", "json"]);
    assert_eq!(json_of(&o)["summary"]["documents"], 1);
}

#[test]
fn configuration_file() {
    let dir = scratch("config");
    std::fs::create_dir_all(dir.join("trust")).unwrap();
    let trust = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": ["ecs.aliyuncs.com"]}}]}"#;
    std::fs::write(dir.join("trust/ecs.json"), trust).unwrap();
    std::fs::write(
        dir.join("wide.json"),
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("principals.json"), r#"{"AccountId": "1"}"#).unwrap();
    // Without configuration: the trust policy is read as identity (error),
    // and principals.json is not a policy.
    let o = ramcheck_in(
        &dir,
        &["lint", ".", "--format", "json", "--fail-on", "never"],
    );
    let codes: Vec<String> = json_of(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    // (A trust policy read as identity lacks `Resource`.)
    assert!(
        codes.contains(&"RC107".to_string()) && codes.contains(&"RC103".to_string()),
        "{codes:?}"
    );

    std::fs::write(
        dir.join("ramcheck.toml"),
        r#"
exclude = ["principals.json"]
ignore = ["RC604"]
[severity]
RC504 = "warning"
[[overrides]]
paths = ["trust/*.json"]
kind = "trust"
"#,
    )
    .unwrap();
    let o = ramcheck_in(
        &dir,
        &["lint", ".", "--format", "json", "--fail-on", "never"],
    );
    let v = json_of(&o);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(v["summary"]["documents"], 2);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["code"], "RC504");
    assert_eq!(findings[0]["severity"], "warning");
    // RC504 re-graded to a warning no longer fails the default threshold.
    assert_eq!(status(&ramcheck_in(&dir, &["lint", "."])), 0);
    // --kind on the command line wins over the configuration.
    let o = ramcheck_in(&dir, &["lint", "trust/ecs.json", "--kind", "identity"]);
    assert_eq!(status(&o), 1);
    // A broken configuration is a usage error.
    std::fs::write(dir.join("ramcheck.toml"), "kind = \"identiy\"\n").unwrap();
    let o = ramcheck_in(&dir, &["lint", "."]);
    assert_eq!(status(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown policy kind"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn terraform_plan() {
    let plan = "tests/fixtures/lint/plan.json";
    let o = ramcheck(&["lint", "--terraform-plan", plan, "--format", "json"]);
    assert_eq!(status(&o), 1, "{}", stdout(&o));
    let v = json_of(&o);
    // imm_media, imm_read, imm_service (trust) and the module's control
    // policy; the computed (null) document is skipped.
    assert_eq!(v["summary"]["documents"], 4);
    let findings = v["findings"].as_array().unwrap();
    let by = |code: &str| {
        findings
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{code}: {findings:#?}"))
    };
    assert_eq!(by("RC203")["resource"], "alicloud_ram_policy.imm_media");
    assert_eq!(by("RC203")["file"], plan);
    // Lines are inside the (pretty-printed) policy document.
    assert_eq!(by("RC203")["span"]["start"]["line"], 8);
    assert_eq!(by("RC305")["resource"], "alicloud_ram_policy.imm_media");
    assert_eq!(by("RC503")["resource"], "alicloud_ram_policy.imm_media");
    // The control policy's Allow * is not over-permission, the trust policy
    // is read as a trust policy, and the clean policy has nothing.
    assert!(
        findings
            .iter()
            .all(|f| f["resource"] == "alicloud_ram_policy.imm_media"),
        "{findings:#?}"
    );

    // Annotations point into the plan file, at the document's string.
    let o = ramcheck(&["lint", "--terraform-plan", plan, "--format", "github"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.contains("RC203")).unwrap();
    let plan_text = std::fs::read_to_string(plan).unwrap();
    let doc_line = plan_text
        .lines()
        .position(|l| l.contains("\"policy_document\": \"{\\n  \\\"Version\\\": \\\"1\\\",\\n  \\\"Statement\\\": [\\n    {\\n      \\\"Sid\\\": \\\"AttachBuckets\\\""))
        .unwrap()
        + 1;
    assert!(line.contains(&format!(",line={doc_line},")), "{line}");
    assert!(line.contains("::alicloud_ram_policy.imm_media: "), "{line}");
    // Text output names the resource.
    let out = stdout(&ramcheck(&["lint", "--terraform-plan", plan]));
    assert!(
        out.contains(&format!("{plan} (alicloud_ram_policy.imm_media):8:")),
        "{out}"
    );
    // SARIF of a plan validates too.
    let schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("schema");
    let validator = sarif_validator(&schema);
    let o = ramcheck(&["lint", "--terraform-plan", plan, "--format", "sarif"]);
    assert!(validator.is_valid(&json_of(&o)));
    // Not a plan: usage error.
    assert_eq!(
        status(&ramcheck(&[
            "lint",
            "--terraform-plan",
            "policies/ImmAttachImmtest.json"
        ])),
        2
    );
}

#[test]
fn rules_command() {
    let o = ramcheck(&["rules"]);
    assert_eq!(status(&o), 0);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), ramcheck::lint::RULES.len());
    assert!(
        out.lines()
            .any(|l| l.starts_with("RC203  unknown-action") && l.contains("warning"))
    );
    let o = ramcheck(&["rules", "RC304"]);
    assert_eq!(status(&o), 0);
    let out = stdout(&o);
    for section in [
        "# RC304 resource-type-mismatch",
        "## What it does",
        "## Why is this bad?",
        "## Example",
    ] {
        assert!(out.contains(section), "{out}");
    }
    assert_eq!(stdout(&ramcheck(&["rules", "resource-type-mismatch"])), out);
    assert_eq!(status(&ramcheck(&["rules", "RC999"])), 2);
}

#[test]
fn docs_rule_list_is_generated_from_the_rules() {
    let o = ramcheck(&["rules", "--markdown"]);
    let generated = stdout(&o);
    let checked_in =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lint-rules.md"))
            .expect("docs/lint-rules.md");
    assert!(
        generated == checked_in,
        "docs/lint-rules.md is stale: run `ramcheck rules --markdown > docs/lint-rules.md`"
    );
}
