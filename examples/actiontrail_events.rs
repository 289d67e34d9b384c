//! Synthetic ActionTrail events for the `ramcheck generate` benchmark
//! (bench/generate-speed.sh, docs/generate.md "Scale"): JSON lines in
//! ActionTrail's documented event format, for one RAM user (`alice`) over
//! 200 IMM projects and 40 OSS buckets, with a few events of other
//! principals and a few failed calls mixed in, as a real trail has.
//!
//! ```console
//! $ cargo run --release --example actiontrail_events -- 50000 > events.jsonl
//! ```
//!
//! Deterministic: the same count gives the same bytes. The distinct
//! (action, resource) pairs of alice are bounded (about 4,500), so a long
//! trail repeats them, as real activity does.

use std::io::{BufWriter, Write};

/// A small deterministic generator (SplitMix64): no dependency, same
/// output everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ACCOUNT: &str = "1234567890123456";
const REGIONS: [&str; 2] = ["cn-hangzhou", "cn-shanghai"];
const PROJECTS: u64 = 200;
const BUCKETS: u64 = 40;
const OBJECTS: u64 = 20;
const DATASETS: u64 = 3;

fn identity(rng: &mut Rng) -> String {
    // 1 event in 10 is someone else's: another user or a role session.
    match rng.below(10) {
        0 => format!(
            r#"{{"accessKeyId":"STS.NTExample{n:04}","accountId":"{ACCOUNT}","principalId":"30012345678901234:s{n}","type":"assumed-role","userName":"media-worker:s{n}"}}"#,
            n = rng.below(50)
        ),
        1 => format!(
            r#"{{"accessKeyId":"LTAI5tExampleKeyBob0001","accountId":"{ACCOUNT}","principalId":"27999999999999999","type":"ram-user","userName":"bob"}}"#
        ),
        _ => format!(
            r#"{{"accessKeyId":"LTAI5tExampleKeyAlice01","accountId":"{ACCOUNT}","principalId":"271234567890123456","type":"ram-user","userName":"alice"}}"#
        ),
    }
}

fn event(i: u64, rng: &mut Rng) -> String {
    let id = format!(
        "{:08X}-{:04X}-4F3A-9D1E-{:012X}",
        i,
        rng.below(0x1_0000),
        rng.next() & 0xffff_ffff_ffff
    );
    let second = i % 86_400;
    let time = format!(
        "2025-03-{:02}T{:02}:{:02}:{:02}Z",
        1 + (i / 86_400) % 28,
        second / 3600,
        (second / 60) % 60,
        second % 60
    );
    let who = identity(rng);
    // 1 call in 50 fails (NoPermission), as a denied call is recorded.
    let error = if rng.below(50) == 0 {
        "NoPermission"
    } else {
        ""
    };
    let (service, name, region, params) = if rng.below(10) < 6 {
        let project = format!("proj-{:03}", rng.below(PROJECTS));
        let region = REGIONS[(rng.below(2)) as usize];
        let (name, extra) = match rng.below(5) {
            0 => ("GetProject", String::new()),
            1 => (
                "UpdateProject",
                r#","Description":"nightly run""#.to_string(),
            ),
            2 => ("ListDatasets", r#","MaxResults":"100""#.to_string()),
            3 => (
                "DetectImageFaces",
                format!(r#","SourceURI":"oss://bucket-000/photos/{i}.jpg""#),
            ),
            _ => (
                "GetDataset",
                format!(r#","DatasetName":"dataset-{}""#, rng.below(DATASETS)),
            ),
        };
        (
            "imm",
            name,
            region,
            format!(r#"{{"ProjectName":"{project}","RegionId":"{region}"{extra}}}"#),
        )
    } else {
        let bucket = format!("bucket-{:03}", rng.below(BUCKETS));
        let object = format!("photos/2025/img-{:03}.jpg", rng.below(OBJECTS));
        let (name, with_object) = match rng.below(6) {
            0 | 1 => ("GetObject", true),
            2 | 3 => ("PutObject", true),
            4 => ("GetBucketInfo", false),
            _ => ("ListObjects", false),
        };
        let object = if with_object {
            format!(r#","objectName":"{object}""#)
        } else {
            String::new()
        };
        (
            "Oss",
            name,
            "cn-hangzhou",
            format!(
                r#"{{"AcsHost":"{bucket}.oss-cn-hangzhou.aliyuncs.com","bucketName":"{bucket}"{object},"RequestId":"{id}"}}"#
            ),
        )
    };
    format!(
        r#"{{"apiVersion":"2020-06-01","eventId":"{id}","eventName":"{name}","eventSource":"{service}.{region}.aliyuncs.com","eventTime":"{time}","eventType":"ApiCall","eventVersion":"1","acsRegion":"{region}","requestId":"{id}","requestParameters":{params},"serviceName":"{service}","sourceIpAddress":"192.0.2.{ip}","userAgent":"AlibabaCloud (Linux; amd64) Python/3.11 Core/2.13.3 python-requests/2.31.0","userIdentity":{who},"errorCode":"{error}","errorMessage":"{message}"}}"#,
        ip = 1 + rng.below(250),
        message = if error.is_empty() {
            ""
        } else {
            "You are not authorized to do this action."
        }
    )
}

fn main() {
    let count: u64 = match std::env::args().nth(1).map(|a| a.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: actiontrail_events <COUNT>  (JSON lines on stdout)");
            std::process::exit(2);
        }
    };
    let mut rng = Rng(0x5eed);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for i in 0..count {
        let line = event(i, &mut rng);
        if writeln!(out, "{line}").is_err() {
            std::process::exit(1);
        }
    }
    if out.flush().is_err() {
        std::process::exit(1);
    }
}
