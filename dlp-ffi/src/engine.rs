//! Engine handles: construction, listing of sensors and rules, and the
//! whole-buffer scan.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::Arc;

use dlp_core::Engine;

use crate::error::{byte_slice, c_string, guard, non_null, utf8_arg, Failure};
use crate::matches::{
    check_callback, check_flags, dlp_match_fn, label, Delivery,
};
use crate::{dlp_status, DLP_FLAG_RAW_VALUE};

/// An engine: compiled sensors, immutable and shared by any number of
/// threads. Opaque; create it with a `dlp_engine_new_*` function and
/// release it with `dlp_engine_free`.
pub struct dlp_engine {
    pub(crate) data: Arc<EngineData>,
}

/// The engine and the C strings that describe its sensors, kept for the
/// lifetime of the engine and of every stream opened on it.
pub(crate) struct EngineData {
    pub(crate) engine: Engine,
    sensors: Vec<SensorStrings>,
}

struct SensorStrings {
    name: CString,
    description: CString,
    severity: &'static CStr,
    rules: Vec<RuleStrings>,
}

struct RuleStrings {
    name: CString,
    context: &'static CStr,
    confidence: &'static CStr,
    validator: Option<CString>,
}

impl EngineData {
    fn new(engine: Engine) -> EngineData {
        let sensors = engine
            .sensors()
            .iter()
            .map(|sensor| SensorStrings {
                name: c_string(&sensor.name),
                description: c_string(&sensor.description),
                severity: label(sensor.severity.as_str()),
                rules: sensor
                    .rules
                    .iter()
                    .map(|rule| RuleStrings {
                        name: c_string(&rule.name),
                        context: label(rule.context.as_str()),
                        confidence: label(rule.confidence.as_str()),
                        validator: rule.validator.as_deref().map(c_string),
                    })
                    .collect(),
            })
            .collect();
        EngineData { engine, sensors }
    }

    /// Returns the C names of a sensor and one of its rules.
    pub(crate) fn names(&self, sensor: usize, rule: usize) -> (&CStr, &CStr) {
        let strings = &self.sensors[sensor];
        (&strings.name, &strings.rules[rule].name)
    }
}

/// Describes one sensor of an engine. The strings belong to the engine
/// and stay valid until `dlp_engine_free`.
#[repr(C)]
#[derive(Debug)]
pub struct dlp_sensor_info {
    /// The sensor's name, such as `"fr_nir"`.
    pub name: *const c_char,
    /// The sensor's description, possibly empty.
    pub description: *const c_char,
    /// `"low"`, `"medium"`, `"high"` or `"critical"`.
    pub severity: *const c_char,
    /// Number of rules, for `dlp_engine_rule_get`.
    pub rule_count: usize,
}

/// Describes one rule of a sensor. The strings belong to the engine and
/// stay valid until `dlp_engine_free`.
#[repr(C)]
#[derive(Debug)]
pub struct dlp_rule_info {
    /// The rule's name, unique within its sensor.
    pub name: *const c_char,
    /// The part of the traffic the rule applies to: `"packet"`,
    /// `"url"`, `"header"` or `"body"`.
    pub context: *const c_char,
    /// Base confidence: `"low"`, `"medium"` or `"high"`.
    pub confidence: *const c_char,
    /// The validator's name, such as `"luhn"`, or NULL if none.
    pub validator: *const c_char,
}

/// Stores a new engine handle in `*engine_out`.
///
/// # Safety
///
/// `engine_out` must be NULL or valid for a pointer write.
unsafe fn publish(
    engine: Engine,
    engine_out: *mut *mut dlp_engine,
) -> Result<(), Failure> {
    let handle = dlp_engine { data: Arc::new(EngineData::new(engine)) };
    let handle = Box::into_raw(Box::new(handle));
    // SAFETY: `engine_out` was checked for NULL by the caller of
    // `publish`, and the caller of the export guarantees it is writable.
    unsafe { *engine_out = handle };
    Ok(())
}

/// Checks `engine_out` and sets `*engine_out` to NULL, so that a failed
/// call leaves no stale handle behind.
///
/// # Safety
///
/// `engine_out` must be NULL or valid for a pointer write.
unsafe fn clear_out(engine_out: *mut *mut dlp_engine) -> Result<(), Failure> {
    non_null(engine_out, "engine_out")?;
    // SAFETY: checked not NULL above; the caller guarantees it is
    // writable.
    unsafe { *engine_out = ptr::null_mut() };
    Ok(())
}

/// Builds an engine with the built-in sensors (`fr_nir`, `us_ssn`,
/// `credit_card`, `iban`, `email`) and stores it in `*engine_out`.
///
/// Each call compiles the sensors anew, so that `dlp_engine_free`
/// releases all of the engine's memory: build one engine and share it
/// between threads rather than building one per flow.
///
/// # Safety
///
/// `engine_out` must be NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_new_builtin(
    engine_out: *mut *mut dlp_engine,
) -> dlp_status {
    guard("dlp_engine_new_builtin", || {
        // SAFETY: the caller guarantees `engine_out` is NULL or writable.
        unsafe { clear_out(engine_out)? };
        let mut builder = Engine::builder();
        builder.add_builtin().map_err(Failure::from_build)?;
        let engine = builder.build().map_err(Failure::from_build)?;
        // SAFETY: as above, and `clear_out` checked it for NULL.
        unsafe { publish(engine, engine_out) }
    })
}

/// Builds an engine from the sensor definition file at `path` (TOML, the
/// format of the `sensors/` folder) and stores it in `*engine_out`.
///
/// Returns `DLP_ERROR_IO` if the file cannot be read and
/// `DLP_ERROR_DEFINITION` if it is invalid; `dlp_last_error_message`
/// then names the file, sensor, rule and problem. On failure
/// `*engine_out` is set to NULL.
///
/// # Safety
///
/// `path` must be NULL or a NUL-terminated string. `engine_out` must be
/// NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_new_file(
    path: *const c_char,
    engine_out: *mut *mut dlp_engine,
) -> dlp_status {
    guard("dlp_engine_new_file", || {
        // SAFETY: the caller guarantees `engine_out` is NULL or writable.
        unsafe { clear_out(engine_out)? };
        let path = non_null(path, "path")?;
        // SAFETY: `path` is not NULL and the caller guarantees a
        // terminating NUL.
        let path = unsafe { CStr::from_ptr(path) };
        let engine =
            Engine::from_file(path_of(path)?).map_err(Failure::from_build)?;
        // SAFETY: `engine_out` was checked by `clear_out`.
        unsafe { publish(engine, engine_out) }
    })
}

#[cfg(unix)]
fn path_of(path: &CStr) -> Result<&std::path::Path, Failure> {
    use std::os::unix::ffi::OsStrExt;
    Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(path.to_bytes())))
}

#[cfg(not(unix))]
fn path_of(path: &CStr) -> Result<&std::path::Path, Failure> {
    let text = path.to_str().map_err(|err| {
        Failure::invalid(format!("argument `path` is not UTF-8: {err}"))
    })?;
    Ok(std::path::Path::new(text))
}

/// Builds an engine from sensor definition text in memory and stores it
/// in `*engine_out`.
///
/// `text` is `text_len` bytes of UTF-8 TOML, not necessarily
/// NUL-terminated. `origin` is a NUL-terminated label, such as a file
/// name, that error messages use to name the text. Returns
/// `DLP_ERROR_DEFINITION` if the text is invalid (including text that is
/// not UTF-8); `dlp_last_error_message` then names the
/// location and the problem. On
/// failure `*engine_out` is set to NULL.
///
/// # Safety
///
/// `text` must be NULL or point to `text_len` readable bytes. `origin`
/// must be NULL or a NUL-terminated string. `engine_out` must be NULL or
/// valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_new_text(
    text: *const c_char,
    text_len: usize,
    origin: *const c_char,
    engine_out: *mut *mut dlp_engine,
) -> dlp_status {
    guard("dlp_engine_new_text", || {
        // SAFETY: the caller guarantees `engine_out` is NULL or writable.
        unsafe { clear_out(engine_out)? };
        // SAFETY: the caller guarantees `text_len` readable bytes.
        let text = unsafe { byte_slice(text.cast(), text_len, "text")? };
        // SAFETY: the caller guarantees a NUL-terminated `origin`.
        let origin = unsafe { utf8_arg(origin, "origin")? };
        let text = std::str::from_utf8(text).map_err(|err| {
            Failure::new(
                dlp_status::DLP_ERROR_DEFINITION,
                format!("{origin}: the definition is not UTF-8: {err}"),
            )
        })?;
        let engine =
            Engine::from_toml(text, origin).map_err(Failure::from_build)?;
        // SAFETY: `engine_out` was checked by `clear_out`.
        unsafe { publish(engine, engine_out) }
    })
}

/// Releases an engine. NULL is accepted and ignored.
///
/// Streams opened on the engine stay usable: each keeps what it needs
/// until its own `dlp_stream_free`. No other call may be using `engine`
/// when it is freed, and it must not be used afterwards.
///
/// # Safety
///
/// `engine` must be NULL or a handle from a `dlp_engine_new_*` function
/// that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_free(engine: *mut dlp_engine) {
    if engine.is_null() {
        return;
    }
    let _ = guard("dlp_engine_free", || {
        // SAFETY: the caller guarantees `engine` came from Box::into_raw
        // in `publish` and is freed once.
        drop(unsafe { Box::from_raw(engine) });
        Ok(())
    });
}

/// Returns a shared reference to an engine handle, or fails if NULL.
///
/// # Safety
///
/// `engine` must be NULL or a live handle, which stays live for `'a`.
pub(crate) unsafe fn engine_ref<'a>(
    engine: *const dlp_engine,
) -> Result<&'a dlp_engine, Failure> {
    let engine = non_null(engine, "engine")?;
    // SAFETY: not NULL, and the caller guarantees a live handle; engines
    // are only read through shared references.
    Ok(unsafe { &*engine })
}

/// Stores the number of sensors of `engine` in `*count_out`.
///
/// # Safety
///
/// `engine` must be NULL or a live engine handle. `count_out` must be NULL
/// or valid for writing one `size_t`.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_sensor_count(
    engine: *const dlp_engine,
    count_out: *mut usize,
) -> dlp_status {
    guard("dlp_engine_sensor_count", || {
        // SAFETY: the caller guarantees a live handle or NULL.
        let engine = unsafe { engine_ref(engine)? };
        let count_out = non_null(count_out, "count_out")?.cast_mut();
        // SAFETY: checked not NULL; the caller guarantees it is writable.
        unsafe { *count_out = engine.data.sensors.len() };
        Ok(())
    })
}

/// Describes the sensor at `sensor_index` (0 to count - 1) in
/// `*info_out`. Returns `DLP_ERROR_INVALID_ARGUMENT` if the index is past
/// the end.
///
/// # Safety
///
/// `engine` must be NULL or a live engine handle. `info_out` must be NULL
/// or valid for writing one `dlp_sensor_info`.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_sensor_get(
    engine: *const dlp_engine,
    sensor_index: usize,
    info_out: *mut dlp_sensor_info,
) -> dlp_status {
    guard("dlp_engine_sensor_get", || {
        // SAFETY: the caller guarantees a live handle or NULL.
        let engine = unsafe { engine_ref(engine)? };
        let info_out = non_null(info_out, "info_out")?.cast_mut();
        let sensors = &engine.data.sensors;
        let sensor = sensors.get(sensor_index).ok_or_else(|| {
            Failure::invalid(format!(
                "sensor_index {sensor_index} is out of range; the engine \
                 has {} sensors",
                sensors.len()
            ))
        })?;
        let info = dlp_sensor_info {
            name: sensor.name.as_ptr(),
            description: sensor.description.as_ptr(),
            severity: sensor.severity.as_ptr(),
            rule_count: sensor.rules.len(),
        };
        // SAFETY: checked not NULL; the caller guarantees it is writable.
        unsafe { info_out.write(info) };
        Ok(())
    })
}

/// Describes rule `rule_index` of sensor `sensor_index` in `*info_out`.
/// Returns `DLP_ERROR_INVALID_ARGUMENT` if either index is past the end.
///
/// # Safety
///
/// `engine` must be NULL or a live engine handle. `info_out` must be NULL
/// or valid for writing one `dlp_rule_info`.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_rule_get(
    engine: *const dlp_engine,
    sensor_index: usize,
    rule_index: usize,
    info_out: *mut dlp_rule_info,
) -> dlp_status {
    guard("dlp_engine_rule_get", || {
        // SAFETY: the caller guarantees a live handle or NULL.
        let engine = unsafe { engine_ref(engine)? };
        let info_out = non_null(info_out, "info_out")?.cast_mut();
        let sensors = &engine.data.sensors;
        let sensor = sensors.get(sensor_index).ok_or_else(|| {
            Failure::invalid(format!(
                "sensor_index {sensor_index} is out of range; the engine \
                 has {} sensors",
                sensors.len()
            ))
        })?;
        let rule = sensor.rules.get(rule_index).ok_or_else(|| {
            Failure::invalid(format!(
                "rule_index {rule_index} is out of range; sensor `{}` has \
                 {} rules",
                sensor.name.to_string_lossy(),
                sensor.rules.len()
            ))
        })?;
        let info = dlp_rule_info {
            name: rule.name.as_ptr(),
            context: rule.context.as_ptr(),
            confidence: rule.confidence.as_ptr(),
            validator: rule
                .validator
                .as_ref()
                .map_or(ptr::null(), |v| v.as_ptr()),
        };
        // SAFETY: checked not NULL; the caller guarantees it is writable.
        unsafe { info_out.write(info) };
        Ok(())
    })
}

/// Scans a whole buffer and calls `callback` with each match, in order of
/// start, until it returns `DLP_STOP`.
///
/// `flags` is 0 or `DLP_FLAG_RAW_VALUE`. The buffer is read in place and
/// not retained. A buffer of `len` 0 may be NULL. Returns `DLP_OK` also
/// when the callback stopped the scan. Any number of threads may scan
/// with the same engine at once.
///
/// # Safety
///
/// `engine` must be NULL or a live engine handle. `data` must be NULL or
/// point to `len` readable bytes that do not change during the call.
/// `callback`, if not NULL, must be safe to call with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn dlp_engine_scan(
    engine: *const dlp_engine,
    data: *const u8,
    len: usize,
    flags: u32,
    callback: dlp_match_fn,
    user_data: *mut c_void,
) -> dlp_status {
    guard("dlp_engine_scan", || {
        // SAFETY: the caller guarantees a live handle or NULL.
        let engine = unsafe { engine_ref(engine)? };
        // SAFETY: the caller guarantees `len` readable bytes at `data`.
        let haystack = unsafe { byte_slice(data, len, "data")? };
        let callback = check_callback(callback)?;
        check_flags(flags)?;
        let mut masked = Vec::new();
        let mut delivery = Delivery {
            engine: &engine.data,
            raw_value: flags & DLP_FLAG_RAW_VALUE != 0,
            callback,
            user_data,
            masked: &mut masked,
        };
        engine.data.engine.scan_with(haystack, |m| delivery.deliver(m));
        Ok(())
    })
}
