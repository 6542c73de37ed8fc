//! `dlp-nfq`: an inline DLP enforcer for Linux netfilter queues.
//!
//! iptables or nftables rules send TCP packets to one or more NFQUEUE
//! queues. Each queue thread puts every flow direction's segments in
//! order, scans the bytes with a dlp stream, logs findings as JSON Lines
//! security events and, in protect mode, drops the packet that completes
//! a denied finding, blocks the rest of the flow and resets both ends.

mod events;
mod flows;
mod inspect;
mod packet;
mod policy;
mod queue;
mod reset;
mod signals;
mod stats;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use clap::Parser;
use dlp_core::capture::ReassemblyLimits;
use dlp_core::{Engine, EngineBuilder};

use crate::events::EventSink;
use crate::inspect::{Config, Inspector};
use crate::policy::{Action, Mode, Override, Policy};
use crate::queue::QueueOptions;
use crate::reset::ResetSender;
use crate::stats::Stats;

/// Scans TCP traffic from netfilter queues for personal data (French NIR,
/// US SSN, card numbers, IBAN, email) and alerts on or blocks it.
#[derive(Parser, Debug)]
#[command(name = "dlp-nfq", version, about, long_about = None)]
struct Args {
    /// First queue number to bind.
    #[arg(long, value_name = "N", default_value_t = 0)]
    queue: u16,
    /// Number of consecutive queues to bind, one thread each; match it
    /// with `--queue-balance FIRST:LAST` in the iptables rule.
    #[arg(long, value_name = "COUNT", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    queues: u16,
    /// monitor: accept every packet and log findings; protect: block flows
    /// with `deny` findings.
    #[arg(long, value_enum, default_value_t = Mode::Monitor)]
    mode: Mode,
    /// Action for sensors without an `--action` override.
    #[arg(long, value_name = "ACTION", default_value = "deny")]
    default_action: Action,
    /// Action for one sensor, as SENSOR=alert or SENSOR=deny (repeatable).
    #[arg(long = "action", value_name = "SENSOR=ACTION")]
    actions: Vec<Override>,
    /// Load sensors from this definition file too (repeatable).
    #[arg(long = "sensors", value_name = "FILE")]
    sensors: Vec<PathBuf>,
    /// Leave out the built-in sensors.
    #[arg(long)]
    no_builtin: bool,
    /// Append security events to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Include the raw matched values in the events.
    #[arg(long)]
    show_values: bool,
    /// Let packets through when they cannot be inspected: kernel queue
    /// full, flow table full, reorder buffer full, undecodable (default).
    #[arg(long, conflicts_with = "fail_closed")]
    fail_open: bool,
    /// Drop packets that cannot be inspected instead.
    #[arg(long)]
    fail_closed: bool,
    /// Maximum number of tracked TCP connections, shared evenly by the
    /// queue threads.
    #[arg(long, value_name = "COUNT", default_value_t = 16384)]
    max_flows: usize,
    /// Seconds without a packet after which a connection is forgotten.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    idle_timeout: u64,
    /// Maximum out-of-order bytes held per flow direction.
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024)]
    reorder_bytes: usize,
    /// Maximum out-of-order segments held per flow direction.
    #[arg(long, value_name = "COUNT", default_value_t = 64)]
    reorder_segments: usize,
    /// Maximum packets waiting in each kernel queue.
    #[arg(long, value_name = "COUNT", default_value_t = 4096)]
    queue_maxlen: u32,
    /// Do not send TCP resets when a flow is denied.
    #[arg(long)]
    no_reset: bool,
    /// Firewall mark set on the resets this program sends, so that the
    /// queue rules can skip them (0: no mark).
    #[arg(long, value_name = "MARK", default_value_t = 0,
          value_parser = parse_mark)]
    reset_mark: u32,
    /// Seconds between counter lines on standard error (0: only on
    /// SIGUSR1 and at exit).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    stats_interval: u64,
}

fn parse_mark(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|err| {
        format!("invalid mark `{text}`: {err}; use a decimal or 0x number")
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dlp-nfq: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the engine from `--sensors` and `--no-builtin`, as `dlp scan`
/// does.
fn build_engine(args: &Args) -> Result<Engine, String> {
    if args.no_builtin && args.sensors.is_empty() {
        return Err(
            "--no-builtin leaves no sensors; add --sensors FILE".into()
        );
    }
    if args.sensors.is_empty() {
        return Ok(Engine::builtin());
    }
    let mut builder = EngineBuilder::new();
    if !args.no_builtin {
        builder.add_builtin().map_err(|err| err.to_string())?;
    }
    for path in &args.sensors {
        builder.add_file(path).map_err(|err| err.to_string())?;
    }
    builder.build().map_err(|err| err.to_string())
}

fn open_events(args: &Args) -> Result<Box<dyn Write + Send>, String> {
    match &args.events {
        None => Ok(Box::new(io::stdout())),
        Some(path) if path.as_os_str() == "-" => Ok(Box::new(io::stdout())),
        Some(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| {
                    format!(
                        "cannot open the event file {}: {err}",
                        path.display()
                    )
                })?;
            Ok(Box::new(file))
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let engine = build_engine(args)?;
    let names: Vec<&str> =
        engine.sensors().iter().map(|sensor| sensor.name.as_str()).collect();
    let policy =
        Policy::new(args.mode, args.default_action, &args.actions, &names)?;
    let last_queue =
        args.queue.checked_add(args.queues - 1).ok_or_else(|| {
            format!(
                "--queue {} with --queues {} goes past queue 65535",
                args.queue, args.queues
            )
        })?;
    let config = Arc::new(Config {
        policy,
        fail_closed: args.fail_closed,
        show_values: args.show_values,
        send_resets: !args.no_reset,
        max_flows: args.max_flows.div_ceil(args.queues as usize).max(1),
        idle_timeout_ms: args.idle_timeout.saturating_mul(1000),
        reorder: ReassemblyLimits {
            max_buffered_bytes: args.reorder_bytes,
            max_segments: args.reorder_segments,
        },
    });
    let resets = if args.mode == Mode::Protect && !args.no_reset {
        let sender = ResetSender::open(args.reset_mark).map_err(|err| {
            format!(
                "cannot open a raw socket for TCP resets: {err}; run as \
                 root, or pass --no-reset"
            )
        })?;
        Some(Arc::new(sender))
    } else {
        None
    };
    let sink = Arc::new(EventSink::new(open_events(args)?, args.mode));
    let stats = Arc::new(Stats::default());
    signals::install()
        .map_err(|err| format!("cannot install signal handlers: {err}"))?;

    let started = Instant::now();
    let mut workers: Vec<(u16, JoinHandle<io::Result<()>>)> = Vec::new();
    for number in args.queue..=last_queue {
        let inspector = Inspector::new(
            engine.clone(),
            Arc::clone(&config),
            Arc::clone(&stats),
            Arc::clone(&sink),
            number,
        );
        let options = QueueOptions {
            number,
            fail_open: !args.fail_closed,
            max_len: args.queue_maxlen,
        };
        let resets = resets.clone();
        let stats = Arc::clone(&stats);
        let handle = thread::Builder::new()
            .name(format!("queue-{number}"))
            .spawn(move || {
                queue::serve(options, inspector, resets, stats, started)
            })
            .map_err(|err| format!("cannot start a queue thread: {err}"))?;
        workers.push((number, handle));
    }
    eprintln!(
        "dlp-nfq: started: queues {}-{}, {} mode, {}, {} sensors, events \
         to {}",
        args.queue,
        last_queue,
        args.mode.as_str(),
        if args.fail_closed { "fail-closed" } else { "fail-open" },
        names.len(),
        args.events.as_ref().map_or("standard output".to_string(), |p| p
            .display()
            .to_string())
    );

    supervise(args, &workers, &stats);
    signals::request_shutdown();
    let mut failed = Vec::new();
    for (number, handle) in workers {
        while !handle.is_finished() {
            signals::wake(&handle);
            thread::sleep(Duration::from_millis(20));
        }
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => failed.push(err.to_string()),
            Err(_) => failed.push(format!("queue {number}: thread panicked")),
        }
    }
    eprintln!("dlp-nfq: stopped: {}", stats.line());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// Prints the counters on SIGUSR1 and every `--stats-interval` seconds
/// until a shutdown is requested or a queue thread ends.
fn supervise(
    args: &Args,
    workers: &[(u16, JoinHandle<io::Result<()>>)],
    stats: &Stats,
) {
    let interval = Duration::from_secs(args.stats_interval);
    let mut last_print = Instant::now();
    loop {
        // A signal cuts the sleep short.
        thread::sleep(Duration::from_millis(200));
        if signals::shutdown_requested() {
            eprintln!("dlp-nfq: stopping on signal");
            return;
        }
        if workers.iter().any(|(_, handle)| handle.is_finished()) {
            return;
        }
        let periodic = !interval.is_zero() && last_print.elapsed() >= interval;
        if signals::take_print_stats() || periodic {
            last_print = Instant::now();
            eprintln!("dlp-nfq: stats: {}", stats.line());
        }
    }
}
