//! Hostile inputs: floods of candidate-looking bytes, extreme fragmenting,
//! many streams alive at once, and definitions at the engine limits.
//!
//! These tests check results only. Peak memory and time are measured by
//! the programs in `fuzz/examples/` (see BENCHMARKS.md).

use std::ops::ControlFlow;

use dlp_core::{
    Engine, ErrorKind, Match, Stream, MAX_MATCH_LEN, MAX_PATTERNS,
};

const MIB: usize = 1 << 20;

/// An upper bound on the state a stream of the built-in engine keeps between
/// calls: its struct, the tail (longest match plus hotword window) and a
/// few HTTP context entries. The built-in engine needs far less.
const STREAM_STATE_BOUND: usize = 4096;

/// Returns `len` pseudo-random bytes from `alphabet` (a fixed linear
/// congruential generator, so every run gets the same data).
fn random_from(alphabet: &[u8], len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            alphabet[(state >> 33) as usize % alphabet.len()]
        })
        .collect()
}

fn collect_feed(stream: &mut Stream, fragment: &[u8], found: &mut Vec<Match>) {
    stream
        .feed(fragment, |m| {
            found.push(m.clone());
            ControlFlow::Continue(())
        })
        .expect("the stream is not finished");
}

fn collect_finish(stream: &mut Stream, found: &mut Vec<Match>) {
    stream
        .finish(|m| {
            found.push(m.clone());
            ControlFlow::Continue(())
        })
        .expect("the stream is finished once");
}

/// Feeds `haystack` in fragments of `size` bytes and returns the matches.
fn stream_in_pieces(
    engine: &Engine,
    haystack: &[u8],
    size: usize,
) -> Vec<Match> {
    let mut stream = engine.stream();
    let mut found = Vec::new();
    for fragment in haystack.chunks(size) {
        collect_feed(&mut stream, fragment, &mut found);
        assert!(
            stream.state_size() <= STREAM_STATE_BOUND,
            "stream state grew to {}",
            stream.state_size()
        );
    }
    collect_finish(&mut stream, &mut found);
    found
}

/// Floods that look like the start of values but contain none: no run of
/// digits has a word boundary on both sides, and no grouping fits a
/// sensor's layout.
fn floods() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("random digits", random_from(b"0123456789", MIB, 1)),
        ("zeros", vec![b'0'; MIB]),
        ("single digits and spaces", {
            let digits = random_from(b"0123456789", MIB / 2, 2);
            digits.iter().flat_map(|&d| [d, b' ']).collect()
        }),
        (
            "digits and separators in runs",
            random_from(b"0123456789", MIB, 3)
                .chunks(64)
                .flat_map(|c| [c, b"x"].concat())
                .collect(),
        ),
        ("at signs and dots", random_from(b"@.", MIB, 4)),
        ("iban prefixes", b"FR76".repeat(MIB / 4)),
        ("letters and digits", random_from(b"0123456789ABab", MIB, 5)),
    ]
}

#[test]
fn floods_find_nothing() {
    let engine = Engine::builtin();
    for (name, flood) in floods() {
        let block = engine.scan(&flood);
        assert!(
            block.is_empty(),
            "{name}: block scan found {} matches, first {:?}",
            block.len(),
            block.first()
        );
        let streamed = stream_in_pieces(&engine, &flood, 1500);
        assert!(
            streamed.is_empty(),
            "{name}: stream found {} matches",
            streamed.len()
        );
    }
}

#[test]
fn flood_then_value_is_found() {
    // A value right after a flood still ends the flood's scan correctly.
    let engine = Engine::builtin();
    let mut haystack = random_from(b"0123456789", MIB, 6);
    haystack.extend_from_slice(b" NIR 2 55 08 14 168 025 38 end");
    let found = engine.scan(&haystack);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].sensor(), "fr_nir");
    assert_eq!(found[0].start(), MIB as u64 + 5);
}

/// Builds `len` bytes of traffic: values of every built-in sensor, HTTP
/// framing and noise, repeated.
fn mixed_traffic(len: usize) -> Vec<u8> {
    let unit: &[u8] =
        b"POST /u?c=4111111111111111 HTTP/1.1\r\nContent-Length: 96\r\n\r\n\
NIR 2 55 08 14 168 025 38, SSN 536-22-8451, card 5555 5555 5555 4444, \
IBAN FR14 2004 1010 0505 0001 3M02 606, jane.doe@example.com 0.4242 ";
    let mut haystack = Vec::with_capacity(len + unit.len());
    let mut noise_seed = 7;
    while haystack.len() < len {
        haystack.extend_from_slice(unit);
        haystack.extend_from_slice(&random_from(
            b"0123456789 -.\r\nabc",
            40,
            noise_seed,
        ));
        noise_seed += 1;
    }
    haystack.truncate(len);
    haystack
}

#[test]
fn one_byte_fragments_equal_block() {
    let engine = Engine::builtin();
    let haystack = mixed_traffic(MIB);
    let block = engine.scan(&haystack);
    assert!(
        block.len() > 1000,
        "the traffic should contain many values, found {}",
        block.len()
    );
    let streamed = stream_in_pieces(&engine, &haystack, 1);
    assert_eq!(streamed.len(), block.len());
    assert!(
        streamed == block,
        "one-byte fragments disagree with the block scan"
    );
}

#[test]
fn large_single_fragment_equals_block() {
    let engine = Engine::builtin();
    let haystack = mixed_traffic(16 * MIB);
    let block = engine.scan(&haystack);
    let mut stream = engine.stream();
    let mut streamed = Vec::new();
    collect_feed(&mut stream, &haystack, &mut streamed);
    assert!(
        stream.state_size() <= STREAM_STATE_BOUND,
        "state after one large fragment: {}",
        stream.state_size()
    );
    collect_finish(&mut stream, &mut streamed);
    assert_eq!(streamed.len(), block.len());
    assert!(
        streamed == block,
        "one 16 MiB fragment disagrees with the block scan"
    );
    assert_eq!(stream.offset(), haystack.len() as u64);
}

#[test]
fn many_pipelined_requests_keep_state_bounded() {
    // Each message adds HTTP context entries; a stream must drop them as
    // it moves past them.
    let engine = Engine::builtin();
    let message: &[u8] =
        b"POST /a?x=1 HTTP/1.1\r\nContent-Length: 12\r\n\r\nSSN 536-22-8451";
    let haystack = message.repeat(20_000);
    let block = engine.scan(&haystack);
    let streamed = stream_in_pieces(&engine, &haystack, 1024);
    assert!(
        streamed == block,
        "pipelined requests: stream and block disagree"
    );
}

#[test]
fn hundred_thousand_streams_alive_at_once() {
    const STREAMS: usize = 100_000;
    let engine = Engine::builtin();
    let value: &[u8] = b"id 2 55 08 14 168 025 38 ok";
    let mut streams: Vec<Stream> =
        (0..STREAMS).map(|_| engine.stream()).collect();
    let mut counts = vec![0usize; STREAMS];
    // Every stream gets the value in three pieces, interleaved with all
    // the other streams, so all of them hold a cut value at once.
    for piece in [&value[..9], &value[9..17], &value[17..]] {
        for (stream, count) in streams.iter_mut().zip(&mut counts) {
            stream
                .feed(piece, |_| {
                    *count += 1;
                    ControlFlow::Continue(())
                })
                .unwrap();
        }
    }
    for (stream, count) in streams.iter_mut().zip(&mut counts) {
        assert!(stream.state_size() <= STREAM_STATE_BOUND);
        stream
            .finish(|m| {
                assert_eq!(m.span(), 3..24);
                *count += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
    }
    assert!(
        counts.iter().all(|&c| c == 1),
        "a stream did not report the value exactly once"
    );
}

fn rule_toml(name: &str, pattern: &str) -> String {
    format!("[[sensor.rule]]\nname = '{name}'\n[[sensor.rule.pattern]]\nvalue = '{pattern}'\n")
}

#[test]
fn too_many_patterns_rejected() {
    let mut text = String::from("[[sensor]]\nname = 'many'\n");
    for index in 0..=MAX_PATTERNS {
        text.push_str(&rule_toml(&format!("r{index}"), &format!("id{index}")));
    }
    let error = Engine::from_toml(&text, "many.toml")
        .expect_err("one rule over the limit");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    let message = error.to_string();
    assert!(message.starts_with("many.toml"), "message: {message}");
    assert!(
        message.contains(&(MAX_PATTERNS + 1).to_string()),
        "message: {message}"
    );
    assert!(message.contains(&MAX_PATTERNS.to_string()), "message: {message}");
}

#[test]
fn exactly_max_patterns_accepted() {
    let mut text = String::from("[[sensor]]\nname = 'many'\n");
    for index in 0..MAX_PATTERNS {
        text.push_str(&rule_toml(
            &format!("r{index}"),
            &format!("id{index}x"),
        ));
    }
    let engine = Engine::from_toml(&text, "many.toml")
        .expect("the limit itself is allowed");
    let found = engine.scan(b"see id4095x and id7x");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].rule(), "r4095");
}

#[test]
fn pattern_over_max_match_len_rejected() {
    let pattern = format!("[0-9]{{{}}}", MAX_MATCH_LEN + 1);
    let text = format!(
        "[[sensor]]\nname = 'long'\n{}",
        rule_toml("digits", &pattern)
    );
    let error =
        Engine::from_toml(&text, "long.toml").expect_err("pattern too long");
    assert!(
        matches!(error.kind(), ErrorKind::PatternTooLong { max_len, .. } if *max_len == MAX_MATCH_LEN + 1),
        "kind: {:?}",
        error.kind()
    );
    assert_eq!(error.sensor(), Some("long"));
    assert_eq!(error.rule(), Some("digits"));
}

#[test]
fn pattern_at_max_match_len_accepted() {
    let pattern = format!("x[0-9]{{{}}}", MAX_MATCH_LEN - 1);
    let text = format!(
        "[[sensor]]\nname = 'long'\n{}",
        rule_toml("digits", &pattern)
    );
    let engine = Engine::from_toml(&text, "long.toml")
        .expect("the limit itself is allowed");
    assert_eq!(engine.max_match_len(), MAX_MATCH_LEN);
    let mut haystack = b"a x".to_vec();
    haystack.extend(std::iter::repeat(b'7').take(MAX_MATCH_LEN - 1));
    haystack.extend_from_slice(b" b");
    let block = engine.scan(&haystack);
    assert_eq!(block.len(), 1);
    assert_eq!(block[0].span(), 2..2 + MAX_MATCH_LEN as u64);
    let streamed = stream_in_pieces(&engine, &haystack, 7);
    assert!(streamed == block);
}

/// Returns an alternation of `count` distinct 24-byte words.
fn alternation(count: usize, seed: u64) -> String {
    let letters = random_from(b"abcdefghijklmnopqrstuvwxyz", 24 * count, seed);
    let words: Vec<&str> =
        letters.chunks(24).map(|w| std::str::from_utf8(w).unwrap()).collect();
    format!("(?:{})", words.join("|"))
}

#[test]
fn huge_alternation_rejected() {
    // One rule whose alternation alone is over the regex size limit.
    let text = format!(
        "[[sensor]]\nname = 'huge'\n{}",
        rule_toml("words", &alternation(400_000, 8))
    );
    let error = Engine::from_toml(&text, "huge.toml")
        .expect_err("alternation over the size limit");
    let message = error.to_string();
    assert!(message.starts_with("huge.toml"), "message: {message}");
    assert!(
        message.contains("limit"),
        "the message should name the limit: {message}"
    );
    assert!(
        matches!(
            error.kind(),
            ErrorKind::InvalidRegex { .. } | ErrorKind::TooLarge { .. }
        ),
        "kind: {:?}",
        error.kind()
    );
}

#[test]
fn rules_together_over_compiled_size_rejected() {
    // Rules that each compile alone but exceed the engine size together.
    // The limit hit first is the lazy DFA's 4 MiB scratch cache, whose
    // minimum size grows with the automaton; the message names both.
    let mut text = String::from("[[sensor]]\nname = 'wide'\n");
    for index in 0..16 {
        text.push_str(&rule_toml(
            &format!("r{index}"),
            &alternation(4_000, 100 + index),
        ));
    }
    let error = Engine::from_toml(&text, "wide.toml")
        .expect_err("rules over the compiled size limit");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    let message = error.to_string();
    assert!(
        message.contains("MiB"),
        "the message should give the limit: {message}"
    );
}

#[test]
fn rule_over_cache_rejected() {
    // The last 13 letters after an `a` are tracked for each `a` seen: far
    // more states than the scratch cache holds.
    let text = format!(
        "[[sensor]]\nname = 'wide'\n{}{}",
        rule_toml("phone", r"\d{3}-\d{4}"),
        rule_toml("tail", "[a-z]{0,30}a[a-z]{12}")
    );
    let error = Engine::from_toml(&text, "wide.toml")
        .expect_err("a rule over the cache");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    assert_eq!(error.sensor(), Some("wide"));
    assert_eq!(error.rule(), Some("tail"));
    let message = error.to_string();
    assert!(message.contains("16 MiB"), "message: {message}");
    assert!(message.contains("states"), "message: {message}");
}

#[test]
fn rules_over_cache_together_rejected() {
    let rules = ["[a-z]{0,30}a[a-z]{7}0", "[a-z]{0,30}b[a-z]{7}1"];
    let mut text = String::from("[[sensor]]\nname = 'pair'\n");
    for (index, pattern) in rules.iter().enumerate() {
        let alone =
            format!("[[sensor]]\nname = 'one'\n{}", rule_toml("r", pattern));
        let engine = Engine::from_toml(&alone, "one.toml")
            .expect("each rule alone fits");
        // Each rule matches one of the two words.
        let found = engine.scan(b"xyzabcdefgh0 mmbnnnnnnn1");
        assert_eq!(found.len(), 1, "rule {pattern}");
        text.push_str(&rule_toml(&format!("r{index}"), pattern));
    }
    let error = Engine::from_toml(&text, "pair.toml")
        .expect_err("the rules together over the cache");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    assert_eq!(error.rule(), None);
    let message = error.to_string();
    assert!(message.contains("rules together"), "message: {message}");
}

#[test]
fn keyword_list_fits_cache() {
    // 3,000 keywords of ten letters: a trie of about 27,000 states, which
    // fits in the scratch cache.
    let letters = random_from(b"abcdefghijklmnopqrstuvwxyz", 30_000, 5);
    let mut text = String::from("[[sensor]]\nname = 'words'\n");
    for (index, word) in letters.chunks(10).enumerate() {
        let word = std::str::from_utf8(word).unwrap();
        text.push_str(&rule_toml(&format!("w{index}"), word));
    }
    let engine =
        Engine::from_toml(&text, "words.toml").expect("the list fits");
    let first = std::str::from_utf8(&letters[..10]).unwrap();
    let last = std::str::from_utf8(&letters[29_990..]).unwrap();
    let haystack = format!("last {last} and first {first}.");
    let found = engine.scan(haystack.as_bytes());
    let rules: Vec<&str> = found.iter().map(|m| m.rule()).collect();
    assert_eq!(rules, ["w2999", "w0"]);
}

#[test]
fn match_debug_hides_raw_value() {
    let engine = Engine::builtin();
    let haystack = b"NIR 2 55 08 14 168 025 38, card 4111 1111 1111 1111, SSN 536-22-8451, jane.doe@example.com";
    let found = engine.scan(haystack);
    assert_eq!(found.len(), 4);
    for m in &found {
        let debug = format!("{m:?}");
        let pretty = format!("{m:#?}");
        let raw = std::str::from_utf8(m.value()).unwrap();
        assert!(!debug.contains(raw), "Debug shows the raw value: {debug}");
        assert!(
            !pretty.contains(raw),
            "pretty Debug shows the raw value: {pretty}"
        );
        assert!(
            debug.contains(m.masked()),
            "Debug should show the masked value: {debug}"
        );
    }
    // The middle digits, which the masks hide, appear nowhere.
    let all = format!("{found:?}");
    for secret in ["168 025", "1111 1111", "22-8", "ane.do"] {
        assert!(
            !all.contains(secret),
            "Debug output contains {secret:?}: {all}"
        );
    }
}
