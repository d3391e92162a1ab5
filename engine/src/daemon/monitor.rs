//! What happens when a container's process ends (moby's `daemon/monitor.go`): the record
//! becomes Exited with the code, its writable layer and logs are kept, `--rm` removes it
//! with its anonymous volumes, and its restart policy may start it again. A process the
//! emulated runtime suspended in a sleep is still running: the record says where.
//!
//! Restart policies follow Docker's: `no`; `on-failure[:N]` after a non-zero exit, at
//! most N times; `always` and `unless-stopped` after any exit, unless `stop` or `kill`
//! ended it. Docker's restart manager waits 100 ms before the first restart and doubles
//! the wait each time up to a minute, starting over at 100 ms after a run of 10 s or
//! more; the record keeps the time of the next start, and the commands that look at
//! containers start it when that time has come (`daemon::start::catch_up`). `always`
//! and `unless-stopped` differ only when the daemon restarts, which the emulated engine
//! does not model: here they behave alike.

use crate::runtime::{Container, Containers, RestartPolicy, Status, Suspension};
use crate::vfs::MemoryFs;

/// The first restart delay, in milliseconds.
const FIRST_DELAY_MS: i64 = 100;
/// The longest restart delay.
const MAX_DELAY_MS: i64 = 60_000;
/// A run at least this long starts the back-off over.
const RESET_AFTER_MS: i64 = 10_000;

/// `--restart`'s value, with Docker's errors.
pub fn parse_restart_policy(text: &str) -> Result<RestartPolicy, String> {
    let (name, count) = match text.split_once(':') {
        Some(("", _)) => return Err("invalid restart policy format: no policy provided before colon".into()),
        Some((name, count)) => (name, Some(count)),
        None => (text, None),
    };
    let maximum_retry_count = match count {
        None | Some("") => 0,
        Some(c) => match c.parse::<i64>() {
            Ok(n) if n < 0 => return Err("invalid restart policy: maximum retry count cannot be negative".into()),
            Ok(n) => u32::try_from(n).unwrap_or(u32::MAX),
            Err(_) => return Err("invalid restart policy format: maximum retry count must be an integer".into()),
        },
    };
    match name {
        "" | "no" | "always" | "unless-stopped" if maximum_retry_count > 0 => Err("invalid restart policy: maximum retry count can only be used with 'on-failure'".into()),
        "" | "no" | "always" | "unless-stopped" | "on-failure" => Ok(RestartPolicy { name: if name.is_empty() { "no".into() } else { name.into() }, maximum_retry_count }),
        other => Err(format!("invalid restart policy: unknown policy '{other}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")),
    }
}

/// When `c`, whose process ended with `code` after running `ran_ms`, starts again, and
/// the delay that gives: `None` where its policy does not restart it.
pub fn next_restart(c: &Container, code: i32, ended_ms: i64, ran_ms: i64) -> Option<(i64, i64)> {
    let policy = &c.host_config.restart;
    if c.auto_remove || c.manually_stopped {
        return None;
    }
    let restart = match policy.name.as_str() {
        "on-failure" => code != 0 && (policy.maximum_retry_count == 0 || c.restart_count < policy.maximum_retry_count),
        "always" | "unless-stopped" => true,
        _ => false,
    };
    if !restart {
        return None;
    }
    let delay = if ran_ms >= RESET_AFTER_MS || c.restart_delay_ms == 0 { FIRST_DELAY_MS } else { (c.restart_delay_ms * 2).min(MAX_DELAY_MS) };
    Some((ended_ms.saturating_add(delay), delay))
}

/// Records a container's end (`ended`, seconds since the epoch): exited with `code`, its
/// writable layer and logs kept, restarting where its policy says so, or with `--rm`
/// removed with its anonymous volumes. A `suspended` process is still running.
#[allow(clippy::too_many_arguments)]
pub fn finish(containers: &mut Containers, c: &Container, ended: i64, ran_ms: i64, code: i32, stdout: &[u8], stderr: &[u8], stamps: &[(usize, i64)], upper: &MemoryFs, suspended: Option<Suspension>) {
    let _ = containers.set_journal(&c.id, suspended.as_ref().map(|s| &s.journal));
    let end_ns = ended.saturating_mul(1_000_000_000);
    if let Some(suspension) = suspended {
        // Still running: up until `stop` or `kill`, with what it wrote so far.
        let mut record = c.clone();
        record.status = Status::Running;
        record.exit_code = 0;
        record.started = Some(record.started.unwrap_or(ended));
        record.suspended = Some(suspension.at);
        let _ = containers.set_upper(&c.id, upper);
        let _ = containers.append_logs(&c.id, stdout, stderr, stamps, end_ns);
        containers.list.insert(c.id.clone(), record);
        let _ = containers.save();
        return;
    }
    super::events::container(containers, c, "die", &[("exitCode", code.to_string())], ended);
    if c.auto_remove {
        super::events::container(containers, c, "destroy", &[], ended);
        // `--rm` takes the container's anonymous volumes with it, as Docker does.
        containers.list.remove(&c.id);
        super::rm::remove_anonymous_volumes(containers, c);
        let _ = containers.remove(&c.id);
        let _ = containers.save();
        return;
    }
    let mut record = c.clone();
    record.exit_code = code;
    record.finished = Some(ended);
    record.suspended = None;
    // A restarted process started at its scheduled millisecond, which the record keeps
    // until it ends; others started on the second.
    let ended_ms = match c.restart_at_ms {
        Some(at) if c.status == Status::Running => at.saturating_add(ran_ms),
        _ => ended.saturating_mul(1000),
    };
    match next_restart(c, code, ended_ms, ran_ms) {
        Some((at, delay)) => {
            record.status = Status::Restarting;
            record.restart_at_ms = Some(at);
            record.restart_delay_ms = delay;
        }
        None => {
            record.status = Status::Exited;
            record.restart_at_ms = None;
        }
    }
    let _ = containers.set_upper(&c.id, upper);
    let _ = containers.append_logs(&c.id, stdout, stderr, stamps, end_ns);
    containers.list.insert(c.id.clone(), record);
    let _ = containers.save();
}

/// Restarting containers whose next start has come by `now_ms`, soonest first.
pub fn due(containers: &Containers, now_ms: i64) -> Vec<Container> {
    let mut due: Vec<Container> = containers.list.values().filter(|c| c.status == Status::Restarting && c.restart_at_ms.is_some_and(|at| at <= now_ms)).cloned().collect();
    due.sort_by_key(|c| c.restart_at_ms);
    due
}

/// The record of a restart about to run: Running from its scheduled start, counted.
pub fn restarted(c: &Container) -> Container {
    let mut r = c.clone();
    let at = c.restart_at_ms.unwrap_or(0);
    r.status = Status::Running;
    r.started = Some(at.div_euclid(1000));
    // Kept while it runs: its end is reckoned from it (see `finish`).
    r.restart_at_ms = Some(at);
    r.restart_count = c.restart_count.saturating_add(1);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_parse_as_docker_parses_them() {
        assert_eq!(parse_restart_policy("on-failure:3"), Ok(RestartPolicy { name: "on-failure".into(), maximum_retry_count: 3 }));
        assert_eq!(parse_restart_policy("always").map(|p| p.name), Ok("always".into()));
        assert_eq!(parse_restart_policy("no").map(|p| p.is_none()), Ok(true));
        assert_eq!(parse_restart_policy("sometimes").unwrap_err(), "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        assert_eq!(parse_restart_policy("always:2").unwrap_err(), "invalid restart policy: maximum retry count can only be used with 'on-failure'");
        assert_eq!(parse_restart_policy("on-failure:x").unwrap_err(), "invalid restart policy format: maximum retry count must be an integer");
        assert_eq!(parse_restart_policy("on-failure:-1").unwrap_err(), "invalid restart policy: maximum retry count cannot be negative");
        assert_eq!(parse_restart_policy(":3").unwrap_err(), "invalid restart policy format: no policy provided before colon");
    }
}
