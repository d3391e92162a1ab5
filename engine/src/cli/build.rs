//! `berth build`: Docker's flags, BuildKit's plain progress on stderr, Docker's errors.

use super::flags::{flag, Command, Kind};
use super::{read_text, unknown_flag, Arg, Args, Host, Output};
use crate::build::{build, BuildRequest};
use crate::image::catalog::Catalog;
use crate::image::ImageStore;

/// `docker build`'s table: buildx's options (Docker 28 builds with BuildKit), the legacy
/// builder's hidden as buildx keeps them, and Berth's `--runtime`.
pub static BUILD: Command = Command {
    path: "build",
    usage: "[OPTIONS] PATH | URL | -",
    about: "Build an image from a Dockerfile",
    aliases: &["buildx build", "build", "builder build", "image build"],
    flags: &[
        flag("add-host", Kind::Strings, "Add a custom host-to-IP mapping (format: \"host:ip\")"),
        flag("allow", Kind::Strings, "Allow extra privileged entitlement (e.g., \"network.host\", \"security.insecure\")"),
        flag("annotation", Kind::StringArray, "Add annotation to the image"),
        flag("attest", Kind::StringArray, "Attestation parameters (format: \"type=sbom,generator=image\")"),
        flag("build-arg", Kind::StringArray, "Set build-time variables"),
        flag("build-context", Kind::StringArray, "Additional build contexts (e.g., name=path)"),
        flag("builder", Kind::String, "Override the configured builder instance (default \"default\")"),
        flag("cache-from", Kind::StringArray, "External cache sources (e.g., \"user/app:cache\", \"type=local,src=path/to/dir\")"),
        flag("cache-to", Kind::StringArray, "Cache export destinations (e.g., \"user/app:cache\", \"type=local,dest=path/to/dir\")"),
        flag("call", Kind::String, "Set method for evaluating build (\"check\", \"outline\", \"targets\")").default("build"),
        flag("cgroup-parent", Kind::String, "Set the parent cgroup for the \"RUN\" instructions during build"),
        flag("check", Kind::Bool, "Shorthand for \"--call=check\""),
        flag("debug", Kind::Bool, "Enable debug logging").short('D'),
        flag("file", Kind::String, "Name of the Dockerfile (default: \"PATH/Dockerfile\")").short('f'),
        flag("iidfile", Kind::String, "Write the image ID to a file"),
        flag("label", Kind::StringArray, "Set metadata for an image"),
        flag("load", Kind::Bool, "Shorthand for \"--output=type=docker\""),
        flag("metadata-file", Kind::String, "Write build result metadata to a file"),
        flag("network", Kind::String, "Set the networking mode for the \"RUN\" instructions during build").default("default"),
        flag("no-cache", Kind::Bool, "Do not use cache when building the image"),
        flag("no-cache-filter", Kind::StringArray, "Do not cache specified stages"),
        flag("output", Kind::StringArray, "Output destination (format: \"type=local,dest=path\")").short('o'),
        flag("platform", Kind::StringArray, "Set target platform for build"),
        flag("progress", Kind::String, "Set type of progress output (\"auto\", \"quiet\", \"plain\", \"tty\", \"rawjson\"). Use plain to show container output").default("auto"),
        flag("provenance", Kind::String, "Shorthand for \"--attest=type=provenance\""),
        flag("pull", Kind::Bool, "Always attempt to pull all referenced images"),
        flag("push", Kind::Bool, "Shorthand for \"--output=type=registry\""),
        flag("quiet", Kind::Bool, "Suppress the build output and print image ID on success").short('q'),
        flag("runtime", Kind::String, "Berth's own: the runtime of RUN steps (\"emulated\", \"native\"; default: native for a real image where it can run)"),
        flag("sbom", Kind::String, "Shorthand for \"--attest=type=sbom\""),
        flag("secret", Kind::StringArray, "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")"),
        flag("shm-size", Kind::Bytes, "Shared memory size for build containers"),
        flag("ssh", Kind::StringArray, "SSH agent socket or keys to expose to the build (format: \"default|<id>[=<socket>|<key>[,<key>]]\")"),
        flag("tag", Kind::StringArray, "Name and optionally a tag (format: \"name:tag\")").short('t'),
        flag("target", Kind::String, "Set the target build stage to build"),
        flag("ulimit", Kind::Custom("ulimit"), "Ulimit options"),
        // The legacy builder's, read and left alone as buildx does.
        flag("compress", Kind::Bool, "Compress the build context using gzip").hidden(),
        flag("cpu-period", Kind::Int, "Limit the CPU CFS (Completely Fair Scheduler) period").hidden(),
        flag("cpu-quota", Kind::Int, "Limit the CPU CFS (Completely Fair Scheduler) quota").hidden(),
        flag("cpu-shares", Kind::Int, "CPU shares (relative weight)").short('c').hidden(),
        flag("cpuset-cpus", Kind::String, "CPUs in which to allow execution (0-3, 0,1)").hidden(),
        flag("cpuset-mems", Kind::String, "MEMs in which to allow execution (0-3, 0,1)").hidden(),
        flag("force-rm", Kind::Bool, "Always remove intermediate containers").hidden(),
        flag("isolation", Kind::String, "Container isolation technology").hidden(),
        flag("memory", Kind::Bytes, "Memory limit").short('m').hidden(),
        flag("memory-swap", Kind::Bytes, "Swap limit equal to memory plus swap: -1 to enable unlimited swap").hidden(),
        flag("rm", Kind::Bool, "Remove intermediate containers after a successful build").default("true").hidden(),
        flag("security-opt", Kind::Strings, "Security options").hidden(),
        flag("squash", Kind::Bool, "Squash newly built layers into a single new layer").hidden(),
    ],
    interspersed: true,
};

/// Why `build` leaves an accepted option alone (printed as a warning), `None` for those
/// it applies.
fn not_applied(long: &str) -> Option<&'static str> {
    Some(match long {
        "add-host" | "allow" | "cgroup-parent" | "shm-size" | "ulimit" => "RUN steps get Berth's defaults for it",
        "annotation" | "attest" | "provenance" | "sbom" | "metadata-file" => "Berth's builds write no attestations or build metadata",
        "cache-from" | "cache-to" => "Berth's build cache is local only",
        "no-cache-filter" => "only --no-cache (all stages) is applied",
        "platform" => "Berth builds for the platform of its base images",
        "debug" | "compress" | "force-rm" | "rm" | "squash" | "isolation" | "cpu-period" | "cpu-quota" | "cpu-shares" | "cpuset-cpus" | "cpuset-mems" | "memory" | "memory-swap" | "security-opt" => "BuildKit leaves it alone too",
        _ => return None,
    })
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let mut tags = Vec::new();
    let mut file = None;
    let mut target = None;
    let mut build_args = Vec::new();
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut no_cache = false;
    let mut runtime = String::new();
    let mut network = String::from("default");
    let mut quiet = false;
    let mut pull = false;
    let mut secrets = Vec::new();
    let mut iidfile = None;
    let mut output = None;
    let mut progress = String::from("auto");
    let mut context = None;
    let mut warnings = String::new();
    let normalized = match super::flags::parse(&BUILD, args) {
        Ok(p) => p.normalized(),
        Err(out) => return out,
    };
    let args = &normalized[..];
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("--", _) => {
                match &args[it.pos..] {
                    [] => {}
                    [one] => context = Some(one.clone()),
                    _ => return Output::fail(1, "\"berth build\" requires exactly 1 argument.\nSee 'berth build --help'.\n\nUsage:  berth build [OPTIONS] PATH | URL | -\n"),
                }
                break;
            }
            Arg::Flag("--load", _) => {} // the image goes to Berth's store always
            Arg::Flag("--builder", v) => match it.value("--builder", v) {
                Ok("default") => {}
                Ok(other) => return Output::fail(1, format!("ERROR: no builder {other:?} found\n")),
                Err(e) => return e,
            },
            Arg::Flag("--push", _) => return Output::fail(1, "ERROR: Berth does not push from a build: build with -t NAME, then docker push NAME\n"),
            Arg::Flag("--ssh", _) => return Output::fail(1, "ERROR: --ssh: SSH agent forwarding is not available in Berth\n"),
            Arg::Flag("--build-context", _) => return Output::fail(1, "ERROR: --build-context: additional build contexts are not supported by Berth yet\n"),
            Arg::Flag(f @ ("--check" | "--call"), v) if f == "--check" || v != Some("build") => {
                return Output::fail(1, format!("ERROR: {f}: Berth evaluates builds only by building them; `berth lint` checks a Dockerfile\n"));
            }
            Arg::Flag("--call", _) => {}
            Arg::Flag(f, v) if not_applied(f.trim_start_matches('-')).is_some() => {
                let long = f.trim_start_matches('-');
                let shown = v.map_or_else(|| f.to_string(), |v| format!("{f}={v}"));
                warnings.push_str(&format!("WARNING: {shown} is not applied: {}\n", not_applied(long).unwrap_or_default()));
            }
            Arg::Flag("-t" | "--tag", v) => match it.value("--tag", v) {
                Ok(v) => tags.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-f" | "--file", v) => match it.value("--file", v) {
                Ok(v) => file = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--iidfile", v) => match it.value("--iidfile", v) {
                Ok(v) => iidfile = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-o" | "--output", v) => match it.value("--output", v) {
                Ok(v) => output = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--secret", v) => match it.value("--secret", v) {
                Ok(v) => secrets.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--target", v) => match it.value("--target", v) {
                Ok(v) => target = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--build-arg", v) => match it.value("--build-arg", v) {
                Ok(v) => build_args.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--label", v) => match it.value("--label", v) {
                Ok(v) => labels.push(match v.split_once('=') {
                    Some((k, val)) => (k.to_string(), val.to_string()),
                    None => (v.to_string(), String::new()),
                }),
                Err(e) => return e,
            },
            Arg::Flag("--progress", v) => match it.value("--progress", v) {
                Ok(mode @ ("auto" | "plain" | "tty" | "quiet")) => progress = mode.to_string(),
                Ok(other) => return Output::fail(1, format!("ERROR: invalid progress mode \"{other}\": valid values are auto, plain, tty and quiet\n")),
                Err(e) => return e,
            },
            Arg::Flag("--no-cache", _) => no_cache = true,
            Arg::Flag("--runtime", v) => match it.value("--runtime", v) {
                Ok(v) => runtime = v.to_string(),
                Err(e) => return e,
            },
            Arg::Flag("--network", v) => match it.value("--network", v) {
                Ok(mode @ ("default" | "host" | "none")) => network = mode.to_string(),
                Ok(other) => return Output::fail(1, format!("ERROR: network mode \"{other}\" not supported by buildkit\n")),
                Err(e) => return e,
            },
            Arg::Flag("-q" | "--quiet", _) => quiet = true,
            Arg::Flag("--pull", _) => pull = true,
            Arg::Flag("--rm" | "--force-rm", _) => {}
            Arg::Flag("-", _) => context = Some("-".to_string()),
            Arg::Flag(f, _) => return unknown_flag("build", f),
            Arg::Positional(p) => {
                if context.is_some() {
                    return Output::fail(1, "\"berth build\" requires exactly 1 argument.\nSee 'berth build --help'.\n\nUsage:  berth build [OPTIONS] PATH | URL | -\n");
                }
                context = Some(p.to_string());
            }
        }
    }
    let Some(context) = context else {
        return Output::fail(1, "ERROR: \"berth build\" requires exactly 1 argument.\nSee 'berth build --help'.\n\nUsage:  berth build [OPTIONS] PATH | URL | -\n\nBuild an image from a Dockerfile\n");
    };
    let mut out = build_with(host, BuildOptions { context, file, tags, target, build_args, labels, no_cache, runtime, network, quiet, progress, pull, secrets, iidfile, output });
    out.prepend_stderr(&warnings);
    out
}

/// A `--secret` spec read as buildx reads it: `id=ID,src=FILE` (also `source=`),
/// `id=ID,env=VAR`, with `type=file|env`; `id=ID` alone is the variable `ID` where one is
/// set, else the file `ID`.
fn read_secret(host: &dyn Host, spec: &str) -> Result<(String, Vec<u8>), String> {
    let (mut id, mut kind, mut src, mut env) = (None, None, None, None);
    for part in spec.split(',') {
        match part.split_once('=') {
            Some(("id", v)) => id = Some(v.to_string()),
            Some(("type", v)) => kind = Some(v.to_string()),
            Some(("src" | "source", v)) => src = Some(v.to_string()),
            Some(("env", v)) => env = Some(v.to_string()),
            _ => return Err(format!("failed to parse secret: unexpected key '{}' in '{part}'", part.split('=').next().unwrap_or(part))),
        }
    }
    let id = id.or_else(|| src.clone()).or_else(|| env.clone()).ok_or_else(|| format!("failed to parse secret: secret ID missing from \"{spec}\""))?;
    let from_env = |var: &str| std::env::var(var).map(String::into_bytes).map_err(|_| format!("secret {id}: environment variable {var} is not set"));
    let value = match (kind.as_deref(), src, env) {
        (Some("env"), src, env) => from_env(&env.or(src).unwrap_or_else(|| id.clone()))?,
        (_, None, Some(var)) => from_env(&var)?,
        (_, Some(file), _) => host.read_file(&file).map_err(|e| format!("failed to read secret {id}: {e}"))?,
        (_, None, None) => match std::env::var(&id) {
            Ok(v) => v.into_bytes(),
            Err(_) => host.read_file(&id).map_err(|e| format!("failed to read secret {id}: {e}"))?,
        },
    };
    Ok((id, value))
}

/// Where `--output` sends the result.
enum Export {
    /// The final stage's files, into this directory (made where missing).
    Local(String),
    /// The same files as one tar archive (`-` is stdout, which this build does not allow).
    Tar(String),
}

/// `-o` as buildx reads it: `type=local,dest=DIR`, `type=tar,dest=FILE`, or a bare `DIR`.
fn parse_output(spec: &str) -> Result<Export, String> {
    if !spec.contains('=') {
        return Ok(Export::Local(spec.to_string()));
    }
    let (mut kind, mut dest) = (None, None);
    for part in spec.split(',') {
        match part.split_once('=') {
            Some(("type", v)) => kind = Some(v),
            Some(("dest", v)) => dest = Some(v),
            _ => return Err(format!("failed to parse output: unexpected key in \"{part}\"")),
        }
    }
    let dest = dest.ok_or_else(|| format!("failed to parse output \"{spec}\": dest is required"))?;
    match kind.unwrap_or("local") {
        "local" => Ok(Export::Local(dest.to_string())),
        "tar" if dest == "-" => Err("an archive on stdout is not supported here: give a file (dest=out.tar)".into()),
        "tar" => Ok(Export::Tar(dest.to_string())),
        other => Err(format!("output type \"{other}\" is not supported (local, tar)")),
    }
}

/// Writes the image's files where `--output` says.
fn export(host: &dyn Host, store: &mut crate::image::store::ImageStore, id: &crate::image::Digest, to: &Export) -> Result<(), String> {
    use crate::vfs::{FileSystem, MemoryFs, OverlayFs};
    let layers = store.layers(id).map_err(|e| e.to_string())?;
    let merged = OverlayFs::new(layers, MemoryFs::new());
    match to {
        Export::Tar(file) => {
            let blob = crate::image::layer::layer_of(&merged, &crate::image::layer::LayerOptions::default()).map_err(|e| e.to_string())?;
            let tar = crate::image::archive::gunzip_if_needed(blob.data).map_err(|e| e.to_string())?;
            host.write_file(file, &tar)
        }
        Export::Local(dir) => {
            let path = dir.trim_end_matches('/');
            let (parent, name) = match path.rsplit_once('/') {
                Some(("", n)) => ("/", n),
                Some((p, n)) => (p, n),
                None => (".", path),
            };
            let mut parent_fs = host.bind(parent)?;
            if parent_fs.lstat(&format!("/{name}")).is_err() {
                parent_fs.create_dir(&format!("/{name}"), 0o755).map_err(|e| format!("{dir}: {e}"))?;
            }
            for e in merged.read_dir("/").map_err(|e| e.to_string())? {
                crate::vfs::walk::copy_tree(&merged, &format!("/{}", e.name), parent_fs.as_mut(), &format!("/{name}/{}", e.name)).map_err(|e| format!("{dir}: {e}"))?;
            }
            Ok(())
        }
    }
}

/// What `build` (or a compose service's `build:`) asks for, as typed options.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The context directory (`.`), or `-`.
    pub context: String,
    /// `-f`: the Dockerfile, relative to the current directory.
    pub file: Option<String>,
    pub tags: Vec<String>,
    pub target: Option<String>,
    /// `KEY=VALUE` or `KEY`.
    pub build_args: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub no_cache: bool,
    pub runtime: String,
    /// `--network`: `default`, `host` or `none` (empty: `default`).
    pub network: String,
    pub quiet: bool,
    /// `auto`, `plain`, `tty` or `quiet`.
    pub progress: String,
    /// `--pull`: pull base images again even where the store has them.
    pub pull: bool,
    /// `--secret` specs: `id=ID[,src=FILE]`, `id=ID,env=VAR`, `type=env|file,…`.
    pub secrets: Vec<String>,
    /// `--iidfile`: where the image ID is written.
    pub iidfile: Option<String>,
    /// `-o`/`--output`: `type=local,dest=DIR`, `type=tar,dest=FILE`, or `DIR`.
    pub output: Option<String>,
}

/// Builds what `o` asks for, with BuildKit's progress and Docker's errors.
pub fn build_with(host: &dyn Host, o: BuildOptions) -> Output {
    let BuildOptions { context: context_path, file, tags, target, build_args, labels, no_cache, runtime, network, quiet, progress, pull, secrets, iidfile, output } = o;
    let output = match output.as_deref().map(parse_output).transpose() {
        Ok(o) => o,
        Err(e) => return Output::fail(1, format!("ERROR: {e}\n")),
    };
    let mut secret_values = Vec::new();
    for spec in &secrets {
        match read_secret(host, spec) {
            Ok(s) => secret_values.push(s),
            Err(e) => return Output::fail(1, format!("ERROR: {e}\n")),
        }
    }
    for t in &tags {
        if let Err(e) = crate::image::store::normalize(t) {
            return Output::fail(1, format!("ERROR: invalid tag \"{t}\": {}\n", e.to_string().trim_start_matches("invalid reference format: ")));
        }
    }
    let context_fs = match host.context(&context_path) {
        Ok(fs) => fs,
        Err(e) => return Output::fail(1, format!("ERROR: unable to prepare context: {e}\n")),
    };
    let dockerfile_path = file.clone().unwrap_or_else(|| if context_path == "." { "Dockerfile".into() } else { format!("{}/Dockerfile", context_path.trim_end_matches('/')) });
    let dockerfile = match read_text(host, &dockerfile_path) {
        Ok(d) => d,
        Err(e) => return Output::fail(1, format!("ERROR: failed to solve: failed to read dockerfile: {e}\n")),
    };
    let storage = match host.storage() {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("berth: cannot open the state directory: {e}\n")),
    };
    let mut store = match ImageStore::open(storage) {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("berth: cannot read the image store: {e}\n")),
    };
    // A Dockerfile from stdin (`-f -`) is called `Dockerfile` in messages, as in Docker.
    let name = file.as_deref().filter(|f| *f != "-").map(|f| f.rsplit('/').next().unwrap_or(f).to_string()).unwrap_or_else(|| "Dockerfile".into());
    match crate::runtime::select(&runtime) {
        Err(e) => return Output::fail(1, format!("ERROR: {e}\n")),
        // A backend on disk needs the host's state directory and a kernel it can use.
        Ok(r) if r.on_disk() => {
            let e = match (host.native_dir(), crate::runtime::NativeRuntime::unavailable()) {
                (None, _) => Some(crate::runtime::RuntimeError::Unavailable { runtime: r.name(), reason: crate::daemon::start::NO_DISK }),
                (Some(_), Some(reason)) => Some(crate::runtime::RuntimeError::Unavailable { runtime: r.name(), reason }),
                (Some(_), None) => None,
            };
            if let Some(e) = e {
                return Output::fail(1, format!("ERROR: {e}\n"));
            }
        }
        Ok(_) => {}
    }
    let request = BuildRequest {
        dockerfile,
        dockerfile_name: name,
        context: context_fs.as_ref(),
        tags,
        target,
        build_args: build_args.iter().map(|a| match a.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (a.clone(), String::new()),
        }).collect(),
        labels,
        no_cache,
        now: host.now(),
        clock: Some(&|| host.monotonic()),
        progress: None,
        runtime: runtime.clone(),
        disk: host.native_dir(),
        network: if network.is_empty() { "default".into() } else { network },
        remote: host.remote(),
        pull,
        secrets: secret_values,
    };
    let tty = progress == "tty" || (progress == "auto" && host.terminal());
    let quiet = quiet || progress == "quiet";
    const HEADER: &str = "#0 building with \"default\" instance using docker driver\n";
    // Progress as it happens, where the host can show it: plain lines, or the tty view
    // redrawn in place.
    let started = host.monotonic();
    let log = std::cell::RefCell::new(String::from(HEADER));
    let drawn = std::cell::Cell::new(0usize);
    let streamed = std::cell::Cell::new(false);
    let sink = |chunk: &str| {
        log.borrow_mut().push_str(chunk);
        if tty {
            let frame = render_tty(&log.borrow(), host.monotonic() - started, false);
            let up = if drawn.get() > 0 { format!("\x1b[{}A\r\x1b[J", drawn.get()) } else { String::new() };
            if host.progress(&format!("{up}{frame}")) {
                drawn.set(frame.matches('\n').count());
                streamed.set(true);
            }
        } else if host.progress(chunk) {
            streamed.set(true);
        }
    };
    let request = BuildRequest { progress: if quiet { None } else { Some(&sink) }, ..request };
    if !quiet && !tty && host.progress(HEADER) {
        streamed.set(true);
    }
    let result = build(&mut store, &Catalog::embedded(), &request);
    host.build_log(&result.log);
    let mut stderr = if tty {
        let frame = render_tty(&format!("{HEADER}{}", result.log), host.monotonic() - started, true);
        if streamed.get() {
            // Replace the live view with the final one.
            let up = if drawn.get() > 0 { format!("\x1b[{}A\r\x1b[J", drawn.get()) } else { String::new() };
            let _ = host.progress(&format!("{up}{frame}"));
            String::new()
        } else {
            frame
        }
    } else if streamed.get() {
        String::new()
    } else {
        format!("{HEADER}{}", result.log)
    };
    match (result.id, result.error) {
        (Some(id), None) => {
            if let Some(path) = &iidfile {
                if let Err(e) = host.write_file(path, id.to_string().as_bytes()) {
                    return Output::fail(1, format!("{stderr}ERROR: failed to write image ID file: {e}\n"));
                }
            }
            if let Some(out) = &output {
                if let Err(e) = export(host, &mut store, &id, out) {
                    return Output::fail(1, format!("{stderr}ERROR: failed to export: {e}\n"));
                }
            }
            if quiet {
                Output::ok(format!("{id}\n"))
            } else {
                Output { code: 0, stdout: Vec::new(), stderr: stderr.into() }
            }
        }
        (_, error) => {
            if quiet {
                stderr.clear();
            }
            stderr.push_str(&format!("ERROR: {}\n", error.unwrap_or_else(|| "failed to solve".into())));
            Output { code: 1, stdout: Vec::new(), stderr: stderr.into() }
        }
    }
}

/// BuildKit's tty view of a plain progress log: a header, one line per step with its
/// time (`CACHED`, `ERROR` marked), sub-status lines, and after the steps what the log
/// says outside them (an error's output and Dockerfile excerpt).
pub fn render_tty(log: &str, elapsed: f64, finished: bool) -> String {
    struct Vertex {
        name: String,
        status: Vec<String>,
        state: Option<String>,
    }
    let mut vertices: Vec<(String, Vertex)> = Vec::new();
    let mut trailer = String::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            if !line.is_empty() {
                trailer.push_str(line);
                trailer.push('\n');
            }
            continue;
        };
        let Some((n, text)) = rest.split_once(' ') else { continue };
        if n == "0" {
            continue;
        }
        match vertices.iter_mut().find(|(id, _)| id == n) {
            None => vertices.push((n.to_string(), Vertex { name: text.to_string(), status: Vec::new(), state: None })),
            Some((_, v)) => {
                if text == "CACHED" {
                    v.state = Some("CACHED".into());
                } else if let Some(t) = text.strip_prefix("DONE ") {
                    v.state = Some(t.to_string());
                } else if let Some(t) = text.strip_prefix("ERROR") {
                    v.state = Some(format!("ERROR{t}"));
                } else if !text.starts_with(|c: char| c.is_ascii_digit()) {
                    v.status.push(text.trim_end_matches(" done").to_string());
                }
            }
        }
    }
    let done = vertices.iter().filter(|(_, v)| v.state.is_some()).count();
    let head = format!("[+] Building {elapsed:.1}s ({done}/{}){}", vertices.len(), if finished { " FINISHED" } else { "" });
    let mut out = format!("{head:<64}{:>16}\n", "docker:default");
    let fit = |label: &str, width: usize| -> String {
        if label.chars().count() <= width {
            format!("{label:<width$}")
        } else {
            label.chars().take(width.saturating_sub(1)).collect::<String>() + "…"
        }
    };
    for (_, v) in &vertices {
        let (prefix, time) = match v.state.as_deref() {
            Some("CACHED") => ("CACHED ", "0.0s".to_string()),
            Some(s) if s.starts_with("ERROR") => ("ERROR ", "0.0s".to_string()),
            Some(t) => ("", t.to_string()),
            None => ("", String::new()),
        };
        out.push_str(&format!(" => {} {time:>5}\n", fit(&format!("{prefix}{}", v.name), 70)));
        for st in &v.status {
            out.push_str(&format!(" => => {} {:>5}\n", fit(st, 67), if v.state.is_some() { "0.0s" } else { "" }));
        }
    }
    out.push_str(&trailer);
    out
}
