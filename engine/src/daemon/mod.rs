//! The engine service layer (moby's `daemon/`, podman's `libpod/`): what owns image,
//! container, volume and network records between the command line and the runtimes.
//! The command line maps argv to typed options and formats results; the rules about
//! names, records and state live here.

pub mod monitor;
pub mod names;
pub mod spec;
