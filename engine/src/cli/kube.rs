//! `berth kube generate`: Kubernetes YAML for what runs here, as `podman kube generate`
//! writes it, so a course's containers move to a cluster as an image and a manifest.
//! A container becomes a Pod (`--type deployment`: a Deployment; `--service`: a Service
//! for its published ports too); `--compose [FILE]` makes a Deployment per service, and a
//! Service for each that publishes ports. Environment, ports, volumes (named ones as
//! PersistentVolumeClaims, bind mounts as `hostPath`, anonymous ones as `emptyDir`),
//! limits (`-m`, `--cpus`), the restart policy and the GPU request
//! (`nvidia.com/gpu`) carry over.

use serde_json::{json, Map, Value};

use super::{Host, Output};

/// What one container or service amounts to.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub name: String,
    pub image: String,
    /// Replaces the image's ENTRYPOINT and CMD (a container: what it runs).
    pub command: Vec<String>,
    /// Replaces the image's CMD only (a service's `command:`).
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    /// `-p` specs: `[IP:]HOST:CONTAINER[/PROTO]` or `CONTAINER`.
    pub ports: Vec<String>,
    /// `-v` specs: `NAME:/path[:ro]`, `/host:/path[:ro]`, `/path`.
    pub volumes: Vec<String>,
    pub memory: u64,
    pub nano_cpus: u64,
    /// GPUs asked for (`--gpus`); `all` counts as one, as a cluster needs a number.
    pub gpus: Option<u64>,
    /// `no`, `always`, `unless-stopped`, `on-failure`.
    pub restart: String,
}

struct Port {
    container: u16,
    host: Option<u16>,
    protocol: String,
}

fn port(spec: &str) -> Result<Port, String> {
    let (spec, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let parts: Vec<&str> = spec.split(':').collect();
    let (host, container) = match parts.as_slice() {
        [c] => (None, *c),
        [h, c] => (Some(*h), *c),
        [_, h, c] => (Some(*h), *c),
        _ => return Err(format!("invalid port specification: \"{spec}\"")),
    };
    let number = |s: &str| s.parse::<u16>().map_err(|_| format!("invalid port specification: \"{spec}\""));
    Ok(Port { container: number(container)?, host: host.filter(|h| !h.is_empty()).map(number).transpose()?, protocol: proto.to_ascii_uppercase() })
}

/// A Kubernetes name: lower case, `-` for anything else, at most 63 characters.
fn dns_name(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    out = out.trim_matches('-').to_string();
    out.truncate(63);
    if out.is_empty() {
        "volume".into()
    } else {
        out
    }
}

/// The container entry and the pod's volumes for `w`; `host_ports` keeps the published
/// ports on the node (a Pod, as podman writes it).
fn container(w: &Workload, host_ports: bool) -> Result<(Value, Vec<Value>), String> {
    let mut c = Map::new();
    c.insert("name".into(), json!(dns_name(&w.name)));
    c.insert("image".into(), json!(w.image));
    if !w.command.is_empty() {
        c.insert("command".into(), json!(w.command));
    }
    if !w.args.is_empty() {
        c.insert("args".into(), json!(w.args));
    }
    if let Some(d) = w.working_dir.as_ref().filter(|d| !d.is_empty() && *d != "/") {
        c.insert("workingDir".into(), json!(d));
    }
    let env: Vec<Value> = w.env.iter().map(|e| e.split_once('=').map_or_else(|| json!({"name": e, "value": ""}), |(k, v)| json!({"name": k, "value": v}))).collect();
    if !env.is_empty() {
        c.insert("env".into(), json!(env));
    }
    let mut ports = Vec::new();
    for spec in &w.ports {
        let p = port(spec)?;
        let mut entry = json!({"containerPort": p.container, "protocol": p.protocol});
        if let (true, Some(h)) = (host_ports, p.host) {
            entry["hostPort"] = json!(h);
        }
        ports.push(entry);
    }
    if !ports.is_empty() {
        c.insert("ports".into(), json!(ports));
    }
    let mut limits = Map::new();
    if w.memory > 0 {
        limits.insert("memory".into(), json!(w.memory.to_string()));
    }
    if w.nano_cpus > 0 {
        limits.insert("cpu".into(), json!(format!("{}m", w.nano_cpus / 1_000_000)));
    }
    if let Some(n) = w.gpus {
        limits.insert("nvidia.com/gpu".into(), json!(n));
    }
    if !limits.is_empty() {
        c.insert("resources".into(), json!({ "limits": limits }));
    }
    let (mut mounts, mut volumes) = (Vec::new(), Vec::new());
    for (i, spec) in w.volumes.iter().enumerate() {
        let parts: Vec<&str> = spec.split(':').collect();
        let (source, target, ro) = match parts.as_slice() {
            [t] => ("", *t, false),
            [s, t] => (*s, *t, false),
            [s, t, o] => (*s, *t, o.split(',').any(|x| x == "ro")),
            _ => return Err(format!("invalid volume specification: '{spec}'")),
        };
        let (name, volume) = if source.is_empty() {
            let name = format!("{}-anonymous-{i}", dns_name(&w.name));
            (name.clone(), json!({"name": name, "emptyDir": {}}))
        } else if source.starts_with('/') || source.starts_with('.') {
            let name = format!("{}-host-{i}", dns_name(source));
            (name.clone(), json!({"name": name, "hostPath": {"path": source, "type": "DirectoryOrCreate"}}))
        } else {
            let name = format!("{}-pvc", dns_name(source));
            (name.clone(), json!({"name": name, "persistentVolumeClaim": {"claimName": dns_name(source)}}))
        };
        let mut m = json!({"name": name, "mountPath": target});
        if ro {
            m["readOnly"] = json!(true);
        }
        mounts.push(m);
        volumes.push(volume);
    }
    if !mounts.is_empty() {
        c.insert("volumeMounts".into(), json!(mounts));
    }
    Ok((Value::Object(c), volumes))
}

fn restart_policy(r: &str) -> &'static str {
    match r {
        "always" | "unless-stopped" => "Always",
        "on-failure" => "OnFailure",
        _ => "Never",
    }
}

fn pod_spec(w: &Workload, host_ports: bool, deployment: bool) -> Result<Value, String> {
    let (c, volumes) = container(w, host_ports)?;
    let mut spec = json!({ "containers": [c] });
    if !deployment {
        spec["restartPolicy"] = json!(restart_policy(&w.restart));
    }
    if !volumes.is_empty() {
        spec["volumes"] = json!(volumes);
    }
    Ok(spec)
}

/// A Pod for `w` (named `<name>-pod`, as podman names it).
pub fn pod(w: &Workload) -> Result<Value, String> {
    let name = format!("{}-pod", dns_name(&w.name));
    Ok(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}}, "spec": pod_spec(w, true, false)?}))
}

/// A Deployment of one replica of `w`.
pub fn deployment(w: &Workload) -> Result<Value, String> {
    let name = dns_name(&w.name);
    Ok(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(w, false, true)?}},
    }))
}

/// A NodePort Service for the ports `w` publishes, selecting `app`; `None` without any.
pub fn service(w: &Workload, app: &str) -> Result<Option<Value>, String> {
    let mut ports = Vec::new();
    for spec in &w.ports {
        let p = port(spec)?;
        ports.push(json!({"name": format!("{}-{}", p.container, p.protocol.to_ascii_lowercase()), "port": p.host.unwrap_or(p.container), "targetPort": p.container, "protocol": p.protocol}));
    }
    if ports.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": dns_name(&w.name), "labels": {"app": app}}, "spec": {"selector": {"app": app}, "ports": ports, "type": "NodePort"}})))
}

/// The documents as one YAML stream, after podman's header.
pub fn render(docs: &[Value]) -> Result<String, String> {
    let mut out = format!("# Save the output of this file and use kubectl create -f to import it into Kubernetes.\n#\n# Created with berth-{}\n", env!("CARGO_PKG_VERSION"));
    for d in docs {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(d).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

const HELP: &str = "
Usage:  berth kube generate [OPTIONS] CONTAINER... | --compose [FILE]

Generate Kubernetes YAML from containers or a Compose project

Options:
      --compose [FILE]   A Deployment (and a Service) per service of the Compose file
  -f, --filename string  Write output to the specified path
  -s, --service          Generate a Service for the published ports too
  -t, --type string      Kubernetes kind to generate: pod or deployment (default \"pod\")
";

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let Some((sub, args)) = args.split_first() else { return Output::fail(125, format!("Error: missing command 'berth kube COMMAND'\n{HELP}")) };
    if sub == "-h" || sub == "--help" {
        return Output::ok(HELP);
    }
    if sub != "generate" {
        return Output::fail(125, format!("Error: unrecognized command `berth kube {sub}`\nTry 'berth kube --help' for more information\n"));
    }
    let (mut service_too, mut kind, mut file, mut compose, mut names) = (false, "pod".to_string(), None, None::<Option<String>>, Vec::new());
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let value = |i: usize| args.get(i + 1).cloned().ok_or_else(|| Output::fail(125, format!("Error: flag needs an argument: {a}\n")));
        match a {
            "-h" | "--help" => return Output::ok(HELP),
            "-s" | "--service" => service_too = true,
            "-t" | "--type" => match value(i) {
                Ok(v) => {
                    kind = v;
                    i += 1;
                }
                Err(e) => return e,
            },
            "-f" | "--filename" => match value(i) {
                Ok(v) => {
                    file = Some(v);
                    i += 1;
                }
                Err(e) => return e,
            },
            "--compose" => {
                let next = args.get(i + 1).filter(|n| !n.starts_with('-')).cloned();
                if next.is_some() {
                    i += 1;
                }
                compose = Some(next);
            }
            f if f.starts_with('-') => return Output::fail(125, format!("Error: unknown flag: {f}\nSee 'berth kube generate --help'\n")),
            n => names.push(n.to_string()),
        }
        i += 1;
    }
    if kind != "pod" && kind != "deployment" {
        return Output::fail(125, format!("Error: invalid type \"{kind}\": must be pod or deployment\n"));
    }
    let mut docs = Vec::new();
    let result: Result<(), String> = (|| {
        if let Some(compose_file) = compose {
            for w in super::compose::workloads(host, compose_file.as_deref()).map_err(|o| String::from_utf8_lossy(&o.stderr).trim_end().to_string())? {
                docs.push(deployment(&w)?);
                if let Some(s) = service(&w, &dns_name(&w.name))? {
                    docs.push(s);
                }
            }
            return Ok(());
        }
        if names.is_empty() {
            return Err("Error: generate requires at least one container or --compose".into());
        }
        let (_, containers) = crate::daemon::open(host).map_err(|e| e.to_string())?;
        for n in &names {
            let c = containers.find(n).ok_or_else(|| format!("Error: {n}: no such pod or container"))?;
            let h = &c.host_config;
            let gpus = h.gpus.as_ref().map(|g| g.count.map_or_else(|| if g.device_ids.is_empty() { 1 } else { g.device_ids.len() as u64 }, |n| n as u64));
            let volumes = c
                .mounts
                .iter()
                .map(|m| {
                    // An anonymous volume is named by a generated ID: it stays anonymous.
                    let anonymous = m.kind == "volume" && m.source.len() == 64 && m.source.bytes().all(|b| b.is_ascii_hexdigit());
                    if anonymous {
                        m.target.clone()
                    } else {
                        format!("{}:{}{}", m.source, m.target, if m.read_only { ":ro" } else { "" })
                    }
                })
                .collect();
            let w = Workload {
                name: c.name.clone(),
                image: crate::image::store::normalize(&c.image).unwrap_or(c.image.clone()),
                command: c.argv.clone(),
                env: c.env.clone(),
                working_dir: Some(c.working_dir.clone()),
                ports: c.ports.clone(),
                volumes,
                memory: h.memory,
                nano_cpus: h.nano_cpus,
                gpus,
                restart: h.restart.name.clone(),
                ..Workload::default()
            };
            docs.push(if kind == "deployment" { deployment(&w)? } else { pod(&w)? });
            if service_too {
                let app = if kind == "deployment" { dns_name(&w.name) } else { format!("{}-pod", dns_name(&w.name)) };
                if let Some(s) = service(&w, &app)? {
                    docs.push(s);
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        return Output::fail(125, format!("{}\n", if e.starts_with("Error") { e } else { format!("Error: {e}") }));
    }
    let yaml = match render(&docs) {
        Ok(y) => y,
        Err(e) => return Output::fail(125, format!("Error: {e}\n")),
    };
    match file {
        Some(f) => match host.write_file(&f, yaml.as_bytes()) {
            Ok(()) => Output::ok(""),
            Err(e) => Output::fail(125, format!("Error: {e}\n")),
        },
        None => Output::ok(yaml),
    }
}
