//! Character offsets and masks for `str` input.
//!
//! The engine reports byte offsets into UTF-8. For `str` input the
//! bindings report character offsets. A custom pattern may start or end a
//! match inside a multi-byte character, so the span is widened to whole
//! characters.

use dlp_core::{Engine, Match as CoreMatch};

/// A match span in a `str`: character offsets, and the byte offsets of the
/// same span widened to whole characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TextSpan {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) byte_start: u64,
    pub(crate) byte_end: u64,
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Returns the number of characters that start in `bytes`.
pub(crate) fn count_chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| !is_continuation(b)).count() as u64
}

/// Maps the spans of `matches` to character offsets.
///
/// `text` contains UTF-8 bytes whose first byte is at stream byte offset
/// `base_byte` and starts character number `base_char`. The matches must
/// lie inside `text` and be sorted by start without overlaps, as the
/// engine reports them.
pub(crate) fn map_spans(
    text: &[u8],
    base_byte: u64,
    base_char: u64,
    matches: &[CoreMatch],
) -> Vec<TextSpan> {
    let mut cursor = 0usize;
    let mut chars = base_char;
    let mut advance = |to: usize| {
        chars += count_chars(&text[cursor..to]);
        cursor = to;
        chars
    };
    let mut spans = Vec::with_capacity(matches.len());
    for m in matches {
        let start = (m.start() - base_byte) as usize;
        let end = (m.end() - base_byte) as usize;
        // Characters that start before `start`; a continuation byte at
        // `start` belongs to the last of them.
        let mut char_start = advance(start);
        let mut byte_start = start;
        if start < text.len() && is_continuation(text[start]) {
            char_start -= 1;
            while byte_start > 0 && is_continuation(text[byte_start]) {
                byte_start -= 1;
            }
        }
        let char_end = advance(end);
        let mut byte_end = end;
        while byte_end < text.len() && is_continuation(text[byte_end]) {
            byte_end += 1;
        }
        spans.push(TextSpan {
            start: char_start,
            end: char_end,
            byte_start: base_byte + byte_start as u64,
            byte_end: base_byte + byte_end as u64,
        });
    }
    spans
}

/// Returns the masked form of `value` with one mask character per
/// character, so the masked text has the value's length in characters.
pub(crate) fn mask_text(
    engine: &Engine,
    m: &CoreMatch,
    value: &str,
) -> String {
    let sensor = &engine.sensors()[m.sensor_index()];
    let mask = sensor.rules[m.rule_index()].mask;
    // One byte per character: ASCII as is, and 0x80 for any other
    // character, which the mask always hides.
    let placeholder: Vec<u8> = value
        .chars()
        .map(|c| if c.is_ascii() { c as u8 } else { 0x80 })
        .collect();
    mask.apply(&placeholder)
}

/// The last bytes of a text stream, kept so that matches reported by a
/// later call can be mapped to character offsets.
#[derive(Debug, Default)]
pub(crate) struct TextWindow {
    bytes: Vec<u8>,
    /// Stream byte offset of `bytes[0]`, always a character boundary.
    start_byte: u64,
    /// Characters before `start_byte`.
    start_char: u64,
}

impl TextWindow {
    /// Appends a fragment and returns the window's bytes, with their base
    /// byte and character offsets.
    pub(crate) fn push(&mut self, fragment: &[u8]) -> (&[u8], u64, u64) {
        self.bytes.extend_from_slice(fragment);
        (&self.bytes, self.start_byte, self.start_char)
    }

    /// Drops all but about the last `keep` bytes, cutting at a character
    /// boundary.
    pub(crate) fn trim(&mut self, keep: usize) {
        if self.bytes.len() <= keep {
            return;
        }
        let mut cut = self.bytes.len() - keep;
        while cut > 0 && is_continuation(self.bytes[cut]) {
            cut -= 1;
        }
        self.start_char += count_chars(&self.bytes[..cut]);
        self.start_byte += cut as u64;
        self.bytes.drain(..cut);
    }

    pub(crate) fn clear(&mut self) {
        *self = TextWindow::default();
    }
}
