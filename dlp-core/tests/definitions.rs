//! Bad sensor definitions are rejected with an error that names the
//! origin, sensor, rule and problem.

use dlp_core::{Engine, EngineBuilder, ErrorKind};

fn rule(patterns: &str, extra: &str) -> String {
    format!(
        "[[sensor]]\nname = \"s\"\n[[sensor.rule]]\nname = \"r\"\n{extra}\n{patterns}"
    )
}

fn pattern(op: &str, value: &str, context: &str) -> String {
    format!(
        "[[sensor.rule.pattern]]\nop = \"{op}\"\nvalue = '{value}'\ncontext = \"{context}\"\n"
    )
}

fn load_error(text: &str) -> dlp_core::Error {
    Engine::from_toml(text, "defs.toml").unwrap_err()
}

#[test]
fn invalid_regex_names_position() {
    let err = load_error(&rule(&pattern("regex", "ab(c", "packet"), ""));
    assert_eq!(err.origin(), "defs.toml");
    assert_eq!(err.sensor(), Some("s"));
    assert_eq!(err.rule(), Some("r"));
    assert!(matches!(err.kind(), ErrorKind::InvalidRegex { .. }));
    let message = err.to_string();
    assert!(
        message.starts_with(
            "defs.toml: sensor `s`, rule `r`: invalid regex `ab(c`"
        ),
        "{message}"
    );
    assert!(
        message.contains("1:3") || message.contains("unclosed"),
        "{message}"
    );
}

#[test]
fn unknown_validator() {
    let err = load_error(&rule(
        &pattern("regex", "[0-9]{4}", "packet"),
        "validator = \"nope\"",
    ));
    assert!(
        matches!(err.kind(), ErrorKind::UnknownValidator { name } if name == "nope")
    );
    assert!(err.to_string().contains("fr_nir"), "{err}");
}

#[test]
fn unknown_context() {
    let err = load_error(&rule(&pattern("regex", "[0-9]{4}", "cookie"), ""));
    assert!(
        matches!(err.kind(), ErrorKind::UnknownContext { name } if name == "cookie")
    );
    assert_eq!(err.rule(), Some("r"));
}

#[test]
fn unknown_op() {
    let err = load_error(&rule(&pattern("match", "[0-9]{4}", "packet"), ""));
    assert!(matches!(err.kind(), ErrorKind::UnknownOp { .. }));
}

#[test]
fn duplicate_sensor_name() {
    let one = rule(&pattern("regex", "[0-9]{4}", "packet"), "");
    let err = load_error(&format!("{one}\n{one}"));
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateName { name } if name == "s")
    );
}

#[test]
fn duplicate_rule_name() {
    let text = "[[sensor]]\nname = \"s\"\n[[sensor.rule]]\nname = \"r\"\n[[sensor.rule.pattern]]\nvalue = 'a{3}'\n[[sensor.rule]]\nname = \"r\"\n[[sensor.rule.pattern]]\nvalue = 'b{3}'\n";
    let err = load_error(text);
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateName { name } if name == "r")
    );
    assert_eq!(err.sensor(), Some("s"));
}

#[test]
fn duplicate_across_files() {
    let text = rule(&pattern("regex", "[0-9]{4}", "packet"), "");
    let mut builder = EngineBuilder::new();
    builder.add_toml(&text, "a.toml").unwrap();
    let err = builder.add_toml(&text, "b.toml").unwrap_err();
    assert_eq!(err.origin(), "b.toml");
    assert!(matches!(err.kind(), ErrorKind::DuplicateName { .. }));
}

#[test]
fn builtin_name_clash() {
    let text = "[[sensor]]\nname = \"fr_nir\"\n[[sensor.rule]]\nname = \"r\"\n[[sensor.rule.pattern]]\nvalue = 'a{3}'\n";
    let mut builder = EngineBuilder::new();
    builder.add_builtin().unwrap();
    let err = builder.add_toml(text, "mine.toml").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateName { name } if name == "fr_nir")
    );
}

#[test]
fn empty_pattern() {
    for value in ["", "a?", "[0-9]{0,4}", "(?:x|)"] {
        let err = load_error(&rule(&pattern("regex", value, "packet"), ""));
        assert!(
            matches!(err.kind(), ErrorKind::EmptyPattern { .. }),
            "{value}: {err}"
        );
    }
}

#[test]
fn unbounded_pattern() {
    for value in ["a+", "[0-9]*x", "x{3,}"] {
        let err = load_error(&rule(&pattern("regex", value, "packet"), ""));
        assert!(
            matches!(err.kind(), ErrorKind::UnboundedPattern { .. }),
            "{value}: {err}"
        );
        assert!(err.to_string().contains("bounded"), "{err}");
    }
}

#[test]
fn pattern_over_max_len() {
    let err = load_error(&rule(&pattern("regex", "x{2000}", "packet"), ""));
    assert!(
        matches!(err.kind(), ErrorKind::PatternTooLong { max_len: 2000, .. }),
        "{err}"
    );
}

#[test]
fn negated_only_rule() {
    let err = load_error(&rule(&pattern("!regex", "abc", "packet"), ""));
    assert_eq!(err.kind(), &ErrorKind::NoPositivePattern);
}

#[test]
fn negated_pattern_may_be_unbounded() {
    let text = rule(
        &format!(
            "{}{}",
            pattern("regex", "[a-z]{3,8}", "packet"),
            pattern("!regex", "^x.*", "packet")
        ),
        "",
    );
    let engine = Engine::from_toml(&text, "defs.toml").unwrap();
    assert_eq!(engine.scan(b"abc xyz").len(), 1);
}

#[test]
fn mixed_contexts() {
    let text = rule(
        &format!(
            "{}{}",
            pattern("regex", "abc", "url"),
            pattern("regex", "b", "body")
        ),
        "",
    );
    assert_eq!(load_error(&text).kind(), &ErrorKind::MixedContexts);
}

#[test]
fn sensor_without_rules() {
    let err = load_error("[[sensor]]\nname = \"s\"\n");
    assert!(matches!(err.kind(), ErrorKind::Empty { what: "sensor" }));
}

#[test]
fn no_sensors() {
    let err = load_error("# nothing\n");
    assert!(matches!(err.kind(), ErrorKind::Empty { what: "definition" }));
}

#[test]
fn toml_syntax_error_names_line() {
    let err = load_error("[[sensor]\nname = 1");
    assert!(matches!(err.kind(), ErrorKind::Syntax { .. }));
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn unknown_key_is_rejected() {
    let text = rule(&pattern("regex", "abc", "packet"), "hotword = [\"x\"]");
    let err = load_error(&text);
    assert!(err.to_string().contains("hotword"), "{err}");
}

#[test]
fn invalid_name() {
    let err = load_error("[[sensor]]\nname = \"has space\"\n[[sensor.rule]]\nname = \"r\"\n[[sensor.rule.pattern]]\nvalue = 'abc'\n");
    assert!(matches!(err.kind(), ErrorKind::InvalidName { .. }));
}

#[test]
fn hotword_window_out_of_range() {
    let err = load_error(&rule(
        &pattern("regex", "abc", "packet"),
        "hotwords = [\"k\"]\nhotword_window = 100000",
    ));
    assert!(matches!(
        err.kind(),
        ErrorKind::OutOfRange { setting: "hotword_window", .. }
    ));
}

#[test]
fn required_hotwords_need_a_list() {
    let err = load_error(&rule(
        &pattern("regex", "abc", "packet"),
        "hotwords_required = true",
    ));
    assert!(err.to_string().contains("hotwords"), "{err}");
}

#[test]
fn unicode_word_boundary_is_located() {
    let text = rule(&pattern("regex", r"(?u)\bab{2}", "packet"), "");
    let err = load_error(&text);
    assert_eq!(err.rule(), Some("r"));
    assert!(matches!(err.kind(), ErrorKind::InvalidRegex { .. }), "{err}");
}

#[test]
fn missing_file_names_path() {
    let err = Engine::from_file("/nonexistent/sensors.toml").unwrap_err();
    assert_eq!(err.origin(), "/nonexistent/sensors.toml");
    assert!(matches!(err.kind(), ErrorKind::Io { .. }));
}

#[test]
fn context_rule_applies_only_there() {
    let text = rule(&pattern("regex", "[0-9]{4}", "body"), "");
    let engine = Engine::from_toml(&text, "defs.toml").unwrap();
    let http = b"POST /a?x=1234 HTTP/1.1\r\nContent-Length: 4\r\n\r\n5678";
    let found = engine.scan(http);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].value(), b"5678");
    assert_eq!(found[0].context(), dlp_core::Context::Body);
}
