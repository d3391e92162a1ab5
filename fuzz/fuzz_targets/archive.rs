//! Fuzzes what `docker load` and a layer's unpacking read from untrusted bytes: an
//! archive (Docker's `save` format or an OCI layout, plain or gzip) into a fresh image
//! store, and the same bytes as a layer unpacked within a size budget. Either loads, or
//! is refused with an error, never a panic, an abort or unbounded memory.
#![no_main]

use engine::image::store::ImageStore;
use engine::image::{archive, layer};
use engine::vfs::MemoryFs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut store = ImageStore::in_memory();
    let _ = archive::load(&mut store, data, "2026-01-01T00:00:00Z");
    let mut fs = MemoryFs::new();
    let _ = layer::unpack_within(data, &mut fs, 64 << 20);
});
