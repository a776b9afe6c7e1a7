//! Two server processes on one PostgreSQL database: a calendar changed
//! through one is used by the other at once (its cache is told), not after
//! a restart. Runs when `MOTCUA_TEST_POSTGRES` names a server (always under
//! `scripts/test`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, wait_up};

fn motcua(data: &Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_motcua"));
    c.env("MOTCUA_DATA_DIR", data)
        .env("MOTCUA_DATABASE", db)
        .env("MOTCUA_LOG", "error");
    c
}

fn start(data: &Path, db: &str, port: u16) -> Child {
    motcua(data, db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server")
}

async fn due(http: &reqwest::Client, base: &str) -> String {
    let v: Value = http
        .get(format!(
            "{base}/api/v1/calendar/due?from=2026-03-02T08:00:00%2B07:00&working_days=1"
        ))
        .send()
        .await
        .expect("due")
        .json()
        .await
        .expect("json");
    v["due"].as_str().expect("due").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_changed_through_one_server_is_used_by_the_other() {
    let Ok(admin) = std::env::var(motcua_store::testing::POSTGRES_ENV) else {
        eprintln!(
            "skipped: {} is not set",
            motcua_store::testing::POSTGRES_ENV
        );
        return;
    };
    let db = motcua_store::testing::create_postgres_database(&admin)
        .await
        .expect("database");
    // One data folder: both processes hold the same keys, as they must.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = motcua(dir.path(), &db)
        .args(["user", "add", "--username", "quantri", "--role", "admin"])
        .env("MOTCUA_USER_PASSWORD", "mat-khau-rat-dai-2026")
        .output()
        .expect("user add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    let mut servers = [start(dir.path(), &db, pa), start(dir.path(), &db, pb)];
    let http = reqwest::Client::new();
    wait_up(&http, &a).await;
    wait_up(&http, &b).await;

    // B has the calendar in its cache: Monday + 1 working day = Tuesday.
    assert!(due(&http, &b).await.starts_with("2026-03-03"));
    let session: Value = http
        .post(format!("{a}/api/v1/session"))
        .json(&json!({"username": "quantri", "password": "mat-khau-rat-dai-2026"}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("json");
    let token = session["token"].as_str().expect("token");
    let r = http
        .put(format!("{a}/api/v1/calendar/overrides/2026-03-03"))
        .bearer_auth(token)
        .json(&json!({"kind": "day_off", "name": "Nghỉ đột xuất"}))
        .send()
        .await
        .expect("day off");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = due(&http, &b).await;
        if d.starts_with("2026-03-04") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B still uses the old calendar: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
}
