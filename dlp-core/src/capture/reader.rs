//! Reading of pcap and pcapng records, with pcap-file's parsers.
//!
//! The parsers work on byte slices. This module feeds them from the reader
//! through its own buffer, so that a record cut off by the end of the file
//! can be reported with its expected and actual length.

use std::io::{self, Read};

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::{
    ENHANCED_PACKET_BLOCK, PACKET_BLOCK, SECTION_HEADER_BLOCK,
    SIMPLE_PACKET_BLOCK,
};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, Endianness, PcapError};

use super::{CaptureError, ErrorKind};

/// Number of bytes requested from the reader at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Maximum length of one pcap record or pcapng block. tcpdump captures at
/// most 262144 bytes of a packet (`MAXIMUM_SNAPLEN` in its netdissect.h),
/// so a much longer record means a corrupt length field. The 1 MiB cap
/// leaves room for captures of coalesced (GRO) packets.
pub(crate) const MAX_RECORD_LEN: usize = 1024 * 1024;

/// Length of a pcap record header.
const PCAP_RECORD_HEADER_LEN: usize = 16;

/// Receiver of the frames and warnings that a capture file yields.
pub(crate) trait FrameSink {
    /// Takes the frame of packet number `packet` (1-based).
    fn frame(&mut self, packet: u64, link_type: DataLink, frame: &[u8]);
    /// Takes a warning about packet number `packet`, or about the file when
    /// `packet` is 0.
    fn warn(&mut self, packet: u64, message: String);
}

/// True when `prefix` starts with the magic number of a pcap file (either
/// byte order, microsecond or nanosecond timestamps) or of a pcapng file.
pub(crate) fn is_capture_magic(prefix: &[u8]) -> bool {
    matches!(
        prefix.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

/// Reads every record of a pcap or pcapng file and passes its frames to
/// `sink`. Returns the number of packets read.
///
/// A record that is cut off or invalid ends the reading with a warning.
///
/// # Errors
///
/// Returns an error when the input does not start with a capture magic
/// number, or when reading fails before the file header is complete.
pub(crate) fn read_records<R: Read>(
    reader: R,
    sink: &mut dyn FrameSink,
) -> Result<u64, CaptureError> {
    let mut input = InputBuffer::new(reader);
    while input.available().len() < 4 {
        let read = input.fill().map_err(ErrorKind::Io)?;
        if read == 0 {
            break;
        }
    }
    let magic = input.available();
    if !is_capture_magic(magic) {
        let prefix = magic[..magic.len().min(4)].to_vec();
        return Err(ErrorKind::NotACapture { prefix }.into());
    }
    if magic.starts_with(&SECTION_HEADER_BLOCK.to_be_bytes()) {
        read_pcapng(input, sink)
    } else {
        read_pcap(input, sink)
    }
}

fn read_pcap<R: Read>(
    mut input: InputBuffer<R>,
    sink: &mut dyn FrameSink,
) -> Result<u64, CaptureError> {
    let parser = loop {
        let available = input.available();
        match PcapParser::new(available) {
            Ok((rest, parser)) => {
                let used = available.len() - rest.len();
                input.consume(used);
                break parser;
            }
            Err(PcapError::IncompleteBuffer) => {
                let have = available.len();
                if input.fill().map_err(ErrorKind::Io)? == 0 {
                    sink.warn(
                        0,
                        format!(
                            "truncated pcap file header, {have} of 24 bytes"
                        ),
                    );
                    return Ok(0);
                }
            }
            Err(error) => {
                sink.warn(0, format!("invalid pcap file header: {error}"));
                return Ok(0);
            }
        }
    };
    let header = parser.header();
    let link_type = header.datalink;

    let mut packets = 0;
    loop {
        let available = input.available();
        match parser.next_raw_packet(available) {
            Ok((rest, record)) => {
                packets += 1;
                let used = available.len() - rest.len();
                sink.frame(packets, link_type, &record.data);
                input.consume(used);
            }
            Err(PcapError::IncompleteBuffer) => {
                let captured_len =
                    pcap_captured_len(available, header.endianness);
                let total_len = captured_len
                    .map(|len| u64::from(len) + PCAP_RECORD_HEADER_LEN as u64);
                if let Err(message) = check_record_len(total_len) {
                    sink.warn(packets + 1, message);
                    return Ok(packets);
                }
                let have = available.len();
                match input.fill() {
                    Ok(0) if have == 0 => return Ok(packets),
                    Ok(0) => {
                        let message = match captured_len {
                            Some(captured_len) => format!(
                                "truncated record, {} of {captured_len} \
                                 bytes",
                                have.saturating_sub(PCAP_RECORD_HEADER_LEN)
                            ),
                            None => format!(
                                "truncated record header, {have} of \
                                 {PCAP_RECORD_HEADER_LEN} bytes"
                            ),
                        };
                        sink.warn(packets + 1, message);
                        return Ok(packets);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        sink.warn(packets + 1, read_failed_message(&error));
                        return Ok(packets);
                    }
                }
            }
            Err(error) => {
                sink.warn(packets + 1, format!("invalid record: {error}"));
                return Ok(packets);
            }
        }
    }
}

fn read_pcapng<R: Read>(
    mut input: InputBuffer<R>,
    sink: &mut dyn FrameSink,
) -> Result<u64, CaptureError> {
    let mut parser = loop {
        let available = input.available();
        let total_len = pcapng_block_header(available, Endianness::Big)
            .map(|(_, len)| u64::from(len));
        match PcapNgParser::new(available) {
            Ok((rest, parser)) => {
                let used = available.len() - rest.len();
                input.consume(used);
                break parser;
            }
            Err(PcapError::IncompleteBuffer) => {
                if let Err(message) = check_record_len(total_len) {
                    sink.warn(0, format!("invalid section header: {message}"));
                    return Ok(0);
                }
                let have = available.len();
                if input.fill().map_err(ErrorKind::Io)? == 0 {
                    let message = block_truncation_message(have, total_len);
                    sink.warn(0, format!("section header: {message}"));
                    return Ok(0);
                }
            }
            Err(error) => {
                sink.warn(0, format!("invalid section header: {error}"));
                return Ok(0);
            }
        }
    };

    let mut packets = 0;
    loop {
        let available = input.available();
        let endianness = parser.section().endianness;
        let block_header = pcapng_block_header(available, endianness);
        let total_len = block_header.map(|(_, len)| u64::from(len));
        match parser.next_block(available) {
            Ok((rest, block)) => {
                let used = available.len() - rest.len();
                if let Some(frame) = packet_frame(&parser, &block) {
                    packets += 1;
                    match frame {
                        Ok((link_type, data)) => {
                            sink.frame(packets, link_type, data)
                        }
                        Err(message) => sink.warn(packets, message),
                    }
                }
                input.consume(used);
            }
            Err(PcapError::IncompleteBuffer) => {
                if let Err(message) = check_record_len(total_len) {
                    sink.warn(packets + 1, message);
                    return Ok(packets);
                }
                let have = available.len();
                match input.fill() {
                    Ok(0) if have == 0 => return Ok(packets),
                    Ok(0) => {
                        let message =
                            block_truncation_message(have, total_len);
                        sink.warn(packets + 1, message);
                        return Ok(packets);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        sink.warn(packets + 1, read_failed_message(&error));
                        return Ok(packets);
                    }
                }
            }
            Err(error) => {
                // The framing of a block can be intact while its body is
                // invalid (a bad option, for example). Such a block is
                // skipped and the reading goes on after it.
                let Some(skip) = intact_block_len(available, endianness)
                else {
                    sink.warn(packets + 1, format!("invalid block: {error}"));
                    return Ok(packets);
                };
                let block_type =
                    block_header.map_or(0, |(block_type, _)| block_type);
                let is_packet = matches!(
                    block_type,
                    ENHANCED_PACKET_BLOCK | SIMPLE_PACKET_BLOCK | PACKET_BLOCK
                );
                if is_packet {
                    packets += 1;
                    sink.warn(
                        packets,
                        format!("invalid packet block: {error}"),
                    );
                } else {
                    sink.warn(
                        packets + 1,
                        format!(
                            "invalid block of type {block_type:#x} skipped: \
                             {error}"
                        ),
                    );
                }
                input.consume(skip);
            }
        }
    }
}

/// Returns the link type and frame of a packet block, an error message
/// for a packet block that cannot be used, or `None` for other blocks.
fn packet_frame<'a>(
    parser: &PcapNgParser,
    block: &'a Block<'a>,
) -> Option<Result<(DataLink, &'a [u8]), String>> {
    let (interface_id, data, original_len) = match block {
        Block::EnhancedPacket(packet) => {
            (packet.interface_id, &packet.data[..], None)
        }
        // A simple packet block belongs to the first interface, and its
        // data includes the padding to 32 bits.
        Block::SimplePacket(packet) => {
            (0, &packet.data[..], Some(packet.original_len))
        }
        Block::Packet(packet) => {
            (u32::from(packet.interface_id), &packet.data[..], None)
        }
        _ => return None,
    };
    let Some(interface) = parser.interfaces().get(interface_id as usize)
    else {
        return Some(Err(format!(
            "packet refers to interface {interface_id}, which no interface \
             description block defines"
        )));
    };
    let mut data = data;
    if let Some(original_len) = original_len {
        let mut len = original_len as usize;
        if interface.snaplen != 0 {
            len = len.min(interface.snaplen as usize);
        }
        data = &data[..len.min(data.len())];
    }
    Some(Ok((interface.linktype, data)))
}

/// Returns the captured length of the pcap record at the start of `bytes`,
/// or `None` when its header is incomplete.
fn pcap_captured_len(bytes: &[u8], endianness: Endianness) -> Option<u32> {
    let header = bytes.get(..PCAP_RECORD_HEADER_LEN)?;
    Some(read_u32(&header[8..12], endianness))
}

/// Returns the type and total length of the pcapng block at the start of
/// `bytes`, or `None` when its header is incomplete or has an invalid
/// byte-order magic.
fn pcapng_block_header(
    bytes: &[u8],
    endianness: Endianness,
) -> Option<(u32, u32)> {
    let block_type = read_u32(bytes.get(..4)?, endianness);
    let mut endianness = endianness;
    if block_type == SECTION_HEADER_BLOCK {
        // A section header block sets the byte order of its own section.
        endianness = match bytes.get(8..12)? {
            [0x1a, 0x2b, 0x3c, 0x4d] => Endianness::Big,
            [0x4d, 0x3c, 0x2b, 0x1a] => Endianness::Little,
            _ => return None,
        };
    }
    let total_len = read_u32(bytes.get(4..8)?, endianness);
    Some((block_type, total_len))
}

/// Returns the length of the pcapng block at the start of `bytes` when the
/// whole block is present and its two length fields are valid and agree.
fn intact_block_len(bytes: &[u8], endianness: Endianness) -> Option<usize> {
    let (_, total_len) = pcapng_block_header(bytes, endianness)?;
    let len = usize::try_from(total_len).ok()?;
    if len < 12 || len % 4 != 0 || len > bytes.len() {
        return None;
    }
    // Both fields use the same byte order, so their bytes must match.
    (bytes.get(4..8)? == bytes.get(len - 4..len)?).then_some(len)
}

/// Rejects a record whose length field exceeds [`MAX_RECORD_LEN`].
fn check_record_len(total_len: Option<u64>) -> Result<(), String> {
    match total_len {
        Some(total_len) if total_len > MAX_RECORD_LEN as u64 => Err(format!(
            "invalid record length {total_len} bytes, more than the \
             {MAX_RECORD_LEN}-byte maximum; the rest of the file is not read"
        )),
        _ => Ok(()),
    }
}

/// Describes a pcapng block that the end of the file cut off after `have`
/// bytes.
fn block_truncation_message(have: usize, total_len: Option<u64>) -> String {
    match total_len {
        Some(total_len) => {
            format!("truncated block, {have} of {total_len} bytes")
        }
        None => format!("truncated block header, {have} bytes"),
    }
}

fn read_failed_message(error: &io::Error) -> String {
    format!("read failed: {error}; the rest of the file is not read")
}

fn read_u32(bytes: &[u8], endianness: Endianness) -> u32 {
    let mut array = [0u8; 4];
    array.copy_from_slice(&bytes[..4]);
    match endianness {
        Endianness::Big => u32::from_be_bytes(array),
        Endianness::Little => u32::from_le_bytes(array),
    }
}

/// Buffer between a reader and the slice parsers. It keeps the bytes of
/// the current record and requests more from the reader on demand.
struct InputBuffer<R> {
    reader: R,
    data: Vec<u8>,
    /// Offset in `data` of the first byte not consumed yet.
    start: usize,
    /// Read error that followed some bytes read, returned by the next
    /// `fill` so that those bytes get parsed first.
    pending_error: Option<io::Error>,
}

impl<R: Read> InputBuffer<R> {
    fn new(reader: R) -> Self {
        InputBuffer { reader, data: Vec::new(), start: 0, pending_error: None }
    }

    fn available(&self) -> &[u8] {
        &self.data[self.start..]
    }

    fn consume(&mut self, count: usize) {
        self.start = (self.start + count).min(self.data.len());
    }

    /// Reads up to [`READ_CHUNK`] more bytes and returns how many were
    /// read, which is 0 at the end of the input.
    fn fill(&mut self) -> io::Result<usize> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        self.data.drain(..self.start);
        self.start = 0;
        let old_len = self.data.len();
        // `read_to_end` appends without zero-filling the spare capacity
        // first, and retries reads that were interrupted.
        let mut chunk = (&mut self.reader).take(READ_CHUNK as u64);
        match chunk.read_to_end(&mut self.data) {
            Ok(read) => Ok(read),
            Err(error) if self.data.len() > old_len => {
                self.pending_error = Some(error);
                Ok(self.data.len() - old_len)
            }
            Err(error) => Err(error),
        }
    }
}
