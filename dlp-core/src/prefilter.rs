//! The prefilter: trigger bytes that let the scan skip most of a haystack.
//!
//! For each pattern the engine picks a **trigger class** C and a
//! **lookback** D such that every match of the pattern has a byte of C at
//! most D bytes after its start. For the built-in sensors C is the digits
//! (D = 0 for numbers, 2 for an IBAN's check digits) or `@` (D = 64 for an
//! email's local part). The classes are derived from the compiled
//! automaton, so they hold for user sensors too; a pattern with no rare
//! class falls back to the bytes that can start it (D = 0).
//!
//! The same walk of the automaton gives the **skip**, the minimum number
//! of bytes outside C that every match starts with (2 for an IBAN). It
//! also gives the **lead class**, the bytes that may come before the first
//! byte of C (an email local part's letters, digits and `._%+-`). From
//! each pattern's syntax
//! the engine also counts how many bytes of C every match contains at
//! least (K), and takes the longest match (S). A start position s can then only
//! begin a match if no byte of C lies in `s..s + skip`, one lies in
//! `s + skip..=s + D`, and at least K lie in `s..s + S`. A US SSN, for
//! example, needs nine digits within eleven bytes, which rules out the
//! prices, dates and ids of ordinary traffic without running the
//! automaton.
//!
//! Patterns with the same class, skip and lookback form a **group** that
//! keeps the smallest K and skip, the largest S and lookback, and the
//! union of the lead classes of its members. The scan builds a bit mask of
//! each class over 64-byte blocks with SIMD, and runs the automaton only
//! at positions that pass the test of some group. Near the end of the
//! bytes a stream has at hand, where later bytes are unknown, a position
//! is skipped only if its test fails whatever they turn out to be; there
//! the lead class helps too: a match's first byte of C ends the run of
//! lead bytes at its start, so a run that ends on another byte rules the
//! position out. A position that passes only because its first trigger
//! byte may still arrive (a word at the end, before a possible `@`) waits
//! for more bytes without running the automaton.
//!
//! Custom sensors add three kinds of trigger. A pattern with a **required
//! literal** of three bytes or more (`ghp_`, `(?i)confidential`) is found
//! through it (see [`crate::literal`]): the literal class marks the
//! positions from which one of its literals starts within the pattern's
//! offsets. A pattern that fits no class but requires one given byte
//! (the `:` of a MAC address) puts it in the **rare class**, which is
//! then used like the digits, counts included. Other patterns get a
//! literal of two bytes, or else the fallback class.
//!
//! Last, a group with a short lookback gets a **body test** when it
//! would fire on nearly every trigger byte (no count) or counts digits.
//! Every match is a run of the bytes its pattern can contain, at least
//! as long as the shortest match, so a position must start such a run,
//! and only the trigger bytes of that run count. Numbers in text are
//! short, so a pattern of a digit and eight more letters or digits rules
//! most of them out. For the built-in sensors the run is of digits,
//! separators and the letters of a Corsican NIR: a timestamp such as
//! `2024-03-16T18:48:51Z` is a cluster of fourteen digits, but its run
//! stops at the `T` after eight.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::start;
use regex_automata::{Anchored, PatternID};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::collections::HashMap;

use crate::literal::{self, Literals, MAX_LITERALS};

/// The maximum lookback of a trigger class. A class that needs more is
/// not used. The scan's 128-bit window holds a position of the block
/// and the `MAX_LOOKBACK` bytes after it.
const MAX_LOOKBACK: usize = 64;

/// The longest match for which a pattern's count of trigger bytes is
/// tested; longer patterns are tested only for a trigger byte within
/// their lookback.
const MAX_SPAN: usize = 64;

/// The maximum gap between trigger bytes that the cluster test bridges.
/// A group whose matches may have longer gaps is not tested for clusters.
const MAX_GAP: usize = 4;

/// The maximum number of groups an engine keeps. Beyond it, the groups of
/// one class merge into one with the largest lookback; there is a slot
/// for each class, so that merge always fits.
const MAX_GROUPS: usize = 5;

/// Trigger classes tried for each pattern, rarest in HTTP traffic first.
/// A third class, the union of the start bytes of the patterns that fit
/// neither, is added when needed.
const CLASSES: [&[(u8, u8)]; 2] = [&[(b'@', b'@')], &[(b'0', b'9')]];

/// The index of the digits in the class tables.
const DIGITS: usize = 1;

const _: () = assert!(CLASSES[DIGITS][0].0 == b'0');

/// The index of the fallback class in the class tables.
const FALLBACK: usize = CLASSES.len();

/// The index of the literal class: not a class of bytes, but the
/// positions where a pattern with a required literal may start, worked
/// out by [`Starts`].
const LITERAL: usize = CLASSES.len() + 1;

/// The index of the rare class: the bytes that patterns without another
/// trigger require one of, such as the `:` of a MAC address.
const RARE: usize = CLASSES.len() + 2;

/// The number of trigger classes: those of `CLASSES`, the fallback, the
/// literal class and the rare class.
const TRIGGER_CLASSES: usize = CLASSES.len() + 3;

const _: () = assert!(MAX_GROUPS >= TRIGGER_CLASSES);

/// The slot of the word bytes (ASCII letters and digits, see
/// [`crate::engine::is_word`]), which the scan uses for boundaries.
pub(crate) const WORD: usize = TRIGGER_CLASSES + MAX_GROUPS;

/// The number of classes in the block masks: the trigger classes, the
/// body class of each group and the word bytes.
const BLOCK_CLASSES: usize = WORD + 1;

/// The maximum number of classes an engine keeps: those of the block
/// masks, then the lead class of each group.
pub(crate) const MAX_CLASSES: usize = BLOCK_CLASSES + MAX_GROUPS;

/// The maximum number of ranges of a body class. With more, its mask
/// would cost more than the test saves.
const MAX_BODY_RANGES: usize = 8;

/// The largest lookback of a group that gets a body test. A group with
/// a longer one, like the email addresses, is rare enough through its
/// trigger byte.
const MAX_BODY_LOOKBACK: usize = 8;

/// The masks of the classes of an engine over one 64-byte block: bit i of
/// entry c is set when byte i of the block is in class c.
pub(crate) type BlockMasks = [u64; MAX_CLASSES];

/// A set of bytes, with the ranges the SIMD search compares against.
#[derive(Clone, Debug)]
struct ByteClass {
    member: [bool; 256],
    ranges: Vec<(u8, u8)>,
    /// Lookup tables for a class of many ranges, when the CPU can use
    /// them: comparing against each range would cost more.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    nibbles: Option<Nibbles>,
}

/// A byte class as tables indexed by the low nibble of a byte. Entry n of
/// `ascii` has bit h set when the byte `h << 4 | n` (h below 8) is in the
/// class, and `high` does the same for the bytes from 0x80 on.
#[derive(Clone, Debug)]
struct Nibbles {
    ascii: [u8; 16],
    high: [u8; 16],
}

/// The number of ranges from which a class is tested through nibble
/// tables.
const NIBBLE_RANGES: usize = 4;

impl ByteClass {
    fn new(member: [bool; 256]) -> ByteClass {
        let mut ranges = Vec::new();
        let mut byte = 0usize;
        while byte < 256 {
            if !member[byte] {
                byte += 1;
                continue;
            }
            let first = byte;
            while byte < 256 && member[byte] {
                byte += 1;
            }
            ranges.push((first as u8, (byte - 1) as u8));
        }
        let nibbles =
            (ranges.len() >= NIBBLE_RANGES && has_ssse3()).then(|| {
                let mut tables = Nibbles { ascii: [0; 16], high: [0; 16] };
                for (byte, _) in member.iter().enumerate().filter(|(_, &m)| m)
                {
                    let (high, low) = (byte >> 4, byte & 0x0f);
                    let table = if high < 8 {
                        &mut tables.ascii
                    } else {
                        &mut tables.high
                    };
                    table[low] |= 1 << (high & 7);
                }
                tables
            });
        ByteClass { member, ranges, nibbles }
    }

    /// Returns a bit mask of the bytes of `haystack[at..at + 64]` in the
    /// class, bit i for byte `at + i`; bytes past the end of `haystack`
    /// count as outside.
    #[inline]
    fn mask64(&self, haystack: &[u8], at: usize) -> u64 {
        let Some(block) = haystack.get(at..) else { return 0 };
        if block.is_empty() {
            return 0;
        }
        if block.len() < 64 && self.ranges.len() <= 8 {
            // A short block is copied into a full one; its padding bits
            // are cleared.
            let mut padded = [0u8; 64];
            padded[..block.len()].copy_from_slice(block);
            let valid = (1u64 << block.len()) - 1;
            return self.mask64(&padded, 0) & valid;
        }
        #[cfg(target_arch = "x86_64")]
        if let (Some(tables), true) = (&self.nibbles, block.len() >= 64) {
            // SAFETY: `nibbles` is only set when the CPU has SSSE3.
            return unsafe { x86::mask64_nibbles(block, tables) };
        }
        #[cfg(target_arch = "x86_64")]
        if block.len() >= 64 {
            let ranges = self.ranges.as_slice();
            return match ranges.len() {
                1 => x86::mask64_of::<1>(block, ranges),
                2 => x86::mask64_of::<2>(block, ranges),
                3 => x86::mask64_of::<3>(block, ranges),
                4 => x86::mask64_of::<4>(block, ranges),
                5 => x86::mask64_of::<5>(block, ranges),
                6 => x86::mask64_of::<6>(block, ranges),
                7 => x86::mask64_of::<7>(block, ranges),
                8 => x86::mask64_of::<8>(block, ranges),
                _ => self.mask64_scalar(block),
            };
        }
        self.mask64_scalar(block)
    }

    fn mask64_scalar(&self, block: &[u8]) -> u64 {
        let mut mask = 0;
        for (i, &byte) in block.iter().take(64).enumerate() {
            if self.member[usize::from(byte)] {
                mask |= 1 << i;
            }
        }
        mask
    }
}

/// Returns whether the CPU can compute a block's masks with AVX2.
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Returns whether the CPU can run the nibble table search.
fn has_ssse3() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("ssse3")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Several byte classes tested through shared nibble lookups.
///
/// Each class is a union of rectangles: a set of high nibbles times a set
/// of low nibbles (the digits are high nibble 3 times low nibbles 0 to
/// 9). The rectangles of all the classes, deduplicated, become category
/// bits: bit b of `low[n]` is set when rectangle b contains low nibble n,
/// and likewise for `high`. Looking up both nibbles of a byte and taking
/// the AND gives its categories, and a class is a mask of categories. With
/// at most sixteen rectangles, a block's masks for every class take two
/// or four table lookups per 32 bytes and three instructions per class,
/// rather than a comparison per range of each class.
#[derive(Clone, Debug)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Shufti {
    /// The tables of categories 0 to 7, then 8 to 15.
    low: [[u8; 16]; 2],
    high: [[u8; 16]; 2],
    /// Whether categories 8 to 15 are in use.
    wide: bool,
    /// Each class's slot in [`BlockMasks`] and its categories, the low
    /// eight and the high eight.
    classes: Vec<(usize, [u8; 2])>,
}

/// The number of categories a [`Shufti`] can hold.
const CATEGORIES: usize = 16;

impl Shufti {
    /// Returns the plan for `classes[slot]` of each of `slots`, or `None`
    /// if their rectangles do not fit in [`CATEGORIES`].
    fn new(classes: &[Option<ByteClass>], slots: &[usize]) -> Option<Shufti> {
        // Each rectangle as (high nibbles, low nibbles), one bit each.
        let mut rectangles: Vec<(u16, u16)> = Vec::new();
        let mut uses = Vec::with_capacity(slots.len());
        for &slot in slots {
            let class = classes.get(slot)?.as_ref()?;
            let mut lows = [0u16; 16];
            for byte in (0..256).filter(|&b| class.member[b]) {
                lows[byte >> 4] |= 1 << (byte & 0x0f);
            }
            let mut categories = 0u16;
            for &row in lows.iter().filter(|&&row| row != 0) {
                // The high nibbles whose row is the same form one
                // rectangle.
                let highs = (0..16)
                    .filter(|&h| lows[h] == row)
                    .fold(0u16, |acc, h| acc | 1 << h);
                let index =
                    match rectangles.iter().position(|&r| r == (highs, row)) {
                        Some(index) => index,
                        None => {
                            rectangles.push((highs, row));
                            rectangles.len() - 1
                        }
                    };
                if index >= CATEGORIES {
                    return None;
                }
                categories |= 1 << index;
            }
            uses.push((slot, categories.to_le_bytes()));
        }
        let mut plan = Shufti {
            low: [[0; 16]; 2],
            high: [[0; 16]; 2],
            wide: rectangles.len() > 8,
            classes: uses,
        };
        for (index, &(highs, lows)) in rectangles.iter().enumerate() {
            let (half, bit) = (index / 8, 1u8 << (index % 8));
            for nibble in 0..16 {
                if lows >> nibble & 1 == 1 {
                    plan.low[half][nibble] |= bit;
                }
                if highs >> nibble & 1 == 1 {
                    plan.high[half][nibble] |= bit;
                }
            }
        }
        Some(plan)
    }
}

/// Patterns that share a trigger class and a lookback.
#[derive(Clone, Debug)]
struct Group {
    /// Index into [`BlockMasks`].
    class: usize,
    /// The bytes a match may hold before its first trigger byte.
    lead: [bool; 256],
    /// Every match starts with at least this many bytes outside the class.
    skip: usize,
    /// Every match contains a trigger byte at most this far after its start.
    lookback: usize,
    /// Every match contains at least this many trigger bytes within `span`
    /// bytes of its start.
    min_count: u32,
    span: usize,
    /// The maximum number of other bytes between two trigger bytes of a
    /// match, if it is known and at most [`MAX_GAP`].
    gap: Option<usize>,
    /// The bytes a match may contain, and the length of the shortest
    /// match: every match starts a run of at least `body_len` bytes of
    /// `body`. A `body_len` of zero means no body test.
    body: [bool; 256],
    body_len: usize,
}

/// The result of [`Triggers::may_pass`] for a position whose test bytes
/// are not all at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No match can start there, whatever the missing bytes are.
    Fail,
    /// A match may start there, and the automaton may decide it now.
    Pass,
    /// A match may start there, but only with a trigger byte that is
    /// still missing, so the automaton cannot confirm it before more
    /// bytes arrive: the position waits for them.
    Wait,
}

/// A group's test as bit masks over the bytes from a position on.
#[derive(Clone, Copy, Debug)]
struct Test {
    class: usize,
    /// Bytes that must be outside the class: `0..skip`.
    clear: u128,
    /// Bytes of which one must be in the class: `skip..=lookback`.
    some: u128,
    /// Bytes of which `min_count` must be in the class: `0..span`; zero,
    /// with a `min_count` of zero, when `some` implies the count.
    count: u128,
    min_count: u32,
    skip: usize,
    lookback: usize,
    /// Index into [`BlockMasks`] of the group's lead class, if any.
    lead: Option<usize>,
    /// The gap bound of a group whose matches start with a trigger byte.
    /// Its count then only takes the cluster at the position: the trigger
    /// bytes reached by steps over gaps of at most this many other bytes.
    gap: Option<usize>,
    /// Index into [`BlockMasks`] of the group's body class and the run
    /// of body bytes a position must start, if the group has one.
    body: Option<(usize, usize)>,
}

impl Test {
    fn new(group: &Group, lead: Option<usize>, body: Option<usize>) -> Test {
        debug_assert!(group.lookback <= MAX_LOOKBACK, "{group:?}");
        let clear = low_bits(group.skip);
        let some = low_bits(group.lookback + 1) & !clear;
        let count = if group.min_count > 1 { low_bits(group.span) } else { 0 };
        // The cluster needs the trigger bytes up to `gap` bytes past the
        // span, which stay inside the scan's 128-bit window.
        let gap = group.gap.filter(|&gap| {
            group.lookback == 0 && count != 0 && group.span + gap <= 64
        });
        Test {
            class: group.class,
            clear,
            some,
            count,
            min_count: if count == 0 { 0 } else { group.min_count },
            skip: group.skip,
            lookback: group.lookback,
            lead,
            gap,
            body: body.map(|slot| (slot, group.body_len.min(MAX_SPAN))),
        }
    }

    /// Like [`Test::passes`] when only the first `known` bits are known.
    /// `lead` is the mask of the group's lead class from the position on,
    /// when the group has one. The bytes before a match's first trigger
    /// byte are all lead bytes, so that trigger byte ends the run of lead
    /// bytes at the position.
    #[inline(always)]
    fn may_pass(
        &self,
        ahead: u128,
        known: usize,
        lead: Option<u128>,
        body: Option<u128>,
    ) -> Verdict {
        let unknown = !low_bits(known);
        let ahead = ahead & !unknown;
        if ahead & self.clear != 0 || (ahead | unknown) & self.some == 0 {
            return Verdict::Fail;
        }
        let pass =
            if ahead & self.some == 0 { Verdict::Wait } else { Verdict::Pass };
        // A match lies in the run of body bytes at the position, so
        // trigger bytes past that run do not count.
        let mut within = u128::MAX;
        if let (Some(body), Some((_, len))) = (body, self.body) {
            let body = body | unknown;
            if body & low_bits(len) != low_bits(len) {
                return Verdict::Fail;
            }
            within = run_at(body);
        }
        if let Some(lead) = lead {
            let run = (!(lead & !unknown)).trailing_zeros() as usize;
            let trigger_ends_run = if run >= known {
                // The first trigger byte may still arrive in time.
                known <= self.lookback
            } else {
                (self.skip..=self.lookback).contains(&run)
                    && (ahead >> run) & 1 == 1
            };
            if !trigger_ends_run {
                return Verdict::Fail;
            }
        }
        if self.min_count == 0 {
            return pass;
        }
        // Unknown bytes may be trigger bytes and bridge gaps.
        let cluster = match self.gap {
            Some(gap) => cluster(((ahead | unknown) & within) as u64, gap),
            None => u128::MAX,
        } & within;
        if count64(ahead & self.count & cluster)
            + count64(unknown & self.count & cluster)
            >= self.min_count
        {
            pass
        } else {
            Verdict::Fail
        }
    }

    /// Returns the mask of the positions of `allowed` in a 128-byte window
    /// that may pass the test, without the lead class: `class` has the
    /// trigger bytes known to be there, `targets` those that may be
    /// (`class` plus any missing bytes). A position needs a target
    /// within its lookback and no trigger byte before its skip. With a
    /// body test, it must start a run of body bytes as long as the
    /// shortest match. Otherwise, when the group counts trigger bytes in
    /// clusters, it must start a run of at least `min_count` targets
    /// once short gaps are filled: the cluster at a match's start
    /// contains that many. One run test rules out nearly as much as both,
    /// for half the shifts, and it is skipped when no allowed position
    /// is left. The exact distances and counts are left to
    /// [`Test::passes`] and [`Test::may_pass`].
    #[inline(always)]
    fn bulk(
        &self,
        class: u128,
        targets: u128,
        body: u128,
        allowed: u128,
    ) -> u128 {
        let mut ok = smear_back(
            shr_fill(targets, self.skip),
            self.lookback - self.skip,
        );
        for k in 0..self.skip {
            ok &= !(class >> k);
        }
        ok &= allowed;
        if ok == 0 {
            return 0;
        }
        if let Some((_, len)) = self.body {
            ok &= run_starts(body, len);
        } else if let (Some(gap), true) = (self.gap, self.min_count > 1) {
            ok &= run_starts(
                targets | closing(targets, gap),
                self.min_count as usize,
            );
        }
        ok
    }

    /// Returns whether a match of the group may start at bit 0 of
    /// `ahead`, the class mask from that position on. `body` is the mask
    /// of the group's body class from the position on, if it has one.
    #[inline]
    fn passes(&self, ahead: u128, body: u128) -> bool {
        if ahead & self.clear != 0 || ahead & self.some == 0 {
            return false;
        }
        let mut ahead = ahead;
        if let Some((_, len)) = self.body {
            if body & low_bits(len) != low_bits(len) {
                return false;
            }
            // A match lies in the run of body bytes at the position.
            ahead &= run_at(body);
        }
        match self.gap {
            // The cluster is a part of the count's span, so its count is
            // the only one needed.
            Some(_) => self.cluster_passes(ahead),
            None => count64(ahead & self.count) >= self.min_count,
        }
    }

    /// Returns the 128-bit mask of the group's body class over a block and
    /// the bytes after it, or all ones if it has none.
    #[inline]
    fn body_window(&self, block: &BlockMasks, after: &BlockMasks) -> u128 {
        match self.body {
            Some((slot, _)) => window(block, after, slot),
            None => u128::MAX,
        }
    }

    /// Returns whether the cluster of trigger bytes at bit 0 of `ahead`
    /// holds enough of them, or `true` for a group without a gap bound.
    /// Run last: it costs more than the other tests.
    #[inline]
    fn cluster_passes(&self, ahead: u128) -> bool {
        let Some(gap) = self.gap else { return true };
        let cluster = cluster(ahead as u64, gap);
        count64(ahead & self.count & cluster) >= self.min_count
    }
}

/// Returns the positions of a 128-byte window whose run of `lead` bytes
/// may end at a byte of `targets` within the lookback of `test`: the
/// first byte after the run must be a trigger byte or a missing one.
/// `class` contains the trigger bytes at hand, and the first `known` bytes
/// are at hand.
#[inline]
fn lead_run_ends(
    lead: u128,
    targets: u128,
    class: u128,
    known: usize,
    test: &Test,
) -> u128 {
    let good = !lead & targets;
    if test.lookback <= MAX_BODY_LOOKBACK {
        // A short lookback: each length of run is tried. `run` marks
        // the positions followed by `length` lead bytes.
        let mut run = u128::MAX;
        let mut ends = 0;
        for length in 0..=test.lookback {
            ends |= run & shr_fill(good, length);
            run &= lead >> length;
        }
        ends
    } else if class == 0 {
        // No trigger byte at hand: only the run of lead bytes that
        // reaches the missing bytes can end well. The window has 128
        // positions, so more known bytes count as 128.
        let known = known.min(128);
        let last_run = match known {
            0 => 0,
            _ => (lead << (128 - known)).leading_ones() as usize,
        };
        !low_bits(known - last_run)
    } else {
        // Bit-reversed, an addition carries from the byte before a good
        // end through the run.
        let good = good.reverse_bits();
        let lead = lead.reverse_bits();
        let seeds = (good << 1) & lead;
        let runs = (lead.wrapping_add(seeds) ^ lead) & lead;
        (good | runs).reverse_bits()
    }
}

/// Counts the set bits of a count mask, which lies within the low 64 bits
/// since a span is at most [`MAX_SPAN`] bytes.
#[inline]
fn count64(mask: u128) -> u32 {
    const _: () = assert!(MAX_SPAN <= 64);
    (mask as u64).count_ones()
}

/// Returns the mask of the cluster at bit 0 of `mask`: the bits up to the
/// first run of more than `gap` clear bits. Only bits below `64 - gap` are
/// exact, which covers a span of at most `64 - gap` bytes.
#[inline]
fn cluster(mask: u64, gap: usize) -> u128 {
    let closed = closing(u128::from(mask), gap) as u64;
    low_bits((!(closed | mask)).trailing_zeros() as usize)
}

/// Returns the bits of the gaps of at most `gap` clear bits between set
/// bits of `mask` (a morphological closing). Each set bit is spread `gap`
/// places up, then only the bits whose next `gap` bits are all set are
/// kept, which fills the short gaps only. Both steps double their reach
/// at each shift, as in [`smear_back`]. When bit 127 of the spread mask
/// is set, the bits past the top count as set.
#[inline]
fn closing(mask: u128, gap: usize) -> u128 {
    let spread = doubling(mask, gap + 1, |acc, width| acc | acc << width);
    run_starts(spread, gap + 1)
}

/// Returns the mask whose bit i is set when bits `i..i + len` of `mask`
/// are all set, where the bits past the top copy bit 127 (see
/// [`shr_fill`]).
#[inline]
fn run_starts(mask: u128, len: usize) -> u128 {
    doubling(mask, len, |acc, width| acc & shr_fill(acc, width))
}

/// Returns the mask of the run of set bits at bit 0 of `mask`.
#[inline]
fn run_at(mask: u128) -> u128 {
    low_bits((!mask).trailing_zeros() as usize)
}

/// Shifts `mask` right by `n` bits, copying bit 127 into the bits
/// shifted in. In a window whose last byte is missing, a missing byte is
/// counted as a trigger or body byte, and the bytes past the window are
/// missing too. With this shift, the masks of [`Test::bulk`] are right
/// for every position of the window, not only the first 64. For a
/// position in the first 64 the copied bits never matter, since a test
/// looks at most 64 bytes ahead.
#[inline]
fn shr_fill(mask: u128, n: usize) -> u128 {
    ((mask as i128) >> n) as u128
}

/// Returns a mask of the `n` lowest bits.
#[inline]
fn low_bits(n: usize) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// Returns the mask whose bit i is set when some bit of `window` in
/// `i..=i + lookback` is, where the bits past the top copy bit 127 (see
/// [`shr_fill`]).
#[inline]
fn smear_back(window: u128, lookback: usize) -> u128 {
    doubling(window, lookback + 1, |acc, width| acc | shr_fill(acc, width))
}

/// Applies `step` to `mask` with widths that double from 1, then with
/// the width that brings their sum to `len - 1`. When `step` combines a
/// mask with itself shifted by the width, each bit of the result
/// combines `len` neighbouring bits of `mask` in `log2(len)` steps. The
/// doubling widths are constants, because a shift by a constant costs a
/// few instructions less than one by a variable amount.
#[inline(always)]
fn doubling(
    mask: u128,
    len: usize,
    step: impl Fn(u128, usize) -> u128,
) -> u128 {
    debug_assert!(len <= 128);
    let mut acc = mask;
    let mut width = 1;
    for constant in [1, 2, 4, 8, 16, 32] {
        if constant * 2 > len {
            break;
        }
        acc = step(acc, constant);
        width = constant * 2;
    }
    if width < len {
        acc = step(acc, len - width);
    }
    acc
}

/// The trigger classes and groups of an engine.
#[derive(Clone, Debug)]
pub(crate) struct Triggers {
    /// The classes, indexed like [`BlockMasks`]; `None` when no group
    /// uses it.
    classes: [Option<ByteClass>; MAX_CLASSES],
    /// The slots of `classes` that hold a class, in order.
    active: Vec<usize>,
    /// How many slots of `active` are below [`BLOCK_CLASSES`].
    block_active: usize,
    /// Whether the CPU has AVX2, so a block's masks take one pass.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    avx2: bool,
    /// The nibble lookups for the classes below [`BLOCK_CLASSES`] and for
    /// all the classes, when the CPU has AVX2 and they fit.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    shufti: [Option<Shufti>; 2],
    /// The test of each group.
    tests: Vec<Test>,
    /// How many bytes from a position on the test looks at.
    reach: usize,
    /// The required literals of the patterns of the literal class.
    literals: Option<Literals>,
}

impl Triggers {
    /// Returns how many bytes from a position on (the position included)
    /// [`Triggers::passes`] looks at. A position with fewer bytes after
    /// it must be evaluated without the test unless the haystack ends
    /// there.
    pub(crate) fn reach(&self) -> usize {
        self.reach
    }

    /// Returns a bitmap for the literal class, or `None` if no group
    /// uses it. `eof` is set when the bytes end the haystack, and
    /// positions from `end` on are not needed.
    pub(crate) fn starts(&self, eof: bool, end: usize) -> Option<Starts> {
        self.literals.as_ref().map(|_| Starts::new(eof, end))
    }

    /// Writes the trigger class masks of `haystack[at..at + 64]` to their
    /// slots of `masks`, leaving the other slots alone. `starts` comes
    /// from [`Triggers::starts`] for the same haystack.
    ///
    /// The masks are written in place: returning the array would copy
    /// it with wide loads just after the narrow stores that filled it,
    /// which the CPU cannot forward.
    #[inline]
    pub(crate) fn block_masks(
        &self,
        haystack: &[u8],
        at: usize,
        starts: Option<&mut Starts>,
        masks: &mut BlockMasks,
    ) {
        self.masks(haystack, at, BLOCK_CLASSES, masks);
        self.add_literal_mask(masks, haystack, at, starts);
    }

    /// Returns the masks of every class, lead classes included, of
    /// `haystack[at..at + 64]`.
    pub(crate) fn all_masks(
        &self,
        haystack: &[u8],
        at: usize,
        starts: Option<&mut Starts>,
    ) -> BlockMasks {
        let mut masks = [0; MAX_CLASSES];
        self.masks(haystack, at, MAX_CLASSES, &mut masks);
        self.add_literal_mask(&mut masks, haystack, at, starts);
        masks
    }

    /// Fills the literal class mask of `haystack[at..at + 64]` from
    /// `starts`, when the engine has literals.
    #[inline]
    fn add_literal_mask(
        &self,
        masks: &mut BlockMasks,
        haystack: &[u8],
        at: usize,
        starts: Option<&mut Starts>,
    ) {
        if let (Some(literals), Some(starts)) = (&self.literals, starts) {
            masks[LITERAL] = starts.mask(literals, haystack, at);
        }
    }

    /// Writes the masks of the classes below `count` of
    /// `haystack[at..at + 64]` to their slots of `masks`.
    #[inline]
    fn masks(
        &self,
        haystack: &[u8],
        at: usize,
        count: usize,
        masks: &mut BlockMasks,
    ) {
        // `active` is sorted, so the slots below `count` are a prefix of it.
        let slots = if count >= MAX_CLASSES {
            &self.active[..]
        } else {
            &self.active[..self.block_active]
        };
        debug_assert!(slots.iter().all(|&s| s < count));
        let block = haystack.get(at..).unwrap_or_default();
        if block.len() < 64 {
            // A short block is copied once into a full one for all the
            // classes, and its padding bits are cleared.
            if block.is_empty() {
                for &slot in slots {
                    masks[slot] = 0;
                }
                return;
            }
            let mut padded = [0u8; 64];
            padded[..block.len()].copy_from_slice(block);
            let valid = (1u64 << block.len()) - 1;
            self.masks(&padded, 0, count, masks);
            for &slot in slots {
                masks[slot] &= valid;
            }
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            let plan = &self.shufti[usize::from(count >= MAX_CLASSES)];
            // SAFETY: `avx2` is only set when the CPU has AVX2, and so is
            // a plan; the block holds 64 bytes.
            unsafe {
                match plan {
                    Some(plan) => x86::masks_shufti(block, plan, masks),
                    None => {
                        x86::masks_avx2(block, &self.classes, slots, masks)
                    }
                }
            }
            return;
        }
        for &slot in slots {
            if let Some(class) = &self.classes[slot] {
                masks[slot] = class.mask64(block, 0);
            }
        }
    }

    /// Returns the positions of a block (bit i for its byte i) that may
    /// pass the test of some group: a cheaper test of all the positions
    /// at once, run before [`Triggers::passes`]. `block` and `after` are
    /// the masks of the block and of the 64 bytes after it, and only the
    /// positions of `allowed` are considered.
    ///
    /// This is [`Triggers::may_pass_mask`] with every byte known and
    /// without the lead classes, which the block masks do not hold.
    #[inline]
    pub(crate) fn reached(
        &self,
        block: &BlockMasks,
        after: &BlockMasks,
        allowed: u64,
    ) -> u64 {
        let mut reached = 0u64;
        for test in &self.tests {
            let class = window(block, after, test.class);
            if class != 0 {
                let body = test.body_window(block, after);
                let allowed = u128::from(allowed);
                reached |= test.bulk(class, class, body, allowed) as u64;
            }
        }
        reached
    }

    /// Returns whether a match may start at byte `off` of a block: some
    /// group finds its trigger byte within its lookback and its count of
    /// trigger bytes within its span.
    #[inline]
    pub(crate) fn passes(
        &self,
        block: &BlockMasks,
        after: &BlockMasks,
        off: u32,
    ) -> bool {
        self.tests.iter().any(|test| {
            let body = test.body_window(block, after) >> off;
            test.passes(window(block, after, test.class) >> off, body)
        })
    }

    /// Like [`Triggers::passes`] when only the first `known` bytes from the
    /// position on are at hand: returns [`Verdict::Fail`] only if no group
    /// can pass whatever the missing bytes turn out to be, and
    /// [`Verdict::Wait`] if every group that may pass still needs its
    /// first trigger byte. `block` and `after` come from
    /// [`Triggers::all_masks`], and the test also uses lead classes.
    /// `off` is any position of the 128-byte window for which
    /// `off + known` is at most 128.
    #[inline]
    pub(crate) fn may_pass(
        &self,
        block: &BlockMasks,
        after: &BlockMasks,
        off: u32,
        known: usize,
    ) -> Verdict {
        let mut verdict = Verdict::Fail;
        for test in &self.tests {
            let ahead = window(block, after, test.class) >> off;
            let lead = test.lead.map(|lead| window(block, after, lead) >> off);
            let body =
                test.body.map(|(slot, _)| window(block, after, slot) >> off);
            match test.may_pass(ahead, known, lead, body) {
                Verdict::Pass => return Verdict::Pass,
                Verdict::Wait => verdict = Verdict::Wait,
                Verdict::Fail => {}
            }
        }
        verdict
    }

    /// Returns a mask of the positions of a 128-byte window (bit i for
    /// byte i) that [`Triggers::may_pass`] may accept when only its first
    /// `known` bytes are at hand: a cheaper test of all the positions at
    /// once, run first. `block` and `after` come from
    /// [`Triggers::all_masks`]. When the window contains every byte at hand
    /// (`known` is less than 128), all its positions are tested: the
    /// bytes past it are missing. Otherwise only the first 64 are, since
    /// the test bytes of a later one may lie past the window, and the
    /// others are always in the mask.
    ///
    /// Per group, a position needs a trigger byte or a missing byte within
    /// its lookback, and no trigger byte before its skip. When the group
    /// has a lead class, the run of lead bytes at the position must end at
    /// a trigger byte or a missing byte. When it counts trigger bytes, the
    /// position must start a run of at least that many trigger or missing
    /// bytes once short gaps are filled. The exact distances are left to
    /// `may_pass`.
    #[inline]
    pub(crate) fn may_pass_mask(
        &self,
        block: &BlockMasks,
        after: &BlockMasks,
        known: usize,
    ) -> u128 {
        let unknown = !low_bits(known);
        let mut pass = if known < 128 { 0 } else { !low_bits(64) };
        for test in &self.tests {
            let class = window(block, after, test.class) & !unknown;
            let targets = class | unknown;
            let body = test.body_window(block, after) | unknown;
            let mut ok = test.bulk(class, targets, body, u128::MAX);
            if let Some(lead) = test.lead {
                let lead = window(block, after, lead) & !unknown;
                ok &= lead_run_ends(lead, targets, class, known, test);
            }
            pass |= ok;
        }
        pass
    }

    /// Derives the triggers of every pattern of `dfa`, which must have been
    /// built from `patterns` with start states for each pattern.
    pub(crate) fn build(dfa: &DFA, patterns: &[&str]) -> Triggers {
        Triggers::build_within(
            dfa,
            patterns,
            &mut StepCache::new(dfa, WALK_STEPS),
        )
    }

    /// Derives the triggers as [`Triggers::build`] does, with the walks'
    /// cache and step budget in `cache`.
    fn build_within(
        dfa: &DFA,
        patterns: &[&str],
        cache: &mut StepCache,
    ) -> Triggers {
        let mut tables = [[false; 256]; TRIGGER_CLASSES];
        for (table, ranges) in tables.iter_mut().zip(CLASSES) {
            for &(low, high) in ranges {
                for byte in low..=high {
                    table[usize::from(byte)] = true;
                }
            }
        }
        let hirs: Vec<Option<Hir>> = patterns
            .iter()
            .map(|p| crate::sensor::parse_hir(p).ok())
            .collect();
        // The bytes before a literal in a match are bytes of the match.
        let required = |pid: PatternID, min_len: usize| {
            let hir = hirs.get(pid.as_usize())?.as_ref()?;
            let mut found = literal::required(hir, min_len, MAX_LOOKBACK)?;
            let mut bytes = [false; 256];
            body_bytes(hir, &mut bytes);
            let lead = literal::ByteSet::of(&bytes);
            for literal in &mut found.literals {
                literal.lead = lead;
            }
            Some(found)
        };
        let mut literals = Vec::new();
        let mut add = |found: literal::Required| {
            if literals.len() + found.literals.len() > MAX_LITERALS {
                return false;
            }
            literals.extend(found.literals);
            true
        };
        // A pattern with a required literal of three bytes or more is
        // found through it: that is rarer than any trigger class. Then
        // come the fixed classes.
        let mut chosen = Vec::with_capacity(patterns.len());
        let mut pending = Vec::new();
        for pid in 0..dfa.pattern_len() {
            let Ok(pid) = PatternID::new(pid) else { continue };
            if required(pid, literal::STRONG_LEN).is_some_and(&mut add) {
                chosen.push((LITERAL, 0, 0, [false; 256]));
                continue;
            }
            cache.begin_pattern(PATTERN_STEPS);
            let choice = choose(dfa, cache, pid, &tables);
            if choice.0 == FALLBACK {
                // A pattern that requires one given byte puts it in the
                // rare class.
                if let Some(found) = required(pid, 1) {
                    if let [single] = &found.literals[..] {
                        if let [byte] = single.bytes[..] {
                            tables[RARE][usize::from(byte)] = true;
                            if single.nocase {
                                tables[RARE][usize::from(byte ^ 0x20)] = true;
                            }
                        }
                    }
                }
                pending.push(chosen.len());
            }
            chosen.push(choice);
        }
        // The rest: the rare class, then a literal of two bytes, then
        // the bytes a match starts with. A literal of one byte at the
        // match's start would only repeat the start bytes.
        for index in pending {
            let Ok(pid) = PatternID::new(index) else { continue };
            cache.begin_pattern(PATTERN_STEPS);
            let rare = &tables[RARE];
            if rare.contains(&true) {
                if let Some((lookback, lead)) = lookback(dfa, cache, pid, rare)
                {
                    let skip = skip(dfa, cache, pid, rare).min(lookback);
                    chosen[index] = (RARE, skip, lookback, lead);
                    continue;
                }
            }
            if required(pid, 2).is_some_and(&mut add) {
                chosen[index] = (LITERAL, 0, 0, [false; 256]);
                continue;
            }
            let starts = first_bytes(dfa, cache, pid);
            for (slot, start) in tables[FALLBACK].iter_mut().zip(starts) {
                *slot |= start;
            }
        }
        let mut groups: Vec<Group> = Vec::new();
        for (&(class, skip, lookback, lead), pattern) in
            chosen.iter().zip(patterns)
        {
            if class == LITERAL {
                // The literal class marks the possible starts themselves.
                let member = Group {
                    class,
                    lead: [false; 256],
                    skip: 0,
                    lookback: 0,
                    min_count: 1,
                    span: 1,
                    gap: None,
                    body: [true; 256],
                    body_len: 0,
                };
                merge(&mut groups, member, |g| g.class == LITERAL);
                continue;
            }
            let (count, len, gap) = counts(pattern, &tables[class]);
            let (body, body_len) = body(pattern);
            let (min_count, span) = match len {
                Some(len) if len <= MAX_SPAN => {
                    (count.max(1), len.max(lookback + 1))
                }
                _ => (1, lookback + 1),
            };
            let member = Group {
                class,
                lead,
                skip,
                lookback,
                min_count: min_count.min(u32::MAX as usize) as u32,
                span,
                gap: gap.filter(|&gap| gap <= MAX_GAP),
                body,
                body_len,
            };
            merge(&mut groups, member, |g| {
                g.class == class && g.skip == skip && g.lookback == lookback
            });
        }
        if groups.len() > MAX_GROUPS {
            let separate = std::mem::take(&mut groups);
            for member in separate {
                let class = member.class;
                merge(&mut groups, member, |g| g.class == class);
            }
        }
        let mut classes: [Option<ByteClass>; MAX_CLASSES] = Default::default();
        classes[WORD] = Some(ByteClass::new(std::array::from_fn(|byte| {
            crate::engine::is_word(byte as u8)
        })));
        let mut tests = Vec::with_capacity(groups.len());
        for (index, group) in groups.iter().enumerate() {
            if classes[group.class].is_none() && group.class != LITERAL {
                classes[group.class] =
                    Some(ByteClass::new(tables[group.class]));
            }
            let lead = group.lead.contains(&true).then(|| {
                let slot = BLOCK_CLASSES + index;
                classes[slot] = Some(ByteClass::new(group.lead));
                slot
            });
            let body = ByteClass::new(group.body);
            // A group that counts trigger bytes gets a body test only
            // for the digits. Traffic is full of digit clusters (dates,
            // prices, addresses) that other bytes break up. A count of
            // rare-class bytes already rules out nearly every position,
            // so there the body mask would cost more than it saves.
            let body = (group.body_len >= 2
                && (group.min_count <= 1 || group.class == DIGITS)
                && group.lookback <= MAX_BODY_LOOKBACK
                && body.ranges.len() <= MAX_BODY_RANGES
                && group.body.contains(&false))
            .then(|| {
                let slot = TRIGGER_CLASSES + index;
                classes[slot] = Some(body);
                slot
            });
            tests.push(Test::new(group, lead, body));
        }
        let reach = groups
            .iter()
            .zip(&tests)
            .map(|(g, t)| {
                let body = t.body.map_or(0, |(_, len)| len);
                g.span.max(g.lookback + 1).max(body)
            })
            .max()
            .unwrap_or(1);
        let literals = Literals::new(literals);
        debug_assert_eq!(
            literals.is_some(),
            groups.iter().any(|g| g.class == LITERAL)
        );
        let active: Vec<usize> =
            (0..MAX_CLASSES).filter(|&slot| classes[slot].is_some()).collect();
        let block_active =
            active.iter().filter(|&&slot| slot < BLOCK_CLASSES).count();
        let avx2 = has_avx2();
        let shufti = [&active[..block_active], &active[..]]
            .map(|slots| avx2.then(|| Shufti::new(&classes, slots)).flatten());
        Triggers {
            classes,
            active,
            block_active,
            avx2,
            shufti,
            tests,
            reach,
            literals,
        }
    }
}

/// The number of positions [`Starts`] works out at a time.
const STARTS_LEN: usize = 2048;

/// The mask of the literal class over a window of the haystack: bit i is
/// set when a pattern with a required literal may start at position
/// `from + i`, because one of its literals starts within the pattern's
/// offsets after it.
///
/// Near the end of the bytes at hand, when more may follow, a literal may
/// be cut. A position whose literal could start in the missing bytes is
/// marked as a possible start.
pub(crate) struct Starts {
    /// The window: positions `from..to`.
    from: usize,
    to: usize,
    /// The first position the scan does not need.
    end: usize,
    filled: bool,
    eof: bool,
    /// The bitmap, with a spare word so that any 64 bits from a position
    /// below `to` can be read as two words.
    words: [u64; STARTS_LEN / 64 + 1],
}

impl Starts {
    fn new(eof: bool, end: usize) -> Starts {
        Starts {
            from: 0,
            to: 0,
            end,
            filled: false,
            eof,
            words: [0; STARTS_LEN / 64 + 1],
        }
    }

    /// Returns the literal class mask of positions `at..at + 64`.
    #[inline]
    fn mask(
        &mut self,
        literals: &Literals,
        haystack: &[u8],
        at: usize,
    ) -> u64 {
        let end = self.end.min(haystack.len());
        if at >= end {
            return 0;
        }
        let stale = !self.filled
            || at < self.from
            || (at + 64 > self.to && self.to < end);
        if stale {
            self.fill(literals, haystack, at);
        }
        let bit = at - self.from;
        let (word, shift) = (bit / 64, bit % 64);
        let low = self.words[word] >> shift;
        let high = match (shift, self.words.get(word + 1)) {
            (0, _) | (_, None) => 0,
            (_, Some(&next)) => next << (64 - shift),
        };
        low | high
    }

    /// Works out the bitmap of positions `from..from + STARTS_LEN`.
    fn fill(&mut self, literals: &Literals, haystack: &[u8], from: usize) {
        let to = (from + STARTS_LEN).min(self.end).min(haystack.len());
        self.words.fill(0);
        self.from = from;
        self.to = to;
        self.filled = true;

        let words = &mut self.words;
        let mut mark = |first: usize, last: usize| {
            // Positions `first..=last`, clipped to the window.
            let first = first.max(from);
            let end = (last + 1).min(to);
            for position in first..end {
                let bit = position - from;
                words[bit / 64] |= 1 << (bit % 64);
            }
        };
        // A literal at `start` marks the positions that start a match
        // holding it at one of its offsets: those from which the bytes up
        // to `start` are all lead bytes.
        let table = literals.literals();
        let mut mark_literal = |start: usize, index: usize| {
            let literal = &table[index];
            let Some(last) = start.checked_sub(literal.min) else { return };
            let run = if literal.max == 0 {
                0
            } else {
                literal.lead.run_before(haystack, start, from, literal.max)
            };
            if run >= literal.min {
                mark(start - run, last);
            }
        };

        // A literal that makes a position of the window pass starts at
        // most `reach` bytes after the window's end.
        let search_to = to.saturating_add(literals.reach());
        literals.find(haystack, from, search_to, &mut mark_literal);

        if !self.eof && search_to > haystack.len() {
            // More bytes may follow. A literal cut by the end of the bytes
            // at hand may still complete, and one that starts after them
            // may still arrive, at a position from which every byte to
            // the end is a lead byte.
            literals.find_cut(haystack, from, &mut mark_literal);
            let len = haystack.len();
            for (lead, max) in literals.beyond() {
                let run = lead.run_before(haystack, len, from, *max);
                if run > 0 {
                    mark(len - run, len - 1);
                }
            }
        }
    }
}

/// Adds `member` to the first group of `groups` that `same` selects, or
/// as a new group: the merged group keeps the largest lookback and span
/// and the smallest skip and count, so it passes every position either passed.
fn merge(
    groups: &mut Vec<Group>,
    member: Group,
    same: impl Fn(&Group) -> bool,
) {
    match groups.iter_mut().find(|g| same(g)) {
        Some(group) => {
            for (slot, byte) in group.lead.iter_mut().zip(member.lead) {
                *slot |= byte;
            }
            group.skip = group.skip.min(member.skip);
            group.lookback = group.lookback.max(member.lookback);
            group.span = group.span.max(member.span);
            group.min_count = group.min_count.min(member.min_count);
            group.gap = match (group.gap, member.gap) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            for (slot, byte) in group.body.iter_mut().zip(member.body) {
                *slot |= byte;
            }
            group.body_len = group.body_len.min(member.body_len);
        }
        None => groups.push(member),
    }
}

/// Returns the 128-bit class mask of a block and the bytes after it.
#[inline]
fn window(block: &BlockMasks, after: &BlockMasks, class: usize) -> u128 {
    u128::from(block[class]) | (u128::from(after[class]) << 64)
}

/// Returns the bytes that a match of `pattern` may contain and the length
/// of its shortest match; `(all bytes, 0)` if the pattern does not parse.
fn body(pattern: &str) -> ([bool; 256], usize) {
    let Ok(hir) = crate::sensor::parse_hir(pattern) else {
        return ([true; 256], 0);
    };
    let mut bytes = [false; 256];
    body_bytes(&hir, &mut bytes);
    (bytes, hir.properties().minimum_len().unwrap_or(0))
}

/// Adds the bytes that a match of `hir` may contain to `bytes`.
fn body_bytes(hir: &Hir, bytes: &mut [bool; 256]) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => {
            for &byte in literal.0.iter() {
                bytes[usize::from(byte)] = true;
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                for byte in range.start()..=range.end() {
                    bytes[usize::from(byte)] = true;
                }
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                let (start, end) =
                    (u32::from(range.start()), u32::from(range.end()));
                for c in start..=end.min(0x7f) {
                    bytes[c as usize] = true;
                }
                if end >= 0x80 {
                    // Any byte of a UTF-8 encoding.
                    bytes[0x80..].fill(true);
                }
            }
        }
        HirKind::Repetition(rep) => body_bytes(&rep.sub, bytes),
        HirKind::Capture(capture) => body_bytes(&capture.sub, bytes),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            for sub in subs {
                body_bytes(sub, bytes);
            }
        }
    }
}

/// Returns the smallest number of bytes of `class` in any match of
/// `pattern`, the longest match if it is bounded, and the longest gap
/// between two bytes of `class` in a match if it is bounded.
fn counts(
    pattern: &str,
    class: &[bool; 256],
) -> (usize, Option<usize>, Option<usize>) {
    match crate::sensor::parse_hir(pattern) {
        Ok(hir) => {
            let gaps = Gaps::of(&hir, class);
            let gap = gaps.gap.map_or(Some(0), Len::finite);
            (min_count(&hir, class), hir.properties().maximum_len(), gap)
        }
        Err(_) => (0, None, None),
    }
}

/// A length that saturates at "unbounded".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Len(usize);

impl Len {
    const UNBOUNDED: Len = Len(usize::MAX);

    fn add(self, other: Len) -> Len {
        Len(self.0.saturating_add(other.0))
    }

    /// Returns the length of `count` copies (`None`: unbounded).
    fn times(self, count: Option<u32>) -> Len {
        match count {
            Some(count) => Len(self.0.saturating_mul(count as usize)),
            None if self.0 == 0 => Len(0),
            None => Len::UNBOUNDED,
        }
    }

    fn finite(self) -> Option<usize> {
        (self != Len::UNBOUNDED).then_some(self.0)
    }
}

/// The spread of a class's bytes in the matches of a pattern. Each field
/// is `None` when no match has the shape it describes.
#[derive(Clone, Copy, Debug)]
struct Gaps {
    /// The longest match without a byte of the class.
    none: Option<Len>,
    /// The maximum number of other bytes before the first byte of the
    /// class.
    pre: Option<Len>,
    /// The maximum number of other bytes after the last byte of the class.
    suf: Option<Len>,
    /// The maximum number of other bytes between two consecutive bytes of
    /// the class.
    gap: Option<Len>,
}

impl Gaps {
    /// The empty string, and assertions.
    const EMPTY: Gaps =
        Gaps { none: Some(Len(0)), pre: None, suf: None, gap: None };

    /// Matches nothing, as an empty class.
    const NOTHING: Gaps = Gaps { none: None, pre: None, suf: None, gap: None };

    /// One byte of the class.
    const INSIDE: Gaps =
        Gaps { none: None, pre: Some(Len(0)), suf: Some(Len(0)), gap: None };

    /// One byte outside the class.
    const OUTSIDE: Gaps =
        Gaps { none: Some(Len(1)), pre: None, suf: None, gap: None };

    fn of(hir: &Hir, class: &[bool; 256]) -> Gaps {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Gaps::EMPTY,
            HirKind::Literal(literal) => {
                literal.0.iter().fold(Gaps::EMPTY, |acc, &byte| {
                    acc.then(Gaps::set([class[usize::from(byte)]]))
                })
            }
            HirKind::Class(Class::Bytes(set)) => {
                let bytes =
                    set.ranges().iter().flat_map(|r| r.start()..=r.end());
                Gaps::set(bytes.map(|b| class[usize::from(b)]))
            }
            HirKind::Class(Class::Unicode(set)) => {
                // A character outside ASCII is several bytes, none of them
                // in a class of ASCII bytes. Counting it as one byte
                // outside the class would understate a gap, so such a
                // class gives up on gaps.
                let ascii = set.ranges().iter().all(|r| r.end().is_ascii());
                if !ascii {
                    return Gaps {
                        none: Some(Len::UNBOUNDED),
                        pre: Some(Len::UNBOUNDED),
                        suf: Some(Len::UNBOUNDED),
                        gap: Some(Len::UNBOUNDED),
                    };
                }
                let chars =
                    set.ranges().iter().flat_map(|r| r.start()..=r.end());
                Gaps::set(chars.map(|c| class[c as usize]))
            }
            HirKind::Repetition(rep) => {
                Gaps::of(&rep.sub, class).repeat(rep.min, rep.max)
            }
            HirKind::Capture(capture) => Gaps::of(&capture.sub, class),
            HirKind::Concat(subs) => subs
                .iter()
                .fold(Gaps::EMPTY, |acc, sub| acc.then(Gaps::of(sub, class))),
            HirKind::Alternation(subs) => subs
                .iter()
                .map(|sub| Gaps::of(sub, class))
                .reduce(Gaps::or)
                .unwrap_or(Gaps::NOTHING),
        }
    }

    /// Describes one byte from a set, given whether each member is in the
    /// class.
    fn set(members: impl IntoIterator<Item = bool>) -> Gaps {
        let (mut inside, mut outside) = (false, false);
        for member in members {
            inside |= member;
            outside |= !member;
        }
        match (inside, outside) {
            (true, true) => Gaps::INSIDE.or(Gaps::OUTSIDE),
            (true, false) => Gaps::INSIDE,
            (false, true) => Gaps::OUTSIDE,
            (false, false) => Gaps::NOTHING,
        }
    }

    /// Either `self` or `other`.
    fn or(self, other: Gaps) -> Gaps {
        Gaps {
            none: self.none.max(other.none),
            pre: self.pre.max(other.pre),
            suf: self.suf.max(other.suf),
            gap: self.gap.max(other.gap),
        }
    }

    /// `self` followed by `next`.
    fn then(self, next: Gaps) -> Gaps {
        let add = |a: Option<Len>, b: Option<Len>| Some(a?.add(b?));
        Gaps {
            none: add(self.none, next.none),
            pre: self.pre.max(add(self.none, next.pre)),
            suf: next.suf.max(add(self.suf, next.none)),
            gap: self.gap.max(next.gap).max(add(self.suf, next.pre)),
        }
    }

    /// `self` repeated from `min` to `max` times (`None`: unbounded). The
    /// bounds only use `max`, which over-approximates every field.
    fn repeat(self, min: u32, max: Option<u32>) -> Gaps {
        if max == Some(0) {
            return Gaps::EMPTY;
        }
        // The other bytes of `copies` copies without a byte of the class.
        let empty_copies = |copies: Option<u32>| {
            self.none.map_or(Len(0), |none| none.times(copies))
        };
        let but = |by: u32| max.map(|m| m.saturating_sub(by));
        let mut gaps = Gaps {
            none: self.none.map(|none| none.times(max)),
            pre: self.pre.map(|pre| pre.add(empty_copies(but(1)))),
            suf: self.suf.map(|suf| suf.add(empty_copies(but(1)))),
            gap: self.gap,
        };
        if max.map_or(true, |m| m >= 2) {
            // From the last byte of the class in one copy to the first in
            // a later one, over copies without any.
            let across = match (self.suf, self.pre) {
                (Some(suf), Some(pre)) => {
                    Some(suf.add(empty_copies(but(2))).add(pre))
                }
                _ => None,
            };
            gaps.gap = gaps.gap.max(across);
        }
        if min == 0 {
            gaps = gaps.or(Gaps::EMPTY);
        }
        gaps
    }
}

/// Returns the smallest number of bytes of `class` that any match of `hir`
/// holds. Counts only what every match must hold: a class counts once if
/// all its bytes are in `class`, an alternation counts its poorest branch.
fn min_count(hir: &Hir, class: &[bool; 256]) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(literal) => {
            literal.0.iter().filter(|&&b| class[usize::from(b)]).count()
        }
        HirKind::Class(Class::Bytes(set)) => {
            let inside = set
                .ranges()
                .iter()
                .all(|r| (r.start()..=r.end()).all(|b| class[usize::from(b)]));
            usize::from(inside && !set.ranges().is_empty())
        }
        HirKind::Class(Class::Unicode(set)) => {
            let inside = set.ranges().iter().all(|r| {
                (r.start()..=r.end()).all(|c| {
                    u8::try_from(c)
                        .is_ok_and(|b| b.is_ascii() && class[usize::from(b)])
                })
            });
            usize::from(inside && !set.ranges().is_empty())
        }
        HirKind::Repetition(rep) => {
            (rep.min as usize).saturating_mul(min_count(&rep.sub, class))
        }
        HirKind::Capture(capture) => min_count(&capture.sub, class),
        HirKind::Concat(subs) => subs
            .iter()
            .fold(0, |sum, sub| sum.saturating_add(min_count(sub, class))),
        HirKind::Alternation(subs) => {
            subs.iter().map(|sub| min_count(sub, class)).min().unwrap_or(0)
        }
    }
}

/// Look-behind bytes under which start states are explored: start of
/// text, after a space, after a line feed, after a letter.
const LOOK_BEHINDS: [Option<u8>; 4] =
    [None, Some(b' '), Some(b'\n'), Some(b'a')];

/// How many automaton steps the walks of [`Triggers::build`] may take
/// for all patterns together.
///
/// A step that determinizes a new state costs up to one pass over the
/// automaton's NFA, so patterns with many states that match the empty
/// string can make each step costly. Once the budget is spent, the walks
/// assume the least (no lookback, no skip, every byte a first byte),
/// which costs scans speed but no match. The built-in sensors take about
/// 21,000 steps and the 50 custom sensors of the benchmarks about 22,000.
/// Fuzzing builds, whose steps cost about 25 times as much, get a smaller
/// budget.
///
/// NOTE: patterns spend the budget in definition order, so in a
/// definition of hundreds of costly patterns the last ones get triggers
/// that keep every position, and scans slow down.
#[cfg(not(fuzzing))]
const WALK_STEPS: usize = 1 << 18;
#[cfg(fuzzing)]
const WALK_STEPS: usize = 1 << 14;

/// How many steps the walks of one pattern may take in each pass of
/// [`Triggers::build`], so that a costly pattern leaves most of
/// [`WALK_STEPS`] to the patterns after it. The costliest built-in
/// pattern takes about 10,000 steps. Fuzzing builds, whose budget is
/// smaller, allow half of it.
#[cfg(not(fuzzing))]
const PATTERN_STEPS: usize = WALK_STEPS / 8;
#[cfg(fuzzing)]
const PATTERN_STEPS: usize = WALK_STEPS / 2;

/// A lazy DFA cache for the walks of [`Triggers::build`], with the number
/// of steps they may still take in all and for the current pattern.
struct StepCache {
    cache: Cache,
    left: usize,
    share: usize,
}

impl StepCache {
    fn new(dfa: &DFA, steps: usize) -> StepCache {
        StepCache { cache: dfa.create_cache(), left: steps, share: steps }
    }

    /// Starts the walks of another pattern, which may take up to `share`
    /// of the steps left.
    fn begin_pattern(&mut self, share: usize) {
        self.share = share;
    }

    /// Takes one step from the budget, or returns `false` if none is left
    /// in all or for the current pattern.
    fn take(&mut self) -> bool {
        if self.left == 0 || self.share == 0 {
            return false;
        }
        self.left -= 1;
        self.share -= 1;
        true
    }

    fn clear_count(&self) -> usize {
        self.cache.clear_count()
    }

    /// Returns the anchored start state of `pid` after `look_behind`, or
    /// `None` if there is none or the budget is spent.
    fn start(
        &mut self,
        dfa: &DFA,
        pid: PatternID,
        look_behind: Option<u8>,
    ) -> Option<LazyStateID> {
        if !self.take() {
            return None;
        }
        let config = start::Config::new()
            .anchored(Anchored::Pattern(pid))
            .look_behind(look_behind);
        dfa.start_state(&mut self.cache, &config).ok()
    }

    /// Returns the state after `byte` from `sid`, or `None` if the step
    /// fails or the budget is spent.
    fn next(
        &mut self,
        dfa: &DFA,
        sid: LazyStateID,
        byte: u8,
    ) -> Option<LazyStateID> {
        if !self.take() {
            return None;
        }
        dfa.next_state(&mut self.cache, sid, byte).ok()
    }

    /// Returns the state at the end of the input from `sid`, or `None` if
    /// the step fails or the budget is spent.
    fn next_eoi(
        &mut self,
        dfa: &DFA,
        sid: LazyStateID,
    ) -> Option<LazyStateID> {
        if !self.take() {
            return None;
        }
        dfa.next_eoi_state(&mut self.cache, sid).ok()
    }
}

/// Picks the trigger class (an index into `tables`), the skip and the
/// lookback of one pattern.
fn choose(
    dfa: &DFA,
    cache: &mut StepCache,
    pid: PatternID,
    tables: &[[bool; 256]; TRIGGER_CLASSES],
) -> (usize, usize, usize, [bool; 256]) {
    for (index, class) in tables.iter().take(CLASSES.len()).enumerate() {
        if let Some((lookback, lead)) = lookback(dfa, cache, pid, class) {
            let skip = skip(dfa, cache, pid, class).min(lookback);
            return (index, skip, lookback, lead);
        }
    }
    (FALLBACK, 0, 0, [false; 256])
}

/// Returns a number of bytes outside `class` that every match of `pid`
/// starts with: the fewest bytes after which a byte of `class` keeps the
/// automaton alive, or 0 if that cannot be worked out.
fn skip(
    dfa: &DFA,
    cache: &mut StepCache,
    pid: PatternID,
    class: &[bool; 256],
) -> usize {
    let clears = cache.clear_count();
    let mut fewest = MAX_LOOKBACK;
    for look_behind in LOOK_BEHINDS {
        let Some(start) = cache.start(dfa, pid, look_behind) else {
            return 0;
        };
        let mut frontier = vec![start];
        let mut seen = vec![start];
        let mut depth = 0;
        'walk: while depth < fewest && !frontier.is_empty() {
            let mut ahead = Vec::new();
            for &sid in &frontier {
                for byte in 0..=255u8 {
                    // A cleared cache invalidates `sid`.
                    if cache.clear_count() != clears {
                        return 0;
                    }
                    let Some(next) = cache.next(dfa, sid, byte) else {
                        return 0;
                    };
                    if next.is_dead() {
                        continue;
                    }
                    if class[usize::from(byte)] {
                        fewest = depth;
                        break 'walk;
                    }
                    if !seen.contains(&next) {
                        seen.push(next);
                        ahead.push(next);
                    }
                }
            }
            frontier = ahead;
            depth += 1;
        }
    }
    // A cleared cache invalidates the state ids the walk relied on.
    if cache.clear_count() != clears {
        return 0;
    }
    fewest
}

/// Returns the bytes that can start a match of `pid`, or every byte if
/// that cannot be worked out.
fn first_bytes(
    dfa: &DFA,
    cache: &mut StepCache,
    pid: PatternID,
) -> [bool; 256] {
    let mut class = [false; 256];
    for look_behind in LOOK_BEHINDS {
        let Some(sid) = cache.start(dfa, pid, look_behind) else {
            return [true; 256];
        };
        let clears = cache.clear_count();
        for byte in 0..=255u8 {
            // A cleared cache invalidates `sid`.
            if cache.clear_count() != clears {
                return [true; 256];
            }
            match cache.next(dfa, sid, byte) {
                Some(next) if next.is_dead() => {}
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
    cache: &mut StepCache,
    pid: PatternID,
    class: &[bool; 256],
) -> Option<(usize, [bool; 256])> {
    let clears = cache.clear_count();
    let mut longest = 0;
    let mut lead = [false; 256];
    let outside = outside_bytes(dfa, class);
    for look_behind in LOOK_BEHINDS {
        let sid = cache.start(dfa, pid, look_behind)?;
        let mut walk = Walk {
            outside: &outside,
            memo: HashMap::new(),
            lead: &mut lead,
            clears,
        };
        longest = longest.max(walk.depth(dfa, cache, sid, 0)?);
    }
    // A cleared cache invalidates the state ids the walk relied on.
    if cache.clear_count() != clears {
        return None;
    }
    // The walk stops at `MAX_LOOKBACK` bytes only on the first path into
    // each state, so a state reached again deeper can exceed it.
    if longest > MAX_LOOKBACK {
        return None;
    }
    Some((longest, lead))
}

/// Groups the bytes outside `class` by the automaton's byte classes,
/// whose bytes all have the same transitions, so a walk steps once per
/// group instead of once per byte. Groups with no byte outside `class` are
/// left out.
fn outside_bytes(dfa: &DFA, class: &[bool; 256]) -> Vec<Vec<u8>> {
    let classes = dfa.byte_classes();
    let mut groups = vec![Vec::new(); classes.alphabet_len()];
    for byte in 0..=255u8 {
        if !class[usize::from(byte)] {
            groups[usize::from(classes.get(byte))].push(byte);
        }
    }
    groups.retain(|group| !group.is_empty());
    groups
}

/// A walk of the automaton over the bytes outside a trigger class.
struct Walk<'a> {
    /// The bytes outside the class, grouped by [`outside_bytes`].
    outside: &'a [Vec<u8>],
    /// The maximum length of a live path from each state already walked.
    memo: HashMap<LazyStateID, usize>,
    /// Every byte outside the class that keeps the automaton alive.
    lead: &'a mut [bool; 256],
    /// The cache's clear count when the walk began. A clear invalidates
    /// every state id held, so the walk gives up when the count changes.
    clears: usize,
}

impl Walk<'_> {
    /// Returns the longest path from `sid` over bytes outside the class
    /// that stays alive, or `None` if such a path reaches a match or the
    /// cache was cleared, and adds the bytes of every such path to
    /// `lead`.
    fn depth(
        &mut self,
        dfa: &DFA,
        cache: &mut StepCache,
        sid: LazyStateID,
        level: usize,
    ) -> Option<usize> {
        if let Some(&known) = self.memo.get(&sid) {
            return Some(known);
        }
        if level > MAX_LOOKBACK || sid.is_match() {
            return None;
        }
        let eoi = cache.next_eoi(dfa, sid)?;
        if eoi.is_match() {
            return None;
        }
        let mut longest = 0;
        let mut seen = Vec::new();
        let outside = self.outside;
        for group in outside {
            if cache.clear_count() != self.clears {
                return None;
            }
            let next = cache.next(dfa, sid, group[0])?;
            if next.is_dead() {
                continue;
            }
            for &byte in group {
                self.lead[usize::from(byte)] = true;
            }
            if seen.contains(&next) {
                continue;
            }
            seen.push(next);
            if next.is_match() {
                return None;
            }
            let below = self.depth(dfa, cache, next, level + 1)?;
            longest = longest.max(below + 1);
        }
        self.memo.insert(sid, longest);
        Some(longest)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_setr_epi8,
        _mm_shuffle_epi8, _mm_srli_epi16, _mm_sub_epi8, _mm_xor_si128,
    };

    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256,
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
        _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16,
        _mm256_sub_epi8, _mm256_xor_si256,
    };

    use super::{ByteClass, Nibbles, Shufti};

    /// Fills `masks[slot]` for each of `slots` with the bit mask of the
    /// bytes of `block[..64]` in `classes[slot]`. The block is loaded
    /// once for all the classes.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2, and `block` must hold 64 bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn masks_avx2(
        block: &[u8],
        classes: &[Option<ByteClass>],
        slots: &[usize],
        masks: &mut [u64],
    ) {
        debug_assert!(block.len() >= 64);
        let ptr = block.as_ptr();
        // SAFETY: the caller guarantees 64 readable bytes.
        let (low, high) = unsafe {
            (
                _mm256_loadu_si256(ptr.cast::<__m256i>()),
                _mm256_loadu_si256(ptr.add(32).cast::<__m256i>()),
            )
        };
        for &slot in slots {
            let Some(class) = &classes[slot] else { continue };
            let (a, b) = match &class.nibbles {
                Some(tables) => nibbles_avx2([low, high], tables),
                None => ranges_avx2([low, high], &class.ranges),
            };
            masks[slot] = u64::from(a) | u64::from(b) << 32;
        }
    }

    /// Fills `masks[slot]` for each class of `plan` with the bit mask of
    /// the bytes of `block[..64]` in it.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2, and `block` must hold 64 bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn masks_shufti(
        block: &[u8],
        plan: &Shufti,
        masks: &mut [u64],
    ) {
        debug_assert!(block.len() >= 64);
        let ptr = block.as_ptr();
        // SAFETY: the caller guarantees 64 readable bytes.
        let halves = unsafe {
            [
                _mm256_loadu_si256(ptr.cast::<__m256i>()),
                _mm256_loadu_si256(ptr.add(32).cast::<__m256i>()),
            ]
        };

        // The shuffles look up each 16-byte lane on its own, so both
        // lanes get the tables.
        let table = |t: &[u8; 16]| {
            // SAFETY: each table is 16 bytes long.
            let t = unsafe { _mm_loadu_si128(t.as_ptr().cast::<__m128i>()) };
            _mm256_broadcastsi128_si256(t)
        };
        let nibble = _mm256_set1_epi8(0x0f);
        let categories = |half: usize| {
            let lookup = |v: __m256i| {
                let low = _mm256_and_si256(v, nibble);
                let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble);
                _mm256_and_si256(
                    _mm256_shuffle_epi8(table(&plan.low[half]), low),
                    _mm256_shuffle_epi8(table(&plan.high[half]), high),
                )
            };
            halves.map(lookup)
        };
        let narrow = categories(0);

        let zero = _mm256_setzero_si256();
        // A byte is in a class unless its categories and the class's
        // have no bit in common.
        let outside = |hits: __m256i| {
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(hits, zero)) as u32
        };
        if plan.wide {
            let wide = categories(1);
            for &(slot, [low, high]) in &plan.classes {
                let low = _mm256_set1_epi8(low as i8);
                let high = _mm256_set1_epi8(high as i8);
                let hits = |k: usize| {
                    _mm256_or_si256(
                        _mm256_and_si256(narrow[k], low),
                        _mm256_and_si256(wide[k], high),
                    )
                };
                let (a, b) = (outside(hits(0)), outside(hits(1)));
                masks[slot] = !(u64::from(a) | u64::from(b) << 32);
            }
        } else {
            for &(slot, [low, _]) in &plan.classes {
                let low = _mm256_set1_epi8(low as i8);
                let a = outside(_mm256_and_si256(narrow[0], low));
                let b = outside(_mm256_and_si256(narrow[1], low));
                masks[slot] = !(u64::from(a) | u64::from(b) << 32);
            }
        }
    }

    /// Returns the bit masks of the bytes of each of `halves` in
    /// `ranges`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ranges_avx2(halves: [__m256i; 2], ranges: &[(u8, u8)]) -> (u32, u32) {
        let mut any = [_mm256_setzero_si256(); 2];
        for &(low, high) in ranges {
            if low == high {
                let byte = _mm256_set1_epi8(low as i8);
                for (any, v) in any.iter_mut().zip(halves) {
                    *any = _mm256_or_si256(*any, _mm256_cmpeq_epi8(v, byte));
                }
            } else {
                // `low <= v <= high` as `v - low <= high - low`, unsigned
                // and wrapping.
                let start = _mm256_set1_epi8(low as i8);
                let width = _mm256_set1_epi8(high.wrapping_sub(low) as i8);
                for (any, v) in any.iter_mut().zip(halves) {
                    let offset = _mm256_sub_epi8(v, start);
                    let hit = _mm256_cmpeq_epi8(
                        _mm256_min_epu8(offset, width),
                        offset,
                    );
                    *any = _mm256_or_si256(*any, hit);
                }
            }
        }
        (
            _mm256_movemask_epi8(any[0]) as u32,
            _mm256_movemask_epi8(any[1]) as u32,
        )
    }

    /// Returns the bit masks of the bytes of each of `halves` in the class
    /// of `tables`; see [`mask64_nibbles`].
    #[inline]
    #[target_feature(enable = "avx2")]
    fn nibbles_avx2(halves: [__m256i; 2], tables: &Nibbles) -> (u32, u32) {
        // SAFETY: each table is 16 bytes long.
        let (ascii, high) = unsafe {
            (
                _mm_loadu_si128(tables.ascii.as_ptr().cast::<__m128i>()),
                _mm_loadu_si128(tables.high.as_ptr().cast::<__m128i>()),
            )
        };

        // The shuffles look up each 16-byte lane on its own, so both
        // lanes get the tables.
        let ascii = _mm256_broadcastsi128_si256(ascii);
        let high = _mm256_broadcastsi128_si256(high);
        let bits = _mm256_broadcastsi128_si256(_mm_setr_epi8(
            1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
        ));
        let index_bits = _mm256_set1_epi8(0x8f_u8 as i8);
        let top = _mm256_set1_epi8(0x80_u8 as i8);
        let nibble = _mm256_set1_epi8(0x0f);

        let [a, b] = halves.map(|v| {
            let entries = _mm256_or_si256(
                _mm256_shuffle_epi8(ascii, _mm256_and_si256(v, index_bits)),
                _mm256_shuffle_epi8(
                    high,
                    _mm256_and_si256(_mm256_xor_si256(v, top), index_bits),
                ),
            );
            let high_nibble =
                _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble);
            let bit = _mm256_shuffle_epi8(bits, high_nibble);
            let hit = _mm256_cmpeq_epi8(_mm256_and_si256(entries, bit), bit);
            _mm256_movemask_epi8(hit) as u32
        });
        (a, b)
    }

    /// Returns the bit mask of the bytes of `block[..64]` in the class of
    /// `tables`. Each byte's low nibble picks an entry of a table (the
    /// ASCII one, or the other for bytes from 0x80 on), and its high
    /// nibble picks the bit of that entry.
    ///
    /// # Safety
    ///
    /// The CPU must support SSSE3, and `block` must hold 64 bytes.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn mask64_nibbles(
        block: &[u8],
        tables: &Nibbles,
    ) -> u64 {
        debug_assert!(block.len() >= 64);
        // SAFETY: each table is 16 bytes long.
        let ascii = unsafe {
            _mm_loadu_si128(tables.ascii.as_ptr().cast::<__m128i>())
        };
        // SAFETY: each table is 16 bytes long.
        let high =
            unsafe { _mm_loadu_si128(tables.high.as_ptr().cast::<__m128i>()) };

        let bits = _mm_setr_epi8(
            1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
        );
        // Keeping the top bit in a shuffle index gives a zero lane.
        let index_bits = _mm_set1_epi8(0x8f_u8 as i8);
        let top = _mm_set1_epi8(0x80_u8 as i8);
        let nibble = _mm_set1_epi8(0x0f);

        let ptr = block.as_ptr();
        let mut mask = 0u64;
        for k in 0..4 {
            // SAFETY: the caller guarantees 64 readable bytes, and
            // `16 * k + 16 <= 64`.
            let v =
                unsafe { _mm_loadu_si128(ptr.add(16 * k).cast::<__m128i>()) };
            let entries = _mm_or_si128(
                _mm_shuffle_epi8(ascii, _mm_and_si128(v, index_bits)),
                _mm_shuffle_epi8(
                    high,
                    _mm_and_si128(_mm_xor_si128(v, top), index_bits),
                ),
            );
            let high_nibble = _mm_and_si128(_mm_srli_epi16::<4>(v), nibble);
            let bit = _mm_shuffle_epi8(bits, high_nibble);
            let hit = _mm_cmpeq_epi8(_mm_and_si128(entries, bit), bit);
            let found = _mm_movemask_epi8(hit) as u32 as u64;
            mask |= found << (16 * k);
        }
        mask
    }

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

    /// Returns the bit mask of bytes of `block[..64]` in `ranges`, which
    /// contains exactly `N` ranges.
    #[inline]
    pub(super) fn mask64_of<const N: usize>(
        block: &[u8],
        ranges: &[(u8, u8)],
    ) -> u64 {
        let ranges: [(u8, u8); N] =
            ranges.try_into().expect("the caller matched the length");
        mask64(block, ranges)
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
                let hit = if low == high {
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(low as i8))
                } else {
                    // `low <= v <= high` as `v - low <= high - low`,
                    // unsigned and wrapping.
                    let offset = _mm_sub_epi8(v, _mm_set1_epi8(low as i8));
                    let width = _mm_set1_epi8(high.wrapping_sub(low) as i8);
                    _mm_cmpeq_epi8(_mm_min_epu8(offset, width), offset)
                };
                any = _mm_or_si128(any, hit);
            }
            let bits = _mm_movemask_epi8(any) as u32 as u64;
            mask |= bits << (16 * k);
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use std::collections::HashMap;

    use regex_automata::hybrid::dfa::{Cache, DFA};
    use regex_automata::hybrid::LazyStateID;
    use regex_automata::util::start;
    use regex_automata::{Anchored, PatternID};

    use super::{
        has_avx2, lookback, low_bits, smear_back, BlockMasks, BLOCK_CLASSES,
        LOOK_BEHINDS, MAX_CLASSES, MAX_LOOKBACK,
    };
    #[cfg(target_arch = "x86_64")]
    use super::{ByteClass, Shufti};

    fn block_masks() -> impl Strategy<Value = BlockMasks> {
        // Sparse, dense and arbitrary masks per class.
        let mask = prop_oneof![
            any::<u64>(),
            any::<u64>().prop_map(|m| m & m.rotate_left(7)),
            any::<u64>().prop_map(|m| m | m.rotate_left(11)),
            Just(0u64),
            Just(u64::MAX),
        ];
        prop::array::uniform16(mask)
    }

    proptest! {
        /// The test of all positions at once never rejects a position
        /// that the test of one position accepts.
        #[test]
        fn may_pass_mask_keeps_every_passing_position(
            block in block_masks(),
            after in block_masks(),
            known in 0usize..=130,
            custom in any::<bool>(),
        ) {
            let engine = if custom {
                crate::Engine::from_toml(CUSTOM, "custom").unwrap()
            } else {
                crate::Engine::builtin()
            };
            let triggers = &engine.inner.triggers;
            let mask = triggers.may_pass_mask(&block, &after, known);
            for off in 0..known.min(128) {
                let verdict =
                    triggers.may_pass(&block, &after, off as u32, known - off);
                let alone = verdict != super::Verdict::Fail;
                prop_assert!(
                    !alone || (mask >> off) & 1 == 1,
                    "position {} passes alone, not in the mask {:#x}", off, mask
                );
            }
        }
    }

    /// Groups with a skip, a lead class, a fallback class, a literal, a
    /// rare class and a body test.
    const CUSTOM: &str = r#"
[[sensor]]
name = "custom"
[[sensor.rule]]
name = "ticket"
[[sensor.rule.pattern]]
value = 'T-[0-9]{6}'
[[sensor.rule]]
name = "token"
[[sensor.rule.pattern]]
value = 'tok_[0-9a-z]{6}'
[[sensor.rule]]
name = "handle"
[[sensor.rule.pattern]]
value = '[a-z]{1,8}@[a-z]{2,4}'
[[sensor.rule]]
name = "word"
[[sensor.rule.pattern]]
value = '[s-t][a-z]{2}'
[[sensor.rule]]
name = "pairs"
[[sensor.rule.pattern]]
value = '(?:[a-f]{2}:){2}[a-f]{2}'
[[sensor.rule]]
name = "code"
[[sensor.rule.pattern]]
value = '[0-9][a-z]{5}'
"#;

    const _: () = assert!(MAX_CLASSES == 16);

    /// The custom sensors above get one group per kind of trigger:
    /// - `@`, with a lead class and a body test of four bytes;
    /// - the digits, whose two groups (a skip of two for the ticket, none
    ///   for the code) merge once there are more groups than
    ///   [`super::MAX_GROUPS`], with a body test of six bytes;
    /// - the bytes that start a word, with a body test of three letters;
    /// - the literal `tok_`;
    /// - the colons of the pairs, two within 8 bytes.
    #[test]
    fn custom_groups() {
        use super::{FALLBACK, LITERAL, RARE};
        let engine = crate::Engine::from_toml(CUSTOM, "custom").unwrap();
        let triggers = &engine.inner.triggers;
        let mut summary: Vec<_> = triggers
            .tests
            .iter()
            .map(|t| {
                let body = t.body.map(|(_, len)| len);
                (t.class, t.skip, t.lookback, t.min_count, body)
            })
            .collect();
        summary.sort_unstable();
        assert_eq!(
            summary,
            [
                (0, 1, 8, 0, Some(4)),
                (1, 0, 2, 0, Some(6)),
                (FALLBACK, 0, 0, 0, Some(3)),
                (LITERAL, 0, 0, 0, None),
                (RARE, 2, 2, 2, None),
            ]
        );
        let literals = triggers.literals.as_ref().unwrap().literals();
        assert_eq!(literals.len(), 1);
        assert_eq!(literals[0].bytes, b"tok_");
    }

    /// A walk that fills the lazy DFA's cache stops at the clear rather
    /// than stepping on from a state id that the clear invalidated, which
    /// panicked inside regex-automata (found by the `sensor_patterns` fuzz
    /// target). Engines now reject this pattern, whose states overflow
    /// the cache, so the triggers are built from its automaton directly.
    /// The walks fall back to a trigger that keeps every start position
    /// of the two matches below.
    #[test]
    fn walks_stop_at_cache_clear() {
        let pattern = "(?:[^L-t0]|[xX]{9,18}){7,10}0";
        let dfa = crate::engine::build_dfa(&[pattern]).unwrap();
        let triggers = super::Triggers::build(&dfa, &[pattern]);
        let haystack = b"id #######0 and 12 xxxxxxxxx#####0 end";
        let mut starts = triggers.starts(true, haystack.len());
        let masks = triggers.all_masks(haystack, 0, starts.as_mut());
        let after = triggers.all_masks(haystack, 64, starts.as_mut());
        let passing = triggers.may_pass_mask(&masks, &after, haystack.len());
        for start in [3, 16] {
            assert!(passing & 1 << start != 0, "start {start} skipped");
        }
    }

    /// Once the walks have spent their step budget, the patterns left get
    /// the triggers that assume the least, which still keep every
    /// position where a match starts. Two of the patterns need lookback
    /// walks of many states, because they match the empty string at word
    /// boundaries and line ends before their last byte.
    #[test]
    fn walks_stop_at_their_budget() {
        use regex_automata::Input;

        let patterns = [
            "[0-9]{3}-[0-9]{2}-[0-9]{4}",
            r"(?:\b|\B|(?m:$)|[a-f]{2,5}){3,5}?z",
            r"(?:\b|(?m:$)|[0-5]{2,4}){2,4}?9",
            "[a-z]{2,8}@[a-z]{2,8}",
        ];
        let haystack = b"ab 123-45-6789 cafez\n z 0123 9 x@yy bbz";
        let dfa = crate::engine::build_dfa(&patterns).unwrap();
        let mut cache = dfa.create_cache();
        let mut expected = 0u64;
        for at in 0..haystack.len() {
            let input = Input::new(haystack)
                .range(at..)
                .anchored(Anchored::Yes)
                .earliest(true);
            if dfa.try_search_fwd(&mut cache, &input).unwrap().is_some() {
                expected |= 1 << at;
            }
        }
        assert!(expected.count_ones() >= 6, "{expected:b}");

        let mut unlimited = super::StepCache::new(&dfa, usize::MAX);
        let full =
            super::Triggers::build_within(&dfa, &patterns, &mut unlimited);
        let used = usize::MAX - unlimited.left;
        let summary = |triggers: &super::Triggers| -> Vec<_> {
            triggers.tests.iter().map(|t| (t.class, t.lookback)).collect()
        };
        // Budgets spread over the whole build, so that some run out in
        // the middle of each kind of walk.
        for budget in (0..used).step_by(used / 61 + 1) {
            let mut cache = super::StepCache::new(&dfa, budget);
            let triggers =
                super::Triggers::build_within(&dfa, &patterns, &mut cache);
            assert_eq!(cache.left, 0, "budget {budget} of {used}");
            let masks = triggers.all_masks(haystack, 0, None);
            let after = triggers.all_masks(haystack, 64, None);
            for at in (0..haystack.len()).filter(|at| expected >> at & 1 != 0)
            {
                assert!(
                    triggers.passes(&masks, &after, at as u32),
                    "budget {budget} of {used}: the start at {at} fails"
                );
            }
            if budget == 0 {
                assert_ne!(summary(&triggers), summary(&full));
            }
        }
    }

    /// A pattern whose walks take more than their share leaves the rest of
    /// the budget to the patterns after it: an SSN pattern after a costly
    /// one still gets its digit trigger.
    #[test]
    fn costly_pattern_leaves_steps_for_the_rest() {
        use super::{StepCache, Triggers, DIGITS, PATTERN_STEPS};

        let costly = "[a-z]{0,20}a[a-z]{8}[0-9]";
        let ssn = "[0-9]{3}-[0-9]{2}-[0-9]{4}";
        let alone = crate::engine::build_dfa(&[costly]).unwrap();
        let mut cache = StepCache::new(&alone, usize::MAX);
        Triggers::build_within(&alone, &[costly], &mut cache);
        let used = usize::MAX - cache.left;
        assert!(used >= PATTERN_STEPS, "{used} steps");

        let patterns = [costly, ssn];
        let dfa = crate::engine::build_dfa(&patterns).unwrap();
        let mut cache = StepCache::new(&dfa, PATTERN_STEPS * 5 / 4);
        let triggers = Triggers::build_within(&dfa, &patterns, &mut cache);
        let classes: Vec<usize> =
            triggers.tests.iter().map(|t| t.class).collect();
        assert!(classes.contains(&DIGITS), "classes {classes:?}");
    }

    /// A walk that runs out of steps assumes no more than the full walk
    /// does: it finds no lookback or the same one, a skip no longer, and
    /// at least the same first bytes. Every budget below what
    /// the full walks take is tried.
    #[test]
    fn spent_budget_assumes_less() {
        use super::{first_bytes, skip, StepCache};

        let patterns = [
            "[0-9]{3}-[0-9]{2}-[0-9]{4}",
            r"(?:\b|\B|(?m:$)|[a-f]{2,5}){3,5}?z",
            r"(?:\b|(?m:$)|[0-5]{2,4}){2,4}?9",
            "[a-z]{0,3}@[0-9]{2}",
        ];
        let dfa = crate::engine::build_dfa(&patterns).unwrap();
        let digits: [bool; 256] =
            std::array::from_fn(|b| (b as u8).is_ascii_digit());
        let at: [bool; 256] = std::array::from_fn(|b| b == usize::from(b'@'));
        let mut found = 0;
        for pid in (0..patterns.len()).map(PatternID::must) {
            for class in [&digits, &at] {
                let mut full = StepCache::new(&dfa, usize::MAX);
                let look = lookback(&dfa, &mut full, pid, class);
                let skipped = skip(&dfa, &mut full, pid, class);
                let first = first_bytes(&dfa, &mut full, pid);
                found += usize::from(look.is_some());
                let used = usize::MAX - full.left;
                for budget in 0..used {
                    let cache = &mut StepCache::new(&dfa, budget);
                    let partial = lookback(&dfa, cache, pid, class);
                    assert!(
                        partial.is_none() || partial == look,
                        "{pid:?}, budget {budget}: {:?} instead of {:?}",
                        partial.map(|(len, _)| len),
                        look.map(|(len, _)| len)
                    );
                    let cache = &mut StepCache::new(&dfa, budget);
                    assert!(skip(&dfa, cache, pid, class) <= skipped);
                    let cache = &mut StepCache::new(&dfa, budget);
                    let partial = first_bytes(&dfa, cache, pid);
                    for byte in 0..256 {
                        assert!(partial[byte] || !first[byte], "{byte}");
                    }
                }
            }
        }
        // Some walks must find a lookback, or only `None`s are compared.
        assert!(found >= 3, "{found} lookbacks");
    }

    /// The built-in sensors get the groups the module documentation
    /// describes: nine digits within a NIR's length, an IBAN's two letters
    /// before its check digits, and `@` within an email's local part.
    /// The digit groups also get body tests: a run of nine bytes for an
    /// SSN, fourteen for a grouped IBAN.
    #[test]
    fn builtin_groups() {
        let triggers = &crate::Engine::builtin().inner.triggers;
        let summary: Vec<_> = triggers
            .tests
            .iter()
            .map(|t| {
                let body = t.body.map(|(_, len)| len);
                (
                    t.class,
                    t.skip,
                    t.lookback,
                    t.min_count,
                    t.count,
                    t.gap,
                    body,
                )
            })
            .collect();
        // A Corsican NIR has a letter and then up to two separator bytes
        // between two digits: a gap of three.
        assert_eq!(
            summary,
            [
                (1, 0, 0, 9, low_bits(27), Some(3), Some(9)),
                (1, 2, 2, 2, low_bits(43), None, Some(14)),
                (0, 1, 64, 0, 0, None, None),
            ]
        );
        assert_eq!(triggers.reach(), 65);
    }

    /// Returns whether a built-in match may start at byte 0 of
    /// `haystack` according to the prefilter.
    fn builtin_passes(haystack: &[u8]) -> bool {
        let engine = crate::Engine::builtin();
        let triggers = &engine.inner.triggers;
        let block = triggers.all_masks(haystack, 0, None);
        let after = triggers.all_masks(haystack, 64, None);
        triggers.passes(&block, &after, 0)
    }

    /// Only the digits of the run of body bytes at a position count:
    /// digit clusters of ordinary traffic that other bytes break up are
    /// ruled out, while values with separators pass.
    #[test]
    fn digit_count_stays_in_body_run() {
        for value in [
            &b"2 55 08 14 168 025 38 "[..],
            b"2 84 12 2A\r\n004 123 70",
            b"536-22-8451,",
            b"5555.5555.5555.4444",
            b"FR14 2004 1010 0505 0001 3M02 606",
        ] {
            let label = String::from_utf8_lossy(value);
            assert!(builtin_passes(value), "{label} was ruled out");
        }
        // Digit clusters whose run of digits and separators contains eight
        // digits or fewer, and letters before digits whose run of
        // letters, digits and spaces is shorter than an IBAN.
        for traffic in [
            &b"2024-03-16T18:48:51Z"[..],
            b"2024 07:58:13 GMT",
            b"203.0.113.4, 10.155.11.2",
            b"GA1.2.622,12345678",
        ] {
            let label = String::from_utf8_lossy(traffic);
            assert!(!builtin_passes(traffic), "{label} passed");
        }
    }

    #[test]
    fn gaps_between_digits() {
        let digits: [bool; 256] =
            std::array::from_fn(|b| (b as u8).is_ascii_digit());
        let gap = |pattern: &str| super::counts(pattern, &digits).2;
        assert_eq!(gap("[0-9]{3}-[0-9]{2}-[0-9]{4}"), Some(1));
        assert_eq!(gap("[0-9]{4}(?:[ .-]?[0-9]{4}){3}"), Some(1));
        assert_eq!(gap("[0-9](?:[ .]|\\r?\\n)?[0-9]"), Some(2));
        assert_eq!(gap("[0-9]{2}[a-z]{0,5}[0-9]"), Some(5));
        assert_eq!(gap("[0-9](?:x{2}|y)*[0-9]"), None);
        assert_eq!(gap("(?:[0-9]x{3}){2}"), Some(3));
        assert_eq!(gap("(?:x|[0-9]){3}"), Some(1));
        assert_eq!(gap("[0-9]+"), Some(0));
        assert_eq!(gap("abc"), Some(0));
    }

    proptest! {
        /// The closing keeps the set bits and fills the runs of at most
        /// `gap` clear bits between two set bits, up to the top when bit
        /// 127 is set (the bits past it count as set). Otherwise the last
        /// `gap` bits depend on the bits past the top and are not
        /// compared.
        #[test]
        fn closing_fills_short_gaps(mask in any::<u128>(), gap in 0usize..=8) {
            let top = mask >> 127 == 1;
            let set = |bit: &usize| (mask >> bit) & 1 == 1;
            let mut expected = 0u128;
            for bit in 0..128 {
                let below = (0..=bit).rev().find(set);
                let above = (bit..128).find(set);
                let filled = match (below, above) {
                    (Some(low), Some(high)) => high - low <= gap + 1,
                    _ => false,
                };
                if filled {
                    expected |= 1 << bit;
                }
            }
            let compared = if top { u128::MAX } else { u128::MAX >> gap };
            let closing = super::closing(mask, gap);
            prop_assert_eq!(closing & compared, expected & compared);
        }
    }

    #[test]
    fn cluster_stops_at_long_gaps() {
        let mask = 0b1_0001_0011_0101u64;
        assert_eq!(super::cluster(mask, 0), 0b1);
        assert_eq!(super::cluster(mask, 1), 0b11_1111);
        assert_eq!(super::cluster(mask, 2), 0b1_1111_1111);
        assert_eq!(super::cluster(mask, 3), 0b1_1111_1111_1111);
        assert_eq!(super::cluster(0b1001, 1), 0b1);
        assert_eq!(super::cluster(u64::MAX, 4), u128::from(u64::MAX));
    }

    /// Runs the lookback walk as it was before [`super::outside_bytes`],
    /// with one step per byte outside the class.
    fn lookback_per_byte(
        dfa: &DFA,
        cache: &mut Cache,
        pid: PatternID,
        class: &[bool; 256],
    ) -> Option<(usize, [bool; 256])> {
        fn depth(
            dfa: &DFA,
            cache: &mut Cache,
            class: &[bool; 256],
            memo: &mut HashMap<LazyStateID, usize>,
            lead: &mut [bool; 256],
            sid: LazyStateID,
            level: usize,
        ) -> Option<usize> {
            if let Some(&known) = memo.get(&sid) {
                return Some(known);
            }
            if level > MAX_LOOKBACK || sid.is_match() {
                return None;
            }
            if dfa.next_eoi_state(cache, sid).ok()?.is_match() {
                return None;
            }
            let mut longest = 0;
            for byte in (0..=255u8).filter(|&b| !class[usize::from(b)]) {
                let next = dfa.next_state(cache, sid, byte).ok()?;
                if next.is_dead() {
                    continue;
                }
                lead[usize::from(byte)] = true;
                if next.is_match() {
                    return None;
                }
                let below =
                    depth(dfa, cache, class, memo, lead, next, level + 1)?;
                longest = longest.max(below + 1);
            }
            memo.insert(sid, longest);
            Some(longest)
        }
        let mut longest = 0;
        let mut lead = [false; 256];
        for look_behind in LOOK_BEHINDS {
            let config = start::Config::new()
                .anchored(Anchored::Pattern(pid))
                .look_behind(look_behind);
            let sid = dfa.start_state(cache, &config).ok()?;
            let memo = &mut HashMap::new();
            let found = depth(dfa, cache, class, memo, &mut lead, sid, 0)?;
            longest = longest.max(found);
        }
        (longest <= MAX_LOOKBACK).then_some((longest, lead))
    }

    #[test]
    fn lookback_per_class_matches_per_byte() {
        let patterns = [
            r"[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,63}\.[a-z]{2,10}",
            r"(?-u:\b)[12][0-9]{2}(?:0[1-9]|1[0-2])(?:2[AB]|[0-9]{2})[0-9]{8}",
            r"(?i)(?:secret|token)[=:][a-f0-9]{8,40}",
            r"[a-z ]{2,40}[0-9]",
            r"(?:[a-z]|é){1,3}x",
            r"(?:ab)+c",
        ];
        let classes: [fn(u8) -> bool; 4] = [
            |b| b.is_ascii_digit(),
            |b| b == b'@',
            |b| b.is_ascii_lowercase(),
            |b| b == b'=' || b == b':',
        ];
        let dfa = DFA::builder()
            .configure(DFA::config().starts_for_each_pattern(true))
            .build_many(&patterns)
            .expect("the patterns compile");
        let mut cache = super::StepCache::new(&dfa, usize::MAX);

        let mut usable = 0;
        for (index, pattern) in patterns.iter().enumerate() {
            let pid = PatternID::must(index);
            for in_class in classes {
                let mut class = [false; 256];
                for byte in 0..=255u8 {
                    class[usize::from(byte)] = in_class(byte);
                }
                let found = lookback(&dfa, &mut cache, pid, &class);
                assert_eq!(
                    found,
                    lookback_per_byte(&dfa, &mut cache.cache, pid, &class),
                    "{pattern}"
                );
                usable += usize::from(found.is_some());
            }
        }
        // Most walks must have found a lookback, or the comparison
        // would only be of `None`s.
        let digits: [bool; 256] =
            std::array::from_fn(|b| (b as u8).is_ascii_digit());
        let found = lookback(&dfa, &mut cache, PatternID::must(3), &digits);
        assert_eq!(found.map(|(longest, _)| longest), Some(40));
        assert!(usable >= 6, "{usable} walks found a lookback");
    }

    #[test]
    fn smear_back_covers_the_lookback() {
        for lookback in 0..=64 {
            for bit in 0..128usize {
                let smeared = smear_back(1u128 << bit, lookback);
                let first = bit.saturating_sub(lookback);
                let expected = low_bits(bit + 1) & !low_bits(first);
                assert_eq!(
                    smeared, expected,
                    "bit {bit}, lookback {lookback}"
                );
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn nibble_mask_agrees_with_scalar() {
        // Classes of many ranges, with and without bytes from 0x80 on.
        let sets: [&[(u8, u8)]; 3] = [
            &[(b'%', b'%'), (b'+', b'.'), (b'0', b'9'), (b'A', b'Z')],
            &[(0, 3), (b'a', b'c'), (b'x', b'z'), (0x80, 0x80), (0xfe, 0xff)],
            &[(b'!', b'!'), (b'#', b'#'), (b'%', b'%'), (b'\'', b'\'')],
        ];
        let haystack: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for ranges in sets {
            let mut member = [false; 256];
            for &(low, high) in ranges {
                for byte in low..=high {
                    member[usize::from(byte)] = true;
                }
            }
            let class = super::ByteClass::new(member);
            assert_eq!(class.nibbles.is_some(), super::has_ssse3());
            for at in 0..haystack.len() - 64 {
                let block = &haystack[at..at + 64];
                assert_eq!(
                    class.mask64(block, 0),
                    class.mask64_scalar(block),
                    "{ranges:?} at {at}"
                );
            }
        }
    }

    /// The masks of a whole engine, computed through shared nibble
    /// lookups, in one pass per class (AVX2) or class by class, agree
    /// with a byte-by-byte lookup, for full blocks and for the short
    /// blocks at the end of a haystack.
    #[test]
    fn engine_masks_agree_with_scalar() {
        let haystack: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
        for engine in [
            crate::Engine::builtin(),
            crate::Engine::from_toml(CUSTOM, "custom").unwrap(),
        ] {
            // Every way of computing the masks this CPU has: shared
            // nibble lookups, one AVX2 pass per class, class by class.
            let mut one_pass = engine.inner.triggers.clone();
            one_pass.shufti = [None, None];
            let mut class_by_class = one_pass.clone();
            class_by_class.avx2 = false;
            if has_avx2() {
                let plans = &engine.inner.triggers.shufti;
                assert!(plans.iter().all(Option::is_some), "{plans:?}");
            }
            let ways = [&engine.inner.triggers, &one_pass, &class_by_class];
            for (triggers, count) in ways
                .into_iter()
                .flat_map(|t| [(t, BLOCK_CLASSES), (t, MAX_CLASSES)])
            {
                assert!(triggers.classes[super::WORD].is_some());
                for at in 0..haystack.len() {
                    let mut masks = [0; MAX_CLASSES];
                    triggers.masks(&haystack, at, count, &mut masks);
                    for &slot in triggers.active.iter().filter(|&&s| s < count)
                    {
                        let class = triggers.classes[slot].as_ref().unwrap();
                        let mut expected = 0u64;
                        for (i, &byte) in
                            haystack[at..].iter().take(64).enumerate()
                        {
                            expected |=
                                u64::from(class.member[usize::from(byte)])
                                    << i;
                        }
                        assert_eq!(
                            masks[slot], expected,
                            "slot {slot} at {at}"
                        );
                    }
                }
            }
        }
    }

    /// Generates a class of up to three ranges of at most 48 bytes each.
    #[cfg(target_arch = "x86_64")]
    fn ranges() -> impl Strategy<Value = Vec<(u8, u8)>> {
        prop::collection::vec(
            (any::<u8>(), 0u8..48)
                .prop_map(|(low, width)| (low, low.saturating_add(width))),
            1..=3,
        )
    }

    proptest! {
        /// Checks that the shared nibble lookups give every class its exact
        /// mask, and that a plan exists whenever the classes have at most
        /// five ranges in all (a range spans at most three rectangles).
        #[test]
        #[cfg(target_arch = "x86_64")]
        fn shufti_masks_agree_with_scalar(
            classes in prop::collection::vec(ranges(), 1..=4),
            block in prop::collection::vec(any::<u8>(), 64),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 64),
        ) {
            prop_assume!(has_avx2());
            // Half of the bytes are range ends, where mistakes would be.
            let ends: Vec<u8> = classes
                .iter()
                .flatten()
                .flat_map(|&(l, h)| {
                    [l, h, l.wrapping_sub(1), h.wrapping_add(1)]
                })
                .collect();
            let mut block = block;
            for (i, pick) in picks.iter().enumerate().step_by(2) {
                block[i] = ends[pick.index(ends.len())];
            }
            let table: Vec<Option<ByteClass>> = classes
                .iter()
                .map(|ranges| {
                    let mut member = [false; 256];
                    for &(low, high) in ranges {
                        for byte in low..=high {
                            member[usize::from(byte)] = true;
                        }
                    }
                    Some(ByteClass::new(member))
                })
                .collect();
            let slots: Vec<usize> = (0..table.len()).collect();
            let plan = Shufti::new(&table, &slots);
            let total: usize = classes.iter().map(Vec::len).sum();
            prop_assert!(plan.is_some() || total > 5, "no plan for {classes:?}");
            let Some(plan) = plan else { return Ok(()) };
            let mut masks = [0u64; MAX_CLASSES];
            // SAFETY: the CPU has AVX2 and the block holds 64 bytes.
            unsafe { super::x86::masks_shufti(&block, &plan, &mut masks) };
            for (slot, class) in table.iter().enumerate() {
                let class = class.as_ref().unwrap();
                prop_assert_eq!(
                    masks[slot],
                    class.mask64_scalar(&block),
                    "class {:?}",
                    classes[slot]
                );
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
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
