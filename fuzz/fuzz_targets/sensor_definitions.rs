//! Arbitrary definition text either loads or returns an error, and never
//! panics. An engine that loads scans a fixed probe and the text itself
//! without panicking, reports well-formed matches, finds what a scan
//! without the prefilter finds, and a stream fed one byte at a time
//! agrees with the block scan.

#![no_main]

use dlp_core::Engine;
use dlp_fuzz::{check_match, error_message, stream_matches};
use libfuzzer_sys::fuzz_target;

/// Bytes that look like the values and HTTP framing sensors are written
/// for.
const PROBE: &[u8] = b"POST /u?id=4111111111111111&n=12 HTTP/1.1\r\n\
Content-Length: 64\r\nX-Id: 2 55 08 14 168 025 38\r\n\r\n\
ssn 536-22-8451 mail jane.doe@example.com key=k1a2b3c4d5 \
TCK-1234 FR14 2004 1010 0505 0001 3M02 606 abcABC_-.:;/\\\"' \t\0\xff";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let engine = match Engine::from_toml(text, "<fuzz>") {
        Ok(engine) => engine,
        Err(error) => {
            error_message(&error);
            return;
        }
    };
    assert!(engine.max_match_len() >= 1);
    assert!(engine.max_match_len() <= dlp_core::MAX_MATCH_LEN);
    for haystack in [PROBE, data] {
        let block = engine.scan(haystack);
        for m in &block {
            check_match(&engine, haystack, m);
        }
        let unfiltered = engine.scan_unfiltered(haystack);
        assert_eq!(
            block, unfiltered,
            "the prefilter skipped or added a match"
        );
        let cuts: Vec<usize> = (1..haystack.len()).collect();
        let streamed = stream_matches(&engine, haystack, &cuts);
        assert_eq!(block, streamed, "stream and block disagree");
    }
});
