//! How much stack the engine's recursive walkers may use.
//!
//! The shell interpreter, its arithmetic and `[[ ]]` evaluators, awk and the pattern
//! matchers recurse over what a user wrote. In a browser tab the whole engine shares one
//! 1 MiB WebAssembly stack, and overflowing it traps the module: every open sandbox dies
//! with it. Depth counters bound each walker on its own, but recursion can combine (a
//! function that evals a string that sources a file …), so each walker also asks
//! [`exhausted`] before it goes one level deeper and ends in an error when it says yes.
//!
//! The measure is the distance between the address of a local in the shallowest frame
//! seen on this thread ([`mark`], at the engine's entry points) and one in the current
//! frame. Stacks grow down on every target the engine builds for (x86-64, aarch64 and
//! wasm32's shadow stack). A debug build's frames are larger, so it reaches the budget at
//! a smaller depth than a release build: the limit is a resource, not a language rule.

use std::cell::Cell;

/// The most stack the walkers may use below the entry point: half of a browser tab's
/// 1 MiB, which leaves room for the frames above the entry and for the code that reports
/// the error.
pub const BUDGET: usize = 512 * 1024;

thread_local! {
    static TOP: Cell<usize> = const { Cell::new(0) };
}

#[inline(never)]
fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Records the current frame as an entry point: the budget counts from the shallowest one.
pub fn mark() {
    let h = here();
    TOP.with(|top| {
        if h > top.get() {
            top.set(h);
        }
    });
}

/// Whether the current frame is more than [`BUDGET`] below the entry point. The first
/// call on a thread that was never [`mark`]ed marks it.
pub fn exhausted() -> bool {
    let h = here();
    TOP.with(|top| {
        if top.get() == 0 || h > top.get() {
            top.set(h);
            return false;
        }
        top.get() - h > BUDGET
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recurse(n: u32) -> u32 {
        if exhausted() {
            return n;
        }
        let pad = std::hint::black_box([0u8; 1024]);
        recurse(n + 1) + u32::from(pad[0])
    }

    #[test]
    fn deep_recursion_stops_within_the_budget_on_a_small_stack() {
        let depth = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                mark();
                recurse(0)
            })
            .expect("spawn")
            .join()
            .expect("no overflow");
        assert!(depth > 100, "{depth}");
    }
}
