//! A unit's connected systems from the command line: fields set, a secret
//! read from standard input and sealed (never printed, not in the database
//! file in clear), `integrations check` naming what is missing, refusing a
//! foreign key file, and pinging a webhook subscription (the receiver
//! simulator checks the signature).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_app::sim::webhook_receiver::WebhookReceiverSimulator;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::motcua;

fn with_stdin(data: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run motcua");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_sealed_checked_and_never_shown_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let set = motcua(
        data,
        &[
            "integrations",
            "set",
            "--unit",
            "30112",
            "--system",
            "vnpay",
            "--field",
            "tmn_code=MYHIEP01",
            "--field",
            "payment_url=https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        ],
    );
    assert!(set.status.success(), "{}", text(&set));
    // A secret on the command line is refused: it would stay in the history.
    let refused = motcua(
        data,
        &[
            "integrations",
            "set",
            "--unit",
            "30112",
            "--system",
            "vnpay",
            "--field",
            "hash_secret=X",
        ],
    );
    assert!(!refused.status.success());
    // Missing fields are named.
    let check = motcua(data, &["integrations", "check", "--unit", "30112"]);
    assert!(!check.status.success());
    assert!(
        text(&check).contains("thiếu hash_secret, api_url"),
        "{}",
        text(&check)
    );

    let secret = "SECRET-KHONG-DUOC-LO-9f3a";
    let o = with_stdin(
        data,
        &[
            "integrations",
            "set",
            "--unit",
            "30112",
            "--system",
            "vnpay",
            "--secret",
            "hash_secret",
            "--field",
            "api_url=https://sandbox.vnpayment.vn/merchant_webapi/api/transaction",
        ],
        &format!("{secret}\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let show = motcua(data, &["integrations", "show", "--unit", "30112"]);
    let shown = text(&show);
    assert!(
        shown.contains("MYHIEP01") && shown.contains("••• (đã đặt)"),
        "{shown}"
    );
    assert!(!shown.contains(secret), "a secret is never shown back");
    for entry in std::fs::read_dir(data).expect("data").flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in clear in {}",
            entry.path().display()
        );
    }
    let check = motcua(data, &["integrations", "check", "--unit", "30112"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("ĐẠT"));

    // A webhook subscription answers the signed ping.
    let sim = WebhookReceiverSimulator::start("127.0.0.1:0")
        .await
        .expect("simulator");
    let added = motcua(
        data,
        &["webhook", "add", "--unit", "30112", "--url", &sim.url()],
    );
    let added = text(&added);
    let hook_secret = added
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("secret printed once");
    sim.set_secret(hook_secret);
    let check = motcua(data, &["integrations", "check", "--unit", "30112"]);
    assert!(check.status.success(), "{}", text(&check));
    let got = sim.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok && got[0].body.contains("\"type\":\"ping\""));

    // Another server's key: the secret no longer opens, and check says so.
    std::fs::write(data.join("integrations.key"), [7u8; 32]).expect("replace key");
    let check = motcua(data, &["integrations", "check", "--unit", "30112"]);
    assert!(!check.status.success());
    assert!(
        text(&check).contains("integrations.key"),
        "{}",
        text(&check)
    );
}
