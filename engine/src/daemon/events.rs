//! `docker events` (moby's `daemon/events`): the engine's journal of what happened to
//! containers, images and volumes, in dockerd's event shape (type, action, actor ID and
//! attributes, time in nanoseconds). It is a journal in the state directory
//! (`events.jsonl`, an event per line, appended as they happen and cut back to the newest
//! [`KEEP`] when it holds twice as many), so `events --since` shows what earlier commands
//! did and `events` following from another terminal sees new ones as they are written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::image::store::Storage;
use crate::runtime::{Container, Containers};

const KEY: &str = "events.jsonl";
/// How many events are kept (dockerd keeps 256 in memory; the journal keeps more).
pub const KEEP: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "Actor")]
    pub actor: Actor,
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

/// Every event kept, oldest first (a line that does not read is passed over: a journal
/// cut short by a crash loses that line only).
pub fn read(storage: &dyn Storage) -> Vec<Event> {
    storage.read(KEY).map(|b| read_bytes(&b)).unwrap_or_default()
}

/// Adds an event to the journal. A journal that cannot be written loses the event, never
/// the command.
pub fn record(storage: &mut dyn Storage, kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>, time_nano: i64) {
    let event = Event { kind: kind.into(), action: action.into(), actor: Actor { id: id.into(), attributes }, time_nano };
    let Ok(mut line) = serde_json::to_vec(&event) else { return };
    line.push(b'\n');
    let _ = storage.append(KEY, &line);
    // Cut back to the newest events once it holds twice as many. Counting its lines
    // reads the journal back (from the page cache; at most 2 × KEEP short lines), once
    // per event: Storage has no cheaper way to tell a key's length.
    if let Some(bytes) = storage.read(KEY).filter(|b| b.iter().filter(|c| **c == b'\n').count() > 2 * KEEP) {
        let mut kept = Vec::new();
        for e in read_bytes(&bytes) {
            if let Ok(mut l) = serde_json::to_vec(&e) {
                l.push(b'\n');
                kept.extend_from_slice(&l);
            }
        }
        let _ = storage.write(KEY, &kept);
    }
}

fn read_bytes(bytes: &[u8]) -> Vec<Event> {
    let events: Vec<Event> = bytes.split(|b| *b == b'\n').filter_map(|line| serde_json::from_slice(line).ok()).collect();
    let skip = events.len().saturating_sub(KEEP);
    events[skip..].to_vec()
}

/// A container's event, with the attributes dockerd gives it (image, name, labels) and
/// `extra` (`exitCode`, `signal`, `oldName`).
pub fn container(containers: &mut Containers, c: &Container, action: &str, extra: &[(&str, String)], now: i64) {
    let mut attributes: BTreeMap<String, String> = c.config.config.labels.clone();
    attributes.insert("image".into(), c.image.clone());
    attributes.insert("name".into(), c.name.clone());
    for (k, v) in extra {
        attributes.insert(k.to_string(), v.clone());
    }
    record(containers.storage_mut(), "container", action, &c.id, attributes, now.saturating_mul(1_000_000_000));
}

/// An image's or volume's event (`pull`, `tag`, `untag`, `delete`; `create`, `destroy`).
pub fn object(containers: &mut Containers, kind: &str, action: &str, id: &str, attributes: &[(&str, String)], now: i64) {
    let attributes = attributes.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    record(containers.storage_mut(), kind, action, id, attributes, now.saturating_mul(1_000_000_000));
}

/// The `--filter`s dockerd's events take: `type`, `event` (the action), `container`,
/// `image`, `volume`, `label`; one key's values are alternatives, keys must all hold.
pub fn matches(e: &Event, filters: &[(String, String)]) -> Result<bool, String> {
    let mut keys: Vec<&str> = filters.iter().map(|(k, _)| k.as_str()).collect();
    keys.dedup();
    for key in keys {
        let values: Vec<&str> = filters.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
        let attr = |name: &str| e.actor.attributes.get(name).map(String::as_str);
        let ok = match key {
            "type" => values.contains(&e.kind.as_str()),
            "event" => values.iter().any(|v| e.action == *v || e.action.split(':').next() == Some(*v)),
            "container" => e.kind == "container" && values.iter().any(|v| e.actor.id.starts_with(v) || attr("name") == Some(*v)),
            "image" => values.iter().any(|v| attr("image") == Some(*v) || (e.kind == "image" && (e.actor.id == *v || attr("name") == Some(*v)))),
            "volume" => e.kind == "volume" && values.iter().any(|v| e.actor.id == *v),
            "label" => values.iter().all(|v| match v.split_once('=') {
                Some((k, want)) => attr(k) == Some(want),
                None => attr(v).is_some(),
            }),
            "daemon" | "network" | "plugin" | "node" | "service" | "secret" | "config" | "scope" => values.is_empty(),
            other => return Err(format!("invalid filter '{other}'")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One event as `docker events` prints it: `TIME TYPE ACTION ID (k=v, …)`.
pub fn line(e: &Event) -> String {
    let attrs: Vec<String> = e.actor.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let time = crate::time::rfc3339_nanos(e.time_nano);
    if attrs.is_empty() {
        format!("{time} {} {} {}", e.kind, e.action, e.actor.id)
    } else {
        format!("{time} {} {} {} ({})", e.kind, e.action, e.actor.id, attrs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_filter_and_print_as_dockerd_does() {
        let mut attributes = BTreeMap::new();
        attributes.insert("image".to_string(), "alpine".to_string());
        attributes.insert("name".to_string(), "web".to_string());
        let e = Event { kind: "container".into(), action: "die".into(), actor: Actor { id: "abc123".into(), attributes }, time_nano: 1_700_000_000_123_456_789 };
        let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert!(matches(&e, &f(&[("type", "container"), ("event", "die"), ("event", "start")])).unwrap());
        assert!(matches(&e, &f(&[("container", "web")])).unwrap());
        assert!(!matches(&e, &f(&[("type", "image")])).unwrap());
        assert!(matches(&e, &f(&[("colour", "red")])).is_err());
        assert_eq!(line(&e), "2023-11-14T22:13:20.123456789Z container die abc123 (image=alpine, name=web)");
    }

    #[test]
    fn the_journal_keeps_the_newest_events_and_survives_a_torn_line() {
        let mut storage = crate::image::store::MemoryStorage::default();
        for i in 0..(2 * KEEP + 5) {
            record(&mut storage, "volume", "create", &format!("v{i}"), BTreeMap::new(), i as i64);
        }
        let kept = read(&storage);
        assert_eq!(kept.len(), KEEP);
        assert_eq!(kept.last().map(|e| e.actor.id.as_str()), Some(format!("v{}", 2 * KEEP + 4).as_str()));
        assert!(storage.read(KEY).unwrap().iter().filter(|b| **b == b'\n').count() <= 2 * KEEP, "cut back once it held twice as many");
        // A line cut short by a crash is passed over; the next event is read.
        storage.append(KEY, b"{\"Type\":\"volu").unwrap();
        storage.append(KEY, b"\n").unwrap();
        record(&mut storage, "volume", "destroy", "last", BTreeMap::new(), 1);
        assert_eq!(read(&storage).last().map(|e| e.action.as_str()), Some("destroy"));
    }
}
