//! Tests of capture reading on the sample capture and on captures built
//! packet by packet with etherparse and pcap-file.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use etherparse::{LinuxSllPacketType, PacketBuilder, VlanId};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::{
    enhanced_packet::EnhancedPacketBlock,
    interface_description::InterfaceDescriptionBlock, ENHANCED_PACKET_BLOCK,
};
use pcap_file::pcapng::{PcapNgWriter, RawBlock};
use pcap_file::{DataLink, Endianness, TsResolution};
use proptest::prelude::*;

use super::*;

const SAMPLE: &[u8] = include_bytes!("../../../samples/exfil-http.pcap");

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];

/// A [`CaptureEvent`] that owns its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Data(FlowKey, u64, Vec<u8>),
    End(FlowKey),
}

fn read(capture: &[u8]) -> (Vec<Event>, CaptureSummary) {
    let mut events = Vec::new();
    let summary = read_capture(capture, |event| {
        events.push(match event {
            CaptureEvent::Data { flow, offset, data } => {
                Event::Data(flow, offset, data.to_vec())
            }
            CaptureEvent::End { flow } => Event::End(flow),
        })
    })
    .expect("capture should be readable");
    (events, summary)
}

/// Concatenates the Data events of `flow`, checking that their offsets
/// follow on without gaps.
fn stream_of(events: &[Event], flow: FlowKey) -> Vec<u8> {
    let mut stream = Vec::new();
    for event in events {
        if let Event::Data(key, offset, data) = event {
            if *key == flow {
                assert_eq!(*offset, stream.len() as u64, "offset in {flow}");
                stream.extend_from_slice(data);
            }
        }
    }
    stream
}

/// Returns the flows that have Data events, in [`FlowKey`] order.
fn data_flows(events: &[Event]) -> BTreeSet<FlowKey> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Data(key, ..) => Some(*key),
            Event::End(_) => None,
        })
        .collect()
}

/// Returns the reassembled bytes of each flow of a capture.
fn streams_of(capture: &[u8]) -> BTreeMap<FlowKey, Vec<u8>> {
    let (events, _) = read(capture);
    data_flows(&events)
        .into_iter()
        .map(|key| (key, stream_of(&events, key)))
        .collect()
}

fn flow(src: [u8; 4], src_port: u16, dst: [u8; 4], dst_port: u16) -> FlowKey {
    FlowKey {
        src: SocketAddr::from((src, src_port)),
        dst: SocketAddr::from((dst, dst_port)),
    }
}

fn client_flow() -> FlowKey {
    flow(CLIENT, 40000, SERVER, 80)
}

fn server_flow() -> FlowKey {
    flow(SERVER, 80, CLIENT, 40000)
}

#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    fin: bool,
    rst: bool,
}

const NONE: Flags = Flags { syn: false, fin: false, rst: false };
const SYN: Flags = Flags { syn: true, fin: false, rst: false };
const FIN: Flags = Flags { syn: false, fin: true, rst: false };
const RST: Flags = Flags { syn: false, fin: false, rst: true };

/// Builds an Ethernet frame with an IPv4 TCP segment.
fn tcp_frame(
    flow: FlowKey,
    seq: u32,
    flags: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let (SocketAddr::V4(src), SocketAddr::V4(dst)) = (flow.src, flow.dst)
    else {
        panic!("tcp_frame builds IPv4 frames only");
    };
    let mut builder = PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4(src.ip().octets(), dst.ip().octets(), 64)
        .tcp(src.port(), dst.port(), seq, 65535);
    if flags.syn {
        builder = builder.syn();
    }
    if flags.fin {
        builder = builder.fin();
    }
    if flags.rst {
        builder = builder.rst();
    }
    let mut frame = Vec::new();
    builder.write(&mut frame, payload).expect("frame should serialize");
    frame
}

fn client(seq: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    tcp_frame(client_flow(), seq, flags, payload)
}

fn server(seq: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    tcp_frame(server_flow(), seq, flags, payload)
}

fn pcap_with(header: PcapHeader, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = PcapWriter::with_header(Vec::new(), header)
        .expect("header should serialize");
    for (i, frame) in frames.iter().enumerate() {
        let timestamp = Duration::from_millis(i as u64);
        let packet = PcapPacket::new(timestamp, frame.len() as u32, frame);
        writer.write_packet(&packet).expect("packet should serialize");
    }
    writer.into_writer()
}

fn pcap(datalink: DataLink, frames: &[Vec<u8>]) -> Vec<u8> {
    let header = PcapHeader {
        datalink,
        endianness: Endianness::Little,
        ..PcapHeader::default()
    };
    pcap_with(header, frames)
}

fn ethernet_pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    pcap(DataLink::ETHERNET, frames)
}

/// Starts a pcapng capture with one Ethernet interface.
fn pcapng_writer(endianness: Endianness) -> PcapNgWriter<Vec<u8>> {
    let mut writer = PcapNgWriter::with_endianness(Vec::new(), endianness)
        .expect("section header should serialize");
    writer
        .write_pcapng_block(InterfaceDescriptionBlock::new(
            DataLink::ETHERNET,
            0,
        ))
        .expect("interface should serialize");
    writer
}

fn write_packet_block(writer: &mut PcapNgWriter<Vec<u8>>, frame: &[u8]) {
    writer
        .write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::ZERO,
            original_len: frame.len() as u32,
            data: Cow::Borrowed(frame),
            options: Vec::new(),
        })
        .expect("packet should serialize");
}

fn pcapng(endianness: Endianness, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = pcapng_writer(endianness);
    for frame in frames {
        write_packet_block(&mut writer, frame);
    }
    writer.into_inner()
}

/// Returns the frames of the sample capture.
fn sample_frames() -> Vec<Vec<u8>> {
    let mut reader = PcapReader::new(SAMPLE).expect("sample should parse");
    let mut frames = Vec::new();
    while let Some(packet) = reader.next_packet() {
        frames.push(packet.expect("sample packet should parse").data.to_vec());
    }
    frames
}

/// Returns the file offset of the end of each record of the sample.
fn sample_record_ends() -> Vec<usize> {
    let mut ends = Vec::new();
    let mut offset = 24;
    while offset + 16 <= SAMPLE.len() {
        let field = &SAMPLE[offset + 8..offset + 12];
        let captured_len =
            u32::from_le_bytes(field.try_into().expect("4 bytes")) as usize;
        offset += 16 + captured_len;
        ends.push(offset);
    }
    ends
}

#[test]
fn is_capture_accepts_magic_numbers() {
    let magics: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    for magic in magics {
        assert!(is_capture(&magic), "magic {magic:02x?}");
    }
    assert!(is_capture(SAMPLE));
}

#[test]
fn is_capture_rejects_other_files() {
    assert!(!is_capture(b""));
    assert!(!is_capture(&[0xd4, 0xc3, 0xb2]));
    assert!(!is_capture(b"PK\x03\x04rest"));
    assert!(!is_capture(b"POST / HTTP/1.1\r\n"));
    assert!(!is_capture(&[0xa1, 0xb2, 0xcd, 0x34]));
}

#[test]
fn non_capture_input_is_error() {
    let error = read_capture(&b"PK\x03\x04zip"[..], |_| {})
        .expect_err("a zip file is not a capture");
    let message = error.to_string();
    assert!(message.contains("not a pcap or pcapng file"), "{message}");
    assert!(message.contains("50 4b 03 04"), "{message}");

    let error = read_capture(&b""[..], |_| {}).expect_err("empty input");
    assert!(error.to_string().contains("empty"), "{error}");

    let error = read_capture(&SAMPLE[..3], |_| {}).expect_err("3 bytes");
    assert!(error.to_string().contains("d4 c3 b2"), "{error}");
}

#[test]
fn read_error_before_header_is_error() {
    struct FailingReader;
    impl Read for FailingReader {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let error = read_capture(FailingReader, |_| {}).expect_err("read fails");
    assert!(error.to_string().contains("disk on fire"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn read_error_after_header_is_warning() {
    /// Reader that returns the bytes of `rest` in chunks of 100 bytes,
    /// then fails.
    struct CutReader {
        rest: &'static [u8],
    }
    impl Read for CutReader {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.rest.is_empty() {
                return Err(std::io::Error::other("cable unplugged"));
            }
            let count = buf.len().min(self.rest.len()).min(100);
            buf[..count].copy_from_slice(&self.rest[..count]);
            self.rest = &self.rest[count..];
            Ok(count)
        }
    }
    let ends = sample_record_ends();
    let reader = CutReader { rest: &SAMPLE[..ends[5] + 3] };
    let summary = read_capture(reader, |_| {}).expect("header was read");
    assert_eq!(summary.packets, 6);
    let warning = &summary.warnings[0];
    assert_eq!(warning.packet, 7);
    assert!(warning.message.contains("cable unplugged"), "{warning}");
}

#[test]
fn header_only_capture_is_empty() {
    let (events, summary) = read(&ethernet_pcap(&[]));
    assert!(events.is_empty());
    assert_eq!(summary, CaptureSummary::default());
}

#[test]
fn truncated_file_header_is_warning() {
    let (events, summary) = read(&SAMPLE[..10]);
    assert!(events.is_empty());
    assert_eq!(summary.packets, 0);
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(
        summary.warnings[0].to_string(),
        "truncated pcap file header, 10 of 24 bytes"
    );
}

#[test]
fn handshake_data_and_fin() {
    let frames = [
        client(1000, SYN, b""),
        server(5000, SYN, b""),
        client(1001, NONE, b"hello "),
        server(5001, NONE, b"ok"),
        client(1007, FIN, b"world"),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"hello ".to_vec()),
            Event::Data(server_flow(), 0, b"ok".to_vec()),
            Event::Data(client_flow(), 6, b"world".to_vec()),
            Event::End(client_flow()),
            Event::End(server_flow()),
        ]
    );
    assert_eq!(summary.packets, 5);
    assert_eq!(summary.tcp_segments, 5);
    assert_eq!(summary.flows, 2);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}

#[test]
fn out_of_order_fin_waits_for_gap() {
    let frames = [
        client(1000, SYN, b""),
        client(1006, FIN, b"world"),
        client(1001, NONE, b"hell"),
        client(1001, NONE, b"hello"),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"hell".to_vec()),
            Event::Data(client_flow(), 4, b"o".to_vec()),
            Event::Data(client_flow(), 5, b"world".to_vec()),
            Event::End(client_flow()),
        ]
    );
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}

#[test]
fn new_syn_after_fin_restarts_stream() {
    let frames = [
        client(1000, SYN, b""),
        client(1001, NONE, b"first"),
        client(1006, FIN, b""),
        // A late retransmission of the ended stream is ignored.
        client(1001, NONE, b"first"),
        client(9000, SYN, b""),
        client(9001, NONE, b"second"),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"first".to_vec()),
            Event::End(client_flow()),
            Event::Data(client_flow(), 0, b"second".to_vec()),
            Event::End(client_flow()),
        ]
    );
    assert_eq!(summary.flows, 2);
}

#[test]
fn new_syn_without_fin_restarts_stream() {
    let frames = [
        client(1000, SYN, b""),
        client(1001, NONE, b"first"),
        client(1000, SYN, b""),
        client(1010, NONE, b"held"),
        client(7000, SYN, b""),
        client(7001, NONE, b"second"),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"first".to_vec()),
            Event::Data(client_flow(), 9, b"held".to_vec()),
            Event::End(client_flow()),
            Event::Data(client_flow(), 0, b"second".to_vec()),
            Event::End(client_flow()),
        ]
    );
    assert_eq!(summary.flows, 2);
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].packet, 5);
    assert_eq!(
        summary.warnings[0].message,
        "flow 10.0.0.1:40000 -> 10.0.0.2:80: skipped 4 bytes that never \
         arrived"
    );
}

#[test]
fn rst_ends_direction() {
    let frames = [
        client(1000, SYN, b""),
        client(1001, NONE, b"data"),
        client(1005, RST, b""),
        client(1005, NONE, b"late"),
        server(5000, NONE, b"reply"),
    ];
    let (events, _) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"data".to_vec()),
            Event::End(client_flow()),
            Event::Data(server_flow(), 0, b"reply".to_vec()),
            Event::End(server_flow()),
        ]
    );
}

#[test]
fn gap_at_end_is_skipped_with_warning() {
    let frames = [
        client(1000, SYN, b""),
        client(1001, NONE, b"abc"),
        client(1010, NONE, b"xyz"),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(
        events,
        vec![
            Event::Data(client_flow(), 0, b"abc".to_vec()),
            Event::Data(client_flow(), 9, b"xyz".to_vec()),
            Event::End(client_flow()),
        ]
    );
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].packet, 0);
    assert_eq!(
        summary.warnings[0].to_string(),
        "flow 10.0.0.1:40000 -> 10.0.0.2:80: skipped 6 bytes that never \
         arrived"
    );
}

#[test]
fn missing_bytes_before_fin_are_reported() {
    let frames = [
        client(1000, SYN, b""),
        client(1001, NONE, b"abc"),
        client(1010, FIN, b""),
    ];
    let (events, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(events.last(), Some(&Event::End(client_flow())));
    assert_eq!(summary.warnings.len(), 1);
    assert!(
        summary.warnings[0].message.contains("skipped 6 bytes"),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn end_of_capture_order_is_by_flow_key() {
    let flows = [
        flow([10, 0, 0, 9], 1, SERVER, 80),
        flow([10, 0, 0, 3], 2, SERVER, 80),
        flow([10, 0, 0, 5], 3, SERVER, 80),
    ];
    let frames: Vec<Vec<u8>> =
        flows.iter().map(|key| tcp_frame(*key, 1, NONE, b"x")).collect();
    let (events, _) = read(&ethernet_pcap(&frames));
    let ends: Vec<FlowKey> = events
        .iter()
        .filter_map(|event| match event {
            Event::End(key) => Some(*key),
            Event::Data(..) => None,
        })
        .collect();
    let mut sorted = flows.to_vec();
    sorted.sort();
    assert_eq!(ends, sorted);
}

#[test]
fn ipv6_raw_ip_link() {
    let loopback = [0u8; 15].into_iter().chain([1]).collect::<Vec<u8>>();
    let address: [u8; 16] = loopback.try_into().expect("16 bytes");
    let mut frame = Vec::new();
    PacketBuilder::ipv6(address, address, 64)
        .tcp(80, 8080, 7, 1024)
        .write(&mut frame, b"v6 payload")
        .expect("frame should serialize");
    let (events, _) = read(&pcap(DataLink::RAW, &[frame]));
    let Some(Event::Data(key, 0, data)) = events.first() else {
        panic!("expected a Data event, got {events:?}");
    };
    assert_eq!(key.to_string(), "[::1]:80 -> [::1]:8080");
    assert_eq!(data, b"v6 payload");
}

#[test]
fn vlan_tagged_frame() {
    let vlan = VlanId::try_new(42).expect("valid VLAN id");
    let mut frame = Vec::new();
    PacketBuilder::ethernet2([2; 6], [4; 6])
        .single_vlan(vlan)
        .ipv4(CLIENT, SERVER, 64)
        .tcp(40000, 80, 1, 1024)
        .write(&mut frame, b"tagged")
        .expect("frame should serialize");
    let (events, _) = read(&ethernet_pcap(&[frame]));
    assert_eq!(events[0], Event::Data(client_flow(), 0, b"tagged".to_vec()));
}

#[test]
fn linux_cooked_capture_frames() {
    let mut sll = Vec::new();
    PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, [2; 8])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(40000, 80, 1, 1024)
        .write(&mut sll, b"cooked")
        .expect("frame should serialize");
    let (events, summary) = read(&pcap(DataLink::LINUX_SLL, &[sll.clone()]));
    assert_eq!(events[0], Event::Data(client_flow(), 0, b"cooked".to_vec()));
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);

    // SLL2 starts with the EtherType and has a 20-byte header.
    let ip_packet = &sll[16..];
    let mut sll2 = vec![0x08, 0x00];
    sll2.extend_from_slice(&[0; 18]);
    sll2.extend_from_slice(ip_packet);
    let (events, _) = read(&pcap(DataLink::LINUX_SLL2, &[sll2]));
    assert_eq!(events[0], Event::Data(client_flow(), 0, b"cooked".to_vec()));
}

#[test]
fn loopback_link_frames() {
    let frame = client(1, NONE, b"lo");
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(&frame[14..]);
    let (events, _) = read(&pcap(DataLink::NULL, &[null]));
    assert_eq!(events[0], Event::Data(client_flow(), 0, b"lo".to_vec()));
}

#[test]
fn non_tcp_packets_are_skipped_silently() {
    let mut udp = Vec::new();
    PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4(CLIENT, SERVER, 64)
        .udp(53, 53)
        .write(&mut udp, b"dns")
        .expect("frame should serialize");
    let mut arp_like = vec![0u8; 60];
    arp_like[12] = 0x08;
    arp_like[13] = 0x06;
    let (events, summary) = read(&ethernet_pcap(&[udp, arp_like]));
    assert!(events.is_empty());
    assert_eq!(summary.packets, 2);
    assert_eq!(summary.tcp_segments, 0);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
}

#[test]
fn ip_fragment_is_skipped_with_warning() {
    let mut frame = client(1, NONE, b"fragment");
    // Sets the "more fragments" flag of the IPv4 header.
    frame[14 + 6] |= 0x20;
    let (events, summary) = read(&ethernet_pcap(&[frame]));
    assert!(events.is_empty());
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].packet, 1);
    assert!(
        summary.warnings[0].message.contains("IP fragment"),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn snaplen_cut_segment_is_warned() {
    let mut frame = client(1, NONE, b"0123456789");
    frame.truncate(frame.len() - 4);
    let (events, summary) = read(&ethernet_pcap(&[frame]));
    assert_eq!(events[0], Event::Data(client_flow(), 0, b"012345".to_vec()));
    assert_eq!(summary.warnings.len(), 1);
    assert!(
        summary.warnings[0].message.contains("snapshot length"),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn unsupported_link_type_is_warned_once() {
    let frames = [vec![0u8; 40], vec![0u8; 40]];
    let (_, summary) = read(&pcap(DataLink::IEEE802_11, &frames));
    assert_eq!(summary.packets, 2);
    assert_eq!(summary.warnings.len(), 1);
    assert!(
        summary.warnings[0].message.contains("link type 105"),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn warnings_are_capped() {
    let mut fragment = client(1, NONE, b"x");
    fragment[14 + 6] |= 0x20;
    let frames = vec![fragment; 1005];
    let (_, summary) = read(&ethernet_pcap(&frames));
    assert_eq!(summary.warnings.len(), 1001);
    assert_eq!(
        summary.warnings[1000].message,
        "5 more warnings were omitted after the first 1000"
    );
}

#[test]
fn oversized_record_length_stops_reading() {
    let mut capture = ethernet_pcap(&[client(1, NONE, b"ok")]);
    let mut record = vec![0u8; 16];
    record[8..12].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    record[12..16].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    capture.extend_from_slice(&record);
    let (events, summary) = read(&capture);
    assert_eq!(events.len(), 2);
    assert_eq!(summary.packets, 1);
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].packet, 2);
    assert!(
        summary.warnings[0].message.contains("invalid record length"),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn sample_variants_give_same_events() {
    let (expected, expected_summary) = read(SAMPLE);
    assert!(expected_summary.warnings.is_empty());
    let frames = sample_frames();

    for endianness in [Endianness::Big, Endianness::Little] {
        for ts_resolution in
            [TsResolution::MicroSecond, TsResolution::NanoSecond]
        {
            let header = PcapHeader {
                endianness,
                ts_resolution,
                ..PcapHeader::default()
            };
            let (events, summary) = read(&pcap_with(header, &frames));
            assert_eq!(events, expected, "{endianness:?} {ts_resolution:?}");
            assert_eq!(summary, expected_summary);
        }
        let (events, summary) = read(&pcapng(endianness, &frames));
        assert_eq!(events, expected, "pcapng {endianness:?}");
        assert_eq!(summary, expected_summary);
    }
}

#[test]
fn pcapng_invalid_packet_block_is_skipped() {
    let mut writer = pcapng_writer(Endianness::Little);
    write_packet_block(&mut writer, &client(1, NONE, b"first"));
    // An enhanced packet block with a 4-byte frame and a comment option
    // that is not UTF-8.
    let mut body = Vec::new();
    for field in [0u32, 0, 0, 4, 4] {
        body.extend_from_slice(&field.to_le_bytes());
    }
    body.extend_from_slice(b"junk");
    body.extend_from_slice(&[1, 0, 2, 0, 0xff, 0xfe, 0, 0, 0, 0, 0, 0]);
    let block_len = body.len() as u32 + 12;
    writer
        .write_raw_block(&RawBlock {
            type_: ENHANCED_PACKET_BLOCK,
            initial_len: block_len,
            body: Cow::Borrowed(&body),
            trailer_len: block_len,
        })
        .expect("block should serialize");
    write_packet_block(&mut writer, &client(6, NONE, b"second"));

    let (events, summary) = read(&writer.into_inner());
    assert_eq!(summary.packets, 3);
    assert_eq!(summary.warnings.len(), 1);
    assert_eq!(summary.warnings[0].packet, 2);
    assert!(
        summary.warnings[0].message.contains("invalid packet block"),
        "{:?}",
        summary.warnings
    );
    assert_eq!(stream_of(&events, client_flow()), b"firstsecond");
}

#[test]
fn truncated_sample_reads_earlier_packets() {
    let full_streams = streams_of(SAMPLE);
    let ends = sample_record_ends();
    for cut in 4..SAMPLE.len() {
        let (events, summary) = read(&SAMPLE[..cut]);
        let complete = ends.iter().filter(|end| **end <= cut).count() as u64;
        assert_eq!(summary.packets, complete, "cut at {cut}");

        let at_boundary = cut == 24 || ends.contains(&cut);
        if !at_boundary {
            // Warnings about the file header have packet number 0.
            let packet = if cut < 24 { 0 } else { complete + 1 };
            assert_eq!(summary.warnings.len(), 1, "cut at {cut}");
            assert_eq!(summary.warnings[0].packet, packet, "cut at {cut}");
        }

        // Every flow with data ends, and its bytes are a prefix of the
        // bytes of the whole capture.
        for key in data_flows(&events) {
            assert!(events.contains(&Event::End(key)), "cut at {cut}");
            let partial = stream_of(&events, key);
            assert!(full_streams[&key].starts_with(&partial), "cut at {cut}");
        }
    }
}

#[test]
fn truncated_record_message_names_lengths() {
    let ends = sample_record_ends();
    // Keeps the record header and 40 bytes of the 7th record.
    let cut = ends[5] + 16 + 40;
    let (_, summary) = read(&SAMPLE[..cut]);
    let captured_len = ends[6] - ends[5] - 16;
    assert_eq!(
        summary.warnings[0].to_string(),
        format!("packet 7: truncated record, 40 of {captured_len} bytes")
    );

    let (_, summary) = read(&SAMPLE[..ends[5] + 5]);
    assert_eq!(
        summary.warnings[0].to_string(),
        "packet 7: truncated record header, 5 of 16 bytes"
    );
}

#[test]
fn truncated_pcapng_is_warning() {
    let capture = pcapng(Endianness::Little, &sample_frames());
    let full_streams = streams_of(&capture);
    for cut in (4..capture.len()).step_by(7) {
        let (events, summary) = read(&capture[..cut]);
        for key in data_flows(&events) {
            let partial = stream_of(&events, key);
            assert!(full_streams[&key].starts_with(&partial), "cut at {cut}");
        }
        if cut % 4 != 0 {
            // pcapng blocks are 32-bit aligned, so the cut is inside one.
            assert!(!summary.warnings.is_empty(), "cut at {cut}");
        }
    }
}

/// Numbers of the link types that the decoder supports.
const LINK_TYPES: [u32; 8] = [0, 1, 101, 108, 113, 228, 229, 276];

proptest! {
    #[test]
    fn corrupt_capture_never_panics(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..20),
        pcapng_format in any::<bool>(),
        cut in any::<usize>(),
    ) {
        let mut capture = if pcapng_format {
            pcapng(Endianness::Little, &sample_frames())
        } else {
            SAMPLE.to_vec()
        };
        for (position, value) in flips {
            // The magic number stays, so that the body gets parsed.
            let index = 4 + position % (capture.len() - 4);
            capture[index] = value;
        }
        capture.truncate(4 + cut % (capture.len() - 3));
        let _ = read_capture(&capture[..], |_| {});
    }

    #[test]
    fn random_packets_never_panic(
        frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..200), 0..20),
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
    ) {
        let capture = pcap(DataLink::from(link_type), &frames);
        let _ = read_capture(&capture[..], |_| {});
    }
}
