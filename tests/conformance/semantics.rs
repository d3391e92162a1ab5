//! BuildKit's build-behaviour cases (`semantics.jsonl`): each Dockerfile is built against
//! its context in the emulated runtime and the final root filesystem, image config or
//! error is compared. The pass count is printed; cases that need what Berth does not do
//! yet are listed with the reason, and the number passing may only go up.

use crate::support::root;
use engine::build::{build, BuildRequest};
use engine::dockerfile::{instructions, parse};
use engine::image::catalog::Catalog;
use engine::image::ImageStore;
use engine::vfs::{Attrs, Content, FileSystem, MemoryFs, OverlayFs};
use serde_json::Value;

/// Passing cases at the last count; the test fails if fewer pass (a regression).
const BASELINE: usize = 73;

fn context_fs(ctx: &Value) -> MemoryFs {
    let mut fs = MemoryFs::new();
    for d in ctx["dirs"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let _ = fs.create_dir_all(&format!("/{d}"), 0o755);
    }
    if let Some(files) = ctx["files"].as_object() {
        for (name, content) in files {
            let path = format!("/{name}");
            if let Some((parent, _)) = engine::vfs::split_parent(&path) {
                let _ = fs.create_dir_all(&parent, 0o755);
            }
            let mode = ctx["modes"][name].as_str().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0o644);
            let _ = fs.put_file(&path, Content::data(content.as_str().unwrap_or("").as_bytes().to_vec()), Attrs::mode(mode));
        }
    }
    if let Some(links) = ctx["symlinks"].as_object() {
        for (name, target) in links {
            let _ = fs.symlink(target.as_str().unwrap_or(""), &format!("/{name}"));
        }
    }
    fs
}

const CHECKED: &[&str] = &["outcome", "checked_by", "files", "absent", "dirs", "config", "file_contains", "file_not_contains", "error_contains", "error_equals"];

fn unchecked_expectation(expect: &Value) -> Option<String> {
    expect.as_object()?.keys().find(|k| !CHECKED.contains(&k.as_str())).map(|k| format!("not automated: expectation `{k}`"))
}

fn check_error(expect: &Value, e: &str) -> Result<(), String> {
    for want in expect["error_contains"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !e.contains(want) {
            return Err(format!("error {:?} lacks {want:?}", e.lines().next().unwrap_or("")));
        }
    }
    if let Some(want) = expect["error_equals"].as_str() {
        if !e.contains(want) {
            return Err(format!("error {:?} is not {want:?}", e.lines().next().unwrap_or("")));
        }
    }
    Ok(())
}

fn run_case(case: &Value, store: &mut ImageStore) -> Result<(), String> {
    let (replaced, appended);
    let mut dockerfile = case["dockerfile"].as_str().unwrap_or("");
    if let Some([from, to]) = case["dockerfile_replace"].as_array().map(|a| a.as_slice()) {
        replaced = dockerfile.replace(from.as_str().unwrap_or(""), to.as_str().unwrap_or(""));
        dockerfile = &replaced;
    }
    if let Some(extra) = case["dockerfile_append"].as_str() {
        appended = format!("{dockerfile}{extra}");
        dockerfile = &appended;
    }
    if let Some(name) = case["build"]["dockerfile_name"].as_str() {
        if let Some(content) = case["context"]["files"][name].as_str() {
            dockerfile = content;
        }
    }
    if case["level"].as_str() == Some("instruction-parse") {
        let (file, mut diags) = parse(dockerfile);
        let first = file.instructions.first().cloned();
        // Only the first instruction is validated, with no FROM needed.
        let mut one = file.clone();
        one.instructions = first.into_iter().collect();
        let (_, more) = instructions::from_ast(&one);
        diags.extend(more);
        let error = diags.iter().find(|d| d.is_error()).map(|d| d.message.clone()).ok_or("no error")?;
        return check_error(&case["expect"], &error);
    }
    if case["dockerfile"].as_str().is_some_and(|d| d.contains("<server>") || d.contains("<image built")) || case["context"].get("generated").is_some() || case["context"].get("dockerfile_is_symlink").is_some() {
        return Err("not automated: needs an HTTP server or generated archives".into());
    }
    let mut context = context_fs(&case["context"]);
    // BuildKit's context holds the Dockerfile too.
    let name = case["build"]["dockerfile_name"].as_str().unwrap_or("Dockerfile");
    if !context.exists(&format!("/{name}")) {
        let _ = context.write(&format!("/{name}"), dockerfile.as_bytes());
    }
    let build_args: Vec<(String, String)> = case["build"]["build_args"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect();
    let req = BuildRequest {
        dockerfile: dockerfile.to_string(),
        dockerfile_name: case["build"]["dockerfile_name"].as_str().unwrap_or("Dockerfile").to_string(),
        context: &context,
        tags: vec!["semantics:case".into()],
        target: case["build"]["target"].as_str().map(str::to_string),
        build_args,
        labels: case["build"]["frontend_attrs"].as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.strip_prefix("label:")?.to_string(), v.as_str()?.to_string()))).collect(),
        no_cache: false,
        now: 1_700_000_000,
        clock: None,
        progress: None,
        runtime: String::new(),
        disk: None,
        network: String::new(),
        remote: None,
        pull: false,
        secrets: Vec::new(),
    };
    let expect = &case["expect"];
    if let Some(reason) = unchecked_expectation(expect) {
        return Err(reason);
    }
    let out = build(store, &Catalog::embedded(), &req);
    let outcome = expect["outcome"].as_str().unwrap_or("success");
    let result = match (&out.id, &out.error) {
        (Some(id), None) => Ok(id.clone()),
        (_, e) => Err(format!("{} {}", e.clone().unwrap_or_default(), out.log)),
    };
    match (outcome, result) {
        ("error", Ok(_)) => Err("expected an error, the build succeeded".into()),
        ("error", Err(e)) => check_error(expect, &e),
        (_, Err(e)) => Err(format!("build failed: {}", e.lines().next().unwrap_or(""))),
        (_, Ok(id)) => check_built(expect, store, &id),
    }
}

fn check_built(expect: &Value, store: &mut ImageStore, id: &engine::image::Digest) -> Result<(), String> {
    let layers = store.layers(id).map_err(|e| e.to_string())?;
    let fs = OverlayFs::new(layers, MemoryFs::new());
    check_fs(expect, &fs, store, id)
}

fn check_fs(expect: &Value, fs: &OverlayFs, store: &ImageStore, id: &engine::image::Digest) -> Result<(), String> {
    for (name, want) in expect["files"].as_object().into_iter().flatten() {
        let want = want.as_str().unwrap_or("");
        if want.starts_with('<') {
            continue;
        }
        let got = fs.read(&format!("/{name}")).map(|b| String::from_utf8_lossy(&b).into_owned()).map_err(|e| format!("{name}: {e}"))?;
        if got != want {
            return Err(format!("{name}: {got:?}, want {want:?}"));
        }
    }
    for name in expect["absent"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if fs.lstat(&format!("/{name}")).is_ok() {
            return Err(format!("{name} should be absent"));
        }
    }
    for name in expect["dirs"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !fs.stat(&format!("/{}", name.trim_start_matches('/'))).is_ok_and(|m| m.is_dir()) {
            return Err(format!("{name} should be a directory"));
        }
    }
    for (name, wants) in expect["file_contains"].as_object().into_iter().flatten() {
        let got = fs.read(&format!("/{name}")).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        for w in wants.as_array().into_iter().flatten().filter_map(Value::as_str).chain(wants.as_str()) {
            if !got.contains(w) {
                return Err(format!("{name} lacks {w:?}: {got:?}"));
            }
        }
    }
    for (name, wants) in expect["file_not_contains"].as_object().into_iter().flatten() {
        let got = fs.read(&format!("/{name}")).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        for w in wants.as_array().into_iter().flatten().filter_map(Value::as_str).chain(wants.as_str()) {
            if got.contains(w) {
                return Err(format!("{name} should not contain {w:?}"));
            }
        }
    }
    if let Some(want) = expect["config"].as_object() {
        let config = serde_json::to_value(store.config(id).map_err(|e| e.to_string())?.config).unwrap_or_default();
        for (k, v) in want {
            if !v.is_null() && config.get(k) != Some(v) {
                return Err(format!("config {k}: {:?}, want {v}", config.get(k)));
            }
        }
    }
    Ok(())
}

#[test]
fn buildkit_semantics_cases() {
    let text = std::fs::read_to_string(root().join("semantics.jsonl")).expect("conformance data present");
    let mut total = 0;
    let mut passed = 0;
    let mut failures = Vec::new();
    let mut not_automated = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let mut runs = vec![case.clone()];
        for (i, v) in case["variants"].as_array().into_iter().flatten().enumerate() {
            let mut variant = case.clone();
            if let (Some(obj), Some(over)) = (variant.as_object_mut(), v.as_object()) {
                for (k, val) in over {
                    obj.insert(k.clone(), val.clone());
                }
                obj.insert("id".into(), Value::String(format!("{id}#{}", i + 1)));
            }
            runs.push(variant);
        }
        let mut store = ImageStore::in_memory();
        for run in runs {
            total += 1;
            let name = run["id"].as_str().unwrap_or("?").to_string();
            match run_case(&run, &mut store) {
                Ok(()) => passed += 1,
                Err(e) if e.starts_with("not automated") => not_automated.push(format!("{name}: {e}")),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
    }
    println!("conformance buildkit semantics: {passed}/{total} passed, {} not automated, {} failing", not_automated.len(), failures.len());
    for f in &failures {
        println!("  failing: {f}");
    }
    for n in &not_automated {
        println!("  {n}");
    }
    assert!(passed >= BASELINE, "only {passed} semantics cases pass; the baseline is {BASELINE}");
}

