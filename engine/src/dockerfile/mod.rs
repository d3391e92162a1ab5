//! The Dockerfile front end: parse (lossless, with spans and diagnostics) → typed
//! instructions grouped in stages → lint. Nothing here touches images or the filesystem.
//!
//! ```
//! let (file, diagnostics) = engine::dockerfile::parse("FROM alpine:3.20\nRUN echo hi\n");
//! assert!(diagnostics.is_empty());
//! assert_eq!(engine::dockerfile::dump(&file), "(from \"alpine:3.20\")\n(run \"echo hi\")");
//! ```

pub mod ast;
pub mod diagnostic;
pub mod dump;
pub mod expand;
pub mod parser;

pub use ast::{Dockerfile, Node, Span};
pub use diagnostic::{Diagnostic, LineIndex, Severity};
pub use dump::dump;
pub use parser::parse;
pub mod instructions;
pub mod suggest;
pub mod scope;
pub mod lint;
