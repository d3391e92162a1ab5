//! A small awk: rules with `BEGIN`, `END`, regex and expression patterns; `print` and
//! `printf` (to stdout, `> file` or `>> file`), `if`/`else`, `while`, `for`, blocks,
//! `next`, `exit`, `break`, `continue`, `getline` (from the input or `< file`),
//! assignments (`=`, `+=`, `++`), fields, `NR`, `NF`, string and numeric values, `length`,
//! `toupper`, `tolower`, `substr`, `int`.

use std::collections::HashMap;

use regex_lite::Regex;

#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Str(String),
    Field(Box<Expr>),
    Var(String),
    Regex(String),
    Unary(char, Box<Expr>),
    Binary(String, Box<Expr>, Box<Expr>),
    Concat(Vec<Expr>),
    Assign(String, String, Box<Expr>),
    Incr(String, f64),
    Call(String, Vec<Expr>),
    /// `getline [var] [< file]`: 1 with a line, 0 at the end, -1 when it cannot read.
    Getline(Option<String>, Option<Box<Expr>>),
}

/// Where `print` writes: stdout, or a file (`>`, or `>>` to append).
pub type Redirect = Option<(bool, Expr)>;

#[derive(Debug, Clone)]
pub enum Stmt {
    Print(Vec<Expr>, Redirect),
    Printf(Vec<Expr>, Redirect),
    Expr(Expr),
    Block(Vec<Stmt>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    /// `for (init; cond; step) body`; `while (cond) body` is one without init and step.
    For(Option<Expr>, Option<Expr>, Option<Expr>, Box<Stmt>),
    Next,
    Exit(Option<Expr>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub enum Pattern {
    Begin,
    End,
    Always,
    Expr(Expr),
}

pub type Rules = Vec<(Pattern, Option<Vec<Stmt>>)>;

struct P {
    c: Vec<char>,
    i: usize,
    /// Inside `print`'s arguments, `>` is a redirection, not a comparison.
    print_args: bool,
    /// The height of the tree being built: nesting plus the length of left-leaning
    /// operator chains (`1+1+…`), which evaluating and dropping the tree recurse over.
    depth: usize,
}

/// The tallest program tree awk builds: far beyond any real program, well inside a
/// browser tab's stack.
const MAX_HEIGHT: usize = 500;

impl P {
    /// One level taller, or an error past [`MAX_HEIGHT`].
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_HEIGHT || crate::stack::exhausted() {
            return Err(format!("program nested too deeply (more than {MAX_HEIGHT} levels)"));
        }
        Ok(())
    }

    /// Runs `f` one level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut P) -> Result<T, String>) -> Result<T, String> {
        self.enter()?;
        let r = f(self);
        self.depth -= 1;
        r
    }
    fn ws(&mut self) {
        while self.i < self.c.len() && matches!(self.c[self.i], ' ' | '\t') {
            self.i += 1;
        }
    }

    fn ws_nl(&mut self) {
        while self.i < self.c.len() && (self.c[self.i].is_whitespace() || self.c[self.i] == ';') {
            self.i += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.ws();
        let chars: Vec<char> = s.chars().collect();
        if self.c[self.i..].starts_with(&chars) {
            self.i += chars.len();
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.c.len() && (self.c[self.i].is_ascii_alphanumeric() || self.c[self.i] == '_') {
            self.i += 1;
        }
        (self.i > start && !self.c[start].is_ascii_digit()).then(|| self.c[start..self.i].iter().collect()).or_else(|| {
            self.i = start;
            None
        })
    }

    fn program(&mut self) -> Result<Rules, String> {
        let mut rules = Vec::new();
        loop {
            self.ws_nl();
            if self.i >= self.c.len() {
                return Ok(rules);
            }
            let pattern = if self.eat("BEGIN") {
                Pattern::Begin
            } else if self.eat("END") {
                Pattern::End
            } else if self.peek() == Some('{') {
                Pattern::Always
            } else {
                Pattern::Expr(self.expr()?)
            };
            self.ws();
            let action = if self.peek() == Some('{') {
                self.i += 1;
                let stmts = self.stmts()?;
                if !self.eat("}") {
                    return Err("expected }".into());
                }
                Some(stmts)
            } else {
                None
            };
            rules.push((pattern, action));
        }
    }

    fn stmts(&mut self) -> Result<Vec<Stmt>, String> {
        let mut out = Vec::new();
        loop {
            self.ws_nl();
            if self.peek() == Some('}') || self.i >= self.c.len() {
                return Ok(out);
            }
            out.push(self.stmt()?);
        }
    }

    /// Whether the next word is `word` (not the start of a longer name).
    fn keyword(&mut self, word: &str) -> bool {
        self.ws();
        let chars: Vec<char> = word.chars().collect();
        let after = self.c.get(self.i + chars.len()).copied();
        if self.c[self.i..].starts_with(&chars) && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.i += chars.len();
            true
        } else {
            false
        }
    }

    fn condition(&mut self) -> Result<Expr, String> {
        if !self.eat("(") {
            return Err("expected (".into());
        }
        let e = self.expr()?;
        if !self.eat(")") {
            return Err("expected )".into());
        }
        Ok(e)
    }

    /// The statement after `if (…)`, `while (…)`, `else`: may start on the next line.
    fn body(&mut self) -> Result<Box<Stmt>, String> {
        self.ws_nl();
        Ok(Box::new(self.stmt()?))
    }

    fn stmt(&mut self) -> Result<Stmt, String> {
        self.nested(P::stmt_inner)
    }

    fn stmt_inner(&mut self) -> Result<Stmt, String> {
        self.ws();
        if self.peek() == Some('{') {
            self.i += 1;
            let body = self.stmts()?;
            if !self.eat("}") {
                return Err("expected }".into());
            }
            return Ok(Stmt::Block(body));
        }
        if self.keyword("if") {
            let cond = self.condition()?;
            let then = self.body()?;
            let save = self.i;
            self.ws_nl();
            if self.keyword("else") {
                return Ok(Stmt::If(cond, then, Some(self.body()?)));
            }
            self.i = save;
            return Ok(Stmt::If(cond, then, None));
        }
        if self.keyword("while") {
            let cond = self.condition()?;
            return Ok(Stmt::For(None, Some(cond), None, self.body()?));
        }
        if self.keyword("for") {
            if !self.eat("(") {
                return Err("expected (".into());
            }
            let part = |p: &mut P, end: &str| -> Result<Option<Expr>, String> {
                if p.eat(end) {
                    return Ok(None);
                }
                let e = p.expr()?;
                if !p.eat(end) {
                    return Err(format!("expected {end}"));
                }
                Ok(Some(e))
            };
            let init = part(self, ";")?;
            let cond = part(self, ";")?;
            let step = part(self, ")")?;
            return Ok(Stmt::For(init, cond, step, self.body()?));
        }
        if self.keyword("next") {
            return Ok(Stmt::Next);
        }
        if self.keyword("break") {
            return Ok(Stmt::Break);
        }
        if self.keyword("continue") {
            return Ok(Stmt::Continue);
        }
        if self.keyword("exit") {
            self.ws();
            if matches!(self.peek(), Some(';' | '}' | '\n') | None) {
                return Ok(Stmt::Exit(None));
            }
            return Ok(Stmt::Exit(Some(self.expr()?)));
        }
        let printf = self.keyword("printf");
        if printf || self.keyword("print") {
            let mut args = Vec::new();
            self.ws();
            self.print_args = true;
            if !matches!(self.peek(), Some(';' | '}' | '\n' | '>') | None) {
                args.push(self.expr()?);
                while self.eat(",") {
                    args.push(self.expr()?);
                }
            }
            self.print_args = false;
            let redirect = if self.eat(">>") {
                Some((true, self.concat()?))
            } else if self.eat(">") {
                Some((false, self.concat()?))
            } else {
                None
            };
            return Ok(if printf { Stmt::Printf(args, redirect) } else { Stmt::Print(args, redirect) });
        }
        Ok(Stmt::Expr(self.expr()?))
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.nested(P::expr_inner)
    }

    fn expr_inner(&mut self) -> Result<Expr, String> {
        let save = self.i;
        if let Some(name) = self.ident() {
            self.ws();
            for op in ["+=", "-=", "*=", "/=", "="] {
                if self.c[self.i..].starts_with(&op.chars().collect::<Vec<_>>()) && !self.c[self.i..].starts_with(&['=', '=']) {
                    self.i += op.len();
                    let rhs = self.expr()?;
                    return Ok(Expr::Assign(name, op.trim_end_matches('=').to_string(), Box::new(rhs)));
                }
            }
            self.ws();
            if self.c[self.i..].starts_with(&['+', '+']) {
                self.i += 2;
                return Ok(Expr::Incr(name, 1.0));
            }
            if self.c[self.i..].starts_with(&['-', '-']) {
                self.i += 2;
                return Ok(Expr::Incr(name, -1.0));
            }
        }
        self.i = save;
        self.or()
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut chain = 0;
        let mut l = self.and()?;
        while self.eat("||") {
            self.enter()?;
            chain += 1;
            l = Expr::Binary("||".into(), Box::new(l), Box::new(self.and()?));
        }
        self.depth -= chain;
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut chain = 0;
        let mut l = self.cmp()?;
        while self.eat("&&") {
            self.enter()?;
            chain += 1;
            l = Expr::Binary("&&".into(), Box::new(l), Box::new(self.cmp()?));
        }
        self.depth -= chain;
        Ok(l)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.concat()?;
        for op in ["==", "!=", "<=", ">=", "!~", "~", "<", ">"] {
            if self.print_args && op.starts_with('>') {
                continue;
            }
            if self.eat(op) {
                return Ok(Expr::Binary(op.into(), Box::new(l), Box::new(self.concat()?)));
            }
        }
        Ok(l)
    }

    fn concat(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.additive()?];
        loop {
            self.ws();
            match self.peek() {
                Some(c) if c == '$' || c == '"' || c == '(' || c.is_ascii_alphanumeric() || c == '_' => {
                    if self.c[self.i..].starts_with(&['i', 'n', ' ']) {
                        break;
                    }
                    parts.push(self.additive()?);
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Concat(parts) })
    }

    fn additive(&mut self) -> Result<Expr, String> {
        let mut chain = 0;
        let mut l = self.term()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some(c @ ('+' | '-')) if self.c.get(self.i + 1) != Some(&c) && self.c.get(self.i + 1) != Some(&'=') => c,
                _ => break,
            };
            self.i += 1;
            self.enter()?;
            chain += 1;
            l = Expr::Binary(op.to_string(), Box::new(l), Box::new(self.term()?));
        }
        self.depth -= chain;
        Ok(l)
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut chain = 0;
        let mut l = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some(c @ ('*' | '/' | '%')) if self.c.get(self.i + 1) != Some(&'=') => c,
                _ => break,
            };
            self.i += 1;
            self.enter()?;
            chain += 1;
            l = Expr::Binary(op.to_string(), Box::new(l), Box::new(self.unary()?));
        }
        self.depth -= chain;
        Ok(l)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.nested(P::unary_inner)
    }

    fn unary_inner(&mut self) -> Result<Expr, String> {
        self.ws();
        match self.peek() {
            Some('!') => {
                self.i += 1;
                Ok(Expr::Unary('!', Box::new(self.unary()?)))
            }
            Some('-') => {
                self.i += 1;
                Ok(Expr::Unary('-', Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.nested(P::primary_inner)
    }

    fn primary_inner(&mut self) -> Result<Expr, String> {
        self.ws();
        match self.peek() {
            Some('$') => {
                self.i += 1;
                Ok(Expr::Field(Box::new(self.primary()?)))
            }
            Some('"') => {
                self.i += 1;
                let mut s = String::new();
                while let Some(c) = self.peek() {
                    self.i += 1;
                    match c {
                        '"' => return Ok(Expr::Str(s)),
                        '\\' => {
                            let e = self.peek().unwrap_or('\\');
                            self.i += 1;
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        }
                        c => s.push(c),
                    }
                }
                Err("unterminated string".into())
            }
            Some('/') => {
                self.i += 1;
                let mut s = String::new();
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == '/' {
                        return Ok(Expr::Regex(s));
                    }
                    s.push(c);
                }
                Err("unterminated regex".into())
            }
            Some('(') => {
                self.i += 1;
                let outer = std::mem::replace(&mut self.print_args, false);
                let e = self.expr()?;
                self.print_args = outer;
                if !self.eat(")") {
                    return Err("expected )".into());
                }
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.i;
                while self.i < self.c.len() && (self.c[self.i].is_ascii_digit() || self.c[self.i] == '.') {
                    self.i += 1;
                }
                Ok(Expr::Num(self.c[start..self.i].iter().collect::<String>().parse().unwrap_or(0.0)))
            }
            _ => {
                let name = self.ident().ok_or_else(|| format!("unexpected {:?}", self.peek().unwrap_or(' ')))?;
                if name == "getline" {
                    let save = self.i;
                    let var = self.ident().filter(|v| !matches!(v.as_str(), "in"));
                    if var.is_none() {
                        self.i = save;
                    }
                    let file = if self.eat("<") && !self.c[self.i..].starts_with(&['=']) { Some(Box::new(self.primary()?)) } else { None };
                    return Ok(Expr::Getline(var, file));
                }
                if self.peek() == Some('(') {
                    self.i += 1;
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        args.push(self.expr()?);
                        while self.eat(",") {
                            args.push(self.expr()?);
                        }
                        if !self.eat(")") {
                            return Err("expected )".into());
                        }
                    }
                    return Ok(Expr::Call(name, args));
                }
                if name == "length" {
                    return Ok(Expr::Call(name, Vec::new()));
                }
                Ok(Expr::Var(name))
            }
        }
    }
}

pub fn parse(program: &str) -> Result<Rules, String> {
    P { c: program.chars().collect(), i: 0, print_args: false, depth: 0 }.program()
}

/// What a statement tells the loop around it.
#[derive(PartialEq)]
enum Flow {
    Normal,
    Next,
    Exit,
    Break,
    Continue,
}

/// What `awk` reads besides its input: a file named in `getline < file`.
pub type Reader<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// The outcome of a run: stdout, the files `print > file` wrote (name, append, text) in
/// the order they were first opened, the exit status, and whether a runaway loop was
/// stopped.
pub struct Output {
    pub stdout: String,
    pub files: Vec<(String, bool, String)>,
    pub status: i32,
    pub runaway: bool,
}

struct State<'a> {
    vars: HashMap<String, String>,
    fields: Vec<String>,
    nr: usize,
    out: String,
    fs: Option<String>,
    /// The main input's records and the next one to read.
    lines: Vec<String>,
    pos: usize,
    reader: Reader<'a>,
    /// Files opened by `getline < file`: their lines and the next one.
    inputs: HashMap<String, (Vec<String>, usize)>,
    files: Vec<(String, bool, String)>,
    status: i32,
    /// Loop iterations left before a runaway program is stopped.
    budget: u64,
}

/// Loop iterations one run may take (a `while` that never ends stops here, exit 137).
const LOOP_BUDGET: u64 = 1_000_000;

fn num(s: &str) -> f64 {
    let t = s.trim();
    let end = t.char_indices().take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))).count();
    t[..end].parse().unwrap_or(0.0)
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn looks_numeric(s: &str) -> bool {
    !s.trim().is_empty() && s.trim().parse::<f64>().is_ok()
}

fn split_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    if text.ends_with('\n') || text.is_empty() {
        lines.pop();
    }
    lines
}

impl State<'_> {
    fn emit(&mut self, text: &str, redirect: &Redirect) {
        match redirect {
            None => self.out.push_str(text),
            Some((append, target)) => {
                let name = self.eval(target);
                match self.files.iter_mut().find(|(n, _, _)| *n == name) {
                    Some((_, _, buf)) => buf.push_str(text),
                    None => self.files.push((name, *append, text.to_string())),
                }
            }
        }
    }

    fn getline(&mut self, var: &Option<String>, file: &Option<Box<Expr>>) -> String {
        let line = match file {
            Some(f) => {
                let name = self.eval(f);
                if !self.inputs.contains_key(&name) {
                    match (self.reader)(&name) {
                        Some(data) => {
                            self.inputs.insert(name.clone(), (split_lines(&String::from_utf8_lossy(&data)), 0));
                        }
                        None => return "-1".into(),
                    }
                }
                let Some((lines, pos)) = self.inputs.get_mut(&name) else { return "-1".into() };
                let line = lines.get(*pos).cloned();
                *pos += 1;
                line
            }
            None => {
                let line = self.lines.get(self.pos).cloned();
                if line.is_some() {
                    self.pos += 1;
                    self.nr += 1;
                }
                line
            }
        };
        match line {
            None => "0".into(),
            Some(l) => {
                match var {
                    Some(v) => {
                        self.vars.insert(v.clone(), l);
                    }
                    None => self.set_record(&l),
                }
                "1".into()
            }
        }
    }

    fn record(&self) -> String {
        self.fields.first().cloned().unwrap_or_default()
    }

    fn set_record(&mut self, line: &str) {
        let parts: Vec<String> = match self.fs.as_deref() {
            None | Some(" ") => line.split_whitespace().map(str::to_string).collect(),
            Some(sep) if sep.chars().count() == 1 => line.split(sep).map(str::to_string).collect(),
            Some(sep) => Regex::new(sep).map(|r| r.split(line).map(str::to_string).collect()).unwrap_or_else(|_| vec![line.to_string()]),
        };
        self.fields = std::iter::once(line.to_string()).chain(parts).collect();
    }

    fn get(&self, name: &str) -> String {
        match name {
            "NR" | "FNR" => self.nr.to_string(),
            "NF" => (self.fields.len().saturating_sub(1)).to_string(),
            _ => self.vars.get(name).cloned().unwrap_or_default(),
        }
    }

    fn eval(&mut self, e: &Expr) -> String {
        if crate::stack::exhausted() {
            // The parser bounds the tree's height; this only guards a small stack.
            return String::new();
        }
        match e {
            Expr::Num(n) => fmt_num(*n),
            Expr::Str(s) => s.clone(),
            Expr::Field(i) => {
                let idx = num(&self.eval(i)) as usize;
                self.fields.get(idx).cloned().unwrap_or_default()
            }
            Expr::Var(v) => self.get(v),
            Expr::Regex(r) => {
                let rec = self.record();
                i32::from(Regex::new(r).is_ok_and(|re| re.is_match(&rec))).to_string()
            }
            Expr::Unary('!', x) => i32::from(!truthy(&self.eval(x))).to_string(),
            Expr::Unary(_, x) => fmt_num(-num(&self.eval(x))),
            Expr::Concat(parts) => parts.iter().map(|p| self.eval(p)).collect(),
            Expr::Assign(name, op, rhs) => {
                let r = self.eval(rhs);
                let v = if op.is_empty() {
                    r
                } else {
                    let (a, b) = (num(&self.get(name)), num(&r));
                    fmt_num(match op.as_str() {
                        "+" => a + b,
                        "-" => a - b,
                        "*" => a * b,
                        _ if b == 0.0 => 0.0,
                        _ => a / b,
                    })
                };
                self.vars.insert(name.clone(), v.clone());
                v
            }
            Expr::Incr(name, d) => {
                let old = num(&self.get(name));
                self.vars.insert(name.clone(), fmt_num(old + d));
                fmt_num(old)
            }
            Expr::Call(f, args) => {
                let vals: Vec<String> = args.iter().map(|a| self.eval(a)).collect();
                match f.as_str() {
                    "length" => vals.first().cloned().unwrap_or_else(|| self.record()).chars().count().to_string(),
                    "toupper" => vals.first().cloned().unwrap_or_default().to_uppercase(),
                    "tolower" => vals.first().cloned().unwrap_or_default().to_lowercase(),
                    "substr" => {
                        let s: Vec<char> = vals.first().cloned().unwrap_or_default().chars().collect();
                        let start = (num(vals.get(1).map_or("1", |v| v.as_str())) as usize).max(1) - 1;
                        let len = vals.get(2).map_or(s.len(), |l| num(l) as usize);
                        s.iter().skip(start).take(len).collect()
                    }
                    "int" => fmt_num(num(vals.first().map_or("0", |v| v.as_str())).trunc()),
                    _ => String::new(),
                }
            }
            Expr::Getline(var, file) => self.getline(var, file),
            Expr::Binary(op, a, b) => {
                if op == "&&" {
                    return i32::from(truthy(&self.eval(a)) && truthy(&self.eval(b))).to_string();
                }
                if op == "||" {
                    return i32::from(truthy(&self.eval(a)) || truthy(&self.eval(b))).to_string();
                }
                let (x, y) = (self.eval(a), self.eval(b));
                match op.as_str() {
                    "+" => fmt_num(num(&x) + num(&y)),
                    "-" => fmt_num(num(&x) - num(&y)),
                    "*" => fmt_num(num(&x) * num(&y)),
                    "/" => fmt_num(if num(&y) == 0.0 { 0.0 } else { num(&x) / num(&y) }),
                    "%" => fmt_num(if num(&y) == 0.0 { 0.0 } else { num(&x) % num(&y) }),
                    "~" | "!~" => {
                        let m = Regex::new(&y).is_ok_and(|r| r.is_match(&x));
                        i32::from(m == (op == "~")).to_string()
                    }
                    _ => {
                        let ord = if looks_numeric(&x) && looks_numeric(&y) { num(&x).partial_cmp(&num(&y)).unwrap_or(std::cmp::Ordering::Equal) } else { x.cmp(&y) };
                        let r = match op.as_str() {
                            "==" => ord.is_eq(),
                            "!=" => !ord.is_eq(),
                            "<" => ord.is_lt(),
                            ">" => ord.is_gt(),
                            "<=" => ord.is_le(),
                            _ => ord.is_ge(),
                        };
                        i32::from(r).to_string()
                    }
                }
            }
        }
    }

    /// Counts a loop iteration; false once the budget is spent.
    fn tick(&mut self) -> bool {
        if self.budget == 0 {
            self.status = 137;
            return false;
        }
        self.budget -= 1;
        true
    }

    fn exec(&mut self, stmts: &[Stmt]) -> Flow {
        for s in stmts {
            let flow = self.stmt(s);
            if flow != Flow::Normal {
                return flow;
            }
        }
        Flow::Normal
    }

    fn stmt(&mut self, s: &Stmt) -> Flow {
        match s {
            Stmt::Print(args, redirect) => {
                let mut line = if args.is_empty() { self.record() } else { args.iter().map(|a| self.eval(a)).collect::<Vec<_>>().join(" ") };
                line.push('\n');
                self.emit(&line, redirect);
            }
            Stmt::Printf(args, redirect) => {
                let vals: Vec<String> = args.iter().map(|a| self.eval(a)).collect();
                if let Some((fmt, rest)) = vals.split_first() {
                    let mut rest = rest.to_vec();
                    let mut text = String::new();
                    super::format_once(fmt, &mut rest, &mut text);
                    self.emit(&text, redirect);
                }
            }
            Stmt::Expr(e) => {
                self.eval(e);
            }
            Stmt::Block(body) => return self.exec(body),
            Stmt::If(cond, then, otherwise) => {
                let c = self.eval(cond);
                if truthy(&c) {
                    return self.stmt(then);
                } else if let Some(o) = otherwise {
                    return self.stmt(o);
                }
            }
            Stmt::For(init, cond, step, body) => {
                if let Some(i) = init {
                    self.eval(i);
                }
                loop {
                    if !self.tick() {
                        return Flow::Exit;
                    }
                    if let Some(c) = cond {
                        let v = self.eval(c);
                        if !truthy(&v) {
                            break;
                        }
                    }
                    match self.stmt(body) {
                        Flow::Break => break,
                        Flow::Next => return Flow::Next,
                        Flow::Exit => return Flow::Exit,
                        Flow::Normal | Flow::Continue => {}
                    }
                    if let Some(st) = step {
                        self.eval(st);
                    }
                }
            }
            Stmt::Next => return Flow::Next,
            Stmt::Break => return Flow::Break,
            Stmt::Continue => return Flow::Continue,
            Stmt::Exit(code) => {
                if let Some(c) = code {
                    self.status = num(&self.eval(c)) as i32;
                }
                return Flow::Exit;
            }
        }
        Flow::Normal
    }
}

fn truthy(s: &str) -> bool {
    if looks_numeric(s) {
        num(s) != 0.0
    } else {
        !s.is_empty()
    }
}

/// Runs the program over `input`; `reader` opens the files `getline < file` names.
pub fn run(rules: &Rules, input: &str, fs: Option<&str>, vars: HashMap<String, String>, reader: Reader<'_>) -> Output {
    let mut st = State { vars, fields: Vec::new(), nr: 0, out: String::new(), fs: fs.map(str::to_string), lines: split_lines(input), pos: 0, reader, inputs: HashMap::new(), files: Vec::new(), status: 0, budget: LOOP_BUDGET };
    let mut exited = false;
    for (p, a) in rules {
        if let (Pattern::Begin, Some(a)) = (p, a) {
            if st.exec(a) == Flow::Exit {
                exited = true;
                break;
            }
        }
    }
    let has_main = rules.iter().any(|(p, _)| !matches!(p, Pattern::Begin | Pattern::End));
    if !exited && (has_main || rules.iter().any(|(p, _)| matches!(p, Pattern::End))) {
        'records: while st.pos < st.lines.len() {
            let line = st.lines[st.pos].clone();
            st.pos += 1;
            st.nr += 1;
            st.set_record(&line);
            for (p, a) in rules {
                let run = match p {
                    Pattern::Begin | Pattern::End => false,
                    Pattern::Always => true,
                    Pattern::Expr(e) => {
                        let v = st.eval(e);
                        truthy(&v)
                    }
                };
                if run {
                    match a {
                        Some(a) => match st.exec(a) {
                            Flow::Next => continue 'records,
                            Flow::Exit => {
                                exited = true;
                                break 'records;
                            }
                            _ => {}
                        },
                        None => {
                            let r = st.record();
                            st.out.push_str(&r);
                            st.out.push('\n');
                        }
                    }
                }
            }
        }
    }
    let _ = exited;
    let runaway = st.budget == 0;
    if !runaway {
        for (p, a) in rules {
            if let (Pattern::End, Some(a)) = (p, a) {
                if st.exec(a) == Flow::Exit {
                    break;
                }
            }
        }
    }
    Output { stdout: st.out, files: st.files, status: st.status, runaway: runaway || st.budget == 0 }
}
