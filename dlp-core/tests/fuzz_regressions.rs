//! Inputs found by the fuzz targets in `fuzz/`, kept as named tests.
//!
//! Each test states the contract that the input broke. A test that fails
//! here is an open bug in dlp-core.

use dlp_core::capture::{PushOutcome, Reassembler, ReassemblyLimits};
use dlp_core::{Engine, ErrorKind};

/// Found by the `captures` target (reassembler mode). `Reassembler::push`
/// documents that bytes already held are kept and the overlapping part of
/// a later segment is trimmed. An in-order segment that covers held bytes
/// delivers its own bytes instead, so two overlapping segments with
/// different content give the later one's bytes.
#[test]
fn in_order_segment_keeps_held_bytes() {
    let mut reassembler = Reassembler::new(ReassemblyLimits::default());
    let mut stream = Vec::new();
    let mut deliver = |bytes: &[u8]| stream.extend_from_slice(bytes);

    // SYN with ISN 999, so stream offset 0 is sequence number 1000.
    reassembler.push(999, true, b"", &mut deliver);
    let held = reassembler.push(1005, false, b"world", &mut deliver);
    assert_eq!(held, PushOutcome::Buffered);
    let filled = reassembler.push(1000, false, b"hello12345", &mut deliver);
    assert_eq!(filled, PushOutcome::InOrder);

    assert_eq!(reassembler.delivered(), 10);
    assert_eq!(stream, b"helloworld");
}

/// Found by the `sensor_definitions` target (a timeout under the address
/// sanitizer). A pattern whose bounded repeats allow a match far over
/// `MAX_MATCH_LEN` was compiled into a regex before its length was
/// checked, and that compilation ran into the default size limit slowly.
/// The length check now comes first and names the limit.
#[test]
fn huge_repeat_count_is_a_length_error() {
    let text = "[[sensor]]\nname = \"email\"\n[[sensor.rule]]\n\
        name = \"address\"\n[[sensor.rule.pattern]]\n\
        value = '[A-Za-z0-9._%+\\-=]{1,64}@[A-Za-z0-9\\-]{1\t,63}\
        (?:\\.[A-Za-z0-9\\=]{1,63489}){1,3}'\n";
    let err = Engine::from_toml(text, "huge.toml").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::PatternTooLong { .. }), "{err}");
    assert!(err.to_string().contains("over the limit of 1024"), "{err}");
}

/// The same kind of pattern as a value check (`op = "!regex"`), which has
/// no length limit, fails on the check regex size limit, and the message
/// names the fix.
#[test]
fn huge_check_pattern_names_the_fix() {
    let text = "[[sensor]]\nname = \"ids\"\n[[sensor.rule]]\n\
        name = \"id\"\n[[sensor.rule.pattern]]\nvalue = '[0-9]{9}'\n\
        [[sensor.rule.pattern]]\nop = \"!regex\"\n\
        value = '(?:[a-z0-9]{1,60000}){1,3}'\n";
    let err = Engine::from_toml(text, "check.toml").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidRegex { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("smaller repetition counts"), "{message}");
    assert!(
        message.contains(&dlp_core::MAX_CHECK_SIZE.to_string()),
        "{message}"
    );
}

/// Found by the `sensor_definitions` target (a shift overflow panic with
/// overflow checks on). The prefilter allows at most 64 bytes between a
/// match's start and its first trigger byte. The walk that measured that
/// distance stored each state's depth from its first visit, so a pattern
/// whose lead bytes are multi-byte characters got a distance of 256. Its
/// masks then shifted by 128 bits or more: a panic in debug builds, and
/// masks built with wrapped shift amounts in release builds (this value
/// was still found there).
#[test]
fn multibyte_lead_run_beyond_lookback_is_found() {
    let text = "[[sensor]]\nname = \"handle\"\n[[sensor.rule]]\n\
        name = \"accent\"\nboundary = \"none\"\n\
        [[sensor.rule.pattern]]\nvalue = '(?u)[a-z\u{e9}]{1,40}@x'\n";
    let engine = Engine::from_toml(text, "accent.toml").unwrap();
    let value = format!("{}@x", "\u{e9}".repeat(40));
    let haystack = format!("id {value} end");
    let spans: Vec<_> =
        engine.scan(haystack.as_bytes()).iter().map(|m| m.span()).collect();
    let expected = 3..3 + value.len() as u64;
    assert_eq!(spans, std::slice::from_ref(&expected));

    // The same through a stream cut inside the value.
    let mut stream = engine.stream();
    let mut streamed = Vec::new();
    for piece in haystack.as_bytes().chunks(7) {
        stream
            .feed(piece, |m| {
                streamed.push(m.span());
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
    }
    stream
        .finish(|m| {
            streamed.push(m.span());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(streamed, spans);
}

/// Found by the `sensor_patterns` target (a panic inside regex-automata).
/// The prefilter builder walks the lazy DFA from state to state. When
/// the walk filled the cache, the cache was cleared, and the walk went on
/// from a state id that the clear had invalidated, which indexed past
/// the transition table. The walks now stop at a clear, which a unit test
/// in the prefilter checks on this pattern. Engines now also reject
/// patterns whose states do not fit in the cache, before the walks run,
/// so this one gets an error that names its rule.
#[test]
fn cache_clear_during_prefilter_walk_is_no_panic() {
    let text = "[[sensor]]\nname = \"s\"\n[[sensor.rule]]\nname = \"r\"\n\
        [[sensor.rule.pattern]]\nvalue = '(?:[^L-t0]|[xX]{9,18}){7,10}0'\n";
    let error = Engine::from_toml(text, "<test>")
        .expect_err("the rule overflows the cache");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    assert_eq!(error.rule(), Some("r"));
}

/// Found by the `sensor_patterns` target (stream and block disagreed).
/// A pattern that ends in `$` or `\z` matches only at the end of the
/// input. At the end of a fed fragment every next byte kills such a
/// candidate, so the stream dropped it instead of waiting to learn
/// whether the stream ends there, and `finish` found nothing. The block
/// scan of the same bytes reported the match.
#[test]
fn end_anchored_match_is_found_at_finish() {
    for (pattern, expected) in [(r"[^\d]$", 7..8), (r"[a-z]{2}\z", 6..8)] {
        let text = format!(
            "[[sensor]]\nname = \"s\"\n[[sensor.rule]]\nname = \"r\"\n\
             boundary = \"none\"\n[[sensor.rule.pattern]]\n\
             value = '{pattern}'\n"
        );
        let engine = Engine::from_toml(&text, "<test>").expect("loads");
        let haystack = b"ab cd\nef";
        let block: Vec<_> =
            engine.scan(haystack).iter().map(|m| m.span()).collect();
        assert_eq!(
            block,
            std::slice::from_ref(&expected),
            "block scan of {pattern}"
        );
        for size in [1, 3, haystack.len()] {
            let mut stream = engine.stream();
            let mut spans = Vec::new();
            let mut on_match = |m: &dlp_core::Match| {
                spans.push(m.span());
                std::ops::ControlFlow::Continue(())
            };
            for fragment in haystack.chunks(size) {
                stream.feed(fragment, &mut on_match).expect("feed");
            }
            stream.finish(&mut on_match).expect("finish");
            assert_eq!(spans, block, "{pattern} in fragments of {size}");
        }
    }
}

/// Found by the `sensor_patterns` target (inputs of 12 to 14 s under the
/// address sanitizer, about 4 s in release). Patterns made of empty-width
/// assertions inside counted repetitions have DFA states of hundreds of
/// NFA states each, so every step of the load-time walks is slow. To
/// name the rule that overflows the cache, the build walked every
/// pattern alone after the walk of all of them. The prefilter builder
/// walked each pattern with no limit but the cache. Both costs grew with
/// the number of patterns, and both now have step budgets (unit tests in
/// `engine` and `prefilter` check them). This definition still gets an
/// error that names the rule that overflows.
#[test]
fn empty_width_repeats_are_rejected_by_rule() {
    let text = r#"
[[sensor]]
name = "s0"
[[sensor.rule]]
name = "r0"
[[sensor.rule.pattern]]
value = "(?:((?i:(?:3|(?:[^1-H]){7,16}?|\\s|(?:(?i:(?:\\b))){2,12}?|(?i:(?:\\B))))))x"
[[sensor.rule]]
name = "r1"
boundary = "none"
[[sensor.rule.pattern]]
context = "body"
value = "(?:(?:(?:(?:x)|(?:(?:(?i:\\b))|(?:\\b)))|(?:x|\\x0D|\\b)))x"
[[sensor.rule.pattern]]
op = "!regex"
context = "body"
value = "[\\d]"
[[sensor.rule]]
name = "r2"
validator = "card_amex"
[[sensor.rule.pattern]]
value = "(?:(?:(?:(?:(?i:(?:\\B|($))))|(?:x|\\x0D|(?m:$)|(?:[7H-H2-TX-q]){2,11}|\\b|\\x3A)|\\B)){8,11}?)x"
[[sensor.rule.pattern]]
value = "(?:(?:(?:(?:\\s)|(?:x|\\W|0))))"
"#;
    let error = Engine::from_toml(text, "<test>")
        .expect_err("rule r2 overflows the cache");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { .. }),
        "kind: {:?}",
        error.kind()
    );
    assert_eq!(error.rule(), Some("r2"), "{error}");
}
