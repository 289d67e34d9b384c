//! Policies as people publish them: 170 documents written for this project,
//! each reproducing a construct found in a published policy (the source is
//! recorded per file in `tests/realworld/MANIFEST.json`). None may be
//! refused, no real RAM code may be called unknown, and the findings a
//! reviewer expects (allow-all, public access) must be there.

use ramcheck::lint::{Severity, lint_text, lint_text_as};
use ramcheck::policy::{Policy, PolicyKind};
use serde_json::Value;
use std::path::Path;

struct Document {
    file: String,
    kind: PolicyKind,
    text: String,
    services: Vec<String>,
    expect_public: bool,
    expect_allow_all: bool,
}

fn documents() -> Vec<Document> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let entries = manifest["documents"].as_array().unwrap();
    let documents: Vec<Document> = entries
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap().to_string();
            Document {
                text: std::fs::read_to_string(dir.join(&file)).unwrap(),
                kind: PolicyKind::from_name(e["kind"].as_str().unwrap()).unwrap(),
                services: e["services"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
                expect_public: e["expect_public"].as_bool().unwrap(),
                expect_allow_all: e["expect_allow_all"].as_bool().unwrap(),
                file,
            }
        })
        .collect();
    // Every document on disk is in the manifest, with its source.
    let on_disk = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name != "MANIFEST.json" && name.to_string_lossy().ends_with(".json")
        })
        .count();
    assert_eq!(on_disk, documents.len(), "documents not in MANIFEST.json");
    assert!(
        entries
            .iter()
            .all(|e| e["source"].as_str().is_some_and(|s| !s.is_empty()))
    );
    assert!(documents.len() >= 100);
    documents
}

fn failures(what: &str, failed: Vec<String>) {
    assert!(failed.is_empty(), "{what}:\n{}", failed.join("\n"));
}

#[test]
fn no_published_construct_is_refused() {
    let mut failed = Vec::new();
    for d in documents() {
        if let Err(e) = Policy::parse(&d.text, &d.file, &d.file, d.kind) {
            failed.push(format!("{}: {e}", d.file));
        }
        for f in lint_text(&d.text, d.kind) {
            if f.rule.severity == Severity::Error {
                failed.push(format!(
                    "{}:{}: {} {}",
                    d.file, f.span.start.line, f.rule.code, f.message
                ));
            }
        }
    }
    failures("refused", failed);
}

#[test]
fn real_ram_codes_are_known() {
    let mut failed = Vec::new();
    for d in documents() {
        for f in lint_text(&d.text, d.kind) {
            if f.rule.code == "RC202" {
                failed.push(format!("{}:{}: {}", d.file, f.span.start.line, f.message));
            }
        }
    }
    failures("unknown service on a real RAM code", failed);
}

#[test]
fn reviewers_see_allow_all_and_public_access() {
    let mut failed = Vec::new();
    for d in documents() {
        let codes: Vec<&str> = lint_text(&d.text, d.kind)
            .iter()
            .map(|f| f.rule.code)
            .collect();
        if d.expect_allow_all != codes.contains(&"RC501") {
            failed.push(format!(
                "{}: allow-all expected {}, got {codes:?}",
                d.file, d.expect_allow_all
            ));
        }
        if d.kind.has_principal() && d.expect_public != codes.contains(&"RC505") {
            failed.push(format!(
                "{}: public expected {}, got {codes:?}",
                d.file, d.expect_public
            ));
        }
    }
    failures("expected findings", failed);
}

#[test]
fn kinds_with_a_principal_are_recognized() {
    let mut failed = Vec::new();
    for d in documents() {
        let (recognized, _) = lint_text_as(&d.text, None);
        let expected = match d.kind {
            // A document alone cannot say it is a session or control policy.
            PolicyKind::Session | PolicyKind::Control => PolicyKind::Identity,
            k => k,
        };
        if recognized != expected {
            failed.push(format!("{}: {recognized:?}, not {expected:?}", d.file));
        }
    }
    failures("kind recognition", failed);
}

#[test]
fn every_listed_service_is_a_catalogued_code() {
    let catalog = ramcheck::catalog::Catalog::builtin();
    let mut failed = Vec::new();
    for d in documents() {
        for s in &d.services {
            if catalog.code(s).is_none() {
                failed.push(format!("{}: {s}", d.file));
            }
        }
    }
    failures("services the catalogue does not know", failed);
}
