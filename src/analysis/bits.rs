//! Fixed-size bit sets: sets of classes of one dimension.

/// A set of class indices below `len`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Bits {
    len: usize,
    words: Vec<u64>,
}

impl Bits {
    pub(crate) fn new(len: usize) -> Bits {
        Bits {
            len,
            words: vec![0; len.div_ceil(64)],
        }
    }

    pub(crate) fn full(len: usize) -> Bits {
        let mut b = Bits::new(len);
        b.complement();
        b
    }

    /// The 64-bit words it holds.
    pub(crate) fn words(&self) -> usize {
        self.words.len()
    }

    pub(crate) fn set(&mut self, i: usize) {
        if i < self.len {
            self.words[i / 64] |= 1 << (i % 64);
        }
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub(crate) fn complement(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.trim();
    }

    fn trim(&mut self) {
        let extra = self.words.len() * 64 - self.len;
        if extra > 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= u64::MAX >> extra;
        }
    }

    pub(crate) fn complemented(&self) -> Bits {
        let mut b = self.clone();
        b.complement();
        b
    }

    pub(crate) fn union_with(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub(crate) fn intersect_with(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub(crate) fn intersection(&self, other: &Bits) -> Bits {
        let mut b = self.clone();
        b.intersect_with(other);
        b
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub(crate) fn meets(&self, other: &Bits) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    pub(crate) fn is_subset(&self, other: &Bits) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + b)
            })
        })
    }

    pub(crate) fn first(&self) -> Option<usize> {
        self.iter().next()
    }

    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut a = Bits::new(70);
        a.set(3);
        a.set(69);
        let full = Bits::full(70);
        assert_eq!(full.count(), 70);
        assert!(a.is_subset(&full));
        assert_eq!(a.complemented().count(), 68);
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![3, 69]);
        assert!(!a.meets(&a.complemented()));
    }
}
