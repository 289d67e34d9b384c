//! Wildcard patterns as regular languages: which combinations of patterns
//! some string matches, and a string for each.
//!
//! Every pattern of one dimension (the actions, the resources, or the
//! string values of one condition key) is compiled into a small NFA over a
//! finite alphabet: the characters the patterns name literally, plus one
//! class standing for every other character the dimension allows (no
//! pattern can tell two such characters apart). The subset construction of
//! all the patterns at once, intersected with the dimension's own grammar
//! (a request action is `<code>:<name>` of letters, digits, `-`, `_`, `.`;
//! a request resource `*` or a five-part ARN without `?` or whitespace), is
//! explored breadth first. Each reachable accepting state has a
//! *signature*: the set of patterns whose NFA accepts there. Two strings
//! with the same signature are matched by exactly the same patterns, so the
//! signatures are the *classes* of the dimension, and every question about
//! the dimension (does some action match `A1` or `A2` but not `B`?) becomes
//! a question about a finite set of classes. Breadth-first order gives each
//! class its shortest string.
//!
//! No crate was used: `regex-automata` builds DFAs for regexes but does not
//! expose the product signatures (which patterns accept) that this needs,
//! and RAM's patterns need only `*` and `?`. The construction is bounded by
//! [`MAX_STATES`] and [`MAX_WORK`]; past them the caller answers
//! "undecided".

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use super::bits::Bits;

/// The most DFA states one dimension may build.
pub const MAX_STATES: usize = 100_000;
/// The most NFA position steps one dimension may take while building.
pub const MAX_WORK: u64 = 20_000_000;
/// The most transition-table cells (states × alphabet) one dimension may
/// hold.
pub const MAX_CELLS: usize = 12_000_000;

const DEAD: u32 = u32::MAX;

/// A fast, non-cryptographic hasher for the automaton's state sets (the
/// keys are ours, not an attacker's choice of hash inputs beyond what the
/// budgets bound).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// One piece of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Piece {
    Star,
    One,
    Lit(char),
}

/// A pattern of a dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Pat {
    /// `*`/`?` wildcards and literal characters (exact case).
    Wild(Vec<Piece>),
    /// Equal to this text after Unicode lower-casing both sides
    /// (`StringEqualsIgnoreCase`); the characters are the lower-cased text.
    Fold(Vec<char>),
}

impl Pat {
    /// A RAM wildcard pattern, folded to ASCII lower case when `fold`.
    pub(crate) fn wildcard(text: &str, fold: bool) -> Pat {
        let mut pieces: Vec<Piece> = Vec::with_capacity(text.len());
        for c in text.chars() {
            let p = match c {
                '*' => Piece::Star,
                '?' => Piece::One,
                c if fold => Piece::Lit(c.to_ascii_lowercase()),
                c => Piece::Lit(c),
            };
            if p == Piece::Star && pieces.last() == Some(&Piece::Star) {
                continue;
            }
            pieces.push(p);
        }
        Pat::Wild(pieces)
    }

    /// Exactly `text`: `*` and `?` are literal.
    pub(crate) fn literal(text: &str) -> Pat {
        Pat::Wild(text.chars().map(Piece::Lit).collect())
    }

    /// Equal to `text` ignoring case, as `StringEqualsIgnoreCase` compares.
    pub(crate) fn fold(text: &str) -> Pat {
        Pat::Fold(text.chars().flat_map(char::to_lowercase).collect())
    }

    fn len(&self) -> usize {
        match self {
            Pat::Wild(p) => p.len(),
            Pat::Fold(c) => c.len(),
        }
    }
}

/// The grammar of the strings of a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Universe {
    /// Request actions, lower-cased: `[a-z0-9._-]+:[a-z0-9._-]+`.
    Action,
    /// Request resources: `*`, or `acs:<code>:<region>:<account>:<relative-id>`
    /// with a non-empty code and relative id, no `?`, no whitespace.
    Resource,
    /// Any text (condition values).
    Text,
}

const ACTION_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789-_.:";

impl Universe {
    fn start(self) -> u8 {
        0
    }

    fn accepts(self, state: u8) -> bool {
        match self {
            Universe::Action => state == 3,
            Universe::Resource => state == 9 || state == 10,
            Universe::Text => true,
        }
    }

    /// The next state on a character (`None` for the "other" class).
    fn step(self, state: u8, c: Option<char>) -> Option<u8> {
        match self {
            Universe::Text => Some(0),
            Universe::Action => {
                let c = c?;
                if c == ':' {
                    return (state == 1).then_some(2);
                }
                if !ACTION_CHARS.contains(c) {
                    return None;
                }
                match state {
                    0 | 1 => Some(1),
                    2 | 3 => Some(3),
                    _ => None,
                }
            }
            Universe::Resource => {
                if let Some(c) = c
                    && !resource_char(c)
                {
                    return None;
                }
                let colon = c == Some(':');
                match (state, c) {
                    (0, Some('*')) => Some(10),
                    (0, Some('a')) => Some(1),
                    (1, Some('c')) => Some(2),
                    (2, Some('s')) => Some(3),
                    (3, Some(':')) => Some(4),
                    (4, _) if colon => None,
                    (4, _) | (5, _) if !colon => Some(5),
                    (5, _) => Some(6),
                    (6, _) if !colon => Some(6),
                    (6, _) => Some(7),
                    (7, _) if !colon => Some(7),
                    (7, _) => Some(8),
                    (8, _) | (9, _) => Some(9),
                    _ => None,
                }
            }
        }
    }

    /// Characters the grammar itself tells apart.
    fn own_chars(self) -> &'static str {
        match self {
            Universe::Action => ACTION_CHARS,
            Universe::Resource => "acs:*",
            Universe::Text => "",
        }
    }

    fn has_other(self) -> bool {
        !matches!(self, Universe::Action)
    }
}

fn resource_char(c: char) -> bool {
    c != '?' && !c.is_whitespace() && !c.is_control()
}

/// Why a language could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OverBudget(pub String);

/// The patterns of one dimension, being collected.
#[derive(Debug, Default)]
pub(crate) struct LangBuilder {
    pats: Vec<Pat>,
    index: HashMap<Pat, u32>,
}

impl LangBuilder {
    /// The id of `pat`, added if new.
    pub(crate) fn add(&mut self, pat: Pat) -> u32 {
        if let Some(&id) = self.index.get(&pat) {
            return id;
        }
        let id = self.pats.len() as u32;
        self.pats.push(pat.clone());
        self.index.insert(pat, id);
        id
    }

    /// Builds the classes of the dimension.
    pub(crate) fn build(self, universe: Universe) -> Result<Lang, OverBudget> {
        Lang::build(self.pats, universe)
    }
}

/// A class of a dimension: the strings matched by exactly the same
/// patterns.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    /// The patterns that match the class's strings, sorted.
    pub sig: Vec<u32>,
    /// A shortest string of the class.
    pub rep: String,
}

/// The classes of a dimension and the automaton that tells them apart.
#[derive(Debug)]
pub(crate) struct Lang {
    universe: Universe,
    alphabet: Vec<char>,
    other: Option<char>,
    trans: Vec<u32>,
    state_class: Vec<u32>,
    /// The classes, in breadth-first order of their shortest strings.
    pub classes: Vec<Class>,
    /// For each pattern, the classes whose strings it matches.
    pub pattern_classes: Vec<Bits>,
    /// The automaton steps its construction took (at most [`MAX_WORK`]),
    /// charged to the question's budget.
    pub work: u64,
}

/// Characters whose lower case differs from themselves, by the first
/// character of their lower case: what `StringEqualsIgnoreCase` may meet.
fn fold_table() -> &'static HashMap<char, Vec<char>> {
    static TABLE: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<char, Vec<char>> = HashMap::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut lower = c.to_lowercase();
            let first = lower.next();
            if let Some(first) = first
                && (first != c || lower.next().is_some())
            {
                table.entry(first).or_default().push(c);
            }
        }
        table
    })
}

struct Nfa {
    pats: Vec<Pat>,
    base: Vec<u32>,
    /// Per global position: its pattern.
    owner: Vec<u32>,
}

impl Nfa {
    fn accept_pos(&self, p: u32) -> u32 {
        self.base[p as usize] + self.pats[p as usize].len() as u32
    }

    /// Adds `pos` and what it reaches without reading (past a `*`).
    fn close(&self, pos: u32, out: &mut Vec<u32>) {
        out.push(pos);
        let p = self.owner[pos as usize] as usize;
        let i = (pos - self.base[p]) as usize;
        if let Pat::Wild(pieces) = &self.pats[p]
            && pieces.get(i) == Some(&Piece::Star)
        {
            out.push(pos + 1);
        }
    }
}

impl Lang {
    fn build(pats: Vec<Pat>, universe: Universe) -> Result<Lang, OverBudget> {
        // The alphabet: every literal character, and the characters the
        // grammar tells apart; `Fold` patterns add every character whose
        // lower case they may meet.
        let mut chars: Vec<char> = universe.own_chars().chars().collect();
        for pat in &pats {
            match pat {
                Pat::Wild(pieces) => chars.extend(pieces.iter().filter_map(|p| match p {
                    Piece::Lit(c) => Some(*c),
                    _ => None,
                })),
                Pat::Fold(lower) => {
                    for &c in lower {
                        chars.push(c);
                        if let Some(more) = fold_table().get(&c) {
                            chars.extend(more.iter().copied());
                        }
                    }
                }
            }
        }
        chars.sort_unstable();
        chars.dedup();
        if universe == Universe::Action {
            chars.retain(|c| ACTION_CHARS.contains(*c));
        }
        if universe == Universe::Resource {
            chars.retain(|&c| resource_char(c));
        }
        let other = universe.has_other().then(|| pick_other(&chars));
        let n_classes = chars.len() + usize::from(other.is_some());
        let class_char = |k: usize| chars.get(k).copied().or(other).unwrap_or('x');
        let class_lower: Vec<Vec<char>> = (0..n_classes)
            .map(|k| {
                if k < chars.len() {
                    chars[k].to_lowercase().collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let char_index: HashMap<char, u32> = chars
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u32))
            .collect();

        let mut base = Vec::with_capacity(pats.len());
        let mut owner = Vec::new();
        for (i, pat) in pats.iter().enumerate() {
            base.push(owner.len() as u32);
            owner.extend(std::iter::repeat_n(i as u32, pat.len() + 1));
        }
        let nfa = Nfa { pats, base, owner };
        let mut is_accept = vec![false; nfa.owner.len()];
        for p in 0..nfa.pats.len() as u32 {
            is_accept[nfa.accept_pos(p) as usize] = true;
        }
        // Literal pieces by class index.
        let lit_class: Vec<u32> = {
            let mut v = vec![DEAD; nfa.owner.len()];
            for (p, pat) in nfa.pats.iter().enumerate() {
                if let Pat::Wild(pieces) = pat {
                    for (i, piece) in pieces.iter().enumerate() {
                        if let Piece::Lit(c) = piece {
                            v[nfa.base[p] as usize + i] =
                                char_index.get(c).copied().unwrap_or(DEAD);
                        }
                    }
                }
            }
            v
        };

        let mut start_set = Vec::new();
        for p in 0..nfa.pats.len() {
            nfa.close(nfa.base[p], &mut start_set);
        }
        start_set.sort_unstable();
        start_set.dedup();

        // A state: its NFA positions, then its grammar state.
        let mut start_key = start_set;
        start_key.push(u32::from(universe.start()));
        let mut states: Vec<Vec<u32>> = vec![start_key.clone()];
        let mut index: FxMap<Vec<u32>, u32> = FxMap::default();
        index.insert(start_key, 0);
        let mut parent: Vec<(u32, u32)> = vec![(DEAD, 0)];
        let mut trans: Vec<u32> = Vec::new();
        // Each state's successors: the positions every character keeps
        // (`*`, `?`) are worked out once per state; only the classes some
        // literal position names add to them.
        let mut work: u64 = 0;
        let mut next = Vec::new();
        let mut base: Vec<u32> = Vec::new();
        let mut lits: Vec<(u32, u32)> = Vec::new();
        let mut folds: Vec<u32> = Vec::new();
        let mut s = 0usize;
        while s < states.len() {
            let (u, positions) = match states[s].split_last() {
                Some((u, p)) => (*u as u8, p.to_vec()),
                None => (0, Vec::new()),
            };
            work += positions.len() as u64 + n_classes as u64;
            base.clear();
            lits.clear();
            folds.clear();
            for &pos in &positions {
                let p = nfa.owner[pos as usize] as usize;
                let i = (pos - nfa.base[p]) as usize;
                match &nfa.pats[p] {
                    Pat::Wild(pieces) => match pieces.get(i) {
                        None => {}
                        Some(Piece::Star) => nfa.close(pos, &mut base),
                        Some(Piece::One) => nfa.close(pos + 1, &mut base),
                        Some(Piece::Lit(_)) => lits.push((lit_class[pos as usize], pos + 1)),
                    },
                    Pat::Fold(_) => folds.push(pos),
                }
            }
            base.sort_unstable();
            base.dedup();
            // The successor on a class no literal names, per grammar state.
            let mut plain: [u32; 16] = [DEAD; 16];
            for k in 0..n_classes {
                let c = (k < chars.len()).then(|| chars[k]);
                let Some(u2) = universe.step(u, c) else {
                    trans.push(DEAD);
                    continue;
                };
                let named = lits.iter().any(|&(lk, _)| lk == k as u32);
                let mut extra_fold = false;
                if !folds.is_empty() {
                    let lc = &class_lower[k];
                    extra_fold = !lc.is_empty();
                }
                if !named && !extra_fold && plain[u2 as usize % 16] != DEAD {
                    trans.push(plain[u2 as usize % 16]);
                    continue;
                }
                next.clear();
                next.extend_from_slice(&base);
                for &(lk, to) in &lits {
                    if lk == k as u32 {
                        nfa.close(to, &mut next);
                    }
                }
                if extra_fold {
                    let lc = &class_lower[k];
                    for &pos in &folds {
                        let p = nfa.owner[pos as usize] as usize;
                        let i = (pos - nfa.base[p]) as usize;
                        if let Pat::Fold(lower) = &nfa.pats[p]
                            && lower[i..].starts_with(lc)
                        {
                            next.push(pos + lc.len() as u32);
                        }
                    }
                }
                if named || extra_fold {
                    next.sort_unstable();
                    next.dedup();
                }
                next.push(u32::from(u2));
                let id = match index.get(next.as_slice()) {
                    Some(&id) => id,
                    None => {
                        let id = states.len() as u32;
                        if states.len() >= MAX_STATES || (states.len() + 1) * n_classes > MAX_CELLS
                        {
                            return Err(OverBudget(format!(
                                "more than {MAX_STATES} automaton states"
                            )));
                        }
                        work += next.len() as u64;
                        index.insert(next.clone(), id);
                        states.push(next.clone());
                        parent.push((s as u32, k as u32));
                        id
                    }
                };
                if !named && !extra_fold {
                    plain[u2 as usize % 16] = id;
                }
                trans.push(id);
            }
            if work > MAX_WORK {
                return Err(OverBudget(format!("more than {MAX_WORK} automaton steps")));
            }
            s += 1;
        }

        // The classes: the signatures of the accepting states.
        let mut classes: Vec<Class> = Vec::new();
        let mut by_sig: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut state_class = vec![DEAD; states.len()];
        for (id, state) in states.iter().enumerate() {
            let Some((u, positions)) = state.split_last() else {
                continue;
            };
            if !universe.accepts(*u as u8) {
                continue;
            }
            let sig: Vec<u32> = positions
                .iter()
                .filter(|&&p| is_accept[p as usize])
                .map(|&p| nfa.owner[p as usize])
                .collect();
            let class = match by_sig.get(&sig) {
                Some(&c) => c,
                None => {
                    let c = classes.len() as u32;
                    let mut rep = Vec::new();
                    let mut at = id as u32;
                    while parent[at as usize].0 != DEAD {
                        let (from, k) = parent[at as usize];
                        rep.push(class_char(k as usize));
                        at = from;
                    }
                    rep.reverse();
                    classes.push(Class {
                        sig: sig.clone(),
                        rep: rep.into_iter().collect(),
                    });
                    by_sig.insert(sig, c);
                    c
                }
            };
            state_class[id] = class;
        }
        let mut pattern_classes = vec![Bits::new(classes.len()); nfa.pats.len()];
        for (c, class) in classes.iter().enumerate() {
            for &p in &class.sig {
                pattern_classes[p as usize].set(c);
            }
        }
        Ok(Lang {
            work,
            universe,
            alphabet: chars,
            other,
            trans,
            state_class,
            classes,
            pattern_classes,
        })
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.classes.len()
    }

    /// The class of `text`, or `None` when the dimension's grammar refuses
    /// it.
    pub(crate) fn classify(&self, text: &str) -> Option<u32> {
        let n = self.alphabet.len() + usize::from(self.other.is_some());
        let mut state = 0u32;
        for c in text.chars() {
            let c = if self.universe == Universe::Action {
                c.to_ascii_lowercase()
            } else {
                c
            };
            let k = match self.alphabet.binary_search(&c) {
                Ok(k) => k,
                Err(_) if self.other.is_some() => {
                    if self.universe == Universe::Resource && !resource_char(c) {
                        return None;
                    }
                    self.alphabet.len()
                }
                Err(_) => return None,
            };
            state = self.trans[state as usize * n + k];
            if state == DEAD {
                return None;
            }
        }
        let class = self.state_class[state as usize];
        (class != DEAD).then_some(class)
    }

    /// The classes matched by any of `patterns`, complemented when `negated`.
    pub(crate) fn matching(&self, patterns: &[u32], negated: bool) -> Bits {
        let mut bits = Bits::new(self.len());
        for &p in patterns {
            bits.union_with(&self.pattern_classes[p as usize]);
        }
        if negated {
            bits.complement();
        }
        bits
    }

    /// Every class.
    pub(crate) fn all(&self) -> Bits {
        Bits::full(self.len())
    }
}

/// A readable character that no pattern names, for the "other" class.
fn pick_other(explicit: &[char]) -> char {
    "xyzqjkwvmnpbdfghlrt0123456789uoiea"
        .chars()
        .chain(('\u{e0}'..='\u{24f}').filter(|c| c.is_alphabetic()))
        .chain((0x2000..0x10FFFF).filter_map(char::from_u32))
        .find(|c| explicit.binary_search(c).is_err() && resource_char(*c))
        .unwrap_or('\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(pats: &[&str], universe: Universe) -> (Lang, Vec<u32>) {
        let mut b = LangBuilder::default();
        let ids = pats
            .iter()
            .map(|p| b.add(Pat::wildcard(p, universe == Universe::Action)))
            .collect();
        (b.build(universe).unwrap(), ids)
    }

    #[test]
    fn action_classes() {
        let (l, ids) = lang(&["imm:*", "imm:get*", "*"], Universe::Action);
        // {*}, {*, imm:*}, {*, imm:*, imm:get*}
        assert_eq!(l.len(), 3);
        let c = l.classify("IMM:GetProject").unwrap();
        assert_eq!(l.classes[c as usize].sig, vec![ids[0], ids[1], ids[2]]);
        assert!(l.classify("imm").is_none());
        assert!(l.classify("imm:a b").is_none());
        for class in &l.classes {
            assert_eq!(
                l.classify(&class.rep),
                Some(l.classify(&class.rep).unwrap())
            );
        }
    }

    #[test]
    fn question_mark_versus_star() {
        let (l, _) = lang(&["a:?", "a:*"], Universe::Action);
        // a:x matches both; a:xy only the star.
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn resources() {
        let (l, _) = lang(&["acs:oss:*:*:bucket/*", "*"], Universe::Resource);
        let c = l.classify("acs:oss:cn-hangzhou:1:bucket/x").unwrap();
        assert_eq!(l.classes[c as usize].sig.len(), 2);
        assert!(l.classify("acs:oss:cn:1").is_none());
        assert!(l.classify("acs:oss:cn:1:a?").is_none());
        assert_eq!(
            l.classify("*").map(|c| l.classes[c as usize].sig.len()),
            Some(1)
        );
        for class in &l.classes {
            assert!(l.classify(&class.rep).is_some(), "{}", class.rep);
        }
    }

    #[test]
    fn fold_meets_unicode_case() {
        let mut b = LangBuilder::default();
        let k = b.add(Pat::fold("k"));
        let l = b.build(Universe::Text).unwrap();
        // U+212A KELVIN SIGN lower-cases to `k`.
        let c = l.classify("\u{212A}").unwrap();
        assert_eq!(l.classes[c as usize].sig, vec![k]);
        assert!(l.classes[l.classify("q").unwrap() as usize].sig.is_empty());
    }
}
