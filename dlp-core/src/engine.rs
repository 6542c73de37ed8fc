//! The engine: sensors compiled into one automaton, and the block scan.

use std::fmt;
use std::ops::ControlFlow;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::path::Path;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::util::start;
use regex_automata::{meta, Anchored, MatchKind};

use crate::error::{Error, ErrorKind};
use crate::http::HttpTracker;
use crate::prefilter::Triggers;
use crate::scan::{Candidate, ScanState};
use crate::sensor::{
    self, Boundary, Confidence, Context, Mask, Sensor, Severity,
};
use crate::stream::Stream;
use crate::validators::ValidateFn;
use crate::{builtin, MAX_MATCH_LEN, MAX_PATTERNS};

/// The largest heap size of the compiled automaton, in bytes.
pub const MAX_ENGINE_SIZE: usize = 32 << 20;

/// The capacity of each scratch cache of the lazy DFA, in bytes.
///
/// An engine is built only if every state its scans can reach fits in a
/// cache of this size (see [`fits_cache`]), so a scan never has to clear
/// the cache and determinize the same states again.
#[cfg(not(fuzzing))]
const CACHE_CAPACITY: usize = 16 << 20;

/// The capacity of each scratch cache in fuzzing builds.
///
/// Fuzzing builds check only small automata (see [`CHECK_STEPS`]). A
/// smaller cache lets the fuzzers reach the check's error path within
/// that budget, and the scans of the larger automata, which are not
/// checked, clear their caches as they would without the check.
#[cfg(fuzzing)]
const CACHE_CAPACITY: usize = 4 << 20;

/// A match: a validated value found by a sensor's rule.
///
/// `Debug` shows the masked value only; the raw bytes are available from
/// [`Match::value`] for callers that need them.
#[derive(Clone, PartialEq, Eq)]
pub struct Match {
    pub(crate) sensor: Arc<str>,
    pub(crate) rule: Arc<str>,
    pub(crate) sensor_index: u32,
    pub(crate) rule_index: u32,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) context: Context,
    pub(crate) severity: Severity,
    pub(crate) confidence: Confidence,
    pub(crate) masked: String,
    pub(crate) value: Vec<u8>,
}

impl Match {
    /// Returns the sensor's name.
    pub fn sensor(&self) -> &str {
        &self.sensor
    }

    /// Returns the rule's name.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Returns the sensor's position in [`Engine::sensors`].
    pub fn sensor_index(&self) -> usize {
        self.sensor_index as usize
    }

    /// Returns the rule's position in its sensor's `rules`.
    pub fn rule_index(&self) -> usize {
        self.rule_index as usize
    }

    /// Returns the byte offset of the first byte of the value, from the
    /// start of the haystack or stream.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Returns the byte offset just past the value.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Returns the span `start..end`.
    pub fn span(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }

    /// Returns where in the traffic the value starts.
    pub fn context(&self) -> Context {
        self.context
    }

    /// Returns the sensor's severity.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Returns how sure the match is.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// Returns the value with most of its letters and digits replaced by
    /// `*`, as set by the rule's mask. Safe to log.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// Returns the raw bytes of the value. This is personal data: do not
    /// log it unless the user asked for it.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("sensor", &self.sensor)
            .field("rule", &self.rule)
            .field("span", &self.span())
            .field("context", &self.context)
            .field("masked", &self.masked)
            .finish()
    }
}

/// One source of sensor definitions, kept so that an engine can be
/// rebuilt elsewhere (for example after pickling in Python).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The text's origin: a path, `<builtin>` or a caller's label.
    pub origin: String,
    /// The definition text.
    pub text: String,
}

/// Builds an [`Engine`] from the built-in sensors and definition files.
///
/// # Example
///
/// ```
/// use dlp_core::EngineBuilder;
///
/// let text = r#"
/// [[sensor]]
/// name = "ticket"
/// [[sensor.rule]]
/// name = "id"
/// [[sensor.rule.pattern]]
/// value = 'TCK-[0-9]{6}'
/// "#;
/// let engine = EngineBuilder::new().add_toml(text, "inline")?.build()?;
/// let matches = engine.scan(b"see TCK-123456 now");
/// assert_eq!(matches[0].sensor(), "ticket");
/// # Ok::<(), dlp_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct EngineBuilder {
    sensors: Vec<Sensor>,
    sources: Vec<Source>,
}

impl EngineBuilder {
    /// Returns a builder with no sensors.
    pub fn new() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Adds the built-in sensors (`fr_nir`, `us_ssn`, `credit_card`,
    /// `iban`, `email`).
    ///
    /// # Errors
    ///
    /// Returns an error if a sensor already added has a built-in name.
    pub fn add_builtin(&mut self) -> Result<&mut EngineBuilder, Error> {
        for (origin, text) in builtin::SOURCES {
            self.add_toml(text, origin)?;
        }
        Ok(self)
    }

    /// Adds the sensors defined in `text`; `origin` names the text in
    /// error messages (usually a file path).
    ///
    /// # Errors
    ///
    /// Returns an error naming `origin`, the sensor and the rule if the
    /// text is not a valid definition or reuses a sensor name.
    pub fn add_toml(
        &mut self,
        text: &str,
        origin: &str,
    ) -> Result<&mut EngineBuilder, Error> {
        let sensors = sensor::parse(text, origin)?;
        for sensor in &sensors {
            if self.sensors.iter().any(|s| s.name == sensor.name) {
                let kind =
                    ErrorKind::DuplicateName { name: sensor.name.clone() };
                return Err(Error::new(origin, kind).in_sensor(&sensor.name));
            }
        }
        self.sensors.extend(sensors);
        self.sources.push(Source {
            origin: origin.to_string(),
            text: text.to_string(),
        });
        Ok(self)
    }

    /// Reads and adds the definition file at `path`.
    ///
    /// # Errors
    ///
    /// Returns an error if the file cannot be read, is not UTF-8, or is
    /// not a valid definition.
    pub fn add_file(
        &mut self,
        path: impl AsRef<Path>,
    ) -> Result<&mut EngineBuilder, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| {
            Error::new(&origin, ErrorKind::Io { message: err.to_string() })
        })?;
        self.add_toml(&text, &origin)
    }

    /// Compiles the sensors added so far into an engine.
    ///
    /// # Errors
    ///
    /// Returns an error if there are no sensors, more than
    /// [`MAX_PATTERNS`] patterns, or the compiled automaton would exceed
    /// [`MAX_ENGINE_SIZE`].
    pub fn build(&self) -> Result<Engine, Error> {
        let inner =
            Inner::compile(self.sensors.clone(), self.sources.clone())?;
        Ok(Engine { inner: Arc::new(inner) })
    }
}

/// Sensors compiled into one automaton: immutable, cheap to clone, and
/// shared by any number of threads.
///
/// Scanning needs scratch space: a lazy DFA cache that grows to hold the
/// automaton's states (at most 16 MiB, about 0.5 MiB for the built-in
/// sensors) and a small buffer. The engine keeps a pool of them, one per thread that is
/// scanning at a time, so callers never manage it.
///
/// # Example
///
/// ```
/// use dlp_core::Engine;
///
/// let engine = Engine::builtin();
/// let matches = engine.scan(b"NIR 2 55 08 14 168 025 38, SSN 536-22-8451");
/// assert_eq!(matches.len(), 2);
/// assert_eq!(matches[0].sensor(), "fr_nir");
/// assert_eq!(matches[0].masked(), "2 55 08 ** *** *** 38");
/// assert_eq!(matches[1].sensor(), "us_ssn");
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

type CachePool = Pool<
    Scratch,
    Box<dyn Fn() -> Scratch + Send + Sync + UnwindSafe + RefUnwindSafe>,
>;

/// Per-thread scratch space for scanning.
pub(crate) struct Scratch {
    pub(crate) cache: Cache,
    pub(crate) junction: Vec<u8>,
    /// The scan state a stream works on during a call.
    pub(crate) state: ScanState,
    /// Whether [`fits_cache`] found that every state fits in `cache`.
    checked: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Scans take no step that `fits_cache` did not take, so they
        // never clear the cache of an automaton it checked. The tests and
        // the fuzzers, built with debug assertions, check this here.
        debug_assert!(
            !self.checked || self.cache.clear_count() == 0,
            "a scan cleared the cache of an automaton that fits in it"
        );
    }
}

pub(crate) struct Inner {
    pub(crate) sensors: Vec<Sensor>,
    pub(crate) sources: Vec<Source>,
    pub(crate) rules: Vec<CompiledRule>,
    dfa: DFA,
    pool: CachePool,
    /// The rule of each DFA pattern.
    pattern_rule: Vec<u32>,
    /// Bytes that can start a pattern after a non-word byte.
    can_start: [bool; 256],
    /// Bytes that can start a pattern whose boundary is `none`, anywhere.
    can_start_anywhere: [bool; 256],
    /// Whether any byte of `can_start_anywhere` is set.
    starts_anywhere: bool,
    /// Whether every rule needs word boundaries at both ends of a match.
    word_only: bool,
    /// The trigger bytes that let the scan skip most positions.
    pub(crate) triggers: Triggers,
    /// The longest match of any pattern, in bytes.
    pub(crate) max_len: usize,
    /// The largest hotword window, at least 2 so the two bytes before a
    /// candidate (for boundaries) are always at hand.
    pub(crate) max_window: usize,
}

pub(crate) struct CompiledRule {
    pub(crate) sensor: u32,
    pub(crate) rule: u32,
    pub(crate) sensor_name: Arc<str>,
    pub(crate) rule_name: Arc<str>,
    pub(crate) context: Context,
    pub(crate) severity: Severity,
    pub(crate) validator: Option<ValidateFn>,
    pub(crate) checks: Vec<(bool, meta::Regex)>,
    pub(crate) hotwords: Option<AhoCorasick>,
    pub(crate) hotwords_required: bool,
    pub(crate) hotword_window: usize,
    pub(crate) confidence: Confidence,
    pub(crate) boundary: Boundary,
    pub(crate) mask: Mask,
}

impl Inner {
    fn compile(
        sensors: Vec<Sensor>,
        sources: Vec<Source>,
    ) -> Result<Inner, Error> {
        let origin = sources
            .iter()
            .map(|s| s.origin.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if sensors.is_empty() {
            return Err(Error::new(
                &origin,
                ErrorKind::Empty { what: "definition" },
            ));
        }
        let mut rules = Vec::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut pattern_rule = Vec::new();
        let mut max_len = 1;
        let mut max_window = 2;
        for (si, sensor) in sensors.iter().enumerate() {
            let sensor_name: Arc<str> = Arc::from(sensor.name.as_str());
            for (ri, rule) in sensor.rules.iter().enumerate() {
                let in_rule = |err: Error| {
                    err.in_sensor(&sensor.name).in_rule(&rule.name)
                };
                let primary = rule
                    .patterns
                    .iter()
                    .position(|p| !p.negated)
                    .expect("rules have a regex pattern");
                let mut checks = Vec::new();
                for (k, pattern) in rule.patterns.iter().enumerate() {
                    if k == primary {
                        continue;
                    }
                    let regex = sensor::check_regex_builder()
                        .build(&pattern.regex)
                        .map_err(|err| {
                            in_rule(Error::new(
                                &origin,
                                ErrorKind::InvalidRegex {
                                    pattern: pattern.regex.clone(),
                                    message: sensor::check_regex_error(&err),
                                },
                            ))
                        })?;
                    checks.push((pattern.negated, regex));
                }
                let hotwords = if rule.hotwords.is_empty() {
                    None
                } else {
                    let ac = AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(&rule.hotwords)
                        .map_err(|err| {
                            in_rule(Error::new(
                                &origin,
                                ErrorKind::TooLarge {
                                    message: err.to_string(),
                                },
                            ))
                        })?;
                    Some(ac)
                };
                let regex = &rule.patterns[primary].regex;
                max_len = max_len.max(sensor::max_match_len(regex));
                max_window = max_window.max(rule.hotword_window);
                patterns.push(regex);
                pattern_rule.push(rules.len() as u32);
                rules.push(CompiledRule {
                    sensor: si as u32,
                    rule: ri as u32,
                    sensor_name: Arc::clone(&sensor_name),
                    rule_name: Arc::from(rule.name.as_str()),
                    context: rule.context,
                    severity: sensor.severity,
                    validator: sensor::validator_fn(rule),
                    checks,
                    hotwords,
                    hotwords_required: rule.hotwords_required,
                    hotword_window: rule.hotword_window,
                    confidence: rule.confidence,
                    boundary: rule.boundary,
                    mask: rule.mask,
                });
            }
        }
        if patterns.len() > MAX_PATTERNS {
            let message = format!(
                "{} rules exceed the limit of {MAX_PATTERNS}; split the \
                 sensors across engines",
                patterns.len()
            );
            return Err(Error::new(&origin, ErrorKind::TooLarge { message }));
        }
        let dfa = build_dfa(&patterns).map_err(|message| {
            locate_build_error(&sensors, &rules, &patterns, &origin, message)
        })?;
        let mut budget = CHECK_STEPS;
        let fit = fits_cache(&dfa, &mut budget);
        if let CacheFit::Overflows(states) = fit {
            let overflow = Overflow { states, steps: CHECK_STEPS - budget };
            return Err(locate_cache_overflow(
                &sensors, &rules, &patterns, &origin, overflow,
            ));
        }
        let checked = matches!(fit, CacheFit::Fits(_));
        let factory_dfa = dfa.clone();
        let create: Box<
            dyn Fn() -> Scratch + Send + Sync + UnwindSafe + RefUnwindSafe,
        > = Box::new(move || Scratch {
            cache: factory_dfa.create_cache(),
            junction: Vec::new(),
            state: ScanState::new(),
            checked,
        });
        let pool = Pool::new(create);
        let triggers = Triggers::build(&dfa, &patterns);
        let mut inner = Inner {
            sensors,
            sources,
            rules,
            dfa,
            pool,
            pattern_rule,
            can_start: [false; 256],
            can_start_anywhere: [false; 256],
            starts_anywhere: false,
            word_only: false,
            triggers,
            max_len,
            max_window,
        };
        inner.compute_start_bytes();
        inner.starts_anywhere = inner.can_start_anywhere.contains(&true);
        inner.word_only =
            inner.rules.iter().all(|rule| rule.boundary == Boundary::Word);
        Ok(inner)
    }

    /// Fills the start-byte tables by probing the automaton's anchored
    /// start states with each byte, after each kind of preceding byte.
    ///
    /// The probes run in a cache of their own: the start states of single
    /// patterns are not among the states [`fits_cache`] counts, so they
    /// must not take room in the caches that scans use.
    fn compute_start_bytes(&mut self) {
        let cache = &mut self.dfa.create_cache();
        let look_behinds = [None, Some(b' '), Some(b'\n'), Some(b'a')];
        let anywhere: Vec<u32> = self
            .pattern_rule
            .iter()
            .enumerate()
            .filter(|(_, &r)| {
                self.rules[r as usize].boundary == Boundary::None
            })
            .map(|(pid, _)| pid as u32)
            .collect();
        for byte in 0..=255u8 {
            for look_behind in look_behinds {
                let config = start::Config::new()
                    .anchored(Anchored::Yes)
                    .look_behind(look_behind);
                if opens(&self.dfa, cache, &config, byte) {
                    self.can_start[usize::from(byte)] = true;
                }
                if look_behind != Some(b'a') {
                    continue;
                }
                for &pid in &anywhere {
                    let Ok(pid) = regex_automata::PatternID::new(pid as usize)
                    else {
                        continue;
                    };
                    let config =
                        config.clone().anchored(Anchored::Pattern(pid));
                    if opens(&self.dfa, cache, &config, byte) {
                        self.can_start_anywhere[usize::from(byte)] = true;
                    }
                }
            }
        }
        // Starts of `none` patterns after other look-behinds count too.
        for byte in 0..256 {
            if !anywhere.is_empty() && self.can_start[byte] {
                self.can_start_anywhere[byte] |= true;
            }
        }
    }

    pub(crate) fn scratch(
        &self,
    ) -> PoolGuard<
        '_,
        Scratch,
        Box<dyn Fn() -> Scratch + Send + Sync + UnwindSafe + RefUnwindSafe>,
    > {
        self.pool.get()
    }

    /// Returns whether some pattern may start after a word byte (a rule
    /// with `boundary = "none"`).
    #[inline]
    pub(crate) fn starts_anywhere(&self) -> bool {
        self.starts_anywhere
    }

    /// Returns whether a pattern may start at `p`: a cheap test on the
    /// byte there and the byte before it, run before [`Inner::best_at`].
    #[inline(always)]
    pub(crate) fn may_start(&self, bytes: &[u8], p: usize) -> bool {
        let index = usize::from(bytes[p]);
        if self.can_start_anywhere[index] {
            return true;
        }
        self.can_start[index] && (p == 0 || !is_word(bytes[p - 1]))
    }

    /// Finds the candidate spans that start at `p` in `bytes`, validates
    /// them, and returns the longest valid one (the lowest rule on a tie).
    /// Without `eof`, returns `NeedMore` if the bytes end before the
    /// decision can be made.
    ///
    /// `bytes[p + max_len + 1]` must exist unless `eof` is set, and the bytes
    /// up to `max_window` before `p` must be in `bytes` unless `p` is the
    /// start of the stream (`base + p == 0`).
    #[inline]
    pub(crate) fn best_at(
        &self,
        cache: &mut Cache,
        bytes: &[u8],
        base: u64,
        p: usize,
        eof: bool,
        state: &ScanState,
    ) -> Result<Option<Candidate>, NeedMore> {
        let byte = bytes[p];
        let prev = if p > 0 { Some(bytes[p - 1]) } else { None };
        let at_boundary =
            prev.map_or(true, |b| !is_word(b)) && !continues_number(bytes, p);
        let index = usize::from(byte);
        if !((at_boundary && self.can_start[index])
            || self.can_start_anywhere[index])
        {
            return Ok(None);
        }
        let config =
            start::Config::new().anchored(Anchored::Yes).look_behind(prev);
        let Ok(mut sid) = self.dfa.start_state(cache, &config) else {
            return Ok(None);
        };
        let limit = (p + self.max_len).min(bytes.len());
        let mut best: Option<Candidate> = None;
        let mut i = p;
        loop {
            // Untagged states need no checks, so they run in a tight loop
            // up to the first tagged state, which the full step handles.
            while i < limit && !sid.is_tagged() {
                let next = self.dfa.next_state_untagged(cache, sid, bytes[i]);
                if next.is_tagged() {
                    break;
                }
                sid = next;
                i += 1;
            }
            let next = if i < bytes.len() {
                self.dfa.next_state(cache, sid, bytes[i])
            } else if eof {
                self.dfa.next_eoi_state(cache, sid)
            } else if any_live_next(&self.dfa, cache, sid, bytes[i - 1]) {
                // The automaton is still alive at the end of the bytes at
                // hand: a longer match may follow.
                return Err(NeedMore);
            } else {
                break;
            };
            let Ok(next) = next else { break };
            sid = next;
            if sid.is_tagged() {
                if sid.is_dead() || sid.is_quit() {
                    break;
                }
                if sid.is_match() && i > p {
                    self.consider(
                        cache,
                        sid,
                        bytes,
                        base,
                        p,
                        i,
                        eof,
                        at_boundary,
                        state,
                        &mut best,
                    )?;
                }
            }
            if i >= limit {
                break;
            }
            i += 1;
        }
        Ok(best)
    }

    #[allow(clippy::too_many_arguments)]
    fn consider(
        &self,
        cache: &Cache,
        sid: LazyStateID,
        bytes: &[u8],
        base: u64,
        p: usize,
        end: usize,
        eof: bool,
        at_boundary: bool,
        state: &ScanState,
        best: &mut Option<Candidate>,
    ) -> Result<(), NeedMore> {
        // The end boundary looks at the byte after the span, and at the
        // next one too when the first is a dot (`42.5` is a number).
        let more = end >= bytes.len()
            || (bytes[end] == b'.' && end + 1 >= bytes.len());
        if !eof && more {
            return Err(NeedMore);
        }
        let end_ok = if end < bytes.len() {
            !is_word(bytes[end]) && !number_continues(bytes, end)
        } else {
            eof
        };
        // When every rule needs word boundaries, a span without them fails
        // every rule. Most spans inside a digit run are such spans.
        if self.word_only && !(at_boundary && end_ok) {
            return Ok(());
        }
        let context = state.context_at(base + p as u64);
        for k in 0..self.dfa.match_len(cache, sid) {
            let pid = self.dfa.match_pattern(cache, sid, k);
            let rule_id = self.pattern_rule[pid.as_usize()];
            if let Some(b) = best {
                let longer = end > b.end || (end == b.end && rule_id < b.rule);
                if !longer {
                    continue;
                }
            }
            let rule = &self.rules[rule_id as usize];
            if rule.boundary == Boundary::Word && !(at_boundary && end_ok) {
                continue;
            }
            if rule.context != Context::Packet && rule.context != context {
                continue;
            }
            let value = &bytes[p..end];
            if let Some(validate) = rule.validator {
                if !validate(value) {
                    continue;
                }
            }
            if !rule
                .checks
                .iter()
                .all(|(negated, re)| re.is_match(value) != *negated)
            {
                continue;
            }
            let mut confidence = rule.confidence;
            if let Some(hotwords) = &rule.hotwords {
                let from = p.saturating_sub(rule.hotword_window);
                let found = hotwords.is_match(&bytes[from..p]);
                if rule.hotwords_required && !found {
                    continue;
                }
                if found && !rule.hotwords_required {
                    confidence = Confidence::High;
                }
            }
            *best =
                Some(Candidate { rule: rule_id, end, context, confidence });
        }
        Ok(())
    }

    pub(crate) fn make_match(
        &self,
        candidate: &Candidate,
        bytes: &[u8],
        base: u64,
        p: usize,
    ) -> Match {
        let rule = &self.rules[candidate.rule as usize];
        let value = bytes[p..candidate.end].to_vec();
        Match {
            sensor: Arc::clone(&rule.sensor_name),
            rule: Arc::clone(&rule.rule_name),
            sensor_index: rule.sensor,
            rule_index: rule.rule,
            start: base + p as u64,
            end: base + candidate.end as u64,
            context: candidate.context,
            severity: rule.severity,
            confidence: candidate.confidence,
            masked: rule.mask.apply(&value),
            value,
        }
    }
}

/// Returns whether some byte leads from `sid` to a live state of `dfa`,
/// or the end of the input to a match, so a longer match or one at the
/// end of the stream might follow. Returns true if the cache was cleared
/// on the way. `likely` is tried first: the byte that led to `sid`, since
/// runs of one class (digits, letters) are common.
fn any_live_next(
    dfa: &DFA,
    cache: &mut Cache,
    sid: LazyStateID,
    likely: u8,
) -> bool {
    let clears = cache.clear_count();
    if dfa.next_state(cache, sid, likely).is_ok_and(|s| !s.is_dead()) {
        return true;
    }
    for class in dfa.byte_classes().representatives(..) {
        let Some(byte) = class.as_u8() else { continue };
        // regex-automata documents only the id of the latest step as
        // valid, and a clear invalidates `sid`. A clear comes only with a
        // step to a new state, which is live, so the function has already
        // returned true. This guard returns true too, should that change.
        if cache.clear_count() != clears {
            return true;
        }
        match dfa.next_state(cache, sid, byte) {
            Ok(next) if next.is_dead() => {}
            _ => return true,
        }
    }
    // A pattern that ends in `$` or `\z` matches here if the stream ends
    // here, which is known only at the next feed or at the finish.
    if cache.clear_count() != clears {
        return true;
    }
    dfa.next_eoi_state(cache, sid).map_or(true, |eoi| eoi.is_match())
}

fn opens(
    dfa: &DFA,
    cache: &mut Cache,
    config: &start::Config,
    byte: u8,
) -> bool {
    let Ok(sid) = dfa.start_state(cache, config) else {
        return true;
    };
    match dfa.next_state(cache, sid, byte) {
        Ok(next) => !next.is_dead(),
        Err(_) => true,
    }
}

/// The bytes at hand end before a position can be decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NeedMore;

/// Returns whether position `p` is the fractional part of a number, as the
/// `4242` in `0.4242`: a digit after a dot that follows a digit.
#[inline]
fn continues_number(bytes: &[u8], p: usize) -> bool {
    p >= 2
        && bytes[p - 1] == b'.'
        && bytes[p - 2].is_ascii_digit()
        && bytes[p].is_ascii_digit()
}

/// Returns whether a span ending at `end` is followed by a fractional part,
/// as `42.5`: a digit, then a dot, then a digit.
#[inline]
fn number_continues(bytes: &[u8], end: usize) -> bool {
    end >= 1
        && end + 1 < bytes.len()
        && bytes[end] == b'.'
        && bytes[end - 1].is_ascii_digit()
        && bytes[end + 1].is_ascii_digit()
}

/// Returns whether `byte` is part of a word for match boundaries: an ASCII
/// letter or digit.
#[inline]
pub(crate) fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

pub(crate) fn build_dfa(patterns: &[&str]) -> Result<DFA, String> {
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .starts_for_each_pattern(true)
                .cache_capacity(CACHE_CAPACITY)
                .minimum_cache_clear_count(None),
        )
        .syntax(sensor::syntax_config())
        .thompson(
            thompson::Config::new().nfa_size_limit(Some(MAX_ENGINE_SIZE)),
        )
        .build_many(patterns)
        .map_err(|err| {
            let mut message = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(inner) = source {
                message = format!("{message}: {inner}");
                source = inner.source();
            }
            message
        })
}

/// Finds which rule made the automaton fail to build, by building each
/// pattern alone.
fn locate_build_error(
    sensors: &[Sensor],
    rules: &[CompiledRule],
    patterns: &[&str],
    origin: &str,
    message: String,
) -> Error {
    for (pattern, rule) in patterns.iter().zip(rules) {
        if let Err(alone) = build_dfa(&[pattern]) {
            let sensor = &sensors[rule.sensor as usize];
            let kind = if is_size_error(&alone) {
                ErrorKind::TooLarge { message: size_message(&alone) }
            } else {
                ErrorKind::InvalidRegex {
                    pattern: pattern.to_string(),
                    message: alone,
                }
            };
            return Error::new(origin, kind)
                .in_sensor(&sensor.name)
                .in_rule(&sensor.rules[rule.rule as usize].name);
        }
    }
    let message = format!(
        "the rules together are too large: {}",
        size_message(&message)
    );
    Error::new(origin, ErrorKind::TooLarge { message })
}

/// The outcome of [`fits_cache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CacheFit {
    /// Every state fits: the number of states.
    Fits(usize),
    /// The cache had to be cleared after this many states.
    Overflows(usize),
    /// The walk used up its step budget before it finished (see
    /// [`CHECK_STEPS`]).
    Unknown,
}

/// The step budget of the walk of [`fits_cache`] in a build, unlimited
/// except in fuzzing builds.
///
/// Under the fuzzers' instrumentation a step costs about 25 times what it
/// costs in a release build, so fuzzing builds check only the automata of
/// up to this many transitions and accept larger ones unchecked.
#[cfg(not(fuzzing))]
const CHECK_STEPS: usize = usize::MAX;
#[cfg(fuzzing)]
const CHECK_STEPS: usize = 5_000;

/// Determinizes every state that an anchored scan can reach, from each
/// kind of preceding byte, in a fresh cache, with the transition at the
/// end of the input from each. Stops at the first clear of the cache, or
/// when the steps in `budget` are spent. Subtracts the steps it takes
/// from `budget`.
///
/// Scans start at the same anchored start states and take no other
/// steps, so once the automaton fits, a scan's cache never clears. The
/// cost is one step per state and byte class, plus one per state. Each
/// step fills a 4-byte slot of the transition table, so a walk takes at
/// most `CACHE_CAPACITY / 4` steps before the cache overflows.
fn fits_cache(dfa: &DFA, budget: &mut usize) -> CacheFit {
    explore(dfa, &mut dfa.create_cache(), budget)
}

#[cfg(test)]
thread_local! {
    /// The steps that walks of [`explore`] took on this thread.
    static WALKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs the walk of [`fits_cache`] in `cache`.
fn explore(dfa: &DFA, cache: &mut Cache, budget: &mut usize) -> CacheFit {
    let classes: Vec<u8> = dfa
        .byte_classes()
        .representatives(..)
        .filter_map(|class| class.as_u8())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut pending = Vec::new();
    // `\r` differs from `\n` only for patterns in CRLF mode, `(?R)`.
    for prev in [None, Some(b' '), Some(b'\n'), Some(b'\r'), Some(b'a')] {
        let config =
            start::Config::new().anchored(Anchored::Yes).look_behind(prev);
        // Start errors come from quit bytes, which this DFA has none of,
        // and from unsupported anchored modes. Such a start is skipped.
        let Ok(sid) = dfa.start_state(cache, &config) else {
            continue;
        };
        if seen.insert(sid) {
            pending.push(sid);
        }
    }
    // State ids stay valid until the cache is cleared, which ends the
    // walk.
    let clears = cache.clear_count();
    let steps = classes.len() + 1;
    while let Some(sid) = pending.pop() {
        let Some(left) = budget.checked_sub(steps) else {
            return CacheFit::Unknown;
        };
        *budget = left;
        #[cfg(test)]
        WALKED.with(|walked| walked.set(walked.get() + steps));
        for &byte in &classes {
            let next = dfa.next_state(cache, sid, byte);
            if cache.clear_count() != clears {
                return CacheFit::Overflows(seen.len());
            }
            let Ok(next) = next else {
                return CacheFit::Overflows(seen.len());
            };
            if !next.is_dead() && !next.is_quit() && seen.insert(next) {
                pending.push(next);
            }
        }
        // A scan steps to the end of the input from any state, and no
        // further. The state it reaches takes room in the cache too.
        let _ = dfa.next_eoi_state(cache, sid);
        if cache.clear_count() != clears {
            return CacheFit::Overflows(seen.len());
        }
    }
    CacheFit::Fits(seen.len())
}

/// The step budget that the walks of [`locate_cache_overflow`] share.
/// It is enough to overflow the cache once (see [`fits_cache`]), and in
/// fuzzing builds no more than [`CHECK_STEPS`].
#[cfg(not(fuzzing))]
const LOCATE_STEPS: usize = CACHE_CAPACITY / 4;
#[cfg(fuzzing)]
const LOCATE_STEPS: usize = CHECK_STEPS;

/// The size of a walk of [`fits_cache`] that overflowed the cache.
#[derive(Clone, Copy, Debug)]
struct Overflow {
    /// The number of states determinized before the overflow.
    states: usize,
    /// The number of steps taken.
    steps: usize,
}

/// Finds which rule's automaton does not fit in a scratch cache, by
/// building and exploring patterns alone, after the walk of all of them
/// together overflowed as `overflow` describes.
///
/// The patterns with the largest NFAs are walked first, because they are
/// the likeliest to overflow alone. These walks take at most twice the
/// steps of the first walk and no more than [`LOCATE_STEPS`]. So patterns
/// that each come close to the limit cost a few walks, not one each. If
/// no pattern overflows within that budget, the error blames the rules
/// together.
fn locate_cache_overflow(
    sensors: &[Sensor],
    rules: &[CompiledRule],
    patterns: &[&str],
    origin: &str,
    overflow: Overflow,
) -> Error {
    let rule_too_large = |rule: &CompiledRule, states: usize| {
        let sensor = &sensors[rule.sensor as usize];
        let message = cache_message("the pattern needs", states);
        Error::new(origin, ErrorKind::TooLarge { message })
            .in_sensor(&sensor.name)
            .in_rule(&sensor.rules[rule.rule as usize].name)
    };
    // With a single pattern, the exploration that failed was its own.
    if let [rule] = rules {
        return rule_too_large(rule, overflow.states);
    }
    let mut alone: Vec<(DFA, &CompiledRule)> = patterns
        .iter()
        .zip(rules)
        .filter_map(|(pattern, rule)| {
            Some((build_dfa(&[pattern]).ok()?, rule))
        })
        .collect();
    alone.sort_by_key(|(dfa, _)| {
        std::cmp::Reverse(dfa.get_nfa().states().len())
    });
    let mut budget = overflow.steps.saturating_mul(2).min(LOCATE_STEPS);
    for (dfa, rule) in &alone {
        match fits_cache(dfa, &mut budget) {
            CacheFit::Fits(_) => {}
            CacheFit::Overflows(states) => {
                return rule_too_large(rule, states);
            }
            CacheFit::Unknown => break,
        }
    }
    let message = cache_message("the rules together need", overflow.states);
    Error::new(origin, ErrorKind::TooLarge { message })
}

/// Explains a cache overflow: the limit, and what usually causes it.
/// `subject` is the start of the sentence, with its verb.
fn cache_message(subject: &str, states: usize) -> String {
    format!(
        "{subject} more than {states} automaton states, over the limit \
         of {} MiB for a scratch cache; counted repetitions of bytes \
         that the pattern before them also matches, as in \
         `[a-z]{{0,30}}a[a-z]{{12}}`, or nested in other counted \
         repetitions are the usual cause: shorten them, or split the \
         sensors across engines",
        CACHE_CAPACITY >> 20
    )
}

/// Returns whether a build error comes from a size limit rather than from
/// the syntax of a pattern.
fn is_size_error(message: &str) -> bool {
    message.contains("cache capacity")
        || message.contains("exceeds size limit")
}

/// Explains a size error: which limits apply and what to do.
fn size_message(message: &str) -> String {
    let cause: String = message.chars().take(200).collect();
    format!(
        "the automaton exceeds the limit of {} MiB for the compiled \
         patterns or of {} MiB for a scratch cache ({cause}); use fewer \
         or shorter alternatives, or split the sensors across engines",
        MAX_ENGINE_SIZE >> 20,
        CACHE_CAPACITY >> 20
    )
}

impl Engine {
    /// Returns an engine with the built-in sensors.
    ///
    /// The built-in sensors are compiled once per process and shared, so
    /// this is cheap after the first call.
    pub fn builtin() -> Engine {
        static BUILTIN: std::sync::OnceLock<Engine> =
            std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                EngineBuilder::new()
                    .add_builtin()
                    .and_then(|b| b.build())
                    .expect("the built-in sensors are valid")
            })
            .clone()
    }

    /// Returns a builder for an engine with chosen sensors.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Returns an engine with the sensors defined in `text`.
    ///
    /// # Errors
    ///
    /// Returns an error naming `origin`, the sensor and the rule if the
    /// text is not a valid definition.
    pub fn from_toml(text: &str, origin: &str) -> Result<Engine, Error> {
        EngineBuilder::new().add_toml(text, origin)?.build()
    }

    /// Returns an engine with the sensors of the definition file at
    /// `path`.
    ///
    /// # Errors
    ///
    /// Returns an error if the file cannot be read or is not a valid
    /// definition.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Engine, Error> {
        EngineBuilder::new().add_file(path)?.build()
    }

    /// Returns the sensors, in the order they were added.
    pub fn sensors(&self) -> &[Sensor] {
        &self.inner.sensors
    }

    /// Returns the definition texts the engine was built from.
    pub fn sources(&self) -> &[Source] {
        &self.inner.sources
    }

    /// Returns the longest match any pattern allows, in bytes. A stream
    /// carries at most this many bytes, plus the hotword window, between
    /// fragments.
    pub fn max_match_len(&self) -> usize {
        self.inner.max_len
    }

    /// Scans a whole haystack and returns its matches in order of start.
    pub fn scan(&self, haystack: &[u8]) -> Vec<Match> {
        let mut matches = Vec::new();
        self.scan_with(haystack, |m| {
            matches.push(m.clone());
            ControlFlow::Continue(())
        });
        matches
    }

    /// Scans a whole haystack and calls `on_match` with each match, in
    /// order of start, until it returns `ControlFlow::Break`.
    pub fn scan_with<F>(&self, haystack: &[u8], mut on_match: F)
    where
        F: FnMut(&Match) -> ControlFlow<()>,
    {
        let mut state = ScanState::new();
        let mut http = HttpTracker::new();
        http.feed(haystack, 0, &mut state.contexts);
        http.finish(haystack.len() as u64, &mut state.contexts);
        let mut scratch = self.inner.pool.get();
        let _ = crate::scan::scan_range(
            &self.inner,
            &mut scratch.cache,
            haystack,
            0,
            0..haystack.len(),
            true,
            &mut state,
            &mut |m| on_match(m),
        );
    }

    /// Scans a whole haystack like [`Engine::scan`], but runs the
    /// automaton at every position rather than only where the prefilter
    /// lets it: the reference the prefilter must agree with, for tests
    /// and fuzzing. It is much slower than `scan`.
    #[doc(hidden)]
    pub fn scan_unfiltered(&self, haystack: &[u8]) -> Vec<Match> {
        crate::scan::scan_unfiltered(&self.inner, haystack)
    }

    /// Opens a stream for one direction of a flow.
    pub fn stream(&self) -> Stream {
        Stream::new(self.clone())
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> =
            self.inner.sensors.iter().map(|s| s.name.as_str()).collect();
        f.debug_struct("Engine")
            .field("sensors", &names)
            .field("max_match_len", &self.inner.max_len)
            .finish()
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Engine>();
    is::<Stream>();
    is::<Match>();
}

const _: () = assert!(MAX_MATCH_LEN >= 64);

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans in every way the engine offers, over bytes of every class
    /// and streams cut after every byte, then compares the memory of the
    /// scan's cache with the memory of a cache that [`explore`] filled.
    /// A state that scans reach and the walk missed would make the scan's
    /// cache the larger one. States that the build leaves in the scans'
    /// caches would too, but scans reach only some of the states the
    /// walk counts, so the test checks that there are none.
    #[test]
    fn scan_states_within_walk() {
        let definitions = [
            // Words, a `$` anchor and a `none` boundary.
            "[[sensor]]\nname = 's'\n[[sensor.rule]]\nname = 'r'\n\
             boundary = 'none'\n[[sensor.rule.pattern]]\n\
             value = '[a-z]{2,3}[0-9]?$'\n",
            "[[sensor]]\nname = 's'\n[[sensor.rule]]\nname = 'r'\n\
             [[sensor.rule.pattern]]\nvalue = '(?m)^[A-Z]{2}\\d{2}\\b'\n\
             [[sensor.rule]]\nname = 'q'\nboundary = 'none'\n\
             [[sensor.rule.pattern]]\nvalue = '(?i)key=[a-f0-9]{4}\\z'\n",
        ];
        let mut haystack = Vec::new();
        for byte in 0..=255u8 {
            haystack.extend_from_slice(b"ab1 FR12 key=0f0f\nxyz");
            haystack.push(byte);
        }
        for text in definitions {
            let engine = Engine::from_toml(text, "<test>").expect("loads");
            // The build leaves no state in the caches of the scans.
            let fresh = engine.inner.dfa.create_cache().memory_usage();
            let built = engine.inner.pool.get().cache.memory_usage();
            assert_eq!(built, fresh, "{text}");
            engine.scan(&haystack);
            for end in [1, 7, 19, 40] {
                engine.scan(&haystack[..end]);
                let mut stream = engine.stream();
                let go_on = |_: &Match| ControlFlow::Continue(());
                for &byte in &haystack[..end * 10] {
                    stream.feed(&[byte], go_on).expect("not finished");
                }
                stream.finish(go_on).expect("finishes once");
            }
            let inner = &engine.inner;
            let scratch = inner.pool.get();
            let mut walked = inner.dfa.create_cache();
            let mut budget = usize::MAX;
            assert!(matches!(
                explore(&inner.dfa, &mut walked, &mut budget),
                CacheFit::Fits(_)
            ));
            assert!(scratch.checked);
            assert_eq!(scratch.cache.clear_count(), 0);
            assert!(
                scratch.cache.memory_usage() <= walked.memory_usage(),
                "{text}: the scans' cache holds {} bytes, the walk's {}",
                scratch.cache.memory_usage(),
                walked.memory_usage()
            );
        }
    }

    #[test]
    fn walk_gives_up_after_max_steps() {
        let dfa = DFA::new("[a-z]{3}[0-9]{3}").expect("compiles");
        let mut budget = usize::MAX;
        let CacheFit::Fits(states) = fits_cache(&dfa, &mut budget) else {
            panic!("a small automaton does not fit");
        };
        assert!(states > 6, "{states} states");
        let steps = usize::MAX - budget;
        let mut budget = steps - 1;
        assert_eq!(fits_cache(&dfa, &mut budget), CacheFit::Unknown);
        let mut budget = steps;
        assert_eq!(fits_cache(&dfa, &mut budget), CacheFit::Fits(states));
        assert_eq!(budget, 0);
    }

    /// Locating the rule that overflows the cache walks patterns alone
    /// within a budget. Eight patterns that each fit alone, but not
    /// together, cost at most three walks of all of them; walking each
    /// alone would cost more.
    #[test]
    fn locating_overflow_takes_bounded_steps() {
        let patterns: Vec<String> = "abcdefgh"
            .chars()
            .map(|c| format!("[a-z]{{0,30}}{c}[a-z]{{11}}"))
            .collect();
        let mut text = String::from("[[sensor]]\nname = 's'\n");
        for (index, pattern) in patterns.iter().enumerate() {
            text.push_str(&format!(
                "[[sensor.rule]]\nname = 'r{index}'\nboundary = 'none'\n\
                 [[sensor.rule.pattern]]\nvalue = '{pattern}'\n"
            ));
        }
        let patterns: Vec<&str> =
            patterns.iter().map(String::as_str).collect();
        let mut budget = usize::MAX;
        let together = build_dfa(&patterns).expect("compiles");
        let fit = fits_cache(&together, &mut budget);
        assert!(matches!(fit, CacheFit::Overflows(_)), "{fit:?}");
        let walk = usize::MAX - budget;
        let mut budget = usize::MAX;
        let alone = build_dfa(&patterns[..1]).expect("compiles");
        let fit = fits_cache(&alone, &mut budget);
        assert!(matches!(fit, CacheFit::Fits(_)), "{fit:?}");
        let one = usize::MAX - budget;
        assert!(
            patterns.len() * one > 2 * walk,
            "walks alone of {one} steps each would fit in the budget of \
             {walk} for all together"
        );

        WALKED.with(|walked| walked.set(0));
        let error = Engine::from_toml(&text, "<test>").expect_err("overflows");
        assert!(error.to_string().contains("the rules together need"));
        let walked = WALKED.with(std::cell::Cell::get);
        assert!(walked <= 3 * walk, "{walked} steps, {walk} for one walk");
    }

    #[test]
    fn live_next_finds_dead_end() {
        let dfa = DFA::new("ab").expect("the pattern compiles");
        let mut cache = dfa.create_cache();
        let config = start::Config::new().anchored(Anchored::Yes);
        let mut sid = dfa.start_state(&mut cache, &config).expect("start");
        // The third byte reaches the match state: matches are reported
        // one byte late. Nothing is alive after it.
        for &byte in b"ab#" {
            assert!(any_live_next(&dfa, &mut cache, sid, b'#'));
            sid = dfa.next_state(&mut cache, sid, byte).expect("step");
        }
        assert!(sid.is_match());
        assert!(!any_live_next(&dfa, &mut cache, sid, b'#'));
    }

    #[test]
    fn live_next_waits_for_end_anchor() {
        let dfa = DFA::new(r"a\z").expect("the pattern compiles");
        let mut cache = dfa.create_cache();
        let config = start::Config::new().anchored(Anchored::Yes);
        let start = dfa.start_state(&mut cache, &config).expect("start");
        let after_a = dfa.next_state(&mut cache, start, b'a').expect("a");
        // Every byte after `a` is dead; only the end of the input matches.
        assert!(any_live_next(&dfa, &mut cache, after_a, b'a'));
    }
}
