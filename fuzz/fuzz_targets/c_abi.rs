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
//!
//! Compiling an engine costs far more than the calls around it, so the
//! engines of a few fixed definitions are built once per process and the
//! input picks among them. Each input may also build up to `MAX_BUILDS`
//! engines anew: from its own bytes, or the small definition that it then
//! frees while streams on it are open.

#![no_main]

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

use dlp::*;
use dlp_core::Engine;
use libfuzzer_sys::fuzz_target;

const ENGINE_SLOTS: usize = 4;
const STREAM_SLOTS: usize = 8;
/// Operations after this many are ignored, to bound the time per input.
const MAX_OPS: usize = 256;

/// A C engine handle and the Rust engine built from the same definitions.
struct EngineSlot {
    handle: *mut dlp_engine,
    engine: Engine,
    /// Whether this slot frees the handle. Shared handles live as long as
    /// the process.
    owned: bool,
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

unsafe extern "C" fn on_match(
    found: *const dlp_match,
    user_data: *mut c_void,
) -> c_int {
    let receiver = unsafe { &mut *user_data.cast::<Receiver>() };
    let found = unsafe { &*found };
    for text in [
        found.sensor,
        found.rule,
        found.context,
        found.severity,
        found.confidence,
    ] {
        assert!(!text.is_null());
        let _ = unsafe { CStr::from_ptr(text) }.to_bytes();
    }
    assert!(found.start < found.end);
    let masked = unsafe { CStr::from_ptr(found.masked) }.to_bytes();
    assert_eq!(masked.len(), found.masked_len);
    assert_eq!(
        found.masked_len as u64,
        found.end - found.start,
        "masked length differs"
    );
    if receiver.raw_value {
        assert_eq!(found.value_len, found.masked_len);
        let value = unsafe {
            std::slice::from_raw_parts(found.value, found.value_len)
        };
        // A value inside the fragment given to this call must be its bytes;
        // a value across the cut comes from the stream's tail.
        let start = found.start.checked_sub(receiver.haystack_base);
        if let Some(start) = start {
            let start = start as usize;
            if start + value.len() <= receiver.haystack_len {
                let haystack = unsafe {
                    std::slice::from_raw_parts(
                        receiver.haystack,
                        receiver.haystack_len,
                    )
                };
                assert_eq!(value, &haystack[start..start + value.len()]);
            }
        }
    } else {
        assert!(
            found.value.is_null(),
            "raw value given without DLP_FLAG_RAW_VALUE"
        );
        assert_eq!(found.value_len, 0);
    }
    if !receiver.reenter.is_null() {
        let status = unsafe {
            dlp_stream_feed(
                receiver.reenter,
                b"x".as_ptr(),
                1,
                Some(on_match),
                user_data,
            )
        };
        assert_eq!(status, dlp_status::DLP_ERROR_STREAM_BUSY);
    }
    receiver.found.push((
        found.sensor_index,
        found.rule_index,
        found.start,
        found.end,
    ));
    if receiver.found.len() >= receiver.stop_after {
        DLP_STOP
    } else {
        DLP_CONTINUE
    }
}

/// A small engine definition.
const SMALL_SENSORS: &str =
    "[[sensor]]\nname = 'pin'\n[[sensor.rule]]\nname = 'code'\n\
hotwords = ['pin']\n[[sensor.rule.pattern]]\nvalue = 'k[0-9]{4}'\n";

/// Two sensors with what the other definitions leave out: a mask, the
/// `iban` validator, a rule confidence and `boundary = "word"`.
const MASKED_SENSORS: &str = "[[sensor]]\nname = 'account'\nseverity = 'medium'\n\
mask = { keep_first = 2, keep_last = 2 }\n[[sensor.rule]]\nname = 'iban'\nvalidator = 'iban'\n\
confidence = 'medium'\n[[sensor.rule.pattern]]\nvalue = '[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}'\n\
[[sensor]]\nname = 'word'\n[[sensor.rule]]\nname = 'secret'\nboundary = 'word'\n\
hotwords = ['secret']\nhotword_window = 4\n[[sensor.rule.pattern]]\nvalue = 's3cr[e3]t'\n";

/// Valid definition texts, which op 0 picks from. Op 15 builds the first
/// one anew.
const VALID_DEFINITIONS: [&str; 3] =
    [SMALL_SENSORS, dlp_fuzz::CUSTOM_SENSORS, MASKED_SENSORS];

/// Invalid definition texts, one per kind of error, which op 0 picks from
/// after the valid ones.
const INVALID_DEFINITIONS: [&[u8]; 6] = [
    // TOML syntax.
    b"[[sensor]\nname = 'broken'\n",
    // A pattern that is not a regex.
    b"[[sensor]]\nname = 's'\n[[sensor.rule]]\nname = 'r'\n[[sensor.rule.pattern]]\nvalue = '(['\n",
    // An unknown validator.
    b"[[sensor]]\nname = 's'\n[[sensor.rule]]\nname = 'r'\nvalidator = 'nope'\n[[sensor.rule.pattern]]\nvalue = 'a'\n",
    // An unknown context.
    b"[[sensor]]\nname = 's'\n[[sensor.rule]]\nname = 'r'\n[[sensor.rule.pattern]]\nvalue = 'a'\ncontext = 'cookie'\n",
    // A sensor with no rule.
    b"[[sensor]]\nname = 's'\n",
    // Not UTF-8.
    b"[[sensor]]\nname = '\xff'\n",
];

/// Maximum number of engines built per input, from the input's own bytes
/// (op 1) or anew from the small definition (op 15). Past it, op 1 only
/// consumes its operand and op 15 takes the shared small engine, because
/// each build compiles regexes and would dominate the time per input.
const MAX_BUILDS: usize = 2;

/// The outcome that a build from a definition text must have.
enum Expected {
    Engine(Engine),
    /// The text is UTF-8 but invalid. The C message is the function name
    /// followed by this error's text, and the error getters return its
    /// origin, sensor and rule.
    Invalid {
        message: String,
        sensor: Option<String>,
        rule: Option<String>,
    },
    NotUtf8,
}

impl Expected {
    fn of(text: &[u8]) -> Expected {
        let Ok(text) = std::str::from_utf8(text) else {
            return Expected::NotUtf8;
        };
        match Engine::from_toml(text, "<fuzz>") {
            Ok(engine) => Expected::Engine(engine),
            Err(error) => Expected::Invalid {
                message: error.to_string(),
                sensor: error.sensor().map(str::to_owned),
                rule: error.rule().map(str::to_owned),
            },
        }
    }
}

/// Returns the engines of [`VALID_DEFINITIONS`], each built once per
/// process through the C API (the handle, never freed) and in Rust.
fn valid_engines() -> &'static [(usize, Engine)] {
    static ENGINES: OnceLock<Vec<(usize, Engine)>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        VALID_DEFINITIONS
            .iter()
            .map(|text| {
                let engine = Engine::from_toml(text, "<fuzz>")
                    .expect("the fixed valid definitions load");
                let (status, handle) = build_c(text.as_bytes());
                assert_eq!(status, dlp_status::DLP_OK);
                (handle as usize, engine)
            })
            .collect()
    })
}

/// Returns what each of [`INVALID_DEFINITIONS`] must fail with, computed
/// once per process.
fn invalid_expectations() -> &'static [Expected] {
    static EXPECTED: OnceLock<Vec<Expected>> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        INVALID_DEFINITIONS
            .iter()
            .map(|text| {
                let expected = Expected::of(text);
                assert!(
                    !matches!(expected, Expected::Engine(_)),
                    "a fixed invalid definition loads"
                );
                expected
            })
            .collect()
    })
}

/// Returns the shared built-in (`which` 0) or custom (1) engine. The
/// built-in one is built once per process, and the custom one is
/// `dlp_fuzz::CUSTOM_SENSORS` from [`valid_engines`]. The handles are
/// never freed.
fn shared_engine(which: usize) -> (*mut dlp_engine, Engine) {
    static BUILTIN: OnceLock<usize> = OnceLock::new();
    if which == 0 {
        let handle = *BUILTIN.get_or_init(|| {
            let mut builtin = ptr::null_mut();
            let status = unsafe { dlp_engine_new_builtin(&mut builtin) };
            assert_eq!(status, dlp_status::DLP_OK);
            builtin as usize
        });
        return (handle as *mut dlp_engine, Engine::builtin());
    }
    let (handle, engine) = &valid_engines()[1];
    (*handle as *mut dlp_engine, engine.clone())
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
        u32::from_le_bytes([
            self.byte(),
            self.byte(),
            self.byte(),
            self.byte(),
        ])
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
    let mut engines: Vec<Option<EngineSlot>> =
        (0..ENGINE_SLOTS).map(|_| None).collect();
    let mut streams: Vec<Option<StreamSlot>> =
        (0..STREAM_SLOTS).map(|_| None).collect();
    let mut builds = 0;
    for _ in 0..MAX_OPS {
        if program.bytes.is_empty() {
            break;
        }
        let op = program.byte();
        let slot = usize::from(program.byte());
        match op % 16 {
            0 => pick_definition(
                &mut engines[slot % ENGINE_SLOTS],
                slot / ENGINE_SLOTS,
            ),
            1 => {
                let text = program.slice();
                if builds < MAX_BUILDS {
                    builds += 1;
                    new_text(
                        &mut engines[slot % ENGINE_SLOTS],
                        text,
                        &Expected::of(text),
                    );
                }
            }
            2 => {
                // The shared built-in or custom engine, by the slot's top bit.
                let (handle, engine) = shared_engine(slot >> 7);
                replace_engine(
                    &mut engines[slot % ENGINE_SLOTS],
                    EngineSlot { handle, engine, owned: false },
                );
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
                let handle = streams[slot % STREAM_SLOTS]
                    .as_ref()
                    .map_or(ptr::null_mut(), |s| s.handle);
                let mut offset = u64::MAX;
                let status = unsafe { dlp_stream_offset(handle, &mut offset) };
                match &streams[slot % STREAM_SLOTS] {
                    Some(s) => {
                        assert_eq!(status, dlp_status::DLP_OK);
                        assert_eq!(offset, s.fed.len() as u64);
                    }
                    None => {
                        assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT)
                    }
                }
                let status =
                    unsafe { dlp_stream_offset(handle, ptr::null_mut()) };
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
            15 => {
                // The small definition built anew, so that freeing an
                // engine while its streams are open is exercised. It is
                // the cheapest of the valid definitions to compile.
                let target = &mut engines[slot % ENGINE_SLOTS];
                if builds < MAX_BUILDS {
                    builds += 1;
                    let expected =
                        Expected::Engine(valid_engines()[0].1.clone());
                    new_text(target, SMALL_SENSORS.as_bytes(), &expected);
                } else {
                    pick_definition(target, 0);
                }
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

fn engine_handle(
    engines: &[Option<EngineSlot>],
    slot: usize,
) -> *mut dlp_engine {
    engines[slot % ENGINE_SLOTS].as_ref().map_or(ptr::null_mut(), |e| e.handle)
}

fn free_engine(slot: EngineSlot) {
    if slot.owned {
        unsafe { dlp_engine_free(slot.handle) };
    }
}

fn replace_engine(slot: &mut Option<EngineSlot>, engine: EngineSlot) {
    if let Some(old) = slot.replace(engine) {
        free_engine(old);
    }
}

fn read_last_error() {
    for text in [
        dlp_last_error_message(),
        dlp_last_error_origin(),
        dlp_last_error_sensor(),
        dlp_last_error_rule(),
    ] {
        if !text.is_null() {
            let _ = unsafe { CStr::from_ptr(text) }.to_bytes();
        }
    }
}

/// Returns a C string from the error getters as text, or `None` for NULL.
/// The getters return Rust strings cut at their first NUL, which are
/// UTF-8, so the lossy conversion keeps every byte and makes assertion
/// messages readable.
fn c_text(text: *const c_char) -> Option<String> {
    (!text.is_null()).then(|| {
        unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
    })
}

/// Returns `text` up to its first NUL, as the C API cuts its strings.
fn cut_at_nul(text: &str) -> &str {
    text.split('\0').next().unwrap_or_default()
}

/// Calls `dlp_engine_new_text` with the origin `<fuzz>` and returns its
/// status and the handle it stored.
fn build_c(text: &[u8]) -> (dlp_status, *mut dlp_engine) {
    // Not NULL, to check that a failed build clears it.
    let mut handle = std::ptr::dangling_mut::<dlp_engine>();
    let origin = c"<fuzz>";
    let status = unsafe {
        dlp_engine_new_text(
            text.as_ptr().cast::<c_char>(),
            text.len(),
            origin.as_ptr(),
            &mut handle,
        )
    };
    (status, handle)
}

/// Puts the shared engine of a valid definition in `slot`, or checks that
/// an invalid one fails to build, which leaves `slot` as it was.
fn pick_definition(slot: &mut Option<EngineSlot>, choice: usize) {
    let choice =
        choice % (VALID_DEFINITIONS.len() + INVALID_DEFINITIONS.len());
    if let Some((handle, engine)) = valid_engines().get(choice) {
        let engine = EngineSlot {
            handle: *handle as *mut dlp_engine,
            engine: engine.clone(),
            owned: false,
        };
        replace_engine(slot, engine);
        return;
    }
    let index = choice - VALID_DEFINITIONS.len();
    new_text(slot, INVALID_DEFINITIONS[index], &invalid_expectations()[index]);
}

/// Builds an engine from `text` through the C API and checks the outcome
/// against `expected`. A new engine replaces the one in `slot`, and a
/// failed build leaves `slot` as it was.
fn new_text(slot: &mut Option<EngineSlot>, text: &[u8], expected: &Expected) {
    let (status, handle) = build_c(text);
    if let Expected::Engine(engine) = expected {
        assert_eq!(status, dlp_status::DLP_OK);
        assert!(!handle.is_null());
        replace_engine(
            slot,
            EngineSlot { handle, engine: engine.clone(), owned: true },
        );
        return;
    }
    assert_eq!(status, dlp_status::DLP_ERROR_DEFINITION);
    assert!(handle.is_null(), "a failed build left a handle");
    let message = c_text(dlp_last_error_message())
        .expect("a failed build stores a message");
    match expected {
        Expected::Invalid { message: rust_message, sensor, rule } => {
            let full = format!("dlp_engine_new_text: {rust_message}");
            assert_eq!(
                message,
                cut_at_nul(&full),
                "the C message differs from the Rust error"
            );
            assert_eq!(
                c_text(dlp_last_error_origin()).as_deref(),
                Some("<fuzz>")
            );
            assert_eq!(
                c_text(dlp_last_error_sensor()).as_deref(),
                sensor.as_deref().map(cut_at_nul)
            );
            assert_eq!(
                c_text(dlp_last_error_rule()).as_deref(),
                rule.as_deref().map(cut_at_nul)
            );
        }
        Expected::NotUtf8 => {
            let prefix =
                "dlp_engine_new_text: <fuzz>: the definition is not UTF-8";
            assert!(
                message.starts_with(prefix),
                "unexpected message: {message:?}"
            );
        }
        Expected::Engine(_) => unreachable!("handled above"),
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
    let status = unsafe {
        dlp_engine_sensor_get(engine, sensor_index, info.as_mut_ptr())
    };
    if sensor_index < count {
        assert_eq!(status, dlp_status::DLP_OK);
        let info = unsafe { info.assume_init() };
        let _ = unsafe { CStr::from_ptr(info.name) };
    } else {
        assert_eq!(status, dlp_status::DLP_ERROR_INVALID_ARGUMENT);
    }
    let mut rule = std::mem::MaybeUninit::<dlp_rule_info>::uninit();
    let status = unsafe {
        dlp_engine_rule_get(
            engine,
            sensor_index,
            rule_index,
            rule.as_mut_ptr(),
        )
    };
    if status == dlp_status::DLP_OK {
        let rule = unsafe { rule.assume_init() };
        let _ = unsafe { CStr::from_ptr(rule.name) };
        let _ = unsafe { CStr::from_ptr(rule.context) };
    } else {
        assert_eq!(status, dlp_status::DLP_ERROR_INVALID_ARGUMENT);
    }
    let status = unsafe { dlp_engine_sensor_get(engine, 0, ptr::null_mut()) };
    assert_eq!(status, dlp_status::DLP_ERROR_NULL_ARGUMENT);
    let status =
        unsafe { dlp_engine_sensor_get(engine, usize::MAX, ptr::null_mut()) };
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
    let flags = if control & 0x80 != 0 {
        program.u32()
    } else {
        u32::from(control & 1)
    };
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
    let status = unsafe {
        dlp_engine_scan(
            handle,
            haystack.as_ptr(),
            haystack.len(),
            flags,
            Some(on_match),
            user_data,
        )
    };
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
        .map(|m| {
            (
                m.sensor_index() as u32,
                m.rule_index() as u32,
                m.start(),
                m.end(),
            )
        })
        .take(stop_after)
        .collect();
    assert_eq!(receiver.found, expected, "C scan and Rust scan disagree");
}

fn open_stream(
    engines: &[Option<EngineSlot>],
    streams: &mut [Option<StreamSlot>],
    slot: usize,
    program: &mut Program,
) {
    let flags = u32::from(program.byte() & 1);
    let engine = &engines[slot % ENGINE_SLOTS];
    let mut handle = std::ptr::dangling_mut::<dlp_stream>();
    let status = unsafe {
        dlp_stream_new(
            engine.as_ref().map_or(ptr::null(), |e| e.handle),
            flags,
            &mut handle,
        )
    };
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
        let status = unsafe {
            dlp_stream_feed(
                ptr::null_mut(),
                fragment.as_ptr(),
                fragment.len(),
                Some(on_match),
                ptr::null_mut(),
            )
        };
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
    let data = if fragment.is_empty() && control & 0x10 != 0 {
        ptr::null()
    } else {
        fragment.as_ptr()
    };
    let status = unsafe {
        dlp_stream_feed(
            s.handle,
            data,
            fragment.len(),
            Some(on_match),
            user_data,
        )
    };
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
        let status = unsafe {
            dlp_stream_finish(ptr::null_mut(), Some(on_match), ptr::null_mut())
        };
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
    let status =
        unsafe { dlp_stream_finish(s.handle, Some(on_match), user_data) };
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
            .map(|m| {
                (
                    m.sensor_index() as u32,
                    m.rule_index() as u32,
                    m.start(),
                    m.end(),
                )
            })
            .collect();
        assert_eq!(s.found, expected, "C stream and Rust block scan disagree");
    }
}

/// Calls with NULL handles, NULL out-pointers, a NULL buffer with a length,
/// a length over `PTRDIFF_MAX`, a NULL callback and unknown flags: each
/// returns its documented error code.
fn null_arguments(
    engines: &[Option<EngineSlot>],
    streams: &[Option<StreamSlot>],
    slot: usize,
) {
    use dlp::dlp_status::*;
    let engine = engine_handle(engines, slot);
    let byte = b"4111111111111111";
    unsafe {
        assert_eq!(
            dlp_engine_new_builtin(ptr::null_mut()),
            DLP_ERROR_NULL_ARGUMENT
        );
        let mut out = ptr::null_mut();
        assert_eq!(
            dlp_engine_new_text(ptr::null(), 5, c"o".as_ptr(), &mut out),
            DLP_ERROR_NULL_ARGUMENT
        );
        assert!(out.is_null());
        assert_eq!(
            dlp_engine_new_text(
                c"x".as_ptr(),
                1,
                c"o".as_ptr(),
                ptr::null_mut()
            ),
            DLP_ERROR_NULL_ARGUMENT
        );
        assert_eq!(
            dlp_engine_new_file(ptr::null(), &mut out),
            DLP_ERROR_NULL_ARGUMENT
        );
        assert_eq!(
            dlp_engine_sensor_count(ptr::null(), ptr::null_mut()),
            DLP_ERROR_NULL_ARGUMENT
        );
        let mut stream = ptr::null_mut();
        assert_eq!(
            dlp_stream_new(ptr::null(), 0, &mut stream),
            DLP_ERROR_NULL_ARGUMENT
        );
        if engine.is_null() {
            return;
        }
        assert_eq!(
            dlp_engine_scan(
                engine,
                ptr::null(),
                3,
                0,
                Some(on_match),
                ptr::null_mut()
            ),
            DLP_ERROR_NULL_ARGUMENT
        );
        assert_eq!(
            dlp_engine_scan(
                engine,
                byte.as_ptr(),
                usize::MAX,
                0,
                Some(on_match),
                ptr::null_mut()
            ),
            DLP_ERROR_INVALID_ARGUMENT
        );
        assert_eq!(
            dlp_engine_scan(
                engine,
                byte.as_ptr(),
                byte.len(),
                0,
                None,
                ptr::null_mut()
            ),
            DLP_ERROR_NULL_ARGUMENT
        );
        assert_eq!(
            dlp_stream_new(engine, 0x80, &mut stream),
            DLP_ERROR_INVALID_ARGUMENT
        );
        assert!(stream.is_null());
        assert_eq!(
            dlp_stream_new(engine, 0, ptr::null_mut()),
            DLP_ERROR_NULL_ARGUMENT
        );
        if let Some(s) = streams.iter().flatten().next() {
            // Each of these fails before the stream is touched.
            assert_eq!(
                dlp_stream_feed(
                    s.handle,
                    ptr::null(),
                    9,
                    Some(on_match),
                    ptr::null_mut()
                ),
                DLP_ERROR_NULL_ARGUMENT
            );
            assert_eq!(
                dlp_stream_feed(
                    s.handle,
                    byte.as_ptr(),
                    (isize::MAX as usize) + 1,
                    Some(on_match),
                    ptr::null_mut()
                ),
                DLP_ERROR_INVALID_ARGUMENT
            );
            assert_eq!(
                dlp_stream_feed(
                    s.handle,
                    byte.as_ptr(),
                    1,
                    None,
                    ptr::null_mut()
                ),
                DLP_ERROR_NULL_ARGUMENT
            );
            assert_eq!(
                dlp_stream_finish(s.handle, None, ptr::null_mut()),
                DLP_ERROR_NULL_ARGUMENT
            );
        }
    }
    read_last_error();
}
