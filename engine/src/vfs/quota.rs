//! A per-engine storage quota shared by every filesystem of the engine: writes beyond it
//! fail with `ENOSPC` instead of exhausting the browser tab's memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug)]
struct Inner {
    limit: u64,
    used: AtomicU64,
}

/// What a container's writable layer and volumes, or a build step's layer, may hold
/// unless told otherwise (`--storage-opt size=`): in a browser tab, what its memory can
/// spare; natively, a share of the machine's memory (the emulated runtime keeps files in
/// memory).
pub const DEFAULT_LIMIT: u64 = if cfg!(target_arch = "wasm32") { 1 << 30 } else { 8 << 30 };

/// A shared byte budget. Clones share the same budget.
#[derive(Debug, Clone)]
pub struct Quota(Arc<Inner>);

impl Quota {
    pub fn new(limit: u64) -> Quota {
        Quota(Arc::new(Inner { limit, used: AtomicU64::new(0) }))
    }

    /// No limit.
    pub fn unlimited() -> Quota {
        Quota::new(u64::MAX)
    }

    pub fn limit(&self) -> u64 {
        self.0.limit
    }

    pub fn used(&self) -> u64 {
        self.0.used.load(Ordering::Relaxed)
    }

    /// Takes `bytes` from the budget, or fails (taking nothing) when it would overflow.
    pub fn charge(&self, bytes: u64) -> bool {
        self.0
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| used.checked_add(bytes).filter(|n| *n <= self.0.limit))
            .is_ok()
    }

    pub fn release(&self, bytes: u64) {
        let _ = self.0.used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| Some(used.saturating_sub(bytes)));
    }
}
