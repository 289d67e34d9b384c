//! Comparing wildcard patterns with each other, for the over-permission and
//! redundancy rules: does `imm:Get*` cover `imm:GetProject`? Can a Deny on
//! `acs:imm:ap-*` ever meet an Allow on `acs:imm:cn-*`? Can a resource
//! pattern name a Dataset, whose ARN is
//! `acs:imm:{regionId}:{accountId}:project/{ProjectName}/dataset/{DatasetName}`?
//!
//! This is not a matcher: no function here decides whether a request's
//! action or resource matches a policy (that is [`crate::wildcard`]'s one
//! job). These functions take two *patterns* in RAM's grammar (`*` any run,
//! `?` one character, everything else literal, docs/semantics.md, "Matching") and answer
//! questions about the sets of strings they denote:
//!
//! - [`intersects`]: is there a string both match? Exact.
//! - [`covers`]: does every string the second matches also match the first?
//!   Sound but not complete: `true` is always right; `false` may be
//!   returned for a few exotic pairs that do cover each other, so the rules
//!   built on it can miss a redundancy but never report a false one.
//!
//! ARN templates of the catalogue (`project/{#ProjectName}`) are patterns
//! too: a placeholder is one or more characters other than `/` and `:`, and
//! a trailing `*` is one or more characters ([`Pattern::template`]).
//!
//! Both searches cost the product of the two patterns' lengths, so a
//! hostile document (thousands of long `*` patterns) could make lint run
//! for hours. Every comparison therefore draws on a [`Budget`] shared by a
//! document's checks: past it, a comparison answers `None` ("not worked
//! out"), and the rules take the answer that reports nothing. Two patterns
//! whose literal starts disagree are told apart before any search.

use std::cell::Cell;

use crate::wildcard::Case;

/// How much pattern-comparison work one document may cost, in cells of
/// the search (pairs of positions). RAM-sized documents never come close:
/// a whole 6,144-character document compared with itself is 38 million.
pub const DOCUMENT_BUDGET: u64 = 400_000_000;

/// The most cells one comparison may search (its visited set takes one bit
/// each): two patterns of 8,000 characters.
const MAX_CELLS_PER_COMPARISON: u64 = 64_000_000;

/// A work budget for pattern comparisons, shared by the checks of one
/// document.
#[derive(Debug)]
pub struct Budget {
    left: Cell<u64>,
    exceeded: Cell<bool>,
}

impl Budget {
    pub fn new(cells: u64) -> Budget {
        Budget {
            left: Cell::new(cells),
            exceeded: Cell::new(false),
        }
    }

    /// Whether some comparison was refused for lack of budget.
    pub fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// Draws `cells` from the budget: false (and the budget marked as
    /// exceeded) when there are not enough left.
    pub fn take(&self, cells: u64) -> bool {
        let left = self.left.get();
        if cells > left || cells > MAX_CELLS_PER_COMPARISON {
            self.exceeded.set(true);
            return false;
        }
        self.left.set(left - cells);
        true
    }
}

/// A visited set over the cells of a search, one bit each.
struct Visited {
    bits: Vec<u64>,
}

impl Visited {
    fn new(cells: usize) -> Visited {
        Visited {
            bits: vec![0; cells.div_ceil(64)],
        }
    }

    /// Marks `cell`; true when it was already marked.
    fn mark(&mut self, cell: usize) -> bool {
        let (word, bit) = (cell / 64, 1u64 << (cell % 64));
        let seen = self.bits[word] & bit != 0;
        self.bits[word] |= bit;
        seen
    }
}

/// A set of characters one pattern position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Any,
    Lit(char),
    /// Any character but `/` and `:` (an ARN template placeholder).
    NotSep,
}

impl Class {
    /// Whether some character is in both classes.
    fn meets(self, other: Class) -> bool {
        match (self, other) {
            (Class::Any, _) | (_, Class::Any) => true,
            (Class::Lit(a), Class::Lit(b)) => a == b,
            (Class::Lit(c), Class::NotSep) | (Class::NotSep, Class::Lit(c)) => !is_sep(c),
            (Class::NotSep, Class::NotSep) => true,
        }
    }

    /// Whether every character of `self` is in `other`.
    fn within(self, other: Class) -> bool {
        match (self, other) {
            (_, Class::Any) => true,
            (Class::Lit(a), Class::Lit(b)) => a == b,
            (Class::Lit(c), Class::NotSep) => !is_sep(c),
            (Class::NotSep, Class::NotSep) => true,
            _ => false,
        }
    }
}

fn is_sep(c: char) -> bool {
    c == '/' || c == ':'
}

/// One position: exactly one character of a class, or any run (also empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    One(Class),
    Star(Class),
}

impl Token {
    fn class(self) -> Class {
        match self {
            Token::One(c) | Token::Star(c) => c,
        }
    }
}

/// A pattern prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// A policy pattern in RAM's grammar. With [`Case::Insensitive`]
    /// (actions) letters are compared folded to lower case, as the matcher
    /// does.
    pub fn glob(text: &str, case: Case) -> Pattern {
        let mut tokens: Vec<Token> = text
            .chars()
            .map(|c| match c {
                '*' => Token::Star(Class::Any),
                '?' => Token::One(Class::Any),
                c if case == Case::Insensitive => Token::One(Class::Lit(c.to_ascii_lowercase())),
                c => Token::One(Class::Lit(c)),
            })
            .collect();
        canonicalize(&mut tokens);
        Pattern { tokens }
    }

    /// The literal characters the pattern starts with, before its first
    /// wildcard or placeholder (folded for case-insensitive patterns): every
    /// string the pattern matches starts with them.
    pub fn literal_prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::One(Class::Lit(c)) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// A string of literal characters only (`*` and `?` included).
    pub fn literal(text: &str) -> Pattern {
        Pattern {
            tokens: text.chars().map(|c| Token::One(Class::Lit(c))).collect(),
        }
    }

    /// An ARN template (see [`crate::arn::Template`]) from its pieces.
    pub(crate) fn from_template_pieces<'p>(
        pieces: impl IntoIterator<Item = TemplatePiece<'p>>,
    ) -> Pattern {
        let mut tokens = Vec::new();
        for piece in pieces {
            match piece {
                TemplatePiece::Literal(literal) => {
                    tokens.extend(literal.chars().map(|c| Token::One(Class::Lit(c))))
                }
                TemplatePiece::Segment => {
                    tokens.push(Token::One(Class::NotSep));
                    tokens.push(Token::Star(Class::NotSep));
                }
                TemplatePiece::Rest => {
                    tokens.push(Token::One(Class::Any));
                    tokens.push(Token::Star(Class::Any));
                }
                TemplatePiece::Any => tokens.push(Token::Star(Class::Any)),
            }
        }
        Pattern { tokens }
    }
}

/// A piece of an ARN template, as [`Pattern::from_template_pieces`] reads it.
pub(crate) enum TemplatePiece<'p> {
    /// Text as is.
    Literal(&'p str),
    /// `{#Name}`: one or more characters other than `/` and `:`.
    Segment,
    /// The closing `*`: one or more characters.
    Rest,
    /// A `*` inside: any run, also empty.
    Any,
}

/// Rewrites each run of `*` and `?` (any-character tokens) as its `?`s
/// followed by one `*` if the run had any: `*?*` and `?*` denote the same
/// strings, and the canonical form lets [`covers`] see it.
fn canonicalize(tokens: &mut Vec<Token>) {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].class() != Class::Any {
            out.push(tokens[i]);
            i += 1;
            continue;
        }
        let (mut ones, mut star) = (0, false);
        while i < tokens.len() && tokens[i].class() == Class::Any {
            match tokens[i] {
                Token::One(_) => ones += 1,
                Token::Star(_) => star = true,
            }
            i += 1;
        }
        out.extend(std::iter::repeat_n(Token::One(Class::Any), ones));
        if star {
            out.push(Token::Star(Class::Any));
        }
    }
    *tokens = out;
}

/// Whether the literal starts of `a` and `b` agree as far as both go: when
/// they do not, no string matches both.
fn starts_agree(a: &[Token], b: &[Token]) -> bool {
    a.iter()
        .zip(b)
        .map_while(|pair| match pair {
            (Token::One(Class::Lit(x)), Token::One(Class::Lit(y))) => Some(x == y),
            _ => None,
        })
        .all(|same| same)
}

/// The cells of a search over `a` and `b`, if the budget allows it.
fn cells(a: &[Token], b: &[Token], budget: &Budget) -> Option<usize> {
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    budget.take(cells).then_some(cells as usize)
}

/// Whether some string matches both patterns. Exact: a search over pairs of
/// positions (the product of the two patterns' automata), so it costs at
/// most (|a|+1)·(|b|+1) steps, drawn from `budget`; `None` when the budget
/// does not allow it.
pub fn intersects(a: &Pattern, b: &Pattern, budget: &Budget) -> Option<bool> {
    let (a, b) = (&a.tokens, &b.tokens);
    if !starts_agree(a, b) {
        return Some(false);
    }
    let width = b.len() + 1;
    let mut seen = Visited::new(cells(a, b, budget)?);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if seen.mark(i * width + j) {
            continue;
        }
        if i == a.len() && j == b.len() {
            return Some(true);
        }
        // A star may match nothing.
        if let Some(Token::Star(_)) = a.get(i) {
            stack.push((i + 1, j));
        }
        if let Some(Token::Star(_)) = b.get(j) {
            stack.push((i, j + 1));
        }
        // Or both consume one common character.
        if let (Some(&ta), Some(&tb)) = (a.get(i), b.get(j))
            && ta.class().meets(tb.class())
        {
            let ni = if matches!(ta, Token::Star(_)) {
                i
            } else {
                i + 1
            };
            let nj = if matches!(tb, Token::Star(_)) {
                j
            } else {
                j + 1
            };
            if (ni, nj) != (i, j) {
                stack.push((ni, nj));
            }
        }
    }
    Some(false)
}

/// Whether `wide` matches every string `narrow` matches.
///
/// `narrow`'s tokens are treated as symbols that `wide` must absorb: a
/// literal only by the same literal (or a class or star containing it), a
/// `?` only by a `?` or a `*`, a `*` only by a `*`. Any such alignment maps
/// each string of `narrow` onto a match of `wide`, so a `true` answer is
/// always right. Patterns are canonicalized first (`*?` ≡ `?*`); the rare
/// covering pairs this still cannot see are reported as not covering, which
/// at worst hides a redundancy.
pub fn covers(wide: &Pattern, narrow: &Pattern, budget: &Budget) -> Option<bool> {
    let (a, b) = (&wide.tokens, &narrow.tokens);
    if a == b {
        return Some(true);
    }
    // `wide`'s literal start must be a literal start of `narrow`.
    let wide_start = a
        .iter()
        .take_while(|t| matches!(t, Token::One(Class::Lit(_))))
        .count();
    if b.len() < wide_start || a[..wide_start] != b[..wide_start] {
        return Some(false);
    }
    let width = b.len() + 1;
    let mut seen = Visited::new(cells(a, b, budget)?);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if seen.mark(i * width + j) {
            continue;
        }
        if i == a.len() && j == b.len() {
            return Some(true);
        }
        match a.get(i) {
            Some(Token::Star(class)) => {
                // The star matches nothing more, or absorbs narrow's next token.
                stack.push((i + 1, j));
                if let Some(tb) = b.get(j)
                    && tb.class().within(*class)
                {
                    stack.push((i, j + 1));
                }
            }
            Some(Token::One(class)) => {
                if let Some(Token::One(cb)) = b.get(j)
                    && cb.within(*class)
                {
                    stack.push((i + 1, j + 1));
                }
            }
            None => {}
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wildcard::Wildcard;

    fn g(s: &str) -> Pattern {
        Pattern::glob(s, Case::Sensitive)
    }

    fn covers(wide: &Pattern, narrow: &Pattern) -> bool {
        super::covers(wide, narrow, &Budget::new(u64::MAX)).unwrap()
    }

    fn intersects(a: &Pattern, b: &Pattern) -> bool {
        super::intersects(a, b, &Budget::new(u64::MAX)).unwrap()
    }

    #[test]
    fn comparisons_stop_at_the_budget() {
        let long = g(&format!("*{}*", "a*".repeat(3000)));
        let other = g(&format!("*{}b", "a?".repeat(3000)));
        let budget = Budget::new(1_000_000);
        assert_eq!(super::covers(&long, &other, &budget), None);
        assert_eq!(super::intersects(&long, &other, &budget), None);
        assert!(budget.exceeded());
        // Literal starts decide without a search, whatever the budget.
        let none = Budget::new(0);
        assert_eq!(
            super::intersects(&g("acs:oss:*"), &g("acs:imm:*"), &none),
            Some(false)
        );
        assert_eq!(
            super::covers(&g("acs:imm:x*"), &g("acs:imm:y*"), &none),
            Some(false)
        );
        assert_eq!(super::covers(&long, &long, &none), Some(true));
        assert_eq!(g("acs:imm:*:project/?").literal_prefix(), "acs:imm:");
    }

    #[test]
    fn examples() {
        assert!(covers(&g("imm:Get*"), &g("imm:GetProject")));
        assert!(covers(&g("*"), &g("imm:*")));
        assert!(covers(&g("imm:*"), &g("imm:Get*")));
        assert!(!covers(&g("imm:Get*"), &g("imm:*")));
        assert!(covers(&g("*?"), &g("?*")));
        assert!(covers(&g("a*b*c"), &g("a*x*b*y*c")));
        assert!(!covers(&g("a*b"), &g("*b")));
        let i = |s| Pattern::glob(s, Case::Insensitive);
        assert!(covers(&i("IMM:get*"), &i("imm:GetProject")));
        assert!(intersects(&g("acs:imm:ap-*"), &g("acs:imm:*:1:project/x")));
        assert!(!intersects(&g("acs:imm:ap-*"), &g("acs:imm:cn-*")));
        assert!(!intersects(&g("a?"), &g("abc")));
    }

    #[test]
    fn templates() {
        let template = |t: &str| crate::arn::Template::parse(t).pattern().clone();
        let project = template("acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}");
        let dataset = template(
            "acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}/dataset/{#DatasetName}",
        );
        let trigger = template("acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}/trigger/*");
        let ds = g("acs:imm:cn-hangzhou:1234567890123456:project/p/dataset/x");
        assert!(intersects(&ds, &dataset));
        assert!(!intersects(&ds, &project));
        assert!(intersects(&g("acs:imm:*:*:project/media-*"), &project));
        assert!(intersects(&g("acs:imm:*:*:project/media-*"), &dataset));
        assert!(!intersects(&g("acs:imm:cn-hangzhou:1:project/"), &project));
        assert!(intersects(&g("acs:imm:*:*:project/p/trigger/*"), &trigger));
        assert!(!intersects(&g("acs:oss:*"), &project));
    }

    /// Every pattern over `a`, `b`, `*`, `?` up to `len` characters.
    fn all_patterns(len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..len {
            let mut next = Vec::new();
            for p in &layer {
                for c in ['a', 'b', '*', '?'] {
                    next.push(format!("{p}{c}"));
                }
            }
            out.extend(next.iter().cloned());
            layer = next;
        }
        out
    }

    fn all_strings(len: usize) -> Vec<String> {
        all_patterns(len)
            .into_iter()
            .filter(|s| !s.contains(['*', '?']))
            .collect()
    }

    /// Checks both functions against brute force with the real matcher:
    /// `intersects` exactly, `covers` for soundness (and that it is not
    /// trivially false: it must find most true covers).
    #[test]
    fn agrees_with_the_matcher_on_every_small_pattern() {
        let patterns = all_patterns(3);
        let strings = all_strings(7);
        let matched: Vec<Vec<bool>> = patterns
            .iter()
            .map(|p| {
                let w = Wildcard::new(p, Case::Sensitive);
                strings.iter().map(|s| w.matches(s)).collect()
            })
            .collect();
        let (mut true_covers, mut found_covers) = (0, 0);
        for (i, a) in patterns.iter().enumerate() {
            for (j, b) in patterns.iter().enumerate() {
                let common = (0..strings.len()).any(|k| matched[i][k] && matched[j][k]);
                assert_eq!(intersects(&g(a), &g(b)), common, "intersects({a:?}, {b:?})");
                let brute = (0..strings.len()).all(|k| !matched[j][k] || matched[i][k]);
                let claimed = covers(&g(a), &g(b));
                assert!(!claimed || brute, "covers({a:?}, {b:?}) is wrong");
                true_covers += usize::from(brute);
                found_covers += usize::from(claimed);
            }
        }
        assert!(
            found_covers * 10 >= true_covers * 9,
            "{found_covers} of {true_covers}"
        );
    }
}
