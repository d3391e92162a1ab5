//! Volumes: `volume create`, `rm` and `prune` (records in `berth/volumes.json`, contents
//! as one archive each, see [`Containers`]).

use super::EngineError;
use crate::runtime::Containers;

/// `volume create [NAME]`: a named volume, or an anonymous one with a generated name.
/// Creating a volume that exists is not an error (Docker returns the existing one).
pub fn create(containers: &mut Containers, name: Option<&str>, now: i64) -> Result<String, EngineError> {
    let anonymous = name.is_none();
    let name = name.map(str::to_string).unwrap_or_else(|| containers.new_id(&format!("volume/{now}")));
    super::names::volume(&name).map_err(EngineError::Invalid)?;
    containers.register_volume(&name, now, anonymous).map_err(EngineError::State)?;
    Ok(name)
}

/// `volume rm NAME`: refused while a container (running or not) uses it, as Docker does.
pub fn remove(containers: &mut Containers, name: &str) -> Result<(), EngineError> {
    if !containers.volumes().contains_key(name) {
        return Err(EngineError::Invalid(format!("get {name}: no such volume")));
    }
    let users = containers.volume_users(name);
    if !users.is_empty() {
        return Err(EngineError::Invalid(format!("remove {name}: volume is in use - [{}]", users.join(", "))));
    }
    containers.remove_volume(name).map_err(EngineError::State)
}

/// `volume prune [-a]`: the unused anonymous volumes, or with `all` every unused one.
/// Returns the names removed.
pub fn prune(containers: &mut Containers, all: bool) -> Result<Vec<String>, EngineError> {
    let mut deleted = Vec::new();
    for (name, (_, anonymous)) in containers.volumes() {
        if (all || anonymous) && containers.volume_users(&name).is_empty() {
            containers.remove_volume(&name).map_err(EngineError::State)?;
            deleted.push(name);
        }
    }
    Ok(deleted)
}
