//! `ramcheck generate --from` on ActionTrail events in the three layouts
//! (OSS delivery array, JSON lines, SLS export rows), written to
//! ActionTrail's documented event format: a RAM user (`ram-user`), a role
//! session (`assumed-role`), a failed call, an event of a service outside
//! the catalogue and an IMM event of an unknown API.

use std::path::PathBuf;

use ramcheck::generate::{self, Options};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/actiontrail")
        .join(name)
}

const LAYOUTS: [&str; 3] = ["events.json", "events.jsonl", "sls-export.jsonl"];
const P: &str = "acs:imm:cn-hangzhou:1234567890123456:project";

fn alice(file: &str) -> Options {
    Options {
        from: vec![fixture(file)],
        principal: Some("user/alice".into()),
        ..Options::default()
    }
}

fn grants(text: &str) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut out = Vec::new();
    for s in doc["Statement"].as_array().unwrap() {
        for a in s["Action"].as_array().unwrap() {
            for r in s["Resource"].as_array().unwrap() {
                out.push((
                    a.as_str().unwrap().to_string(),
                    r.as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_three_layouts_give_the_same_policy() {
    let texts: Vec<String> = LAYOUTS
        .iter()
        .map(|f| generate::generate(&alice(f)).unwrap().stdout_text())
        .collect();
    assert_eq!(texts[0], texts[1]);
    assert_eq!(texts[0], texts[2]);
    assert_eq!(
        grants(&texts[0]),
        [
            ("imm:AttachOSSBucket".to_string(), format!("{P}/immtest")),
            (
                "imm:CreateTrigger".to_string(),
                format!("{P}/immtest/trigger/*")
            ),
            (
                "imm:GetDataset".to_string(),
                format!("{P}/immtest/dataset/photos")
            ),
            ("imm:GetProject".to_string(), format!("{P}/immtest")),
            ("imm:ListProjects".to_string(), format!("{P}/*")),
            ("imm:ListRegions".to_string(), "*".to_string()),
            // OSS through the catalogue alone: {#BucketName} from BucketName.
            (
                "oss:PutBucket".to_string(),
                "acs:oss:cn-hangzhou:1234567890123456:examplebucket".to_string()
            ),
        ]
    );
}

#[test]
fn counts_and_unmappable_events_are_reported() {
    for f in LAYOUTS {
        let g = generate::generate(&alice(f)).unwrap();
        let report = g.notes.join("\n");
        assert!(
            report.contains("10 events read: 7 mapped, 1 failed call skipped (--include-failed keeps them), 1 of other principals, 0 outside --since/--until, 1 unmappable"),
            "{f}: {report}"
        );
        assert!(report.contains("imm DescribeImageTagging"), "{report}");
        assert!(report.contains(&format!("{f}:")), "{report}");
    }
}

#[test]
fn failed_calls_are_kept_only_when_asked() {
    let g = generate::generate(&Options {
        include_failed: true,
        ..alice("events.jsonl")
    })
    .unwrap();
    assert!(
        grants(&g.stdout_text())
            .contains(&("imm:DeleteProject".to_string(), format!("{P}/immtest")))
    );
    assert!(
        g.notes[0].contains("0 failed calls skipped"),
        "{}",
        g.notes[0]
    );
}

#[test]
fn a_role_session_is_its_role() {
    let g = generate::generate(&Options {
        principal: Some("role/media-worker".into()),
        ..alice("events.json")
    })
    .unwrap();
    assert_eq!(
        grants(&g.stdout_text()),
        [("imm:UpdateProject".to_string(), format!("{P}/media-news"))]
    );
    // Without a principal, everyone's events.
    let all = generate::generate(&Options {
        from: vec![fixture("events.json")],
        ..Options::default()
    })
    .unwrap();
    assert_eq!(grants(&all.stdout_text()).len(), 8);
}

#[test]
fn time_window() {
    let g = generate::generate(&Options {
        since: Some("2025-03-01T08:05:00Z".into()),
        until: Some("2025-03-02T00:00:00Z".into()),
        ..alice("sls-export.jsonl")
    })
    .unwrap();
    let got = grants(&g.stdout_text());
    assert!(!got.iter().any(|(a, _)| a == "imm:GetProject"), "{got:?}");
    assert!(!got.iter().any(|(a, _)| a == "imm:GetDataset"), "{got:?}");
    assert!(
        got.iter().any(|(a, _)| a == "imm:AttachOSSBucket"),
        "{got:?}"
    );
    assert!(
        g.notes[0].contains("2 outside --since/--until"),
        "{}",
        g.notes[0]
    );
    let e = generate::generate(&Options {
        since: Some("yesterday".into()),
        ..alice("events.json")
    })
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn nothing_mapped_is_bad_input_with_the_report() {
    let e = generate::generate(&Options {
        principal: Some("user/nobody".into()),
        ..alice("events.json")
    })
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    // alice's failed call is another principal's event for user/nobody,
    // not a failed call of theirs.
    assert!(
        e.to_string()
            .contains("0 failed calls skipped, 10 of other principals"),
        "{e}"
    );
}

#[test]
fn explain_names_the_events() {
    let g = generate::generate(&alice("events.jsonl")).unwrap();
    assert!(
        g.explanation.contains(
            "covers imm:GetProject acs:imm:cn-hangzhou:1234567890123456:project/immtest  <- "
        ),
        "{}",
        g.explanation
    );
    assert!(
        g.explanation
            .contains("events.jsonl:1 (event 6C1D4B2E-0001-4F3A-9D1E-0A1B2C3D4E5F)")
    );
}

#[test]
fn every_catalogued_service_maps_through_the_catalogue() {
    let g = generate::generate(&Options {
        from: vec![fixture("services.jsonl")],
        ..Options::default()
    })
    .unwrap();
    let got = grants(&g.stdout_text());
    let want = [
        (
            "ecs:StartInstance",
            "acs:ecs:cn-hangzhou:1234567890123456:instance/i-bp67acfmxazb4ph0001",
        ),
        (
            "kms:DescribeKey",
            "acs:kms:cn-hangzhou:1234567890123456:key/key-hzz62f1cb66fa42qo0001",
        ),
        (
            "oss:GetObject",
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket/photos/2025/cat.jpg",
        ),
        // ActionTrail records the API, GetBucket; the action is ListObjects.
        (
            "oss:ListObjects",
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket",
        ),
        (
            "oss:PutObject",
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket/photos/2025/cat.jpg",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect();
    assert_eq!(got, want);
    let report = g.notes[0].as_str();
    assert!(
        report.contains("8 events read: 6 mapped, 0 failed calls skipped, 0 of other principals, 0 outside --since/--until, 2 unmappable"),
        "{report}"
    );
    // An object key that is a pattern is refused, not written as one.
    assert!(
        report.contains("services.jsonl:7: Oss GetObject: invalid request parameter"),
        "{report}"
    );
    assert!(
        report.contains("services.jsonl:8: Oss PutObject: missing request parameter"),
        "{report}"
    );
}
