//! Split invariance: a stream fed any cut of a haystack reports exactly
//! what the block API reports for the whole haystack.

use std::ops::ControlFlow;

use dlp_core::{Engine, Match};
use proptest::prelude::*;

fn stream_matches(
    engine: &Engine,
    haystack: &[u8],
    cuts: &[usize],
) -> Vec<Match> {
    let mut cuts: Vec<usize> =
        cuts.iter().map(|c| c % (haystack.len() + 1)).collect();
    cuts.sort_unstable();
    let mut stream = engine.stream();
    let mut found = Vec::new();
    let mut on_match = |m: &Match| {
        found.push(m.clone());
        ControlFlow::Continue(())
    };
    let mut from = 0;
    for cut in cuts.into_iter().chain(std::iter::once(haystack.len())) {
        stream.feed(&haystack[from..cut], &mut on_match).unwrap();
        from = cut;
    }
    stream.finish(&mut on_match).unwrap();
    found
}

/// Pieces a haystack is made of: values that match, look-alikes that must
/// not, separators, HTTP framing and random bytes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let fixed = prop::sample::select(vec![
        "2 55 08 14 168 025 38",
        "2 84 12 2A 004 123 70",
        "192077512345653",
        "1 85 05 78 006 084 36",
        "536-22-8451",
        "SSN: 223779741",
        "223779741",
        "5555 5555 5555 4444",
        "4111111111111111",
        "3782 822463 10005",
        "FR14 2004 1010 0505 0001 3M02 606",
        "GB82WEST12345698765432",
        "jane.doe@example.com",
        "logo@2x.png",
        "06 12 34 56 78",
        "2026-12-04T16:05:53Z",
        " ",
        "\n",
        "\r\n",
        "=",
        "\"",
        "0.",
        "42",
        "POST /upload?card=4111111111111111 HTTP/1.1\r\nContent-Length: 30\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
    ]);
    prop_oneof![
        4 => fixed.prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..8),
        1 => prop::collection::vec(b'0'..=b'9', 1..24),
    ]
}

fn haystack() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn builtin_stream_equals_block(
        haystack in haystack(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let engine = Engine::builtin();
        let block = engine.scan(&haystack);
        let streamed = stream_matches(&engine, &haystack, &cuts);
        prop_assert_eq!(streamed, block);
    }

    #[test]
    fn one_byte_fragments_equal_block(haystack in haystack()) {
        let engine = Engine::builtin();
        let cuts: Vec<usize> = (0..haystack.len()).collect();
        let block = engine.scan(&haystack);
        prop_assert_eq!(stream_matches(&engine, &haystack, &cuts), block);
    }

    /// Without the email sensor, whose `@` may always arrive later, the
    /// digit sensors' trigger counts decide which positions near a cut
    /// wait for more bytes.
    #[test]
    fn digit_sensors_stream_equals_block(
        haystack in haystack(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let engine = digit_engine();
        let block = engine.scan(&haystack);
        let streamed = stream_matches(&engine, &haystack, &cuts);
        prop_assert_eq!(streamed, block);
        let every: Vec<usize> = (0..haystack.len()).collect();
        let bytewise = stream_matches(&engine, &haystack, &every);
        prop_assert_eq!(bytewise, engine.scan(&haystack));
    }

    #[test]
    fn custom_sensors_stream_equals_block(
        haystack in prop::collection::vec(
            prop::sample::select(b"ab-_ 0123456789token=secretXY\n".to_vec()),
            0..200,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let engine = custom_engine();
        let block = engine.scan(&haystack);
        let streamed = stream_matches(&engine, &haystack, &cuts);
        prop_assert_eq!(streamed, block);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Patterns found through a required literal: a literal cut by a
    /// fragment boundary must still be found.
    #[test]
    fn literal_sensors_stream_equals_block(
        pieces in prop::collection::vec(
            prop::sample::select(vec![
                "ghp_ab12", "GHP_ab12", "ghp_", "Top SeCret", "top secre",
                "abc.corp.ex", "x.corp.e", "AKIA12AB", "AKI", "a", "Z", " ",
                "_", ".", "\n", "ab:cd:ef", "ab:cd:e", "7abc", "7ab", "3",
                "sk", "SK", "SKab", ":",
            ]),
            0..40,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let haystack = pieces.concat().into_bytes();
        let engine = literal_engine();
        let block = engine.scan(&haystack);
        let streamed = stream_matches(&engine, &haystack, &cuts);
        prop_assert_eq!(streamed, block.clone());
        let every: Vec<usize> = (0..haystack.len()).collect();
        prop_assert_eq!(stream_matches(&engine, &haystack, &every), block);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A pattern whose matches may be longer than the first bytes a
    /// stream takes with its tail: a value cut near the start of a large
    /// fragment needs the whole lookahead.
    #[test]
    fn long_sensors_stream_equals_block(
        pieces in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec![
                    "eyJ", "eyJab", ".eyJ", ".", " ", "ghp_ab12", "x.corp.ex",
                ]).prop_map(String::from),
                2 => prop::collection::vec(b'a'..=b'z', 0..200)
                    .prop_map(|run| String::from_utf8(run).unwrap()),
            ],
            0..24,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let haystack = pieces.concat().into_bytes();
        let engine = long_engine();
        prop_assert!(engine.max_match_len() > 300);
        let block = engine.scan(&haystack);
        prop_assert_eq!(stream_matches(&engine, &haystack, &cuts), block);
    }
}

#[test]
fn long_value_found_at_every_cut() {
    let engine = long_engine();
    let mut haystack = b"id eyJ".to_vec();
    haystack.extend(std::iter::repeat(b'q').take(200));
    haystack.extend_from_slice(b".eyJ");
    haystack.extend(std::iter::repeat(b'r').take(100));
    haystack.extend_from_slice(b" and ab.corp.ex then ghp_ab1");
    haystack.extend(std::iter::repeat(b' ').take(300));
    let block = engine.scan(&haystack);
    let spans: Vec<_> = block.iter().map(Match::span).collect();
    assert_eq!(spans, [3..310, 315..325, 331..338]);
    for cut in 0..=haystack.len() {
        let streamed = stream_matches(&engine, &haystack, &[cut]);
        assert_eq!(streamed, block, "cut at {cut}");
    }
}

/// Returns sensors with a long pattern next to short literal ones.
fn long_engine() -> Engine {
    let text = r#"
[[sensor]]
name = "long"
[[sensor.rule]]
name = "jwt"
[[sensor.rule.pattern]]
value = 'eyJ[a-z]{10,300}\.eyJ[a-z]{5,300}'
[[sensor.rule]]
name = "token"
[[sensor.rule.pattern]]
value = 'ghp_[a-z0-9]{3,4}'
[[sensor.rule]]
name = "host"
[[sensor.rule.pattern]]
value = '[a-z]{1,20}\.corp\.ex'
"#;
    Engine::from_toml(text, "long").unwrap()
}

/// Returns sensors that the prefilter finds through its custom triggers.
/// Required literals: a token prefix, a case-insensitive keyword, a
/// suffix at a variable offset, a set of prefixes and a two-byte prefix.
/// Then a rare byte (the colons of the pairs) and a body test (a digit
/// and three letters).
fn literal_engine() -> Engine {
    let text = r#"
[[sensor]]
name = "literals"
[[sensor.rule]]
name = "token"
[[sensor.rule.pattern]]
value = 'ghp_[a-z0-9]{3,4}'
[[sensor.rule]]
name = "marker"
boundary = "none"
[[sensor.rule.pattern]]
value = '(?i)top secret'
[[sensor.rule]]
name = "host"
[[sensor.rule.pattern]]
value = '[a-z]{1,20}\.corp\.ex'
[[sensor.rule]]
name = "key"
[[sensor.rule.pattern]]
value = '(?:AKIA|ASIA)[0-9A-Z]{4}'
[[sensor.rule]]
name = "short"
[[sensor.rule.pattern]]
value = 'SK[a-z]{2}'
[[sensor.rule]]
name = "pairs"
[[sensor.rule.pattern]]
value = '(?:[a-f]{2}:){2}[a-f]{2}'
[[sensor.rule]]
name = "code"
[[sensor.rule.pattern]]
value = '[0-9][a-z]{3}'
"#;
    Engine::from_toml(text, "literals").unwrap()
}

fn digit_engine() -> Engine {
    let mut builder = Engine::builder();
    for name in ["fr_nir", "us_ssn", "credit_card", "iban"] {
        let path =
            format!("{}/../sensors/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        builder.add_file(path).unwrap();
    }
    builder.build().unwrap()
}

fn custom_engine() -> Engine {
    let text = r#"
[[sensor]]
name = "token"
[[sensor.rule]]
name = "kv"
hotwords = ["token"]
hotwords_required = true
hotword_window = 8
[[sensor.rule.pattern]]
value = '[a-z0-9]{2,12}'
[[sensor.rule.pattern]]
op = "!regex"
value = '^[0-9]+$'

[[sensor]]
name = "anywhere"
[[sensor.rule]]
name = "digits"
boundary = "none"
[[sensor.rule.pattern]]
value = '[0-9]{3}-[0-9]{2}'
"#;
    Engine::from_toml(text, "custom").unwrap()
}

#[test]
fn cut_nir_reported_once_at_every_cut() {
    let engine = Engine::builtin();
    let haystack = b"{\"nir\": \"2 84 12 2A 004 123 70\"}";
    let block = engine.scan(haystack);
    assert_eq!(block.len(), 1);
    assert_eq!(block[0].span(), 9..30);
    for cut in 0..=haystack.len() {
        let streamed = stream_matches(&engine, haystack, &[cut]);
        assert_eq!(streamed, block, "cut at {cut}");
    }
}

#[test]
fn feed_after_finish_is_an_error() {
    let engine = Engine::builtin();
    let mut stream = engine.stream();
    stream.finish(|_| ControlFlow::Continue(())).unwrap();
    let err = stream.feed(b"x", |_| ControlFlow::Continue(())).unwrap_err();
    assert_eq!(err, dlp_core::StreamError::Finished);
    assert!(stream.finish(|_| ControlFlow::Continue(())).is_err());
    stream.reset();
    assert!(stream
        .feed(b"536-22-8451 ", |_| ControlFlow::Continue(()))
        .is_ok());
}

#[test]
fn stop_from_callback_skips_rest_of_call() {
    let engine = Engine::builtin();
    let mut stream = engine.stream();
    let haystack = b"536-22-8451 536-22-8452 536-22-8453 and more text here to pass the tail................................................................................................................................................................................................................................................................................................................................................................";
    let mut seen = 0;
    stream
        .feed(haystack, |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(seen, 1);
    let mut later = 0;
    stream
        .feed(b" 536-22-8454 ", |_| {
            later += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    stream
        .finish(|_| {
            later += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(later, 1);
}

#[test]
fn reset_gives_same_results() {
    let engine = Engine::builtin();
    let haystack = b"x 536-22-8451 y";
    let first = stream_matches(&engine, haystack, &[5]);
    let mut stream = engine.stream();
    stream.feed(b"garbage 4111", |_| ControlFlow::Continue(())).unwrap();
    stream.reset();
    let mut again = Vec::new();
    stream
        .feed(haystack, |m| {
            again.push(m.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    stream
        .finish(|m| {
            again.push(m.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(first.len(), 1);
}

#[test]
fn match_reported_once_automaton_dies() {
    let engine = Engine::builtin();
    let mut stream = engine.stream();
    let mut found = Vec::new();
    stream
        .feed(b"{\"nir\":\"2 55 08 14 168 0", |m| {
            found.push(m.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(found.is_empty());
    // The closing quote ends the value; the two bytes after it decide
    // the boundary, long before the longest possible match has arrived.
    stream
        .feed(b"25 38\"}", |m| {
            found.push(m.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span(), 8..29);
    stream.finish(|_| panic!("reported twice")).unwrap();
}

#[test]
fn cloned_stream_continues_independently() {
    let engine = Engine::builtin();
    let mut stream = engine.stream();
    stream.feed(b"ssn 536-22-", |_| ControlFlow::Continue(())).unwrap();
    let mut copy = stream.clone();
    let mut first = 0;
    stream
        .feed(b"8451 ", |_| {
            first += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    let mut second = 0;
    copy.feed(b"0000 ", |_| {
        second += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    copy.finish(|_| {
        second += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(first, 1);
    assert_eq!(second, 0);
}

#[test]
fn state_stays_bounded_with_small_fragments() {
    let engine = Engine::builtin();
    let message = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    let mut stream = engine.stream();
    let mut sizes = Vec::new();
    for round in 0..2000 {
        for fragment in message.chunks(16) {
            stream.feed(fragment, |_| ControlFlow::Continue(())).unwrap();
        }
        if round == 10 || round == 1999 {
            sizes.push(stream.state_size());
        }
    }
    assert_eq!(
        sizes[0], sizes[1],
        "state grew from {} to {}",
        sizes[0], sizes[1]
    );
}

#[test]
fn tail_shrinks_after_a_long_undecided_value() {
    let engine = Engine::builtin();
    let mut stream = engine.stream();
    let text = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nplain words and 42 numbers ";
    stream.feed(text, |_| ControlFlow::Continue(())).unwrap();
    let idle = stream.state_size();
    // An email address stays undecided until its end arrives, so the
    // stream keeps all of it, 16 bytes at a time.
    let mut address = vec![b'a'; 60];
    for label in [b'b', b'c', b'd'] {
        address.push(if label == b'b' { b'@' } else { b'.' });
        address.extend_from_slice(&[label; 60]);
    }
    address.extend_from_slice(b".io");
    for fragment in address.chunks(16) {
        stream.feed(fragment, |_| ControlFlow::Continue(())).unwrap();
    }
    let holding = stream.state_size();
    assert!(holding > idle + 200, "idle {idle}, holding {holding}");
    let mut found = Vec::new();
    for fragment in [&b" and"[..], b" more words here "] {
        stream
            .feed(fragment, |m| {
                found.push(m.sensor().to_string());
                ControlFlow::Continue(())
            })
            .unwrap();
    }
    assert_eq!(found, ["email"]);
    // The spill is given back: the stream is its fixed size again.
    let after = stream.state_size();
    assert_eq!(after, idle, "idle {idle}, holding {holding}");
    assert_eq!(after, std::mem::size_of::<dlp_core::Stream>());
}

#[cfg(target_pointer_width = "64")]
#[test]
fn http_stream_state_is_128_bytes_between_values() {
    assert_eq!(std::mem::size_of::<dlp_core::Stream>(), 128);
    let engine = Engine::builtin();
    let message = b"POST /api/v2/orders?page=3 HTTP/1.1\r\n\
Host: shop.example\r\nContent-Type: application/json\r\n\
Transfer-Encoding: chunked\r\n\r\n\
3a\r\n{\"order\": 99812, \"nir\": \"2 55 08 14 168 025 38\", \"ok\": 1}\r\n\
0\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n{\"status\": \"stored\", \"n\": 7}";
    for size in [1, 7, 64, 1460] {
        let mut stream = engine.stream();
        let mut found = 0;
        for _ in 0..3 {
            for fragment in message.chunks(size) {
                stream
                    .feed(fragment, |_| {
                        found += 1;
                        ControlFlow::Continue(())
                    })
                    .unwrap();
            }
            // Each message ends in words and punctuation: no value is
            // undecided, so the tail fits in the struct.
            assert_eq!(stream.state_size(), 128, "fragments of {size}");
        }
        assert_eq!(found, 3, "fragments of {size}");
    }
}

/// Feeds a value at every offset of a haystack in fragments of every size
/// up to the small-fragment limit. The last positions of each call see
/// bytes up to the end of their 128-byte test window. There, a value cut
/// by the fragment end must still wait for its missing bytes.
#[test]
fn value_near_small_fragment_end() {
    let digits = Engine::from_toml(
        "[[sensor]]\nname = \"account\"\n[[sensor.rule]]\nname = \"id\"\n\
         [[sensor.rule.pattern]]\nvalue = '[0-9]{12}'\n",
        "account.toml",
    )
    .unwrap();
    let cases = [
        (Engine::builtin(), &b"4111 1111 1111 1111"[..]),
        (Engine::builtin(), b"2 84 12 2A 004 123 70"),
        (Engine::builtin(), b"536 22 8451"),
        (Engine::builtin(), b"FR14 2004 1010 0505 0001 3M02 606"),
        (Engine::builtin(), b"jane.doe@example.com"),
        (digits, b"123456789012"),
    ];
    for (engine, value) in &cases {
        let label = String::from_utf8_lossy(value);
        for offset in 0..200 {
            let mut haystack = b"x ".repeat(offset / 2 + 1);
            haystack.truncate(offset);
            haystack.push(b' ');
            haystack.extend_from_slice(value);
            haystack.extend_from_slice(b" end");
            let block = engine.scan(&haystack);
            assert_eq!(block.len(), 1, "{label} at {offset}");
            for size in 1..=256 {
                let cuts: Vec<usize> =
                    (size..haystack.len()).step_by(size).collect();
                let streamed = stream_matches(engine, &haystack, &cuts);
                assert_eq!(
                    streamed, block,
                    "{label} at {offset}, size {size}"
                );
            }
            for cut in offset..=offset + value.len() {
                let streamed = stream_matches(engine, &haystack, &[cut]);
                assert_eq!(streamed, block, "{label} at {offset}, cut {cut}");
            }
        }
    }
}

/// An address is reported by the call that brings the byte after it,
/// wherever it is cut: the positions before its `@` wait for it without
/// holding the match back.
#[test]
fn address_reported_by_the_call_that_ends_it() {
    let engine = Engine::builtin();
    let haystack = b"mail to jane.doe@example.com, thanks";
    let after = haystack.iter().position(|&b| b == b',').unwrap();
    let mut cuts: Vec<Vec<usize>> =
        (1..haystack.len()).map(|c| vec![c]).collect();
    cuts.push((1..haystack.len()).collect());
    for cuts in &cuts {
        let mut stream = engine.stream();
        let mut reported = Vec::new();
        let mut from = 0;
        for (call, &cut) in cuts.iter().chain([&haystack.len()]).enumerate() {
            let piece = &haystack[from..cut];
            stream
                .feed(piece, |m| {
                    reported.push((Some(call), m.span()));
                    ControlFlow::Continue(())
                })
                .unwrap();
            from = cut;
        }
        stream
            .finish(|m| {
                reported.push((None, m.span()));
                ControlFlow::Continue(())
            })
            .unwrap();
        let call = cuts.iter().take_while(|&&cut| cut <= after).count();
        assert_eq!(reported, [(Some(call), 8..28)], "cuts {cuts:?}");
    }
}
