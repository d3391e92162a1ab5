//! The HTTP the distribution client speaks: requests and responses as plain data, the
//! [`Remote`] a host lends the engine to send them, and `tcp::send`, HTTP/1.1 over a
//! TCP socket (with rustls for `https`) for the native binary.

/// One request. `limit` caps the response body: more is an error, not a longer read.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub limit: u64,
    /// Told the bytes of the body read so far, as they come.
    pub progress: Option<Progress>,
}

/// A callback for the bytes of a body read so far.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl Request {
    pub fn new(method: &'static str, url: impl Into<String>) -> Request {
        Request { method, url: url.into(), headers: Vec::new(), body: Vec::new(), limit: 4 << 20, progress: None }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// Go's wording, as Docker prints it: `dial tcp 127.0.0.1:5000: connect: connection refused`.
    #[error("dial tcp {0}: connect: connection refused")]
    Refused(String),
    /// Go's words for a name that does not resolve.
    #[error("dial tcp: lookup {0}: no such host")]
    Lookup(String),
    #[error("dial tcp {addr}: {why}")]
    Dial { addr: String, why: String },
    /// The connection closed or stalled before the body was whole.
    #[error("unexpected EOF after {} of {:?} bytes: {}", .0.partial.len(), .0.expected, .0.why)]
    Truncated(Box<Truncated>),
    #[error("response body larger than the {0}-byte limit")]
    TooLarge(u64),
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
    #[error("{0}")]
    Other(String),
    /// The TLS handshake failed (Go's words: `tls: failed to verify certificate: …`).
    #[error("{0}")]
    Tls(String),
}

/// A body cut short: `partial` is what came, so the client can ask for the rest with a
/// `Range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    pub status: u16,
    pub partial: Vec<u8>,
    pub expected: Option<u64>,
    pub why: String,
}

/// The network a host lends the engine, and where it keeps registry logins. The browser
/// and tests in memory lend none: names then come from the catalog and the engine's own
/// registry only.
pub trait Remote: Sync {
    fn send(&self, request: &Request) -> Result<Response, HttpError>;
    /// The login stored for a registry (`localhost:5000`, `https://index.docker.io/v1/`).
    /// By default a remote keeps none.
    fn credentials(&self, _server: &str) -> Option<(String, String)> {
        None
    }
    /// Keeps a login; the file it went into unencrypted, where no helper took it.
    fn store_credentials(&self, _server: &str, _user: &str, _secret: &str) -> Result<Option<String>, String> {
        Err("Error saving credentials: this host keeps no logins".into())
    }
    /// Whether there was a login to forget.
    fn erase_credentials(&self, _server: &str) -> Result<bool, String> {
        Ok(false)
    }
    /// Shows a frame of live pull progress (the lines since the last frame are replaced),
    /// where the host has a terminal for it. False where it has none: the lines then come
    /// at the end, as Docker writes them when its output is not a terminal.
    fn show_progress(&self, _frame: &str) -> bool {
        false
    }
    /// Whether Docker Hub names go to Docker Hub before the catalog.
    fn prefer_registry(&self) -> bool {
        false
    }
    /// The platform images are picked for: `linux/amd64`, `linux/arm64/v8`.
    fn platform(&self) -> String {
        "linux/amd64".into()
    }
}

/// A URL's parts, as far as HTTP/1.1 needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    /// `host:port`.
    pub authority: String,
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> Result<Url, HttpError> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| HttpError::Malformed(format!("not an absolute URL: {url}")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(HttpError::Malformed(format!("no host in {url}")));
        }
        let authority = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_string()
        } else {
            format!("{authority}:{}", if scheme == "https" { 443 } else { 80 })
        };
        Ok(Url { scheme: scheme.to_string(), authority, path: path.to_string() })
    }

    /// `location` (absolute, or a path on this host) resolved against this URL.
    pub fn join(&self, location: &str) -> String {
        if location.contains("://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}://{}{location}", self.scheme, self.authority)
        } else {
            let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{}://{}{dir}/{location}", self.scheme, self.authority)
        }
    }
}

/// Reads a response from `r` (after the request went out): status line, headers, and a
/// body by `Content-Length`, chunks, or to the end of the stream.
pub fn read_response(r: &mut impl std::io::BufRead, method: &str, limit: u64) -> Result<Response, HttpError> {
    read_response_with(r, method, limit, None)
}

/// [`read_response`], telling `progress` how much of the body has come.
pub fn read_response_with(r: &mut impl std::io::BufRead, method: &str, limit: u64, progress: Option<&Progress>) -> Result<Response, HttpError> {
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| HttpError::Malformed(e.to_string()))?;
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed(format!("status line {:?}", line.trim_end())));
    }
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| HttpError::Malformed(format!("status line {:?}", line.trim_end())))?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = r.read_line(&mut line).map_err(|e| HttpError::Malformed(e.to_string()))?;
        if n == 0 {
            return Err(HttpError::Malformed("headers end early".into()));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if headers.len() > 200 {
            return Err(HttpError::Malformed("more than 200 headers".into()));
        }
        let (name, value) = l.split_once(':').ok_or_else(|| HttpError::Malformed(format!("header {l:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut response = Response { status, reason, headers, body: Vec::new() };
    if method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(response);
    }
    let truncated = |response: &Response, partial: Vec<u8>, expected: Option<u64>, why: String| HttpError::Truncated(Box::new(Truncated { status: response.status, partial, expected, why }));
    if response.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        let mut body = Vec::new();
        loop {
            line.clear();
            if let Err(e) = r.read_line(&mut line) {
                return Err(truncated(&response, body, None, read_failure(&e)));
            }
            let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or("").trim(), 16).map_err(|_| HttpError::Malformed(format!("chunk size {:?}", line.trim())))?;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    line.clear();
                    if r.read_line(&mut line).map_err(|e| HttpError::Malformed(e.to_string()))? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            if body.len() as u64 + size > limit {
                return Err(HttpError::TooLarge(limit));
            }
            let start = body.len();
            body.resize(start + size as usize, 0);
            if let Err(e) = r.read_exact(&mut body[start..]) {
                body.truncate(start);
                return Err(truncated(&response, body, None, read_failure(&e)));
            }
            line.clear();
            let _ = r.read_line(&mut line);
        }
        response.body = body;
        return Ok(response);
    }
    if let Some(len) = response.header("content-length") {
        let len: u64 = len.parse().map_err(|_| HttpError::Malformed(format!("Content-Length {len:?}")))?;
        if len > limit {
            return Err(HttpError::TooLarge(limit));
        }
        let mut body = Vec::with_capacity(len.min(64 << 20) as usize);
        let mut chunk = vec![0u8; 256 << 10];
        while (body.len() as u64) < len {
            let want = chunk.len().min((len - body.len() as u64) as usize);
            match std::io::Read::read(r, &mut chunk[..want]) {
                Ok(0) => break,
                Ok(n) => {
                    body.extend_from_slice(&chunk[..n]);
                    if let Some(p) = progress {
                        (p.0)(body.len() as u64);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(truncated(&response, body, Some(len), read_failure(&e))),
            }
        }
        if (body.len() as u64) < len {
            return Err(truncated(&response, body, Some(len), "connection closed".into()));
        }
        response.body = body;
        return Ok(response);
    }
    let mut body = Vec::new();
    let got = std::io::Read::read_to_end(&mut std::io::Read::take(&mut *r, limit + 1), &mut body);
    if let Err(e) = got {
        return Err(truncated(&response, body, None, read_failure(&e)));
    }
    if body.len() as u64 > limit {
        return Err(HttpError::TooLarge(limit));
    }
    response.body = body;
    Ok(response)
}

/// The bytes of `request` on the wire, for `url`.
pub fn write_request(request: &Request, url: &Url) -> Vec<u8> {
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: berth/{}\r\nConnection: close\r\n", request.method, url.path, url.authority.trim_end_matches(":80"), env!("CARGO_PKG_VERSION"));
    for (n, v) in &request.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !request.body.is_empty() || matches!(request.method, "PUT" | "POST" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&request.body);
    bytes
}

/// Why a body's read stopped, in words: a read timeout is a stall.
fn read_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => "the connection stalled (no data within the read timeout)".into(),
        _ => e.to_string(),
    }
}

/// HTTP/1.1 over TCP (and TLS for `https`), one connection per request, with Docker's
/// client timeouts: 30 s to connect, and a read that stalls for 30 s fails (the client
/// then resumes the blob).
#[cfg(not(target_arch = "wasm32"))]
pub mod tcp {
    use super::*;
    use std::io::Write;
    use std::net::ToSocketAddrs;
    use std::time::Duration;

    /// The TLS settings of one registry host (`host:port`), made once per host.
    #[cfg(feature = "tls")]
    pub type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
    #[cfg(not(feature = "tls"))]
    pub type TlsConfig = ();

    /// The client settings for `authority`: the machine's CA roots, plus each `*.crt` in
    /// `certs_d/<host:port>/` and `certs_d/<host>/` (Docker's `/etc/docker/certs.d`).
    #[cfg(feature = "tls")]
    pub fn tls_config(authority: &str, certs_d: &std::path::Path) -> Result<TlsConfig, HttpError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let short = authority.strip_suffix(":443").unwrap_or(authority);
        for dir in [certs_d.join(short), certs_d.join(host)] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().ends_with(".crt")) {
                let certs = CertificateDer::pem_file_iter(e.path()).map_err(|err| HttpError::Tls(format!("{}: {err}", e.path().display())))?;
                for c in certs {
                    let c = c.map_err(|err| HttpError::Tls(format!("{}: {err}", e.path().display())))?;
                    roots.add(c).map_err(|err| HttpError::Tls(format!("{}: {err}", e.path().display())))?;
                }
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions().map_err(|e| HttpError::Tls(e.to_string()))?.with_root_certificates(roots).with_no_client_auth();
        Ok(std::sync::Arc::new(config))
    }

    /// rustls's errors in the words of Go's `crypto/tls`, as Docker prints them.
    #[cfg(feature = "tls")]
    fn tls_error(e: std::io::Error, host: &str) -> HttpError {
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
        HttpError::Tls(match inner {
            Some(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)) => "tls: failed to verify certificate: x509: certificate signed by unknown authority".into(),
            Some(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. })) => format!("tls: failed to verify certificate: x509: certificate is not valid for {host}"),
            Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. })) => "tls: failed to verify certificate: x509: certificate has expired or is not yet valid".into(),
            Some(other) => format!("tls: {other}"),
            None => format!("tls: {e}"),
        })
    }

    fn connect(url: &Url) -> Result<std::net::TcpStream, HttpError> {
        let host = url.authority.rsplit_once(':').map_or(url.authority.as_str(), |(h, _)| h);
        let addrs: Vec<_> = url.authority.to_socket_addrs().map_err(|_| HttpError::Lookup(host.to_string()))?.collect();
        let mut last = HttpError::Dial { addr: url.authority.clone(), why: "no address".into() };
        for a in addrs {
            match std::net::TcpStream::connect_timeout(&a, Duration::from_secs(30)) {
                Ok(s) => return Ok(s),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => last = HttpError::Refused(url.authority.clone()),
                Err(e) => last = HttpError::Dial { addr: url.authority.clone(), why: e.to_string() },
            }
        }
        Err(last)
    }

    /// Sends `request`; `tls` gives the settings for an `https` URL's host.
    pub fn send(request: &Request, stall: Duration, tls: &dyn Fn(&str) -> Result<TlsConfig, HttpError>) -> Result<Response, HttpError> {
        let url = Url::parse(&request.url)?;
        let stream = connect(&url)?;
        let _ = stream.set_read_timeout(Some(stall));
        let _ = stream.set_write_timeout(Some(stall));
        let _ = stream.set_nodelay(true);
        let bytes = write_request(request, &url);
        let write_error = |e: std::io::Error| HttpError::Dial { addr: url.authority.clone(), why: format!("write: {e}") };
        match url.scheme.as_str() {
            "http" => {
                let mut stream = stream;
                stream.write_all(&bytes).map_err(write_error)?;
                read_response_with(&mut std::io::BufReader::with_capacity(256 << 10, stream), request.method, request.limit, request.progress.as_ref())
            }
            #[cfg(feature = "tls")]
            "https" => {
                let host = url.authority.rsplit_once(':').map_or(url.authority.as_str(), |(h, _)| h).trim_start_matches('[').trim_end_matches(']').to_string();
                let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| HttpError::Tls(format!("{host}: {e}")))?;
                let conn = rustls::ClientConnection::new(tls(&url.authority)?, name).map_err(|e| HttpError::Tls(e.to_string()))?;
                let mut tls_stream = rustls::StreamOwned::new(conn, stream);
                // The handshake happens with the first write; its failure is a TLS error.
                tls_stream.write_all(&bytes).map_err(|e| if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) { tls_error(e, &host) } else { write_error(e) })?;
                tls_stream.flush().map_err(|e| tls_error(e, &host))?;
                read_response_with(&mut std::io::BufReader::with_capacity(256 << 10, tls_stream), request.method, request.limit, request.progress.as_ref())
            }
            _ => {
                let _ = tls;
                Err(HttpError::Other(format!("{}: this build of Berth has no TLS (the `tls` feature)", url.scheme)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_by_length_by_chunks_and_to_the_end() {
        let mut r = &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDocker-Content-Digest: sha256:x\r\n\r\nhelloextra"[..];
        let resp = read_response(&mut r, "GET", 100).unwrap();
        assert_eq!((resp.status, resp.body.as_slice(), resp.header("docker-content-digest")), (200, &b"hello"[..], Some("sha256:x")));
        let mut r = &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"[..];
        assert_eq!(read_response(&mut r, "GET", 100).unwrap().body, b"abcde");
        let mut r = &b"HTTP/1.0 404 Not Found\r\n\r\nall of it"[..];
        let resp = read_response(&mut r, "GET", 100).unwrap();
        assert_eq!((resp.status, resp.reason.as_str(), resp.body.as_slice()), (404, "Not Found", &b"all of it"[..]));
        let mut r = &b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"[..];
        assert!(read_response(&mut r, "HEAD", 100).unwrap().body.is_empty());
    }

    #[test]
    fn short_bodies_keep_what_came_and_big_ones_are_refused() {
        let mut r = &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"[..];
        match read_response(&mut r, "GET", 100).unwrap_err() {
            HttpError::Truncated(t) => assert_eq!((t.partial.as_slice(), t.expected), (&b"abcd"[..], Some(10))),
            e => panic!("{e}"),
        }
        let mut r = &b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"[..];
        assert_eq!(read_response(&mut r, "GET", 100).unwrap_err(), HttpError::TooLarge(100));
        let mut r = &b"SSH-2.0-OpenSSH\r\n"[..];
        assert!(matches!(read_response(&mut r, "GET", 100).unwrap_err(), HttpError::Malformed(_)));
    }

    #[test]
    fn urls_split_and_join_as_locations_need() {
        let u = Url::parse("http://127.0.0.1:5000/v2/a/blobs/uploads/").unwrap();
        assert_eq!((u.authority.as_str(), u.path.as_str()), ("127.0.0.1:5000", "/v2/a/blobs/uploads/"));
        assert_eq!(u.join("/v2/a/blobs/uploads/123?_state=x"), "http://127.0.0.1:5000/v2/a/blobs/uploads/123?_state=x");
        assert_eq!(u.join("http://other:1/x"), "http://other:1/x");
        assert_eq!(Url::parse("http://localhost/v2/").unwrap().authority, "localhost:80");
        let bytes = write_request(&Request::new("PUT", "http://localhost/v2/x").header("Content-Type", "a/b"), &Url::parse("http://localhost/v2/x").unwrap());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("PUT /v2/x HTTP/1.1\r\nHost: localhost\r\n") && text.contains("Content-Length: 0\r\n") && text.ends_with("\r\n\r\n"), "{text}");
    }
}
