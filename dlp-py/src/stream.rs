//! `dlp.Stream`: one stream scanned fragment by fragment.

use std::ops::ControlFlow;

use dlp_core::{Engine, Match as CoreMatch, Stream, MAX_HOTWORD_WINDOW};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::input::Data;
use crate::matches::{to_matches, PyMatch};
use crate::scan::maybe_detach;
use crate::text::{self, TextWindow};

/// Extra bytes a text stream keeps beyond the longest match and hotword
/// window, to cover the bytes dlp-core holds back while it decides whether
/// an HTTP message starts (8 bytes in dlp-core 0.1).
const TEXT_WINDOW_MARGIN: usize = 4096;

/// The kind of input a stream takes, fixed by its first `feed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Bytes,
    Text,
}

#[pyclass(module = "dlp", name = "Stream")]
pub(crate) struct PyStream {
    engine: Engine,
    stream: Stream,
    mode: Option<Mode>,
    /// The last bytes of a text stream, to map byte offsets to characters.
    window: TextWindow,
    /// Characters fed to a text stream.
    chars: u64,
}

impl PyStream {
    pub(crate) fn new(engine: Engine) -> PyStream {
        let stream = engine.stream();
        PyStream {
            engine,
            stream,
            mode: None,
            window: TextWindow::default(),
            chars: 0,
        }
    }

    fn check_open(&self) -> PyResult<()> {
        if self.stream.is_finished() {
            return Err(PyValueError::new_err(
                "the stream is finished; call reset() to reuse it or open a \
                 new one with engine.stream()",
            ));
        }
        Ok(())
    }

    /// Scans `fragment` (or ends the stream when it is `None`) and
    /// converts the matches of that call.
    fn advance(
        &mut self,
        py: Python<'_>,
        fragment: Option<&[u8]>,
    ) -> PyResult<Vec<PyMatch>> {
        let engine = &self.engine;
        let stream = &mut self.stream;
        let window = &mut self.window;
        let text = self.mode == Some(Mode::Text);
        let len = fragment.map_or(0, <[u8]>::len);
        let keep = engine.max_match_len()
            + 1
            + MAX_HOTWORD_WINDOW
            + TEXT_WINDOW_MARGIN;
        maybe_detach(py, len, move || {
            let mut found: Vec<CoreMatch> = Vec::new();
            let collect = |m: &CoreMatch| {
                found.push(m.clone());
                ControlFlow::Continue(())
            };
            let result = match fragment {
                Some(fragment) => stream.feed(fragment, collect),
                None => stream.finish(collect),
            };
            result.map_err(|err| PyValueError::new_err(err.to_string()))?;
            if !text {
                return Ok(found
                    .iter()
                    .map(|m| PyMatch::from_bytes(m, None))
                    .collect());
            }
            let (bytes, base_byte, base_char) =
                window.push(fragment.unwrap_or_default());
            if found.iter().any(|m| m.start() < base_byte) {
                return Err(PyRuntimeError::new_err(
                    "a match starts before the text kept by the stream; \
                     please report this",
                ));
            }
            let spans = text::map_spans(bytes, base_byte, base_char, &found);
            let matches = found
                .iter()
                .zip(&spans)
                .map(|(m, span)| {
                    PyMatch::from_text(engine, m, span, bytes, base_byte)
                })
                .collect();
            window.trim(keep);
            Ok(matches)
        })
    }
}

#[pymethods]
impl PyStream {
    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = Data::extract(data)?;
        self.check_open()?;
        let mode =
            if input.chars().is_some() { Mode::Text } else { Mode::Bytes };
        match self.mode {
            Some(current) if current != mode => {
                let (was, now) = match current {
                    Mode::Text => ("str", "a bytes-like object"),
                    Mode::Bytes => ("bytes-like objects", "str"),
                };
                return Err(PyTypeError::new_err(format!(
                    "this stream was fed {was} and cannot take {now}; \
                     open a new stream for the other kind of data"
                )));
            }
            _ => self.mode = Some(mode),
        }
        let found = self.advance(py, Some(input.bytes()))?;
        self.chars += input.chars().unwrap_or(0) as u64;
        to_matches(py, found)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_open()?;
        let found = self.advance(py, None)?;
        to_matches(py, found)
    }

    fn reset(&mut self) {
        self.stream.reset();
        self.window.clear();
        self.mode = None;
        self.chars = 0;
    }

    #[getter]
    fn offset(&self) -> u64 {
        match self.mode {
            Some(Mode::Text) => self.chars,
            _ => self.stream.offset(),
        }
    }

    #[getter]
    fn finished(&self) -> bool {
        self.stream.is_finished()
    }

    fn __repr__(&self) -> String {
        format!(
            "Stream(offset={}, finished={})",
            self.offset(),
            if self.finished() { "True" } else { "False" }
        )
    }
}
