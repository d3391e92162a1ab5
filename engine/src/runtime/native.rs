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
}
