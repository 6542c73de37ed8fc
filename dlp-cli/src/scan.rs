//! `dlp scan`: files, directories, standard input and captures.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use dlp_core::capture::{self, CaptureEvent, FlowKey};
use dlp_core::{Engine, Stream};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{write_match, Format};
use crate::ScanArgs;

/// Bytes read from a file at a time.
const CHUNK: usize = 256 * 1024;

/// What all scanning threads share.
struct Shared {
    engine: Engine,
    format: Format,
    found: AtomicBool,
    failed: AtomicBool,
    bytes: AtomicU64,
    stdout: Mutex<io::Stdout>,
    progress: Option<ProgressBar>,
}

impl Shared {
    /// Prints a file's findings in one piece, so files scanned at the same
    /// time do not interleave their lines.
    fn print(&self, out: &[u8]) {
        if out.is_empty() {
            return;
        }
        let mut stdout = self.stdout.lock().unwrap_or_else(|e| e.into_inner());
        let written = stdout.write_all(out).and_then(|()| stdout.flush());
        if let Err(err) = written {
            if err.kind() == io::ErrorKind::BrokenPipe {
                std::process::exit(if self.found.load(Ordering::Relaxed) {
                    1
                } else {
                    0
                });
            }
            self.error(&format!("cannot write the output: {err}"));
        }
    }

    fn error(&self, message: &str) {
        self.failed.store(true, Ordering::Relaxed);
        self.warn(message);
    }

    fn warn(&self, message: &str) {
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("dlp: {message}")),
            None => eprintln!("dlp: {message}"),
        }
    }

    fn advance(&self, bytes: usize) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if let Some(bar) = &self.progress {
            bar.inc(bytes as u64);
        }
    }
}

pub(crate) fn run(args: &ScanArgs) -> Result<ExitCode, String> {
    let engine = crate::build_engine(&args.sensors)?;
    let progress = if args.no_progress || !io::stderr().is_terminal() {
        None
    } else {
        let bar = ProgressBar::new_spinner();
        let style = ProgressStyle::with_template(
            "{spinner} {bytes} scanned ({bytes_per_sec}) {msg}",
        )
        .map_err(|err| err.to_string())?;
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    };
    let shared = Shared {
        engine,
        format: Format { json: args.json, show_values: args.show_values },
        found: AtomicBool::new(false),
        failed: AtomicBool::new(false),
        bytes: AtomicU64::new(0),
        stdout: Mutex::new(io::stdout()),
        progress,
    };

    let stdin_only = args.paths.is_empty();
    let mut paths = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            scan_stdin(&shared);
        } else {
            paths.push(path.clone());
        }
    }
    if stdin_only {
        scan_stdin(&shared);
    }
    if !paths.is_empty() {
        walk(&shared, &paths, args.threads);
    }

    if let Some(bar) = &shared.progress {
        bar.finish_and_clear();
    }
    let code = if shared.failed.load(Ordering::Relaxed) {
        2
    } else if shared.found.load(Ordering::Relaxed) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Scans `paths`, descending into directories, on several threads.
fn walk(
    shared: &Shared,
    paths: &[std::path::PathBuf],
    threads: Option<usize>,
) {
    let mut builder = ignore::WalkBuilder::new(&paths[0]);
    for path in &paths[1..] {
        builder.add(path);
    }
    // A DLP scan looks at every file: no ignore files, hidden files too.
    builder.standard_filters(false).follow_links(false);
    if let Some(threads) = threads {
        builder.threads(threads);
    }
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        scan_path(shared, entry.path());
                    }
                }
                Err(err) => shared.error(&format!(
                    "{err}; check the path and its permissions"
                )),
            }
            ignore::WalkState::Continue
        })
    });
}

fn scan_stdin(shared: &Shared) {
    let stdin = io::stdin();
    let mut reader = stdin.lock();
    if let Err(err) = scan_reader(shared, "<stdin>", &mut reader) {
        shared.error(&format!("<stdin>: cannot read: {err}"));
    }
}

fn scan_path(shared: &Shared, path: &Path) {
    let name = path.display().to_string();
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) => {
            shared.error(&format!("{name}: cannot open: {err}"));
            return;
        }
    };
    if let Err(err) = scan_reader(shared, &name, &mut file) {
        shared.error(&format!("{name}: cannot read: {err}"));
    }
}

/// Scans one input: a capture if it starts with a capture magic number,
/// otherwise a plain byte stream read in chunks.
fn scan_reader(
    shared: &Shared,
    name: &str,
    reader: &mut dyn Read,
) -> io::Result<()> {
    let mut first = vec![0; CHUNK];
    let filled = read_full(reader, &mut first)?;
    first.truncate(filled);
    if capture::is_capture(&first) {
        let chained = io::Cursor::new(first).chain(reader);
        scan_capture(shared, name, chained);
        return Ok(());
    }

    let mut out = Vec::new();
    let mut stream = shared.engine.stream();
    let mut on_match = |m: &dlp_core::Match| {
        write_match(&mut out, shared.format, name, None, m);
        ControlFlow::Continue(())
    };
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            break;
        }
        let _ = stream.feed(&chunk, &mut on_match);
        shared.advance(chunk.len());
        chunk.resize(CHUNK, 0);
        let filled = read_full(reader, &mut chunk)?;
        chunk.truncate(filled);
    }
    let _ = stream.finish(&mut on_match);
    finish_input(shared, out);
    Ok(())
}

fn finish_input(shared: &Shared, out: Vec<u8>) {
    if !out.is_empty() {
        shared.found.store(true, Ordering::Relaxed);
        shared.print(&out);
    }
}

/// Fills `buf` as far as the reader allows; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Scans each TCP flow direction of a capture as one stream.
fn scan_capture(shared: &Shared, name: &str, reader: impl Read) {
    let mut streams: HashMap<FlowKey, Stream> = HashMap::new();
    let mut out = Vec::new();
    let format = shared.format;
    let result = capture::read_capture(reader, |event| match event {
        CaptureEvent::Data { flow, data, .. } => {
            let stream =
                streams.entry(flow).or_insert_with(|| shared.engine.stream());
            let label = flow.to_string();
            let _ = stream.feed(data, |m| {
                write_match(&mut out, format, name, Some(&label), m);
                ControlFlow::Continue(())
            });
            shared.advance(data.len());
        }
        CaptureEvent::End { flow } => {
            if let Some(mut stream) = streams.remove(&flow) {
                let label = flow.to_string();
                let _ = stream.finish(|m| {
                    write_match(&mut out, format, name, Some(&label), m);
                    ControlFlow::Continue(())
                });
            }
        }
    });
    let mut rest: Vec<_> = streams.into_iter().collect();
    rest.sort_by_key(|(flow, _)| *flow);
    for (flow, mut stream) in rest {
        let label = flow.to_string();
        let _ = stream.finish(|m| {
            write_match(&mut out, format, name, Some(&label), m);
            ControlFlow::Continue(())
        });
    }
    match result {
        Ok(summary) => {
            for warning in &summary.warnings {
                shared.warn(&format!(
                    "warning: {name}: packet {}: {}; the capture was \
                     scanned as far as it goes",
                    warning.packet, warning.message
                ));
            }
        }
        Err(err) => shared.error(&format!("{name}: {err}")),
    }
    finish_input(shared, out);
}
