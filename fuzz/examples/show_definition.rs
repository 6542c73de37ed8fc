//! Prints the definition and haystack that a `sensor_patterns` input
//! decodes to, so that a crash input can become a regression test.
//!
//! Usage: show_definition FILE
//!
//! The TOML text goes to standard output; the haystack follows, after a
//! line `# haystack (N bytes)`, as a Rust byte string literal, and then
//! the stream cuts.

use std::process::ExitCode;

use arbitrary::{Arbitrary, Unstructured};
use dlp_fuzz::patterns::Definition;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: show_definition FILE");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(err) => {
            eprintln!("show_definition: failed to read {path}: {err}");
            return ExitCode::FAILURE;
        }
    };
    // libfuzzer-sys decodes a typed fuzz input the same way.
    let definition = match Definition::arbitrary_take_rest(Unstructured::new(
        &data,
    )) {
        Ok(definition) => definition,
        Err(err) => {
            eprintln!("show_definition: failed to decode {path} as a sensor_patterns input: {err}");
            return ExitCode::FAILURE;
        }
    };
    let haystack = definition.haystack();
    print!("{}", definition.toml());
    println!("# haystack ({} bytes)", haystack.len());
    println!("b\"{}\"", haystack.escape_ascii());
    println!("# cuts {:?}", definition.cuts(haystack.len()));
    ExitCode::SUCCESS
}
