//! `motcua signing …` and `motcua verify` as an operator runs them: the real
//! binary on a real data folder; the signed file is made with the key the
//! command sealed there.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_signing::sign::{SignRequest, sign_pdf};
use motcua_signing::{Secret, keys, sample};
use std::path::Path;
use std::process::{Command, Output};
use time::OffsetDateTime;

fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .env("MOTCUA_USER_PASSWORD", "mat-khau-rat-dai-123")
        .output()
        .expect("run motcua")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn failed(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn serial_in(text: &str) -> String {
    let at = text.find("sê-ri ").expect("serial") + "sê-ri ".len();
    text[at..at + 32].to_string()
}

#[tokio::test]
async fn ca_issue_verify_revoke() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    ok(&motcua(d, &["migrate"]));
    ok(&motcua(
        d,
        &[
            "user",
            "add",
            "--username",
            "lanhdao",
            "--full-name",
            "Nguyễn Văn Lãnh",
            "--role",
            "leader",
            "--unit",
            "30112",
        ],
    ));
    ok(&motcua(
        d,
        &[
            "user",
            "add",
            "--username",
            "chuyenvien",
            "--full-name",
            "Lê Chuyên",
            "--role",
            "specialist",
            "--unit",
            "30112",
        ],
    ));
    // No CA yet: issuing is refused with the command to run.
    let e = failed(&motcua(
        d,
        &["signing", "issue", "--unit", "30112", "--user", "lanhdao"],
    ));
    assert!(e.contains("motcua signing ca --unit 30112"), "{e}");
    let e = failed(&motcua(d, &["signing", "export-ca", "--unit", "30112"]));
    assert!(e.contains("chưa có tổ chức chứng thực"), "{e}");
    let out = ok(&motcua(d, &["signing", "ca", "--unit", "30112"]));
    assert!(
        out.contains("Đã tạo tổ chức chứng thực của đơn vị 30112"),
        "{out}"
    );
    let ca_serial = serial_in(&out);
    // The CA as PEM, for PDF readers: one certificate whose DER holds the serial.
    let pem = ok(&motcua(d, &["signing", "export-ca", "--unit", "30112"]));
    let lines: Vec<&str> = pem.lines().collect();
    assert_eq!(lines.first(), Some(&"-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"), "{pem}");
    let der = base64_decode(&lines[1..lines.len() - 1].concat());
    assert_eq!(der.first(), Some(&0x30), "a DER SEQUENCE");
    let serial_hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        serial_hex.contains(&ca_serial),
        "{ca_serial} not in the certificate"
    );
    let e = failed(&motcua(d, &["signing", "ca", "--unit", "30112"]));
    assert!(e.contains("ca_exists"), "{e}");
    let e = failed(&motcua(d, &["signing", "ca", "--unit", "99999"]));
    assert!(e.contains("unknown_unit"), "{e}");
    let e = failed(&motcua(
        d,
        &[
            "signing",
            "issue",
            "--unit",
            "30112",
            "--user",
            "chuyenvien",
        ],
    ));
    assert!(e.contains("not_a_leader"), "{e}");
    let out = ok(&motcua(
        d,
        &["signing", "issue", "--unit", "30112", "--user", "lanhdao"],
    ));
    assert!(out.contains("Nguyễn Văn Lãnh"), "{out}");
    let signer_serial = serial_in(&out);

    // The secret was created private; the sealed keys need it.
    let secret_path = d.join("signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path)
            .expect("secret")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let secret = Secret::load_or_create(&secret_path).expect("secret");
    let store = motcua_store::Store::open(
        &format!("sqlite://{}", d.join("motcua.sqlite").display()),
        &d.join("blobs"),
    )
    .await
    .expect("store");
    let signer = store
        .signing()
        .cert(&signer_serial)
        .await
        .expect("read")
        .expect("signer");
    let ca = store
        .signing()
        .cert(&ca_serial)
        .await
        .expect("read")
        .expect("ca");
    assert!(keys::open(&signer.sealed_key, &Secret::random().expect("rnd")).is_err());
    let key = keys::open(&signer.sealed_key, &secret).expect("open");
    drop(store);

    let signed = sign_pdf(
        &sample::pdf(&["GIAY XAC NHAN TINH TRANG HON NHAN"]),
        &SignRequest {
            key: &key,
            cert_der: &signer.cert_der,
            ca_cert_der: &ca.cert_der,
            signer_name: "Nguyễn Văn Lãnh",
            reason: "Phê duyệt",
            location: "Xã Mỹ Hiệp",
            at: OffsetDateTime::now_utc(),
        },
    )
    .expect("sign");
    let file = d.join("ket-qua.pdf");
    std::fs::write(&file, &signed).expect("write");
    let path = file.to_str().expect("path");
    let out = ok(&motcua(d, &["verify", path]));
    assert!(out.contains("Kết luận: hợp lệ"), "{out}");
    assert!(out.contains("Người ký: Nguyễn Văn Lãnh (lanhdao)"), "{out}");
    assert!(out.contains("(30112)"), "{out}");
    assert!(
        out.contains(&format!("SHA-256: {}", motcua_signing::sha256_hex(&signed))),
        "{out}"
    );
    assert!(out.contains("Thời điểm ký: "), "{out}");

    let mut altered = signed.clone();
    let at = altered
        .windows(5)
        .position(|w| w == b"GIAY ")
        .expect("text");
    altered[at] = b'X';
    let bad = d.join("sua.pdf");
    std::fs::write(&bad, &altered).expect("write");
    let o = motcua(d, &["verify", bad.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("tệp đã bị sửa đổi sau khi ký"));

    let e = failed(&motcua(
        d,
        &["signing", "revoke", &signer_serial, "--reason", ""],
    ));
    assert!(e.contains("note_required"), "{e}");
    let out = ok(&motcua(
        d,
        &["signing", "revoke", &signer_serial, "--reason", "Lộ khóa"],
    ));
    assert!(out.contains("Đã thu hồi"), "{out}");
    let o = motcua(d, &["verify", path]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("chứng thư đã bị thu hồi"));
    let list = ok(&motcua(d, &["signing", "list"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains("đã thu hồi"), "{list}");
    assert!(list.contains("còn hiệu lực"), "{list}");

    // A backup keeps the secret (private) with the database.
    let backup = d.join("sao-luu");
    ok(&motcua(
        d,
        &["backup", "--to", backup.to_str().expect("path")],
    ));
    assert_eq!(
        std::fs::read(backup.join("signing.key")).expect("copied"),
        std::fs::read(&secret_path).expect("secret")
    );
    let e = failed(&motcua(d, &["verify", "/no/such/file.pdf"]));
    assert!(e.contains("không đọc được"), "{e}");
}

/// Standard base64 (with padding), enough to read a PEM body back.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            other => panic!("not base64: {other}"),
        }
    };
    let mut out = Vec::new();
    for chunk in text.trim_end_matches('=').as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}
