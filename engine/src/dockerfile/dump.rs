//! BuildKit's AST dump format (`Node.Dump` in `parser/parser.go`), used by
//! `berth debug parse --buildkit` and the conformance tests.

use super::ast::{ArgValue, Dockerfile, Node};

/// The dump of a whole file: one `(instruction …)` line per instruction.
pub fn dump(file: &Dockerfile) -> String {
    let mut s = String::new();
    for node in &file.instructions {
        s.push('(');
        s.push_str(&dump_node(node));
        s.push_str(")\n");
    }
    s.trim_matches(char::is_whitespace).to_string()
}

/// The dump of one instruction, without the surrounding parentheses.
pub fn dump_node(node: &Node) -> String {
    let mut s = node.keyword.to_lowercase();
    if !node.flags.is_empty() {
        let flags: Vec<String> = node.flags.iter().map(|f| go_quote(&f.text)).collect();
        s.push_str(&format!(" [{}]", flags.join(" ")));
    }
    for arg in &node.args {
        s.push(' ');
        match &arg.value {
            ArgValue::Word(w) => s.push_str(&go_quote(w)),
            ArgValue::Instruction(sub) => s.push_str(&format!("({})", dump_node(sub))),
        }
    }
    s.trim_matches(char::is_whitespace).to_string()
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` without the Unicode category tables:
/// controls, separators other than ASCII space, format characters, private-use
/// characters and noncharacters are not printable.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format = matches!(u, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb);
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..=0x10ffff);
    let nonchar = (u & 0xfffe) == 0xfffe || (0xfdd0..=0xfdef).contains(&u);
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{0}\u{7f}\t"), r#""\x00\x7f\t""#);
        assert_eq!(go_quote("♥\u{a0}"), "\"♥\\u00a0\"");
    }
}
