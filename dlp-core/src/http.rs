//! Splits an HTTP/1.x stream into contexts (url, header, body).
//!
//! The tracker reads a stream incrementally and records where each context
//! begins. It recognises a message by its first bytes (a request method
//! followed by a space, or `HTTP/1.`), follows `Content-Length` and
//! `Transfer-Encoding: chunked` to find where a body ends, and expects the
//! next message after it. Bytes that do not start a message make the rest
//! of the stream `packet`. Chunk-size lines are reported as body, so a
//! value split by chunk framing is not joined.

use std::collections::VecDeque;

use crate::sensor::Context;

/// The longest prefix needed to decide whether a message starts.
pub(crate) const DETECT_LEN: usize = 8;

/// How much of a header line is kept to read `Content-Length` and
/// `Transfer-Encoding`.
const LINE_KEEP: usize = 48;

const METHODS: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];
const RESPONSE: &[u8] = b"HTTP/1.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Collecting the first bytes of a message in `detect`.
    Detect,
    /// Not HTTP: everything from here on is `packet`.
    Raw,
    /// The method of a request line.
    Method,
    /// The request target.
    Target,
    /// The rest of a start line.
    StartLine,
    /// A header field line, or the empty line ending the headers.
    HeaderLine,
    /// A body with `remaining` bytes left.
    Body,
    /// A body that runs to the end of the stream.
    BodyToEnd,
    /// A chunk-size line.
    ChunkSize,
    /// Chunk data with `remaining` bytes left, then its CRLF.
    ChunkData,
    /// Trailer lines after the last chunk.
    Trailer,
}

/// Incremental HTTP/1.x context tracker for one stream direction.
#[derive(Clone, Debug)]
pub(crate) struct HttpTracker {
    phase: Phase,
    detect: [u8; DETECT_LEN],
    detect_len: usize,
    /// Stream offset of `detect[0]`.
    detect_at: u64,
    is_request: bool,
    line: [u8; LINE_KEEP],
    line_len: usize,
    content_length: Option<u64>,
    chunked: bool,
    remaining: u64,
    chunk_size: u64,
    chunk_digits: bool,
    chunk_ext: bool,
    current: Context,
}

impl HttpTracker {
    pub(crate) fn new() -> HttpTracker {
        HttpTracker {
            phase: Phase::Detect,
            detect: [0; DETECT_LEN],
            detect_len: 0,
            detect_at: 0,
            is_request: false,
            line: [0; LINE_KEEP],
            line_len: 0,
            content_length: None,
            chunked: false,
            remaining: 0,
            chunk_size: 0,
            chunk_digits: false,
            chunk_ext: false,
            current: Context::Packet,
        }
    }

    /// Returns the stream offset up to which contexts are known: bytes
    /// held while a message start is undecided are not.
    pub(crate) fn decided_until(&self, total: u64) -> u64 {
        if self.phase == Phase::Detect {
            self.detect_at
        } else {
            total
        }
    }

    /// Reads `data`, which starts at stream offset `base`, and appends a
    /// `(offset, context)` entry to `out` wherever the context changes.
    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        base: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        let mut i = 0;
        while i < data.len() {
            match self.phase {
                Phase::Raw | Phase::BodyToEnd => return,
                Phase::Body | Phase::ChunkData if self.remaining > 0 => {
                    let left = (data.len() - i) as u64;
                    let skip = self.remaining.min(left);
                    self.remaining -= skip;
                    i += skip as usize;
                    if self.remaining == 0 && self.phase == Phase::Body {
                        self.end_message(base + i as u64);
                    }
                }
                Phase::Detect => {
                    self.detect[self.detect_len] = data[i];
                    self.detect_len += 1;
                    i += 1;
                    self.try_detect(out);
                }
                // Bytes that only matter at the end of their line are
                // skipped with memchr.
                Phase::StartLine | Phase::Trailer => {
                    match memchr::memchr(b'\n', &data[i..]) {
                        Some(k) => {
                            if self.phase == Phase::Trailer {
                                self.line_len += non_cr(&data[i..i + k]);
                            }
                            i += k;
                            self.step(data[i], base + i as u64, out);
                            i += 1;
                        }
                        None => {
                            if self.phase == Phase::Trailer {
                                self.line_len += non_cr(&data[i..]);
                            }
                            i = data.len();
                        }
                    }
                }
                Phase::HeaderLine if self.line_len < LINE_KEEP => {
                    let rest = &data[i..];
                    let newline = memchr::memchr(b'\n', rest);
                    let line = &rest[..newline.unwrap_or(rest.len())];
                    let field = line.strip_suffix(b"\r").unwrap_or(line);
                    // A whole field line without stray carriage returns is
                    // read in place; any other is gathered byte by byte.
                    if self.line_len == 0
                        && newline.is_some()
                        && !field.is_empty()
                        && !field.contains(&b'\r')
                    {
                        self.read_header_field(
                            &field[..field.len().min(LINE_KEEP)],
                        );
                        i += line.len() + 1;
                        continue;
                    }
                    // Past `LINE_KEEP` bytes only a non-zero length
                    // matters.
                    let mut used = 0;
                    while used < line.len() && self.line_len < LINE_KEEP {
                        let byte = line[used];
                        used += 1;
                        if byte != b'\r' {
                            self.line[self.line_len] = byte;
                            self.line_len += 1;
                        }
                    }
                    self.line_len += line.len() - used;
                    i += line.len();
                    if newline.is_some() {
                        self.step(b'\n', base + i as u64, out);
                        i += 1;
                    }
                }
                Phase::HeaderLine => match memchr::memchr(b'\n', &data[i..]) {
                    Some(k) => {
                        i += k;
                        self.step(data[i], base + i as u64, out);
                        i += 1;
                    }
                    None => i = data.len(),
                },
                Phase::Target => {
                    match memchr::memchr3(b' ', b'\r', b'\n', &data[i..]) {
                        Some(k) => {
                            i += k;
                            self.step(data[i], base + i as u64, out);
                            i += 1;
                        }
                        None => i = data.len(),
                    }
                }
                _ => {
                    self.step(data[i], base + i as u64, out);
                    i += 1;
                }
            }
        }
    }

    /// Decides, at the end of the stream, what undecided bytes were.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<(u64, Context)>) {
        if self.phase == Phase::Detect {
            self.phase = Phase::Raw;
            self.set(self.detect_at, Context::Packet, out);
        }
    }

    fn set(
        &mut self,
        at: u64,
        context: Context,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        if self.current != context || out.is_empty() {
            self.current = context;
            out.push_back((at, context));
        }
    }

    fn try_detect(&mut self, out: &mut VecDeque<(u64, Context)>) {
        let seen = &self.detect[..self.detect_len];
        let candidates = METHODS.iter().chain(std::iter::once(&RESPONSE));
        let mut prefix_of_some = false;
        for token in candidates {
            if seen.len() >= token.len() && seen.starts_with(token) {
                let at = self.detect_at;
                let held = self.detect;
                let held_len = self.detect_len;
                self.is_request = *token != RESPONSE;
                self.phase = if self.is_request {
                    Phase::Method
                } else {
                    Phase::StartLine
                };
                self.content_length = None;
                self.chunked = false;
                self.line_len = 0;
                self.set(at, Context::Header, out);
                // Replay the held bytes through the start-line states.
                for (k, &byte) in held[..held_len].iter().enumerate() {
                    self.step(byte, at + k as u64, out);
                }
                return;
            }
            if token.starts_with(seen) {
                prefix_of_some = true;
            }
        }
        if !prefix_of_some {
            self.phase = Phase::Raw;
            self.set(self.detect_at, Context::Packet, out);
        }
    }

    fn step(&mut self, byte: u8, at: u64, out: &mut VecDeque<(u64, Context)>) {
        match self.phase {
            Phase::Method => {
                if byte == b' ' {
                    self.phase = Phase::Target;
                    self.set(at + 1, Context::Url, out);
                }
            }
            Phase::Target => {
                if byte == b' ' || byte == b'\r' || byte == b'\n' {
                    self.phase = Phase::StartLine;
                    self.set(at, Context::Header, out);
                    if byte == b'\n' {
                        self.phase = Phase::HeaderLine;
                    }
                }
            }
            Phase::StartLine => {
                if byte == b'\n' {
                    self.phase = Phase::HeaderLine;
                    self.line_len = 0;
                }
            }
            Phase::HeaderLine => self.header_byte(byte, at, out),
            Phase::ChunkSize => self.chunk_size_byte(byte, at, out),
            Phase::ChunkData => {
                // The CRLF after a chunk's data.
                if byte == b'\n' {
                    self.phase = Phase::ChunkSize;
                    self.chunk_size = 0;
                    self.chunk_digits = false;
                    self.chunk_ext = false;
                }
            }
            Phase::Trailer => {
                if byte == b'\n' {
                    let empty = self.line_len == 0;
                    self.line_len = 0;
                    if empty {
                        self.end_message(at + 1);
                    }
                } else if byte != b'\r' {
                    self.line_len += 1;
                }
            }
            Phase::Detect | Phase::Raw | Phase::Body | Phase::BodyToEnd => {}
        }
    }

    fn header_byte(
        &mut self,
        byte: u8,
        at: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        if byte == b'\r' {
            return;
        }
        if byte != b'\n' {
            if self.line_len < LINE_KEEP {
                self.line[self.line_len] = byte;
            }
            self.line_len += 1;
            return;
        }
        if self.line_len > 0 {
            let line = self.line;
            self.read_header_field(&line[..self.line_len.min(LINE_KEEP)]);
            self.line_len = 0;
            return;
        }
        // The empty line: the body starts after it.
        let body_at = at + 1;
        if self.chunked {
            self.phase = Phase::ChunkSize;
            self.chunk_size = 0;
            self.chunk_digits = false;
            self.chunk_ext = false;
            self.set(body_at, Context::Body, out);
        } else if let Some(length) = self.content_length {
            if length == 0 {
                self.end_message(body_at);
            } else {
                self.phase = Phase::Body;
                self.remaining = length;
                self.set(body_at, Context::Body, out);
            }
        } else if self.is_request {
            self.end_message(body_at);
        } else {
            self.phase = Phase::BodyToEnd;
            self.set(body_at, Context::Body, out);
        }
    }

    /// Reads the first `LINE_KEEP` bytes of a header field line, carriage
    /// returns removed.
    fn read_header_field(&mut self, kept: &[u8]) {
        let Some(colon) = kept.iter().position(|&b| b == b':') else {
            return;
        };
        let name = kept[..colon].trim_ascii();
        let value = kept[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let digits = value.iter().all(u8::is_ascii_digit);
            if digits && !value.is_empty() && value.len() <= 18 {
                let text = std::str::from_utf8(value).unwrap_or("0");
                self.content_length = text.parse().ok();
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.chunked = value.len() >= 7
                && value[value.len() - 7..].eq_ignore_ascii_case(b"chunked");
        }
    }

    fn chunk_size_byte(
        &mut self,
        byte: u8,
        at: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        match byte {
            b'\n' => {
                if !self.chunk_digits {
                    // Not chunk framing after all: treat the rest as body.
                    self.phase = Phase::BodyToEnd;
                } else if self.chunk_size == 0 {
                    self.phase = Phase::Trailer;
                    self.line_len = 0;
                } else {
                    self.phase = Phase::ChunkData;
                    self.remaining = self.chunk_size;
                }
            }
            b'\r' => {}
            b';' => self.chunk_ext = true,
            _ if self.chunk_ext => {}
            _ => match (byte as char).to_digit(16) {
                Some(digit) if self.chunk_size < (1 << 56) => {
                    self.chunk_size = self.chunk_size * 16 + u64::from(digit);
                    self.chunk_digits = true;
                }
                _ => {
                    self.phase = Phase::BodyToEnd;
                    self.set(at, Context::Body, out);
                }
            },
        }
    }

    fn end_message(&mut self, at: u64) {
        self.phase = Phase::Detect;
        self.detect_len = 0;
        self.detect_at = at;
    }
}

/// Returns how many bytes of `line` are not carriage returns: a trailer
/// line of only `\r` is empty.
fn non_cr(line: &[u8]) -> usize {
    line.len() - memchr::memchr_iter(b'\r', line).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts(stream: &[u8], cuts: &[usize]) -> Vec<(u64, Context)> {
        let mut tracker = HttpTracker::new();
        let mut out = VecDeque::new();
        let mut start = 0;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            tracker.feed(&stream[start..cut], start as u64, &mut out);
            start = cut;
        }
        tracker.finish(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn request_with_body() {
        let req = b"POST /up?x=1 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\n\r\n";
        let got = contexts(req, &[]);
        let body = req.windows(4).position(|w| w == b"abcd").unwrap() as u64;
        assert_eq!(got[0], (0, Context::Header));
        assert_eq!(got[1], (5, Context::Url));
        assert_eq!(got[2], (12, Context::Header));
        assert_eq!(got[3], (body, Context::Body));
        assert_eq!(got[4], (body + 4, Context::Header));
        assert_eq!(got[5], (body + 8, Context::Url));
    }

    #[test]
    fn split_invariance() {
        let req = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest";
        let whole = contexts(req, &[]);
        for cut in 1..req.len() {
            assert_eq!(contexts(req, &[cut]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn header_fields_read_in_place_or_gathered_agree() {
        // Mixed case names, a stray carriage return inside a name, a line
        // longer than `LINE_KEEP`, and an empty field value.
        let req = b"POST /a HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nContent-LENGTH: 3\r\nX-Empty:\r\n\r\nabc\
HTTP/1.1 200 OK\r\nTransfer-Enc\roding: Chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        let whole = contexts(req, &[]);
        // The stray carriage return does not hide the chunked framing,
        // and the three-byte body ends where the response starts.
        let response =
            req.windows(12).position(|w| w == b"HTTP/1.1 200").unwrap() as u64;
        assert!(whole.contains(&(response - 3, Context::Body)), "{whole:?}");
        assert!(whole.contains(&(response, Context::Header)), "{whole:?}");
        // The chunked body ends after its CRLF trailer: the request after
        // it is seen.
        let get = req.windows(4).position(|w| w == b"GET ").unwrap() as u64;
        assert!(whole.contains(&(get, Context::Header)), "{whole:?}");
        for cut in 1..req.len() {
            assert_eq!(contexts(req, &[cut]), whole, "cut at {cut}");
            let other = (cut * 7 + 3) % req.len();
            let mut cuts = [cut, other];
            cuts.sort_unstable();
            assert_eq!(contexts(req, &cuts), whole, "cuts at {cuts:?}");
        }
    }

    #[test]
    fn not_http_is_packet() {
        assert_eq!(contexts(b"hello world", &[]), vec![(0, Context::Packet)]);
        assert_eq!(contexts(b"GE", &[]), vec![(0, Context::Packet)]);
    }
}
