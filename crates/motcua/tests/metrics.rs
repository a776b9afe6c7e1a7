//! The metrics listener: on its own address, Prometheus text with the
//! requests the public listener answered, the outbox and the jobs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{command, free_port};

#[tokio::test]
async fn metrics_count_requests_and_show_the_outbox_and_jobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (port, metrics_port) = (free_port(), free_port());
    let mut server = command(dir.path())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--metrics-listen",
            &format!("127.0.0.1:{metrics_port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let missing = http
        .get(format!("{base}/api/v1/lookup/30112-260101-0001?key=x"))
        .send()
        .await
        .expect("lookup");
    assert_eq!(missing.status().as_u16(), 404);
    // The public listener does not serve the metrics.
    let public = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(public.status().as_u16(), 404);
    let text = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    server.kill().expect("stop");
    let _ = server.wait();
    let value = |prefix: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert!(
        value("motcua_http_requests_total{method=\"GET\",status=\"2xx\"}").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        value("motcua_http_requests_total{method=\"GET\",status=\"4xx\"}").unwrap_or(0.0) >= 2.0,
        "{text}"
    );
    assert_eq!(value("motcua_outbox_pending "), Some(0.0), "{text}");
    for job in ["audit_checkpoint", "purge", "outbox"] {
        assert!(
            text.contains(&format!("motcua_job_runs_total{{job=\"{job}\"}}")),
            "{job} missing:\n{text}"
        );
    }
}
