//! BuildKit's parser tables (transcribed from its Go tests): heredocs, directives, JSON
//! arrays, word splitting, line numbers, warnings.

use crate::support::{report, root};
use engine::dockerfile::parser::{detect_directive, heredocs_from_line, parse_heredoc, parse_words};
use engine::dockerfile::{ast::Heredoc, parse};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = root().join("buildkit/parser").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("conformance data present")).expect("valid json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

fn heredoc_json(h: &Heredoc) -> Value {
    serde_json::json!({
        "Name": h.name, "FileDescriptor": h.file_descriptor, "Expand": h.expand,
        "Chomp": h.chomp, "Content": h.content,
    })
}

#[test]
fn heredoc_cases() {
    let data = load("heredoc_cases.json");
    let mut total = 0;
    let mut failures = Vec::new();

    // Heredocs extracted from a whole Dockerfile, instruction by instruction.
    let case = &data["extracts_heredoc"];
    let (file, _) = parse(case["dockerfile"].as_str().unwrap());
    let expected = case["expected_heredocs"].as_array().unwrap();
    total += 1;
    if file.instructions.len() != expected.len() + 1 {
        failures.push(format!("extracts_heredoc: {} instructions, expected {}", file.instructions.len(), expected.len() + 1));
    }
    for (i, want) in expected.iter().enumerate() {
        total += 1;
        let got = file.instructions.get(i + 1).map(|n| n.heredocs.iter().map(heredoc_json).collect::<Vec<_>>());
        let got = match got {
            Some(v) if v.is_empty() => Value::Null,
            Some(v) => Value::Array(v),
            None => Value::String("missing".into()),
        };
        if &got != want {
            failures.push(format!("extracts_heredoc[{i}]: got {got}, want {want}"));
        }
    }

    let (file, _) = parse(data["json_form_has_no_heredoc"]["dockerfile"].as_str().unwrap());
    for node in &file.instructions[1..] {
        total += 1;
        if !node.heredocs.is_empty() {
            failures.push(format!("json form has heredocs: {}", node.original));
        }
    }

    total += 1;
    let chomped = Heredoc {
        name: "EOF".into(), file_descriptor: 0, expand: true, chomp: true,
        content: data["chomp"]["input"].as_str().unwrap().into(),
    };
    if chomped.body() != data["chomp"]["expected"].as_str().unwrap() {
        failures.push(format!("chomp: got {:?}", chomped.body()));
    }

    let words = &data["parse_heredoc_word"];
    for w in strings(&words["valid_name_EOF"]) {
        total += 1;
        match parse_heredoc(&w) {
            Ok(Some(h)) if h.name == "EOF" => {}
            other => failures.push(format!("parse_heredoc({w:?}) = {other:?}, want EOF")),
        }
    }
    for w in strings(&words["invalid_error"]) {
        total += 1;
        if parse_heredoc(&w).is_ok() {
            failures.push(format!("parse_heredoc({w:?}) should fail"));
        }
    }
    for w in strings(&words["not_heredoc"]) {
        total += 1;
        if !matches!(parse_heredoc(&w), Ok(None)) {
            failures.push(format!("parse_heredoc({w:?}) should not be a heredoc"));
        }
    }

    for case in data["heredocs_from_line"]["cases"].as_array().unwrap() {
        total += 1;
        let line = case["line"].as_str().unwrap();
        let names: Vec<String> = heredocs_from_line(line).unwrap_or_default().into_iter().map(|h| h.name).collect();
        if names != strings(&case["heredoc_names"]) {
            failures.push(format!("heredocs_from_line({line:?}) = {names:?}, want {}", case["heredoc_names"]));
        }
    }

    // An unterminated heredoc is an error.
    total += 1;
    let (_, diags) = parse("FROM alpine\nRUN <<EOF\necho hi\n");
    if !diags.iter().any(|d| d.is_error() && d.message == "unterminated heredoc") {
        failures.push(format!("unterminated heredoc not reported: {diags:?}"));
    }
    report("buildkit heredoc table", total, &failures);
}

#[test]
fn parser_go_tables() {
    let data = load("parser_go_tables.json");
    let mut total = 0;
    let mut failures = Vec::new();

    for case in data["parse_words"]["cases"].as_array().unwrap() {
        total += 1;
        let input = case["input"].as_str().unwrap();
        let got: Vec<String> = parse_words(input, '\\').into_iter().map(|w| w.0).collect();
        if got != strings(&case["expect"]) {
            failures.push(format!("parse_words({input:?}) = {got:?}"));
        }
    }

    let lines = &data["line_numbers"];
    total += 1;
    let source = std::fs::read_to_string(root().join("buildkit/parser/testfile-line/Dockerfile")).unwrap();
    let (file, _) = parse(&source);
    let got: Vec<Value> = file.instructions.iter().map(|n| serde_json::json!([n.start_line, n.end_line])).collect();
    if Value::Array(got.clone()) != lines["expect"]["children"] {
        failures.push(format!("line numbers: {got:?}"));
    }

    let warn = &data["empty_continuation_warnings"];
    total += 1;
    let (_, diags) = parse(warn["dockerfile"].as_str().unwrap());
    let warnings: Vec<_> = diags.iter().filter(|d| d.rule.as_deref() == Some("NoEmptyContinuation")).collect();
    let expect = &warn["expect"];
    let ok = warnings.len() == expect["warning_count"].as_u64().unwrap() as usize
        && strings(&expect["warning0_contains"]).iter().all(|s| warnings[0].message.contains(s.as_str()))
        && strings(&expect["warning1_contains"]).iter().all(|s| warnings[1].message.contains(s.as_str()))
        && warnings.iter().all(|w| w.help.as_deref().unwrap_or("").contains(expect["detail_contains"].as_str().unwrap()));
    if !ok {
        failures.push(format!("empty continuation warnings: {warnings:?}"));
    }

    total += 1;
    let long = data["line_too_long"]["dockerfile_template"].as_str().unwrap().replace("<\"a\" repeated 65536 times>", &"a".repeat(65536));
    let (_, diags) = parse(&long);
    let want = data["line_too_long"]["expect_error"].as_str().unwrap();
    if !diags.iter().any(|d| d.is_error() && d.message == want) {
        failures.push(format!("line too long: {diags:?}"));
    }

    for case in data["json_arrays"]["valid"].as_array().unwrap() {
        total += 1;
        let input = case["input"].as_str().unwrap();
        let (file, diags) = parse(&format!("CMD {input}\n"));
        let node = &file.instructions[0];
        let got: Vec<String> = node.values().into_iter().map(str::to_string).collect();
        if !node.json || got != strings(&case["expect"]) || !diags.is_empty() {
            failures.push(format!("json {input:?}: json={} {got:?} {diags:?}", node.json));
        }
    }
    for input in strings(&data["json_arrays"]["invalid_not_string_array"]) {
        total += 1;
        let (_, diags) = parse(&format!("CMD {input}\n"));
        if !diags.iter().any(|d| d.is_error() && d.message.contains("arrays must be comprised of strings only")) {
            failures.push(format!("json {input:?} accepted"));
        }
    }

    for case in data["name_val"]["cases"].as_array().unwrap() {
        total += 1;
        let line = format!("{} {}\n", case["instruction"].as_str().unwrap(), case["rest"].as_str().unwrap());
        let (file, diags) = parse(&line);
        if let Some(err) = case["expect_error"].as_str() {
            if !diags.iter().any(|d| d.is_error() && d.message == err) {
                failures.push(format!("name_val {line:?}: no error {err:?}: {diags:?}"));
            }
        } else {
            let got: Vec<String> = file.instructions[0].values().into_iter().map(str::to_string).collect();
            if got != strings(&case["expect_chain"]) {
                failures.push(format!("name_val {line:?}: {got:?}"));
            }
        }
    }

    for case in data["directives"]["cases"].as_array().unwrap() {
        total += 1;
        let mut input = case["input"].as_str().unwrap().to_string();
        if case.get("input_bytes_prefix_hex").is_some() {
            input.insert(0, '\u{feff}');
        }
        let test = case["test"].as_str().unwrap();
        let failed = match test {
            "TestDirectives" => {
                let (file, _) = parse(&input);
                let got: Vec<Value> = file.directives.iter().map(|d| serde_json::json!({"name": d.name, "value": d.value})).collect();
                Value::Array(got) != case["expect"]
            }
            _ => {
                let key = case.get("key").and_then(Value::as_str).unwrap_or("syntax");
                let want = if test == "TestParseDirective" { &case["expect"] } else { &case["expect_syntax"] };
                let got = detect_directive(key, &input);
                match (got, want) {
                    (None, Value::Null) => false,
                    (Some(d), Value::Object(w)) => {
                        let value_key = if w.contains_key("ref") { "ref" } else { "value" };
                        w.get(value_key).and_then(Value::as_str) != Some(d.value.as_str())
                            || w.get("cmdline").is_some_and(|c| c.as_str() != Some(d.cmdline.as_str()))
                            || w.get("line").is_some_and(|l| l.as_u64() != Some(d.line as u64))
                    }
                    _ => true,
                }
            }
        };
        if failed {
            failures.push(format!("{test} {input:?}: {:?}", detect_directive(case.get("key").and_then(Value::as_str).unwrap_or("syntax"), &input)));
        }
    }
    report("buildkit parser tables", total, &failures);
}
