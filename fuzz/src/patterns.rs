//! Sensor definitions built from a syntax tree that the fuzzer fills in,
//! for the `sensor_patterns` target.
//!
//! Text mutations of a TOML file seldom reach the prefilter builder with
//! a new valid pattern: most of them break the TOML or the regex. Here
//! the fuzz input is decoded (with `arbitrary`) into a [`Definition`]:
//! rules whose patterns are trees of bytes, classes, repetitions,
//! alternations, case-insensitive groups and look-arounds. The tree
//! renders as a regex that always parses, and as sample values that the
//! regex matches, so the haystack contains matches as well as near misses.

use arbitrary::Arbitrary;

/// The depth to which a pattern tree renders; deeper nodes render as
/// one byte.
pub const MAX_DEPTH: usize = 6;

/// The number of items of a concatenation, alternation or class that
/// render.
pub const MAX_ITEMS: usize = 6;

/// The number of rules of a definition that render.
pub const MAX_RULES: usize = 8;

/// The haystack is cut to this many bytes.
pub const MAX_HAYSTACK: usize = 4096;

/// The byte that a node deeper than [`MAX_DEPTH`] renders as.
const DEEP: u8 = b'x';

/// Punctuation of the values sensors look for and of HTTP framing.
const PUNCTUATION: &[u8] = b" -.:/_=@&?+#,;\t\r\n\"'\\()[]{}|*^$";

/// One byte of a pattern or a class, drawn mostly from the bytes that
/// the values of sensors are made of.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Byte {
    /// A digit, the index taken modulo 10.
    Digit(u8),
    /// A lowercase ASCII letter, the index taken modulo 26.
    Lower(u8),
    /// An uppercase ASCII letter, the index taken modulo 26.
    Upper(u8),
    /// A byte of [`PUNCTUATION`], the index taken modulo its length.
    Punct(u8),
    /// Any byte.
    Raw(u8),
}

impl Byte {
    /// Returns the byte of this choice.
    pub fn value(self) -> u8 {
        match self {
            Byte::Digit(i) => b'0' + i % 10,
            Byte::Lower(i) => b'a' + i % 26,
            Byte::Upper(i) => b'A' + i % 26,
            Byte::Punct(i) => PUNCTUATION[usize::from(i) % PUNCTUATION.len()],
            Byte::Raw(b) => b,
        }
    }
}

/// A Perl class or the dot.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Named {
    /// `\d`
    Digit,
    /// `\D`
    NotDigit,
    /// `\w`
    Word,
    /// `\W`
    NotWord,
    /// `\s`
    Space,
    /// `\S`
    NotSpace,
    /// `.`, any byte but `\n`.
    Dot,
    /// `(?s:.)`, any byte.
    Any,
}

/// An item of a bracketed class.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Item {
    /// One byte.
    Byte(Byte),
    /// The bytes from the lower to the higher of the two, inclusive.
    Range(Byte, Byte),
    /// `\d`, `\w` or `\s`.
    Perl(Perl),
}

/// A Perl class allowed in a bracketed class.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Perl {
    /// `\d`
    Digit,
    /// `\w`
    Word,
    /// `\s`
    Space,
}

/// A zero-width assertion.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Look {
    /// `\b`
    WordBoundary,
    /// `\B`
    NotWordBoundary,
    /// `^`
    Start,
    /// `$`
    End,
    /// `(?m:^)`
    LineStart,
    /// `(?m:$)`
    LineEnd,
}

/// A node of a pattern tree.
#[derive(Arbitrary, Clone, Debug)]
pub enum Node {
    /// One byte.
    Byte(Byte),
    /// A Perl class or the dot.
    Named(Named),
    /// A bracketed class, negated or not.
    Class {
        /// Whether the class is `[^...]`.
        negated: bool,
        /// The items; an empty list renders as `\d`.
        items: Vec<Item>,
    },
    /// The nodes one after the other; an empty list renders as one
    /// byte.
    Concat(Vec<Node>),
    /// One of the nodes; an empty list renders as one byte.
    Alternate(Vec<Node>),
    /// The node repeated.
    Repeat {
        /// The node.
        node: Box<Node>,
        /// The minimum count, modulo 20.
        min: u8,
        /// The maximum count minus the minimum, modulo 12, or 255 for no
        /// maximum.
        extra: u8,
        /// Whether the repetition is lazy.
        lazy: bool,
    },
    /// The node in a case-insensitive group.
    NoCase(Box<Node>),
    /// The node in a capture group.
    Capture(Box<Node>),
    /// A zero-width assertion.
    Look(Look),
}

/// A rule of a generated definition.
#[derive(Arbitrary, Clone, Debug)]
pub struct RuleSpec {
    /// The first span-finding pattern.
    pub pattern: Node,
    /// A second span-finding pattern.
    pub other: Option<Node>,
    /// A `!regex` pattern that rejects the matches it finds in a value.
    pub negated: Option<Node>,
    /// The context, modulo 4: packet, url, header, body.
    pub context: u8,
    /// Whether the rule sets `boundary = "none"`.
    pub no_boundary: bool,
    /// A validator index into `dlp_core::validators::names()`, when
    /// below its length; most values mean no validator.
    pub validator: u8,
    /// The sensor of the rule, modulo the sensor count.
    pub sensor: u8,
}

/// A piece of the haystack.
#[derive(Arbitrary, Clone, Debug)]
pub enum Piece {
    /// Bytes as they are.
    Bytes(Vec<u8>),
    /// A sample value of a rule's pattern.
    Sample {
        /// The rule, modulo the rule count.
        rule: u8,
        /// Whether to sample the rule's second pattern (the first when
        /// the rule has one pattern).
        other: bool,
        /// The choices of the sample: which byte of a class, which
        /// branch, how many repetitions. They repeat when used up.
        choices: Vec<u8>,
    },
    /// A byte repeated, up to 255 times.
    Run(u8, u8),
}

/// A sensor definition and a haystack to scan with it.
#[derive(Arbitrary, Clone, Debug)]
pub struct Definition {
    /// The rules; at most [`MAX_RULES`] render.
    pub rules: Vec<RuleSpec>,
    /// The number of sensors the rules are spread over, modulo 3, plus
    /// one.
    pub sensors: u8,
    /// The haystack.
    pub pieces: Vec<Piece>,
    /// The offsets where a stream is cut, modulo the haystack length plus
    /// one.
    pub cuts: Vec<u16>,
}

impl Definition {
    /// Returns the rules that render.
    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules[..self.rules.len().min(MAX_RULES)]
    }

    /// Returns the definition as TOML text.
    pub fn toml(&self) -> String {
        let rules = self.rules();
        let sensors = (usize::from(self.sensors) % 3 + 1).min(rules.len());
        let validators = dlp_core::validators::names();
        let mut text = String::new();
        for sensor in 0..sensors {
            let mut header =
                Some(format!("[[sensor]]\nname = \"s{sensor}\"\n"));
            for (index, rule) in rules.iter().enumerate() {
                if usize::from(rule.sensor) % sensors != sensor {
                    continue;
                }
                // A sensor without rules is an error; this one has one.
                text.extend(header.take());
                text.push_str(&format!(
                    "[[sensor.rule]]\nname = \"r{index}\"\n"
                ));
                if rule.no_boundary {
                    text.push_str("boundary = \"none\"\n");
                }
                if let Some(name) = validators.get(usize::from(rule.validator))
                {
                    text.push_str(&format!("validator = \"{name}\"\n"));
                }
                let context = ["packet", "url", "header", "body"]
                    [usize::from(rule.context) % 4];
                let patterns = [
                    ("regex", Some(&rule.pattern)),
                    ("regex", rule.other.as_ref()),
                    ("!regex", rule.negated.as_ref()),
                ];
                for (op, node) in patterns {
                    let Some(node) = node else { continue };
                    let mut regex = node.regex();
                    if op == "regex" && node.min_len() == 0 {
                        // A span-finding pattern must not match empty.
                        regex = format!("(?:{regex})");
                        push_byte(DEEP, &mut regex);
                    }
                    text.push_str(&format!(
                        "[[sensor.rule.pattern]]\nop = \"{op}\"\n\
                         context = \"{context}\"\nvalue = {}\n",
                        toml_string(&regex)
                    ));
                }
            }
        }
        text
    }

    /// Returns the haystack the pieces make, at most [`MAX_HAYSTACK`]
    /// bytes.
    pub fn haystack(&self) -> Vec<u8> {
        let rules = self.rules();
        let mut haystack = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Bytes(bytes) => haystack.extend_from_slice(bytes),
                Piece::Run(byte, count) => haystack
                    .extend(std::iter::repeat_n(*byte, usize::from(*count))),
                Piece::Sample { rule, other, choices } => {
                    if rules.is_empty() {
                        continue;
                    }
                    let rule = &rules[usize::from(*rule) % rules.len()];
                    let node = match (other, &rule.other) {
                        (true, Some(other)) => other,
                        _ => &rule.pattern,
                    };
                    let mut choices = Choices::new(choices);
                    node.sample(0, false, &mut choices, &mut haystack);
                    if node.min_len() == 0 {
                        haystack.push(DEEP);
                    }
                }
            }
            if haystack.len() >= MAX_HAYSTACK {
                break;
            }
        }
        haystack.truncate(MAX_HAYSTACK);
        haystack
    }

    /// Returns the stream cuts for a haystack of `len` bytes: sorted,
    /// without repeats, each at most `len`.
    pub fn cuts(&self, len: usize) -> Vec<usize> {
        let mut cuts: Vec<usize> = self
            .cuts
            .iter()
            .map(|&cut| usize::from(cut) % (len + 1))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }
}

/// Returns `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The choices of a sample, repeated when used up; zero when empty.
pub struct Choices<'a> {
    values: &'a [u8],
    next: usize,
}

impl<'a> Choices<'a> {
    /// Returns choices that cycle through `values`.
    pub fn new(values: &'a [u8]) -> Choices<'a> {
        Choices { values, next: 0 }
    }

    fn take(&mut self) -> usize {
        if self.values.is_empty() {
            return 0;
        }
        let value = self.values[self.next % self.values.len()];
        self.next += 1;
        usize::from(value)
    }
}

/// Writes `byte` as a regex that matches it alone (with Unicode off).
fn push_byte(byte: u8, out: &mut String) {
    if byte.is_ascii_alphanumeric() {
        out.push(char::from(byte));
    } else {
        // `\xFF`, not `\x{FF}`: regex-syntax reads only the fixed form
        // as a byte when Unicode is off.
        out.push_str(&format!("\\x{byte:02X}"));
    }
}

/// Sets the bytes of a Perl class in `set`.
fn perl_bytes(perl: Perl, set: &mut [bool; 256]) {
    for (byte, slot) in set.iter_mut().enumerate() {
        let Ok(byte) = u8::try_from(byte) else { continue };
        *slot |= match perl {
            Perl::Digit => byte.is_ascii_digit(),
            Perl::Word => byte.is_ascii_alphanumeric() || byte == b'_',
            // `\s` of regex-syntax without Unicode: [\t\n\v\f\r ].
            Perl::Space => matches!(byte, b'\t'..=b'\r' | b' '),
        };
    }
}

/// Returns `set` with the other case of each ASCII letter in it added,
/// as a case-insensitive group folds a class.
fn fold(set: [bool; 256]) -> [bool; 256] {
    let mut folded = set;
    for (byte, &member) in set.iter().enumerate() {
        let Ok(byte) = u8::try_from(byte) else { continue };
        if member && byte.is_ascii_alphabetic() {
            folded[usize::from(byte ^ 0x20)] = true;
        }
    }
    folded
}

impl Node {
    /// Returns the node as a regex that parses with Unicode off.
    pub fn regex(&self) -> String {
        let mut out = String::new();
        self.render(0, &mut out);
        out
    }

    fn render(&self, depth: usize, out: &mut String) {
        if depth > MAX_DEPTH {
            push_byte(DEEP, out);
            return;
        }
        match self {
            Node::Byte(byte) => push_byte(byte.value(), out),
            Node::Named(named) => out.push_str(match named {
                Named::Digit => r"\d",
                Named::NotDigit => r"\D",
                Named::Word => r"\w",
                Named::NotWord => r"\W",
                Named::Space => r"\s",
                Named::NotSpace => r"\S",
                Named::Dot => ".",
                Named::Any => "(?s:.)",
            }),
            Node::Class { negated, items } => {
                out.push('[');
                if *negated {
                    out.push('^');
                }
                let items = &items[..items.len().min(MAX_ITEMS)];
                if items.is_empty() {
                    out.push_str(r"\d");
                }
                for item in items {
                    match *item {
                        Item::Byte(byte) => push_byte(byte.value(), out),
                        Item::Range(a, b) => {
                            let (a, b) = (a.value(), b.value());
                            push_byte(a.min(b), out);
                            out.push('-');
                            push_byte(a.max(b), out);
                        }
                        Item::Perl(Perl::Digit) => out.push_str(r"\d"),
                        Item::Perl(Perl::Word) => out.push_str(r"\w"),
                        Item::Perl(Perl::Space) => out.push_str(r"\s"),
                    }
                }
                out.push(']');
            }
            Node::Concat(nodes) | Node::Alternate(nodes) => {
                let separator =
                    if matches!(self, Node::Concat(_)) { "" } else { "|" };
                let nodes = &nodes[..nodes.len().min(MAX_ITEMS)];
                if nodes.is_empty() {
                    push_byte(DEEP, out);
                    return;
                }
                out.push_str("(?:");
                for (i, node) in nodes.iter().enumerate() {
                    if i > 0 {
                        out.push_str(separator);
                    }
                    node.render(depth + 1, out);
                }
                out.push(')');
            }
            Node::Repeat { node, min, extra, lazy } => {
                out.push_str("(?:");
                node.render(depth + 1, out);
                let min = min % 20;
                if *extra == u8::MAX {
                    out.push_str(&format!("){{{min},}}"));
                } else {
                    out.push_str(&format!("){{{min},{}}}", min + extra % 12));
                }
                if *lazy {
                    out.push('?');
                }
            }
            Node::NoCase(node) => {
                out.push_str("(?i:");
                node.render(depth + 1, out);
                out.push(')');
            }
            Node::Capture(node) => {
                out.push('(');
                node.render(depth + 1, out);
                out.push(')');
            }
            Node::Look(look) => out.push_str(match look {
                Look::WordBoundary => r"\b",
                Look::NotWordBoundary => r"\B",
                Look::Start => "^",
                Look::End => "$",
                Look::LineStart => "(?m:^)",
                Look::LineEnd => "(?m:$)",
            }),
        }
    }

    /// Appends to `out` the value of the node that `choices` pick. The
    /// node's regex matches the value unless the node contains a
    /// look-around, which depends on the bytes around the value.
    /// `nocase` is true inside a case-insensitive group.
    pub fn sample(
        &self,
        depth: usize,
        nocase: bool,
        choices: &mut Choices<'_>,
        out: &mut Vec<u8>,
    ) {
        if out.len() >= MAX_HAYSTACK {
            return;
        }
        if depth > MAX_DEPTH {
            out.push(DEEP);
            return;
        }
        let pick = |set: [bool; 256], choices: &mut Choices<'_>| {
            let members: Vec<u8> =
                (0..=u8::MAX).filter(|&byte| set[usize::from(byte)]).collect();
            (!members.is_empty())
                .then(|| members[choices.take() % members.len()])
        };
        match self {
            Node::Byte(byte) => {
                let mut byte = byte.value();
                if nocase
                    && byte.is_ascii_alphabetic()
                    && choices.take() % 2 == 1
                {
                    byte ^= 0x20;
                }
                out.push(byte);
            }
            Node::Named(named) => {
                let mut set = [false; 256];
                let (perl, negated) = match named {
                    Named::Digit => (Some(Perl::Digit), false),
                    Named::NotDigit => (Some(Perl::Digit), true),
                    Named::Word => (Some(Perl::Word), false),
                    Named::NotWord => (Some(Perl::Word), true),
                    Named::Space => (Some(Perl::Space), false),
                    Named::NotSpace => (Some(Perl::Space), true),
                    Named::Dot => {
                        set[usize::from(b'\n')] = true;
                        (None, true)
                    }
                    Named::Any => (None, true),
                };
                if let Some(perl) = perl {
                    perl_bytes(perl, &mut set);
                }
                if negated {
                    set = set.map(|member| !member);
                }
                out.extend(pick(set, choices));
            }
            Node::Class { negated, items } => {
                let mut set = [false; 256];
                let items = &items[..items.len().min(MAX_ITEMS)];
                if items.is_empty() {
                    perl_bytes(Perl::Digit, &mut set);
                }
                for item in items {
                    match *item {
                        Item::Byte(byte) => {
                            set[usize::from(byte.value())] = true
                        }
                        Item::Range(a, b) => {
                            let (a, b) = (a.value(), b.value());
                            for byte in a.min(b)..=a.max(b) {
                                set[usize::from(byte)] = true;
                            }
                        }
                        Item::Perl(perl) => perl_bytes(perl, &mut set),
                    }
                }
                // A case-insensitive group folds the items, then negates.
                if nocase {
                    set = fold(set);
                }
                if *negated {
                    set = set.map(|member| !member);
                }
                out.extend(pick(set, choices));
            }
            Node::Concat(nodes) if nodes.is_empty() => out.push(DEEP),
            Node::Alternate(nodes) if nodes.is_empty() => out.push(DEEP),
            Node::Concat(nodes) => {
                for node in &nodes[..nodes.len().min(MAX_ITEMS)] {
                    node.sample(depth + 1, nocase, choices, out);
                }
            }
            Node::Alternate(nodes) => {
                let nodes = &nodes[..nodes.len().min(MAX_ITEMS)];
                let node = &nodes[choices.take() % nodes.len()];
                node.sample(depth + 1, nocase, choices, out);
            }
            Node::Repeat { node, min, extra, .. } => {
                let min = usize::from(min % 20);
                let extra = if *extra == u8::MAX { 3 } else { extra % 12 };
                let count = min + choices.take() % (usize::from(extra) + 1);
                for _ in 0..count {
                    if out.len() >= MAX_HAYSTACK {
                        break;
                    }
                    node.sample(depth + 1, nocase, choices, out);
                }
            }
            Node::NoCase(node) => node.sample(depth + 1, true, choices, out),
            Node::Capture(node) => {
                node.sample(depth + 1, nocase, choices, out)
            }
            Node::Look(_) => {}
        }
    }

    /// Returns the length of the node's shortest match, as rendered.
    pub fn min_len(&self) -> usize {
        self.min_len_at(0)
    }

    fn min_len_at(&self, depth: usize) -> usize {
        if depth > MAX_DEPTH {
            return 1;
        }
        match self {
            Node::Byte(_) | Node::Named(_) | Node::Class { .. } => 1,
            Node::Concat(nodes) | Node::Alternate(nodes)
                if nodes.is_empty() =>
            {
                1
            }
            Node::Concat(nodes) => nodes[..nodes.len().min(MAX_ITEMS)]
                .iter()
                .map(|node| node.min_len_at(depth + 1))
                .sum(),
            Node::Alternate(nodes) => nodes[..nodes.len().min(MAX_ITEMS)]
                .iter()
                .map(|node| node.min_len_at(depth + 1))
                .min()
                .unwrap_or(1),
            Node::Repeat { node, min, .. } => {
                usize::from(min % 20) * node.min_len_at(depth + 1)
            }
            Node::NoCase(node) | Node::Capture(node) => {
                node.min_len_at(depth + 1)
            }
            Node::Look(_) => 0,
        }
    }

    /// Returns whether the node contains a look-around.
    pub fn has_look(&self) -> bool {
        match self {
            Node::Look(_) => true,
            Node::Concat(nodes) | Node::Alternate(nodes) => {
                nodes.iter().any(Node::has_look)
            }
            Node::Repeat { node, .. }
            | Node::NoCase(node)
            | Node::Capture(node) => node.has_look(),
            Node::Byte(_) | Node::Named(_) | Node::Class { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbitrary::Unstructured;
    use dlp_core::Engine;
    use regex_automata::meta::Regex;
    use regex_automata::util::syntax;

    /// Returns `count` pseudo-random bytes from `seed` (xorshift64).
    fn noise(seed: u64, count: usize) -> Vec<u8> {
        let mut state = seed | 1;
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    }

    fn whole_match(pattern: &str) -> Regex {
        Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build(&format!(r"\A(?:{pattern})\z"))
            .unwrap_or_else(|err| panic!("{pattern}: {err:?}"))
    }

    #[test]
    fn patterns_parse_and_samples_match_them() {
        let mut checked = 0;
        for seed in 0..600 {
            let data = noise(seed, 256);
            let Ok(node) = Node::arbitrary(&mut Unstructured::new(&data))
            else {
                continue;
            };
            let config = syntax::Config::new().unicode(false).utf8(false);
            let hir = syntax::parse_with(&node.regex(), &config)
                .unwrap_or_else(|err| panic!("{}: {err}", node.regex()));
            if let Some(min_len) = hir.properties().minimum_len() {
                assert_eq!(node.min_len(), min_len, "{}", node.regex());
            }
            if node.has_look() {
                continue;
            }
            let regex = whole_match(&node.regex());
            for choice_seed in 0..4 {
                let values = noise(seed * 4 + choice_seed, 32);
                let mut sample = Vec::new();
                node.sample(0, false, &mut Choices::new(&values), &mut sample);
                if sample.len() >= MAX_HAYSTACK {
                    continue;
                }
                assert!(
                    regex.is_match(&sample),
                    "{:?} does not match {}",
                    sample,
                    node.regex()
                );
                checked += 1;
            }
        }
        assert!(checked > 300, "only {checked} samples checked");
    }

    #[test]
    fn case_insensitive_samples_fold_classes() {
        let node = Node::NoCase(Box::new(Node::Concat(vec![
            Node::Class {
                negated: true,
                items: vec![Item::Range(Byte::Lower(0), Byte::Lower(25))],
            },
            Node::Byte(Byte::Upper(1)),
        ])));
        let regex = whole_match(&node.regex());
        for choice in 0..=u8::MAX {
            let mut sample = Vec::new();
            node.sample(0, false, &mut Choices::new(&[choice]), &mut sample);
            assert!(!sample[0].is_ascii_alphabetic(), "{sample:?}");
            assert!(regex.is_match(&sample), "{sample:?}");
        }
    }

    #[test]
    fn most_generated_definitions_load() {
        let (mut loaded, mut tried) = (0, 0);
        for seed in 0..400 {
            let data = noise(seed, 512);
            let mut input = Unstructured::new(&data);
            let Ok(definition) = Definition::arbitrary(&mut input) else {
                continue;
            };
            if definition.rules().is_empty() {
                continue;
            }
            tried += 1;
            match Engine::from_toml(&definition.toml(), "<test>") {
                Ok(_) => loaded += 1,
                Err(error) => assert!(
                    !matches!(
                        error.kind(),
                        dlp_core::ErrorKind::Syntax { .. }
                    ),
                    "{error}\n{}",
                    definition.toml()
                ),
            }
        }
        assert!(tried >= 100, "only {tried} definitions with rules");
        assert!(loaded * 10 >= tried * 9, "{loaded} of {tried} loaded");
    }

    #[test]
    fn toml_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }

    #[test]
    fn cuts_are_sorted_distinct_and_in_range() {
        let definition = Definition {
            rules: Vec::new(),
            sensors: 0,
            pieces: Vec::new(),
            cuts: vec![9, 3, 14, 3, 0],
        };
        assert_eq!(definition.cuts(10), vec![0, 3, 9]);
    }
}
