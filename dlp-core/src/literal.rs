//! Required literals: byte strings that every match of a pattern contains
//! near its start, and a SIMD search for them.
//!
//! Custom sensors often look for tokens with a fixed prefix (`ghp_`,
//! `AKIA`) or for keywords (`(?i)confidential`). Neither has digits or
//! `@`. Without a literal, the prefilter could only test the byte a
//! match starts with, and would send nearly every word to the automaton.
//! For such a pattern the engine takes a **required literal**: a byte
//! string that every match contains, starting between `min` and `max`
//! bytes after the match's start. A position can then start a match only
//! if one of the pattern's literals starts within that distance and every
//! byte up to it is one the pattern can match.
//!
//! The search is a small Teddy, the packed search of Hyperscan and of the
//! aho-corasick crate. The first three bytes of each literal are split
//! into nibbles, and one shuffle per nibble and byte gives, for 16
//! positions at once, the set of literal buckets whose first three bytes
//! may start there. Nibble tables contain both cases of a letter of a
//! case-insensitive literal, so `(?i)` keywords cost nothing extra. Each
//! candidate is then compared with the literals of its buckets.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The maximum number of bytes kept of a literal. A prefix of a required
/// literal is required too.
const MAX_LITERAL_LEN: usize = 16;

/// The number of bytes of a literal the search fingerprints. A shorter
/// literal accepts any byte in the missing places.
const FINGERPRINT: usize = 3;

/// The literal length from which a literal is preferred to any trigger
/// class.
pub(crate) const STRONG_LEN: usize = 3;

/// The maximum number of literals one pattern may require, one per
/// alternative.
const MAX_ALTERNATIVES: usize = 16;

/// The maximum number of literals an engine searches for.
pub(crate) const MAX_LITERALS: usize = 1024;

/// The number of buckets of the search: one bit of a byte each.
const BUCKETS: usize = 8;

/// A literal that every match of a pattern contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Literal {
    /// The bytes of the literal.
    pub(crate) bytes: Vec<u8>,
    /// Whether ASCII letters match in either case.
    pub(crate) nocase: bool,
    /// The minimum distance from a match's start to the literal's.
    pub(crate) min: usize,
    /// The maximum distance from a match's start to the literal's.
    pub(crate) max: usize,
    /// The bytes a match may hold before the literal. [`required`] gives
    /// every byte; the caller may narrow it to the bytes of the pattern.
    pub(crate) lead: ByteSet,
}

impl Literal {
    /// Returns whether `bytes` equal the literal's bytes from `offset`
    /// on, in either case where the literal matches either case. The
    /// bytes must not reach past the literal's end.
    fn agrees(&self, offset: usize, bytes: &[u8]) -> bool {
        let expected = &self.bytes[offset..offset + bytes.len()];
        if self.nocase {
            bytes.eq_ignore_ascii_case(expected)
        } else {
            bytes == expected
        }
    }
}

/// A set of bytes as a 256-bit map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// The set of every byte.
    pub(crate) const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    /// Returns the set of the bytes whose entry in `table` is `true`.
    pub(crate) fn of(table: &[bool; 256]) -> ByteSet {
        let mut words = [0u64; 4];
        for (byte, _) in table.iter().enumerate().filter(|(_, &m)| m) {
            words[byte / 64] |= 1 << (byte % 64);
        }
        ByteSet(words)
    }

    /// Returns whether `byte` is in the set.
    #[inline]
    pub(crate) fn contains(&self, byte: u8) -> bool {
        let byte = usize::from(byte);
        (self.0[byte / 64] >> (byte % 64)) & 1 == 1
    }

    fn insert(&mut self, byte: u8) {
        let byte = usize::from(byte);
        self.0[byte / 64] |= 1 << (byte % 64);
    }

    fn union(self, other: ByteSet) -> ByteSet {
        let mut words = self.0;
        for (word, other) in words.iter_mut().zip(other.0) {
            *word |= other;
        }
        ByteSet(words)
    }

    /// Returns the length of the run of the set's bytes that ends at
    /// `end` in `haystack`, counting at most `limit` bytes and none
    /// before `floor`.
    #[inline]
    pub(crate) fn run_before(
        &self,
        haystack: &[u8],
        end: usize,
        floor: usize,
        limit: usize,
    ) -> usize {
        let mut run = 0;
        while run < limit
            && end > floor + run
            && self.contains(haystack[end - run - 1])
        {
            run += 1;
        }
        run
    }
}

/// The literals one of which every match of a pattern contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Required {
    pub(crate) literals: Vec<Literal>,
}

impl Required {
    /// Returns the length of the shortest literal: how selective the set
    /// is.
    fn score(&self) -> usize {
        self.literals.iter().map(|l| l.bytes.len()).min().unwrap_or(0)
    }

    /// Returns the largest offset of a literal from a match's start.
    pub(crate) fn max_offset(&self) -> usize {
        self.literals.iter().map(|l| l.max).max().unwrap_or(0)
    }

    /// Returns the set with every offset moved by `min..=max`.
    fn shifted(mut self, min: usize, max: usize) -> Required {
        for literal in &mut self.literals {
            literal.min = literal.min.saturating_add(min);
            literal.max = literal.max.saturating_add(max);
        }
        self
    }

    /// Returns the better of two sets: longer shortest literal, then
    /// nearer the match's start.
    fn better(self, other: Required) -> Required {
        let key =
            |r: &Required| (r.score(), std::cmp::Reverse(r.max_offset()));
        if key(&other) > key(&self) {
            other
        } else {
            self
        }
    }
}

/// Returns the literals one of which every match of `hir` contains, each
/// at least `min_len` bytes long and at most `max_offset` bytes after the
/// match's start, or `None` if the syntax gives no such set.
pub(crate) fn required(
    hir: &Hir,
    min_len: usize,
    max_offset: usize,
) -> Option<Required> {
    let found = find(hir, max_offset)?;
    let usable =
        found.score() >= min_len.max(1) && found.max_offset() <= max_offset;
    usable.then_some(found)
}

/// Returns the best literal set of `hir` whose offsets are at most
/// `limit`, whatever the length of its literals.
fn find(hir: &Hir, limit: usize) -> Option<Required> {
    match hir.kind() {
        HirKind::Literal(literal) => {
            let mut bytes = literal.0.to_vec();
            bytes.truncate(MAX_LITERAL_LEN);
            Some(single(bytes, false))
        }
        HirKind::Class(_) => {
            let (bytes, nocase) = unit(hir)?;
            let literals = bytes
                .into_iter()
                .map(|b| Literal {
                    bytes: vec![b],
                    nocase,
                    min: 0,
                    max: 0,
                    lead: ByteSet::ALL,
                })
                .collect();
            Some(Required { literals })
        }
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Capture(capture) => find(&capture.sub, limit),
        HirKind::Repetition(rep) if rep.min >= 1 => find(&rep.sub, limit),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(subs) => {
            let mut literals = Vec::new();
            for sub in subs {
                literals.extend(find(sub, limit)?.literals);
                if literals.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(Required { literals })
        }
        HirKind::Concat(subs) => concat(subs, limit),
    }
}

/// Returns a set of one literal at offset 0.
fn single(bytes: Vec<u8>, nocase: bool) -> Required {
    let lead = ByteSet::ALL;
    Required {
        literals: vec![Literal { bytes, nocase, min: 0, max: 0, lead }],
    }
}

/// Returns the best literal set of a concatenation: a run of literal
/// bytes and small classes, or the set of one item moved by the lengths
/// of the items before it.
fn concat(subs: &[Hir], limit: usize) -> Option<Required> {
    let mut best: Option<Required> = None;
    // The offsets of the current item from the match's start; `None`
    // once an item before it is unbounded.
    let (mut min, mut max) = (0usize, Some(0usize));
    // The run being gathered: its alternatives and offsets.
    let mut run = Run::default();
    for sub in subs {
        let bytes: Option<(Vec<Vec<u8>>, bool)> = match sub.kind() {
            HirKind::Literal(literal) => {
                Some((vec![literal.0.to_vec()], false))
            }
            HirKind::Class(_) => unit(sub).map(|(set, nocase)| {
                (set.into_iter().map(|b| vec![b]).collect(), nocase)
            }),
            _ => None,
        };
        match (bytes, max) {
            (Some((set, nocase)), Some(max)) => {
                if run.alternatives.len() * set.len() > MAX_ALTERNATIVES {
                    run.flush(&mut best, limit);
                }
                run.append(&set, nocase, (min, max));
            }
            (found, _) => {
                run.flush(&mut best, limit);
                if found.is_none() {
                    if let (Some(inner), Some(max)) = (find(sub, limit), max) {
                        keep(&mut best, inner.shifted(min, max), limit);
                    }
                }
            }
        }
        let props = sub.properties();
        min = min.saturating_add(props.minimum_len().unwrap_or(0));
        max = match (max, props.maximum_len()) {
            (Some(a), Some(b)) => a.checked_add(b),
            _ => None,
        };
    }
    run.flush(&mut best, limit);
    best
}

/// Replaces `best` with `found` if `found` is better and its offsets
/// are at most `limit`.
fn keep(best: &mut Option<Required>, found: Required, limit: usize) {
    if found.max_offset() > limit {
        return;
    }
    *best = Some(match best.take() {
        Some(best) => best.better(found),
        None => found,
    });
}

/// Consecutive literal items of a concatenation: every match contains
/// one of `alternatives` at offsets `at`.
#[derive(Default)]
struct Run {
    alternatives: Vec<Vec<u8>>,
    nocase: bool,
    at: (usize, usize),
}

impl Run {
    /// Appends one item, one of the byte strings of `set`, found at
    /// offsets `at` if the run is empty.
    fn append(&mut self, set: &[Vec<u8>], nocase: bool, at: (usize, usize)) {
        if self.alternatives.is_empty() {
            self.alternatives.push(Vec::new());
            self.nocase = false;
            self.at = at;
        }
        let mut longer =
            Vec::with_capacity(self.alternatives.len() * set.len());
        for head in &self.alternatives {
            for tail in set {
                let mut bytes = head.clone();
                bytes.extend_from_slice(tail);
                bytes.truncate(MAX_LITERAL_LEN);
                longer.push(bytes);
            }
        }
        longer.sort_unstable();
        longer.dedup();
        self.alternatives = longer;
        self.nocase |= nocase;
    }

    /// Offers the run to `best` and empties it.
    fn flush(&mut self, best: &mut Option<Required>, limit: usize) {
        if self.alternatives.is_empty() {
            return;
        }
        let (min, max) = self.at;
        let nocase = self.nocase;
        let literals = std::mem::take(&mut self.alternatives)
            .into_iter()
            .map(|bytes| Literal {
                bytes,
                nocase,
                min,
                max,
                lead: ByteSet::ALL,
            })
            .collect();
        keep(best, Required { literals }, limit);
    }
}

/// Returns the bytes a class of at most four ASCII bytes matches, and
/// whether it is one letter in either case. For a letter in either case
/// only the lowercase byte is returned. Any other class gives `None`.
fn unit(hir: &Hir) -> Option<(Vec<u8>, bool)> {
    const MAX_SET: usize = 4;
    let HirKind::Class(class) = hir.kind() else { return None };
    let mut members: Vec<u32> = Vec::new();
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.ranges() {
                for b in range.start()..=range.end() {
                    members.push(u32::from(b));
                    if members.len() > MAX_SET {
                        return None;
                    }
                }
            }
        }
        Class::Unicode(chars) => {
            for range in chars.ranges() {
                for c in range.start()..=range.end() {
                    members.push(u32::from(c));
                    if members.len() > MAX_SET {
                        return None;
                    }
                }
            }
        }
    }
    if members.iter().any(|&m| m >= 0x80) {
        return None;
    }
    let bytes: Vec<u8> = members.iter().map(|&m| m as u8).collect();
    if let [a, b] = bytes[..] {
        if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b) {
            return Some((vec![a.to_ascii_lowercase()], true));
        }
    }
    Some((bytes, false))
}

/// The literals of an engine and their search.
#[derive(Clone, Debug)]
pub(crate) struct Literals {
    literals: Vec<Literal>,
    /// For each literal, its first bytes as a little-endian word, the
    /// bits to compare, with the case bit of letters left out when it
    /// matches either case, and whether the word contains all of it: most
    /// candidates fail on this test, and short literals need no other.
    heads: Vec<(u32, u32, bool)>,
    /// The pairs of bytes that a literal may start with, as a bitmap
    /// indexed by the pair: a cheaper test than the buckets' literals,
    /// run first.
    pairs: Box<[u64; PAIR_WORDS]>,
    /// The bytes that a literal may start with.
    firsts: ByteSet,
    /// The literals of each bucket, as indices into `literals`.
    buckets: [Vec<u16>; BUCKETS],
    /// For each of the first three bytes of a literal, the buckets that
    /// accept each low nibble and each high nibble.
    low: [[u8; 16]; 3],
    high: [[u8; 16]; 3],
    /// The largest `max + len` of a literal: how far after a position
    /// the bytes that decide its bit may reach.
    reach: usize,
    /// The length of the longest literal.
    longest: usize,
    /// The lead bytes and the largest `max` of the literals that may
    /// start after a match's first byte, one entry per distinct lead.
    beyond: Vec<(ByteSet, usize)>,
}

impl Literals {
    /// Builds the search, or returns `None` if there are no literals or
    /// too many.
    pub(crate) fn new(mut literals: Vec<Literal>) -> Option<Literals> {
        // Two patterns may require the same literal; one search entry
        // with the union of their offsets is enough.
        literals
            .sort_by(|a, b| (&a.bytes, a.nocase).cmp(&(&b.bytes, b.nocase)));
        literals.dedup_by(|next, kept| {
            let same = next.bytes == kept.bytes && next.nocase == kept.nocase;
            if same {
                kept.min = kept.min.min(next.min);
                kept.max = kept.max.max(next.max);
                kept.lead = kept.lead.union(next.lead);
            }
            same
        });
        if literals.is_empty() || literals.len() > MAX_LITERALS {
            return None;
        }
        let mut buckets: [Vec<u16>; BUCKETS] = Default::default();
        let mut low = [[0u8; 16]; 3];
        let mut high = [[0u8; 16]; 3];

        // Each bucket accepts the product of its nibble sets, so each
        // literal goes to the bucket whose sets grow least. Literals with
        // the same first three bytes then share a bucket. The widest
        // literals (short or case-insensitive) go first, while buckets
        // are empty, and the narrow ones fill in around them.
        let mut order: Vec<usize> = (0..literals.len()).collect();
        order.sort_by_key(|&i| {
            let sets = nibbles(&literals[i]);
            std::cmp::Reverse(volume_of(&sets))
        });
        for index in order {
            let literal = &literals[index];
            debug_assert!(!literal.bytes.is_empty());
            let nibbles = nibbles(literal);
            let bucket = (0..BUCKETS)
                .min_by_key(|&bucket| {
                    let bit = 1u8 << bucket;
                    let before = volume(&low, &high, bit, None);
                    let after = volume(&low, &high, bit, Some(&nibbles));
                    (after - before, buckets[bucket].len())
                })
                .unwrap_or(0);
            buckets[bucket].push(index as u16);
            let bit = 1u8 << bucket;
            for (k, (lows, highs)) in nibbles.iter().enumerate() {
                for n in 0..16 {
                    if lows & (1 << n) != 0 {
                        low[k][n] |= bit;
                    }
                    if highs & (1 << n) != 0 {
                        high[k][n] |= bit;
                    }
                }
            }
        }
        let reach = literals
            .iter()
            .map(|l| l.max.saturating_add(l.bytes.len()))
            .max()
            .unwrap_or(0);
        let longest =
            literals.iter().map(|l| l.bytes.len()).max().unwrap_or(0);
        let mut beyond: Vec<(ByteSet, usize)> = Vec::new();
        for literal in literals.iter().filter(|l| l.max > 0) {
            match beyond.iter_mut().find(|(lead, _)| *lead == literal.lead) {
                Some((_, max)) => *max = (*max).max(literal.max),
                None => beyond.push((literal.lead, literal.max)),
            }
        }
        let heads = literals.iter().map(head).collect();
        let mut pairs = Box::new([0u64; PAIR_WORDS]);
        let mut firsts = ByteSet([0; 4]);
        for literal in &literals {
            let cases = |byte: u8| {
                let other = if literal.nocase && byte.is_ascii_alphabetic() {
                    byte ^ 0x20
                } else {
                    byte
                };
                [byte, other]
            };
            // A literal of one byte accepts any second byte.
            let (first, seconds) = match literal.bytes[..] {
                [first, second, ..] => (first, cases(second).to_vec()),
                [first] => (first, (0..=u8::MAX).collect()),
                [] => continue,
            };
            for first in cases(first) {
                firsts.insert(first);
                for &second in &seconds {
                    let pair = pair_index(first, second);
                    pairs[pair / 64] |= 1 << (pair % 64);
                }
            }
        }
        Some(Literals {
            literals,
            heads,
            pairs,
            firsts,
            buckets,
            low,
            high,
            reach,
            longest,
            beyond,
        })
    }

    /// The literals, indexed like the callback of [`Literals::find`].
    pub(crate) fn literals(&self) -> &[Literal] {
        &self.literals
    }

    /// Returns the largest `max + len` of a literal.
    pub(crate) fn reach(&self) -> usize {
        self.reach
    }

    /// Returns the lead bytes and largest offset of the literals that may
    /// start after a match's first byte, one entry per distinct lead.
    pub(crate) fn beyond(&self) -> &[(ByteSet, usize)] {
        &self.beyond
    }

    /// Calls `found(start, index)` for every literal that starts at or
    /// after `from` and is cut by the end of `haystack`: the bytes from
    /// `start` to the end are a proper prefix of the literal.
    pub(crate) fn find_cut(
        &self,
        haystack: &[u8],
        from: usize,
        mut found: impl FnMut(usize, usize),
    ) {
        let first = (haystack.len() + 1).saturating_sub(self.longest);
        for at in first.max(from)..haystack.len() {
            let rest = &haystack[at..];
            let possible = match rest[..] {
                [first, second, ..] => self.may_start_with(first, second),
                [first] => self.firsts.contains(first),
                [] => false,
            };
            if !possible {
                continue;
            }
            // The bytes at hand of the head word: a literal's head must
            // agree with them.
            let mut word = 0u32;
            for (i, &byte) in rest.iter().take(4).enumerate() {
                word |= u32::from(byte) << (8 * i);
            }
            let known = match rest.len() {
                1..=3 => (1u32 << (8 * rest.len())) - 1,
                _ => u32::MAX,
            };
            let mut buckets = self.buckets_at(haystack, at);
            while buckets != 0 {
                let bucket = buckets.trailing_zeros() as usize;
                buckets &= buckets - 1;
                for &index in &self.buckets[bucket] {
                    let index = usize::from(index);
                    let (value, bits, _) = self.heads[index];
                    if (word ^ value) & bits & known != 0 {
                        continue;
                    }
                    let literal = &self.literals[index];
                    if literal.bytes.len() <= rest.len() {
                        continue;
                    }
                    // The head word compared the first four bytes.
                    let tail = rest.get(4..).unwrap_or_default();
                    if literal.agrees(4.min(rest.len()), tail) {
                        found(at, index);
                    }
                }
            }
        }
    }

    /// Returns whether a literal may start with the bytes `first` and
    /// `second`.
    #[inline]
    fn may_start_with(&self, first: u8, second: u8) -> bool {
        let pair = pair_index(first, second);
        self.pairs[pair / 64] & (1 << (pair % 64)) != 0
    }

    /// Calls `found(start, index)` for every occurrence of every literal
    /// that starts in `from..to` and lies inside `haystack`, in order of
    /// start; occurrences may overlap.
    pub(crate) fn find(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        found: impl FnMut(usize, usize),
    ) {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        self.find_with(haystack, from, to, avx2, found);
    }

    /// Runs [`Literals::find`], with the AVX2 search only if `avx2` is set
    /// and the CPU has it, so that tests can run both searches.
    fn find_with(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        avx2: bool,
        mut found: impl FnMut(usize, usize),
    ) {
        let to = to.min(haystack.len());
        let mut at = from;
        #[cfg(target_arch = "x86_64")]
        {
            if avx2 && std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is available.
                at = unsafe { self.find_avx2(haystack, at, to, &mut found) };
            }
            if std::is_x86_feature_detected!("ssse3") {
                // SAFETY: SSSE3 is available.
                at = unsafe { self.find_ssse3(haystack, at, to, &mut found) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = avx2;
        while at < to {
            let buckets = self.buckets_at(haystack, at);
            if buckets != 0 {
                self.verify(haystack, at, buckets, &mut found);
            }
            at += 1;
        }
    }

    /// The SIMD part of [`Literals::find`]: tests 16 positions at a time
    /// while 18 bytes are left, and returns the first position it did
    /// not test.
    ///
    /// # Safety
    ///
    /// The CPU must support SSSE3.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "ssse3")]
    unsafe fn find_ssse3(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        found: &mut impl FnMut(usize, usize),
    ) -> usize {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128,
            _mm_movemask_epi8, _mm_set1_epi8, _mm_setzero_si128,
            _mm_shuffle_epi8, _mm_srli_epi16, _mm_storeu_si128,
        };
        let load = |bytes: &[u8; 16]| {
            // SAFETY: `bytes` is 16 bytes long.
            unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) }
        };
        let low = [load(&self.low[0]), load(&self.low[1]), load(&self.low[2])];
        let high =
            [load(&self.high[0]), load(&self.high[1]), load(&self.high[2])];
        let nibble = _mm_set1_epi8(0x0f);
        let mut at = from;
        while at < to && at + 16 + FINGERPRINT - 1 <= haystack.len() {
            let mut buckets = _mm_set1_epi8(-1);
            for k in 0..FINGERPRINT {
                // SAFETY: the loop condition leaves 18 bytes from `at`.
                let bytes = unsafe {
                    _mm_loadu_si128(
                        haystack.as_ptr().add(at + k).cast::<__m128i>(),
                    )
                };
                let lo = _mm_and_si128(bytes, nibble);
                let hi = _mm_and_si128(_mm_srli_epi16::<4>(bytes), nibble);
                let accept = _mm_and_si128(
                    _mm_shuffle_epi8(low[k], lo),
                    _mm_shuffle_epi8(high[k], hi),
                );
                buckets = _mm_and_si128(buckets, accept);
            }
            let empty = _mm_cmpeq_epi8(buckets, _mm_setzero_si128());
            let mask = !(_mm_movemask_epi8(empty) as u32) & 0xffff;
            if mask != 0 {
                let mut lanes = [0u8; 16];
                // SAFETY: `lanes` is 16 bytes long.
                unsafe {
                    _mm_storeu_si128(
                        lanes.as_mut_ptr().cast::<__m128i>(),
                        buckets,
                    )
                };
                self.verify_lanes(haystack, at, to, mask, &lanes, found);
            }
            at += 16;
        }
        at.min(to.max(from))
    }

    /// Runs the AVX2 part of [`Literals::find`]: tests 32 positions at a
    /// time while 34 bytes are left, and returns the first position it
    /// did not test.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn find_avx2(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        found: &mut impl FnMut(usize, usize),
    ) -> usize {
        use std::arch::x86_64::{
            __m128i, __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256,
            _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
            _mm256_set1_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
            _mm256_srli_epi16, _mm256_storeu_si256, _mm_loadu_si128,
        };
        // The shuffles look up each 16-byte lane on its own, so both
        // lanes get the tables.
        let table = |bytes: &[u8; 16]| {
            // SAFETY: `bytes` is 16 bytes long.
            let table =
                unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) };
            _mm256_broadcastsi128_si256(table)
        };
        let low =
            [table(&self.low[0]), table(&self.low[1]), table(&self.low[2])];
        let high =
            [table(&self.high[0]), table(&self.high[1]), table(&self.high[2])];
        let nibble = _mm256_set1_epi8(0x0f);
        let mut at = from;
        while at < to && at + 32 + FINGERPRINT - 1 <= haystack.len() {
            let mut buckets = _mm256_set1_epi8(-1);
            for k in 0..FINGERPRINT {
                // SAFETY: the loop condition leaves 34 bytes from `at`.
                let bytes = unsafe {
                    _mm256_loadu_si256(
                        haystack.as_ptr().add(at + k).cast::<__m256i>(),
                    )
                };
                let lo = _mm256_and_si256(bytes, nibble);
                let hi =
                    _mm256_and_si256(_mm256_srli_epi16::<4>(bytes), nibble);
                let accept = _mm256_and_si256(
                    _mm256_shuffle_epi8(low[k], lo),
                    _mm256_shuffle_epi8(high[k], hi),
                );
                buckets = _mm256_and_si256(buckets, accept);
            }
            let empty = _mm256_cmpeq_epi8(buckets, _mm256_setzero_si256());
            let mask = !(_mm256_movemask_epi8(empty) as u32);
            if mask != 0 {
                let mut lanes = [0u8; 32];
                // SAFETY: `lanes` is 32 bytes long.
                unsafe {
                    _mm256_storeu_si256(
                        lanes.as_mut_ptr().cast::<__m256i>(),
                        buckets,
                    )
                };
                self.verify_lanes(haystack, at, to, mask, &lanes, found);
            }
            at += 32;
        }
        at.min(to.max(from))
    }

    /// Compares the literals with the positions of `mask` (bit i for
    /// `at + i`) that lie before `to`. `lanes[i]` contains the buckets of
    /// position `at + i`. Each round of the SIMD search ends with this.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn verify_lanes(
        &self,
        haystack: &[u8],
        at: usize,
        to: usize,
        mut mask: u32,
        lanes: &[u8],
        found: &mut impl FnMut(usize, usize),
    ) {
        if to - at < lanes.len() {
            mask &= (1u32 << (to - at)) - 1;
        }
        while mask != 0 {
            let lane = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.verify(haystack, at + lane, lanes[lane], found);
        }
    }

    /// Returns the buckets whose first three bytes may start at `at`.
    /// Bytes past the end of `haystack` are not tested.
    #[inline]
    fn buckets_at(&self, haystack: &[u8], at: usize) -> u8 {
        let mut buckets = u8::MAX;
        for k in 0..FINGERPRINT {
            let Some(&byte) = haystack.get(at + k) else { break };
            buckets &= self.low[k][usize::from(byte & 0x0f)]
                & self.high[k][usize::from(byte >> 4)];
        }
        buckets
    }

    /// Compares the literals of `buckets` with the bytes at `at`.
    #[inline]
    fn verify(
        &self,
        haystack: &[u8],
        at: usize,
        mut buckets: u8,
        found: &mut impl FnMut(usize, usize),
    ) {
        let rest = &haystack[at..];
        if let [first, second, ..] = rest[..] {
            if !self.may_start_with(first, second) {
                return;
            }
        }
        // The first four bytes, or `None` at the very end.
        let word = rest
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        while buckets != 0 {
            let bucket = buckets.trailing_zeros() as usize;
            buckets &= buckets - 1;
            for &index in &self.buckets[bucket] {
                let index = usize::from(index);
                if let Some(word) = word {
                    let (value, bits, whole) = self.heads[index];
                    if word & bits != value {
                        continue;
                    }
                    if whole {
                        found(at, index);
                        continue;
                    }
                }
                let literal = &self.literals[index];
                let Some(bytes) = rest.get(..literal.bytes.len()) else {
                    continue;
                };
                if literal.agrees(0, bytes) {
                    found(at, index);
                }
            }
        }
    }
}

/// Returns the low and high nibbles of each of the first three bytes of
/// `literal` as bit sets, with both cases of a letter when it matches
/// either. Places past the end of a shorter literal get all nibbles.
fn nibbles(literal: &Literal) -> [(u16, u16); FINGERPRINT] {
    let mut sets = [(u16::MAX, u16::MAX); FINGERPRINT];
    for (set, &byte) in sets.iter_mut().zip(&literal.bytes) {
        *set = (0, 0);
        let mut cases = vec![byte];
        if literal.nocase && byte.is_ascii_alphabetic() {
            cases.push(byte ^ 0x20);
        }
        for case in cases {
            set.0 |= 1 << (case & 0x0f);
            set.1 |= 1 << (case >> 4);
        }
    }
    sets
}

/// Returns how many three-byte strings the bucket `bit` accepts, with
/// `extra` nibbles added: the product over the bytes of the number of
/// low nibbles times the number of high nibbles.
fn volume(
    low: &[[u8; 16]; 3],
    high: &[[u8; 16]; 3],
    bit: u8,
    extra: Option<&[(u16, u16); FINGERPRINT]>,
) -> u64 {
    let mut product = 1u64;
    for k in 0..FINGERPRINT {
        let (mut lows, mut highs) = (0u16, 0u16);
        for n in 0..16 {
            lows |= u16::from(low[k][n] & bit != 0) << n;
            highs |= u16::from(high[k][n] & bit != 0) << n;
        }
        if let Some(extra) = extra {
            lows |= extra[k].0;
            highs |= extra[k].1;
        }
        product *= u64::from(lows.count_ones() * highs.count_ones());
    }
    product
}

/// Returns how many three-byte strings the nibble sets of one literal
/// accept.
fn volume_of(sets: &[(u16, u16); FINGERPRINT]) -> u64 {
    sets.iter()
        .map(|&(low, high)| u64::from(low.count_ones() * high.count_ones()))
        .product()
}

/// The number of words of the bitmap of first byte pairs.
const PAIR_WORDS: usize = (1 << 16) / 64;

/// Returns the index of a pair of bytes in the bitmap of first byte
/// pairs.
#[inline]
fn pair_index(first: u8, second: u8) -> usize {
    usize::from(first) << 8 | usize::from(second)
}

/// Returns the first four bytes of `literal` as a little-endian word and
/// the mask of the bits to compare, with whether the word contains the
/// whole literal. The mask leaves out the bytes past the literal's end
/// and the case bit of a letter that matches either case.
fn head(literal: &Literal) -> (u32, u32, bool) {
    let mut value = 0u32;
    let mut bits = 0u32;
    for (i, &byte) in literal.bytes.iter().take(4).enumerate() {
        let mut byte_bits = 0xffu32;
        if literal.nocase && byte.is_ascii_alphabetic() {
            byte_bits &= !0x20;
        }
        bits |= byte_bits << (8 * i);
        value |= (u32::from(byte) & byte_bits) << (8 * i);
    }
    (value, bits, literal.bytes.len() <= 4)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{required, Literal, Literals};
    use crate::sensor::parse_hir;

    /// Returns the literals of `pattern` as `(bytes, nocase, min, max)`.
    fn of(pattern: &str) -> Option<Vec<(String, bool, usize, usize)>> {
        let hir = parse_hir(pattern).unwrap();
        required(&hir, 3, 64).map(|r| {
            r.literals
                .into_iter()
                .map(|l| {
                    (
                        String::from_utf8(l.bytes).unwrap(),
                        l.nocase,
                        l.min,
                        l.max,
                    )
                })
                .collect()
        })
    }

    #[test]
    fn literals_of_custom_patterns() {
        assert_eq!(
            of("ghp_[A-Za-z0-9]{36}"),
            Some(vec![("ghp_".into(), false, 0, 0)])
        );
        assert_eq!(
            of(r"[a-z0-9\-]{1,20}\.corp\.example\.com"),
            Some(vec![(".corp.example.co".into(), false, 1, 20)])
        );
        assert_eq!(
            of("(?i)top secret"),
            Some(vec![("top secret".into(), true, 0, 0)])
        );
        // The second `eyJ` is longer with its dot, but too far.
        assert_eq!(
            of(r"eyJ[a-z]{10,300}\.eyJ[a-z]{10,600}"),
            Some(vec![("eyJ".into(), false, 0, 0)])
        );
        assert_eq!(
            of("(?:ghu|ghs)_[A-Za-z0-9]{36}"),
            Some(vec![
                ("ghu".into(), false, 0, 0),
                ("ghs".into(), false, 0, 0)
            ])
        );
        // Too short, too far, or avoidable: no literal.
        assert_eq!(of("SK[0-9a-f]{32}"), None);
        assert_eq!(of("[a-z]{1,80}@corp\\.example\\.com"), None);
        assert_eq!(of("(?:abc)?[0-9]+"), None);
        assert_eq!(of("abc|[0-9]"), None);
    }

    fn naive(literals: &[Literal], haystack: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for at in 0..haystack.len() {
            for (index, literal) in literals.iter().enumerate() {
                let Some(bytes) = haystack.get(at..at + literal.bytes.len())
                else {
                    continue;
                };
                let equal = if literal.nocase {
                    bytes.eq_ignore_ascii_case(&literal.bytes)
                } else {
                    bytes == literal.bytes
                };
                if equal {
                    found.push((at, index));
                }
            }
        }
        found
    }

    /// Returns the literals that the end of `haystack` cuts.
    fn naive_cut(
        literals: &[Literal],
        haystack: &[u8],
    ) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for at in 0..haystack.len() {
            let rest = &haystack[at..];
            for (index, literal) in literals.iter().enumerate() {
                let Some(prefix) = literal.bytes.get(..rest.len()) else {
                    continue;
                };
                let equal = if literal.nocase {
                    rest.eq_ignore_ascii_case(prefix)
                } else {
                    rest == prefix
                };
                if equal && literal.bytes.len() > rest.len() {
                    found.push((at, index));
                }
            }
        }
        found
    }

    proptest! {
        #[test]
        fn search_finds_what_a_naive_search_finds(
            words in prop::collection::vec(
                (prop::collection::vec(prop::sample::select(b"abAB_-c".to_vec()), 1..6), any::<bool>()),
                1..20,
            ),
            haystack in prop::collection::vec(prop::sample::select(b"abAB_-cxC".to_vec()), 0..200),
        ) {
            let literals: Vec<Literal> = words
                .into_iter()
                .map(|(bytes, nocase)| Literal {
                    bytes: if nocase { bytes.to_ascii_lowercase() } else { bytes },
                    nocase,
                    min: 0,
                    max: 0,
                    lead: super::ByteSet::ALL,
                })
                .collect();
            let search = Literals::new(literals).unwrap();
            let expected = naive(search.literals(), &haystack);
            let len = haystack.len();
            for avx2 in [false, true] {
                let ranges = [(0, len), (1, len), (17, len), (0, len * 2 / 3)];
                for (from, to) in ranges {
                    let mut found = Vec::new();
                    search.find_with(&haystack, from, to, avx2, |at, index| {
                        found.push((at, index));
                    });
                    found.sort_unstable();
                    let expected: Vec<_> = expected
                        .iter()
                        .copied()
                        .filter(|&(at, _)| (from..to).contains(&at))
                        .collect();
                    prop_assert_eq!(
                        found, expected, "avx2 {}, {}..{}", avx2, from, to
                    );
                }
            }

            let mut cut = Vec::new();
            search.find_cut(&haystack, 0, |at, index| cut.push((at, index)));
            cut.sort_unstable();
            prop_assert_eq!(cut, naive_cut(search.literals(), &haystack));
        }
    }
}
