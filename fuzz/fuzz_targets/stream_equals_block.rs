//! A stream fed any cut of a haystack reports exactly the matches that
//! `Engine::scan` reports for the whole haystack, and those are the
//! matches of a scan that runs the automaton at every position.
//!
//! Input layout: a flags byte, a cut count byte, two bytes (little-endian)
//! per cut, then the haystack. Flags bits 0-1 pick the engine (built-in,
//! custom, both), bit 2 feeds one byte at a time instead of the cuts, and
//! bit 3 replays the haystack after `Stream::reset`.

#![no_main]

use std::ops::ControlFlow;
use std::sync::OnceLock;

use dlp_core::{Engine, Match};
use dlp_fuzz::{combined_engine, custom_engine, stream_matches};
use libfuzzer_sys::fuzz_target;

/// At most this many cuts are read, so most of the input is haystack.
const MAX_CUTS: usize = 64;

fn engines() -> &'static [Engine; 3] {
    static ENGINES: OnceLock<[Engine; 3]> = OnceLock::new();
    ENGINES.get_or_init(|| {
        [Engine::builtin(), custom_engine(), combined_engine()]
    })
}

fuzz_target!(|data: &[u8]| {
    let [flags, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(*count) % (MAX_CUTS + 1);
    if rest.len() < 2 * count {
        return;
    }
    let (cut_bytes, haystack) = rest.split_at(2 * count);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|pair| {
            usize::from(u16::from_le_bytes([pair[0], pair[1]]))
                % (haystack.len() + 1)
        })
        .collect();
    if flags & 0b100 != 0 {
        cuts = (1..haystack.len()).collect();
    }
    cuts.sort_unstable();

    let engine = &engines()[usize::from(flags & 0b11) % 3];
    let block = engine.scan(haystack);
    let unfiltered = engine.scan_unfiltered(haystack);
    assert_eq!(block, unfiltered, "the prefilter skipped or added a match");
    let streamed = stream_matches(engine, haystack, &cuts);
    assert_eq!(block, streamed, "stream and block disagree (cuts {cuts:?})");

    if flags & 0b1000 != 0 {
        replay_after_reset(engine, haystack, &cuts, &block);
    }
});

/// Feeds a first stream some junk, finishes it, resets it and feeds the
/// haystack again: the reset stream must report what a new one does.
fn replay_after_reset(
    engine: &Engine,
    haystack: &[u8],
    cuts: &[usize],
    block: &[Match],
) {
    let mut stream = engine.stream();
    let junk =
        b"GET /tck=12345678 HTTP/1.1\r\nContent-Length: 999\r\n\r\n4111 1111";
    stream.feed(junk, |_| ControlFlow::Continue(())).unwrap();
    stream.finish(|_| ControlFlow::Continue(())).unwrap();
    assert!(stream.feed(b"x", |_| ControlFlow::Continue(())).is_err());
    stream.reset();

    let mut found = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&haystack.len())) {
        stream
            .feed(&haystack[from..cut], |m| {
                found.push(m.clone());
                ControlFlow::Continue(())
            })
            .unwrap();
        from = cut;
    }
    stream
        .finish(|m| {
            found.push(m.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(block, found.as_slice(), "a reset stream disagrees with block");
    assert_eq!(stream.offset(), haystack.len() as u64);
}
