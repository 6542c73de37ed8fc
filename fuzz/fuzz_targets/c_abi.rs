//! Arbitrary call sequences on the C API of `dlp-ffi`, called from Rust
//! through its `extern "C"` functions, never crash (the fuzz build runs
//! under AddressSanitizer), return the status codes the contract names,
//! and report through streams what the block scan reports.
//!
//! The input is a program: each op is one byte, followed by the operands
//! it reads. Engines and streams live in small handle tables; an op on an
//! empty slot passes NULL. NULL pointers are passed only where the
//! contract says they are checked, and lengths only as the contract
//! allows (a NULL buffer with a length, a length over `PTRDIFF_MAX`).

#![no_main]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

use dlp_core::Engine;
use dlp::*;
use libfuzzer_sys::fuzz_target;

const ENGINE_SLOTS: usize = 4;
const STREAM_SLOTS: usize = 8;
/// Operations after this many are ignored, to bound the time per input.
const MAX_OPS: usize = 256;

/// A C engine handle and the Rust engine built from the same definitions.
struct EngineSlot {
    handle: *mut dlp_engine,
    engine: Engine,
}

struct StreamSlot {
    handle: *mut dlp_stream,
    engine: Engine,
    raw_value: bool,
    fed: Vec<u8>,
    found: Vec<(u32, u32, u64, u64)>,
    stopped: bool,
    finished: bool,
}

/// The state a match callback checks against and records into.
struct Receiver {
    raw_value: bool,
    /// Returns `DLP_STOP` after this many matches (`usize::MAX`: never).
    stop_after: usize,
    /// The stream being fed, to check that re-entering it fails.
    reenter: *mut dlp_stream,
    /// The bytes scanned, to check the reported values.
    haystack_base: u64,
    haystack: *const u8,
    haystack_len: usize,
    found: Vec<(u32, u32, u64, u64)>,
}

unsafe extern "C" fn on_match(found: *const dlp_match, user_data: *mut c_void) -> c_int {
    let receiver = unsafe { &mut *user_data.cast::<Receiver>() };
    let found = unsafe { &*found };
    for text in [found.sensor, found.rule, found.context, found.severity, found.confidence] {
        assert!(!text.is_null());
        let _ = unsafe { CStr::from_ptr(text) }.to_bytes();
    }
    assert!(found.start < found.end);
    let masked = unsafe { CStr::from_ptr(found.masked) }.to_bytes();
    assert_eq!(masked.len(), found.masked_len);
    assert_eq!(found.masked_len as u64, found.end - found.start, "masked length differs");
    if receiver.raw_value {
        assert_eq!(found.value_len, found.masked_len);
        let value = unsafe { std::slice::from_raw_parts(found.value, found.value_len) };
        // A value inside the fragment given to this call must be its bytes;
        // a value across the cut comes from the stream's tail.
        let start = found.start.checked_sub(receiver.haystack_base);
        if let Some(start) = start {
            let start = start as usize;
            if start + value.len() <= receiver.haystack_len {
                let haystack = unsafe { std::slice::from_raw_parts(receiver.haystack, receiver.haystack_len) };
                assert_eq!(value, &haystack[start..start + value.len()]);
            }
        }
    } else {
        assert!(found.value.is_null(), "raw value given without DLP_FLAG_RAW_VALUE");
        assert_eq!(found.value_len, 0);
    }
    if !receiver.reenter.is_null() {
        let status = unsafe { dlp_stream_feed(receiver.reenter, b"x".as_ptr(), 1, Some(on_match), user_data) };
        assert_eq!(status, dlp_status::DLP_ERROR_STREAM_BUSY);
    }
    receiver.found.push((found.sensor_index, found.rule_index, found.start, found.end));
    if receiver.found.len() >= receiver.stop_after {
        DLP_STOP
    } else {
        DLP_CONTINUE
    }
}

/// A small engine definition, cheap enough to build on every input.
const SMALL_SENSORS: &str = "[[sensor]]\nname = 'pin'\n[[sensor.rule]]\nname = 'code'\n\
hotwords = ['pin']\n[[sensor.rule.pattern]]\nvalue = 'k[0-9]{4}'\n";

/// Returns the shared built-in (`which` 0) or custom (1) engine, built
/// once per process because a C build on every input would dominate the
/// run time. The handles are never freed.
fn shared_engine(which: usize) -> (*mut dlp_engine, Engine) {
    static HANDLES: OnceLock<[(usize, Engine); 2]> = OnceLock::new();
    let handles = HANDLES.get_or_init(|| {
        let mut builtin = ptr::null_mut();
        let status = unsafe { dlp_engine_new_builtin(&mut builtin) };
        assert_eq!(status, dlp_status::DLP_OK);
        let text = dlp_fuzz::CUSTOM_SENSORS;
        let mut custom = ptr::null_mut();
        let status = unsafe { dlp_engine_new_text(text.as_ptr().cast(), text.len(), c"<fuzz custom>".as_ptr(), &mut custom) };
        assert_eq!(status, dlp_status::DLP_OK);
        [(builtin as usize, Engine::builtin()), (custom as usize, dlp_fuzz::custom_engine())]
    });
    let (handle, engine) = &handles[which];
    (*handle as *mut dlp_engine, engine.clone())
}

fn is_shared(handle: *mut dlp_engine) -> bool {
    (0..2).any(|which| shared_engine(which).0 == handle)
}

/// Reads operands from the front of the program.
struct Program<'a> {
    bytes: &'a [u8],
}

impl<'a> Program<'a> {
    fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.bytes.split_first() else {
            return 0;
        };
        self.bytes = rest;
        first
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// Returns a slice of up to 255 bytes, its length given by one byte.
    fn slice(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.bytes.len());
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        taken
    }
}

fuzz_target!(|data: &[u8]| {
    let mut program = Program { bytes: data };
    let mut engines: Vec<Option<EngineSlot>> = (0..ENGINE_SLOTS).map(|_| None).collect();
    let mut streams: Vec<Option<StreamSlot>> = (0..STREAM_SLOTS).map(|_| None).collect();
    for _ in 0..MAX_OPS {
        if program.bytes.is_empty() {
            break;
        }
        let op = program.byte();
        let slot = usize::from(program.byte());
        match op % 16 {
            0 => new_text(&mut engines[slot % ENGINE_SLOTS], SMALL_SENSORS.as_bytes()),
            1 => {
                let text = program.slice();
                new_text(&mut engines[slot % ENGINE_SLOTS], text);
            }
            2 => {
                // The shared built-in or custom engine, by the slot's top bit.
                if let Some(old) = engines[slot % ENGINE_SLOTS].take() {
                    free_engine(old);
                }
                let (handle, engine) = shared_engine(slot >> 7);
                engines[slot % ENGINE_SLOTS] = Some(EngineSlot { handle, engine });
            }
            3 => {
                if let Some(old) = engines[slot % ENGINE_SLOTS].take() {
                    free_engine(old);
                }
            }
            4 => describe(engine_handle(&engines, slot), &mut program),
            5 => scan(&engines, slot, &mut program),
            6 => open_stream(&engines, &mut streams, slot, &mut program),
            7 => feed(&mut streams[slot % STREAM_SLOTS], &mut program),
            8 => finish(&mut streams[slot % STREAM_SLOTS]),
            9 => {
                if let Some(s) = &mut streams[slot % STREAM_SLOTS] {
                    unsafe { dlp_stream_reset(s.handle) };
                    s.fed.clear();
                    s.found.clear();
                    s.stopped = false;
                    s.finished = false;
                }
            }
            10 => {
                let handle = streams[slot % STREAM_SLOTS].as_ref().map_or(ptr::null_mut(), |s| s.handle);
                let mut offset = u64::MAX;
                let status = unsafe { dlp_stream_offset(handle, &mut offset) };
                match &streams[slot % STREAM_SLOTS] {
                    Some(s) => {
                        assert_eq!(status, dlp_status::DLP_OK);
                        assert_eq!(offset, s.fed.len() as u64);
                    }
                    None => assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT),
                }
                let status = unsafe { dlp_stream_offset(handle, ptr::null_mut()) };
                assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
            }
            11 => {
                if let Some(s) = streams[slot % STREAM_SLOTS].take() {
                    unsafe { dlp_stream_free(s.handle) };
                }
            }
            12 => null_arguments(&engines, &streams, slot),
            13 => {
                let code = program.u32() as c_int;
                let message = dlp_error_message(code);
                assert!(!message.is_null());
                let _ = unsafe { CStr::from_ptr(message) };
                read_last_error();
            }
            _ => {
                let version = unsafe { CStr::from_ptr(dlp_version_get()) };
                assert!(!version.to_bytes().is_empty());
                unsafe {
                    dlp_engine_free(ptr::null_mut());
                    dlp_stream_free(ptr::null_mut());
                }
            }
        }
    }
    for s in streams.into_iter().flatten() {
        unsafe { dlp_stream_free(s.handle) };
    }
    for e in engines.into_iter().flatten() {
        free_engine(e);
    }
});

fn engine_handle(engines: &[Option<EngineSlot>], slot: usize) -> *mut dlp_engine {
    engines[slot % ENGINE_SLOTS].as_ref().map_or(ptr::null_mut(), |e| e.handle)
}

fn free_engine(slot: EngineSlot) {
    if !is_shared(slot.handle) {
        unsafe { dlp_engine_free(slot.handle) };
    }
}

fn read_last_error() {
    for text in [dlp_last_error_message(), dlp_last_error_origin(), dlp_last_error_sensor(), dlp_last_error_rule()] {
        if !text.is_null() {
            let _ = unsafe { CStr::from_ptr(text) }.to_bytes();
        }
    }
}

fn new_text(slot: &mut Option<EngineSlot>, text: &[u8]) {
    let mut handle = 1 as *mut dlp_engine;
    let origin = c"<fuzz>";
    let status = unsafe { dlp_engine_new_text(text.as_ptr().cast::<c_char>(), text.len(), origin.as_ptr(), &mut handle) };
    let expected = std::str::from_utf8(text).ok().map(|t| Engine::from_toml(t, "<fuzz>"));
    match expected {
        Some(Ok(engine)) => {
            assert_eq!(status, dlp_status::DLP_OK);
            assert!(!handle.is_null());
            if let Some(old) = slot.take() {
                free_engine(old);
            }
            *slot = Some(EngineSlot { handle, engine });
        }
        Some(Err(_)) | None => {
            assert_eq!(status, dlp_status::DLP_ERROR_DEFINITION);
            assert!(handle.is_null(), "a failed build left a handle");
            let message = unsafe { CStr::from_ptr(dlp_last_error_message()) };
            // The message is "dlp_engine_new_text: <fuzz>: ..." and names
            // the origin.
            let named = message.to_bytes().windows(6).any(|w| w == b"<fuzz>");
            assert!(named, "the message does not name the origin: {message:?}");
            read_last_error();
        }
    }
}

fn describe(engine: *mut dlp_engine, program: &mut Program) {
    let mut count = usize::MAX;
    let status = unsafe { dlp_engine_sensor_count(engine, &mut count) };
    if engine.is_null() {
        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
        return;
    }
    assert_eq!(status, dlp_status::DLP_OK);
    let sensor_index = usize::from(program.byte() % 8);
    let rule_index = usize::from(program.byte() % 16);
    let mut info = std::mem::MaybeUninit::<dlp_sensor_info>::uninit();
    let status = unsafe { dlp_engine_sensor_get(engine, sensor_index, info.as_mut_ptr()) };
    if sensor_index < count {
        assert_eq!(status, dlp_status::DLP_OK);
        let info = unsafe { info.assume_init() };
        let _ = unsafe { CStr::from_ptr(info.name) };
    } else {
        assert_eq!(status, dlp_status::DLP_ERROR_INVALID_ARGUMENT);
    }
    let mut rule = std::mem::MaybeUninit::<dlp_rule_info>::uninit();
    let status = unsafe { dlp_engine_rule_get(engine, sensor_index, rule_index, rule.as_mut_ptr()) };
    if status == dlp_status::DLP_OK {
        let rule = unsafe { rule.assume_init() };
        let _ = unsafe { CStr::from_ptr(rule.name) };
        let _ = unsafe { CStr::from_ptr(rule.context) };
    } else {
        assert_eq!(status, dlp_status::DLP_ERROR_INVALID_ARGUMENT);
    }
    let status = unsafe { dlp_engine_sensor_get(engine, 0, ptr::null_mut()) };
    assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
    let status = unsafe { dlp_engine_sensor_get(engine, usize::MAX, ptr::null_mut()) };
    assert_ne!(status, dlp_status::DLP_OK);
}

/// Returns after how many matches the callback stops: the low 3 bits of
/// `bits`, where 0 means never.
fn stop_count(bits: u8) -> usize {
    match usize::from(bits & 0x7) {
        0 => usize::MAX,
        count => count,
    }
}

fn scan(engines: &[Option<EngineSlot>], slot: usize, program: &mut Program) {
    let control = program.byte();
    let flags = if control & 0x80 != 0 { program.u32() } else { u32::from(control & 1) };
    let stop_after = stop_count(control >> 1);
    let haystack = program.slice();
    let engine = &engines[slot % ENGINE_SLOTS];
    let mut receiver = Receiver {
        raw_value: flags & DLP_FLAG_RAW_VALUE != 0,
        stop_after,
        reenter: ptr::null_mut(),
        haystack_base: 0,
        haystack: haystack.as_ptr(),
        haystack_len: haystack.len(),
        found: Vec::new(),
    };
    let handle = engine.as_ref().map_or(ptr::null_mut(), |e| e.handle);
    let user_data = (&mut receiver as *mut Receiver).cast::<c_void>();
    let status = unsafe { dlp_engine_scan(handle, haystack.as_ptr(), haystack.len(), flags, Some(on_match), user_data) };
    let Some(engine) = engine else {
        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
        return;
    };
    if flags & !DLP_FLAG_RAW_VALUE != 0 {
        assert_eq!(status, dlp_status::DLP_ERROR_INVALID_ARGUMENT);
        return;
    }
    assert_eq!(status, dlp_status::DLP_OK);
    let expected: Vec<_> = engine
        .engine
        .scan(haystack)
        .iter()
        .map(|m| (m.sensor_index() as u32, m.rule_index() as u32, m.start(), m.end()))
        .take(stop_after)
        .collect();
    assert_eq!(receiver.found, expected, "C scan and Rust scan disagree");
}

fn open_stream(engines: &[Option<EngineSlot>], streams: &mut [Option<StreamSlot>], slot: usize, program: &mut Program) {
    let flags = u32::from(program.byte() & 1);
    let engine = &engines[slot % ENGINE_SLOTS];
    let mut handle = 1 as *mut dlp_stream;
    let status = unsafe { dlp_stream_new(engine.as_ref().map_or(ptr::null(), |e| e.handle), flags, &mut handle) };
    let Some(engine) = engine else {
        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
        assert!(handle.is_null());
        return;
    };
    assert_eq!(status, dlp_status::DLP_OK);
    let target = &mut streams[(slot / ENGINE_SLOTS) % STREAM_SLOTS];
    if let Some(old) = target.take() {
        unsafe { dlp_stream_free(old.handle) };
    }
    *target = Some(StreamSlot {
        handle,
        engine: engine.engine.clone(),
        raw_value: flags != 0,
        fed: Vec::new(),
        found: Vec::new(),
        stopped: false,
        finished: false,
    });
}

fn feed(slot: &mut Option<StreamSlot>, program: &mut Program) {
    let control = program.byte();
    let fragment = program.slice();
    let Some(s) = slot else {
        let status = unsafe { dlp_stream_feed(ptr::null_mut(), fragment.as_ptr(), fragment.len(), Some(on_match), ptr::null_mut()) };
        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
        return;
    };
    let stop_after = stop_count(control);
    let mut receiver = Receiver {
        raw_value: s.raw_value,
        stop_after,
        reenter: if control & 0x8 != 0 { s.handle } else { ptr::null_mut() },
        haystack_base: s.fed.len() as u64,
        haystack: fragment.as_ptr(),
        haystack_len: fragment.len(),
        found: Vec::new(),
    };
    let user_data = (&mut receiver as *mut Receiver).cast::<c_void>();
    // A NULL fragment of length 0 is an empty fragment.
    let data = if fragment.is_empty() && control & 0x10 != 0 { ptr::null() } else { fragment.as_ptr() };
    let status = unsafe { dlp_stream_feed(s.handle, data, fragment.len(), Some(on_match), user_data) };
    if s.finished {
        assert_eq!(status, dlp_status::DLP_ERROR_STREAM_FINISHED);
        return;
    }
    assert_eq!(status, dlp_status::DLP_OK);
    s.stopped |= receiver.found.len() >= stop_after;
    s.fed.extend_from_slice(fragment);
    s.found.extend(receiver.found);
}

fn finish(slot: &mut Option<StreamSlot>) {
    let Some(s) = slot else {
        let status = unsafe { dlp_stream_finish(ptr::null_mut(), Some(on_match), ptr::null_mut()) };
        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
        return;
    };
    let mut receiver = Receiver {
        raw_value: s.raw_value,
        stop_after: usize::MAX,
        reenter: ptr::null_mut(),
        haystack_base: 0,
        haystack: ptr::null(),
        haystack_len: 0,
        found: Vec::new(),
    };
    let user_data = (&mut receiver as *mut Receiver).cast::<c_void>();
    let status = unsafe { dlp_stream_finish(s.handle, Some(on_match), user_data) };
    if s.finished {
        assert_eq!(status, dlp_status::DLP_ERROR_STREAM_FINISHED);
        return;
    }
    assert_eq!(status, dlp_status::DLP_OK);
    s.finished = true;
    s.found.extend(receiver.found);
    if !s.stopped {
        let expected: Vec<_> = s
            .engine
            .scan(&s.fed)
            .iter()
            .map(|m| (m.sensor_index() as u32, m.rule_index() as u32, m.start(), m.end()))
            .collect();
        assert_eq!(s.found, expected, "C stream and Rust block scan disagree");
    }
}

/// Calls with NULL handles, NULL out-pointers, a NULL buffer with a length,
/// a length over `PTRDIFF_MAX`, a NULL callback and unknown flags: each
/// returns its documented error code.
fn null_arguments(engines: &[Option<EngineSlot>], streams: &[Option<StreamSlot>], slot: usize) {
    use dlp::dlp_status::*;
    let engine = engine_handle(engines, slot);
    let byte = b"4111111111111111";
    unsafe {
        assert_eq!(dlp_engine_new_builtin(ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        let mut out = ptr::null_mut();
        assert_eq!(dlp_engine_new_text(ptr::null(), 5, c"o".as_ptr(), &mut out), DLP_ERROR_NULL_ARGUMENT);
        assert!(out.is_null());
        assert_eq!(dlp_engine_new_text(c"x".as_ptr(), 1, c"o".as_ptr(), ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        assert_eq!(dlp_engine_new_file(ptr::null(), &mut out), DLP_ERROR_NULL_ARGUMENT);
        assert_eq!(dlp_engine_sensor_count(ptr::null(), ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        let mut stream = ptr::null_mut();
        assert_eq!(dlp_stream_new(ptr::null(), 0, &mut stream), DLP_ERROR_NULL_ARGUMENT);
        if engine.is_null() {
            return;
        }
        assert_eq!(dlp_engine_scan(engine, ptr::null(), 3, 0, Some(on_match), ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        assert_eq!(
            dlp_engine_scan(engine, byte.as_ptr(), usize::MAX, 0, Some(on_match), ptr::null_mut()),
            DLP_ERROR_INVALID_ARGUMENT
        );
        assert_eq!(dlp_engine_scan(engine, byte.as_ptr(), byte.len(), 0, None, ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        assert_eq!(dlp_stream_new(engine, 0x80, &mut stream), DLP_ERROR_INVALID_ARGUMENT);
        assert!(stream.is_null());
        assert_eq!(dlp_stream_new(engine, 0, ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        if let Some(s) = streams.iter().flatten().next() {
            // Each of these fails before the stream is touched.
            assert_eq!(dlp_stream_feed(s.handle, ptr::null(), 9, Some(on_match), ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
            assert_eq!(
                dlp_stream_feed(s.handle, byte.as_ptr(), (isize::MAX as usize) + 1, Some(on_match), ptr::null_mut()),
                DLP_ERROR_INVALID_ARGUMENT
            );
            assert_eq!(dlp_stream_feed(s.handle, byte.as_ptr(), 1, None, ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
            assert_eq!(dlp_stream_finish(s.handle, None, ptr::null_mut()), DLP_ERROR_NULL_ARGUMENT);
        }
    }
    read_last_error();
}
