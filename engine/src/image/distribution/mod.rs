//! A client of the OCI distribution protocol (what `docker pull`, `push` and `login`
//! speak to a registry): manifest negotiation over OCI indexes and manifests and Docker's
//! schema 2 lists and manifests, platform selection, blobs verified against their
//! digests and fetched several at once, interrupted downloads resumed with `Range`,
//! pushes with existence checks, cross-repository mounts and chunked uploads, and
//! authentication by the registry's challenge (a Bearer token from its token server, or
//! basic credentials). It sends its requests through the [`Remote`] the host lends
//! (`http::tcp` natively); it never opens a socket of its own.

pub mod auth;
pub mod credentials;
pub mod http;
pub mod transfer;

use std::sync::Mutex;

use serde_json::Value;

use self::auth::{base64, parse_challenge, Challenge};
pub use self::http::{HttpError, Remote, Request, Response};
use super::digest::Digest;
use super::oci;

/// Docker's limit on a manifest's size.
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// How many layers download at once (Docker's `max-concurrent-downloads`).
#[cfg(not(target_arch = "wasm32"))]
const CONCURRENT: usize = 3;
/// Blobs go up in pieces of this size (one `PATCH` each).
const CHUNK: usize = 8 << 20;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
const MEDIA_TYPE_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A request that got no answer, in Go's words: `Get "http://…/v2/": dial tcp …`.
    #[error("{method} \"{url}\": {error}")]
    Http { method: String, url: String, error: HttpError },
    /// What the registry said, as Docker prints its error codes: `manifest unknown: manifest unknown`.
    #[error("{0}")]
    Registry(String),
    #[error("manifest for {name} not found: {why}")]
    ManifestUnknown { name: String, why: String },
    #[error("no basic auth credentials")]
    NoCredentials,
    #[error("no matching manifest for {0} in the manifest list entries")]
    NoPlatform(String),
    #[error("failed to verify {expected}: unexpected commit digest {actual}, expected {expected}: failed precondition")]
    Digest { expected: Digest, actual: Digest },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Nothing listens where the registry should be.
    pub fn refused(&self) -> bool {
        matches!(self, Error::Http { error: HttpError::Refused(_), .. })
    }

    /// The registry could not be reached at all (no address, no route, no TLS).
    pub fn unreachable(&self) -> bool {
        matches!(self, Error::Http { error: HttpError::Dial { .. } | HttpError::Lookup(_) | HttpError::Tls(_), .. })
    }
}

/// `Get`, `Head`, … as Go's errors name methods.
fn go_method(m: &str) -> String {
    let lower = m.to_ascii_lowercase();
    let mut c = lower.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

/// The errors in a registry's JSON body, as Docker shows them (`denied: requested access
/// to the resource is denied`); the status line when the body has none.
pub fn registry_message(resp: &Response) -> String {
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let errors: Vec<String> = body
        .as_ref()
        .and_then(|b| b.get("errors"))
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .map(|e| {
                    let code = e.get("code").and_then(Value::as_str).unwrap_or("UNKNOWN").replace('_', " ").to_ascii_lowercase();
                    let message = e.get("message").and_then(Value::as_str).unwrap_or("");
                    format!("{code}: {message}")
                })
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return errors.join(", ");
    }
    // Docker Hub's token server says `{"details": "incorrect username or password"}`.
    if let Some(d) = body.as_ref().and_then(|b| b.get("details")).and_then(Value::as_str) {
        return if resp.status == 401 { format!("unauthorized: {d}") } else { d.to_string() };
    }
    if resp.status == 401 {
        return "unauthorized: authentication required".into();
    }
    format!("unexpected status from registry request: {} {}", resp.status, resp.reason)
}

/// Whether Docker lets a registry speak plain HTTP: one on localhost or 127.0.0.0/8 (it
/// tries HTTPS first, and plain HTTP where that fails).
pub fn insecure(domain: &str) -> bool {
    let host = domain.rsplit_once(':').map_or(domain, |(h, p)| if p.bytes().all(|b| b.is_ascii_digit()) { h } else { domain });
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// `docker.io` is served from `registry-1.docker.io`; a registry Docker lets be insecure
/// is named by its plain-HTTP URL (where a failure is reported).
pub fn base_url(domain: &str) -> String {
    let domain_or_hub = if domain == "docker.io" { "registry-1.docker.io" } else { domain };
    format!("{}://{domain_or_hub}", if insecure(domain) { "http" } else { "https" })
}

/// The key a login is kept under (`https://index.docker.io/v1/` for Docker Hub).
pub fn credential_key(domain: &str) -> String {
    if domain == "docker.io" {
        "https://index.docker.io/v1/".into()
    } else {
        domain.to_string()
    }
}

/// One repository on one registry, with the authorization earned so far.
pub struct Client<'a> {
    remote: &'a dyn Remote,
    pub domain: String,
    pub repository: String,
    /// `https://…`, or `http://…` once an insecure registry has not answered HTTPS.
    base: Mutex<String>,
    /// `pull` or `pull,push`: what a token is asked to allow.
    actions: &'static str,
    /// Credentials to use instead of the stored ones (`login -u -p`).
    login: Option<(String, String)>,
    authorization: Mutex<Option<String>>,
}

/// A manifest as the registry sent it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
}

impl<'a> Client<'a> {
    pub fn new(remote: &'a dyn Remote, domain: &str, repository: &str, push: bool) -> Client<'a> {
        let hub = if domain == "docker.io" { "registry-1.docker.io" } else { domain };
        Client { remote, domain: domain.into(), repository: repository.into(), base: Mutex::new(format!("https://{hub}")), actions: if push { "pull,push" } else { "pull" }, login: None, authorization: Mutex::new(None) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}", self.base.lock().unwrap_or_else(|e| e.into_inner()), path)
    }

    /// `send_once`, and for a registry Docker lets be insecure, the same over plain HTTP
    /// where HTTPS got no answer (from then on, for this client).
    fn send_plain_if_need_be(&self, request: Request) -> Result<Response, Error> {
        let https = format!("https://{}", self.domain);
        let first = self.send_once(request.clone());
        let fallback = insecure(&self.domain) && request.url.starts_with(&https) && matches!(&first, Err(Error::Http { error, .. }) if !matches!(error, HttpError::TooLarge(_) | HttpError::Truncated(_)));
        if !fallback {
            return first;
        }
        *self.base.lock().unwrap_or_else(|e| e.into_inner()) = format!("http://{}", self.domain);
        let mut plain = request;
        plain.url = format!("http://{}{}", self.domain, &plain.url[https.len()..]);
        match self.send_once(plain) {
            // It does speak TLS, and the TLS failure is what to say.
            Ok(r) if r.status == 400 && String::from_utf8_lossy(&r.body).contains("HTTP request to an HTTPS server") => {
                *self.base.lock().unwrap_or_else(|e| e.into_inner()) = https;
                first
            }
            other => other,
        }
    }

    fn credentials(&self) -> Option<(String, String)> {
        self.login.clone().or_else(|| self.remote.credentials(&credential_key(&self.domain)))
    }

    /// `request`, following redirects for reads (Go stops after 10). The authorization
    /// goes only to the registry's own host.
    fn send_once(&self, mut request: Request) -> Result<Response, Error> {
        let origin = http::Url::parse(&request.url).map_err(|e| self.http_error(&request, e))?.authority;
        if let Some(a) = self.authorization.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            request.headers.push(("Authorization".into(), a));
        }
        for _ in 0..10 {
            let resp = self.remote.send(&request).map_err(|e| self.http_error(&request, e))?;
            let redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308) && matches!(request.method, "GET" | "HEAD");
            let Some(location) = resp.header("location").filter(|_| redirect) else { return Ok(resp) };
            let here = http::Url::parse(&request.url).map_err(|e| self.http_error(&request, e))?;
            request.url = here.join(location);
            if http::Url::parse(&request.url).map_err(|e| self.http_error(&request, e))?.authority != origin {
                request.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            }
        }
        Err(Error::Http { method: go_method(request.method), url: request.url.clone(), error: HttpError::Malformed("stopped after 10 redirects".into()) })
    }

    fn http_error(&self, request: &Request, error: HttpError) -> Error {
        Error::Http { method: go_method(request.method), url: request.url.clone(), error }
    }

    /// `request`, answering one 401 challenge.
    pub fn send(&self, mut request: Request) -> Result<Response, Error> {
        let resp = self.send_plain_if_need_be(request.clone())?;
        // The request goes on where the registry answered.
        let base = self.base.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if request.url.starts_with(&format!("https://{}", self.domain)) && base.starts_with("http://") {
            request.url = format!("{base}{}", &request.url[format!("https://{}", self.domain).len()..]);
        }
        if resp.status != 401 {
            return Ok(resp);
        }
        let Some(challenge) = resp.header("www-authenticate").and_then(parse_challenge) else { return Ok(resp) };
        let authorization = match challenge {
            Challenge::Basic => {
                let (user, password) = self.credentials().ok_or(Error::NoCredentials)?;
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
            }
            Challenge::Bearer { realm, mut params } => {
                params.entry("scope".into()).or_insert_with(|| format!("repository:{}:{}", self.repository, self.actions));
                if self.repository.is_empty() {
                    params.remove("scope");
                }
                format!("Bearer {}", self.token(&realm, &params, &request.url)?)
            }
        };
        *self.authorization.lock().unwrap_or_else(|e| e.into_inner()) = Some(authorization);
        self.send_once(request)
    }

    /// A token from the registry's token server.
    fn token(&self, realm: &str, params: &std::collections::BTreeMap<String, String>, for_url: &str) -> Result<String, Error> {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", percent(v))).collect();
        let url = if query.is_empty() { realm.to_string() } else { format!("{realm}{}{}", if realm.contains('?') { '&' } else { '?' }, query.join("&")) };
        let mut request = Request::new("GET", url);
        request.limit = 1 << 20;
        if let Some((user, password)) = self.credentials() {
            request.headers.push(("Authorization".into(), format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))));
        }
        let resp = self.remote.send(&request).map_err(|e| self.http_error(&request, e))?;
        if resp.status != 200 {
            // Docker names the request that needed the token.
            return Err(Error::Http { method: "Get".into(), url: for_url.to_string(), error: HttpError::Other(registry_message(&resp)) });
        }
        let v: Value = serde_json::from_slice(&resp.body).map_err(|e| Error::Invalid(format!("token server {realm}: {e}")))?;
        v.get("token").or_else(|| v.get("access_token")).and_then(Value::as_str).map(str::to_string).ok_or_else(|| Error::Invalid(format!("token server {realm} sent no token")))
    }

    /// `GET /v2/`: whether the registry takes these credentials (`docker login`).
    pub fn login(remote: &'a dyn Remote, domain: &str, user: &str, password: &str) -> Result<(), Error> {
        let mut c = Client::new(remote, domain, "", false);
        c.login = Some((user.into(), password.into()));
        let resp = c.send(Request::new("GET", c.url("")))?;
        // Named as it was reached (plain HTTP, for an insecure registry without TLS).
        let url = c.url("");
        match resp.status {
            200..=299 => Ok(()),
            401 if resp.header("www-authenticate").is_some_and(|h| h.to_ascii_lowercase().starts_with("basic")) => Err(Error::Registry(format!("login attempt to {url} failed with status: {} {}", resp.status, resp.reason))),
            _ => Err(Error::Http { method: "Get".into(), url, error: HttpError::Other(registry_message(&resp)) }),
        }
    }

    /// The manifest (or index) a tag or digest names, checked against the digest when one
    /// is asked for.
    pub fn manifest(&self, reference: &str, shown: &str) -> Result<Fetched, Error> {
        let mut request = Request::new("GET", self.url(&format!("{}/manifests/{reference}", self.repository))).header("Accept", ACCEPT);
        request.limit = MANIFEST_LIMIT;
        let resp = match self.send(request) {
            Err(Error::Http { error: HttpError::TooLarge(_), .. }) => return Err(Error::Invalid(format!("manifest for {shown} is larger than the 4 MiB Docker allows"))),
            r => r?,
        };
        match resp.status {
            200 => {}
            404 => return Err(Error::ManifestUnknown { name: shown.into(), why: registry_message(&resp) }),
            _ => return Err(Error::Registry(registry_message(&resp))),
        }
        let digest = Digest::of(&resp.body);
        if let Some(expected) = Digest::parse(reference) {
            if expected != digest {
                return Err(Error::Digest { expected, actual: digest });
            }
        }
        let declared: Option<Value> = serde_json::from_slice(&resp.body).ok();
        let media_type = resp
            .header("content-type")
            .map(|t| t.split(';').next().unwrap_or("").trim().to_string())
            .filter(|t| t.starts_with("application/vnd."))
            .or_else(|| declared.as_ref().and_then(|v| v.get("mediaType")).and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| oci::MEDIA_TYPE_MANIFEST.into());
        Ok(Fetched { bytes: resp.body, media_type, digest })
    }

    /// A blob, whole and verified; a download cut short goes on from where it stopped.
    pub fn blob(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, Error> {
        self.blob_with(digest, size, None)
    }

    /// [`Client::blob`], telling `progress` how many of its bytes have come.
    pub fn blob_with(&self, digest: &Digest, size: u64, progress: Option<http::Progress>) -> Result<Vec<u8>, Error> {
        let url = self.url(&format!("{}/blobs/{digest}", self.repository));
        let mut data: Vec<u8> = Vec::new();
        let mut tries = 0;
        loop {
            let mut request = Request::new("GET", url.clone());
            request.limit = if size > 0 { size } else { 16 << 30 };
            if !data.is_empty() {
                request.headers.push(("Range".into(), format!("bytes={}-", data.len())));
            }
            if let Some(p) = &progress {
                let (offset, p) = (data.len() as u64, p.0.clone());
                request.progress = Some(http::Progress(std::sync::Arc::new(move |n| p(offset + n))));
            }
            let resumed = !data.is_empty();
            match self.send(request) {
                Ok(resp) if resp.status == 200 => {
                    data = resp.body;
                    break;
                }
                Ok(resp) if resp.status == 206 && resumed => {
                    data.extend_from_slice(&resp.body);
                    break;
                }
                Ok(resp) => return Err(Error::Registry(registry_message(&resp))),
                Err(Error::Http { error: HttpError::Truncated(t), method, url }) => {
                    let http::Truncated { status, partial, why, .. } = *t;
                    tries += 1;
                    if tries > 5 {
                        return Err(Error::Http { method, url, error: HttpError::Other(format!("download of {digest} kept stopping after {} bytes: {why}", data.len())) });
                    }
                    match status {
                        200 => data = partial,
                        206 if resumed => data.extend_from_slice(&partial),
                        _ => data.clear(),
                    }
                }
                Err(Error::Http { error: HttpError::TooLarge(_), .. }) => return Err(Error::Invalid(format!("blob {digest} is larger than the {size} bytes its descriptor says"))),
                Err(e) => return Err(e),
            }
        }
        let actual = Digest::of(&data);
        if actual != *digest {
            return Err(Error::Digest { expected: digest.clone(), actual });
        }
        Ok(data)
    }

    /// Whether the repository has the blob (`HEAD`).
    pub fn has_blob(&self, digest: &Digest) -> Result<bool, Error> {
        let resp = self.send(Request::new("HEAD", self.url(&format!("{}/blobs/{digest}", self.repository))))?;
        match resp.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(Error::Registry(registry_message(&resp))),
        }
    }

    /// Puts a blob into the repository: mounted from `from` (another repository of this
    /// registry) where the registry allows it, else uploaded in chunks. Returns whether it
    /// was mounted.
    pub fn put_blob(&self, digest: &Digest, data: &[u8], from: Option<&str>) -> Result<bool, Error> {
        let uploads = self.url(&format!("{}/blobs/uploads/", self.repository));
        let start = match from {
            Some(f) => format!("{uploads}?mount={digest}&from={}", percent(f)),
            None => uploads,
        };
        let resp = self.send(Request::new("POST", start.clone()))?;
        if resp.status == 201 && from.is_some() {
            return Ok(true);
        }
        if resp.status != 202 {
            return Err(Error::Registry(registry_message(&resp)));
        }
        let mut location = self.location(&start, &resp)?;
        let mut offset = 0;
        for chunk in data.chunks(CHUNK) {
            let mut request = Request::new("PATCH", location.clone()).header("Content-Type", "application/octet-stream").header("Content-Range", format!("{offset}-{}", offset + chunk.len() - 1));
            request.body = chunk.to_vec();
            let resp = self.send(request)?;
            if resp.status != 202 {
                return Err(Error::Registry(registry_message(&resp)));
            }
            location = self.location(&location, &resp)?;
            offset += chunk.len();
        }
        let sep = if location.contains('?') { '&' } else { '?' };
        let resp = self.send(Request::new("PUT", format!("{location}{sep}digest={digest}")).header("Content-Type", "application/octet-stream"))?;
        if resp.status != 201 {
            return Err(Error::Registry(registry_message(&resp)));
        }
        Ok(false)
    }

    fn location(&self, from: &str, resp: &Response) -> Result<String, Error> {
        let location = resp.header("location").ok_or_else(|| Error::Invalid("the registry sent no upload location".into()))?;
        Ok(http::Url::parse(from).map_err(|e| Error::Invalid(e.to_string()))?.join(location))
    }

    /// `PUT` of a manifest under a tag; the digest the registry gives it.
    pub fn put_manifest(&self, tag: &str, bytes: &[u8], media_type: &str) -> Result<Digest, Error> {
        let mut request = Request::new("PUT", self.url(&format!("{}/manifests/{tag}", self.repository))).header("Content-Type", media_type);
        request.body = bytes.to_vec();
        let resp = self.send(request)?;
        if resp.status != 201 && resp.status != 200 {
            return Err(Error::Registry(registry_message(&resp)));
        }
        Ok(resp.header("docker-content-digest").and_then(Digest::parse).unwrap_or_else(|| Digest::of(bytes)))
    }
}

/// Query-string escaping for token parameters and mount sources.
pub(crate) fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `os/arch[/variant]` as Docker normalises it (`amd64`, `arm64` is `arm64/v8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let (os, arch, variant) = match parts[..] {
            [os, arch] => (os, arch, None),
            [os, arch, v] => (os, arch, Some(v)),
            [arch] if !arch.is_empty() => ("linux", arch, None),
            _ => return Err(format!("\"{s}\": unknown operating system or architecture: invalid argument")),
        };
        let architecture = match arch.to_ascii_lowercase().as_str() {
            "x86_64" | "x86-64" | "amd64" => "amd64".to_string(),
            "aarch64" | "arm64" => "arm64".to_string(),
            "armhf" | "armel" | "arm" => "arm".to_string(),
            "i386" | "386" => "386".to_string(),
            a => a.to_string(),
        };
        let variant = variant.map(str::to_string).or_else(|| (architecture == "arm64").then(|| "v8".to_string()));
        Ok(Platform { os: os.to_ascii_lowercase(), architecture, variant })
    }

    fn matches(&self, entry: &Value) -> bool {
        let p = entry.get("platform");
        let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
        let variant = field("variant").map(str::to_string).or_else(|| (field("architecture") == Some("arm64")).then(|| "v8".to_string()));
        field("os") == Some(self.os.as_str()) && field("architecture") == Some(self.architecture.as_str()) && (self.variant.is_none() || variant == self.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = self.variant.as_ref().filter(|v| !(self.architecture == "arm64" && *v == "v8")) {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Whether a manifest is an index (OCI) or a list (Docker).
pub fn is_index(f: &Fetched) -> bool {
    f.media_type == oci::MEDIA_TYPE_INDEX || f.media_type == MEDIA_TYPE_DOCKER_LIST || (serde_json::from_slice::<Value>(&f.bytes).ok().is_some_and(|v| v.get("manifests").is_some() && v.get("layers").is_none()))
}

/// The entry of an index for `platform`: its digest and size.
pub fn select(index: &[u8], platform: &Platform) -> Result<(Digest, u64), Error> {
    let v: Value = serde_json::from_slice(index).map_err(|e| Error::Invalid(format!("manifest list: {e}")))?;
    let entries = v.get("manifests").and_then(Value::as_array).cloned().unwrap_or_default();
    let entry = entries.iter().find(|e| platform.matches(e)).ok_or_else(|| Error::NoPlatform(platform.to_string()))?;
    let digest = entry.get("digest").and_then(Value::as_str).and_then(Digest::parse).ok_or_else(|| Error::Invalid("manifest list entry without a digest".into()))?;
    Ok((digest, entry.get("size").and_then(Value::as_u64).unwrap_or(0)))
}

/// What a layer's media type says about its compression; zstd and others are refused.
pub fn layer_supported(media_type: &str) -> Result<(), Error> {
    if media_type.contains("zstd") {
        return Err(Error::Invalid(format!("layer media type {media_type}: zstd layers are not supported yet")));
    }
    if media_type.contains("tar") || media_type.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(format!("unsupported layer media type {media_type}")))
    }
}

/// Runs `jobs` with at most [`CONCURRENT`] at once; the results in order.
pub fn concurrently<T: Send, F: FnOnce() -> T + Send>(jobs: Vec<F>) -> Vec<T> {
    let jobs: Vec<Mutex<Option<F>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<T>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let Some(slot) = jobs.get(i) else { break };
        if let Some(job) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let r = job();
            *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
    };
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::scope(|s| {
        for _ in 1..CONCURRENT.min(jobs.len()) {
            s.spawn(work);
        }
        work();
    });
    #[cfg(target_arch = "wasm32")]
    work();
    results.into_iter().filter_map(|r| r.into_inner().unwrap_or_else(|e| e.into_inner())).collect()
}

/// The native binary's network: HTTP over TCP, logins in the Docker config directory,
/// the machine's own platform.
#[cfg(not(target_arch = "wasm32"))]
pub struct NativeRemote {
    pub config: credentials::DockerConfig,
    /// Extra CA certificates per registry: `/etc/docker/certs.d` (or `$BERTH_CERTS_D`).
    pub certs_d: std::path::PathBuf,
    /// TLS settings by registry host, made on first use.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    tls: Mutex<std::collections::HashMap<String, http::tcp::TlsConfig>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl NativeRemote {
    pub fn from_env() -> NativeRemote {
        let certs_d = std::env::var_os("BERTH_CERTS_D").map_or_else(|| "/etc/docker/certs.d".into(), std::path::PathBuf::from);
        NativeRemote { config: credentials::DockerConfig::from_env(), certs_d, tls: Mutex::new(Default::default()) }
    }

    #[cfg(feature = "tls")]
    fn tls_for(&self, authority: &str) -> Result<http::tcp::TlsConfig, HttpError> {
        let mut cache = self.tls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get(authority) {
            return Ok(c.clone());
        }
        let c = http::tcp::tls_config(authority, &self.certs_d)?;
        cache.insert(authority.to_string(), c.clone());
        Ok(c)
    }

    #[cfg(not(feature = "tls"))]
    fn tls_for(&self, _: &str) -> Result<http::tcp::TlsConfig, HttpError> {
        Ok(())
    }
}

/// How long a read may wait for data before the transfer counts as stalled: Docker's
/// 30 s, or `BERTH_REGISTRY_STALL_SECONDS` (the tests' stalling registry uses 1).
#[cfg(not(target_arch = "wasm32"))]
fn stall_timeout() -> std::time::Duration {
    let secs = std::env::var("BERTH_REGISTRY_STALL_SECONDS").ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| s.is_finite() && *s > 0.0).unwrap_or(30.0);
    std::time::Duration::from_secs_f64(secs.min(3600.0))
}

#[cfg(not(target_arch = "wasm32"))]
impl Remote for NativeRemote {
    fn send(&self, request: &Request) -> Result<Response, HttpError> {
        http::tcp::send(request, stall_timeout(), &|authority| self.tls_for(authority))
    }
    fn credentials(&self, server: &str) -> Option<(String, String)> {
        self.config.get(server)
    }
    fn store_credentials(&self, server: &str, user: &str, secret: &str) -> Result<Option<String>, String> {
        self.config.store(server, user, secret)
    }
    fn erase_credentials(&self, server: &str) -> Result<bool, String> {
        self.config.erase(server)
    }
    fn prefer_registry(&self) -> bool {
        std::env::var("BERTH_PULL_FROM").is_ok_and(|v| v == "registry")
    }
    fn show_progress(&self, frame: &str) -> bool {
        use std::io::{IsTerminal, Write};
        let mut out = std::io::stdout();
        if !out.is_terminal() {
            return false;
        }
        let _ = out.write_all(frame.as_bytes());
        let _ = out.flush();
        true
    }
    fn platform(&self) -> String {
        match std::env::consts::ARCH {
            "x86_64" => "linux/amd64".into(),
            "aarch64" => "linux/arm64/v8".into(),
            a => format!("linux/{a}"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
