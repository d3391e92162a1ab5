//! `docker import` (moby's `daemon/images/image_import.go`): a root filesystem tarball
//! becomes an image of one layer, its config set by `--change` lines written as
//! Dockerfile instructions (`CMD`, `ENTRYPOINT`, `ENV`, `EXPOSE`, `LABEL`, `ONBUILD`,
//! `STOPSIGNAL`, `USER`, `VOLUME`, `WORKDIR`), and its history by `--message`.

use super::EngineError;
use crate::dockerfile::instructions::{from_ast, Instruction};
use crate::image::digest::Digest;
use crate::image::layer::{compress, LayerOptions};
use crate::image::oci::{History, ImageConfig};
use crate::image::ImageStore;

/// What `docker import` takes besides the tarball.
#[derive(Debug, Default, Clone)]
pub struct ImportOptions {
    pub changes: Vec<String>,
    pub message: String,
    /// `REPOSITORY[:TAG]`, empty for an untagged image.
    pub reference: String,
    /// Where the tarball came from, for the history (`-`, a file name).
    pub source: String,
}

/// The instructions `--change` accepts, as Docker's `commit`/`import` validate them.
const CHANGES: &[&str] = &["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/// Applies `--change` lines to `config`, refusing what Docker refuses.
pub fn apply_changes(config: &mut ImageConfig, changes: &[String]) -> Result<(), EngineError> {
    let mut shell = vec!["/bin/sh".to_string(), "-c".to_string()];
    let mut cmd_set = false;
    for change in changes {
        let keyword = change.split_whitespace().next().unwrap_or_default().to_uppercase();
        if !CHANGES.contains(&keyword.as_str()) {
            return Err(EngineError::Invalid(format!("{keyword} is not a valid change command")));
        }
        let (file, diagnostics) = crate::dockerfile::parser::parse(&format!("FROM scratch\n{change}\n"));
        let (ins, more) = from_ast(&file);
        if let Some(d) = diagnostics.iter().chain(&more).next() {
            return Err(EngineError::Invalid(format!("dockerfile parse error on line 1: {}", d.message)));
        }
        for located in ins.stages.iter().flat_map(|s| &s.instructions) {
            match &located.value {
                Instruction::Env(pairs) => {
                    for kv in pairs {
                        let env = &mut config.config.env;
                        env.retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != kv.key);
                        env.push(format!("{}={}", kv.key, kv.value));
                    }
                }
                Instruction::Workdir(dir) => {
                    let base = config.config.working_dir.clone().unwrap_or_else(|| "/".into());
                    config.config.working_dir = Some(crate::vfs::normalize(&crate::vfs::join(&base, dir)));
                }
                other => crate::build::apply_metadata(other, config, &mut shell, &mut cmd_set),
            }
        }
    }
    Ok(())
}

/// Imports `tarball` (a tar, gzip-compressed or not) as a new image; its ID.
pub fn import(store: &mut ImageStore, tarball: Vec<u8>, options: &ImportOptions, created: &str) -> Result<Digest, EngineError> {
    if !options.reference.is_empty() {
        crate::image::store::normalize(&options.reference).map_err(|e| EngineError::Invalid(e.to_string()))?;
    }
    let tar = crate::image::archive::gunzip_if_needed(tarball).map_err(|e| EngineError::Invalid(format!("the tarball cannot be read: {e}")))?;
    // It must unpack: a tarball that does not is refused before anything is stored.
    let mut check = crate::vfs::MemoryFs::new();
    crate::image::layer::unpack(&tar, &mut check).map_err(|e| EngineError::Invalid(format!("the tarball cannot be read: {e}")))?;
    drop(check);
    let blob = compress(tar, &LayerOptions::default());
    let mut config = ImageConfig::empty();
    config.created = Some(created.to_string());
    config.rootfs.diff_ids.push(blob.diff_id.clone());
    apply_changes(&mut config, &options.changes)?;
    let comment = if options.message.is_empty() { format!("Imported from {}", if options.source.is_empty() { "-" } else { &options.source }) } else { options.message.clone() };
    config.history.push(History { created: Some(created.to_string()), created_by: None, comment: Some(comment), empty_layer: false });
    let tags: Vec<String> = if options.reference.is_empty() { Vec::new() } else { vec![options.reference.clone()] };
    store.add(&config, &[blob], &tags, created).map_err(|e| EngineError::Image(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::FileSystem;

    fn rootfs() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o755);
        b.append_data(&mut h, "bin/hello", &b"hi\n"[..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn a_tarball_becomes_an_image_with_its_changes() {
        let mut store = ImageStore::in_memory();
        let options = ImportOptions {
            changes: vec!["CMD [\"/bin/hello\"]".into(), "ENV PATH=/bin".into(), "WORKDIR /srv".into(), "LABEL a=b".into(), "USER 1000".into()],
            reference: "local/hello:1".into(),
            ..ImportOptions::default()
        };
        let id = import(&mut store, rootfs(), &options, "2026-12-02T00:00:00Z").unwrap();
        let config = store.config(&id).unwrap();
        assert_eq!(config.config.cmd.as_deref(), Some(&["/bin/hello".to_string()][..]));
        assert_eq!(config.config.env, ["PATH=/bin"]);
        assert_eq!(config.config.working_dir.as_deref(), Some("/srv"));
        assert_eq!(config.config.user.as_deref(), Some("1000"));
        assert_eq!(config.config.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(config.history[0].comment.as_deref(), Some("Imported from -"));
        assert_eq!(store.resolve("local/hello:1").unwrap().id, id);
        assert_eq!(store.layers(&id).unwrap()[0].read("/bin/hello").unwrap(), b"hi\n");

        let bad = ImportOptions { changes: vec!["RUN echo".into()], ..ImportOptions::default() };
        assert_eq!(import(&mut store, rootfs(), &bad, "now").unwrap_err().to_string(), "RUN is not a valid change command");
        let garbage = import(&mut store, b"not a tarball at all".repeat(40), &ImportOptions::default(), "now").unwrap_err();
        assert!(garbage.to_string().starts_with("the tarball cannot be read"), "{garbage}");
    }
}
