//! What the command-line test suites share: the real binary on a data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::path::Path;
use std::process::{Command, Output};

/// Run `motcua ARGS` on the data folder `data_dir` (SQLite), quietly.
#[allow(dead_code)] // not every suite runs a command
pub fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .output()
        .expect("run motcua")
}

/// A port nobody listens on now.
#[allow(dead_code)] // not every suite starts a server
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Wait until the server at `base` answers `/healthz` (a minute at most).
#[allow(dead_code)] // not every suite starts a server
pub async fn wait_up(http: &reqwest::Client, base: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
