use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::*;
use crate::packet::tests::tcp_v4;
use crate::policy::{Mode, Override};

const CLIENT: ([u8; 4], u16) = ([10, 99, 0, 1], 40000);
const SERVER: ([u8; 4], u16) = ([10, 99, 0, 2], 8000);
const NIR: &str = "1 85 05 78 006 084 91";
const WRONG_KEY_NIR: &str = "1 85 05 78 006 084 36";

/// A writer whose bytes the test reads back.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Harness {
    inspector: Inspector,
    events: Buffer,
    stats: Arc<Stats>,
    now_ms: u64,
}

fn config(mode: Mode, overrides: &[&str]) -> Config {
    let engine = Engine::builtin();
    let names: Vec<&str> =
        engine.sensors().iter().map(|s| s.name.as_str()).collect();
    let overrides: Vec<Override> =
        overrides.iter().map(|o| o.parse().unwrap()).collect();
    Config {
        policy: Policy::new(mode, Action::Deny, &overrides, &names).unwrap(),
        fail_closed: false,
        show_values: false,
        send_resets: true,
        max_flows: 16,
        idle_timeout_ms: 10_000,
        reorder: ReassemblyLimits::default(),
    }
}

impl Harness {
    fn new(config: Config) -> Harness {
        let events = Buffer::default();
        let stats = Arc::new(Stats::default());
        let sink = Arc::new(EventSink::new(
            Box::new(events.clone()),
            config.policy.mode(),
        ));
        let inspector = Inspector::new(
            Engine::builtin(),
            Arc::new(config),
            Arc::clone(&stats),
            sink,
            0,
        );
        Harness { inspector, events, stats, now_ms: 0 }
    }

    fn send(
        &mut self,
        from: ([u8; 4], u16),
        to: ([u8; 4], u16),
        seq: u32,
        flags: &str,
        payload: &[u8],
    ) -> Decision {
        self.now_ms += 1;
        let packet = tcp_v4(from, to, seq, flags, payload);
        self.inspector.handle(&packet, false, self.now_ms)
    }

    /// Sends the client's SYN with ISN 999, so data starts at 1000.
    fn open(&mut self, client: ([u8; 4], u16)) {
        let decision = self.send(client, SERVER, 999, "S", b"");
        assert!(decision.accept);
    }

    fn events(&self) -> Vec<Value> {
        let bytes = self.events.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn count(&self, counter: &std::sync::atomic::AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

fn post(body: &str) -> Vec<u8> {
    format!(
        "POST /upload HTTP/1.1\r\nHost: c2\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn monitor_logs_one_event() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    let fin_seq = 1000 + request.len() as u32;
    assert!(h.send(CLIENT, SERVER, fin_seq, "FA", b"").accept);
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "finding");
    assert_eq!(events[0]["sensor"], "fr_nir");
    assert_eq!(events[0]["action"], "alert");
    assert_eq!(events[0]["flow"]["direction"], "client_to_server");
    assert_eq!(events[0]["flow"]["src"], "10.99.0.1:40000");
    let masked = events[0]["masked"].as_str().unwrap();
    assert!(!masked.contains("006 084"), "{masked}");
    assert!(events[0].get("value").is_none());
    assert_eq!(h.count(&h.stats.dropped), 0);
}

#[test]
fn protect_drops_completing_packet() {
    let mut h = Harness::new(config(Mode::Protect, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    let decision = h.send(CLIENT, SERVER, 1000, "A", &request);
    assert!(!decision.accept);
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["action"], "deny");
    assert_eq!(events[0]["mode"], "protect");

    // One reset to the server at the sequence number it expects, one to
    // the client at the acknowledgment number of the dropped segment.
    assert_eq!(decision.resets.len(), 2);
    let to_server = decision.resets[0];
    assert_eq!(to_server.dst, "10.99.0.2:8000".parse().unwrap());
    assert_eq!(to_server.seq, 1000);
    let to_client = decision.resets[1];
    assert_eq!(to_client.dst, "10.99.0.1:40000".parse().unwrap());
    assert_eq!(to_client.seq, 7000);
    assert_eq!(h.count(&h.stats.flows_denied), 1);
}

#[test]
fn protect_blocks_rest_of_flow() {
    let mut h = Harness::new(config(Mode::Protect, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    assert!(!h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    // A retransmission and the server's reply are dropped as well.
    assert!(!h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    assert!(!h.send(SERVER, CLIENT, 7000, "A", b"HTTP/1.1 200").accept);
    // Resets pass.
    assert!(h.send(CLIENT, SERVER, 1000, "R", b"").accept);
    assert_eq!(h.events().len(), 1);
}

#[test]
fn protect_value_split_across_segments() {
    let mut h = Harness::new(config(Mode::Protect, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    let cut = request.len() - 9;
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request[..cut]).accept);
    let second =
        h.send(CLIENT, SERVER, 1000 + cut as u32, "A", &request[cut..]);
    assert!(!second.accept);
    assert_eq!(second.resets[0].seq, 1000 + cut as u32);
    let events = h.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["sensor"], "fr_nir");
}

#[test]
fn out_of_order_and_retransmission() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    let cut = request.len() - 9;
    let tail_seq = 1000 + cut as u32;
    // The second part arrives first and is held until the gap fills.
    assert!(h.send(CLIENT, SERVER, tail_seq, "A", &request[cut..]).accept);
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request[..cut]).accept);
    // A retransmission of the whole request is not scanned again.
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    let end = 1000 + request.len() as u32;
    assert!(h.send(CLIENT, SERVER, end, "FA", b"").accept);
    let events = h.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(h.count(&h.stats.findings), 1);
}

#[test]
fn wrong_key_passes_silently() {
    for mode in [Mode::Monitor, Mode::Protect] {
        let mut h = Harness::new(config(mode, &[]));
        h.open(CLIENT);
        let request = post(&format!("nir={WRONG_KEY_NIR}"));
        assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
        let end = 1000 + request.len() as u32;
        assert!(h.send(CLIENT, SERVER, end, "FA", b"").accept);
        assert!(h.events().is_empty(), "{mode:?}");
    }
}

#[test]
fn override_alert_in_protect() {
    let mut h = Harness::new(config(Mode::Protect, &["fr_nir=alert"]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR} {NIR}"));
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    let end = 1000 + request.len() as u32;
    assert!(h.send(CLIENT, SERVER, end, "FA", b"").accept);
    let events = h.events();
    assert_eq!(events[0]["action"], "alert");
    assert_eq!(h.count(&h.stats.dropped), 0);
}

#[test]
fn repeats_counted_not_logged() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    h.open(CLIENT);
    let body = format!("a={NIR}&b={NIR}&c={NIR}&d={NIR}");
    let request = post(&body);
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    let end = 1000 + request.len() as u32;
    assert!(h.send(CLIENT, SERVER, end, "FA", b"").accept);
    let events = h.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["type"], "finding");
    assert_eq!(events[1]["type"], "repeat");
    assert_eq!(events[1]["sensor"], "fr_nir");
    assert_eq!(events[1]["count"], 3);
    assert_eq!(h.count(&h.stats.findings), 4);
    assert_eq!(h.count(&h.stats.repeats), 3);
}

#[test]
fn idle_flow_expires_and_reports() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    h.open(CLIENT);
    // The value sits at the very end of the data, so only the end of the
    // stream confirms it.
    let request = post(&format!("nir={NIR}"));
    assert!(h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    assert_eq!(h.inspector.flow_count(), 1);
    h.now_ms += 10_000;
    h.inspector.expire(h.now_ms);
    assert_eq!(h.inspector.flow_count(), 0);
    assert_eq!(h.count(&h.stats.flows_expired), 1);
    assert_eq!(h.count(&h.stats.flows), 0);
    let events = h.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "alert");
}

#[test]
fn full_table_fail_open_evicts() {
    let mut base = config(Mode::Monitor, &[]);
    base.max_flows = 1;
    let mut h = Harness::new(base);
    h.open(CLIENT);
    h.open(([10, 99, 0, 1], 40001));
    assert_eq!(h.inspector.flow_count(), 1);
    assert_eq!(h.count(&h.stats.flows_evicted), 1);
    assert_eq!(h.count(&h.stats.flows_total), 2);
}

#[test]
fn full_table_fail_closed_rejects() {
    let mut base = config(Mode::Monitor, &[]);
    base.max_flows = 1;
    base.fail_closed = true;
    let mut h = Harness::new(base);
    h.open(CLIENT);
    let decision = h.send(([10, 99, 0, 1], 40001), SERVER, 5, "S", b"");
    assert!(!decision.accept);
    assert_eq!(h.count(&h.stats.flows_rejected), 1);
    // The tracked flow goes on.
    assert!(h.send(CLIENT, SERVER, 1000, "A", b"GET / HTTP/1.1\r\n").accept);
}

#[test]
fn stray_ack_not_tracked() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    assert!(h.send(CLIENT, SERVER, 5, "A", b"").accept);
    assert!(h.send(CLIENT, SERVER, 5, "R", b"").accept);
    assert_eq!(h.inspector.flow_count(), 0);
}

#[test]
fn fin_both_ways_removes_flow() {
    let mut h = Harness::new(config(Mode::Monitor, &[]));
    h.open(CLIENT);
    assert!(h.send(SERVER, CLIENT, 6999, "SA", b"").accept);
    assert!(h.send(CLIENT, SERVER, 1000, "FA", b"").accept);
    assert_eq!(h.inspector.flow_count(), 1);
    assert!(h.send(SERVER, CLIENT, 7000, "FA", b"").accept);
    assert_eq!(h.inspector.flow_count(), 0);
}

#[test]
fn reorder_overflow_policy() {
    for fail_closed in [false, true] {
        let mut base = config(Mode::Monitor, &[]);
        base.fail_closed = fail_closed;
        base.reorder =
            ReassemblyLimits { max_buffered_bytes: 16, max_segments: 4 };
        let mut h = Harness::new(base);
        h.open(CLIENT);
        // 32 bytes past a gap do not fit in 16 bytes of reorder buffer.
        let decision = h.send(CLIENT, SERVER, 2000, "A", &[b'x'; 32]);
        assert_eq!(decision.accept, !fail_closed);
        assert_eq!(h.count(&h.stats.reorder_overflows), 1);
    }
}

#[test]
fn invalid_packet_policy() {
    for fail_closed in [false, true] {
        let mut base = config(Mode::Monitor, &[]);
        base.fail_closed = fail_closed;
        let mut h = Harness::new(base);
        let decision = h.inspector.handle(&[0x45, 0, 0, 1], false, 1);
        assert_eq!(decision.accept, !fail_closed);
        let decision = h.inspector.handle(&[0x45; 60], true, 2);
        assert_eq!(decision.accept, !fail_closed);
        assert_eq!(h.count(&h.stats.invalid), 1);
        assert_eq!(h.count(&h.stats.truncated), 1);
    }
}

#[test]
fn new_syn_reusing_ports_starts_fresh() {
    let mut h = Harness::new(config(Mode::Protect, &[]));
    h.open(CLIENT);
    let request = post(&format!("nir={NIR}"));
    assert!(!h.send(CLIENT, SERVER, 1000, "A", &request).accept);
    // A new connection on the same ports is not blocked.
    assert!(h.send(CLIENT, SERVER, 50_000, "S", b"").accept);
    assert!(h.send(CLIENT, SERVER, 50_001, "A", b"GET / HTTP/1.1\r\n").accept);
}

#[test]
fn ipv6_flow_detected() {
    use etherparse::PacketBuilder;
    let mut h = Harness::new(config(Mode::Protect, &[]));
    let client: [u8; 16] =
        "fd99::1".parse::<std::net::Ipv6Addr>().unwrap().octets();
    let server: [u8; 16] =
        "fd99::2".parse::<std::net::Ipv6Addr>().unwrap().octets();
    let build = |seq: u32, syn: bool, payload: &[u8]| {
        let mut header = etherparse::TcpHeader::new(40000, 8000, seq, 1000);
        header.syn = syn;
        header.ack = !syn;
        header.acknowledgment_number = if syn { 0 } else { 7000 };
        let mut out = Vec::new();
        PacketBuilder::ipv6(client, server, 64)
            .tcp_header(header)
            .write(&mut out, payload)
            .unwrap();
        out
    };
    assert!(h.inspector.handle(&build(999, true, b""), false, 1).accept);
    let request = post(&format!("nir={NIR}"));
    let decision = h.inspector.handle(&build(1000, false, &request), false, 2);
    assert!(!decision.accept);
    assert_eq!(decision.resets.len(), 2);
    let events = h.events();
    assert_eq!(events[0]["flow"]["src"], "[fd99::1]:40000");
}

#[test]
fn keep_window_keeps_tail() {
    let mut window = Vec::new();
    keep_window(&mut window, b"abcdef", 4);
    assert_eq!(window, b"cdef");
    keep_window(&mut window, b"gh", 4);
    assert_eq!(window, b"efgh");
    keep_window(&mut window, b"i", 8);
    assert_eq!(window, b"efghi");
}

#[test]
fn remember_span_rejects_overlap() {
    let mut reported = VecDeque::new();
    assert!(remember_span(&mut reported, 10, 20));
    assert!(!remember_span(&mut reported, 15, 25));
    assert!(!remember_span(&mut reported, 10, 20));
    assert!(remember_span(&mut reported, 20, 30));
}
