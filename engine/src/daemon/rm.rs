//! `docker rm`, `rename` and `container prune` (moby's `daemon/delete.go`, `rename.go`,
//! `prune.go`): records removed with their writable layer, logs and journal.

use super::EngineError;
use crate::runtime::{Containers, Status};

/// Removes the container `key` names (name, ID or ID prefix); a running or restarting
/// one only with `force`. Returns its ID.
pub fn remove(containers: &mut Containers, key: &str, force: bool, host: &dyn crate::host::Host) -> Result<String, EngineError> {
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
    Ok(c.id)
}

/// Renames the container `key` names to `new` (validated, and not in use by another).
pub fn rename(containers: &mut Containers, key: &str, new: &str) -> Result<(), EngineError> {
    let c = containers.find(key).cloned().ok_or_else(|| EngineError::NotFound(key.to_string()))?;
    let new = super::names::container(new).map_err(EngineError::Invalid)?;
    if let Some(other) = containers.find(new).filter(|o| o.id != c.id) {
        return Err(EngineError::Invalid(format!("Conflict. The container name \"/{new}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.", other.id)));
    }
    if let Some(entry) = containers.list.get_mut(&c.id) {
        entry.name = new.to_string();
    }
    containers.save().map_err(EngineError::State)
}

/// Removes every stopped container (created or exited; not running or restarting) and
/// returns their IDs.
pub fn prune(containers: &mut Containers) -> Vec<String> {
    let stopped: Vec<String> = containers.list.values().filter(|c| matches!(c.status, Status::Created | Status::Exited)).map(|c| c.id.clone()).collect();
    for id in &stopped {
        let _ = containers.remove(id);
    }
    stopped
}
