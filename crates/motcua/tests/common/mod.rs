//! What the command-line test suites share: the real binary on a data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::path::Path;
use std::process::{Command, Output};

/// Run `motcua ARGS` on the data folder `data_dir` (SQLite), quietly.
pub fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .output()
        .expect("run motcua")
}
