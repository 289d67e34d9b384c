//! Input: `<pattern> NUL <string>` (no NUL: first half / second half, cut
//! at a char boundary). `Wildcard::matches` must agree with a plain DP
//! matcher over chars, for both case modes: `*` any run (also empty), `?`
//! exactly one char, everything else literal; Insensitive = ASCII folding.
//!
//! The work bound too, on inputs of any size up to 64 KiB: the steps that
//! `Wildcard::matches_counting_steps` (cfg(fuzzing) only) counts must stay
//! within the bound of the unit test `bound` in src/wildcard.rs,
//! `2*(input.len()+1)*words + 3*pattern.len() + input.len()`, words =
//! max(1, ceil(longest segment between `*`, in chars / 64)). A short input
//! is also checked repeated up to 16 KiB, so that a hostile pattern meets
//! a long input without libFuzzer having to grow one.
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
    if pattern.len() > MAX_BOUND_LEN || input.len() > MAX_BOUND_LEN {
        return;
    }
    for case in [Case::Sensitive, Case::Insensitive] {
        let wildcard = Wildcard::new(pattern, case);
        check_bound(&wildcard, pattern, case, input);
        if !input.is_empty() && input.len() <= MAX_REPEATED_LEN / 2 {
            let long = input.repeat(MAX_REPEATED_LEN / input.len());
            check_bound(&wildcard, pattern, case, &long);
        }
    }
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

/// Pattern and input sizes (bytes) up to which the work bound is checked.
const MAX_BOUND_LEN: usize = 64 * 1024;
/// A short input is also checked repeated up to this many bytes.
const MAX_REPEATED_LEN: usize = 16 * 1024;

/// `matches_counting_steps` answers as `matches` does, within the bound.
fn check_bound(wildcard: &Wildcard, pattern: &str, case: Case, input: &str) {
    let (matched, steps) = wildcard.matches_counting_steps(input);
    assert_eq!(
        matched,
        wildcard.matches(input),
        "matches_counting_steps and matches disagree: {:?} ({case:?}) on {:?} ({} bytes)",
        short(pattern),
        short(input),
        input.len()
    );
    let limit = bound(pattern, input);
    assert!(
        steps <= limit,
        "{:?} ({case:?}, {} bytes) took {steps} steps on {:?} ({} bytes), bound {limit}",
        short(pattern),
        pattern.len(),
        short(input),
        input.len()
    );
}

/// The first 200 characters, for messages about long inputs.
fn short(s: &str) -> &str {
    s.char_indices().nth(200).map_or(s, |(i, _)| &s[..i])
}

/// The bound of the unit test `bound` in src/wildcard.rs.
fn bound(pattern: &str, input: &str) -> usize {
    let longest = pattern
        .split('*')
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let words = longest.div_ceil(64).max(1);
    2 * (input.len() + 1) * words + 3 * pattern.len() + input.len()
}

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
