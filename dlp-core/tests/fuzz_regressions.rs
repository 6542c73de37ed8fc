//! Inputs found by the fuzz targets in `fuzz/`, kept as named tests.
//!
//! Each test states the contract that the input broke. A test that fails
//! here is an open bug in dlp-core.

use dlp_core::capture::{PushOutcome, Reassembler, ReassemblyLimits};

/// Found by the `captures` target (reassembler mode). `Reassembler::push`
/// documents that bytes already held are kept and the overlapping part of
/// a later segment is trimmed. An in-order segment that covers held bytes
/// delivers its own bytes instead, so two overlapping segments with
/// different content give the later one's bytes.
#[test]
fn in_order_segment_keeps_held_bytes() {
    let mut reassembler = Reassembler::new(ReassemblyLimits::default());
    let mut stream = Vec::new();
    let mut deliver = |bytes: &[u8]| stream.extend_from_slice(bytes);

    // SYN with ISN 999, so stream offset 0 is sequence number 1000.
    reassembler.push(999, true, b"", &mut deliver);
    let held = reassembler.push(1005, false, b"world", &mut deliver);
    assert_eq!(held, PushOutcome::Buffered);
    let filled = reassembler.push(1000, false, b"hello12345", &mut deliver);
    assert_eq!(filled, PushOutcome::InOrder);

    assert_eq!(reassembler.delivered(), 10);
    assert_eq!(stream, b"helloworld");
}
