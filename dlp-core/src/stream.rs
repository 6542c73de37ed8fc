//! Streams: one direction of a flow, scanned fragment by fragment.

use std::fmt;
use std::ops::ControlFlow;

use crate::engine::{Engine, Match, Scratch};
use crate::http::HttpTracker;
use crate::scan::{scan_early, scan_range, ScanState};
use crate::sensor::Context;

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
/// before the first undecided position on. All of it fits in the 128-byte
/// struct (on 64-bit targets) while the tail is at most 55 bytes, the
/// usual case. A longer tail, at most the longest match plus the hotword
/// window plus two bytes, is moved to the heap and back once the value at
/// the cut is decided. See [`Stream::state_size`]. The scratch space for
/// the automaton belongs to the engine, so a stream may be moved between
/// threads but is used by one thread at a time.
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
    flow: Flow,
}

/// The state a stream keeps between calls, apart from its engine.
#[derive(Clone)]
struct Flow {
    /// Bytes fed so far.
    total: u64,
    http: HttpTracker,
    /// The bytes from the hotword window of the first undecided position
    /// on, up to offset `total`: in `inline` if they fit, else in the
    /// spill.
    inline: [u8; INLINE_TAIL],
    /// The length of the tail in `inline`, or `SPILLED`.
    inline_len: u8,
    /// Bytes between the first undecided position and `total`.
    undecided: u32,
    /// How far the last match ends past the first undecided position.
    overlap: u32,
    /// The context at the first undecided position.
    context: Context,
    /// How many contexts begin after the first undecided position; one
    /// is kept in `change_*`, more in the spill.
    changes: u8,
    change_context: Context,
    /// Bytes between the one pending context change and `total`.
    change_back: u32,
    finished: bool,
    /// A tail or context list too long for the fixed fields.
    spill: Option<Box<Spill>>,
}

/// The heap part of a stream's state, used when its fixed fields are too
/// small: for a long undecided value, or several context changes after it.
#[derive(Clone, Default)]
struct Spill {
    tail: Vec<u8>,
    /// The contexts that begin after the first undecided position.
    contexts: Vec<(u64, Context)>,
}

/// The number of tail bytes a stream keeps inline. With them the stream
/// is 128 bytes on 64-bit targets.
const INLINE_TAIL: usize = 55;

/// `Flow::inline_len` when the tail is in the spill.
const SPILLED: u8 = u8::MAX;

impl Stream {
    pub(crate) fn new(engine: Engine) -> Stream {
        Stream { engine, flow: Flow::new() }
    }

    /// Returns the engine the stream scans with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Returns how many bytes have been fed.
    pub fn offset(&self) -> u64 {
        self.flow.total
    }

    /// Returns whether [`Stream::finish`] has been called since the stream
    /// was opened or reset.
    pub fn is_finished(&self) -> bool {
        self.flow.finished
    }

    /// Returns the bytes the stream keeps between calls: the struct
    /// itself (128 bytes on 64-bit targets, tail included) and, while a
    /// long value is undecided, the heap space that contains it.
    pub fn state_size(&self) -> usize {
        let spill = self.flow.spill.as_ref().map_or(0, |spill| {
            std::mem::size_of::<Spill>()
                + spill.tail.capacity()
                + spill.contexts.capacity()
                    * std::mem::size_of::<(u64, Context)>()
        });
        std::mem::size_of::<Stream>() + spill
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
        if self.flow.finished {
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
        let inner = &*self.engine.inner;
        let flow = &mut self.flow;
        let mut scratch = inner.scratch();
        let Scratch { cache, junction, state, .. } = &mut *scratch;
        flow.load(state);
        let mut pos = flow.pos();
        let start = flow.total;
        let new_total = start + fragment.len() as u64;
        flow.http.feed(fragment, start, &mut state.contexts);
        // A position can always be decided once the longest match from it
        // and the two bytes after that (for the end boundary) are at hand,
        // and its context is known.
        let lookahead = inner.max_len as u64 + 2;
        let decided = flow.http.decided_until(new_total);
        let window = inner.max_window as u64;
        let tail = flow.tail();
        let held_from = start - tail.len() as u64;

        // A small fragment is scanned in one buffer with the tail.
        // Positions that are not yet decidable are decided early when
        // their automaton has already died.
        if fragment.len() <= SMALL_FRAGMENT {
            junction.clear();
            junction.extend_from_slice(tail);
            junction.extend_from_slice(fragment);
            if pos < decided {
                let range =
                    (pos - held_from) as usize..(decided - held_from) as usize;
                let stop = scan_early(
                    inner, cache, junction, held_from, range, state, &mut emit,
                );
                pos = pos.max(held_from + stop as u64);
            }
            let keep = (tail_start(pos, window) - held_from) as usize;
            flow.total = new_total;
            flow.store(pos, state, &junction[keep..]);
            return Ok(());
        }

        // Positions near the cut need the tail, so they are scanned in a
        // junction buffer of the tail and the fragment's first bytes.
        // Their decisions usually need few bytes of the fragment, so the
        // whole lookahead is copied only if one of them needs more.
        let junction_end = decided.min(start + window);
        let mut ahead = JUNCTION_AHEAD;
        while pos < junction_end {
            let take = fragment.len().min(window as usize + ahead);
            junction.clear();
            junction.extend_from_slice(tail);
            junction.extend_from_slice(&fragment[..take]);
            let range = (pos - held_from) as usize
                ..(junction_end - held_from) as usize;
            let stop = scan_early(
                inner, cache, junction, held_from, range, state, &mut emit,
            );
            pos = pos.max(held_from + stop as u64);
            if take == fragment.len() || ahead >= lookahead as usize {
                break;
            }
            ahead = lookahead as usize;
        }

        // The rest of the fragment is scanned in place, up to the first
        // position that needs more bytes.
        if junction_end <= pos && pos < decided {
            let range = (pos - start) as usize..(decided - start) as usize;
            let stop = scan_early(
                inner, cache, fragment, start, range, state, &mut emit,
            );
            pos = pos.max(start + stop as u64);
        }

        // Keep the bytes from the hotword window of the first undecided
        // position on.
        let base = tail_start(pos, window);
        if base >= start {
            flow.total = new_total;
            flow.store(pos, state, &fragment[(base - start) as usize..]);
        } else {
            let recent = junction;
            recent.clear();
            recent.extend_from_slice(&tail[(base - held_from) as usize..]);
            recent.extend_from_slice(fragment);
            flow.total = new_total;
            flow.store(pos, state, recent);
        }
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
        if self.flow.finished {
            return Err(StreamError::Finished);
        }
        self.flow.finished = true;
        let inner = &*self.engine.inner;
        let flow = &mut self.flow;
        let mut scratch = inner.scratch();
        let Scratch { cache, state, .. } = &mut *scratch;
        flow.load(state);
        flow.http.finish(flow.total, &mut state.contexts);
        let tail = flow.tail();
        let base = flow.total - tail.len() as u64;
        let range = (flow.pos() - base) as usize..tail.len();
        let _ = scan_range(
            inner,
            cache,
            tail,
            base,
            range,
            true,
            state,
            &mut |m| on_match(m),
        );
        let total = flow.total;
        flow.store(total, state, &[]);
        Ok(())
    }

    /// Clears the stream so it can scan a new flow direction.
    pub fn reset(&mut self) {
        self.flow = Flow::new();
    }
}

impl Flow {
    fn new() -> Flow {
        Flow {
            total: 0,
            http: HttpTracker::new(),
            inline: [0; INLINE_TAIL],
            inline_len: 0,
            undecided: 0,
            overlap: 0,
            context: Context::Packet,
            changes: 0,
            change_context: Context::Packet,
            change_back: 0,
            finished: false,
            spill: None,
        }
    }

    /// Returns the stream offset of the first undecided position.
    fn pos(&self) -> u64 {
        self.total - u64::from(self.undecided)
    }

    /// Returns the bytes kept from the last calls, which end at offset
    /// `total`.
    fn tail(&self) -> &[u8] {
        match &self.spill {
            Some(spill) if self.inline_len == SPILLED => &spill.tail,
            _ => &self.inline[..usize::from(self.inline_len)],
        }
    }

    /// Sets up `state` as the scan left it at the end of the last call.
    fn load(&self, state: &mut ScanState) {
        let pos = self.pos();
        state.last_end = pos + u64::from(self.overlap);
        state.contexts.clear();
        state.contexts.push_back((pos, self.context));
        match (self.changes, &self.spill) {
            (0, _) => {}
            (1, _) => {
                let at = self.total - u64::from(self.change_back);
                state.contexts.push_back((at, self.change_context));
            }
            (_, Some(spill)) => state.contexts.extend(&spill.contexts),
            (_, None) => unreachable!("context changes without a spill"),
        }
    }

    /// Keeps what the next call needs: the first undecided position
    /// `pos`, the overlap and contexts from `state`, and `tail`, the
    /// bytes that end at offset `total`.
    fn store(&mut self, pos: u64, state: &mut ScanState, tail: &[u8]) {
        state.prune(pos);

        // Differences from `total` fit in `u32`: a position stays
        // undecided for at most `MAX_MATCH_LEN` plus two bytes, or the
        // first bytes of an HTTP message.
        let total = self.total;
        let back = |at: u64| (total - at) as u32;
        self.undecided = back(pos);
        self.overlap = state.last_end.saturating_sub(pos) as u32;
        self.context = state.context_at(pos);
        let first_change =
            state.contexts.partition_point(|&(at, _)| at <= pos);
        let changes = state.contexts.len() - first_change;
        self.changes = changes.min(usize::from(u8::MAX)) as u8;
        if changes == 1 {
            let (at, context) = state.contexts[first_change];
            self.change_back = back(at);
            self.change_context = context;
        }

        if tail.len() <= INLINE_TAIL {
            self.inline[..tail.len()].copy_from_slice(tail);
            self.inline_len = tail.len() as u8;
        } else {
            self.inline_len = SPILLED;
        }

        // The spill is given back as soon as the fixed fields suffice,
        // so an idle stream uses no heap memory.
        if changes <= 1 && self.inline_len != SPILLED {
            self.spill = None;
            return;
        }
        let spill = self.spill.get_or_insert_with(Box::default);
        spill.contexts.clear();
        if changes > 1 {
            spill.contexts.extend(state.contexts.range(first_change..));
        }
        spill.tail.clear();
        if self.inline_len == SPILLED {
            spill.tail.extend_from_slice(tail);
        }
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("offset", &self.flow.total)
            .field("decided", &self.flow.pos())
            .field("finished", &self.flow.finished)
            .finish()
    }
}

/// The largest fragment scanned together with the tail in one buffer,
/// rather than in place.
const SMALL_FRAGMENT: usize = 256;

/// The number of fragment bytes past the junction positions that the
/// junction buffer takes at first.
const JUNCTION_AHEAD: usize = 128;

/// Returns the stream offset of the first byte a stream must keep when
/// its first undecided position is `pos`.
fn tail_start(pos: u64, window: u64) -> u64 {
    pos.saturating_sub(window)
}

const _: () = assert!(INLINE_TAIL < SPILLED as usize);
