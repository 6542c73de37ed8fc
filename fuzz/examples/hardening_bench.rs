//! Workloads for peak-memory measurements of the built-in engine, run
//! under `/usr/bin/time -v` (see BENCHMARKS.md).
//!
//! Usage:
//!   hardening_bench streams COUNT      COUNT streams alive at once, each
//!                                      fed a cut NIR in three pieces
//!   hardening_bench fragment MIB       one fragment of MIB mebibytes
//!   hardening_bench pieces MIB         the same bytes in 64 KiB fragments,
//!                                      made as they are fed
//!   hardening_bench tiny COUNT         COUNT 1-byte fragments

use std::ops::ControlFlow;
use std::time::Instant;

use dlp_core::{Engine, Stream};

/// Test values and a decoy, repeated: a candidate every few bytes.
const UNIT: &[u8] = b"NIR 2 55 08 14 168 025 38, SSN 536-22-8451, card 5555 5555 5555 4444, 0.4242 ";

fn traffic(len: usize) -> Vec<u8> {
    UNIT.iter().copied().cycle().take(len).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(count)) =
        (args.get(1), args.get(2).and_then(|c| c.parse::<usize>().ok()))
    else {
        eprintln!("usage: hardening_bench streams|fragment|pieces|tiny COUNT");
        std::process::exit(2);
    };
    let engine = Engine::builtin();
    let started = Instant::now();
    let mut found = 0usize;
    let mut count_match = |_: &dlp_core::Match| {
        found += 1;
        ControlFlow::Continue(())
    };
    let state_bytes;
    match mode.as_str() {
        "streams" => {
            let value: &[u8] = b"id 2 55 08 14 168 025 38 ok";
            let mut streams: Vec<Stream> =
                (0..count).map(|_| engine.stream()).collect();
            for piece in [&value[..9], &value[9..17], &value[17..]] {
                for stream in &mut streams {
                    stream.feed(piece, &mut count_match).unwrap();
                }
            }
            state_bytes = streams.iter().map(Stream::state_size).sum();
            for stream in &mut streams {
                stream.finish(&mut count_match).unwrap();
            }
        }
        "fragment" => {
            let haystack = traffic(count << 20);
            let mut stream = engine.stream();
            stream.feed(&haystack, &mut count_match).unwrap();
            stream.finish(&mut count_match).unwrap();
            state_bytes = stream.state_size();
        }
        "pieces" => {
            // The unit's length does not divide the piece size, so the
            // cuts fall at every offset of the unit.
            let mut bytes = UNIT.iter().copied().cycle();
            let mut piece = vec![0u8; 64 << 10];
            let mut stream = engine.stream();
            for _ in 0..(count << 20) / piece.len() {
                piece.fill_with(|| bytes.next().unwrap_or_default());
                stream.feed(&piece, &mut count_match).unwrap();
            }
            stream.finish(&mut count_match).unwrap();
            state_bytes = stream.state_size();
        }
        "tiny" => {
            let haystack = traffic(count);
            let mut stream = engine.stream();
            for byte in haystack.chunks(1) {
                stream.feed(byte, &mut count_match).unwrap();
            }
            state_bytes = stream.state_size();
            stream.finish(&mut count_match).unwrap();
        }
        other => {
            eprintln!("unknown mode '{other}'; use streams, fragment, pieces or tiny");
            std::process::exit(2);
        }
    }
    println!(
        "{mode} {count}: {found} matches, state_size total {state_bytes} bytes, {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
