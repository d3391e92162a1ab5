//! The terminal's line discipline: what a shell's readline does with the keys xterm.js
//! hands over (editing, history, Tab, Ctrl-C, Ctrl-L), as plain logic that tests can
//! drive without a browser. It returns what to draw and what to run.

/// What the terminal should do after some input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write this to the terminal (echo and redraws).
    Draw(String),
    /// Run this command line.
    Submit(String),
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-L: clear the screen, then redraw the line.
    Clear,
    /// Tab: complete the line up to the cursor.
    Complete(String),
}

#[derive(Debug, Default)]
pub struct LineEditor {
    prompt: String,
    line: Vec<char>,
    cursor: usize,
    history: Vec<String>,
    /// Position in `history` while browsing it with ↑/↓, and the line being typed.
    browsing: Option<(usize, String)>,
    /// An escape sequence split across two inputs.
    pending: String,
    /// The terminal's width in cells (0: unknown, lines never wrap).
    cols: usize,
    /// Where the last draw left the cursor, in cells from the start of the prompt: a
    /// long line wraps, and the next draw starts from the prompt's row.
    drawn: usize,
}

impl LineEditor {
    pub fn new(prompt: &str) -> LineEditor {
        LineEditor { prompt: prompt.to_string(), ..LineEditor::default() }
    }

    pub fn set_prompt(&mut self, prompt: &str) {
        self.prompt = prompt.to_string();
        self.drawn = 0;
    }

    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// The terminal's width, so that lines longer than a row redraw in place.
    pub fn set_cols(&mut self, cols: usize) {
        self.cols = cols;
    }

    /// The line starts afresh on a new row (after output, a submitted line, Ctrl-L).
    pub fn start_row(&mut self) {
        self.drawn = 0;
    }

    pub fn line(&self) -> String {
        self.line.iter().collect()
    }

    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// The prompt and the line, with the cursor in place: back to the prompt's row, clear
    /// to the end of the screen, write, then move to the cursor (rows wrap at `cols`).
    pub fn redraw(&mut self) -> String {
        let width = self.prompt.chars().count();
        let (end, target) = (width + self.line.len(), width + self.cursor);
        let mut s = String::from("\r");
        if self.cols == 0 {
            s.push_str(&format!("\x1b[K{}{}", self.prompt, self.line()));
            let back = self.line.len() - self.cursor;
            if back > 0 {
                s.push_str(&format!("\x1b[{back}D"));
            }
            return s;
        }
        let cols = self.cols;
        let up = self.drawn / cols;
        if up > 0 {
            s.push_str(&format!("\x1b[{up}A"));
        }
        s.push_str(&format!("\x1b[J{}{}", self.prompt, self.line()));
        // A row filled exactly leaves xterm's cursor in its last column: move it down.
        if end > 0 && end.is_multiple_of(cols) {
            s.push_str("\r\n");
        }
        let rows_up = end / cols - target / cols;
        if rows_up > 0 {
            s.push_str(&format!("\x1b[{rows_up}A"));
        }
        if end != target || !end.is_multiple_of(cols) {
            s.push('\r');
            if target % cols > 0 {
                s.push_str(&format!("\x1b[{}C", target % cols));
            }
        }
        self.drawn = target;
        s
    }

    /// Moves the cursor past the end of the line and to a new row (Enter).
    fn finish(&mut self) -> String {
        self.cursor = self.line.len();
        let mut s = self.redraw();
        // The draw moved to a new row already when the line filled its last row.
        let end = self.prompt.chars().count() + self.line.len();
        if self.cols == 0 || end == 0 || !end.is_multiple_of(self.cols) {
            s.push_str("\r\n");
        }
        self.drawn = 0;
        s
    }

    /// Feeds keys (or pasted text) and returns what to do, in order.
    pub fn feed(&mut self, data: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        let input = std::mem::take(&mut self.pending) + data;
        let mut chars = input.chars().peekable();
        let mut dirty = false;
        while let Some(c) = chars.next() {
            match c {
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    dirty = false;
                    let line = self.line();
                    actions.push(Action::Draw(self.finish()));
                    if !line.trim().is_empty() && self.history.last() != Some(&line) {
                        self.history.push(line.clone());
                    }
                    self.line.clear();
                    self.cursor = 0;
                    self.browsing = None;
                    actions.push(Action::Submit(line));
                }
                '\x03' => {
                    if dirty {
                        actions.push(Action::Draw(self.redraw()));
                        dirty = false;
                    }
                    self.line.clear();
                    self.cursor = 0;
                    self.browsing = None;
                    self.drawn = 0;
                    actions.push(Action::Interrupt);
                }
                // Ctrl-D on an empty line ends the shell, as in bash.
                '\x04' if self.line.is_empty() => {
                    actions.push(Action::Draw("exit\r\n".into()));
                    actions.push(Action::Submit("exit".into()));
                }
                '\x0c' => {
                    actions.push(Action::Clear);
                    self.drawn = 0;
                    dirty = true;
                }
                '\t' => {
                    if dirty {
                        actions.push(Action::Draw(self.redraw()));
                        dirty = false;
                    }
                    actions.push(Action::Complete(self.line[..self.cursor].iter().collect()));
                    // What follows Tab waits until its candidates are applied
                    // (`complete`, then `feed("")`).
                    self.pending = chars.collect();
                    break;
                }
                '\x7f' | '\x08' if self.cursor > 0 => {
                    self.cursor -= 1;
                    self.line.remove(self.cursor);
                    dirty = true;
                }
                '\x01' => {
                    self.cursor = 0;
                    dirty = true;
                }
                '\x05' => {
                    self.cursor = self.line.len();
                    dirty = true;
                }
                '\x15' => {
                    self.line.drain(..self.cursor);
                    self.cursor = 0;
                    dirty = true;
                }
                '\x0b' => {
                    self.line.truncate(self.cursor);
                    dirty = true;
                }
                '\x17' => {
                    let mut start = self.cursor;
                    while start > 0 && self.line[start - 1] == ' ' {
                        start -= 1;
                    }
                    while start > 0 && self.line[start - 1] != ' ' {
                        start -= 1;
                    }
                    self.line.drain(start..self.cursor);
                    self.cursor = start;
                    dirty = true;
                }
                '\x1b' => {
                    let seq: String = chars.clone().take(3).collect();
                    let (consumed, key) = match () {
                        _ if seq.starts_with("[3~") => (3, Some('x')),
                        _ if seq.starts_with("[A") || seq.starts_with("OA") => (2, Some('A')),
                        _ if seq.starts_with("[B") || seq.starts_with("OB") => (2, Some('B')),
                        _ if seq.starts_with("[C") || seq.starts_with("OC") => (2, Some('C')),
                        _ if seq.starts_with("[D") || seq.starts_with("OD") => (2, Some('D')),
                        _ if seq.starts_with("[H") || seq.starts_with("OH") => (2, Some('H')),
                        _ if seq.starts_with("[F") || seq.starts_with("OF") => (2, Some('F')),
                        _ if seq.is_empty() || seq == "[" || seq == "[3" || seq == "O" => {
                            // The rest of the sequence comes with the next input.
                            self.pending = format!("\x1b{seq}");
                            break;
                        }
                        _ => (seq.chars().take_while(|c| !c.is_ascii_alphabetic() && *c != '~').count() + 1, None),
                    };
                    for _ in 0..consumed {
                        chars.next();
                    }
                    match key {
                        Some('A') => self.history_step(-1),
                        Some('B') => self.history_step(1),
                        Some('C') => self.cursor = (self.cursor + 1).min(self.line.len()),
                        Some('D') => self.cursor = self.cursor.saturating_sub(1),
                        Some('H') => self.cursor = 0,
                        Some('F') => self.cursor = self.line.len(),
                        Some('x') if self.cursor < self.line.len() => {
                            self.line.remove(self.cursor);
                        }
                        _ => {}
                    }
                    dirty = true;
                }
                c if !c.is_control() => {
                    self.line.insert(self.cursor, c);
                    self.cursor += 1;
                    dirty = true;
                }
                _ => {}
            }
        }
        if dirty {
            actions.push(Action::Draw(self.redraw()));
        }
        actions
    }

    fn history_step(&mut self, delta: i32) {
        if self.history.is_empty() {
            return;
        }
        let (pos, typed) = match self.browsing.take() {
            Some(b) => b,
            None => (self.history.len(), self.line()),
        };
        let next = (pos as i64 + delta as i64).clamp(0, self.history.len() as i64) as usize;
        let text = if next == self.history.len() { typed.clone() } else { self.history[next].clone() };
        self.line = text.chars().collect();
        self.cursor = self.line.len();
        self.browsing = (next != self.history.len()).then_some((next, typed));
    }

    /// Applies Tab's candidates for the word before the cursor: one is inserted (with a
    /// space unless it is a directory), several extend the word by their common prefix
    /// or, when they cannot, are listed under the line.
    pub fn complete(&mut self, items: &[String]) -> String {
        let before: String = self.line[..self.cursor].iter().collect();
        let word_start = before.rfind([' ', '|', ';', '&']).map_or(0, |i| i + 1);
        let word = &before[word_start..];
        let word_chars = word.chars().count();
        let insert = match items {
            [] => return String::new(),
            [one] => {
                let mut s = one.clone();
                if !s.ends_with('/') {
                    s.push(' ');
                }
                s
            }
            many => {
                let prefix = common_prefix(many);
                if prefix.chars().count() <= word_chars {
                    let list = many.join("  ");
                    let cursor = self.cursor;
                    let below = self.finish();
                    self.cursor = cursor;
                    return format!("{below}{list}\r\n{}", self.redraw());
                }
                prefix
            }
        };
        let start = self.cursor - word_chars;
        let new: Vec<char> = insert.chars().collect();
        self.line.splice(start..self.cursor, new.iter().copied());
        self.cursor = start + new.len();
        self.redraw()
    }
}

fn common_prefix(items: &[String]) -> String {
    let first = &items[0];
    let mut len = first.len();
    for item in &items[1..] {
        len = first.bytes().zip(item.bytes()).take(len).take_while(|(a, b)| a == b).count();
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted(actions: &[Action]) -> Vec<String> {
        actions.iter().filter_map(|a| if let Action::Submit(s) = a { Some(s.clone()) } else { None }).collect()
    }

    #[test]
    fn typing_editing_and_enter() {
        let mut ed = LineEditor::new("$ ");
        assert_eq!(ed.feed("echo hx"), [Action::Draw("\r\x1b[K$ echo hx".into())]);
        ed.feed("\x7fi");
        ed.feed("\x1b[D\x1b[D\x1b[D!"); // left three times, insert
        assert_eq!(ed.line(), "echo! hi");
        ed.feed("\x01\x1b[3~");
        assert_eq!(submitted(&ed.feed("\r")), ["cho! hi"]);
        assert_eq!(ed.line(), "");
    }

    #[test]
    fn history_goes_back_and_forth_and_keeps_the_typed_line() {
        let mut ed = LineEditor::new("$ ");
        ed.feed("ls\rpwd\r");
        ed.feed("draft");
        ed.feed("\x1b[A");
        assert_eq!(ed.line(), "pwd");
        ed.feed("\x1b[A\x1b[A");
        assert_eq!(ed.line(), "ls");
        ed.feed("\x1b[B\x1b[B");
        assert_eq!(ed.line(), "draft");
        assert_eq!(ed.history(), ["ls", "pwd"]);
    }

    #[test]
    fn paste_of_several_lines_submits_each() {
        let mut ed = LineEditor::new("$ ");
        assert_eq!(submitted(&ed.feed("mkdir app\r\ncd app\nls")), ["mkdir app", "cd app"]);
        assert_eq!(ed.line(), "ls");
    }

    #[test]
    fn control_keys() {
        let mut ed = LineEditor::new("$ ");
        ed.feed("sleep 100");
        assert!(ed.feed("\x03").contains(&Action::Interrupt));
        assert_eq!(ed.line(), "");
        assert_eq!(ed.feed("\x0c")[0], Action::Clear);
        ed.feed("docker run --rm alpine");
        ed.feed("\x17");
        assert_eq!(ed.line(), "docker run --rm ");
        ed.feed("\x15");
        assert_eq!(ed.line(), "");
        assert_eq!(submitted(&ed.feed("\x04")), ["exit"]);
    }

    #[test]
    fn escape_sequences_split_across_inputs() {
        let mut ed = LineEditor::new("$ ");
        ed.feed("ab\x1b");
        ed.feed("[D");
        ed.feed("X");
        assert_eq!(ed.line(), "aXb");
    }

    #[test]
    fn tab_inserts_one_candidate_or_the_common_prefix_or_lists_them() {
        let mut ed = LineEditor::new("$ ");
        ed.feed("docker bu");
        assert_eq!(ed.feed("\t -q"), [Action::Complete("docker bu".into())]);
        ed.complete(&["build".into(), "builder".into()]);
        assert_eq!(ed.line(), "docker build");
        ed.feed("");
        assert_eq!(ed.line(), "docker build -q");
        ed.feed("\x7f\x7f\x7f");
        let listed = ed.complete(&["build".into(), "builder".into()]);
        assert!(listed.contains("build  builder"), "{listed:?}");
        ed.feed(" ");
        ed.feed("-t greet sr");
        ed.complete(&["src/".into()]);
        assert_eq!(ed.line(), "docker build -t greet src/");
        ed.complete(&["src/app.py".into()]);
        assert_eq!(ed.line(), "docker build -t greet src/app.py ");
    }

    /// A screen that understands what the editor writes (xterm's wrapping included).
    struct Screen {
        cols: usize,
        rows: Vec<Vec<char>>,
        row: usize,
        col: usize,
        pending_wrap: bool,
    }

    impl Screen {
        fn new(cols: usize) -> Screen {
            Screen { cols, rows: vec![Vec::new()], row: 0, col: 0, pending_wrap: false }
        }

        fn write(&mut self, s: &str) {
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\r' => {
                        self.col = 0;
                        self.pending_wrap = false;
                    }
                    '\n' => {
                        self.row += 1;
                        self.pending_wrap = false;
                    }
                    '\x1b' => {
                        chars.next();
                        let mut n = String::new();
                        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                            n.push(*d);
                            chars.next();
                        }
                        let n: usize = n.parse().unwrap_or(1);
                        self.pending_wrap = false;
                        match chars.next() {
                            Some('A') => self.row -= n,
                            Some('C') => self.col += n,
                            Some('D') => self.col -= n,
                            Some('J') => {
                                self.rows.truncate(self.row + 1);
                                self.rows[self.row].truncate(self.col);
                            }
                            Some('K') => self.rows[self.row].truncate(self.col),
                            other => panic!("unexpected escape {other:?}"),
                        }
                    }
                    c => {
                        if self.pending_wrap {
                            self.row += 1;
                            self.col = 0;
                            self.pending_wrap = false;
                        }
                        while self.rows.len() <= self.row {
                            self.rows.push(Vec::new());
                        }
                        let line = &mut self.rows[self.row];
                        line.resize(line.len().max(self.col), ' ');
                        if self.col < line.len() {
                            line[self.col] = c;
                        } else {
                            line.push(c);
                        }
                        if self.col + 1 == self.cols {
                            self.pending_wrap = true;
                        } else {
                            self.col += 1;
                        }
                    }
                }
                while self.rows.len() <= self.row {
                    self.rows.push(Vec::new());
                }
            }
        }

        fn text(&self) -> Vec<String> {
            self.rows.iter().map(|r| r.iter().collect::<String>()).collect()
        }
    }

    #[test]
    fn a_line_longer_than_the_terminal_wraps_and_redraws_in_place() {
        let mut ed = LineEditor::new("$ ");
        ed.set_cols(10);
        let mut screen = Screen::new(10);
        let typed = "echo abcdefghijklmnop";
        for c in typed.chars() {
            for a in ed.feed(&c.to_string()) {
                if let Action::Draw(d) = a {
                    screen.write(&d);
                }
            }
        }
        assert_eq!(screen.text(), ["$ echo abc", "defghijklm", "nop"]);
        // Editing in the middle of the first row keeps one copy of the line.
        for a in ed.feed("\x1b[D".repeat(15).as_str()).into_iter().chain(ed.feed("X")) {
            if let Action::Draw(d) = a {
                screen.write(&d);
            }
        }
        assert_eq!(screen.text(), ["$ echo aXb", "cdefghijkl", "mnop"]);
        assert_eq!((screen.row, screen.col), (0, 9));
        // Enter leaves the cursor below the whole line.
        for a in ed.feed("\r") {
            if let Action::Draw(d) = a {
                screen.write(&d);
            }
        }
        assert_eq!((screen.row, screen.col), (3, 0));
        // A line that fills its last row exactly.
        let mut ed = LineEditor::new("$ ");
        ed.set_cols(10);
        let mut screen = Screen::new(10);
        for a in ed.feed("12345678").into_iter().chain(ed.feed("9")).chain(ed.feed("\r")) {
            if let Action::Draw(d) = a {
                screen.write(&d);
            }
        }
        assert_eq!(screen.text()[..2], ["$ 12345678", "9"]);
        assert_eq!((screen.row, screen.col), (2, 0));
    }
}
