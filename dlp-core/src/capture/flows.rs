//! Flow table that routes TCP segments to one reassembler per direction.

use std::collections::HashMap;

use pcap_file::DataLink;

use super::decode::{decode_frame, Frame, TcpSegment};
use super::reader::FrameSink;
use super::reassembly::{Reassembler, ReassemblyLimits};
use super::{CaptureEvent, CaptureWarning, FlowKey};

/// Maximum number of warnings kept for one capture. Later warnings are
/// counted and reported in one final warning.
const MAX_WARNINGS: usize = 1000;

/// Maximum number of out-of-order bytes held across all flows of one
/// capture. Past it, the flow that just grew skips its earliest gaps.
const MAX_TOTAL_BUFFERED: usize = 64 * 1024 * 1024;

/// Reassembly state of one flow direction.
struct FlowState {
    reassembler: Reassembler,
    /// Sequence number of the SYN that opened the stream, if one was seen.
    isn: Option<u32>,
    /// Stream offset just past the last byte, once a FIN was seen.
    fin_offset: Option<u64>,
    /// True once the End event was emitted. The entry stays so that late
    /// retransmissions do not open a new stream.
    ended: bool,
}

impl FlowState {
    fn new(limits: ReassemblyLimits) -> Self {
        FlowState {
            reassembler: Reassembler::new(limits),
            isn: None,
            fin_offset: None,
            ended: false,
        }
    }

    /// True when a SYN with sequence number `seq` opens a different
    /// connection than the one this stream carries.
    fn is_other_connection(&self, seq: u32) -> bool {
        match self.isn {
            Some(isn) => isn != seq,
            // Without a SYN, the stream started at its first payload byte.
            // The SYN of the same connection sits right before it.
            None => {
                let started = self.reassembler.delivered() > 0
                    || self.reassembler.buffered_bytes() > 0;
                started
                    && self.reassembler.stream_offset(seq.wrapping_add(1))
                        != Some(0)
            }
        }
    }
}

/// Warnings of one capture, capped at [`MAX_WARNINGS`].
#[derive(Default)]
struct Warnings {
    list: Vec<CaptureWarning>,
    omitted: u64,
}

impl Warnings {
    fn add(&mut self, packet: u64, message: String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(CaptureWarning { packet, message });
        } else {
            self.omitted += 1;
        }
    }
}

/// Turns the frames of a capture into [`CaptureEvent`]s.
pub(crate) struct FlowTracker<'e> {
    on_event: &'e mut dyn FnMut(CaptureEvent<'_>),
    limits: ReassemblyLimits,
    flows: HashMap<FlowKey, FlowState>,
    /// Out-of-order bytes held across all flows.
    total_buffered: usize,
    warnings: Warnings,
    /// Link types already reported as unsupported.
    unsupported_link_types: Vec<DataLink>,
    streams: u64,
    tcp_segments: u64,
}

impl<'e> FlowTracker<'e> {
    pub(crate) fn new(
        limits: ReassemblyLimits,
        on_event: &'e mut dyn FnMut(CaptureEvent<'_>),
    ) -> Self {
        FlowTracker {
            on_event,
            limits,
            flows: HashMap::new(),
            total_buffered: 0,
            warnings: Warnings::default(),
            unsupported_link_types: Vec::new(),
            streams: 0,
            tcp_segments: 0,
        }
    }

    /// Number of TCP segments decoded so far.
    pub(crate) fn tcp_segments(&self) -> u64 {
        self.tcp_segments
    }

    /// Number of flow-direction streams opened so far.
    pub(crate) fn streams(&self) -> u64 {
        self.streams
    }

    /// Ends every open stream in [`FlowKey`] order, skipping the gaps that
    /// remain, and returns the warnings of the whole capture.
    pub(crate) fn finish(mut self) -> Vec<CaptureWarning> {
        let mut open: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(_, state)| !state.ended)
            .map(|(flow, _)| *flow)
            .collect();
        open.sort_unstable();
        for flow in open {
            self.end_stream(flow, 0);
        }
        let mut warnings = self.warnings.list;
        if self.warnings.omitted > 0 {
            warnings.push(CaptureWarning {
                packet: 0,
                message: format!(
                    "{} more warnings were omitted after the first \
                     {MAX_WARNINGS}",
                    self.warnings.omitted
                ),
            });
        }
        warnings
    }

    fn segment(&mut self, packet: u64, segment: TcpSegment<'_>) {
        self.tcp_segments += 1;
        let flow = segment.flow;
        if segment.truncated {
            // NOTE: the missing tail is not skipped right away, so the later
            // segments of the flow stay buffered until the out-of-order
            // limit forces the gap to be skipped.
            self.warnings.add(
                packet,
                format!(
                    "flow {flow}: TCP payload cut short by the capture \
                     snapshot length; its missing bytes will be skipped"
                ),
            );
        }

        let (opens_new_stream, ends_previous) = match self.flows.get(&flow) {
            None => (true, false),
            // Late segments of an ended stream are retransmissions.
            Some(state) if state.ended => (segment.syn, false),
            // The previous connection ended without a FIN or RST in the
            // capture.
            Some(state) if segment.syn => {
                let other = state.is_other_connection(segment.seq);
                (other, other)
            }
            Some(_) => (false, false),
        };
        if ends_previous {
            self.end_stream(flow, packet);
        }
        if opens_new_stream {
            self.streams += 1;
            self.flows.insert(flow, FlowState::new(self.limits));
        }
        let Some(state) = self.flows.get_mut(&flow) else {
            return;
        };
        if state.ended {
            return;
        }

        let on_event = &mut *self.on_event;
        let mut deliver = |offset: u64, data: &[u8]| {
            on_event(CaptureEvent::Data { flow, offset, data });
        };
        if segment.syn && state.isn.is_none() {
            state.isn = Some(segment.seq);
        }
        if segment.syn || !segment.payload.is_empty() {
            let buffered_before = state.reassembler.buffered_bytes();
            let (_, skipped) = state.reassembler.push_evicting(
                segment.seq,
                segment.syn,
                segment.payload,
                &mut deliver,
            );
            self.total_buffered = self.total_buffered - buffered_before
                + state.reassembler.buffered_bytes();
            if skipped > 0 {
                self.warnings.add(
                    packet,
                    format!(
                        "flow {flow}: skipped {skipped} missing bytes \
                         because the out-of-order buffer of the flow is full"
                    ),
                );
            }
            let skipped = evict_over_total(
                &mut state.reassembler,
                &mut self.total_buffered,
                &mut deliver,
            );
            if skipped > 0 {
                self.warnings.add(
                    packet,
                    format!(
                        "flow {flow}: skipped {skipped} missing bytes \
                         because the out-of-order buffers of all flows \
                         hold {MAX_TOTAL_BUFFERED} bytes"
                    ),
                );
            }
        }
        if segment.fin {
            let end_seq = segment
                .seq
                .wrapping_add(u32::from(segment.syn))
                .wrapping_add(segment.payload.len() as u32);
            let delivered = state.reassembler.delivered();
            let fin_offset =
                state.reassembler.stream_offset(end_seq).unwrap_or(delivered);
            state.fin_offset = Some(fin_offset);
        }

        let fin_reached = state
            .fin_offset
            .is_some_and(|fin| state.reassembler.delivered() >= fin);
        if segment.rst {
            self.end_stream(flow, packet);
        } else if fin_reached {
            self.end_after_fin(flow);
        }
    }

    /// Emits the End event of a stream whose bytes up to the FIN were all
    /// delivered.
    fn end_after_fin(&mut self, flow: FlowKey) {
        let Some(state) = self.flows.get_mut(&flow) else {
            return;
        };
        // Held bytes past the FIN are not part of the stream.
        self.total_buffered -= state.reassembler.buffered_bytes();
        state.reassembler = Reassembler::new(self.limits);
        state.ended = true;
        (self.on_event)(CaptureEvent::End { flow });
    }

    /// Delivers the held bytes of an open stream past its gaps, warns about
    /// the bytes that never arrived and emits its End event.
    fn end_stream(&mut self, flow: FlowKey, packet: u64) {
        let Some(state) = self.flows.get_mut(&flow) else {
            return;
        };
        if state.ended {
            return;
        }
        let on_event = &mut *self.on_event;
        self.total_buffered -= state.reassembler.buffered_bytes();
        let mut skipped = state.reassembler.flush_at(&mut |offset, data| {
            on_event(CaptureEvent::Data { flow, offset, data });
        });
        if let Some(fin) = state.fin_offset {
            skipped += fin.saturating_sub(state.reassembler.delivered());
        }
        if skipped > 0 {
            self.warnings.add(
                packet,
                format!(
                    "flow {flow}: skipped {skipped} bytes that never arrived"
                ),
            );
        }
        state.ended = true;
        on_event(CaptureEvent::End { flow });
    }
}

impl FrameSink for FlowTracker<'_> {
    fn frame(&mut self, packet: u64, link_type: DataLink, frame: &[u8]) {
        match decode_frame(link_type, frame) {
            Frame::Tcp(segment) => self.segment(packet, segment),
            Frame::NotTcp => {}
            Frame::Invalid(message) => self.warnings.add(packet, message),
            Frame::UnsupportedLink => {
                if !self.unsupported_link_types.contains(&link_type) {
                    self.unsupported_link_types.push(link_type);
                    self.warnings.add(
                        packet,
                        format!(
                            "link type {} ({link_type:?}) is not supported, \
                             so its packets are skipped; supported link \
                             types: Ethernet, raw IP, Linux SLL and SLL2, \
                             BSD loopback",
                            u32::from(link_type)
                        ),
                    );
                }
            }
        }
    }

    fn warn(&mut self, packet: u64, message: String) {
        self.warnings.add(packet, message);
    }
}

/// Skips the earliest gaps of `reassembler` while the bytes held across
/// all flows exceed [`MAX_TOTAL_BUFFERED`]. Returns the number of bytes
/// skipped.
fn evict_over_total(
    reassembler: &mut Reassembler,
    total_buffered: &mut usize,
    deliver: &mut dyn FnMut(u64, &[u8]),
) -> u64 {
    let mut skipped = 0;
    while *total_buffered > MAX_TOTAL_BUFFERED
        && reassembler.buffered_bytes() > 0
    {
        let buffered_before = reassembler.buffered_bytes();
        skipped += reassembler.skip_first_gap(deliver);
        *total_buffered -= buffered_before - reassembler.buffered_bytes();
    }
    skipped
}
