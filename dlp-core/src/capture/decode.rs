//! Decoding of captured frames down to TCP segments, with etherparse.

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, LinuxSllHeader,
    LinuxSllHeaderSlice, LinuxSllProtocolType, TransportSlice,
};

use pcap_file::DataLink;

use super::FlowKey;

/// Length of the Linux cooked capture v2 pseudo-header.
const LINUX_SLL2_HEADER_LEN: usize = 20;
/// Length of the address family field that starts a frame of the BSD
/// loopback link types (`NULL` and `LOOP`).
const LOOPBACK_HEADER_LEN: usize = 4;

/// The TCP header fields and payload of one captured segment.
#[derive(Debug)]
pub(crate) struct TcpSegment<'a> {
    pub flow: FlowKey,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// True when the capture kept only the start of the IP packet (its
    /// snapshot length was too small), so `payload` misses its tail.
    pub truncated: bool,
}

/// Content of a captured frame, as far as TCP reassembly needs it.
#[derive(Debug)]
pub(crate) enum Frame<'a> {
    Tcp(TcpSegment<'a>),
    /// A valid frame that carries no TCP segment.
    NotTcp,
    /// A TCP segment or IP packet that cannot be used, with the reason.
    Invalid(String),
    /// The link type has no decoder here.
    UnsupportedLink,
}

/// Decodes one captured frame of the given link type.
pub(crate) fn decode_frame(link_type: DataLink, frame: &[u8]) -> Frame<'_> {
    let sliced = match link_type {
        DataLink::ETHERNET => LaxSlicedPacket::from_ethernet(frame)
            .map_err(|error| format!("invalid Ethernet frame: {error}")),
        // Raw IP frames carry IPv4 or IPv6, which etherparse distinguishes
        // by the IP version field.
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => {
            LaxSlicedPacket::from_ip(frame)
                .map_err(|error| format!("invalid IP packet: {error}"))
        }
        DataLink::NULL | DataLink::LOOP => {
            match frame.get(LOOPBACK_HEADER_LEN..) {
                Some(packet) => LaxSlicedPacket::from_ip(packet)
                    .map_err(|error| format!("invalid IP packet: {error}")),
                None => Err("loopback header is truncated".to_string()),
            }
        }
        DataLink::LINUX_SLL => return decode_linux_sll(frame),
        DataLink::LINUX_SLL2 => return decode_linux_sll2(frame),
        _ => return Frame::UnsupportedLink,
    };
    match sliced {
        Ok(sliced) => tcp_segment(&sliced),
        Err(message) => Frame::Invalid(message),
    }
}

fn decode_linux_sll(frame: &[u8]) -> Frame<'_> {
    let header = match LinuxSllHeaderSlice::from_slice(frame) {
        Ok(header) => header,
        Err(etherparse::err::linux_sll::HeaderSliceError::Len(error)) => {
            return Frame::Invalid(format!(
                "invalid Linux SLL header: {error}"
            ));
        }
        // A hardware or packet type that etherparse does not know carries
        // no IP packet that it could decode.
        Err(_) => return Frame::NotTcp,
    };
    let LinuxSllProtocolType::EtherType(ether_type) = header.protocol_type()
    else {
        return Frame::NotTcp;
    };
    let payload = &frame[LinuxSllHeader::LEN..];
    tcp_segment(&LaxSlicedPacket::from_ether_type(ether_type, payload))
}

fn decode_linux_sll2(frame: &[u8]) -> Frame<'_> {
    let (Some(protocol), Some(payload)) =
        (frame.get(..2), frame.get(LINUX_SLL2_HEADER_LEN..))
    else {
        return Frame::Invalid("Linux SLL2 header is truncated".to_string());
    };
    let ether_type = EtherType(u16::from_be_bytes([protocol[0], protocol[1]]));
    tcp_segment(&LaxSlicedPacket::from_ether_type(ether_type, payload))
}

/// Extracts the TCP segment of a sliced packet.
fn tcp_segment<'a>(sliced: &LaxSlicedPacket<'a>) -> Frame<'a> {
    let (src_ip, dst_ip, ip_payload) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let header = ip.header();
            (
                IpAddr::V4(header.source_addr()),
                IpAddr::V4(header.destination_addr()),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let header = ip.header();
            (
                IpAddr::V6(header.source_addr()),
                IpAddr::V6(header.destination_addr()),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Frame::NotTcp,
        None => {
            // An IP header that fails to parse leaves `net` empty and sets
            // `stop_err`. Frames of other protocols leave both empty.
            return match &sliced.stop_err {
                Some((error, _layer)) => {
                    Frame::Invalid(format!("invalid packet: {error}"))
                }
                None => Frame::NotTcp,
            };
        }
    };
    if ip_payload.ip_number != IpNumber::TCP {
        return Frame::NotTcp;
    }
    if ip_payload.fragmented {
        return Frame::Invalid(
            "IP fragment of a TCP segment skipped: fragment reassembly is \
             not supported"
                .to_string(),
        );
    }
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        let reason = match &sliced.stop_err {
            Some((error, _layer)) => error.to_string(),
            None => "no TCP header".to_string(),
        };
        return Frame::Invalid(format!("invalid TCP header: {reason}"));
    };
    Frame::Tcp(TcpSegment {
        flow: FlowKey {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        },
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
        truncated: ip_payload.incomplete,
    })
}
