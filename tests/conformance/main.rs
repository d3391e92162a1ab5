//! Conformance suites read from `../shared/conformance/` (BuildKit's parser, shell
//! expansion and lint data). Each suite prints its pass count.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod entrypoint;
mod flags;
mod lint;
mod parser;
mod robustness;
mod semantics;
mod shell;
mod support;
mod tables;
