//! End-to-end tests of the `berth` command line.
