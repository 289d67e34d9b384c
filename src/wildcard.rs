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
        segments: Vec<Vec<Token>>,
        anchored_start: bool,
        anchored_end: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Byte(u8),
    /// `?`: one character, which may be several bytes of UTF-8.
    AnyChar,
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
                .map(|s| {
                    s.bytes()
                        .map(|b| {
                            if b == b'?' {
                                Token::AnyChar
                            } else {
                                Token::Byte(b)
                            }
                        })
                        .collect()
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

    pub fn case(&self) -> Case {
        self.case
    }

    /// True when the pattern has no `*` or `?`, i.e. matches one string.
    pub fn is_literal(&self) -> bool {
        matches!(self.shape, Shape::Exact(_))
    }

    /// True for the pattern `*` alone.
    pub fn is_any(&self) -> bool {
        matches!(self.shape, Shape::Any)
    }

    pub fn matches(&self, input: &str) -> bool {
        let input = input.as_bytes();
        let eq = |a: &[u8], b: &[u8]| match self.case {
            Case::Sensitive => a == b,
            Case::Insensitive => a.eq_ignore_ascii_case(b),
        };
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(s) => eq(input, s.as_bytes()),
            Shape::Prefix(p) => input.len() >= p.len() && eq(&input[..p.len()], p.as_bytes()),
            Shape::Suffix(s) => {
                input.len() >= s.len() && eq(&input[input.len() - s.len()..], s.as_bytes())
            }
            Shape::General {
                segments,
                anchored_start,
                anchored_end,
            } => self.matches_general(input, segments, *anchored_start, *anchored_end),
        }
    }

    fn matches_general(
        &self,
        input: &[u8],
        segments: &[Vec<Token>],
        anchored_start: bool,
        anchored_end: bool,
    ) -> bool {
        let Some((first, rest)) = segments.split_first() else {
            // Only stars, e.g. `**`.
            return true;
        };
        if anchored_start && anchored_end && rest.is_empty() {
            return self.segment_at(first, input, 0) == Some(input.len());
        }
        let mut pos = 0;
        let mut middle = segments;
        if anchored_start {
            match self.segment_at(first, input, 0) {
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
            match self.find_segment(segment, input, pos) {
                Some(end) => pos = end,
                None => return false,
            }
        }
        match last {
            None => true,
            Some(segment) => {
                // A segment spans a fixed number of characters, so against
                // the end it can sit at one place only.
                let Some(start) = start_of_last_chars(input, segment_chars(segment)) else {
                    return false;
                };
                start >= pos && self.segment_at(segment, input, start) == Some(input.len())
            }
        }
    }

    /// Leftmost place at or after `from` where `segment` fits; returns its end.
    fn find_segment(&self, segment: &[Token], input: &[u8], mut from: usize) -> Option<usize> {
        while from <= input.len() {
            if let Some(end) = self.segment_at(segment, input, from) {
                return Some(end);
            }
            if from == input.len() {
                return None;
            }
            from += utf8_len(input[from]);
        }
        None
    }

    /// If `segment` matches starting exactly at `at`, where it ends.
    fn segment_at(&self, segment: &[Token], input: &[u8], mut at: usize) -> Option<usize> {
        for token in segment {
            let &byte = input.get(at)?;
            match token {
                Token::AnyChar => at += utf8_len(byte),
                Token::Byte(b) => {
                    let same = match self.case {
                        Case::Sensitive => byte == *b,
                        Case::Insensitive => byte.eq_ignore_ascii_case(b),
                    };
                    if !same {
                        return None;
                    }
                    at += 1;
                }
            }
        }
        (at <= input.len()).then_some(at)
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

/// How many characters a segment spans: `?` is one, and a literal
/// character is one however many UTF-8 bytes it takes.
fn segment_chars(segment: &[Token]) -> usize {
    segment
        .iter()
        .filter(|t| match t {
            Token::AnyChar => true,
            Token::Byte(b) => (b & 0xC0) != 0x80,
        })
        .count()
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
