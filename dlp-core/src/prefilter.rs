//! The prefilter: trigger bytes that let the scan skip most of a haystack.
//!
//! For each pattern the engine picks a **trigger class** C and a
//! **lookback** D such that every match of the pattern has a byte of C at
//! most D bytes after its start. For the built-in sensors C is the digits
//! (D = 0 for numbers, 2 for an IBAN's check digits) or `@` (D = 64 for an
//! email's local part). A start position s can then only begin a match if
//! some trigger byte t lies in `s..=s + D`, so the scan builds a bit mask
//! of the trigger bytes of each 64-byte block with SIMD and evaluates only
//! the positions in `t - D..=t` before each set bit. The classes are derived from the compiled
//! automaton, so they hold for user sensors too; a pattern with no rare
//! class falls back to the bytes that can start it (D = 0).

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::start;
use regex_automata::{Anchored, PatternID};

/// The largest lookback a trigger class may need; a class that needs more
/// is not used.
const MAX_LOOKBACK: usize = 96;

/// Trigger classes tried for each pattern, rarest in HTTP traffic first.
const CLASSES: [&[(u8, u8)]; 2] = [&[(b'@', b'@')], &[(b'0', b'9')]];

/// The trigger bytes of an engine and how far before each one a match may
/// start.
#[derive(Clone, Debug)]
pub(crate) struct Triggers {
    lookback: [u16; 256],
    is_trigger: [bool; 256],
    /// The trigger bytes as inclusive ranges, for the SIMD search.
    ranges: Vec<(u8, u8)>,
    max_lookback: usize,
}

impl Triggers {
    /// Returns how far before trigger byte `byte` a match may start.
    #[inline]
    pub(crate) fn lookback(&self, byte: u8) -> usize {
        usize::from(self.lookback[usize::from(byte)])
    }

    /// Returns the largest lookback of any trigger byte.
    pub(crate) fn max_lookback(&self) -> usize {
        self.max_lookback
    }

    /// Returns a bit mask of the trigger bytes in `haystack[at..at + 64]`,
    /// bit i for byte `at + i`; bytes past the end of `haystack` count as
    /// no trigger.
    #[inline]
    pub(crate) fn mask64(&self, haystack: &[u8], at: usize) -> u64 {
        let Some(block) = haystack.get(at..) else { return 0 };
        #[cfg(target_arch = "x86_64")]
        if block.len() >= 64 {
            return match self.ranges.as_slice() {
                [a] => x86::mask64(block, [*a]),
                [a, b] => x86::mask64(block, [*a, *b]),
                [a, b, c] => x86::mask64(block, [*a, *b, *c]),
                [a, b, c, d] => x86::mask64(block, [*a, *b, *c, *d]),
                _ => self.mask64_scalar(block),
            };
        }
        self.mask64_scalar(block)
    }

    fn mask64_scalar(&self, block: &[u8]) -> u64 {
        let mut mask = 0;
        for (i, &byte) in block.iter().take(64).enumerate() {
            if self.is_trigger[usize::from(byte)] {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// Derives the triggers of every pattern of `dfa`, which must have been
    /// built with start states for each pattern.
    pub(crate) fn build(dfa: &DFA) -> Triggers {
        let mut cache = dfa.create_cache();
        let mut triggers = Triggers {
            lookback: [0; 256],
            is_trigger: [false; 256],
            ranges: Vec::new(),
            max_lookback: 0,
        };
        for pid in 0..dfa.pattern_len() {
            let Ok(pid) = PatternID::new(pid) else { continue };
            let (class, lookback) = choose(dfa, &mut cache, pid);
            for byte in 0..=255u8 {
                if class[usize::from(byte)] {
                    let slot = &mut triggers.lookback[usize::from(byte)];
                    *slot = (*slot).max(lookback as u16);
                    triggers.is_trigger[usize::from(byte)] = true;
                }
            }
            triggers.max_lookback = triggers.max_lookback.max(lookback);
        }
        let mut byte = 0usize;
        while byte < 256 {
            if !triggers.is_trigger[byte] {
                byte += 1;
                continue;
            }
            let first = byte;
            while byte < 256 && triggers.is_trigger[byte] {
                byte += 1;
            }
            triggers.ranges.push((first as u8, (byte - 1) as u8));
        }
        triggers
    }
}

/// Look-behind bytes under which start states are explored: start of
/// text, after a space, after a line feed, after a letter.
const LOOK_BEHINDS: [Option<u8>; 4] =
    [None, Some(b' '), Some(b'\n'), Some(b'a')];

/// Picks the trigger class and lookback of one pattern.
fn choose(
    dfa: &DFA,
    cache: &mut Cache,
    pid: PatternID,
) -> ([bool; 256], usize) {
    for ranges in CLASSES {
        let mut class = [false; 256];
        for &(lo, hi) in ranges {
            for byte in lo..=hi {
                class[usize::from(byte)] = true;
            }
        }
        if let Some(lookback) = lookback(dfa, cache, pid, &class) {
            return (class, lookback);
        }
    }
    (first_bytes(dfa, cache, pid), 0)
}

/// Returns the bytes that can start a match of `pid`.
fn first_bytes(dfa: &DFA, cache: &mut Cache, pid: PatternID) -> [bool; 256] {
    let mut class = [false; 256];
    for look_behind in LOOK_BEHINDS {
        let config = start::Config::new()
            .anchored(Anchored::Pattern(pid))
            .look_behind(look_behind);
        let Ok(sid) = dfa.start_state(cache, &config) else {
            return [true; 256];
        };
        for byte in 0..=255u8 {
            match dfa.next_state(cache, sid, byte) {
                Ok(next) if next.is_dead() => {}
                _ => class[usize::from(byte)] = true,
            }
        }
    }
    class
}

/// Returns the largest number of bytes outside `class` that a match of
/// `pid` can start with, or `None` if a match can avoid `class` entirely
/// or the number exceeds [`MAX_LOOKBACK`].
fn lookback(
    dfa: &DFA,
    cache: &mut Cache,
    pid: PatternID,
    class: &[bool; 256],
) -> Option<usize> {
    let clears = cache.clear_count();
    let mut longest = 0;
    for look_behind in LOOK_BEHINDS {
        let config = start::Config::new()
            .anchored(Anchored::Pattern(pid))
            .look_behind(look_behind);
        let sid = dfa.start_state(cache, &config).ok()?;
        let mut memo = std::collections::HashMap::new();
        longest = longest.max(depth(dfa, cache, sid, class, &mut memo, 0)?);
    }
    // A cleared cache invalidates the state ids the walk relied on.
    if cache.clear_count() != clears {
        return None;
    }
    Some(longest)
}

/// Returns the longest path from `sid` over bytes outside `class` that
/// stays alive, or `None` if such a path reaches a match.
fn depth(
    dfa: &DFA,
    cache: &mut Cache,
    sid: LazyStateID,
    class: &[bool; 256],
    memo: &mut std::collections::HashMap<LazyStateID, usize>,
    level: usize,
) -> Option<usize> {
    if let Some(&known) = memo.get(&sid) {
        return Some(known);
    }
    if level > MAX_LOOKBACK || sid.is_match() {
        return None;
    }
    let eoi = dfa.next_eoi_state(cache, sid).ok()?;
    if eoi.is_match() {
        return None;
    }
    let mut longest = 0;
    let mut seen = Vec::new();
    for byte in 0..=255u8 {
        if class[usize::from(byte)] {
            continue;
        }
        let next = dfa.next_state(cache, sid, byte).ok()?;
        if next.is_dead() || seen.contains(&next) {
            continue;
        }
        seen.push(next);
        if next.is_match() {
            return None;
        }
        let below = depth(dfa, cache, next, class, memo, level + 1)?;
        longest = longest.max(below + 1);
    }
    memo.insert(sid, longest);
    Some(longest)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8,
        _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Returns the bit mask of bytes of `block[..64]` in `ranges`.
    #[inline]
    pub(super) fn mask64<const N: usize>(
        block: &[u8],
        ranges: [(u8, u8); N],
    ) -> u64 {
        assert!(block.len() >= 64);
        // SAFETY: SSE2 is part of the x86_64 baseline, and the block holds
        // the 64 bytes read, as asserted above.
        unsafe { mask64_sse2(block, ranges) }
    }

    #[target_feature(enable = "sse2")]
    unsafe fn mask64_sse2<const N: usize>(
        block: &[u8],
        ranges: [(u8, u8); N],
    ) -> u64 {
        let ptr = block.as_ptr();
        let mut mask = 0u64;
        for k in 0..4 {
            // SAFETY: the caller guarantees 64 readable bytes, and
            // `16 * k + 16 <= 64`.
            let v =
                unsafe { _mm_loadu_si128(ptr.add(16 * k) as *const __m128i) };
            let mut any = _mm_set1_epi8(0);
            for &(low, high) in &ranges {
                let ge = _mm_cmpeq_epi8(
                    _mm_max_epu8(v, _mm_set1_epi8(low as i8)),
                    v,
                );
                let le = _mm_cmpeq_epi8(
                    _mm_min_epu8(v, _mm_set1_epi8(high as i8)),
                    v,
                );
                any = _mm_or_si128(any, _mm_and_si128(ge, le));
            }
            let bits = _mm_movemask_epi8(any) as u32 as u64;
            mask |= bits << (16 * k);
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn simd_mask_agrees_with_scalar() {
        let ranges = [(b'0', b'9'), (b'@', b'@'), (0xF0, 0xFF)];
        for hit in 0..=64 {
            let mut hay = vec![b'x'; 64];
            if hit < 64 {
                hay[hit] = [b'5', b'@', 0xF7][hit % 3];
            }
            let expected = if hit < 64 { 1u64 << hit } else { 0 };
            assert_eq!(super::x86::mask64(&hay, ranges), expected, "{hit}");
            hay[hit.min(63)] = b'/';
            assert_eq!(super::x86::mask64(&hay, ranges), 0, "{hit}");
        }
    }
}
