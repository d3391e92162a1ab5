//! Messages between the page and the engine's worker: the engine API's own types
//! (`engine::api::Request` / `Response`) in a small envelope, as JSON text.

use engine::api::{Request, Response};
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    pub id: u32,
    pub request: Request,
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// The engine is up: state restored from IndexedDB (`restored`) or a fresh sandbox.
    Ready { prompt: String, restored: bool },
    /// The answer to call `id`, sent once its changes are saved in IndexedDB.
    Reply { id: u32, response: Response },
    /// A running command waits for a line typed in the terminal (`read`): `shown` is
    /// its output so far. The page sends the line to the service worker, which answers
    /// the worker's synchronous request for it.
    Input { shown: String },
    /// Build progress as it happens, before the command's reply.
    Progress { text: String },
    /// The running program got the Ctrl-C (at a sleep) and handles it: the page need
    /// not restart the engine; another Ctrl-C interrupts it again.
    Interrupted,
    /// Something went wrong that the page should show (the engine keeps running).
    Problem { message: String },
}

/// The IndexedDB database and object store the worker keeps the sandbox in.
pub const DB_NAME: &str = "berth";
pub const STORE: &str = "state";

/// The path the worker requests (synchronously) to wait for a typed line, and the
/// service worker answers.
pub const STDIN_PATH: &str = "__berth/stdin";

/// The path a `sleep` requests (synchronously); the service worker answers it after the
/// delay in `?ms=`.
pub const SLEEP_PATH: &str = "__berth/sleep";

/// How the service worker answers a sleep that Ctrl-C cut short (205 Reset Content).
pub const INTERRUPTED_STATUS: u16 = 205;
