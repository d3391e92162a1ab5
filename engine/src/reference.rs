//! Image references as Docker reads them: `python`, `python:3.11-slim`,
//! `docker.io/library/python:3.11`, `ghcr.io/org/img:tag`, `img@sha256:…`.
//! Used by the Dockerfile linter and by the image store; depends on nothing.

use std::fmt;

/// A parsed, normalised reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host, `docker.io` when none is written.
    pub domain: String,
    /// Repository path, with `library/` added for official Docker Hub images.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    Empty,
    #[error("invalid reference format")]
    InvalidFormat,
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
}

fn is_path_component(s: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_lowercase() && !b[0].is_ascii_digit() {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: ".", "_", "__" or a run of "-", followed by an alphanumeric.
        let start = i;
        if b[i] == b'-' {
            while i < b.len() && b[i] == b'-' {
                i += 1;
            }
        } else if b[i] == b'_' {
            i += 1;
            if i < b.len() && b[i] == b'_' {
                i += 1;
            }
        } else if b[i] == b'.' {
            i += 1;
        } else {
            return false;
        }
        if i == start || i >= b.len() || !alnum(b[i]) {
            return false;
        }
    }
    true
}

fn is_domain(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, Some(p)),
        _ => (s, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if host.starts_with('[') && host.ends_with(']') {
        return host.len() > 2;
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn is_digest(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else { return false };
    !alg.is_empty()
        && alg.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'.' | b'_' | b'-'))
        && hex.len() >= 32
        && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

impl Reference {
    /// Parses and normalises a reference the way `docker pull` does.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if !is_digest(d) {
                    return Err(ReferenceError::InvalidFormat);
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            if !is_tag(t) {
                return Err(ReferenceError::InvalidFormat);
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase()) => {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        if domain != "docker.io" && !is_domain(&domain) {
            return Err(ReferenceError::InvalidFormat);
        }
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            let shown = if domain == "docker.io" && !path.contains('/') { format!("library/{path}") } else { name.to_string() };
            return Err(ReferenceError::Uppercase(shown));
        }
        if path.is_empty() || !path.split('/').all(is_path_component) {
            return Err(ReferenceError::InvalidFormat);
        }
        let path = if domain == "docker.io" && !path.contains('/') { format!("library/{path}") } else { path };
        Ok(Reference { domain, path, tag: tag.map(str::to_string), digest })
    }

    /// The repository as `docker images` shows it (`python`, `ghcr.io/org/img`).
    pub fn familiar_name(&self) -> String {
        if self.domain == "docker.io" {
            self.path.strip_prefix("library/").unwrap_or(&self.path).to_string()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag, `latest` when none was given and there is no digest.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_docker() {
        let r = Reference::parse("python:3.11-slim").unwrap();
        assert_eq!((r.domain.as_str(), r.path.as_str(), r.tag.as_deref()), ("docker.io", "library/python", Some("3.11-slim")));
        assert_eq!(r.to_string(), "docker.io/library/python:3.11-slim");
        let r = Reference::parse("ghcr.io/org/img:tag").unwrap();
        assert_eq!(r.familiar_name(), "ghcr.io/org/img");
        let r = Reference::parse("localhost:5000/app").unwrap();
        assert_eq!((r.domain.as_str(), r.tag_or_latest()), ("localhost:5000", Some("latest")));
        let d = format!("img@sha256:{}", "a".repeat(64));
        assert_eq!(Reference::parse(&d).unwrap().tag_or_latest(), None);
        assert_eq!(Reference::parse("anibali/pytorch:1.8.1-cuda11.1-ubuntu20.04").unwrap().path, "anibali/pytorch");
    }

    #[test]
    fn rejects_bad_references() {
        for bad in ["", "busybox:", "Python", ":tag", "a//b", "img@sha256:xyz", "-a", "a-"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Reference::parse("MyImage").unwrap_err().to_string(), "invalid reference format: repository name (library/MyImage) must be lowercase");
    }
}
