//! Status codes, the per-thread last error, and the guard that keeps
//! panics from crossing the boundary.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// The result of a call. The numbers are part of the ABI: a code keeps
/// its number forever, and the number of a removed code is never given
/// to another one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum dlp_status {
    /// The call succeeded, including a scan that a callback stopped.
    DLP_OK = 0,
    /// A required pointer argument is NULL, or a buffer is NULL while
    /// its length is not 0.
    DLP_ERROR_NULL_ARGUMENT = 1,
    /// An argument is out of range: unknown flag bits, an index past the
    /// end, a length over `PTRDIFF_MAX`, or a string that is not UTF-8.
    DLP_ERROR_INVALID_ARGUMENT = 2,
    /// A definition file cannot be read.
    DLP_ERROR_IO = 3,
    /// A definition is invalid, or the engine would exceed a size limit.
    /// `dlp_last_error_message` names the origin, sensor, rule and fix.
    DLP_ERROR_DEFINITION = 4,
    /// `dlp_stream_feed` or `dlp_stream_finish` was called on a finished
    /// stream; reset it with `dlp_stream_reset` to reuse it.
    DLP_ERROR_STREAM_FINISHED = 5,
    /// The stream is already inside a call, from another thread or from
    /// its own match callback.
    DLP_ERROR_STREAM_BUSY = 6,
    /// The library panicked. This is a bug in dlp. A stream that returned
    /// this code must be reset before it is fed again.
    DLP_ERROR_PANIC = 7,
}

/// Returns the static, NUL-terminated description of a status code, or
/// `"unknown status code"` for a number that is not a code. Never NULL.
#[no_mangle]
pub extern "C" fn dlp_error_message(code: c_int) -> *const c_char {
    let message = catch_unwind(|| status_message(code))
        .unwrap_or(c"dlp_error_message panicked");
    message.as_ptr()
}

fn status_message(code: c_int) -> &'static CStr {
    match code {
        0 => c"success",
        1 => c"a required pointer argument is NULL",
        2 => c"an argument is invalid or out of range",
        3 => c"a definition file cannot be read",
        4 => c"the sensor definition is invalid",
        5 => c"the stream is finished; reset it or open a new one",
        6 => c"the stream is already in use by another call",
        7 => c"internal error: the library panicked",
        _ => c"unknown status code",
    }
}

/// The detailed message of the last failed call on one thread.
struct LastError {
    message: CString,
    origin: Option<CString>,
    sensor: Option<CString>,
    rule: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> =
        const { RefCell::new(None) };
}

/// A failed call: its status code and what the caller needs to fix it.
pub(crate) struct Failure {
    status: dlp_status,
    message: String,
    /// The build error, boxed to keep `Result<_, Failure>` small.
    definition: Option<Box<dlp_core::Error>>,
}

impl Failure {
    pub(crate) fn new(status: dlp_status, message: String) -> Failure {
        Failure { status, message, definition: None }
    }

    pub(crate) fn null(argument: &str) -> Failure {
        Failure::new(
            dlp_status::DLP_ERROR_NULL_ARGUMENT,
            format!("argument `{argument}` is NULL"),
        )
    }

    pub(crate) fn invalid(message: String) -> Failure {
        Failure::new(dlp_status::DLP_ERROR_INVALID_ARGUMENT, message)
    }

    /// Wraps an engine build error, keeping its origin, sensor and rule.
    pub(crate) fn from_build(error: dlp_core::Error) -> Failure {
        let status = match error.kind() {
            dlp_core::ErrorKind::Io { .. } => dlp_status::DLP_ERROR_IO,
            _ => dlp_status::DLP_ERROR_DEFINITION,
        };
        Failure {
            status,
            message: error.to_string(),
            definition: Some(Box::new(error)),
        }
    }
}

/// Converts text for C, cutting it at the first NUL byte (a NUL cannot
/// appear inside a C string).
pub(crate) fn c_string(text: &str) -> CString {
    let end = text.find('\0').unwrap_or(text.len());
    CString::new(&text[..end]).unwrap_or_default()
}

fn store(function: &str, failure: &Failure) {
    let definition = failure.definition.as_ref();
    let last = LastError {
        message: c_string(&format!("{function}: {}", failure.message)),
        origin: definition.map(|e| c_string(e.origin())),
        sensor: definition.and_then(|e| e.sensor()).map(c_string),
        rule: definition.and_then(|e| e.rule()).map(c_string),
    };
    // The cell is only borrowed here and in the getters, which do not
    // call back into this module, so `try_with` and the borrow succeed
    // unless the thread is exiting.
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(last);
        }
    });
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

/// Runs the body of an exported function: returns `DLP_OK` on success,
/// or stores the failure's message for this thread and returns its code.
/// A panic becomes `DLP_ERROR_PANIC`.
pub(crate) fn guard<F>(function: &str, body: F) -> dlp_status
where
    F: FnOnce() -> Result<(), Failure>,
{
    // AssertUnwindSafe: after a panic, callers only see handles that
    // either hold no state a panic can break (engines are immutable) or
    // are marked poisoned (streams), so no broken invariant is observed.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => dlp_status::DLP_OK,
        Ok(Err(failure)) => {
            store(function, &failure);
            failure.status
        }
        Err(payload) => {
            let message = format!("panic: {}", panic_text(&*payload));
            let failure = Failure::new(dlp_status::DLP_ERROR_PANIC, message);
            store(function, &failure);
            failure.status
        }
    }
}

/// Runs a getter of the last error, returning NULL if the thread has no
/// failure stored or the field is absent.
fn last_error_field(
    field: fn(&LastError) -> Option<&CString>,
) -> *const c_char {
    let read = || {
        LAST_ERROR
            .try_with(|cell| {
                let slot = cell.try_borrow().ok()?;
                let last = slot.as_ref()?;
                field(last).map(|text| text.as_ptr())
            })
            .ok()
            .flatten()
            .unwrap_or(ptr::null())
    };
    catch_unwind(read).unwrap_or(ptr::null())
}

/// Returns the detailed message of the last failed call on the calling
/// thread, such as `dlp_engine_new_file: rules.toml: sensor `badge`, rule
/// `id`: invalid regex ...`, or NULL if no call has failed on this thread.
///
/// The string belongs to the library and stays valid until the next
/// failing call on the same thread. Successful calls leave it unchanged.
#[no_mangle]
pub extern "C" fn dlp_last_error_message() -> *const c_char {
    last_error_field(|last| Some(&last.message))
}

/// Returns the origin (file path or caller's label) of the definition
/// that made the last engine build on this thread fail, or NULL if the
/// last failure was not a build error. Valid as for
/// `dlp_last_error_message`.
#[no_mangle]
pub extern "C" fn dlp_last_error_origin() -> *const c_char {
    last_error_field(|last| last.origin.as_ref())
}

/// Returns the sensor named by the last build error on this thread, or
/// NULL if the last failure was not inside a sensor. Valid as for
/// `dlp_last_error_message`.
#[no_mangle]
pub extern "C" fn dlp_last_error_sensor() -> *const c_char {
    last_error_field(|last| last.sensor.as_ref())
}

/// Returns the rule named by the last build error on this thread, or NULL
/// if the last failure was not inside a rule. Valid as for
/// `dlp_last_error_message`.
#[no_mangle]
pub extern "C" fn dlp_last_error_rule() -> *const c_char {
    last_error_field(|last| last.rule.as_ref())
}

/// Checks that a pointer argument is not NULL.
pub(crate) fn non_null<T>(
    pointer: *const T,
    argument: &str,
) -> Result<*const T, Failure> {
    if pointer.is_null() {
        Err(Failure::null(argument))
    } else {
        Ok(pointer)
    }
}

/// Reads a caller's buffer in place.
///
/// # Safety
///
/// Unless `len` is 0, `data` must be NULL or point to `len` readable bytes
/// that stay valid and unchanged for `'a`.
pub(crate) unsafe fn byte_slice<'a>(
    data: *const u8,
    len: usize,
    argument: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Failure::null(argument));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "length of `{argument}` is {len}, over PTRDIFF_MAX"
        )));
    }
    // SAFETY: `data` is not NULL and the caller guarantees `len` readable
    // bytes, and `len` is at most isize::MAX as `from_raw_parts` requires.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
///
/// `text` must be NULL or point to a NUL-terminated string that stays
/// valid for `'a`.
pub(crate) unsafe fn utf8_arg<'a>(
    text: *const c_char,
    argument: &str,
) -> Result<&'a str, Failure> {
    let text = non_null(text, argument)?;
    // SAFETY: `text` is not NULL and the caller guarantees a terminating
    // NUL within memory that stays valid for 'a.
    let text = unsafe { CStr::from_ptr(text) };
    text.to_str().map_err(|err| {
        Failure::invalid(format!("argument `{argument}` is not UTF-8: {err}"))
    })
}
