//! File applets: `cat`, `ls`, `mkdir`, `rm`, `cp`, `mv`, `ln`, `touch`, `chmod`, `chown`,
//! `stat`, `find`, `du`, `df`, `basename`, `dirname`, `readlink`, `realpath`, `mktemp`,
//! `tar`, `gzip`/`gunzip`/`zcat`, `tee`, `install`.

use std::io::{Read, Write};

use super::{split_flags, Ctx};
use crate::vfs::{join, walk, Attrs, Content, Errno, FileSystem, FileType, Metadata};

pub fn run(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    match name {
        "cat" => cat(args, ctx),
        "ls" => ls(args, ctx),
        "mkdir" => mkdir(args, ctx),
        "rmdir" => rmdir(args, ctx),
        "rm" => rm(args, ctx),
        "cp" | "install" => cp(name, args, ctx),
        "mv" => mv(args, ctx),
        "ln" => ln(args, ctx),
        "touch" => touch(args, ctx),
        "chmod" => chmod(args, ctx),
        "chown" | "chgrp" => chown(name, args, ctx),
        "stat" => stat(args, ctx),
        "find" => find(args, ctx),
        "du" => du(args, ctx),
        "df" => df(args, ctx),
        "basename" => basename(args, ctx),
        "dirname" => dirname(args, ctx),
        "readlink" | "realpath" => readlink(name, args, ctx),
        "mktemp" => mktemp(args, ctx),
        "tar" => tar(args, ctx),
        "tee" => tee(args, ctx),
        _ => gzip(name, args, ctx),
    }
}

fn cat(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let (inputs, status) = ctx.inputs("cat", &p.operands);
    let number = p.has('n');
    let mut n = 1;
    for (_, data) in inputs {
        if number {
            let text = String::from_utf8_lossy(&data).into_owned();
            for line in text.split_inclusive('\n') {
                ctx.out(&format!("{n:>6}\t{line}"));
                n += 1;
            }
        } else {
            ctx.stdout.extend_from_slice(&data);
        }
    }
    status
}

fn mode_string(m: &Metadata) -> String {
    let t = match m.kind {
        FileType::Dir => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
        FileType::File => '-',
    };
    let mut s = String::from(t);
    for shift in [6, 3, 0] {
        let bits = (m.mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let special = match shift {
            6 => m.mode & 0o4000 != 0,
            3 => m.mode & 0o2000 != 0,
            _ => m.mode & 0o1000 != 0,
        };
        s.push(match (bits & 1 != 0, special, shift) {
            (true, true, 0) => 't',
            (false, true, 0) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => 'x',
            (false, false, _) => '-',
        });
    }
    s
}

/// The user or group name for an ID, from the container's `/etc/passwd` or `/etc/group`.
pub fn name_of(fs: &dyn FileSystem, file: &str, id: u32) -> String {
    fs.read(file)
        .ok()
        .and_then(|b| {
            String::from_utf8_lossy(&b).lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2).and_then(|x| x.parse::<u32>().ok()) == Some(id)).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

/// The ID for a user or group name (or a number).
pub fn id_of(fs: &dyn FileSystem, file: &str, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    let b = fs.read(file).ok()?;
    String::from_utf8_lossy(&b).lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name)).then(|| f.get(2).and_then(|x| x.parse().ok())).flatten()
    })
}

pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{:.1}{}", (v * 10.0).ceil() / 10.0, UNITS[unit - 1])
    } else {
        format!("{}{}", v.ceil() as u64, UNITS[unit - 1])
    }
}

fn date_string(mtime: i64) -> String {
    let s = crate::time::rfc3339(mtime);
    // "2024-10-01T00:00:00Z" → "Oct  1 00:00"
    let months = crate::time::MONTHS;
    let m: usize = s[5..7].parse().unwrap_or(1);
    let d: u32 = s[8..10].parse().unwrap_or(1);
    format!("{} {d:>2} {}", months[m.saturating_sub(1).min(11)], &s[11..16])
}

fn ls(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let long = p.has('l');
    let all = p.has('a');
    let almost = p.has('A');
    let human_sizes = p.has('h');
    let recursive = p.has('R');
    let dir_only = p.has('d');
    // Without a terminal, ls prints one name per line (as when piped); -C asks for columns.
    let one = !p.has('C');
    let mut targets = p.operands.clone();
    if targets.is_empty() {
        targets.push(".".into());
    }
    let mut status = 0;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for t in &targets {
        let path = ctx.path(t);
        match ctx.fs.stat(&path).or_else(|_| ctx.fs.lstat(&path)) {
            Ok(m) if m.is_dir() && !dir_only => dirs.push(t.clone()),
            Ok(_) => files.push(t.clone()),
            Err(e) => {
                status = 2;
                let msg = if ctx.busybox { format!("ls: {t}: {}\n", e.errno.message()) } else { format!("ls: cannot access '{t}': {}\n", e.errno.message()) };
                ctx.err(&msg);
            }
        }
    }
    let entry_line = |ctx: &mut Ctx, dir: &str, name: &str| -> String {
        let path = join(&join(&ctx.cwd, dir), name);
        let Ok(m) = ctx.fs.lstat(&path) else { return name.to_string() };
        if !long {
            return name.to_string();
        }
        let user = name_of(&*ctx.fs, "/etc/passwd", m.uid);
        let group = name_of(&*ctx.fs, "/etc/group", m.gid);
        // A device shows its numbers where a file shows its size.
        let size = match m.kind {
            FileType::CharDevice | FileType::BlockDevice => format!("{}, {:>3}", m.rdev >> 8, m.rdev & 0xff),
            _ if human_sizes => human(m.size),
            _ => m.size.to_string(),
        };
        let link = if m.is_symlink() { format!(" -> {}", ctx.fs.read_link(&path).unwrap_or_default()) } else { String::new() };
        format!("{} {} {user} {group} {size:>5} {} {name}{link}", mode_string(&m), m.nlink, date_string(m.mtime))
    };
    let mut lines = Vec::new();
    for f in &files {
        lines.push(entry_line(ctx, ".", f));
    }
    let print_lines = |ctx: &mut Ctx, lines: &mut Vec<String>| {
        if lines.is_empty() {
            return;
        }
        if one {
            for l in lines.iter() {
                ctx.out(&format!("{l}\n"));
            }
        } else {
            ctx.out(&format!("{}\n", lines.join("  ")));
        }
        lines.clear();
    };
    print_lines(ctx, &mut lines);
    let multiple = targets.len() > 1 || recursive;
    let mut queue: Vec<String> = dirs;
    let mut first = files.is_empty();
    while !queue.is_empty() {
        let d = queue.remove(0);
        let path = ctx.path(&d);
        let entries = match ctx.fs.read_dir(&path) {
            Ok(e) => e,
            Err(e) => {
                status = 2;
                ctx.err(&format!("ls: cannot open directory '{d}': {}\n", e.errno.message()));
                continue;
            }
        };
        if multiple {
            if !first {
                ctx.out("\n");
            }
            ctx.out(&format!("{d}:\n"));
        }
        first = false;
        let mut names: Vec<String> = entries.iter().map(|e| e.name.clone()).filter(|n| all || almost || !n.starts_with('.')).collect();
        if all {
            names.insert(0, "..".into());
            names.insert(0, ".".into());
        }
        if long {
            let total: u64 = names.iter().filter_map(|n| ctx.fs.lstat(&join(&path, n)).ok()).map(|m| m.size.div_ceil(1024)).sum();
            ctx.out(&format!("total {total}\n"));
        }
        for n in &names {
            lines.push(entry_line(ctx, &d, n));
        }
        print_lines(ctx, &mut lines);
        if recursive {
            let mut sub: Vec<String> = entries
                .iter()
                .filter(|e| e.kind == FileType::Dir && (all || almost || !e.name.starts_with('.')))
                .map(|e| if d == "." { format!("./{}", e.name) } else { format!("{}/{}", d.trim_end_matches('/'), e.name) })
                .collect();
            sub.append(&mut queue);
            queue = sub;
        }
    }
    status
}

fn mkdir(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut parents = false;
    let mut mode = 0o755;
    let mut dirs = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-p" | "--parents" => parents = true,
            "-m" => {
                mode = args.get(i + 1).and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0o755);
                i += 1;
            }
            a if a.starts_with("-m") => mode = u32::from_str_radix(&a[2..], 8).unwrap_or(0o755),
            "-v" => {}
            a => dirs.push(a.to_string()),
        }
        i += 1;
    }
    if dirs.is_empty() {
        return ctx.fail("mkdir", "missing operand\nTry 'mkdir --help' for more information.", 1);
    }
    let mut status = 0;
    for d in dirs {
        let path = ctx.path(&d);
        let r = if parents { ctx.fs.create_dir_all(&path, mode) } else { ctx.fs.create_dir(&path, mode) };
        if let Err(e) = r {
            let verb = if ctx.busybox { "can't" } else { "cannot" };
            status = ctx.fail("mkdir", &format!("{verb} create directory '{d}': {}", e.errno.message()), 1);
        } else if let (Some(uid), Some(gid)) = (Some(ctx.uid), Some(ctx.gid)) {
            let _ = ctx.fs.set_owner(&path, uid, gid);
        }
    }
    status
}

fn rmdir(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let mut status = 0;
    for d in &p.operands {
        if let Err(e) = ctx.fs.remove_dir(&ctx.path(d)) {
            status = ctx.fail("rmdir", &format!("failed to remove '{d}': {}", e.errno.message()), 1);
        }
    }
    status
}

fn rm(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let recursive = p.has('r') || p.has('R') || p.has_long("recursive");
    let force = p.has('f') || p.has_long("force");
    if p.operands.is_empty() && !force {
        return ctx.fail("rm", "missing operand\nTry 'rm --help' for more information.", 1);
    }
    let mut status = 0;
    for f in &p.operands {
        let path = ctx.path(f);
        let meta = match ctx.fs.lstat(&path) {
            Ok(m) => m,
            Err(e) => {
                if !force {
                    status = ctx.fail("rm", &format!("{} remove '{f}': {}", if ctx.busybox { "can't" } else { "cannot" }, e.errno.message()), 1);
                }
                continue;
            }
        };
        if path == "/" && recursive {
            status = ctx.fail("rm", "it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe", 1);
            continue;
        }
        let r = if meta.is_dir() {
            if !recursive {
                status = ctx.fail("rm", &format!("{} remove '{f}': Is a directory", if ctx.busybox { "can't" } else { "cannot" }), 1);
                continue;
            }
            ctx.fs.remove_all(&path)
        } else {
            ctx.fs.remove_file(&path)
        };
        if let Err(e) = r {
            status = ctx.fail("rm", &format!("{} remove '{f}': {}", if ctx.busybox { "can't" } else { "cannot" }, e.errno.message()), 1);
        }
    }
    status
}

fn copy_any(ctx: &mut Ctx, src: &str, dst: &str, recursive: bool, preserve: bool) -> Result<(), String> {
    let meta = ctx.fs.stat(src).map_err(|e| e.errno.message().to_string())?;
    if meta.is_dir() {
        if !recursive {
            return Err("-r not specified; omitting directory".into());
        }
        // Copy through a temporary in-memory snapshot: both paths are in the same fs.
        let mut snapshot = crate::vfs::MemoryFs::new();
        walk::copy_tree(&*ctx.fs, src, &mut snapshot, "/x").map_err(|e| e.errno.message().to_string())?;
        walk::copy_tree(&snapshot, "/x", ctx.fs, dst).map_err(|e| e.errno.message().to_string())?;
        return Ok(());
    }
    let content = ctx.fs.content(src).map_err(|e| e.errno.message().to_string())?;
    let attrs = if preserve {
        Attrs { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime }
    } else {
        Attrs { mode: meta.mode, uid: ctx.uid, gid: ctx.gid, mtime: meta.mtime }
    };
    ctx.fs.put_file(dst, content, attrs).map_err(|e| e.errno.message().to_string())
}

fn cp(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let recursive = p.has('r') || p.has('R') || p.has('a') || p.has_long("recursive");
    let preserve = p.has('a') || p.has('p');
    if p.operands.len() < 2 {
        let msg = if p.operands.is_empty() { "missing file operand".to_string() } else { format!("missing destination file operand after '{}'", p.operands[0]) };
        return ctx.fail(name, &format!("{msg}\nTry '{name} --help' for more information."), 1);
    }
    let (dest, sources) = p.operands.split_last().unwrap_or((&p.operands[0], &[]));
    let dest_path = ctx.path(dest);
    let dest_is_dir = ctx.fs.stat(&dest_path).is_ok_and(|m| m.is_dir());
    if sources.len() > 1 && !dest_is_dir {
        return ctx.fail(name, &format!("target '{dest}' is not a directory"), 1);
    }
    let mut status = 0;
    for s in sources {
        let src = ctx.path(s);
        let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
        let target = if dest_is_dir { join(&dest_path, base) } else { dest_path.clone() };
        if let Err(msg) = copy_any(ctx, &src, &target, recursive, preserve) {
            let text = if msg.starts_with("-r") { format!("{msg} '{s}'") } else { format!("cannot stat '{s}': {msg}") };
            status = ctx.fail(name, &text, 1);
        }
    }
    status
}

fn mv(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    if p.operands.len() < 2 {
        return ctx.fail("mv", "missing file operand\nTry 'mv --help' for more information.", 1);
    }
    let (dest, sources) = p.operands.split_last().unwrap_or((&p.operands[0], &[]));
    let dest_path = ctx.path(dest);
    let dest_is_dir = ctx.fs.stat(&dest_path).is_ok_and(|m| m.is_dir());
    let mut status = 0;
    for s in sources {
        let src = ctx.path(s);
        let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
        let target = if dest_is_dir { join(&dest_path, base) } else { dest_path.clone() };
        if let Err(e) = ctx.fs.rename(&src, &target) {
            let msg = match e.errno {
                Errno::ENOENT => format!("cannot stat '{s}': No such file or directory"),
                other => format!("cannot move '{s}' to '{dest}': {}", other.message()),
            };
            status = ctx.fail("mv", &msg, 1);
        }
    }
    status
}

fn ln(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let symbolic = p.has('s');
    let force = p.has('f');
    if p.operands.is_empty() {
        return ctx.fail("ln", "missing file operand", 1);
    }
    let (target, link) = if p.operands.len() == 1 {
        (p.operands[0].clone(), p.operands[0].rsplit('/').next().unwrap_or("").to_string())
    } else {
        (p.operands[0].clone(), p.operands[1].clone())
    };
    let mut link_path = ctx.path(&link);
    if ctx.fs.stat(&link_path).is_ok_and(|m| m.is_dir()) && !p.has('n') {
        link_path = join(&link_path, target.rsplit('/').next().unwrap_or(&target));
    }
    if force {
        let _ = ctx.fs.remove_file(&link_path);
    }
    let r = if symbolic { ctx.fs.symlink(&target, &link_path) } else { ctx.fs.hard_link(&ctx.path(&target), &link_path) };
    match r {
        Ok(()) => 0,
        Err(e) => {
            let what = if symbolic { "symbolic link" } else { "hard link" };
            ctx.fail("ln", &format!("failed to create {what} '{link}': {}", e.errno.message()), 1)
        }
    }
}

fn touch(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let mut status = 0;
    for f in &p.operands {
        let path = ctx.path(f);
        if ctx.fs.exists(&path) {
            continue;
        }
        let attrs = Attrs { mode: 0o644, uid: ctx.uid, gid: ctx.gid, mtime: 0 };
        if let Err(e) = ctx.fs.put_file(&path, Content::data(Vec::new()), attrs) {
            status = ctx.fail("touch", &format!("cannot touch '{f}': {}", e.errno.message()), 1);
        }
    }
    status
}

pub fn apply_mode(spec: &str, current: u32, is_dir: bool) -> Option<u32> {
    if let Ok(n) = u32::from_str_radix(spec, 8) {
        return Some(n);
    }
    let mut mode = current;
    for clause in spec.split(',') {
        let who_end = clause.find(['+', '-', '=']).unwrap_or(clause.len());
        let who = &clause[..who_end];
        let who_mask = if who.is_empty() || who.contains('a') {
            0o777
        } else {
            (if who.contains('u') { 0o700 } else { 0 }) | (if who.contains('g') { 0o070 } else { 0 }) | (if who.contains('o') { 0o007 } else { 0 })
        };
        let op = clause[who_end..].chars().next()?;
        let perms = &clause[who_end + 1..];
        let mut bits = 0;
        for c in perms.chars() {
            bits |= match c {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                'X' if is_dir || current & 0o111 != 0 => 0o111,
                'X' => 0,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        let bits = bits & (who_mask | 0o7000);
        mode = match op {
            '+' => mode | bits,
            '-' => mode & !bits,
            _ => (mode & !who_mask) | bits,
        };
    }
    Some(mode)
}

fn chmod(args: &[String], ctx: &mut Ctx) -> i32 {
    let recursive = args.iter().any(|a| a == "-R");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "-R").collect();
    let Some((spec, files)) = rest.split_first() else { return ctx.fail("chmod", "missing operand", 1) };
    if files.is_empty() {
        return ctx.fail("chmod", &format!("missing operand after '{spec}'"), 1);
    }
    let mut status = 0;
    for f in files {
        let path = ctx.path(f);
        let mut targets = vec![path.clone()];
        if recursive {
            if let Ok(entries) = walk::walk(&*ctx.fs, &path) {
                targets.extend(entries.into_iter().filter(|(_, m)| !m.is_symlink()).map(|(r, _)| join(&path, &r)));
            }
        }
        for t in targets {
            match ctx.fs.stat(&t) {
                Ok(m) => match apply_mode(spec, m.mode, m.is_dir()) {
                    Some(mode) => {
                        let _ = ctx.fs.set_mode(&t, mode);
                    }
                    None => return ctx.fail("chmod", &format!("invalid mode: '{spec}'"), 1),
                },
                Err(e) => status = ctx.fail("chmod", &format!("cannot access '{f}': {}", e.errno.message()), 1),
            }
        }
    }
    status
}

fn chown(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let recursive = args.iter().any(|a| a == "-R");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some((spec, files)) = rest.split_first() else { return ctx.fail(name, "missing operand", 1) };
    let (user, group) = if name == "chgrp" {
        (None, Some(spec.to_string()))
    } else {
        match spec.split_once([':', '.']) {
            Some((u, g)) => (Some(u.to_string()).filter(|u| !u.is_empty()), Some(g.to_string()).filter(|g| !g.is_empty())),
            None => (Some(spec.to_string()), None),
        }
    };
    let uid = match &user {
        Some(u) => match id_of(&*ctx.fs, "/etc/passwd", u) {
            Some(id) => Some(id),
            None => return ctx.fail(name, &format!("invalid user: '{spec}'"), 1),
        },
        None => None,
    };
    let gid = match &group {
        Some(g) => match id_of(&*ctx.fs, "/etc/group", g) {
            Some(id) => Some(id),
            None => return ctx.fail(name, &format!("invalid group: '{spec}'"), 1),
        },
        None => None,
    };
    if ctx.uid != 0 {
        return ctx.fail(name, &format!("changing ownership of '{}': Operation not permitted", files.first().map_or("", |s| s.as_str())), 1);
    }
    let mut status = 0;
    for f in files {
        let path = ctx.path(f);
        let mut targets = vec![path.clone()];
        if recursive {
            if let Ok(entries) = walk::walk(&*ctx.fs, &path) {
                targets.extend(entries.into_iter().map(|(r, _)| join(&path, &r)));
            }
        }
        for t in targets {
            match ctx.fs.lstat(&t) {
                Ok(m) => {
                    let _ = ctx.fs.set_owner(&t, uid.unwrap_or(m.uid), gid.unwrap_or(m.gid));
                }
                Err(e) => status = ctx.fail(name, &format!("cannot access '{f}': {}", e.errno.message()), 1),
            }
        }
    }
    status
}

fn stat_format(fmt: &str, f: &str, m: &Metadata, fs: &dyn FileSystem) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut width = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(*d);
            chars.next();
        }
        let v = match chars.next() {
            Some('U') => name_of(fs, "/etc/passwd", m.uid),
            Some('G') => name_of(fs, "/etc/group", m.gid),
            Some('u') => m.uid.to_string(),
            Some('g') => m.gid.to_string(),
            Some('a') => format!("{:o}", m.mode),
            Some('A') => mode_string(m),
            Some('s') => m.size.to_string(),
            Some('n') => f.to_string(),
            Some('h') => m.nlink.to_string(),
            Some('i') => m.ino.to_string(),
            Some('Y') => m.mtime.to_string(),
            Some('F') => match m.kind {
                FileType::Dir => "directory".into(),
                FileType::Symlink => "symbolic link".into(),
                FileType::File if m.size == 0 => "regular empty file".into(),
                _ => "regular file".into(),
            },
            Some('%') => "%".into(),
            Some(o) => format!("%{o}"),
            None => "%".into(),
        };
        if width.starts_with('0') && width.len() > 1 {
            let w: usize = width.parse().unwrap_or(0);
            out.push_str(&format!("{v:0>w$}"));
        } else if let Ok(w) = width.parse::<usize>() {
            out.push_str(&format!("{v:>w$}"));
        } else {
            out.push_str(&v);
        }
    }
    out
}

fn stat(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut format = None;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-c" | "--format" => {
                format = args.get(i + 1).cloned();
                i += 1;
            }
            a if a.starts_with("--format=") => format = Some(a["--format=".len()..].to_string()),
            a if a.starts_with('-') => {}
            a => files.push(a.to_string()),
        }
        i += 1;
    }
    let mut status = 0;
    for f in &files {
        let path = ctx.path(f);
        if let Some(fmt) = &format {
            match ctx.fs.stat(&path) {
                Ok(m) => {
                    let line = stat_format(fmt, f, &m, &*ctx.fs);
                    ctx.out(&format!("{line}\n"));
                }
                Err(e) => status = ctx.fail("stat", &format!("cannot statx '{f}': {}", e.errno.message()), 1),
            }
            continue;
        }
        match ctx.fs.lstat(&path) {
            Ok(m) => {
                let kind = match m.kind {
                    FileType::Dir => "directory",
                    FileType::Symlink => "symbolic link",
                    FileType::File if m.size == 0 => "regular empty file",
                    FileType::File => "regular file",
                    FileType::CharDevice => "character special file",
                    FileType::BlockDevice => "block special file",
                    FileType::Fifo => "fifo",
                    FileType::Socket => "socket",
                };
                let user = name_of(&*ctx.fs, "/etc/passwd", m.uid);
                let group = name_of(&*ctx.fs, "/etc/group", m.gid);
                let time = crate::time::rfc3339(m.mtime).replace('T', " ").replace('Z', ".000000000 +0000");
                ctx.out(&format!(
                    "  File: {f}\n  Size: {:<15} Blocks: {:<10} IO Block: 4096   {kind}\nDevice: 0,0\tInode: {:<11} Links: {}\nAccess: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\nModify: {time}\n",
                    m.size,
                    m.size.div_ceil(512),
                    m.ino,
                    m.nlink,
                    m.mode,
                    mode_string(&m),
                    m.uid,
                    user,
                    m.gid,
                    group
                ));
            }
            Err(e) => status = ctx.fail("stat", &format!("cannot statx '{f}': {}", e.errno.message()), 1),
        }
    }
    status
}

fn find(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut roots = Vec::new();
    let mut i = 0;
    while i < args.len() && !args[i].starts_with('-') {
        roots.push(args[i].clone());
        i += 1;
    }
    if roots.is_empty() {
        roots.push(".".into());
    }
    let mut name_pat: Option<(Vec<super::super::pattern::Pat>, bool)> = None;
    let mut kind: Option<char> = None;
    let mut maxdepth = usize::MAX;
    let mut mindepth = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-name" | "-iname" => {
                let ci = args[i] == "-iname";
                let pat = args.get(i + 1).cloned().unwrap_or_default();
                let pat = if ci { pat.to_lowercase() } else { pat };
                name_pat = Some((super::super::pattern::compile_str(&pat), ci));
                i += 2;
            }
            "-type" => {
                kind = args.get(i + 1).and_then(|t| t.chars().next());
                i += 2;
            }
            "-maxdepth" => {
                maxdepth = args.get(i + 1).and_then(|d| d.parse().ok()).unwrap_or(usize::MAX);
                i += 2;
            }
            "-mindepth" => {
                mindepth = args.get(i + 1).and_then(|d| d.parse().ok()).unwrap_or(0);
                i += 2;
            }
            "-print" => i += 1,
            other => return ctx.fail("find", &format!("unknown predicate `{other}'"), 1),
        }
    }
    let mut status = 0;
    for root in roots {
        let path = ctx.path(&root);
        let meta = match ctx.fs.lstat(&path) {
            Ok(m) => m,
            Err(e) => {
                status = ctx.fail("find", &format!("'{root}': {}", e.errno.message()), 1);
                continue;
            }
        };
        let mut entries = vec![(root.clone(), meta.clone(), 0usize)];
        if meta.is_dir() {
            if let Ok(w) = walk::walk(&*ctx.fs, &path) {
                let prefix = root.trim_end_matches('/');
                for (rel, m) in w {
                    let depth = rel.split('/').count();
                    let shown = if prefix.is_empty() { format!("/{rel}") } else { format!("{prefix}/{rel}") };
                    entries.push((shown, m, depth));
                }
            }
        }
        for (shown, m, depth) in entries {
            if depth > maxdepth || depth < mindepth {
                continue;
            }
            if let Some(k) = kind {
                let ok = match k {
                    'f' => m.kind == FileType::File,
                    'd' => m.kind == FileType::Dir,
                    'l' => m.kind == FileType::Symlink,
                    _ => false,
                };
                if !ok {
                    continue;
                }
            }
            if let Some((pat, ci)) = &name_pat {
                let base = shown.trim_end_matches('/').rsplit('/').next().unwrap_or(&shown);
                let base = if *ci { base.to_lowercase() } else { base.to_string() };
                if !super::super::pattern::matches(pat, &base) {
                    continue;
                }
            }
            ctx.out(&format!("{shown}\n"));
        }
    }
    status
}

fn usage_of(fs: &dyn FileSystem, path: &str) -> u64 {
    match fs.lstat(path) {
        Ok(m) if m.is_dir() => 4096 + walk::walk(fs, path).map(|w| w.iter().map(|(_, m)| if m.is_dir() { 4096 } else { m.size.div_ceil(4096) * 4096 }).sum()).unwrap_or(0),
        Ok(m) => m.size.div_ceil(4096) * 4096,
        Err(_) => 0,
    }
}

fn du(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let summarize = p.has('s');
    let human_sizes = p.has('h');
    let mut targets = p.operands.clone();
    if targets.is_empty() {
        targets.push(".".into());
    }
    let show = |bytes: u64| if human_sizes { human(bytes) } else { bytes.div_ceil(1024).to_string() };
    let mut status = 0;
    for t in targets {
        let path = ctx.path(&t);
        if !ctx.fs.exists(&path) {
            status = ctx.fail("du", &format!("cannot access '{t}': No such file or directory"), 1);
            continue;
        }
        if !summarize {
            if let Ok(w) = walk::walk(&*ctx.fs, &path) {
                for (rel, m) in w.iter().filter(|(_, m)| m.is_dir()) {
                    let _ = m;
                    let sub = join(&path, rel);
                    let size = usage_of(&*ctx.fs, &sub);
                    ctx.out(&format!("{}\t{}/{rel}\n", show(size), t.trim_end_matches('/')));
                }
            }
        }
        let size = usage_of(&*ctx.fs, &path);
        ctx.out(&format!("{}\t{t}\n", show(size)));
    }
    status
}

fn df(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let total: u64 = 62_000_000_000;
    let used = usage_of(&*ctx.fs, "/");
    if p.has('h') {
        ctx.out(&format!("Filesystem      Size  Used Avail Use% Mounted on\noverlay          {}  {}  {} {:>3}% /\n", human(total), human(used), human(total - used), used * 100 / total));
    } else {
        ctx.out(&format!("Filesystem     1K-blocks    Used Available Use% Mounted on\noverlay         {} {:>7} {} {:>3}% /\n", total / 1024, used / 1024, (total - used) / 1024, used * 100 / total));
    }
    0
}

fn basename(args: &[String], ctx: &mut Ctx) -> i32 {
    let Some(path) = args.first() else { return ctx.fail("basename", "missing operand", 1) };
    let trimmed = path.trim_end_matches('/');
    let mut base = if trimmed.is_empty() && path.starts_with('/') { "/".to_string() } else { trimmed.rsplit('/').next().unwrap_or("").to_string() };
    if let Some(suffix) = args.get(1) {
        if base != *suffix {
            if let Some(b) = base.strip_suffix(suffix.as_str()) {
                base = b.to_string();
            }
        }
    }
    ctx.out(&format!("{base}\n"));
    0
}

fn dirname(args: &[String], ctx: &mut Ctx) -> i32 {
    let Some(path) = args.first() else { return ctx.fail("dirname", "missing operand", 1) };
    let trimmed = path.trim_end_matches('/');
    let dir = match trimmed.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => trimmed[..i].trim_end_matches('/').to_string(),
        None if path.starts_with('/') => "/".to_string(),
        None => ".".to_string(),
    };
    ctx.out(&format!("{dir}\n"));
    0
}

fn readlink(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let canonical = name == "realpath" || p.has('f') || p.has('e') || p.has('m');
    let mut status = 0;
    for f in &p.operands {
        let path = ctx.path(f);
        if canonical {
            // Resolve symlinks component by component.
            let mut resolved = String::from("/");
            let mut todo: Vec<String> = crate::vfs::components(&path).into_iter().rev().map(str::to_string).collect();
            let mut hops = 0;
            while let Some(c) = todo.pop() {
                if c == ".." {
                    resolved = crate::vfs::split_parent(&resolved).map(|(p, _)| p).unwrap_or_else(|| "/".into());
                    continue;
                }
                let next = join(&resolved, &c);
                match ctx.fs.read_link(&next) {
                    Ok(t) if hops < 40 => {
                        hops += 1;
                        if t.starts_with('/') {
                            resolved = "/".into();
                        }
                        todo.extend(crate::vfs::components(&t).into_iter().rev().map(str::to_string));
                    }
                    _ => resolved = next,
                }
            }
            if name == "realpath" && !ctx.fs.exists(&resolved) {
                status = ctx.fail(name, &format!("{f}: No such file or directory"), 1);
                continue;
            }
            ctx.out(&format!("{resolved}\n"));
        } else {
            match ctx.fs.read_link(&path) {
                Ok(t) => ctx.out(&format!("{t}\n")),
                Err(_) => status = 1,
            }
        }
    }
    status
}

fn mktemp(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let dir = p.has('d');
    let template = p.operands.first().cloned().unwrap_or_else(|| "/tmp/tmp.XXXXXXXXXX".into());
    let template = if template.contains('/') { template } else { format!("/tmp/{template}") };
    for n in 0u64.. {
        let suffix: String = format!("{:010x}", (n + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)).chars().take(10).collect();
        let x_count = template.chars().rev().take_while(|c| *c == 'X').count();
        let name = format!("{}{}", &template[..template.len() - x_count], &suffix[..x_count.min(10)]);
        let path = ctx.path(&name);
        if ctx.fs.exists(&path) {
            continue;
        }
        let r = if dir { ctx.fs.create_dir(&path, 0o700) } else { ctx.fs.put_file(&path, Content::data(Vec::new()), Attrs::mode(0o600)) };
        return match r {
            Ok(()) => {
                ctx.out(&format!("{name}\n"));
                0
            }
            Err(e) => ctx.fail("mktemp", &format!("failed to create file via template '{template}': {}", e.errno.message()), 1),
        };
    }
    1
}

fn tee(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let append = p.has('a');
    let data = ctx.stdin.clone();
    ctx.stdout.extend_from_slice(&data);
    let mut status = 0;
    for f in &p.operands {
        let path = ctx.path(f);
        let r = if append {
            let len = ctx.fs.stat(&path).map_or(0, |m| m.size);
            ctx.fs.write_at(&path, len, &data)
        } else {
            ctx.fs.write(&path, &data)
        };
        if let Err(e) = r {
            status = ctx.fail("tee", &format!("{f}: {}", e.errno.message()), 1);
        }
    }
    status
}

fn gzip(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let decompress = name != "gzip" || p.has('d');
    let to_stdout = name == "zcat" || p.has('c') || p.operands.is_empty();
    let keep = p.has('k');
    let inputs: Vec<String> = if p.operands.is_empty() { vec!["-".into()] } else { p.operands.clone() };
    let mut status = 0;
    for f in inputs {
        let data = if f == "-" {
            ctx.stdin.clone()
        } else {
            match ctx.fs.read(&ctx.path(&f)) {
                Ok(d) => d,
                Err(e) => {
                    status = ctx.fail(name, &format!("{f}: {}", e.errno.message()), 1);
                    continue;
                }
            }
        };
        let out = if decompress {
            let mut out = Vec::new();
            match flate2::read::MultiGzDecoder::new(&data[..]).read_to_end(&mut out) {
                Ok(_) => out,
                Err(_) => {
                    status = ctx.fail(name, &format!("{f}: not in gzip format"), 1);
                    continue;
                }
            }
        } else {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            let _ = enc.write_all(&data);
            enc.finish().unwrap_or_default()
        };
        if to_stdout || f == "-" {
            ctx.stdout.extend_from_slice(&out);
            continue;
        }
        let target = if decompress { f.strip_suffix(".gz").map(str::to_string).unwrap_or_else(|| format!("{f}.out")) } else { format!("{f}.gz") };
        let src = ctx.path(&f);
        let mode = ctx.fs.stat(&src).map_or(0o644, |m| m.mode);
        if let Err(e) = ctx.fs.put_file(&ctx.path(&target), Content::data(out), Attrs { mode, uid: ctx.uid, gid: ctx.gid, mtime: 0 }) {
            status = ctx.fail(name, &format!("{target}: {}", e.errno.message()), 1);
            continue;
        }
        if !keep {
            let _ = ctx.fs.remove_file(&src);
        }
    }
    status
}

fn tar(args: &[String], ctx: &mut Ctx) -> i32 {
    // Flags come bundled (`czf`, `-xzvf`) followed by the archive name and members.
    let Some(first) = args.first() else { return ctx.fail("tar", "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options", 2) };
    let mut flags: Vec<char> = first.trim_start_matches('-').chars().collect();
    let mut rest: Vec<String> = args[1..].to_vec();
    let mut extra = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        if rest[i].starts_with('-') && rest[i].len() > 1 && rest[i] != "-C" && rest[i] != "-f" {
            flags.extend(rest[i].trim_start_matches('-').chars());
            rest.remove(i);
        } else {
            i += 1;
        }
    }
    let mut file = None;
    let mut dir = ctx.cwd.clone();
    let mut j = 0;
    while j < rest.len() {
        match rest[j].as_str() {
            "-C" => {
                dir = join(&ctx.cwd, rest.get(j + 1).map_or(".", |s| s.as_str()));
                j += 2;
            }
            "-f" => {
                file = rest.get(j + 1).cloned();
                j += 2;
            }
            a => {
                extra.push(a.to_string());
                j += 1;
            }
        }
    }
    if flags.contains(&'f') && file.is_none() && !extra.is_empty() {
        file = Some(extra.remove(0));
    }
    let gz = flags.contains(&'z');
    let verbose = flags.contains(&'v');
    if flags.contains(&'c') {
        let mut members = crate::vfs::MemoryFs::new();
        for m in &extra {
            let src = join(&dir, m);
            let name = m.trim_start_matches("./").trim_start_matches('/');
            if let Some((parent, _)) = crate::vfs::split_parent(&format!("/{name}")) {
                let _ = members.create_dir_all(&parent, 0o755);
            }
            if let Err(e) = walk::copy_tree(&*ctx.fs, &src, &mut members, &format!("/{name}")) {
                return ctx.fail("tar", &format!("{m}: Cannot stat: {}", e.errno.message()), 2);
            }
            if verbose {
                ctx.err(&format!("{m}\n"));
            }
        }
        let options = crate::image::layer::LayerOptions::default();
        let data = match crate::image::layer::tar_of(&members, &options) {
            Ok(t) if gz => crate::image::layer::compress(t, &options).data,
            Ok(t) => t,
            Err(e) => return ctx.fail("tar", &e.to_string(), 2),
        };
        match file.as_deref() {
            None | Some("-") => ctx.stdout.extend_from_slice(&data),
            Some(f) => {
                if let Err(e) = ctx.fs.write(&ctx.path(f), &data) {
                    return ctx.fail("tar", &format!("{f}: Cannot open: {}", e.errno.message()), 2);
                }
            }
        }
        return 0;
    }
    let data = match file.as_deref() {
        None | Some("-") => ctx.stdin.clone(),
        Some(f) => match ctx.fs.read(&ctx.path(f)) {
            Ok(d) => d,
            Err(e) => return ctx.fail("tar", &format!("{f}: Cannot open: {}\ntar: Error is not recoverable: exiting now", e.errno.message()), 2),
        },
    };
    if flags.contains(&'t') {
        let plain = if data.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            let _ = flate2::read::MultiGzDecoder::new(&data[..]).read_to_end(&mut out);
            out
        } else {
            data
        };
        let mut archive = ::tar::Archive::new(&plain[..]);
        match archive.entries() {
            Ok(entries) => {
                for e in entries.flatten() {
                    let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                    ctx.out(&format!("{name}\n"));
                }
                0
            }
            Err(_) => ctx.fail("tar", "This does not look like a tar archive", 2),
        }
    } else if flags.contains(&'x') {
        let mut layer = crate::vfs::MemoryFs::new();
        if let Err(e) = crate::image::layer::unpack(&data, &mut layer) {
            return ctx.fail("tar", &format!("{e}\ntar: Error is not recoverable: exiting now"), 2);
        }
        if let Ok(entries) = walk::walk(&layer, "/") {
            for (rel, m) in entries {
                if verbose {
                    ctx.out(&format!("{rel}{}\n", if m.is_dir() { "/" } else { "" }));
                }
                let target = join(&dir, &rel);
                let _ = walk::copy_entry(&layer, &format!("/{rel}"), ctx.fs, &target, &m);
            }
        }
        0
    } else {
        ctx.fail("tar", "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.", 2)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn modes() {
        assert_eq!(super::apply_mode("755", 0, false), Some(0o755));
        assert_eq!(super::apply_mode("+x", 0o644, false), Some(0o755));
        assert_eq!(super::apply_mode("u+x,go-r", 0o644, false), Some(0o700));
        assert_eq!(super::human(1536), "1.5K");
        assert_eq!(super::human(130_000_000), "124M");
    }
}
