//! Images: content-addressed blobs, layers (tar + gzip with whiteouts), OCI documents,
//! the image store with tags, and docker-archive / OCI-layout save and load.

pub mod archive;
pub mod catalog;
pub mod digest;
pub mod distribution;
pub mod layer;
pub mod modelled;
pub mod oci;
pub mod pull;
pub mod store;

pub use digest::Digest;
pub use store::{ImageStore, StoreError};
