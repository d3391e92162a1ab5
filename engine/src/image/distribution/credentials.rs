//! Logins kept where Docker keeps them: `$DOCKER_CONFIG/config.json` (default
//! `~/.docker`), `auths` with base64 `user:password`, or a credential helper named by
//! `credsStore` or `credHelpers[server]`, run as `docker-credential-NAME get|store|erase`
//! with Docker's JSON on stdin and stdout. Other keys in the file are kept as they are.

use serde_json::{json, Map, Value};

use super::auth::{base64, unbase64};

/// The config file's JSON, and what a login in it means.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile(pub Map<String, Value>);

impl ConfigFile {
    pub fn parse(bytes: &[u8]) -> Result<ConfigFile, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ConfigFile::default());
        }
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(m)) => Ok(ConfigFile(m)),
            Ok(_) => Err("not a JSON object".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(&self.0).unwrap_or_default();
        b.push(b'\n');
        b
    }

    /// The helper that keeps `server`'s login, if one is configured.
    pub fn helper(&self, server: &str) -> Option<String> {
        let by_server = self.0.get("credHelpers").and_then(|h| h.get(server)).and_then(Value::as_str);
        by_server.or_else(|| self.0.get("credsStore").and_then(Value::as_str)).filter(|h| !h.is_empty()).map(str::to_string)
    }

    /// The login under `auths` (`auth` is base64 `user:password`).
    pub fn auth(&self, server: &str) -> Option<(String, String)> {
        let entry = self.0.get("auths")?.get(server)?;
        let decoded = String::from_utf8(unbase64(entry.get("auth")?.as_str()?)?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        Some((user.to_string(), password.to_string()))
    }

    /// Records a login: its secret under `auths`, or only the server's name there when a
    /// helper keeps the secret (as Docker writes it).
    pub fn set_auth(&mut self, server: &str, login: Option<(&str, &str)>) {
        let auths = self.0.entry("auths").or_insert_with(|| json!({}));
        if !auths.is_object() {
            *auths = json!({});
        }
        if let Some(a) = auths.as_object_mut() {
            a.insert(server.to_string(), match login {
                Some((user, secret)) => json!({ "auth": base64(format!("{user}:{secret}").as_bytes()) }),
                None => json!({}),
            });
        }
    }

    /// Forgets `server`'s entry; whether there was one.
    pub fn remove_auth(&mut self, server: &str) -> bool {
        self.0.get_mut("auths").and_then(Value::as_object_mut).is_some_and(|a| a.remove(server).is_some())
    }
}

/// The native binary's logins, in the user's Docker config directory.
#[cfg(not(target_arch = "wasm32"))]
pub struct DockerConfig {
    pub dir: std::path::PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
impl DockerConfig {
    /// `$DOCKER_CONFIG`, else `$HOME/.docker`.
    pub fn from_env() -> DockerConfig {
        let dir = std::env::var_os("DOCKER_CONFIG").map(std::path::PathBuf::from).unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".docker"));
        DockerConfig { dir }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.join("config.json")
    }

    fn load(&self) -> Result<ConfigFile, String> {
        match std::fs::read(self.path()) {
            Ok(b) => ConfigFile::parse(&b).map_err(|e| format!("loading config file {}: {e}", self.path().display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(format!("{}: {e}", self.path().display())),
        }
    }

    /// Writes the file whole or not at all (a temporary file renamed over it), mode 600.
    fn save(&self, config: &ConfigFile) -> Result<(), String> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let tmp = self.dir.join(format!(".config.json.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            std::io::Write::write_all(&mut f, &config.to_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.path())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("Error saving credentials: {e}")
        })
    }

    /// Runs `docker-credential-NAME verb` with `input` on stdin.
    fn helper(name: &str, verb: &str, input: &str) -> Result<String, String> {
        use std::io::Write;
        let program = format!("docker-credential-{name}");
        let mut child = std::process::Command::new(&program)
            .arg(verb)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("error getting credentials - err: exec: \"{program}\": {}", if e.kind() == std::io::ErrorKind::NotFound { "executable file not found in $PATH".to_string() } else { e.to_string() }))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(if stdout.is_empty() { String::from_utf8_lossy(&out.stderr).trim().to_string() } else { stdout })
        }
    }

    pub fn get(&self, server: &str) -> Option<(String, String)> {
        let config = self.load().ok()?;
        match config.helper(server) {
            Some(h) => {
                let out = Self::helper(&h, "get", server).ok()?;
                let v: Value = serde_json::from_str(&out).ok()?;
                Some((v.get("Username")?.as_str()?.to_string(), v.get("Secret")?.as_str()?.to_string()))
            }
            None => config.auth(server),
        }
    }

    /// Keeps a login; the file's path where it went in unencrypted (no helper).
    pub fn store(&self, server: &str, user: &str, secret: &str) -> Result<Option<String>, String> {
        let mut config = self.load()?;
        let plain = match config.helper(server) {
            Some(h) => {
                Self::helper(&h, "store", &json!({ "ServerURL": server, "Username": user, "Secret": secret }).to_string()).map_err(|e| format!("Error saving credentials: error storing credentials - err: {e}"))?;
                config.set_auth(server, None);
                None
            }
            None => {
                config.set_auth(server, Some((user, secret)));
                Some(self.path().display().to_string())
            }
        };
        self.save(&config)?;
        Ok(plain)
    }

    pub fn erase(&self, server: &str) -> Result<bool, String> {
        let mut config = self.load()?;
        let mut had = config.remove_auth(server);
        if let Some(h) = config.helper(server) {
            had |= Self::helper(&h, "erase", server).is_ok();
        }
        if had {
            self.save(&config)?;
        }
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_written_as_docker_writes_them_and_other_keys_stay() {
        let mut c = ConfigFile::parse(br#"{"auths":{},"psFormat":"table {{.ID}}","credHelpers":{"gcr.io":"gcloud"}}"#).unwrap();
        c.set_auth("127.0.0.1:5000", Some(("ana", "s3cret")));
        assert_eq!(c.0["auths"]["127.0.0.1:5000"]["auth"], "YW5hOnMzY3JldA==");
        assert_eq!(c.auth("127.0.0.1:5000"), Some(("ana".into(), "s3cret".into())));
        assert_eq!(c.0["psFormat"], "table {{.ID}}");
        assert_eq!(c.helper("gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(c.helper("127.0.0.1:5000"), None);
        assert!(c.remove_auth("127.0.0.1:5000"));
        assert!(!c.remove_auth("127.0.0.1:5000"));
        assert!(ConfigFile::parse(b"[1]").is_err());
        assert!(ConfigFile::parse(b"  ").unwrap().0.is_empty());
    }
}
