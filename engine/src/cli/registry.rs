//! `login`, `logout` and `push`. Where the host lends a network (the native binary), a
//! registry other than Docker Hub is a real one, spoken to by `image::distribution`, and
//! logins go to the Docker config file. Otherwise, and for Docker Hub, and on localhost
//! where nothing listens, the engine's own registry answers: for Docker Hub
//! (`docker.io/<user>/…`, after `login`) and for a local registry (`localhost:5000/…`, no
//! login, as a `registry:2` container would), so a registry lesson works offline. Images
//! pushed there survive `rmi` and come back with `pull` or `run`.

use std::collections::BTreeMap;

use super::{Host, Output};
use crate::image::distribution::transfer::push_image;
use crate::image::distribution::Client;
use crate::image::pull::is_local_registry;
use crate::image::store::{normalize, ImageStore, StoreError};
use crate::reference::Reference;

const AUTH_KEY: &str = "berth/auth.json";
const HUB: &str = "https://index.docker.io/v1/";

fn open(host: &dyn Host) -> Result<ImageStore, Output> {
    let storage = host.storage().map_err(|e| Output::fail(1, format!("berth: cannot open the state directory: {e}\n")))?;
    ImageStore::open(storage).map_err(|e| Output::fail(1, format!("berth: cannot read the image store: {e}\n")))
}

/// Logged-in users by server (`https://index.docker.io/v1/`, `localhost:5000`).
fn logins(host: &dyn Host) -> BTreeMap<String, String> {
    host.storage().ok().and_then(|s| s.read(AUTH_KEY)).and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save_logins(host: &dyn Host, logins: &BTreeMap<String, String>) -> Result<(), String> {
    let mut storage = host.storage()?;
    storage.write(AUTH_KEY, &serde_json::to_vec_pretty(logins).unwrap_or_default())
}

fn server_key(server: Option<&str>) -> String {
    match server {
        None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io" | "https://index.docker.io/v1/") => HUB.to_string(),
        Some(s) => s.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_string(),
    }
}

pub fn login(args: &[String], host: &dyn Host) -> Output {
    let p = match super::tables::LOGIN.read(args, 0, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (user, mut password, server, stdin) = (p.value("username").map(str::to_string), p.value("password").map(str::to_string), p.args.first().cloned(), p.bool("password-stdin"));
    if stdin && password.is_some() {
        return Output::fail(1, "--password and --password-stdin are mutually exclusive\n");
    }
    if stdin && user.is_none() {
        return Output::fail(1, "Must provide --username with --password-stdin\n");
    }
    let mut out = Output::ok("");
    if password.is_some() {
        out.stderr.extend_from_slice(("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n").as_bytes());
    }
    if stdin {
        password = host.read_file("-").ok().map(|b| String::from_utf8_lossy(&b).trim_end_matches(['\n', '\r']).to_string());
    }
    let user = match user.or_else(|| host.read_line("Username: ")) {
        Some(u) if !u.is_empty() => u,
        Some(_) => return Output::fail(1, "Error: Non-null Username Required\n"),
        None => return Output::fail(1, "Error: Cannot perform an interactive login from a non TTY device\n"),
    };
    let password = match password.or_else(|| host.read_line("Password: ")) {
        Some(p) if !p.is_empty() => p,
        Some(_) => return Output::fail(1, "Error: Password Required\n"),
        None => return Output::fail(1, "Error: Cannot perform an interactive login from a non TTY device\n"),
    };
    let key = server_key(server.as_deref());
    if let Some(remote) = host.remote().filter(|_| key != HUB) {
        match Client::login(remote, &key, &user, &password) {
            Ok(()) => {
                match remote.store_credentials(&key, &user, &password) {
                    Ok(Some(path)) => out.stderr.extend_from_slice(format!("WARNING! Your password will be stored unencrypted in {path}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credential-stores\n\n").as_bytes()),
                    Ok(None) => {}
                    Err(e) => return Output::fail(1, format!("{e}\n")),
                }
                out.stdout.extend_from_slice(b"Login Succeeded\n");
                return out;
            }
            // Nothing listens on localhost: the engine's own registry answers there.
            Err(e) if e.refused() && is_local_registry(&key) => {}
            Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
        }
    }
    if key != HUB && !is_local_registry(&key) {
        return Output::fail(1, format!("Error response from daemon: Get \"https://{key}/v2/\": dial tcp: lookup {}: no such host\n", key.split(':').next().unwrap_or(&key)));
    }
    let mut all = logins(host);
    all.insert(key, user);
    if let Err(e) = save_logins(host, &all) {
        return Output::fail(1, format!("Error saving credentials: {e}\n"));
    }
    out.stdout.extend_from_slice(("Login Succeeded\n").as_bytes());
    out
}

pub fn logout(args: &[String], host: &dyn Host) -> Output {
    let p = match super::tables::LOGOUT.read(args, 0, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let key = server_key(p.args.first().map(String::as_str));
    let mut all = logins(host);
    let shown = if key == HUB { HUB.to_string() } else { key.clone() };
    if let Some(remote) = host.remote().filter(|_| key != HUB) {
        match remote.erase_credentials(&key) {
            Ok(true) => {
                if all.remove(&key).is_some() {
                    let _ = save_logins(host, &all);
                }
                return Output::ok(format!("Removing login credentials for {shown}\n"));
            }
            Ok(false) => {}
            Err(e) => return Output::fail(1, format!("{e}\n")),
        }
    }
    if all.remove(&key).is_none() {
        return Output::ok(format!("Not logged in to {shown}\n"));
    }
    if let Err(e) = save_logins(host, &all) {
        return Output::fail(1, format!("Error saving credentials: {e}\n"));
    }
    Output::ok(format!("Removing login credentials for {shown}\n"))
}

/// `push [-q] NAME[:TAG]`. Content trust is not signed (`--disable-content-trust` is the
/// default); `--all-tags` and `--platform` are refused in words.
pub fn push(args: &[String], host: &dyn Host) -> Output {
    let p = match super::tables::PUSH.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.bool("all-tags") {
        return Output::fail(1, "berth: push --all-tags is not supported: push each tag by name\n");
    }
    if p.changed("platform") {
        return Output::fail(1, "berth: push --platform is not supported: Berth keeps one platform per image, and pushes that one\n");
    }
    let (quiet, name) = (p.bool("quiet"), &p.args[0]);
    let reference = match Reference::parse(name) {
        Ok(r) => r,
        Err(e) => return Output::fail(1, format!("invalid reference format: {e}\n")),
    };
    let mut out = Output::ok("");
    if reference.tag.is_none() && reference.digest.is_none() {
        out.stdout.extend_from_slice(("Using default tag: latest\n").as_bytes());
    }
    let Ok(full) = normalize(name) else { return Output::fail(1, "invalid reference format\n") };
    let mut store = match open(host) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if store.resolve(&full).is_none() {
        out.code = 1;
        out.stderr.extend_from_slice(format!("An image does not exist locally with the tag: {}\n", reference.familiar_name()).as_bytes());
        return out;
    }
    let repository = full.rsplit_once(':').map_or(full.as_str(), |(r, _)| r).to_string();
    if !quiet {
        out.stdout.extend_from_slice(format!("The push refers to repository [{repository}]\n").as_bytes());
    }
    let deny = |mut out: Output, message: &str| {
        out.code = 1;
        out.stderr.extend_from_slice((message).as_bytes());
        out
    };
    let tag = reference.tag.clone().unwrap_or_else(|| "latest".into());
    if let Some(remote) = host.remote().filter(|_| reference.domain != "docker.io") {
        match push_image(&store, remote, &full, &reference.domain, &reference.path, &tag) {
            Ok(p) => {
                if quiet {
                    out.stdout = format!("{}\n", crate::image::store::familiar(&full)).into();
                    return out;
                }
                for l in p.lines {
                    out.stdout.extend_from_slice(format!("{l}\n").as_bytes());
                }
                out.stdout.extend_from_slice(format!("{tag}: digest: {} size: {}\n", p.digest, p.size).as_bytes());
                return out;
            }
            // Nothing listens on localhost: the engine's own registry answers there.
            Err(e) if e.refused() && is_local_registry(&reference.domain) => {}
            Err(e) => return deny(out, &format!("{e}\n")),
        }
    }
    if is_local_registry(&reference.domain) {
        // A local registry takes anything.
    } else if reference.domain == "docker.io" {
        let namespace = reference.path.split('/').next().unwrap_or("");
        match logins(host).get(HUB) {
            Some(user) if reference.path.contains('/') && namespace == user && namespace != "library" => {}
            _ => return deny(out, "denied: requested access to the resource is denied\n"),
        }
    } else {
        return deny(out, &format!("Get \"https://{}/v2/\": dial tcp: lookup {}: no such host\n", reference.domain, reference.domain.split(':').next().unwrap_or("")));
    }
    match store.push(&full, &full) {
        Ok(crate::image::store::Pushed { layers, manifest, size }) => {
            if quiet {
                out.stdout = format!("{}\n", crate::image::store::familiar(&full)).into();
                return out;
            }
            for (digest, existed) in layers {
                out.stdout.extend_from_slice(format!("{}: {}\n", digest.short(), if existed { "Layer already exists" } else { "Pushed" }).as_bytes());
            }
            out.stdout.extend_from_slice(format!("{tag}: digest: {manifest} size: {size}\n").as_bytes());
            out
        }
        Err(StoreError::NotFound(n)) => deny(out, &format!("An image does not exist locally with the tag: {n}\n")),
        Err(e) => deny(out, &format!("{e}\n")),
    }
}
