//! `docker create` (moby's `daemon/create.go`): the image resolved (pulled from the
//! catalog when it is missing), the name checked, the process from ENTRYPOINT and CMD,
//! the environment merged, the mounts and their volumes, and the record a runtime starts.

use super::EngineError;
use crate::host::Host;
use crate::image::catalog::Catalog;
use crate::image::store::familiar;
use crate::image::{pull, ImageStore};
use crate::runtime::{process_argv, Container, Containers, HostOptions, Mount, Status};

/// What `run`/`create` (or a compose service) asks for, as typed options.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The image as the user named it.
    pub image: String,
    /// The command after the image (replaces CMD).
    pub args: Vec<String>,
    pub name: Option<String>,
    pub rm: bool,
    /// `KEY=VALUE`, or `KEY` for an empty value.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub entrypoint: Option<String>,
    /// `-v` specs: `name:/path[:ro]`, `/host:/path`, `/path` (anonymous).
    pub volumes: Vec<String>,
    /// Bind sources given with `--mount type=bind` (written into `volumes` as `-v`
    /// specs): these must exist; a `-v` bind source that is missing is made.
    pub binds_must_exist: Vec<String>,
    pub ports: Vec<String>,
    pub hostname: Option<String>,
    pub host: HostOptions,
    /// `--pull`: `always`, `never`, or `missing` (also when empty).
    pub pull: String,
    /// `--platform`, for the pull.
    pub platform: Option<String>,
    /// `-t` and `-i`.
    pub tty: bool,
    pub open_stdin: bool,
    /// `--label`: over the image's labels.
    pub labels: Vec<(String, String)>,
    /// `--expose`: `80`, `80/udp`, `8000-8002`.
    pub expose: Vec<String>,
    /// `--stop-signal`: over the image's `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `--network-alias`, `--ip`: on the container's network (`host_config.network`).
    pub network_aliases: Vec<String>,
    pub ip: Option<String>,
    /// More networks it joins, with their aliases (a compose service's others).
    pub extra_networks: Vec<(String, Vec<String>)>,
}

/// A created container, and the pull progress that was not shown as it happened.
pub struct Created {
    pub container: Container,
    pub prelude: String,
}

/// Why a container was not created, with the pull progress shown before the error.
pub struct Failed {
    pub prelude: String,
    pub error: EngineError,
}

/// The container `o` describes: its record (Running from now; the caller records it,
/// as Created where it does not start it) with its named and anonymous volumes created.
pub fn create(host: &dyn Host, store: &mut ImageStore, containers: &mut Containers, o: &CreateOptions) -> Result<Created, Failed> {
    let mut prelude = String::new();
    let present = store.resolve(&o.image).map(|r| r.id.clone()).filter(|_| o.pull != "always");
    if present.is_none() && o.pull == "never" {
        let shown = crate::image::store::normalize(&o.image).map(|f| familiar(&f)).unwrap_or(o.image.clone());
        return Err(Failed { prelude, error: EngineError::Invalid(format!("No such image: {shown}")) });
    }
    let image_id = match present {
        Some(id) => id,
        None => {
            let shown = crate::image::store::normalize(&o.image).map(|f| familiar(&f)).unwrap_or(o.image.clone());
            // Shown first, as Docker does, where the host streams pull progress.
            if o.pull != "always" {
                let unable = format!("Unable to find image '{shown}' locally\n");
                if !host.pull_progress(&unable) {
                    prelude.push_str(&unable);
                }
            }
            match pull::pull_for(store, &Catalog::embedded(), &o.image, host.remote(), o.platform.as_deref(), false) {
                Ok(p) => {
                    // The full reference `docker pull` ends with is not shown by `run`.
                    let shown = p.lines.len().saturating_sub(1);
                    let lines = p.lines.into_iter().take(shown).filter(|l| l != "Using default tag: latest");
                    prelude.push_str(&lines.map(|l| format!("{l}\n")).filter(|l| !host.pull_progress(l)).collect::<String>());
                    p.id
                }
                Err(pull::PullError::InvalidReference(m)) => return Err(Failed { prelude, error: EngineError::Usage(m) }),
                Err(e) => return Err(Failed { prelude, error: EngineError::Invalid(e.to_string()) }),
            }
        }
    };
    // Docker checks the runtime's name when it creates the container; a known runtime
    // that cannot run here says so when the container starts.
    if let Err(e) = crate::runtime::select(&o.host.runtime) {
        return Err(Failed { prelude, error: EngineError::Invalid(e.to_string()) });
    }
    if let Some(name) = &o.name {
        if let Err(e) = super::names::container(name) {
            return Err(Failed { prelude, error: EngineError::Invalid(e) });
        }
        if let Some(existing) = containers.by_name(name.trim_start_matches('/')) {
            return Err(Failed { prelude, error: EngineError::Invalid(format!("Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name", existing.id)) });
        }
    }
    let mut config = store.config(&image_id).unwrap_or_else(|_| crate::image::oci::ImageConfig::empty());
    for (k, v) in &o.labels {
        config.config.labels.insert(k.clone(), v.clone());
    }
    for e in &o.expose {
        let (ports, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (lo, hi) = ports.split_once('-').unwrap_or((ports, ports));
        let (Ok(lo), Ok(hi)) = (lo.parse::<u16>(), hi.parse::<u16>()) else {
            return Err(Failed { prelude, error: EngineError::Usage(format!("invalid range format for --expose: {e}, error: invalid port")) });
        };
        for port in lo..=hi.max(lo) {
            config.config.exposed_ports.insert(format!("{port}/{proto}"), Default::default());
        }
    }
    if let Some(signal) = &o.stop_signal {
        config.config.stop_signal = Some(signal.clone());
    }
    let argv = process_argv(&config, o.entrypoint.as_deref(), &o.args);
    if argv.is_empty() {
        return Err(Failed { prelude, error: EngineError::Invalid("No command specified".into()) });
    }
    let mut env = config.config.env.clone();
    for e in &o.env {
        let (k, v) = match e.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (e.clone(), String::new()),
        };
        env.retain(|x| x.split('=').next() != Some(k.as_str()));
        env.push(format!("{k}={v}"));
    }
    let id = containers.new_id(&format!("{image_id}/{}/{}", argv.join(" "), host.now()));
    let name = o.name.as_deref().map(|n| n.trim_start_matches('/').to_string()).unwrap_or_else(|| containers.new_name(&id));
    let working_dir = o.workdir.clone().or(config.config.working_dir.clone()).filter(|w| !w.is_empty()).unwrap_or_else(|| "/".into());
    let mut mount_specs = Vec::new();
    for v in &o.volumes {
        let parts: Vec<&str> = v.split(':').collect();
        let (source, target, opts) = match parts.as_slice() {
            [t] => (String::new(), t.to_string(), ""),
            [s, t] => (s.to_string(), t.to_string(), ""),
            [s, t, opts] => (s.to_string(), t.to_string(), *opts),
            _ => return Err(Failed { prelude, error: EngineError::Invalid(format!("invalid volume specification: '{v}'")) }),
        };
        let (mut ro, mut propagation) = (false, String::new());
        for opt in opts.split(',').filter(|o| !o.is_empty()) {
            match opt {
                "ro" => ro = true,
                "rw" | "z" | "Z" | "nocopy" | "consistent" | "cached" | "delegated" => {}
                "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => propagation = opt.to_string(),
                _ => return Err(Failed { prelude, error: EngineError::Invalid(format!("invalid mode: {opt}")) }),
            }
        }
        if !target.starts_with('/') {
            return Err(Failed { prelude, error: EngineError::Invalid(format!("invalid volume specification: '{v}': invalid mount config for type \"bind\": invalid mount path: '{target}' mount path must be absolute")) });
        }
        let kind = if source.starts_with('/') || source.starts_with('.') { "bind" } else { "volume" };
        let anonymous = source.is_empty();
        if kind == "volume" && !anonymous {
            if let Err(e) = super::names::volume(&source) {
                return Err(Failed { prelude, error: EngineError::Invalid(e) });
            }
        }
        let source = if anonymous { containers.new_id(&format!("volume/{id}/{target}")) } else { source };
        if kind == "volume" {
            let _ = containers.register_volume(&source, host.now(), anonymous);
        }
        if !propagation.is_empty() && kind != "bind" {
            return Err(Failed { prelude, error: EngineError::Invalid(format!("invalid volume specification: '{v}': invalid mount config for type \"volume\": field BindOptions must not be specified")) });
        }
        let create_source = kind == "bind" && !o.binds_must_exist.contains(&source);
        mount_specs.push(Mount { kind: kind.into(), source, target, read_only: ro, propagation, create_source });
    }
    let mut container = Container {
        id: id.clone(),
        name,
        image: o.image.clone(),
        image_id: image_id.clone(),
        argv: argv.clone(),
        env,
        working_dir,
        user: o.user.clone().or(config.config.user.clone()).unwrap_or_default(),
        hostname: o.hostname.clone().unwrap_or_else(|| id[..12].to_string()),
        mounts: mount_specs,
        ports: o.ports.clone(),
        created: host.now(),
        started: Some(host.now()),
        finished: None,
        status: Status::Running,
        exit_code: 0,
        auto_remove: o.rm,
        host_config: crate::runtime::HostOptions { network: if o.host.network.is_empty() { "default".into() } else { o.host.network.clone() }, ..o.host.clone() },
        config,
        suspended: None,
        restart_count: 0,
        manually_stopped: false,
        restart_at_ms: None,
        restart_delay_ms: 0,
        oom_killed: false,
        paused: false,
        tty: o.tty,
        open_stdin: o.open_stdin,
        attach_on_start: false,
        networks: std::collections::BTreeMap::new(),
    };
    let mode = container.host_config.network.clone();
    if let Err(error) = super::network::initial(containers, &mut container, &mode, &o.network_aliases, o.ip.as_deref(), host.now()) {
        return Err(Failed { prelude, error });
    }
    for (name, aliases) in &o.extra_networks {
        if let Err(error) = super::network::initial(containers, &mut container, name, aliases, None, host.now()) {
            return Err(Failed { prelude, error });
        }
    }
    super::events::container(containers, &container, "create", &[], host.now());
    Ok(Created { container, prelude })
}

/// Records a created container that has not started (`docker create`, or a `run` whose
/// start failed after creation, which Docker leaves in `ps -a` as Created).
pub fn record(containers: &mut Containers, container: &Container) -> Result<(), EngineError> {
    let mut record = container.clone();
    record.status = Status::Created;
    record.started = None;
    containers.list.insert(record.id.clone(), record);
    containers.save().map_err(EngineError::State)
}
