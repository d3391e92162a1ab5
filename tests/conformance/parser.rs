//! BuildKit's parser test files: dumps must match byte for byte; negative cases must be
//! rejected with an error.

use crate::support::{report, root};
use engine::dockerfile::{dump, parse};

#[test]
fn buildkit_parser_testfiles() {
    let dir = root().join("buildkit/parser/testfiles");
    let mut cases: Vec<_> = std::fs::read_dir(&dir).expect("conformance data present").flatten().map(|e| e.path()).collect();
    cases.sort();
    let mut failures = Vec::new();
    for case in &cases {
        let source = String::from_utf8_lossy(&std::fs::read(case.join("Dockerfile")).unwrap()).into_owned();
        let expected = std::fs::read_to_string(case.join("result")).unwrap();
        let (file, diagnostics) = parse(&source);
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        let got = dump(&file) + "\n";
        if got != expected || !errors.is_empty() {
            failures.push(format!("{}\nerrors: {errors:?}\nexpected:\n{expected}got:\n{got}", case.display()));
        }
    }
    assert_eq!(cases.len(), 33);
    report("buildkit parser testfiles", cases.len(), &failures);
}

#[test]
fn buildkit_parser_negative() {
    let dir = root().join("buildkit/parser/testfiles-negative");
    let mut cases: Vec<_> = std::fs::read_dir(&dir).expect("conformance data present").flatten().map(|e| e.path()).collect();
    cases.sort();
    let mut failures = Vec::new();
    for case in &cases {
        let source = String::from_utf8_lossy(&std::fs::read(case.join("Dockerfile")).unwrap()).into_owned();
        let (_, diagnostics) = parse(&source);
        match diagnostics.iter().find(|d| d.is_error()) {
            Some(d) => println!("  {}: rejected: {}", case.file_name().unwrap().to_string_lossy(), d.message),
            None => failures.push(format!("{} was accepted", case.display())),
        }
    }
    assert_eq!(cases.len(), 4);
    report("buildkit parser negative", cases.len(), &failures);
}
