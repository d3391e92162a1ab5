//! Every command on a declarative table ([`engine::cli::TABLES`]), through the command
//! line as a user types it: `--help` in docker/cli's layout listing every flag, each flag
//! read by its long name and its shorthand, an unknown flag and a bad value refused with
//! pflag's words and status 125.

use engine::cli::flags::{self, Kind};

/// A value each type reads, and one it refuses with the words pflag's `Set` gives.
fn values(kind: Kind) -> (&'static str, Option<(&'static str, &'static str)>) {
    match kind {
        Kind::Bool => ("true", Some(("maybe", "strconv.ParseBool: parsing \"maybe\": invalid syntax"))),
        Kind::Int => ("3", Some(("x", "strconv.ParseInt: parsing \"x\": invalid syntax"))),
        Kind::Uint => ("3", Some(("-1", "strconv.ParseUint: parsing \"-1\": invalid syntax"))),
        Kind::Bytes => ("64m", Some(("lots", "invalid size: 'lots'"))),
        Kind::Duration => ("5s", Some(("5", "time: missing unit in duration \"5\""))),
        Kind::Decimal => ("1.5", Some(("x", "failed to parse x as a rational number"))),
        Kind::Filter => ("a=b", Some(("nokey", "bad format of filter (expected name=value)"))),
        Kind::Custom("ip") => ("10.0.0.1", Some(("300.1.1.1", "invalid string being converted to IP address: 300.1.1.1"))),
        Kind::Custom("uint16") => ("10", Some(("70000", "strconv.ParseUint: parsing \"70000\": value out of range"))),
        Kind::List | Kind::StringArray | Kind::Strings | Kind::Map => ("a=b", None),
        Kind::String | Kind::Custom(_) => ("x", None),
    }
}

#[test]
fn every_command_on_a_table_has_dockers_help_flags_and_errors() {
    let host = crate::MemoryHost::new("");
    let mut checked = 0;
    for table in engine::cli::TABLES {
        let line = |rest: &str| crate::run_line(&host, &format!("berth {} {rest}", table.path));
        // --help, and -h where no flag takes the letter.
        let (code, help, err) = line("--help");
        assert_eq!((code, err.as_str()), (0, ""), "berth {} --help", table.path);
        assert!(help.starts_with(&format!("\nUsage:  berth {} {}\n\n{}\n", table.path, table.usage.replace("\tdocker ", "\tberth "), table.about)), "berth {} --help:\n{help}", table.path);
        for f in table.flags.iter().filter(|f| !f.hidden) {
            assert!(help.contains(&format!("--{} ", f.long)) || help.contains(&format!("--{}\n", f.long)), "berth {} --help does not list --{}:\n{help}", table.path, f.long);
        }
        if !table.flags.iter().any(|f| f.short == Some('h')) {
            assert_eq!(line("-h").1, help, "berth {} -h", table.path);
        }
        // An unknown flag, long and short.
        assert_eq!(line("--forse"), (125, String::new(), format!("unknown flag: --forse\nSee 'berth {} --help'.\n", table.path)), "berth {} --forse", table.path);
        let unused = ('A'..='Z').find(|c| !table.flags.iter().any(|f| f.short == Some(*c))).expect("a free letter");
        assert_eq!(line(&format!("-{unused}")).2, format!("unknown shorthand flag: '{unused}' in -{unused}\nSee 'berth {} --help'.\n", table.path), "berth {} -{unused}", table.path);
        // `--help` is a flag of `run`'s own (its -h is --hostname), and gives the help.
        for f in table.flags.iter().filter(|f| f.long != "help") {
            let (good, bad) = values(f.kind);
            // Read by its long name, inline and as the next word, and by its shorthand.
            let mut spellings = vec![vec![format!("--{}={good}", f.long)]];
            if f.kind != Kind::Bool {
                spellings.push(vec![format!("--{}", f.long), good.to_string()]);
            }
            if let Some(c) = f.short {
                spellings.push(if f.kind == Kind::Bool { vec![format!("-{c}")] } else { vec![format!("-{c}"), good.to_string()] });
            }
            for words in spellings {
                let parsed = flags::parse(table, &words).unwrap_or_else(|o| panic!("berth {} {words:?}: {}", table.path, o.stderr_text()));
                assert_eq!(parsed.value(f.long), Some(good), "berth {} {words:?}", table.path);
                assert!(parsed.args.is_empty(), "berth {} {words:?}", table.path);
            }
            // A bad value, refused before the command runs.
            if let Some((bad, why)) = bad {
                let name = match f.short {
                    Some(c) => format!("-{c}, --{}", f.long),
                    None => format!("--{}", f.long),
                };
                assert_eq!(line(&format!("--{}={bad}", f.long)), (125, String::new(), format!("invalid argument \"{bad}\" for \"{name}\" flag: {why}\nSee 'berth {} --help'.\n", table.path)), "berth {} --{}={bad}", table.path, f.long);
            }
            checked += 1;
        }
    }
    println!("flag tables: {} commands, {checked} flags, each read, listed and refused as docker/cli does", engine::cli::TABLES.len());
}
