//! Scanning of in-memory input and files, without the GIL where it pays.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::ControlFlow;
use std::path::Path;

use dlp_core::capture::{self, CaptureEvent, FlowKey};
use dlp_core::{Engine, Match as CoreMatch, Stream};
use pyo3::marker::Ungil;
use pyo3::prelude::*;

use crate::matches::PyMatch;
use crate::text::{self, TextSpan};

/// Input shorter than this many bytes is scanned with the GIL held,
/// because releasing and taking it back costs more than such a scan.
pub(crate) const GIL_RELEASE_BYTES: usize = 4096;

/// Runs `f` without the GIL when `len` bytes are worth it.
pub(crate) fn maybe_detach<T, F>(py: Python<'_>, len: usize, f: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    if len >= GIL_RELEASE_BYTES {
        py.detach(f)
    } else {
        f()
    }
}

/// Matches of one input, with their character spans for `str` input.
pub(crate) struct Located {
    pub(crate) matches: Vec<CoreMatch>,
    /// One span per match for `str` input, `None` for bytes-like input.
    pub(crate) spans: Option<Vec<TextSpan>>,
}

/// Scans `bytes`; `chars` is the length in characters of `str` input.
pub(crate) fn locate(
    engine: &Engine,
    bytes: &[u8],
    chars: Option<usize>,
) -> Located {
    let matches = engine.scan(bytes);
    let spans = match chars {
        None => None,
        // ASCII text: byte offsets are character offsets.
        Some(chars) if chars == bytes.len() => Some(
            matches
                .iter()
                .map(|m| TextSpan {
                    start: m.start(),
                    end: m.end(),
                    byte_start: m.start(),
                    byte_end: m.end(),
                })
                .collect(),
        ),
        Some(_) => Some(text::map_spans(bytes, 0, 0, &matches)),
    };
    Located { matches, spans }
}

/// Converts the matches of [`locate`] to Python-facing matches.
pub(crate) fn to_py_matches(
    engine: &Engine,
    bytes: &[u8],
    located: &Located,
) -> Vec<PyMatch> {
    match &located.spans {
        None => located
            .matches
            .iter()
            .map(|m| PyMatch::from_bytes(m, None))
            .collect(),
        Some(spans) => located
            .matches
            .iter()
            .zip(spans)
            .map(|(m, span)| PyMatch::from_text(engine, m, span, bytes, 0))
            .collect(),
    }
}

/// Scans `bytes` and converts the matches.
pub(crate) fn scan_to_py(
    engine: &Engine,
    bytes: &[u8],
    chars: Option<usize>,
) -> Vec<PyMatch> {
    let located = locate(engine, bytes, chars);
    to_py_matches(engine, bytes, &located)
}

/// The result of [`scan_path`].
pub(crate) struct FileScan {
    pub(crate) matches: Vec<PyMatch>,
    /// Capture warnings, as the `dlp` command prints them.
    pub(crate) warnings: Vec<String>,
}

/// Scans the file at `path`: a pcap or pcapng capture stream by stream,
/// anything else as one stream read `chunk_size` bytes at a time.
pub(crate) fn scan_path(
    engine: &Engine,
    path: &Path,
    chunk_size: usize,
) -> io::Result<FileScan> {
    let mut file = File::open(path)?;
    let mut prefix = [0u8; 4];
    let mut filled = 0;
    while filled < prefix.len() {
        let read = file.read(&mut prefix[filled..])?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    let reader = Cursor::new(prefix[..filled].to_vec()).chain(file);
    if filled == prefix.len() && capture::is_capture(&prefix) {
        scan_capture(engine, BufReader::with_capacity(1 << 16, reader))
    } else {
        scan_plain(engine, reader, chunk_size)
    }
}

fn collect_into<'a>(
    out: &'a mut Vec<PyMatch>,
    flow: Option<&str>,
) -> impl FnMut(&CoreMatch) -> ControlFlow<()> + 'a {
    let flow = flow.map(str::to_string);
    move |m| {
        out.push(PyMatch::from_bytes(m, flow.as_deref()));
        ControlFlow::Continue(())
    }
}

fn scan_plain(
    engine: &Engine,
    mut reader: impl Read,
    chunk_size: usize,
) -> io::Result<FileScan> {
    let mut stream = engine.stream();
    let mut buffer = vec![0u8; chunk_size.max(1)];
    let mut matches = Vec::new();
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        let _ = stream.feed(&buffer[..read], collect_into(&mut matches, None));
    }
    let _ = stream.finish(collect_into(&mut matches, None));
    Ok(FileScan { matches, warnings: Vec::new() })
}

/// Scans each TCP flow direction of a capture as one stream, as
/// `dlp scan` does: payload bytes are fed in stream order, and bytes
/// that the capture misses are skipped, so offsets after a gap count only
/// the bytes seen.
fn scan_capture(engine: &Engine, reader: impl Read) -> io::Result<FileScan> {
    let mut streams: HashMap<FlowKey, Stream> = HashMap::new();
    let mut matches = Vec::new();
    let result = capture::read_capture(reader, |event| match event {
        CaptureEvent::Data { flow, data, .. } => {
            let stream =
                streams.entry(flow).or_insert_with(|| engine.stream());
            let label = flow.to_string();
            let _ =
                stream.feed(data, collect_into(&mut matches, Some(&label)));
        }
        CaptureEvent::End { flow } => {
            if let Some(mut stream) = streams.remove(&flow) {
                let label = flow.to_string();
                let _ =
                    stream.finish(collect_into(&mut matches, Some(&label)));
            }
        }
    });
    let mut rest: Vec<_> = streams.into_iter().collect();
    rest.sort_by_key(|(flow, _)| *flow);
    for (flow, mut stream) in rest {
        let label = flow.to_string();
        let _ = stream.finish(collect_into(&mut matches, Some(&label)));
    }
    let summary = result.map_err(|err| {
        io::Error::new(io::ErrorKind::InvalidData, err.to_string())
    })?;
    let warnings = summary.warnings.iter().map(|w| w.to_string()).collect();
    Ok(FileScan { matches, warnings })
}
