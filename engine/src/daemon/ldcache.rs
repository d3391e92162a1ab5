//! The glibc linker cache (`/etc/ld.so.cache`, the format `ldconfig` writes since glibc
//! 2.32 and, after the old table, before it): which shared objects the dynamic linker
//! knows, by name, and where they are. GPU discovery reads it as `nvidia-container-cli`
//! does, to find the driver's libraries wherever the host's `ld.so.conf` put them.

const MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
const MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
/// The header of the new format: magic and version (20), nlibs, len_strings, flags and
/// padding, extension offset, three unused words.
const HEADER: usize = 48;
/// One entry: flags, key, value, osversion (4 each), hwcap (8).
const ENTRY: usize = 24;
/// `FLAG_ELF_LIBC6`, under `FLAG_TYPE_MASK`.
const ELF_LIBC6: u32 = 0x0003;

/// The architecture bits of this machine's 64-bit libraries (`FLAG_X8664_LIB64`,
/// `FLAG_AARCH64_LIB64`, …); `None` where the cache has no flag for it.
fn native_arch() -> Option<u32> {
    match std::env::consts::ARCH {
        "x86_64" => Some(0x0300),
        "aarch64" => Some(0x0a00),
        "riscv64" => Some(0x1000),
        "powerpc64" => Some(0x0500),
        _ => None,
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn c_string(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The cache's glibc entries for this machine's architecture, as `(name, path)` in the
/// cache's order (`ldconfig -p`'s). A file that is not a cache, or is cut short, gives
/// what could be read of it.
pub fn parse(bytes: &[u8]) -> Vec<(String, String)> {
    let start = if bytes.starts_with(MAGIC_NEW) {
        0
    } else if bytes.starts_with(MAGIC_OLD) {
        // The old table (a 16-byte header, 12-byte entries), then the new one, aligned.
        let Some(n) = u32_at(bytes, 12) else { return Vec::new() };
        let end = 16usize.saturating_add((n as usize).saturating_mul(12));
        let at = end.saturating_add(7) & !7;
        if !bytes.get(at..).is_some_and(|b| b.starts_with(MAGIC_NEW)) {
            return Vec::new();
        }
        at
    } else {
        return Vec::new();
    };
    let Some(arch) = native_arch() else { return Vec::new() };
    let Some(nlibs) = u32_at(bytes, start + 20) else { return Vec::new() };
    let new = &bytes[start..];
    let mut out = Vec::new();
    for i in 0..nlibs as usize {
        let at = HEADER + i * ENTRY;
        let (Some(flags), Some(key), Some(value)) = (u32_at(new, at), u32_at(new, at + 4), u32_at(new, at + 8)) else { break };
        if flags & 0xff != ELF_LIBC6 || flags & 0xff00 != arch {
            continue;
        }
        // Offsets count from the new header.
        if let (Some(name), Some(path)) = (c_string(new, key as usize), c_string(new, value as usize)) {
            out.push((name, path));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache as ldconfig writes it: header, entries, then the strings.
    fn cache(entries: &[(u32, &str, &str)]) -> Vec<u8> {
        let mut strings = Vec::new();
        let base = HEADER + entries.len() * ENTRY;
        let mut table = Vec::new();
        for (flags, name, path) in entries {
            let key = base + strings.len();
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            let value = base + strings.len();
            strings.extend_from_slice(path.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&(key as u32).to_le_bytes());
            table.extend_from_slice(&(value as u32).to_le_bytes());
            table.extend_from_slice(&[0; 12]);
        }
        let mut b = MAGIC_NEW.to_vec();
        b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        b.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        b.extend_from_slice(&[2, 0, 0, 0]);
        b.extend_from_slice(&[0; 16]);
        assert_eq!(b.len(), HEADER);
        b.extend(table);
        b.extend(strings);
        b
    }

    #[test]
    fn entries_of_this_architecture_are_read_with_their_paths() {
        let Some(arch) = native_arch() else { return };
        let b = cache(&[(ELF_LIBC6 | arch, "libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1"), (ELF_LIBC6, "libcuda.so.1", "/usr/lib32/libcuda.so.1"), (ELF_LIBC6 | arch, "libz.so.1", "/lib/libz.so.1")]);
        assert_eq!(parse(&b), [("libcuda.so.1".to_string(), "/usr/local/nvidia/lib64/libcuda.so.1".to_string()), ("libz.so.1".into(), "/lib/libz.so.1".into())], "the 32-bit entry is another architecture's");
        // Behind an old-format table.
        let mut old = MAGIC_OLD.to_vec();
        old.push(0);
        old.extend_from_slice(&1u32.to_le_bytes());
        old.extend_from_slice(&[0; 12]);
        old.extend_from_slice(&[0; 4]);
        old.extend_from_slice(&b);
        assert_eq!(parse(&old).len(), 2);
        // Cut short, or not a cache: what could be read, never a panic.
        for n in 0..b.len() {
            assert!(parse(&b[..n]).len() <= 2);
        }
        assert!(parse(b"not a cache").is_empty());
    }
}
