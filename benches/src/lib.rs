//! Benchmarks and the seeded corpus generator for dlp.
//!
//! [`corpus`] generates the corpora, [`engines`] runs dlp and the
//! baselines (a plain regex-automata DFA and `memchr`) over them, and
//! `hyperscan` (feature `hyperscan`, needs libhs) adds Hyperscan.

pub mod corpus;
pub mod engines;
#[cfg(feature = "hyperscan")]
pub mod hyperscan;

/// The custom sensors used for the `custom50` corpus.
pub const CUSTOM50_TOML: &str = include_str!("../sensors/custom50.toml");
