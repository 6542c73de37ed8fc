//! Decoding of the IPv4 and IPv6 packets that NFQUEUE hands over.

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, NetSlice, SlicedPacket, TransportSlice};

/// The fields of one TCP segment that the enforcer uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (or of the SYN).
    pub seq: u32,
    /// Acknowledgment number, meaningful when `ack_flag` is set.
    pub ack: u32,
    /// TCP flags.
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub ack_flag: bool,
    /// TCP payload bytes.
    pub payload: &'a [u8],
}

/// The kind of a queued packet.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// A complete TCP segment.
    Tcp(Segment<'a>),
    /// An IP packet of another protocol, which the enforcer lets through.
    Other,
    /// A packet that could not be read as IPv4 or IPv6, or a TCP packet
    /// whose header is unreadable or that is an IP fragment.
    Invalid(String),
}

/// Decodes a packet that starts with its IP header, as NFQUEUE delivers
/// packets from the IPv4 and IPv6 hooks.
pub fn decode(packet: &[u8]) -> Decoded<'_> {
    let sliced = match SlicedPacket::from_ip(packet) {
        Ok(sliced) => sliced,
        Err(err) => return Decoded::Invalid(err.to_string()),
    };
    let (src_ip, dst_ip) = match &sliced.net {
        Some(NetSlice::Ipv4(ipv4)) => (
            IpAddr::V4(ipv4.header().source_addr()),
            IpAddr::V4(ipv4.header().destination_addr()),
        ),
        Some(NetSlice::Ipv6(ipv6)) => (
            IpAddr::V6(ipv6.header().source_addr()),
            IpAddr::V6(ipv6.header().destination_addr()),
        ),
        _ => return Decoded::Invalid("not an IPv4 or IPv6 packet".into()),
    };
    let tcp = match sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => tcp,
        _ => {
            let ip_payload = sliced.net.as_ref().and_then(|net| {
                net.ip_payload_ref().map(|p| (p.ip_number, p.fragmented))
            });
            return match ip_payload {
                Some((IpNumber::TCP, true)) => {
                    Decoded::Invalid("fragmented TCP packet".into())
                }
                Some((IpNumber::TCP, false)) => {
                    Decoded::Invalid("truncated TCP header".into())
                }
                _ => Decoded::Other,
            };
        }
    };
    Decoded::Tcp(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        ack_flag: tcp.ack(),
        payload: tcp.payload(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// Builds an IPv4 TCP packet for tests.
    pub(crate) fn tcp_v4(
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        flags: &str,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut header = etherparse::TcpHeader::new(src.1, dst.1, seq, 64240);
        header.syn = flags.contains('S');
        header.fin = flags.contains('F');
        header.rst = flags.contains('R');
        header.ack = flags.contains('A');
        header.acknowledgment_number = 7000;
        let builder = PacketBuilder::ipv4(src.0, dst.0, 64).tcp_header(header);
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn decode_ipv4_tcp() {
        let bytes = tcp_v4(
            ([10, 99, 0, 1], 40000),
            ([10, 99, 0, 2], 8000),
            100,
            "A",
            b"hello",
        );
        let Decoded::Tcp(segment) = decode(&bytes) else {
            panic!("not decoded as TCP");
        };
        assert_eq!(segment.src, "10.99.0.1:40000".parse().unwrap());
        assert_eq!(segment.dst, "10.99.0.2:8000".parse().unwrap());
        assert_eq!(segment.seq, 100);
        assert_eq!(segment.ack, 7000);
        assert!(segment.ack_flag);
        assert!(!segment.syn);
        assert_eq!(segment.payload, b"hello");
    }

    #[test]
    fn decode_ipv6_tcp() {
        let mut src = [0u8; 16];
        src[0] = 0xfd;
        src[1] = 0x99;
        src[15] = 1;
        let mut dst = src;
        dst[15] = 2;
        let builder =
            PacketBuilder::ipv6(src, dst, 64).tcp(40000, 8000, 5, 100);
        let mut bytes = Vec::new();
        builder.write(&mut bytes, b"x").unwrap();
        let Decoded::Tcp(segment) = decode(&bytes) else {
            panic!("not decoded as TCP");
        };
        assert_eq!(segment.src, "[fd99::1]:40000".parse().unwrap());
        assert_eq!(segment.payload, b"x");
    }

    #[test]
    fn decode_udp_is_other() {
        let builder =
            PacketBuilder::ipv4([10, 99, 0, 1], [10, 99, 0, 2], 64).udp(1, 2);
        let mut bytes = Vec::new();
        builder.write(&mut bytes, b"x").unwrap();
        assert!(matches!(decode(&bytes), Decoded::Other));
    }

    #[test]
    fn decode_garbage_is_invalid() {
        assert!(matches!(decode(&[0x45, 0, 0]), Decoded::Invalid(_)));
        assert!(matches!(decode(&[]), Decoded::Invalid(_)));
    }
}
