//! Conformance suites read from `../shared/conformance/` (BuildKit's parser, shell
//! expansion and lint data). Each suite prints its pass count.

mod lint;
mod parser;
mod shell;
mod support;
mod tables;
