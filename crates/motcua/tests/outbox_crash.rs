//! The outbox survives a crash: the server is killed with SIGKILL while it
//! delivers a webhook (the receiver simulator holds the request), then
//! restarted. Every committed event is delivered, each answered once per
//! idempotency key, signed with the secret `motcua webhook add` printed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect
#![cfg(unix)]

use motcua_app::sim::webhook_receiver::{Behaviour, WebhookReceiverSimulator};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

mod common;
use common::{command as motcua, server_under_load, wait_up};

fn start(data: &Path, port: u16) -> Child {
    server_under_load(data, port)
        // A killed worker's claim is taken again after 2 s; the held
        // delivery would wait a minute.
        .env("MOTCUA_OUTBOX_LEASE_SECS", "2")
        .env("MOTCUA_WEBHOOK_TIMEOUT_SECS", "60")
        .spawn()
        .expect("start server")
}

async fn submit(http: &reqwest::Client, base: &str, n: usize) -> String {
    let mut docs = Vec::new();
    for code in ["to-khai", "giay-to-tuy-than"] {
        let v: Value = http
            .post(format!("{base}/api/v1/uploads"))
            .body(format!("%PDF-1.4\n% {code} {n}\n%%EOF\n"))
            .send()
            .await
            .expect("upload")
            .json()
            .await
            .expect("json");
        docs.push(json!({"code": code, "upload_id": v["id"]}));
    }
    let body = json!({
        "unit_code": "30112", "procedure_code": "HT-XNHN",
        "applicant": {"full_name": "Đỗ Văn Tám", "id_number": "087190001234", "date_of_birth": "1990-01-01",
                      "phone": "0912345678", "address": "Ấp 1, xã Mỹ Hiệp"},
        "documents": docs
    });
    let v: Value = http
        .post(format!("{base}/api/v1/dossiers"))
        .json(&body)
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    v["code"].as_str().expect("code").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_delivery_loses_nothing_and_answers_each_key_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = WebhookReceiverSimulator::start("127.0.0.1:0")
        .await
        .expect("simulator");
    let out = motcua(dir.path())
        .args(["webhook", "add", "--unit", "30112", "--url", &sim.url()])
        .output()
        .expect("webhook add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let secret = printed
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("the secret is printed once");
    sim.set_secret(secret);
    // The first delivery is held: the server dies while it waits.
    sim.then(Behaviour::Hang);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut server = start(dir.path(), port);
    wait_up(&http, &base).await;
    let mut codes = Vec::new();
    for n in 0..5 {
        codes.push(submit(&http, &base, n).await);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.hanging() == 0 {
        assert!(Instant::now() < deadline, "no delivery started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");

    let mut server = start(dir.path(), port);
    wait_up(&http, &base).await;
    let keys: Vec<String> = codes.iter().map(|c| format!("webhook:1:{c}:1")).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = sim.received();
        let answered = |k: &String| {
            got.iter()
                .filter(|r| r.delivery_id.as_ref() == Some(k) && r.answered == Some(200))
                .count()
        };
        if keys.iter().all(|k| answered(k) >= 1) {
            for k in &keys {
                assert_eq!(answered(k), 1, "{k} answered once");
            }
            assert!(got.iter().all(|r| r.signature_ok), "every delivery signed");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every event was delivered: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().expect("stop");
    server.wait().expect("reaped");
    let status = motcua(dir.path())
        .args(["outbox", "status"])
        .output()
        .expect("outbox status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("đang chờ (pending)\t0"), "{text}");
}
