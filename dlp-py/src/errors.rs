//! Python exceptions raised by the bindings.
//!
//! `SensorError` and `CaptureWarning` are defined in `dlp/_errors.py` so
//! that they carry typed attributes; this module raises them.

use std::io;
use std::path::Path;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static SENSOR_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CAPTURE_WARNING: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Returns a `dlp.SensorError` for an invalid definition.
pub(crate) fn sensor_error(py: Python<'_>, err: &dlp_core::Error) -> PyErr {
    make_sensor_error(
        py,
        &err.to_string(),
        err.origin(),
        err.sensor(),
        err.rule(),
    )
}

/// Returns a `dlp.SensorError` with the given message and location.
pub(crate) fn make_sensor_error(
    py: Python<'_>,
    message: &str,
    origin: &str,
    sensor: Option<&str>,
    rule: Option<&str>,
) -> PyErr {
    let class = match SENSOR_ERROR.import(py, "dlp._errors", "SensorError") {
        Ok(class) => class,
        Err(err) => return err,
    };
    match class.call1((message, origin, sensor, rule)) {
        Ok(instance) => PyErr::from_value(instance),
        Err(err) => err,
    }
}

/// Returns the `OSError` subclass for `err` on `path`, as `open()` would
/// raise it (for example `FileNotFoundError`).
pub(crate) fn os_error(err: &io::Error, path: &Path) -> PyErr {
    let path = path.display().to_string();
    match err.raw_os_error() {
        Some(errno) => {
            let message = io::Error::from_raw_os_error(errno).to_string();
            PyOSError::new_err((errno, message, path))
        }
        None => PyOSError::new_err(format!("{path}: {err}")),
    }
}

/// Emits one `dlp.CaptureWarning` that lists the capture's warnings.
pub(crate) fn warn_capture(
    py: Python<'_>,
    path: &Path,
    warnings: &[String],
) -> PyResult<()> {
    const SHOWN: usize = 5;
    if warnings.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{}: {} capture warning(s); the capture was scanned as far as it \
         goes: {}",
        path.display(),
        warnings.len(),
        warnings[..warnings.len().min(SHOWN)].join("; ")
    );
    if warnings.len() > SHOWN {
        message.push_str(&format!("; and {} more", warnings.len() - SHOWN));
    }
    let class = CAPTURE_WARNING.import(py, "dlp._errors", "CaptureWarning")?;
    let message = std::ffi::CString::new(message.replace('\0', " "))
        .expect("NUL bytes were replaced");
    // Stack level 1 is the Python line that called the scan.
    PyErr::warn(py, class.as_any(), &message, 1)
}
