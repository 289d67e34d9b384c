//! RAM's `*`/`?` wildcard grammar, compiled once per pattern.
//!
//! `*` matches any run of characters (also none), `?` exactly one character,
//! across `:` and `/` alike; nothing else is special, so `[`, `]`, `{` and
//! `\` match themselves (semantics page §2). Matching never backtracks: the
//! pattern is cut at each `*` into fixed-length segments, and taking each
//! segment at its leftmost fit is always safe, so a match costs at most
//! (input length × segment length) steps however many stars there are.

use std::fmt;

/// Whether letters must agree in case. Actions compare case-insensitively,
/// resources and `StringLike` values case-sensitively (semantics §2, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Sensitive,
    /// ASCII case folding: RAM action names and service codes are ASCII.
    Insensitive,
}

/// A compiled wildcard pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct Wildcard {
    source: String,
    case: Case,
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `*`
    Any,
    /// No wildcard at all.
    Exact(String),
    /// `abc*`
    Prefix(String),
    /// `*abc`
    Suffix(String),
    /// Anything else: the pieces between stars.
    General {
        segments: Vec<Segment>,
        anchored_start: bool,
        anchored_end: bool,
    },
}

/// A piece of pattern between stars.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    /// The text, case-folded for case-insensitive patterns; `?` stays `?`.
    text: String,
    /// Whether it holds a `?`; without one, the segment is searched for
    /// with the standard library's substring search.
    has_any_char: bool,
    /// How many characters it spans (`?` is one).
    chars: usize,
}

impl fmt::Debug for Wildcard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Wildcard({:?}, {:?})", self.source, self.case)
    }
}

impl fmt::Display for Wildcard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Wildcard {
    pub fn new(pattern: &str, case: Case) -> Self {
        let folded = match case {
            Case::Sensitive => pattern.to_string(),
            Case::Insensitive => pattern.to_ascii_lowercase(),
        };
        let stars = folded.matches('*').count();
        let has_question = folded.contains('?');
        let shape = if folded == "*" {
            Shape::Any
        } else if !has_question && stars == 0 {
            Shape::Exact(folded)
        } else if !has_question && stars == 1 && folded.ends_with('*') {
            Shape::Prefix(folded[..folded.len() - 1].to_string())
        } else if !has_question && stars == 1 && folded.starts_with('*') {
            Shape::Suffix(folded[1..].to_string())
        } else {
            let segments = folded
                .split('*')
                .filter(|s| !s.is_empty())
                .map(|s| Segment {
                    text: s.to_string(),
                    has_any_char: s.contains('?'),
                    chars: s.chars().count(),
                })
                .collect();
            Shape::General {
                segments,
                anchored_start: !folded.starts_with('*'),
                anchored_end: !folded.ends_with('*'),
            }
        };
        Wildcard {
            source: pattern.to_string(),
            case,
            shape,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern has no `*` or `?`, i.e. matches one string.
    pub fn is_literal(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }

    pub fn matches(&self, input: &str) -> bool {
        self.matches_in(input, self.case)
    }

    /// [`Wildcard::matches`] for an input already in ASCII lower case, as
    /// request actions are kept: a case-insensitive pattern is stored
    /// folded, so it can then compare bytes exactly, which is faster.
    pub fn matches_lowercase(&self, lower: &str) -> bool {
        self.matches_in(lower, Case::Sensitive)
    }

    fn matches_in(&self, input: &str, case: Case) -> bool {
        let eq = |a: &[u8], b: &[u8]| match case {
            Case::Sensitive => a == b,
            Case::Insensitive => a.eq_ignore_ascii_case(b),
        };
        let bytes = input.as_bytes();
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(s) => eq(bytes, s.as_bytes()),
            Shape::Prefix(p) => bytes.len() >= p.len() && eq(&bytes[..p.len()], p.as_bytes()),
            Shape::Suffix(s) => {
                bytes.len() >= s.len() && eq(&bytes[bytes.len() - s.len()..], s.as_bytes())
            }
            Shape::General {
                segments,
                anchored_start,
                anchored_end,
            } => Matcher { input, case }.general(segments, *anchored_start, *anchored_end),
        }
    }
}

/// One match attempt of a general pattern.
struct Matcher<'i> {
    input: &'i str,
    case: Case,
}

impl Matcher<'_> {
    fn general(&self, segments: &[Segment], anchored_start: bool, anchored_end: bool) -> bool {
        let input = self.input;
        let Some((first, rest)) = segments.split_first() else {
            // Only stars, e.g. `**`.
            return true;
        };
        if anchored_start && anchored_end && rest.is_empty() {
            return self.segment_at(first, 0) == Some(input.len());
        }
        let mut pos = 0;
        let mut middle = segments;
        if anchored_start {
            match self.segment_at(first, 0) {
                Some(end) => pos = end,
                None => return false,
            }
            middle = rest;
        }
        let mut last = None;
        if anchored_end {
            let Some((l, m)) = middle.split_last() else {
                return false;
            };
            last = Some(l);
            middle = m;
        }
        for segment in middle {
            match self.find(segment, pos) {
                Some(end) => pos = end,
                None => return false,
            }
        }
        match last {
            None => true,
            Some(segment) => {
                // A segment spans a fixed number of characters, so against
                // the end it can sit at one place only.
                let Some(start) = start_of_last_chars(input.as_bytes(), segment.chars) else {
                    return false;
                };
                start >= pos && self.segment_at(segment, start) == Some(input.len())
            }
        }
    }

    /// Leftmost place at or after `from` where `segment` fits; returns its
    /// end. Taking the leftmost fit is always safe for the segments after.
    fn find(&self, segment: &Segment, from: usize) -> Option<usize> {
        let input = self.input;
        let bytes = input.as_bytes();
        if !segment.has_any_char && self.case == Case::Sensitive {
            // Scan for the first byte, then compare the rest: on ARN-sized
            // inputs this beats `str::find`, whose searcher setup costs
            // more than the search. A segment starts with a whole
            // character, so every hit of its first byte is a boundary.
            let needle = segment.text.as_bytes();
            let (&first, _) = needle.split_first()?;
            let mut at = from;
            while at + needle.len() <= bytes.len() {
                let last_start = bytes.len() - needle.len();
                let offset = bytes[at..=last_start].iter().position(|&b| b == first)?;
                let start = at + offset;
                if &bytes[start..start + needle.len()] == needle {
                    return Some(start + needle.len());
                }
                at = start + 1;
            }
            return None;
        }
        let mut at = from;
        while at <= bytes.len() {
            if let Some(end) = self.segment_at(segment, at) {
                return Some(end);
            }
            if at == bytes.len() {
                return None;
            }
            at += utf8_len(bytes[at]);
        }
        None
    }

    /// If `segment` matches starting exactly at `at`, where it ends.
    fn segment_at(&self, segment: &Segment, mut at: usize) -> Option<usize> {
        let bytes = self.input.as_bytes();
        let same = |a: u8, b: u8| match self.case {
            Case::Sensitive => a == b,
            Case::Insensitive => a.eq_ignore_ascii_case(&b),
        };
        if !segment.has_any_char {
            let text = segment.text.as_bytes();
            let window = bytes.get(at..at + text.len())?;
            return window
                .iter()
                .zip(text)
                .all(|(&a, &b)| same(a, b))
                .then_some(at + text.len());
        }
        for &token in segment.text.as_bytes() {
            let &byte = bytes.get(at)?;
            if token == b'?' {
                at += utf8_len(byte);
            } else {
                if !same(byte, token) {
                    return None;
                }
                at += 1;
            }
        }
        (at <= bytes.len()).then_some(at)
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        // A continuation byte never starts a character in valid UTF-8.
        _ => 1,
    }
}

/// Byte offset where the last `chars` characters of `input` begin.
fn start_of_last_chars(input: &[u8], chars: usize) -> Option<usize> {
    let mut start = input.len();
    for _ in 0..chars {
        if start == 0 {
            return None;
        }
        start -= 1;
        while start > 0 && (input[start] & 0xC0) == 0x80 {
            start -= 1;
        }
    }
    Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Wildcard::new(p, Case::Sensitive).matches(s)
    }

    #[test]
    fn shapes() {
        assert!(m("*", ""));
        assert!(m("acs:imm:*", "acs:imm:cn-hangzhou:1:project/x"));
        assert!(!m("acs:imm:*", "acs:oss:cn-hangzhou:1:bucket"));
        assert!(m("*/immtest", "acs:imm:cn-hangzhou:1:project/immtest"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("a*c", "ac"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbbcd"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*:Get*", "oss:GetObject"));
        assert!(m("a*a*a*a*a*b", &format!("{}b", "a".repeat(1000))));
        assert!(!m("a*a*a*a*a*b", &"a".repeat(10000)));
        assert!(m("**", "x"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(!m("ab*ba", "aba"));
        assert!(m("ab*ba", "abba"));
    }

    #[test]
    fn brackets_and_backslash_are_literal() {
        assert!(m("a[bc]", "a[bc]"));
        assert!(!m("a[bc]", "ab"));
        assert!(m("x{1,2}\\", "x{1,2}\\"));
        assert!(!m("x{1,2}", "x1"));
    }

    #[test]
    fn question_mark_is_one_character_not_one_byte() {
        assert!(m("project/?", "project/é"));
        assert!(m("?é?", "aéb"));
        assert!(m("*?", "é"));
        assert!(!m("??", "é"));
        assert!(m("a*?x", "aéx"));
    }

    #[test]
    fn case() {
        let action = Wildcard::new("imm:attachossbucket", Case::Insensitive);
        assert!(action.matches("imm:AttachOSSBucket"));
        assert!(Wildcard::new("IMM:Attach*", Case::Insensitive).matches("imm:attachOSSBucket"));
        assert!(Wildcard::new("*bucket", Case::Insensitive).matches("imm:AttachOSSBucket"));
        assert!(Wildcard::new("i?m:*BUCKET", Case::Insensitive).matches("imm:AttachOSSBucket"));
        assert!(!m("project/ImmTest", "project/immtest"));
        assert!(!m("project/Imm*", "project/immtest"));
    }
}
