//! TCP reassembly of one flow direction.

use std::collections::BTreeMap;

/// Bounds on the out-of-order bytes that a [`Reassembler`] buffers while it
/// waits for a gap to fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Maximum number of out-of-order payload bytes held per direction.
    /// Default: 256 KiB.
    pub max_buffered_bytes: usize,
    /// Maximum number of out-of-order byte ranges held per direction.
    /// Default: 256.
    pub max_segments: usize,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits { max_buffered_bytes: 256 * 1024, max_segments: 256 }
    }
}

/// Result of [`Reassembler::push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// The segment started at or before the next expected byte, so its new
    /// bytes were delivered, followed by any held bytes they made
    /// contiguous. The first SYN of a direction also returns this.
    InOrder,
    /// The segment starts past a gap, so its new bytes are held until the
    /// gap fills.
    Buffered,
    /// The segment carried no new bytes: it has no payload, or all of its
    /// bytes were already delivered or held.
    Duplicate,
    /// The segment starts past a gap and holding it would exceed the
    /// [`ReassemblyLimits`], so it was dropped. Call [`Reassembler::flush`]
    /// to give up on the gap, then push the segment again.
    Overflow,
}

/// Puts the TCP segments of one flow direction back in sequence order.
///
/// Stream offset 0 is the first payload byte after the SYN (ISN + 1). When
/// the first segment pushed is not a SYN, its sequence number is offset 0
/// and bytes of later segments that lie before it are dropped. Sequence
/// numbers wrap, so a segment is placed by its signed 32-bit distance from
/// the next expected sequence number.
///
/// Memory is bounded by [`ReassemblyLimits`]: in-order bytes are passed
/// through without a copy and only out-of-order bytes are held.
///
/// # Example
///
/// ```
/// use dlp_core::capture::{PushOutcome, Reassembler, ReassemblyLimits};
///
/// let mut reassembler = Reassembler::new(ReassemblyLimits::default());
/// let mut stream = Vec::new();
/// let mut deliver = |bytes: &[u8]| stream.extend_from_slice(bytes);
///
/// // SYN with ISN 999, so offset 0 is sequence number 1000.
/// reassembler.push(999, true, b"", &mut deliver);
/// let outcome = reassembler.push(1005, false, b"world", &mut deliver);
/// assert_eq!(outcome, PushOutcome::Buffered);
/// let outcome = reassembler.push(1000, false, b"hello", &mut deliver);
/// assert_eq!(outcome, PushOutcome::InOrder);
/// assert_eq!(reassembler.delivered(), 10);
/// assert_eq!(stream, b"helloworld");
/// ```
#[derive(Clone, Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    /// Sequence number of the byte at stream offset `delivered`, or `None`
    /// until the first SYN or payload segment.
    next_seq: Option<u32>,
    delivered: u64,
    /// Out-of-order bytes keyed by stream offset. The ranges never overlap
    /// and all start after `delivered`.
    buffered: BTreeMap<u64, Vec<u8>>,
    buffered_bytes: usize,
}

impl Reassembler {
    /// Creates a reassembler that has seen no segment yet.
    #[must_use]
    pub fn new(limits: ReassemblyLimits) -> Self {
        Reassembler {
            limits,
            next_seq: None,
            delivered: 0,
            buffered: BTreeMap::new(),
            buffered_bytes: 0,
        }
    }

    /// Takes one segment and calls `deliver` with the bytes that become
    /// contiguous, in stream order.
    ///
    /// Each stream byte is delivered exactly once: bytes already delivered
    /// or held (retransmissions, overlaps) are trimmed, and out-of-order
    /// bytes are held until the gap before them fills. The new bytes of an
    /// in-order segment are passed straight from `payload`. `syn` tells
    /// that the segment has the SYN flag, which takes one sequence number
    /// before the payload.
    ///
    /// On [`PushOutcome::Overflow`] nothing is kept from the segment.
    pub fn push(
        &mut self,
        seq: u32,
        syn: bool,
        payload: &[u8],
        deliver: &mut dyn FnMut(&[u8]),
    ) -> PushOutcome {
        self.push_at(seq, syn, payload, &mut |_, bytes| deliver(bytes))
    }

    /// Delivers all held bytes in stream order, skipping the gaps between
    /// them, and returns the number of bytes skipped.
    ///
    /// Use it when the missing bytes will not arrive: at the end of a
    /// capture, or to make room after [`PushOutcome::Overflow`]. Segments
    /// that arrive later for the skipped range are trimmed as duplicates.
    pub fn flush(&mut self, deliver: &mut dyn FnMut(&[u8])) -> u64 {
        self.flush_at(&mut |_, bytes| deliver(bytes))
    }

    /// Returns the stream offset of the next byte to deliver, which is also
    /// the number of bytes delivered or skipped so far.
    #[must_use]
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Returns the number of out-of-order bytes held.
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Returns the stream offset of sequence number `seq`, or `None` before
    /// the first SYN or payload segment and for a `seq` that lies before
    /// offset 0.
    #[must_use]
    pub fn stream_offset(&self, seq: u32) -> Option<u64> {
        let next_seq = self.next_seq?;
        let offset = self.delivered as i64 + seq_distance(next_seq, seq);
        u64::try_from(offset).ok()
    }

    /// Works like [`Reassembler::push`] but also passes `deliver` the
    /// stream offset of each delivered slice.
    pub(crate) fn push_at(
        &mut self,
        seq: u32,
        syn: bool,
        payload: &[u8],
        deliver: &mut dyn FnMut(u64, &[u8]),
    ) -> PushOutcome {
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let mut started_now = false;
        let next_seq = match self.next_seq {
            Some(next_seq) => next_seq,
            None if syn || !payload.is_empty() => {
                self.next_seq = Some(data_seq);
                started_now = true;
                data_seq
            }
            None => return PushOutcome::Duplicate,
        };
        if payload.is_empty() {
            return if started_now {
                PushOutcome::InOrder
            } else {
                PushOutcome::Duplicate
            };
        }

        let delivered = self.delivered as i64;
        let start = delivered + seq_distance(next_seq, data_seq);
        let end = start + payload.len() as i64;
        if end <= delivered {
            return PushOutcome::Duplicate;
        }
        if start > delivered {
            return self.hold(start as u64, payload);
        }

        // The segment reaches the next expected byte: deliver its new part
        // without copying. Held bytes win over the segment where they
        // overlap, as the docs of `push` promise, so the segment is
        // delivered only up to each held range and the held range after it.
        let fresh = &payload[(delivered - start) as usize..];
        let fresh_start = self.delivered;
        let fresh_end = fresh_start + fresh.len() as u64;
        while self.delivered < fresh_end {
            let upto = match self.buffered.first_key_value() {
                Some((&held, _)) if held < fresh_end => {
                    held.max(self.delivered)
                }
                _ => fresh_end,
            };
            if upto > self.delivered {
                let from = (self.delivered - fresh_start) as usize;
                let to = (upto - fresh_start) as usize;
                deliver(self.delivered, &fresh[from..to]);
                self.advance(upto - self.delivered);
            }
            self.release_contiguous(deliver);
        }
        self.release_contiguous(deliver);
        PushOutcome::InOrder
    }

    /// Works like [`Reassembler::flush`] but also passes `deliver` the
    /// stream offset of each delivered slice.
    pub(crate) fn flush_at(
        &mut self,
        deliver: &mut dyn FnMut(u64, &[u8]),
    ) -> u64 {
        let mut skipped = 0;
        while !self.buffered.is_empty() {
            skipped += self.skip_first_gap(deliver);
        }
        skipped
    }

    /// Skips the gap before the first held range, delivers the bytes that
    /// become contiguous and returns the gap size in bytes. Returns 0 when
    /// nothing is held.
    pub(crate) fn skip_first_gap(
        &mut self,
        deliver: &mut dyn FnMut(u64, &[u8]),
    ) -> u64 {
        let Some((&start, _)) = self.buffered.first_key_value() else {
            return 0;
        };
        let gap = start.saturating_sub(self.delivered);
        self.advance(gap);
        self.release_contiguous(deliver);
        gap
    }

    /// Pushes a segment and, when holding it would exceed the limits, skips
    /// the earliest gaps until it fits. Returns the outcome of the final
    /// push and the number of bytes skipped, so the segment is never
    /// dropped.
    pub(crate) fn push_evicting(
        &mut self,
        seq: u32,
        syn: bool,
        payload: &[u8],
        deliver: &mut dyn FnMut(u64, &[u8]),
    ) -> (PushOutcome, u64) {
        let mut skipped = 0;
        loop {
            let outcome = self.push_at(seq, syn, payload, deliver);
            if outcome != PushOutcome::Overflow {
                return (outcome, skipped);
            }
            if !self.buffered.is_empty() {
                skipped += self.skip_first_gap(deliver);
                continue;
            }
            // The segment alone exceeds the limits, so skip the gap before
            // it and deliver it in order.
            let data_seq = if syn { seq.wrapping_add(1) } else { seq };
            let start = self.stream_offset(data_seq).unwrap_or(self.delivered);
            let gap = start.saturating_sub(self.delivered);
            self.advance(gap);
            skipped += gap;
            let outcome = self.push_at(seq, syn, payload, deliver);
            return (outcome, skipped);
        }
    }

    /// Holds the bytes of `payload` (at stream offset `start`) that are not
    /// held yet, or drops the whole segment if that would exceed the limits.
    fn hold(&mut self, start: u64, payload: &[u8]) -> PushOutcome {
        let end = start + payload.len() as u64;
        let mut holes: Vec<(u64, u64)> = Vec::new();
        let mut cursor = start;

        // A held range that starts before `start` can still cover its
        // beginning, so the walk begins with the last one before it.
        let earlier = self.buffered.range(..start).next_back();
        let later = self.buffered.range(start..end);
        for (&range_start, bytes) in earlier.into_iter().chain(later) {
            let range_end = range_start + bytes.len() as u64;
            if range_start > cursor {
                holes.push((cursor, range_start));
            }
            cursor = cursor.max(range_end);
        }
        if cursor < end {
            holes.push((cursor, end));
        }
        if holes.is_empty() {
            return PushOutcome::Duplicate;
        }

        let new_bytes: u64 = holes.iter().map(|(from, to)| to - from).sum();
        let over_bytes = self.buffered_bytes as u64 + new_bytes
            > self.limits.max_buffered_bytes as u64;
        let over_segments =
            self.buffered.len() + holes.len() > self.limits.max_segments;
        if over_bytes || over_segments {
            return PushOutcome::Overflow;
        }

        for (from, to) in holes {
            let bytes = payload
                [(from - start) as usize..(to - start) as usize]
                .to_vec();
            self.buffered_bytes += bytes.len();
            self.buffered.insert(from, bytes);
        }
        PushOutcome::Buffered
    }

    /// Delivers and releases the held ranges that start at or before the
    /// next expected byte.
    fn release_contiguous(&mut self, deliver: &mut dyn FnMut(u64, &[u8])) {
        while let Some(entry) = self.buffered.first_entry() {
            let start = *entry.key();
            if start > self.delivered {
                break;
            }
            let bytes = entry.remove();
            self.buffered_bytes -= bytes.len();
            let end = start + bytes.len() as u64;
            if end > self.delivered {
                let fresh = &bytes[(self.delivered - start) as usize..];
                deliver(self.delivered, fresh);
                self.advance(fresh.len() as u64);
            }
        }
    }

    /// Moves the next expected byte `count` bytes forward.
    fn advance(&mut self, count: u64) {
        self.delivered += count;
        if let Some(next_seq) = self.next_seq.as_mut() {
            // Sequence numbers are modulo 2^32, so truncating is intended.
            *next_seq = next_seq.wrapping_add(count as u32);
        }
    }
}

/// Returns the signed distance from sequence number `from` to `to`, taking
/// the shorter way around the 32-bit sequence space.
fn seq_distance(from: u32, to: u32) -> i64 {
    i64::from(to.wrapping_sub(from) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Collects delivered bytes and the stream offset of each slice.
    #[derive(Default)]
    struct Sink {
        stream: Vec<u8>,
        offsets: Vec<u64>,
        /// Stream length before each delivered slice, which equals its
        /// offset while no gap has been skipped.
        lengths: Vec<u64>,
    }

    impl Sink {
        fn push(
            &mut self,
            reassembler: &mut Reassembler,
            seq: u32,
            syn: bool,
            payload: &[u8],
        ) -> PushOutcome {
            reassembler.push_at(seq, syn, payload, &mut |offset, bytes| {
                self.offsets.push(offset);
                self.lengths.push(self.stream.len() as u64);
                self.stream.extend_from_slice(bytes);
            })
        }

        fn flush(&mut self, reassembler: &mut Reassembler) -> u64 {
            reassembler.flush_at(&mut |offset, bytes| {
                self.offsets.push(offset);
                self.stream.extend_from_slice(bytes);
            })
        }
    }

    fn default_reassembler() -> Reassembler {
        Reassembler::new(ReassemblyLimits::default())
    }

    #[test]
    fn in_order_segments() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        assert_eq!(
            sink.push(&mut reassembler, 99, true, b""),
            PushOutcome::InOrder
        );
        assert_eq!(
            sink.push(&mut reassembler, 100, false, b"abc"),
            PushOutcome::InOrder
        );
        assert_eq!(
            sink.push(&mut reassembler, 103, false, b"def"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"abcdef");
        assert_eq!(sink.offsets, vec![0, 3]);
        assert_eq!(reassembler.delivered(), 6);
        assert_eq!(reassembler.buffered_bytes(), 0);
    }

    #[test]
    fn in_order_segment_is_not_copied() {
        let mut reassembler = default_reassembler();
        let payload = b"abc".to_vec();
        let mut seen = None;
        reassembler.push(7, false, &payload, &mut |bytes| {
            seen = Some(bytes.as_ptr());
        });
        assert_eq!(seen, Some(payload.as_ptr()));
    }

    #[test]
    fn out_of_order_segments() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 0, true, b"");
        assert_eq!(
            sink.push(&mut reassembler, 7, false, b"ghi"),
            PushOutcome::Buffered
        );
        assert_eq!(
            sink.push(&mut reassembler, 4, false, b"def"),
            PushOutcome::Buffered
        );
        assert_eq!(reassembler.buffered_bytes(), 6);
        assert!(sink.stream.is_empty());
        assert_eq!(
            sink.push(&mut reassembler, 1, false, b"abc"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"abcdefghi");
        assert_eq!(sink.offsets, vec![0, 3, 6]);
        assert_eq!(reassembler.buffered_bytes(), 0);
        assert_eq!(reassembler.delivered(), 9);
    }

    #[test]
    fn retransmission_is_duplicate() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 1000, false, b"abcd");
        assert_eq!(
            sink.push(&mut reassembler, 1000, false, b"abcd"),
            PushOutcome::Duplicate
        );
        sink.push(&mut reassembler, 1008, false, b"ijkl");
        assert_eq!(
            sink.push(&mut reassembler, 1008, false, b"ijkl"),
            PushOutcome::Duplicate
        );
        assert_eq!(reassembler.buffered_bytes(), 4);
        sink.push(&mut reassembler, 1004, false, b"efgh");
        assert_eq!(sink.stream, b"abcdefghijkl");
    }

    #[test]
    fn partial_overlap_is_trimmed() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 0, false, b"abcdef");
        // Overlaps the delivered tail by three bytes.
        assert_eq!(
            sink.push(&mut reassembler, 3, false, b"defgh"),
            PushOutcome::InOrder
        );
        // Two held ranges, then a segment spanning both and the hole between.
        sink.push(&mut reassembler, 10, false, b"kl");
        sink.push(&mut reassembler, 14, false, b"op");
        assert_eq!(
            sink.push(&mut reassembler, 9, false, b"jklmnopq"),
            PushOutcome::Buffered
        );
        assert_eq!(reassembler.buffered_bytes(), 8);
        assert_eq!(
            sink.push(&mut reassembler, 7, false, b"hij"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"abcdefghijklmnopq");
        assert_eq!(reassembler.delivered(), 17);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        let isn = u32::MAX - 3;
        sink.push(&mut reassembler, isn, true, b"");
        // Offset 3 wraps to sequence number 0.
        assert_eq!(
            sink.push(&mut reassembler, 0, false, b"defg"),
            PushOutcome::Buffered
        );
        assert_eq!(
            sink.push(&mut reassembler, isn.wrapping_add(1), false, b"abc"),
            PushOutcome::InOrder
        );
        assert_eq!(
            sink.push(&mut reassembler, 4, false, b"hi"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"abcdefghi");
        assert_eq!(reassembler.stream_offset(4), Some(7));
    }

    #[test]
    fn overflow_respects_byte_limit() {
        let limits =
            ReassemblyLimits { max_buffered_bytes: 8, max_segments: 100 };
        let mut reassembler = Reassembler::new(limits);
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 0, true, b"");
        assert_eq!(
            sink.push(&mut reassembler, 11, false, b"12345"),
            PushOutcome::Buffered
        );
        assert_eq!(
            sink.push(&mut reassembler, 21, false, b"abcd"),
            PushOutcome::Overflow
        );
        assert_eq!(reassembler.buffered_bytes(), 5);
        assert_eq!(
            sink.push(&mut reassembler, 21, false, b"abc"),
            PushOutcome::Buffered
        );
        assert_eq!(reassembler.buffered_bytes(), 8);
        assert!(sink.stream.is_empty());
    }

    #[test]
    fn overflow_respects_segment_limit() {
        let limits =
            ReassemblyLimits { max_buffered_bytes: 1000, max_segments: 2 };
        let mut reassembler = Reassembler::new(limits);
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 0, false, b"a");
        assert_eq!(
            sink.push(&mut reassembler, 10, false, b"b"),
            PushOutcome::Buffered
        );
        assert_eq!(
            sink.push(&mut reassembler, 20, false, b"c"),
            PushOutcome::Buffered
        );
        assert_eq!(
            sink.push(&mut reassembler, 30, false, b"d"),
            PushOutcome::Overflow
        );
        assert_eq!(reassembler.buffered_bytes(), 2);
    }

    #[test]
    fn flush_skips_gaps() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        sink.push(&mut reassembler, 0, true, b"");
        sink.push(&mut reassembler, 1, false, b"ab");
        sink.push(&mut reassembler, 5, false, b"ef");
        sink.push(&mut reassembler, 10, false, b"jk");
        assert_eq!(sink.flush(&mut reassembler), 5);
        assert_eq!(sink.stream, b"abefjk");
        assert_eq!(sink.offsets, vec![0, 4, 9]);
        assert_eq!(reassembler.delivered(), 11);
        assert_eq!(reassembler.buffered_bytes(), 0);
        // Bytes for the skipped range are duplicates now.
        assert_eq!(
            sink.push(&mut reassembler, 3, false, b"cd"),
            PushOutcome::Duplicate
        );
        assert_eq!(
            sink.push(&mut reassembler, 12, false, b"l"),
            PushOutcome::InOrder
        );
    }

    #[test]
    fn push_evicting_never_drops() {
        let limits =
            ReassemblyLimits { max_buffered_bytes: 4, max_segments: 1 };
        let mut reassembler = Reassembler::new(limits);
        let mut sink = Sink::default();
        let mut push = |reassembler: &mut Reassembler, seq, payload: &[u8]| {
            reassembler.push_evicting(
                seq,
                false,
                payload,
                &mut |offset, bytes| {
                    sink.offsets.push(offset);
                    sink.stream.extend_from_slice(bytes);
                },
            )
        };
        assert_eq!(
            push(&mut reassembler, 0, b"ab"),
            (PushOutcome::InOrder, 0)
        );
        assert_eq!(
            push(&mut reassembler, 4, b"ef"),
            (PushOutcome::Buffered, 0)
        );

        // Too many ranges: the gap before "ef" is skipped to make room.
        assert_eq!(
            push(&mut reassembler, 8, b"ij"),
            (PushOutcome::Buffered, 2)
        );

        // Larger than the byte limit on its own: delivered after its gap.
        assert_eq!(
            push(&mut reassembler, 20, b"uvwxyz"),
            (PushOutcome::InOrder, 12)
        );

        assert_eq!(sink.stream, b"abefijuvwxyz");
        assert_eq!(sink.offsets, vec![0, 4, 8, 20]);
    }

    #[test]
    fn no_syn_uses_first_segment_as_base() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        assert_eq!(
            sink.push(&mut reassembler, 5000, false, b""),
            PushOutcome::Duplicate
        );
        assert_eq!(reassembler.stream_offset(5000), None);
        assert_eq!(
            sink.push(&mut reassembler, 5000, false, b"xyz"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.offsets, vec![0]);
        // Bytes before the base are dropped.
        assert_eq!(
            sink.push(&mut reassembler, 4998, false, b"vwxyz!"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"xyz!");
        assert_eq!(reassembler.stream_offset(4990), None);
    }

    #[test]
    fn syn_with_payload() {
        let mut reassembler = default_reassembler();
        let mut sink = Sink::default();
        assert_eq!(
            sink.push(&mut reassembler, 41, true, b"hi"),
            PushOutcome::InOrder
        );
        // A retransmitted SYN carries the same bytes.
        assert_eq!(
            sink.push(&mut reassembler, 41, true, b"hi"),
            PushOutcome::Duplicate
        );
        assert_eq!(
            sink.push(&mut reassembler, 44, false, b"!"),
            PushOutcome::InOrder
        );
        assert_eq!(sink.stream, b"hi!");
    }

    /// Splits `data` into segments at the given cut points.
    fn segments(data: &[u8], cuts: &[usize]) -> Vec<(usize, usize)> {
        let mut points: Vec<usize> =
            cuts.iter().map(|cut| cut % (data.len() + 1)).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        points.dedup();
        points.windows(2).map(|pair| (pair[0], pair[1])).collect()
    }

    proptest! {
        #[test]
        fn shuffled_segments_rebuild_stream(
            data in proptest::collection::vec(any::<u8>(), 1..2000),
            cuts in proptest::collection::vec(any::<usize>(), 0..40),
            extra in proptest::collection::vec(any::<usize>(), 0..20),
            order in proptest::collection::vec(any::<usize>(), 0..80),
            isn in any::<u32>(),
        ) {
            let mut pieces = segments(&data, &cuts);
            // Duplicates, plus overlapping ranges built from two pieces.
            for pick in &extra {
                let first = pieces[pick % pieces.len()];
                let second = pieces[(pick / 7) % pieces.len()];
                pieces.push((first.0.min(second.0), first.1.max(second.1)));
                pieces.push(first);
            }
            for (i, swap) in order.iter().enumerate() {
                let len = pieces.len();
                pieces.swap(i % len, swap % len);
            }

            let mut reassembler = default_reassembler();
            let mut sink = Sink::default();
            sink.push(&mut reassembler, isn, true, b"");
            for (from, to) in pieces {
                let seq = isn.wrapping_add(1).wrapping_add(from as u32);
                let piece = &data[from..to];
                let outcome = sink.push(&mut reassembler, seq, false, piece);
                prop_assert_ne!(outcome, PushOutcome::Overflow);
            }
            prop_assert_eq!(&sink.stream, &data);
            prop_assert_eq!(&sink.offsets, &sink.lengths);
            prop_assert_eq!(reassembler.delivered(), data.len() as u64);
            prop_assert_eq!(reassembler.buffered_bytes(), 0);
        }
    }
}
