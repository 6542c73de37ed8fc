//! `dlp.Match`, and the conversion of engine matches to it.

use dlp_core::{Engine, Match as CoreMatch};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};

use crate::text::{self, TextSpan};

/// The matched value: `str` for `str` input, `bytes` otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Value {
    Text(String),
    Bytes(Vec<u8>),
}

const CONTEXTS: [&str; 4] = ["packet", "url", "header", "body"];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const CONFIDENCES: [&str; 3] = ["low", "medium", "high"];

/// A value found by a sensor's rule.
#[pyclass(frozen, eq, hash, module = "dlp", name = "Match")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PyMatch {
    sensor: String,
    rule: String,
    start: u64,
    end: u64,
    context: &'static str,
    severity: &'static str,
    confidence: &'static str,
    masked: String,
    value: Value,
    flow: Option<String>,
}

impl PyMatch {
    /// Converts a match in bytes-like input; offsets stay byte offsets.
    pub(crate) fn from_bytes(m: &CoreMatch, flow: Option<&str>) -> PyMatch {
        PyMatch {
            sensor: m.sensor().to_string(),
            rule: m.rule().to_string(),
            start: m.start(),
            end: m.end(),
            context: m.context().as_str(),
            severity: m.severity().as_str(),
            confidence: m.confidence().as_str(),
            masked: m.masked().to_string(),
            value: Value::Bytes(m.value().to_vec()),
            flow: flow.map(str::to_string),
        }
    }

    /// Converts a match in `str` input. `text` contains the UTF-8 bytes from
    /// stream byte offset `base_byte` on.
    pub(crate) fn from_text(
        engine: &Engine,
        m: &CoreMatch,
        span: &TextSpan,
        text: &[u8],
        base_byte: u64,
    ) -> PyMatch {
        let from = (span.byte_start - base_byte) as usize;
        let to = (span.byte_end - base_byte) as usize;
        let value = String::from_utf8_lossy(&text[from..to]).into_owned();
        PyMatch {
            sensor: m.sensor().to_string(),
            rule: m.rule().to_string(),
            start: span.start,
            end: span.end,
            context: m.context().as_str(),
            severity: m.severity().as_str(),
            confidence: m.confidence().as_str(),
            masked: text::mask_text(engine, m, &value),
            value: Value::Text(value),
            flow: None,
        }
    }
}

/// Returns the entry of `names` equal to `name`, or a `ValueError`.
fn lookup(
    names: &[&'static str],
    what: &str,
    name: &str,
) -> PyResult<&'static str> {
    names.iter().copied().find(|n| *n == name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "invalid {what} {name:?}; use one of {}",
            names.join(", ")
        ))
    })
}

#[pymethods]
impl PyMatch {
    #[new]
    #[pyo3(signature = (
        sensor, rule, start, end, context, severity, confidence, masked,
        value, flow=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        sensor: String,
        rule: String,
        start: u64,
        end: u64,
        context: &str,
        severity: &str,
        confidence: &str,
        masked: String,
        value: &Bound<'_, PyAny>,
        flow: Option<String>,
    ) -> PyResult<PyMatch> {
        let value = if let Ok(text) = value.cast::<PyString>() {
            Value::Text(text.to_cow()?.into_owned())
        } else if let Ok(bytes) = value.cast::<PyBytes>() {
            Value::Bytes(bytes.as_bytes().to_vec())
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "value must be str or bytes",
            ));
        };
        if end < start {
            return Err(PyValueError::new_err(format!(
                "end ({end}) is before start ({start})"
            )));
        }
        Ok(PyMatch {
            sensor,
            rule,
            start,
            end,
            context: lookup(&CONTEXTS, "context", context)?,
            severity: lookup(&SEVERITIES, "severity", severity)?,
            confidence: lookup(&CONFIDENCES, "confidence", confidence)?,
            masked,
            value,
            flow,
        })
    }

    #[getter]
    fn sensor(&self) -> &str {
        &self.sensor
    }

    #[getter]
    fn rule(&self) -> &str {
        &self.rule
    }

    #[getter]
    fn start(&self) -> u64 {
        self.start
    }

    #[getter]
    fn end(&self) -> u64 {
        self.end
    }

    #[getter]
    fn context(&self) -> &str {
        self.context
    }

    #[getter]
    fn severity(&self) -> &str {
        self.severity
    }

    #[getter]
    fn confidence(&self) -> &str {
        self.confidence
    }

    #[getter]
    fn masked(&self) -> &str {
        &self.masked
    }

    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.value {
            Value::Text(text) => PyString::new(py, text).into_any(),
            Value::Bytes(bytes) => PyBytes::new(py, bytes).into_any(),
        }
    }

    #[getter]
    fn flow(&self) -> Option<&str> {
        self.flow.as_deref()
    }

    #[pyo3(signature = (*, value=false))]
    fn as_dict<'py>(
        &self,
        py: Python<'py>,
        value: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("sensor", &self.sensor)?;
        dict.set_item("rule", &self.rule)?;
        dict.set_item("start", self.start)?;
        dict.set_item("end", self.end)?;
        dict.set_item("context", self.context)?;
        dict.set_item("severity", self.severity)?;
        dict.set_item("confidence", self.confidence)?;
        dict.set_item("masked", &self.masked)?;
        dict.set_item("flow", &self.flow)?;
        if value {
            dict.set_item("value", self.value(py))?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let mut repr = format!(
            "Match(sensor={}, rule={}, start={}, end={}, context={}, \
             masked={}",
            quote(&self.sensor),
            quote(&self.rule),
            self.start,
            self.end,
            quote(self.context),
            quote(&self.masked)
        );
        if let Some(flow) = &self.flow {
            repr.push_str(&format!(", flow={}", quote(flow)));
        }
        repr.push(')');
        repr
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (
            &this.sensor,
            &this.rule,
            this.start,
            this.end,
            this.context,
            this.severity,
            this.confidence,
            &this.masked,
            this.value(py),
            &this.flow,
        )
            .into_pyobject(py)?;
        Ok((slf.get_type(), args))
    }
}

/// Returns `text` quoted as Python's `repr` quotes a str, for the ASCII
/// text of names, masks and flows.
pub(crate) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            c if c.is_ascii_graphic() || c == ' ' => quoted.push(c),
            c => quoted.push_str(&c.escape_default().to_string()),
        }
    }
    quoted.push('\'');
    quoted
}

static MATCHES_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Wraps matches in a `dlp.Matches` list.
pub(crate) fn to_matches<'py>(
    py: Python<'py>,
    matches: Vec<PyMatch>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for m in matches {
        list.append(Bound::new(py, m)?)?;
    }
    let matches_type = MATCHES_TYPE.import(py, "dlp._matches", "Matches")?;
    matches_type.call1((list,))
}
