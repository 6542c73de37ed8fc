//! The match record passed to C callbacks, and the code that fills it.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ops::ControlFlow;
use std::ptr;

use dlp_core::Match;

use crate::engine::EngineData;
use crate::error::Failure;

/// Scan flag: fill `dlp_match.value` with the raw bytes of each value.
/// Without it `value` is NULL and `value_len` is 0.
pub const DLP_FLAG_RAW_VALUE: u32 = 1;

/// All flag bits this version accepts.
pub(crate) const KNOWN_FLAGS: u32 = DLP_FLAG_RAW_VALUE;

/// Callback result: go on reporting matches.
pub const DLP_CONTINUE: c_int = 0;

/// Callback result: report no more matches in this call. Any value other
/// than `DLP_CONTINUE` has the same effect.
pub const DLP_STOP: c_int = 1;

/// One match, valid only during the callback that receives it.
///
/// The strings are NUL-terminated. Copy what you keep: every pointer in
/// the record is invalid once the callback returns.
#[repr(C)]
#[derive(Debug)]
pub struct dlp_match {
    /// The sensor's name, such as `"fr_nir"`.
    pub sensor: *const c_char,
    /// The rule's name within the sensor.
    pub rule: *const c_char,
    /// The sensor's index, as used by `dlp_engine_sensor_get`.
    pub sensor_index: u32,
    /// The rule's index within its sensor, as used by
    /// `dlp_engine_rule_get`.
    pub rule_index: u32,
    /// Byte offset of the first byte of the value, counted from the start
    /// of the scanned buffer or of the stream.
    pub start: u64,
    /// Byte offset just past the value.
    pub end: u64,
    /// The part of the traffic the value starts in: `"packet"`,
    /// `"url"`, `"header"` or `"body"`.
    pub context: *const c_char,
    /// The sensor's severity: `"low"`, `"medium"`, `"high"` or
    /// `"critical"`.
    pub severity: *const c_char,
    /// The match's confidence: `"low"`, `"medium"` or `"high"`.
    pub confidence: *const c_char,
    /// The value with most letters and digits replaced by `*`, safe to
    /// log. It has the same length in bytes as the value.
    pub masked: *const c_char,
    /// Length of `masked` in bytes, without the terminating NUL.
    pub masked_len: usize,
    /// The raw bytes of the value, NOT NUL-terminated, or NULL unless the
    /// scan was started with `DLP_FLAG_RAW_VALUE`. This is personal data:
    /// do not log or store it unless the user asked for it.
    pub value: *const u8,
    /// Length of `value` in bytes, 0 when `value` is NULL.
    pub value_len: usize,
}

/// A match callback: receives one match and the caller's `user_data`, and
/// returns `DLP_CONTINUE` to go on or `DLP_STOP` to stop reporting.
///
/// The callback runs on the thread that made the call. It may call any
/// dlp function except those on the stream that is calling it.
pub type dlp_match_fn = Option<
    unsafe extern "C" fn(
        found: *const dlp_match,
        user_data: *mut c_void,
    ) -> c_int,
>;

/// Checks the callback and flag arguments shared by the scan functions.
pub(crate) fn check_callback(
    callback: dlp_match_fn,
) -> Result<
    unsafe extern "C" fn(*const dlp_match, *mut c_void) -> c_int,
    Failure,
> {
    callback.ok_or_else(|| Failure::null("callback"))
}

pub(crate) fn check_flags(flags: u32) -> Result<(), Failure> {
    let unknown = flags & !KNOWN_FLAGS;
    if unknown != 0 {
        return Err(Failure::invalid(format!(
            "unknown flag bits {unknown:#x} in `flags`; this version \
             accepts only DLP_FLAG_RAW_VALUE ({DLP_FLAG_RAW_VALUE:#x})"
        )));
    }
    Ok(())
}

/// Returns the static C string for a context, severity or confidence
/// name.
pub(crate) fn label(name: &str) -> &'static CStr {
    match name {
        "packet" => c"packet",
        "url" => c"url",
        "header" => c"header",
        "body" => c"body",
        "low" => c"low",
        "medium" => c"medium",
        "high" => c"high",
        "critical" => c"critical",
        _ => c"unknown",
    }
}

/// Delivers matches to a C callback, converting each into a `dlp_match`.
pub(crate) struct Delivery<'a> {
    pub(crate) engine: &'a EngineData,
    pub(crate) raw_value: bool,
    pub(crate) callback:
        unsafe extern "C" fn(*const dlp_match, *mut c_void) -> c_int,
    pub(crate) user_data: *mut c_void,
    /// The masked value with a terminating NUL, reused across matches.
    pub(crate) masked: &'a mut Vec<u8>,
}

impl Delivery<'_> {
    pub(crate) fn deliver(&mut self, found: &Match) -> ControlFlow<()> {
        self.masked.clear();
        self.masked.extend_from_slice(found.masked().as_bytes());
        self.masked.push(0);
        let (sensor, rule) =
            self.engine.names(found.sensor_index(), found.rule_index());
        let (value, value_len) = if self.raw_value {
            (found.value().as_ptr(), found.value().len())
        } else {
            (ptr::null(), 0)
        };
        let record = dlp_match {
            sensor: sensor.as_ptr(),
            rule: rule.as_ptr(),
            sensor_index: found.sensor_index() as u32,
            rule_index: found.rule_index() as u32,
            start: found.start(),
            end: found.end(),
            context: label(found.context().as_str()).as_ptr(),
            severity: label(found.severity().as_str()).as_ptr(),
            confidence: label(found.confidence().as_str()).as_ptr(),
            masked: self.masked.as_ptr().cast(),
            masked_len: self.masked.len() - 1,
            value,
            value_len,
        };
        // SAFETY: the caller of the scan function guarantees that
        // `callback` is a valid function of this type and accepts
        // `user_data`. Every pointer in `record` points into the engine,
        // the masked buffer or the match, which all outlive the call.
        let verdict = unsafe { (self.callback)(&record, self.user_data) };
        if verdict == DLP_CONTINUE {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
}
