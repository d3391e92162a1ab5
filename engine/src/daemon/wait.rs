//! `wait`: blocks until a container stops and gives its exit status.

use super::logs::follow;
use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status};

/// How `wait` ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    /// The container has stopped with this status.
    Exited(i32),
    /// The user stopped waiting (Ctrl-C): the container goes on.
    Interrupted,
    /// It is running and this host has no real time for its process to go on in.
    NoRealTime,
}

/// Waits for `c` to stop: a stopped container answers at once; a running one's process
/// goes on in real time (as `logs -f` follows it, showing nothing) until it exits.
pub fn wait(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Result<Waited, EngineError> {
    if c.status != Status::Running {
        return Ok(Waited::Exited(c.exit_code));
    }
    if super::native::supervised(c) {
        // A real process: waited for in real time, whatever the host's console has.
        let pause: crate::shell::Pause = host.follow().unwrap_or_else(|| std::rc::Rc::new(|_: &str, secs: f64| {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            true
        }));
        return Ok(super::native::wait(containers, c, host, &pause, false, 0).0.map_or(Waited::Interrupted, Waited::Exited));
    }
    let Some(show) = host.follow() else { return Ok(Waited::NoRealTime) };
    let quiet: crate::shell::Pause = std::rc::Rc::new(move |_: &str, secs: f64| show("", secs));
    let followed = follow(store, containers, c, quiet, Vec::new(), 0, host)?;
    Ok(followed.exited.map_or(Waited::Interrupted, Waited::Exited))
}
