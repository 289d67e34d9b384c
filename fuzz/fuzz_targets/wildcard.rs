//! Input: `<pattern> NUL <string>` (no NUL: first half / second half, cut
//! at a char boundary). `Wildcard::matches` must agree with a plain DP
//! matcher over chars, for both case modes: `*` any run (also empty), `?`
//! exactly one char, everything else literal; Insensitive = ASCII folding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramcheck::wildcard::{Case, Wildcard};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, input) = match text.split_once('\0') {
        Some(pair) => pair,
        None => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid += 1;
            }
            text.split_at(mid)
        }
    };
    // Keep the O(n*m) reference cheap.
    if pattern.len() > 512 || input.len() > 2048 {
        return;
    }
    for case in [Case::Sensitive, Case::Insensitive] {
        let got = Wildcard::new(pattern, case).matches(input);
        let want = reference(pattern, input, case);
        assert_eq!(
            got, want,
            "Wildcard::new({pattern:?}, {case:?}).matches({input:?}) = {got}, reference says {want}"
        );
    }
    // The evaluators match actions as lower-case input against folded
    // case-insensitive patterns.
    let lower = input.to_ascii_lowercase();
    let got = Wildcard::new(pattern, Case::Insensitive).matches_lowercase(&lower);
    let want = reference(pattern, &lower, Case::Insensitive);
    assert_eq!(got, want, "matches_lowercase({pattern:?}, {lower:?})");
});

fn reference(pattern: &str, input: &str, case: Case) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = input.chars().collect();
    let same = |a: char, b: char| match case {
        Case::Sensitive => a == b,
        Case::Insensitive => a.eq_ignore_ascii_case(&b),
    };
    // dp[j]: p[..i] matches s[..j].
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for &pc in &p {
        let mut next = vec![false; s.len() + 1];
        match pc {
            '*' => {
                let mut any = false;
                for j in 0..=s.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            '?' => {
                for j in 1..=s.len() {
                    next[j] = dp[j - 1];
                }
            }
            c => {
                for j in 1..=s.len() {
                    next[j] = dp[j - 1] && same(c, s[j - 1]);
                }
            }
        }
        dp = next;
    }
    dp[s.len()]
}
