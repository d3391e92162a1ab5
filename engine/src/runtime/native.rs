//! The native runtime's place behind [`Runtime`]: real Linux containers (namespaces, an
//! overlay root filesystem from the image's layers, cgroups). It is not built yet, and it
//! can never run in a browser; until then this backend answers every request with a
//! clear error, as podman's `MissingRuntime` does, never with a panic.

use super::spec::ContainerSpec;
use super::{Capabilities, Ran, Runtime, RuntimeError, Stdio};
use crate::vfs::FileSystem;

#[derive(Debug, Default, Clone, Copy)]
pub struct NativeRuntime;

impl NativeRuntime {
    /// Why it cannot run here.
    pub fn reason() -> &'static str {
        if cfg!(target_arch = "wasm32") {
            "a browser tab cannot create Linux namespaces"
        } else {
            "this build of Berth has no native runtime yet (real Linux containers are still to come)"
        }
    }
}

impl Runtime for NativeRuntime {
    fn name(&self) -> &'static str {
        "native"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { available: false, detached: false, tty: false, exec: false, pause: false, cgroups: false, gpus: false, networks: &[], note: Self::reason() }
    }

    fn check(&self, _spec: &ContainerSpec, _root: &dyn FileSystem) -> Result<(), RuntimeError> {
        Err(RuntimeError::Unavailable { runtime: "native", reason: Self::reason() })
    }

    fn run(&mut self, spec: &ContainerSpec, root: &mut dyn FileSystem, _stdio: Stdio) -> Result<Ran, RuntimeError> {
        self.check(spec, root)?;
        Err(RuntimeError::Unavailable { runtime: "native", reason: Self::reason() })
    }

    fn unsupported(&self, _operation: &'static str) -> RuntimeError {
        RuntimeError::Unavailable { runtime: "native", reason: Self::reason() }
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::ProcessSpec;
    use super::super::EmulatedRuntime;
    use super::*;

    #[test]
    fn backends_answer_what_they_cannot_do_with_an_error() {
        let spec = ContainerSpec::for_process(ProcessSpec { args: vec!["sh".into()], cwd: "/".into(), ..ProcessSpec::default() });
        let mut native = NativeRuntime;
        assert!(matches!(native.check(&spec, &crate::vfs::MemoryFs::new()), Err(RuntimeError::Unavailable { runtime: "native", .. })));
        assert!(matches!(native.pause(&spec, true), Err(RuntimeError::Unavailable { .. })));
        assert!(!native.capabilities().available);
        let mut emulated = EmulatedRuntime;
        assert_eq!(emulated.pause(&spec, true).unwrap_err().to_string(), "the emulated runtime does not support pause yet");
        assert!(emulated.signal(&spec, "TERM").is_err());
        let top = emulated.processes(&spec, 7).expect("the main process");
        assert_eq!((top[0].pid, top[0].args.as_slice(), top[0].started), (1, ["sh".to_string()].as_slice(), 7));
        // No /bin/sh in an empty filesystem: Docker's "executable file not found".
        assert!(matches!(emulated.check(&spec, &crate::vfs::MemoryFs::new()), Err(RuntimeError::ExecNotFound { .. })));
    }
}
