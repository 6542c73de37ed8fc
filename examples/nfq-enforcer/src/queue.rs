//! The loop of one queue thread: receive a packet, inspect it, send the
//! verdict, send any resets.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use nfq::{Queue, Verdict};

use crate::inspect::Inspector;
use crate::reset::ResetSender;
use crate::signals;
use crate::stats::Stats;

/// Settings of one kernel queue.
#[derive(Clone, Copy, Debug)]
pub struct QueueOptions {
    pub number: u16,
    /// Let the kernel accept packets when the queue is full, instead of
    /// dropping them.
    pub fail_open: bool,
    /// Maximum packets waiting in the kernel queue.
    pub max_len: u32,
}

/// Binds a queue and serves it until a shutdown is requested.
///
/// On shutdown the queue length is set to 0, so the kernel stops queueing
/// (it accepts new packets with `--fail-open`, drops them otherwise),
/// every packet already queued gets a verdict, then the queue is unbound.
pub fn serve(
    options: QueueOptions,
    mut inspector: Inspector,
    resets: Option<Arc<ResetSender>>,
    stats: Arc<Stats>,
    started: Instant,
) -> io::Result<()> {
    let number = options.number;
    let context = |what: &str, err: io::Error| {
        io::Error::new(
            err.kind(),
            format!("queue {number}: failed to {what}: {err}"),
        )
    };
    let mut queue = Queue::open().map_err(|err| {
        context("open a netfilter netlink socket (run as root)", err)
    })?;
    queue.bind(number).map_err(|err| {
        context("bind (is another program bound to it?)", err)
    })?;
    queue
        .set_fail_open(number, options.fail_open)
        .map_err(|err| context("set the fail-open flag", err))?;
    queue
        .set_queue_max_len(number, options.max_len)
        .map_err(|err| context("set the queue length", err))?;

    let mut worker = Worker { queue, resets, stats, started, number };
    while !signals::shutdown_requested() {
        match worker.queue.recv() {
            Ok(message) => worker.process(&mut inspector, message),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                // ENOBUFS and ENOSPC lose packets in the kernel or in the
                // socket; the kernel's fail-open flag decides their fate.
                eprintln!("dlp-nfq: queue {number}: receive failed: {err}");
            }
        }
    }

    // NOTE: nfq 0.2.5 discards packets that arrive while it waits for the
    // acknowledgment of this configuration message; the kernel drops them
    // when the queue is unbound below.
    if let Err(err) = worker.queue.set_queue_max_len(number, 0) {
        eprintln!(
            "dlp-nfq: queue {number}: failed to stop queueing before \
             shutdown: {err}"
        );
    }
    worker.queue.set_nonblocking(true);
    let mut drained = 0u64;
    loop {
        match worker.queue.recv() {
            Ok(message) => {
                drained += 1;
                worker.process(&mut inspector, message);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) => {
                eprintln!(
                    "dlp-nfq: queue {number}: receive failed while \
                     draining: {err}"
                );
                break;
            }
        }
    }
    let unbound = worker.queue.unbind(number);
    inspector.close_all();
    eprintln!(
        "dlp-nfq: queue {number}: stopped after a verdict on {drained} \
         queued packets"
    );
    unbound.map_err(|err| context("unbind", err))
}

struct Worker {
    queue: Queue,
    resets: Option<Arc<ResetSender>>,
    stats: Arc<Stats>,
    started: Instant,
    number: u16,
}

impl Worker {
    fn process(
        &mut self,
        inspector: &mut Inspector,
        mut message: nfq::Message,
    ) {
        let now_ms = self.started.elapsed().as_millis() as u64;
        let payload = message.get_payload();
        let truncated = message.get_original_len() > payload.len();
        let decision = inspector.handle(payload, truncated, now_ms);
        message.set_verdict(if decision.accept {
            Verdict::Accept
        } else {
            Verdict::Drop
        });
        if let Err(err) = self.queue.verdict(message) {
            let before = self
                .stats
                .verdict_errors
                .load(std::sync::atomic::Ordering::Relaxed);
            Stats::add(&self.stats.verdict_errors, 1);
            if before == 0 {
                eprintln!(
                    "dlp-nfq: queue {}: failed to send a verdict: {err}",
                    self.number
                );
            }
        }
        let Some(sender) = &self.resets else {
            return;
        };
        for reset in &decision.resets {
            match sender.send(reset) {
                Ok(()) => Stats::add(&self.stats.resets, 1),
                Err(err) => {
                    Stats::add(&self.stats.reset_errors, 1);
                    eprintln!(
                        "dlp-nfq: failed to send a reset {} -> {}: {err}",
                        reset.src, reset.dst
                    );
                }
            }
        }
    }
}
