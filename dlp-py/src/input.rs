//! Conversion of Python arguments (str and bytes-like objects) to bytes.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// Scan input borrowed from a Python object.
///
/// `bytes` and, in a build without the `abi3-py39` feature, any
/// C-contiguous buffer are read in place. A `str` is encoded to UTF-8 once, because the matcher works
/// on bytes.
pub(crate) enum Data<'py> {
    /// A `bytes` object, or a copy of a buffer that cannot be read in
    /// place.
    Bytes(Bound<'py, PyBytes>),
    /// A buffer exported by its owner, which cannot resize it while the
    /// export is held.
    #[cfg(not(feature = "abi3-py39"))]
    Buffer(pyo3::buffer::PyBuffer<u8>),
    /// A `str`, as UTF-8, with its length in characters.
    Text { utf8: Bound<'py, PyBytes>, chars: usize },
}

impl<'py> Data<'py> {
    /// Extracts scan input from `obj`, or raises `TypeError` for anything
    /// that is neither a `str` nor a bytes-like object.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Data<'py>> {
        if let Ok(text) = obj.cast::<PyString>() {
            let utf8 = text.encode_utf8()?;
            let chars = text.len()?;
            return Ok(Data::Text { utf8, chars });
        }
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Data::Bytes(bytes.clone()));
        }
        extract_buffer(obj)
    }

    /// Returns the bytes to scan.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Data::Bytes(bytes) => bytes.as_bytes(),
            #[cfg(not(feature = "abi3-py39"))]
            Data::Buffer(buffer) => buffer_bytes(buffer),
            Data::Text { utf8, .. } => utf8.as_bytes(),
        }
    }

    /// Returns the length in characters for `str` input, `None` for
    /// bytes-like input.
    pub(crate) fn chars(&self) -> Option<usize> {
        match self {
            Data::Text { chars, .. } => Some(*chars),
            _ => None,
        }
    }
}

/// Returns the `TypeError` for an argument that is not scan input.
pub(crate) fn type_error(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    let name = obj
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".to_string());
    PyTypeError::new_err(format!(
        "{what} must be str or a bytes-like object (bytes, bytearray, \
         memoryview), not {name}"
    ))
}

/// Returns a `memoryview` of `obj`, or the `TypeError` for `data`.
fn memoryview<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let memoryview = py.import("builtins")?.getattr("memoryview")?;
    memoryview.call1((obj,)).map_err(|_| type_error(obj, "data"))
}

#[cfg(not(feature = "abi3-py39"))]
fn extract_buffer<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Data<'py>> {
    use pyo3::buffer::PyBuffer;

    if let Ok(buffer) = PyBuffer::<u8>::get(obj) {
        if buffer.is_c_contiguous() {
            return Ok(Data::Buffer(buffer));
        }
    }
    // Buffers of other item formats (for example array('i')) are read as
    // their raw bytes; a non-contiguous buffer is copied.
    let view = memoryview(obj)?;
    if view.getattr("c_contiguous")?.is_truthy()? {
        let raw = view.call_method1("cast", ("B",))?;
        return Ok(Data::Buffer(PyBuffer::<u8>::get(&raw)?));
    }
    let copy = view.call_method0("tobytes")?;
    Ok(Data::Bytes(copy.cast_into::<PyBytes>()?))
}

// NOTE: the stable ABI of CPython 3.9 and 3.10 has no buffer protocol, so
// this build copies bytearray and memoryview input once. `bytes` and `str`
// are not affected.
#[cfg(feature = "abi3-py39")]
fn extract_buffer<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Data<'py>> {
    let view = memoryview(obj)?;
    let copy = view.call_method0("tobytes")?;
    Ok(Data::Bytes(copy.cast_into::<PyBytes>()?))
}

#[cfg(not(feature = "abi3-py39"))]
fn buffer_bytes(buffer: &pyo3::buffer::PyBuffer<u8>) -> &[u8] {
    let len = buffer.len_bytes();
    if len == 0 {
        return &[];
    }
    // SAFETY: the buffer is C-contiguous (checked in `extract_buffer`) and
    // stays exported, so its memory stays allocated, for as long as the
    // `PyBuffer` lives.
    // NOTE: a thread that writes to a mutable buffer while a scan runs
    // without the GIL races with the scan; the stub tells callers not to.
    unsafe { std::slice::from_raw_parts(buffer.buf_ptr() as *const u8, len) }
}
