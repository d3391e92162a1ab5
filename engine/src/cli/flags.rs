//! Declarative command tables and the parser they drive: one [`Command`] per command —
//! its usage line, aliases and flags (name, shorthand, type, default, usage text, hidden)
//! — from which parsing, `--help` and completion all come.
//!
//! The grammar is pflag's, as docker/cli uses it: clustered shorthands (`-dit`,
//! `-p8080:80`, `-dp 8080:80`), `--flag=value` and `--flag value`, `--bool=false`, `--`
//! ending the flags, list flags repeated, and, for commands that run a program (`run`,
//! `exec`), flags stopping at the first positional. Errors are pflag's words with
//! docker/cli's `See 'docker CMD --help'.` and exit status 125; values are checked as
//! their type is (`strconv.ParseInt`, `invalid size`, `bad format of filter`).

use super::Output;

thread_local! {
    static PROGRAM: std::cell::Cell<&'static str> = const { std::cell::Cell::new("docker") };
}

/// The program's name as the user typed it, for messages (`See 'docker ps --help'.`
/// where they typed `docker`, `berth` where they typed `berth`); `docker` unless a
/// front end said otherwise through [`as_program`].
pub fn program() -> &'static str {
    PROGRAM.with(std::cell::Cell::get)
}

/// Runs `f` with messages naming the program `name` (`berth`; anything else reads as
/// `docker`, the name the sandbox and `docker-compose` go by).
pub fn as_program<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let name = if name.rsplit('/').next() == Some("berth") { "berth" } else { "docker" };
    let before = PROGRAM.with(|p| p.replace(name));
    let out = f();
    PROGRAM.with(|p| p.set(before));
    out
}

/// A flag's type: how its value is read and checked, and the word `--help` shows for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    String,
    Int,
    Uint,
    /// A repeatable string (`-e A=1 -e B=2`), pflag's `list`.
    List,
    /// A repeatable string shown as buildx shows it, `stringArray`.
    StringArray,
    /// Repeatable, each value also split at commas, pflag's `strings`.
    Strings,
    /// `name=value`, repeatable (`-f status=exited`).
    Filter,
    /// A size (`512m`, `1g`): Docker's `MemBytes`.
    Bytes,
    /// Go's `time.ParseDuration` (`10s`, `1m30s`).
    Duration,
    /// A decimal (`--cpus 1.5`).
    Decimal,
    /// Repeatable `key=value` pairs shown as `map`.
    Map,
    /// A value docker/cli reads with a type of its own (`gpu-request`, `mount`,
    /// `network`, `ulimit`, `ip`), named so in `--help`; repeatable, checked by the
    /// command (an `ip` here).
    Custom(&'static str),
}

impl Kind {
    /// The type word `--help` prints after the flag (none for booleans).
    fn word(self) -> &'static str {
        match self {
            Kind::Bool => "",
            Kind::String => "string",
            Kind::Int => "int",
            Kind::Uint => "uint",
            Kind::List => "list",
            Kind::StringArray => "stringArray",
            Kind::Strings => "strings",
            Kind::Filter => "filter",
            Kind::Bytes => "bytes",
            Kind::Duration => "duration",
            Kind::Decimal => "decimal",
            Kind::Map => "map",
            Kind::Custom(word) => word,
        }
    }

    /// Whether a value is one this type reads, in the words pflag's `Set` fails with.
    fn check(self, value: &str) -> Result<(), String> {
        match self {
            Kind::Bool => parse_bool(value).map(|_| ()),
            Kind::Int => parse_int(value).map(|_| ()),
            Kind::Uint => parse_int(value).and_then(|n| if n < 0 { Err(format!("strconv.ParseUint: parsing \"{value}\": invalid syntax")) } else { Ok(()) }),
            Kind::Filter if !value.contains('=') => Err("bad format of filter (expected name=value)".into()),
            // `-1` is `--memory-swap`'s "unlimited" (docker/cli's MemSwapBytes).
            Kind::Bytes if value == "-1" => Ok(()),
            Kind::Bytes => crate::runtime::parse_memory(value).map(|_| ()).ok_or_else(|| format!("invalid size: '{value}'")),
            Kind::Duration => parse_duration(value).map(|_| ()),
            Kind::Decimal => value.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| ()).ok_or_else(|| format!("failed to parse {value} as a rational number")),
            Kind::Custom("uint16") => value.parse::<u16>().map(|_| ()).map_err(|_| format!("strconv.ParseUint: parsing \"{value}\": {}", if value.parse::<u64>().is_ok() { "value out of range" } else { "invalid syntax" })),
            Kind::Custom("ip") => value.parse::<std::net::IpAddr>().map(|_| ()).map_err(|_| format!("invalid string being converted to IP address: {value}")),
            _ => Ok(()),
        }
    }

    fn repeats(self) -> bool {
        matches!(self, Kind::List | Kind::StringArray | Kind::Strings | Kind::Filter | Kind::Map | Kind::Custom("mount" | "ulimit"))
    }
}

/// One flag of a command's table.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: Kind,
    /// The default as `--help` shows it (empty: the type's zero, not shown).
    pub default: &'static str,
    pub usage: &'static str,
    /// Accepted, not listed by `--help` (deprecated spellings, Berth's own extras).
    pub hidden: bool,
}

/// A flag of `kind` with a usage text; `.short()`, `.default()` and `.hidden()` add the rest.
pub const fn flag(long: &'static str, kind: Kind, usage: &'static str) -> Flag {
    Flag { long, short: None, kind, default: "", usage, hidden: false }
}

impl Flag {
    pub const fn short(mut self, c: char) -> Flag {
        self.short = Some(c);
        self
    }

    pub const fn default(mut self, d: &'static str) -> Flag {
        self.default = d;
        self
    }

    pub const fn hidden(mut self) -> Flag {
        self.hidden = true;
        self
    }

    /// `-a, --all` or `--format`, as pflag names a flag in its errors.
    fn name(&self) -> String {
        match self.short {
            Some(c) => format!("-{c}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// A command: what `--help` shows of it and the flags it takes.
#[derive(Debug)]
pub struct Command {
    /// The path after the program's name: `ps`, `volume ls`.
    pub path: &'static str,
    /// What follows the path on the usage line: `[OPTIONS]`, `[OPTIONS] CONTAINER [CONTAINER...]`.
    pub usage: &'static str,
    pub about: &'static str,
    /// Every path that runs this command, as `--help` lists them (docker/cli's order:
    /// the canonical `container ls` first, the shortcut `ps` last); empty for none.
    pub aliases: &'static [&'static str],
    pub flags: &'static [Flag],
    /// Flags may follow positionals (`ps`, `rm`); not where the positionals are a
    /// program and its own arguments (`run`, `exec`).
    pub interspersed: bool,
}

impl Command {
    /// A command whose flags may follow its positionals (pflag's default).
    pub const fn new(path: &'static str, usage: &'static str, about: &'static str, aliases: &'static [&'static str], flags: &'static [Flag]) -> Command {
        Command { path, usage, about, aliases, flags, interspersed: true }
    }

    /// Flags stop at the first positional: the rest is a program and its arguments
    /// (`exec`), or options for another program (`top`'s for `ps`).
    pub const fn program_args(mut self) -> Command {
        self.interspersed = false;
        self
    }

    fn by_long(&self, name: &str) -> Option<usize> {
        self.flags.iter().position(|f| f.long == name)
    }

    fn by_short(&self, c: char) -> Option<usize> {
        self.flags.iter().position(|f| f.short == Some(c))
    }

    /// `See 'docker ps --help'.`, docker/cli's line under a usage error.
    pub fn see_help(&self) -> String {
        format!("See '{} {} --help'.", program(), self.path)
    }

    /// A usage error as docker/cli reports it: the message, the help pointer, status 125.
    pub fn usage_error(&self, message: &str) -> Output {
        Output::fail(125, format!("{message}\n{}\n", self.see_help()))
    }

    /// docker/cli's `NoArgs`, `ExactArgs`, `RequiresMinArgs` and `RequiresMaxArgs`: the
    /// positionals' count checked, in its words, with status 1.
    pub fn arity(&self, parsed: &Parsed, min: usize, max: Option<usize>) -> Result<(), Output> {
        let n = parsed.args.len();
        let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
        let what = match max {
            Some(0) if n > 0 => "accepts no arguments".to_string(),
            Some(m) if m == min && n != m => format!("requires exactly {m} {}", plural(m)),
            _ if n < min => format!("requires at least {min} {}", plural(min)),
            Some(m) if n > m => format!("requires at most {m} {}", plural(m)),
            _ => return Ok(()),
        };
        let prog = program();
        Err(Output::fail(1, format!("\"{prog} {}\" {what}.\n{}\n\nUsage:  {prog} {} {}\n\n{}\n", self.path, self.see_help(), self.path, self.usage.replace("\tdocker ", &format!("\t{prog} ")), self.about)))
    }

    /// Parses `args` against this table and checks the positionals' count
    /// ([`Command::arity`]): what every command does first.
    pub fn read(&'static self, args: &[String], min: usize, max: Option<usize>) -> Result<Parsed, Output> {
        let parsed = parse(self, args)?;
        self.arity(&parsed, min, max)?;
        Ok(parsed)
    }

    /// `--help`: docker/cli's layout (Usage, the description, Aliases, Options).
    pub fn help(&self) -> String {
        let prog = program();
        let mut out = format!("\nUsage:  {prog} {} {}\n\n{}\n", self.path, self.usage.replace("\tdocker ", &format!("\t{prog} ")), self.about);
        if !self.aliases.is_empty() {
            let names: Vec<String> = self.aliases.iter().map(|a| format!("{prog} {a}")).collect();
            out.push_str(&format!("\nAliases:\n  {}\n", names.join(", ")));
        }
        // pflag sorts the flags by name.
        let mut shown: Vec<&Flag> = self.flags.iter().filter(|f| !f.hidden).collect();
        shown.sort_by_key(|f| f.long);
        if !shown.is_empty() {
            out.push_str("\nOptions:\n");
            out.push_str(&flag_usages(&shown, 79));
        }
        out
    }
}

/// pflag's `FlagUsagesWrapped`: names and types in a column, usage three spaces after
/// the longest, wrapped to `cols`, with non-zero defaults in brackets.
fn flag_usages(flags: &[&Flag], cols: usize) -> String {
    let heads: Vec<String> = flags
        .iter()
        .map(|f| {
            let mut head = match f.short {
                Some(c) => format!("  -{c}, --{}", f.long),
                None => format!("      --{}", f.long),
            };
            let word = f.kind.word();
            if !word.is_empty() {
                head.push(' ');
                head.push_str(word);
            }
            head
        })
        .collect();
    let width = heads.iter().map(String::len).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (f, head) in flags.iter().zip(heads) {
        let mut usage = f.usage.to_string();
        if !f.default.is_empty() {
            usage.push_str(&if f.kind == Kind::String { format!(" (default \"{}\")", f.default) } else { format!(" (default {})", f.default) });
        }
        out.push_str(&format!("{head}{}{}\n", " ".repeat(width + 2 - head.len()), wrap(width + 2, cols, &usage)));
    }
    out
}

/// pflag's `wrap`: the usage column keeps its indent on every line; a word that would
/// leave a short orphan may run five columns over.
fn wrap(indent: usize, cols: usize, text: &str) -> String {
    let room = cols.saturating_sub(indent);
    if room < 24 {
        return text.to_string();
    }
    let slop = 5;
    let room = room - slop;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut rest = paragraph;
        loop {
            if room + slop > rest.len() {
                lines.push(rest.to_string());
                break;
            }
            let mut cut = room;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            match rest[..cut].rfind([' ', '\t']).filter(|&w| w > 0) {
                Some(w) => {
                    lines.push(rest[..w].to_string());
                    rest = &rest[w + 1..];
                }
                None => {
                    lines.push(rest.to_string());
                    break;
                }
            }
        }
    }
    lines.join(&format!("\n{}", " ".repeat(indent)))
}

/// What a command line held: each flag given, in order, and the positionals.
#[derive(Debug)]
pub struct Parsed {
    command: &'static Command,
    values: Vec<(usize, String)>,
    pub args: Vec<String>,
}

impl Parsed {
    fn index(&self, long: &str) -> usize {
        self.command.by_long(long).unwrap_or_else(|| unreachable!("--{long} is not in the table of {}", self.command.path))
    }

    /// Whether the flag was given at all.
    pub fn changed(&self, long: &str) -> bool {
        let i = self.index(long);
        self.values.iter().any(|(j, _)| *j == i)
    }

    /// The last value given, else none (the table's default is for `--help`).
    pub fn value(&self, long: &str) -> Option<&str> {
        let i = self.index(long);
        self.values.iter().rev().find(|(j, _)| *j == i).map(|(_, v)| v.as_str())
    }

    /// Every value given, in order (list flags).
    pub fn values(&self, long: &str) -> Vec<&str> {
        let i = self.index(long);
        self.values.iter().filter(|(j, _)| *j == i).map(|(_, v)| v.as_str()).collect()
    }

    /// The flags as `--long=value` words in the order given (booleans as `--long` when
    /// true, left out when false), then `--` and the positionals: one spelling for a
    /// command's own scanner, whatever shorthands and clusters the user typed.
    pub fn normalized(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, value) in &self.values {
            let flag = &self.command.flags[*i];
            match flag.kind {
                Kind::Bool if parse_bool(value).unwrap_or(false) => out.push(format!("--{}", flag.long)),
                Kind::Bool => {}
                _ => out.push(format!("--{}={value}", flag.long)),
            }
        }
        out.push("--".into());
        out.extend(self.args.iter().cloned());
        out
    }

    /// `--filter key=value`s as pairs, in order (the `=` was checked when read).
    pub fn filters(&self) -> Vec<(String, String)> {
        self.values("filter").iter().filter_map(|f| f.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A boolean: its last value (already checked), false when not given.
    pub fn bool(&self, long: &str) -> bool {
        self.value(long).is_some_and(|v| parse_bool(v).unwrap_or(false))
    }

    /// An integer: its last value (already checked), else the table's default.
    pub fn int(&self, long: &str) -> i64 {
        let default = self.command.flags[self.index(long)].default;
        self.value(long).or(Some(default)).and_then(|v| parse_int(v).ok()).unwrap_or(0)
    }
}

/// What parsing came to when it did not give flags: the help was asked for, or the
/// line is wrong. Both are an [`Output`] to print as they are.
pub fn parse(command: &'static Command, args: &[String]) -> Result<Parsed, Output> {
    let mut parsed = Parsed { command, values: Vec::new(), args: Vec::new() };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg.len() < 2 || !arg.starts_with('-') {
            parsed.args.push(arg.clone());
            if !command.interspersed {
                parsed.args.extend(args[i..].iter().cloned());
                break;
            }
            continue;
        }
        if arg == "--" {
            parsed.args.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            if name.is_empty() || name.starts_with('-') {
                return Err(command.usage_error(&format!("bad flag syntax: {arg}")));
            }
            if name == "help" && inline.is_none_or(|v| parse_bool(v).unwrap_or(false)) {
                return Err(Output::ok(command.help()));
            }
            let Some(f) = command.by_long(name) else {
                return Err(command.usage_error(&format!("unknown flag: --{name}")));
            };
            let value = match (inline, command.flags[f].kind) {
                (Some(v), _) => v.to_string(),
                (None, Kind::Bool) => "true".into(),
                (None, _) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        v.clone()
                    }
                    None => return Err(command.usage_error(&format!("flag needs an argument: {arg}"))),
                },
            };
            set(&mut parsed, f, value)?;
            continue;
        }
        // A cluster of shorthands: booleans one after another, then at most one that
        // takes the rest of the cluster (or the next argument) as its value.
        let cluster = &arg[1..];
        for (at, c) in cluster.char_indices() {
            let Some(f) = command.by_short(c) else {
                if c == 'h' {
                    return Err(Output::ok(command.help()));
                }
                return Err(command.usage_error(&format!("unknown shorthand flag: '{c}' in -{cluster}")));
            };
            let rest = &cluster[at + c.len_utf8()..];
            if command.flags[f].kind == Kind::Bool {
                match rest.strip_prefix('=') {
                    Some(v) => {
                        set(&mut parsed, f, v.to_string())?;
                        break;
                    }
                    None => set(&mut parsed, f, "true".into())?,
                }
                continue;
            }
            let value = if let Some(v) = rest.strip_prefix('=') {
                v.to_string()
            } else if !rest.is_empty() {
                rest.to_string()
            } else if let Some(v) = args.get(i) {
                i += 1;
                v.clone()
            } else {
                return Err(command.usage_error(&format!("flag needs an argument: '{c}' in -{cluster}")));
            };
            set(&mut parsed, f, value)?;
            break;
        }
    }
    Ok(parsed)
}

fn set(parsed: &mut Parsed, f: usize, value: String) -> Result<(), Output> {
    let flag = &parsed.command.flags[f];
    if let Err(e) = flag.kind.check(&value) {
        return Err(parsed.command.usage_error(&format!("invalid argument \"{value}\" for \"{}\" flag: {e}", flag.name())));
    }
    if !flag.kind.repeats() {
        parsed.values.retain(|(j, _)| *j != f);
    }
    parsed.values.push((f, value));
    Ok(())
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing \"{s}\": invalid syntax")),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: a sign, then decimal, `0x` hex, `0o`/`0` octal
/// or `0b` binary.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.ParseInt: parsing \"{s}\": invalid syntax");
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b.to_string())
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b.to_string())
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return Err(syntax());
    }
    let magnitude = u64::from_str_radix(&body, radix).map_err(|_| format!("strconv.ParseInt: parsing \"{s}\": value out of range"))?;
    let value = if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
    value.ok_or_else(|| format!("strconv.ParseInt: parsing \"{s}\": value out of range"))
}

/// Go's `time.ParseDuration`, in nanoseconds: `300ms`, `1.5h`, `2h45m`, `-1s`.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration \"{s}\"");
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            unit => return Err(format!("time: unknown unit \"{unit}\" in duration \"{s}\"")),
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Ok(if negative { -(total as i128) } else { total as i128 })
}

/// The parser's invariants over one argv, for every command on a table (the fuzz target
/// `argv` and the parser's property test): parsing never panics, help and errors are
/// [`Output`]s, and a line that parses gives the same flags and positionals when its
/// [`Parsed::normalized`] spelling is parsed again. Panics where an invariant fails.
pub fn check_argv(words: &[String]) {
    for table in super::TABLES {
        let Ok(parsed) = parse(table, words) else { continue };
        let again = parse(table, &parsed.normalized()).unwrap_or_else(|o| panic!("docker {}: {words:?} parsed, its normalized form {:?} did not: {}", table.path, parsed.normalized(), o.stderr_text()));
        assert_eq!(again.args, parsed.args, "docker {}: {words:?}", table.path);
        for f in table.flags {
            let (a, b) = (again.values(f.long), parsed.values(f.long));
            // A boolean given false is left out of the normalized form.
            if f.kind == Kind::Bool {
                assert_eq!(again.bool(f.long), parsed.bool(f.long), "docker {}: {words:?} --{}", table.path, f.long);
            } else {
                assert_eq!(a, b, "docker {}: {words:?} --{}", table.path, f.long);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stand-in for the fuzz target in every test run: argv built from
    /// the tables' own flags, shorthands, clusters, `=`, `--`, values good and bad, and
    /// noise, through [`check_argv`].
    #[test]
    fn argv_of_every_shape_parses_or_is_refused_and_reads_back_the_same() {
        let mut pool: Vec<String> = ["--", "-", "---x", "--=", "-=", "--help=false", "-h", "x", "a=b", "", " ", "-1", "5s", "1.5", "64m", "=", "-dit", "-e", "é", "--é", "-é"].iter().map(|s| s.to_string()).collect();
        for table in super::super::TABLES {
            for f in table.flags {
                pool.push(format!("--{}", f.long));
                pool.push(format!("--{}=v", f.long));
                pool.push(format!("--{}=", f.long));
                if let Some(c) = f.short {
                    pool.push(format!("-{c}"));
                    pool.push(format!("-{c}v"));
                    pool.push(format!("-{c}=1"));
                }
            }
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..10_000 {
            let n = (next() % 6) as usize;
            let words: Vec<String> = (0..n).map(|_| pool[(next() % pool.len() as u64) as usize].clone()).collect();
            check_argv(&words);
        }
    }

    static DEMO: Command = Command {
        path: "demo",
        usage: "[OPTIONS] [ARG...]",
        about: "A command for the parser's tests",
        aliases: &["demo", "demo2"],
        flags: &[
            flag("all", Kind::Bool, "Show all").short('a'),
            flag("detach", Kind::Bool, "Run in the background").short('d'),
            flag("env", Kind::List, "Set environment variables").short('e'),
            flag("publish", Kind::List, "Publish a port").short('p'),
            flag("last", Kind::Int, "Show n last").short('n').default("-1"),
            flag("memory", Kind::Bytes, "Memory limit").short('m'),
            flag("format", Kind::String, "Format output using a custom template"),
            flag("filter", Kind::Filter, "Filter output").short('f'),
            flag("time", Kind::Duration, "How long"),
            flag("secret", Kind::Bool, "Not shown").hidden(),
        ],
        interspersed: true,
    };

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    fn ok(line: &str) -> Parsed {
        parse(&DEMO, &args(line)).unwrap_or_else(|e| panic!("{line}: {}", String::from_utf8_lossy(&e.stderr)))
    }

    fn err(line: &str) -> String {
        let e = parse(&DEMO, &args(line)).expect_err(line);
        assert_eq!(e.code, 125, "{line}");
        String::from_utf8(e.stderr).unwrap()
    }

    #[test]
    fn pflags_grammar_is_read_as_docker_reads_it() {
        let p = ok("-dp 8080:80 img");
        assert!(p.bool("detach"));
        assert_eq!(p.values("publish"), ["8080:80"]);
        assert_eq!(p.args, ["img"]);
        let p = ok("-de A=1 -p8080:80 -e=B=2 --env C=3 --env=D=4");
        assert_eq!(p.values("env"), ["A=1", "B=2", "C=3", "D=4"]);
        assert_eq!(p.values("publish"), ["8080:80"]);
        assert!(!ok("--all=false").bool("all"));
        assert!(!ok("-a=false").bool("all"));
        assert!(ok("--all=T").bool("all"));
        assert_eq!(ok("x --all y -- --detach -z").args, ["x", "y", "--detach", "-z"]);
        assert!(!ok("-- --detach").bool("detach"));
        assert_eq!(ok("").int("last"), -1);
        assert_eq!(ok("-n 0x10").int("last"), 16);
        assert_eq!(ok("-n3 -n 4").int("last"), 4, "the last value wins");
        assert_eq!(ok("- -a").args, ["-"], "a lone dash is a positional");
    }

    #[test]
    fn bad_lines_get_pflags_words_and_the_help_pointer() {
        assert_eq!(err("--forse"), "unknown flag: --forse\nSee 'docker demo --help'.\n");
        assert_eq!(err("-az"), "unknown shorthand flag: 'z' in -az\nSee 'docker demo --help'.\n");
        assert_eq!(err("--format"), "flag needs an argument: --format\nSee 'docker demo --help'.\n");
        assert_eq!(err("-an"), "flag needs an argument: 'n' in -an\nSee 'docker demo --help'.\n");
        assert_eq!(err("-n x"), "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'docker demo --help'.\n");
        assert_eq!(err("-m x"), "invalid argument \"x\" for \"-m, --memory\" flag: invalid size: 'x'\nSee 'docker demo --help'.\n");
        assert_eq!(err("--all=maybe"), "invalid argument \"maybe\" for \"-a, --all\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\nSee 'docker demo --help'.\n");
        assert_eq!(err("-f status"), "invalid argument \"status\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\nSee 'docker demo --help'.\n");
        assert_eq!(err("--time 5"), "invalid argument \"5\" for \"--time\" flag: time: missing unit in duration \"5\"\nSee 'docker demo --help'.\n");
        assert_eq!(err("---x"), "bad flag syntax: ---x\nSee 'docker demo --help'.\n");
    }

    #[test]
    fn help_has_dockers_layout() {
        let help = parse(&DEMO, &args("x --help")).expect_err("help");
        assert_eq!(help.code, 0);
        let text = String::from_utf8(help.stdout).unwrap();
        assert_eq!(
            text,
            "
Usage:  docker demo [OPTIONS] [ARG...]

A command for the parser's tests

Aliases:
  docker demo, docker demo2

Options:
  -a, --all             Show all
  -d, --detach          Run in the background
  -e, --env list        Set environment variables
  -f, --filter filter   Filter output
      --format string   Format output using a custom template
  -n, --last int        Show n last (default -1)
  -m, --memory bytes    Memory limit
  -p, --publish list    Publish a port
      --time duration   How long
"
        );
        assert_eq!(parse(&DEMO, &args("-h")).expect_err("help").code, 0);
    }

    #[test]
    fn long_usages_wrap_under_their_column() {
        let text = wrap(10, 40, "one two three four five six seven eight nine ten eleven");
        for line in text.lines().skip(1) {
            assert!(line.starts_with(&" ".repeat(10)) && line.len() <= 40, "{line:?}");
        }
        assert_eq!(text.split_whitespace().collect::<Vec<_>>().len(), 11);
        let wide = "é".repeat(30) + " " + &"ü".repeat(30);
        assert_eq!(wrap(10, 40, &wide).split_whitespace().count(), 2, "cut on a character's edge");
    }

    #[test]
    fn go_numbers_and_durations() {
        assert_eq!(parse_int("-12"), Ok(-12));
        assert_eq!(parse_int("0o17"), Ok(15));
        assert_eq!(parse_int("017"), Ok(15));
        assert!(parse_int("9223372036854775808").unwrap_err().ends_with("value out of range"));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-300ms"), Ok(-300_000_000));
        assert_eq!(parse_duration("3d"), Err("time: unknown unit \"d\" in duration \"3d\"".into()));
        assert_eq!(parse_duration(""), Err("time: invalid duration \"\"".into()));
    }
}
