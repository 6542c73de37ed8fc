//! `dlp.Engine`: compiled sensors, shared by any number of threads.

use std::path::PathBuf;

use dlp_core::{Engine, EngineBuilder};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyList, PyString, PyTuple, PyType};

use crate::errors::{self, make_sensor_error, sensor_error};
use crate::input::{type_error, Data};
use crate::matches::{quote, to_matches, PyMatch};
use crate::scan::{self, maybe_detach};
use crate::sensors::PySensor;
use crate::stream::PyStream;
use crate::text;

/// Records of `scan_batch` are scanned in groups of about this many bytes,
/// so a group's input is held in memory at once.
const BATCH_BYTES: usize = 1 << 20;

/// The largest number of records in one group of `scan_batch`.
const BATCH_RECORDS: usize = 4096;

#[pyclass(frozen, module = "dlp", name = "Engine")]
pub(crate) struct PyEngine {
    pub(crate) engine: Engine,
}

/// Builds an engine from definition texts, the built-in sensors first when
/// `builtin` is set.
fn build(
    py: Python<'_>,
    builtin: bool,
    sources: &[(String, String)],
) -> PyResult<PyEngine> {
    let mut builder = EngineBuilder::new();
    if builtin {
        builder.add_builtin().map_err(|err| sensor_error(py, &err))?;
    }
    for (origin, text) in sources {
        builder
            .add_toml(text, origin)
            .map_err(|err| sensor_error(py, &err))?;
    }
    let engine = builder.build().map_err(|err| sensor_error(py, &err))?;
    Ok(PyEngine { engine })
}

/// Returns whether `obj` is a missing value of a dataframe column: `None`,
/// a float NaN or pandas' `NA`.
fn is_missing(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    if obj.is_none() {
        return Ok(true);
    }
    if let Ok(float) = obj.cast::<PyFloat>() {
        return Ok(float.value().is_nan());
    }
    let class = obj.get_type();
    Ok(class.name()?.to_cow()? == "NAType"
        && class.module()?.to_cow()?.starts_with("pandas"))
}

/// Replaces each match of `located` in `bytes` with `replace(index)`, or
/// with its masked form when `replace` returns `None`.
fn splice(
    engine: &Engine,
    bytes: &[u8],
    located: &scan::Located,
    mut replace: impl FnMut(usize) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut done = 0usize;
    for (i, m) in located.matches.iter().enumerate() {
        let (from, to) = match &located.spans {
            Some(spans) => (spans[i].byte_start, spans[i].byte_end),
            None => (m.start(), m.end()),
        };
        let (from, to) = (from as usize, to as usize);
        out.extend_from_slice(&bytes[done..from]);
        match replace(i) {
            Some(replacement) => out.extend_from_slice(&replacement),
            None if located.spans.is_some() => {
                let value = String::from_utf8_lossy(&bytes[from..to]);
                out.extend_from_slice(
                    text::mask_text(engine, m, &value).as_bytes(),
                );
            }
            None => out.extend_from_slice(m.masked().as_bytes()),
        }
        done = to;
    }
    out.extend_from_slice(&bytes[done..]);
    out
}

/// The replacement rule of one `redact` call.
enum Replacement<'py> {
    Mask,
    Fixed(Vec<u8>),
    Call(Bound<'py, PyAny>),
}

impl<'py> Replacement<'py> {
    fn extract(
        replacement: Option<&Bound<'py, PyAny>>,
        text: bool,
    ) -> PyResult<Replacement<'py>> {
        let Some(replacement) = replacement else {
            return Ok(Replacement::Mask);
        };
        if let Ok(fixed) = replacement.cast::<PyString>() {
            return Ok(Replacement::Fixed(
                fixed.to_cow()?.as_bytes().to_vec(),
            ));
        }
        if let Ok(fixed) = replacement.cast::<PyBytes>() {
            if text {
                return Err(PyTypeError::new_err(
                    "replacement must be str when data is str, not bytes",
                ));
            }
            return Ok(Replacement::Fixed(fixed.as_bytes().to_vec()));
        }
        if replacement.is_callable() {
            return Ok(Replacement::Call(replacement.clone()));
        }
        Err(PyTypeError::new_err(format!(
            "replacement must be None, str, bytes or a callable that takes \
             a Match, not {}",
            replacement.get_type().name()?
        )))
    }
}

/// Converts what a `replacement` callable returned to bytes.
fn returned_bytes(result: &Bound<'_, PyAny>, text: bool) -> PyResult<Vec<u8>> {
    if let Ok(fixed) = result.cast::<PyString>() {
        return Ok(fixed.to_cow()?.as_bytes().to_vec());
    }
    if !text {
        if let Ok(fixed) = result.cast::<PyBytes>() {
            return Ok(fixed.as_bytes().to_vec());
        }
    }
    let expected = if text { "str" } else { "str or bytes" };
    Err(PyTypeError::new_err(format!(
        "the replacement callable must return {expected}, not {}",
        result.get_type().name()?
    )))
}

#[pymethods]
impl PyEngine {
    #[new]
    fn py_new() -> PyEngine {
        PyEngine { engine: Engine::builtin() }
    }

    #[classmethod]
    #[pyo3(signature = (path, *, builtin=false))]
    fn from_file(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        path: PathBuf,
        builtin: bool,
    ) -> PyResult<PyEngine> {
        let bytes = std::fs::read(&path)
            .map_err(|err| errors::os_error(&err, &path))?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|err| {
            let message = format!(
                "{origin}: the definition is not valid UTF-8 (invalid byte \
                 at offset {}); save the file as UTF-8",
                err.utf8_error().valid_up_to()
            );
            make_sensor_error(py, &message, &origin, None, None)
        })?;
        build(py, builtin, &[(origin, text)])
    }

    #[classmethod]
    #[pyo3(signature = (text, *, origin="<string>", builtin=false))]
    fn from_str(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        text: String,
        origin: &str,
        builtin: bool,
    ) -> PyResult<PyEngine> {
        build(py, builtin, &[(origin.to_string(), text)])
    }

    #[classmethod]
    fn from_sources(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        sources: Vec<(String, String)>,
    ) -> PyResult<PyEngine> {
        // The built-in engine is compiled once per process; reuse it.
        let builtin = Engine::builtin();
        let same = builtin.sources().len() == sources.len()
            && builtin.sources().iter().zip(&sources).all(
                |(s, (origin, text))| s.origin == *origin && s.text == *text,
            );
        if same {
            return Ok(PyEngine { engine: builtin });
        }
        build(py, false, &sources)
    }

    fn sources(&self) -> Vec<(String, String)> {
        self.engine
            .sources()
            .iter()
            .map(|s| (s.origin.clone(), s.text.clone()))
            .collect()
    }

    #[getter]
    fn sensors(&self) -> Vec<PySensor> {
        self.engine.sensors().iter().map(PySensor::new).collect()
    }

    #[getter]
    fn max_match_len(&self) -> usize {
        self.engine.max_match_len()
    }

    fn scan<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = Data::extract(data)?;
        let bytes = input.bytes();
        let chars = input.chars();
        let engine = &self.engine;
        let found = maybe_detach(py, bytes.len(), || {
            scan::scan_to_py(engine, bytes, chars)
        });
        to_matches(py, found)
    }

    fn scan_batch<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let results = PyList::empty(py);
        let mut group: Vec<Option<Data<'py>>> = Vec::new();
        let mut group_bytes = 0usize;
        let iter = records.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "records must be an iterable of str or bytes-like objects, \
                 not {}",
                records
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        for (index, record) in iter.enumerate() {
            let record = record?;
            let data = if is_missing(&record)? {
                None
            } else {
                let data = Data::extract(&record).map_err(|_| {
                    type_error(&record, &format!("record {index}"))
                })?;
                group_bytes += data.bytes().len();
                Some(data)
            };
            group.push(data);
            if group_bytes >= BATCH_BYTES || group.len() >= BATCH_RECORDS {
                self.scan_group(py, &group, group_bytes, &results)?;
                group.clear();
                group_bytes = 0;
            }
        }
        self.scan_group(py, &group, group_bytes, &results)?;
        Ok(results)
    }

    fn stream(&self) -> PyStream {
        PyStream::new(self.engine.clone())
    }

    #[pyo3(signature = (path, *, chunk_size=1048576))]
    fn scan_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        chunk_size: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if chunk_size == 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "chunk_size must be at least 1 byte",
            ));
        }
        let engine = &self.engine;
        let scanned = py
            .detach(|| scan::scan_path(engine, &path, chunk_size))
            .map_err(|err| errors::os_error(&err, &path))?;
        errors::warn_capture(py, &path, &scanned.warnings)?;
        to_matches(py, scanned.matches)
    }

    #[pyo3(signature = (data, *, replacement=None))]
    fn redact<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        replacement: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = Data::extract(data)?;
        let bytes = input.bytes();
        let chars = input.chars();
        let text = chars.is_some();
        let replacement = Replacement::extract(replacement, text)?;
        let engine = &self.engine;
        let out = match replacement {
            Replacement::Mask => maybe_detach(py, bytes.len(), || {
                let located = scan::locate(engine, bytes, chars);
                splice(engine, bytes, &located, |_| None)
            }),
            Replacement::Fixed(fixed) => maybe_detach(py, bytes.len(), || {
                let located = scan::locate(engine, bytes, chars);
                splice(engine, bytes, &located, |_| Some(fixed.clone()))
            }),
            Replacement::Call(callable) => {
                let located = maybe_detach(py, bytes.len(), || {
                    scan::locate(engine, bytes, chars)
                });
                let found = scan::to_py_matches(engine, bytes, &located);
                let mut replacements = Vec::with_capacity(found.len());
                for m in found {
                    let result = callable.call1((Bound::new(py, m)?,))?;
                    replacements.push(returned_bytes(&result, text)?);
                }
                let mut replacements = replacements.into_iter();
                splice(engine, bytes, &located, |_| replacements.next())
            }
        };
        if text {
            let out = String::from_utf8(out).map_err(|_| {
                pyo3::exceptions::PyRuntimeError::new_err(
                    "redaction produced invalid UTF-8; please report this",
                )
            })?;
            Ok(PyString::new(py, &out).into_any())
        } else {
            Ok(PyBytes::new(py, &out).into_any())
        }
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let rebuild = slf.get_type().getattr("from_sources")?;
        let args = (slf.get().sources(),).into_pyobject(py)?;
        Ok((rebuild, args))
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> =
            self.engine.sensors().iter().map(|s| quote(&s.name)).collect();
        format!("Engine(sensors=[{}])", names.join(", "))
    }
}

impl PyEngine {
    /// Scans one group of `scan_batch` records and appends a `Matches`
    /// list per record to `results`.
    fn scan_group<'py>(
        &self,
        py: Python<'py>,
        group: &[Option<Data<'py>>],
        group_bytes: usize,
        results: &Bound<'py, PyList>,
    ) -> PyResult<()> {
        let inputs: Vec<Option<(&[u8], Option<usize>)>> = group
            .iter()
            .map(|data| data.as_ref().map(|d| (d.bytes(), d.chars())))
            .collect();
        let engine = &self.engine;
        let found: Vec<Vec<PyMatch>> = maybe_detach(py, group_bytes, || {
            inputs
                .iter()
                .map(|input| match input {
                    Some((bytes, chars)) => {
                        scan::scan_to_py(engine, bytes, *chars)
                    }
                    None => Vec::new(),
                })
                .collect()
        });
        for matches in found {
            results.append(to_matches(py, matches)?)?;
        }
        Ok(())
    }
}
