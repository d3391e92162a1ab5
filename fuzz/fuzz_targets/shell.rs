//! Fuzzes the emulated shell *running* a script: parsing, expansion, arithmetic,
//! redirections, pipelines and the applets over an in-memory filesystem. Any script
//! must end (the command budget and time limit stop loops) with a status, never a panic,
//! an abort or a hang.
#![no_main]

use engine::shell::{Flavor, Shell};
use engine::vfs::{Attrs, Content, FileSystem, MemoryFs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the flavour; the rest is the script.
    let (flavor, script) = match data.split_first() {
        Some((b, rest)) => ([Flavor::Dash, Flavor::Ash, Flavor::Bash][*b as usize % 3], rest),
        None => (Flavor::Dash, data),
    };
    let script = String::from_utf8_lossy(script);
    let mut fs = MemoryFs::new();
    for dir in ["/tmp", "/etc", "/root", "/data"] {
        let _ = fs.create_dir_all(dir, 0o755);
    }
    let _ = fs.put_file("/etc/passwd", Content::data(b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n".to_vec()), Attrs::mode(0o644));
    let _ = fs.put_file("/data/lines.txt", Content::data(b"b 2\na 1\nc 3\n".to_vec()), Attrs::mode(0o644));
    let _ = fs.symlink("/data/lines.txt", "/data/link");
    let mut sh = Shell::new(&mut fs, flavor);
    sh.set_budget(20_000);
    sh.set_time_limit(2.0);
    let out = sh.run_str(&script, b"first line\nsecond line\n");
    assert!((0..=255).contains(&out.status), "status {} out of range", out.status);
});
