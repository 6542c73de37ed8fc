//! Definitions whose patterns are generated trees (see
//! `dlp_fuzz::patterns`) load or give an error that is not a TOML syntax
//! error. An engine that loads finds, in a haystack of sample values,
//! near misses and runs of one byte, exactly what a scan without the
//! prefilter finds, and a stream cut anywhere agrees with the block scan.
//!
//! The `sensor_definitions` target mutates definition text, and most
//! mutations break the TOML or the regex. This target reaches a valid
//! pattern with nearly every input, so it explores the prefilter builder
//! (`Triggers::build`) and the literal extraction faster.

#![no_main]

use dlp_core::{Engine, ErrorKind};
use dlp_fuzz::patterns::Definition;
use dlp_fuzz::{check_match, error_message, stream_matches};
use libfuzzer_sys::fuzz_target;

/// A haystack up to this long is also fed one byte at a time.
const BYTEWISE_LEN: usize = 512;

fuzz_target!(|definition: Definition| {
    let text = definition.toml();
    let engine = match Engine::from_toml(&text, "<fuzz>") {
        Ok(engine) => engine,
        Err(error) => {
            let message = error_message(&error);
            // The generator writes valid TOML and valid regex syntax.
            assert!(
                !matches!(error.kind(), ErrorKind::Syntax { .. }),
                "generated definition is not TOML: {message}\n{text}"
            );
            if let ErrorKind::InvalidRegex { message, .. } = error.kind() {
                assert!(
                    !message.contains("regex parse error"),
                    "generated pattern does not parse: {message}\n{text}"
                );
            }
            return;
        }
    };
    let haystack = definition.haystack();
    let block = engine.scan(&haystack);
    for m in &block {
        check_match(&engine, &haystack, m);
    }
    let unfiltered = engine.scan_unfiltered(&haystack);
    assert_eq!(
        block, unfiltered,
        "the prefilter skipped or added a match\n{text}"
    );
    let cuts = definition.cuts(haystack.len());
    let streamed = stream_matches(&engine, &haystack, &cuts);
    assert_eq!(block, streamed, "stream and block disagree\n{text}");
    if haystack.len() <= BYTEWISE_LEN {
        let cuts: Vec<usize> = (1..haystack.len()).collect();
        let bytewise = stream_matches(&engine, &haystack, &cuts);
        assert_eq!(block, bytewise, "bytewise stream and block disagree");
    }
});
