//! A small awk: rules with `BEGIN`, `END`, regex and expression patterns; `print`,
//! `printf`, assignments (`=`, `+=`, `++`), fields, `NR`, `NF`, string and numeric values,
//! `length`, `toupper`, `tolower`, `substr`.

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
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Print(Vec<Expr>),
    Printf(Vec<Expr>),
    Expr(Expr),
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
}

impl P {
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
            if self.eat("printf") {
                let mut args = vec![self.expr()?];
                while self.eat(",") {
                    args.push(self.expr()?);
                }
                out.push(Stmt::Printf(args));
            } else if self.eat("print") {
                let mut args = Vec::new();
                self.ws();
                if !matches!(self.peek(), Some(';' | '}' | '\n') | None) {
                    args.push(self.expr()?);
                    while self.eat(",") {
                        args.push(self.expr()?);
                    }
                }
                out.push(Stmt::Print(args));
            } else {
                out.push(Stmt::Expr(self.expr()?));
            }
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
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
        let mut l = self.and()?;
        while self.eat("||") {
            l = Expr::Binary("||".into(), Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.cmp()?;
        while self.eat("&&") {
            l = Expr::Binary("&&".into(), Box::new(l), Box::new(self.cmp()?));
        }
        Ok(l)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.concat()?;
        for op in ["==", "!=", "<=", ">=", "!~", "~", "<", ">"] {
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
        let mut l = self.term()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some(c @ ('+' | '-')) if self.c.get(self.i + 1) != Some(&c) && self.c.get(self.i + 1) != Some(&'=') => c,
                _ => break,
            };
            self.i += 1;
            l = Expr::Binary(op.to_string(), Box::new(l), Box::new(self.term()?));
        }
        Ok(l)
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some(c @ ('*' | '/' | '%')) if self.c.get(self.i + 1) != Some(&'=') => c,
                _ => break,
            };
            self.i += 1;
            l = Expr::Binary(op.to_string(), Box::new(l), Box::new(self.unary()?));
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Expr, String> {
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
                let e = self.expr()?;
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
    P { c: program.chars().collect(), i: 0 }.program()
}

struct State {
    vars: HashMap<String, String>,
    fields: Vec<String>,
    nr: usize,
    out: String,
    fs: Option<String>,
}

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

impl State {
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

    fn exec(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Print(args) => {
                    let line = if args.is_empty() { self.record() } else { args.iter().map(|a| self.eval(a)).collect::<Vec<_>>().join(" ") };
                    self.out.push_str(&line);
                    self.out.push('\n');
                }
                Stmt::Printf(args) => {
                    let vals: Vec<String> = args.iter().map(|a| self.eval(a)).collect();
                    if let Some((fmt, rest)) = vals.split_first() {
                        let mut rest = rest.to_vec();
                        super::format_once(fmt, &mut rest, &mut self.out);
                    }
                }
                Stmt::Expr(e) => {
                    self.eval(e);
                }
            }
        }
    }
}

fn truthy(s: &str) -> bool {
    if looks_numeric(s) {
        num(s) != 0.0
    } else {
        !s.is_empty()
    }
}

pub fn run(rules: &Rules, input: &str, fs: Option<&str>, vars: HashMap<String, String>) -> String {
    let mut st = State { vars, fields: Vec::new(), nr: 0, out: String::new(), fs: fs.map(str::to_string) };
    for (p, a) in rules {
        if let (Pattern::Begin, Some(a)) = (p, a) {
            st.exec(a);
        }
    }
    let has_main = rules.iter().any(|(p, _)| !matches!(p, Pattern::Begin | Pattern::End));
    if has_main || rules.iter().any(|(p, _)| matches!(p, Pattern::End)) {
        let mut lines: Vec<&str> = input.split('\n').collect();
        if input.ends_with('\n') || input.is_empty() {
            lines.pop();
        }
        for line in lines {
            st.nr += 1;
            st.set_record(line);
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
                        Some(a) => st.exec(a),
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
    for (p, a) in rules {
        if let (Pattern::End, Some(a)) = (p, a) {
            st.exec(a);
        }
    }
    st.out
}
