//! Installing a wheel for real: the zip's files into site-packages as pip lays them out
//! (`*.data/scripts` into `bin`, `*.data/purelib` and `platlib` into site-packages), its
//! `.dist-info` with pip's `INSTALLER`, `REQUESTED` and a `RECORD` that lists every
//! installed file, and a launcher in `bin` for each console script.

use std::io::Read;

use super::python::{put_content, put_text, PyEnv};
use crate::vfs::{Content, FileSystem, FsError, FsResult};

/// One member of a zip archive.
pub struct Member {
    pub name: String,
    pub data: Vec<u8>,
    /// Unix permission bits, where the archive recorded them.
    pub mode: Option<u32>,
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// The members of a zip archive (stored or deflated), from its central directory.
pub fn unzip(zip: &[u8]) -> Result<Vec<Member>, String> {
    let bad = || "not a zip archive (or a damaged one)".to_string();
    let end = (0..zip.len().saturating_sub(21)).rev().find(|&i| zip[i..].starts_with(b"PK\x05\x06")).ok_or_else(bad)?;
    let count = u16_at(zip, end + 10).ok_or_else(bad)?;
    let mut at = u32_at(zip, end + 16).ok_or_else(bad)?;
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        if !zip.get(at..).is_some_and(|r| r.starts_with(b"PK\x01\x02")) {
            return Err(bad());
        }
        let method = u16_at(zip, at + 10).ok_or_else(bad)?;
        let compressed = u32_at(zip, at + 20).ok_or_else(bad)?;
        let size = u32_at(zip, at + 24).ok_or_else(bad)?;
        let (name_len, extra_len, comment_len) = (u16_at(zip, at + 28).ok_or_else(bad)?, u16_at(zip, at + 30).ok_or_else(bad)?, u16_at(zip, at + 32).ok_or_else(bad)?);
        let external = u32_at(zip, at + 38).ok_or_else(bad)?;
        let local = u32_at(zip, at + 42).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(zip.get(at + 46..at + 46 + name_len).ok_or_else(bad)?).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if !zip.get(local..).is_some_and(|r| r.starts_with(b"PK\x03\x04")) {
            return Err(bad());
        }
        let start = local + 30 + u16_at(zip, local + 26).ok_or_else(bad)? + u16_at(zip, local + 28).ok_or_else(bad)?;
        let raw = zip.get(start..start + compressed).ok_or_else(bad)?;
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                let mut out = Vec::with_capacity(size);
                flate2::read::DeflateDecoder::new(raw).read_to_end(&mut out).map_err(|e| format!("{name}: {e}"))?;
                out
            }
            m => return Err(format!("{name}: compression method {m} is not supported")),
        };
        let mode = (external >> 16) as u32 & 0o7777;
        if !name.ends_with('/') {
            members.push(Member { name, data, mode: (mode != 0).then_some(mode) });
        }
    }
    Ok(members)
}

/// Installs `wheel` (the bytes of a `.whl`) into `env`. Returns the files installed,
/// relative to site-packages, as its RECORD lists them.
pub fn install(fs: &mut dyn FileSystem, env: &PyEnv, wheel: &[u8], requested: bool) -> FsResult<Vec<String>> {
    let site = env.site_packages();
    let members = unzip(wheel).map_err(|e| FsError::new(crate::vfs::Errno::EINVAL, &e))?;
    let info = members.iter().find_map(|m| m.name.split_once(".dist-info/").map(|(d, _)| format!("{d}.dist-info"))).unwrap_or_default();
    let data_dir = info.replace(".dist-info", ".data");
    let bin_rel = "../../../bin";
    let mut record = Vec::new();
    for m in &members {
        if m.name == format!("{info}/RECORD") {
            continue;
        }
        let (path, rel, mode) = match m.name.strip_prefix(&format!("{data_dir}/")).and_then(|r| r.split_once('/')) {
            Some(("scripts", file)) => (format!("{}/{file}", env.bin()), format!("{bin_rel}/{file}"), 0o755),
            Some(("purelib" | "platlib", file)) => (format!("{site}/{file}"), file.to_string(), 0o644),
            Some(("data", file)) => (format!("{}/{file}", env.prefix), format!("../../../{file}"), 0o644),
            Some((_, file)) => (format!("{site}/{file}"), file.to_string(), 0o644),
            None => (format!("{site}/{}", m.name), m.name.clone(), m.mode.map_or(0o644, |x| x & 0o755 | 0o644)),
        };
        if m.name.contains("..") {
            continue;
        }
        put_content(fs, &path, Content::data(m.data.clone()), mode)?;
        record.push(rel);
    }
    put_text(fs, &format!("{site}/{info}/INSTALLER"), "pip\n", 0o644)?;
    record.push(format!("{info}/INSTALLER"));
    if requested {
        put_text(fs, &format!("{site}/{info}/REQUESTED"), "", 0o644)?;
        record.push(format!("{info}/REQUESTED"));
    }
    let entry_points = members.iter().find(|m| m.name == format!("{info}/entry_points.txt")).map(|m| String::from_utf8_lossy(&m.data).into_owned()).unwrap_or_default();
    for (script, target) in console_scripts(&entry_points) {
        let (module, func) = target.split_once(':').unwrap_or((&target, "main"));
        let (head, attr) = func.split_once('.').map_or((func, String::new()), |(h, rest)| (h, format!(".{rest}")));
        let text = format!(
            "#!{}/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom {module} import {head}\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit({head}{attr}())\n",
            env.bin()
        );
        put_text(fs, &format!("{}/{script}", env.bin()), &text, 0o755)?;
        record.push(format!("{bin_rel}/{script}"));
    }
    record.push(format!("{info}/RECORD"));
    let text: String = record.iter().map(|f| format!("{f},,\n")).collect();
    put_text(fs, &format!("{site}/{info}/RECORD"), &text, 0o644)?;
    Ok(record)
}

/// `[console_scripts]` of an `entry_points.txt`: (name, `module:function`).
fn console_scripts(text: &str) -> Vec<(String, String)> {
    let mut section = "";
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s;
        } else if section == "console_scripts" {
            if let Some((name, target)) = line.split_once('=') {
                out.push((name.trim().to_string(), target.trim().to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip written the way wheel builders write one (deflated members).
    fn zip(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, body) in files {
            let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(body.as_bytes()).expect("deflate");
            let packed = enc.finish().expect("deflate");
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
            out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&packed);
            central.extend_from_slice(b"PK\x01\x02\x14\x03\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0");
            central.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            central.extend_from_slice(&(body.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn a_wheel_installs_its_files_metadata_and_console_scripts() {
        let wheel = zip(&[
            ("greet/__init__.py", "def main():\n    print('hi')\n"),
            ("greet-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n"),
            ("greet-1.0.dist-info/entry_points.txt", "[console_scripts]\ngreet = greet:main\n"),
            ("greet-1.0.dist-info/RECORD", "greet/__init__.py,sha256=x,27\n"),
        ]);
        let mut fs = crate::vfs::MemoryFs::new();
        let env = PyEnv { exe: "/usr/local/bin/python".into(), prefix: "/usr/local".into(), base: "/usr/local".into(), xy: "3.11".into(), version: "3.11.10".into(), venv: false, user_site: None };
        let record = install(&mut fs, &env, &wheel, true).expect("installs");
        let site = "/usr/local/lib/python3.11/site-packages";
        assert_eq!(fs.read(&format!("{site}/greet/__init__.py")).expect("file"), b"def main():\n    print('hi')\n");
        assert!(fs.exists(&format!("{site}/greet-1.0.dist-info/REQUESTED")));
        let launcher = String::from_utf8(fs.read("/usr/local/bin/greet").expect("script")).expect("text");
        assert!(launcher.starts_with("#!/usr/local/bin/python\n") && launcher.contains("from greet import main"), "{launcher}");
        assert_eq!(record.last().map(String::as_str), Some("greet-1.0.dist-info/RECORD"));
        assert!(record.contains(&"../../../bin/greet".to_string()));
        assert!(unzip(b"not a zip").is_err());
    }
}
