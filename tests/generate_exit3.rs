//! Exit status 3 of `ramcheck generate`: the generated policy failed its
//! own proof and nothing was printed (docs/generate.md, "The proof").
//!
//! Exit 3 is only reachable through a bug in ramcheck, and the binary
//! ships no test hook to fake one (house rule), so the command-line test
//! pins the one real input found to reach it: `--require
//! acs:SourceIp=::/0` (or `::/1`). The proof's witness model picked
//! 203.0.113.77 as an address outside `::/0`, while the evaluator reads an
//! IPv4 address as inside an IPv6 block when its mapped form is
//! (docs/semantics.md, "Request values"): the proof caught the disagreement
//! and refused to print (exit 3). The model now uses the evaluator's own
//! `values::network_contains`, so these inputs succeed; the proof path that
//! leads to exit 3 is covered by the library tests
//! `a_wrong_policy_fails_the_proof` (tests/generate.rs) and
//! `generate::proof::tests::witnesses`.

mod common;

use common::{IMMTEST, ramcheck, status, stderr, stdout};

#[test]
fn ipv6_blocks_that_hold_every_ipv4_address_no_longer_reach_exit_3() {
    for block in ["::/0", "::/1", "::ffff:0:0/96"] {
        let out = ramcheck(&[
            "generate",
            "--request",
            &format!("imm:GetProject {IMMTEST}"),
            "--require",
            &format!("acs:SourceIp={block}"),
        ]);
        assert_eq!(status(&out), 0, "{block}: {}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            doc["Statement"][0]["Condition"]["IpAddress"]["acs:SourceIp"],
            serde_json::json!([block])
        );
    }
}
