//! The capture reader and TCP reassembly take any input without panicking.
//!
//! The first input byte picks the mode:
//!
//! - `0x00`: the sample capture `samples/exfil-http.pcap`, cut to
//!   `len * byte / 256` bytes when the next byte is not 0, then patched by
//!   3-byte records (offset as u16 little-endian, byte to XOR in).
//! - `0x01`: [`Reassembler`] alone, with small limits, fed 6-byte segment
//!   headers (flags, sequence number as u32 little-endian, payload length)
//!   each followed by its payload. Flags bit 0 is SYN, bit 1 flushes first.
//! - anything else: the input itself is the capture (pcap magic numbers
//!   start with 0xd4, 0xa1, 0x4d, 0x34 or 0x0a, so seeds land here).
//!
//! Every flow of a capture is scanned by a stream of the built-in engine,
//! which must agree with a block scan of the same bytes. The target also
//! checks the reader's event contract: offsets never go back, and each
//! stream gets one End event.

#![no_main]

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::ops::ControlFlow;

use dlp_core::capture::{
    read_capture, CaptureEvent, FlowKey, PushOutcome, Reassembler,
    ReassemblyLimits,
};
use dlp_core::{Engine, Match, Stream};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &[u8] = include_bytes!("../../samples/exfil-http.pcap");

fuzz_target!(|data: &[u8]| {
    match data {
        [0x00, rest @ ..] => read_and_scan(&patched_sample(rest)),
        [0x01, rest @ ..] => reassemble(rest),
        _ => read_and_scan(data),
    }
});

fn patched_sample(rest: &[u8]) -> Vec<u8> {
    let mut capture = SAMPLE.to_vec();
    let Some((&cut, patches)) = rest.split_first() else {
        return capture;
    };
    if cut != 0 {
        capture.truncate(capture.len() * usize::from(cut) / 256);
    }
    if capture.is_empty() {
        return capture;
    }
    for patch in patches.chunks_exact(3) {
        let offset = usize::from(u16::from_le_bytes([patch[0], patch[1]]))
            % capture.len();
        capture[offset] ^= patch[2];
    }
    capture
}

/// A reader that returns 1, 2, ... 17 bytes per call, to exercise partial
/// reads in the capture parser.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 17 + 1;
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

struct Flow {
    stream: Stream,
    next_offset: u64,
    bytes: Vec<u8>,
    matches: Vec<Match>,
}

fn read_and_scan(capture: &[u8]) {
    let engine = Engine::builtin();
    let mut open: HashMap<FlowKey, Flow> = HashMap::new();
    let mut ended = 0u64;
    let result =
        read_capture(
            Trickle { data: capture, step: 0 },
            |event| match event {
                CaptureEvent::Data { flow, offset, data } => {
                    let entry = open.entry(flow).or_insert_with(|| Flow {
                        stream: engine.stream(),
                        next_offset: 0,
                        bytes: Vec::new(),
                        matches: Vec::new(),
                    });
                    assert!(
                        offset >= entry.next_offset,
                        "{flow}: offset {offset} goes back"
                    );
                    entry.next_offset = offset + data.len() as u64;
                    entry.bytes.extend_from_slice(data);
                    let matches = &mut entry.matches;
                    entry
                        .stream
                        .feed(data, |m| {
                            matches.push(m.clone());
                            ControlFlow::Continue(())
                        })
                        .expect("feed before finish succeeds");
                }
                CaptureEvent::End { flow } => {
                    ended += 1;
                    if let Some(mut done) = open.remove(&flow) {
                        let matches = &mut done.matches;
                        done.stream
                            .finish(|m| {
                                matches.push(m.clone());
                                ControlFlow::Continue(())
                            })
                            .expect("first finish succeeds");
                        assert_eq!(
                            engine.scan(&done.bytes),
                            done.matches,
                            "{flow}: stream and block disagree"
                        );
                    }
                }
            },
        );
    let Ok(summary) = result else {
        return;
    };
    assert!(open.is_empty(), "{} flows got data but no End event", open.len());
    assert_eq!(ended, summary.flows, "End events and the flow count differ");
    assert!(summary.tcp_segments <= summary.packets);
    assert!(summary.warnings.len() <= 1001);
}

fn reassemble(mut input: &[u8]) {
    let limits = ReassemblyLimits { max_buffered_bytes: 64, max_segments: 4 };
    let mut reassembler = Reassembler::new(limits);
    // The first byte received at each stream offset; later copies of an
    // offset are trimmed, so delivered bytes must match these.
    let mut first_seen: BTreeMap<u64, u8> = BTreeMap::new();
    while let [flags, s0, s1, s2, s3, len, rest @ ..] = input {
        let len = usize::from(*len).min(rest.len());
        let (payload, tail) = rest.split_at(len);
        input = tail;
        let seq = u32::from_le_bytes([*s0, *s1, *s2, *s3]);
        let syn = flags & 1 != 0;

        if flags & 2 != 0 {
            let before = reassembler.delivered();
            let mut flushed = 0u64;
            let skipped =
                reassembler.flush(&mut |bytes| flushed += bytes.len() as u64);
            assert_eq!(reassembler.delivered(), before + skipped + flushed);
            assert_eq!(
                reassembler.buffered_bytes(),
                0,
                "flush left bytes held"
            );
        }

        let before = reassembler.delivered();
        let mut delivered = Vec::new();
        let outcome = reassembler.push(seq, syn, payload, &mut |bytes| {
            delivered.extend_from_slice(bytes)
        });
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        if outcome != PushOutcome::Overflow {
            for (i, &byte) in payload.iter().enumerate() {
                let Some(offset) =
                    reassembler.stream_offset(data_seq.wrapping_add(i as u32))
                else {
                    continue;
                };
                // Held bytes win over a later overlapping segment.
                if offset >= before {
                    first_seen.entry(offset).or_insert(byte);
                }
            }
        }
        assert_eq!(
            reassembler.delivered(),
            before + delivered.len() as u64,
            "push skipped bytes"
        );
        for (i, &byte) in delivered.iter().enumerate() {
            let offset = before + i as u64;
            assert_eq!(
                first_seen.get(&offset),
                Some(&byte),
                "wrong byte delivered at offset {offset}"
            );
        }
        if outcome == PushOutcome::Overflow
            || outcome == PushOutcome::Duplicate
        {
            assert!(delivered.is_empty(), "{outcome:?} delivered bytes");
        }
        assert!(
            reassembler.buffered_bytes() <= limits.max_buffered_bytes,
            "held bytes exceed the limit"
        );
        first_seen = first_seen.split_off(&reassembler.delivered());
    }
}
