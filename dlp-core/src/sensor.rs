//! Sensor definitions: the TOML schema, its checks, and the public model.
//!
//! A definition file holds one or more `[[sensor]]` tables. Each sensor has
//! `[[sensor.rule]]` tables, and each rule has `[[sensor.rule.pattern]]`
//! tables. The README documents every key; this module turns the text into
//! [`Sensor`] values and rejects a bad definition with an [`Error`] naming
//! the origin, sensor and rule.

use std::fmt;

use regex_automata::meta;
use regex_syntax::hir::Hir;
use serde::Deserialize;

use crate::error::{Error, ErrorKind};
use crate::validators::{self, ValidateFn};
use crate::MAX_MATCH_LEN;

/// The largest accepted `hotword_window`, in bytes.
pub const MAX_HOTWORD_WINDOW: usize = 256;

/// The default `hotword_window`, in bytes before the match.
pub const DEFAULT_HOTWORD_WINDOW: usize = 32;

/// The part of the traffic a pattern applies to.
///
/// A stream that starts like an HTTP/1.x request or response is split into
/// the request target (`Url`), the start line and header fields (`Header`)
/// and the message body (`Body`). Any other stream is all `Packet`. A rule
/// whose context is `Packet` applies everywhere; a rule with another
/// context applies only to matches that start in that part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Anywhere in the stream, and the whole of a non-HTTP stream.
    Packet,
    /// The request target of an HTTP request line.
    Url,
    /// An HTTP start line or header field.
    Header,
    /// An HTTP message body.
    Body,
}

impl Context {
    /// Returns the name used in definition files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Packet => "packet",
            Context::Url => "url",
            Context::Header => "header",
            Context::Body => "body",
        }
    }

    fn parse(name: &str) -> Option<Context> {
        match name {
            "packet" => Some(Context::Packet),
            "url" => Some(Context::Url),
            "header" => Some(Context::Header),
            "body" => Some(Context::Body),
            _ => None,
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seriousness of a sensor's findings.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Personal data (the default).
    #[default]
    Medium,
    /// Identifying or financial data.
    High,
    /// Data whose leak must stop the flow.
    Critical,
}

impl Severity {
    /// Returns the name used in definition files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The certainty of a match.
///
/// A rule sets its base confidence; an optional hotword found before the
/// match raises it to `High`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A weak format that often matches other data.
    Low,
    /// A format confirmed by its structure or check digits (the default).
    #[default]
    Medium,
    /// Confirmed, and named by a hotword.
    High,
}

impl Confidence {
    /// Returns the name used in definition files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The positions where a match may start and end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Boundary {
    /// A match neither starts nor ends inside a run of ASCII letters and
    /// digits (the default): the byte before it and the byte after it,
    /// when present, are not ASCII alphanumeric. Nor does it start or end
    /// inside a decimal number: digits after `0.` or before `.5` do not
    /// count as a boundary.
    #[default]
    Word,
    /// A match may start and end anywhere.
    None,
}

/// The rendering of a match in reports.
///
/// The first `keep_first` and the last `keep_last` ASCII letters and
/// digits of the value are shown; every other letter, digit or non-ASCII
/// byte becomes `*`, and separators stay, so the masked form has the
/// value's length in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mask {
    /// How many leading letters and digits stay visible.
    #[serde(default)]
    pub keep_first: u8,
    /// How many trailing letters and digits stay visible.
    #[serde(default)]
    pub keep_last: u8,
}

impl Default for Mask {
    fn default() -> Mask {
        Mask { keep_first: 0, keep_last: 2 }
    }
}

impl Mask {
    /// Returns the masked rendering of `value`.
    ///
    /// # Example
    ///
    /// ```
    /// use dlp_core::Mask;
    ///
    /// let mask = Mask { keep_first: 5, keep_last: 2 };
    /// let masked = mask.apply(b"2 55 08 14 168 025 38");
    /// assert_eq!(masked, "2 55 08 ** *** *** 38");
    /// ```
    pub fn apply(&self, value: &[u8]) -> String {
        let total = value.iter().filter(|b| is_maskable(**b)).count();
        let keep_first = usize::from(self.keep_first);
        let keep_last = usize::from(self.keep_last);
        let mut seen = 0;
        let mut out = String::with_capacity(value.len());
        for &byte in value {
            if !is_maskable(byte) {
                out.push(char::from(byte));
                continue;
            }
            let visible = seen < keep_first || seen + keep_last >= total;
            seen += 1;
            if visible && byte.is_ascii() {
                out.push(char::from(byte));
            } else {
                out.push('*');
            }
        }
        out
    }
}

fn is_maskable(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || !byte.is_ascii()
}

/// A sensor as loaded: its name, description and rules.
#[derive(Clone, Debug)]
pub struct Sensor {
    /// The sensor's name, unique in an engine.
    pub name: String,
    /// A description of what the sensor finds, for people.
    pub description: String,
    /// The seriousness of a finding.
    pub severity: Severity,
    /// The rules; a match of any rule is a match of the sensor.
    pub rules: Vec<Rule>,
}

/// A rule: patterns that must all hold, then a validator and hotwords.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's name, unique in its sensor.
    pub name: String,
    /// The part of the traffic the rule applies to.
    pub context: Context,
    /// The patterns, in definition order. The first `regex` pattern finds
    /// candidate spans; every other pattern is tested on the candidate's
    /// value.
    pub patterns: Vec<Pattern>,
    /// The name of the validator run on each candidate, if any.
    pub validator: Option<String>,
    /// Keywords looked for, ASCII case-insensitively, in the bytes just
    /// before a candidate.
    pub hotwords: Vec<String>,
    /// Whether a candidate with no hotword before it is dropped.
    pub hotwords_required: bool,
    /// How many bytes before a candidate are searched for hotwords.
    pub hotword_window: usize,
    /// The confidence of a match with no optional hotword.
    pub confidence: Confidence,
    /// The positions where a match may start and end.
    pub boundary: Boundary,
    /// The mask applied to a match in reports.
    pub mask: Mask,
}

/// One pattern of a rule.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// `true` for `op = "!regex"`: the pattern must not match.
    pub negated: bool,
    /// The regex as written.
    pub regex: String,
}

// The TOML schema. Unknown keys are errors, so that a typo such as
// `hotword = [...]` does not silently do nothing.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default, rename = "sensor")]
    sensors: Vec<SensorDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SensorDef {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    severity: Severity,
    #[serde(default)]
    mask: Option<Mask>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    name: String,
    #[serde(default, rename = "pattern")]
    patterns: Vec<PatternDef>,
    #[serde(default)]
    validator: Option<String>,
    #[serde(default)]
    hotwords: Vec<String>,
    #[serde(default)]
    hotwords_required: bool,
    #[serde(default)]
    hotword_window: Option<u64>,
    #[serde(default)]
    confidence: Confidence,
    #[serde(default)]
    boundary: Boundary,
    #[serde(default)]
    mask: Option<Mask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternDef {
    #[serde(default = "default_op")]
    op: String,
    value: String,
    #[serde(default = "default_context")]
    context: String,
}

fn default_op() -> String {
    "regex".to_string()
}

fn default_context() -> String {
    "packet".to_string()
}

/// Parses definition text into sensors, checking every rule.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Vec<Sensor>, Error> {
    let file: FileDef = toml::from_str(text).map_err(|err| {
        Error::new(origin, ErrorKind::Syntax { message: err.to_string() })
    })?;
    if file.sensors.is_empty() {
        return Err(Error::new(
            origin,
            ErrorKind::Empty { what: "definition" },
        ));
    }
    let mut sensors: Vec<Sensor> = Vec::with_capacity(file.sensors.len());
    for def in file.sensors {
        let sensor = check_sensor(def, origin)?;
        if sensors.iter().any(|s| s.name == sensor.name) {
            let kind = ErrorKind::DuplicateName { name: sensor.name.clone() };
            return Err(Error::new(origin, kind).in_sensor(&sensor.name));
        }
        sensors.push(sensor);
    }
    Ok(sensors)
}

fn check_name(name: &str, origin: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
        });
    if valid {
        Ok(())
    } else {
        let kind = ErrorKind::InvalidName { name: name.to_string() };
        Err(Error::new(origin, kind))
    }
}

fn check_sensor(def: SensorDef, origin: &str) -> Result<Sensor, Error> {
    check_name(&def.name, origin)?;
    let in_sensor = |err: Error| err.in_sensor(&def.name);
    if def.rules.is_empty() {
        return Err(in_sensor(Error::new(
            origin,
            ErrorKind::Empty { what: "sensor" },
        )));
    }
    let mut rules: Vec<Rule> = Vec::with_capacity(def.rules.len());
    for rule_def in def.rules {
        let rule_name = rule_def.name.clone();
        let rule = check_rule(rule_def, def.mask, origin)
            .map_err(|err| in_sensor(err.in_rule(&rule_name)))?;
        if rules.iter().any(|r| r.name == rule.name) {
            let kind = ErrorKind::DuplicateName { name: rule.name.clone() };
            return Err(in_sensor(
                Error::new(origin, kind).in_rule(&rule_name),
            ));
        }
        rules.push(rule);
    }
    Ok(Sensor {
        name: def.name,
        description: def.description,
        severity: def.severity,
        rules,
    })
}

fn check_rule(
    def: RuleDef,
    sensor_mask: Option<Mask>,
    origin: &str,
) -> Result<Rule, Error> {
    check_name(&def.name, origin)?;
    let mut context = None;
    let mut patterns = Vec::with_capacity(def.patterns.len());
    for pattern in &def.patterns {
        let negated = match pattern.op.as_str() {
            "regex" => false,
            "!regex" => true,
            op => {
                let kind = ErrorKind::UnknownOp { op: op.to_string() };
                return Err(Error::new(origin, kind));
            }
        };
        let Some(this_context) = Context::parse(&pattern.context) else {
            let name = pattern.context.clone();
            return Err(Error::new(
                origin,
                ErrorKind::UnknownContext { name },
            ));
        };
        if context.is_some_and(|c| c != this_context) {
            return Err(Error::new(origin, ErrorKind::MixedContexts));
        }
        context = Some(this_context);
        check_regex(&pattern.value, !negated, origin)?;
        patterns.push(Pattern { negated, regex: pattern.value.clone() });
    }
    if !patterns.iter().any(|p| !p.negated) {
        return Err(Error::new(origin, ErrorKind::NoPositivePattern));
    }
    if let Some(name) = &def.validator {
        if validators::lookup(name).is_none() {
            let kind = ErrorKind::UnknownValidator { name: name.clone() };
            return Err(Error::new(origin, kind));
        }
    }
    let window = def.hotword_window.unwrap_or(DEFAULT_HOTWORD_WINDOW as u64);
    if window > MAX_HOTWORD_WINDOW as u64 {
        let kind = ErrorKind::OutOfRange {
            setting: "hotword_window",
            value: window,
            max: MAX_HOTWORD_WINDOW as u64,
        };
        return Err(Error::new(origin, kind));
    }
    if def.hotwords.iter().any(|w| w.is_empty()) {
        let kind = ErrorKind::Syntax {
            message: "a hotword is empty; remove it".to_string(),
        };
        return Err(Error::new(origin, kind));
    }
    if def.hotwords_required && def.hotwords.is_empty() {
        let kind = ErrorKind::Syntax {
            message: "`hotwords_required` is set but `hotwords` is empty; \
                      list the hotwords"
                .to_string(),
        };
        return Err(Error::new(origin, kind));
    }
    Ok(Rule {
        name: def.name,
        context: context.unwrap_or(Context::Packet),
        patterns,
        validator: def.validator,
        hotwords: def.hotwords,
        hotwords_required: def.hotwords_required,
        hotword_window: window as usize,
        confidence: def.confidence,
        boundary: def.boundary,
        mask: def.mask.or(sensor_mask).unwrap_or_default(),
    })
}

/// Returns the regex-syntax configuration every pattern is parsed with:
/// ASCII classes by default (`\d` is `[0-9]`), `(?u)` to opt in to
/// Unicode, and matching on raw bytes rather than only on UTF-8.
pub(crate) fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().unicode(false).utf8(false)
}

pub(crate) fn parse_hir(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|err| err.to_string())
}

/// Checks that `pattern` compiles and, for a span-finding pattern, that its
/// matches are non-empty and bounded.
fn check_regex(
    pattern: &str,
    finds_spans: bool,
    origin: &str,
) -> Result<(), Error> {
    let invalid = |message: String| {
        let kind =
            ErrorKind::InvalidRegex { pattern: pattern.to_string(), message };
        Error::new(origin, kind)
    };
    let hir = parse_hir(pattern).map_err(invalid)?;
    // The length checks come first: they need only the syntax tree, and a
    // pattern with huge repetition counts would take long to compile.
    if finds_spans {
        let props = hir.properties();
        if props.minimum_len().unwrap_or(0) == 0 {
            let kind =
                ErrorKind::EmptyPattern { pattern: pattern.to_string() };
            return Err(Error::new(origin, kind));
        }
        match props.maximum_len() {
            None => {
                let kind = ErrorKind::UnboundedPattern {
                    pattern: pattern.to_string(),
                };
                return Err(Error::new(origin, kind));
            }
            Some(max_len) if max_len > MAX_MATCH_LEN => {
                let kind = ErrorKind::PatternTooLong {
                    pattern: pattern.to_string(),
                    max_len,
                };
                return Err(Error::new(origin, kind));
            }
            Some(_) => {}
        }
    }
    // The meta regex is what value checks use.
    check_regex_builder()
        .build(pattern)
        .map_err(|err| invalid(check_regex_error(&err)))?;
    Ok(())
}

/// Returns the builder of the regexes of value checks, with the size
/// limit that keeps compiling them fast.
pub(crate) fn check_regex_builder() -> meta::Builder {
    let mut builder = meta::Regex::builder();
    builder
        .syntax(syntax_config())
        .configure(meta::Config::new().nfa_size_limit(Some(MAX_CHECK_SIZE)));
    builder
}

/// Returns the message for a value check regex that failed to build,
/// with the fix when it exceeded the size limit.
pub(crate) fn check_regex_error(err: &meta::BuildError) -> String {
    match err.size_limit() {
        Some(limit) => format!(
            "it compiles to more than {limit} bytes; use smaller \
             repetition counts or fewer alternatives"
        ),
        None => err.to_string(),
    }
}

/// The largest automaton a pattern's regex for value checks may compile
/// to, in bytes. Values are at most [`MAX_MATCH_LEN`] bytes long, so
/// checks rarely need more than a few kilobytes.
pub const MAX_CHECK_SIZE: usize = 1 << 20;

/// Returns the longest match `pattern` allows, in bytes. The pattern must
/// have passed [`parse`].
pub(crate) fn max_match_len(pattern: &str) -> usize {
    parse_hir(pattern)
        .ok()
        .and_then(|hir| hir.properties().maximum_len())
        .unwrap_or(MAX_MATCH_LEN)
}

/// Returns the validator function of `rule`, if it names one.
pub(crate) fn validator_fn(rule: &Rule) -> Option<ValidateFn> {
    rule.validator.as_deref().and_then(validators::lookup)
}
