//! Berth's engine: the Dockerfile front end today; images, runtimes and the
//! docker-compatible command line build on it. Builds for Linux and for
//! `wasm32-unknown-unknown`; host access goes through traits passed in.

pub mod api;
pub mod build;
pub mod cli;
pub mod daemon;
pub mod dockerfile;
pub mod dockerignore;
pub mod image;
pub mod lesson;
pub mod reference;
pub mod runtime;
pub mod sandbox;
pub mod shell;
pub mod stack;
pub mod time;
pub mod vfs;
pub mod wasi;
pub mod workbench;
