//! Helpers shared by the fuzz targets and the measurement examples.

use std::ops::ControlFlow;

use dlp_core::{Engine, Match};

pub mod patterns;

/// Sensors that exercise what the built-in ones leave out: hotwords
/// (optional and required), a `!regex` value check, `boundary = "none"`,
/// the url, header and body contexts of an HTTP stream, each trigger of
/// custom patterns, and a pattern whose matches may be over 600 bytes.
pub const CUSTOM_SENSORS: &str = r#"
[[sensor]]
name = "ticket"
description = "Ticket ids in HTTP messages, except all-zero ones"
severity = "low"

[[sensor.rule]]
name = "body"
hotwords = ["ticket", "tck"]
hotword_window = 16
[[sensor.rule.pattern]]
value = 'TCK-[0-9]{4,8}'
context = "body"
[[sensor.rule.pattern]]
op = "!regex"
value = '-0+$'
context = "body"

[[sensor.rule]]
name = "url"
[[sensor.rule.pattern]]
value = 'tck=[0-9]{4,8}'
context = "url"

[[sensor.rule]]
name = "header"
[[sensor.rule.pattern]]
value = 'X-Tck: [0-9]{4,8}'
context = "header"

[[sensor]]
name = "token"
severity = "critical"
mask = { keep_first = 1, keep_last = 1 }

[[sensor.rule]]
name = "embedded"
boundary = "none"
hotwords = ["key", "tok"]
hotwords_required = true
hotword_window = 8
[[sensor.rule.pattern]]
value = 'k[0-9a-f]{6,10}'

[[sensor.rule]]
name = "digits_anywhere"
boundary = "none"
validator = "luhn"
confidence = "low"
[[sensor.rule.pattern]]
value = '[0-9]{12,19}'

[[sensor]]
name = "triggers"
description = "One rule per kind of prefilter trigger for custom rules"

[[sensor.rule]]
name = "keyword"
[[sensor.rule.pattern]]
value = '(?i)secret[a-z]{2}'

[[sensor.rule]]
name = "pairs"
[[sensor.rule.pattern]]
value = '(?:[a-f]{2}:){2}[a-f]{2}'

[[sensor.rule]]
name = "code"
[[sensor.rule.pattern]]
value = '[0-9][a-z]{3}'

[[sensor.rule]]
name = "host"
[[sensor.rule.pattern]]
value = '[a-z]{1,20}\.corp\.ex'

[[sensor.rule]]
name = "long"
[[sensor.rule.pattern]]
value = 'eyJ[a-z0-9]{10,300}\.[a-z0-9]{4,300}'
"#;

/// Returns an engine with [`CUSTOM_SENSORS`] only.
///
/// # Panics
///
/// Panics if the definitions do not load, which is a bug in this crate.
pub fn custom_engine() -> Engine {
    Engine::from_toml(CUSTOM_SENSORS, "<fuzz custom>")
        .expect("the custom fuzz sensors are valid")
}

/// Returns an engine with the built-in sensors followed by
/// [`CUSTOM_SENSORS`].
///
/// # Panics
///
/// Panics if the definitions do not load, which is a bug in this crate.
pub fn combined_engine() -> Engine {
    Engine::builder()
        .add_builtin()
        .and_then(|b| b.add_toml(CUSTOM_SENSORS, "<fuzz custom>"))
        .and_then(|b| b.build())
        .expect("the built-in and custom fuzz sensors load together")
}

/// Feeds `haystack` to a new stream of `engine`, cut before each offset in
/// `cuts` (sorted, each at most `haystack.len()`), and returns the matches
/// of every feed and of the finish.
pub fn stream_matches(
    engine: &Engine,
    haystack: &[u8],
    cuts: &[usize],
) -> Vec<Match> {
    let mut stream = engine.stream();
    let mut found = Vec::new();
    let mut on_match = |m: &Match| {
        found.push(m.clone());
        ControlFlow::Continue(())
    };
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&haystack.len())) {
        stream
            .feed(&haystack[from..cut], &mut on_match)
            .expect("feed before finish succeeds");
        from = cut;
    }
    stream.finish(&mut on_match).expect("first finish succeeds");
    found
}

/// Renders `error`, an error of a definition loaded with the origin
/// `<fuzz>`, and checks that the message starts with that origin.
///
/// # Panics
///
/// Panics if the message does not start with `<fuzz>`.
pub fn error_message(error: &dlp_core::Error) -> String {
    let message = error.to_string();
    assert!(
        message.starts_with("<fuzz>"),
        "message without origin: {message}"
    );
    message
}

/// Checks that `m`, found by `engine` in `haystack`, is a non-empty span
/// of the haystack no longer than the engine's longest match, with a
/// value and mask of its length, and names a sensor and rule of the
/// engine.
///
/// # Panics
///
/// Panics if any of these does not hold.
pub fn check_match(engine: &Engine, haystack: &[u8], m: &Match) {
    let (start, end) = (m.start() as usize, m.end() as usize);
    assert!(start < end, "empty match {m:?}");
    assert!(end <= haystack.len(), "match past the end {m:?}");
    assert_eq!(m.value(), &haystack[start..end]);
    assert_eq!(m.masked().len(), m.value().len(), "masked length differs");
    assert!(
        end - start <= engine.max_match_len(),
        "match longer than max_match_len"
    );
    let sensor = &engine.sensors()[m.sensor_index()];
    assert_eq!(sensor.name, m.sensor());
    assert_eq!(sensor.rules[m.rule_index()].name, m.rule());
}
