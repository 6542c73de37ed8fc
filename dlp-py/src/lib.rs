//! Python bindings for dlp: the native module `dlp._dlp`.
//!
//! The Python package `dlp` (in `python/dlp`) re-exports these classes and
//! adds `Matches`, `SensorError` and `CaptureWarning`. The type stub
//! `python/dlp/_dlp.pyi` documents the API for Python users.

mod engine;
mod errors;
mod input;
mod matches;
mod scan;
mod sensors;
mod stream;
mod text;

use pyo3::prelude::*;

#[pymodule]
fn _dlp(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<engine::PyEngine>()?;
    module.add_class::<stream::PyStream>()?;
    module.add_class::<matches::PyMatch>()?;
    module.add_class::<sensors::PySensor>()?;
    module.add_class::<sensors::PyRule>()?;
    module.add("GIL_RELEASE_BYTES", scan::GIL_RELEASE_BYTES)?;
    module.add("MAX_MATCH_LEN", dlp_core::MAX_MATCH_LEN)?;
    Ok(())
}
