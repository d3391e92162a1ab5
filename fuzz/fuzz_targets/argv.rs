//! Fuzzes the command-line parser: any argv against every command's table must parse or
//! be refused with an [`engine::cli::Output`], never panic; what parses reads back the
//! same from its normalized spelling.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Words split at NUL, so a word may hold spaces, `=`, quotes.
    let words: Vec<String> = text.split('\0').map(str::to_string).collect();
    engine::cli::flags::check_argv(&words);
});
