//! `docker compose` (and `docker-compose`): `up`, `down`, `ps`, `build`, `logs` for the
//! Compose files course material shows (`services` with `build` or `image`, `command`,
//! `environment`, `volumes`, `ports`, `working_dir`, `depends_on`; named `volumes`).
//! `up` starts every service detached on the emulated runtime, in dependency order;
//! attached, it then shows their output as it comes with Compose's `name-1  | ` prefixes
//! until they exit or Ctrl-C stops them. The project network Compose reports is a name
//! only: the emulated runtime has no network.


use serde_json::Value;

use super::{Host, Output};
use crate::daemon::create::CreateOptions;
use crate::runtime::{Containers, Status};

const FILES: &[&str] = &["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

/// Reads a compose file as YAML (serde_yaml over libyaml: block and flow style, block
/// scalars, anchors, aliases and `<<` merge keys; tabs in indentation are refused as
/// YAML refuses them). Nesting past serde_yaml's recursion limit (128) and alias
/// expansion bombs are errors, never a stack overflow. Scalars become strings (`80`,
/// `true`), as the compose model reads them; errors name the line and column.
pub fn parse_yaml(text: &str) -> Result<Value, String> {
    too_deep(text)?;
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    doc.apply_merge().map_err(|e| e.to_string())?;
    Ok(to_json(doc))
}

/// How deeply flow collections (`[…]`, `{…}`) may nest: serde_yaml's own limit. Checked
/// before libyaml sees the text, whose simple-key bookkeeping costs time in proportion
/// to the depth for every token (100,000 levels took minutes).
const MAX_FLOW_DEPTH: usize = 128;

fn too_deep(text: &str) -> Result<(), String> {
    let mut depth = 0usize;
    for (n, line) in text.lines().enumerate() {
        let mut quote = None;
        let mut prev = ' ';
        for (col, c) in line.chars().enumerate() {
            match (c, quote) {
                ('\'' | '"', None) => quote = Some(c),
                (q, Some(open)) if q == open && !(q == '"' && prev == '\\') => quote = None,
                ('#', None) if prev == ' ' || prev == '\t' => break,
                ('[' | '{', None) => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(format!("recursion limit exceeded: flow collections nest more than {MAX_FLOW_DEPTH} levels deep at line {} column {}", n + 1, col + 1));
                    }
                }
                (']' | '}', None) => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = c;
        }
    }
    Ok(())
}

fn to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::String(b.to_string()),
        Y::Number(n) => Value::String(n.to_string()),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => to_json(t.value),
    }
}

/// One service, as `up` needs it.
struct Service {
    name: String,
    image: String,
    build: Option<(String, Option<String>, Option<String>)>,
    /// What its container is created with (the name, hostname and image come at `up`).
    create: CreateOptions,
    command: Vec<String>,
    depends_on: Vec<String>,
}

struct Project {
    name: String,
    services: Vec<Service>,
    volumes: Vec<String>,
}

fn text_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn load(host: &dyn Host, file: Option<&str>, name: Option<&str>) -> Result<Project, Output> {
    let path = match file {
        Some(f) => f.to_string(),
        None => FILES.iter().find(|f| host.read_file(f).is_ok()).map(|f| f.to_string()).ok_or_else(|| Output::fail(1, "no configuration file provided: not found\n"))?,
    };
    let text = super::read_text(host, &path).map_err(|e| Output::fail(1, format!("{e}\n")))?;
    let doc = parse_yaml(&text).map_err(|e| Output::fail(1, format!("yaml: {path}: {e}\n")))?;
    let dir = path.rsplit_once('/').map_or(".".to_string(), |(d, _)| d.to_string());
    let base = name.map(str::to_string).or_else(|| doc.get("name").and_then(|n| n.as_str()).map(str::to_string)).unwrap_or_else(|| {
        let cwd = host.cwd_name();
        if dir == "." { cwd } else { dir.rsplit('/').next().unwrap_or("project").to_string() }
    });
    let project: String = base.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let Some(Value::Object(services)) = doc.get("services") else {
        return Err(Output::fail(1, format!("{path}: services must be a mapping\n")));
    };
    // Paths relative to the Compose file's folder; bind sources keep a `./` so `-v`
    // reads them as paths.
    let join = |p: &str| {
        if p.starts_with('/') {
            p.to_string()
        } else if dir == "." {
            format!("./{}", p.trim_start_matches("./"))
        } else {
            format!("./{}/{}", dir.trim_start_matches("./"), p.trim_start_matches("./"))
        }
    };
    let mut list = Vec::new();
    for (name, svc) in services {
        let build = match svc.get("build") {
            Some(Value::String(ctx)) => Some((join(ctx), None, None)),
            Some(Value::Object(b)) => Some((
                join(b.get("context").and_then(|c| c.as_str()).unwrap_or(".")),
                b.get("dockerfile").and_then(|d| d.as_str()).map(str::to_string),
                b.get("target").and_then(|t| t.as_str()).map(str::to_string),
            )),
            _ => None,
        };
        let image = match (svc.get("image").and_then(|i| i.as_str()), &build) {
            (Some(i), _) => i.to_string(),
            (None, Some(_)) => format!("{project}-{name}"),
            (None, None) => return Err(Output::fail(1, format!("service \"{name}\" has neither an image nor a build context specified: invalid compose project\n"))),
        };
        let mut create = CreateOptions::default();
        match svc.get("environment") {
            Some(Value::Object(m)) => create.env.extend(m.iter().map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))),
            other => create.env.extend(text_list(other)),
        }
        for v in text_list(svc.get("volumes")) {
            let (src, rest) = v.split_once(':').unwrap_or(("", &v));
            let src = if src.starts_with('.') || src.starts_with('/') { join(src) } else if src.is_empty() { String::new() } else { format!("{project}_{src}") };
            create.volumes.push(if src.is_empty() { rest.to_string() } else { format!("{src}:{rest}") });
        }
        create.ports = text_list(svc.get("ports"));
        let text = |key: &str| svc.get(key).and_then(|v| v.as_str()).map(str::to_string);
        create.workdir = text("working_dir");
        create.user = text("user");
        create.hostname = text("hostname");
        let words = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            other => text_list(other),
        };
        if let Some(ep) = svc.get("entrypoint") {
            create.entrypoint = Some(words(Some(ep)).join(" "));
        }
        list.push(Service { name: name.clone(), image, build, create, command: words(svc.get("command")), depends_on: text_list(svc.get("depends_on")) });
    }
    // Dependencies first, then file order.
    let mut ordered: Vec<Service> = Vec::new();
    while !list.is_empty() {
        let ready = list.iter().position(|s| s.depends_on.iter().all(|d| ordered.iter().any(|o| &o.name == d) || !list.iter().any(|l| &l.name == d)));
        let Some(i) = ready else {
            return Err(Output::fail(1, "dependency cycle detected\n"));
        };
        ordered.push(list.remove(i));
    }
    let volumes = doc.get("volumes").and_then(|v| v.as_object()).map(|m| m.keys().map(|k| format!("{project}_{k}")).collect()).unwrap_or_default();
    Ok(Project { name: project, services: ordered, volumes })
}

/// The services of a Compose project as workloads, for `kube generate --compose`.
pub(super) fn workloads(host: &dyn Host, file: Option<&str>) -> Result<Vec<super::kube::Workload>, Output> {
    let project = load(host, file, None)?;
    Ok(project
        .services
        .into_iter()
        .map(|s| super::kube::Workload {
            name: s.name,
            image: crate::image::store::normalize(&s.image).unwrap_or(s.image),
            command: s.create.entrypoint.map(|e| e.split_whitespace().map(str::to_string).collect()).unwrap_or_default(),
            args: s.command,
            env: s.create.env,
            working_dir: s.create.workdir,
            ports: s.create.ports,
            volumes: s.create.volumes,
            memory: s.create.host.memory,
            nano_cpus: s.create.host.nano_cpus,
            gpus: None,
            restart: s.create.host.restart.name,
        })
        .collect())
}

/// `compose up` attached: the services' output as it comes, `web-1  | …`, and each exit,
/// until all have exited. Where the host has real time the services' sleeps pass as it
/// does and Ctrl-C stops them, as Compose does; elsewhere it shows what they printed by
/// now and leaves those still running up.
fn attach(project: &Project, host: &dyn Host, out: &mut Output) {
    let width = project.services.iter().map(|s| s.name.len() + 2).max().unwrap_or(0);
    let follow = host.follow();
    // In real time everything is shown as it comes, status lines included.
    // The terminal shows text: what the services wrote is shown as text, as a terminal would.
    let mut pending = if follow.is_some() { String::from_utf8_lossy(&[std::mem::take(&mut out.stderr), std::mem::take(&mut out.stdout)].concat()).into_owned() } else { String::new() };
    let mut printed = vec![0usize; project.services.len()];
    let mut ended = vec![false; project.services.len()];
    loop {
        crate::daemon::start::catch_up(host);
        let Ok(storage) = host.storage() else { return };
        let Ok(containers) = crate::runtime::Containers::open(storage) else { return };
        for (i, s) in project.services.iter().enumerate() {
            let Some(c) = containers.by_name(&container_name(project, s)) else {
                ended[i] = true;
                continue;
            };
            let label = format!("{}-1", s.name);
            let lines = containers.logs(&c.id).unwrap_or_default();
            for line in &lines[printed[i].min(lines.len())..] {
                pending.push_str(&format!("{label:<width$} | {}\n", line.text.trim_end_matches('\n')));
            }
            printed[i] = lines.len();
            if c.status == crate::runtime::Status::Exited && !ended[i] {
                ended[i] = true;
                pending.push_str(&format!("{label} exited with code {}\n", c.exit_code));
            }
        }
        let Some(show) = follow.as_ref().filter(|_| ended.iter().any(|e| !e)) else { break };
        if !show(&std::mem::take(&mut pending), 1.0) {
            show("Gracefully stopping... (press Ctrl+C again to force)\n", 0.0);
            // Compose stops them together: one grace period of 10 s for all.
            let start = host.monotonic();
            for (i, s) in project.services.iter().enumerate().rev() {
                let cname = container_name(project, s);
                let left = (10.0 - (host.monotonic() - start)).max(0.0).ceil() as i64;
                if !ended[i] && stop(host, &cname, left as f64) {
                    pending.push_str(&format!(" ✔ Container {cname}  Stopped\n"));
                }
            }
            out.code = 130;
            break;
        }
    }
    out.stdout.extend_from_slice(pending.as_bytes());
}

/// Stops a service's container as `docker stop -t GRACE` does; false where none runs.
fn stop(host: &dyn Host, name: &str, grace: f64) -> bool {
    let Ok((mut store, mut containers)) = crate::daemon::open(host) else { return false };
    let Some(mut c) = containers.find(name).cloned().filter(|c| c.status == Status::Running) else { return false };
    c.manually_stopped = true;
    if let Some(r) = containers.list.get_mut(&c.id) {
        r.manually_stopped = true;
    }
    if crate::daemon::native::supervised(&c) {
        crate::daemon::native::stop(&mut containers, &c, host, grace);
    } else {
        crate::daemon::stop::stop_gracefully(&mut store, &mut containers, &c, host, grace);
    }
    true
}

/// Removes a service's container, as `docker rm -f` does; false where there is none.
fn remove(containers: &mut Containers, name: &str, host: &dyn Host) -> bool {
    crate::daemon::rm::remove(containers, name, true, false, host).is_ok()
}

fn container_name(project: &Project, service: &Service) -> String {
    format!("{}-{}-1", project.name, service.name)
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let (mut file, mut name, mut i) = (None, None, 0);
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-f" | "--file" => file = args.get(i + 1).cloned(),
            "-p" | "--project-name" => name = args.get(i + 1).cloned(),
            "-h" | "--help" => return Output::ok(HELP),
            f => return Output::fail(1, format!("unknown flag: {f}\n")),
        }
        i += 2;
    }
    let Some((command, rest)) = args[i.min(args.len())..].split_first() else { return Output::ok(HELP) };
    let project = match load(host, file.as_deref(), name.as_deref()) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // Compose drives the engine with typed options, as the command line does: the state
    // is opened once per command.
    let (mut store, mut containers) = match crate::daemon::open(host) {
        Ok(x) => x,
        Err(e) => return Output::fail(1, format!("berth: {e}\n")),
    };
    let mut out = Output::ok("");
    match command.as_str() {
        "build" | "up" => {
            let rebuild = command == "build" || rest.iter().any(|a| a == "--build");
            for s in &project.services {
                let Some((ctx, dockerfile, target)) = &s.build else { continue };
                if store.resolve(&s.image).is_some() && !rebuild {
                    continue;
                }
                let options = super::build::BuildOptions {
                    context: ctx.clone(),
                    file: dockerfile.as_ref().map(|d| format!("{ctx}/{d}")),
                    tags: vec![s.image.clone()],
                    target: target.clone(),
                    progress: "auto".into(),
                    ..super::build::BuildOptions::default()
                };
                let b = super::build::build_with(host, options);
                out.stderr.extend_from_slice(&b.stderr);
                if b.code != 0 {
                    out.code = b.code;
                    return out;
                }
                // The build wrote the store: read it again.
                match crate::daemon::open(host) {
                    Ok(x) => (store, containers) = x,
                    Err(e) => return Output::fail(1, format!("berth: {e}\n")),
                }
            }
            if command == "build" {
                return out;
            }
            let detach = rest.iter().any(|a| a == "-d" || a == "--detach");
            for s in &project.services {
                if s.build.is_none() && store.resolve(&s.image).is_none() {
                    match crate::image::pull::pull(&mut store, &crate::image::catalog::Catalog::embedded(), &s.image, host.remote()) {
                        Ok(_) => out.stderr.extend_from_slice(format!(" ✔ {} Pulled\n", s.name).as_bytes()),
                        Err(e) => {
                            let why = match e {
                                crate::image::pull::PullError::InvalidReference(m) => m,
                                e => format!("Error response from daemon: {e}"),
                            };
                            out.stderr.extend_from_slice(format!(" ✘ {} Error {why}\n", s.name).as_bytes());
                            out.code = 1;
                            return out;
                        }
                    }
                }
            }
            out.stderr.extend_from_slice(format!(" ✔ Network {}_default  Created\n", project.name).as_bytes());
            for v in &project.volumes {
                if let Err(e) = crate::daemon::volume::create(&mut containers, Some(v), host.now()) {
                    out.stderr.extend_from_slice(format!(" ✘ Volume \"{v}\"  Error {e}\nError response from daemon: {e}\n").as_bytes());
                    out.code = 1;
                    return out;
                }
                out.stderr.extend_from_slice(format!(" ✔ Volume \"{v}\"  Created\n").as_bytes());
            }
            for s in &project.services {
                out.stderr.extend_from_slice(format!(" ✔ Container {}  Created\n", container_name(&project, s)).as_bytes());
            }
            // Every service starts detached; attached, `up` then shows their output as it
            // comes, prefixed with the service, until all have exited or Ctrl-C stops them.
            for s in &project.services {
                let cname = container_name(&project, s);
                remove(&mut containers, &cname, host);
                let options = CreateOptions { image: s.image.clone(), args: s.command.clone(), name: Some(cname.clone()), hostname: Some(s.create.hostname.clone().unwrap_or_else(|| cname.clone())), ..s.create.clone() };
                let started = crate::daemon::create::create(host, &mut store, &mut containers, &options)
                    .map_err(|f| f.error)
                    .and_then(|created| crate::daemon::start::start_detached(&mut store, &mut containers, &created.container, host));
                if let Err(e) = started {
                    out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                    out.code = e.status();
                    return out;
                }
                if detach {
                    out.stderr.extend_from_slice(format!(" ✔ Container {cname}  Started\n").as_bytes());
                }
            }
            if !detach {
                out.stdout.extend_from_slice(format!("Attaching to {}\n", project.services.iter().map(|s| format!("{}-1", s.name)).collect::<Vec<_>>().join(", ")).as_bytes());
                drop((store, containers));
                attach(&project, host, &mut out);
            }
            out
        }
        "down" => {
            for s in project.services.iter().rev() {
                let cname = container_name(&project, s);
                if remove(&mut containers, &cname, host) {
                    out.stderr.extend_from_slice(format!(" ✔ Container {cname}  Removed\n").as_bytes());
                }
            }
            if rest.iter().any(|a| a == "-v" || a == "--volumes") {
                for v in &project.volumes {
                    if crate::daemon::volume::remove(&mut containers, v).is_ok() {
                        out.stderr.extend_from_slice(format!(" ✔ Volume {v}  Removed\n").as_bytes());
                    }
                }
            }
            out.stderr.extend_from_slice(format!(" ✔ Network {}_default  Removed\n", project.name).as_bytes());
            out
        }
        "ps" => {
            let now = host.now();
            let mut rows = vec![vec!["NAME".to_string(), "IMAGE".into(), "SERVICE".into(), "STATUS".into()]];
            let mut listed: Vec<&crate::runtime::Container> = containers.list.values().collect();
            listed.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
            for c in listed {
                if let Some(s) = project.services.iter().find(|s| container_name(&project, s) == c.name) {
                    rows.push(vec![c.name.clone(), c.image.clone(), s.name.clone(), super::container::status_text(c, now)]);
                }
            }
            Output::ok(super::format::table(&rows))
        }
        "logs" => {
            let width = project.services.iter().map(|s| s.name.len() + 2).max().unwrap_or(0);
            for s in &project.services {
                let Some(c) = containers.by_name(&container_name(&project, s)) else { continue };
                let label = format!("{}-1", s.name);
                let lines = match containers.logs(&c.id) {
                    Ok(lines) => lines,
                    Err(e) => {
                        out.stderr.extend_from_slice(format!("berth: cannot read the logs: {e}\n").as_bytes());
                        out.code = 1;
                        continue;
                    }
                };
                // stdout's lines, then stderr's, as `docker logs` into a terminal shows them.
                for stream in ["stdout", "stderr"] {
                    for line in lines.iter().filter(|l| l.stream == stream) {
                        for text in line.text.lines() {
                            out.stdout.extend_from_slice(format!("{label:<width$} | {text}\n").as_bytes());
                        }
                    }
                }
            }
            out
        }
        "config" => Output::ok(format!("name: {}\nservices:\n{}", project.name, project.services.iter().map(|s| format!("  {}:\n    image: {}\n", s.name, s.image)).collect::<String>())),
        other => Output::fail(1, format!("unknown docker command: \"compose {other}\"\n")),
    }
}

const HELP: &str = "\
Usage:  docker compose [OPTIONS] COMMAND

Define and run multi-container applications (services run on Berth's emulated runtime,
each to completion)

Options:
  -f, --file string           Compose configuration file
  -p, --project-name string   Project name

Commands:
  build       Build or rebuild services
  config      Show the services and their images
  down        Stop and remove containers and the network (-v: volumes too)
  logs        View output from containers
  ps          List containers
  up          Create and start containers (--build, -d)
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_subset_reads_compose_files() {
        let doc = parse_yaml("version: \"3.9\"\nservices:\n  web:\n    build: .\n    ports:\n      - \"5000:5000\"  # the app\n    environment:\n      FLASK_ENV: development\n  redis:\n    image: \"redis:alpine\"\n    command: [\"redis-server\", \"--save\", \"60\"]\nvolumes:\n  data:\n").unwrap();
        assert_eq!(doc["version"], "3.9");
        assert_eq!(doc["services"]["web"]["ports"][0], "5000:5000");
        assert_eq!(doc["services"]["web"]["environment"]["FLASK_ENV"], "development");
        assert_eq!(doc["services"]["redis"]["command"][2], "60");
        assert!(doc["volumes"]["data"].is_null());
        assert!(parse_yaml("services:\n  web:\n      image: x\n    bad: y\n").is_err());
        let doc = parse_yaml("command: [\"sh\", \"-c\", \"trap \\\"echo bye, ok\\\" TERM # not a comment\"]  # a comment\nname: 'it''s'\n").unwrap();
        assert_eq!(doc["command"][2], "trap \"echo bye, ok\" TERM # not a comment");
        assert_eq!(doc["name"], "it's");
        let list = parse_yaml("- name: a\n  value: 1\n- b\n").unwrap();
        assert_eq!(list[0]["value"], "1");
        assert_eq!(list[1], "b");
    }

    #[test]
    fn compose_files_are_real_yaml() {
        // Anchors, merge keys, block scalars and flow maps, as official compose files use.
        let doc = parse_yaml("x-common: &common\n  image: alpine:3.20\n  environment: {A: \"1\", B: two}\nservices:\n  web:\n    <<: *common\n    command: >\n      sh -c\n      'echo hi'\n  job:\n    <<: *common\n    image: busybox\n").unwrap();
        assert_eq!(doc["services"]["web"]["image"], "alpine:3.20");
        assert_eq!(doc["services"]["web"]["environment"]["B"], "two");
        assert_eq!(doc["services"]["web"]["command"], "sh -c 'echo hi'\n");
        assert_eq!(doc["services"]["job"]["image"], "busybox");
        // YAML forbids tabs in indentation.
        let err = parse_yaml("services:\n\tweb:\n\t\timage: x\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        // Nesting 100,000 deep ends in an error, not a stack overflow.
        let deep = format!("command: {}x{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_yaml(&deep).unwrap_err().contains("recursion limit exceeded"));
        let deep = format!("labels: {}x{}\n", "{a: ".repeat(100_000), "}".repeat(100_000));
        assert!(parse_yaml(&deep).is_err());
        // An alias bomb (each level doubles the last) is refused, not expanded.
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for i in 1..30 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        assert!(parse_yaml(&bomb).unwrap_err().contains("repetition limit exceeded"));
    }
}
