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
/// Only positions that a trigger byte can reach are evaluated (see
/// [`crate::prefilter`]); every other position cannot start a match. The
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
    let triggers = &inner.triggers;
    let max_lookback = triggers.max_lookback();
    debug_assert!(max_lookback < 128);
    // Positions before `next` are decided.
    let mut next = range.start;
    if base + (next as u64) < state.last_end {
        next = ((state.last_end - base) as usize).min(range.end);
    }
    // Bit i of `marks` is set when a trigger reaches position `origin + i`. A
    // position is evaluated once no later trigger can reach a position
    // before it, so positions are always evaluated in order.
    let mut marks = Marks { origin: next, bits: 0 };
    // A trigger up to the largest lookback past the range can still
    // reach a position inside it.
    let search_end = (range.end + max_lookback).min(bytes.len());
    let mut block = next;
    while block < search_end {
        // Trigger bytes of this 64-byte block, up to `search_end`.
        let mut mask = triggers.mask64(bytes, block);
        let left = search_end - block;
        if left < 64 {
            mask &= (1u64 << left) - 1;
        }
        while mask != 0 {
            let trigger = block + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if trigger < next {
                continue;
            }
            // Later triggers reach no position before this one.
            let settled = trigger.saturating_sub(max_lookback).min(range.end);
            marks.evaluate(
                inner, cache, bytes, base, settled, eof, state, &mut next,
                emit,
            )?;
            if next >= range.end {
                state.prune(base + range.end as u64);
                return ControlFlow::Continue(());
            }
            let reach =
                trigger.saturating_sub(triggers.lookback(bytes[trigger]));
            let last = trigger.min(range.end - 1);
            if reach.max(next) <= last {
                marks.mark(reach.max(next), last);
            }
        }
        block += 64;
    }
    marks.evaluate(
        inner, cache, bytes, base, range.end, eof, state, &mut next, emit,
    )?;
    state.prune(base + range.end as u64);
    ControlFlow::Continue(())
}

/// Positions that some trigger byte reaches, waiting to be evaluated.
struct Marks {
    /// The position of bit 0.
    origin: usize,
    bits: u128,
}

impl Marks {
    /// Marks the positions `first..=last`, which lie less than 128 bytes
    /// after `origin`.
    fn mark(&mut self, first: usize, last: usize) {
        let from = first - self.origin;
        let to = last - self.origin;
        debug_assert!(to < 128);
        let width = to - from + 1;
        let ones = if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
        self.bits |= ones << from;
    }

    /// Evaluates the marked positions before `until`, in order, and moves
    /// `origin` to `until`. `next` is the first undecided position.
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &mut self,
        inner: &Inner,
        cache: &mut Cache,
        bytes: &[u8],
        base: u64,
        until: usize,
        eof: bool,
        state: &mut ScanState,
        next: &mut usize,
        emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if until <= self.origin {
            return ControlFlow::Continue(());
        }
        while self.bits != 0 {
            let p = self.origin + self.bits.trailing_zeros() as usize;
            if p >= until {
                break;
            }
            self.bits &= self.bits - 1;
            if p < *next || !inner.may_start(bytes, p) {
                continue;
            }
            // The caller guarantees enough bytes, so `NeedMore` cannot
            // happen here; debug builds check it.
            let decision = inner.best_at(cache, bytes, base, p, eof, state);
            debug_assert!(decision.is_ok(), "scan_range ran out of bytes");
            let Ok(Some(candidate)) = decision else {
                continue;
            };
            let found = inner.make_match(&candidate, bytes, base, p);
            state.last_end = found.end();
            *next = candidate.end;
            if emit(&found).is_break() {
                return ControlFlow::Break(());
            }
        }
        let shift = until - self.origin;
        self.bits = if shift >= 128 { 0 } else { self.bits >> shift };
        self.origin = until;
        *next = (*next).max(until);
        ControlFlow::Continue(())
    }
}

/// Decides the positions from `from` up to `to`, one by one and in order,
/// until one needs bytes past the end of `bytes`, and returns the position
/// that stopped the scan (or `to`).
///
/// A stream uses this on the bytes just fed, so that a match whose
/// automaton has already died is reported without waiting for the longest
/// possible match to arrive. Every position is evaluated, so the result is
/// the same as the trigger-driven [`scan_range`] would give with more data.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_early(
    inner: &Inner,
    cache: &mut Cache,
    bytes: &[u8],
    base: u64,
    range: Range<usize>,
    state: &mut ScanState,
    emit: &mut dyn FnMut(&Match) -> ControlFlow<()>,
) -> usize {
    let mut p = range.start;
    if base + (p as u64) < state.last_end {
        p = ((state.last_end - base) as usize).min(range.end);
    }
    while p < range.end {
        if !inner.may_start(bytes, p) {
            p += 1;
            continue;
        }
        match inner.best_at(cache, bytes, base, p, false, state) {
            Err(NeedMore) => break,
            Ok(None) => p += 1,
            Ok(Some(candidate)) => {
                let found = inner.make_match(&candidate, bytes, base, p);
                state.last_end = found.end();
                p = candidate.end;
                let _ = emit(&found);
            }
        }
    }
    let stop = p.min(range.end);
    state.prune(base + stop as u64);
    stop
}
