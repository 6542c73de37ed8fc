//! Writes a seeded benchmark corpus and a JSON Lines file of its planted
//! values and decoys.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use dlp_benches::corpus::{self, CorpusKind};

const USAGE: &str = "\
usage: gen-corpus [--kind http|dense|custom50] [--size MIB] [--seed N]
                  [--out FILE] [--planted FILE]

Writes a corpus of at most MIB MiB (default 64, fractions allowed) to FILE
(default <kind>.corpus) and its planted values and decoys, one JSON
object per line, to the --planted FILE (default <kind>.planted.jsonl).";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-corpus: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut kind = CorpusKind::Http;
    let mut size = corpus::DEFAULT_SIZE;
    let mut seed = corpus::DEFAULT_SEED;
    let mut out = None;
    let mut planted = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--kind" => {
                let name = value()?;
                kind = CorpusKind::parse(&name).ok_or_else(|| {
                    format!("unknown corpus kind {name:?}; use http, dense or custom50")
                })?;
            }
            "--size" => {
                let text = value()?;
                let mib: f64 = text
                    .parse()
                    .map_err(|_| format!("invalid --size {text:?}: expected MiB, such as 64 or 0.5"))?;
                size = (mib * (1u64 << 20) as f64) as usize;
            }
            "--seed" => {
                let text = value()?;
                seed = text.parse().map_err(|_| format!("invalid --seed {text:?}: expected an unsigned integer"))?;
            }
            "--out" => out = Some(value()?),
            "--planted" => planted = Some(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => {
                return Err(format!("unknown argument {other:?}\n{USAGE}"))
            }
        }
    }
    let out = out.unwrap_or_else(|| format!("{}.corpus", kind.name()));
    let planted =
        planted.unwrap_or_else(|| format!("{}.planted.jsonl", kind.name()));
    let corpus = corpus::generate(kind, size, seed);
    std::fs::write(&out, &corpus.bytes)
        .map_err(|err| format!("cannot write {out}: {err}"))?;
    let file = File::create(&planted)
        .map_err(|err| format!("cannot create {planted}: {err}"))?;
    let mut writer = BufWriter::new(file);
    corpus
        .write_jsonl(&mut writer)
        .and_then(|()| writer.flush())
        .map_err(|err| format!("cannot write {planted}: {err}"))?;
    eprintln!(
        "gen-corpus: wrote {} bytes to {out}, {} planted values and {} decoys to {planted}",
        corpus.bytes.len(),
        corpus.planted.len(),
        corpus.decoys.len()
    );
    Ok(())
}
