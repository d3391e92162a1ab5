//! `docker stop` and `kill` (moby's `daemon/stop.go`, `kill.go`): TERM reaches the
//! process where it waits, what outlives the grace period is killed.

use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status};

/// Records that `stop` or `kill` ended the container (`by_hand`), so that its restart
/// policy leaves it stopped, or that `start`/`restart` started it again.
pub fn mark_stopped_by_hand(containers: &mut Containers, c: &mut Container, by_hand: bool) {
    c.manually_stopped = by_hand;
    if let Some(r) = containers.list.get_mut(&c.id) {
        r.manually_stopped = by_hand;
    }
}

/// `docker stop`: a running container gets TERM and, after `grace` seconds, KILL; a
/// restarting one is not started again. Either way its restart policy leaves it stopped.
pub fn stop(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, grace: f64) {
    let mut c = c.clone();
    mark_stopped_by_hand(containers, &mut c, true);
    if c.status == Status::Running {
        let signal = c.config.config.stop_signal.clone().unwrap_or_else(|| "SIGTERM".into());
        super::events::container(containers, &c, "kill", &[("signal", signal.trim_start_matches("SIG").to_string())], host.now());
    }
    match c.status {
        Status::Running if super::native::supervised(&c) => super::native::stop(containers, &c, host, grace),
        Status::Running => stop_gracefully(store, containers, &c, host, grace),
        Status::Restarting => {
            if let Some(r) = containers.list.get_mut(&c.id) {
                r.status = Status::Exited;
                r.restart_at_ms = None;
            }
            let _ = containers.save();
        }
        _ => {}
    }
}

/// `docker kill [-s SIGNAL]`: a running container's process is killed (137) and stays stopped.
/// `key` is the container as the user named it, for the error.
pub fn kill(containers: &mut Containers, c: &Container, key: &str, host: &dyn Host, signal: i32) -> Result<(), EngineError> {
    match c.status {
        Status::Running if signal != 9 && !super::native::supervised(c) => Err(EngineError::Invalid(format!(
            "cannot kill container: {key}: Berth's emulated runtime delivers only SIGKILL to a container's process (`docker stop` sends it its stop signal)"
        ))),
        Status::Running => {
            let mut c = c.clone();
            super::events::container(containers, &c, "kill", &[("signal", signal.to_string())], host.now());
            if signal == 9 {
                mark_stopped_by_hand(containers, &mut c, true);
            }
            if super::native::supervised(&c) {
                super::native::kill(containers, &c, host, signal);
            } else {
                stop_running(containers, &c, host, 137);
            }
            Ok(())
        }
        Status::Restarting => Err(EngineError::Invalid(format!("cannot kill container: {key}: container {} is restarting, wait until the container is running", c.id))),
        _ => Err(EngineError::Invalid(format!("cannot kill container: {key}: container {} is not running", c.id))),
    }
}

/// `docker stop`: TERM reaches the process in the sleep it waits in; a trap for it runs
/// once that sleep is over (sh runs traps between commands). What has not ended within
/// `grace` seconds is killed (137). Where the host has real time the grace period passes
/// in real time, as Docker's does.
pub fn stop_gracefully(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, grace: f64) {
    let now = super::start::catch_up_until(c, host);
    let (until, follow) = match host.follow() {
        Some(show) => {
            let waited = std::cell::Cell::new(0.0);
            let follow: crate::shell::Pause = std::rc::Rc::new(move |_: &str, secs: f64| {
                let wait = secs.min(grace - waited.get()).max(0.0);
                waited.set(waited.get() + wait);
                show("", wait) && wait >= secs
            });
            (now, Some(follow))
        }
        None => (now + grace, None),
    };
    let _ = super::start::resume(store, containers, c, host, until, follow, Some("TERM"));
    if let Some(still) = containers.find(&c.id).filter(|x| x.status == Status::Running).cloned() {
        stop_running(containers, &still, host, 137);
    }
}

/// Ends a running (suspended) container with `code`; `--rm` then removes it.
pub fn stop_running(containers: &mut Containers, c: &Container, host: &dyn Host, code: i32) {
    super::events::container(containers, c, "die", &[("exitCode", code.to_string())], host.now());
    if c.auto_remove {
        super::events::container(containers, c, "destroy", &[], host.now());
        containers.list.remove(&c.id);
        let _ = containers.remove(&c.id);
    } else if let Some(record) = containers.list.get_mut(&c.id) {
        record.status = Status::Exited;
        record.exit_code = code;
        record.finished = Some(host.now());
        record.suspended = None;
        let _ = containers.set_journal(&c.id, None);
    }
    let _ = containers.save();
}
