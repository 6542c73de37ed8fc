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

use crate::engine::{Inner, Match};
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

/// What the scan loop carries from one window to the next.
#[derive(Clone, Debug)]
pub(crate) struct ScanState {
    /// Stream offset just past the last reported match.
    pub(crate) last_end: u64,
    /// Where each context begins, in stream order; entries before the
    /// current position are dropped as the scan advances.
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
    // Positions before `next` are decided.
    let mut next = range.start;
    if base + (next as u64) < state.last_end {
        next = ((state.last_end - base) as usize).min(range.end);
    }
    // A trigger up to the largest lookback past the range can still
    // reach a position inside it.
    let search_end = (range.end + triggers.max_lookback()).min(bytes.len());
    let mut block = next;
    while next < range.end && block < search_end {
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
            let reach =
                trigger.saturating_sub(triggers.lookback(bytes[trigger]));
            let mut p = next.max(reach);
            let stop = (trigger + 1).min(range.end);
            while p < stop {
                if !inner.may_start(bytes, p) {
                    p += 1;
                    continue;
                }
                let Some(candidate) =
                    inner.best_at(cache, bytes, base, p, eof, state)
                else {
                    p += 1;
                    continue;
                };
                let found = inner.make_match(&candidate, bytes, base, p);
                state.last_end = found.end();
                p = candidate.end;
                if emit(&found).is_break() {
                    state.prune(base + range.end as u64);
                    return ControlFlow::Break(());
                }
            }
            next = next.max(p).max(stop);
            if next >= range.end {
                break;
            }
        }
        block = (block + 64).max(next.min(search_end));
    }
    state.prune(base + range.end as u64);
    ControlFlow::Continue(())
}
