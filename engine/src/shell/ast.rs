//! The shell's syntax tree: lists of and-or pipelines of commands, words made of parts.

/// A part of a word, before expansion.
#[derive(Debug, Clone, PartialEq)]
pub enum WordPart {
    /// Unquoted text; glob characters in it are live.
    Literal(String),
    /// Text protected from globbing and splitting (`\x`, `'…'`, `$'…'`).
    Quoted(String),
    /// `"…"`: its expansions are not split or globbed.
    DoubleQuoted(Vec<WordPart>),
    Param(Param),
    /// `$(…)` or `` `…` ``.
    Command(Box<Script>),
    /// `$((…))`, the expression unexpanded.
    Arith(String),
    /// `~` or `~user` at the start of a word.
    Tilde(String),
}

pub type Word = Vec<WordPart>;

/// `$name`, `${name}`, `${name:-word}` and friends.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub op: ParamOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamOp {
    Plain,
    /// `${#name}`
    Length,
    /// `-`, `=`, `?`, `+` with or without `:` (`colon` = also when empty).
    Default { colon: bool, word: Word },
    Assign { colon: bool, word: Word },
    Error { colon: bool, word: Word },
    Alternative { colon: bool, word: Word },
    /// `#`, `##`, `%`, `%%`.
    RemovePrefix { longest: bool, pattern: Word },
    RemoveSuffix { longest: bool, pattern: Word },
    /// bash `${name/pattern/replacement}` and `${name//…}`.
    Replace { all: bool, pattern: Word, replacement: Word },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RedirectKind {
    /// `<`
    Input,
    /// `>` (and `>|`)
    Output,
    /// `>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `>&n` / `<&n` (the word is the fd or `-`)
    Dup,
    /// `<<` / `<<-`
    HereDoc { body: String, expand: bool },
    /// bash `<<<`
    HereString,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    pub fd: u32,
    pub kind: RedirectKind,
    pub target: Word,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub name: String,
    pub value: Word,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseItem {
    pub patterns: Vec<Word>,
    pub body: Script,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Simple { assignments: Vec<Assignment>, words: Vec<Word>, redirects: Vec<Redirect>, line: usize },
    Group { body: Script, redirects: Vec<Redirect> },
    Subshell { body: Script, redirects: Vec<Redirect> },
    If { branches: Vec<(Script, Script)>, otherwise: Option<Script>, redirects: Vec<Redirect> },
    While { condition: Script, body: Script, until: bool, redirects: Vec<Redirect> },
    For { var: String, items: Option<Vec<Word>>, body: Script, redirects: Vec<Redirect> },
    Case { word: Word, items: Vec<CaseItem>, redirects: Vec<Redirect> },
    Function { name: String, body: Box<Command> },
    /// bash `[[ … ]]`: the words between the brackets.
    Test { words: Vec<Word>, line: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub negate: bool,
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Connector {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
    /// Ended with `&`.
    pub background: bool,
}

/// A list of commands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Script {
    pub items: Vec<AndOr>,
}
