//! "Did you mean …?" for misspelt element names, operators and keys.

/// Edit distance over characters, case-insensitively, counting a swap of
/// two neighbours as one edit (optimal string alignment): the typos worth
/// catching are `Resources`, `stringequals`, `acs:SourceIP`, `alcie`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // Three rows: two back for transpositions, one back, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// How many edits still make a plausible typo of a word of `len`
/// characters: a third of it, at least 1 and at most 4.
pub fn max_edits(len: usize) -> usize {
    (len / 3).clamp(1, 4)
}

/// The one way a suggestion is worded, for a help line: ``did you mean `X`?``.
pub fn question(suggestion: impl std::fmt::Display) -> String {
    format!("did you mean `{suggestion}`?")
}

/// The one way a suggestion ends a message: `` (did you mean `X`?)``, or
/// nothing without one.
pub fn hint(suggestion: Option<impl std::fmt::Display>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" ({})", question(s)))
}

/// The closest candidate, if it is close enough to be a plausible typo:
/// within a third of the word's length (at least 1, at most 4 edits).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let length = word.chars().count();
    let limit = max_edits(length);
    candidates
        .into_iter()
        // The distance is at least the difference in length: a hostile
        // 100 KB word is compared with nothing, in constant time each.
        .filter(|c| {
            c.len().abs_diff(word.len()) <= 4 * limit && c.chars().count().abs_diff(length) <= limit
        })
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        // Ties go to the smallest name, so the suggestion does not depend
        // on the order of a map or a directory listing.
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let elements = ["Effect", "Action", "NotAction", "Resource", "Condition"];
        assert_eq!(did_you_mean("Resources", elements), Some("Resource"));
        assert_eq!(did_you_mean("effect", elements), Some("Effect"));
        assert_eq!(did_you_mean("Actoin", elements), Some("Action"));
        assert_eq!(did_you_mean("Banana", elements), None);
        // Equally close candidates: the smallest, in any order.
        assert_eq!(did_you_mean("Pb", ["Pe", "Pc", "Pa"]), Some("Pa"));
        assert_eq!(did_you_mean("Pb", ["Pa", "Pe", "Pc"]), Some("Pa"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("alcie", "alice"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(did_you_mean("alcie", ["alice", "bob"]), Some("alice"));
        // Far longer or shorter words are never close.
        let long = "a".repeat(100_000);
        assert_eq!(did_you_mean(&long, ["Resource", &"a".repeat(99_990)]), None);
    }
}
