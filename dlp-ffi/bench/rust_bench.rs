//! The Rust side of the C API overhead benchmark, and the corpus
//! generator that both sides read.
//!
//! ```text
//! ffi_bench_rust corpus OUT [MIB]   write the corpus (default 4 MiB)
//! ffi_bench_rust run CORPUS ROUNDS  time the Rust API on it
//! ```
//!
//! `bench/ffi_bench.c` does the same loop through the C API, and
//! `scripts/test-ffi.sh bench` runs both and prints the ratio.

use std::ops::ControlFlow;
use std::time::Instant;

use dlp_core::{Engine, Stream};

/// Bytes per fragment: the TCP payload of a 1500-byte Ethernet frame.
const FRAGMENT: usize = 1460;

/// A xorshift64* generator, so the corpus is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "order",
    "customer",
    "invoice",
    "shipping",
    "address",
    "street",
    "status",
    "pending",
    "delivered",
    "account",
    "payment",
    "session",
    "token",
    "product",
    "quantity",
    "comment",
    "the",
    "and",
    "with",
    "lorem",
    "ipsum",
    "dolor",
    "amet",
    "report",
    "quarterly",
    "ticket",
];

/// Values the built-in sensors report, planted in some bodies.
const PLANTED: &[&str] = &[
    "2 55 08 14 168 025 38",
    "536-22-8451",
    "5555 5555 5555 4444",
    "4111111111111111",
    "FR76 3000 6000 0112 3456 7890 189",
    "jane.doe@example.com",
];

fn body(rng: &mut Rng) -> String {
    let mut text = String::new();
    let fields = 4 + rng.below(20);
    for i in 0..fields {
        if i > 0 {
            text.push('&');
        }
        text.push_str(rng.pick(WORDS));
        text.push('=');
        let words = 1 + rng.below(12);
        for w in 0..words {
            if w > 0 {
                text.push('+');
            }
            // About one field in 25 carries a planted value.
            if rng.below(25) == 0 {
                text.push_str(rng.pick(PLANTED));
            } else {
                text.push_str(rng.pick(WORDS));
                text.push_str(&rng.below(10_000).to_string());
            }
        }
    }
    text
}

/// Generates `size` bytes or a little more of HTTP/1.1 requests on one
/// persistent connection.
fn corpus(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(size + 4096);
    while out.len() < size {
        let body = body(&mut rng);
        let path = rng.pick(WORDS);
        let id = rng.below(1_000_000);
        let request = format!(
            "POST /api/{path}?id={id} HTTP/1.1\r\n\
             Host: shop.example.test\r\n\
             User-Agent: bench/1.0\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        out.extend_from_slice(request.as_bytes());
    }
    out
}

/// Feeds the corpus in fragments and returns (seconds, matches, sum of
/// match starts).
fn run_once(stream: &mut Stream, corpus: &[u8]) -> (f64, u64, u64) {
    let mut count = 0u64;
    let mut checksum = 0u64;
    let mut on_match = |m: &dlp_core::Match| {
        count += 1;
        checksum = checksum.wrapping_add(m.start());
        ControlFlow::Continue(())
    };
    let started = Instant::now();
    // A reset stream, as the C side uses.
    stream.reset();
    for fragment in corpus.chunks(FRAGMENT) {
        stream.feed(fragment, &mut on_match).expect("stream is open");
    }
    stream.finish(&mut on_match).expect("stream is open");
    (started.elapsed().as_secs_f64(), count, checksum)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("corpus") if args.len() >= 3 => {
            let mib: usize =
                args.get(3).map_or(4, |v| v.parse().expect("MIB is a number"));
            std::fs::write(&args[2], corpus(mib << 20))
                .expect("corpus file is writable");
        }
        Some("run") if args.len() == 4 => {
            let corpus =
                std::fs::read(&args[2]).expect("corpus file is readable");
            let rounds: usize = args[3].parse().expect("ROUNDS is a number");
            let mut stream = Engine::builtin().stream();
            let mut times = Vec::new();
            let mut result = (0, 0);
            for _ in 0..rounds.max(1) {
                let (seconds, count, checksum) =
                    run_once(&mut stream, &corpus);
                times.push(seconds);
                result = (count, checksum);
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            // Same format as bench/ffi_bench.c, parsed by the script.
            println!(
                "rust median_s={median:.6} matches={} checksum={} \
                 mib_per_s={:.1}",
                result.0,
                result.1,
                corpus.len() as f64 / median / (1 << 20) as f64
            );
        }
        _ => {
            eprintln!(
                "usage: ffi_bench_rust corpus OUT [MIB] | run CORPUS ROUNDS"
            );
            std::process::exit(2);
        }
    }
}
