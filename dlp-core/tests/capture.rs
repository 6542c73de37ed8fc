//! Reads the sample capture and checks the reassembled streams against the
//! findings listed in `samples/exfil-http.expected.jsonl`.
#![cfg(feature = "capture")]

use std::collections::BTreeMap;

use dlp_core::capture::{read_capture, CaptureEvent, CaptureSummary, FlowKey};

const SAMPLE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/exfil-http.pcap"
));
const EXPECTED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/exfil-http.expected.jsonl"
));

/// Reassembled bytes of one flow direction.
#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    /// Stream offset of each Data event.
    event_offsets: Vec<u64>,
    ends: usize,
}

fn read_streams(
    capture: &[u8],
) -> (BTreeMap<FlowKey, Stream>, CaptureSummary) {
    let mut streams: BTreeMap<FlowKey, Stream> = BTreeMap::new();
    let summary = read_capture(capture, |event| match event {
        CaptureEvent::Data { flow, offset, data } => {
            let stream = streams.entry(flow).or_default();
            assert_eq!(stream.ends, 0, "Data after End in {flow}");
            assert_eq!(offset, stream.bytes.len() as u64, "offset in {flow}");
            stream.event_offsets.push(offset);
            stream.bytes.extend_from_slice(data);
        }
        CaptureEvent::End { flow } => {
            streams.entry(flow).or_default().ends += 1
        }
    })
    .expect("sample should be a readable capture");
    (streams, summary)
}

#[test]
fn sample_capture_has_three_client_flows() {
    let (streams, summary) = read_streams(SAMPLE);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    assert_eq!(summary.flows, 6);

    let client_ports: Vec<u16> = streams
        .keys()
        .filter(|flow| flow.dst.port() == 8080)
        .map(|flow| flow.src.port())
        .collect();
    assert_eq!(client_ports, [52882, 52888, 52892]);
    for (flow, stream) in &streams {
        assert_eq!(stream.ends, 1, "End events of {flow}");
        assert!(!stream.bytes.is_empty(), "no bytes in {flow}");
    }
}

#[test]
fn sample_capture_findings_at_offsets() {
    let (streams, _) = read_streams(SAMPLE);
    let mut findings = 0;
    let mut values_across_events = 0;
    for line in EXPECTED.lines().filter(|line| !line.trim().is_empty()) {
        let finding: serde_json::Value =
            serde_json::from_str(line).expect("line should be JSON");
        let flow_name = finding["flow"].as_str().expect("flow is a string");
        let value = finding["value"].as_str().expect("value is a string");
        let start = finding["start"].as_u64().expect("start is a number");
        let end = finding["end"].as_u64().expect("end is a number");

        let (_, stream) = streams
            .iter()
            .find(|(flow, _)| flow.to_string() == flow_name)
            .unwrap_or_else(|| panic!("no stream for flow {flow_name}"));
        let bytes = stream
            .bytes
            .get(start as usize..end as usize)
            .unwrap_or_else(|| panic!("{start}..{end} is past {flow_name}"));
        assert_eq!(bytes, value.as_bytes(), "{flow_name} at {start}..{end}");

        let crosses_event = stream
            .event_offsets
            .iter()
            .any(|offset| start < *offset && *offset < end);
        if crosses_event {
            values_across_events += 1;
        }
        findings += 1;
    }
    assert_eq!(findings, 6);
    // "2 84 12 2A 004 123 70" is cut across two TCP segments.
    assert_eq!(values_across_events, 1);
}

#[test]
fn sample_capture_cut_gives_warnings() {
    let cut = SAMPLE.len() / 2;
    let (streams, summary) = read_streams(&SAMPLE[..cut]);
    assert!(summary.packets > 0);
    assert!(!summary.warnings.is_empty());
    let warning = summary.warnings[0].to_string();
    assert!(
        warning.starts_with(&format!("packet {}: ", summary.packets + 1)),
        "{warning}"
    );
    assert!(warning.contains("truncated record"), "{warning}");

    let (full, _) = read_streams(SAMPLE);
    for (flow, stream) in &streams {
        assert_eq!(stream.ends, 1, "End events of {flow}");
        assert!(full[flow].bytes.starts_with(&stream.bytes), "{flow}");
    }
}
