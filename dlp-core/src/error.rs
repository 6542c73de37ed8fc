//! The error type for loading sensor definitions and building engines.

use std::fmt;

/// An error from loading a sensor definition or building an engine.
///
/// The message names where the problem is (the definition's origin, usually
/// a file path, then the sensor and the rule) and what is wrong, so that a
/// user can fix the definition without reading the source. The parts are
/// also available on their own through [`Error::origin`],
/// [`Error::sensor`], [`Error::rule`] and [`Error::kind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    origin: String,
    sensor: Option<String>,
    rule: Option<String>,
    kind: ErrorKind,
}

/// The problem found in a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The definition could not be read.
    Io {
        /// The operating system's message.
        message: String,
    },
    /// The text is not valid TOML or does not follow the sensor schema.
    Syntax {
        /// The parser's message, with line and column.
        message: String,
    },
    /// A pattern's regex does not compile.
    InvalidRegex {
        /// The pattern as written.
        pattern: String,
        /// The regex parser's message, with the position of the problem.
        message: String,
    },
    /// A rule names a validator that does not exist.
    UnknownValidator {
        /// The name as written.
        name: String,
    },
    /// A pattern names a context other than `packet`, `url`, `header` or
    /// `body`.
    UnknownContext {
        /// The name as written.
        name: String,
    },
    /// A pattern `op` other than `regex` or `!regex`.
    UnknownOp {
        /// The op as written.
        op: String,
    },
    /// Two sensors, or two rules of one sensor, share a name.
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A name is empty or uses characters other than ASCII letters,
    /// digits, `_`, `-` and `.`.
    InvalidName {
        /// The name as written.
        name: String,
    },
    /// A pattern can match the empty string.
    EmptyPattern {
        /// The pattern as written.
        pattern: String,
    },
    /// A pattern can match arbitrarily long values, so a stream could not
    /// bound the bytes it carries between fragments.
    UnboundedPattern {
        /// The pattern as written.
        pattern: String,
    },
    /// A pattern's longest match exceeds [`crate::MAX_MATCH_LEN`].
    PatternTooLong {
        /// The pattern as written.
        pattern: String,
        /// The longest match the pattern allows, in bytes.
        max_len: usize,
    },
    /// A rule has no `regex` pattern, so it could never report a span.
    NoPositivePattern,
    /// The patterns of one rule name different contexts.
    MixedContexts,
    /// A sensor has no rules, or a definition has no sensors.
    Empty {
        /// The empty item: `sensor` or `definition`.
        what: &'static str,
    },
    /// A numeric setting is out of range.
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// The value as given.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The engine as a whole exceeds a limit (pattern count or compiled
    /// size).
    TooLarge {
        /// The limit exceeded, and by how much.
        message: String,
    },
}

impl Error {
    pub(crate) fn new(origin: &str, kind: ErrorKind) -> Error {
        Error { origin: origin.to_string(), sensor: None, rule: None, kind }
    }

    pub(crate) fn in_sensor(mut self, sensor: &str) -> Error {
        self.sensor = Some(sensor.to_string());
        self
    }

    pub(crate) fn in_rule(mut self, rule: &str) -> Error {
        self.rule = Some(rule.to_string());
        self
    }

    /// Returns where the definition came from: a file path, `<builtin>`,
    /// or the origin given to [`crate::EngineBuilder::add_toml`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Returns the name of the sensor at fault, if the problem is inside
    /// one.
    pub fn sensor(&self) -> Option<&str> {
        self.sensor.as_deref()
    }

    /// Returns the name of the rule at fault, if the problem is inside one.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// Returns what is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(sensor) = &self.sensor {
            write!(f, ": sensor `{sensor}`")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ", rule `{rule}`")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io { message } => {
                write!(f, "cannot read the definition: {message}")
            }
            ErrorKind::Syntax { message } => {
                write!(f, "invalid definition: {}", message.trim_end())
            }
            ErrorKind::InvalidRegex { pattern, message } => write!(
                f,
                "invalid regex `{}`: {}",
                shorten(pattern),
                message.trim_end().replace('\n', " ")
            ),
            ErrorKind::UnknownValidator { name } => write!(
                f,
                "unknown validator `{name}`; use one of: {}",
                crate::validators::names().join(", ")
            ),
            ErrorKind::UnknownContext { name } => write!(
                f,
                "unknown context `{name}`; use packet, url, header or body"
            ),
            ErrorKind::UnknownOp { op } => {
                write!(f, "unknown op `{op}`; use `regex` or `!regex`")
            }
            ErrorKind::DuplicateName { name } => write!(
                f,
                "duplicate name `{name}`; give each sensor, and each rule \
                 of a sensor, its own name"
            ),
            ErrorKind::InvalidName { name } => write!(
                f,
                "invalid name `{name}`; use 1 to 64 ASCII letters, digits, \
                 `_`, `-` or `.`"
            ),
            ErrorKind::EmptyPattern { pattern } => write!(
                f,
                "pattern `{}` can match an empty value; make at least one \
                 character mandatory",
                shorten(pattern)
            ),
            ErrorKind::UnboundedPattern { pattern } => write!(
                f,
                "pattern `{pattern}` has no maximum match length; replace \
                 `*`, `+` and `{{n,}}` with bounded repeats such as \
                 `{{1,64}}` (streams carry at most {} bytes between \
                 fragments)",
                crate::MAX_MATCH_LEN
            ),
            ErrorKind::PatternTooLong { pattern, max_len } => write!(
                f,
                "pattern `{pattern}` can match {max_len} bytes, over the \
                 limit of {}; lower its repeat counts",
                crate::MAX_MATCH_LEN
            ),
            ErrorKind::NoPositivePattern => write!(
                f,
                "the rule has no `regex` pattern, only `!regex` ones; add \
                 a `regex` pattern that finds the value"
            ),
            ErrorKind::MixedContexts => write!(
                f,
                "the patterns of one rule name different contexts; split \
                 the rule or use one context"
            ),
            ErrorKind::Empty { what } => match *what {
                "sensor" => write!(f, "the sensor has no rules; add one"),
                _ => write!(f, "the definition has no sensors; add one"),
            },
            ErrorKind::OutOfRange { setting, value, max } => write!(
                f,
                "`{setting}` = {value} is out of range; use at most {max}"
            ),
            ErrorKind::TooLarge { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {}

/// Returns `text` cut to at most 120 characters for messages, so a huge
/// pattern does not flood a terminal; [`ErrorKind`] keeps the whole text.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX_CHARS: usize = 120;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]).into(),
        None => text.into(),
    }
}
