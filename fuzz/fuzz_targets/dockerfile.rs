//! Fuzzes the Dockerfile front end (parse, typed instructions, lint, dump, word
//! expansion) and the shell parser: none may panic on any input.
#![no_main]

use engine::dockerfile::{dump, expand, instructions, lint, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let (file, _) = parse(&source);
    let _ = dump(&file);
    let _ = instructions::from_ast(&file);
    let _ = lint::lint(&source, &lint::LintOptions::default());
    let env = expand::EnvList::from_pairs(["A=1", "B=", "PATH=/bin"]);
    let _ = engine::shell::parser::parse(&source);
    for line in source.lines().take(64) {
        let _ = expand::Lexer::new('\\').expand(line, &env);
        let _ = expand::Lexer::new('`').expand_words(line, &env);
    }
});
