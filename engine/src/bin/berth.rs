//! The native `berth` command: reads files from the host and hands argv to the shared
//! command-line layer.

use std::io::{Read, Write};

struct NativeHost;

impl engine::cli::Host for NativeHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        if path == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| e.to_string())?;
            return Ok(buf);
        }
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
            _ => format!("open {path}: {e}"),
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = engine::cli::run(&args, &NativeHost);
    // Write errors (a closed pipe) are not worth a panic.
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    std::process::exit(out.code);
}
