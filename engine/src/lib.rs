//! Berth's engine: the Dockerfile front end, images, the userland, runtimes behind one
//! trait, the build, the docker-compatible command line and the browser sandbox on top.
//! Modules import only downwards through the layers ARCHITECTURE.md lists
//! (`tests/tidy.rs` checks). Builds for Linux and for `wasm32-unknown-unknown`; host
//! access goes through traits passed in.

pub mod api;
pub mod build;
pub mod cli;
pub mod daemon;
pub mod dockerfile;
pub mod dockerignore;
pub mod host;
pub mod image;
pub mod lesson;
pub mod reference;
pub mod runtime;
pub mod sandbox;
pub mod shell;
pub mod stack;
pub mod time;
pub mod units;
pub mod vfs;
pub mod wasi;
pub mod workbench;
