//! Seccomp profiles compiled to a classic BPF program, as libseccomp compiles them for
//! runc. A profile is the JSON Docker and the OCI runtime spec use (`defaultAction`,
//! `syscalls` with `names`, `action`, `args`, `errnoRet`, and Docker's `includes` /
//! `excludes` by capability and architecture). The program checks the architecture
//! (x86-64 only), then each rule in turn against the system call number and its
//! arguments, and returns the default action for the rest.
//!
//! The default is the distribution's copy of the containers default profile
//! (`/usr/share/containers/seccomp.json`, from `containers-common`, which podman and
//! CRI-O apply and which follows Docker's), where the host has one; `BERTH_SECCOMP_PROFILE`
//! names another file (or `builtin`). Where there is none, [`builtin`] is Berth's own
//! profile. `--security-opt seccomp=FILE` names another and `unconfined` none.

use serde::Deserialize;

/// Where the host's default profile is.
pub const DEFAULT_PROFILE: &str = super::DEFAULT_SECCOMP_PROFILE;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u32>,
    #[serde(default)]
    pub syscalls: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub names: Vec<String>,
    /// The older single-name form.
    #[serde(default)]
    pub name: Option<String>,
    pub action: String,
    #[serde(default)]
    pub args: Option<Vec<Arg>>,
    #[serde(default)]
    pub errno_ret: Option<u32>,
    #[serde(default)]
    pub includes: Option<Filter>,
    #[serde(default)]
    pub excludes: Option<Filter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    pub index: u32,
    pub value: u64,
    #[serde(default)]
    pub value_two: u64,
    pub op: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub caps: Vec<String>,
    #[serde(default)]
    pub arches: Vec<String>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// One BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const AND_K: u16 = 0x54;
const RET_K: u16 = 0x06;
const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_KILL_THREAD: u32 = 0;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

fn insn(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
    Insn { code, jt, jf, k }
}

/// An action's return value, or why it is not one.
fn action(name: &str, errno: Option<u32>, default_errno: u32) -> Result<u32, String> {
    Ok(match name {
        "SCMP_ACT_ALLOW" => RET_ALLOW,
        "SCMP_ACT_ERRNO" => RET_ERRNO | (errno.unwrap_or(default_errno) & 0xffff),
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => RET_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS" => RET_KILL_PROCESS,
        "SCMP_ACT_TRAP" => RET_TRAP,
        "SCMP_ACT_TRACE" => RET_TRACE | (errno.unwrap_or(0) & 0xffff),
        "SCMP_ACT_LOG" => RET_LOG,
        other => return Err(format!("unknown seccomp action {other}")),
    })
}

/// The kernel release as (major, minor).
fn kernel() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Whether a rule applies to a container with capabilities `caps` (`CAP_…` names).
fn applies(rule: &Rule, caps: &[String]) -> bool {
    let arch_ok = |arches: &[String]| arches.iter().any(|a| a == "amd64" || a == "x86_64");
    if let Some(inc) = &rule.includes {
        if !inc.caps.iter().all(|c| caps.contains(c)) || (!inc.arches.is_empty() && !arch_ok(&inc.arches)) {
            return false;
        }
        if let Some(min) = &inc.min_kernel {
            let mut p = min.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
            if kernel() < (p.next().unwrap_or(0), p.next().unwrap_or(0)) {
                return false;
            }
        }
    }
    if let Some(exc) = &rule.excludes {
        if exc.caps.iter().any(|c| caps.contains(c)) || arch_ok(&exc.arches) {
            return false;
        }
    }
    true
}

/// Where a test jumps when taken or not: on to the next instruction, to the rule's
/// failure (the reload after its return), or over `n` instructions.
#[derive(Clone, Copy)]
enum To {
    Next,
    Fail,
    Skip(u8),
}

/// One instruction of a rule's argument tests.
struct Op {
    code: u16,
    k: u32,
    jt: To,
    jf: To,
}

fn op(code: u16, k: u32) -> Op {
    Op { code, k, jt: To::Next, jf: To::Next }
}

fn test(k: u32, jt: To, jf: To) -> Op {
    Op { code: JEQ_K, k, jt, jf }
}

/// The tests of one argument: they go on when it holds and jump to the failure when
/// not. Arguments are 64 bits, tested as two 32-bit words (little-endian).
fn compare(arg: &Arg) -> Result<Vec<Op>, String> {
    if arg.index > 5 {
        return Err(format!("seccomp argument index {} is out of range", arg.index));
    }
    let low = 16 + 8 * arg.index;
    let high = low + 4;
    let (lo, hi) = (arg.value as u32, (arg.value >> 32) as u32);
    Ok(match arg.op.as_str() {
        "SCMP_CMP_EQ" => vec![op(LD_W_ABS, high), test(hi, To::Next, To::Fail), op(LD_W_ABS, low), test(lo, To::Next, To::Fail)],
        "SCMP_CMP_NE" => vec![op(LD_W_ABS, high), test(hi, To::Next, To::Skip(2)), op(LD_W_ABS, low), test(lo, To::Fail, To::Next)],
        "SCMP_CMP_MASKED_EQ" => {
            let (want_lo, want_hi) = (arg.value_two as u32, (arg.value_two >> 32) as u32);
            vec![op(LD_W_ABS, high), op(AND_K, hi), test(want_hi, To::Next, To::Fail), op(LD_W_ABS, low), op(AND_K, lo), test(want_lo, To::Next, To::Fail)]
        }
        other => return Err(format!("seccomp comparison {other} is not supported yet")),
    })
}

/// Compiles `profile` for a container with capabilities `caps`.
pub fn compile(profile: &Profile, caps: &[String]) -> Result<Vec<Insn>, String> {
    let default_errno = profile.default_errno_ret.unwrap_or(libc::EPERM as u32);
    let default = action(&profile.default_action, None, default_errno)?;
    let mut prog = vec![
        insn(LD_W_ABS, 4, 0, 0),
        insn(JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        insn(RET_K, RET_KILL_PROCESS, 0, 0),
        insn(LD_W_ABS, 0, 0, 0),
        // The x32 ABI's numbers (bit 30) are not x86-64's.
        insn(JGE_K, 0x4000_0000, 0, 1),
        insn(RET_K, default, 0, 0),
    ];
    // A system call's rules with argument tests come before its unconditional ones (as
    // libseccomp orders them), so that a test refines what a plain rule says; and where
    // a profile gives one call two unconditional actions (containers-common's allows
    // `setns` in its main list and refuses it without CAP_SYS_ADMIN further down), the
    // one that refuses wins.
    let rules: Vec<&Rule> = profile.syscalls.iter().filter(|r| applies(r, caps)).collect();
    let plain = |r: &&&Rule| r.args.as_ref().is_none_or(|a| a.is_empty());
    let with_args = rules.iter().filter(|r| !plain(r));
    let refusing = rules.iter().filter(|r| plain(r) && r.action != "SCMP_ACT_ALLOW");
    let allowing = rules.iter().filter(|r| plain(r) && r.action == "SCMP_ACT_ALLOW");
    for rule in with_args.chain(refusing).chain(allowing) {
        let ret = action(&rule.action, rule.errno_ret, default_errno)?;
        for name in rule.names.iter().chain(rule.name.iter()) {
            let Some(nr) = super::syscalls::number(name) else { continue };
            let args = rule.args.as_deref().unwrap_or(&[]);
            if args.is_empty() {
                prog.push(insn(JEQ_K, nr, 0, 1));
                prog.push(insn(RET_K, ret, 0, 0));
                continue;
            }
            let mut block: Vec<Op> = Vec::new();
            for a in args {
                block.extend(compare(a)?);
            }
            // [JEQ nr, else over the block and the RET] block [RET] [LD nr]: a failed
            // test jumps to the LD, which puts the number back for the next rule.
            let len = block.len();
            let far = |n: usize| u8::try_from(n).map_err(|_| "a seccomp rule has too many argument tests".to_string());
            prog.push(insn(JEQ_K, nr, 0, far(len + 1)?));
            for (i, o) in block.into_iter().enumerate() {
                let resolve = |t: To| -> Result<u8, String> {
                    match t {
                        To::Next => Ok(0),
                        To::Fail => far(len - i),
                        To::Skip(n) => Ok(n),
                    }
                };
                prog.push(insn(o.code, o.k, resolve(o.jt)?, resolve(o.jf)?));
            }
            prog.push(insn(RET_K, ret, 0, 0));
            prog.push(insn(LD_W_ABS, 0, 0, 0));
        }
    }
    prog.push(insn(RET_K, default, 0, 0));
    if prog.len() > 4096 {
        return Err(format!("the seccomp profile compiles to {} instructions, more than the kernel's 4096", prog.len()));
    }
    Ok(prog)
}

/// The default profile's file: `BERTH_SECCOMP_PROFILE`, or the host's.
pub fn default_path() -> String {
    std::env::var("BERTH_SECCOMP_PROFILE").unwrap_or_else(|_| DEFAULT_PROFILE.to_string())
}

/// The default profile: the file [`default_path`] names, or [`builtin`] where there is
/// no such file (or it is `builtin`). A file that does not read is an error.
pub fn default_profile() -> Result<(Profile, String), String> {
    let path = default_path();
    if path == "builtin" || !std::path::Path::new(&path).exists() {
        return Ok((builtin(), "builtin".into()));
    }
    load(&path).map(|p| (p, path))
}

/// What no capability lets a container do: kernel facilities that are not namespaced
/// (keyrings, the old module and sysctl calls), and `io_uring`, which bypasses the
/// filter for the operations it carries.
const REFUSED: &[&str] = &["add_key", "keyctl", "request_key", "create_module", "get_kernel_syms", "query_module", "nfsservctl", "uselib", "_sysctl", "sysfs", "ustat", "vm86", "vm86old", "lookup_dcookie", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register"];

/// What only a capability lets a container do (as its capability checks in the kernel
/// would not hold in a user namespace of its own, or for state that is the host's).
const GATED: &[(&str, &[&str])] = &[
    ("CAP_SYS_ADMIN", &["mount", "umount2", "unshare", "setns", "pivot_root", "swapon", "swapoff", "quotactl", "quotactl_fd", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr", "bpf", "perf_event_open", "fanotify_init", "name_to_handle_at", "lsm_set_self_attr"]),
    ("CAP_SYS_BOOT", &["reboot", "kexec_load", "kexec_file_load"]),
    ("CAP_SYS_MODULE", &["init_module", "finit_module", "delete_module"]),
    ("CAP_SYS_TIME", &["settimeofday", "clock_settime"]),
    ("CAP_SYS_RAWIO", &["iopl", "ioperm"]),
    ("CAP_SYS_NICE", &["get_mempolicy", "set_mempolicy", "mbind", "move_pages", "set_mempolicy_home_node"]),
    ("CAP_SYS_PACCT", &["acct"]),
    ("CAP_DAC_READ_SEARCH", &["open_by_handle_at"]),
    ("CAP_SYSLOG", &["syslog"]),
];

/// Berth's own default profile, for a host without containers-common. It is written
/// the other way round from Docker's: everything is allowed except what the table of
/// Docker's documentation ("significant syscalls blocked by the default profile") says
/// its profile blocks, so a system call newer than this list is allowed where Docker's
/// allowlist would refuse it. Refused calls get `EPERM`; `clone` with a namespace flag
/// and `clone3` (whose flags a filter cannot read; `ENOSYS` makes the C library fall
/// back to `clone`) need `CAP_SYS_ADMIN`, as in Docker's.
pub fn builtin() -> Profile {
    let deny = |names: &[&str], args: Option<Vec<Arg>>, errno: Option<u32>, without: Option<&str>| Rule {
        names: names.iter().map(|n| n.to_string()).collect(),
        name: None,
        action: "SCMP_ACT_ERRNO".into(),
        args,
        errno_ret: errno,
        includes: None,
        excludes: without.map(|cap| Filter { caps: vec![cap.to_string()], ..Filter::default() }),
    };
    let mut syscalls = vec![deny(REFUSED, None, None, None)];
    for (cap, names) in GATED {
        syscalls.push(deny(names, None, None, Some(cap)));
    }
    // CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: one rule each.
    for flag in [0x0002_0000u64, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000] {
        syscalls.push(deny(&["clone"], Some(vec![Arg { index: 0, value: flag, value_two: flag, op: "SCMP_CMP_MASKED_EQ".into() }]), None, Some("CAP_SYS_ADMIN")));
    }
    syscalls.push(deny(&["clone3"], None, Some(libc::ENOSYS as u32), Some("CAP_SYS_ADMIN")));
    Profile { default_action: "SCMP_ACT_ALLOW".into(), default_errno_ret: None, syscalls }
}

/// Reads a profile (JSON), naming the file in the error.
pub fn load(path: &str) -> Result<Profile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("opening seccomp profile ({path}) failed: {e}"))?;
    parse(&text).map_err(|e| format!("Decoding seccomp profile failed: {path}: {e}"))
}

pub fn parse(text: &str) -> Result<Profile, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// A profile as a spec carries it (`linux.seccomp`).
pub fn from_value(value: &serde_json::Value) -> Result<Profile, String> {
    Profile::deserialize(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `prog` as the kernel would for a system call `nr` with `args`.
    fn eval(prog: &[Insn], nr: u32, args: [u64; 6]) -> u32 {
        let mut data = [0u8; 64];
        data[..4].copy_from_slice(&nr.to_le_bytes());
        data[4..8].copy_from_slice(&AUDIT_ARCH_X86_64.to_le_bytes());
        for (i, a) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
        }
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                LD_W_ABS => a = u32::from_le_bytes(data[i.k as usize..i.k as usize + 4].try_into().unwrap()),
                AND_K => a &= i.k,
                JEQ_K => pc += if a == i.k { i.jt } else { i.jf } as usize,
                JGE_K => pc += if a >= i.k { i.jt } else { i.jf } as usize,
                RET_K => return i.k,
                other => panic!("unknown instruction {other:#x}"),
            }
        }
    }

    #[test]
    fn profiles_compile_to_programs_that_decide_as_the_profile_says() {
        let profile = parse(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[
                {"names":["read","write","not_on_x86_64"],"action":"SCMP_ACT_ALLOW"},
                {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
                {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
                {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
                {"names":["kexec_load"],"action":"SCMP_ACT_ERRNO","errnoRet":38}
            ]}"#,
        )
        .unwrap();
        let prog = compile(&profile, &["CAP_CHOWN".into()]).unwrap();
        let nr = |n: &str| super::super::syscalls::number(n).unwrap();
        assert_eq!(eval(&prog, nr("read"), [0; 6]), RET_ALLOW);
        assert_eq!(eval(&prog, nr("ptrace"), [0; 6]), RET_ERRNO | 1, "the default: EPERM");
        assert_eq!(eval(&prog, nr("personality"), [8, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(eval(&prog, nr("personality"), [9, 0, 0, 0, 0, 0]), RET_ERRNO | 1);
        assert_eq!(eval(&prog, nr("personality"), [8 | (1 << 32), 0, 0, 0, 0, 0]), RET_ERRNO | 1, "the high word counts");
        // clone without namespace flags is allowed; with CLONE_NEWUSER it is not.
        assert_eq!(eval(&prog, nr("clone"), [0x11, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(eval(&prog, nr("clone"), [0x1000_0000, 0, 0, 0, 0, 0]), RET_ERRNO | 1);
        assert_eq!(eval(&prog, nr("mount"), [0; 6]), RET_ERRNO | 1, "only with CAP_SYS_ADMIN");
        let admin = compile(&profile, &["CAP_SYS_ADMIN".into()]).unwrap();
        assert_eq!(eval(&admin, nr("mount"), [0; 6]), RET_ALLOW);
        assert_eq!(eval(&prog, nr("kexec_load"), [0; 6]), RET_ERRNO | 38);
        // NE: allowed unless the argument is the value.
        let ne = parse(r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":16,"op":"SCMP_CMP_NE"}]}]}"#).unwrap();
        let ne = compile(&ne, &[]).unwrap();
        assert_eq!(eval(&ne, nr("socket"), [16, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(eval(&ne, nr("socket"), [2, 0, 0, 0, 0, 0]), RET_ERRNO | 1);
        assert_eq!(eval(&ne, nr("socket"), [16 | (1 << 32), 0, 0, 0, 0, 0]), RET_ERRNO | 1);
        assert!(parse("{").is_err());
        assert!(compile(&parse(r#"{"defaultAction":"SCMP_ACT_NOPE"}"#).unwrap(), &[]).unwrap_err().contains("SCMP_ACT_NOPE"));
    }

    #[test]
    fn berths_own_profile_refuses_what_dockers_blocks_unless_a_capability_allows_it() {
        let defaults: Vec<String> = crate::runtime::spec::DEFAULT_CAPABILITIES.iter().map(|c| format!("CAP_{c}")).collect();
        let prog = compile(&builtin(), &defaults).unwrap();
        let nr = |n: &str| super::super::syscalls::number(n).unwrap();
        for allowed in ["openat", "read", "ptrace", "sethostname", "chown"] {
            assert_eq!(eval(&prog, nr(allowed), [0; 6]), RET_ALLOW, "{allowed}");
        }
        for refused in ["keyctl", "add_key", "io_uring_setup", "mount", "unshare", "setns", "kexec_load", "init_module", "settimeofday", "bpf", "open_by_handle_at"] {
            assert_eq!(eval(&prog, nr(refused), [0; 6]), RET_ERRNO | libc::EPERM as u32, "{refused}");
        }
        // clone: a thread or a fork is fine, a new namespace is not; clone3 falls back.
        assert_eq!(eval(&prog, nr("clone"), [0x003d_0f00, 0, 0, 0, 0, 0]), RET_ALLOW, "pthread_create's flags");
        assert_eq!(eval(&prog, nr("clone"), [0x1000_0000 | 17, 0, 0, 0, 0, 0]), RET_ERRNO | libc::EPERM as u32, "CLONE_NEWUSER");
        assert_eq!(eval(&prog, nr("clone3"), [0; 6]), RET_ERRNO | libc::ENOSYS as u32);
        // --cap-add SYS_ADMIN, SYS_TIME: what those capabilities gate is allowed.
        let mut more = defaults.clone();
        more.extend(["CAP_SYS_ADMIN".to_string(), "CAP_SYS_TIME".to_string()]);
        let prog = compile(&builtin(), &more).unwrap();
        for allowed in ["mount", "unshare", "setns", "settimeofday", "clone3"] {
            assert_eq!(eval(&prog, nr(allowed), [0; 6]), RET_ALLOW, "{allowed} with its capability");
        }
        assert_eq!(eval(&prog, nr("clone"), [0x1000_0000 | 17, 0, 0, 0, 0, 0]), RET_ALLOW);
        assert_eq!(eval(&prog, nr("keyctl"), [0; 6]), RET_ERRNO | libc::EPERM as u32, "no capability allows the keyring");
    }

    #[test]
    fn the_hosts_default_profile_compiles_where_there_is_one() {
        let Ok(profile) = load(DEFAULT_PROFILE) else {
            println!("{DEFAULT_PROFILE} is not on this host; skipped");
            return;
        };
        let caps: Vec<String> = crate::runtime::spec::DEFAULT_CAPABILITIES.iter().map(|c| format!("CAP_{c}")).collect();
        let prog = compile(&profile, &caps).unwrap();
        let nr = |n: &str| super::super::syscalls::number(n).unwrap();
        assert_eq!(eval(&prog, nr("openat"), [0; 6]), RET_ALLOW);
        assert_ne!(eval(&prog, nr("kexec_load"), [0; 6]), RET_ALLOW);
        assert_ne!(eval(&prog, nr("setns"), [0; 6]), RET_ALLOW, "no CAP_SYS_ADMIN by default");
        assert_ne!(eval(&prog, nr("open_by_handle_at"), [0; 6]), RET_ALLOW);
    }
}
