//! A Compose project as the compose specification defines it: the files found as Docker
//! Compose finds them (`compose.yaml`, `compose.yml`, `docker-compose.yml`,
//! `docker-compose.yaml`, in the current folder or a parent, with a `*.override.*` file
//! beside; or every `-f` given, merged in order), `.env` and the caller's environment
//! interpolated (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$`), the project name (`-p`,
//! `COMPOSE_PROJECT_NAME`, `name:`, the folder), profiles, and each service read into
//! the typed [`Service`] the commands run.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::super::{Host, Output};

const FILES: &[&str] = &["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

/// What the command line says of the project (`compose -f … -p … --profile …`).
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub files: Vec<String>,
    pub name: Option<String>,
    pub env_file: Option<String>,
    pub project_directory: Option<String>,
}

/// When a service may start after one it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

#[derive(Debug, Clone, Default)]
pub struct Build {
    pub context: String,
    pub dockerfile: Option<String>,
    pub args: Vec<String>,
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or a string (a shell command); `NONE` disables.
    pub test: Vec<String>,
    pub retries: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Service {
    pub name: String,
    pub image: String,
    pub build: Option<Build>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub environment: Vec<String>,
    /// `-p` specs (`[ip:]host:container[/proto]`).
    pub ports: Vec<String>,
    /// `-v` specs, relative bind sources made relative to the project folder and named
    /// volumes given their project-scoped name.
    pub volumes: Vec<String>,
    pub tmpfs: Vec<String>,
    pub depends_on: Vec<(String, Condition)>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<String>,
    pub profiles: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub container_name: Option<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    pub expose: Vec<String>,
    /// `deploy.resources.limits.memory` (or `mem_limit`), bytes.
    pub memory: u64,
    /// `deploy.resources.limits.cpus` (or `cpus`), nano-CPUs.
    pub nano_cpus: u64,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<i64>,
    /// The networks it joins, by key, with their aliases (`default` when none is given,
    /// none with a `network_mode`).
    pub networks: Vec<(String, Vec<String>)>,
    /// `network_mode: host|none|…`.
    pub network_mode: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    /// The key in the file.
    pub key: String,
    /// The engine's name: `<project>_<key>`, or `name:`, or the key of an external one.
    pub name: String,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    /// Every service in dependency order (dependencies first, then file order).
    pub services: Vec<Service>,
    pub volumes: Vec<Resource>,
    pub networks: Vec<Resource>,
    /// The merged, interpolated model, for `config`.
    pub model: Value,
    /// Warnings to show (`The "X" variable is not set`).
    pub warnings: Vec<String>,
}

impl Project {
    /// The services the profiles enable (and those named, which enable themselves).
    pub fn active(&self, profiles: &[String], named: &[String]) -> Vec<&Service> {
        self.services.iter().filter(|s| s.profiles.is_empty() || s.profiles.iter().any(|p| profiles.contains(p) || p == "*") || named.contains(&s.name)).collect()
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The container of a service: `container_name`, else `<project>-<service>-1`.
    pub fn container_name(&self, s: &Service) -> String {
        s.container_name.clone().unwrap_or_else(|| format!("{}-{}-1", self.name, s.name))
    }
}

/// Reads the project: its files, merged and interpolated, then its services.
pub fn load(host: &dyn Host, options: &Options) -> Result<Project, Output> {
    let fail = |m: String| Output::fail(1, format!("{m}\n"));
    let files = if options.files.is_empty() { find(host)? } else { options.files.clone() };
    let first_dir = dir_of(&files[0]);
    let dir = options.project_directory.clone().unwrap_or_else(|| first_dir.clone());
    // `.env` in the project folder (or `--env-file`); the caller's environment wins.
    let env_path = options.env_file.clone().unwrap_or_else(|| join(&dir, ".env"));
    let mut dotenv = BTreeMap::new();
    match super::super::read_text(host, &env_path) {
        Ok(text) => dotenv = parse_env_file(&text),
        Err(e) if options.env_file.is_some() => return Err(fail(format!("couldn't find env file: {env_path}: {e}"))),
        Err(_) => {}
    }
    let lookup = |name: &str| host.env_var(name).or_else(|| dotenv.get(name).cloned());
    let mut warnings = Vec::new();
    let mut model = Value::Object(Map::new());
    for f in &files {
        let text = super::super::read_text(host, f).map_err(|e| fail(format!("open {f}: {}", e.trim_start_matches(&format!("open {f}: ")))))?;
        let doc = super::parse_yaml(&text).map_err(|e| fail(format!("yaml: {f}: {e}")))?;
        if !doc.is_object() {
            return Err(fail(format!("{f}: Top-level object must be a mapping")));
        }
        let doc = interpolate_value(doc, &lookup, &mut warnings).map_err(|e| fail(format!("{f}: {e}")))?;
        merge(&mut model, normalize(doc), "");
    }
    let name = options.name.clone().or_else(|| host.env_var("COMPOSE_PROJECT_NAME")).or_else(|| model.get("name").and_then(Value::as_str).map(str::to_string)).unwrap_or_else(|| if dir == "." { host.cwd_name() } else { dir.trim_end_matches('/').rsplit('/').next().unwrap_or("project").to_string() });
    let name: String = name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    if name.is_empty() {
        return Err(fail("project name must not be empty".into()));
    }
    let Some(Value::Object(services)) = model.get("services").cloned() else {
        return Err(fail(format!("{}: services must be a mapping", files[0])));
    };
    let resources = |key: &str| -> Vec<Resource> {
        model.get(key).and_then(Value::as_object).map_or_else(Vec::new, |m| {
            m.iter()
                .map(|(k, v)| {
                    let external = v.get("external").is_some_and(|e| e.as_str() == Some("true") || e.is_object());
                    let given = v.get("name").and_then(Value::as_str).map(str::to_string);
                    Resource { key: k.clone(), name: given.unwrap_or_else(|| if external { k.clone() } else { format!("{name}_{k}") }), external }
                })
                .collect()
        })
    };
    let (volumes, mut networks) = (resources("volumes"), resources("networks"));
    // Every project has its `default` network, unless the file says what it is.
    if !networks.iter().any(|n| n.key == "default") {
        networks.push(Resource { key: "default".into(), name: format!("{name}_default"), external: false });
    }
    let mut list = Vec::new();
    for (sname, svc) in &services {
        list.push(service(sname, svc, &name, &dir, &volumes, host, &lookup).map_err(|e| fail(format!("service \"{sname}\": {e}")))?);
    }
    // Every network a service joins must be declared.
    for s in &list {
        if let Some((n, _)) = s.networks.iter().find(|(n, _)| !networks.iter().any(|r| &r.key == n)) {
            return Err(fail(format!("service \"{}\" refers to undefined network {n}: invalid compose project", s.name)));
        }
    }
    // Every dependency must be a service; then dependencies first, file order otherwise.
    for s in &list {
        if let Some((d, _)) = s.depends_on.iter().find(|(d, _)| !list.iter().any(|o| &o.name == d)) {
            return Err(fail(format!("service \"{}\" depends on undefined service \"{d}\": invalid compose project", s.name)));
        }
    }
    let mut ordered: Vec<Service> = Vec::new();
    while !list.is_empty() {
        let Some(i) = list.iter().position(|s| s.depends_on.iter().all(|(d, _)| ordered.iter().any(|o| &o.name == d))) else {
            return Err(fail(format!("dependency cycle detected: {}", list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" -> "))));
        };
        ordered.push(list.remove(i));
    }
    Ok(Project { name, services: ordered, volumes, networks, model, warnings })
}

/// The compose file in the current folder or the nearest parent with one, and its
/// override file beside it.
fn find(host: &dyn Host) -> Result<Vec<String>, Output> {
    let mut prefix = String::new();
    for _ in 0..16 {
        if let Some(f) = FILES.iter().map(|f| format!("{prefix}{f}")).find(|f| host.read_file(f).is_ok()) {
            let stem = if f.ends_with("compose.yml") || f.ends_with("compose.yaml") { &f[..f.rfind('.').unwrap_or(f.len())] } else { f.as_str() };
            let mut files = vec![f.clone()];
            if let Some(o) = ["yaml", "yml"].iter().map(|ext| format!("{stem}.override.{ext}")).find(|o| host.read_file(o).is_ok()) {
                files.push(o);
            }
            return Ok(files);
        }
        prefix.push_str("../");
    }
    Err(Output::fail(1, "no configuration file provided: not found\n"))
}

fn dir_of(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".into(),
        Some((d, _)) => d.to_string(),
        None => ".".into(),
    }
}

fn join(dir: &str, p: &str) -> String {
    if p.starts_with('/') || dir == "." {
        p.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), p)
    }
}

/// `KEY=VALUE` lines as Compose reads `.env` and `env_file`: `export` and comments
/// allowed, quotes removed (escapes in double quotes), a line of only `KEY` is empty.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let v = v.trim();
        let value = if let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            inner.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\")
        } else if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            inner.to_string()
        } else {
            // An unquoted value ends at ` #`.
            v.split(" #").next().unwrap_or("").trim_end().to_string()
        };
        out.insert(k.trim().to_string(), value);
    }
    out
}

/// Interpolates every string in the document (not the keys), as Compose does.
fn interpolate_value(v: Value, lookup: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(interpolate(&s, lookup, warnings, 0)?),
        Value::Array(items) => Value::Array(items.into_iter().map(|i| interpolate_value(i, lookup, warnings)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| Ok((k, interpolate_value(v, lookup, warnings)?))).collect::<Result<_, String>>()?),
        other => other,
    })
}

/// One string interpolated: `$$` is `$`; a variable not set (and without a default) is
/// empty, with Compose's warning.
pub fn interpolate(s: &str, lookup: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>, depth: usize) -> Result<String, String> {
    if depth > 16 {
        return Err(format!("invalid interpolation format for {s:?}: defaults nest too deep"));
    }
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                // The matching `}`, braces in the default counted.
                let mut level = 0;
                let mut end = None;
                for (j, c) in chars.iter().enumerate().skip(i + 1) {
                    match c {
                        '{' => level += 1,
                        '}' => {
                            level -= 1;
                            if level == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else { return Err(format!("invalid interpolation format for {s:?}: missing closing brace")) };
                let body: String = chars[i + 2..end].iter().collect();
                let name_len = body.chars().take_while(|c| name_char(*c)).count();
                let (name, rest) = body.split_at(name_len);
                if name.is_empty() {
                    return Err(format!("invalid interpolation format for {s:?}: invalid variable name"));
                }
                let value = lookup(name);
                let expand = |t: &str, w: &mut Vec<String>| interpolate(t, lookup, w, depth + 1);
                let piece = match rest {
                    "" => value.unwrap_or_else(|| {
                        warnings.push(format!("The \"{name}\" variable is not set. Defaulting to a blank string."));
                        String::new()
                    }),
                    r if r.starts_with(":-") => value.filter(|v| !v.is_empty()).map_or_else(|| expand(&r[2..], warnings), Ok)?,
                    r if r.starts_with('-') => value.map_or_else(|| expand(&r[1..], warnings), Ok)?,
                    r if r.starts_with(":?") => match value.filter(|v| !v.is_empty()) {
                        Some(v) => v,
                        None => return Err(format!("required variable {name} is missing a value: {}", expand(&r[2..], warnings)?)),
                    },
                    r if r.starts_with('?') => match value {
                        Some(v) => v,
                        None => return Err(format!("required variable {name} is missing a value: {}", expand(&r[1..], warnings)?)),
                    },
                    r if r.starts_with(":+") => match value.filter(|v| !v.is_empty()) {
                        Some(_) => expand(&r[2..], warnings)?,
                        None => String::new(),
                    },
                    r if r.starts_with('+') => match value {
                        Some(_) => expand(&r[1..], warnings)?,
                        None => String::new(),
                    },
                    _ => return Err(format!("invalid interpolation format for {s:?}")),
                };
                out.push_str(&piece);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                let name: String = chars[i + 1..].iter().take_while(|c| name_char(**c)).collect();
                i += 1 + name.len();
                out.push_str(&lookup(&name).unwrap_or_else(|| {
                    warnings.push(format!("The \"{name}\" variable is not set. Defaulting to a blank string."));
                    String::new()
                }));
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The list forms the specification allows where a mapping means the same
/// (`environment`, `labels`, `depends_on`, `build.args`, `extra_hosts`) made mappings, so
/// files merge key by key.
fn normalize(mut doc: Value) -> Value {
    if let Some(Value::Object(services)) = doc.get_mut("services") {
        for svc in services.values_mut() {
            let Some(svc) = svc.as_object_mut() else { continue };
            for key in ["environment", "labels", "depends_on"] {
                if let Some(Value::Array(items)) = svc.get(key) {
                    let mut m = Map::new();
                    for item in items {
                        let text = item.as_str().unwrap_or_default();
                        match (key, text.split_once('=')) {
                            ("depends_on", _) => {
                                m.insert(text.to_string(), serde_json::json!({"condition": "service_started"}));
                            }
                            (_, Some((k, v))) => {
                                m.insert(k.to_string(), Value::String(v.to_string()));
                            }
                            (_, None) => {
                                m.insert(text.to_string(), Value::Null);
                            }
                        }
                    }
                    svc.insert(key.to_string(), Value::Object(m));
                }
            }
            if let Some(Value::Object(build)) = svc.get_mut("build") {
                if let Some(Value::Array(items)) = build.get("args") {
                    let m: Map<String, Value> = items.iter().filter_map(Value::as_str).map(|t| t.split_once('=').map_or((t.to_string(), Value::Null), |(k, v)| (k.to_string(), Value::String(v.to_string())))).collect();
                    build.insert("args".into(), Value::Object(m));
                }
            }
        }
    }
    doc
}

/// Compose's merge of a later file over an earlier one: mappings key by key; the
/// sequences that add up (`ports`, `volumes`, `expose`, …) joined without repeats; any
/// other value replaced.
fn merge(base: &mut Value, over: Value, key: &str) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v, &k),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(o)) if matches!(key, "ports" | "volumes" | "expose" | "dns" | "dns_search" | "env_file" | "extra_hosts" | "cap_add" | "cap_drop" | "devices" | "secrets" | "configs" | "profiles" | "tmpfs" | "networks") => {
            for v in o {
                if !b.contains(&v) {
                    b.push(v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A command or entrypoint: a list as it is, a string split as a shell splits words.
fn words(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => Ok(items.iter().filter_map(text).collect()),
        Value::String(s) => shell_words(s).ok_or_else(|| format!("invalid command line (unclosed quote): {s}")),
        Value::Null => Ok(Vec::new()),
        other => Err(format!("must be a string or a list, not {other}")),
    }
}

/// A string split into words as go-shellwords (Compose's) splits it: quotes group and are
/// removed, a backslash escapes, nothing is expanded. `None` for an unclosed quote.
pub fn shell_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let (mut cur, mut in_word, mut quote) = (String::new(), false, None::<char>);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), c) => cur.push(c),
            (Some(_), '\\') => match chars.next() {
                Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => return None,
            },
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                cur.extend(chars.next());
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `1.5`, `"0.5"`: CPUs as nano-CPUs.
fn nano_cpus(v: &Value) -> Result<u64, String> {
    let t = text(v).unwrap_or_default();
    t.parse::<f64>().ok().filter(|f| *f >= 0.0 && f.is_finite()).map(|f| (f * 1e9) as u64).ok_or_else(|| format!("invalid cpus: {t}"))
}

/// A duration as Compose writes them (`30s`, `1m30s`, `10`), in seconds.
fn seconds(v: &Value) -> Option<i64> {
    let t = text(v)?;
    crate::time::parse_duration(&t).map(|s| s as i64).or_else(|| t.parse().ok())
}

/// One service; `env` is the interpolation environment (the caller's, then `.env`), which
/// also gives the values of `environment` and `build.args` entries named without one.
fn service(name: &str, svc: &Value, project: &str, dir: &str, volumes: &[Resource], host: &dyn Host, env: &dyn Fn(&str) -> Option<String>) -> Result<Service, String> {
    let get = |k: &str| svc.get(k);
    let rel = |p: &str| -> String {
        // Relative paths are the project folder's; `-v` reads a `./` source as a path.
        if p.starts_with('/') || p == "~" || p.starts_with("~/") {
            p.to_string()
        } else {
            let joined = join(dir, p.trim_start_matches("./"));
            if joined.starts_with('/') || joined.starts_with("./") || joined.starts_with("../") { joined } else { format!("./{joined}") }
        }
    };
    let build = match get("build") {
        Some(Value::String(ctx)) => Some(Build { context: rel(ctx), ..Build::default() }),
        Some(Value::Object(b)) => Some(Build {
            context: rel(b.get("context").and_then(Value::as_str).unwrap_or(".")),
            dockerfile: b.get("dockerfile").and_then(Value::as_str).map(str::to_string),
            args: b.get("args").and_then(Value::as_object).map_or_else(Vec::new, |m| m.iter().map(|(k, v)| match text(v) {
                Some(v) => format!("{k}={v}"),
                None => env(k).map_or_else(|| k.clone(), |v| format!("{k}={v}")),
            }).collect()),
            target: b.get("target").and_then(Value::as_str).map(str::to_string),
        }),
        Some(_) => return Err("build must be a string or a mapping".into()),
        None => None,
    };
    let image = match (get("image").and_then(text), &build) {
        (Some(i), _) => i,
        (None, Some(_)) => format!("{project}-{name}"),
        (None, None) => return Err("has neither an image nor a build context specified: invalid compose project".into()),
    };
    let mut environment = Vec::new();
    for f in get("env_file").map_or_else(Vec::new, |v| match v {
        Value::Array(items) => items.iter().map(|i| (i.get("path").and_then(text).or_else(|| text(i)).unwrap_or_default(), i.get("required").and_then(text).as_deref() != Some("false"))).collect(),
        other => vec![(text(other).unwrap_or_default(), true)],
    }) {
        let (path, required) = f;
        match super::super::read_text(host, &join(dir, &path)) {
            Ok(t) => environment.extend(parse_env_file(&t).into_iter().map(|(k, v)| format!("{k}={v}"))),
            Err(e) if required => return Err(format!("env file {path} not found: {e}")),
            Err(_) => {}
        }
    }
    if let Some(Value::Object(m)) = get("environment") {
        for (k, v) in m {
            environment.retain(|e| e.split('=').next() != Some(k.as_str()));
            match text(v) {
                Some(v) => environment.push(format!("{k}={v}")),
                // `- KEY` with no value: the caller's, else left out.
                None => {
                    if let Some(v) = env(k) {
                        environment.push(format!("{k}={v}"));
                    }
                }
            }
        }
    }
    let mut ports = Vec::new();
    for p in get("ports").and_then(Value::as_array).into_iter().flatten() {
        ports.push(match p {
            Value::Object(m) => {
                let target = m.get("target").and_then(text).ok_or("a port needs a target")?;
                let published = m.get("published").and_then(text).unwrap_or_default();
                let ip = m.get("host_ip").and_then(text).map(|ip| format!("{ip}:")).unwrap_or_default();
                let proto = m.get("protocol").and_then(text).map(|p| format!("/{p}")).unwrap_or_default();
                if published.is_empty() { format!("{target}{proto}") } else { format!("{ip}{published}:{target}{proto}") }
            }
            other => text(other).unwrap_or_default(),
        });
    }
    let scoped = |src: &str| volumes.iter().find(|v| v.key == src).map_or_else(|| format!("{project}_{src}"), |v| v.name.clone());
    let (mut vols, mut tmpfs) = (Vec::new(), list(get("tmpfs")));
    for v in get("volumes").and_then(Value::as_array).into_iter().flatten() {
        match v {
            Value::Object(m) => {
                let kind = m.get("type").and_then(Value::as_str).unwrap_or("volume");
                let target = m.get("target").and_then(text).ok_or("a volume needs a target")?;
                let ro = m.get("read_only").and_then(text).as_deref() == Some("true");
                let source = m.get("source").and_then(text).unwrap_or_default();
                let suffix = if ro { ":ro" } else { "" };
                match kind {
                    "bind" => vols.push(format!("{}:{target}{suffix}", rel(&source))),
                    "volume" if source.is_empty() => vols.push(format!("{target}{suffix}")),
                    "volume" => vols.push(format!("{}:{target}{suffix}", scoped(&source))),
                    "tmpfs" => tmpfs.push(target),
                    other => return Err(format!("volume type {other} is not supported")),
                }
            }
            other => {
                let spec = text(other).unwrap_or_default();
                let parts: Vec<&str> = spec.splitn(3, ':').collect();
                vols.push(match parts.as_slice() {
                    [target] => target.to_string(),
                    [src, rest @ ..] if src.starts_with('.') || src.starts_with('/') || src.starts_with('~') => format!("{}:{}", rel(src), rest.join(":")),
                    [src, rest @ ..] => format!("{}:{}", scoped(src), rest.join(":")),
                    [] => continue,
                });
            }
        }
    }
    let mut depends_on = Vec::new();
    if let Some(Value::Object(m)) = get("depends_on") {
        for (d, spec) in m {
            let condition = match spec.get("condition").and_then(Value::as_str).unwrap_or("service_started") {
                "service_started" => Condition::Started,
                "service_healthy" => Condition::Healthy,
                "service_completed_successfully" => Condition::CompletedSuccessfully,
                other => return Err(format!("depends_on.{d}.condition must be one of service_started, service_healthy, service_completed_successfully, not {other}")),
            };
            depends_on.push((d.clone(), condition));
        }
    }
    let healthcheck = match get("healthcheck") {
        Some(h) if h.get("disable").and_then(text).as_deref() == Some("true") => None,
        Some(h) => match h.get("test") {
            Some(Value::Array(t)) => Some(t.iter().filter_map(text).collect::<Vec<_>>()),
            Some(Value::String(s)) => Some(vec!["CMD-SHELL".to_string(), s.clone()]),
            _ => None,
        }
        .filter(|t| t.first().map(String::as_str) != Some("NONE"))
        .map(|test| Healthcheck { test, retries: h.get("retries").and_then(text).and_then(|r| r.parse().ok()).unwrap_or(3) }),
        None => None,
    };
    let limits = svc.pointer("/deploy/resources/limits");
    let memory_text = limits.and_then(|l| l.get("memory")).or(get("mem_limit")).and_then(text);
    let memory = match memory_text {
        Some(m) => crate::runtime::parse_memory(&m).ok_or_else(|| format!("invalid memory limit: {m}"))?,
        None => 0,
    };
    let nano = match limits.and_then(|l| l.get("cpus")).or(get("cpus")) {
        Some(c) => nano_cpus(c)?,
        None => 0,
    };
    let labels = get("labels").and_then(Value::as_object).map_or_else(BTreeMap::new, |m| m.iter().map(|(k, v)| (k.clone(), text(v).unwrap_or_default())).collect());
    let flag = |k: &str| get(k).and_then(text).as_deref() == Some("true");
    Ok(Service {
        name: name.to_string(),
        image,
        build,
        command: get("command").map(words).transpose()?,
        entrypoint: get("entrypoint").map(words).transpose()?,
        environment,
        ports,
        volumes: vols,
        tmpfs,
        depends_on,
        healthcheck,
        restart: get("restart").and_then(text),
        profiles: list(get("profiles")),
        labels,
        container_name: get("container_name").and_then(text),
        working_dir: get("working_dir").and_then(text),
        user: get("user").and_then(text),
        hostname: get("hostname").and_then(text),
        tty: flag("tty"),
        stdin_open: flag("stdin_open"),
        expose: list(get("expose")),
        memory,
        nano_cpus: nano,
        stop_signal: get("stop_signal").and_then(text),
        stop_grace_period: get("stop_grace_period").and_then(seconds),
        networks: match (get("network_mode"), get("networks")) {
            (Some(_), _) => Vec::new(),
            (None, Some(Value::Object(m))) => m.iter().map(|(k, v)| (k.clone(), list(v.get("aliases")))).collect(),
            (None, Some(v @ Value::Array(_))) => list(Some(v)).into_iter().map(|k| (k, Vec::new())).collect(),
            _ => vec![("default".to_string(), Vec::new())],
        },
        network_mode: get("network_mode").and_then(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_interpolate_as_compose_reads_them() {
        let env: BTreeMap<&str, &str> = [("TAG", "3.20"), ("EMPTY", "")].into_iter().collect();
        let lookup = |n: &str| env.get(n).map(|v| v.to_string());
        let mut warnings = Vec::new();
        let mut i = |s: &str| interpolate(s, &lookup, &mut warnings, 0);
        assert_eq!(i("alpine:${TAG}").unwrap(), "alpine:3.20");
        assert_eq!(i("alpine:$TAG-x").unwrap(), "alpine:3.20-x");
        assert_eq!(i("${NOPE:-latest} ${EMPTY:-d} ${EMPTY-d} ${NOPE-${TAG}}").unwrap(), "latest d  3.20");
        assert_eq!(i("${TAG:+set} ${NOPE:+set}|$$HOME").unwrap(), "set |$HOME");
        assert_eq!(i("${NOPE:?give a tag}").unwrap_err(), "required variable NOPE is missing a value: give a tag");
        assert!(i("${TAG").unwrap_err().contains("missing closing brace"));
        assert_eq!(i("${UNSET}").unwrap(), "");
        assert_eq!(warnings, ["The \"UNSET\" variable is not set. Defaulting to a blank string."]);
    }

    #[test]
    fn string_commands_split_as_shellwords_does() {
        assert_eq!(shell_words("sh -c 'echo hi; ls /'").unwrap(), ["sh", "-c", "echo hi; ls /"]);
        assert_eq!(shell_words(r#"python -m "http.server" 8000\ x"#).unwrap(), ["python", "-m", "http.server", "8000 x"]);
        assert_eq!(shell_words("a ''").unwrap(), ["a", ""]);
        assert!(shell_words("echo 'open").is_none());
    }

    #[test]
    fn env_files_read_as_compose_reads_them() {
        let m = parse_env_file("# c\nA=1\nexport B=\"two words\\n\"\nC='x # y'\nD=v # comment\nE\n");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "two words\n");
        assert_eq!(m["C"], "x # y");
        assert_eq!(m["D"], "v");
        assert_eq!(m["E"], "");
    }

    #[test]
    fn later_files_merge_over_earlier_ones() {
        let mut base = normalize(serde_json::json!({"services": {"web": {"image": "a", "ports": ["80:80"], "environment": ["A=1", "B=2"], "command": ["x"]}}}));
        merge(&mut base, normalize(serde_json::json!({"services": {"web": {"image": "b", "ports": ["443:443"], "environment": {"B": "3"}, "command": ["y"]}, "db": {"image": "pg"}}})), "");
        let web = &base["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["ports"], serde_json::json!(["80:80", "443:443"]));
        assert_eq!(web["environment"], serde_json::json!({"A": "1", "B": "3"}));
        assert_eq!(web["command"], serde_json::json!(["y"]));
        assert_eq!(base["services"]["db"]["image"], "pg");
    }
}
