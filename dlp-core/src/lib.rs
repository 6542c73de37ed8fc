//! dlp-core: a data loss prevention (DLP) matcher for network traffic.
//!
//! A **sensor** finds one kind of personal data (a French NIR, a US SSN, a
//! payment card number, an IBAN, an email address, or anything a user
//! defines). It has **rules**; a rule has **patterns** (regexes that must
//! all hold), an optional **validator** (check digits and structure),
//! optional **hotwords** and a mask. Sensors are compiled into an
//! [`Engine`], which scans a whole haystack ([`Engine::scan`]) or a
//! [`Stream`] of fragments, such as the TCP segments of one flow
//! direction. A value cut across fragments is reported once, at its exact
//! stream offsets, whatever the cuts.
//!
//! # Example
//!
//! ```
//! use std::ops::ControlFlow;
//! use dlp_core::Engine;
//!
//! let engine = Engine::builtin();
//! let mut stream = engine.stream();
//! let mut masked = Vec::new();
//! let mut on_match = |m: &dlp_core::Match| {
//!     masked.push(m.masked().to_string());
//!     ControlFlow::Continue(())
//! };
//! stream.feed(b"POST /u HTTP/1.1\r\nContent-Length: 21\r\n\r\n5555 5555", &mut on_match)?;
//! stream.feed(b" 5555 4444 ok", &mut on_match)?;
//! stream.finish(&mut on_match)?;
//! assert_eq!(masked, ["5555 55** **** 4444"]);
//! # Ok::<(), dlp_core::StreamError>(())
//! ```
//!
//! # Limits
//!
//! - A span-finding pattern must match at most [`MAX_MATCH_LEN`] bytes
//!   and at least one; a stream carries that many bytes, plus the largest
//!   hotword window ([`MAX_HOTWORD_WINDOW`]), between fragments.
//! - An engine holds at most [`MAX_PATTERNS`] rules, and its automaton at
//!   most [`MAX_ENGINE_SIZE`] bytes. The regex of each pattern, used for
//!   value checks, compiles to at most [`MAX_CHECK_SIZE`] bytes.
//! - Matching is linear in the haystack: each start position runs the
//!   automaton over at most [`Engine::max_match_len`] bytes, and positions
//!   inside a reported match are skipped.
//! - Building an engine takes a bounded number of automaton steps,
//!   whatever the number of rules. The load-time check walks every state
//!   a scan can reach once. Naming a rule whose states do not fit in a
//!   scratch cache takes at most twice that walk's steps, and the
//!   prefilter's analysis has a fixed budget. A step costs up to one pass
//!   over the automaton's NFA.

#![deny(missing_docs)]

mod builtin;
#[cfg(feature = "capture")]
pub mod capture;
mod engine;
mod error;
mod http;
mod literal;
mod prefilter;
mod scan;
mod sensor;
mod stream;
pub mod validators;

pub use crate::engine::{
    Engine, EngineBuilder, Match, Source, MAX_ENGINE_SIZE,
};
pub use crate::error::{Error, ErrorKind};
pub use crate::sensor::{
    Boundary, Confidence, Context, Mask, Pattern, Rule, Sensor, Severity,
    DEFAULT_HOTWORD_WINDOW, MAX_CHECK_SIZE, MAX_HOTWORD_WINDOW,
};
pub use crate::stream::{Stream, StreamError};

/// The longest match a span-finding pattern may allow, in bytes.
pub const MAX_MATCH_LEN: usize = 1024;

/// The largest number of rules in one engine.
pub const MAX_PATTERNS: usize = 4096;

/// Compiles and runs the Rust examples of the README.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
