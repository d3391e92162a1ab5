//! ARG and ENV scoping at build time, as BuildKit applies it:
//!
//! - `ARG`s before the first `FROM` form the global scope; only `FROM` lines see them.
//! - Inside a stage an `ARG NAME` without a default takes the global value of `NAME`.
//! - `--build-arg NAME=value` overrides the default of a declared `ARG`.
//! - `ENV` wins over an `ARG` of the same name.
//! - The platform args (`TARGETPLATFORM`, `BUILDARCH`, …) are predefined globally and must
//!   be declared with `ARG` to be used inside a stage.

use std::collections::BTreeSet;

use super::expand::{EnvList, Environment, ExpandError, Lexer};
use super::instructions::{ArgDecl, Copy, Instruction, KeyValue, Source};

/// The platform a build targets (and runs on: Berth builds for its own platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: String,
}

impl Default for Platform {
    fn default() -> Platform {
        Platform { os: "linux".into(), arch: "amd64".into(), variant: String::new() }
    }
}

impl Platform {
    pub fn to_spec(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.arch)
        } else {
            format!("{}/{}/{}", self.os, self.arch, self.variant)
        }
    }

    /// The predefined platform args and their values.
    pub fn args(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for prefix in ["TARGET", "BUILD"] {
            out.push((format!("{prefix}PLATFORM"), self.to_spec()));
            out.push((format!("{prefix}OS"), self.os.clone()));
            out.push((format!("{prefix}ARCH"), self.arch.clone()));
            out.push((format!("{prefix}VARIANT"), self.variant.clone()));
        }
        out
    }
}

/// Names of the predefined platform args.
pub const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
];

/// Proxy args that may be passed without being declared.
pub const PROXY_ARGS: &[&str] = &[
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
    "all_proxy",
];

fn lexer() -> Lexer {
    Lexer::new('\\')
}

/// The global scope: platform args plus the `ARG`s before the first `FROM`.
#[derive(Debug, Clone, Default)]
pub struct GlobalScope {
    /// Args that have a value.
    pub values: EnvList,
    /// Every declared global arg name, with or without a value.
    pub declared: Vec<String>,
    /// Build args that some `ARG` consumed.
    pub consumed: BTreeSet<String>,
}

impl GlobalScope {
    pub fn new(meta_args: &[ArgDecl], build_args: &EnvList, platform: &Platform) -> Result<GlobalScope, ExpandError> {
        let mut scope = GlobalScope::default();
        for (k, v) in platform.args() {
            scope.values.set(&k, &v);
        }
        for decl in meta_args {
            scope.declared.push(decl.name.clone());
            if let Some(v) = build_args.get(&decl.name) {
                scope.consumed.insert(decl.name.clone());
                scope.values.set(&decl.name, v);
            } else if let Some(default) = &decl.default {
                let v = lexer().expand_word(default, &scope.values)?;
                scope.values.set(&decl.name, &v);
            }
        }
        Ok(scope)
    }

    /// Expands a `FROM` word (base image or `--platform`).
    pub fn expand(&self, word: &str) -> Result<String, ExpandError> {
        lexer().expand_word(word, &self.values)
    }
}

/// The variables visible inside one stage.
#[derive(Debug, Clone)]
pub struct StageScope<'a> {
    global: &'a GlobalScope,
    build_args: &'a EnvList,
    /// Declared args with a value, in declaration order.
    pub args: EnvList,
    /// `ENV` of the base image and of this stage so far.
    pub env: EnvList,
    /// Build args that some `ARG` of this stage consumed.
    pub consumed: BTreeSet<String>,
    /// Every `ARG` name of this stage, with or without a value, in declaration order.
    pub declared: Vec<String>,
}

impl<'a> StageScope<'a> {
    /// Starts a stage on top of its base image's environment.
    pub fn new(global: &'a GlobalScope, build_args: &'a EnvList, image_env: EnvList) -> StageScope<'a> {
        StageScope { global, build_args, args: EnvList::new(), env: image_env, consumed: BTreeSet::new(), declared: Vec::new() }
    }

    /// What expansion sees: args, with `ENV` taking precedence.
    pub fn environment(&self) -> EnvList {
        let mut all = self.args.clone();
        for (k, v) in &self.env.0 {
            all.set(k, v);
        }
        all
    }

    pub fn expand_word(&self, word: &str) -> Result<String, ExpandError> {
        lexer().expand_word(word, &self.environment())
    }

    pub fn expand_words(&self, word: &str) -> Result<Vec<String>, ExpandError> {
        lexer().expand_words(word, &self.environment())
    }

    /// `ARG NAME[=default]` inside the stage.
    pub fn declare_arg(&mut self, decl: &ArgDecl) -> Result<(), ExpandError> {
        if !self.declared.contains(&decl.name) {
            self.declared.push(decl.name.clone());
        }
        let value = if let Some(v) = self.build_args.get(&decl.name) {
            self.consumed.insert(decl.name.clone());
            Some(v.to_string())
        } else if let Some(default) = &decl.default {
            Some(self.expand_word(default)?)
        } else {
            self.global.values.get(&decl.name).map(str::to_string)
        };
        if let Some(v) = value {
            self.args.set(&decl.name, &v);
        }
        Ok(())
    }

    /// `ENV key=value`: both sides are expanded with what is visible so far.
    pub fn set_env(&mut self, kv: &KeyValue) -> Result<(String, String), ExpandError> {
        let key = self.expand_word(&kv.key)?;
        let value = self.expand_word(&kv.value)?;
        self.env.set(&key, &value);
        Ok((key, value))
    }

    /// The stage's ARGs as BuildKit records them in a RUN's history (`|2 A=1 B= `): each
    /// declared name with its ENV value if there is one, else its arg value, else empty.
    pub fn run_history_args(&self) -> Vec<String> {
        self.declared.iter().map(|k| format!("{k}={}", self.env.get(k).or_else(|| self.args.get(k)).unwrap_or(""))).collect()
    }

    /// The environment of a `RUN` process: the stage's args and env (env wins).
    pub fn run_env(&self) -> EnvList {
        self.environment()
    }

    /// Applies `ARG` and `ENV` to the scope and returns the instruction with its words
    /// expanded (`COPY` paths and flags, `WORKDIR`, `USER`, `LABEL`, `EXPOSE`, …). Commands
    /// (`RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `HEALTHCHECK`, `ONBUILD`) are left for the
    /// shell that runs them.
    pub fn apply(&mut self, instruction: &Instruction) -> Result<Instruction, ExpandError> {
        Ok(match instruction {
            Instruction::Arg(decls) => {
                for d in decls {
                    self.declare_arg(d)?;
                }
                instruction.clone()
            }
            Instruction::Env(pairs) => {
                let mut out = Vec::new();
                for kv in pairs {
                    let (key, value) = self.set_env(kv)?;
                    out.push(KeyValue { key, value, legacy: kv.legacy });
                }
                Instruction::Env(out)
            }
            Instruction::Label(pairs) => Instruction::Label(
                pairs
                    .iter()
                    .map(|kv| Ok(KeyValue { key: self.expand_word(&kv.key)?, value: self.expand_word(&kv.value)?, legacy: kv.legacy }))
                    .collect::<Result<_, ExpandError>>()?,
            ),
            Instruction::Copy(c) => Instruction::Copy(self.expand_copy(c)?),
            Instruction::Add(c) => Instruction::Add(self.expand_copy(c)?),
            Instruction::Workdir(w) => Instruction::Workdir(self.expand_word(w)?),
            Instruction::User(u) => Instruction::User(self.expand_word(u)?),
            Instruction::StopSignal(s) => Instruction::StopSignal(self.expand_word(s)?),
            Instruction::Volume(v) => {
                Instruction::Volume(v.iter().map(|w| self.expand_word(w)).collect::<Result<_, _>>()?)
            }
            Instruction::Expose(ports) => {
                let mut out = Vec::new();
                for p in ports {
                    out.extend(self.expand_words(p)?);
                }
                Instruction::Expose(out)
            }
            other => other.clone(),
        })
    }

    fn expand_copy(&self, c: &Copy) -> Result<Copy, ExpandError> {
        let opt = |v: &Option<String>| v.as_ref().map(|s| self.expand_word(s)).transpose();
        Ok(Copy {
            sources: c
                .sources
                .iter()
                .map(|s| match s {
                    Source::Path(p) => self.expand_word(p).map(Source::Path),
                    Source::Heredoc(h) => Ok(Source::Heredoc(h.clone())),
                })
                .collect::<Result<_, _>>()?,
            dest: self.expand_word(&c.dest)?,
            from: opt(&c.from)?,
            chown: opt(&c.chown)?,
            chmod: opt(&c.chmod)?,
            exclude: c.exclude.iter().map(|e| self.expand_word(e)).collect::<Result<_, _>>()?,
            ..c.clone()
        })
    }
}

impl Environment for StageScope<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        self.env.get(name).or_else(|| self.args.get(name)).map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{instructions, parse};

    /// Expands every instruction of the last stage and returns (FROM base, last WORKDIR).
    fn check(src: &str, build_args: &[&str]) -> (String, String) {
        let (file, _) = parse(src);
        let (ins, diags) = instructions::from_ast(&file);
        assert!(diags.is_empty(), "{diags:?}");
        let meta: Vec<ArgDecl> = ins.meta_args.iter().flat_map(|a| a.value.clone()).collect();
        let build_args = EnvList::from_pairs(build_args);
        let global = GlobalScope::new(&meta, &build_args, &Platform::default()).unwrap();
        let stage = ins.stages.last().unwrap();
        let base = global.expand(&stage.base).unwrap();
        let mut scope = StageScope::new(&global, &build_args, EnvList::from_pairs(["PATH=/usr/bin"]));
        let mut workdir = String::new();
        for i in &stage.instructions {
            if let Instruction::Workdir(w) = scope.apply(&i.value).unwrap() {
                workdir = w;
            }
        }
        (base, workdir)
    }

    #[test]
    fn global_args_reach_from_only() {
        let src = "ARG V=3.11\nFROM python:${V}-slim\nWORKDIR /x${V}\n";
        assert_eq!(check(src, &[]), ("python:3.11-slim".into(), "/x".into()));
    }

    #[test]
    fn redeclared_arg_takes_the_global_value() {
        let src = "ARG V=3.11\nFROM python:${V}\nARG V\nWORKDIR /x${V}\n";
        assert_eq!(check(src, &[]).1, "/x3.11");
    }

    #[test]
    fn build_args_override_defaults() {
        let src = "ARG V=3.11\nFROM python:${V}\nARG D=/app\nWORKDIR ${D}\n";
        assert_eq!(check(src, &["V=3.12", "D=/srv"]), ("python:3.12".into(), "/srv".into()));
    }

    #[test]
    fn env_wins_over_arg() {
        let src = "FROM alpine\nARG D=/arg\nENV D=/env\nWORKDIR ${D}\n";
        assert_eq!(check(src, &["D=/build-arg"]).1, "/env");
    }

    #[test]
    fn env_sees_image_env_and_platform_args_need_declaring() {
        let src = "FROM --platform=$BUILDPLATFORM alpine\nENV PATH=/opt/venv/bin:$PATH\nWORKDIR /${TARGETARCH}\nARG TARGETARCH\nWORKDIR /${TARGETARCH}:$PATH\n";
        assert_eq!(check(src, &[]).1, "/amd64:/opt/venv/bin:/usr/bin");
    }
}
