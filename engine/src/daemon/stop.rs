//! `docker stop` and `kill` (moby's `daemon/stop.go`, `kill.go`): TERM reaches the
//! process where it waits, what outlives the grace period is killed.

use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status};

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
    if c.auto_remove {
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
