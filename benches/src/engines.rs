//! The engines the benchmarks compare, with one counting entry point
//! each, and the check that an engine reports every planted value.

use std::collections::HashSet;
use std::ops::ControlFlow;

use dlp_core::{Boundary, Engine, Match};
use regex_automata::util::syntax;
use regex_automata::{dfa, hybrid, Input, MatchKind};

use crate::corpus::{Corpus, CorpusKind};

/// A byte that never occurs in the generated corpora (they are UTF-8).
pub const ABSENT_BYTE: u8 = 0xff;

/// Returns the dlp engine for a corpus: the built-in sensors, or the
/// `custom50` sensors for [`CorpusKind::Custom`].
pub fn dlp_engine(kind: CorpusKind) -> Engine {
    match kind {
        CorpusKind::Http | CorpusKind::Dense => Engine::builtin(),
        CorpusKind::Custom => {
            Engine::from_toml(crate::CUSTOM50_TOML, "custom50.toml")
                .expect("custom50.toml is a valid definition")
        }
    }
}

/// Scans `haystack` with the block API and returns the match count.
pub fn dlp_block_count(engine: &Engine, haystack: &[u8]) -> usize {
    let mut count = 0;
    engine.scan_with(haystack, |_| {
        count += 1;
        ControlFlow::Continue(())
    });
    count
}

/// Feeds `haystack` to one stream in `fragment`-byte pieces and returns
/// the match count.
pub fn dlp_stream_count(
    engine: &Engine,
    haystack: &[u8],
    fragment: usize,
) -> usize {
    let mut count = 0;
    let mut on_match = |_: &Match| {
        count += 1;
        ControlFlow::Continue(())
    };
    let mut stream = engine.stream();
    for piece in haystack.chunks(fragment) {
        stream.feed(piece, &mut on_match).expect("stream is open");
    }
    stream.finish(&mut on_match).expect("stream is open");
    count
}

/// Returns how many times [`ABSENT_BYTE`] occurs (always 0): one pass of
/// `memchr` over the haystack, the memory-bandwidth ceiling.
pub fn memchr_count(haystack: &[u8]) -> usize {
    memchr::memchr_iter(ABSENT_BYTE, haystack).count()
}

/// One span-finding pattern per rule, in the engine's rule order.
#[derive(Clone, Debug)]
pub struct RulePattern {
    /// Index of the sensor in [`Engine::sensors`].
    pub sensor: usize,
    /// Index of the rule in its sensor.
    pub rule: usize,
    /// The rule's first `regex` pattern, wrapped in `\b` assertions when
    /// the rule has the default `word` boundary.
    pub regex: String,
}

/// Returns the first `regex` pattern of every rule of `engine`: the
/// pattern set the baselines run.
///
/// A rule with the `word` boundary gets `\b` on both sides, the closest
/// equivalent both regex-automata and Hyperscan support (it also counts
/// `_` as a word byte, which dlp's boundary does not). Validators,
/// hotwords, `!regex` patterns and contexts have no equivalent there.
pub fn rule_patterns(engine: &Engine) -> Vec<RulePattern> {
    let mut out = Vec::new();
    for (si, sensor) in engine.sensors().iter().enumerate() {
        for (ri, rule) in sensor.rules.iter().enumerate() {
            let pattern = rule
                .patterns
                .iter()
                .find(|p| !p.negated)
                .expect("every rule has a regex pattern");
            let regex = match rule.boundary {
                Boundary::Word => format!(r"\b(?:{})\b", pattern.regex),
                Boundary::None => pattern.regex.clone(),
            };
            out.push(RulePattern { sensor: si, rule: ri, regex });
        }
    }
    out
}

/// A hit of an end-offset engine: the pattern index and the offset just
/// past the match.
pub type Hit = (usize, u64);

/// The naive baseline: one regex-automata DFA over all patterns,
/// reporting every end offset of every pattern (overlapping search), as
/// Hyperscan does.
///
/// A fully compiled dense DFA is used when it fits in
/// [`NaiveDfa::DENSE_LIMIT`] bytes; larger pattern sets fall back to the
/// lazy DFA, which builds states as the haystack needs them.
pub struct NaiveDfa {
    kind: NaiveKind,
}

enum NaiveKind {
    Dense(dfa::dense::DFA<Vec<u32>>),
    Lazy(hybrid::dfa::DFA),
}

impl NaiveDfa {
    /// The largest dense DFA built, in bytes.
    pub const DENSE_LIMIT: usize = 256 << 20;

    /// Compiles `patterns`.
    ///
    /// # Errors
    ///
    /// Returns the regex-automata error message if a pattern is invalid.
    pub fn new(patterns: &[RulePattern]) -> Result<NaiveDfa, String> {
        let regexes: Vec<&str> =
            patterns.iter().map(|p| p.regex.as_str()).collect();
        let syntax_config = syntax::Config::new().unicode(false).utf8(false);
        let dense = dfa::dense::Builder::new()
            .configure(
                dfa::dense::Config::new()
                    .match_kind(MatchKind::All)
                    .dfa_size_limit(Some(Self::DENSE_LIMIT))
                    .determinize_size_limit(Some(Self::DENSE_LIMIT)),
            )
            .syntax(syntax_config)
            .build_many(&regexes);
        if let Ok(dense) = dense {
            return Ok(NaiveDfa { kind: NaiveKind::Dense(dense) });
        }
        let lazy = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(MatchKind::All)
                    .cache_capacity(64 << 20),
            )
            .syntax(syntax_config)
            .build_many(&regexes)
            .map_err(|err| err.to_string())?;
        Ok(NaiveDfa { kind: NaiveKind::Lazy(lazy) })
    }

    /// Returns `"dense DFA"` or `"lazy DFA"`.
    pub fn label(&self) -> &'static str {
        match self.kind {
            NaiveKind::Dense(_) => "dense DFA",
            NaiveKind::Lazy(_) => "lazy DFA",
        }
    }

    /// Returns the memory the automaton uses, in bytes (for the lazy
    /// DFA, the configured cache capacity).
    pub fn memory_usage(&self) -> usize {
        match &self.kind {
            NaiveKind::Dense(dfa) => dfa.memory_usage(),
            NaiveKind::Lazy(_) => 64 << 20,
        }
    }

    /// Calls `on_hit` for every end offset of every pattern.
    pub fn for_each_hit(&self, haystack: &[u8], mut on_hit: impl FnMut(Hit)) {
        let input = Input::new(haystack);
        match &self.kind {
            NaiveKind::Dense(dfa) => {
                use regex_automata::dfa::Automaton;
                let mut state = dfa::OverlappingState::start();
                loop {
                    dfa.try_search_overlapping_fwd(&input, &mut state)
                        .expect("the dense DFA has no quit bytes");
                    match state.get_match() {
                        Some(m) => {
                            on_hit((m.pattern().as_usize(), m.offset() as u64))
                        }
                        None => break,
                    }
                }
            }
            NaiveKind::Lazy(dfa) => {
                let mut cache = dfa.create_cache();
                let mut state = hybrid::dfa::OverlappingState::start();
                loop {
                    dfa.try_search_overlapping_fwd(
                        &mut cache, &input, &mut state,
                    )
                    .expect("the lazy DFA never gives up by default");
                    match state.get_match() {
                        Some(m) => {
                            on_hit((m.pattern().as_usize(), m.offset() as u64))
                        }
                        None => break,
                    }
                }
            }
        }
    }

    /// Returns the number of hits in `haystack`.
    pub fn count(&self, haystack: &[u8]) -> usize {
        let mut count = 0;
        self.for_each_hit(haystack, |_| count += 1);
        count
    }
}

/// Returns the planted values of `corpus` that `matches` lacks: a
/// planted value is found when a match of its sensor and rule has
/// exactly its span. Each missing value is described by its sensor,
/// rule, offsets and text (synthetic data).
pub fn missing_planted(corpus: &Corpus, matches: &[Match]) -> Vec<String> {
    let found: HashSet<(&str, &str, u64, u64)> = matches
        .iter()
        .map(|m| (m.sensor(), m.rule(), m.start(), m.end()))
        .collect();
    corpus
        .planted
        .iter()
        .filter(|p| {
            !found.contains(&(p.sensor, p.rule, p.start as u64, p.end as u64))
        })
        .map(|p| describe(corpus, p.sensor, p.rule, p.start, p.end))
        .collect()
}

/// Returns the planted values of `corpus` with no hit of a pattern of
/// their sensor ending at their end offset: the check for engines that
/// report end offsets only.
pub fn missing_planted_ends(
    corpus: &Corpus,
    engine: &Engine,
    patterns: &[RulePattern],
    hits: &[Hit],
) -> Vec<String> {
    let ends: HashSet<(&str, u64)> = hits
        .iter()
        .map(|&(pattern, end)| {
            let sensor = &engine.sensors()[patterns[pattern].sensor];
            (sensor.name.as_str(), end)
        })
        .collect();
    corpus
        .planted
        .iter()
        .filter(|p| !ends.contains(&(p.sensor, p.end as u64)))
        .map(|p| describe(corpus, p.sensor, p.rule, p.start, p.end))
        .collect()
}

/// Returns how many hits have no dlp match of the same rule ending at
/// the same offset: candidates that dlp's validators, boundaries,
/// hotwords or overlap rules reject, plus the extra end offsets an
/// end-offset engine reports inside one value.
pub fn hits_rejected_by_dlp(
    patterns: &[RulePattern],
    hits: &[Hit],
    matches: &[Match],
) -> usize {
    let confirmed: HashSet<(usize, usize, u64)> = matches
        .iter()
        .map(|m| (m.sensor_index(), m.rule_index(), m.end()))
        .collect();
    hits.iter()
        .filter(|&&(pattern, end)| {
            let p = &patterns[pattern];
            !confirmed.contains(&(p.sensor, p.rule, end))
        })
        .count()
}

fn describe(
    corpus: &Corpus,
    sensor: &str,
    rule: &str,
    start: usize,
    end: usize,
) -> String {
    format!(
        "{sensor}/{rule} at {start}..{end}: {:?}",
        String::from_utf8_lossy(&corpus.bytes[start..end])
    )
}
