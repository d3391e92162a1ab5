//! The ENTRYPOINT × CMD table of the Dockerfile reference (`entrypoint-cmd.json`): each
//! Dockerfile is built, and the image config and the resulting process argv must match.

use crate::support::{report, root};
use engine::build::{build, BuildRequest};
use engine::image::catalog::Catalog;
use engine::image::ImageStore;
use engine::runtime::process_argv;
use engine::vfs::MemoryFs;
use serde_json::Value;

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
}

#[test]
fn entrypoint_cmd_table() {
    let data: Value = serde_json::from_str(&std::fs::read_to_string(root().join("entrypoint-cmd.json")).expect("conformance data present")).unwrap();
    let mut total = 0;
    let mut failures = Vec::new();
    for row in data["table"].as_array().unwrap() {
        total += 1;
        let id = row["id"].as_str().unwrap();
        let dockerfile = row["dockerfile"].as_str().unwrap().replace("base-without-entrypoint-or-cmd", "scratch");
        let mut store = ImageStore::in_memory();
        let context = MemoryFs::new();
        let req = BuildRequest { dockerfile, dockerfile_name: "Dockerfile".into(), context: &context, tags: vec!["t".into()], target: None, build_args: Vec::new(), labels: Vec::new(), no_cache: false, now: 0, clock: None, progress: None, runtime: String::new(), disk: None, network: String::new(), remote: None, pull: false, secrets: Vec::new() };
        let out = build(&mut store, &Catalog::embedded(), &req);
        let Some(image) = out.id else {
            failures.push(format!("{id}: build failed: {:?}", out.error));
            continue;
        };
        let config = store.config(&image).unwrap();
        let got_entry = config.config.entrypoint.clone();
        let got_cmd = config.config.cmd.clone();
        let want = &row["expect_config"];
        if got_entry != strings(&want["Entrypoint"]) || got_cmd != strings(&want["Cmd"]) {
            failures.push(format!("{id}: config Entrypoint={got_entry:?} Cmd={got_cmd:?}, want {want}"));
        }
        let argv = process_argv(&config, None, &[]);
        if row["expect_error"].as_bool() == Some(true) {
            // `docker run` refuses: "No command specified".
            if !argv.is_empty() {
                failures.push(format!("{id}: expected no command, got {argv:?}"));
            }
        } else if Some(argv.clone()) != strings(&row["expect_argv_derived"]) {
            failures.push(format!("{id}: argv {argv:?}, want {}", row["expect_argv_derived"]));
        }
    }
    // Arguments to `run` replace CMD and follow an exec-form ENTRYPOINT; --entrypoint wins.
    let mut config = engine::image::oci::ImageConfig::empty();
    config.config.entrypoint = Some(vec!["exec_entry".into(), "p1_entry".into()]);
    config.config.cmd = Some(vec!["exec_cmd".into(), "p1_cmd".into()]);
    total += 2;
    if process_argv(&config, None, &["-d".into()]) != ["exec_entry", "p1_entry", "-d"] {
        failures.push("run arguments are not appended to the entrypoint".into());
    }
    if process_argv(&config, Some("sh"), &[]) != ["sh"] {
        failures.push("--entrypoint does not replace ENTRYPOINT and CMD".into());
    }
    report("entrypoint-cmd table", total, &failures);
}
