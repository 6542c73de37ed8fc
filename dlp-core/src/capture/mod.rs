//! Reading of pcap and pcapng captures into ordered TCP byte streams.
//!
//! [`read_capture`] decodes each packet and passes its TCP segment to the
//! [`Reassembler`] of its flow direction, which puts the payload back in
//! stream order. The supported link types are Ethernet (with VLAN tags),
//! raw IP, Linux cooked capture v1 and v2 and BSD loopback, over IPv4 or
//! IPv6. Packets that are not TCP are skipped without a warning.
//!
//! [`Reassembler`] also works on its own, for example on live packets. It
//! buffers at most [`ReassemblyLimits`] worth of out-of-order bytes.
//!
//! This module does no matching: it only produces byte streams.

mod decode;
mod flows;
mod reader;
mod reassembly;

use std::fmt;
use std::io::Read;
use std::net::SocketAddr;

pub use reassembly::{PushOutcome, Reassembler, ReassemblyLimits};

use flows::FlowTracker;

/// One direction of a TCP connection.
///
/// Displays as `10.77.0.1:52888 -> 10.77.0.2:8080`, with IPv6 addresses in
/// brackets (`[::1]:80 -> [::1]:8080`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Address and port of the sender.
    pub src: SocketAddr,
    /// Address and port of the receiver.
    pub dst: SocketAddr,
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.src, self.dst)
    }
}

/// An event that [`read_capture`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureEvent<'a> {
    /// Bytes of one flow direction in stream order. `offset` is the stream
    /// offset of `data[0]`, where offset 0 is the first payload byte after
    /// the SYN. Offsets increase from one event to the next of the same
    /// stream. They jump forward where missing bytes were skipped.
    Data {
        /// The flow direction that carried the bytes.
        flow: FlowKey,
        /// Stream offset of `data[0]`.
        offset: u64,
        /// Payload bytes, valid only during the callback.
        data: &'a [u8],
    },
    /// The direction ended: a FIN was seen and every byte before it was
    /// delivered, an RST was seen, a new connection reused the addresses,
    /// or the capture ended. No Data event of this stream follows.
    End {
        /// The flow direction that ended.
        flow: FlowKey,
    },
}

/// A problem in the capture that did not stop the reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureWarning {
    /// 1-based number of the packet concerned, counting packets as
    /// Wireshark numbers them. 0 for a warning about the file header or
    /// about a flow at the end of the capture.
    pub packet: u64,
    /// Description of the problem, without the packet number.
    pub message: String,
}

impl fmt::Display for CaptureWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.packet == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "packet {}: {}", self.packet, self.message)
        }
    }
}

/// Counts and warnings of one [`read_capture`] call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Number of packets read, up to the first unreadable one.
    pub packets: u64,
    /// Number of packets that carried a TCP segment.
    pub tcp_segments: u64,
    /// Number of flow-direction streams. A connection that reuses the
    /// addresses of an ended one counts again.
    pub flows: u64,
    /// Problems found, in the order they were found. At most 1000 are
    /// listed, followed by one warning that counts the rest.
    pub warnings: Vec<CaptureWarning>,
}

/// Error of [`read_capture`]: the input is not a capture, or reading it
/// failed before its file header was read.
#[derive(Debug)]
pub struct CaptureError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// The input does not start with a pcap or pcapng magic number.
    /// `prefix` contains its first bytes (up to 4).
    NotACapture { prefix: Vec<u8> },
    /// Reading failed before the file header was complete.
    Io(std::io::Error),
}

impl From<ErrorKind> for CaptureError {
    fn from(kind: ErrorKind) -> Self {
        CaptureError { kind }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::NotACapture { prefix } if prefix.is_empty() => f
                .write_str(
                    "the input is empty, not a capture; pass a pcap or \
                     pcapng file",
                ),
            ErrorKind::NotACapture { prefix } => {
                f.write_str(
                    "not a pcap or pcapng file (it starts with bytes",
                )?;
                for byte in prefix {
                    write!(f, " {byte:02x}")?;
                }
                f.write_str(
                    "); pass a capture saved by tcpdump, dumpcap or \
                     Wireshark",
                )
            }
            ErrorKind::Io(error) => write!(
                f,
                "failed to read the capture file header: {error}; check \
                 that the file is readable"
            ),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(error) => Some(error),
            ErrorKind::NotACapture { .. } => None,
        }
    }
}

/// True when `prefix`, the first bytes of a file, starts with the magic
/// number of a pcap file (either byte order, microsecond or nanosecond
/// timestamps) or of a pcapng file. Needs at least 4 bytes.
///
/// # Example
///
/// ```
/// use dlp_core::capture::is_capture;
///
/// assert!(is_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00]));
/// assert!(!is_capture(b"GET / HTTP/1.1"));
/// ```
#[must_use]
pub fn is_capture(prefix: &[u8]) -> bool {
    reader::is_capture_magic(prefix)
}

/// Reads a whole capture and reports each flow direction's TCP payload in
/// stream order through `on_event`.
///
/// Each direction gets its own [`Reassembler`] with the default
/// [`ReassemblyLimits`]. When a direction exceeds them, or all directions
/// together buffer more than 64 MiB of out-of-order bytes, the earliest
/// gaps are skipped with a warning. A stream ends (with an End
/// event) at its FIN once all bytes before it were delivered, at an RST
/// from its sender, or when a SYN with a new initial sequence number
/// reuses its addresses. The new connection then starts again at offset
/// 0. Segments of an ended stream that arrive later are ignored. Each
/// stream gets exactly one End event, even a direction that carried no
/// payload.
///
/// A damaged capture is read as far as it goes. A record cut off by the
/// end of the file, or one whose framing is invalid, stops the reading
/// with a warning that names the packet number. A packet that cannot be
/// decoded (an invalid header, an IP fragment) is skipped with a warning.
/// At the end, the held bytes of each open stream are delivered past their
/// gaps, with a warning that names the flow and the number of bytes
/// skipped, and the stream ends. This happens stream by stream in
/// [`FlowKey`] order, so the output is the same on every run.
///
/// # Errors
///
/// Returns an error when the input is empty or does not start with a pcap
/// or pcapng magic number, and when the reader fails before the file
/// header was read. Every later problem, including a truncated or invalid
/// file header, is a warning in the [`CaptureSummary`].
///
/// # Example
///
/// ```no_run
/// use std::collections::BTreeMap;
/// use std::fs::File;
/// use std::io::BufReader;
///
/// use dlp_core::capture::{read_capture, CaptureEvent};
///
/// let file = BufReader::new(File::open("traffic.pcap")?);
/// let mut streams: BTreeMap<_, Vec<u8>> = BTreeMap::new();
/// let summary = read_capture(file, |event| {
///     if let CaptureEvent::Data { flow, data, .. } = event {
///         streams.entry(flow).or_default().extend_from_slice(data);
///     }
/// })?;
/// for warning in &summary.warnings {
///     eprintln!("warning: {warning}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_capture<R: Read>(
    reader: R,
    mut on_event: impl FnMut(CaptureEvent<'_>),
) -> Result<CaptureSummary, CaptureError> {
    let mut tracker =
        FlowTracker::new(ReassemblyLimits::default(), &mut on_event);
    let packets = reader::read_records(reader, &mut tracker)?;
    let tcp_segments = tracker.tcp_segments();
    let flows = tracker.streams();
    let warnings = tracker.finish();
    Ok(CaptureSummary { packets, tcp_segments, flows, warnings })
}

#[cfg(test)]
mod tests;
