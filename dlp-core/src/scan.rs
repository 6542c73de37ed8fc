//! The scan loop shared by the block API and streams.
//!
//! Matching semantics, the same for both: at every start position in
//! order, the automaton finds every span of every pattern that starts
//! there; the longest span whose rule accepts it (boundaries, context,
//! value checks, validator, hotwords) is the candidate, and the rule
//! defined first wins a tie. A candidate is reported unless it starts
//! before the end of the previous match, so reported matches never
//! overlap and a value covered by a longer one is not reported twice.
//! Because each decision needs only the bytes from the hotword window
//! before a position to the longest match after it, a stream reaches the
//! same decisions whatever the fragment boundaries.

use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};

use regex_automata::hybrid::dfa::Cache;

use crate::engine::{Inner, Match, NeedMore};
use crate::http::HttpTracker;
use crate::prefilter::{Verdict, WORD};
use crate::sensor::{Confidence, Context};

/// The best validated span at one start position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub(crate) rule: u32,
    /// Index just past the span, in the scanned bytes.
    pub(crate) end: usize,
    pub(crate) context: Context,
    pub(crate) confidence: Confidence,
}

/// The state the scan loop carries from one window to the next.
#[derive(Clone, Debug)]
pub(crate) struct ScanState {
    /// Stream offset just past the last reported match.
    pub(crate) last_end: u64,
    /// The offset where each context begins, in stream order. Entries
    /// before the current position are dropped as the scan advances.
    pub(crate) contexts: VecDeque<(u64, Context)>,
}

impl ScanState {
    pub(crate) fn new() -> ScanState {
        ScanState { last_end: 0, contexts: VecDeque::new() }
    }

    /// Returns the context at stream offset `at`.
    pub(crate) fn context_at(&self, at: u64) -> Context {
        let after = self.contexts.partition_point(|&(from, _)| from <= at);
        match after.checked_sub(1) {
            Some(index) => self.contexts[index].1,
            None => Context::Packet,
        }
    }

    /// Drops context entries that no position at or after `at` needs.
    pub(crate) fn prune(&mut self, at: u64) {
        while self.contexts.len() >= 2 && self.contexts[1].0 <= at {
            self.contexts.pop_front();
        }
    }
}

/// Scans the start positions `range` of `bytes`, whose first byte is at
/// stream offset `base`, and calls `emit` with each match.
///
/// Only positions that pass the prefilter are evaluated (see
/// [`crate::prefilter`]); no other position can start a match. The
/// caller guarantees what [`Inner::best_at`] needs: enough bytes after
/// each position unless `eof`, and the hotword window before it. Returns
/// `Break` as soon as `emit` does.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_range(
    inner: &Inner,
    cache: &mut Cache,
    bytes: &[u8],
    base: u64,
    range: Range<usize>,
    eof: bool,
    state: &mut ScanState,
    emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let scan = Scan { inner, bytes, base, eof, early: false };
    match scan.run(cache, range, state, emit) {
        ControlFlow::Continue(_) => ControlFlow::Continue(()),
        ControlFlow::Break(()) => ControlFlow::Break(()),
    }
}

/// Decides the positions `range` of `bytes` in order, until one needs
/// bytes past the end of `bytes`, and returns the position that stopped
/// the scan (or `range.end`).
///
/// A stream uses this on the bytes just fed, so that a match whose
/// automaton has already died is reported without waiting for the longest
/// possible match to arrive. The result is the same as [`scan_range`]
/// would give with more data: near the end of `bytes` the prefilter skips
/// a position only when its test fails whatever the missing bytes are.
pub(crate) fn scan_early(
    inner: &Inner,
    cache: &mut Cache,
    bytes: &[u8],
    base: u64,
    range: Range<usize>,
    state: &mut ScanState,
    emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
) -> usize {
    let scan = Scan { inner, bytes, base, eof: false, early: true };
    // The stream takes in every match of the bytes at hand, so `emit`
    // cannot stop this scan.
    let mut emit = |m: &Match| {
        let _ = emit(m);
        ControlFlow::Continue(())
    };
    match scan.run(cache, range.clone(), state, &mut emit) {
        ControlFlow::Continue(stop) => stop,
        ControlFlow::Break(()) => range.end,
    }
}

/// Evaluates every position of a whole haystack in order, without the
/// prefilter, and returns its matches: the reference [`scan_range`] must
/// agree with. Only the start-byte test runs before the automaton, and
/// it is exact.
pub(crate) fn scan_unfiltered(inner: &Inner, haystack: &[u8]) -> Vec<Match> {
    let mut state = ScanState::new();
    let mut http = HttpTracker::new();
    http.feed(haystack, 0, &mut state.contexts);
    http.finish(haystack.len() as u64, &mut state.contexts);
    let mut scratch = inner.scratch();
    let mut found = Vec::new();
    let mut p = 0;
    while p < haystack.len() {
        let decision = if inner.may_start(haystack, p) {
            let cache = &mut scratch.cache;
            inner.best_at(cache, haystack, 0, p, true, &state)
        } else {
            Ok(None)
        };
        // With `eof` set, `best_at` never returns `NeedMore`.
        debug_assert!(decision.is_ok(), "a whole haystack needed more");
        match decision.unwrap_or(None) {
            None => p += 1,
            Some(candidate) => {
                found.push(inner.make_match(&candidate, haystack, 0, p));
                state.last_end = candidate.end as u64;
                p = candidate.end;
            }
        }
    }
    found
}

/// One pass of the scan loop over a byte slice.
struct Scan<'a> {
    inner: &'a Inner,
    bytes: &'a [u8],
    /// Stream offset of `bytes[0]`.
    base: u64,
    /// The bytes end the stream.
    eof: bool,
    /// Stop at the first position that needs more bytes, rather than
    /// relying on the caller to provide them.
    early: bool,
}

impl Scan<'_> {
    /// Evaluates the positions of `range` in order and returns where it
    /// stopped: `range.end`, or in early mode the first position that
    /// needs more bytes.
    fn run(
        &self,
        cache: &mut Cache,
        range: Range<usize>,
        state: &mut ScanState,
        emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
    ) -> ControlFlow<(), usize> {
        let (inner, bytes) = (self.inner, self.bytes);
        let triggers = &inner.triggers;
        // Positions before `next` are decided.
        let mut next = range.start;
        if self.base + (next as u64) < state.last_end {
            next = ((state.last_end - self.base) as usize).min(range.end);
        }
        // In early mode the prefilter may only skip a position whose test
        // bytes are all at hand, so the last positions get a test that
        // allows for the missing bytes. When the bytes from `next` on fit
        // in its 128-byte window, as with small fragments, that test
        // takes every position: it is exact where the bytes are known,
        // and one pass costs less than two.
        let filtered_end = if !self.early {
            range.end
        } else if bytes.len() - next <= WINDOW {
            next
        } else {
            range.end.min(bytes.len().saturating_sub(triggers.reach()))
        };
        let boundary_only = !inner.starts_anywhere();
        let mut starts = triggers.starts(self.eof, range.end);
        let mut block = next;
        // The masks of the block and of the next one, which becomes the
        // block of the next round: `pair[side]` is the current block.
        let mut pair = [[0; crate::prefilter::MAX_CLASSES]; 2];
        let mut side = 0;
        if block < filtered_end {
            triggers.block_masks(bytes, block, starts.as_mut(), &mut pair[0]);
        }
        while block < filtered_end {
            let upcoming = &mut pair[side ^ 1];
            triggers.block_masks(bytes, block + 64, starts.as_mut(), upcoming);
            let (masks, after) = (&pair[side], &pair[side ^ 1]);
            // Positions after a word byte, or past the end, cannot
            // start a match.
            let mut allowed = u64::MAX;
            if boundary_only {
                allowed =
                    !after_word(u128::from(masks[WORD]), bytes, block) as u64;
            }
            let left = filtered_end - block;
            if left < 64 {
                allowed &= (1u64 << left) - 1;
            }
            let mut candidates = triggers.reached(masks, after, allowed);
            while candidates != 0 {
                let off = candidates.trailing_zeros();
                candidates &= candidates - 1;
                let p = block + off as usize;
                if p < next
                    || !triggers.passes(masks, after, off)
                    || !inner.may_start(bytes, p)
                {
                    continue;
                }
                match self.decide(cache, p, state, emit)? {
                    Decision::Next(end) => next = end,
                    Decision::Stop => return ControlFlow::Continue(p),
                }
            }
            side ^= 1;
            block += 64;
        }
        // Near the end of the bytes in early mode, a position is skipped
        // only if its test fails whatever bytes come next. The positions
        // are tested 64 at a time, so that each one's test bytes fit in
        // the 128-byte window of its masks, or all at once when the
        // window contains every byte left, since the bytes past it are
        // missing.
        let mut stop = range.end;
        let mut chunk = next.max(filtered_end);
        if chunk < range.end {
            debug_assert!(
                bytes.len() - chunk <= WINDOW,
                "the unfiltered positions exceed the window"
            );
            let mut masks = triggers.all_masks(bytes, chunk, starts.as_mut());
            let mut next = chunk;
            'chunks: while chunk < range.end {
                let after =
                    triggers.all_masks(bytes, chunk + 64, starts.as_mut());
                let known = bytes.len() - chunk;
                let step = if known < WINDOW { WINDOW } else { 64 };
                let width = (range.end - chunk).min(step);
                let mut candidates = triggers
                    .may_pass_mask(&masks, &after, known)
                    & (u128::MAX >> (128 - width));
                if boundary_only {
                    let words = u128::from(masks[WORD])
                        | u128::from(after[WORD]) << 64;
                    candidates &= !after_word(words, bytes, chunk);
                }
                while candidates != 0 {
                    let off = candidates.trailing_zeros();
                    candidates &= candidates - 1;
                    let p = chunk + off as usize;
                    if p < next || !inner.may_start(bytes, p) {
                        continue;
                    }
                    let known = bytes.len() - p;
                    let decision = match triggers
                        .may_pass(&masks, &after, off, known)
                    {
                        Verdict::Fail => continue,
                        // A match there needs bytes that are missing:
                        // the automaton could at best rule it out early,
                        // and usually runs into the end.
                        Verdict::Wait => Decision::Stop,
                        Verdict::Pass => self.decide(cache, p, state, emit)?,
                    };
                    match decision {
                        Decision::Next(end) => next = end,
                        Decision::Stop => {
                            stop = p;
                            break 'chunks;
                        }
                    }
                }
                // With a whole window tested, `range.end` is reached.
                masks = after;
                chunk += width;
            }
        }
        state.prune(self.base + stop as u64);
        ControlFlow::Continue(stop)
    }

    /// Evaluates position `p` and reports its match, if any.
    fn decide(
        &self,
        cache: &mut Cache,
        p: usize,
        state: &mut ScanState,
        emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
    ) -> ControlFlow<(), Decision> {
        let inner = self.inner;
        match inner.best_at(cache, self.bytes, self.base, p, self.eof, state) {
            Ok(None) => ControlFlow::Continue(Decision::Next(p + 1)),
            Ok(Some(candidate)) => {
                let found =
                    inner.make_match(&candidate, self.bytes, self.base, p);
                state.last_end = found.end();
                emit(&found)?;
                ControlFlow::Continue(Decision::Next(candidate.end))
            }
            Err(NeedMore) => {
                // Outside early mode the caller guarantees enough bytes;
                // debug builds check it.
                debug_assert!(self.early, "scan_range ran out of bytes");
                ControlFlow::Continue(Decision::Stop)
            }
        }
    }
}

/// The maximum number of bytes from the first undecided position on
/// that the test of the last positions takes at once: two blocks, tested
/// 64 positions at a time.
const WINDOW: usize = 128;

/// The outcome of evaluating one position.
enum Decision {
    /// The first undecided position.
    Next(usize),
    /// The position needs more bytes.
    Stop,
}

/// Returns the mask of the positions of `bytes[at..]` (bit i for
/// `bytes[at + i]`) whose previous byte is a word byte (see
/// [`crate::engine::is_word`]), given the mask of the word bytes there.
#[inline]
fn after_word(words: u128, bytes: &[u8], at: usize) -> u128 {
    let carry = bytes
        .get(at.wrapping_sub(1))
        .is_some_and(|&b| at > 0 && crate::engine::is_word(b));
    (words << 1) | u128::from(carry)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::Engine;

    /// The spans of [`Engine::scan_unfiltered`], the reference the scan
    /// must agree with.
    fn exhaustive(engine: &Engine, haystack: &[u8]) -> Vec<(u64, u64)> {
        let found = engine.scan_unfiltered(haystack);
        found.iter().map(|m| (m.start(), m.end())).collect()
    }

    fn spans(engine: &Engine, haystack: &[u8]) -> Vec<(u64, u64)> {
        engine.scan(haystack).iter().map(|m| (m.start(), m.end())).collect()
    }

    /// Pieces near the prefilter's edges: values, values one digit
    /// short, long digit runs, `@` far from the start of an address,
    /// letters before digits (IBAN starts), and fallback-class starts.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        let fixed = prop::sample::select(vec![
            "2 55 08 14 168 025 38",
            "2 55 08 14 168 025 3",
            "2 84 12 2A 004 123 70",
            "2 84 12 2A\r\n004 123 70",
            "2\r\n84\r\n12\r\n2A\r\n004\r\n123\r\n70",
            "536-22-8451",
            "536-22-845",
            "ssn 223779741",
            "5555 5555 5555 4444",
            "4111111111111111",
            "FR14 2004 1010 0505 0001 3M02 606",
            "GB82WEST12345698765432",
            "jane.doe@example.com",
            "a.very.long.local.part.of.an.address.that.goes.on.and.on@x.io",
            "@",
            "TCK-123456",
            "key_ab12cd34",
            "ghp_ab12",
            "GHP_ab1",
            "Top SeCret",
            "top secre",
            "abc.corp.ex",
            "x.corp.e",
            "xx",
            " ",
            "-",
            ".",
            "\n",
        ]);
        prop_oneof![
            4 => fixed.prop_map(|s| s.as_bytes().to_vec()),
            2 => prop::collection::vec(b'0'..=b'9', 1..30),
            1 => prop::collection::vec(
                prop::sample::select(b"aZ09 -.@_\n".to_vec()),
                0..12,
            ),
        ]
    }

    fn haystack() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
    }

    fn custom_engine() -> Engine {
        let text = r#"
[[sensor]]
name = "ticket"
[[sensor.rule]]
name = "id"
[[sensor.rule.pattern]]
value = 'TCK-[0-9]{6}'
[[sensor.rule]]
name = "key"
boundary = "none"
[[sensor.rule.pattern]]
value = 'key_[a-z0-9]{8}'
[[sensor.rule]]
name = "pair"
[[sensor.rule.pattern]]
value = '[a-z]{0,3}[0-9]{2}[a-z]?'
[[sensor.rule]]
name = "token"
[[sensor.rule.pattern]]
value = '(?:ghp|gho)_[a-z0-9]{3,4}'
[[sensor.rule]]
name = "marker"
boundary = "none"
[[sensor.rule.pattern]]
value = '(?i)top secret'
[[sensor.rule]]
name = "host"
[[sensor.rule.pattern]]
value = '[a-z]{1,20}\.corp\.ex'
[[sensor.rule]]
name = "pairs"
[[sensor.rule.pattern]]
value = '(?:[a-f]{2}:){2}[a-f]{2}'
[[sensor.rule]]
name = "code"
[[sensor.rule.pattern]]
value = '[0-9][a-z]{3}'
"#;
        Engine::from_toml(text, "custom").unwrap()
    }

    /// Returns an engine with one rule per kind of trigger that custom
    /// sensors get, so that no other rule's trigger hides a position the
    /// test drops. The kinds: a body test, the rare class, a literal, a
    /// two-byte literal and a case-insensitive literal at a variable
    /// offset.
    fn one_rule_per_trigger() -> Engine {
        let text = r#"
[[sensor]]
name = "triggers"
[[sensor.rule]]
name = "code"
[[sensor.rule.pattern]]
value = '[0-9][a-z]{3}'
[[sensor.rule]]
name = "pairs"
[[sensor.rule.pattern]]
value = '(?:[a-f]{2}:){2}[a-f]{2}'
[[sensor.rule]]
name = "token"
[[sensor.rule.pattern]]
value = 'ghp_[a-z0-9]{3,4}'
[[sensor.rule]]
name = "short"
boundary = "none"
[[sensor.rule.pattern]]
value = 'GH[a-z]{1,2}'
[[sensor.rule]]
name = "marker"
[[sensor.rule.pattern]]
value = '[a-z]{0,3}(?i)top secret'
"#;
        Engine::from_toml(text, "triggers").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(768))]

        #[test]
        fn prefilter_skips_no_match_builtin(haystack in haystack()) {
            let engine = Engine::builtin();
            prop_assert_eq!(spans(&engine, &haystack), exhaustive(&engine, &haystack));
        }

        #[test]
        fn prefilter_skips_no_match_custom(haystack in haystack()) {
            let engine = custom_engine();
            prop_assert_eq!(spans(&engine, &haystack), exhaustive(&engine, &haystack));
        }

        #[test]
        fn prefilter_skips_no_match_one_rule_per_trigger(haystack in haystack()) {
            let engine = one_rule_per_trigger();
            prop_assert_eq!(spans(&engine, &haystack), exhaustive(&engine, &haystack));
        }
    }
}
