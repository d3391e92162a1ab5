//! Image commands: `pull`, `images`, `tag`, `rmi`, `save`, `load`, with Docker's output
//! and error wording. State lives in the host's storage (`BERTH_ROOT` natively).

use super::format::{human_duration, human_size, parse_rfc3339, rfc3339, table};
use super::tables::*;
use super::{Host, Output};
use crate::image::catalog::Catalog;
use crate::image::store::{familiar, normalize, ImageStore, StoreError};
use crate::image::{archive, pull};

fn daemon_error(message: impl std::fmt::Display) -> Output {
    Output::fail(1, format!("Error response from daemon: {message}\n"))
}

/// The name Docker shows in "No such image" errors (`foo` → `foo:latest`).
fn shown_name(name: &str) -> String {
    match normalize(name) {
        Ok(full) if !name.chars().all(|c| c.is_ascii_hexdigit()) => familiar(&full),
        _ => name.to_string(),
    }
}

fn store_error(e: StoreError) -> Output {
    match e {
        StoreError::NotFound(name) => daemon_error(format!("No such image: {}", shown_name(&name))),
        other => daemon_error(other),
    }
}

fn open(host: &dyn Host) -> Result<ImageStore, Output> {
    let storage = host.storage().map_err(|e| Output::fail(1, format!("berth: cannot open the state directory: {e}\n")))?;
    ImageStore::open(storage).map_err(|e| Output::fail(1, format!("berth: cannot read the image store: {e}\n")))
}

fn open_containers(host: &dyn Host) -> Result<crate::runtime::Containers, Output> {
    let storage = host.storage().map_err(|e| Output::fail(1, format!("berth: cannot open the state directory: {e}\n")))?;
    crate::runtime::Containers::open(storage).map_err(|e| Output::fail(1, format!("berth: cannot read the container records: {e}\nhint: nothing was changed; move the file aside to start with no containers\n")))
}

pub fn run(command: &str, args: &[String], host: &dyn Host) -> Output {
    match command {
        "pull" => pull_command(args, host),
        "images" => images_command(args, host),
        "tag" => tag_command(args, host),
        "rmi" => rmi_command(args, host),
        "save" => save_command(args, host),
        "history" => history_command(args, host),
        "import" => import_command(args, host),
        _ => load_command(args, host),
    }
}

/// `pull [-q] [--platform P] NAME`: from a registry, or Berth's catalog where there is
/// no network. Content trust is not checked (`--disable-content-trust` is the default,
/// and Berth has no notary); `--all-tags` is refused in words.
fn pull_command(args: &[String], host: &dyn Host) -> Output {
    let p = match PULL.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("all-tags") {
        return Output::fail(1, "berth: pull --all-tags is not supported: name each tag to pull\n");
    }
    let (quiet, platform, name) = (p.bool("quiet"), p.value("platform").map(str::to_string), p.args[0].as_str());
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match pull::pull_for(&mut store, &Catalog::embedded(), name, host.remote(), platform.as_deref(), !quiet) {
        Ok(p) => {
            let full = normalize(name).unwrap_or_else(|_| name.to_string());
            image_event(host, "pull", &familiar(&full), &familiar(&full).rsplit_once(':').map_or(familiar(&full), |(n, _)| n.to_string()));
            if quiet {
                Output::ok(format!("{}\n", p.lines.last().cloned().unwrap_or_default()))
            } else {
                Output::ok(p.lines.iter().filter(|l| !host.pull_progress(&format!("{l}\n"))).map(|l| format!("{l}\n")).collect::<String>())
            }
        }
        Err(pull::PullError::InvalidReference(message)) => Output::fail(1, format!("{message}\n")),
        Err(e) => {
            let mut out = daemon_error(e);
            // "Using default tag: latest" goes to stdout before the error, as in Docker.
            if has_no_tag(name) {
                out.stdout = "Using default tag: latest\n".into();
            }
            out
        }
    }
}

/// A `--platform` of `save`, `load`, `rmi` and `import`, checked as docker/cli parses
/// it. Berth keeps one platform per image, so the image's own is what the command acts
/// on.
fn one_platform(p: &str) -> Result<(), Output> {
    crate::image::distribution::Platform::parse(p).map(|_| ()).map_err(daemon_error)
}

fn has_no_tag(name: &str) -> bool {
    crate::reference::Reference::parse(name).is_ok_and(|r| r.tag.is_none() && r.digest.is_none())
}


/// `images`: every image (or those the filters and a `REPOSITORY[:TAG]` pattern keep),
/// newest first, a row per tag. Berth keeps no intermediate images, so `--all` shows
/// what the default does.
fn images_command(args: &[String], host: &dyn Host) -> Output {
    let p = match super::flags::parse(&IMAGES, args) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if let Err(out) = IMAGES.arity(&p, 0, Some(1)) {
        return out;
    }
    let mut filters = p.filters();
    // docker/cli turns the positional into a `reference` filter.
    if let Some(name) = p.args.first() {
        filters.push(("reference".into(), name.clone()));
    }
    let (quiet, no_trunc, digests) = (p.bool("quiet"), p.bool("no-trunc"), p.bool("digests"));
    let store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let now = host.now();
    let listed = match crate::daemon::list::images(&store, &filters, now) {
        Ok(l) => l,
        Err(e) => return daemon_error(e),
    };
    if p.bool("tree") {
        return image_tree(&store, &listed, host);
    }
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    for image in &listed {
        let record = image.record;
        let created = parse_rfc3339(&record.created).unwrap_or(now);
        let id = if no_trunc { record.id.to_string() } else { record.id.short() };
        // A catalog image's programs are labels, not ELF files (`--format {{.Modelled}}`).
        let modelled = store.has_catalog_layer(&record.id);
        let entries: Vec<(String, String)> = if image.tags.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            image
                .tags
                .iter()
                .map(|t| {
                    let short = familiar(t);
                    match short.rsplit_once(':') {
                        Some((r, tag)) if !tag.contains('/') => (r.to_string(), tag.to_string()),
                        _ => (short, "<none>".into()),
                    }
                })
                .collect()
        };
        let digest = record.repo_digest.as_deref().and_then(|d| d.rsplit_once('@').map(|(_, d)| d.to_string()).or_else(|| Some(d.to_string()))).unwrap_or_else(|| "<none>".into());
        for (repo, tag) in entries {
            rows.push((created, vec![repo, tag, id.clone(), format!("{} ago", human_duration(now - created)), human_size(record.size), modelled.to_string(), digest.clone()]));
        }
    }
    // Newest first; rows of one moment by name, so that a listing is stable.
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    if quiet {
        let mut seen = Vec::new();
        for (_, r) in &rows {
            if !seen.contains(&r[2]) {
                seen.push(r[2].clone());
            }
        }
        return Output::ok(seen.iter().map(|id| format!("{id}\n")).collect::<String>());
    }
    if let Some(f) = p.value("format") {
        let docs: Vec<serde_json::Value> = rows.iter().map(|(t, r)| serde_json::json!({"Repository": r[0], "Tag": r[1], "ID": r[2], "CreatedSince": r[3], "CreatedAt": rfc3339(*t), "Size": r[4], "Modelled": r[5] == "true", "Digest": r[6]})).collect();
        let fields = [("Repository", "REPOSITORY"), ("Tag", "TAG"), ("Digest", "DIGEST"), ("ID", "IMAGE ID"), ("CreatedSince", "CREATED"), ("CreatedAt", "CREATED AT"), ("Size", "SIZE"), ("Modelled", "MODELLED")];
        return super::format::format_rows(f, &fields, &docs).map_or_else(super::format::template_error, Output::ok);
    }
    let mut header = vec!["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"];
    if digests {
        header.insert(2, "DIGEST");
    }
    let mut table_rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    table_rows.extend(rows.into_iter().map(|(_, r)| {
        let mut row = r[..5].to_vec();
        if digests {
            row.insert(2, r[6].clone());
        }
        row
    }));
    Output::ok(table(&table_rows))
}

/// `images --tree` (Docker 28's view): each image by its name and ID, then, under it,
/// the platform it holds (Berth keeps one per image), with disk usage (unpacked), content
/// size (the compressed layers) and `U` where a container uses it. Untagged images are
/// left out unless `--all` (docker/cli's rule).
fn image_tree(store: &ImageStore, listed: &[crate::daemon::list::ListedImage<'_>], host: &dyn Host) -> Output {
    let in_use = open_containers(host).ok();
    let mut rows = vec![["IMAGE", "ID", "DISK USAGE", "CONTENT SIZE", "EXTRA"].iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for image in listed.iter().filter(|i| !i.tags.is_empty()) {
        let record = image.record;
        let content: u64 = store.manifest(record).map(|m| m.layers.iter().map(|l| l.size).sum()).unwrap_or(0);
        let used = in_use.as_ref().is_some_and(|c| c.using_image(&record.id).is_some());
        let extra = if used { "U" } else { "" }.to_string();
        let names = image.tags.iter().map(|t| familiar(t)).collect::<Vec<_>>().join(", ");
        rows.push(vec![names, record.id.short(), human_size(record.size), human_size(content), extra.clone()]);
        let platform = store.config(&record.id).map(|c| match c.variant {
            Some(v) => format!("{}/{}/{v}", c.os, c.architecture),
            None => format!("{}/{}", c.os, c.architecture),
        });
        rows.push(vec![format!("└─ {}", platform.unwrap_or_default()), record.manifest.short(), human_size(record.size), human_size(content), extra]);
    }
    Output::ok(table(&rows))
}

/// `history`: the image's config history, newest first, with each layer's size.
/// `history [-q] [--no-trunc] [-H=false] [--format F] IMAGE`: the image's history
/// entries, newest first; `-H=false` gives dates as RFC 3339 and sizes in bytes.
fn history_command(args: &[String], host: &dyn Host) -> Output {
    let p = match HISTORY.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (quiet, no_trunc, name) = (p.bool("quiet"), p.bool("no-trunc"), &p.args[0]);
    let human = !p.changed("human") || p.bool("human");
    let format = p.value("format").filter(|f| !f.is_empty() && *f != "table").map(|f| if f == "json" { "{{json .}}".to_string() } else { f.to_string() });
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let Some(record) = store.resolve(name).cloned() else {
        return daemon_error(format!("No such image: {}", shown_name(name)));
    };
    let config = match store.config(&record.id) {
        Ok(c) => c,
        Err(e) => return store_error(e),
    };
    let layers: Vec<_> = store.manifest(&record).map(|m| m.layers.into_iter().map(|l| l.digest).collect()).unwrap_or_default();
    let mut sizes = layers.iter().map(|d| store.layer_content_size(d));
    let now = host.now();
    let mut rows = Vec::new();
    let mut docs = Vec::new();
    for h in &config.history {
        let size = if h.empty_layer { 0 } else { sizes.next().unwrap_or(0) };
        let created = match h.created.as_deref().and_then(parse_rfc3339) {
            None => "N/A".to_string(),
            Some(t) if human => format!("{} ago", human_duration(now - t)),
            Some(t) => rfc3339(t),
        };
        let size_text = if human { human_size(size) } else { size.to_string() };
        let mut by = h.created_by.clone().unwrap_or_default();
        docs.push(serde_json::json!({
            "ID": "<missing>",
            "CreatedAt": h.created.clone().unwrap_or_default(),
            "CreatedSince": created,
            "CreatedBy": by,
            "Size": size_text,
            "Comment": h.comment.clone().unwrap_or_default(),
        }));
        if !no_trunc && by.chars().count() > 45 {
            by = by.chars().take(44).collect::<String>() + "…";
        }
        rows.push(vec!["<missing>".to_string(), created, by, size_text, h.comment.clone().unwrap_or_default()]);
    }
    rows.reverse();
    if let Some(first) = rows.first_mut() {
        first[0] = if no_trunc { record.id.to_string() } else { record.id.short() };
    }
    if quiet {
        return Output::ok(rows.iter().map(|r| format!("{}\n", r[0])).collect::<String>());
    }
    if let Some(f) = format {
        docs.reverse();
        if let (Some(first), Some(row)) = (docs.first_mut(), rows.first()) {
            first["ID"] = serde_json::Value::String(row[0].clone());
        }
        let fields = [("ID", "IMAGE"), ("CreatedSince", "CREATED"), ("CreatedAt", "CREATED AT"), ("CreatedBy", "CREATED BY"), ("Size", "SIZE"), ("Comment", "COMMENT")];
        return super::format::format_rows(&f, &fields, &docs).map_or_else(super::format::template_error, Output::ok);
    }
    let mut table_rows = vec![["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"].iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    table_rows.extend(rows);
    Output::ok(table(&table_rows))
}

fn tag_command(args: &[String], host: &dyn Host) -> Output {
    let p = match TAG.read(args, 2, Some(2)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (source, target) = (p.args[0].as_str(), p.args[1].as_str());
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    if let Err(e) = normalize(target) {
        return Output::fail(1, format!("Error parsing reference: \"{target}\" is not a valid repository/tag: {}\n", e.to_string().trim_start_matches("invalid reference format: ")));
    }
    match store.tag(source, target) {
        Ok(()) => {
            let id = store.resolve(target).map(|r| r.id.to_string()).unwrap_or_default();
            image_event(host, "tag", &id, &familiar(&normalize(target).unwrap_or_else(|_| target.to_string())));
            Output::ok("")
        }
        Err(e) => store_error(e),
    }
}

/// An image event in the engine's journal (`docker events`).
fn image_event(host: &dyn Host, action: &str, id: &str, name: &str) {
    if let Ok(mut storage) = host.storage() {
        crate::daemon::events::record(storage.as_mut(), "image", action, id, [("name".to_string(), name.to_string())].into_iter().collect(), host.now().saturating_mul(1_000_000_000));
    }
}

/// `rmi [-f] IMAGE...`. Berth keeps no intermediate images, so there are no untagged
/// parents for `--no-prune` to keep; it keeps one platform per image, so `--platform`
/// must name that one.
fn rmi_command(args: &[String], host: &dyn Host) -> Output {
    let p = match RMI.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    for platform in p.values("platform") {
        if let Err(out) = one_platform(platform) {
            return out;
        }
    }
    let (force, names) = (p.bool("force"), p.args.iter().map(String::as_str));
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let mut out = Output::ok("");
    let containers = match open_containers(host) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let in_use = |id: &crate::image::Digest| containers.using_image(id);
    for name in names {
        match store.remove(name, force, &in_use) {
            Ok(lines) => {
                for l in &lines {
                    match l.split_once(": ") {
                        Some(("Untagged", what)) => image_event(host, "untag", what, what),
                        Some(("Deleted", what)) => image_event(host, "delete", what, name),
                        _ => {}
                    }
                }
                out.stdout.extend_from_slice((lines.join("\n") + "\n").as_bytes())
            }
            Err(e) => {
                let failed = store_error(e);
                out.stderr.extend_from_slice(&failed.stderr);
                out.code = 1;
            }
        }
    }
    out
}

/// `image prune [-a] [-f]`: dangling images (all unused ones with `-a`) that no container
/// uses.
pub fn prune_command(args: &[String], host: &dyn Host) -> Output {
    let p = match IMAGE_PRUNE.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    prune_images(p.bool("all"), &p.filters(), host)
}

/// The images `image prune` and `system prune` remove: dangling ones (every unused one
/// with `all`) that the filters keep (`until`, `label`, `label!`, as dockerd's).
pub fn prune_images(all: bool, filters: &[(String, String)], host: &dyn Host) -> Output {
    let mut until = None;
    for (key, v) in filters {
        match key.as_str() {
            "until" => match crate::daemon::list::until_time(v, host.now()) {
                Ok(t) => until = Some(t),
                Err(e) => return daemon_error(e),
            },
            "label" | "label!" | "dangling" => {}
            _ => return daemon_error(format!("invalid filter '{key}'")),
        }
    }
    let all = all || filters.iter().any(|(k, v)| k == "dangling" && matches!(v.as_str(), "false" | "0"));
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let containers = match open_containers(host) {
        Ok(c) => c,
        Err(o) => return o,
    };
    // Space comes back only for layers no remaining image shares.
    let layer_sizes = |store: &mut ImageStore| -> std::collections::BTreeMap<String, u64> {
        let records: Vec<_> = store.images().cloned().collect();
        let mut out = std::collections::BTreeMap::new();
        for r in records {
            for l in store.manifest(&r).map(|m| m.layers).unwrap_or_default() {
                let size = store.layer_content_size(&l.digest);
                out.insert(l.digest.hex(), size);
            }
        }
        out
    };
    let before = layer_sizes(&mut store);
    let chosen = |store: &ImageStore, r: &crate::image::store::ImageRecord| {
        let labels = store.config(&r.id).map(|c| c.config.labels).unwrap_or_default();
        until.is_none_or(|u| parse_rfc3339(&r.created).unwrap_or(0) <= u)
            && filters.iter().all(|(k, v)| match k.as_str() {
                "label" => crate::daemon::list::has_label(&labels, v),
                "label!" => !crate::daemon::list::has_label(&labels, v),
                _ => true,
            })
    };
    let candidates: Vec<(crate::image::Digest, bool)> = store.images().filter(|r| chosen(&store, r)).map(|r| (r.id.clone(), r.tags.is_empty())).collect();
    let mut lines = Vec::new();
    for (id, dangling) in candidates {
        if (!dangling && !all) || containers.using_image(&id).is_some() {
            continue;
        }
        if let Ok(removed) = store.remove(&id.to_string(), true, &|_: &crate::image::Digest| None) {
            lines.extend(removed.into_iter().map(|l| l.replacen("Deleted", "deleted", 1).replacen("Untagged", "untagged", 1)));
        }
    }
    let after = layer_sizes(&mut store);
    let reclaimed: u64 = before.iter().filter(|(d, _)| !after.contains_key(*d)).map(|(_, s)| s).sum();
    let mut text = String::new();
    if !lines.is_empty() {
        text.push_str(&format!("Deleted Images:\n{}\n\n", lines.join("\n")));
    }
    text.push_str(&format!("Total reclaimed space: {}\n", human_size(reclaimed)));
    Output::ok(text)
}

/// `system df [-v] [--format F]`: images, containers, volumes and the build cache, with
/// what could be reclaimed; `-v` lists each of them.
pub fn system_df(args: &[String], host: &dyn Host) -> Output {
    let p = match SYSTEM_DF.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let containers = match open_containers(host) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let records: Vec<_> = store.images().cloned().collect();
    let mut layers: std::collections::BTreeMap<String, (u64, bool)> = std::collections::BTreeMap::new();
    let mut active_images = 0;
    for r in &records {
        let active = containers.using_image(&r.id).is_some();
        active_images += usize::from(active);
        for l in store.manifest(r).map(|m| m.layers).unwrap_or_default() {
            let size = store.layer_content_size(&l.digest);
            let e = layers.entry(l.digest.hex()).or_insert((size, false));
            e.1 |= active;
        }
    }
    let image_total: u64 = layers.values().map(|(s, _)| s).sum();
    let image_free: u64 = layers.values().filter(|(_, a)| !a).map(|(s, _)| s).sum();
    let container_sizes: Vec<(u64, bool)> = containers.list.values().map(|c| (containers.upper(&c.id).map_or(0, |u| u.apparent_bytes()), c.status == crate::runtime::Status::Running)).collect();
    let c_total: u64 = container_sizes.iter().map(|(s, _)| s).sum();
    let c_free: u64 = container_sizes.iter().filter(|(_, r)| !r).map(|(s, _)| s).sum();
    let volumes = containers.volumes();
    let v_sizes: Vec<(u64, bool)> = volumes.keys().map(|n| (containers.volume(n).map_or(0, |v| v.apparent_bytes()), !containers.volume_users(n).is_empty())).collect();
    let v_total: u64 = v_sizes.iter().map(|(s, _)| s).sum();
    let v_free: u64 = v_sizes.iter().filter(|(_, used)| !used).map(|(s, _)| s).sum();
    let pct = |free: u64, total: u64| match (free * 100).checked_div(total) {
        Some(p) => format!("{} ({p}%)", human_size(free)),
        None => human_size(free),
    };
    let summary = [
        ("Images", records.len(), active_images, image_total, pct(image_free, image_total)),
        ("Containers", container_sizes.len(), container_sizes.iter().filter(|(_, r)| *r).count(), c_total, pct(c_free, c_total)),
        ("Local Volumes", v_sizes.len(), v_sizes.iter().filter(|(_, u)| *u).count(), v_total, pct(v_free, v_total)),
        ("Build Cache", store.cache_entries(), 0, 0, "0B".to_string()),
    ];
    if let Some(format) = p.value("format").filter(|f| !f.is_empty() && *f != "table") {
        let format = if format == "json" { "{{json .}}" } else { format };
        let docs: Vec<serde_json::Value> = summary.iter().map(|(kind, total, active, size, free)| serde_json::json!({"Type": kind, "TotalCount": total.to_string(), "Active": active.to_string(), "Size": human_size(*size), "Reclaimable": free})).collect();
        return super::format::format_rows(format, &[("Type", "TYPE"), ("TotalCount", "TOTAL"), ("Active", "ACTIVE"), ("Size", "SIZE"), ("Reclaimable", "RECLAIMABLE")], &docs).map_or_else(super::format::template_error, Output::ok);
    }
    if p.bool("verbose") {
        let now = host.now();
        let mut text = String::from("Images space usage:\n\n");
        let mut rows = vec![["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"].map(String::from).to_vec()];
        for r in &records {
            let mine: Vec<String> = store.manifest(r).map(|m| m.layers.iter().map(|l| l.digest.hex()).collect()).unwrap_or_default();
            let shared: u64 = mine.iter().filter(|d| records.iter().filter(|o| o.id != r.id).any(|o| store.manifest(o).is_ok_and(|m| m.layers.iter().any(|l| &l.digest.hex() == *d)))).filter_map(|d| layers.get(d)).map(|(s, _)| s).sum();
            let size: u64 = mine.iter().filter_map(|d| layers.get(d)).map(|(s, _)| s).sum();
            let users = containers.list.values().filter(|c| c.image_id == r.id).count();
            let created = parse_rfc3339(&r.created).map_or_else(|| "N/A".to_string(), |t| format!("{} ago", human_duration(now - t)));
            let names: Vec<(String, String)> = if r.tags.is_empty() { vec![("<none>".into(), "<none>".into())] } else { r.tags.iter().map(|t| { let f = familiar(t); match f.rsplit_once(':') { Some((n, t)) => (n.to_string(), t.to_string()), None => (f.clone(), "<none>".into()) } }).collect() };
            for (name, tag) in names {
                rows.push(vec![name, tag, r.id.short(), created.clone(), human_size(size), human_size(shared), human_size(size - shared.min(size)), users.to_string()]);
            }
        }
        text.push_str(&table(&rows));
        text.push_str("\nContainers space usage:\n\n");
        let mut rows = vec![["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"].map(String::from).to_vec()];
        for c in containers.list.values() {
            let size = containers.upper(&c.id).map_or(0, |u| u.apparent_bytes());
            rows.push(vec![c.short_id(), c.image.clone(), format!("\"{}\"", c.argv.join(" ")), c.mounts.iter().filter(|m| m.kind == "volume").count().to_string(), human_size(size), format!("{} ago", human_duration(now - c.created)), super::container::status_text(c, now), c.name.clone()]);
        }
        text.push_str(&table(&rows));
        text.push_str("\nLocal Volumes space usage:\n\n");
        let mut rows = vec![["VOLUME NAME", "LINKS", "SIZE"].map(String::from).to_vec()];
        for n in volumes.keys() {
            rows.push(vec![n.clone(), containers.volume_users(n).len().to_string(), human_size(containers.volume(n).map_or(0, |v| v.apparent_bytes()))]);
        }
        text.push_str(&table(&rows));
        text.push_str("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n");
        return Output::ok(text);
    }
    let rows = vec![
        vec!["TYPE".to_string(), "TOTAL".into(), "ACTIVE".into(), "SIZE".into(), "RECLAIMABLE".into()],
        vec!["Images".to_string(), records.len().to_string(), active_images.to_string(), human_size(image_total), pct(image_free, image_total)],
        vec!["Containers".to_string(), container_sizes.len().to_string(), container_sizes.iter().filter(|(_, r)| *r).count().to_string(), human_size(c_total), pct(c_free, c_total)],
        vec!["Local Volumes".to_string(), v_sizes.len().to_string(), v_sizes.iter().filter(|(_, u)| *u).count().to_string(), human_size(v_total), pct(v_free, v_total)],
        vec!["Build Cache".to_string(), store.cache_entries().to_string(), "0".into(), "0B".into(), "0B".into()],
    ];
    Output::ok(table(&rows))
}

fn save_command(args: &[String], host: &dyn Host) -> Output {
    let p = match SAVE.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if let Some(Err(out)) = p.value("platform").map(one_platform) {
        return out;
    }
    let (output, names) = (p.value("output").filter(|o| !o.is_empty()), &p.args);
    if output.is_none() && host.stdout_is_terminal() {
        return Output::fail(1, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    }
    let store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match (archive::save(&store, names), output) {
        // Redirected or piped: the archive is the command's output, byte for byte.
        (Ok(data), None) => Output::ok(data),
        (Ok(data), Some(output)) => match host.write_file(output, &data) {
            Ok(()) => Output::ok(""),
            Err(e) => Output::fail(1, format!("failed to save image: {e}\n")),
        },
        (Err(e), _) => store_error(e),
    }
}

/// `import file|- [REPOSITORY[:TAG]]`: a root filesystem tarball as an image.
fn import_command(args: &[String], host: &dyn Host) -> Output {
    let p = match IMPORT.read(args, 1, Some(2)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if let Some(Err(out)) = p.value("platform").map(one_platform) {
        return out;
    }
    let mut options = crate::daemon::import::ImportOptions { changes: p.values("change").iter().map(|c| c.to_string()).collect(), message: p.value("message").unwrap_or_default().to_string(), ..Default::default() };
    let (source, reference) = (p.args[0].clone(), p.args.get(1).cloned().unwrap_or_default());
    if source.starts_with("http://") || source.starts_with("https://") {
        return daemon_error(format!("importing from a URL ({source}) needs a network Berth does not reach: download the tarball and import the file"));
    }
    let data = match host.read_file(&source) {
        Ok(d) => d,
        Err(e) => return Output::fail(1, format!("{e}\n")),
    };
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    options.reference = reference;
    options.source = source;
    match crate::daemon::import::import(&mut store, data, &options, &rfc3339(host.now())) {
        Ok(id) => Output::ok(format!("{id}\n")),
        Err(e) => daemon_error(e),
    }
}

fn load_command(args: &[String], host: &dyn Host) -> Output {
    let p = match LOAD.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if let Some(Err(out)) = p.value("platform").map(one_platform) {
        return out;
    }
    let (input, quiet) = (p.value("input").filter(|i| !i.is_empty()).unwrap_or("-").to_string(), p.bool("quiet"));
    let data = match host.read_file(&input) {
        Ok(d) => d,
        Err(e) => return Output::fail(1, format!("{e}\n")),
    };
    if data.is_empty() {
        return Output::fail(1, "requested load from stdin, but stdin is empty\n");
    }
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match archive::load(&mut store, &data, &rfc3339(host.now())) {
        Ok(lines) if quiet => {
            let _ = lines;
            Output::ok("")
        }
        Ok(lines) => Output::ok(lines.join("\n") + "\n"),
        Err(e) => daemon_error(e),
    }
}
