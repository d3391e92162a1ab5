//! Networks (moby's `daemon/network.go`, with libnetwork's bridge driver and default
//! IPAM): the records behind `network create|ls|inspect|connect|disconnect|rm|prune`,
//! each container's endpoints, and the addresses they get when it starts.
//!
//! The three predefined networks are there from the first look: `bridge`
//! (172.17.0.0/16), `host` and `none`. A user-defined bridge takes the next free /16
//! of 172.18–172.31, then /20s of 192.168.0.0/16, as dockerd's default pools give them,
//! or the `--subnet` asked for. A container joins its `--network` (`default` is
//! `bridge`) and those it is `connect`ed to; it gets an address on each when it starts
//! (the one `--ip` asked for, else the one it had if free, else the lowest free), and an
//! address counts as used only while its container runs, as dockerd releases it at stop.
//!
//! Natively the networks are real: `bridges` says which bridges a starting container
//! joins with which address (`runtime::native::bridge` makes them, in a network
//! namespace of Berth's), and `announce` adds its name to the `/etc/hosts` of the
//! containers already on its user-defined networks; published TCP ports are relayed
//! into it (`runtime::native::ports`). The emulated runtime has no sockets yet: there
//! the records, addresses and aliases are Docker's and no traffic flows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::EngineError;
use crate::image::Digest;
use crate::runtime::{Container, Containers, Status};

/// Where the records are kept in the state.
const KEY: &str = "berth/networks.json";

/// A network's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
    /// Seconds since the epoch.
    pub created: i64,
    /// `172.18.0.0/16`; empty for `host` and `none`.
    #[serde(default)]
    pub subnet: String,
    #[serde(default)]
    pub gateway: String,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl Network {
    /// One of `bridge`, `host`, `none`.
    pub fn predefined(&self) -> bool {
        PREDEFINED.contains(&self.name.as_str())
    }
}

pub use crate::runtime::NetworkEndpoint as Endpoint;

const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

/// What `network create` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub driver: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

fn id_of(seed: &str) -> String {
    Digest::of(format!("network/{seed}").as_bytes()).hex()
}

/// The networks, the predefined ones first made where the state has none.
pub fn load(containers: &Containers, now: i64) -> Result<Vec<Network>, EngineError> {
    let mut list: Vec<Network> = match containers.storage().read(KEY) {
        Some(data) => serde_json::from_slice(&data).map_err(|e| EngineError::State(format!("{KEY} cannot be read ({e}); nothing was changed: move it aside to start again without it")))?,
        None => Vec::new(),
    };
    for name in PREDEFINED {
        if !list.iter().any(|n| n.name == name) {
            let (driver, subnet, gateway) = match name {
                "bridge" => ("bridge", "172.17.0.0/16", "172.17.0.1"),
                "host" => ("host", "", ""),
                _ => ("null", "", ""),
            };
            let options = if name == "bridge" {
                [("com.docker.network.bridge.default_bridge", "true"), ("com.docker.network.bridge.enable_icc", "true"), ("com.docker.network.bridge.enable_ip_masquerade", "true"), ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"), ("com.docker.network.bridge.name", "docker0"), ("com.docker.network.driver.mtu", "1500")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
            } else {
                BTreeMap::new()
            };
            list.push(Network { id: id_of(name), name: name.into(), driver: driver.into(), created: now, subnet: subnet.into(), gateway: gateway.into(), internal: false, attachable: false, labels: BTreeMap::new(), options });
        }
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list)
}

fn save(containers: &mut Containers, list: &[Network]) -> Result<(), EngineError> {
    let data = serde_json::to_vec_pretty(list).map_err(|e| EngineError::State(e.to_string()))?;
    containers.storage_mut().write(KEY, &data).map_err(EngineError::State)
}

/// A network by name, full ID or unique ID prefix, as dockerd finds one.
pub fn find<'a>(list: &'a [Network], key: &str) -> Option<&'a Network> {
    if let Some(n) = list.iter().find(|n| n.name == key || n.id == key) {
        return Some(n);
    }
    let matches: Vec<&Network> = list.iter().filter(|n| !key.is_empty() && n.id.starts_with(key)).collect();
    (matches.len() == 1).then(|| matches[0])
}

/// An IPv4 subnet: its address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub base: u32,
    pub bits: u32,
}

impl Subnet {
    pub fn parse(text: &str) -> Option<Subnet> {
        let (addr, bits) = text.split_once('/')?;
        let bits: u32 = bits.parse().ok().filter(|b| (8..=30).contains(b))?;
        let base = parse_ip(addr)?;
        let mask = Self::mask_of(bits);
        Some(Subnet { base: base & mask, bits })
    }

    fn mask_of(bits: u32) -> u32 {
        if bits == 0 { 0 } else { u32::MAX << (32 - bits) }
    }

    pub fn contains(&self, ip: u32) -> bool {
        ip & Self::mask_of(self.bits) == self.base
    }

    pub fn overlaps(&self, other: &Subnet) -> bool {
        let bits = self.bits.min(other.bits);
        self.base & Self::mask_of(bits) == other.base & Self::mask_of(bits)
    }

    /// The last address (the broadcast one).
    fn last(&self) -> u32 {
        self.base | !Self::mask_of(self.bits)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", ip_text(self.base), self.bits)
    }
}

pub fn parse_ip(text: &str) -> Option<u32> {
    let parts: Vec<u8> = text.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    (parts.len() == 4).then(|| u32::from_be_bytes([parts[0], parts[1], parts[2], parts[3]]))
}

pub fn ip_text(ip: u32) -> String {
    let [a, b, c, d] = ip.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// The MAC address dockerd derived from an IPv4 address (`02:42:ac:11:00:02`).
pub fn mac_of(ip: &str) -> String {
    parse_ip(ip).map(|ip| {
        let [a, b, c, d] = ip.to_be_bytes();
        format!("02:42:{a:02x}:{b:02x}:{c:02x}:{d:02x}")
    }).unwrap_or_default()
}

/// The next subnet of dockerd's default pools that no network has.
fn next_subnet(list: &[Network]) -> Option<Subnet> {
    let taken: Vec<Subnet> = list.iter().filter_map(|n| Subnet::parse(&n.subnet)).collect();
    let pools = (18..=31).map(|b| Subnet { base: u32::from_be_bytes([172, b, 0, 0]), bits: 16 }).chain((0..16).map(|i| Subnet { base: u32::from_be_bytes([192, 168, i * 16, 0]), bits: 20 }));
    pools.into_iter().find(|p| !taken.iter().any(|t| t.overlaps(p)))
}

/// `network create NAME`.
pub fn create(containers: &mut Containers, name: &str, o: &CreateOptions, now: i64) -> Result<Network, EngineError> {
    let mut list = load(containers, now)?;
    if list.iter().any(|n| n.name == name) {
        return Err(EngineError::Invalid(format!("network with name {name} already exists")));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(EngineError::Invalid(format!("invalid network name \"{name}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")));
    }
    let driver = if o.driver.is_empty() { "bridge" } else { o.driver.as_str() };
    match driver {
        "bridge" => {}
        "host" | "null" => return Err(EngineError::Invalid(format!("only one instance of \"{driver}\" network is allowed"))),
        "overlay" => return Err(EngineError::Invalid("This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.".into())),
        other => return Err(EngineError::Invalid(format!("could not find plugin {other} in v1 plugin registry: plugin not found"))),
    }
    let subnet = match &o.subnet {
        Some(s) => {
            let parsed = Subnet::parse(s).ok_or_else(|| EngineError::Invalid(format!("invalid subnet {s}: invalid CIDR address: {s}")))?;
            if list.iter().filter_map(|n| Subnet::parse(&n.subnet)).any(|t| t.overlaps(&parsed)) {
                return Err(EngineError::Invalid("invalid pool request: Pool overlaps with other one on this address space".into()));
            }
            parsed
        }
        None => next_subnet(&list).ok_or_else(|| EngineError::Invalid("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network".into()))?,
    };
    let gateway = match &o.gateway {
        Some(g) => {
            let ip = parse_ip(g).ok_or_else(|| EngineError::Invalid(format!("invalid gateway address {g}")))?;
            if !subnet.contains(ip) {
                return Err(EngineError::Invalid(format!("no matching subnet for gateway {g}")));
            }
            g.clone()
        }
        None => ip_text(subnet.base + 1),
    };
    let id = id_of(&format!("{name}/{now}/{}", list.len()));
    let network = Network { id, name: name.into(), driver: driver.into(), created: now, subnet: subnet.to_string(), gateway, internal: o.internal, attachable: o.attachable, labels: o.labels.clone(), options: o.options.clone() };
    list.push(network.clone());
    save(containers, &list)?;
    super::events::object(containers, "network", "create", &network.id, &[("name", name.into()), ("type", "bridge".into())], now);
    Ok(network)
}

/// The containers on `net` whose endpoints are live: running ones, by name.
pub fn active(containers: &Containers, net: &Network) -> Vec<Container> {
    containers.list.values().filter(|c| c.status == Status::Running && c.networks.get(&net.name).is_some_and(|e| e.network_id == net.id)).cloned().collect()
}

/// `network rm NAME`: refused for the predefined ones and while a running container is
/// on it. Returns the name.
pub fn remove(containers: &mut Containers, key: &str, now: i64) -> Result<String, EngineError> {
    let mut list = load(containers, now)?;
    let net = find(&list, key).cloned().ok_or_else(|| EngineError::Invalid(format!("network {key} not found")))?;
    if net.predefined() {
        return Err(EngineError::Invalid(format!("{} is a pre-defined network and cannot be removed", net.name)));
    }
    let users = active(containers, &net);
    if !users.is_empty() {
        let named: Vec<String> = users.iter().map(|c| format!("name:\"{}\" id:\"{}\"", c.name, c.short_id())).collect();
        return Err(EngineError::Invalid(format!("error while removing network: network {} has active endpoints ({})", net.name, named.join(", "))));
    }
    list.retain(|n| n.id != net.id);
    save(containers, &list)?;
    super::events::object(containers, "network", "destroy", &net.id, &[("name", net.name.clone()), ("type", "bridge".into())], now);
    Ok(net.name)
}

/// `network prune`: the user-defined networks no running container is on.
pub fn prune(containers: &mut Containers, filters: &[(String, String)], now: i64) -> Result<Vec<String>, EngineError> {
    let list = load(containers, now)?;
    let mut removed = Vec::new();
    for n in &list {
        if n.predefined() || !active(containers, n).is_empty() || !filtered(n, filters, now)? {
            continue;
        }
        removed.push(remove(containers, &n.id, now)?);
    }
    Ok(removed)
}

/// Whether `n` passes `network ls`'s (and prune's) filters: `driver`, `id`, `label`,
/// `name`, `scope`, `type` (`custom`, `builtin`), `dangling`, `until`.
pub fn filtered(n: &Network, filters: &[(String, String)], now: i64) -> Result<bool, EngineError> {
    let mut keys: Vec<&str> = filters.iter().map(|(k, _)| k.as_str()).collect();
    keys.dedup();
    for key in keys {
        let values: Vec<&str> = filters.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect();
        let ok = match key {
            "driver" => values.iter().any(|v| n.driver == *v),
            "id" => values.iter().any(|v| n.id.starts_with(v)),
            "name" => values.iter().any(|v| n.name.contains(v)),
            "scope" => values.contains(&"local"),
            "type" => {
                if let Some(v) = values.iter().find(|v| !matches!(**v, "custom" | "builtin")) {
                    return Err(EngineError::Invalid(format!("invalid filter: 'type'='{v}'")));
                }
                values.iter().any(|v| (*v == "builtin") == n.predefined())
            }
            "label" => values.iter().all(|l| match l.split_once('=') {
                Some((k, v)) => n.labels.get(k).is_some_and(|have| have == v),
                None => n.labels.contains_key(*l),
            }),
            "until" => {
                let mut all = true;
                for v in &values {
                    all &= n.created < super::list::until_time(v, now)?;
                }
                all
            }
            "dangling" => true,
            other => return Err(EngineError::Invalid(format!("invalid filter '{other}'"))),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Joins container `c` (its record) to `net` with `aliases`: `run --network`, `create`,
/// `network connect`. A running container gets its address at once.
pub fn join(containers: &Containers, c: &mut Container, net: &Network, aliases: &[String], ip: Option<&str>, now: i64) -> Result<(), EngineError> {
    if net.name == "host" || net.name == "none" {
        return Err(EngineError::Invalid(format!("container cannot be disconnected from host network or connected to {} network", net.name)));
    }
    if c.networks.get(&net.name).is_some_and(|e| e.network_id == net.id) {
        return Err(EngineError::Invalid(format!("endpoint with name {} already exists in network {}", c.name, net.name)));
    }
    if let Some(ip) = ip {
        if net.predefined() {
            return Err(EngineError::Invalid("user specified IP address is supported on user defined networks only".into()));
        }
        let addr = parse_ip(ip).ok_or_else(|| EngineError::Invalid(format!("invalid IPv4 address: {ip}")))?;
        if !Subnet::parse(&net.subnet).is_some_and(|s| s.contains(addr)) {
            return Err(EngineError::Invalid(format!("no configured subnet or ip-range contain the IP address {ip}")));
        }
    }
    let endpoint_id = Digest::of(format!("endpoint/{}/{}/{now}", c.id, net.id).as_bytes()).hex();
    let mut endpoint = Endpoint { network_id: net.id.clone(), endpoint_id, aliases: aliases.to_vec(), requested_ip: ip.unwrap_or_default().to_string(), ip: String::new() };
    if c.status == Status::Running {
        endpoint.ip = allocate(containers, c, net, &endpoint)?;
    }
    c.networks.insert(net.name.clone(), endpoint);
    Ok(())
}

/// An address on `net` for `c`'s endpoint: the one asked for, the one it had if free,
/// else the lowest free (the gateway and the subnet's own addresses excluded).
fn allocate(containers: &Containers, c: &Container, net: &Network, e: &Endpoint) -> Result<String, EngineError> {
    let Some(subnet) = Subnet::parse(&net.subnet) else { return Ok(String::new()) };
    let used: Vec<u32> = active(containers, net).iter().filter(|o| o.id != c.id).filter_map(|o| o.networks.get(&net.name).and_then(|e| parse_ip(&e.ip))).collect();
    let gateway = parse_ip(&net.gateway);
    if !e.requested_ip.is_empty() {
        let ip = parse_ip(&e.requested_ip).unwrap_or(0);
        if used.contains(&ip) || Some(ip) == gateway {
            return Err(EngineError::Start { message: "failed to set up container networking: Address already in use".into(), status: 125 });
        }
        return Ok(e.requested_ip.clone());
    }
    if let Some(previous) = parse_ip(&e.ip).filter(|ip| subnet.contains(*ip) && !used.contains(ip) && Some(*ip) != gateway) {
        return Ok(ip_text(previous));
    }
    (subnet.base + 1..subnet.last()).find(|ip| Some(*ip) != gateway && !used.contains(ip)).map(ip_text).ok_or_else(|| EngineError::Start { message: format!("failed to set up container networking: no available IPv4 addresses on this network's address pools: {} ({})", net.name, net.subnet), status: 125 })
}

/// Gives container `c` its addresses as it starts, or Docker's error where one of its
/// networks has gone.
pub fn attach(containers: &Containers, c: &mut Container, now: i64) -> Result<(), EngineError> {
    if c.networks.is_empty() {
        return Ok(());
    }
    let list = load(containers, now)?;
    let names: Vec<String> = c.networks.keys().cloned().collect();
    for name in names {
        let e = c.networks[&name].clone();
        let net = list.iter().find(|n| n.name == name && n.id == e.network_id).ok_or_else(|| EngineError::Start { message: format!("failed to set up container networking: network {name} not found"), status: 125 })?;
        let ip = allocate(containers, c, net, &e)?;
        if let Some(e) = c.networks.get_mut(&name) {
            e.ip = ip;
        }
    }
    Ok(())
}

/// The endpoint `create` gives a container on `mode` (`--network`): the bridge for
/// `default`, the named network, none for `host`, `none` and `container:…`.
pub fn initial(containers: &Containers, c: &mut Container, mode: &str, aliases: &[String], ip: Option<&str>, now: i64) -> Result<(), EngineError> {
    let name = match mode {
        "" | "default" | "bridge" => "bridge",
        "host" | "none" => return Ok(()),
        m if m.starts_with("container:") => {
            // Another container's network namespace: recorded by its full ID.
            let other = &m["container:".len()..];
            let target = containers.find(other).ok_or_else(|| EngineError::Invalid(format!("No such container: {other}")))?;
            if !c.ports.is_empty() {
                return Err(EngineError::Usage("conflicting options: port publishing and the container type network mode".into()));
            }
            c.host_config.network = format!("container:{}", target.id);
            return Ok(());
        }
        m => m,
    };
    let list = load(containers, now)?;
    let net = find(&list, name).cloned().ok_or_else(|| EngineError::Invalid(format!("network {name} not found")))?;
    if net.name == "host" || net.name == "none" {
        return Ok(());
    }
    if !aliases.is_empty() && net.name == "bridge" {
        return Err(EngineError::Invalid("network-scoped alias is supported only for containers in user defined networks".into()));
    }
    join(containers, c, &net, aliases, ip, now)
}

/// The bridges a native container joins as it starts (its endpoints with addresses),
/// and the `/etc/hosts` lines it gets: its own address for its hostname, and on
/// user-defined networks the running containers there by name and alias. `None` for a
/// container on no bridge.
pub fn bridges(containers: &Containers, c: &Container, native: &std::path::Path, now: i64) -> Option<crate::runtime::spec::Bridges> {
    let list = load(containers, now).ok()?;
    let mut out = crate::runtime::spec::Bridges { state: native.display().to_string(), ..Default::default() };
    // The network the container was created on first (its default route), then the rest.
    let mut names: Vec<&String> = c.networks.keys().collect();
    names.sort_by_key(|n| (**n != c.host_config.network && !(n.as_str() == "bridge" && c.host_config.network == "default"), (*n).clone()));
    for name in names {
        let e = &c.networks[name];
        let (Some(net), Some(ip)) = (list.iter().find(|n| n.id == e.network_id), parse_ip(&e.ip)) else { continue };
        let Some(subnet) = Subnet::parse(&net.subnet) else { continue };
        let mac = mac_of(&e.ip);
        let mac: Vec<u8> = mac.split(':').filter_map(|h| u8::from_str_radix(h, 16).ok()).collect();
        out.attachments.push(crate::runtime::spec::BridgeAttachment {
            bridge: format!("br-{}", &net.id[..12]),
            ip: ip.to_be_bytes(),
            prefix: subnet.bits as u8,
            gateway: parse_ip(&net.gateway).unwrap_or(subnet.base + 1).to_be_bytes(),
            mac: mac.try_into().unwrap_or([2, 0x42, 0, 0, 0, 0]),
        });
        if out.hosts.is_empty() {
            out.hosts.push(format!("{}\t{}", e.ip, c.hostname));
        }
        if net.name != "bridge" {
            for peer in active(containers, net).iter().filter(|p| p.id != c.id) {
                if let Some(pe) = peer.networks.get(&net.name).filter(|pe| !pe.ip.is_empty()) {
                    out.hosts.push(host_line(&pe.ip, peer, pe));
                }
            }
        }
    }
    (!out.attachments.is_empty()).then_some(out)
}

/// A container's `/etc/hosts` line on a user-defined network: its address, name, ID and
/// aliases.
pub fn host_line(ip: &str, c: &Container, e: &Endpoint) -> String {
    let mut names = vec![c.name.clone(), c.short_id()];
    names.extend(e.aliases.iter().filter(|a| **a != c.name).cloned());
    format!("{ip}\t{}", names.join(" "))
}

/// After a native container has started: its name on the user-defined networks it is
/// on, added to the `/etc/hosts` of the running native containers there.
pub fn announce(containers: &Containers, c: &Container, native: &std::path::Path, now: i64) {
    update_peers(containers, c, native, now, true);
}

/// After a native container has ended: its name taken out of its peers' `/etc/hosts`.
pub fn depart(containers: &Containers, c: &Container, native: &std::path::Path, now: i64) {
    update_peers(containers, c, native, now, false);
}

/// Rewrites, in place (each is bind-mounted at its container's `/etc/hosts`), the hosts
/// files of the running native containers on `c`'s user-defined networks: `c`'s line
/// dropped, then added again where `add`.
fn update_peers(containers: &Containers, c: &Container, native: &std::path::Path, now: i64, add: bool) {
    let Ok(list) = load(containers, now) else { return };
    for e in c.networks.values() {
        let Some(net) = list.iter().find(|n| n.id == e.network_id && n.name != "bridge") else { continue };
        if e.ip.is_empty() {
            continue;
        }
        let line = host_line(&e.ip, c, e);
        for peer in active(containers, net).iter().filter(|p| p.id != c.id && p.host_config.runtime == "native") {
            let path = native.join("run").join(&peer.id).join("files").join("hosts");
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let mut lines: Vec<&str> = text.lines().filter(|l| l.split_whitespace().nth(1) != Some(c.name.as_str())).collect();
            if add {
                lines.push(&line);
            }
            let new = format!("{}\n", lines.join("\n"));
            if new != text {
                if let Ok(mut f) = std::fs::OpenOptions::new().write(true).truncate(true).open(&path) {
                    use std::io::Write;
                    let _ = f.write_all(new.as_bytes());
                }
            }
        }
    }
}

/// `network disconnect NETWORK CONTAINER`.
pub fn leave(c: &mut Container, net: &Network) -> Result<(), EngineError> {
    if c.networks.get(&net.name).is_none_or(|e| e.network_id != net.id) {
        return Err(EngineError::Invalid(format!("container {} is not connected to network {}", c.id, net.name)));
    }
    c.networks.remove(&net.name);
    Ok(())
}

/// `inspect`'s `NetworkSettings.Networks`: an entry per network the container is on,
/// its address, gateway and MAC only while it runs.
pub fn settings(c: &Container, list: &[Network]) -> serde_json::Value {
    let running = c.status == Status::Running;
    let entry = |network_id: &str, e: Option<&Endpoint>, dns: Option<Vec<String>>| {
        let ip = e.filter(|_| running).map(|e| e.ip.clone()).unwrap_or_default();
        let net = list.iter().find(|n| n.id == network_id);
        let (gateway, prefix) = match (ip.is_empty(), net.and_then(|n| Subnet::parse(&n.subnet))) {
            (false, Some(s)) => (net.map(|n| n.gateway.clone()).unwrap_or_default(), s.bits),
            _ => (String::new(), 0),
        };
        serde_json::json!({
            "IPAMConfig": match e.filter(|e| !e.requested_ip.is_empty()) { Some(e) => serde_json::json!({"IPv4Address": e.requested_ip}), None => serde_json::Value::Null },
            "Links": null,
            "Aliases": match e.filter(|e| !e.aliases.is_empty()) { Some(e) => serde_json::json!(e.aliases), None => serde_json::Value::Null },
            "MacAddress": if ip.is_empty() { String::new() } else { mac_of(&ip) },
            "DriverOpts": null,
            "GwPriority": 0,
            "NetworkID": network_id,
            "EndpointID": e.filter(|_| running).map(|e| e.endpoint_id.clone()).unwrap_or_default(),
            "Gateway": gateway,
            "IPAddress": ip,
            "IPPrefixLen": prefix,
            "IPv6Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "DNSNames": match dns.filter(|_| running) { Some(d) => serde_json::json!(d), None => serde_json::Value::Null },
        })
    };
    let mut networks = serde_json::Map::new();
    for (name, e) in &c.networks {
        // A user-defined network resolves the container's name and ID (not the bridge).
        let dns = (name != "bridge").then(|| [c.name.clone(), c.short_id()].into_iter().chain(e.aliases.iter().cloned()).collect());
        networks.insert(name.clone(), entry(&e.network_id, Some(e), dns));
    }
    if matches!(c.host_config.network.as_str(), "host" | "none") {
        networks.insert(c.host_config.network.clone(), entry(&id_of(&c.host_config.network), None, None));
    }
    serde_json::Value::Object(networks)
}

/// `network inspect`'s document of `n`.
pub fn document(containers: &Containers, n: &Network) -> serde_json::Value {
    let mut members = serde_json::Map::new();
    for c in active(containers, n) {
        let e = &c.networks[&n.name];
        let bits = Subnet::parse(&n.subnet).map_or(0, |s| s.bits);
        members.insert(c.id.clone(), serde_json::json!({"Name": c.name, "EndpointID": e.endpoint_id, "MacAddress": mac_of(&e.ip), "IPv4Address": if e.ip.is_empty() { String::new() } else { format!("{}/{bits}", e.ip) }, "IPv6Address": ""}));
    }
    let ipam = if n.subnet.is_empty() { serde_json::json!([]) } else { serde_json::json!([{"Subnet": n.subnet, "Gateway": n.gateway}]) };
    serde_json::json!({
        "Name": n.name,
        "Id": n.id,
        "Created": crate::time::rfc3339(n.created),
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": if n.predefined() { serde_json::Value::Null } else { serde_json::json!({}) }, "Config": ipam},
        "Internal": n.internal,
        "Attachable": n.attachable,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": members,
        "Options": n.options,
        "Labels": n.labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_overlap_and_come_from_dockers_pools() {
        let s = Subnet::parse("172.18.0.0/16").unwrap();
        assert_eq!(s.to_string(), "172.18.0.0/16");
        assert!(s.contains(parse_ip("172.18.3.4").unwrap()) && !s.contains(parse_ip("172.19.0.1").unwrap()));
        assert!(Subnet::parse("172.18.5.0/24").unwrap().overlaps(&s));
        assert_eq!(Subnet::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(Subnet::parse("10.0.0.0/33").is_none() && Subnet::parse("10.0.0/8").is_none() && Subnet::parse("x").is_none());
        assert_eq!(mac_of("172.17.0.2"), "02:42:ac:11:00:02");
        let mut list = Vec::new();
        for i in 0..16 {
            let n = next_subnet(&list).unwrap();
            list.push(Network { id: i.to_string(), name: i.to_string(), driver: "bridge".into(), created: 0, subnet: n.to_string(), gateway: String::new(), internal: false, attachable: false, labels: BTreeMap::new(), options: BTreeMap::new() });
        }
        assert_eq!(list[0].subnet, "172.18.0.0/16");
        assert_eq!(list[13].subnet, "172.31.0.0/16");
        assert_eq!(list[14].subnet, "192.168.0.0/20");
        assert_eq!(list[15].subnet, "192.168.16.0/20");
    }
}
