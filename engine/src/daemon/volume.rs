//! Volumes: `volume create`, `rm` and `prune` (records in `berth/volumes.json`, contents
//! as one archive each, see [`Containers`]).

use super::EngineError;
use crate::runtime::Containers;
use std::collections::BTreeMap;

/// `volume create [NAME]`: a named volume, or an anonymous one with a generated name.
/// Creating a volume that exists is not an error (Docker returns the existing one).
pub fn create(containers: &mut Containers, name: Option<&str>, now: i64) -> Result<String, EngineError> {
    create_labelled(containers, name, now, &BTreeMap::new())
}

/// `volume create --label K=V [NAME]`: a volume that exists keeps the labels it has.
pub fn create_labelled(containers: &mut Containers, name: Option<&str>, now: i64, labels: &BTreeMap<String, String>) -> Result<String, EngineError> {
    let anonymous = name.is_none();
    let name = name.map(str::to_string).unwrap_or_else(|| containers.new_id(&format!("volume/{now}")));
    super::names::volume(&name).map_err(EngineError::Invalid)?;
    let existed = containers.volumes().contains_key(&name);
    containers.register_volume(&name, now, anonymous).map_err(EngineError::State)?;
    if !existed {
        super::events::object(containers, "volume", "create", &name, &[("driver", "local".into())], now);
    }
    if !existed && !labels.is_empty() {
        containers.set_volume_labels(&name, labels.clone()).map_err(EngineError::State)?;
    }
    Ok(name)
}

/// The volumes `volume ls --filter` keeps (dockerd's keys: `dangling`, `driver`,
/// `label`, `name`), by name.
pub fn list(containers: &Containers, filters: &[(String, String)]) -> Result<Vec<String>, EngineError> {
    for (key, value) in filters {
        match key.as_str() {
            "dangling" if !matches!(value.as_str(), "true" | "false" | "1" | "0") => return Err(EngineError::Invalid(format!("invalid filter 'dangling={value}'"))),
            "dangling" | "driver" | "label" | "name" => {}
            _ => return Err(EngineError::Invalid(format!("invalid filter '{key}'"))),
        }
    }
    let labels = containers.volume_labels();
    let none = BTreeMap::new();
    let values = |key: &'static str| filters.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str());
    let mut names = Vec::new();
    for name in containers.volumes().into_keys() {
        let own = labels.get(&name).unwrap_or(&none);
        let dangling = containers.volume_users(&name).is_empty();
        let any = |key: &'static str, test: &dyn Fn(&str) -> bool| values(key).next().is_none() || values(key).any(test);
        let ok = any("dangling", &|v| matches!(v, "true" | "1") == dangling)
            && any("driver", &|d| d == "local")
            && any("name", &|n| name.contains(n))
            && values("label").all(|l| match l.split_once('=') {
                Some((k, v)) => own.get(k).is_some_and(|have| have == v),
                None => own.contains_key(l),
            });
        if ok {
            names.push(name);
        }
    }
    Ok(names)
}

/// `volume rm NAME`: refused while a container (running or not) uses it, as Docker does.
pub fn remove(containers: &mut Containers, name: &str, now: i64) -> Result<(), EngineError> {
    if !containers.volumes().contains_key(name) {
        return Err(EngineError::Invalid(format!("get {name}: no such volume")));
    }
    let users = containers.volume_users(name);
    if !users.is_empty() {
        return Err(EngineError::Invalid(format!("remove {name}: volume is in use - [{}]", users.join(", "))));
    }
    containers.remove_volume(name).map_err(EngineError::State)?;
    super::events::object(containers, "volume", "destroy", name, &[("driver", "local".into())], now);
    Ok(())
}

/// `volume prune [-a]`: the unused anonymous volumes, or with `all` every unused one.
/// Returns the names removed.
pub fn prune(containers: &mut Containers, all: bool) -> Result<Vec<String>, EngineError> {
    prune_filtered(containers, all, &[])
}

/// `volume prune [-a] [--filter label=K[=V]|label!=K[=V]]`.
pub fn prune_filtered(containers: &mut Containers, all: bool, filters: &[(String, String)]) -> Result<Vec<String>, EngineError> {
    for (key, _) in filters {
        if !matches!(key.as_str(), "label" | "label!" | "all") {
            return Err(EngineError::Invalid(format!("invalid filter '{key}'")));
        }
    }
    let all = all || filters.iter().any(|(k, v)| k == "all" && matches!(v.as_str(), "true" | "1"));
    let labels = containers.volume_labels();
    let none = BTreeMap::new();
    let has = |own: &BTreeMap<String, String>, l: &str| match l.split_once('=') {
        Some((k, v)) => own.get(k).is_some_and(|have| have == v),
        None => own.contains_key(l),
    };
    let mut deleted = Vec::new();
    for (name, (_, anonymous)) in containers.volumes() {
        let own = labels.get(&name).unwrap_or(&none);
        let chosen = filters.iter().all(|(k, v)| match k.as_str() {
            "label" => has(own, v),
            "label!" => !has(own, v),
            _ => true,
        });
        if chosen && (all || anonymous) && containers.volume_users(&name).is_empty() {
            containers.remove_volume(&name).map_err(EngineError::State)?;
            deleted.push(name);
        }
    }
    Ok(deleted)
}
