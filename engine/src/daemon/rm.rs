//! `docker rm`, `rename` and `container prune` (moby's `daemon/delete.go`, `rename.go`,
//! `prune.go`): records removed with their writable layer, logs and journal.

use super::EngineError;
use crate::runtime::{Containers, Status};

/// Removes the container `key` names (name, ID or ID prefix); a running or restarting
/// one only with `force`; with `volumes` (`rm -v`), its anonymous volumes go too, as
/// Docker's do (named volumes stay). Returns its ID.
pub fn remove(containers: &mut Containers, key: &str, force: bool, volumes: bool, host: &dyn crate::host::Host) -> Result<String, EngineError> {
    let c = containers.find(key).cloned().ok_or_else(|| EngineError::NotFound(key.to_string()))?;
    let state = match c.status {
        Status::Running => Some("running"),
        Status::Restarting => Some("restarting"),
        _ => None,
    };
    if let (Some(state), false) = (state, force) {
        return Err(EngineError::Invalid(format!("cannot remove container \"/{}\": container is {state}: stop the container before removing or force remove", c.name)));
    }
    if super::native::supervised(&c) {
        // Forced: its process is killed and its supervisor's directory goes with it.
        super::native::kill(containers, &c, host, 9);
        if containers.find(&c.id).is_none() {
            return Ok(c.id);
        }
    }
    containers.remove(&c.id).map_err(EngineError::State)?;
    super::events::container(containers, &c, "destroy", &[], host.now());
    if volumes {
        remove_anonymous_volumes(containers, &c);
    }
    Ok(c.id)
}

/// The anonymous volumes of the removed container `c` that no other container mounts.
pub fn remove_anonymous_volumes(containers: &mut Containers, c: &crate::runtime::Container) {
    let anonymous = containers.volumes();
    for m in c.mounts.iter().filter(|m| m.kind == "volume") {
        let used = containers.list.values().any(|o| o.id != c.id && o.mounts.iter().any(|om| om.kind == "volume" && om.source == m.source));
        if !used && anonymous.get(&m.source).is_some_and(|(_, anon)| *anon) {
            let _ = containers.remove_volume(&m.source);
        }
    }
}

/// Renames the container `key` names to `new` (validated, and not in use by another).
pub fn rename(containers: &mut Containers, key: &str, new: &str, now: i64) -> Result<(), EngineError> {
    let c = containers.find(key).cloned().ok_or_else(|| EngineError::NotFound(key.to_string()))?;
    let new = super::names::container(new).map_err(EngineError::Invalid)?;
    if let Some(other) = containers.find(new).filter(|o| o.id != c.id) {
        return Err(EngineError::Invalid(format!("Conflict. The container name \"/{new}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.", other.id)));
    }
    if let Some(entry) = containers.list.get_mut(&c.id) {
        entry.name = new.to_string();
    }
    let renamed = crate::runtime::Container { name: new.to_string(), ..c.clone() };
    super::events::container(containers, &renamed, "rename", &[("oldName", format!("/{}", c.name))], now);
    containers.save().map_err(EngineError::State)
}

/// Removes every stopped container (created or exited; not running or restarting) that
/// the filters keep (`until`, `label`, `label!`, as dockerd's) and returns their IDs.
pub fn prune(containers: &mut Containers, filters: &[(String, String)], now: i64) -> Result<Vec<String>, EngineError> {
    let mut until = None;
    for (key, v) in filters {
        match key.as_str() {
            "until" => until = Some(super::list::until_time(v, now)?),
            "label" | "label!" => {}
            _ => return Err(EngineError::Invalid(format!("invalid filter '{key}'"))),
        }
    }
    let chosen = |c: &crate::runtime::Container| {
        let labels = &c.config.config.labels;
        until.is_none_or(|u| c.created <= u)
            && filters.iter().all(|(k, v)| match k.as_str() {
                "label" => super::list::has_label(labels, v),
                "label!" => !super::list::has_label(labels, v),
                _ => true,
            })
    };
    let stopped: Vec<String> = containers.list.values().filter(|c| matches!(c.status, Status::Created | Status::Exited) && chosen(c)).map(|c| c.id.clone()).collect();
    for id in &stopped {
        let _ = containers.remove(id);
    }
    Ok(stopped)
}
