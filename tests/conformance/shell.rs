//! BuildKit's word-expansion tables: `envVarTest`, `wordsTest`,
//! `process_with_matches.jsonl` and `lex_misc.json`.

use crate::support::{report, root};
use engine::dockerfile::expand::{EnvList, Lexer};
use serde_json::Value;

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join("buildkit-shell").join(name)).expect("conformance data present")
}

fn env_from(v: &Value) -> EnvList {
    match v {
        Value::Object(map) => EnvList(map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect()),
        Value::Array(items) => EnvList::from_pairs(items.iter().filter_map(Value::as_str)),
        _ => EnvList::new(),
    }
}

#[test]
fn env_var_test() {
    let env = EnvList::from_pairs(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let lexer = Lexer::new('\\');
    let mut total = 0;
    let mut failures = Vec::new();
    for line in read("envVarTest").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.splitn(3, '|').collect();
        let [platform, source, expected] = fields[..] else { panic!("bad line {line}") };
        if platform.trim() == "W" {
            continue; // Windows-only: case-insensitive lookup.
        }
        total += 1;
        let (source, expected) = (source.trim(), expected.trim());
        match (lexer.expand_word(source, &env), expected) {
            (Err(_), "error") => {}
            (Ok(got), want) if got == want => {}
            (got, want) => failures.push(format!("{source:?}: got {got:?}, want {want:?}")),
        }
    }
    report("buildkit-shell envVarTest (unix)", total, &failures);
}

#[test]
fn words_test() {
    let lexer = Lexer::new('\\');
    let mut env = EnvList::new();
    let mut total = 0;
    let mut failures = Vec::new();
    for line in read("wordsTest").lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(def) = line.strip_prefix("ENV ") {
            let def = def.trim_start();
            let (k, v) = def.split_once('=').unwrap_or((def, ""));
            env.set(k, v);
            continue;
        }
        let Some((input, expected)) = line.split_once('|') else { continue };
        total += 1;
        let input = input.trim();
        let expected = expected.trim_start();
        let want: Vec<&str> = expected.split(',').collect();
        match lexer.expand_words(input, &env) {
            Err(_) if expected == "error" => {}
            Ok(got) if got == want => {}
            got => failures.push(format!("{input:?}: got {got:?}, want {want:?}")),
        }
    }
    report("buildkit-shell wordsTest", total, &failures);
}

#[test]
fn process_with_matches() {
    let lexer = Lexer::new('\\');
    let mut total = 0;
    let mut failures = Vec::new();
    for line in read("process_with_matches.jsonl").lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        total += 1;
        let input = case["input"].as_str().unwrap();
        let env = env_from(&case["env"]);
        let result = lexer.expand(input, &env);
        let ok = match (&result, case.get("expect_error")) {
            (Err(_), Some(Value::Bool(true))) => true,
            (Ok(r), None) => {
                let set = |k: &str| case[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
                Some(r.word.as_str()) == case["expected"].as_str()
                    && r.matched.iter().cloned().collect::<Vec<_>>() == set("matched")
                    && r.unmatched.iter().cloned().collect::<Vec<_>>() == set("unmatched")
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{line}\n  got {result:?}"));
        }
    }
    report("buildkit-shell process_with_matches", total, &failures);
}

#[test]
fn lex_misc() {
    let data: Value = serde_json::from_str(&read("lex_misc.json")).unwrap();
    let lexer = Lexer::new('\\');
    let mut total = 0;
    let mut failures = Vec::new();
    for case in data["mandatory_env_vars"]["cases"].as_array().unwrap() {
        total += 1;
        let word = case["word"].as_str().unwrap();
        let got = lexer.expand_word(word, &env_from(&case["env"]));
        let ok = match (&got, case.get("expect"), case.get("expect_error_contains")) {
            (Ok(g), Some(w), _) => Some(g.as_str()) == w.as_str(),
            (Err(e), None, Some(w)) => e.to_string().contains(w.as_str().unwrap()),
            _ => false,
        };
        if !ok {
            failures.push(format!("{word:?} with {}: {got:?}", case["env"]));
        }
    }
    let platform = &data["platform_release_names"];
    for case in platform["cases"].as_array().unwrap() {
        total += 1;
        let got = lexer.expand_word(platform["word"].as_str().unwrap(), &env_from(&case["env"]));
        if got.as_deref().ok() != case["expect"].as_str() {
            failures.push(format!("platform {}: {got:?}", case["env"]));
        }
    }
    for case in data["env_lookup"]["cases"].as_array().unwrap() {
        total += 1;
        let env = env_from(&case["env"]);
        let got = env.get(case["key"].as_str().unwrap()).unwrap_or("");
        if Some(got) != case["expect"].as_str() {
            failures.push(format!("env lookup {case}: {got:?}"));
        }
    }
    report("buildkit-shell lex_misc", total, &failures);
}
