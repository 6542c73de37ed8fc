//! A minimal binding to Hyperscan (libhs 5.x), for the comparison table.
//!
//! Only what the table needs: compile a pattern set for block or stream
//! mode, scan a buffer, stream fragments, and read the stream state
//! size. Hyperscan reports end offsets only (no start of match, no
//! validation). Enabled by the `hyperscan` feature; links `libhs`.

use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void, CStr, CString};
use std::ptr;

use crate::engines::Hit;

#[repr(C)]
struct HsDatabase {
    _private: [u8; 0],
}
#[repr(C)]
struct HsScratch {
    _private: [u8; 0],
}
#[repr(C)]
struct HsStream {
    _private: [u8; 0],
}
#[repr(C)]
struct HsCompileError {
    message: *mut c_char,
    expression: c_int,
}

type MatchHandler = Option<
    unsafe extern "C" fn(
        id: c_uint,
        from: c_ulonglong,
        to: c_ulonglong,
        flags: c_uint,
        context: *mut c_void,
    ) -> c_int,
>;

#[link(name = "hs")]
extern "C" {
    fn hs_compile_multi(
        expressions: *const *const c_char,
        flags: *const c_uint,
        ids: *const c_uint,
        elements: c_uint,
        mode: c_uint,
        platform: *const c_void,
        db: *mut *mut HsDatabase,
        error: *mut *mut HsCompileError,
    ) -> c_int;
    fn hs_free_compile_error(error: *mut HsCompileError) -> c_int;
    fn hs_free_database(db: *mut HsDatabase) -> c_int;
    fn hs_alloc_scratch(
        db: *const HsDatabase,
        scratch: *mut *mut HsScratch,
    ) -> c_int;
    fn hs_free_scratch(scratch: *mut HsScratch) -> c_int;
    fn hs_scan(
        db: *const HsDatabase,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut HsScratch,
        on_event: MatchHandler,
        context: *mut c_void,
    ) -> c_int;
    fn hs_open_stream(
        db: *const HsDatabase,
        flags: c_uint,
        stream: *mut *mut HsStream,
    ) -> c_int;
    fn hs_scan_stream(
        stream: *mut HsStream,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut HsScratch,
        on_event: MatchHandler,
        context: *mut c_void,
    ) -> c_int;
    fn hs_close_stream(
        stream: *mut HsStream,
        scratch: *mut HsScratch,
        on_event: MatchHandler,
        context: *mut c_void,
    ) -> c_int;
    fn hs_stream_size(db: *const HsDatabase, size: *mut usize) -> c_int;
    fn hs_version() -> *const c_char;
}

const HS_SUCCESS: c_int = 0;
const HS_MODE_BLOCK: c_uint = 1;
const HS_MODE_STREAM: c_uint = 2;

/// Block or stream mode: a Hyperscan database is compiled for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `HS_MODE_BLOCK`.
    Block,
    /// `HS_MODE_STREAM`.
    Stream,
}

/// A compiled Hyperscan database with its scratch space.
pub struct Database {
    db: *mut HsDatabase,
    scratch: *mut HsScratch,
    mode: Mode,
}

/// Returns the library's version string, such as `5.4.0 2023-01-15`.
pub fn version() -> String {
    // SAFETY: hs_version returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(hs_version()) }.to_string_lossy().into_owned()
}

unsafe extern "C" fn count_hit(
    _id: c_uint,
    _from: c_ulonglong,
    _to: c_ulonglong,
    _flags: c_uint,
    context: *mut c_void,
) -> c_int {
    // SAFETY: every scan passes a `*mut usize` as the context.
    unsafe { *(context as *mut usize) += 1 };
    0
}

unsafe extern "C" fn collect_hit(
    id: c_uint,
    _from: c_ulonglong,
    to: c_ulonglong,
    _flags: c_uint,
    context: *mut c_void,
) -> c_int {
    // SAFETY: `collect_hits` passes a `*mut Vec<Hit>` as the context.
    let hits = unsafe { &mut *(context as *mut Vec<Hit>) };
    hits.push((id as usize, to));
    0
}

impl Database {
    /// Compiles `patterns` with default flags (pattern `i` gets id `i`).
    ///
    /// # Errors
    ///
    /// Returns Hyperscan's message and the pattern it rejected.
    pub fn compile(patterns: &[&str], mode: Mode) -> Result<Database, String> {
        let owned: Vec<CString> = patterns
            .iter()
            .map(|p| CString::new(*p).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let pointers: Vec<*const c_char> =
            owned.iter().map(|p| p.as_ptr()).collect();
        let flags = vec![0 as c_uint; patterns.len()];
        let ids: Vec<c_uint> = (0..patterns.len() as c_uint).collect();
        let hs_mode = match mode {
            Mode::Block => HS_MODE_BLOCK,
            Mode::Stream => HS_MODE_STREAM,
        };
        let mut db = ptr::null_mut();
        let mut error = ptr::null_mut();
        // SAFETY: the arrays have `patterns.len()` elements and outlive
        // the call; `db` and `error` are out-parameters.
        let rc = unsafe {
            hs_compile_multi(
                pointers.as_ptr(),
                flags.as_ptr(),
                ids.as_ptr(),
                patterns.len() as c_uint,
                hs_mode,
                ptr::null(),
                &mut db,
                &mut error,
            )
        };
        if rc != HS_SUCCESS {
            // SAFETY: on failure `error` points to a compile error that
            // we free after reading.
            let message = unsafe {
                let e = &*error;
                let text = CStr::from_ptr(e.message).to_string_lossy();
                let which = usize::try_from(e.expression)
                    .ok()
                    .and_then(|i| patterns.get(i))
                    .copied()
                    .unwrap_or("(whole set)");
                let out =
                    format!("hs_compile_multi failed: {text} in {which:?}");
                hs_free_compile_error(error);
                out
            };
            return Err(message);
        }
        let mut scratch = ptr::null_mut();
        // SAFETY: `db` is a valid database.
        let rc = unsafe { hs_alloc_scratch(db, &mut scratch) };
        if rc != HS_SUCCESS {
            // SAFETY: `db` is valid and not used again.
            unsafe { hs_free_database(db) };
            return Err(format!("hs_alloc_scratch failed with code {rc}"));
        }
        Ok(Database { db, scratch, mode })
    }

    /// Returns the bytes of one open stream's state (`hs_stream_size`),
    /// or `None` for a block-mode database.
    pub fn stream_size(&self) -> Option<usize> {
        if self.mode != Mode::Stream {
            return None;
        }
        let mut size = 0;
        // SAFETY: `self.db` is a valid stream-mode database.
        let rc = unsafe { hs_stream_size(self.db, &mut size) };
        (rc == HS_SUCCESS).then_some(size)
    }

    /// Scans `haystack` in block mode and returns the hit count.
    pub fn block_count(&self, haystack: &[u8]) -> usize {
        assert_eq!(
            self.mode,
            Mode::Block,
            "block scan needs a block database"
        );
        let mut count = 0usize;
        self.scan_block(
            haystack,
            Some(count_hit),
            &mut count as *mut usize as *mut c_void,
        );
        count
    }

    /// Streams `haystack` in `fragment`-byte pieces and returns the hit
    /// count.
    pub fn stream_count(&self, haystack: &[u8], fragment: usize) -> usize {
        let mut count = 0usize;
        self.scan_stream(
            haystack,
            fragment,
            Some(count_hit),
            &mut count as *mut usize as *mut c_void,
        );
        count
    }

    /// Returns every hit of a block or stream scan (stream mode in
    /// 1460-byte pieces).
    pub fn collect_hits(&self, haystack: &[u8]) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        let context = &mut hits as *mut Vec<Hit> as *mut c_void;
        match self.mode {
            Mode::Block => {
                self.scan_block(haystack, Some(collect_hit), context)
            }
            Mode::Stream => {
                self.scan_stream(haystack, 1460, Some(collect_hit), context)
            }
        }
        hits
    }

    fn scan_block(
        &self,
        haystack: &[u8],
        handler: MatchHandler,
        context: *mut c_void,
    ) {
        let length = c_uint::try_from(haystack.len())
            .expect("hs_scan takes at most 4 GiB");
        // SAFETY: the database and scratch are valid, and `context` is
        // the type `handler` expects.
        let rc = unsafe {
            hs_scan(
                self.db,
                haystack.as_ptr() as *const c_char,
                length,
                0,
                self.scratch,
                handler,
                context,
            )
        };
        assert_eq!(rc, HS_SUCCESS, "hs_scan failed");
    }

    fn scan_stream(
        &self,
        haystack: &[u8],
        fragment: usize,
        handler: MatchHandler,
        context: *mut c_void,
    ) {
        assert_eq!(
            self.mode,
            Mode::Stream,
            "streaming needs a stream database"
        );
        let mut stream = ptr::null_mut();
        // SAFETY: the database is a valid stream-mode database; the
        // stream is closed below, and `context` is the type `handler`
        // expects.
        unsafe {
            let rc = hs_open_stream(self.db, 0, &mut stream);
            assert_eq!(rc, HS_SUCCESS, "hs_open_stream failed");
            for piece in haystack.chunks(fragment) {
                let rc = hs_scan_stream(
                    stream,
                    piece.as_ptr() as *const c_char,
                    piece.len() as c_uint,
                    0,
                    self.scratch,
                    handler,
                    context,
                );
                assert_eq!(rc, HS_SUCCESS, "hs_scan_stream failed");
            }
            let rc = hs_close_stream(stream, self.scratch, handler, context);
            assert_eq!(rc, HS_SUCCESS, "hs_close_stream failed");
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: both were allocated by Hyperscan and are freed once.
        unsafe {
            hs_free_scratch(self.scratch);
            hs_free_database(self.db);
        }
    }
}
