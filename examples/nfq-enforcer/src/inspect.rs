//! Per-packet inspection: flow tracking, TCP ordering, matching and the
//! verdict. One [`Inspector`] serves one queue thread, and the kernel
//! sends both directions of a connection to the same queue, so flows are
//! never shared between threads.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use dlp_core::capture::{PushOutcome, Reassembler, ReassemblyLimits};
use dlp_core::{Engine, Match, Stream};

use crate::events::{Direction, EventSink, Finding, FlowLabel};
use crate::flows::{ConnKey, FlowTable, Insert, Side};
use crate::packet::{decode, Decoded, Segment};
use crate::policy::{Action, Policy};
use crate::stats::Stats;

/// Settings shared by all queue threads.
#[derive(Clone, Debug)]
pub struct Config {
    pub policy: Policy,
    /// Drop what cannot be inspected instead of letting it through.
    pub fail_closed: bool,
    /// Put raw matched values in the events.
    pub show_values: bool,
    /// Send TCP resets to both ends of a denied flow.
    pub send_resets: bool,
    /// Maximum flows tracked by one queue thread.
    pub max_flows: usize,
    pub idle_timeout_ms: u64,
    pub reorder: ReassemblyLimits,
}

/// A TCP reset to send on behalf of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetRequest {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    /// Acknowledgment number; the segment carries the ACK flag when set.
    pub ack: Option<u32>,
}

/// The verdict on one packet and the resets it calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub accept: bool,
    pub resets: Vec<ResetRequest>,
}

impl Decision {
    fn accept() -> Decision {
        Decision { accept: true, resets: Vec::new() }
    }

    fn drop() -> Decision {
        Decision { accept: false, resets: Vec::new() }
    }
}

/// A match with its offsets in the flow direction's stream.
struct Hit {
    found: Match,
    start: u64,
    end: u64,
}

/// One direction of a tracked connection.
struct DirState {
    reassembler: Reassembler,
    stream: Stream,
    /// The last bytes fed to `stream`, ending at `stream.offset()`, for
    /// the early check of values at the end of the data so far.
    window: Vec<u8>,
    /// Spans already reported, so that the early check and the stream do
    /// not report one value twice.
    reported: VecDeque<(u64, u64)>,
    fin_seen: bool,
}

/// How many reported spans a direction remembers. The early check only
/// looks at the last `lookahead` bytes, where few values fit.
const REPORTED_SPANS: usize = 16;

/// Findings of one sensor rule on one direction, for repeat counting.
struct Repeat {
    sensor: String,
    rule: String,
    action: Action,
    /// Findings after the first, which were counted but not logged.
    suppressed: u64,
}

struct Flow {
    dirs: [Option<DirState>; 2],
    /// The side that sent the first SYN without ACK, if it was seen.
    client: Option<Side>,
    denied: bool,
    repeats: HashMap<(Side, usize, usize), Repeat>,
}

impl Flow {
    fn new() -> Flow {
        Flow {
            dirs: [None, None],
            client: None,
            denied: false,
            repeats: HashMap::new(),
        }
    }

    fn label(&self, key: &ConnKey, side: Side) -> FlowLabel {
        let (src, dst) = key.endpoints(side);
        let direction = match self.client {
            Some(client) if client == side => Direction::ClientToServer,
            Some(_) => Direction::ServerToClient,
            None => Direction::Unknown,
        };
        FlowLabel { src, dst, direction }
    }

    /// True when every direction seen has ended with a FIN.
    fn all_finished(&self) -> bool {
        let mut seen = false;
        for dir in self.dirs.iter().flatten() {
            seen = true;
            if !dir.stream.is_finished() {
                return false;
            }
        }
        seen
    }
}

/// The inspection state of one queue thread.
pub struct Inspector {
    engine: Engine,
    config: Arc<Config>,
    stats: Arc<Stats>,
    sink: Arc<EventSink>,
    queue: u16,
    table: FlowTable<Flow>,
    /// Bytes at the end of a stream whose start positions the stream has
    /// not decided yet: the longest match and the byte after it.
    lookahead: usize,
    /// Bytes kept before the undecided ones, so that hotwords and word
    /// boundaries before a value are seen by the early check.
    left_context: usize,
    /// Whether to run the early check, which only matters when a finding
    /// can block a flow.
    early_check: bool,
    last_expire_ms: u64,
}

impl Inspector {
    pub fn new(
        engine: Engine,
        config: Arc<Config>,
        stats: Arc<Stats>,
        sink: Arc<EventSink>,
        queue: u16,
    ) -> Inspector {
        let hotword_window = engine
            .sensors()
            .iter()
            .flat_map(|sensor| sensor.rules.iter())
            .map(|rule| rule.hotword_window)
            .max()
            .unwrap_or(0);
        let early_check = engine.sensors().iter().any(|sensor| {
            config.policy.effective_action(&sensor.name) == Action::Deny
        });
        Inspector {
            lookahead: engine.max_match_len() + 1,
            // The HTTP tracker needs the 8 bytes that start a message.
            left_context: hotword_window.max(8) + 1,
            early_check,
            table: FlowTable::new(config.max_flows, config.idle_timeout_ms),
            engine,
            config,
            stats,
            sink,
            queue,
            last_expire_ms: 0,
        }
    }

    /// Inspects one packet that starts with its IP header. `truncated`
    /// tells that the queue delivered less than the whole packet.
    /// `now_ms` is a monotonic clock in milliseconds.
    pub fn handle(
        &mut self,
        packet: &[u8],
        truncated: bool,
        now_ms: u64,
    ) -> Decision {
        Stats::add(&self.stats.packets, 1);
        Stats::add(&self.stats.bytes, packet.len() as u64);
        if now_ms.saturating_sub(self.last_expire_ms) >= 1000 {
            self.last_expire_ms = now_ms;
            self.expire(now_ms);
        }
        let decision = if truncated {
            Stats::add(&self.stats.truncated, 1);
            self.uninspectable()
        } else {
            match decode(packet) {
                Decoded::Tcp(segment) => self.handle_segment(&segment, now_ms),
                Decoded::Other => Decision::accept(),
                Decoded::Invalid(reason) => {
                    // Only the first one is printed; the counter shows
                    // the rest.
                    let before =
                        self.stats.invalid.fetch_add(1, Ordering::Relaxed);
                    if before == 0 {
                        eprintln!(
                            "dlp-nfq: queue {}: undecodable packet: {reason}",
                            self.queue
                        );
                    }
                    self.uninspectable()
                }
            }
        };
        if decision.accept {
            Stats::add(&self.stats.accepted, 1);
        } else {
            Stats::add(&self.stats.dropped, 1);
        }
        decision
    }

    /// Returns the verdict on a packet that cannot be inspected.
    fn uninspectable(&self) -> Decision {
        if self.config.fail_closed {
            Decision::drop()
        } else {
            Decision::accept()
        }
    }

    fn handle_segment(&mut self, seg: &Segment<'_>, now_ms: u64) -> Decision {
        let (key, side) = ConnKey::of(seg.src, seg.dst);
        let opens = seg.syn && !seg.ack_flag;

        // A new SYN on a connection that carried data or was denied is a
        // new connection reusing the addresses.
        if opens {
            let reused = self.table.touch(&key, now_ms).is_some_and(|flow| {
                flow.denied
                    || flow.dirs[side.index()]
                        .as_ref()
                        .is_some_and(|dir| dir.reassembler.delivered() > 0)
            });
            if reused {
                if let Some(flow) = self.table.remove(&key) {
                    self.close_flow(&key, flow);
                }
            }
        }

        if self.table.touch(&key, now_ms).is_none() {
            // Only a SYN or data starts tracking: a stray ACK, FIN or RST
            // of an unknown connection carries nothing to scan.
            if !seg.syn && seg.payload.is_empty() {
                return Decision::accept();
            }
            if !self.add_flow(key, now_ms) {
                return Decision::drop();
            }
        }
        let flow = self.table.touch(&key, now_ms).expect("flow was added");

        if flow.denied {
            // Resets pass so that both ends can tear the connection down,
            // including the ones this program sends.
            let accept = seg.rst && seg.payload.is_empty();
            return if accept { Decision::accept() } else { Decision::drop() };
        }
        if opens && flow.client.is_none() {
            flow.client = Some(side);
        }

        if seg.rst {
            let flow = self.table.remove(&key).expect("flow is tracked");
            self.close_flow(&key, flow);
            return Decision::accept();
        }

        let decision = self.scan_segment(&key, side, seg, now_ms);
        if !decision.accept {
            return decision;
        }

        let flow = self.table.touch(&key, now_ms).expect("flow is tracked");
        if flow.all_finished() {
            let flow = self.table.remove(&key).expect("flow is tracked");
            self.close_flow(&key, flow);
        }
        decision
    }

    /// Adds a flow for `key`, evicting another if the table is full.
    /// Returns false when the table has no room and `--fail-closed` is set.
    fn add_flow(&mut self, key: ConnKey, now_ms: u64) -> bool {
        let evict_active = !self.config.fail_closed;
        match self.table.insert(key, Flow::new(), now_ms, evict_active) {
            Insert::Added => {}
            Insert::Evicted(old_key, old_flow) => {
                Stats::add(&self.stats.flows_evicted, 1);
                self.close_flow(&old_key, old_flow);
            }
            Insert::Full => {
                Stats::add(&self.stats.flows_rejected, 1);
                return false;
            }
        }
        Stats::add(&self.stats.flows, 1);
        Stats::add(&self.stats.flows_total, 1);
        true
    }

    /// Puts the segment's payload in order, scans the bytes it makes
    /// contiguous and decides on the packet.
    fn scan_segment(
        &mut self,
        key: &ConnKey,
        side: Side,
        seg: &Segment<'_>,
        now_ms: u64,
    ) -> Decision {
        let config = Arc::clone(&self.config);
        let engine = self.engine.clone();
        let (lookahead, left_context) = (self.lookahead, self.left_context);
        let early_check = self.early_check;
        let flow = self.table.touch(key, now_ms).expect("flow is tracked");
        let dir = flow.dirs[side.index()].get_or_insert_with(|| DirState {
            reassembler: Reassembler::new(config.reorder),
            stream: engine.stream(),
            window: Vec::new(),
            reported: VecDeque::new(),
            fin_seen: false,
        });
        if dir.stream.is_finished() {
            // Data after the FIN: nothing more to scan in this direction.
            return Decision::accept();
        }

        // The sequence number the receiver expects next, for a reset that
        // it accepts (Linux takes a reset only at exactly that number).
        let delivered_before = dir.reassembler.delivered();
        let expected_seq = match dir.reassembler.stream_offset(seg.seq) {
            Some(offset) => seg
                .seq
                .wrapping_add(delivered_before.wrapping_sub(offset) as u32),
            None => seg.seq,
        };

        let mut hits = Vec::new();
        let window_len = lookahead + left_context;
        let DirState { reassembler, stream, window, reported, fin_seen } = dir;
        let mut deliver = |bytes: &[u8]| {
            let _ = stream.feed(bytes, |found| {
                hits.push(Hit {
                    found: found.clone(),
                    start: found.start(),
                    end: found.end(),
                });
                ControlFlow::Continue(())
            });
            keep_window(window, bytes, window_len);
        };
        let outcome =
            reassembler.push(seg.seq, seg.syn, seg.payload, &mut deliver);
        if outcome == PushOutcome::Overflow {
            Stats::add(&self.stats.reorder_overflows, 1);
            if config.fail_closed {
                // The sender retransmits the segment, by which time the
                // gap before it may have filled.
                return Decision::drop();
            }
            // NOTE: the bytes after the skipped gap are scanned as if they
            // followed the bytes before it.
            reassembler.flush(&mut deliver);
            reassembler.push(seg.seq, seg.syn, seg.payload, &mut deliver);
        }
        if seg.fin {
            *fin_seen = true;
        }
        let delivered_now = reassembler.delivered() > delivered_before;
        if *fin_seen && reassembler.buffered_bytes() == 0 {
            let _ = stream.finish(|found| {
                hits.push(Hit {
                    found: found.clone(),
                    start: found.start(),
                    end: found.end(),
                });
                ControlFlow::Continue(())
            });
        } else if early_check && delivered_now {
            early_hits(
                &engine,
                stream,
                window,
                lookahead,
                left_context,
                &mut hits,
            );
        }
        hits.retain(|hit| remember_span(reported, hit.start, hit.end));
        if hits.is_empty() {
            return Decision::accept();
        }

        let denied = self.record_hits(key, side, &hits, true);
        if !denied {
            return Decision::accept();
        }
        Stats::add(&self.stats.flows_denied, 1);
        let flow = self.table.touch(key, now_ms).expect("flow is tracked");
        flow.denied = true;
        // A denied flow's streams are no longer needed.
        flow.dirs = [None, None];
        let mut decision = Decision::drop();
        if config.send_resets {
            decision.resets = resets_for(seg, expected_seq);
        }
        decision
    }

    /// Counts and logs findings on one direction and returns whether one
    /// of them denies the flow. `can_block` is false when the flow is
    /// closing, so there is no packet left to drop.
    fn record_hits(
        &mut self,
        key: &ConnKey,
        side: Side,
        hits: &[Hit],
        can_block: bool,
    ) -> bool {
        let config = Arc::clone(&self.config);
        let Some(flow) = self.table.get_mut(key) else {
            return false;
        };
        record_on_flow(
            flow,
            &config,
            &self.stats,
            &self.sink,
            self.queue,
            key,
            side,
            hits,
            can_block,
        )
    }

    /// Ends a flow that left the table: reports what only the end of its
    /// streams confirms and the counts of repeated findings.
    fn close_flow(&mut self, key: &ConnKey, mut flow: Flow) {
        Stats::sub(&self.stats.flows, 1);
        for side in [Side::FromLow, Side::FromHigh] {
            let Some(dir) = flow.dirs[side.index()].as_mut() else {
                continue;
            };
            if dir.stream.is_finished() {
                continue;
            }
            let mut hits = Vec::new();
            let _ = dir.stream.finish(|found| {
                hits.push(Hit {
                    found: found.clone(),
                    start: found.start(),
                    end: found.end(),
                });
                ControlFlow::Continue(())
            });
            hits.retain(|hit| {
                remember_span(&mut dir.reported, hit.start, hit.end)
            });
            if !hits.is_empty() {
                record_on_flow(
                    &mut flow,
                    &self.config,
                    &self.stats,
                    &self.sink,
                    self.queue,
                    key,
                    side,
                    &hits,
                    false,
                );
            }
        }
        let mut repeats: Vec<_> = flow.repeats.iter().collect();
        repeats.sort_by_key(|((side, sensor, rule), _)| {
            (side.index(), *sensor, *rule)
        });
        for ((side, _, _), repeat) in repeats {
            if repeat.suppressed == 0 {
                continue;
            }
            let label = flow.label(key, *side);
            let written = self.sink.repeat(
                self.queue,
                &label,
                &repeat.sensor,
                &repeat.rule,
                repeat.action,
                repeat.suppressed,
            );
            count_write(&self.stats, written);
        }
    }

    /// Removes the flows idle past the timeout.
    pub fn expire(&mut self, now_ms: u64) {
        for (key, flow) in self.table.expire(now_ms) {
            Stats::add(&self.stats.flows_expired, 1);
            self.close_flow(&key, flow);
        }
    }

    /// Ends every flow, for shutdown.
    pub fn close_all(&mut self) {
        let mut flows = self.table.drain();
        flows.sort_by_key(|(key, _)| *key);
        for (key, flow) in flows {
            self.close_flow(&key, flow);
        }
    }

    /// Returns the number of flows tracked.
    #[cfg(test)]
    pub fn flow_count(&self) -> usize {
        self.table.len()
    }
}

fn count_write(stats: &Stats, written: std::io::Result<()>) {
    match written {
        Ok(()) => Stats::add(&stats.events, 1),
        Err(err) => {
            // Only the first failure is printed, and the counter shows how
            // many events were lost.
            let before = stats.event_errors.fetch_add(1, Ordering::Relaxed);
            if before == 0 {
                eprintln!("dlp-nfq: failed to write a security event: {err}");
            }
        }
    }
}

/// Counts and logs findings on one direction of `flow` and returns whether
/// one of them denies the flow. The first finding of each sensor rule on a
/// direction is logged; later ones are counted and reported in one
/// `repeat` event when the flow ends.
#[allow(clippy::too_many_arguments)]
fn record_on_flow(
    flow: &mut Flow,
    config: &Config,
    stats: &Stats,
    sink: &EventSink,
    queue: u16,
    key: &ConnKey,
    side: Side,
    hits: &[Hit],
    can_block: bool,
) -> bool {
    let label = flow.label(key, side);
    let mut denied = false;
    for hit in hits {
        let found = &hit.found;
        Stats::add(&stats.findings, 1);
        let mut action = config.policy.effective_action(found.sensor());
        if !can_block {
            action = Action::Alert;
        }
        denied |= action == Action::Deny;
        let repeat_key = (side, found.sensor_index(), found.rule_index());
        if let Some(repeat) = flow.repeats.get_mut(&repeat_key) {
            repeat.suppressed += 1;
            Stats::add(&stats.repeats, 1);
            continue;
        }
        flow.repeats.insert(
            repeat_key,
            Repeat {
                sensor: found.sensor().to_string(),
                rule: found.rule().to_string(),
                action,
                suppressed: 0,
            },
        );
        let finding = Finding {
            flow: label,
            sensor: found.sensor().to_string(),
            rule: found.rule().to_string(),
            severity: found.severity().as_str(),
            confidence: found.confidence().as_str(),
            context: found.context().as_str(),
            action,
            masked: found.masked().to_string(),
            start: hit.start,
            end: hit.end,
            value: config.show_values.then(|| found.value().to_vec()),
        };
        count_write(stats, sink.finding(queue, &finding));
    }
    denied
}

/// Appends `bytes` to `window`, keeping its last `max_len` bytes.
fn keep_window(window: &mut Vec<u8>, bytes: &[u8], max_len: usize) {
    if bytes.len() >= max_len {
        window.clear();
        window.extend_from_slice(&bytes[bytes.len() - max_len..]);
        return;
    }
    let overflow = (window.len() + bytes.len()).saturating_sub(max_len);
    window.drain(..overflow);
    window.extend_from_slice(bytes);
}

/// Finds the values that the end of the data so far completes.
///
/// A stream reports a match only once the bytes that could extend it have
/// arrived, up to `lookahead` bytes later, or at the end of the stream.
/// An HTTP request that ends with a value would pass before that, so this
/// check scans the stream's last bytes as if the stream ended there and
/// keeps the matches that start in the undecided part.
///
/// NOTE: a value followed by bytes that are still to come (for example
/// more digits) is reported here although the whole stream might not
/// match it. Rules limited to the `url`, `header` or `body` context are
/// not seen here unless the window starts at the start of the stream,
/// because the window lacks the start of the HTTP message; the stream
/// reports them later.
fn early_hits(
    engine: &Engine,
    stream: &Stream,
    window: &[u8],
    lookahead: usize,
    left_context: usize,
    hits: &mut Vec<Hit>,
) {
    let total = stream.offset();
    let base = total - window.len() as u64;
    let undecided_from = total.saturating_sub(lookahead as u64);
    engine.scan_with(window, |found| {
        let start = base + found.start();
        let full_left = base == 0 || found.start() >= left_context as u64;
        if start >= undecided_from && full_left {
            hits.push(Hit {
                found: found.clone(),
                start,
                end: base + found.end(),
            });
        }
        ControlFlow::Continue(())
    });
}

/// Records a reported span and returns true, or returns false when the
/// span overlaps one already reported.
fn remember_span(
    reported: &mut VecDeque<(u64, u64)>,
    start: u64,
    end: u64,
) -> bool {
    let overlaps = reported.iter().any(|&(s, e)| start < e && s < end);
    if overlaps {
        return false;
    }
    if reported.len() == REPORTED_SPANS {
        reported.pop_front();
    }
    reported.push_back((start, end));
    true
}

/// Builds the resets for a denied segment: one to its receiver, as if from
/// its sender, at the sequence number the receiver expects, and one to its
/// sender, as if from the receiver, at the segment's acknowledgment number.
fn resets_for(seg: &Segment<'_>, expected_seq: u32) -> Vec<ResetRequest> {
    let mut resets = vec![ResetRequest {
        src: seg.src,
        dst: seg.dst,
        seq: expected_seq,
        ack: seg.ack_flag.then_some(seg.ack),
    }];
    if seg.ack_flag {
        let sent =
            seg.payload.len() as u32 + u32::from(seg.syn) + u32::from(seg.fin);
        resets.push(ResetRequest {
            src: seg.dst,
            dst: seg.src,
            seq: seg.ack,
            ack: Some(seg.seq.wrapping_add(sent)),
        });
    }
    resets
}

#[cfg(test)]
mod tests;
