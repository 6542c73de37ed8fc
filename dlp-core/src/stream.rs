//! Streams: one direction of a flow, scanned fragment by fragment.

use std::fmt;
use std::ops::ControlFlow;

use crate::engine::{Engine, Match};
use crate::http::HttpTracker;
use crate::scan::{scan_early, scan_range, ScanState};

/// An error from using a stream out of order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// `feed` or `finish` was called after `finish`; call
    /// [`Stream::reset`] to reuse the stream.
    Finished,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Finished => {
                write!(f, "the stream is finished; reset it or open a new one")
            }
        }
    }
}

impl std::error::Error for StreamError {}

/// One direction of a flow, scanned as its fragments arrive.
///
/// Feed the fragments in stream order with [`Stream::feed`], then call
/// [`Stream::finish`] at the end of the data. A value cut across fragments
/// is reported once, with offsets counted from the first byte of the
/// stream, and the matches are the same as [`Engine::scan`] gives for the
/// concatenated fragments, whatever the cuts.
///
/// # When matches are reported
///
/// A match is reported by the first `feed` call after which no longer
/// match can start at the same position: usually the call that brings the
/// byte after it (the end boundary), at the latest the call that
/// brings [`Engine::max_match_len`] plus two bytes after its start, or
/// else `finish`.
///
/// # State
///
/// A fragment is scanned in place and not retained. Between calls the
/// stream keeps its offsets, the end of the last match, the HTTP context
/// of the current message and a tail: the bytes from the hotword window
/// before the first undecided position on. The tail is usually a few dozen
/// bytes, and at most the longest match plus the hotword window, plus two.
/// See [`Stream::state_size`]. The scratch space for the automaton belongs to
/// the engine, so a stream may be moved between threads but is used by
/// one thread at a time.
///
/// # Example
///
/// ```
/// use dlp_core::Engine;
///
/// let engine = Engine::builtin();
/// let mut stream = engine.stream();
/// let mut found = Vec::new();
/// for fragment in [&b"id 2 55 08 14 1"[..], b"68 025 38 end"] {
///     stream.feed(fragment, |m| {
///         found.push(m.clone());
///         std::ops::ControlFlow::Continue(())
///     })?;
/// }
/// stream.finish(|m| {
///     found.push(m.clone());
///     std::ops::ControlFlow::Continue(())
/// })?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].span(), 3..24);
/// # Ok::<(), dlp_core::StreamError>(())
/// ```
#[derive(Clone)]
pub struct Stream {
    engine: Engine,
    /// The last bytes seen, ending at offset `total`.
    tail: Vec<u8>,
    /// Bytes fed so far.
    total: u64,
    /// Every start position before this offset has been decided.
    pos: u64,
    state: ScanState,
    http: HttpTracker,
    finished: bool,
}

impl Stream {
    pub(crate) fn new(engine: Engine) -> Stream {
        Stream {
            engine,
            tail: Vec::new(),
            total: 0,
            pos: 0,
            state: ScanState::new(),
            http: HttpTracker::new(),
            finished: false,
        }
    }

    /// Returns the engine the stream scans with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Returns how many bytes have been fed.
    pub fn offset(&self) -> u64 {
        self.total
    }

    /// Returns whether [`Stream::finish`] has been called since the stream
    /// was opened or reset.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Returns the bytes the stream keeps between calls: the struct
    /// itself, its tail and its context entries.
    pub fn state_size(&self) -> usize {
        std::mem::size_of::<Stream>()
            + self.tail.capacity()
            + self.state.contexts.capacity()
                * std::mem::size_of::<(u64, crate::Context)>()
    }

    /// Scans the next fragment and calls `on_match` with each match it
    /// completes.
    ///
    /// If `on_match` returns `ControlFlow::Break`, the rest of this call's
    /// matches are not reported, but the stream still takes in the whole
    /// fragment, so the next call goes on from its end.
    ///
    /// # Errors
    ///
    /// Returns [`StreamError::Finished`] after [`Stream::finish`].
    pub fn feed<F>(
        &mut self,
        fragment: &[u8],
        mut on_match: F,
    ) -> Result<(), StreamError>
    where
        F: FnMut(&Match) -> ControlFlow<()>,
    {
        if self.finished {
            return Err(StreamError::Finished);
        }
        if fragment.is_empty() {
            return Ok(());
        }
        let mut stopped = false;
        let mut emit = |m: &Match| {
            if !stopped && on_match(m).is_break() {
                stopped = true;
            }
            ControlFlow::Continue(())
        };
        let engine = self.engine.clone();
        let inner = &*engine.inner;
        let len = fragment.len() as u64;
        let start = self.total;
        let new_total = start + len;
        self.http.feed(fragment, start, &mut self.state.contexts);
        // A position is decided once the longest match from it and the
        // two bytes after that (for the end boundary) are at hand, and its
        // context is known.
        let lookahead = inner.max_len as u64 + 2;
        let safe_end = new_total
            .saturating_sub(lookahead)
            .min(self.http.decided_until(new_total));
        let window = inner.max_window as u64;
        let mut scratch = inner.scratch();
        let scratch = &mut *scratch;

        // Positions near the cut need the tail: scan them in a small
        // junction buffer of the tail and the fragment's first bytes.
        let junction_end = safe_end.min(start + window);
        if self.pos < junction_end {
            let take = fragment.len().min((window + lookahead) as usize);
            let junction = &mut scratch.junction;
            junction.clear();
            junction.extend_from_slice(&self.tail);
            junction.extend_from_slice(&fragment[..take]);
            let base = start - self.tail.len() as u64;
            let range =
                (self.pos - base) as usize..(junction_end - base) as usize;
            let _ = scan_range(
                inner,
                &mut scratch.cache,
                junction,
                base,
                range,
                false,
                &mut self.state,
                &mut emit,
            );
            self.pos = junction_end;
        }

        // The rest of the fragment is scanned in place.
        if self.pos < safe_end {
            let range =
                (self.pos - start) as usize..(safe_end - start) as usize;
            let _ = scan_range(
                inner,
                &mut scratch.cache,
                fragment,
                start,
                range,
                false,
                &mut self.state,
                &mut emit,
            );
            self.pos = safe_end;
        }

        // The bytes from the hotword window of the first undecided
        // position on, gathered in the scratch buffer.
        let held_from = start - self.tail.len() as u64;
        let base = self.tail_start();
        let recent = &mut scratch.junction;
        recent.clear();
        if base < start {
            recent
                .extend_from_slice(&self.tail[(base - held_from) as usize..]);
            recent.extend_from_slice(fragment);
        } else {
            recent.extend_from_slice(&fragment[(base - start) as usize..]);
        }
        self.total = new_total;

        // Positions whose automaton has already died are decided now
        // rather than when the longest possible match has arrived.
        let decided = self.http.decided_until(new_total);
        if self.pos < decided {
            let range = (self.pos - base) as usize..(decided - base) as usize;
            let stop = scan_early(
                inner,
                &mut scratch.cache,
                recent,
                base,
                range,
                &mut self.state,
                &mut emit,
            );
            self.pos = self.pos.max(base + stop as u64);
        }
        let keep = (self.tail_start() - base) as usize;
        self.tail.clear();
        self.tail.extend_from_slice(&recent[keep..]);
        self.shrink_tail();
        Ok(())
    }

    /// Ends the stream and calls `on_match` with the matches that only the
    /// end of the data confirms.
    ///
    /// # Errors
    ///
    /// Returns [`StreamError::Finished`] if called twice without a reset.
    pub fn finish<F>(&mut self, mut on_match: F) -> Result<(), StreamError>
    where
        F: FnMut(&Match) -> ControlFlow<()>,
    {
        if self.finished {
            return Err(StreamError::Finished);
        }
        self.finished = true;
        self.http.finish(&mut self.state.contexts);
        let inner = &*self.engine.inner;
        let base = self.total - self.tail.len() as u64;
        let range = (self.pos - base) as usize..self.tail.len();
        let mut scratch = inner.scratch();
        let _ = scan_range(
            inner,
            &mut scratch.cache,
            &self.tail,
            base,
            range,
            true,
            &mut self.state,
            &mut |m| on_match(m),
        );
        self.pos = self.total;
        Ok(())
    }

    /// Clears the stream so it can scan a new flow direction, keeping its
    /// allocations.
    pub fn reset(&mut self) {
        self.tail.clear();
        self.total = 0;
        self.pos = 0;
        self.state.last_end = 0;
        self.state.contexts.clear();
        self.http = HttpTracker::new();
        self.finished = false;
    }

    /// Returns the stream offset of the first byte the stream must keep.
    fn tail_start(&self) -> u64 {
        self.pos.saturating_sub(self.engine.inner.max_window as u64)
    }

    /// Gives back tail capacity that a long undecided value needed, once
    /// it is no longer needed, so an idle stream stays small.
    fn shrink_tail(&mut self) {
        // Four times the need leaves room for the usual swings (a small
        // fragment's bytes, a short undecided value) without reallocating.
        let floor = TAIL_CAPACITY.max(self.tail.len());
        if self.tail.capacity() > 4 * floor {
            self.tail.shrink_to(floor);
        }
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("offset", &self.total)
            .field("decided", &self.pos)
            .field("finished", &self.finished)
            .finish()
    }
}

/// The tail capacity a stream shrinks back to: the default hotword window
/// and a few undecided bytes.
const TAIL_CAPACITY: usize = 48;
