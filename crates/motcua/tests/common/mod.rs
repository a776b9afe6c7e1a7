//! What the command-line test suites share: the real binary on a data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::path::Path;
use std::process::{Command, Output};

/// The binary on the data folder `data_dir` (SQLite), quiet.
pub fn command(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_motcua"));
    c.env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error");
    c
}

/// Run `motcua ARGS` on the data folder `data_dir` (SQLite), quietly.
#[allow(dead_code)] // not every suite runs a command
pub fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir).args(args).output().expect("run motcua")
}

/// `motcua serve` on `port`, its output dropped, with the per-client intake
/// limits off: a test's load stands for many citizens from one address.
#[allow(dead_code)] // not every suite starts a server
pub fn server_under_load(data_dir: &Path, port: u16) -> Command {
    let mut c = command(data_dir);
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("MOTCUA_UPLOADS_PER_MINUTE", "0")
        .env("MOTCUA_SUBMISSIONS_PER_MINUTE", "0")
        .env("MOTCUA_SUBMISSIONS_PER_DAY", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
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
