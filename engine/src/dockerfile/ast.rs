//! The syntax tree the parser produces: instructions with their raw arguments, flags,
//! heredocs and byte spans, plus the comments and blank lines between them.

use serde::Serialize;

/// A byte range `start..end` in the Dockerfile source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A parsed Dockerfile: instructions in order plus everything between them, so that
/// `instructions` and `trivia` spans together cover the whole source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    pub instructions: Vec<Node>,
    /// Comment, directive and blank lines outside instructions.
    pub trivia: Vec<Trivia>,
    /// The escape character in effect (`\` or `` ` ``).
    pub escape: char,
}

/// A parser directive from the top of the file (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lower-cased name.
    pub name: String,
    pub value: String,
    /// 1-based line.
    pub line: usize,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TriviaKind {
    Comment,
    Directive,
    Blank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Trivia {
    pub kind: TriviaKind,
    pub span: Span,
}

/// One instruction as BuildKit's parser sees it: a keyword, builder flags and a chain of
/// raw argument words (quotes and escapes kept; expansion happens later).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Node {
    /// The keyword as written (`RUN`, `run`, `RUNN`).
    pub keyword: String,
    pub keyword_span: Span,
    /// Builder flags with quotes removed: `--from=build`.
    pub flags: Vec<Flag>,
    pub args: Vec<Arg>,
    /// Arguments were a JSON array (exec form).
    pub json: bool,
    /// The instruction's text with continuation lines joined.
    pub original: String,
    pub heredocs: Vec<Heredoc>,
    /// From the start of the first line to the end of the last (heredoc bodies included),
    /// without the final newline. With `trivia`, these spans cover every line of the file.
    pub span: Span,
    /// 1-based first and last physical line (heredoc bodies included).
    pub start_line: usize,
    pub end_line: usize,
    /// The comment lines directly above this instruction, `#` removed.
    pub comments: Vec<String>,
}

impl Node {
    /// The keyword in upper case, for matching.
    pub fn name(&self) -> String {
        self.keyword.to_ascii_uppercase()
    }

    /// The argument values (the nested instruction of ONBUILD is skipped).
    pub fn values(&self) -> Vec<&str> {
        self.args
            .iter()
            .filter_map(|a| match &a.value {
                ArgValue::Word(w) => Some(w.as_str()),
                ArgValue::Instruction(_) => None,
            })
            .collect()
    }

    /// The trigger instruction of an `ONBUILD`.
    pub fn sub_instruction(&self) -> Option<&Node> {
        self.args.iter().find_map(|a| match &a.value {
            ArgValue::Instruction(n) => Some(n.as_ref()),
            ArgValue::Word(_) => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// `--name=value` with quotes and escapes removed.
    pub text: String,
    pub span: Span,
}

impl Flag {
    /// The flag's name without the leading `--`, and its value when it has one.
    pub fn name_value(&self) -> (&str, Option<&str>) {
        let body = self.text.strip_prefix("--").unwrap_or(&self.text);
        match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    pub value: ArgValue,
    /// Where the argument was found; for ENV/LABEL key-value triples, the whole pair.
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum ArgValue {
    Word(String),
    /// The instruction an `ONBUILD` wraps.
    Instruction(Box<Node>),
}

/// A here-document attached to `RUN`, `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heredoc {
    pub name: String,
    pub file_descriptor: u32,
    /// Variables in the body are expanded (the delimiter was not quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are removed from the body.
    pub chomp: bool,
    pub content: String,
}

impl Heredoc {
    /// The body as the build uses it: with leading tabs stripped for `<<-`.
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|line| line.trim_start_matches('\t'))
            .collect()
    }
}
