//! Stopping: SIGTERM (what a service manager sends) lets the request in
//! flight finish, stops the jobs, and the process exits cleanly.

#![cfg(unix)]

use std::io::{Read, Write};
use std::process::Stdio;

mod common;
use common::command;
use std::time::{Duration, Instant};

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let server = command(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut conn = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("server did not start: {e}"),
        }
    };
    // A request whose body is still on its way when the signal comes.
    let body = r#"{"username":"khong-co","password":"sai-mat-khau-123"}"#;
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).expect("send head");
    conn.write_all(&body.as_bytes()[..10]).expect("send part");
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill only sends a signal to the child we started.
    let rc = unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0, "signal sent");
    std::thread::sleep(Duration::from_millis(300));
    // New connections are no longer taken...
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the listener is closed after SIGTERM"
    );
    // ...but the request in flight is answered in full.
    conn.write_all(&body.as_bytes()[10..]).expect("send rest");
    let mut answer = String::new();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    conn.read_to_string(&mut answer).expect("read answer");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let out = server.wait_with_output().expect("exit");
    assert!(
        out.status.success(),
        "clean exit, not killed: {:?}",
        out.status
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("motcua đã dừng"), "{stdout}");
}
