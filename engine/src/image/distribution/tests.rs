//! The client against a registry in memory that speaks the protocol (and misbehaves on
//! request). The real registry, skopeo and podman are in `tests/cli/registry.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::transfer::{pull_image, push_image};
use super::*;
use crate::image::layer::{layer_of, LayerOptions};
use crate::image::oci::ImageConfig;
use crate::image::store::ImageStore;
use crate::vfs::{FileSystem, MemoryFs};

#[derive(Default)]
pub(crate) struct Fake {
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    manifests: Mutex<HashMap<String, (String, Vec<u8>)>>,
    uploads: Mutex<HashMap<String, Vec<u8>>>,
    /// Requests as `METHOD path`, with `+range` where one asked for a range.
    pub(crate) log: Mutex<Vec<String>>,
    /// Tokens are needed, from `/token`, for `ana:secret`.
    bearer: bool,
    /// The next blob download stops halfway.
    cut: AtomicBool,
    /// Blobs are served with one byte changed.
    tamper: bool,
    /// Every blob request redirects to itself.
    redirect_loop: bool,
    logins: Mutex<HashMap<String, (String, String)>>,
    /// The host has a terminal: progress frames are kept here.
    tty: bool,
    frames: Mutex<Vec<String>>,
}

fn resp(status: u16, headers: &[(&str, String)], body: impl Into<Vec<u8>>) -> Response {
    Response { status, reason: String::new(), headers: headers.iter().map(|(n, v)| (n.to_string(), v.clone())).collect(), body: body.into() }
}

impl Remote for Fake {
    fn send(&self, r: &Request) -> Result<Response, HttpError> {
        let url = http::Url::parse(&r.url)?;
        let header = |n: &str| r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
        self.log.lock().unwrap().push(format!("{} {}{}", r.method, url.path, if header("range").is_some() { " +range" } else { "" }));
        let (path, query) = url.path.split_once('?').unwrap_or((url.path.as_str(), ""));
        if path == "/token" {
            return Ok(if header("authorization") == Some(format!("Basic {}", base64(b"ana:secret"))) {
                resp(200, &[], r#"{"token":"T0K3N"}"#)
            } else {
                resp(401, &[], r#"{"details":"incorrect username or password"}"#)
            });
        }
        if self.bearer && header("authorization").as_deref() != Some("Bearer T0K3N") {
            return Ok(resp(401, &[("WWW-Authenticate", r#"Bearer realm="http://fake/token",service="fake.test""#.into())], r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#));
        }
        let rest = path.strip_prefix("/v2/").unwrap_or("");
        if rest.is_empty() {
            return Ok(resp(200, &[], "{}"));
        }
        let query: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
        if let Some((repo, reference)) = rest.split_once("/manifests/") {
            let key = format!("{repo}/{reference}");
            if r.method == "PUT" {
                let d = Digest::of(&r.body);
                let media = header("content-type").unwrap_or_default();
                self.manifests.lock().unwrap().insert(key, (media.clone(), r.body.clone()));
                self.manifests.lock().unwrap().insert(format!("{repo}/{d}"), (media, r.body.clone()));
                return Ok(resp(201, &[("Docker-Content-Digest", d.to_string())], ""));
            }
            return Ok(match self.manifests.lock().unwrap().get(&key) {
                Some((media, bytes)) => resp(200, &[("Content-Type", media.clone())], bytes.clone()),
                None => resp(404, &[], r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#),
            });
        }
        if let Some((repo, tail)) = rest.split_once("/blobs/uploads/") {
            return Ok(match r.method {
                "POST" => {
                    if let (Some(d), Some(_)) = (query.get("mount"), query.get("from")) {
                        if self.blobs.lock().unwrap().contains_key(*d) {
                            return Ok(resp(201, &[], ""));
                        }
                    }
                    let id = format!("u{}", self.uploads.lock().unwrap().len());
                    self.uploads.lock().unwrap().insert(id.clone(), Vec::new());
                    resp(202, &[("Location", format!("/v2/{repo}/blobs/uploads/{id}"))], "")
                }
                "PATCH" => {
                    self.uploads.lock().unwrap().get_mut(tail).unwrap().extend_from_slice(&r.body);
                    resp(202, &[("Location", format!("/v2/{repo}/blobs/uploads/{tail}?_state=x"))], "")
                }
                _ => {
                    let data = self.uploads.lock().unwrap().remove(tail).unwrap();
                    let d = query["digest"];
                    assert_eq!(Digest::of(&data).to_string(), d, "an upload is what its digest says");
                    self.blobs.lock().unwrap().insert(d.to_string(), data);
                    resp(201, &[], "")
                }
            });
        }
        if let Some((_, d)) = rest.split_once("/blobs/") {
            if self.redirect_loop {
                return Ok(resp(307, &[("Location", url.path.clone())], ""));
            }
            let Some(mut data) = self.blobs.lock().unwrap().get(d).cloned() else { return Ok(resp(404, &[], r#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#)) };
            if r.method == "HEAD" {
                return Ok(resp(200, &[], ""));
            }
            if self.tamper {
                data[0] ^= 1;
            }
            if let Some(from) = header("range").and_then(|h| h.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok()) {
                return Ok(resp(206, &[], data[from..].to_vec()));
            }
            if data.len() > 100 && self.cut.swap(false, Ordering::SeqCst) {
                return Err(HttpError::Truncated(Box::new(http::Truncated { status: 200, partial: data[..data.len() / 2].to_vec(), expected: Some(data.len() as u64), why: "connection reset".into() })));
            }
            return Ok(resp(200, &[], data));
        }
        Ok(resp(404, &[], ""))
    }
    fn credentials(&self, server: &str) -> Option<(String, String)> {
        self.logins.lock().unwrap().get(server).cloned()
    }
    fn store_credentials(&self, server: &str, user: &str, secret: &str) -> Result<Option<String>, String> {
        self.logins.lock().unwrap().insert(server.into(), (user.into(), secret.into()));
        Ok(None)
    }
    fn erase_credentials(&self, server: &str) -> Result<bool, String> {
        Ok(self.logins.lock().unwrap().remove(server).is_some())
    }
    fn show_progress(&self, frame: &str) -> bool {
        if self.tty {
            self.frames.lock().unwrap().push(frame.to_string());
        }
        self.tty
    }
}

pub(crate) fn image(store: &mut ImageStore, content: &[u8], arch: &str) -> Digest {
    let mut fs = MemoryFs::new();
    fs.create_dir("/app", 0o755).unwrap();
    fs.write("/app/model.bin", content).unwrap();
    let blob = layer_of(&fs, &LayerOptions::default()).unwrap();
    let mut config = ImageConfig::empty();
    config.architecture = arch.into();
    config.rootfs.diff_ids.push(blob.diff_id.clone());
    store.add(&config, &[blob], &[format!("app:{arch}")], "2026-01-01T00:00:00Z").unwrap()
}

fn amd64() -> Platform {
    Platform::parse("linux/amd64").unwrap()
}

#[test]
fn a_pushed_image_comes_back_whole_through_a_token_server() {
    let fake = Fake { bearer: true, ..Fake::default() };
    let mut store = ImageStore::in_memory();
    let id = image(&mut store, &[7; 5000], "amd64");
    // Without a login the token server refuses, in Docker Hub's words.
    let err = push_image(&store, &fake, "app:amd64", "fake.test", "team/app", "1").err().unwrap().to_string();
    assert!(err.starts_with("Get \"https://fake.test/v2/team/app/blobs/sha256:") && err.ends_with("\": unauthorized: incorrect username or password"), "{err}");
    assert_eq!(Client::login(&fake, "fake.test", "ana", "nope").unwrap_err().to_string(), "Get \"https://fake.test/v2/\": unauthorized: incorrect username or password");
    Client::login(&fake, "fake.test", "ana", "secret").unwrap();
    fake.store_credentials("fake.test", "ana", "secret").unwrap();
    let pushed = push_image(&store, &fake, "app:amd64", "fake.test", "team/app", "1").unwrap();
    assert_eq!(pushed.lines.len(), 1);
    assert!(pushed.lines[0].ends_with(": Pushed"), "{:?}", pushed.lines);
    let again = push_image(&store, &fake, "app:amd64", "fake.test", "team/app", "1").unwrap();
    assert!(again.lines[0].ends_with(": Layer already exists"));
    assert_eq!(again.digest, pushed.digest);
    let log = fake.log.lock().unwrap().join("\n");
    assert!(log.contains("PATCH /v2/team/app/blobs/uploads/u0") && log.contains("PUT /v2/team/app/manifests/1"), "{log}");

    let mut other = ImageStore::in_memory();
    let pulled = pull_image(&mut other, &fake, "fake.test", "team/app", "1", Some("fake.test/team/app:1"), &amd64(), None).unwrap();
    assert_eq!(pulled.id, id, "the config, and so the image ID, is the same");
    assert_eq!(pulled.digest, pushed.digest, "the manifest is kept byte for byte");
    assert_eq!(other.resolve("fake.test/team/app:1").unwrap().repo_digest.as_deref(), Some(format!("fake.test/team/app@{}", pushed.digest).as_str()));
    let layers = other.layers(&pulled.id).unwrap();
    assert_eq!(layers[0].read("/app/model.bin").unwrap(), vec![7; 5000]);
    // By digest, and again (every layer already there).
    let by_digest = pull_image(&mut other, &fake, "fake.test", "team/app", &pushed.digest.to_string(), None, &amd64(), None).unwrap();
    assert!(by_digest.lines.iter().all(|l| l.ends_with("Already exists")), "{:?}", by_digest.lines);
    // Pushed under another name on the same registry, the layer is mounted, not sent.
    other.tag("fake.test/team/app:1", "fake.test/team/copy:1").unwrap();
    let mounted = push_image(&other, &fake, "fake.test/team/copy:1", "fake.test", "team/copy", "1").unwrap();
    assert!(mounted.lines[0].ends_with(": Layer already exists") || mounted.lines[0].ends_with(": Mounted from team/app"), "{:?}", mounted.lines);
}

#[test]
fn an_index_gives_the_platforms_manifest_and_a_missing_platform_is_named() {
    let fake = Fake::default();
    let mut store = ImageStore::in_memory();
    image(&mut store, b"x86", "amd64");
    image(&mut store, b"arm", "arm64");
    let a = push_image(&store, &fake, "app:amd64", "fake.test", "multi", "amd64").unwrap();
    let b = push_image(&store, &fake, "app:arm64", "fake.test", "multi", "arm64").unwrap();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"amd64"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
        a.digest, a.size, b.digest, b.size
    );
    Client::new(&fake, "fake.test", "multi", true).put_manifest("1", index.as_bytes(), oci::MEDIA_TYPE_INDEX).unwrap();
    let mut other = ImageStore::in_memory();
    let pulled = pull_image(&mut other, &fake, "fake.test", "multi", "1", Some("fake.test/multi:1"), &Platform::parse("linux/arm64").unwrap(), None).unwrap();
    assert_eq!(pulled.digest, Digest::of(index.as_bytes()), "the repo digest is the index's, as Docker shows it");
    assert_eq!(other.config(&pulled.id).unwrap().architecture, "arm64");
    let err = pull_image(&mut other, &fake, "fake.test", "multi", "1", None, &Platform::parse("linux/s390x").unwrap(), None).err().unwrap();
    assert_eq!(err.to_string(), "no matching manifest for linux/s390x in the manifest list entries");
    let err = pull_image(&mut other, &fake, "fake.test", "multi", "2", None, &amd64(), None).err().unwrap();
    assert_eq!(err.to_string(), "manifest for fake.test/multi:2 not found: manifest unknown: manifest unknown");
}

#[test]
fn a_cut_download_resumes_and_bad_content_leaves_nothing() {
    let fake = Fake::default();
    let mut store = ImageStore::in_memory();
    let bytes: Vec<u8> = (0..40_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    image(&mut store, &bytes, "amd64");
    push_image(&store, &fake, "app:amd64", "fake.test", "app", "1").unwrap();
    fake.cut.store(true, Ordering::SeqCst);
    let mut other = ImageStore::in_memory();
    let pulled = pull_image(&mut other, &fake, "fake.test", "app", "1", Some("fake.test/app:1"), &amd64(), None).unwrap();
    assert_eq!(other.layers(&pulled.id).unwrap()[0].read("/app/model.bin").unwrap(), bytes);
    assert!(fake.log.lock().unwrap().iter().any(|l| l.ends_with("+range")), "the rest was asked for with a Range");

    let tampered = Fake { tamper: true, blobs: Mutex::new(fake.blobs.lock().unwrap().clone()), manifests: Mutex::new(fake.manifests.lock().unwrap().clone()), ..Fake::default() };
    let mut empty = ImageStore::in_memory();
    let err = pull_image(&mut empty, &tampered, "fake.test", "app", "1", Some("fake.test/app:1"), &amd64(), None).err().unwrap();
    assert!(err.to_string().starts_with("failed to verify sha256:"), "{err}");
    assert_eq!(empty.images().count(), 0, "nothing half-pulled is recorded");

    let looping = Fake { redirect_loop: true, blobs: Mutex::new(fake.blobs.lock().unwrap().clone()), manifests: Mutex::new(fake.manifests.lock().unwrap().clone()), ..Fake::default() };
    let err = pull_image(&mut empty, &looping, "fake.test", "app", "1", None, &amd64(), None).err().unwrap().to_string();
    assert!(err.ends_with("stopped after 10 redirects"), "{err}");

    let big = Fake::default();
    big.manifests.lock().unwrap().insert("app/1".into(), ("application/vnd.oci.image.manifest.v1+json".into(), vec![b' '; (MANIFEST_LIMIT + 1) as usize]));
    // The fake answers whole; the limit is the transport's to keep, as `tcp` does.
    let limited = |r: &Request| {
        let got = big.send(r)?;
        if got.body.len() as u64 > r.limit {
            return Err(HttpError::TooLarge(r.limit));
        }
        Ok(got)
    };
    struct Limited<'a, F: Fn(&Request) -> Result<Response, HttpError> + Sync>(&'a F);
    impl<F: Fn(&Request) -> Result<Response, HttpError> + Sync> Remote for Limited<'_, F> {
        fn send(&self, r: &Request) -> Result<Response, HttpError> {
            (self.0)(r)
        }
    }
    let err = pull_image(&mut empty, &Limited(&limited), "fake.test", "app", "1", None, &amd64(), None).err().unwrap().to_string();
    assert_eq!(err, "manifest for fake.test/app:1 is larger than the 4 MiB Docker allows");
    assert_eq!(empty.images().count(), 0);
}

#[test]
fn platforms_and_registry_errors_read_as_docker_writes_them() {
    assert_eq!(Platform::parse("linux/arm64").unwrap().to_string(), "linux/arm64");
    assert_eq!(Platform::parse("linux/arm64").unwrap().variant.as_deref(), Some("v8"));
    assert_eq!(Platform::parse("x86_64").unwrap().to_string(), "linux/amd64");
    assert_eq!(Platform::parse("linux/arm/v7").unwrap().to_string(), "linux/arm/v7");
    assert!(Platform::parse("a/b/c/d").is_err());
    let r = resp(403, &[], r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#);
    assert_eq!(registry_message(&r), "denied: requested access to the resource is denied");
    assert_eq!(base_url("127.0.0.1:5000"), "http://127.0.0.1:5000");
    assert_eq!(base_url("localhost"), "http://localhost");
    assert_eq!(base_url("ghcr.io"), "https://ghcr.io");
    assert_eq!(base_url("docker.io"), "https://registry-1.docker.io");
}

#[test]
fn on_a_terminal_a_pull_draws_its_layers_in_place() {
    assert_eq!(super::transfer::bar(3_146_000, 31_370_000), format!("[=====>{}]  3.146MB/31.37MB", " ".repeat(45)));
    assert_eq!(super::transfer::bar(0, 0), format!("[>{}]       0B/0B", " ".repeat(50)));
    assert_eq!(super::transfer::bar(10, 10), format!("[{}>]      10B/10B", "=".repeat(50)));
    let fake = Fake { tty: true, ..Fake::default() };
    let mut store = ImageStore::in_memory();
    image(&mut store, &[1; 3000], "amd64");
    push_image(&store, &fake, "app:amd64", "fake.test", "app", "1").unwrap();
    let board = super::transfer::Board::new(&fake, vec!["1: Pulling from app".into()]);
    let mut other = ImageStore::in_memory();
    let pulled = pull_image(&mut other, &fake, "fake.test", "app", "1", None, &amd64(), Some(&board)).unwrap();
    let frames = fake.frames.lock().unwrap().clone();
    let short = &pulled.layers[0].0;
    assert_eq!(frames[0], format!("1: Pulling from app\n{short}: Pulling fs layer\n"), "{frames:#?}");
    let last = frames.last().unwrap();
    assert_eq!(last, &format!("\x1b[2A\r\x1b[J1: Pulling from app\n{short}: Pull complete\n"), "each frame replaces the last");
    assert!(frames.iter().any(|f| f.ends_with(&format!("{short}: Download complete\n"))), "{frames:#?}");
    assert!(board.shown.load(Ordering::SeqCst));
}
