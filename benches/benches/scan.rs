//! Criterion benchmarks: `scan/<engine>/<mode>/<corpus>`, throughput in
//! bytes of corpus, and `build/<sensors>`, the time to compile an engine.
//!
//! Corpora are generated in memory with the default seed. Their size is
//! `DLP_BENCH_MIB` MiB (default 64); the 64-byte and 1-byte fragment
//! benches use the first `SLICE` bytes. Each bench checks its match
//! count once before timing.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion,
    Throughput,
};
use dlp_benches::corpus::{self, Corpus, CorpusKind};
use dlp_benches::engines::{
    dlp_block_count, dlp_engine, dlp_stream_count, memchr_count,
    missing_planted, missing_planted_ends, rule_patterns, NaiveDfa,
};
use dlp_core::EngineBuilder;

/// The prefix scanned by the 64-byte and 1-byte fragment benches.
const SLICE: usize = 256 << 10;

fn corpus_size() -> usize {
    std::env::var("DLP_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(corpus::DEFAULT_SIZE, |mib| mib << 20)
}

fn bench_corpus(group: &mut BenchmarkGroup<'_, WallTime>, corpus: &Corpus) {
    let name = corpus.kind.name();
    let bytes = &corpus.bytes[..];
    let engine = dlp_engine(corpus.kind);

    let matches = engine.scan(bytes);
    let missing = missing_planted(corpus, &matches);
    assert!(missing.is_empty(), "dlp misses in {name}: {missing:?}");
    let expected = matches.len();
    eprintln!(
        "{name}: {} bytes, {} planted, dlp reports {expected}",
        bytes.len(),
        corpus.planted.len()
    );

    group.throughput(Throughput::Bytes(bytes.len() as u64));
    assert_eq!(dlp_block_count(&engine, bytes), expected);
    group.bench_function(format!("dlp/block/{name}"), |b| {
        b.iter(|| dlp_block_count(&engine, black_box(bytes)))
    });
    assert_eq!(dlp_stream_count(&engine, bytes, 1460), expected);
    group.bench_function(format!("dlp/stream-1460/{name}"), |b| {
        b.iter(|| dlp_stream_count(&engine, black_box(bytes), 1460))
    });

    let patterns = rule_patterns(&engine);
    let naive = NaiveDfa::new(&patterns).expect("patterns compile");
    let mut hits = Vec::new();
    naive.for_each_hit(bytes, |hit| hits.push(hit));
    let missing = missing_planted_ends(corpus, &engine, &patterns, &hits);
    // `\b` cannot match next to a value that starts or ends with a
    // non-word byte (`-----BEGIN ...`, a credential ending in `==`), so
    // the baseline misses such custom50 values. It must find the rest.
    if corpus.kind == CorpusKind::Custom {
        eprintln!(
            "{name}: regex-automata misses {} planted values",
            missing.len()
        );
    } else {
        assert!(missing.is_empty(), "naive DFA misses in {name}: {missing:?}");
    }
    eprintln!(
        "{name}: regex-automata {} reports {} hits",
        naive.label(),
        hits.len()
    );
    group.bench_function(format!("regex-automata/block/{name}"), |b| {
        b.iter(|| naive.count(black_box(bytes)))
    });

    assert_eq!(memchr_count(bytes), 0);
    group.bench_function(format!("memchr/block/{name}"), |b| {
        b.iter(|| memchr_count(black_box(bytes)))
    });

    if corpus.kind == CorpusKind::Custom {
        return;
    }
    let slice = &bytes[..SLICE.min(bytes.len())];
    let in_slice = engine.scan(slice).len();
    group.throughput(Throughput::Bytes(slice.len() as u64));
    for fragment in [64, 1] {
        assert_eq!(dlp_stream_count(&engine, slice, fragment), in_slice);
        group.bench_function(format!("dlp/stream-{fragment}/{name}"), |b| {
            b.iter(|| dlp_stream_count(&engine, black_box(slice), fragment))
        });
    }
}

fn scan(c: &mut Criterion) {
    let size = corpus_size();
    let mut group = c.benchmark_group("scan");
    for kind in CorpusKind::ALL {
        let corpus = corpus::generate(kind, size, corpus::DEFAULT_SEED);
        bench_corpus(&mut group, &corpus);
    }
    group.finish();
}

/// Times compiling the built-in and the `custom50` sensors into an
/// engine, load-time checks included.
fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.bench_function("builtin", |b| {
        b.iter(|| {
            let mut builder = EngineBuilder::new();
            builder.add_builtin().expect("the built-in sensors load");
            black_box(builder.build().expect("the built-in sensors build"))
        })
    });
    group.bench_function("custom50", |b| {
        b.iter(|| black_box(dlp_engine(CorpusKind::Custom)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scan, build
}
criterion_main!(benches);
