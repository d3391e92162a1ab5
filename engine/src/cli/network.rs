//! `network create|ls|inspect|rm|prune|connect|disconnect` over `daemon::network`, with
//! Docker's output and errors.

use super::flags::program;
use super::format::{format_rows, table, template_error};
use super::tables::{NETWORK_CONNECT, NETWORK_CREATE, NETWORK_DISCONNECT, NETWORK_INSPECT, NETWORK_LS, NETWORK_PRUNE, NETWORK_RM};
use super::Output;
use crate::daemon::network::{self, CreateOptions, Network};
use crate::daemon::EngineError;
use crate::host::Host;

fn usage() -> Output {
    Output::ok(format!("Usage:  {} network COMMAND\n\nManage networks\n\nCommands:\n  connect     Connect a container to a network\n  create      Create a network\n  disconnect  Disconnect a container from a network\n  inspect     Display detailed information on one or more networks\n  ls          List networks\n  prune       Remove all unused networks\n  rm          Remove one or more networks\n\nRun '{} network COMMAND --help' for more information on a command.\n", program(), program()))
}

fn daemon_error(e: EngineError) -> Output {
    match e {
        EngineError::NotFound(n) => Output::fail(1, format!("Error response from daemon: No such container: {n}\n")),
        e => Output::fail(1, format!("Error response from daemon: {e}\n")),
    }
}

/// `network …`.
pub fn run(args: &[String], host: &dyn Host) -> Output {
    let Some((sub, rest)) = args.split_first() else { return usage() };
    let (command, min, max) = match sub.as_str() {
        "create" => (&NETWORK_CREATE, 1, Some(1)),
        "ls" | "list" => (&NETWORK_LS, 0, Some(0)),
        "inspect" => (&NETWORK_INSPECT, 1, None),
        "rm" | "remove" => (&NETWORK_RM, 1, None),
        "prune" => (&NETWORK_PRUNE, 0, Some(0)),
        "connect" => (&NETWORK_CONNECT, 2, Some(2)),
        "disconnect" => (&NETWORK_DISCONNECT, 2, Some(2)),
        "--help" | "-h" | "help" => return usage(),
        other => return Output::fail(1, format!("{prog}: 'network {other}' is not a {prog} command.\nSee '{prog} --help'\n", prog = program())),
    };
    let p = match command.read(rest, min, max) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (_, mut containers) = match crate::daemon::open(host) {
        Ok(x) => x,
        Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
    };
    let now = host.now();
    match sub.as_str() {
        "create" => {
            for swarm in ["ingress", "config-only"] {
                if p.bool(swarm) {
                    return Output::fail(1, format!("Error response from daemon: --{swarm}: swarm networks need a swarm, which Berth does not have\n"));
                }
            }
            if let Some(f) = ["config-from", "ip-range", "aux-address", "ipam-opt"].iter().find(|f| p.changed(f)) {
                return Output::fail(1, format!("Error response from daemon: --{f}: not supported by Berth's bridge networks\n"));
            }
            if p.bool("ipv6") {
                return Output::fail(1, "Error response from daemon: --ipv6: Berth's networks are IPv4 only\n");
            }
            let subnets = p.values("subnet");
            let gateways = p.values("gateway");
            if subnets.len() > 1 {
                return Output::fail(1, "Error response from daemon: Berth's bridge networks have one IPv4 subnet\n");
            }
            if !gateways.is_empty() && subnets.is_empty() {
                return Output::fail(1, "Error response from daemon: every ip-range or gateway must have a corresponding subnet\n");
            }
            let pairs = |values: Vec<&str>| values.iter().map(|l| l.split_once('=').map_or((l.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string()))).collect();
            let o = CreateOptions {
                driver: p.value("driver").unwrap_or("bridge").to_string(),
                subnet: subnets.first().map(|s| s.to_string()),
                gateway: gateways.first().map(|s| s.to_string()),
                internal: p.bool("internal"),
                attachable: p.bool("attachable"),
                labels: pairs(p.values("label")),
                options: pairs(p.values("opt")),
            };
            match network::create(&mut containers, &p.args[0], &o, now) {
                Ok(n) => Output::ok(format!("{}\n", n.id)),
                Err(e) => daemon_error(e),
            }
        }
        "ls" | "list" => {
            let list = match network::load(&containers, now) {
                Ok(l) => l,
                Err(e) => return daemon_error(e),
            };
            let mut shown: Vec<&Network> = Vec::new();
            for n in &list {
                match network::filtered(n, &p.filters(), now) {
                    Ok(true) => shown.push(n),
                    Ok(false) => {}
                    Err(e) => return daemon_error(e),
                }
            }
            let id = |n: &Network| if p.bool("no-trunc") { n.id.clone() } else { n.id[..12].to_string() };
            if p.bool("quiet") {
                return Output::ok(shown.iter().map(|n| format!("{}\n", id(n))).collect::<String>());
            }
            if let Some(f) = p.value("format") {
                let docs: Vec<_> = shown.iter().map(|n| serde_json::json!({"ID": id(n), "Name": n.name, "Driver": n.driver, "Scope": "local", "IPv4": "true", "IPv6": "false", "Internal": n.internal.to_string(), "Labels": n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","), "CreatedAt": crate::time::rfc3339(n.created)})).collect();
                return format_rows(f, &[("ID", "NETWORK ID"), ("Name", "NAME"), ("Driver", "DRIVER"), ("Scope", "SCOPE"), ("IPv4", "IPV4"), ("IPv6", "IPV6"), ("Internal", "INTERNAL"), ("Labels", "LABELS"), ("CreatedAt", "CREATED AT")], &docs).map_or_else(template_error, Output::ok);
            }
            let mut rows = vec![["NETWORK ID", "NAME", "DRIVER", "SCOPE"].map(str::to_string).to_vec()];
            rows.extend(shown.iter().map(|n| vec![id(n), n.name.clone(), n.driver.clone(), "local".into()]));
            Output::ok(table(&rows))
        }
        "inspect" => {
            let list = match network::load(&containers, now) {
                Ok(l) => l,
                Err(e) => return daemon_error(e),
            };
            super::format::inspect_each(p.value("format"), &p.args, |key| network::find(&list, key).map(|n| network::document(&containers, n)).ok_or_else(|| format!("network {key} not found")))
        }
        "rm" | "remove" => {
            let mut out = Output::ok("");
            for key in &p.args {
                match network::remove(&mut containers, key, now) {
                    Ok(_) => out.stdout.extend_from_slice(format!("{key}\n").as_bytes()),
                    Err(EngineError::Invalid(m)) if p.bool("force") && m.ends_with("not found") => {}
                    Err(e) => {
                        out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                        out.code = 1;
                    }
                }
            }
            out
        }
        "prune" => match network::prune(&mut containers, &p.filters(), now) {
            Ok(removed) if removed.is_empty() => Output::ok(""),
            Ok(removed) => Output::ok(format!("Deleted Networks:\n{}", removed.iter().map(|n| format!("{n}\n")).collect::<String>())),
            Err(e) => daemon_error(e),
        },
        "connect" | "disconnect" => {
            let (key, name) = (&p.args[0], &p.args[1]);
            let list = match network::load(&containers, now) {
                Ok(l) => l,
                Err(e) => return daemon_error(e),
            };
            let Some(mut c) = containers.find(name).cloned() else { return daemon_error(EngineError::NotFound(name.clone())) };
            let Some(net) = network::find(&list, key).cloned() else { return daemon_error(EngineError::Invalid(format!("network {key} not found"))) };
            let r = if sub == "connect" {
                let aliases: Vec<String> = p.values("alias").iter().map(|a| a.to_string()).collect();
                if !aliases.is_empty() && net.predefined() {
                    return daemon_error(EngineError::Invalid("network-scoped alias is supported only for containers in user defined networks".into()));
                }
                if matches!(c.host_config.network.as_str(), "host" | "none") {
                    return daemon_error(EngineError::Invalid(format!("container sharing network namespace with another container or host cannot be connected to any other network: {}", c.host_config.network)));
                }
                network::join(&containers, &mut c, &net, &aliases, p.value("ip"), now)
            } else {
                network::leave(&mut c, &net)
            };
            if let Err(e) = r {
                return daemon_error(e);
            }
            let action = sub.as_str();
            containers.list.insert(c.id.clone(), c.clone());
            if let Err(e) = containers.save() {
                return Output::fail(1, format!("Error response from daemon: {e}\n"));
            }
            crate::daemon::events::object(&mut containers, "network", action, &net.id, &[("container", c.id.clone()), ("name", net.name.clone()), ("type", net.driver.clone())], now);
            Output::ok("")
        }
        _ => usage(),
    }
}
