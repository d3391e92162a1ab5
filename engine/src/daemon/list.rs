//! Listing containers (moby's `daemon/list.go`): which ones `ps` shows for its `--all`,
//! `--last` and `--filter`s, newest first, and dockerd's words for a filter it refuses.
//!
//! Filters of one key are alternatives and different keys must all hold, except
//! `label`, where every one must hold. `name` and `id` are regular expressions, matched
//! anywhere, as dockerd matches them. Berth runs no health checks: `health=none` is a
//! container whose config has none, and `starting|healthy|unhealthy` match nothing.

use super::EngineError;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status};

/// The filter keys dockerd accepts for containers.
const KEYS: &[&str] = &["ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name", "network", "publish", "since", "status", "volume"];
/// Docker's container states, in dockerd's order.
const STATES: &[&str] = &["created", "running", "paused", "restarting", "removing", "exited", "dead"];
const HEALTHS: &[&str] = &["starting", "healthy", "unhealthy", "none"];

#[derive(Debug, Default)]
pub struct ListOptions {
    /// `--all`: stopped containers too.
    pub all: bool,
    /// `--last N` (and `--latest`, 1): the N newest, whatever their state; 0 or less for all.
    pub last: i64,
    /// `--filter key=value`, in the order given.
    pub filters: Vec<(String, String)>,
}

/// The state `ps` and `inspect` name: Berth's status, paused where frozen.
pub fn state(c: &Container) -> &'static str {
    if c.paused && c.status == Status::Running {
        "paused"
    } else {
        c.status.name()
    }
}

/// The containers `options` ask for, newest first.
pub fn list<'a>(store: &ImageStore, containers: &'a Containers, options: &ListOptions) -> Result<Vec<&'a Container>, EngineError> {
    let invalid = |m: String| EngineError::Invalid(m);
    let values = |key| given(&options.filters, key);
    for (key, _) in &options.filters {
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid(format!("invalid filter '{key}'")));
        }
    }
    let mut all = options.all;
    let mut exited = Vec::new();
    for v in values("exited") {
        exited.push(v.parse::<i32>().map_err(|_| invalid(format!("invalid filter 'exited={v}': strconv.Atoi: parsing \"{v}\": invalid syntax")))?);
    }
    for v in values("status") {
        if !STATES.contains(&v) {
            return Err(invalid(format!("invalid filter 'status={v}': invalid value for state ({v}): must be one of {}", STATES.join(", "))));
        }
        all = true;
    }
    for v in values("health") {
        if !HEALTHS.contains(&v) {
            return Err(invalid(format!("invalid filter 'health={v}': invalid value for health ({v}): must be one of {}", HEALTHS.join(", "))));
        }
    }
    let mut is_task = None;
    for v in values("is-task") {
        is_task = Some(match v {
            "true" => true,
            "false" => false,
            _ => return Err(invalid(format!("Invalid filter 'is-task={v}'"))),
        });
    }
    for key in ["publish", "expose"] {
        for v in values(key) {
            if v.contains(':') {
                return Err(invalid(format!("filter for '{key}' should not contain ':': {v}")));
            }
        }
    }
    let mut before = None;
    for v in values("before") {
        before = Some(containers.find(v).ok_or_else(|| EngineError::NotFound(v.to_string()))?.created);
    }
    let mut since = None;
    for v in values("since") {
        since = Some(containers.find(v).ok_or_else(|| EngineError::NotFound(v.to_string()))?.created);
    }
    let patterns = |key: &str| -> Result<Vec<regex_lite::Regex>, EngineError> { given(&options.filters, key).map(|v| regex_lite::Regex::new(v).map_err(|e| invalid(format!("{e}")))).collect() };
    let names = patterns("name")?;
    let ids = patterns("id")?;
    // `ancestor`: the image itself and every image built on it.
    let mut ancestors = Vec::new();
    for v in values("ancestor") {
        if let Some(record) = store.resolve(v) {
            ancestors.push((record.id.clone(), store.config(&record.id).ok()));
        }
    }
    let ancestor_given = values("ancestor").next().is_some();

    let mut list: Vec<&Container> = containers.list.values().collect();
    list.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let limit = usize::try_from(options.last).ok().filter(|&n| n > 0);
    let mut shown = Vec::new();
    for c in list {
        if limit.is_some_and(|n| shown.len() >= n) {
            break;
        }
        if before.is_some_and(|t| c.created >= t) || since.is_some_and(|t| c.created <= t) {
            continue;
        }
        let running = matches!(c.status, Status::Running | Status::Restarting);
        if !running && !all && limit.is_none() && since.is_none() && before.is_none() {
            continue;
        }
        let any = |key: &str, test: &dyn Fn(&str) -> bool| {
            let mut given = given(&options.filters, key).peekable();
            given.peek().is_none() || given.any(test)
        };
        let state = state(c);
        let ok = any("status", &|s| s == state)
            && (exited.is_empty() || (c.status == Status::Exited && exited.contains(&c.exit_code)))
            && (names.is_empty() || names.iter().any(|r| r.is_match(&c.name) || r.is_match(&format!("/{}", c.name))))
            && (ids.is_empty() || ids.iter().any(|r| r.is_match(&c.id)))
            && values("label").all(|l| match l.split_once('=') {
                Some((k, v)) => c.config.config.labels.get(k).is_some_and(|have| have == v),
                None => c.config.config.labels.contains_key(l),
            })
            && (!ancestor_given || ancestor_matches(store, c, &ancestors))
            && any("network", &|n| n == c.host_config.network || c.networks.contains_key(n) || c.networks.values().any(|e| e.network_id.starts_with(n) && n.len() >= 12) || (n == "bridge" || n == "default") && c.host_config.network.is_empty())
            && any("volume", &|v| c.mounts.iter().any(|m| m.source == v || m.target == v))
            && any("publish", &|p| c.ports.iter().any(|spec| port_matches(spec, p, true)))
            && any("expose", &|p| c.ports.iter().any(|spec| port_matches(spec, p, false)) || c.config.config.exposed_ports.keys().any(|e| port_matches(e, p, false)))
            && any("health", &|h| h == "none" && !has_healthcheck(c))
            && any("isolation", &|i| i == "default" || i.is_empty())
            && is_task != Some(true);
        if ok {
            shown.push(c);
        }
    }
    Ok(shown)
}

/// The values given for one filter key, in order.
fn given<'a>(filters: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    filters.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn has_healthcheck(c: &Container) -> bool {
    c.config.config.healthcheck.as_ref().and_then(|h| h.get("Test")).and_then(|t| t.get(0)).and_then(|t| t.as_str()).is_some_and(|t| t != "NONE")
}

/// Whether the container's image is one of `ancestors` or was built on one: the
/// ancestor's layers and history both begin its own (a `LABEL`-only child adds history
/// and no layer; an unrelated image shares neither).
fn ancestor_matches(store: &ImageStore, c: &Container, ancestors: &[(crate::image::Digest, Option<crate::image::oci::ImageConfig>)]) -> bool {
    let own = store.config(&c.image_id).ok();
    ancestors.iter().any(|(id, config)| {
        *id == c.image_id
            || match (config, &own) {
                (Some(a), Some(own)) => !a.history.is_empty() && own.rootfs.diff_ids.starts_with(&a.rootfs.diff_ids) && own.history.starts_with(&a.history),
                _ => false,
            }
    })
}

/// Whether a port of `spec` (`-p` form `[ip:]host:container[/proto]`, or an exposed
/// `80/tcp`) is `wanted` (`80`, `80/udp`, a range `8000-8080`): the published (host)
/// side for `publish`, the container's for `expose`.
fn port_matches(spec: &str, wanted: &str, published: bool) -> bool {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let parts: Vec<&str> = ports.rsplitn(3, ':').collect();
    let port = match (published, parts.as_slice()) {
        (false, [container, ..]) => *container,
        (true, [_, host, ..]) => *host,
        _ => return false,
    };
    let (want, want_proto) = wanted.split_once('/').unwrap_or((wanted, "tcp"));
    if want_proto != proto {
        return false;
    }
    let range = |s: &str| -> Option<(u32, u32)> {
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    match (range(port), range(want)) {
        (Some((lo, hi)), Some((wlo, whi))) => lo <= whi && wlo <= hi,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::port_matches;

    #[test]
    fn ports_match_on_the_side_the_filter_names() {
        assert!(port_matches("8080:80", "8080", true));
        assert!(!port_matches("8080:80", "80", true));
        assert!(port_matches("8080:80", "80", false));
        assert!(port_matches("127.0.0.1:8080:80/udp", "8080/udp", true));
        assert!(!port_matches("8080:80/udp", "8080", true));
        assert!(port_matches("8080:80", "8000-8100", true));
        assert!(port_matches("80/tcp", "80", false));
    }
}

/// The image filter keys dockerd accepts.
const IMAGE_KEYS: &[&str] = &["before", "dangling", "label", "reference", "since", "until"];

/// An `until=` filter's time in seconds: a timestamp (RFC 3339 or Unix seconds) or a
/// duration before `now`, as dockerd's `timetypes.GetTimestamp` reads it.
pub fn until_time(v: &str, now: i64) -> Result<i64, EngineError> {
    crate::time::parse_duration(v)
        .map(|secs| now - secs as i64)
        .or_else(|| v.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
        .or_else(|| crate::time::parse_rfc3339(v))
        .ok_or_else(|| EngineError::Invalid(format!("failed to parse value as time or duration: \"{v}\"")))
}

/// Whether `labels` hold a `label=` filter's `key` or `key=value`.
pub fn has_label(labels: &std::collections::BTreeMap<String, String>, filter: &str) -> bool {
    match filter.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
        None => labels.contains_key(filter),
    }
}

/// An image as `images` lists it: its record and the tags the filters kept (none for an
/// untagged image).
pub struct ListedImage<'a> {
    pub record: &'a crate::image::store::ImageRecord,
    pub tags: Vec<&'a str>,
}

/// The images `filters` ask for (moby's `daemon/images/images.go`), newest first.
/// `reference` is a `path.Match` pattern over the familiar name with its tag, or the
/// name alone (docker/distribution's `FamiliarMatch`); it also narrows the tags shown.
/// `until` is a timestamp or a duration before `now` (seconds).
pub fn images<'a>(store: &'a ImageStore, filters: &[(String, String)], now: i64) -> Result<Vec<ListedImage<'a>>, EngineError> {
    let invalid = |m: String| EngineError::Invalid(m);
    for (key, _) in filters {
        if !IMAGE_KEYS.contains(&key.as_str()) {
            return Err(invalid(format!("invalid filter '{key}'")));
        }
    }
    let mut dangling = None;
    for v in given(filters, "dangling") {
        dangling = Some(match v.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(invalid(format!("invalid filter 'dangling={v}'"))),
        });
    }
    let created = |r: &crate::image::store::ImageRecord| crate::time::parse_rfc3339(&r.created).unwrap_or(0);
    let image_time = |v: &str| store.resolve(v).map(created).ok_or_else(|| EngineError::Image(format!("No such image: {v}")));
    let mut before = None;
    for v in given(filters, "before") {
        before = Some(image_time(v)?);
    }
    let mut since = None;
    for v in given(filters, "since") {
        since = Some(image_time(v)?);
    }
    let mut until = None;
    for v in given(filters, "until") {
        until = Some(until_time(v, now)?);
    }
    let references: Vec<&str> = given(filters, "reference").collect();
    let mut listed = Vec::new();
    for record in store.images() {
        let t = created(record);
        if before.is_some_and(|b| t >= b) || since.is_some_and(|s| t <= s) || until.is_some_and(|u| t > u) {
            continue;
        }
        let is_dangling = record.tags.is_empty();
        if dangling.is_some_and(|d| d != is_dangling) {
            continue;
        }
        let labels = store.config(&record.id).map(|c| c.config.labels).unwrap_or_default();
        let labelled = given(filters, "label").all(|l| match l.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
            None => labels.contains_key(l),
        });
        if !labelled {
            continue;
        }
        let mut tags: Vec<&str> = record.tags.iter().map(String::as_str).collect();
        if !references.is_empty() {
            tags.retain(|t| references.iter().any(|p| familiar_match(p, t)));
            if tags.is_empty() {
                continue;
            }
        }
        listed.push(ListedImage { record, tags });
    }
    listed.sort_by(|a, b| created(b.record).cmp(&created(a.record)).then_with(|| a.record.id.cmp(&b.record.id)));
    Ok(listed)
}

/// docker/distribution's `FamiliarMatch`: the pattern against `name:tag` as Docker
/// shows it, else against the name alone.
fn familiar_match(pattern: &str, full: &str) -> bool {
    let shown = crate::image::store::familiar(full);
    let name = match shown.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => shown.as_str(),
    };
    path_match(pattern.as_bytes(), shown.as_bytes()) || path_match(pattern.as_bytes(), name.as_bytes())
}

/// Go's `path.Match`: `*` any run of characters but `/`, `?` one of them, `[…]` a class
/// (`^` negates, `a-z` ranges), `\` escapes. Iterative, so no pattern can exhaust the stack.
fn path_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' if name[n] != b'/' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(&pattern[p..], name[n]) {
                        if matched && name[n] != b'/' {
                            p += next;
                            n += 1;
                            continue;
                        }
                    } else {
                        return false;
                    }
                }
                b'\\' if p + 1 < pattern.len() && pattern[p + 1] == name[n] => {
                    p += 2;
                    n += 1;
                    continue;
                }
                c if c != b'\\' && c != b'?' && c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Back to the last star, which takes one more character (never a `/`).
        match star {
            Some((sp, sn)) if name[sn] != b'/' => {
                star = Some((sp, sn + 1));
                p = sp + 1;
                n = sn + 1;
            }
            _ => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// A `[…]` class at the start of `pattern`: whether `c` is in it, and its length.
fn class(pattern: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &lo = pattern.get(i)?;
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = if lo == b'\\' {
            i += 1;
            *pattern.get(i)?
        } else {
            lo
        };
        i += 1;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1).is_some_and(|&h| h != b']') {
            hi = pattern[i + 1];
            i += 2;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
}

#[cfg(test)]
mod image_tests {
    use super::{familiar_match, path_match};

    #[test]
    fn patterns_match_as_gos_path_match_does() {
        let m = |p: &str, n: &str| path_match(p.as_bytes(), n.as_bytes());
        assert!(m("alpine", "alpine"));
        assert!(m("alp*", "alpine"));
        assert!(!m("*", "library/alpine"), "a star stops at a slash");
        assert!(m("*/*", "library/alpine"));
        assert!(m("a?pine", "alpine"));
        assert!(m("[a-c]lpine", "alpine"));
        assert!(!m("[^a]lpine", "alpine"));
        assert!(m("alpine:3.*", "alpine:3.20"));
        assert!(!m("[", "a"), "a broken class matches nothing");
        assert!(m(&"*".repeat(500), "abc"), "no backtracking blow-up");
        assert!(familiar_match("alpine", "docker.io/library/alpine:3.20"));
        assert!(familiar_match("alpine:3.*", "docker.io/library/alpine:3.20"));
        assert!(!familiar_match("alpine:3.19", "docker.io/library/alpine:3.20"));
        assert!(familiar_match("localhost:5000/*", "localhost:5000/app:1"));
    }
}
