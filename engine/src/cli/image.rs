//! Image commands: `pull`, `images`, `tag`, `rmi`, `save`, `load`, with Docker's output
//! and error wording. State lives in the host's storage (`BERTH_ROOT` natively).

use super::format::{human_duration, human_size, parse_rfc3339, rfc3339, table};
use super::flags::{flag, Command, Kind};
use super::{unknown_flag, Arg, Args, Host, Output};
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

fn usage(command: &str, args: &str, summary: &str) -> Output {
    Output::ok(format!("\nUsage:  berth {command} {args}\n\n{summary}\n"))
}

fn needs_args(command: &str, min: usize, args: &str) -> Output {
    let plural = if min == 1 { "argument" } else { "arguments" };
    Output::fail(1, format!("\"berth {command}\" requires at least {min} {plural}.\nSee 'berth {command} --help'.\n\nUsage:  berth {command} {args}\n"))
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

fn positional_only<'a>(command: &str, args: &'a [String], help: &Output) -> Result<(Vec<&'a str>, Vec<&'a str>), Output> {
    let mut flags = Vec::new();
    let mut names = Vec::new();
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("-h" | "--help", _) => return Err(help.clone()),
            Arg::Flag(f, _) => flags.push(f),
            Arg::Positional(p) => names.push(p),
        }
    }
    let _ = command;
    Ok((flags, names))
}

fn pull_command(args: &[String], host: &dyn Host) -> Output {
    let help = usage("pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry (from the catalog, Berth's offline registry, where there is no network)\n\nOptions:\n      --platform string   Set platform if server is multi-platform capable\n  -q, --quiet             Suppress verbose output");
    // `--platform VALUE` takes a value; the other flags take none.
    let mut platform = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--platform" {
            match it.next() {
                Some(v) => platform = Some(v.clone()),
                None => return Output::fail(125, "flag needs an argument: --platform\nSee 'docker pull --help'.\n"),
            }
        } else if let Some(v) = a.strip_prefix("--platform=") {
            platform = Some(v.to_string());
        } else {
            rest.push(a.clone());
        }
    }
    let args = &rest[..];
    let (flags, names) = match positional_only("pull", args, &help) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if let Some(f) = flags.iter().find(|f| !matches!(**f, "-q" | "--quiet")) {
        return unknown_flag("pull", f);
    }
    let quiet = !flags.is_empty();
    let [name] = names[..] else {
        return if names.is_empty() { needs_args("pull", 1, "[OPTIONS] NAME[:TAG|@DIGEST]") } else { Output::fail(1, "\"berth pull\" requires exactly 1 argument.\nSee 'berth pull --help'.\n") };
    };
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match pull::pull_for(&mut store, &Catalog::embedded(), name, host.remote(), platform.as_deref(), !quiet) {
        Ok(p) => {
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

fn has_no_tag(name: &str) -> bool {
    crate::reference::Reference::parse(name).is_ok_and(|r| r.tag.is_none() && r.digest.is_none())
}

/// `docker images`'s table.
pub static IMAGES: Command = Command {
    path: "images",
    usage: "[OPTIONS] [REPOSITORY[:TAG]]",
    about: "List images",
    aliases: &["image ls", "image list", "images"],
    flags: &[
        flag("all", Kind::Bool, "Show all images (default hides intermediate and dangling images)").short('a'),
        flag("digests", Kind::Bool, "Show digests"),
        flag("filter", Kind::Filter, "Filter output based on conditions provided").short('f'),
        flag("format", Kind::String, super::container::FORMAT_USAGE),
        flag("no-trunc", Kind::Bool, "Don't truncate output"),
        flag("quiet", Kind::Bool, "Only show image IDs").short('q'),
        flag("tree", Kind::Bool, "List multi-platform images as a tree (EXPERIMENTAL)"),
    ],
    interspersed: true,
};

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
        return Output::ok(super::format::format_rows(f, &fields, &docs));
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
fn history_command(args: &[String], host: &dyn Host) -> Output {
    let help = usage("history", "[OPTIONS] IMAGE", "Show the history of an image\n\nOptions:\n      --format string  Format output using a custom template\n  -H, --human      Print sizes and dates in human readable format (default true)\n      --no-trunc   Don't truncate output\n  -q, --quiet      Only show image IDs");
    let (flags, names) = match positional_only("history", args, &help) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let format = super::format::format_flag(args);
    let names: Vec<&str> = names.into_iter().filter(|n| Some(*n) != format.as_deref()).collect();
    let (mut quiet, mut no_trunc) = (false, false);
    for f in flags {
        match f {
            "--format" => {}
            f if f.starts_with("--format=") => {}
            "-q" | "--quiet" => quiet = true,
            "--no-trunc" => no_trunc = true,
            "-H" | "--human" => {}
            other => return unknown_flag("history", other),
        }
    }
    let [name] = names.as_slice() else {
        return Output::fail(1, "\"berth history\" requires exactly 1 argument.\nSee 'berth history --help'.\n\nUsage:  berth history [OPTIONS] IMAGE\n\nShow the history of an image\n");
    };
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
        let created = h.created.as_deref().and_then(parse_rfc3339).map_or_else(|| "N/A".to_string(), |t| format!("{} ago", human_duration(now - t)));
        let mut by = h.created_by.clone().unwrap_or_default();
        docs.push(serde_json::json!({
            "ID": "<missing>",
            "CreatedAt": h.created.clone().unwrap_or_default(),
            "CreatedSince": created,
            "CreatedBy": by,
            "Size": human_size(size),
            "Comment": h.comment.clone().unwrap_or_default(),
        }));
        if !no_trunc && by.chars().count() > 45 {
            by = by.chars().take(44).collect::<String>() + "…";
        }
        rows.push(vec!["<missing>".to_string(), created, by, human_size(size), h.comment.clone().unwrap_or_default()]);
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
        return Output::ok(super::format::format_rows(&f, &fields, &docs));
    }
    let mut table_rows = vec![["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"].iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    table_rows.extend(rows);
    Output::ok(table(&table_rows))
}

fn tag_command(args: &[String], host: &dyn Host) -> Output {
    let help = usage("tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    let (flags, names) = match positional_only("tag", args, &help) {
        Ok(x) => x,
        Err(o) => return o,
    };
    if let Some(f) = flags.first() {
        return unknown_flag("tag", f);
    }
    let [source, target] = names[..] else {
        return Output::fail(1, "\"berth tag\" requires exactly 2 arguments.\nSee 'berth tag --help'.\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n");
    };
    let mut store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    if let Err(e) = normalize(target) {
        return Output::fail(1, format!("Error parsing reference: \"{target}\" is not a valid repository/tag: {}\n", e.to_string().trim_start_matches("invalid reference format: ")));
    }
    match store.tag(source, target) {
        Ok(()) => Output::ok(""),
        Err(e) => store_error(e),
    }
}

fn rmi_command(args: &[String], host: &dyn Host) -> Output {
    let help = usage("rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images\n\nOptions:\n  -f, --force   Force removal of the image");
    let (flags, names) = match positional_only("rmi", args, &help) {
        Ok(x) => x,
        Err(o) => return o,
    };
    let mut force = false;
    for f in flags {
        match f {
            "-f" | "--force" => force = true,
            other => return unknown_flag("rmi", other),
        }
    }
    if names.is_empty() {
        return needs_args("rmi", 1, "[OPTIONS] IMAGE [IMAGE...]");
    }
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
            Ok(lines) => out.stdout.extend_from_slice((lines.join("\n") + "\n").as_bytes()),
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
    let all = args.iter().any(|a| a == "-a" || a == "--all" || a == "-af" || a == "-fa");
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
    let candidates: Vec<(crate::image::Digest, bool)> = store.images().map(|r| (r.id.clone(), r.tags.is_empty())).collect();
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

/// `system df`: images, containers, volumes and the build cache, with what could be
/// reclaimed.
pub fn system_df(host: &dyn Host) -> Output {
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
    let mut output = None;
    let mut names = Vec::new();
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("-h" | "--help", _) => return usage("save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive\n\nOptions:\n  -o, --output string   Write to a file, instead of STDOUT"),
            Arg::Flag("-o" | "--output", v) => match it.value("--output", v) {
                Ok(v) => output = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag(f, _) => return unknown_flag("save", f),
            Arg::Positional(p) => names.push(p.to_string()),
        }
    }
    if names.is_empty() {
        return needs_args("save", 1, "[OPTIONS] IMAGE [IMAGE...]");
    }
    if output.is_none() && host.stdout_is_terminal() {
        return Output::fail(1, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    }
    let store = match open(host) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match (archive::save(&store, &names), output) {
        // Redirected or piped: the archive is the command's output, byte for byte.
        (Ok(data), None) => Output::ok(data),
        (Ok(data), Some(output)) => match host.write_file(&output, &data) {
            Ok(()) => Output::ok(""),
            Err(e) => Output::fail(1, format!("failed to save image: {e}\n")),
        },
        (Err(e), _) => store_error(e),
    }
}

/// `import file|- [REPOSITORY[:TAG]]`: a root filesystem tarball as an image.
fn import_command(args: &[String], host: &dyn Host) -> Output {
    let args_help = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]";
    let mut options = crate::daemon::import::ImportOptions::default();
    let mut names = Vec::new();
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("-h" | "--help", _) => {
                return usage("import", args_help, "Import the contents from a tarball to create a filesystem image\n\nOptions:\n  -c, --change list       Apply Dockerfile instruction to the created image\n  -m, --message string    Set commit message for imported image\n      --platform string   Set platform if server is multi-platform capable")
            }
            Arg::Flag("-c" | "--change", v) => match it.value("--change", v) {
                Ok(v) => options.changes.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-m" | "--message", v) => match it.value("--message", v) {
                Ok(v) => options.message = v.to_string(),
                Err(e) => return e,
            },
            Arg::Flag("--platform", v) => match it.value("--platform", v) {
                Ok(p) if p == "linux/amd64" || p == "linux" => {}
                Ok(p) => return daemon_error(format!("image with reference {p} was found but does not match the specified platform: wanted {p}, actual: linux/amd64")),
                Err(e) => return e,
            },
            Arg::Flag(f, _) => return unknown_flag("import", f),
            Arg::Positional(p) => names.push(p.to_string()),
        }
    }
    let (source, reference) = match names.as_slice() {
        [] => return needs_args("import", 1, args_help),
        [source] => (source.clone(), String::new()),
        [source, reference] => (source.clone(), reference.clone()),
        _ => return Output::fail(1, format!("\"berth import\" requires at least 1 and at most 2 arguments.\nSee 'berth import --help'.\n\nUsage:  berth import {args_help}\n\nImport the contents from a tarball to create a filesystem image\n")),
    };
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
    let mut input = "-".to_string();
    let mut quiet = false;
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("-h" | "--help", _) => return usage("load", "[OPTIONS]", "Load an image from a tar archive or STDIN\n\nOptions:\n  -i, --input string   Read from tar archive file, instead of STDIN\n  -q, --quiet          Suppress the load output"),
            Arg::Flag("-i" | "--input", v) => match it.value("--input", v) {
                Ok(v) => input = v.to_string(),
                Err(e) => return e,
            },
            Arg::Flag("-q" | "--quiet", _) => quiet = true,
            Arg::Flag(f, _) => return unknown_flag("load", f),
            Arg::Positional(p) => return Output::fail(1, format!("\"berth load\" accepts no arguments.\nSee 'berth load --help'.\n(got {p:?})\n")),
        }
    }
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
