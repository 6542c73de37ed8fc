//! Splits an HTTP/1.x stream into contexts (url, header, body).
//!
//! The tracker reads a stream incrementally and records where each context
//! begins. It recognises a message by its first bytes (a request method
//! followed by a space, or `HTTP/1.`), follows `Content-Length` and
//! `Transfer-Encoding: chunked` to find where a body ends, and expects the
//! next message after it. Bytes that do not start a message make the rest
//! of the stream `packet`. Chunk-size lines are reported as body, so a
//! value split by chunk framing is not joined.
//!
//! Header field lines are parsed byte by byte as they arrive, so the
//! tracker keeps no line buffer: it fits in 32 bytes, a quarter of the
//! state budget of a stream. Most lines are skipped at once: a line
//! whose first bytes rule out the two field names it reads, and the
//! first bytes of a message when they are all at hand.

use std::collections::VecDeque;

use crate::sensor::Context;

/// The longest prefix needed to decide whether a message starts.
pub(crate) const DETECT_LEN: usize = 8;

/// The tokens that start a message: a request method and its space,
/// or the start of a response.
const STARTS: [&[u8]; 10] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    RESPONSE,
];
const RESPONSE: &[u8] = b"HTTP/1.";

// Every token fits in the held bytes, and none is a prefix of another,
// so the first token the held bytes begin with is the only one.
const _: () = {
    let mut k = 0;
    while k < STARTS.len() {
        assert!(STARTS[k].len() <= DETECT_LEN);
        let mut other = 0;
        while other < STARTS.len() {
            let (a, b) = (STARTS[k], STARTS[other]);
            let mut same = 0;
            while same < a.len() && same < b.len() && a[same] == b[same] {
                same += 1;
            }
            assert!(k == other || (same < a.len() && same < b.len()));
            other += 1;
        }
        k += 1;
    }
};

/// The header field names the tracker reads, in lower case.
const CONTENT_LENGTH: &[u8] = b"content-length";
const TRANSFER_ENCODING: &[u8] = b"transfer-encoding";

/// `chunked` as the low seven bytes of a big-endian `u64`.
const CHUNKED: u64 = u64::from_be_bytes(*b"\0chunked");

/// The maximum number of digits in a `Content-Length` value.
const MAX_LENGTH_DIGITS: u8 = 18;

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
    /// A body with `length` bytes left.
    Body,
    /// A body that runs to the end of the stream.
    BodyToEnd,
    /// A chunk-size line.
    ChunkSize,
    /// Chunk data with `length` bytes left, then its CRLF.
    ChunkData,
    /// Trailer lines after the last chunk.
    Trailer,
}

/// The parser's position in the current header field line. Carriage
/// returns are ignored everywhere, and `HttpTracker::count` counts the
/// bytes of a name or value read.
///
/// A field is read as its name and value with surrounding spaces, tabs
/// and form feeds trimmed, like `str::trim_ascii` would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// No byte yet: a line feed now ends the headers.
    Empty,
    /// Whitespace before the field name.
    Lead,
    /// Inside a name that may be `Content-Length`.
    LengthName,
    /// Inside a name that may be `Transfer-Encoding`.
    EncodingName,
    /// Whitespace after a complete `Content-Length` name.
    LengthNameEnd,
    /// Whitespace after a complete `Transfer-Encoding` name.
    EncodingNameEnd,
    /// Leading whitespace or digits of a `Content-Length` value.
    LengthValue,
    /// Whitespace after the digits of a `Content-Length` value.
    LengthValueEnd,
    /// A `Transfer-Encoding` value whose last byte is not whitespace.
    EncodingValue,
    /// A `Transfer-Encoding` value that ends in whitespace so far.
    EncodingValueSpace,
    /// A non-empty line the tracker does not read further.
    Other,
}

/// Bits of `HttpTracker::flags`.
const IS_REQUEST: u8 = 1;
const HAS_LENGTH: u8 = 1 << 1;
const CHUNKED_BODY: u8 = 1 << 2;
const CHUNK_DIGITS: u8 = 1 << 3;
const CHUNK_EXT: u8 = 1 << 4;

/// Incremental HTTP/1.x context tracker for one stream direction.
#[derive(Clone, Debug)]
pub(crate) struct HttpTracker {
    /// The `Content-Length` of the message, then the bytes left in the
    /// body or chunk.
    length: u64,
    /// The `Content-Length` value being read, the last bytes of a
    /// `Transfer-Encoding` value, or the chunk size being read.
    accumulator: u64,
    detect: [u8; DETECT_LEN],
    phase: Phase,
    line: Line,
    /// Bytes of the name or value read so far in `line`.
    count: u8,
    detect_len: u8,
    flags: u8,
    current: Context,
}

impl HttpTracker {
    pub(crate) fn new() -> HttpTracker {
        HttpTracker {
            length: 0,
            accumulator: 0,
            detect: [0; DETECT_LEN],
            phase: Phase::Detect,
            line: Line::Empty,
            count: 0,
            detect_len: 0,
            flags: 0,
            current: Context::Packet,
        }
    }

    /// Returns the stream offset up to which contexts are known, when
    /// `total` bytes have been read: bytes held while a message start is
    /// undecided are not.
    pub(crate) fn decided_until(&self, total: u64) -> u64 {
        if self.phase == Phase::Detect {
            total - u64::from(self.detect_len)
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
                Phase::Body | Phase::ChunkData if self.length > 0 => {
                    let left = (data.len() - i) as u64;
                    let skip = self.length.min(left);
                    self.length -= skip;
                    i += skip as usize;
                    if self.length == 0 && self.phase == Phase::Body {
                        self.end_message();
                    }
                }
                // With a whole prefix at hand, the message start is
                // decided without holding its bytes.
                Phase::Detect
                    if self.detect_len == 0
                        && data.len() - i >= DETECT_LEN =>
                {
                    let at = base + i as u64;
                    match message_start(&data[i..]) {
                        Some(token) => {
                            self.start_message(token, at, out);
                            i += token.len();
                        }
                        None => {
                            self.phase = Phase::Raw;
                            self.set(at, Context::Packet, out);
                        }
                    }
                }
                Phase::Detect => {
                    self.detect[usize::from(self.detect_len)] = data[i];
                    self.detect_len += 1;
                    i += 1;
                    self.try_detect(base + i as u64, out);
                }
                // Bytes that only matter at the end of their line are
                // skipped with memchr.
                Phase::StartLine | Phase::Trailer => {
                    let rest = &data[i..];
                    let newline = memchr::memchr(b'\n', rest);
                    let line = &rest[..newline.unwrap_or(rest.len())];
                    if self.phase == Phase::Trailer
                        && line.iter().any(|&b| b != b'\r')
                    {
                        self.line = Line::Other;
                    }
                    i += line.len();
                    if newline.is_some() {
                        self.step(b'\n', base + i as u64, out);
                        i += 1;
                    }
                }
                // A field line is read until its name rules it out, and
                // the rest of it is skipped with memchr.
                Phase::HeaderLine => {
                    let rest = &data[i..];
                    let newline = memchr::memchr(b'\n', rest);
                    let line = &rest[..newline.unwrap_or(rest.len())];
                    if self.line == Line::Empty {
                        if !may_name_a_field(line) {
                            if let Some(newline) = newline {
                                // The end of a line read no further
                                // changes nothing.
                                i += newline + 1;
                                continue;
                            }
                            self.line = Line::Other;
                        } else if newline.is_some() {
                            self.read_length_line(line);
                        }
                    }
                    for &byte in line {
                        if self.line == Line::Other {
                            break;
                        }
                        self.field_byte(byte);
                    }
                    i += line.len();
                    if newline.is_some() {
                        self.step(b'\n', base + i as u64, out);
                        i += 1;
                    }
                }
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

    /// Decides, at the end of a stream of `total` bytes, what undecided
    /// bytes were.
    pub(crate) fn finish(
        &mut self,
        total: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        if self.phase == Phase::Detect {
            let at = self.decided_until(total);
            self.phase = Phase::Raw;
            self.set(at, Context::Packet, out);
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

    /// Decides whether the held bytes, which end at stream offset `end`,
    /// start a message.
    fn try_detect(&mut self, end: u64, out: &mut VecDeque<(u64, Context)>) {
        let held_len = usize::from(self.detect_len);
        let at = end - held_len as u64;
        let seen = &self.detect[..held_len];
        if let Some(token) = message_start(seen) {
            // No token is a prefix of another, so the held bytes are
            // the token.
            debug_assert_eq!(token.len(), held_len);
            self.start_message(token, at, out);
        } else if !STARTS.iter().any(|token| begins_with(token, seen)) {
            self.phase = Phase::Raw;
            self.set(at, Context::Packet, out);
        }
    }

    /// Starts a message whose first bytes, at stream offset `at`, are
    /// `token`, and reads them.
    fn start_message(
        &mut self,
        token: &[u8],
        at: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        let is_request = token != RESPONSE;
        self.phase = if is_request { Phase::Method } else { Phase::StartLine };
        self.flags = if is_request { IS_REQUEST } else { 0 };
        self.length = 0;
        self.line = Line::Empty;
        self.set(at, Context::Header, out);
        for (k, &byte) in token.iter().enumerate() {
            self.step(byte, at + k as u64, out);
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
                    self.line = Line::Empty;
                }
            }
            Phase::HeaderLine => {
                if byte == b'\n' {
                    self.end_field_line(at, out);
                } else {
                    self.field_byte(byte);
                }
            }
            Phase::ChunkSize => self.chunk_size_byte(byte, at, out),
            Phase::ChunkData => {
                // The CRLF after a chunk's data.
                if byte == b'\n' {
                    self.start_chunk_size();
                }
            }
            Phase::Trailer => {
                if byte == b'\n' {
                    let empty = self.line == Line::Empty;
                    self.line = Line::Empty;
                    if empty {
                        self.end_message();
                    }
                } else if byte != b'\r' {
                    self.line = Line::Other;
                }
            }
            Phase::Detect | Phase::Raw | Phase::Body | Phase::BodyToEnd => {}
        }
    }

    /// Reads one byte of a header field line other than its line feed.
    fn field_byte(&mut self, byte: u8) {
        if byte == b'\r' {
            return;
        }
        let space = matches!(byte, b' ' | b'\t' | b'\x0C');
        let lower = byte.to_ascii_lowercase();
        self.line = match self.line {
            Line::Empty | Line::Lead if space => Line::Lead,
            Line::Empty | Line::Lead => {
                self.count = 1;
                match lower {
                    b'c' => Line::LengthName,
                    b't' => Line::EncodingName,
                    _ => Line::Other,
                }
            }
            Line::LengthName | Line::EncodingName => {
                let (want, end) = if self.line == Line::LengthName {
                    (CONTENT_LENGTH, Line::LengthNameEnd)
                } else {
                    (TRANSFER_ENCODING, Line::EncodingNameEnd)
                };
                let read = usize::from(self.count);
                if read == want.len() {
                    if byte == b':' {
                        self.start_value(end)
                    } else if space {
                        end
                    } else {
                        Line::Other
                    }
                } else if want[read] == lower {
                    self.count += 1;
                    self.line
                } else {
                    Line::Other
                }
            }
            Line::LengthNameEnd | Line::EncodingNameEnd if space => self.line,
            Line::LengthNameEnd | Line::EncodingNameEnd if byte == b':' => {
                self.start_value(self.line)
            }
            Line::LengthValue if byte.is_ascii_digit() => {
                if self.count == MAX_LENGTH_DIGITS {
                    Line::Other
                } else {
                    self.accumulator =
                        self.accumulator * 10 + u64::from(byte - b'0');
                    self.count += 1;
                    Line::LengthValue
                }
            }
            Line::LengthValue if space && self.count == 0 => Line::LengthValue,
            Line::LengthValue | Line::LengthValueEnd if space => {
                Line::LengthValueEnd
            }
            Line::EncodingValue | Line::EncodingValueSpace if space => {
                Line::EncodingValueSpace
            }
            Line::EncodingValue | Line::EncodingValueSpace => {
                // Whitespace inside the value shifts in a zero byte,
                // which no `chunked` suffix contains.
                if self.line == Line::EncodingValueSpace {
                    self.accumulator <<= 8;
                }
                self.accumulator = (self.accumulator << 8) | u64::from(lower);
                Line::EncodingValue
            }
            _ => Line::Other,
        };
    }

    /// Reads a whole `Content-Length` field line of the usual shape: the
    /// name, a colon, spaces and one to 18 digits, with a carriage return
    /// at most at its end. The length is applied as the end of the line
    /// would apply it. The line is then marked [`Line::Other`], so the
    /// byte path skips it. Any other line is left to the byte path.
    fn read_length_line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (name, rest) = line.split_at(line.len().min(CONTENT_LENGTH.len()));
        if !name.eq_ignore_ascii_case(CONTENT_LENGTH) {
            return;
        }
        let Some(value) = rest.strip_prefix(b":") else { return };
        // No line feed is left, so these are the bytes the byte path
        // skips before a value: spaces, tabs, form feeds and carriage
        // returns.
        let digits = value.trim_ascii_start();
        let count = digits.len();
        if count == 0
            || count > usize::from(MAX_LENGTH_DIGITS)
            || !digits.iter().all(u8::is_ascii_digit)
        {
            return;
        }
        self.length = digits
            .iter()
            .fold(0, |acc, &digit| acc * 10 + u64::from(digit - b'0'));
        self.flags |= HAS_LENGTH;
        self.line = Line::Other;
    }

    /// Starts reading the value of the field whose name ended in state
    /// `name_end`.
    fn start_value(&mut self, name_end: Line) -> Line {
        self.accumulator = 0;
        self.count = 0;
        if name_end == Line::LengthNameEnd {
            Line::LengthValue
        } else {
            Line::EncodingValue
        }
    }

    /// Ends a header field line at the line feed at offset `at`: applies
    /// a `Content-Length` or `Transfer-Encoding` field, or after an empty
    /// line starts the body.
    fn end_field_line(&mut self, at: u64, out: &mut VecDeque<(u64, Context)>) {
        let line = std::mem::replace(&mut self.line, Line::Empty);
        match line {
            Line::Empty => self.start_body(at + 1, out),
            Line::LengthValue if self.count > 0 => self.set_length(),
            Line::LengthValueEnd => self.set_length(),
            Line::EncodingValue | Line::EncodingValueSpace => {
                let suffix = self.accumulator & 0x00FF_FFFF_FFFF_FFFF;
                if suffix == CHUNKED {
                    self.flags |= CHUNKED_BODY;
                } else {
                    self.flags &= !CHUNKED_BODY;
                }
            }
            _ => {}
        }
    }

    fn set_length(&mut self) {
        self.length = self.accumulator;
        self.flags |= HAS_LENGTH;
    }

    /// Starts the body of the message at offset `at`, after the empty
    /// line.
    fn start_body(&mut self, at: u64, out: &mut VecDeque<(u64, Context)>) {
        if self.flags & CHUNKED_BODY != 0 {
            self.start_chunk_size();
            self.set(at, Context::Body, out);
        } else if self.flags & HAS_LENGTH != 0 {
            if self.length == 0 {
                self.end_message();
            } else {
                self.phase = Phase::Body;
                self.set(at, Context::Body, out);
            }
        } else if self.flags & IS_REQUEST != 0 {
            self.end_message();
        } else {
            self.phase = Phase::BodyToEnd;
            self.set(at, Context::Body, out);
        }
    }

    fn start_chunk_size(&mut self) {
        self.phase = Phase::ChunkSize;
        self.accumulator = 0;
        self.flags &= !(CHUNK_DIGITS | CHUNK_EXT);
    }

    fn chunk_size_byte(
        &mut self,
        byte: u8,
        at: u64,
        out: &mut VecDeque<(u64, Context)>,
    ) {
        match byte {
            b'\n' => {
                if self.flags & CHUNK_DIGITS == 0 {
                    // Not chunk framing after all: treat the rest as body.
                    self.phase = Phase::BodyToEnd;
                } else if self.accumulator == 0 {
                    self.phase = Phase::Trailer;
                    self.line = Line::Empty;
                } else {
                    self.phase = Phase::ChunkData;
                    self.length = self.accumulator;
                }
            }
            b'\r' => {}
            b';' => self.flags |= CHUNK_EXT,
            _ if self.flags & CHUNK_EXT != 0 => {}
            _ => match (byte as char).to_digit(16) {
                Some(digit) if self.accumulator < (1 << 56) => {
                    self.accumulator =
                        self.accumulator * 16 + u64::from(digit);
                    self.flags |= CHUNK_DIGITS;
                }
                _ => {
                    self.phase = Phase::BodyToEnd;
                    self.set(at, Context::Body, out);
                }
            },
        }
    }

    /// Expects the next message from the next byte on.
    fn end_message(&mut self) {
        self.phase = Phase::Detect;
        self.detect_len = 0;
    }
}

/// Returns the token that `bytes` begins with, if it starts a message.
#[inline]
fn message_start(bytes: &[u8]) -> Option<&'static [u8]> {
    STARTS.iter().copied().find(|token| begins_with(bytes, token))
}

/// Returns whether the header field line `line`, or its start, may be a
/// field the tracker reads, so that its bytes must be read one by one.
/// Like [`HttpTracker::field_byte`], it allows for leading whitespace
/// and carriage returns anywhere.
#[inline]
fn may_name_a_field(line: &[u8]) -> bool {
    let Some(&first) = line.first() else { return true };
    let name = match first.to_ascii_lowercase() {
        b'c' => CONTENT_LENGTH,
        b't' => TRANSFER_ENCODING,
        b' ' | b'\t' | b'\x0C' | b'\r' => return true,
        _ => return false,
    };
    match line.get(..name.len()) {
        Some(head) => head.eq_ignore_ascii_case(name) || head.contains(&b'\r'),
        None => true,
    }
}

/// Returns whether `bytes` begins with `prefix`. Unlike
/// `slice::starts_with`, this compiles to a byte loop that stops at the
/// first difference, with no call to `memcmp`: the prefixes compared here
/// are a few bytes long, and most differ at the first byte.
#[inline]
fn begins_with(bytes: &[u8], prefix: &[u8]) -> bool {
    prefix.len() <= bytes.len()
        && bytes.iter().zip(prefix).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn contexts(stream: &[u8], cuts: &[usize]) -> Vec<(u64, Context)> {
        let mut tracker = HttpTracker::new();
        let mut out = VecDeque::new();
        let mut start = 0;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            tracker.feed(&stream[start..cut], start as u64, &mut out);
            start = cut;
        }
        tracker.finish(stream.len() as u64, &mut out);
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
        // Mixed case names, a stray carriage return inside a name, a long
        // line, and an empty field value.
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

    /// Reads one header field line the way the tracker must: carriage
    /// returns removed, name and value trimmed.
    fn reference_field(
        line: &[u8],
        length: &mut Option<u64>,
        chunked: &mut bool,
    ) {
        let without_cr: Vec<u8> =
            line.iter().copied().filter(|&b| b != b'\r').collect();
        let Some(colon) = without_cr.iter().position(|&b| b == b':') else {
            return;
        };
        let name = without_cr[..colon].trim_ascii();
        let value = without_cr[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let digits = value.iter().all(u8::is_ascii_digit);
            if digits && !value.is_empty() && value.len() <= 18 {
                let text = std::str::from_utf8(value).unwrap();
                *length = Some(text.parse().unwrap());
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            *chunked = value.len() >= 7
                && value[value.len() - 7..].eq_ignore_ascii_case(b"chunked");
        }
    }

    fn field_piece() -> impl Strategy<Value = &'static [u8]> {
        prop::sample::select(vec![
            &b"Content-Length: 1234"[..],
            b"Content-Length",
            b"content-LENGTH",
            b"Content-Lengthy",
            b"Content-Lengt",
            b"Transfer-Encoding",
            b"TRANSFER-encoding",
            b"Transfer-Encodin",
            b"X-Other",
            b"c",
            b"t",
            b":",
            b" ",
            b"\t",
            b"\x0c",
            b"\r",
            b"0",
            b"7",
            b"123",
            b"99999999999999999",
            b"chunked",
            b"CHUNKED",
            b"gzip,",
            b"chunk",
            b"ed",
            b"x",
        ])
    }

    proptest! {
        #[test]
        fn header_fields_match_the_reference(
            lines in prop::collection::vec(
                prop::collection::vec(field_piece(), 0..8),
                1..6,
            ),
            cut in 0usize..200,
        ) {
            let mut message = b"POST / HTTP/1.1\r\n".to_vec();
            let mut length = None;
            let mut chunked = false;
            for pieces in &lines {
                let line = pieces.concat();
                // An empty line would end the headers.
                if line.iter().all(|&b| b == b'\r') {
                    continue;
                }
                reference_field(&line, &mut length, &mut chunked);
                message.extend_from_slice(&line);
                message.push(b'\n');
            }
            let mut tracker = HttpTracker::new();
            let mut out = VecDeque::new();
            let cut = cut.min(message.len());
            tracker.feed(&message[..cut], 0, &mut out);
            tracker.feed(&message[cut..], cut as u64, &mut out);
            prop_assert_eq!(tracker.phase, Phase::HeaderLine);
            prop_assert_eq!(tracker.flags & CHUNKED_BODY != 0, chunked);
            let got = (tracker.flags & HAS_LENGTH != 0)
                .then_some(tracker.length);
            prop_assert_eq!(got, length);
        }
    }

    fn message_piece() -> impl Strategy<Value = &'static [u8]> {
        prop::sample::select(vec![
            &b"GET "[..],
            b"GET /x?a=1 HTTP/1.1\r\n",
            b"POST ",
            b"PUT",
            b"OPTIONS * HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.",
            b"HTTP/2",
            b"Content-Length: 5\r\n",
            b"Content-Length: 12\r\n",
            b"content-length:0\r\n",
            b"\tContent-Length: 2\r\n",
            b"Con\rtent-Length: 1\r\n",
            b"Content-Type: text/plain\r\n",
            b"Transfer-Encoding: chunked\r\n",
            b"Cache-Control: no-cache\r\n",
            b"Date: Tue, 17 Mar 2024 08:56:11 GMT\n",
            b"\r\n",
            b"3\r\nabc\r\n",
            b"0\r\n\r\n",
            b"hello",
            b"hello world!",
            b"C",
        ])
    }

    proptest! {
        /// A stream fed whole and one fed a byte at a time get the same
        /// contexts: reading a message start or a field name at once
        /// agrees with reading it byte by byte.
        #[test]
        fn whole_and_byte_by_byte_agree(
            pieces in prop::collection::vec(message_piece(), 0..16),
        ) {
            let stream = pieces.concat();
            let cuts: Vec<usize> = (1..stream.len()).collect();
            prop_assert_eq!(contexts(&stream, &cuts), contexts(&stream, &[]));
        }
    }

    #[test]
    fn tracker_fits_in_32_bytes() {
        assert!(std::mem::size_of::<HttpTracker>() <= 32);
    }

    #[test]
    fn not_http_is_packet() {
        assert_eq!(contexts(b"hello world", &[]), vec![(0, Context::Packet)]);
        assert_eq!(contexts(b"GE", &[]), vec![(0, Context::Packet)]);
    }
}
