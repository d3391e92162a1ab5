//! Package managers and language runtimes of the emulated userland: `python` (its
//! installation, `-m venv`, imports), `pip` over an offline index of real PyPI projects,
//! `conda` over the same index, `apt-get`/`apt` over one of Debian and Ubuntu packages and
//! `apk` over one of Alpine's. What they install is modelled — real names, versions, dependencies and
//! sizes, placeholder contents — and says so in the files it writes.

pub mod apk;
pub mod apt;
pub mod conda;
pub mod debian_index;
pub mod pip;
pub mod pypi_index;
pub mod python;
pub mod version;
pub mod wheel;

use super::applets::Ctx;

/// Runs package-manager program `name`; `None` when it is not one.
pub fn run(name: &str, argv: &[String], ctx: &mut Ctx) -> Option<i32> {
    Some(match name {
        "python" | "python3" => python::run(argv, ctx),
        "pip" | "pip3" => {
            // A `pip` applet without a script: use the `python` next to it on PATH.
            let path_var = ctx.env.get("PATH").cloned().unwrap_or_default();
            let probe = argv[0].rsplit_once('/').map(|(d, _)| format!("{d}/python")).unwrap_or_else(|| "python".into());
            match python::PyEnv::locate(&*ctx.fs, &probe, &ctx.cwd, &path_var).or_else(|| python::PyEnv::locate(&*ctx.fs, "python3", &ctx.cwd, &path_var)) {
                Some(env) => pip::run(&env, &argv[1..], ctx),
                None => ctx.fail(&argv[0], "cannot find the Python installation it belongs to", 127),
            }
        }
        "conda" => conda::run(argv, ctx),
        "apk" => apk::run(&argv[1..], ctx),
        "apt-get" => apt::run(&argv[1..], false, ctx),
        "apt" => apt::run(&argv[1..], true, ctx),
        "apt-cache" => apt::cache(&argv[1..], ctx),
        "dpkg" => apt::dpkg(&argv[1..], false, ctx),
        "dpkg-query" => apt::dpkg(&argv[1..], true, ctx),
        _ => return None,
    })
}
