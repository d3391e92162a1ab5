//! Fuzzes compose: any bytes as `compose.yaml` in a fresh sandbox, read by `docker
//! compose config` (YAML, interpolation, merging, the model) and `docker compose ps`.
//! Each gives output or compose's error, never a panic, an abort or a hang.
#![no_main]

use std::rc::Rc;

use engine::host::FixedClock;
use engine::sandbox::Sandbox;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sandbox = Sandbox::new(Rc::new(FixedClock(1_700_000_000)));
    if sandbox.write_file("compose.yaml", data).is_err() {
        return;
    }
    let _ = sandbox.write_file(".env", b"TAG=3.20\nPORT=8080\n");
    for line in ["docker compose config", "docker compose ps -a"] {
        let out = sandbox.run_limited(line);
        assert!((0..=255).contains(&out.status), "{line}: status {}", out.status);
    }
});
