//! Container and volume names, validated as Docker's daemon validates them
//! (`daemon/names.go`, `volume/local`): `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. Names become
//! storage keys and paths, so nothing else may reach the stores.

/// Docker's pattern, as its error messages quote it.
pub const PATTERN: &str = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

/// Whether `name` matches `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric()) && name.len() >= 2 && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A container name (`--name`, `rename`); a leading `/` is Docker's own prefix and allowed.
pub fn container(name: &str) -> Result<&str, String> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    if is_valid(bare) {
        Ok(bare)
    } else {
        Err(format!("Invalid container name ({name}), only {PATTERN} are allowed"))
    }
}

/// A local volume's name (`volume create`, `-v NAME:/path`).
pub fn volume(name: &str) -> Result<&str, String> {
    if is_valid(name) {
        Ok(name)
    } else {
        Err(format!("create {name}: \"{name}\" includes invalid characters for a local volume name, only \"{PATTERN}\" are allowed. If you intended to pass a host directory, use absolute path"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_pattern() {
        for ok in ["web", "my_app.1", "a-b", "db2", "0x"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["", "a", "-web", ".x", "_x", "a/b", "a/../../../../tmp/x", "..", "a b", "naïve", "x:y"] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert_eq!(container("/web"), Ok("web"));
        assert!(volume("a/../x").unwrap_err().contains("includes invalid characters for a local volume name"));
    }
}
