//! Go's `text/template` as `--format` uses it, over a JSON document: text and actions
//! (`{{.Field.Sub}}`, `{{- trimmed -}}`, `{{/* comments */}}`), pipelines (`{{.Name |
//! upper}}`), variables (`$`, `{{$x := .A}}`), `if`/`else if`/`else`, `range` (with
//! `$i, $v :=` and `else`), `with`, `break` and `continue`, and the functions docker/cli
//! adds (`json`, `split`, `join`, `title`, `lower`, `upper`, `pad`, `truncate`,
//! `println`) to Go's own (`and`, `or`, `not`, `len`, `index`, `slice`, `print`,
//! `printf`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`). Errors are Go's, shortened: `template:
//! :1: function "foo" not defined`.
//!
//! Values print as Go's `fmt` prints the structs they stand for: strings bare, lists as
//! `[a b]`, maps as `map[k:v]` with sorted keys, a key the document does not have as
//! `<no value>`.

use serde_json::Value;

/// How deep actions, blocks and parentheses may nest: deeper is an error, never a
/// stack that runs out.
const MAX_DEPTH: usize = 100;

/// How many nodes a template may run (ranges nested in ranges multiply), and how much it
/// may print: more is an error, never a tab that hangs.
const MAX_STEPS: u64 = 10_000_000;
const MAX_OUTPUT: usize = 64 << 20;

/// Renders `template` against `doc`.
pub fn render(template: &str, doc: &Value) -> Result<String, String> {
    let nodes = parse(template)?;
    let mut out = String::new();
    let mut vars = vec![("$".to_string(), doc.clone())];
    exec(&nodes, doc, &mut vars, &mut out, &mut 0)?;
    Ok(out)
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    Break,
    Continue,
}

#[derive(Debug, Clone, Default)]
struct Pipe {
    /// `$x :=` (declares) or `$x =` (assigns); `$i, $v :=` in a range.
    vars: Vec<String>,
    assigns: bool,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Debug, Clone)]
enum Arg {
    /// `.` followed by fields (none for `.` itself).
    Dot(Vec<String>),
    Var(String, Vec<String>),
    Func(String),
    Lit(Value),
    /// `(pipeline).Field`.
    Sub(Box<Pipe>, Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(String),
    Dot,
    Var(String),
    Ident(String),
    Lit(Value),
    Pipe,
    Open,
    Close,
    Declare,
    Assign,
    Comma,
}

fn error(message: impl std::fmt::Display) -> String {
    format!("template: :1: {message}")
}

/// Splits the source into text and actions (with Go's trim markers applied), then
/// parses the blocks.
fn parse(src: &str) -> Result<Vec<Node>, String> {
    let mut items: Vec<Result<String, Vec<Tok>>> = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while !rest.is_empty() {
        let Some(start) = rest.find("{{") else {
            items.push(Ok(if trim_next { rest.trim_start().to_string() } else { rest.to_string() }));
            break;
        };
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let mut inner = &rest[start + 2..];
        let trim_left = inner.starts_with("- ") || inner.starts_with("-\t") || inner.starts_with("-\n");
        if trim_left {
            text = text.trim_end();
            inner = &inner[1..];
        }
        items.push(Ok(text.to_string()));
        let (body, after, trim_right) = action_body(inner)?;
        trim_next = trim_right;
        let body = body.trim();
        if !(body.starts_with("/*") && body.ends_with("*/")) {
            items.push(Err(lex(body)?));
        }
        rest = after;
    }
    let mut at = 0;
    let (nodes, end) = block(&items, &mut at, 0)?;
    match end {
        None => Ok(nodes),
        Some(word) => Err(error(format!("unexpected {{{{{word}}}}}"))),
    }
}

/// The action's text up to its `}}` (not one inside a string), what follows it, and
/// whether it ends with a trim marker.
fn action_body(s: &str) -> Result<(&str, &str, bool), String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (None, b'"' | b'`') => quote = Some(bytes[i]),
            (None, b'}') if bytes.get(i + 1) == Some(&b'}') => {
                let body = &s[..i];
                let trimmed = body.strip_suffix(" -").or_else(|| body.strip_suffix("\t-")).or_else(|| body.strip_suffix("\n-"));
                return Ok((trimmed.unwrap_or(body), &s[i + 2..], trimmed.is_some()));
            }
            _ => {}
        }
        i += 1;
    }
    Err(error("unclosed action"))
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            '(' => {
                toks.push(Tok::Open);
                i += 1;
            }
            ')' => {
                toks.push(Tok::Close);
                i += 1;
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            ':' if chars.get(i + 1) == Some(&'=') => {
                toks.push(Tok::Declare);
                i += 2;
            }
            '=' => {
                toks.push(Tok::Assign);
                i += 1;
            }
            '.' => {
                i += 1;
                if i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '_') {
                    toks.push(Tok::Field(word(&mut i)));
                } else {
                    toks.push(Tok::Dot);
                }
            }
            '$' => {
                i += 1;
                toks.push(Tok::Var(format!("${}", word(&mut i))));
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(error("unterminated quoted string")),
                        Some('"') => break,
                        Some('\\') => {
                            i += 1;
                            text.push(match chars.get(i) {
                                Some('n') => '\n',
                                Some('t') => '\t',
                                Some('r') => '\r',
                                Some('\\') => '\\',
                                Some('"') => '"',
                                Some(other) => return Err(error(format!("invalid syntax in string: \\{other}"))),
                                None => return Err(error("unterminated quoted string")),
                            });
                        }
                        Some(c) => text.push(*c),
                    }
                    i += 1;
                }
                i += 1;
                toks.push(Tok::Lit(Value::String(text)));
            }
            '`' => {
                let end = chars[i + 1..].iter().position(|c| *c == '`').ok_or_else(|| error("unterminated raw quoted string"))?;
                toks.push(Tok::Lit(Value::String(chars[i + 1..i + 1 + end].iter().collect())));
                i += end + 2;
            }
            c if c.is_ascii_digit() || ((c == '-' || c == '+') && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text.parse::<i64>().map(Value::from).ok().or_else(|| text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number));
                toks.push(Tok::Lit(n.ok_or_else(|| error(format!("bad number syntax: \"{text}\"")))?));
            }
            c if c.is_alphabetic() || c == '_' => {
                let w = word(&mut i);
                toks.push(match w.as_str() {
                    "true" => Tok::Lit(Value::Bool(true)),
                    "false" => Tok::Lit(Value::Bool(false)),
                    "nil" => Tok::Lit(Value::Null),
                    _ => Tok::Ident(w),
                });
            }
            other => return Err(error(format!("unexpected \"{other}\" in command"))),
        }
    }
    Ok(toks)
}

/// Nodes up to the `{{else…}}` or `{{end}}` that ends this block (returned with it).
fn block(items: &[Result<String, Vec<Tok>>], at: &mut usize, depth: usize) -> Result<(Vec<Node>, Option<String>), String> {
    if depth > MAX_DEPTH {
        return Err(error(format!("blocks nest deeper than {MAX_DEPTH}")));
    }
    let mut nodes = Vec::new();
    while let Some(item) = items.get(*at) {
        *at += 1;
        let toks = match item {
            Ok(text) => {
                if !text.is_empty() {
                    nodes.push(Node::Text(text.clone()));
                }
                continue;
            }
            Err(toks) => toks,
        };
        let keyword = match toks.first() {
            Some(Tok::Ident(w)) if matches!(w.as_str(), "if" | "with" | "range" | "else" | "end" | "break" | "continue" | "define" | "template" | "block") => w.as_str(),
            _ => {
                nodes.push(Node::Action(pipeline(toks, depth)?));
                continue;
            }
        };
        match keyword {
            "end" => return Ok((nodes, Some("end".into()))),
            "else" => {
                // `else if P` / `else with P` hand their keyword on.
                let rest = match toks.get(1) {
                    Some(Tok::Ident(w)) if w == "if" || w == "with" => format!("else {w}"),
                    _ => "else".to_string(),
                };
                *at -= 1;
                return Ok((nodes, Some(rest)));
            }
            "break" => nodes.push(Node::Break),
            "continue" => nodes.push(Node::Continue),
            "if" | "with" | "range" => nodes.push(control(keyword, &toks[1..], items, at, depth)?),
            other => return Err(error(format!("{{{{{other}}}}} is not supported in --format"))),
        }
    }
    Ok((nodes, None))
}

/// `if`, `with` or `range` and its body, its `else` branch, through its `end`.
fn control(keyword: &str, toks: &[Tok], items: &[Result<String, Vec<Tok>>], at: &mut usize, depth: usize) -> Result<Node, String> {
    let pipe = pipeline(toks, depth)?;
    if keyword != "range" && pipe.vars.len() > 1 {
        return Err(error(format!("too many declarations in {keyword}")));
    }
    let (body, end) = block(items, at, depth + 1)?;
    let otherwise = match end.as_deref() {
        Some("end") => Vec::new(),
        Some("else") => {
            *at += 1;
            let (nodes, end) = block(items, at, depth + 1)?;
            if end.as_deref() != Some("end") {
                return Err(error(format!("expected end; found {}", end.map_or("EOF".into(), |e| format!("{{{{{e}}}}}")))));
            }
            nodes
        }
        Some(chain @ ("else if" | "else with")) => {
            // `{{else if P}}…` is `{{else}}{{if P}}…{{end}}` sharing this block's end.
            let Some(Err(toks)) = items.get(*at) else { unreachable!("the else was seen") };
            *at += 1;
            vec![control(&chain[5..], &toks[2..], items, at, depth + 1)?]
        }
        _ => return Err(error(format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"))),
    };
    Ok(match keyword {
        "if" => Node::If(pipe, body, otherwise),
        "with" => Node::With(pipe, body, otherwise),
        _ => Node::Range(pipe, body, otherwise),
    })
}

fn pipeline(toks: &[Tok], depth: usize) -> Result<Pipe, String> {
    if depth > MAX_DEPTH {
        return Err(error(format!("expressions nest deeper than {MAX_DEPTH}")));
    }
    let mut pipe = Pipe::default();
    let mut toks = toks;
    // `$x :=`, `$x =`, `$i, $v :=`.
    let declared = toks.iter().position(|t| matches!(t, Tok::Declare | Tok::Assign));
    if let Some(d) = declared.filter(|&d| toks[..d].iter().all(|t| matches!(t, Tok::Var(_) | Tok::Comma))) {
        pipe.vars = toks[..d].iter().filter_map(|t| if let Tok::Var(v) = t { Some(v.clone()) } else { None }).collect();
        pipe.assigns = toks[d] == Tok::Assign;
        toks = &toks[d + 1..];
    }
    let mut i = 0;
    let mut cmd = Vec::new();
    while i < toks.len() {
        match &toks[i] {
            Tok::Pipe => {
                if cmd.is_empty() {
                    return Err(error("missing command in pipeline"));
                }
                pipe.cmds.push(std::mem::take(&mut cmd));
                i += 1;
                continue;
            }
            Tok::Open => {
                let mut level = 0;
                let close = toks[i..]
                    .iter()
                    .position(|t| {
                        match t {
                            Tok::Open => level += 1,
                            Tok::Close => level -= 1,
                            _ => {}
                        }
                        level == 0
                    })
                    .ok_or_else(|| error("unclosed left paren"))?;
                let inner = pipeline(&toks[i + 1..i + close], depth + 1)?;
                i += close + 1;
                cmd.push(Arg::Sub(Box::new(inner), fields_after(toks, &mut i)));
                continue;
            }
            Tok::Close => return Err(error("unexpected right paren")),
            Tok::Dot => cmd.push(Arg::Dot(Vec::new())),
            Tok::Field(f) => {
                let mut path = vec![f.clone()];
                i += 1;
                path.extend(fields_after(toks, &mut i));
                cmd.push(Arg::Dot(path));
                continue;
            }
            Tok::Var(v) => {
                i += 1;
                cmd.push(Arg::Var(v.clone(), fields_after(toks, &mut i)));
                continue;
            }
            Tok::Ident(f) => cmd.push(Arg::Func(f.clone())),
            Tok::Lit(v) => cmd.push(Arg::Lit(v.clone())),
            Tok::Declare | Tok::Assign | Tok::Comma => return Err(error("unexpected declaration in command")),
        }
        i += 1;
    }
    if cmd.is_empty() {
        return Err(error("missing value for command"));
    }
    pipe.cmds.push(cmd);
    Ok(pipe)
}

fn fields_after(toks: &[Tok], i: &mut usize) -> Vec<String> {
    let mut path = Vec::new();
    while let Some(Tok::Field(f)) = toks.get(*i) {
        path.push(f.clone());
        *i += 1;
    }
    path
}

/// What a body's run asks of the `range` around it.
enum Flow {
    Normal,
    Break,
    Continue,
}

fn exec(nodes: &[Node], dot: &Value, vars: &mut Vec<(String, Value)>, out: &mut String, steps: &mut u64) -> Result<Flow, String> {
    for node in nodes {
        *steps += 1;
        if *steps > MAX_STEPS || out.len() > MAX_OUTPUT {
            return Err(error(format!("executing: the template ran more than {MAX_STEPS} steps or printed more than {} MiB", MAX_OUTPUT >> 20)));
        }
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = eval_pipe(p, dot, vars)?;
                if p.vars.is_empty() {
                    out.push_str(&plain(&v));
                }
            }
            Node::If(p, body, otherwise) | Node::With(p, body, otherwise) => {
                let mark = vars.len();
                let v = eval_pipe(p, dot, vars)?;
                let with = matches!(node, Node::With(..));
                let flow = if truthy(&v) { exec(body, if with { &v } else { dot }, vars, out, steps)? } else { exec(otherwise, dot, vars, out, steps)? };
                vars.truncate(mark);
                if !matches!(flow, Flow::Normal) {
                    return Ok(flow);
                }
            }
            Node::Range(p, body, otherwise) => {
                let mark = vars.len();
                let names = p.vars.clone();
                let bare = Pipe { vars: Vec::new(), assigns: false, cmds: p.cmds.clone() };
                let v = eval_pipe(&bare, dot, vars)?;
                let items: Vec<(Value, Value)> = match &v {
                    Value::Array(a) => a.iter().enumerate().map(|(i, x)| (Value::from(i), x.clone())).collect(),
                    Value::Object(m) => m.iter().map(|(k, x)| (Value::String(k.clone()), x.clone())).collect(),
                    Value::Null => Vec::new(),
                    Value::Number(n) if n.as_u64().is_some() => (0..n.as_u64().unwrap_or(0).min(1 << 20)).map(|i| (Value::from(i), Value::from(i))).collect(),
                    other => return Err(error(format!("range can't iterate over {}", plain(other)))),
                };
                if items.is_empty() {
                    exec(otherwise, dot, vars, out, steps)?;
                }
                for (key, item) in items {
                    vars.truncate(mark);
                    match names.as_slice() {
                        [v] => vars.push((v.clone(), item.clone())),
                        [k, v] => {
                            vars.push((k.clone(), key));
                            vars.push((v.clone(), item.clone()));
                        }
                        _ => {}
                    }
                    if let Flow::Break = exec(body, &item, vars, out, steps)? {
                        break;
                    }
                }
                vars.truncate(mark);
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
    }
    Ok(Flow::Normal)
}

fn eval_pipe(p: &Pipe, dot: &Value, vars: &mut Vec<(String, Value)>) -> Result<Value, String> {
    let mut piped: Option<Value> = None;
    for cmd in &p.cmds {
        piped = Some(eval_cmd(cmd, dot, vars, piped)?);
    }
    let v = piped.unwrap_or(Value::Null);
    for name in &p.vars {
        if p.assigns {
            // `$x = v` sets the nearest `$x` in scope.
            let slot = vars.iter_mut().rev().find(|(n, _)| n == name).ok_or_else(|| error(format!("undefined variable \"{name}\"")))?;
            slot.1 = v.clone();
        } else {
            vars.push((name.clone(), v.clone()));
        }
    }
    Ok(v)
}

fn eval_cmd(cmd: &[Arg], dot: &Value, vars: &mut Vec<(String, Value)>, piped: Option<Value>) -> Result<Value, String> {
    match &cmd[0] {
        Arg::Func(name) => {
            let mut args = Vec::new();
            for a in &cmd[1..] {
                args.push(eval_arg(a, dot, vars)?);
            }
            args.extend(piped);
            call(name, args)
        }
        first => {
            if cmd.len() > 1 || piped.is_some() {
                return Err(error(format!("can't give argument to non-function {}", describe(first))));
            }
            eval_arg(first, dot, vars)
        }
    }
}

fn describe(a: &Arg) -> String {
    match a {
        Arg::Dot(path) if path.is_empty() => ".".into(),
        Arg::Dot(path) => format!(".{}", path.join(".")),
        Arg::Var(v, path) => std::iter::once(v.clone()).chain(path.iter().cloned()).collect::<Vec<_>>().join("."),
        Arg::Lit(v) => plain(v),
        Arg::Func(f) => f.clone(),
        Arg::Sub(..) => "(…)".into(),
    }
}

fn eval_arg(a: &Arg, dot: &Value, vars: &mut Vec<(String, Value)>) -> Result<Value, String> {
    match a {
        Arg::Dot(path) => Ok(field(dot, path)),
        Arg::Var(name, path) => {
            let v = vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()).ok_or_else(|| error(format!("undefined variable \"{name}\"")))?;
            Ok(field(&v, path))
        }
        Arg::Lit(v) => Ok(v.clone()),
        Arg::Func(name) => call(name, Vec::new()),
        Arg::Sub(p, path) => Ok(field(&eval_pipe(p, dot, vars)?, path)),
    }
}

/// The value at `path` under `v`; a key it does not have is Go's missing value.
fn field(v: &Value, path: &[String]) -> Value {
    let mut v = v;
    for part in path {
        match v.get(part) {
            Some(x) => v = x,
            None => return Value::Null,
        }
    }
    v.clone()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// A value as Go's `fmt` prints it with `%v`.
pub fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<no value>".into(),
        Value::Array(items) => format!("[{}]", items.iter().map(plain).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!("map[{}]", m.iter().map(|(k, x)| format!("{k}:{}", plain(x))).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

fn string_arg(name: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => Err(error(format!("executing: error calling {name}: wrong type for value; expected string; got {}", kind(other)))),
    }
}

fn int_arg(name: &str, v: &Value) -> Result<i64, String> {
    v.as_i64().ok_or_else(|| error(format!("executing: error calling {name}: wrong type for value; expected int; got {}", kind(v))))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn compare(name: &str, a: &Value, b: &Value) -> Result<std::cmp::Ordering, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).ok_or_else(|| error(format!("executing: error calling {name}: incomparable values"))),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) if matches!(name, "eq" | "ne") => Ok(x.cmp(y)),
        (Value::Null, Value::Null) if matches!(name, "eq" | "ne") => Ok(std::cmp::Ordering::Equal),
        _ => Err(error(format!("executing: error calling {name}: incompatible types for comparison"))),
    }
}

fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let want = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(error(format!("wrong number of args for {name}: want {n} got {}", args.len())))
        }
    };
    Ok(match name {
        "json" => {
            want(1)?;
            Value::String(serde_json::to_string(&args[0]).unwrap_or_default())
        }
        "upper" | "lower" | "title" => {
            want(1)?;
            let s = string_arg(name, &args[0])?;
            Value::String(match name {
                "upper" => s.to_uppercase(),
                "lower" => s.to_lowercase(),
                _ => title(&s),
            })
        }
        "split" => {
            want(2)?;
            let (s, sep) = (string_arg(name, &args[0])?, string_arg(name, &args[1])?);
            Value::Array(if sep.is_empty() { s.chars().map(|c| Value::String(c.to_string())).collect() } else { s.split(sep.as_str()).map(|p| Value::String(p.to_string())).collect() })
        }
        "join" => {
            want(2)?;
            let sep = string_arg(name, &args[1])?;
            match &args[0] {
                Value::Array(items) => Value::String(items.iter().map(plain).collect::<Vec<_>>().join(&sep)),
                Value::Null => Value::String(String::new()),
                other => return Err(error(format!("executing: error calling join: wrong type for value; expected []string; got {}", kind(other)))),
            }
        }
        "pad" => {
            want(3)?;
            let s = plain(&args[0]);
            let (left, right) = (int_arg(name, &args[1])?.clamp(0, 1 << 16) as usize, int_arg(name, &args[2])?.clamp(0, 1 << 16) as usize);
            Value::String(format!("{}{s}{}", " ".repeat(left), " ".repeat(right)))
        }
        "truncate" => {
            want(2)?;
            let s = plain(&args[0]);
            let n = int_arg(name, &args[1])?.max(0) as usize;
            Value::String(s.chars().take(n).collect())
        }
        "len" => {
            want(1)?;
            Value::from(match &args[0] {
                Value::String(s) => s.len(),
                Value::Array(a) => a.len(),
                Value::Object(m) => m.len(),
                Value::Null => 0,
                other => return Err(error(format!("executing: error calling len: len of type {}", kind(other)))),
            })
        }
        "index" => {
            let Some((first, keys)) = args.split_first() else { return Err(error("wrong number of args for index: want at least 1 got 0")) };
            let mut v = first.clone();
            for k in keys {
                v = match (&v, k) {
                    (Value::Object(m), Value::String(key)) => m.get(key).cloned().unwrap_or(Value::Null),
                    (Value::Array(a), Value::Number(n)) => match n.as_u64().and_then(|i| a.get(i as usize)) {
                        Some(x) => x.clone(),
                        None => return Err(error(format!("executing: error calling index: index out of range: {n}"))),
                    },
                    (Value::Null, _) => Value::Null,
                    (container, _) => return Err(error(format!("executing: error calling index: can't index item of type {}", kind(container)))),
                };
            }
            v
        }
        "slice" => {
            let Some((first, bounds)) = args.split_first() else { return Err(error("wrong number of args for slice: want at least 1 got 0")) };
            let bounds: Vec<i64> = bounds.iter().map(|b| int_arg(name, b)).collect::<Result<_, _>>()?;
            let len = match first {
                Value::String(s) => s.len(),
                Value::Array(a) => a.len(),
                other => return Err(error(format!("executing: error calling slice: can't slice item of type {}", kind(other)))),
            } as i64;
            let (lo, hi) = (bounds.first().copied().unwrap_or(0), bounds.get(1).copied().unwrap_or(len));
            if lo < 0 || hi < lo || hi > len {
                return Err(error(format!("executing: error calling slice: index out of range: {hi}")));
            }
            match first {
                Value::String(s) => Value::String(s.get(lo as usize..hi as usize).unwrap_or_default().to_string()),
                Value::Array(a) => Value::Array(a[lo as usize..hi as usize].to_vec()),
                _ => unreachable!("checked above"),
            }
        }
        "not" => {
            want(1)?;
            Value::Bool(!truthy(&args[0]))
        }
        // Go's `and`/`or` give the deciding operand itself.
        "and" => args.iter().find(|a| !truthy(a)).or(args.last()).cloned().unwrap_or(Value::Null),
        "or" => args.iter().find(|a| truthy(a)).or(args.last()).cloned().unwrap_or(Value::Null),
        "eq" => {
            let Some((first, rest)) = args.split_first().filter(|(_, r)| !r.is_empty()) else { return Err(error("missing argument for comparison")) };
            let mut any = false;
            for other in rest {
                any |= compare(name, first, other)? == std::cmp::Ordering::Equal;
            }
            Value::Bool(any)
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            want(2)?;
            let o = compare(name, &args[0], &args[1])?;
            Value::Bool(match name {
                "ne" => o.is_ne(),
                "lt" => o.is_lt(),
                "le" => o.is_le(),
                "gt" => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        "print" | "println" => {
            // Go's Sprint puts a space between operands when neither is a string;
            // Sprintln always does, and ends the line.
            let mut s = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 && (name == "println" || !(a.is_string() || args[i - 1].is_string())) {
                    s.push(' ');
                }
                s.push_str(&plain(a));
            }
            if name == "println" {
                s.push('\n');
            }
            Value::String(s)
        }
        "printf" => {
            let Some((format, rest)) = args.split_first() else { return Err(error("wrong number of args for printf: want at least 1 got 0")) };
            Value::String(printf(&string_arg(name, format)?, rest))
        }
        other => return Err(error(format!("function \"{other}\" not defined"))),
    })
}

/// docker/cli's `title`: each word's first letter upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '_' && c != '\'';
    }
    out
}

/// Go's `Sprintf` for the verbs a format string in a course uses: `%s`, `%v`, `%d`,
/// `%q`, `%f`, `%x`, `%%`, with a width and `-`.
fn printf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut width = String::new();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0'..='9' | '.' => width.push(f),
                _ => break,
            }
            chars.next();
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let text = match verb {
            'q' => serde_json::to_string(&plain(arg)).unwrap_or_default(),
            'x' => match arg {
                Value::Number(n) if n.as_i64().is_some() => format!("{:x}", n.as_i64().unwrap_or(0)),
                other => plain(other).bytes().map(|b| format!("{b:02x}")).collect(),
            },
            'f' => match (arg.as_f64(), width.split_once('.')) {
                (Some(f), Some((_, p))) => format!("{f:.*}", p.parse().unwrap_or(6)),
                (Some(f), None) => format!("{f:.6}"),
                _ => format!("%!f({})", plain(arg)),
            },
            _ => plain(arg),
        };
        let w: usize = width.split('.').next().unwrap_or("").parse().unwrap_or(0).min(1 << 16);
        let pad = w.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    for extra in args {
        out.push_str(&format!("%!(EXTRA {})", plain(extra)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;
    use serde_json::json;

    fn r(t: &str, doc: &serde_json::Value) -> String {
        render(t, doc).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn fields_pipelines_and_dockers_functions() {
        let doc = json!({"State": {"ExitCode": 3, "Status": "exited"}, "Name": "/web", "Config": {"Labels": {"app": "shop", "tier": "db"}, "Env": ["A=1", "B=2"], "Cmd": null}, "Mounts": [{"Source": "/s", "Destination": "/d"}]});
        assert_eq!(r("{{.State.ExitCode}} {{.Name}}", &doc), "3 /web");
        assert_eq!(r("{{json .State}}", &doc), r#"{"ExitCode":3,"Status":"exited"}"#);
        assert_eq!(r("{{.Name | upper}} {{lower \"AB\"}} {{title \"hello world\"}}", &doc), "/WEB ab Hello World");
        assert_eq!(r("{{index .Config.Labels \"app\"}}", &doc), "shop");
        assert_eq!(r("{{join .Config.Env \",\"}} {{len .Config.Env}}", &doc), "A=1,B=2 2");
        assert_eq!(r("{{split \"a:b:c\" \":\"}} {{index (split \"a:b\" \":\") 1}}", &doc), "[a b c] b");
        assert_eq!(r("{{range .Mounts}}{{.Source}} -> {{.Destination}}{{println}}{{end}}", &doc), "/s -> /d\n");
        assert_eq!(r("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", &doc), "app=shop;tier=db;");
        assert_eq!(r("{{if eq .State.Status \"running\"}}up{{else if eq .State.ExitCode 3}}three{{else}}down{{end}}", &doc), "three");
        assert_eq!(r("{{with .Config}}{{.Labels.tier}}{{end}} {{.Missing}} {{.Config.Cmd}}", &doc), "db <no value> <no value>");
        assert_eq!(r("{{- \" a \" -}}  \n {{printf \"%-5s|%3d\" \"x\" 7}}", &doc), " a x    |  7");
        assert_eq!(r("{{$n := .Name}}{{$n}} {{$.State.Status}} {{pad \"x\" 1 2}}| {{truncate \"abcdef\" 3}}", &doc), "/web exited  x  | abc");
        assert_eq!(r("{{range .Config.Env}}{{if eq . \"B=2\"}}{{break}}{{end}}{{.}} {{end}}", &doc), "A=1 ");
        assert_eq!(r("{{/* a comment */}}{{and 1 0}} {{or 0 \"y\"}} {{not true}}", &doc), "0 y false");
        assert_eq!(r("{{range .Nothing}}x{{else}}none{{end}}", &doc), "none");
    }

    #[test]
    fn bad_templates_are_errors_in_gos_words() {
        let doc = json!({"A": [1]});
        assert_eq!(r("{{.A", &doc), "ERR template: :1: unclosed action");
        assert_eq!(r("{{nosuch .A}}", &doc), "ERR template: :1: function \"nosuch\" not defined");
        assert_eq!(r("{{if .A}}x", &doc), "ERR template: :1: unexpected EOF: {{if}} has no {{end}}");
        assert_eq!(r("{{end}}", &doc), "ERR template: :1: unexpected {{end}}");
        assert_eq!(r("{{index .A 5}}", &doc), "ERR template: :1: executing: error calling index: index out of range: 5");
        assert_eq!(r("{{$x}}", &doc), "ERR template: :1: undefined variable \"$x\"");
        // Deep nesting ends in an error, not a stack that runs out.
        let deep = "{{if 1}}".repeat(10_000);
        assert!(r(&deep, &doc).starts_with("ERR template: :1: blocks nest deeper than"));
        assert!(r("{{range 1048576}}{{range 1048576}}x{{end}}{{end}}", &doc).starts_with("ERR template: :1: executing: the template ran more than"));
        let parens = format!("{{{{{}1{}}}}}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(r(&parens, &doc).starts_with("ERR template: :1: expressions nest deeper than"), "{}", r(&parens, &doc));
    }
}
