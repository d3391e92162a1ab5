//! Berth's browser sandbox: the page (`main.rs`, a Yew app) and the engine's Web Worker
//! (`bin/worker.rs`). This library holds what both use and what tests can check without
//! a browser: the message envelope, the terminal's line editing, the editor's pieces.

pub mod editor;
pub mod idb;
pub mod lineedit;
pub mod markdown;
pub mod protocol;
pub mod wasi;
