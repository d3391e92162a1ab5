//! `docker compose` (and `docker-compose`) over the compose specification: the project
//! (`project.rs`: files found and merged, `.env` and the environment interpolated,
//! profiles, each service typed) and the commands `up`, `down`, `ps`, `logs`, `build`,
//! `pull`, `config`, `exec`, `run`, `restart`, `stop`, `start` and `rm`, each from a
//! declarative table like the engine's own commands. Services run as the engine's
//! containers (labelled `com.docker.compose.project`/`service` as Compose labels them),
//! in dependency order: `depends_on` waits for `service_started`, runs the dependency's
//! healthcheck for `service_healthy`, and waits for `service_completed_successfully`.
//! Attached, `up` shows the services' output with Compose's `name-1  | ` prefixes until
//! they exit or Ctrl-C stops them.
//!
//! Networks are the engine's (`daemon::network`): `up` makes the project's (`<project>_default`
//! and those `networks:` declares, labelled as Compose labels them) and joins each
//! service to its own with the service's name as an alias; `down` removes them. Their
//! records and addresses are Docker's; natively its containers reach each other on them
//! by name (the emulated runtime carries no traffic yet).

mod project;

use serde_json::Value;

use super::flags::{flag, Command, Kind, Parsed};
use super::{Host, Output};
use crate::daemon::create::CreateOptions;
use crate::runtime::{Containers, Status};
use project::{Condition, Project, Service};

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


pub static COMPOSE: Command = Command::new("compose", "[OPTIONS] COMMAND", "Define and run multi-container applications with Docker", &[], &[
    flag("all-resources", Kind::Bool, "Include all resources, even those not used by services"),
    flag("ansi", Kind::String, "Control when to print ANSI control characters (\"never\"|\"always\"|\"auto\")").default("auto"),
    flag("compatibility", Kind::Bool, "Run compose in backward compatibility mode"),
    flag("dry-run", Kind::Bool, "Execute command in dry run mode"),
    flag("env-file", Kind::StringArray, "Specify an alternate environment file"),
    flag("file", Kind::StringArray, "Compose configuration files").short('f'),
    flag("parallel", Kind::Int, "Control max parallelism, -1 for unlimited").default("-1"),
    flag("profile", Kind::StringArray, "Specify a profile to enable"),
    flag("progress", Kind::String, "Set type of progress output (auto, tty, plain, json, quiet)"),
    flag("project-directory", Kind::String, "Specify an alternate working directory\n(default: the path of the, first specified, Compose file)"),
    flag("project-name", Kind::String, "Project name").short('p'),
])
.program_args();

const TIMEOUT: &str = "Specify a shutdown timeout in seconds";

pub static UP: Command = Command::new("compose up", "[OPTIONS] [SERVICE...]", "Create and start containers", &[], &[
    flag("abort-on-container-exit", Kind::Bool, "Stops all containers if any container was stopped. Incompatible with -d"),
    flag("always-recreate-deps", Kind::Bool, "Recreate dependent containers. Incompatible with --no-recreate."),
    flag("attach", Kind::StringArray, "Restrict attaching to the specified services. Incompatible with --attach-dependencies."),
    flag("attach-dependencies", Kind::Bool, "Automatically attach to log output of dependent services"),
    flag("build", Kind::Bool, "Build images before starting containers"),
    flag("detach", Kind::Bool, "Detached mode: Run containers in the background").short('d'),
    flag("exit-code-from", Kind::String, "Return the exit code of the selected service container. Implies --abort-on-container-exit"),
    flag("force-recreate", Kind::Bool, "Recreate containers even if their configuration and image haven't changed"),
    flag("no-attach", Kind::StringArray, "Do not attach (stream logs) to the specified services"),
    flag("no-build", Kind::Bool, "Don't build an image, even if it's policy"),
    flag("no-color", Kind::Bool, "Produce monochrome output"),
    flag("no-deps", Kind::Bool, "Don't start linked services"),
    flag("no-log-prefix", Kind::Bool, "Don't print prefix in logs"),
    flag("no-recreate", Kind::Bool, "If containers already exist, don't recreate them. Incompatible with --force-recreate."),
    flag("no-start", Kind::Bool, "Don't start the services after creating them"),
    flag("pull", Kind::String, "Pull image before running (\"always\"|\"missing\"|\"never\")").default("policy"),
    flag("quiet-pull", Kind::Bool, "Pull without printing progress information"),
    flag("remove-orphans", Kind::Bool, "Remove containers for services not defined in the Compose file"),
    flag("renew-anon-volumes", Kind::Bool, "Recreate anonymous volumes instead of retrieving data from the previous containers").short('V'),
    flag("scale", Kind::StringArray, "Scale SERVICE to NUM instances. Overrides the scale setting in the Compose file if present."),
    flag("timeout", Kind::Int, TIMEOUT).short('t'),
    flag("timestamps", Kind::Bool, "Show timestamps"),
    flag("wait", Kind::Bool, "Wait for services to be running|healthy. Implies detached mode."),
    flag("wait-timeout", Kind::Int, "Maximum duration in seconds to wait for the project to be running|healthy"),
    flag("watch", Kind::Bool, "Watch source code and rebuild/refresh containers when files are updated.").short('w'),
    flag("yes", Kind::Bool, "Assume \"yes\" as answer to all prompts and run non-interactively").short('y'),
]);

pub static DOWN: Command = Command::new("compose down", "[OPTIONS] [SERVICES]", "Stop and remove containers, networks", &[], &[
    flag("remove-orphans", Kind::Bool, "Remove containers for services not defined in the Compose file"),
    flag("rmi", Kind::String, "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")"),
    flag("timeout", Kind::Int, TIMEOUT).short('t'),
    flag("volumes", Kind::Bool, "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers").short('v'),
]);

pub static PS: Command = Command::new("compose ps", "[OPTIONS] [SERVICE...]", "List containers", &[], &[
    flag("all", Kind::Bool, "Show all stopped containers (including those created by the run command)").short('a'),
    flag("filter", Kind::String, "Filter services by a property (supported filters: status)"),
    flag("format", Kind::String, "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates").default("table"),
    flag("no-trunc", Kind::Bool, "Don't truncate output"),
    flag("orphans", Kind::Bool, "Include orphaned services (not declared by project)").default("true"),
    flag("quiet", Kind::Bool, "Only display IDs").short('q'),
    flag("services", Kind::Bool, "Display services"),
    flag("status", Kind::StringArray, "Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]"),
]);

pub static LOGS: Command = Command::new("compose logs", "[OPTIONS] [SERVICE...]", "View output from containers", &[], &[
    flag("follow", Kind::Bool, "Follow log output").short('f'),
    flag("index", Kind::Int, "index of the container if service has multiple replicas"),
    flag("no-color", Kind::Bool, "Produce monochrome output"),
    flag("no-log-prefix", Kind::Bool, "Don't print prefix in logs"),
    flag("since", Kind::String, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)"),
    flag("tail", Kind::String, "Number of lines to show from the end of the logs for each container").short('n').default("all"),
    flag("timestamps", Kind::Bool, "Show timestamps").short('t'),
    flag("until", Kind::String, "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)"),
]);

pub static BUILD: Command = Command::new("compose build", "[OPTIONS] [SERVICE...]", "Build or rebuild services", &[], &[
    flag("build-arg", Kind::StringArray, "Set build-time variables for services"),
    flag("builder", Kind::String, "Set builder to use"),
    flag("check", Kind::Bool, "Check build configuration"),
    flag("memory", Kind::Bytes, "Set memory limit for the build container. Not supported by BuildKit.").short('m'),
    flag("no-cache", Kind::Bool, "Do not use cache when building the image"),
    flag("print", Kind::Bool, "Print equivalent bake file"),
    flag("pull", Kind::Bool, "Always attempt to pull a newer version of the image"),
    flag("push", Kind::Bool, "Push service images"),
    flag("quiet", Kind::Bool, "Don't print anything to STDOUT").short('q'),
    flag("ssh", Kind::String, "Set SSH authentications used when building service images. (use 'default' for using your default SSH Agent)"),
    flag("with-dependencies", Kind::Bool, "Also build dependencies (transitively)"),
]);

pub static PULL: Command = Command::new("compose pull", "[OPTIONS] [SERVICE...]", "Pull service images", &[], &[
    flag("ignore-buildable", Kind::Bool, "Ignore images that can be built"),
    flag("ignore-pull-failures", Kind::Bool, "Pull what it can and ignores images with pull failures"),
    flag("include-deps", Kind::Bool, "Also pull services declared as dependencies"),
    flag("policy", Kind::String, "Apply pull policy (\"missing\"|\"always\")"),
    flag("quiet", Kind::Bool, "Pull without printing progress information").short('q'),
]);

pub static CONFIG: Command = Command::new("compose config", "[OPTIONS] [SERVICE...]", "Parse, resolve and render compose file in canonical format", &[], &[
    flag("environment", Kind::Bool, "Print environment used for interpolation."),
    flag("format", Kind::String, "Format the output. Values: [yaml | json]").default("yaml"),
    flag("hash", Kind::String, "Print the service config hash, one per line."),
    flag("images", Kind::Bool, "Print the image names, one per line."),
    flag("networks", Kind::Bool, "Print the network names, one per line."),
    flag("no-consistency", Kind::Bool, "Don't check model consistency - warning: may produce invalid Compose output"),
    flag("no-interpolate", Kind::Bool, "Don't interpolate environment variables"),
    flag("no-normalize", Kind::Bool, "Don't normalize compose model"),
    flag("no-path-resolution", Kind::Bool, "Don't resolve file paths"),
    flag("output", Kind::String, "Save to file (default to stdout)").short('o'),
    flag("profiles", Kind::Bool, "Print the profile names, one per line."),
    flag("quiet", Kind::Bool, "Only validate the configuration, don't print anything").short('q'),
    flag("resolve-image-digests", Kind::Bool, "Pin image tags to digests"),
    flag("services", Kind::Bool, "Print the service names, one per line."),
    flag("variables", Kind::Bool, "Print model variables and default values."),
    flag("volumes", Kind::Bool, "Print the volume names, one per line."),
]);

pub static EXEC: Command = Command::new("compose exec", "[OPTIONS] SERVICE COMMAND [ARGS...]", "Execute a command in a running container", &[], &[
    flag("detach", Kind::Bool, "Detached mode: Run command in the background").short('d'),
    flag("env", Kind::StringArray, "Set environment variables").short('e'),
    flag("index", Kind::Int, "Index of the container if service has multiple replicas"),
    flag("no-TTY", Kind::Bool, "Disable pseudo-TTY allocation. By default 'docker compose exec' allocates a TTY.").short('T').default("true"),
    flag("privileged", Kind::Bool, "Give extended privileges to the process"),
    flag("user", Kind::String, "Run the command as this user").short('u'),
    flag("workdir", Kind::String, "Path to workdir directory for this command").short('w'),
])
.program_args();

pub static RUN: Command = Command::new("compose run", "[OPTIONS] SERVICE [COMMAND] [ARGS...]", "Run a one-off command on a service", &[], &[
    flag("build", Kind::Bool, "Build image before starting container"),
    flag("cap-add", Kind::List, "Add Linux capabilities"),
    flag("cap-drop", Kind::List, "Drop Linux capabilities"),
    flag("detach", Kind::Bool, "Run container in background and print container ID").short('d'),
    flag("entrypoint", Kind::String, "Override the entrypoint of the image"),
    flag("env", Kind::StringArray, "Set environment variables").short('e'),
    flag("interactive", Kind::Bool, "Keep STDIN open even if not attached").short('i').default("true"),
    flag("label", Kind::StringArray, "Add or override a label").short('l'),
    flag("name", Kind::String, "Assign a name to the container"),
    flag("no-TTY", Kind::Bool, "Disable pseudo-TTY allocation (default: auto-detected)").short('T').default("true"),
    flag("no-deps", Kind::Bool, "Don't start linked services"),
    flag("publish", Kind::StringArray, "Publish a container's port(s) to the host").short('p'),
    flag("pull", Kind::String, "Pull image before running (\"always\"|\"missing\"|\"never\")").default("policy"),
    flag("quiet-pull", Kind::Bool, "Pull without printing progress information"),
    flag("remove-orphans", Kind::Bool, "Remove containers for services not defined in the Compose file"),
    flag("rm", Kind::Bool, "Automatically remove the container when it exits"),
    flag("service-ports", Kind::Bool, "Run command with all service's ports enabled and mapped to the host"),
    flag("use-aliases", Kind::Bool, "Use the service's network useAliases in the network(s) the container connects to"),
    flag("user", Kind::String, "Run as specified username or uid").short('u'),
    flag("volume", Kind::StringArray, "Bind mount a volume").short('v'),
    flag("workdir", Kind::String, "Working directory inside the container").short('w'),
])
.program_args();

pub static RESTART: Command = Command::new("compose restart", "[OPTIONS] [SERVICE...]", "Restart service containers", &[], &[
    flag("no-deps", Kind::Bool, "Don't restart dependent services"),
    flag("timeout", Kind::Int, TIMEOUT).short('t'),
]);

pub static STOP: Command = Command::new("compose stop", "[OPTIONS] [SERVICE...]", "Stop services", &[], &[flag("timeout", Kind::Int, TIMEOUT).short('t')]);

pub static START: Command = Command::new("compose start", "[SERVICE...]", "Start services", &[], &[
    flag("wait", Kind::Bool, "Wait for services to be running|healthy. Implies detached mode."),
    flag("wait-timeout", Kind::Int, "Maximum duration in seconds to wait for the project to be running|healthy"),
]);

pub static RM: Command = Command::new("compose rm", "[OPTIONS] [SERVICE...]", "Removes stopped service containers", &[], &[
    flag("force", Kind::Bool, "Don't ask to confirm removal").short('f'),
    flag("stop", Kind::Bool, "Stop the containers, if required, before removing").short('s'),
    flag("volumes", Kind::Bool, "Remove any anonymous volumes attached to containers").short('v'),
]);

/// The services a command names (every active one where it names none), each name
/// checked.
fn chosen<'p>(project: &'p Project, profiles: &[String], named: &[String]) -> Result<Vec<&'p Service>, Output> {
    for n in named {
        if project.service(n).is_none() {
            return Err(Output::fail(1, format!("no such service: {n}\n")));
        }
    }
    let active = project.active(profiles, named);
    Ok(if named.is_empty() { active } else { active.into_iter().filter(|s| named.contains(&s.name)).collect() })
}

/// `services` and, transitively, what they depend on, in the project's order.
fn with_dependencies<'p>(project: &'p Project, services: &[&'p Service]) -> Vec<&'p Service> {
    let mut wanted: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let mut i = 0;
    while i < wanted.len() {
        if let Some(s) = project.service(wanted[i]) {
            for (d, _) in &s.depends_on {
                if !wanted.contains(&d.as_str()) {
                    wanted.push(d);
                }
            }
        }
        i += 1;
    }
    project.services.iter().filter(|s| wanted.contains(&s.name.as_str())).collect()
}

/// What a service's container is created with.
fn create_options(project: &Project, s: &Service) -> Result<CreateOptions, Output> {
    let mut host = crate::runtime::HostOptions { memory: s.memory, nano_cpus: s.nano_cpus, tmpfs: s.tmpfs.clone(), ..Default::default() };
    if let Some(r) = &s.restart {
        host.restart = crate::daemon::monitor::parse_restart_policy(r).map_err(|e| Output::fail(1, format!("service \"{}\": {e}\n", s.name)))?;
    }
    host.stop_timeout = s.stop_grace_period;
    let (entrypoint, args) = match (&s.entrypoint, &s.command) {
        // An entrypoint given clears the image's CMD, as Docker clears it.
        (Some(ep), command) if !ep.is_empty() => (Some(ep[0].clone()), ep[1..].iter().chain(command.iter().flatten()).cloned().collect()),
        (_, command) => (None, command.clone().unwrap_or_default()),
    };
    let mut labels: Vec<(String, String)> = s.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    labels.extend([("com.docker.compose.project".to_string(), project.name.clone()), ("com.docker.compose.service".into(), s.name.clone()), ("com.docker.compose.container-number".into(), "1".into()), ("com.docker.compose.oneoff".into(), "False".into())]);
    let name = project.container_name(s);
    // Its networks by their engine names, the service's name an alias on each (as
    // Compose gives it).
    let mut nets = s.networks.iter().filter_map(|(key, aliases)| {
        let net = project.networks.iter().find(|n| &n.key == key)?;
        Some((net.name.clone(), std::iter::once(s.name.clone()).chain(aliases.iter().cloned()).collect::<Vec<_>>()))
    });
    let (network, network_aliases) = match &s.network_mode {
        Some(mode) => (mode.clone(), Vec::new()),
        None => nets.next().unwrap_or_else(|| (format!("{}_default", project.name), vec![s.name.clone()])),
    };
    host.network = network;
    let extra_networks = nets.collect();
    Ok(CreateOptions {
        image: s.image.clone(),
        args,
        name: Some(name.clone()),
        env: s.environment.clone(),
        workdir: s.working_dir.clone(),
        user: s.user.clone(),
        entrypoint,
        volumes: s.volumes.clone(),
        ports: s.ports.clone(),
        hostname: Some(s.hostname.clone().unwrap_or(name)),
        host,
        tty: s.tty,
        open_stdin: s.stdin_open,
        labels,
        expose: s.expose.clone(),
        stop_signal: s.stop_signal.clone(),
        network_aliases,
        extra_networks,
        ..CreateOptions::default()
    })
}

fn engine_error(e: impl std::fmt::Display) -> Output {
    Output::fail(1, format!("Error response from daemon: {e}\n"))
}

/// Builds the services that have a `build` section: every one with `always`, else those
/// whose image is missing.
fn build_services(services: &[&Service], always: bool, extra_args: &[String], no_cache: bool, quiet: bool, host: &dyn Host, out: &mut Output) -> bool {
    for s in services {
        let Some(b) = &s.build else { continue };
        let exists = crate::daemon::open(host).is_ok_and(|(store, _)| store.resolve(&s.image).is_some());
        if exists && !always {
            continue;
        }
        let options = super::build::BuildOptions {
            context: b.context.clone(),
            file: b.dockerfile.as_ref().map(|d| if d.starts_with('/') { d.clone() } else { format!("{}/{d}", b.context) }),
            tags: vec![s.image.clone()],
            target: b.target.clone(),
            build_args: b.args.iter().chain(extra_args).cloned().collect(),
            no_cache,
            progress: if quiet { "quiet".into() } else { "auto".into() },
            ..super::build::BuildOptions::default()
        };
        let built = super::build::build_with(host, options);
        out.stderr.extend_from_slice(&built.stderr);
        if built.code != 0 {
            out.code = built.code;
            return false;
        }
        if !quiet {
            out.stderr.extend_from_slice(format!(" ✔ Service {}  Built\n", s.name).as_bytes());
        }
    }
    true
}

/// Pulls the images of services that do not build (or all with `always`).
fn pull_services(services: &[&Service], always: bool, host: &dyn Host, out: &mut Output) -> bool {
    let Ok((mut store, _)) = crate::daemon::open(host) else { return false };
    for s in services {
        if (s.build.is_some() && store.resolve(&s.image).is_none()) || (!always && store.resolve(&s.image).is_some()) {
            continue;
        }
        match crate::image::pull::pull(&mut store, &crate::image::catalog::Catalog::embedded(), &s.image, host.remote()) {
            Ok(_) => out.stderr.extend_from_slice(format!(" ✔ {} Pulled\n", s.name).as_bytes()),
            Err(e) => {
                let why = match e {
                    crate::image::pull::PullError::InvalidReference(m) => m,
                    e => format!("Error response from daemon: {e}"),
                };
                out.stderr.extend_from_slice(format!(" ✘ {} Error {why}\n", s.name).as_bytes());
                out.code = 1;
                return false;
            }
        }
    }
    true
}

/// Runs a service's healthcheck in its container, as many times as it retries: healthy
/// when the test exits 0.
fn healthy(project: &Project, s: &Service, host: &dyn Host) -> Result<(), String> {
    let cname = project.container_name(s);
    let Some(check) = &s.healthcheck else { return Err(format!("dependency failed to start: container {cname} has no healthcheck configured")) };
    let argv: Vec<String> = match check.test.split_first() {
        Some((kind, rest)) if kind == "CMD" => rest.to_vec(),
        Some((kind, rest)) if kind == "CMD-SHELL" => vec!["/bin/sh".into(), "-c".into(), rest.join(" ")],
        _ => check.test.clone(),
    };
    for _ in 0..check.retries.max(1) {
        let Ok((mut store, mut containers)) = crate::daemon::open(host) else { break };
        let Some(c) = containers.find(&cname).cloned() else { break };
        if c.status != Status::Running {
            return Err(format!("dependency failed to start: container {cname} exited ({})", c.exit_code));
        }
        let options = crate::daemon::exec::ExecOptions { args: argv.clone(), ..Default::default() };
        if matches!(crate::daemon::exec::exec(&mut store, &mut containers, host, &c, &options), Ok((0, _, _))) {
            return Ok(());
        }
    }
    Err(format!("dependency failed to start: container {cname} is unhealthy"))
}

/// Waits for a dependency's container to exit, and says whether it did with 0.
fn completed(project: &Project, s: &Service, host: &dyn Host) -> Result<(), String> {
    let cname = project.container_name(s);
    let Ok((mut store, mut containers)) = crate::daemon::open(host) else { return Err("cannot read the containers".into()) };
    let Some(c) = containers.find(&cname).cloned() else { return Err(format!("no container for service {}", s.name)) };
    let code = if c.status == Status::Running {
        match crate::daemon::wait::wait(&mut store, &mut containers, &c, host) {
            Ok(crate::daemon::wait::Waited::Exited(code)) => code,
            Ok(_) => return Err(format!("service \"{}\" is still running and this host has no real time to wait in", s.name)),
            Err(e) => return Err(e.to_string()),
        }
    } else {
        c.exit_code
    };
    if code == 0 {
        Ok(())
    } else {
        Err(format!("service \"{}\" didn't complete successfully: exit {code}", s.name))
    }
}

fn up(project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let mut out = Output::ok("");
    let named = &p.args;
    let services = match chosen(project, profiles, named) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let services = if p.bool("no-deps") { services } else { with_dependencies(project, &services) };
    if !p.bool("no-build") && !build_services(&services, p.bool("build"), &[], false, false, host, &mut out) {
        return out;
    }
    if !pull_services(&services, p.value("pull") == Some("always"), host, &mut out) {
        return out;
    }
    let (mut store, mut containers) = match crate::daemon::open(host) {
        Ok(x) => x,
        Err(e) => return Output::fail(1, format!("berth: {e}\n")),
    };
    // The networks the services join: made where they are not there yet, labelled as
    // Compose labels them; an external one must be there.
    let used: Vec<&project::Resource> = project.networks.iter().filter(|n| services.iter().any(|s| s.networks.iter().any(|(k, _)| k == &n.key))).collect();
    let existing = crate::daemon::network::load(&containers, host.now()).unwrap_or_default();
    for n in used {
        if crate::daemon::network::find(&existing, &n.name).is_some_and(|e| e.name == n.name) {
            continue;
        }
        if n.external {
            out.stderr.extend_from_slice(format!("network {} declared as external, but could not be found\n", n.name).as_bytes());
            out.code = 1;
            return out;
        }
        let labels = [("com.docker.compose.network", n.key.clone()), ("com.docker.compose.project", project.name.clone())].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let o = crate::daemon::network::CreateOptions { labels, ..Default::default() };
        if let Err(e) = crate::daemon::network::create(&mut containers, &n.name, &o, host.now()) {
            out.stderr.extend_from_slice(format!(" ✘ Network {}  Error {e}\nError response from daemon: {e}\n", n.name).as_bytes());
            out.code = 1;
            return out;
        }
        out.stderr.extend_from_slice(format!(" ✔ Network {}  Created\n", n.name).as_bytes());
    }
    for v in &project.volumes {
        if v.external {
            if !containers.volumes().contains_key(&v.name) {
                out.stderr.extend_from_slice(format!("external volume \"{}\" not found\n", v.name).as_bytes());
                out.code = 1;
                return out;
            }
            continue;
        }
        if containers.volumes().contains_key(&v.name) {
            continue;
        }
        if let Err(e) = crate::daemon::volume::create(&mut containers, Some(&v.name), host.now()) {
            out.stderr.extend_from_slice(format!(" ✘ Volume \"{}\"  Error {e}\nError response from daemon: {e}\n", v.name).as_bytes());
            out.code = 1;
            return out;
        }
        out.stderr.extend_from_slice(format!(" ✔ Volume \"{}\"  Created\n", v.name).as_bytes());
    }
    let mut options = Vec::new();
    for s in &services {
        match create_options(project, s) {
            Ok(o) => options.push(o),
            Err(e) => return e,
        }
    }
    for s in &services {
        out.stderr.extend_from_slice(format!(" ✔ Container {}  Created\n", project.container_name(s)).as_bytes());
    }
    if p.bool("no-start") {
        for (s, o) in services.iter().zip(&options) {
            remove(&mut containers, &project.container_name(s), host);
            if let Err(f) = crate::daemon::create::create(host, &mut store, &mut containers, o) {
                return engine_error(f.error);
            }
        }
        return out;
    }
    // Each in dependency order: a dependency's condition is met before its dependents
    // start.
    let detach = p.bool("detach") || p.bool("wait");
    for (s, o) in services.iter().zip(&options) {
        for (d, condition) in &s.depends_on {
            let Some(dep) = project.service(d) else { continue };
            let met = match condition {
                Condition::Started => Ok(()),
                Condition::Healthy => healthy(project, dep, host),
                Condition::CompletedSuccessfully => completed(project, dep, host),
            };
            if let Err(e) = met {
                out.stderr.extend_from_slice(format!("{e}\n").as_bytes());
                out.code = 1;
                return out;
            }
            if *condition == Condition::Healthy && detach {
                out.stderr.extend_from_slice(format!(" ✔ Container {}  Healthy\n", project.container_name(dep)).as_bytes());
            }
        }
        let (mut store, mut containers) = match crate::daemon::open(host) {
            Ok(x) => x,
            Err(e) => return Output::fail(1, format!("berth: {e}\n")),
        };
        let cname = project.container_name(s);
        remove(&mut containers, &cname, host);
        let started = crate::daemon::create::create(host, &mut store, &mut containers, o).map_err(|f| f.error).and_then(|created| crate::daemon::start::start_detached(&mut store, &mut containers, &created.container, host));
        if let Err(e) = started {
            out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
            out.code = e.status();
            return out;
        }
        if detach {
            out.stderr.extend_from_slice(format!(" ✔ Container {cname}  Started\n").as_bytes());
        }
    }
    if p.bool("wait") {
        // Running, and healthy where a service has a healthcheck (it runs in the
        // container), as `up --wait` waits for them.
        for s in &services {
            let cname = project.container_name(s);
            let up = crate::daemon::open(host).ok().and_then(|(_, c)| c.find(&cname).map(|c| c.status == Status::Running)).unwrap_or(false);
            let ready = match (&s.healthcheck, up) {
                (_, false) => Err(format!("container {cname} exited")),
                (Some(_), true) => healthy(project, s, host).map(|()| "Healthy"),
                (None, true) => Ok("Running"),
            };
            match ready {
                Ok(state) => out.stderr.extend_from_slice(format!(" ✔ Container {cname}  {state}\n").as_bytes()),
                Err(e) => {
                    out.stderr.extend_from_slice(format!("{e}\n").as_bytes());
                    out.code = 1;
                    return out;
                }
            }
        }
    }
    if !detach {
        out.stdout.extend_from_slice(format!("Attaching to {}\n", services.iter().map(|s| format!("{}-1", s.name)).collect::<Vec<_>>().join(", ")).as_bytes());
        drop((store, containers));
        attach(project, &services, host, &mut out, p.bool("no-log-prefix"));
        if let Some(from) = p.value("exit-code-from") {
            if let Ok((_, containers)) = crate::daemon::open(host) {
                if let Some(c) = project.service(from).and_then(|s| containers.find(&project.container_name(s))) {
                    out.code = c.exit_code;
                }
            }
        }
    }
    out
}

fn ps(project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let services = match chosen(project, profiles, &p.args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if p.bool("services") {
        return Output::ok(services.iter().map(|s| format!("{}\n", s.name)).collect::<String>());
    }
    let Ok((_, containers)) = crate::daemon::open(host) else { return Output::fail(1, "berth: cannot read the containers\n") };
    let now = host.now();
    let statuses = p.values("status");
    let filter_status = p.value("filter").and_then(|f| f.strip_prefix("status=").map(str::to_string));
    let mut listed: Vec<(&crate::runtime::Container, &Service)> = containers.list.values().filter_map(|c| services.iter().find(|s| project.container_name(s) == c.name).map(|s| (c, *s))).collect();
    listed.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    listed.retain(|(c, _)| {
        let state = crate::daemon::list::state(c);
        (p.bool("all") || c.status == Status::Running || !statuses.is_empty() || filter_status.is_some()) && (statuses.is_empty() || statuses.contains(&state)) && filter_status.as_deref().is_none_or(|f| f == state)
    });
    if p.bool("quiet") {
        return Output::ok(listed.iter().map(|(c, _)| format!("{}\n", c.id)).collect::<String>());
    }
    let docs: Vec<Value> = listed
        .iter()
        .map(|(c, s)| {
            let command = format!("\"{}\"", c.argv.join(" "));
            let command = if p.bool("no-trunc") || command.chars().count() <= 20 { command } else { command.chars().take(19).collect::<String>() + "…\"" };
            serde_json::json!({"ID": c.id, "Name": c.name, "Image": c.image, "Command": command, "Project": project.name, "Service": s.name, "Created": format!("{} ago", super::format::human_duration(now - c.created)), "CreatedAt": crate::time::rfc3339(c.created), "State": crate::daemon::list::state(c), "Status": super::container::status_text(c, now), "ExitCode": c.exit_code, "Ports": "", "Labels": c.config.config.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")})
        })
        .collect();
    match p.value("format").unwrap_or("table") {
        "json" => Output::ok(docs.iter().map(|d| format!("{d}\n")).collect::<String>()),
        "table" => super::format::format_rows("table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.Created}}\t{{.Status}}\t{{.Ports}}", &[("Name", "NAME"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("Service", "SERVICE"), ("Created", "CREATED"), ("Status", "STATUS"), ("Ports", "PORTS")], &docs).map_or_else(super::format::template_error, Output::ok),
        f => super::format::format_rows(f, &[("Name", "NAME"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("Service", "SERVICE"), ("Created", "CREATED"), ("Status", "STATUS"), ("Ports", "PORTS"), ("ID", "ID"), ("State", "STATE")], &docs).map_or_else(super::format::template_error, Output::ok),
    }
}

fn logs(project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let services = match chosen(project, profiles, &p.args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if p.bool("follow") {
        let mut out = Output::ok("");
        attach(project, &services, host, &mut out, p.bool("no-log-prefix"));
        return out;
    }
    let Ok((_, containers)) = crate::daemon::open(host) else { return Output::fail(1, "berth: cannot read the containers\n") };
    let tail = match p.value("tail") {
        None | Some("all") => None,
        Some(n) => match n.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => return Output::fail(1, format!("invalid value for \"tail\": expected a number or \"all\", got \"{n}\"\n")),
        },
    };
    let width = services.iter().map(|s| s.name.len() + 2).max().unwrap_or(0);
    let mut out = Output::ok("");
    for s in &services {
        let Some(c) = containers.by_name(&project.container_name(s)) else { continue };
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
        let mut texts: Vec<(String, i64)> = Vec::new();
        for stream in ["stdout", "stderr"] {
            for line in lines.iter().filter(|l| l.stream == stream) {
                texts.extend(line.text.lines().map(|t| (t.to_string(), line.time)));
            }
        }
        let skip = tail.map_or(0, |n| texts.len().saturating_sub(n));
        for (text, time) in &texts[skip..] {
            let stamp = if p.bool("timestamps") { format!("{} ", crate::time::rfc3339_nanos(*time)) } else { String::new() };
            let line = if p.bool("no-log-prefix") { format!("{stamp}{text}\n") } else { format!("{label:<width$} | {stamp}{text}\n") };
            out.stdout.extend_from_slice(line.as_bytes());
        }
    }
    out
}

fn down(project: &Project, p: &Parsed, host: &dyn Host) -> Output {
    let Ok((_, mut containers)) = crate::daemon::open(host) else { return Output::fail(1, "berth: cannot read the containers\n") };
    let mut out = Output::ok("");
    // Every service's container, whatever the profiles (Compose's down takes them all).
    for s in project.services.iter().rev() {
        let cname = project.container_name(s);
        let grace = if p.changed("timeout") { p.int("timeout").max(0) as f64 } else { s.stop_grace_period.unwrap_or(10) as f64 };
        stop(host, &cname, grace);
        if let Ok((_, fresh)) = crate::daemon::open(host) {
            containers = fresh;
        }
        if crate::daemon::rm::remove(&mut containers, &cname, true, p.bool("volumes"), host).is_ok() {
            out.stderr.extend_from_slice(format!(" ✔ Container {cname}  Removed\n").as_bytes());
        }
    }
    if p.bool("volumes") {
        for v in project.volumes.iter().filter(|v| !v.external) {
            if crate::daemon::volume::remove(&mut containers, &v.name, host.now()).is_ok() {
                out.stderr.extend_from_slice(format!(" ✔ Volume {}  Removed\n", v.name).as_bytes());
            }
        }
    }
    if let Some(which) = p.value("rmi") {
        if !matches!(which, "local" | "all") {
            return Output::fail(1, format!("invalid value for --rmi: {which}\n"));
        }
        if let Ok((mut store, containers)) = crate::daemon::open(host) {
            for s in &project.services {
                // `local`: only the images Compose built and named after the project.
                if which == "local" && (s.build.is_none() || s.image != format!("{}-{}", project.name, s.name)) {
                    continue;
                }
                let in_use = |id: &crate::image::Digest| containers.using_image(id);
                if store.remove(&s.image, false, &in_use).is_ok() {
                    out.stderr.extend_from_slice(format!(" ✔ Image {}  Removed\n", s.image).as_bytes());
                }
            }
        }
    }
    // The project's own networks (not external ones), once nothing runs on them.
    if let Ok((_, mut containers)) = crate::daemon::open(host) {
        for n in project.networks.iter().filter(|n| !n.external) {
            if crate::daemon::network::remove(&mut containers, &n.name, host.now()).is_ok() {
                out.stderr.extend_from_slice(format!(" ✔ Network {}  Removed\n", n.name).as_bytes());
            }
        }
    }
    out
}

/// `config`: the merged, interpolated model as YAML (or JSON), or one of its lists.
fn config(project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let services = match chosen(project, profiles, &p.args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let lines = |items: Vec<String>| Output::ok(items.into_iter().map(|i| i + "\n").collect::<String>());
    if p.bool("services") {
        return lines(services.iter().map(|s| s.name.clone()).collect());
    }
    if p.bool("volumes") {
        return lines(project.volumes.iter().map(|v| v.key.clone()).collect());
    }
    if p.bool("networks") {
        return lines(project.networks.iter().map(|n| n.key.clone()).collect());
    }
    if p.bool("images") {
        return lines(services.iter().map(|s| s.image.clone()).collect());
    }
    if p.bool("profiles") {
        let mut all: Vec<String> = project.services.iter().flat_map(|s| s.profiles.clone()).collect();
        all.sort();
        all.dedup();
        return lines(all);
    }
    if p.bool("quiet") {
        return Output::ok("");
    }
    let mut model = project.model.clone();
    if let Some(m) = model.as_object_mut() {
        m.insert("name".into(), Value::String(project.name.clone()));
        m.remove("version");
        if let Some(Value::Object(svcs)) = m.get_mut("services") {
            svcs.retain(|k, _| services.iter().any(|s| &s.name == k));
        }
    }
    let text = match p.value("format").unwrap_or("yaml") {
        "json" => serde_json::to_string_pretty(&model).unwrap_or_default() + "\n",
        "yaml" => serde_yaml::to_string(&model).unwrap_or_default(),
        other => return Output::fail(1, format!("unsupported format {other:?}\n")),
    };
    match p.value("output") {
        Some(file) => match host.write_file(file, text.as_bytes()) {
            Ok(()) => Output::ok(""),
            Err(e) => Output::fail(1, format!("{e}\n")),
        },
        None => Output::ok(text),
    }
}

/// `exec SERVICE COMMAND…`: in the service's running container, as `docker exec` runs
/// it (a terminal where the front end has one and `-T` is not given).
fn exec(project: &Project, p: &Parsed, host: &dyn Host) -> Output {
    let Some((service, command)) = p.args.split_first() else { return EXEC.arity(p, 2, None).err().unwrap_or_default() };
    if command.is_empty() {
        return EXEC.arity(p, 2, None).err().unwrap_or_default();
    }
    let Some(s) = project.service(service) else { return Output::fail(1, format!("service \"{service}\" is not running\n")) };
    let cname = project.container_name(s);
    let Ok((mut store, mut containers)) = crate::daemon::open(host) else { return Output::fail(1, "berth: cannot read the containers\n") };
    let Some(c) = containers.find(&cname).cloned().filter(|c| c.status == Status::Running) else { return Output::fail(1, format!("service \"{service}\" is not running\n")) };
    let options = crate::daemon::exec::ExecOptions { args: command.to_vec(), env: p.values("env").iter().map(|e| e.to_string()).collect(), workdir: p.value("workdir").map(str::to_string), user: p.value("user").map(str::to_string), stdin: Vec::new(), detach: p.bool("detach") };
    match crate::daemon::exec::exec(&mut store, &mut containers, host, &c, &options) {
        Ok(_) if p.bool("detach") => Output::ok(""),
        Ok((code, stdout, stderr)) => Output { code, stdout, stderr },
        Err(crate::daemon::EngineError::Exec { message, status }) => Output::fail(status, format!("{message}\n")),
        Err(e) => engine_error(e),
    }
}

/// `run SERVICE [COMMAND…]`: a one-off container of the service (`<project>-<service>-run-<id>`),
/// its dependencies started first unless `--no-deps`; ports only with `--service-ports`.
fn run_one_off(project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let Some((service, command)) = p.args.split_first() else { return RUN.arity(p, 1, None).err().unwrap_or_default() };
    let Some(s) = project.service(service) else { return Output::fail(1, format!("no such service: {service}\n")) };
    let mut out = Output::ok("");
    if !p.bool("no-deps") && !s.depends_on.is_empty() {
        let deps: Vec<String> = s.depends_on.iter().map(|(d, _)| d.clone()).collect();
        let mut args: Vec<String> = vec!["--detach".into()];
        args.extend(deps);
        let Ok(parsed) = super::flags::parse(&UP, &args) else { return Output::fail(1, "berth: compose run: cannot start the dependencies\n") };
        let started = up(project, &parsed, profiles, host);
        out.stderr.extend_from_slice(&started.stderr);
        if started.code != 0 {
            out.code = started.code;
            return out;
        }
    }
    if !build_services(&[s], p.bool("build"), &[], false, false, host, &mut out) || !pull_services(&[s], p.value("pull") == Some("always"), host, &mut out) {
        return out;
    }
    let mut o = match create_options(project, s) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (mut store, mut containers) = match crate::daemon::open(host) {
        Ok(x) => x,
        Err(e) => return Output::fail(1, format!("berth: {e}\n")),
    };
    let id_part = containers.new_id(&format!("{}/{service}/run/{}", project.name, host.now()));
    o.name = Some(p.value("name").map_or_else(|| format!("{}-{service}-run-{}", project.name, &id_part[..12]), str::to_string));
    o.hostname = None;
    o.rm = p.bool("rm");
    if !command.is_empty() {
        o.args = command.to_vec();
        if s.entrypoint.as_ref().is_some_and(|e| e.len() > 1) {
            o.args.splice(0..0, s.entrypoint.as_ref().map(|e| e[1..].to_vec()).unwrap_or_default());
        }
    }
    if let Some(ep) = p.value("entrypoint") {
        o.entrypoint = Some(ep.to_string());
        o.args = command.to_vec();
    }
    o.env.extend(p.values("env").iter().map(|e| e.to_string()));
    o.user = p.value("user").map(str::to_string).or(o.user);
    o.workdir = p.value("workdir").map(str::to_string).or(o.workdir);
    o.volumes.extend(p.values("volume").iter().map(|v| v.to_string()));
    o.ports = if p.bool("service-ports") { o.ports } else { Vec::new() };
    o.ports.extend(p.values("publish").iter().map(|v| v.to_string()));
    o.labels.retain(|(k, _)| k != "com.docker.compose.oneoff");
    o.labels.push(("com.docker.compose.oneoff".into(), "True".into()));
    o.labels.extend(p.values("label").iter().map(|l| l.split_once('=').map_or((l.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string()))));
    let created = match crate::daemon::create::create(host, &mut store, &mut containers, &o) {
        Ok(c) => c,
        Err(f) => return engine_error(f.error),
    };
    if p.bool("detach") {
        return match crate::daemon::start::start_detached(&mut store, &mut containers, &created.container, host) {
            Ok(()) => Output { code: 0, stdout: format!("{}\n", o.name.unwrap_or_default()).into_bytes(), stderr: out.stderr },
            Err(e) => engine_error(e),
        };
    }
    let (executed, _) = crate::daemon::start::start_attached(&mut store, &mut containers, &created.container, host);
    match executed {
        Ok((code, stdout, stderr)) => {
            out.stdout.extend_from_slice(&stdout);
            out.stderr.extend_from_slice(&stderr);
            out.code = code;
            out
        }
        Err(e) => {
            out.stderr.extend_from_slice(&engine_error(e).stderr);
            out.code = 1;
            out
        }
    }
}

/// `stop`, `start`, `restart` and `rm` over the chosen services' containers.
fn lifecycle(verb: &str, project: &Project, p: &Parsed, profiles: &[String], host: &dyn Host) -> Output {
    let services = match chosen(project, profiles, &p.args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut out = Output::ok("");
    let grace = |s: &Service| if verb != "start" && verb != "rm" && p.changed("timeout") { p.int("timeout").max(0) as f64 } else { s.stop_grace_period.unwrap_or(10) as f64 };
    // Dependents stop before what they depend on; starting is the other way round.
    let order: Vec<&&Service> = if verb == "start" { services.iter().collect() } else { services.iter().rev().collect() };
    for s in order {
        let cname = project.container_name(s);
        let Ok((mut store, mut containers)) = crate::daemon::open(host) else { return Output::fail(1, "berth: cannot read the containers\n") };
        let Some(c) = containers.find(&cname).cloned() else { continue };
        let status = match verb {
            "stop" => stop(host, &cname, grace(s)).then_some("Stopped"),
            "start" if c.status != Status::Running => match crate::daemon::start::start(&mut store, &mut containers, &c, host) {
                Ok(_) => Some("Started"),
                Err(e) => {
                    out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                    out.code = 1;
                    None
                }
            },
            "restart" => match crate::daemon::start::restart(&mut store, &mut containers, &c, host, grace(s)) {
                Ok(_) => Some("Started"),
                Err(e) => {
                    out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                    out.code = 1;
                    None
                }
            },
            "rm" => {
                if c.status == Status::Running {
                    if !p.bool("stop") {
                        continue;
                    }
                    stop(host, &cname, grace(s));
                    if let Ok((_, fresh)) = crate::daemon::open(host) {
                        containers = fresh;
                    }
                }
                crate::daemon::rm::remove(&mut containers, &cname, true, p.bool("volumes"), host).is_ok().then_some("Removed")
            }
            _ => None,
        };
        if let Some(status) = status {
            out.stderr.extend_from_slice(format!(" ✔ Container {cname}  {status}\n").as_bytes());
        }
    }
    if verb == "rm" && out.stderr.is_empty() {
        out.stderr.extend_from_slice(b"No stopped containers\n");
    }
    out
}

/// The services of a Compose project as workloads, for `kube generate --compose`.
pub(super) fn workloads(host: &dyn Host, file: Option<&str>) -> Result<Vec<super::kube::Workload>, Output> {
    let project = project::load(host, &project::Options { files: file.map(str::to_string).into_iter().collect(), ..Default::default() })?;
    Ok(project
        .services
        .into_iter()
        .map(|s| super::kube::Workload {
            name: s.name,
            image: crate::image::store::normalize(&s.image).unwrap_or(s.image),
            command: s.entrypoint.unwrap_or_default(),
            args: s.command.unwrap_or_default(),
            env: s.environment,
            working_dir: s.working_dir,
            ports: s.ports,
            volumes: s.volumes,
            memory: s.memory,
            nano_cpus: s.nano_cpus,
            gpus: None,
            restart: s.restart.map(|r| r.split(':').next().unwrap_or_default().to_string()).unwrap_or_default(),
        })
        .collect())
}

/// `compose up` attached (and `logs -f`): the services' output as it comes, `web-1  |
/// …`, and each exit, until all have exited. Where the host has real time the services'
/// sleeps pass as it does and Ctrl-C stops them, as Compose does; elsewhere it shows what
/// they printed by now and leaves those still running up.
fn attach(project: &Project, services: &[&Service], host: &dyn Host, out: &mut Output, no_prefix: bool) {
    let width = services.iter().map(|s| s.name.len() + 2).max().unwrap_or(0);
    let follow = host.follow();
    // In real time everything is shown as it comes, status lines included.
    // The terminal shows text: what the services wrote is shown as text, as a terminal would.
    let mut pending = if follow.is_some() { String::from_utf8_lossy(&[std::mem::take(&mut out.stderr), std::mem::take(&mut out.stdout)].concat()).into_owned() } else { String::new() };
    let mut printed = vec![0usize; services.len()];
    let mut ended = vec![false; services.len()];
    loop {
        crate::daemon::start::catch_up(host);
        let Ok(storage) = host.storage() else { return };
        let Ok(containers) = crate::runtime::Containers::open(storage) else { return };
        for (i, s) in services.iter().enumerate() {
            let Some(c) = containers.by_name(&project.container_name(s)) else {
                ended[i] = true;
                continue;
            };
            let label = format!("{}-1", s.name);
            let lines = containers.logs(&c.id).unwrap_or_default();
            for line in &lines[printed[i].min(lines.len())..] {
                let text = line.text.trim_end_matches('\n');
                pending.push_str(&if no_prefix { format!("{text}\n") } else { format!("{label:<width$} | {text}\n") });
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
            for (i, s) in services.iter().enumerate().rev() {
                let cname = project.container_name(s);
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

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let global = match COMPOSE.read(args, 0, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let Some((command, rest)) = global.args.split_first() else { return Output::ok(HELP) };
    let table = match command.as_str() {
        "up" => &UP,
        "down" => &DOWN,
        "ps" => &PS,
        "logs" => &LOGS,
        "build" => &BUILD,
        "pull" => &PULL,
        "config" | "convert" => &CONFIG,
        "exec" => &EXEC,
        "run" => &RUN,
        "restart" => &RESTART,
        "stop" => &STOP,
        "start" => &START,
        "rm" => &RM,
        "help" => return Output::ok(HELP),
        other => return Output::fail(1, format!("unknown docker command: \"compose {other}\"\n")),
    };
    let p = match super::flags::parse(table, rest) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let mut profiles: Vec<String> = global.values("profile").iter().map(|p| p.to_string()).collect();
    if profiles.is_empty() {
        profiles = host.env_var("COMPOSE_PROFILES").map(|p| p.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect()).unwrap_or_default();
    }
    let options = project::Options {
        files: global.values("file").iter().map(|f| f.to_string()).collect(),
        name: global.value("project-name").map(str::to_string),
        env_file: global.value("env-file").map(str::to_string),
        project_directory: global.value("project-directory").map(str::to_string),
    };
    let project = match project::load(host, &options) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut out = match command.as_str() {
        "up" => up(&project, &p, &profiles, host),
        "down" => down(&project, &p, host),
        "ps" => ps(&project, &p, &profiles, host),
        "logs" => logs(&project, &p, &profiles, host),
        "build" => {
            let mut out = Output::ok("");
            match chosen(&project, &profiles, &p.args) {
                Ok(services) => {
                    let services = if p.bool("with-dependencies") { with_dependencies(&project, &services) } else { services };
                    let extra: Vec<String> = p.values("build-arg").iter().map(|a| a.to_string()).collect();
                    build_services(&services, true, &extra, p.bool("no-cache"), p.bool("quiet"), host, &mut out);
                }
                Err(e) => return e,
            }
            out
        }
        "pull" => {
            let mut out = Output::ok("");
            match chosen(&project, &profiles, &p.args) {
                Ok(services) => {
                    let services = if p.bool("include-deps") { with_dependencies(&project, &services) } else { services };
                    let services: Vec<&Service> = services.into_iter().filter(|s| !(p.bool("ignore-buildable") && s.build.is_some())).collect();
                    pull_services(&services, p.value("policy") != Some("missing"), host, &mut out);
                }
                Err(e) => return e,
            }
            out
        }
        "config" | "convert" => config(&project, &p, &profiles, host),
        "exec" => exec(&project, &p, host),
        "run" => run_one_off(&project, &p, &profiles, host),
        verb => lifecycle(verb, &project, &p, &profiles, host),
    };
    if !project.warnings.is_empty() {
        let mut seen = Vec::new();
        let warned: String = project.warnings.iter().filter(|w| !seen.contains(w) && { seen.push(*w); true }).map(|w| format!("WARN[0000] {w}\n")).collect();
        out.prepend_stderr(&warned);
    }
    out
}

const HELP: &str = "\
Usage:  docker compose [OPTIONS] COMMAND

Define and run multi-container applications with Docker

Options:
      --env-file stringArray       Specify an alternate environment file
  -f, --file stringArray           Compose configuration files
      --profile stringArray        Specify a profile to enable
      --project-directory string   Specify an alternate working directory
  -p, --project-name string        Project name

Commands:
  build       Build or rebuild services
  config      Parse, resolve and render compose file in canonical format
  down        Stop and remove containers, networks
  exec        Execute a command in a running container
  logs        View output from containers
  ps          List containers
  pull        Pull service images
  restart     Restart service containers
  rm          Removes stopped service containers
  run         Run a one-off command on a service
  start       Start services
  stop        Stop services
  up          Create and start containers

Run 'docker compose COMMAND --help' for more information on a command.
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
