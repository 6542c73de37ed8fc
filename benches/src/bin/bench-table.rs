//! Runs every engine on the same corpora in one process and prints a
//! Markdown table: engine, mode, corpus, MB/s (10^6 bytes per second,
//! median of several rounds, one thread), ratio to dlp stream-1460 on
//! that corpus, per-stream state size, and hit counts. Within a round
//! the engines take turns, and the notes give the headline ratios per
//! round.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use dlp_benches::corpus::{self, Corpus, CorpusKind};
use dlp_benches::engines::{
    dlp_block_count, dlp_engine, dlp_stream_count, memchr_count,
    missing_planted, missing_planted_ends, rule_patterns, NaiveDfa,
};
use dlp_core::Engine;

const USAGE: &str = "\
usage: bench-table [--size MIB] [--runs N] [--slice-kib KIB] [--seed N]
                   [--fragments N,N,...]

Generates the http, dense and custom50 corpora (MIB MiB each, default
64), times every engine once per round for N rounds (default 5) and
prints the medians as a Markdown table, with the per-round ratios of
the headline in the notes. The 64-byte and 1-byte fragment rows scan the first KIB
KiB (default 1024) of the corpus. --fragments adds a dlp stream row per
fragment size over the whole corpus, to show the cost of each call.";

struct Options {
    size: usize,
    runs: usize,
    slice: usize,
    seed: u64,
    /// More fragment sizes for dlp stream rows over the whole corpus.
    fragments: Vec<usize>,
}

/// One line of the table.
struct Row {
    engine: String,
    mode: String,
    corpus: &'static str,
    bytes: usize,
    median: Duration,
    state_size: Option<usize>,
    hits: usize,
    /// Planted values the engine missed, or `None` when not checked.
    missing: Option<usize>,
}

impl Row {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.median.as_secs_f64() / 1e6
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-table: {message}");
            return ExitCode::from(2);
        }
    };
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for kind in CorpusKind::ALL {
        eprintln!("bench-table: generating {} ...", kind.name());
        let corpus = corpus::generate(kind, options.size, options.seed);
        eprintln!(
            "bench-table: {}: {} bytes, {} planted",
            kind.name(),
            corpus.bytes.len(),
            corpus.planted.len()
        );
        rows.extend(run_corpus(&corpus, &options, &mut notes));
    }
    print_table(&rows);
    println!();
    for note in notes {
        println!("- {note}");
    }
    ExitCode::SUCCESS
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        size: corpus::DEFAULT_SIZE,
        runs: 5,
        slice: 1 << 20,
        seed: corpus::DEFAULT_SEED,
        fragments: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || -> Result<f64, String> {
            let text = args
                .next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))?;
            text.parse()
                .map_err(|_| format!("invalid value {text:?} for {arg}"))
        };
        match arg.as_str() {
            "--size" => options.size = (number()? * (1 << 20) as f64) as usize,
            "--runs" => options.runs = (number()? as usize).max(1),
            "--slice-kib" => options.slice = (number()? as usize) << 10,
            "--seed" => options.seed = number()? as u64,
            "--fragments" => {
                let text = args.next().ok_or_else(|| {
                    format!("--fragments needs a value\n{USAGE}")
                })?;
                for size in text.split(',') {
                    match size.trim().parse::<usize>() {
                        Ok(size) if size > 0 => options.fragments.push(size),
                        _ => {
                            return Err(format!(
                                "invalid fragment size {size:?} in \
                                 --fragments; give sizes in bytes, such \
                                 as 4096,16384"
                            ))
                        }
                    }
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => {
                return Err(format!("unknown argument {other:?}\n{USAGE}"))
            }
        }
    }
    Ok(Some(options))
}

/// One timed line of the table: its row and the scan that times it.
struct Job<'a> {
    row: Row,
    scan: Box<dyn FnMut() -> usize + 'a>,
    /// The time of each round.
    times: Vec<Duration>,
}

impl<'a> Job<'a> {
    fn new(row: Row, scan: impl FnMut() -> usize + 'a) -> Job<'a> {
        Job { row, scan: Box::new(scan), times: Vec::new() }
    }
}

/// Times every job once per round, `runs` rounds, and sets each row's
/// median and hit count (of the last round).
///
/// The jobs take turns within a round rather than each running all its
/// rounds in a row. A slowdown of the shared machine that lasts a few
/// seconds then hits every engine of the round alike, so the ratios of
/// a round stay comparable.
fn time_rounds(jobs: &mut [Job<'_>], runs: usize) {
    for _ in 0..runs {
        for job in jobs.iter_mut() {
            let started = Instant::now();
            job.row.hits = std::hint::black_box((job.scan)());
            job.times.push(started.elapsed());
        }
    }
    for job in jobs.iter_mut() {
        let mut sorted = job.times.clone();
        sorted.sort();
        job.row.median = sorted[sorted.len() / 2];
    }
}

/// Returns the median, lowest and highest of the per-round ratios of
/// the throughput of `job` to that of `reference`.
fn round_ratios(job: &Job<'_>, reference: &Job<'_>) -> (f64, f64, f64) {
    let speed = |job: &Job<'_>, time: &Duration| {
        job.row.bytes as f64 / time.as_secs_f64()
    };
    let mut ratios: Vec<f64> = job
        .times
        .iter()
        .zip(&reference.times)
        .map(|(time, base)| speed(job, time) / speed(reference, base))
        .collect();
    ratios.sort_by(f64::total_cmp);
    (ratios[ratios.len() / 2], ratios[0], ratios[ratios.len() - 1])
}

fn run_corpus(
    corpus: &Corpus,
    options: &Options,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    let name = corpus.kind.name();
    let bytes = &corpus.bytes[..];
    let engine = &dlp_engine(corpus.kind);
    let matches = engine.scan(bytes);
    let dlp_missing = Some(missing_planted(corpus, &matches).len());
    let row = |engine: &str, mode: &str, bytes: usize| Row {
        engine: engine.to_string(),
        mode: mode.to_string(),
        corpus: name,
        bytes,
        median: Duration::ZERO,
        state_size: None,
        hits: 0,
        missing: None,
    };
    let state_note = |fragment: usize, state: (usize, f64, usize)| {
        let (state, share, largest) = state;
        format!(
            "{name}: dlp stream-{fragment} state: {state} B at the end; \
             over {} B after {:.2}% of the calls (largest {largest} B)",
            std::mem::size_of::<dlp_core::Stream>(),
            share * 100.0,
        )
    };

    // The jobs borrow these, so they are declared first.
    let patterns = rule_patterns(engine);
    let naive = NaiveDfa::new(&patterns);
    let mut jobs = Vec::new();
    let mut block = row("dlp", "block", bytes.len());
    block.missing = dlp_missing;
    jobs.push(Job::new(block, || dlp_block_count(engine, bytes)));
    let mut stream = row("dlp", "stream-1460", bytes.len());
    stream.missing = dlp_missing;
    let state = stream_state_size(engine, bytes, 1460);
    stream.state_size = Some(state.0);
    notes.push(state_note(1460, state));
    jobs.push(Job::new(stream, || dlp_stream_count(engine, bytes, 1460)));
    for &fragment in &options.fragments {
        let mut sized = row("dlp", &format!("stream-{fragment}"), bytes.len());
        sized.missing = dlp_missing;
        jobs.push(Job::new(sized, move || {
            dlp_stream_count(engine, bytes, fragment)
        }));
    }
    if corpus.kind != CorpusKind::Custom {
        let slice = &bytes[..options.slice.min(bytes.len())];
        for fragment in [64, 1] {
            let mode =
                format!("stream-{fragment} (first {} KiB)", slice.len() >> 10);
            let mut small = row("dlp", &mode, slice.len());
            let state = stream_state_size(engine, slice, fragment);
            small.state_size = Some(state.0);
            notes.push(state_note(fragment, state));
            jobs.push(Job::new(small, move || {
                dlp_stream_count(engine, slice, fragment)
            }));
        }
    }

    match &naive {
        Ok(naive) => {
            let mut hits = Vec::new();
            naive.for_each_hit(bytes, |hit| hits.push(hit));
            let missing =
                missing_planted_ends(corpus, engine, &patterns, &hits).len();
            let label = format!("regex-automata {}", naive.label());
            let mut naive_row = row(&label, "block", bytes.len());
            naive_row.missing = Some(missing);
            jobs.push(Job::new(naive_row, || naive.count(bytes)));
            notes.push(format!(
                "{name}: regex-automata {} uses {:.1} MiB",
                naive.label(),
                naive.memory_usage() as f64 / (1u64 << 20) as f64
            ));
        }
        Err(err) => {
            notes.push(format!("{name}: regex-automata DFA not built: {err}"))
        }
    }

    jobs.push(Job::new(row("memchr", "block", bytes.len()), || {
        memchr_count(bytes)
    }));
    jobs.extend(hyperscan_jobs(corpus, engine, &matches, notes));
    time_rounds(&mut jobs, options.runs);
    round_notes(name, &jobs, notes);
    jobs.into_iter().map(|job| job.row).collect()
}

/// Notes the per-round ratios behind the headline: dlp stream-1460
/// against Hyperscan's stream mode, and small fragments against
/// stream-1460.
fn round_notes(name: &str, jobs: &[Job<'_>], notes: &mut Vec<String>) {
    let find = |engine: &str, mode: &str| {
        jobs.iter().find(|job| {
            job.row.engine.starts_with(engine)
                && job.row.mode.starts_with(mode)
        })
    };
    let Some(stream) = find("dlp", "stream-1460") else { return };
    let pairs = [
        (find("hyperscan", "stream-1460"), true),
        // The 64-byte row over the slice, not a `--fragments 64` row.
        (find("dlp", "stream-64 "), false),
    ];
    for (other, stream_first) in pairs {
        let Some(other) = other else { continue };
        let (job, reference) =
            if stream_first { (stream, other) } else { (other, stream) };
        let (median, low, high) = round_ratios(job, reference);
        notes.push(format!(
            "{name}: {} {} / {} {} per round: median {median:.2} \
             (lowest {low:.2}, highest {high:.2}, {} rounds)",
            job.row.engine,
            job.row.mode,
            reference.row.engine,
            reference.row.mode,
            job.times.len(),
        ));
    }
}

/// Returns `Stream::state_size` after streaming `bytes` in `fragment`
/// pieces, and the share of the calls after which it was larger (a
/// long value undecided at the cut spills the tail to the heap).
fn stream_state_size(
    engine: &Engine,
    bytes: &[u8],
    fragment: usize,
) -> (usize, f64, usize) {
    let mut stream = engine.stream();
    let mut calls = 0usize;
    let mut larger = 0usize;
    let mut largest = 0;
    let fixed = std::mem::size_of::<dlp_core::Stream>();
    for piece in bytes.chunks(fragment) {
        stream
            .feed(piece, |_| std::ops::ControlFlow::Continue(()))
            .expect("stream is open");
        calls += 1;
        let size = stream.state_size();
        larger += usize::from(size > fixed);
        largest = largest.max(size);
    }
    let share = larger as f64 / calls.max(1) as f64;
    (stream.state_size(), share, largest)
}

/// Returns the timed Hyperscan jobs, block and stream mode, for the
/// patterns of `engine`, and notes how many of their hits dlp rejects.
#[cfg(feature = "hyperscan")]
fn hyperscan_jobs<'a>(
    corpus: &'a Corpus,
    engine: &Engine,
    matches: &[dlp_core::Match],
    notes: &mut Vec<String>,
) -> Vec<Job<'a>> {
    use dlp_benches::engines::hits_rejected_by_dlp;
    use dlp_benches::hyperscan::{self, Database, Mode};

    let name = corpus.kind.name();
    let bytes = &corpus.bytes[..];
    let patterns = rule_patterns(engine);
    let regexes: Vec<&str> =
        patterns.iter().map(|p| p.regex.as_str()).collect();
    let engine_name = format!(
        "hyperscan {}",
        hyperscan::version().split(' ').next().unwrap_or("")
    );
    let mut jobs = Vec::new();
    for mode in [Mode::Block, Mode::Stream] {
        let db = match Database::compile(&regexes, mode) {
            Ok(db) => db,
            Err(err) => {
                notes.push(format!(
                    "{name}: hyperscan {mode:?} not compiled: {err}"
                ));
                continue;
            }
        };
        let hits = db.collect_hits(bytes);
        let missing =
            missing_planted_ends(corpus, engine, &patterns, &hits).len();
        let rejected = hits_rejected_by_dlp(&patterns, &hits, matches);
        let label = match mode {
            Mode::Block => "block",
            Mode::Stream => "stream-1460",
        };
        notes.push(format!(
            "{name}: hyperscan {label}: {} hits, {rejected} with no dlp match of the same rule ending there",
            hits.len()
        ));
        let row = Row {
            engine: engine_name.clone(),
            mode: label.to_string(),
            corpus: name,
            bytes: bytes.len(),
            median: Duration::ZERO,
            state_size: db.stream_size(),
            hits: 0,
            missing: Some(missing),
        };
        jobs.push(match mode {
            Mode::Block => Job::new(row, move || db.block_count(bytes)),
            Mode::Stream => {
                Job::new(row, move || db.stream_count(bytes, 1460))
            }
        });
    }
    // Which sensors make Hyperscan slow: each sensor's rules alone, in
    // block mode, one run each.
    if corpus.kind == CorpusKind::Http {
        let mut speeds = Vec::new();
        for (index, sensor) in engine.sensors().iter().enumerate() {
            let alone: Vec<&str> = patterns
                .iter()
                .filter(|p| p.sensor == index)
                .map(|p| p.regex.as_str())
                .collect();
            let Ok(db) = Database::compile(&alone, Mode::Block) else {
                continue;
            };
            let started = Instant::now();
            std::hint::black_box(db.block_count(bytes));
            let time = started.elapsed();
            let speed = bytes.len() as f64 / time.as_secs_f64() / 1e6;
            speeds.push(format!("{} {speed:.0} MB/s", sensor.name));
        }
        notes.push(format!(
            "{name}: hyperscan block, each sensor alone: {}",
            speeds.join(", ")
        ));
    }
    jobs
}

/// Hyperscan hook: built only with `--features hyperscan` (needs libhs,
/// Debian package libhyperscan-dev).
#[cfg(not(feature = "hyperscan"))]
fn hyperscan_jobs<'a>(
    corpus: &'a Corpus,
    _engine: &Engine,
    _matches: &[dlp_core::Match],
    notes: &mut Vec<String>,
) -> Vec<Job<'a>> {
    if corpus.kind == CorpusKind::Http {
        notes.push(
            "hyperscan: not built; rebuild with `--features hyperscan` \
             (needs libhs, Debian package libhyperscan-dev)"
                .to_string(),
        );
    }
    Vec::new()
}

fn print_table(rows: &[Row]) {
    println!("| engine | mode | corpus | MB/s | x dlp stream-1460 | state bytes | hits | planted missed |");
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let reference = rows
            .iter()
            .find(|r| {
                r.corpus == row.corpus
                    && r.engine == "dlp"
                    && r.mode == "stream-1460"
            })
            .map_or(f64::NAN, Row::mb_per_s);
        let state = row.state_size.map_or("-".to_string(), |s| s.to_string());
        let missing = row.missing.map_or("-".to_string(), |m| m.to_string());
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {} | {} | {} |",
            row.engine,
            row.mode,
            row.corpus,
            row.mb_per_s(),
            row.mb_per_s() / reference,
            state,
            row.hits,
            missing
        );
    }
}
