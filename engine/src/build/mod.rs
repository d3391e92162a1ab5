//! `docker build`: runs a Dockerfile's stages over the image store. Each `RUN`, `COPY` and
//! `ADD` runs over the layers so far plus a fresh upper layer, which becomes the step's
//! layer; metadata instructions change the image config. Steps are cached the way BuildKit
//! keys them (parent, instruction after expansion, source content for COPY/ADD), and the
//! progress is printed in BuildKit's plain format.

mod context;
pub mod mounts;
pub mod progress;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::dockerfile::expand::EnvList;
use crate::dockerfile::instructions::{self, ArgDecl, CommandLine, Healthcheck, Instruction};
use crate::dockerfile::scope::{GlobalScope, Platform, StageScope};
use crate::dockerfile::{parse, Diagnostic};
use crate::image::catalog::Catalog;
use crate::image::digest::Digest;
use crate::image::layer::{layer_of, LayerBlob, LayerOptions};
use crate::image::oci::{EmptyObject, History, ImageConfig};
use crate::image::pull;
use crate::image::store::{normalize, ImageStore, StoreError};
use crate::vfs::{join, FileSystem, MemoryFs, OverlayFs};

pub use context::content_digest;

/// What to build.
pub struct BuildRequest<'a> {
    pub dockerfile: String,
    /// As the user named it (`Dockerfile`, `trainer.dockerfile`).
    pub dockerfile_name: String,
    /// The build context, its root at `/`.
    pub context: &'a dyn FileSystem,
    pub tags: Vec<String>,
    pub target: Option<String>,
    pub build_args: Vec<(String, String)>,
    /// `--label KEY=VALUE`: set on the final image, over the Dockerfile's labels.
    pub labels: Vec<(String, String)>,
    pub no_cache: bool,
    /// Seconds since the epoch, for `created`.
    pub now: i64,
    /// A monotonic clock in seconds for step timings; without one they print as 0.0.
    pub clock: Option<&'a dyn Fn() -> f64>,
    /// Called with each piece of the plain progress log as it is written.
    pub progress: Option<&'a dyn Fn(&str)>,
    /// `--runtime`: the backend each `RUN` runs on (empty: the default).
    pub runtime: String,
    /// Where a runtime on disk keeps its layers and containers (the host's state
    /// directory); `None` where there is none (a browser tab), and `RUN` stays emulated.
    pub disk: Option<std::path::PathBuf>,
    /// `--network`: `default`, `host` or `none`, for `RUN` steps that run natively.
    pub network: String,
    /// The host's network, for base images from a registry (`FROM 127.0.0.1:5000/app`).
    pub remote: Option<&'a dyn crate::image::distribution::Remote>,
    /// `--pull`: base images are pulled again even where the store has them.
    pub pull: bool,
    /// `--secret id=…`: what `RUN --mount=type=secret` gives the step, by id.
    pub secrets: Vec<(String, Vec<u8>)>,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildOutput {
    pub id: Option<Digest>,
    /// BuildKit's plain progress output.
    pub log: String,
    /// The final error line, Docker's wording (`failed to solve: …`).
    pub error: Option<String>,
}

use crate::image::store::CacheEntry;

/// Where the build stands within a stage.
struct StageState {
    /// Layer blob digests, bottom first.
    layers: Vec<Digest>,
    /// The layers unpacked, bottom first.
    fs_layers: Vec<Arc<MemoryFs>>,
    config: ImageConfig,
    key: Digest,
}

struct Progress<'a> {
    log: String,
    step: usize,
    /// Sees each piece of the log as it is written (a live display).
    sink: Option<&'a dyn Fn(&str)>,
}

impl Progress<'_> {
    fn push(&mut self, text: &str) {
        self.log.push_str(text);
        if let Some(sink) = self.sink {
            sink(text);
        }
    }

    fn start(&mut self, name: &str) -> usize {
        self.step += 1;
        self.push(&format!("\n#{} {name}\n", self.step));
        self.step
    }

    fn line(&mut self, n: usize, text: &str) {
        self.push(&format!("#{n} {text}\n"));
    }
}

fn fail(out: &mut BuildOutput, message: String) -> BuildOutput {
    out.error = Some(message);
    std::mem::take(out)
}

fn diagnostics_error(name: &str, source: &str, diags: &[Diagnostic]) -> Option<String> {
    let d = diags.iter().find(|d| d.is_error())?;
    let index = crate::dockerfile::LineIndex::new(source);
    let (line, _) = index.line_col(source, d.span.start);
    let _ = name;
    let suggestion = d.help.as_deref().filter(|h| h.starts_with("did you mean")).map(|h| format!(" ({h})")).unwrap_or_default();
    Some(format!("failed to solve: dockerfile parse error on line {line}: {}{suggestion}", d.message))
}

/// Runs a build.
pub fn build(store: &mut ImageStore, catalog: &Catalog, req: &BuildRequest) -> BuildOutput {
    let mut out = BuildOutput::default();
    let mut p = Progress { log: String::new(), step: 0, sink: req.progress };
    let n = p.start(&format!("[internal] load build definition from {}", req.dockerfile_name));
    p.line(n, &format!("transferring dockerfile: {}B done", req.dockerfile.len()));
    p.line(n, "DONE 0.0s");

    let (file, mut diags) = parse(&req.dockerfile);
    let (ins, more) = instructions::from_ast(&file);
    diags.extend(more);
    if let Some(e) = diagnostics_error(&req.dockerfile_name, &req.dockerfile, &diags) {
        out.log = p.log;
        return fail(&mut out, e);
    }
    let build_args = EnvList(req.build_args.clone());
    let meta: Vec<ArgDecl> = ins.meta_args.iter().flat_map(|a| a.value.clone()).collect();
    let mut global = match GlobalScope::new(&meta, &build_args, &Platform::default()) {
        Ok(g) => g,
        Err(e) => {
            out.log = p.log;
            return fail(&mut out, format!("failed to solve: {e}"));
        }
    };
    let target = match &req.target {
        None => ins.stages.len().saturating_sub(1),
        Some(t) => match ins.find_stage(t) {
            Some(i) => i,
            None => {
                out.log = p.log;
                let names: Vec<String> = ins.stages.iter().filter_map(|s| s.name.clone()).collect();
                let hint = crate::dockerfile::suggest::closest(t, names.iter().map(String::as_str), false).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
                return fail(&mut out, format!("failed to solve: target stage \"{t}\" could not be found{hint}"));
            }
        },
    };
    if ins.stages.is_empty() {
        out.log = p.log;
        return fail(&mut out, "failed to solve: dockerfile contains no stages to build".into());
    }
    // TARGETSTAGE: a built-in arg (visible once declared) naming the stage being built.
    let target_name = ins.stages.get(target).and_then(|s| s.name.clone()).unwrap_or_else(|| "default".into());
    global.values.set("TARGETSTAGE", &target_name);
    let needed = crate::dockerfile::instructions::needed_stages(&ins, target);
    if let Some(e) = check_stage_references(&ins) {
        out.log = p.log;
        return fail(&mut out, format!("failed to solve: {e}"));
    }

    // Base images: metadata first, as BuildKit reports it.
    let mut bases: BTreeMap<String, Digest> = BTreeMap::new();
    for &i in &needed {
        let stage = &ins.stages[i];
        let base = global.expand(&stage.base).unwrap_or_else(|_| stage.base.clone());
        if base == "scratch" || ins.stages[..i].iter().any(|s| s.name.as_deref() == Some(base.to_lowercase().as_str())) || bases.contains_key(&base) {
            continue;
        }
        let full = match normalize(&base) {
            Ok(f) => f,
            Err(e) => {
                out.log = p.log;
                return fail(&mut out, format!("failed to solve: failed to parse stage name \"{base}\": {e}"));
            }
        };
        let n = p.start(&format!("[internal] load metadata for {}", full.trim_end_matches(":latest").to_string() + if full.ends_with(":latest") { ":latest" } else { "" }));
        let id = match store.resolve(&full).map(|r| r.id.clone()).filter(|_| !req.pull) {
            Some(id) => id,
            None => match pull::pull(store, catalog, &base, req.remote) {
                Ok(pulled) => pulled.id,
                Err(_) => {
                    p.line(n, &format!("ERROR: {full}: not found"));
                    out.log = p.log;
                    return fail(&mut out, format!("failed to solve: {base}: failed to resolve source metadata for {full}: {full}: not found"));
                }
            },
        };
        p.line(n, "DONE 0.0s");
        bases.insert(base, id);
    }
    let n = p.start("[internal] load .dockerignore");
    // `<Dockerfile>.dockerignore` next to the Dockerfile wins over `.dockerignore`.
    let ignore_text = req
        .context
        .read(&format!("/{}.dockerignore", req.dockerfile_name))
        .or_else(|_| req.context.read("/.dockerignore"))
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    p.line(n, &format!("transferring context: {}B done", ignore_text.as_ref().map_or(2, |t| t.len())));
    p.line(n, "DONE 0.0s");
    let ignore = crate::dockerignore::DockerIgnore::parse(ignore_text.as_deref().unwrap_or(""));

    let mut finished: BTreeMap<usize, StageState> = BTreeMap::new();
    let mut context_loaded = false;
    let mut context_fs: Option<MemoryFs> = None;
    let multi = needed.len() > 1 || ins.stages.len() > 1;
    for &si in &needed {
        let stage = &ins.stages[si];
        let stage_label = if multi { format!("{} ", stage.name.clone().unwrap_or_else(|| format!("stage-{si}"))) } else { String::new() };
        let is_step = |i: &Instruction| matches!(i, Instruction::Run(_) | Instruction::Copy(_) | Instruction::Add(_) | Instruction::Workdir(_));
        let total = stage.instructions.iter().filter(|i| is_step(&i.value)).count() + 1;
        let mut step_no = 1;
        let base = global.expand(&stage.base).unwrap_or_else(|_| stage.base.clone());
        // FROM
        let parent_stage = ins.stages[..si].iter().position(|s| s.name.as_deref() == Some(base.to_lowercase().as_str()));
        let mut state = if base == "scratch" {
            StageState { layers: Vec::new(), fs_layers: Vec::new(), config: default_config(), key: Digest::of(b"scratch") }
        } else if let Some(parent) = ins.stages[..si].iter().position(|s| s.name.as_deref() == Some(base.to_lowercase().as_str())).and_then(|i| finished.get(&i)) {
            StageState { layers: parent.layers.clone(), fs_layers: parent.fs_layers.clone(), config: parent.config.clone(), key: parent.key.clone() }
        } else {
            let Some(id) = bases.get(&base).cloned() else {
                out.log = p.log;
                return fail(&mut out, format!("failed to solve: {base}: not found"));
            };
            // A base whose documents or layers cannot be used stops the build with why,
            // never an empty root filesystem.
            let base_of = |store: &mut ImageStore| -> Result<StageState, StoreError> {
                let config = store.config(&id)?;
                let record = store.record(&id).cloned().ok_or_else(|| StoreError::NotFound(id.to_string()))?;
                let layers: Vec<Digest> = store.manifest(&record)?.layers.into_iter().map(|l| l.digest).collect();
                let fs_layers = store.layers(&id)?;
                Ok(StageState { layers, fs_layers, config, key: id.clone() })
            };
            match base_of(store) {
                Ok(state) => state,
                Err(e) => {
                    out.log = p.log;
                    return fail(&mut out, format!("failed to solve: {base}: {e}"));
                }
            }
        };
        let from_text = if base == "scratch" {
            "scratch".to_string()
        } else {
            normalize(&base).unwrap_or(base.clone())
        };
        // ONBUILD triggers of an image base run first, as if written after FROM, and are
        // not passed on.
        let triggers = if parent_stage.is_none() { state.config.config.on_build.take().unwrap_or_default() } else { Vec::new() };
        let trigger_text = format!("FROM scratch\n{}\n", triggers.join("\n"));
        let (trigger_file, _) = parse(&trigger_text);
        let (trigger_ins, _) = instructions::from_ast(&trigger_file);
        let trigger_steps = if triggers.is_empty() { Vec::new() } else { trigger_ins.stages.first().map(|s| s.instructions.clone()).unwrap_or_default() };
        let total = total + trigger_steps.iter().filter(|i| is_step(&i.value)).count();
        let steps = trigger_steps.iter().map(|l| (l, &trigger_file.instructions[l.node], true)).chain(stage.instructions.iter().map(|l| (l, &file.instructions[l.node], false)));

        // BuildKit shows no vertex for a stage built on another stage: the state is shared.
        if parent_stage.is_none() {
            let n = p.start(&format!("[{stage_label}1/{total}] FROM {from_text}"));
            p.line(n, "DONE 0.0s");
        }

        let image_env = EnvList::from_pairs(&state.config.config.env);
        let mut scope = StageScope::new(&global, &build_args, image_env);
        let mut shell_cmd: Vec<String> = state.config.config.shell.clone().unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
        let mut cmd_set = false;
        for (located, node, is_trigger) in steps {
            if is_step(&located.value) {
                step_no += 1;
            }
            let step_name = format!("[{stage_label}{step_no}/{total}]");
            let started = req.clock.map_or(0.0, |c| c());
            let elapsed = || req.clock.map_or(0.0, |c| c() - started);
            let (source_name, source_text) = if is_trigger { ("ONBUILD", trigger_text.as_str()) } else { (req.dockerfile_name.as_str(), req.dockerfile.as_str()) };
            let expanded = match scope.apply(&located.value) {
                Ok(e) => e,
                Err(e) => {
                    out.log = p.log;
                    return fail(&mut out, format!("failed to solve: {e}"));
                }
            };
            let text = if is_trigger { format!("ONBUILD {}", node.original.trim()) } else { node.original.trim().to_string() };
            match &expanded {
                Instruction::Run(run) => {
                    let argv = run_argv(&run.command, &shell_cmd, &run.heredocs);
                    let mut env = scope.run_env();
                    // Proxy args reach RUN without an ARG line, in upper case, and stay out of
                    // the cache key, as BuildKit passes them.
                    let mut key = Digest::of(format!("{}|RUN|{}|{:?}", state.key, argv.join("\u{0}"), env.0).as_bytes());
                    if !run.mounts.is_empty() {
                        key = Digest::of(format!("{key}|{}", mounts::cache_key(&run.mounts)).as_bytes());
                    }
                    for (k, v) in &build_args.0 {
                        let upper = k.to_uppercase();
                        if crate::dockerfile::scope::PROXY_ARGS.contains(&k.as_str()) && env.get(&upper).is_none() {
                            env.set(&upper, v);
                        }
                    }
                    let n = p.start(&format!("{step_name} {text}"));
                    if from_cache(store, &mut state, &key, req.no_cache) {
                        p.line(n, "CACHED");
                        continue;
                    }
                    // What a step may write: the engine's default budget (`ENOSPC` past it).
                    let mut upper = MemoryFs::with_quota(crate::vfs::Quota::new(crate::vfs::quota::DEFAULT_LIMIT));
                    let mut binds: Vec<Box<dyn FileSystem>> = Vec::new();
                    for m in run.mounts.iter().filter(|m| m.kind == "bind") {
                        match source_fs(req, store, catalog, &ins, si, &finished, &mut context_fs, &ignore, m.from.as_deref()) {
                            Ok(fs) => binds.push(fs),
                            Err(e) => {
                                out.log = p.log;
                                return fail(&mut out, format!("failed to solve: {e}"));
                            }
                        }
                    }
                    let caches = mounts::cache_ids(&run.mounts).into_iter().filter_map(|id| Some((id.clone(), store.mount_cache(&id)?))).collect();
                    let lower = OverlayFs::new(state.fs_layers.clone(), MemoryFs::new());
                    let made = match mounts::make(&mut upper, &lower, &run.mounts, mounts::Sources { binds, caches, secrets: &req.secrets }) {
                        Ok(m) => m,
                        Err(e) => {
                            p.line(n, &format!("ERROR: {e}"));
                            out.log = p.log;
                            return fail(&mut out, format!("failed to solve: {e}"));
                        }
                    };
                    let (status, stdout, stderr) = run_step(req, &state, &mut upper, &argv, &env);
                    for (id, tar) in mounts::take_out(&mut upper, made) {
                        store.set_mount_cache(&id, &tar);
                    }
                    let mut shown = String::from_utf8_lossy(&stdout).into_owned();
                    shown.push_str(&String::from_utf8_lossy(&stderr));
                    let t = elapsed();
                    for line in shown.lines() {
                        p.line(n, &format!("{t:.3} {line}"));
                    }
                    if status != 0 {
                        let cmd = match &run.command {
                            CommandLine::Shell(s) => format!("{} {}", shell_cmd.join(" "), s),
                            CommandLine::Exec(v) => v.join(" "),
                        };
                        let err = format!("process \"{cmd}\" did not complete successfully: exit code: {status}");
                        p.line(n, &format!("ERROR: {err}"));
                        p.push(&format!("------\n > {step_name} {text}:\n"));
                        for line in shown.lines() {
                            p.push(&format!("{t:.3} {line}\n"));
                        }
                        p.push("------\n");
                        p.push(&source_excerpt(source_name, source_text, node.start_line, node.end_line));
                        out.log = p.log;
                        return fail(&mut out, format!("failed to solve: {err}"));
                    }
                    // BuildKit records the command as run, through the stage's shell.
                    // BuildKit records the stage's ARGs in front: `RUN |1 TOKEN=x /bin/sh -c …`.
                    let args = scope.run_history_args();
                    let prefix = if args.is_empty() { String::new() } else { format!("|{} {} ", args.len(), args.join(" ")) };
                    add_layer(store, &mut state, upper, &format!("RUN {prefix}{} # buildkit", argv.join(" ")), req.now);
                    p.line(n, &format!("DONE {:.1}s", elapsed()));
                    store.cache_put(&key, &cache_entry(&state));
                    state.key = key;
                }
                Instruction::Copy(c) | Instruction::Add(c) => {
                    let is_add = matches!(expanded, Instruction::Add(_));
                    if c.from.is_none() && !context_loaded {
                        let n = p.start("[internal] load build context");
                        p.line(n, &format!("transferring context: {} done", crate::units::human_size(context::size(req.context))));
                        p.line(n, "DONE 0.0s");
                        context_loaded = true;
                    }
                    let n = p.start(&format!("{step_name} {text}"));
                    // Where the files come from: the context, an earlier stage, or an image.
                    let from_fs = match source_fs(req, store, catalog, &ins, si, &finished, &mut context_fs, &ignore, c.from.as_deref()) {
                        Ok(fs) => fs,
                        Err(e) => {
                            out.log = p.log;
                            return fail(&mut out, format!("failed to solve: {e}"));
                        }
                    };
                    let workdir = state.config.config.working_dir.clone().unwrap_or_else(|| "/".into());
                    let c = &expand_heredocs(c, &scope);
                    let sources = match context::resolve_sources(&*from_fs, c) {
                        Ok(s) => s,
                        Err(missing) => {
                            let what = if is_add { "ADD" } else { "COPY" };
                            p.line(n, &format!("ERROR: failed to calculate checksum of ref: \"/{missing}\": not found"));
                            p.push(&source_excerpt(source_name, source_text, node.start_line, node.end_line));
                            out.log = p.log;
                            return fail(&mut out, format!("failed to solve: {what} failed: file not found in build context or excluded by .dockerignore: stat {missing}: file does not exist"));
                        }
                    };
                    let content_key = context::sources_digest(&*from_fs, &sources);
                    let key = Digest::of(format!("{}|{}|{}|{}|{:?}|{:?}|{}", state.key, if is_add { "ADD" } else { "COPY" }, c.dest, workdir, c.chown, c.chmod, content_key).as_bytes());
                    if from_cache(store, &mut state, &key, req.no_cache) {
                        p.line(n, "CACHED");
                        continue;
                    }
                    let mut overlay = OverlayFs::new(state.fs_layers.clone(), MemoryFs::with_quota(crate::vfs::Quota::new(crate::vfs::quota::DEFAULT_LIMIT)));
                    if let Err(e) = context::copy_into(&*from_fs, &sources, c, is_add, &workdir, &mut overlay) {
                        p.line(n, &format!("ERROR: {e}"));
                        out.log = p.log;
                        return fail(&mut out, format!("failed to solve: {e}"));
                    }
                    add_layer(store, &mut state, overlay.into_upper(), &format!("{text} # buildkit"), req.now);
                    p.line(n, &format!("DONE {:.1}s", elapsed()));
                    store.cache_put(&key, &cache_entry(&state));
                    state.key = key;
                }
                Instruction::Workdir(dir) => {
                    let n = p.start(&format!("{step_name} {text}"));
                    let current = state.config.config.working_dir.clone().unwrap_or_else(|| "/".into());
                    let path = join(&current, dir);
                    let key = Digest::of(format!("{}|WORKDIR|{path}", state.key).as_bytes());
                    if from_cache(store, &mut state, &key, req.no_cache) {
                        p.line(n, "CACHED");
                        continue;
                    }
                    state.config.config.working_dir = Some(path.clone());
                    // BuildKit creates the directory; the change is a layer only if it is new.
                    let mut overlay = OverlayFs::new(state.fs_layers.clone(), MemoryFs::new());
                    let existed = overlay.stat(&path).is_ok_and(|m| m.is_dir());
                    if !existed {
                        let _ = overlay.create_dir_all(&path, 0o755);
                        add_layer(store, &mut state, overlay.into_upper(), &text, req.now);
                    } else {
                        state.config.history.push(History { created: Some(crate::time::rfc3339(req.now)), created_by: Some(text.clone()), comment: Some("buildkit.dockerfile.v0".into()), empty_layer: true });
                    }
                    store.cache_put(&key, &cache_entry(&state));
                    state.key = key;
                    p.line(n, &format!("DONE {:.1}s", elapsed()));
                }
                other => {
                    // A metadata step (ENV, LABEL, CMD, …) is cached as BuildKit caches
                    // it: a rebuild takes the config as it was, history dates included,
                    // so a fully cached build gives the same image.
                    let recorded = history_text(other, &text, &shell_cmd);
                    apply_metadata(other, &mut state.config, &mut shell_cmd, &mut cmd_set);
                    // The key holds the config the step gave (its words expanded with
                    // this build's arguments), so a changed `--build-arg` is a new step.
                    let applied = serde_json::to_string(&state.config.config).unwrap_or_default();
                    let key = Digest::of(format!("{}|{}|{applied}", state.key, text).as_bytes());
                    if from_cache(store, &mut state, &key, req.no_cache) {
                        continue;
                    }
                    state.config.history.push(History { created: Some(crate::time::rfc3339(req.now)), created_by: Some(recorded), comment: Some("buildkit.dockerfile.v0".into()), empty_layer: true });
                    store.cache_put(&key, &cache_entry(&state));
                    state.key = key;
                }
            }
        }
        // ENV set through the scope goes into the image config.
        state.config.config.env = scope.env.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        finished.insert(si, state);
    }
    let Some(final_state) = finished.remove(&target) else {
        out.log = p.log;
        return fail(&mut out, "failed to solve: nothing to build".into());
    };
    let n = p.start("exporting to image");
    p.line(n, "exporting layers done");
    let mut config = final_state.config.clone();
    for (k, v) in &req.labels {
        config.config.labels.insert(k.clone(), v.clone());
    }
    // Made when its last step was: a build that is all cache hits gives the image it
    // gave before (the same ID, as BuildKit's), not a new one each second.
    let created = config.history.last().and_then(|h| h.created.clone()).unwrap_or_else(|| crate::time::rfc3339(req.now));
    config.created = Some(created.clone());
    let id = match store.add_built(&config, &final_state.layers, &req.tags, &created) {
        Ok(id) => id,
        Err(e) => {
            out.log = p.log;
            return fail(&mut out, format!("failed to solve: {e}"));
        }
    };
    p.line(n, &format!("writing image {id} done"));
    for t in &req.tags {
        p.line(n, &format!("naming to {} done", normalize(t).unwrap_or(t.clone())));
    }
    p.line(n, "DONE 0.0s");
    out.log = p.log;
    out.id = Some(id);
    out
}

/// Heredoc sources of `COPY`/`ADD` with an unquoted delimiter have their variables
/// expanded (quotes stay as they are), as BuildKit does.
fn expand_heredocs(c: &instructions::Copy, scope: &StageScope) -> instructions::Copy {
    let mut out = c.clone();
    for s in &mut out.sources {
        if let instructions::Source::Heredoc(h) = s {
            if h.expand {
                let mut lexer = crate::dockerfile::expand::Lexer::new('\\');
                lexer.skip_process_quotes = true;
                if let Ok(text) = lexer.expand_word(&h.body(), &scope.environment()) {
                    h.content = text;
                    h.chomp = false;
                }
            }
        }
    }
    out
}

/// `COPY --from` must name an earlier stage (or an image), without variables or cycles.
fn check_stage_references(ins: &instructions::Instructions) -> Option<String> {
    let deps = |i: usize| -> Vec<usize> {
        let mut v = Vec::new();
        let stage = &ins.stages[i];
        if let Some(j) = ins.find_stage(&stage.base) {
            v.push(j);
        }
        for located in &stage.instructions {
            if let Instruction::Copy(c) = &located.value {
                if let Some(j) = c.from.as_deref().and_then(|f| ins.find_stage(f)) {
                    v.push(j);
                }
            }
        }
        v
    };
    for (i, stage) in ins.stages.iter().enumerate() {
        for located in &stage.instructions {
            let Instruction::Copy(c) = &located.value else { continue };
            let Some(from) = &c.from else { continue };
            if from.contains('$') {
                return Some("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround".into());
            }
            let Some(j) = ins.find_stage(from) else { continue };
            if j < i {
                continue;
            }
            // Does the referenced stage lead back to this one?
            let mut seen = vec![false; ins.stages.len()];
            let mut todo = vec![j];
            let mut cycle = j == i;
            while let Some(k) = todo.pop() {
                if std::mem::replace(&mut seen[k], true) {
                    continue;
                }
                for d in deps(k) {
                    if d == i {
                        cycle = true;
                    }
                    todo.push(d);
                }
            }
            let this = stage.name.clone().unwrap_or_else(|| format!("stage-{i}"));
            if cycle {
                return Some(format!("circular dependency detected on stage: {this}"));
            }
            return Some(format!("cannot copy from stage \"{from}\", it needs to be defined before current stage \"{this}\""));
        }
    }
    None
}

fn default_config() -> ImageConfig {
    let mut c = ImageConfig::empty();
    c.config.env = vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()];
    c
}

fn cache_entry(state: &StageState) -> CacheEntry {
    CacheEntry { layers: state.layers.clone(), config: String::from_utf8_lossy(&state.config.to_bytes()).into_owned() }
}

/// Takes a step from the build cache when its key is there (and the cache is on).
fn from_cache(store: &mut ImageStore, state: &mut StageState, key: &Digest, no_cache: bool) -> bool {
    let hit = if no_cache { None } else { store.cache_get(key) };
    if hit.is_some_and(|hit| restore(store, state, &hit)) {
        state.key = key.clone();
        return true;
    }
    false
}

fn restore(store: &mut ImageStore, state: &mut StageState, hit: &CacheEntry) -> bool {
    let Ok(config) = serde_json::from_str::<ImageConfig>(&hit.config) else { return false };
    let mut fs_layers = Vec::new();
    for d in &hit.layers {
        match store.layer_fs(d) {
            Some(fs) => fs_layers.push(fs),
            None => return false,
        }
    }
    state.layers = hit.layers.clone();
    state.fs_layers = fs_layers;
    state.config = config;
    true
}

/// Stores the upper layer of a step as a new layer of the stage.
fn add_layer(store: &mut ImageStore, state: &mut StageState, upper: MemoryFs, created_by: &str, now: i64) {
    let blob: LayerBlob = layer_of(&upper, &LayerOptions { source_date_epoch: Some(now), ..LayerOptions::default() }).unwrap_or_else(|_| crate::image::layer::compress(Vec::new(), &LayerOptions::default()));
    let digest = store.put_layer(&blob, Arc::new(upper));
    state.layers.push(digest);
    state.fs_layers = {
        let mut v = state.fs_layers.clone();
        if let Some(fs) = store.layer_fs(state.layers.last().unwrap_or(&blob.digest)) {
            v.push(fs);
        }
        v
    };
    state.config.rootfs.diff_ids.push(blob.diff_id.clone());
    state.config.history.push(History { created: Some(crate::time::rfc3339(now)), created_by: Some(created_by.to_string()), comment: Some("buildkit.dockerfile.v0".into()), empty_layer: false });
}

fn run_argv(command: &CommandLine, shell: &[String], heredocs: &[crate::dockerfile::ast::Heredoc]) -> Vec<String> {
    match command {
        CommandLine::Exec(argv) => argv.clone(),
        CommandLine::Shell(cmd) => {
            let mut script = cmd.clone();
            // A heredoc body is part of the script the shell reads.
            for h in heredocs {
                let trimmed = cmd.trim();
                if trimmed == format!("<<{}", h.name) || trimmed == format!("<<-{}", h.name) || trimmed.starts_with("<<'") || trimmed.starts_with("<<\"") {
                    script = h.body();
                } else {
                    script.push('\n');
                    script.push_str(&h.content);
                    script.push_str(&h.name);
                }
            }
            let mut argv = shell.to_vec();
            argv.push(script);
            argv
        }
    }
}

/// Runs a `RUN` step's program over the stage's layers, writing into `upper`, as the
/// image's user in its working directory: status, stdout and stderr.
///
/// The step runs through a [`crate::runtime::Runtime`], as BuildKit's executor runs
/// `RUN` in a container. Without `--runtime` it is the backend a `docker run` of the
/// stage would get (`daemon::start::choose_runtime`'s rule): the native one where it
/// can run here and the step's program is a real one, the emulated one otherwise.
fn run_step(req: &BuildRequest, state: &StageState, upper: &mut MemoryFs, argv: &[String], env: &EnvList) -> (i32, Vec<u8>, Vec<u8>) {
    use crate::runtime::spec::{ContainerSpec, Namespace, ProcessSpec};
    use crate::runtime::RuntimeError;
    let mut overlay = OverlayFs::new(state.fs_layers.clone(), std::mem::take(upper));
    let user = state.config.config.user.as_deref().unwrap_or("");
    let process = ProcessSpec {
        terminal: false,
        user: crate::runtime::spec::User::resolve(&overlay, user),
        args: argv.to_vec(),
        env: env.0.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        cwd: state.config.config.working_dir.clone().filter(|w| !w.is_empty()).unwrap_or_else(|| "/".into()),
        ..ProcessSpec::default()
    };
    let mut spec = ContainerSpec::for_process(process);
    let name = if !req.runtime.is_empty() {
        req.runtime.as_str()
    } else if crate::runtime::NativeRuntime::unavailable().is_none() && req.disk.is_some() && crate::runtime::native::real_image(&spec, &overlay) {
        "native"
    } else {
        crate::runtime::DEFAULT_RUNTIME
    };
    let stdio = crate::runtime::Stdio { stdin: Vec::new(), terminal: crate::runtime::Terminal::default(), combined: true, started: req.now, console: Default::default() };
    let ran = match crate::runtime::select(name) {
        Err(e) => Err(e),
        Ok(mut r) if !r.on_disk() => {
            let ran = r.run(&spec, &mut overlay, stdio);
            *upper = overlay.into_upper();
            ran
        }
        Ok(mut r) => {
            *upper = overlay.into_upper();
            // BuildKit's sandbox: its own namespaces and hostname. Without bridge
            // networks the `default` network is the host's, as `--network host` has it.
            spec.hostname = "buildkitsandbox".into();
            for kind in ["pid", "ipc", "uts", "mount", "network", "cgroup"] {
                let host = kind == "network" && req.network != "none";
                spec.linux.namespaces.push(Namespace { kind: kind.into(), path: host.then(|| "/proc/1/ns/net".into()) });
            }
            match &req.disk {
                None => Err(RuntimeError::Unavailable { runtime: r.name(), reason: crate::runtime::NO_DISK }),
                Some(dir) => {
                    let layers = state.config.rootfs.diff_ids.iter().map(|d| d.to_string()).zip(state.fs_layers.iter().cloned().map(Some)).collect();
                    let root = crate::runtime::DiskRoot { dir: dir.clone(), id: step_id(&state.key, req), layers, upper, volumes: &mut BTreeMap::new() };
                    r.run_on_disk(&spec, root, stdio)
                }
            }
        }
    };
    match ran {
        Ok(ran) => (ran.status, ran.stdout, ran.stderr),
        // As the shell reports a missing program, in the step's log.
        Err(RuntimeError::ExecNotFound { argv0, in_path: false }) => (127, format!("runc run failed: unable to start container process: exec: \"{argv0}\": stat {argv0}: no such file or directory\n").into_bytes(), Vec::new()),
        Err(e) => (125, format!("{e}\n").into_bytes(), Vec::new()),
    }
}

/// Where `COPY --from` or a `bind` mount's files come from: the build context (`None`),
/// an earlier stage, or an image (pulled where the store lacks it). The error follows
/// `failed to solve: `.
#[allow(clippy::too_many_arguments)]
fn source_fs(req: &BuildRequest, store: &mut ImageStore, catalog: &Catalog, ins: &instructions::Instructions, si: usize, finished: &BTreeMap<usize, StageState>, context_fs: &mut Option<MemoryFs>, ignore: &crate::dockerignore::DockerIgnore, from: Option<&str>) -> Result<Box<dyn FileSystem>, String> {
    let Some(from) = from else {
        return Ok(Box::new(context_fs.get_or_insert_with(|| context::Filtered { fs: req.context, ignore }.snapshot()).clone()));
    };
    if let Some(st) = ins.find_stage(from).filter(|i| *i < si).and_then(|i| finished.get(&i)) {
        return Ok(Box::new(OverlayFs::new(st.fs_layers.clone(), MemoryFs::new())));
    }
    let id = match store.resolve(from).map(|r| r.id.clone()) {
        Some(id) => id,
        None => match pull::pull(store, catalog, from, req.remote) {
            Ok(pl) => pl.id,
            Err(_) => return Err(format!("{from}: failed to resolve source metadata for {}: not found", normalize(from).unwrap_or(from.to_string()))),
        },
    };
    match store.layers(&id) {
        Ok(layers) => Ok(Box::new(OverlayFs::new(layers, MemoryFs::new()))),
        Err(e) => Err(format!("{from}: {e}")),
    }
}

/// A fresh ID for the container a step runs in on disk (it names its directories and
/// cgroups): random where the host has a source of randomness.
fn step_id(key: &Digest, req: &BuildRequest) -> String {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_ok();
    if random {
        return bytes.iter().map(|b| format!("{b:02x}")).collect();
    }
    let clock = req.clock.map_or(0.0, |c| c());
    Digest::of(format!("{key}|{}|{clock}", req.now).as_bytes()).to_string().trim_start_matches("sha256:").to_string()
}



/// What BuildKit records as `created_by` for an instruction without a layer: values
/// expanded, commands as Go prints a string slice.
fn history_text(instruction: &Instruction, text: &str, shell: &[String]) -> String {
    let go_slice = |v: &[String]| format!("[{}]", v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(" "));
    match instruction {
        Instruction::Env(kvs) => format!("ENV {}", kvs.iter().map(|kv| format!("{}={}", kv.key, kv.value)).collect::<Vec<_>>().join(" ")),
        Instruction::Cmd(c) => format!("CMD {}", go_slice(&command_vec(c, shell))),
        Instruction::Entrypoint(c) => format!("ENTRYPOINT {}", go_slice(&command_vec(c, shell))),
        _ => text.to_string(),
    }
}

pub fn apply_metadata(instruction: &Instruction, config: &mut ImageConfig, shell: &mut Vec<String>, cmd_set: &mut bool) {
    let c = &mut config.config;
    match instruction {
        Instruction::Cmd(cmd) => {
            c.cmd = Some(command_vec(cmd, shell));
            *cmd_set = true;
        }
        Instruction::Entrypoint(cmd) => {
            c.entrypoint = Some(command_vec(cmd, shell));
            // ENTRYPOINT resets a CMD inherited from the base image, as Docker does.
            if !*cmd_set {
                c.cmd = None;
            }
        }
        Instruction::Shell(s) => {
            *shell = s.clone();
            c.shell = Some(s.clone());
        }
        Instruction::Label(kvs) => {
            for kv in kvs {
                c.labels.insert(kv.key.clone(), kv.value.clone());
            }
        }
        Instruction::Maintainer(m) => {
            config.author = Some(m.clone());
        }
        Instruction::User(u) => c.user = Some(u.clone()),
        Instruction::Volume(v) => {
            for p in v {
                c.volumes.insert(p.clone(), EmptyObject {});
            }
        }
        Instruction::Expose(ports) => {
            for p in ports {
                let key = if p.contains('/') { p.to_lowercase() } else { format!("{p}/tcp") };
                c.exposed_ports.insert(key, EmptyObject {});
            }
        }
        Instruction::StopSignal(s) => c.stop_signal = Some(s.clone()),
        Instruction::Healthcheck(h) => {
            c.healthcheck = Some(match h {
                Healthcheck::None => serde_json::json!({"Test": ["NONE"]}),
                Healthcheck::Cmd { test, interval_ms, timeout_ms, start_period_ms, retries, .. } => {
                    let mut t = match test {
                        CommandLine::Exec(v) => {
                            let mut x = vec!["CMD".to_string()];
                            x.extend(v.iter().cloned());
                            x
                        }
                        CommandLine::Shell(s) => vec!["CMD-SHELL".to_string(), s.clone()],
                    };
                    t.shrink_to_fit();
                    let ns = |ms: &Option<u64>| ms.map(|m| m * 1_000_000);
                    serde_json::json!({"Test": t, "Interval": ns(interval_ms), "Timeout": ns(timeout_ms), "StartPeriod": ns(start_period_ms), "Retries": retries})
                }
            })
        }
        Instruction::Onbuild { expression, .. } => c.on_build.get_or_insert_with(Vec::new).push(expression.clone()),
        _ => {}
    }
}

fn command_vec(cmd: &CommandLine, shell: &[String]) -> Vec<String> {
    match cmd {
        CommandLine::Exec(v) => v.clone(),
        CommandLine::Shell(s) => {
            let mut v = shell.to_vec();
            v.push(s.clone());
            v
        }
    }
}

/// Docker's excerpt of the Dockerfile around a failing instruction.
fn source_excerpt(name: &str, source: &str, start: usize, end: usize) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = format!("{name}:{start}\n--------------------\n");
    let from = start.saturating_sub(2).max(1);
    let to = (end + 1).min(lines.len());
    for n in from..=to {
        let marker = if n >= start && n <= end { ">>>" } else { "   " };
        out.push_str(&format!("{n:>4} | {marker} {}\n", lines.get(n - 1).copied().unwrap_or("")));
    }
    out.push_str("--------------------\n");
    out
}

