//! `$(( … ))`: shell arithmetic on 64-bit integers, with C operators, assignments and
//! variables.

/// Variables the expression reads and writes.
pub trait Vars {
    fn get(&self, name: &str) -> Option<String>;
    fn set(&mut self, name: &str, value: i64);
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(&'static str),
}

const OPS: &[&str] = &[
    "<<=", ">>=", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "++", "--", "+", "-", "*", "/", "%", "<", ">",
    "=", "!", "~", "&", "|", "^", "?", ":", "(", ")", ",",
];

fn lex(expr: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let value = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16)
            } else if text.len() > 1 && text.starts_with('0') {
                i64::from_str_radix(&text[1..], 8)
            } else {
                text.parse()
            };
            out.push(Tok::Num(value.map_err(|_| format!("arithmetic expression: expecting primary: \"{expr}\""))?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..].iter().take(3).collect();
            let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                return Err(format!("arithmetic expression: expecting EOF: \"{expr}\""));
            };
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Ok(out)
}

struct Eval<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a mut dyn Vars,
    expr: String,
    /// When false, side effects are skipped (the untaken side of `&&`, `||`, `?:`).
    live: bool,
}

fn precedence(op: &str) -> Option<(u8, bool)> {
    // (binding power, right associative)
    Some(match op {
        "||" => (3, false),
        "&&" => (4, false),
        "|" => (5, false),
        "^" => (6, false),
        "&" => (7, false),
        "==" | "!=" => (8, false),
        "<" | ">" | "<=" | ">=" => (9, false),
        "<<" | ">>" => (10, false),
        "+" | "-" => (11, false),
        "*" | "/" | "%" => (12, false),
        "**" => (13, true),
        _ => return None,
    })
}

impl Eval<'_> {
    fn err(&self, what: &str) -> String {
        format!("arithmetic expression: {what}: \"{}\"", self.expr)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn var(&self, name: &str) -> Result<i64, String> {
        let v = self.vars.get(name).unwrap_or_default();
        let v = v.trim();
        if v.is_empty() {
            return Ok(0);
        }
        v.parse().map_err(|_| self.err("expecting primary"))
    }

    fn comma(&mut self) -> Result<i64, String> {
        let mut v = self.assign()?;
        while self.peek() == Some(&Tok::Op(",")) {
            self.pos += 1;
            v = self.assign()?;
        }
        Ok(v)
    }

    fn assign(&mut self) -> Result<i64, String> {
        if let (Some(Tok::Name(name)), Some(Tok::Op(op))) = (self.toks.get(self.pos).cloned(), self.toks.get(self.pos + 1).cloned()) {
            if matches!(op, "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "<<=" | ">>=" | "&=" | "|=" | "^=") {
                self.pos += 2;
                let rhs = self.assign()?;
                let value = if op == "=" { rhs } else { self.binary(&op[..op.len() - 1], self.var(&name)?, rhs)? };
                if self.live {
                    self.vars.set(&name, value);
                }
                return Ok(value);
            }
        }
        self.ternary()
    }

    fn ternary(&mut self) -> Result<i64, String> {
        let cond = self.binop(0)?;
        if self.peek() != Some(&Tok::Op("?")) {
            return Ok(cond);
        }
        self.pos += 1;
        let live = self.live;
        self.live = live && cond != 0;
        let a = self.assign()?;
        if self.peek() != Some(&Tok::Op(":")) {
            return Err(self.err("expecting ':'"));
        }
        self.pos += 1;
        self.live = live && cond == 0;
        let b = self.assign()?;
        self.live = live;
        Ok(if cond != 0 { a } else { b })
    }

    fn binary(&self, op: &str, a: i64, b: i64) -> Result<i64, String> {
        Ok(match op {
            "+" => a.wrapping_add(b),
            "-" => a.wrapping_sub(b),
            "*" => a.wrapping_mul(b),
            "/" | "%" if b == 0 => return Err("arithmetic expression: division by zero".to_string()),
            "/" => a.wrapping_div(b),
            "%" => a.wrapping_rem(b),
            "**" => {
                if b < 0 {
                    return Err(self.err("exponent less than 0"));
                }
                a.wrapping_pow(b.min(u32::MAX as i64) as u32)
            }
            "<<" => a.wrapping_shl(b as u32),
            ">>" => a.wrapping_shr(b as u32),
            "<" => i64::from(a < b),
            ">" => i64::from(a > b),
            "<=" => i64::from(a <= b),
            ">=" => i64::from(a >= b),
            "==" => i64::from(a == b),
            "!=" => i64::from(a != b),
            "&" => a & b,
            "|" => a | b,
            "^" => a ^ b,
            "&&" => i64::from(a != 0 && b != 0),
            "||" => i64::from(a != 0 || b != 0),
            _ => return Err(self.err("expecting operator")),
        })
    }

    fn binop(&mut self, min: u8) -> Result<i64, String> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(op)) = self.peek().cloned() {
            let Some((bp, right)) = precedence(op) else { break };
            if bp < min {
                break;
            }
            self.pos += 1;
            let live = self.live;
            if op == "&&" {
                self.live = live && lhs != 0;
            } else if op == "||" {
                self.live = live && lhs == 0;
            }
            let rhs = self.binop(if right { bp } else { bp + 1 })?;
            self.live = live;
            lhs = if !live && matches!(op, "/" | "%") && rhs == 0 { 0 } else { self.binary(op, lhs, rhs)? };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        if crate::stack::exhausted() {
            return Err("expression nested too deeply".into());
        }
        match self.peek().cloned() {
            Some(Tok::Op(op @ ("+" | "-" | "!" | "~"))) => {
                self.pos += 1;
                let v = self.unary()?;
                Ok(match op {
                    "+" => v,
                    "-" => v.wrapping_neg(),
                    "!" => i64::from(v == 0),
                    _ => !v,
                })
            }
            Some(Tok::Op(op @ ("++" | "--"))) => {
                self.pos += 1;
                let Some(Tok::Name(name)) = self.peek().cloned() else { return Err(self.err("expecting primary")) };
                self.pos += 1;
                let v = self.var(&name)?.wrapping_add(if op == "++" { 1 } else { -1 });
                if self.live {
                    self.vars.set(&name, v);
                }
                Ok(v)
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<i64, String> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                let v = self.var(&name)?;
                if let Some(Tok::Op(op @ ("++" | "--"))) = self.peek().cloned() {
                    self.pos += 1;
                    if self.live {
                        self.vars.set(&name, v.wrapping_add(if op == "++" { 1 } else { -1 }));
                    }
                }
                Ok(v)
            }
            Some(Tok::Op("(")) => {
                self.pos += 1;
                let v = self.comma()?;
                if self.peek() != Some(&Tok::Op(")")) {
                    return Err(self.err("expecting ')'"));
                }
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.err("expecting primary")),
        }
    }
}

/// Evaluates an arithmetic expression (already parameter-expanded).
pub fn eval(expr: &str, vars: &mut dyn Vars) -> Result<i64, String> {
    let toks = lex(expr)?;
    if toks.is_empty() {
        return Ok(0);
    }
    let mut e = Eval { toks, pos: 0, vars, expr: expr.trim().to_string(), live: true };
    let v = e.comma()?;
    if e.pos != e.toks.len() {
        return Err(e.err("expecting EOF"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    impl Vars for HashMap<String, String> {
        fn get(&self, name: &str) -> Option<String> {
            HashMap::get(self, name).cloned()
        }
        fn set(&mut self, name: &str, value: i64) {
            self.insert(name.to_string(), value.to_string());
        }
    }

    #[test]
    fn arithmetic() {
        let mut v: HashMap<String, String> = HashMap::new();
        v.insert("x".into(), "5".into());
        for (e, want) in [("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("2 ** 10", 1024), ("x * 2", 10), ("x > 3 && x < 10", 1), ("7 % 3", 1), ("-x + 1", -4), ("x ? 1 : 2", 1), ("0x10 + 010", 24)] {
            assert_eq!(eval(e, &mut v).unwrap(), want, "{e}");
        }
        assert_eq!(eval("y = x += 2", &mut v).unwrap(), 7);
        assert_eq!(v["y"], "7");
        assert!(eval("1 / 0", &mut v).unwrap_err().contains("division by zero"));
        assert_eq!(eval("0 && 1 / 0", &mut v).unwrap(), 0);
    }
}
