//! `python` on the real interpreter: CPython compiled for WASI, run by the installed
//! [`super::WasmRuntime`] over the container's filesystem.
//!
//! One build (`scripts/build-python`) serves every image. The engine tells it, through
//! `sitecustomize` (a host file, not written into the container), the version the image
//! promises and the image's site-packages directories, so `python --version`,
//! `sys.version_info` and imports match the image.

use std::sync::Arc;

use super::{Machine, PythonBuild};
use crate::shell::applets::Ctx;
use crate::shell::packages::python::PyEnv;

const SITECUSTOMIZE: &str = include_str!("sitecustomize.py");

/// The `major.minor` of the interpreter build (`3.11`): where it looks for its library.
fn build_xy(build: &PythonBuild) -> String {
    build.version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Runs `argv` (`python ARGS…`, argv[0] as typed) for the installation `env`. `sites`
/// are the site-packages directories the image's `python` would search.
pub fn run(machine: &Machine, build: &PythonBuild, env: &PyEnv, sites: &[String], argv: &[String], ctx: &mut Ctx) -> i32 {
    let xy = build_xy(build);
    let mut vars = super::process_env(ctx);
    let home_set = !ctx.env.contains_key("PYTHONHOME");
    if home_set {
        vars.push(("PYTHONHOME".into(), env.base.clone()));
    }
    vars.push(("BERTH_PYTHON".into(), format!("{};{};{}", env.version, if home_set { "1" } else { "0" }, sites.join(":"))));
    let mut args = vec![env.exe.clone()];
    args.extend(argv.iter().skip(1).cloned());
    let files = vec![
        (format!("{}/lib/python{}.zip", env.base, xy.replace('.', "")), build.stdlib.clone()),
        (format!("{}/lib/python{xy}/sitecustomize.py", env.base), Arc::new(SITECUSTOMIZE.as_bytes().to_vec())),
    ];
    let status = super::run_process(machine, &build.interpreter, args, vars, files, ctx);
    match status {
        Ok(code) => code,
        Err(e) => {
            ctx.err(&format!("berth: python: {e}\n"));
            1
        }
    }
}
