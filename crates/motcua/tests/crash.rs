//! Crash safety: the real server under concurrent submissions, killed with
//! SIGKILL mid-load, restarted. Every dossier it acknowledged (201) must be
//! there, consistent with its events, under a unique code, its chain intact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{server_under_load, wait_up};

fn start(data: &Path, port: u16) -> Child {
    server_under_load(data, port).spawn().expect("start server")
}

async fn submit(http: &reqwest::Client, base: &str, n: usize) -> Option<String> {
    let mut docs = Vec::new();
    for code in ["to-khai", "giay-to-tuy-than"] {
        let r = http
            .post(format!("{base}/api/v1/uploads"))
            .body(format!("%PDF-1.4\n% {code} {n}\n%%EOF\n"))
            .send()
            .await
            .ok()?;
        let v: Value = r.json().await.ok()?;
        docs.push(json!({"code": code, "upload_id": v["id"]}));
    }
    let body = json!({
        "unit_code": "30112", "procedure_code": "HT-XNHN",
        "applicant": {"full_name": "Đỗ Văn Tám", "id_number": "087190001234", "date_of_birth": "1990-01-01",
                      "phone": "0912345678", "address": "Ấp 1, xã Mỹ Hiệp"},
        "documents": docs
    });
    let r = http
        .post(format!("{base}/api/v1/dossiers"))
        .json(&body)
        .send()
        .await
        .ok()?;
    if r.status().as_u16() != 201 {
        return None;
    }
    // Acknowledged only once the whole answer is read.
    let v: Value = r.json().await.ok()?;
    v["code"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_dossiers_survive_a_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut server = start(dir.path(), port);
    wait_up(&http, &base).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                match submit(&http, &base, w * 100_000 + i).await {
                    Some(code) => acked.lock().map(|mut a| a.push(code)).unwrap_or(()),
                    None => break,
                }
            }
        }));
    }
    // Let the load run, then pull the plug with no chance to clean up.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().map(|a| a.len()).unwrap_or(0) < 60 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    for w in workers {
        let _ = w.await;
    }
    let acked: Vec<String> = acked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(acked.len() >= 60, "load too small: {}", acked.len());

    // Restart on the same files: recovery is the database's own.
    let mut server = start(dir.path(), port);
    wait_up(&http, &base).await;
    server.kill().expect("stop");
    let _ = server.wait();

    let url = format!("sqlite://{}", dir.path().join("motcua.sqlite").display());
    let store = motcua_store::Store::open(&url, &dir.path().join("blobs"))
        .await
        .expect("open");
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "a code was acknowledged twice");
    for code in &acked {
        let rec = store
            .dossier(code)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("acknowledged {code} lost"));
        assert_eq!(rec.documents.len(), 2, "{code} lost its documents");
        store
            .check_consistency(code)
            .await
            .expect("row equals its events");
    }
    // Nothing half-written either: every stored dossier is whole.
    assert!(store.check_all().await.expect("check") >= acked.len());
    let report = store.audit_verify().await.expect("audit");
    assert!(report.ok(), "{report:?}");
}
