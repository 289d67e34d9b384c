//! RAM's `*`/`?` wildcard grammar, compiled once per pattern.
//!
//! `*` matches any run of characters (also none), `?` exactly one character,
//! across `:` and `/` alike; nothing else is special, so `[`, `]`, `{` and
//! `\` match themselves (docs/semantics.md, "Matching").
//!
//! Matching never backtracks, and its cost is bounded for any pattern and
//! any input, however hostile (docs/semantics.md: O(input × ⌈segment/64⌉)).
//! The pattern is cut at each `*` into segments of a fixed number of
//! characters; taking each segment at its earliest fit is always safe for
//! the segments after it, so one left-to-right pass decides. A segment
//! without `?` is found with `memchr`'s linear substring search; a segment
//! with `?` by the bit-parallel Shift-And algorithm, one machine word per 64
//! pattern characters for each input character. Characters that occur more
//! often in the segment than it has words get a dense mask, the rest a list
//! of positions, so a segment costs memory linear in its length whatever
//! alphabet it uses.

use std::fmt;

use memchr::memmem;

/// Whether letters must agree in case. Actions compare case-insensitively,
/// resources and `StringLike` values case-sensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Characters compare exactly.
    Sensitive,
    /// ASCII case folding: RAM action names and service codes are ASCII.
    Insensitive,
}

/// A compiled wildcard pattern.
#[derive(Clone)]
pub struct Wildcard {
    source: String,
    case: Case,
    shape: Shape,
}

impl PartialEq for Wildcard {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.case == other.case
    }
}

impl Eq for Wildcard {}

#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
struct Segment {
    /// The text, case-folded for case-insensitive patterns; `?` stays `?`.
    text: String,
    /// How many characters it spans (`?` is one).
    chars: usize,
    search: Search,
}

#[derive(Debug, Clone)]
enum Search {
    /// No `?`: a linear substring search.
    Literal(memmem::Finder<'static>),
    /// Holds `?`: bit-parallel.
    Bits(ShiftAnd),
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

/// Counts the work a match does, for the tests that bound it; the real
/// matcher uses [`NoMeter`], which compiles away.
pub(crate) trait Meter {
    fn add(&mut self, steps: usize);
}

/// The meter of real matching: counts nothing.
pub(crate) struct NoMeter;

impl Meter for NoMeter {
    #[inline(always)]
    fn add(&mut self, _: usize) {}
}

/// A meter that counts the steps of a match (tests and fuzzing).
#[cfg(any(test, fuzzing))]
pub(crate) struct StepCount(pub usize);

#[cfg(any(test, fuzzing))]
impl Meter for StepCount {
    fn add(&mut self, steps: usize) {
        self.0 += steps;
    }
}

impl Wildcard {
    /// Compiles `pattern`; every string is a valid pattern.
    pub fn new(pattern: &str, case: Case) -> Self {
        let folded = match case {
            Case::Sensitive => pattern.to_string(),
            Case::Insensitive => pattern.to_ascii_lowercase(),
        };
        let stars = folded.matches('*').count();
        let has_question = folded.contains('?');
        let shape = if !folded.is_empty() && folded.bytes().all(|b| b == b'*') {
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
                .map(Segment::new)
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

    /// Whether the whole of `input` matches the pattern (docs/semantics.md,
    /// "Matching").
    pub fn matches(&self, input: &str) -> bool {
        self.matches_metered(input, &mut NoMeter)
    }

    /// [`Wildcard::matches`] for an input already in ASCII lower case, as
    /// request actions are kept: a case-insensitive pattern is stored
    /// folded, so it can then compare bytes exactly, which is faster.
    pub fn matches_lowercase(&self, lower: &str) -> bool {
        self.matches_folded(lower, &mut NoMeter)
    }

    /// For the fuzz target: the answer and the steps it took, which must
    /// stay within the bound of docs/semantics.md.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn matches_counting_steps(&self, input: &str) -> (bool, usize) {
        let mut steps = StepCount(0);
        let matched = self.matches_metered(input, &mut steps);
        (matched, steps.0)
    }

    pub(crate) fn matches_metered(&self, input: &str, meter: &mut impl Meter) -> bool {
        if self.case == Case::Insensitive && input.bytes().any(|b| b.is_ascii_uppercase()) {
            // Off the decision path: the evaluators pass lower-case actions.
            return self.matches_folded(&input.to_ascii_lowercase(), meter);
        }
        self.matches_folded(input, meter)
    }

    /// Matches `input`, which is folded as the pattern is.
    fn matches_folded(&self, input: &str, meter: &mut impl Meter) -> bool {
        let bytes = input.as_bytes();
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(s) => {
                meter.add(s.len());
                bytes == s.as_bytes()
            }
            Shape::Prefix(p) => {
                meter.add(p.len());
                bytes.starts_with(p.as_bytes())
            }
            Shape::Suffix(s) => {
                meter.add(s.len());
                bytes.ends_with(s.as_bytes())
            }
            Shape::General {
                segments,
                anchored_start,
                anchored_end,
            } => general(input, segments, *anchored_start, *anchored_end, meter),
        }
    }
}

impl Segment {
    fn new(text: &str) -> Segment {
        let search = if text.contains('?') {
            Search::Bits(ShiftAnd::new(text))
        } else {
            Search::Literal(memmem::Finder::new(text.as_bytes()).into_owned())
        };
        Segment {
            text: text.to_string(),
            chars: text.chars().count(),
            search,
        }
    }

    /// The end of the earliest fit of the segment in `input` at or after
    /// byte `from`. Segments span a fixed number of characters, so the
    /// earliest end is also the earliest start, and leaves the most input
    /// to the segments after it.
    fn find(&self, input: &str, from: usize, meter: &mut impl Meter) -> Option<usize> {
        let rest = input.get(from..)?;
        match &self.search {
            Search::Literal(finder) => {
                let found = finder.find(rest.as_bytes());
                // Linear: a scan of the input plus the needle.
                meter.add(found.map_or(rest.len(), |i| i + self.text.len()) + self.text.len());
                found.map(|i| from + i + self.text.len())
            }
            Search::Bits(bits) => bits.find(rest, meter).map(|end| from + end),
        }
    }

    /// If the segment fits exactly at byte `at`, where it ends.
    fn fits_at(&self, input: &str, at: usize, meter: &mut impl Meter) -> Option<usize> {
        let mut chars = input.get(at..)?.char_indices();
        let mut end = 0;
        for token in self.text.chars() {
            meter.add(1);
            let (i, c) = chars.next()?;
            if token != '?' && token != c {
                return None;
            }
            end = i + c.len_utf8();
        }
        Some(at + end)
    }
}

fn general(
    input: &str,
    segments: &[Segment],
    anchored_start: bool,
    anchored_end: bool,
    meter: &mut impl Meter,
) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        // Only stars, e.g. `**`.
        return true;
    };
    if anchored_start && anchored_end && rest.is_empty() {
        return first.fits_at(input, 0, meter) == Some(input.len());
    }
    let mut pos = 0;
    let mut middle = segments;
    if anchored_start {
        match first.fits_at(input, 0, meter) {
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
        match segment.find(input, pos, meter) {
            Some(end) => pos = end,
            None => return false,
        }
    }
    match last {
        None => true,
        Some(segment) => {
            // A segment spans a fixed number of characters, so against the
            // end it can sit at one place only.
            let Some(start) = start_of_last_chars(input, segment.chars) else {
                return false;
            };
            start >= pos && segment.fits_at(input, start, meter) == Some(input.len())
        }
    }
}

/// Byte offset where the last `chars` characters of `input` begin.
fn start_of_last_chars(input: &str, chars: usize) -> Option<usize> {
    if chars == 0 {
        return Some(input.len());
    }
    input.char_indices().rev().nth(chars - 1).map(|(i, _)| i)
}

/// Shift-And over characters for a segment holding `?`: bit `i` of the
/// state is set when the segment's first `i + 1` characters end at the
/// current input character.
#[derive(Debug, Clone)]
struct ShiftAnd {
    /// Words per state: ⌈characters / 64⌉.
    words: usize,
    /// The bit of the segment's last character, in the last word.
    last_bit: u64,
    /// Positions holding `?`.
    any: Vec<u64>,
    /// ASCII character to its entry in `masks` (`u16::MAX`: none).
    ascii: [u16; 128],
    /// Other characters, sorted, with their entry in `masks`.
    others: Vec<(char, u16)>,
    masks: Vec<Mask>,
}

/// Where a character occurs in the segment.
#[derive(Debug, Clone)]
enum Mask {
    /// One bit per position, for characters that occur more often than
    /// the segment has words.
    Dense(Vec<u64>),
    /// The positions, for the others: at most `words` of them.
    Sparse(Vec<u32>),
}

const NONE: u16 = u16::MAX;

impl ShiftAnd {
    fn new(segment: &str) -> ShiftAnd {
        let chars: Vec<char> = segment.chars().collect();
        let words = chars.len().div_ceil(64).max(1);
        let mut any = vec![0u64; words];
        let mut positions: Vec<(char, Vec<u32>)> = Vec::new();
        for (i, &c) in chars.iter().enumerate() {
            if c == '?' {
                any[i / 64] |= 1 << (i % 64);
                continue;
            }
            match positions.iter_mut().find(|(p, _)| *p == c) {
                Some((_, list)) => list.push(i as u32),
                None => positions.push((c, vec![i as u32])),
            }
        }
        let mut ascii = [NONE; 128];
        let mut others = Vec::new();
        let mut masks = Vec::with_capacity(positions.len());
        for (c, list) in positions {
            // Past u16::MAX distinct characters, the rest share "no entry"
            // and so never match: unreachable under the policy size caps,
            // and toward non-matching, never a false match.
            let Ok(index) = u16::try_from(masks.len()) else {
                continue;
            };
            if index == NONE {
                continue;
            }
            masks.push(if list.len() > words {
                let mut dense = vec![0u64; words];
                for &p in &list {
                    dense[p as usize / 64] |= 1 << (p % 64);
                }
                Mask::Dense(dense)
            } else {
                Mask::Sparse(list)
            });
            if c.is_ascii() {
                ascii[c as usize] = index;
            } else {
                others.push((c, index));
            }
        }
        others.sort_unstable();
        let last = chars.len() - 1;
        ShiftAnd {
            words,
            last_bit: 1 << (last % 64),
            any,
            ascii,
            others,
            masks,
        }
    }

    fn mask(&self, c: char) -> Option<&Mask> {
        let index = if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.others
                .binary_search_by_key(&c, |&(o, _)| o)
                .map_or(NONE, |i| self.others[i].1)
        };
        (index != NONE).then(|| &self.masks[index as usize])
    }

    /// The end (a byte offset in `input`) of the earliest match.
    fn find(&self, input: &str, meter: &mut impl Meter) -> Option<usize> {
        if self.words == 1 {
            // One word: the state lives in a register.
            let mut state = 0u64;
            for (i, c) in input.char_indices() {
                meter.add(1);
                let shifted = (state << 1) | 1;
                let allowed = self.any[0]
                    | match self.mask(c) {
                        Some(Mask::Dense(m)) => m[0],
                        Some(Mask::Sparse(list)) => {
                            list.iter().fold(0, |bits, &p| bits | 1 << (p % 64))
                        }
                        None => 0,
                    };
                state = shifted & allowed;
                if state & self.last_bit != 0 {
                    return Some(i + c.len_utf8());
                }
            }
            return None;
        }
        let mut state = vec![0u64; self.words];
        let mut shifted = vec![0u64; self.words];
        for (i, c) in input.char_indices() {
            meter.add(self.words);
            let mut carry = 1u64;
            for (s, &old) in shifted.iter_mut().zip(&state) {
                *s = (old << 1) | carry;
                carry = old >> 63;
            }
            for ((s, &sh), &q) in state.iter_mut().zip(&shifted).zip(&self.any) {
                *s = sh & q;
            }
            match self.mask(c) {
                Some(Mask::Dense(m)) => {
                    for ((s, &sh), &bits) in state.iter_mut().zip(&shifted).zip(m) {
                        *s |= sh & bits;
                    }
                }
                Some(Mask::Sparse(list)) => {
                    meter.add(list.len());
                    for &p in list {
                        let (w, bit) = (p as usize / 64, 1u64 << (p % 64));
                        state[w] |= shifted[w] & bit;
                    }
                }
                None => {}
            }
            if state[self.words - 1] & self.last_bit != 0 {
                return Some(i + c.len_utf8());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        assert!(m("**", ""));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(!m("ab*ba", "aba"));
        assert!(m("ab*ba", "abba"));
        assert!(m("", ""));
        assert!(!m("", "a"));
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
        assert!(m("*é?ü*", "xxéaüyy"));
        assert!(!m("*é?ü*", "xxéaayy"));
    }

    #[test]
    fn case() {
        let action = Wildcard::new("imm:attachossbucket", Case::Insensitive);
        assert!(action.matches("imm:AttachOSSBucket"));
        assert!(Wildcard::new("IMM:Attach*", Case::Insensitive).matches("imm:attachOSSBucket"));
        assert!(Wildcard::new("*bucket", Case::Insensitive).matches("imm:AttachOSSBucket"));
        assert!(Wildcard::new("i?m:*BUCKET", Case::Insensitive).matches("imm:AttachOSSBucket"));
        assert!(Wildcard::new("*:*Oss?uck*", Case::Insensitive).matches("IMM:ATTACHOSSBUCKET"));
        assert!(!m("project/ImmTest", "project/immtest"));
        assert!(!m("project/Imm*", "project/immtest"));
    }

    #[test]
    fn long_segments_span_several_words() {
        let segment = format!("{}?b", "a".repeat(200));
        let pattern = format!("x*{segment}*");
        assert!(m(
            &pattern,
            &format!("x{}a{}cb!", "a".repeat(50), "a".repeat(199))
        ));
        assert!(!m(&pattern, &format!("x{}", "a".repeat(1000))));
        // Every character distinct: sparse masks only.
        let distinct: String = (0..300u32)
            .map(|i| char::from_u32(0x4e00 + i).unwrap_or('x'))
            .collect();
        let p = format!("*{}?{}*", &distinct, &distinct);
        assert!(m(&p, &format!("zz{distinct}q{distinct}zz")));
        assert!(!m(&p, &format!("zz{distinct}{distinct}zz")));
    }

    fn steps(pattern: &str, input: &str, case: Case) -> (bool, usize) {
        let mut meter = StepCount(0);
        let matched = Wildcard::new(pattern, case).matches_metered(input, &mut meter);
        (matched, meter.0)
    }

    /// The bound of docs/semantics.md: O(input × ⌈segment/64⌉), here with
    /// its constant: every input character costs at most the words of the
    /// segment being searched (plus a sparse list no longer than that), and
    /// anchored checks cost their own length.
    fn bound(pattern: &str, input: &str) -> usize {
        let longest = pattern
            .split('*')
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0);
        let words = longest.div_ceil(64).max(1);
        2 * (input.len() + 1) * words + 3 * pattern.len() + input.len()
    }

    #[test]
    fn the_hostile_case_of_the_adversarial_pass_is_linear() {
        // A 120 KB resource against `acs:imm:*` + `a`×30000 + `?b*`.
        let pattern = format!("acs:imm:*{}?b*", "a".repeat(30_000));
        let input = format!("acs:imm:{}", "a".repeat(120_000));
        let (matched, work) = steps(&pattern, &input, Case::Sensitive);
        assert!(!matched);
        assert!(work <= bound(&pattern, &input), "{work}");
        // The same as an action pattern.
        let (_, work) = steps(&pattern, &input, Case::Insensitive);
        assert!(work <= bound(&pattern, &input), "{work}");
    }

    /// A plain dynamic-programming matcher over characters: the reference.
    fn reference(pattern: &str, input: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let s: Vec<char> = input.chars().collect();
        let mut row = vec![false; s.len() + 1];
        row[0] = true;
        for &pc in &p {
            let mut next = vec![false; s.len() + 1];
            if pc == '*' {
                let mut any = false;
                for j in 0..=s.len() {
                    any |= row[j];
                    next[j] = any;
                }
            } else {
                for j in 1..=s.len() {
                    next[j] = row[j - 1] && (pc == '?' || pc == s[j - 1]);
                }
            }
            row = next;
        }
        row[s.len()]
    }

    fn text(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(alphabet.chars().collect::<Vec<_>>()),
            0..max,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The matcher agrees with the reference, and its work stays
        /// within the bound, on patterns that try to make it backtrack.
        #[test]
        fn agrees_with_the_reference_within_the_step_bound(
            pattern in text("ab?*é", 40),
            input in text("abé", 300),
        ) {
            let (matched, work) = steps(&pattern, &input, Case::Sensitive);
            prop_assert_eq!(matched, reference(&pattern, &input));
            prop_assert!(work <= bound(&pattern, &input), "{} > {}", work, bound(&pattern, &input));
        }

        /// Long segments (several words) too.
        #[test]
        fn long_segments_stay_within_the_bound(
            head in 60usize..200,
            tail in text("ab?", 8),
            input in text("ab", 2000),
        ) {
            let pattern = format!("*{}{tail}*b", "a".repeat(head));
            let (matched, work) = steps(&pattern, &input, Case::Sensitive);
            prop_assert_eq!(matched, reference(&pattern, &input));
            prop_assert!(work <= bound(&pattern, &input));
        }
    }
}
