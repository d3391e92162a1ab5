//! `push`, `pull`, `login` and `logout` against real peers: Debian's `docker-registry`
//! (CNCF distribution) started here on 127.0.0.1, plain and with htpasswd basic auth;
//! `skopeo` and `podman` reading what Berth pushed and pushing what Berth pulls; and a
//! registry written here that misbehaves. `scripts/test` installs the peers; where one
//! is missing the test says so and passes, except as root (as CI runs), where that is a
//! failure.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::native::{busybox_rootfs, is_root};

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A scratch directory removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("berth-registry-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `berth` with its state in `state` and its Docker config in `config`.
fn berth(state: &Path, config: &Path, args: &[&str], stdin: &str) -> Output {
    berth_env(state, config, args, stdin, &[])
}

fn berth_env(state: &Path, config: &Path, args: &[&str], stdin: &str, env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_berth"));
    c.args(args).env("BERTH_ROOT", state).env("DOCKER_CONFIG", config).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("berth runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Debian's `docker-registry` on a free port of 127.0.0.1, stopped when dropped.
struct Registry {
    child: Child,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start(dir: &Path, htpasswd: Option<&Path>, tls: Option<(&Path, &Path)>) -> Registry {
        let port = free_port();
        let mut auth = htpasswd.map_or(String::new(), |p| format!("auth:\n  htpasswd:\n    realm: berth-test\n    path: {}\n", p.display()));
        if let Some((cert, key)) = tls {
            auth = format!("  tls:\n    certificate: {}\n    key: {}\n{auth}", cert.display(), key.display());
        }
        let config = format!("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: berth-test\n{auth}", dir.join("data").display());
        let path = dir.join(format!("registry-{port}.yml"));
        std::fs::write(&path, config).unwrap();
        let child = Command::new("docker-registry").arg("serve").arg(&path).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("docker-registry starts");
        let r = Registry { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("docker-registry did not listen on 127.0.0.1:{port}");
    }
}

/// Whether the peers are here; as root (CI) a missing one is a failure.
fn peers(programs: &[&str]) -> bool {
    let missing: Vec<&&str> = programs.iter().filter(|p| !have(p)).collect();
    if missing.is_empty() && Path::new("/bin/busybox").exists() {
        return true;
    }
    assert!(!is_root(), "{missing:?} or busybox-static missing: scripts/test installs docker-registry, skopeo, podman, apache2-utils and busybox-static");
    println!("{missing:?} not installed (scripts/test installs them on Debian); skipped");
    false
}

/// A state directory with busybox imported as `bb`.
fn state_with_busybox(scratch: &Path, name: &str) -> PathBuf {
    let state = scratch.join(name);
    std::fs::create_dir_all(&state).unwrap();
    let tar = scratch.join("busybox.tar");
    if !tar.exists() {
        std::fs::write(&tar, busybox_rootfs()).unwrap();
    }
    let out = berth(&state, &scratch.join("docker"), &["import", "--change", "CMD [\"sh\"]", tar.to_str().unwrap(), "bb"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    state
}

fn digest_in(out: &str) -> String {
    out.split_whitespace().find(|w| w.starts_with("sha256:")).unwrap_or_default().to_string()
}

#[test]
fn images_go_through_a_real_registry_and_its_peers_read_them() {
    if !peers(&["docker-registry", "skopeo", "podman"]) {
        return;
    }
    let scratch = Scratch::new("plain");
    let s = &scratch.0;
    let reg = Registry::start(s, None, None);
    let host = format!("127.0.0.1:{}", reg.port);
    let config = s.join("docker");
    let a = state_with_busybox(s, "a");

    let name = format!("{host}/team/bb:1");
    assert_eq!(berth(&a, &config, &["tag", "bb", &name], "").status.code(), Some(0));
    let pushed = berth(&a, &config, &["push", &name], "");
    let out = text(&pushed);
    assert_eq!(pushed.status.code(), Some(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("The push refers to repository [{host}/team/bb]"));
    assert!(lines[1].ends_with(": Pushed"), "{out}");
    assert!(lines[2].starts_with("1: digest: sha256:") && lines[2].contains(" size: "), "{out}");
    let digest = digest_in(lines[2]);
    let again = text(&berth(&a, &config, &["push", &name], ""));
    assert!(again.lines().nth(1).unwrap().ends_with(": Layer already exists"), "{again}");

    // skopeo sees the same manifest, and copies it within the registry.
    let inspect = Command::new("skopeo").args(["inspect", "--tls-verify=false", &format!("docker://{name}")]).output().unwrap();
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap_or_else(|_| panic!("{}", text(&inspect)));
    assert_eq!(inspect["Digest"], digest.as_str());
    let copied = Command::new("skopeo").args(["copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", &format!("docker://{name}"), &format!("docker://{host}/from/skopeo:2")]).output().unwrap();
    assert!(copied.status.success(), "{}", text(&copied));

    // A second engine, empty, pulls it.
    let b = s.join("b");
    let pulled = berth(&b, &config, &["pull", &format!("{host}/from/skopeo:2")], "");
    let out = text(&pulled);
    assert_eq!(pulled.status.code(), Some(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "2: Pulling from from/skopeo");
    assert!(lines[1].ends_with(": Pulling fs layer") && out.contains(": Download complete\n") && out.contains(": Pull complete\n"), "{out}");
    assert!(out.contains(&format!("Digest: {digest}\n")), "{out}");
    assert!(out.ends_with(&format!("Status: Downloaded newer image for {host}/from/skopeo:2\n{host}/from/skopeo:2\n")), "{out}");
    let up_to_date = text(&berth(&b, &config, &["pull", &format!("{host}/from/skopeo:2")], ""));
    assert!(up_to_date.contains("Status: Image is up to date for"), "{up_to_date}");
    // `--pull always` asks the registry again; `--pull never` does not ask it at all.
    let created = berth(&b, &config, &["create", "--pull", "always", &format!("{host}/from/skopeo:2")], "");
    assert_eq!(created.status.code(), Some(0), "{}", text(&created));
    assert_eq!(String::from_utf8_lossy(&created.stderr), format!("2: Pulling from from/skopeo\nDigest: {digest}\nStatus: Image is up to date for {host}/from/skopeo:2\n"));
    let never = berth(&b, &config, &["create", "--pull", "never", &name], "");
    assert_eq!(never.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&never.stderr).starts_with(&format!("berth: Error response from daemon: No such image: {name}.\n")), "{}", text(&never));
    let inspected = text(&berth(&b, &config, &["image", "inspect", "--format", "{{json .RepoDigests}} {{.Architecture}}", &format!("{host}/from/skopeo:2")], ""));
    assert_eq!(inspected.trim(), format!("[\"{host}/from/skopeo@{digest}\"] amd64"));
    if is_root() {
        // No bridge: the image is what is under test, and a bridge would leave the
        // bridges' namespace and its way out in this scratch state.
        let ran = berth(&b, &config, &["run", "--rm", "--network", "none", &format!("{host}/from/skopeo:2"), "cat", "/etc/os"], "");
        assert_eq!(String::from_utf8_lossy(&ran.stdout), "bb1\n", "{}", text(&ran));
    }
    // Pushed under another repository of the same registry, the layer is mounted from
    // the one it came from instead of sent again.
    assert_eq!(berth(&b, &config, &["tag", &format!("{host}/from/skopeo:2"), &format!("{host}/team/copy:1")], "").status.code(), Some(0));
    let mounted = text(&berth(&b, &config, &["push", &format!("{host}/team/copy:1")], ""));
    assert!(mounted.lines().nth(1).is_some_and(|l| l.ends_with(": Mounted from from/skopeo")), "{mounted}");

    // podman pulls what Berth pushed, and pushes it back as Docker schema 2, which Berth
    // pulls (same config, so the same image ID).
    let storage = s.join("podman");
    let podman = |args: &[&str]| Command::new("podman").arg("--root").arg(storage.join("root")).arg("--runroot").arg(storage.join("run")).args(args).output().unwrap();
    let p = podman(&["pull", "-q", "--tls-verify=false", &name]);
    assert!(p.status.success(), "{}", text(&p));
    let p = podman(&["push", "-q", "--tls-verify=false", "--format", "v2s2", &name, &format!("{host}/from/podman:3")]);
    assert!(p.status.success(), "{}", text(&p));
    let pulled = berth(&b, &config, &["pull", &format!("{host}/from/podman:3")], "");
    assert_eq!(pulled.status.code(), Some(0), "{}", text(&pulled));
    let ids = text(&berth(&b, &config, &["images", "-q", "--no-trunc"], ""));
    assert_eq!(ids.lines().collect::<std::collections::BTreeSet<_>>().len(), 1, "one image under every name: {ids}");
    let _ = podman(&["rmi", "-a", "-f"]);

    // A build pulls its base from the registry (and again with `--pull`).
    let ctx = s.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), format!("FROM {name}\nCOPY Dockerfile /built-from\n")).unwrap();
    let c = s.join("c");
    for flags in [&[][..], &["--pull"][..]] {
        let mut args = vec!["build", "-q", "-t", "on-top"];
        args.extend_from_slice(flags);
        args.push(ctx.to_str().unwrap());
        let built = berth(&c, &config, &args, "");
        assert_eq!(built.status.code(), Some(0), "{}", text(&built));
    }
    let tags = text(&berth(&c, &config, &["images", "--format", "{{.Repository}}:{{.Tag}}"], ""));
    assert_eq!(tags.lines().collect::<std::collections::BTreeSet<_>>(), [format!("{host}/team/bb:1").as_str(), "on-top:latest"].into_iter().collect(), "{tags}");

    // What the registry does not have gets its words.
    let missing = berth(&b, &config, &["pull", &format!("{host}/team/bb:9")], "");
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr), format!("Error response from daemon: manifest for {host}/team/bb:9 not found: manifest unknown: manifest unknown\n"));
}

#[test]
fn logins_are_kept_in_the_docker_config_and_wrong_ones_refused() {
    if !peers(&["docker-registry", "htpasswd"]) {
        return;
    }
    let scratch = Scratch::new("auth");
    let s = &scratch.0;
    let htpasswd = s.join("htpasswd");
    let made = Command::new("htpasswd").args(["-Bbc", htpasswd.to_str().unwrap(), "ana", "s3cret"]).output().unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let reg = Registry::start(s, Some(&htpasswd), None);
    let host = format!("127.0.0.1:{}", reg.port);
    let config = s.join("docker");
    let a = state_with_busybox(s, "a");
    let name = format!("{host}/bb:1");
    berth(&a, &config, &["tag", "bb", &name], "");

    let denied = berth(&a, &config, &["push", &name], "");
    assert_eq!((denied.status.code(), String::from_utf8_lossy(&denied.stderr).into_owned()), (Some(1), "no basic auth credentials\n".to_string()));
    let wrong = berth(&a, &config, &["login", "-u", "ana", "--password-stdin", &host], "nope\n");
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&wrong.stderr), format!("Error response from daemon: login attempt to http://{host}/v2/ failed with status: 401 Unauthorized\n"));
    assert!(!config.join("config.json").exists(), "a refused login writes nothing");

    let ok = berth(&a, &config, &["login", "-u", "ana", "--password-stdin", &host], "s3cret\n");
    assert_eq!((ok.status.code(), String::from_utf8_lossy(&ok.stdout).into_owned()), (Some(0), "Login Succeeded\n".to_string()), "{}", text(&ok));
    assert!(String::from_utf8_lossy(&ok.stderr).starts_with(&format!("WARNING! Your password will be stored unencrypted in {}.", config.join("config.json").display())));
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(config.join("config.json")).unwrap()).unwrap();
    assert_eq!(file["auths"][&host]["auth"], "YW5hOnMzY3JldA==", "base64 of ana:s3cret, as Docker writes it");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(config.join("config.json")).unwrap().permissions().mode() & 0o777, 0o600);
    let pushed = berth(&a, &config, &["push", &name], "");
    assert_eq!(pushed.status.code(), Some(0), "{}", text(&pushed));
    let b = s.join("b");
    let pulled = berth(&b, &config, &["pull", "-q", &name], "");
    assert_eq!(String::from_utf8_lossy(&pulled.stdout), format!("{name}\n"), "{}", text(&pulled));

    let out = berth(&a, &config, &["logout", &host], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("Removing login credentials for {host}\n"));
    let out = berth(&a, &config, &["logout", &host], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("Not logged in to {host}\n"));
    let refused = berth(&s.join("c"), &config, &["pull", &name], "");
    assert_eq!(String::from_utf8_lossy(&refused.stderr), "Error response from daemon: no basic auth credentials\n");

    // A credential helper keeps the secret instead; the config names only the server.
    let bin = s.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let store = s.join("helper-store");
    let helper = format!(
        "#!/bin/sh\nset -e\ncase \"$1\" in\n  store) cat > {0} ;;\n  get) read server || true; u=$(sed 's/.*\"Username\":\"\\([^\"]*\\)\".*/\\1/' {0}); p=$(sed 's/.*\"Secret\":\"\\([^\"]*\\)\".*/\\1/' {0}); printf '{{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}}' \"$server\" \"$u\" \"$p\" ;;\n  erase) rm -f {0} ;;\nesac\n",
        store.display()
    );
    std::fs::write(bin.join("docker-credential-berthtest"), helper).unwrap();
    std::fs::set_permissions(bin.join("docker-credential-berthtest"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(config.join("config.json"), r#"{"credsStore": "berthtest", "psFormat": "kept"}"#).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH", path)];
    let ok = berth_env(&a, &config, &["login", "-u", "ana", "--password-stdin", &host], "s3cret\n", &env);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert_eq!(String::from_utf8_lossy(&ok.stderr), "", "no warning: the helper keeps the secret");
    assert!(std::fs::read_to_string(&store).unwrap().contains("\"Secret\":\"s3cret\""));
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(config.join("config.json")).unwrap()).unwrap();
    assert_eq!((file["auths"][&host].clone(), file["psFormat"].clone()), (serde_json::json!({}), serde_json::json!("kept")));
    let pulled = berth_env(&s.join("d"), &config, &["pull", "-q", &name], "", &env);
    assert_eq!(String::from_utf8_lossy(&pulled.stdout), format!("{name}\n"), "{}", text(&pulled));
}

/// A request's first line and headers, read from a connection the test's servers took.
fn read_head(stream: &std::net::TcpStream) -> (String, Vec<(String, String)>) {
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    let _ = reader.read_line(&mut first);
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        if reader.read_line(&mut l).unwrap_or(0) == 0 || l.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    (first, headers)
}

/// A server on 127.0.0.1 that reads each request's head and hands the connection and
/// the path to `handle`, on a thread of its own (a client trying TLS first, as Docker
/// does on 127.0.0.1, is hung up on).
fn serve_with(handle: impl Fn(std::net::TcpStream, String) + Send + Sync + 'static) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::sync::Arc::new(handle);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(stream) = stream else { continue };
            let mut first_byte = [0u8; 1];
            if stream.peek(&mut first_byte).is_ok_and(|n| n == 1) && first_byte[0] == 0x16 {
                continue;
            }
            let (first, _) = read_head(&stream);
            let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream, path));
        }
    });
    port
}

/// A registry that answers each path with a canned response, to misbehave with.
fn serve(routes: Vec<(String, Vec<u8>)>) -> u16 {
    serve_with(move |mut stream, path| {
        let answer = routes.iter().find(|(p, _)| path.starts_with(p.as_str())).map(|(_, a)| a.clone()).unwrap_or_else(|| b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec());
        let _ = stream.write_all(&answer);
        let _ = stream.flush();
        let mut sink = [0u8; 16];
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
        let _ = stream.read(&mut sink);
    })
}

fn ok(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

fn sha(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(data))
}

#[test]
fn a_registry_that_misbehaves_gets_a_clear_error_and_leaves_nothing() {
    let scratch = Scratch::new("bad");
    let s = &scratch.0;
    let config_blob = br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#.to_vec();
    let layer = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let manifest = |config: &str, layer_digest: &str, layer_size: usize| format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{layer_size}}}]}}"#, config_blob.len());
    let m = "application/vnd.oci.image.manifest.v1+json";
    let forged = sha(b"something else");
    let cut = |body: &[u8]| {
        let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        r.extend_from_slice(&body[..body.len() / 2]);
        r
    };
    let routes = vec![
        // A config whose bytes are not what the manifest's digest says.
        ("/v2/wrong/manifests/1".to_string(), ok(m, manifest(&forged, &sha(&layer), layer.len()).as_bytes())),
        (format!("/v2/wrong/blobs/{forged}"), ok("application/octet-stream", &config_blob)),
        // A layer that always stops halfway.
        ("/v2/cut/manifests/1".to_string(), ok(m, manifest(&sha(&config_blob), &sha(&layer), layer.len()).as_bytes())),
        (format!("/v2/cut/blobs/{}", sha(&config_blob)), ok("application/octet-stream", &config_blob)),
        (format!("/v2/cut/blobs/{}", sha(&layer)), cut(&layer)),
        // A manifest over Docker's 4 MB.
        ("/v2/big/manifests/1".to_string(), format!("HTTP/1.1 200 OK\r\nContent-Type: {m}\r\nContent-Length: 5000000\r\n\r\n").into_bytes()),
        // Blobs that redirect to themselves.
        ("/v2/loop/manifests/1".to_string(), ok(m, manifest(&sha(&config_blob), &sha(&layer), layer.len()).as_bytes())),
        ("/v2/loop/blobs/".to_string(), b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /v2/loop/blobs/again\r\nContent-Length: 0\r\n\r\n".to_vec()),
        // A registry that denies.
        ("/v2/denied/".to_string(), {
            let body = r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
            format!("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
        }),
    ];
    let port = serve(routes);
    let host = format!("127.0.0.1:{port}");
    let state = s.join("state");
    let config = s.join("docker");
    let pull = |repo: &str| {
        let out = berth(&state, &config, &["pull", &format!("{host}/{repo}:1")], "");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert_eq!(pull("wrong"), format!("Error response from daemon: failed to verify {forged}: unexpected commit digest {}, expected {forged}: failed precondition\n", sha(&config_blob)));
    let e = pull("cut");
    assert!(e.starts_with(&format!("Error response from daemon: Get \"http://{host}/v2/cut/blobs/{}\": download of", sha(&layer))) && e.contains("kept stopping"), "{e}");
    assert_eq!(pull("big"), format!("Error response from daemon: manifest for {host}/big:1 is larger than the 4 MiB Docker allows\n"));
    let e = pull("loop");
    assert!(e.ends_with(": stopped after 10 redirects\n"), "{e}");
    assert_eq!(pull("denied"), "Error response from daemon: denied: requested access to the resource is denied\n");
    // Nothing half-pulled is in the store.
    let images = berth(&state, &config, &["images", "-q"], "");
    assert_eq!(String::from_utf8_lossy(&images.stdout), "");
    let blobs = std::fs::read_dir(state.join("blobs/sha256")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(blobs, 0, "no blob was written");
}

/// A registry that stalls halfway through a blob, holding the connection open: each
/// try ends at the read timeout, the download is resumed, and after the last try the
/// pull fails with the reason, leaving nothing in the store.
#[test]
fn a_registry_that_stalls_mid_blob_times_out_with_a_clear_error() {
    let scratch = Scratch::new("stall");
    let s = &scratch.0;
    let config_blob = br#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#.to_vec();
    let layer: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let manifest = format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}]}}"#, sha(&config_blob), config_blob.len(), sha(&layer), layer.len());
    let layer_digest = sha(&layer);
    let layer_path = format!("/v2/slow/blobs/{layer_digest}");
    let port = serve_with(move |mut stream, path| {
        if path == layer_path {
            // Half the blob, then nothing, the connection held for 8 s.
            let _ = stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", layer.len()).as_bytes());
            let _ = stream.write_all(&layer[..layer.len() / 2]);
            let _ = stream.flush();
            std::thread::sleep(std::time::Duration::from_secs(8));
        } else if path.starts_with("/v2/slow/manifests/") {
            let _ = stream.write_all(&ok("application/vnd.oci.image.manifest.v1+json", manifest.as_bytes()));
        } else if path.starts_with("/v2/slow/blobs/") {
            let _ = stream.write_all(&ok("application/octet-stream", &config_blob));
        } else {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let state = s.join("state");
    let config = s.join("docker");
    let t = std::time::Instant::now();
    let out = berth_env(&state, &config, &["pull", &format!("127.0.0.1:{port}/slow:1")], "", &[("BERTH_REGISTRY_STALL_SECONDS", "1".into())]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(e.contains(&format!("download of {layer_digest} kept stopping after")) && e.contains("the connection stalled (no data within the read timeout)"), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(30), "each stall ends at the 1 s read timeout: {:?}", t.elapsed());
    assert_eq!(String::from_utf8_lossy(&berth(&state, &config, &["images", "-q"], "").stdout), "");
    assert_eq!(std::fs::read_dir(state.join("blobs/sha256")).map(|d| d.count()).unwrap_or(0), 0, "no blob was written");
}

#[test]
fn a_registry_with_a_certificate_of_its_own_is_trusted_through_certs_d() {
    if !peers(&["docker-registry", "openssl", "skopeo"]) {
        return;
    }
    let scratch = Scratch::new("tls");
    let s = &scratch.0;
    // A CA, and a certificate it signs for 127.0.0.1.
    let sh = |script: &str| {
        let out = Command::new("sh").arg("-c").arg(script).current_dir(s).output().unwrap();
        assert!(out.status.success(), "{script}: {}", text(&out));
    };
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=berth test CA'");
    sh("openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj '/CN=127.0.0.1'");
    sh("printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext.cnf");
    let reg = Registry::start(s, None, Some((&s.join("srv.crt"), &s.join("srv.key"))));
    let host = format!("127.0.0.1:{}", reg.port);
    let config = s.join("docker");
    let a = state_with_busybox(s, "a");
    let name = format!("{host}/secure/bb:1");
    berth(&a, &config, &["tag", "bb", &name], "");
    let certs_d = s.join("certs.d");
    let none = [("BERTH_CERTS_D", certs_d.display().to_string())];
    // Not trusted yet: Docker's words, and nothing sent in plain HTTP instead.
    let refused = berth_env(&a, &config, &["pull", &name], "", &none);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&refused.stderr), format!("Error response from daemon: Get \"https://{host}/v2/secure/bb/manifests/1\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n"));
    // Its CA in certs.d/<host:port>/ca.crt, as Docker reads it.
    std::fs::create_dir_all(certs_d.join(&host)).unwrap();
    std::fs::copy(s.join("ca.crt"), certs_d.join(&host).join("ca.crt")).unwrap();
    let pushed = berth_env(&a, &config, &["push", &name], "", &none);
    assert_eq!(pushed.status.code(), Some(0), "{}", text(&pushed));
    let digest = digest_in(&text(&pushed));
    let inspect = Command::new("skopeo").args(["inspect", "--cert-dir"]).arg(certs_d.join(&host)).arg(format!("docker://{name}")).output().unwrap();
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap_or_else(|_| panic!("{}", text(&inspect)));
    assert_eq!(inspect["Digest"], digest.as_str(), "skopeo reads over TLS what Berth pushed");
    let pulled = berth_env(&s.join("b"), &config, &["pull", "-q", &name], "", &none);
    assert_eq!(String::from_utf8_lossy(&pulled.stdout), format!("{name}\n"), "{}", text(&pulled));
}

/// base64url without padding, as JWTs write it.
fn b64url(data: &[u8]) -> String {
    engine::image::distribution::auth::base64(data).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// A token server as Docker Hub's works: `GET /token?service=…&scope=…` with basic
/// credentials `ana:s3cret` gets a JWT the registry trusts (RS256, signed with openssl,
/// its certificate in `x5c`); other credentials get Docker Hub's 401. Returns its port
/// and the scopes it was asked for.
fn token_server(dir: &Path) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let scopes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = scopes.clone();
    let dir = dir.to_path_buf();
    let der = Command::new("openssl").args(["x509", "-in"]).arg(dir.join("token.crt")).args(["-outform", "der"]).output().unwrap().stdout;
    let x5c = engine::image::distribution::auth::base64(&der);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(100) {
            let Ok(mut stream) = stream else { continue };
            let (first, headers) = read_head(&stream);
            let authorization = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("authorization")).map(|(_, v)| v.clone()).unwrap_or_default();
            let query = first.split_whitespace().nth(1).unwrap_or("").split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
            let param = |k: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{k}="))).map(|v| v.replace("%3A", ":").replace("%2C", ",").replace("%2F", "/"));
            let scope = param("scope").unwrap_or_default();
            seen.lock().unwrap().push(scope.clone());
            let reply = if authorization != format!("Basic {}", engine::image::distribution::auth::base64(b"ana:s3cret")) {
                let body = r#"{"details":"incorrect username or password"}"#;
                format!("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
            } else {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                let access: Vec<serde_json::Value> = scope
                    .split(' ')
                    .filter_map(|s| {
                        let mut p = s.splitn(3, ':');
                        let (kind, name, actions) = (p.next()?, p.next()?, p.next()?);
                        Some(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
                    })
                    .collect();
                let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
                let claims = serde_json::json!({"iss": "berth-test-issuer", "sub": "ana", "aud": param("service").unwrap_or_default(), "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("t{now}"), "access": access});
                let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
                let mut sign = Command::new("openssl").args(["dgst", "-sha256", "-sign"]).arg(dir.join("token.key")).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
                sign.stdin.take().unwrap().write_all(signing_input.as_bytes()).unwrap();
                let signature = sign.wait_with_output().unwrap().stdout;
                let body = serde_json::json!({"token": format!("{signing_input}.{}", b64url(&signature)), "expires_in": 300}).to_string();
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, scopes)
}

#[test]
fn a_registry_behind_a_token_server_takes_logins_as_docker_hub_does() {
    if !peers(&["docker-registry", "openssl"]) {
        return;
    }
    let scratch = Scratch::new("token");
    let s = &scratch.0;
    let made = Command::new("openssl").args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "token.key", "-out", "token.crt", "-days", "2", "-subj", "/CN=berth token signer"]).current_dir(s).output().unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let (token_port, scopes) = token_server(s);
    let port = free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: berth-test\nauth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: berth-test\n    issuer: berth-test-issuer\n    rootcertbundle: {}\n",
        s.join("data").display(),
        s.join("token.crt").display()
    );
    std::fs::write(s.join("registry.yml"), config).unwrap();
    let child = Command::new("docker-registry").arg("serve").arg(s.join("registry.yml")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let _reg = Registry { child, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let host = format!("127.0.0.1:{port}");
    let docker = s.join("docker");
    let a = state_with_busybox(s, "a");
    let name = format!("{host}/team/bb:1");
    berth(&a, &docker, &["tag", "bb", &name], "");

    let wrong = berth(&a, &docker, &["login", "-u", "ana", "--password-stdin", &host], "nope\n");
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&wrong.stderr), format!("Error response from daemon: Get \"http://{host}/v2/\": unauthorized: incorrect username or password\n"));
    let ok = berth(&a, &docker, &["login", "-u", "ana", "--password-stdin", &host], "s3cret\n");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "Login Succeeded\n", "{}", text(&ok));
    let pushed = berth(&a, &docker, &["push", &name], "");
    assert_eq!(pushed.status.code(), Some(0), "{}", text(&pushed));
    let pulled = berth(&s.join("b"), &docker, &["pull", "-q", &name], "");
    assert_eq!(String::from_utf8_lossy(&pulled.stdout), format!("{name}\n"), "{}", text(&pulled));
    let asked = scopes.lock().unwrap().clone();
    // The registry's challenge names the actions in an order of its own.
    assert!(asked.iter().any(|s| s == "repository:team/bb:pull,push" || s == "repository:team/bb:push,pull"), "{asked:?}");
    assert!(asked.iter().any(|s| s == "repository:team/bb:pull"), "{asked:?}");
}

/// Docker Hub's search as the network answers it.
struct HubSearch;

impl engine::image::distribution::Remote for HubSearch {
    fn send(&self, request: &engine::image::distribution::http::Request) -> Result<engine::image::distribution::http::Response, engine::image::distribution::http::HttpError> {
        assert!(request.url.starts_with("https://index.docker.io/v1/search?q=redis&n="), "{}", request.url);
        let body = serde_json::json!({"num_results": 3, "query": "redis", "results": [
            {"name": "redis", "description": "Redis is the world's fastest data platform for caching, vector search, and NoSQL databases.", "star_count": 13000, "is_official": true, "is_automated": false},
            {"name": "bitnami/redis", "description": "Bitnami container image for Redis", "star_count": 300, "is_official": false, "is_automated": true},
            {"name": "redislabs/redisearch", "description": "Redis With the RedisSearch module", "star_count": 60, "is_official": false, "is_automated": false}
        ]});
        Ok(engine::image::distribution::http::Response { status: 200, reason: "OK".into(), headers: Vec::new(), body: body.to_string().into_bytes() })
    }
}

#[test]
fn search_asks_docker_hub_and_without_a_network_says_it_lists_the_catalog() {
    let host = crate::MemoryHost::new("").with_remote(Box::new(HubSearch));
    let out = crate::sessions_on(&host, &["berth search redis", "berth search --filter is-official=true --no-trunc redis", "berth search --filter stars=100 --limit 1 --format '{{.Name}}: {{.StarCount}} {{.IsOfficial}}' redis", "berth search --filter nope=1 redis", "berth search --limit 0 redis"]);
    assert!(out.contains("NAME                   DESCRIPTION                                     STARS     OFFICIAL\nredis                  Redis is the world's fastest data platform f…   13000     [OK]\nbitnami/redis          Bitnami container image for Redis               300\nredislabs/redisearch   Redis With the RedisSearch module               60\n"), "{out}");
    assert!(out.contains("redis     Redis is the world's fastest data platform for caching, vector search, and NoSQL databases.   13000     [OK]\n--- stderr"), "{out}");
    assert!(out.contains("--- stdout\nredis: 13000 [OK]\n--- stderr"), "{out}");
    assert!(out.contains("Error response from daemon: invalid filter 'nope'"), "{out}");
    assert!(out.contains("Error response from daemon: limit 0 is outside the range of [1, 100]"), "{out}");
    // No network: the catalog, and stderr says so.
    let out = crate::session("", "berth search alpine");
    assert!(out.contains("alpine    Berth's catalog: 3.20, "), "{out}");
    assert!(out.contains("   -         [OK]\n"), "no star count is made up: {out}");
    assert!(out.contains("no network here to reach Docker Hub's search; these are the images of Berth's offline catalog"), "{out}");
}
