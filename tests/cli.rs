//! The command-line conventions every command shares, as a user meets
//! them: `-` for standard input, `--color` and the colour variables,
//! machine-readable errors, the store's location, configuration
//! discovery, rule names, batch and quiet `can-i`, completions, man pages,
//! and the README's synopses and install order.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use common::{
    IMMTEST, copy_store, ramcheck, ramcheck_in, ramcheck_with, root, scratch, status, stderr,
    stdout,
};

const ATTACH: &str = "policies/ImmAttachImmtest.json";
const ESCALATION: &str = "tests/fixtures/lint/store/escalation.json";

/// A policy with an unknown IMM action (RC203, a warning).
const TYPO: &str = r#"{"Version": "1", "Statement": [{"Effect": "Allow",
  "Action": "imm:GetProjec", "Resource": "acs:imm:*:1234567890123456:project/a"}]}"#;

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", stdout(o), stderr(o)))
}

fn codes(o: &Output) -> Vec<String> {
    json_of(o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn policy_text() -> Vec<u8> {
    fs::read(root().join(ATTACH)).unwrap()
}

#[test]
fn dash_reads_standard_input() {
    let dir = root();
    // lint -
    let o = ramcheck_with(
        dir,
        &["lint", "-", "--format", "json"],
        TYPO.as_bytes(),
        &[],
    );
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let findings = json_of(&o)["findings"].clone();
    assert_eq!(findings[0]["code"], "RC203");
    assert_eq!(findings[0]["file"], "<stdin>");
    // can-i --policy -
    let args = ["can-i", "imm:AttachOSSBucket", IMMTEST, "--policy", "-"];
    let o = ramcheck_with(dir, &args, &policy_text(), &[]);
    assert_eq!((stdout(&o).as_str(), status(&o)), ("yes\n", 0));
    // --session-policy - with an identity policy from a file.
    let args = [
        "can-i",
        "imm:AttachOSSBucket",
        IMMTEST,
        "--policy",
        ATTACH,
        "--session-policy",
        "-",
        "--explain",
    ];
    let deny_all = br#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "imm:GetProject", "Resource": "*"}]}"#;
    let o = ramcheck_with(dir, &args, deny_all, &[]);
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    // Errors name it <stdin>, with line and column.
    let args = ["can-i", "imm:GetProject", IMMTEST, "--policy", "-"];
    let o = ramcheck_with(dir, &args, b"{\n  \"Version\": 1}", &[]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("<stdin>:2:"), "{}", stderr(&o));
    // Standard input once: a second `-` is an error, not an empty document.
    let args = [
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--policy",
        "-",
        "--control-policy",
        "-",
        "--format",
        "json",
    ];
    let o = ramcheck_with(dir, &args, &policy_text(), &[]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "stdin-twice");
    // generate --from -
    let intent = format!(r#"{{"action": "imm:GetProject", "resource": "{IMMTEST}"}}"#);
    let o = ramcheck_with(dir, &["generate", "--from", "-"], intent.as_bytes(), &[]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("imm:GetProject"), "{}", stdout(&o));
    let o = ramcheck_with(dir, &["generate", "--from", "-"], b"{\"action\": 3}", &[]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("<stdin>"), "{}", stderr(&o));
    // --stdin-filename: named so, and the configuration's paths apply.
    let scratch_dir = scratch("stdin-filename");
    let dir_s = scratch_dir.as_path();
    fs::write(
        dir_s.join("ramcheck.toml"),
        "exclude = [\"skip.json\"]\n[[overrides]]\npaths = [\"quiet/*.json\"]\nignore = [\"unknown-action\"]\n",
    )
    .unwrap();
    let lint = ["lint", "-", "--format", "json", "--fail-on", "never"];
    let o = ramcheck_with(dir_s, &lint, TYPO.as_bytes(), &[]);
    assert_eq!(codes(&o), ["RC203"]);
    assert_eq!(json_of(&o)["findings"][0]["file"], "<stdin>");
    let mut named = lint.to_vec();
    named.extend(["--stdin-filename", "quiet/p.json"]);
    let o = ramcheck_with(dir_s, &named, TYPO.as_bytes(), &[]);
    assert_eq!(codes(&o), Vec::<String>::new(), "the override applies");
    let mut named = lint.to_vec();
    named.extend(["--stdin-filename", "x/p.json"]);
    let o = ramcheck_with(dir_s, &named, TYPO.as_bytes(), &[]);
    assert_eq!(json_of(&o)["findings"][0]["file"], "x/p.json");
    let mut skipped = lint.to_vec();
    skipped.extend(["--stdin-filename", "skip.json", "--force-exclude"]);
    let o = ramcheck_with(dir_s, &skipped, b"not json", &[]);
    assert_eq!(json_of(&o)["summary"]["documents"], 0);
    // lint --terraform-plan -
    let plan = fs::read(root().join("tests/fixtures/lint/plan.json")).unwrap();
    let args = [
        "lint",
        "--terraform-plan",
        "-",
        "--format",
        "json",
        "--fail-on",
        "never",
    ];
    let o = ramcheck_with(dir, &args, &plan, &[]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert_eq!(json_of(&o)["findings"][0]["file"], "<stdin>");
    // The cap applies to standard input too.
    let big = vec![b' '; 2 * 1024 * 1024];
    let o = ramcheck_with(dir, &["lint", "-", "--format", "json"], &big, &[]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "too-large");
}

#[test]
fn json_errors_on_stdout_with_code_and_place() {
    let dir = scratch("json-errors");
    let bad = dir.join("bad.json");
    fs::write(&bad, "{\n  \"Version\": \"1\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}").unwrap();
    let b = bad.to_str().unwrap();
    let o = ramcheck(&[
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--policy",
        b,
        "--format",
        "json",
    ]);
    assert_eq!(status(&o), 2);
    let error = &json_of(&o)["error"];
    assert_eq!(error["code"], "invalid-policy");
    assert_eq!(error["file"], b);
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(3), Some(28))
    );
    assert!(error["message"].as_str().unwrap().contains("Effect"));
    // The member order of the issue: code, message, file, line, column.
    let text = stdout(&o);
    let at = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(at("code") < at("message") && at("message") < at("file") && at("line") < at("column"));
    // Without --format json, nothing on stdout.
    let o = ramcheck(&["can-i", "imm:GetProject", IMMTEST, "--policy", b]);
    assert_eq!((status(&o), o.stdout.is_empty()), (2, true));

    // Places that are not in a policy: a missing file, an unknown principal.
    let o = ramcheck(&["lint", "no/such.json", "--format", "json"]);
    assert_eq!(status(&o), 2);
    assert_eq!(
        json_of(&o)["error"],
        json!({"code": "not-found", "message": "no such file or directory: no/such.json",
               "file": "no/such.json", "line": null, "column": null})
    );
    let o = ramcheck(&[
        "can-i",
        "imm:GetProject",
        IMMTEST,
        "--as",
        "user/alcie",
        "--format",
        "json",
    ]);
    assert_eq!(json_of(&o)["error"]["code"], "unknown-principal");
    // A usage error found by the argument parser.
    let o = ramcheck(&["lint", "--bogus", "--format", "json"]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "usage");
    assert!(stderr(&o).contains("--bogus"));
    let o = ramcheck(&["lint", "--bogus", "--format", "sarif"]);
    let invocation = &json_of(&o)["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
        "usage"
    );
    let o = ramcheck(&["rules", "unknown-actoin", "--format=json"]);
    assert_eq!(status(&o), 2);
    let error = &json_of(&o)["error"];
    assert_eq!(error["code"], "unknown-rule");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `unknown-action`?")
    );
    // A configuration error names the file, line and column.
    fs::write(dir.join("ramcheck.toml"), "ignore = [\n  \"RC999\"]\n").unwrap();
    fs::write(dir.join("p.json"), TYPO).unwrap();
    let o = ramcheck_in(&dir, &["lint", "p.json", "--format", "json"]);
    assert_eq!(status(&o), 2);
    let error = &json_of(&o)["error"];
    assert_eq!(error["code"], "invalid-config");
    assert_eq!(error["file"], "ramcheck.toml");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(2), Some(3))
    );
    // GitHub: an annotation on the file.
    let o = ramcheck_in(&dir, &["lint", "p.json", "--format", "github"]);
    assert_eq!(status(&o), 2);
    assert!(
        stdout(&o)
            .starts_with("::error file=ramcheck.toml,line=2,col=3,title=ramcheck invalid-config::"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["lint", ESCALATION, "--fail-on", "never"];
        all.extend_from_slice(args);
        let o = ramcheck_with(root(), &all, b"", env);
        assert_eq!(status(&o), 0, "{}", stderr(&o));
        stdout(&o).contains('\u{1b}')
    };
    // Piped: no colour by default.
    assert!(!run(&[], &[]));
    assert!(run(&["--color", "always"], &[]));
    assert!(run(&["--color=always"], &[]));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(run(&["--color", "always"], &[("NO_COLOR", "1")]));
    // The flag is global: before the command too.
    let o = ramcheck(&[
        "--color",
        "always",
        "lint",
        ESCALATION,
        "--fail-on",
        "never",
    ]);
    assert!(stdout(&o).contains('\u{1b}'));
    // JSON is never coloured.
    let o = ramcheck(&["lint", ESCALATION, "--format", "json", "--color", "always"]);
    assert!(!stdout(&o).contains('\u{1b}'));
}

#[test]
fn store_from_flag_environment_or_default() {
    let dir = scratch("store-env");
    let store = dir.join("store");
    copy_store(&store);
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let ask = [
        "can-i",
        "imm:AttachOSSBucket",
        IMMTEST,
        "--as",
        "user/alice",
    ];
    // No ./policies here: the default store is missing, and the message
    // says where ramcheck looked and how to name another.
    let o = ramcheck_in(&elsewhere, &ask);
    assert_eq!(status(&o), 2);
    let err = stderr(&o);
    for needle in ["./policies", "RAMCHECK_STORE", "--store", "the default"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let o = ramcheck_with(
        &elsewhere,
        &ask,
        b"",
        &[("RAMCHECK_STORE", store.to_str().unwrap())],
    );
    assert_eq!(
        (stdout(&o).as_str(), status(&o)),
        ("yes\n", 0),
        "{}",
        stderr(&o)
    );
    // --store wins over the environment.
    let mut with_flag = ask.to_vec();
    with_flag.extend(["--store", "nowhere", "--format", "json"]);
    let o = ramcheck_with(
        &elsewhere,
        &with_flag,
        b"",
        &[("RAMCHECK_STORE", store.to_str().unwrap())],
    );
    assert_eq!(status(&o), 2);
    let error = &json_of(&o)["error"];
    assert_eq!(
        (error["code"].as_str(), error["file"].as_str()),
        (Some("store-not-found"), Some("nowhere"))
    );
    assert!(error["message"].as_str().unwrap().contains("from --store"));
    let o = ramcheck_with(
        &elsewhere,
        &ask,
        b"",
        &[("RAMCHECK_STORE", "missing-store")],
    );
    assert!(
        stderr(&o).contains("missing-store (from RAMCHECK_STORE"),
        "{}",
        stderr(&o)
    );
    // Ad-hoc questions never read the store, wherever it points.
    let o = ramcheck_with(
        root(),
        &["can-i", "imm:AttachOSSBucket", IMMTEST, "--policy", ATTACH],
        b"",
        &[("RAMCHECK_STORE", "missing-store")],
    );
    assert_eq!(status(&o), 0, "{}", stderr(&o));
}

#[test]
fn configuration_is_found_up_to_the_repository_root() {
    let dir = scratch("discovery");
    let repo = dir.join("repo");
    let deep = repo.join("infra/policies");
    fs::create_dir_all(&deep).unwrap();
    fs::create_dir_all(repo.join(".git")).unwrap();
    // Above the repository: never read (it would be an error if it were).
    fs::write(dir.join("ramcheck.toml"), "not toml at all [").unwrap();
    fs::write(
        repo.join("ramcheck.toml"),
        "ignore = [\"unknown-action\"]\nexclude = [\"skipped.json\"]\n",
    )
    .unwrap();
    fs::write(deep.join("p.json"), TYPO).unwrap();
    fs::write(deep.join("skipped.json"), "not json").unwrap();
    let lint = |args: &[&str]| {
        let mut all = vec!["lint", "--format", "json", "--fail-on", "never"];
        all.extend_from_slice(args);
        ramcheck_in(&deep, &all)
    };
    // Found two levels up: RC203 ignored by name.
    assert_eq!(codes(&lint(&["p.json"])), Vec::<String>::new());
    // --isolated: no configuration.
    assert_eq!(codes(&lint(&["p.json", "--isolated"])), ["RC203"]);
    // --config names another one.
    fs::write(deep.join("other.toml"), "").unwrap();
    assert_eq!(
        codes(&lint(&["p.json", "--config", "other.toml"])),
        ["RC203"]
    );
    let o = ramcheck_in(
        &deep,
        &["lint", "p.json", "--config", "other.toml", "--isolated"],
    );
    assert_eq!(status(&o), 2, "--config and --isolated conflict");
    // A file named on the command line is linted even if excluded…
    assert_eq!(codes(&lint(&["p.json", "skipped.json"])), ["RC101"]);
    // …unless --force-exclude; walking the directory always skips it.
    assert_eq!(
        codes(&lint(&["p.json", "skipped.json", "--force-exclude"])),
        Vec::<String>::new()
    );
    assert_eq!(codes(&lint(&["."])), Vec::<String>::new());
    // Without a repository marker, discovery goes on up and finds the
    // broken file above.
    fs::remove_dir_all(repo.join(".git")).unwrap();
    fs::remove_file(repo.join("ramcheck.toml")).unwrap();
    let o = lint(&["p.json"]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["file"], "../../../ramcheck.toml");
}

#[test]
fn rule_names_work_wherever_codes_do() {
    let o = ramcheck(&["lint", ESCALATION, "--format", "json", "--fail-on", "never"]);
    let all = codes(&o);
    assert!(all.contains(&"RC203".to_string()), "{all:?}");
    let o = ramcheck(&[
        "lint",
        ESCALATION,
        "--format",
        "json",
        "--fail-on",
        "never",
        "--ignore",
        "unknown-action",
    ]);
    let fewer = codes(&o);
    assert!(!fewer.contains(&"RC203".to_string()) && fewer.len() < all.len());
    let o = ramcheck(&["lint", ESCALATION, "--ignore", "unknown-actoin"]);
    assert_eq!(status(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `unknown-action`?"),
        "{}",
        stderr(&o)
    );
    // In the configuration, for ignore and [severity].
    let dir = scratch("rule-names");
    fs::write(dir.join("p.json"), TYPO).unwrap();
    fs::write(
        dir.join("ramcheck.toml"),
        "[severity]\nunknown-action = \"error\"\n",
    )
    .unwrap();
    let o = ramcheck_in(&dir, &["lint", "p.json", "--format", "json"]);
    assert_eq!(status(&o), 1);
    assert_eq!(json_of(&o)["findings"][0]["severity"], "error");
    // rules NAME and rules CODE print the same page.
    assert_eq!(
        stdout(&ramcheck(&["rules", "unknown-action"])),
        stdout(&ramcheck(&["rules", "rc203"]))
    );
}

#[test]
fn rules_as_json_and_wrapped_text() {
    let o = ramcheck(&["rules", "--format", "json"]);
    assert_eq!(status(&o), 0);
    let rules = json_of(&o)["rules"].as_array().unwrap().clone();
    assert!(rules.len() > 40);
    let rc203 = rules.iter().find(|r| r["code"] == "RC203").unwrap();
    assert_eq!(rc203["name"], "unknown-action");
    assert_eq!(rc203["severity"], "warning");
    assert!(rc203["doc"].as_str().unwrap().contains("## What it does"));
    let o = ramcheck(&["rules", "unknown-action", "--format", "json"]);
    assert_eq!(json_of(&o)["code"], "RC203");
    // Piped without COLUMNS: one line per rule, for scripts.
    let plain = stdout(&ramcheck(&["rules"]));
    assert_eq!(plain.lines().count(), rules.len());
    // A terminal width: no line past it (unless one word is longer).
    let o = ramcheck_with(root(), &["rules"], b"", &[("COLUMNS", "80")]);
    let wrapped = stdout(&o);
    assert!(wrapped.lines().count() > rules.len());
    for line in wrapped.lines() {
        // A word longer than its column stands alone on its line.
        assert!(
            line.chars().count() <= 80 || !line.trim().contains(' '),
            "{line}"
        );
    }
}

#[test]
fn empty_input_warns() {
    let dir = scratch("empty");
    fs::create_dir_all(dir.join("none")).unwrap();
    fs::write(dir.join("none/readme.txt"), "no policies").unwrap();
    let o = ramcheck_in(&dir, &["lint", "none"]);
    assert_eq!(status(&o), 0);
    assert!(
        stderr(&o).contains("warning: no policy documents found in none"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("No findings in 0 documents."));
    // Everything excluded.
    fs::write(dir.join("none/x.json"), "{}").unwrap();
    fs::write(dir.join("ramcheck.toml"), "exclude = [\"x.json\"]").unwrap();
    let o = ramcheck_in(&dir, &["lint", "none", "--format", "json"]);
    assert!(
        stderr(&o).contains("no policy documents found"),
        "{}",
        stderr(&o)
    );
    // Something to lint: no warning.
    let o = ramcheck(&["lint", ATTACH]);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn quiet_answers_by_exit_status_alone() {
    let o = ramcheck(&[
        "can-i",
        "-q",
        "imm:AttachOSSBucket",
        IMMTEST,
        "--as",
        "user/alice",
    ]);
    assert_eq!(
        (status(&o), o.stdout.is_empty(), o.stderr.is_empty()),
        (0, true, true)
    );
    let o = ramcheck(&[
        "can-i",
        "--quiet",
        "imm:DeleteProject",
        IMMTEST,
        "--as",
        "user/alice",
    ]);
    assert_eq!(
        (status(&o), o.stdout.is_empty(), o.stderr.is_empty()),
        (1, true, true)
    );
    // An error still says why, on stderr.
    let o = ramcheck(&[
        "can-i",
        "-q",
        "imm:DeleteProject",
        IMMTEST,
        "--as",
        "user/nobody",
    ]);
    assert_eq!((status(&o), o.stdout.is_empty()), (2, true));
    assert!(stderr(&o).contains("unknown principal"));
    // --quiet with --explain makes no sense.
    let o = ramcheck(&[
        "can-i",
        "-q",
        "--explain",
        "imm:GetProject",
        IMMTEST,
        "--as",
        "user/alice",
    ]);
    assert_eq!(status(&o), 2);
}

fn batch_answers(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn batch_answers_every_line() {
    let media = "acs:imm:cn-hangzhou:1234567890123456:project/media-news";
    let long = format!(
        r#"{{"action": "imm:GetProject", "resource": "{}"}}"#,
        "x".repeat(70_000)
    );
    let lines = [
        format!(
            r#"{{"id": "a", "action": "imm:AttachOSSBucket", "resource": "{IMMTEST}", "principal": "user/alice"}}"#
        ),
        format!(
            r#"{{"id": 2, "action": "imm:UpdateProject", "resource": "{media}", "principal": "user/bob"}}"#
        ),
        format!(
            r#"{{"action": "imm:UpdateProject", "resource": "{media}", "principal": "user/bob", "context": {{"acs:SourceIp": "192.0.2.10"}}}}"#
        ),
        String::new(),
        "not json".to_string(),
        format!(
            r#"{{"id": 6, "action": "imm:GetProject", "resource": "{IMMTEST}", "principal": "user/nobody"}}"#
        ),
        format!(
            r#"{{"action": "imm:GetProject", "resource": "{IMMTEST}", "principle": "user/alice"}}"#
        ),
        format!(
            r#"{{"action": "imm:GetProject", "resource": "{IMMTEST}", "context": {{"acs:SourceIp": "not-an-ip"}}}}"#
        ),
        long,
        format!(
            r#"{{"action": "imm:GetProject", "resource": "{IMMTEST}", "principal": "user/alice"}}"#
        ),
        "[1, 2]".to_string(),
        format!(
            r#"{{"action": "imm:GetProject", "resource": "{IMMTEST}", "action": "imm:GetProject"}}"#
        ),
    ];
    let mut input = lines.join("\n").into_bytes();
    input.extend(b"\n\xff\xfe\n");
    let o = ramcheck_with(root(), &["can-i", "--batch", "-"], &input, &[]);
    assert_eq!(
        status(&o),
        2,
        "an error line makes the exit status 2: {}",
        stderr(&o)
    );
    let answers = batch_answers(&o);
    let summary: Vec<(u64, Value, Option<&str>)> = answers
        .iter()
        .map(|a| {
            (
                a["line"].as_u64().unwrap(),
                a["allowed"].clone(),
                a["error"]["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, json!(true), None),
            (2, json!(false), None),
            (3, json!(true), None),
            (5, json!(false), Some("invalid-batch-line")),
            (6, json!(false), Some("unknown-principal")),
            (7, json!(false), Some("invalid-batch-line")),
            (8, json!(false), Some("invalid-request")),
            (9, json!(false), Some("invalid-batch-line")),
            (10, json!(true), None),
            (11, json!(false), Some("invalid-batch-line")),
            (12, json!(false), Some("invalid-batch-line")),
            (13, json!(false), Some("invalid-batch-line")),
        ]
    );
    assert_eq!(answers[0]["id"], "a");
    assert_eq!(answers[1]["id"], 2);
    assert_eq!(answers[1]["decision"], "ImplicitDeny");
    assert_eq!(answers[4]["id"], 6, "the id comes back with an error too");
    // Errors name the batch, the line and, where known, the column.
    let error = &answers[5]["error"];
    assert_eq!(
        (
            error["file"].as_str(),
            error["line"].as_u64(),
            error["column"].as_u64()
        ),
        (Some("<stdin>"), Some(7), Some(98))
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean \"principal\"")
            || error["message"]
                .as_str()
                .unwrap()
                .contains("did you mean `principal`"),
        "{error}"
    );
    assert!(
        answers[7]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("65536")
    );
    assert_eq!(answers[3]["error"]["column"], 1);
    assert!(
        answers[10]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate"),
        "{}",
        answers[10]
    );
    assert!(
        answers[11]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8"),
        "{}",
        answers[11]
    );

    // All allowed: 0; one denied: 1. --as and --context apply to every line.
    let dir = scratch("batch");
    let file = dir.join("queries.jsonl");
    fs::write(
        &file,
        format!(
            "{{\"action\": \"imm:UpdateProject\", \"resource\": \"{media}\"}}\n{{\"action\": \"imm:GetProject\", \"resource\": \"{media}\"}}\n"
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = ramcheck(&[
        "can-i",
        "--batch",
        f,
        "--as",
        "user/bob",
        "--context",
        "acs:SourceIp=192.0.2.10",
    ]);
    assert_eq!(status(&o), 0, "{}", stdout(&o));
    assert_eq!(batch_answers(&o).len(), 2);
    let o = ramcheck(&["can-i", "--batch", f, "--as", "user/bob"]);
    assert_eq!(status(&o), 1, "{}", stdout(&o));
    // Ad hoc, with --policy: no store is read.
    let o = ramcheck_in(
        &dir,
        &[
            "can-i",
            "--batch",
            "queries.jsonl",
            "--policy",
            &root().join(ATTACH).display().to_string(),
        ],
    );
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    // A batch that cannot start: exit 2, JSON error with --format json.
    let o = ramcheck(&["can-i", "--batch", "no/such.jsonl", "--format", "json"]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "read-failed");
    // A store that is missing fails each line that names a principal.
    let o = ramcheck_with(
        &dir,
        &["can-i", "--batch", "-"],
        concat!(
            r#"{"action": "imm:GetProject", "resource": "*", "principal": "user/alice"}"#,
            "\n",
            r#"{"action": "imm:GetProject", "resource": "*", "principal": "user/bob"}"#,
            "\n"
        )
        .as_bytes(),
        &[],
    );
    let answers = batch_answers(&o);
    assert_eq!(answers.len(), 2);
    assert!(
        answers
            .iter()
            .all(|a| a["error"]["code"] == "store-not-found"),
        "{answers:?}"
    );
    // A bad --context would fail every line: the batch does not start.
    let o = ramcheck_with(
        &dir,
        &[
            "can-i",
            "--batch",
            "-",
            "--context",
            "acs:SourceIp=nope",
            "--format",
            "json",
        ],
        b"{\"action\": \"imm:GetProject\", \"resource\": \"*\"}\n",
        &[],
    );
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "invalid-request");
    // Batch mode conflicts with a single question.
    let o = ramcheck(&["can-i", "imm:GetProject", "*", "--batch", "-"]);
    assert_eq!(status(&o), 2);
}

#[test]
fn batch_memory_stays_bounded_on_a_huge_line() {
    // 32 MiB on one line, then a query: the line is refused after its cap
    // and the next one still answered.
    let mut input = vec![b'x'; 32 * 1024 * 1024];
    input.extend(format!("\n{{\"action\": \"imm:AttachOSSBucket\", \"resource\": \"{IMMTEST}\", \"principal\": \"user/alice\"}}\n").as_bytes());
    let o = ramcheck_with(root(), &["can-i", "--batch", "-"], &input, &[]);
    let answers = batch_answers(&o);
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["error"]["code"], "invalid-batch-line");
    assert_eq!(answers[1]["allowed"], true);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = ramcheck(&["completions", shell]);
        assert_eq!(status(&o), 0, "{shell}");
        let script = stdout(&o);
        assert!(
            script.contains("can-i") && script.contains("force-exclude"),
            "{shell}"
        );
    }
    assert_eq!(status(&ramcheck(&["completions", "tcsh"])), 2);
}

/// The man pages under man/ are what `ramcheck man --output-dir` writes
/// now. After a change to the command line, regenerate them with
/// `cargo run -- man --output-dir man` (or run this test with
/// `RAMCHECK_BLESS=1`).
#[test]
fn checked_in_man_pages_are_current() {
    let dir = scratch("man");
    let o = ramcheck(&["man", "--output-dir", dir.to_str().unwrap()]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let checked_in = root().join("man");
    let names = |d: &Path| {
        let mut names: Vec<String> = fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    if std::env::var_os("RAMCHECK_BLESS").is_some() {
        let _ = fs::remove_dir_all(&checked_in);
        fs::create_dir_all(&checked_in).unwrap();
        for name in names(&dir) {
            fs::copy(dir.join(&name), checked_in.join(&name)).unwrap();
        }
    }
    let fix = "regenerate with `cargo run -- man --output-dir man`";
    assert_eq!(names(&dir), names(&checked_in), "{fix}");
    for name in names(&dir) {
        assert_eq!(
            fs::read_to_string(dir.join(&name)).unwrap(),
            fs::read_to_string(checked_in.join(&name)).unwrap(),
            "man/{name} is stale: {fix}"
        );
    }
    assert!(names(&dir).contains(&"ramcheck-can-i.1".to_string()));
    // Without --output-dir: ramcheck.1 on stdout.
    let page = stdout(&ramcheck(&["man"]));
    assert!(
        page.starts_with(".ie") && page.contains(".TH ramcheck 1"),
        "{page}"
    );
}

/// The long flags and value lists of `ramcheck <command> --help`.
fn help_flags(command: &str) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let o = ramcheck(&[command, "--help"]);
    assert_eq!(status(&o), 0);
    let text = stdout(&o);
    let mut flags = Vec::new();
    let mut values = Vec::new();
    // Options are the lines whose first word is a flag (`-q, --quiet`,
    // `--format <FORMAT>`); their possible values are listed after them.
    let mut current: Option<String> = None;
    let options = text.find("\nOptions:\n").expect("an Options section");
    for line in text[options..].lines() {
        let trimmed = line.trim_start();
        let first = trimmed
            .trim_start_matches("-q, ")
            .split_whitespace()
            .next()
            .unwrap_or("");
        if line.starts_with("  ") && first.starts_with("--") && line.len() - trimmed.len() <= 6 {
            flags.push(first.to_string());
            current = Some(first.to_string());
        }
        if let (Some(flag), Some(i)) = (&current, trimmed.find("[possible values: ")) {
            let rest = &trimmed[i + 18..];
            let list = rest.split(']').next().unwrap();
            let list: Vec<String> = list.split(", ").map(str::to_string).collect();
            values.push((flag.clone(), list));
        }
    }
    flags.retain(|f| f != "--help" && f != "--color");
    values.retain(|(f, _)| f != "--color");
    (flags, values)
}

/// Every synopsis block (```text whose lines start `ramcheck <command>`)
/// in the README and docs names exactly the flags of `--help`, with the
/// same value lists.
#[test]
fn synopses_match_help() {
    let mut checked = Vec::new();
    let mut docs = vec!["README.md".to_string()];
    for entry in fs::read_dir(root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            docs.push(format!("docs/{name}"));
        }
    }
    docs.sort();
    for doc in &docs {
        let text = fs::read_to_string(root().join(doc)).unwrap();
        let mut in_block = false;
        let mut segments: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.starts_with("```") {
                in_block = line == "```text";
                continue;
            }
            if !in_block {
                continue;
            }
            if let Some(rest) = line.strip_prefix("ramcheck ") {
                let command = rest.split_whitespace().next().unwrap().to_string();
                match segments.last_mut() {
                    Some((c, body)) if *c == command => body.push_str(line),
                    _ => segments.push((command, line.to_string())),
                }
            } else if let Some((_, body)) = segments.last_mut()
                && line.starts_with(' ')
            {
                body.push('\n');
                body.push_str(line);
            }
        }
        for (command, body) in segments {
            // A synopsis has placeholders; a plain command is an example.
            if !body.lines().next().unwrap().contains(['[', '<']) {
                continue;
            }
            let (flags, values) = help_flags(&command);
            let mut written: Vec<String> = Vec::new();
            for word in body.split(|c: char| c.is_whitespace() || "[]()".contains(c)) {
                if let Some(flag) = word.strip_prefix("--").map(|w| {
                    format!(
                        "--{}",
                        w.split(['=', ',', ':', ';'].as_ref()).next().unwrap()
                    )
                }) && flag.len() > 2
                    && !written.contains(&flag)
                {
                    written.push(flag);
                }
            }
            let mut expected = flags.clone();
            expected.sort();
            written.sort();
            assert_eq!(
                written, expected,
                "{doc}: the synopsis of `ramcheck {command}` and its --help differ"
            );
            for (flag, list) in values {
                let joined = list.join("|");
                assert!(
                    body.contains(&format!("{flag} {joined}"))
                        || body.contains(&format!(
                            "{flag} <{}>",
                            flag.trim_start_matches("--").to_uppercase()
                        )),
                    "{doc}: `ramcheck {command}` synopsis: expected `{flag} {joined}`"
                );
            }
            checked.push(format!("{doc}: {command}"));
        }
    }
    for needed in [
        "README.md: can-i",
        "README.md: lint",
        "README.md: rules",
        "README.md: generate",
    ] {
        assert!(
            checked.iter().any(|c| c == needed),
            "{needed} not found in {checked:?}"
        );
    }
}

/// The README says how to install ramcheck before its first bare
/// `ramcheck` command, and shows the conventions.
#[test]
fn readme_installs_before_the_first_bare_command() {
    let text = fs::read_to_string(root().join("README.md")).unwrap();
    let install = text
        .find("cargo install --locked --path .")
        .expect("install line");
    let mut in_block = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("```") {
            in_block = !in_block;
        } else if in_block {
            let command = line.trim_start().trim_start_matches("$ ");
            if command.starts_with("ramcheck ") || command.contains("| ramcheck ") {
                assert!(
                    offset > install,
                    "bare `ramcheck` before the install line: {line}"
                );
                break;
            }
        }
        offset += line.len();
    }
    for convention in [
        "RAMCHECK_STORE",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "--force-exclude",
        "--isolated",
        "--batch",
        "--quiet",
        "completions",
        "\"error\": {\"code\"",
        "<stdin>",
    ] {
        assert!(
            text.contains(convention),
            "README does not show {convention}"
        );
    }
}

/// Every `ramcheck` command of docs/ci.md is one the command line accepts:
/// run from the repository root (where `policies/` is), none is a usage
/// error. (What the commands find is tested elsewhere; `.ci/action-check`
/// and `.ci/pre-commit-check` run the action and the hooks.)
#[test]
fn ci_recipes_are_valid_command_lines() {
    let text = fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let mut checked = 0;
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let Some(at) = line.find("ramcheck lint").filter(|_| in_block) else {
            continue;
        };
        let command = line[at..].split(['|', '>', '`']).next().unwrap();
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let o = ramcheck_with(root(), &args, b"", &[]);
        assert!(
            !stderr(&o).contains("Usage:"),
            "docs/ci.md: `{command}` is not a valid command line: {}",
            stderr(&o)
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} commands found in docs/ci.md");
}

/// The commands merged in beside lint and can-i follow the same
/// conventions: `-` for a policy, JSON and SARIF errors, RAMCHECK_STORE.
#[test]
fn analysis_commands_follow_the_conventions() {
    let args = ["diff", "-", "policies/ImmMediaOperator.json"];
    let o = ramcheck_with(root(), &args, &policy_text(), &[]);
    assert_eq!(status(&o), 1, "{}", stderr(&o));
    let o = ramcheck(&[
        "check",
        "no/such.json",
        "--no-public-access",
        "--format",
        "json",
    ]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "read-failed");
    let o = ramcheck(&["diff", "no/such.json", ATTACH, "--format", "sarif"]);
    assert_eq!(status(&o), 2);
    assert_eq!(
        json_of(&o)["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    let o = ramcheck(&["catalog", "imm:GetProjct", "--format", "json"]);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "not-in-catalog");
    // who-can finds the store through RAMCHECK_STORE.
    let dir = scratch("who-can-env");
    let who = [
        "who-can",
        "imm:AttachOSSBucket",
        IMMTEST,
        "--format",
        "json",
    ];
    let o = ramcheck_with(
        &dir,
        &who,
        b"",
        &[("RAMCHECK_STORE", common::bundled_store().to_str().unwrap())],
    );
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let o = ramcheck_in(&dir, &who);
    assert_eq!(status(&o), 2);
    assert_eq!(json_of(&o)["error"]["code"], "read-failed");
}
