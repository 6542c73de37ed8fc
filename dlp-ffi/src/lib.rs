//! C ABI for the dlp matcher: engines, streams and matches behind opaque
//! handles, for firewalls, proxies and IDS engines written in C.
//!
//! The generated header `include/dlp.h` and `dlp-ffi/README.md` state the
//! contract that every exported function keeps:
//!
//! - Handles are opaque, and each `_free` function accepts NULL.
//! - Every pointer argument is checked. A NULL pointer returns
//!   `DLP_ERROR_NULL_ARGUMENT`, except a NULL buffer whose length is 0,
//!   which is read as an empty buffer.
//! - Status codes are fixed numbers that are never reused. A failing call
//!   stores a detailed message for its thread, read with
//!   `dlp_last_error_message`.
//! - No panic crosses the boundary: each export catches it and returns
//!   `DLP_ERROR_PANIC`.
//! - An engine may be shared by any number of threads, and a stream is
//!   used by one thread at a time.
//! - A fragment is read in place and not retained after the call returns.

#![allow(non_camel_case_types)]

mod engine;
mod error;
mod matches;
mod stream;

pub use crate::engine::{
    dlp_engine, dlp_engine_free, dlp_engine_new_builtin, dlp_engine_new_file,
    dlp_engine_new_text, dlp_engine_rule_get, dlp_engine_scan,
    dlp_engine_sensor_count, dlp_engine_sensor_get, dlp_rule_info,
    dlp_sensor_info,
};
pub use crate::error::{
    dlp_error_message, dlp_last_error_message, dlp_last_error_origin,
    dlp_last_error_rule, dlp_last_error_sensor, dlp_status,
};
pub use crate::matches::{
    dlp_match, dlp_match_fn, DLP_CONTINUE, DLP_FLAG_RAW_VALUE, DLP_STOP,
};
pub use crate::stream::{
    dlp_stream, dlp_stream_feed, dlp_stream_finish, dlp_stream_free,
    dlp_stream_new, dlp_stream_offset, dlp_stream_reset,
};

use std::ffi::c_char;

/// The library version, `MAJOR.MINOR.PATCH`, NUL-terminated.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the library version as a NUL-terminated string such as
/// `"0.1.0"`. The string is static: do not free it.
#[no_mangle]
pub extern "C" fn dlp_version_get() -> *const c_char {
    VERSION.as_ptr().cast()
}
