//! Fuzzes the `--format` template engine: any template, rendered against a document
//! shaped like `docker inspect`'s, must give text or Go's error, never panic or run away.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let template = String::from_utf8_lossy(data);
    let doc = serde_json::json!({
        "Id": "abc", "Name": "/web", "Image": "alpine:3.20",
        "State": {"Status": "running", "Running": true, "ExitCode": 0, "Pid": 42},
        "Config": {"Labels": {"tier": "db", "a": "1"}, "Env": ["A=1", "B=2"], "Cmd": ["sh", "-c", "x"]},
        "Mounts": [{"Source": "/s", "Destination": "/d", "RW": true}],
        "Sizes": [1, 2.5, -3],
    });
    let _ = engine::cli::template::render(&template, &doc);
});
