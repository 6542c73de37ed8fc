//! Stream handles: one direction of a flow, scanned fragment by fragment.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dlp_core::{Stream, StreamError};

use crate::engine::{dlp_engine, engine_ref, EngineData};
use crate::error::{byte_slice, guard, non_null, Failure};
use crate::matches::{check_callback, check_flags, dlp_match_fn, Delivery};
use crate::{dlp_status, DLP_FLAG_RAW_VALUE};

/// A stream: one direction of a flow, fed in order. Opaque; create it
/// with `dlp_stream_new` and release it with `dlp_stream_free`.
///
/// A stream is used by one thread at a time. It may move between threads
/// between calls.
pub struct dlp_stream {
    /// Set while a call is using `state`. It turns overlapping calls
    /// (another thread, or the stream's own callback) into
    /// `DLP_ERROR_STREAM_BUSY` instead of two mutable borrows.
    busy: AtomicBool,
    state: UnsafeCell<StreamState>,
}

struct StreamState {
    /// Keeps the engine's names alive after `dlp_engine_free`.
    engine: Arc<EngineData>,
    stream: Stream,
    raw_value: bool,
    /// Set when a call panicked and left the stream in an unknown state.
    poisoned: bool,
    /// The masked value with a terminating NUL, reused across matches.
    masked: Vec<u8>,
}

/// Clears the busy flag when a call on the stream ends, even by a panic.
struct BusyGuard<'a>(&'a AtomicBool);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The kind of access a call makes to a stream's state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Feeding or finishing, which a poisoned stream rejects.
    Scan,
    /// Reading the offset or resetting, which a poisoned stream allows.
    Other,
}

/// Runs `body` with exclusive access to the stream's state, or fails with
/// `DLP_ERROR_STREAM_BUSY` if another call is using it.
///
/// # Safety
///
/// `stream` must be NULL or a live stream handle.
unsafe fn with_stream<R>(
    stream: *const dlp_stream,
    access: Access,
    body: impl FnOnce(&mut StreamState) -> Result<R, Failure>,
) -> Result<R, Failure> {
    let stream = non_null(stream, "stream")?;
    // SAFETY: not NULL, and the caller guarantees a live handle. Only a
    // shared reference is made here, so overlapping calls do not alias a
    // mutable one.
    let stream = unsafe { &*stream };
    if stream.busy.swap(true, Ordering::Acquire) {
        return Err(Failure::new(
            dlp_status::DLP_ERROR_STREAM_BUSY,
            "the stream is already in a call: use a stream from one \
             thread at a time, and do not call its functions from its \
             own match callback"
                .to_string(),
        ));
    }
    let _busy = BusyGuard(&stream.busy);
    // SAFETY: the busy flag was clear and is now set by this call, so no
    // other reference to the state exists until `_busy` is dropped.
    let state = unsafe { &mut *stream.state.get() };
    // The stream counts as poisoned while the body runs, so a panic
    // inside it leaves the flag set. A body that completes restores the
    // earlier flag, unless it cleared the flag itself (a reset).
    if access == Access::Scan {
        check_not_poisoned(state)?;
    }
    let was_poisoned = state.poisoned;
    state.poisoned = true;
    let result = body(state);
    if state.poisoned {
        state.poisoned = was_poisoned;
    }
    result
}

fn finished_failure() -> Failure {
    Failure::new(
        dlp_status::DLP_ERROR_STREAM_FINISHED,
        StreamError::Finished.to_string(),
    )
}

fn check_not_poisoned(state: &StreamState) -> Result<(), Failure> {
    if state.poisoned {
        return Err(Failure::new(
            dlp_status::DLP_ERROR_PANIC,
            "an earlier call on this stream panicked; reset the stream \
             with dlp_stream_reset before feeding it again"
                .to_string(),
        ));
    }
    Ok(())
}

/// Opens a stream on `engine` and stores it in `*stream_out`.
///
/// `flags` is 0 or `DLP_FLAG_RAW_VALUE`, and applies to every match the
/// stream reports. The stream keeps its own reference to the engine's
/// data, so `engine` may be freed before the stream. On failure
/// `*stream_out` is set to NULL.
///
/// # Safety
///
/// `engine` must be NULL or a live engine handle. `stream_out` must be
/// NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_new(
    engine: *const dlp_engine,
    flags: u32,
    stream_out: *mut *mut dlp_stream,
) -> dlp_status {
    guard("dlp_stream_new", || {
        let stream_out = non_null(stream_out, "stream_out")?.cast_mut();
        // SAFETY: checked not NULL; the caller guarantees it is writable.
        unsafe { *stream_out = std::ptr::null_mut() };
        // SAFETY: the caller guarantees a live handle or NULL.
        let engine = unsafe { engine_ref(engine)? };
        check_flags(flags)?;
        let state = StreamState {
            engine: Arc::clone(&engine.data),
            stream: engine.data.engine.stream(),
            raw_value: flags & DLP_FLAG_RAW_VALUE != 0,
            poisoned: false,
            masked: Vec::new(),
        };
        let handle = dlp_stream {
            busy: AtomicBool::new(false),
            state: UnsafeCell::new(state),
        };
        // SAFETY: checked not NULL above.
        unsafe { *stream_out = Box::into_raw(Box::new(handle)) };
        Ok(())
    })
}

/// Feeds the next fragment of the stream and calls `callback` with the
/// matches that the data so far confirms, until it returns `DLP_STOP`.
///
/// The fragment is read in place and not retained after the call. The
/// stream copies only the last bytes it needs around the cut, which are
/// the longest match plus the hotword window. A value cut across fragments is
/// reported once, at its stream offsets. `DLP_STOP` stops reporting for
/// the rest of this call only: the whole fragment is still consumed, and
/// the next call reports again. A fragment of `len` 0 may be NULL.
///
/// Returns `DLP_ERROR_STREAM_FINISHED` after `dlp_stream_finish` until
/// `dlp_stream_reset`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream handle. `data` must be NULL or
/// point to `len` readable bytes that do not change during the call.
/// `callback`, if not NULL, must be safe to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_feed(
    stream: *mut dlp_stream,
    data: *const u8,
    len: usize,
    callback: dlp_match_fn,
    user_data: *mut c_void,
) -> dlp_status {
    guard("dlp_stream_feed", || {
        // SAFETY: the caller guarantees `len` readable bytes at `data`.
        let fragment = unsafe { byte_slice(data, len, "data")? };
        let callback = check_callback(callback)?;
        // SAFETY: the caller guarantees a live handle or NULL.
        unsafe {
            with_stream(stream, Access::Scan, |state| {
                let mut delivery = Delivery {
                    engine: &state.engine,
                    raw_value: state.raw_value,
                    callback,
                    user_data,
                    masked: &mut state.masked,
                };
                state
                    .stream
                    .feed(fragment, |m| delivery.deliver(m))
                    .map_err(|_| finished_failure())
            })
        }
    })
}

/// Ends the stream and calls `callback` with the matches that only the
/// end of the data confirms, until it returns `DLP_STOP`.
///
/// Returns `DLP_ERROR_STREAM_FINISHED` if the stream is already finished.
///
/// # Safety
///
/// `stream` must be NULL or a live stream handle. `callback`, if not
/// NULL, must be safe to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_finish(
    stream: *mut dlp_stream,
    callback: dlp_match_fn,
    user_data: *mut c_void,
) -> dlp_status {
    guard("dlp_stream_finish", || {
        let callback = check_callback(callback)?;
        // SAFETY: the caller guarantees a live handle or NULL.
        unsafe {
            with_stream(stream, Access::Scan, |state| {
                let mut delivery = Delivery {
                    engine: &state.engine,
                    raw_value: state.raw_value,
                    callback,
                    user_data,
                    masked: &mut state.masked,
                };
                state
                    .stream
                    .finish(|m| delivery.deliver(m))
                    .map_err(|_| finished_failure())
            })
        }
    })
}

/// Clears the stream so it can scan a new flow direction from offset 0,
/// keeping its allocations and flags. Works on a finished, unfinished or
/// already reset stream, and clears the state left by
/// `DLP_ERROR_PANIC`.
///
/// # Safety
///
/// `stream` must be NULL or a live stream handle.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_reset(
    stream: *mut dlp_stream,
) -> dlp_status {
    guard("dlp_stream_reset", || {
        // SAFETY: the caller guarantees a live handle or NULL.
        unsafe {
            with_stream(stream, Access::Other, |state| {
                state.stream.reset();
                state.poisoned = false;
                Ok(())
            })
        }
    })
}

/// Stores in `*offset_out` the number of bytes fed to the stream since
/// it was opened or last reset.
///
/// # Safety
///
/// `stream` must be NULL or a live stream handle. `offset_out` must be
/// NULL or valid for writing one `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_offset(
    stream: *const dlp_stream,
    offset_out: *mut u64,
) -> dlp_status {
    guard("dlp_stream_offset", || {
        let offset_out = non_null(offset_out, "offset_out")?.cast_mut();
        // SAFETY: the caller guarantees a live handle or NULL.
        let offset = unsafe {
            with_stream(stream, Access::Other, |state| {
                Ok(state.stream.offset())
            })?
        };
        // SAFETY: checked not NULL; the caller guarantees it is writable.
        unsafe { *offset_out = offset };
        Ok(())
    })
}

/// Releases a stream. NULL is accepted and ignored. The stream must not
/// be in a call (including its own callback) and must not be used
/// afterwards.
///
/// # Safety
///
/// `stream` must be NULL or a handle from `dlp_stream_new` that has not
/// been freed yet.
#[no_mangle]
pub unsafe extern "C" fn dlp_stream_free(stream: *mut dlp_stream) {
    if stream.is_null() {
        return;
    }
    let _ = guard("dlp_stream_free", || {
        // SAFETY: the caller guarantees `stream` came from Box::into_raw
        // in `dlp_stream_new` and is freed once.
        drop(unsafe { Box::from_raw(stream) });
        Ok(())
    });
}
