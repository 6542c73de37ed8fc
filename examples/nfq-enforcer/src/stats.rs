//! Counters shared by the queue threads.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Counters since the start, updated by every queue thread.
        #[derive(Debug, Default)]
        pub struct Stats {
            $($(#[$doc])* pub $name: AtomicU64,)*
        }

        impl Stats {
            /// Formats the counters as `name=value` pairs on one line.
            pub fn line(&self) -> String {
                let mut line = String::new();
                $(
                    let value = self.$name.load(Ordering::Relaxed);
                    let _ = write!(line, "{}={} ", stringify!($name), value);
                )*
                line.pop();
                line
            }
        }
    };
}

counters! {
    /// Packets received from the queues.
    packets,
    /// IP bytes of those packets.
    bytes,
    /// Packets given an accept verdict.
    accepted,
    /// Packets given a drop verdict.
    dropped,
    /// Flows in the tables now.
    flows,
    /// Flows ever added.
    flows_total,
    /// Flows removed because their idle timeout passed.
    flows_expired,
    /// Active flows removed to make room for a new one (`--fail-open`).
    flows_evicted,
    /// Flows blocked after a `deny` finding.
    flows_denied,
    /// New flows not tracked because the table was full of active flows
    /// (`--fail-closed`), their packets dropped.
    flows_rejected,
    /// Findings, logged or only counted.
    findings,
    /// Security events written.
    events,
    /// Findings counted in a `repeat` event instead of logged one by one.
    repeats,
    /// Security events that could not be written.
    event_errors,
    /// TCP resets sent.
    resets,
    /// TCP resets that could not be sent.
    reset_errors,
    /// Segments that did not fit in a reorder buffer.
    reorder_overflows,
    /// Packets that could not be decoded as IPv4/IPv6 TCP.
    invalid,
    /// Packets the queue delivered truncated.
    truncated,
    /// Verdicts that could not be sent to the kernel.
    verdict_errors,
}

impl Stats {
    pub fn add(counter: &AtomicU64, value: u64) {
        counter.fetch_add(value, Ordering::Relaxed);
    }

    pub fn sub(counter: &AtomicU64, value: u64) {
        counter.fetch_sub(value, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_lists_every_counter() {
        let stats = Stats::default();
        Stats::add(&stats.packets, 3);
        Stats::add(&stats.dropped, 1);
        let line = stats.line();
        assert!(line.starts_with("packets=3 bytes=0 "), "{line}");
        assert!(line.contains(" dropped=1 "), "{line}");
        assert!(line.ends_with("verdict_errors=0"), "{line}");
    }
}
