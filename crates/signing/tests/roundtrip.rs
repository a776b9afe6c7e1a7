//! Sign → verify on real PDFs, and every way a signed result can go wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_signing::sign::{SignRequest, sign_pdf};
use motcua_signing::verify::{KnownCert, Verdict, verify_pdf};
use motcua_signing::{Issued, ca, sample, stamp};
use std::process::Command;
use time::{Duration, OffsetDateTime};

struct Unit {
    ca: Issued,
    signer: Issued,
}

fn unit(code: &str, now: OffsetDateTime) -> Unit {
    let ca = ca::new_ca(code, "Xã Mỹ Hiệp", now - Duration::days(1), 10).expect("ca");
    let signer = ca::issue(
        &ca.key,
        &ca.cert_der,
        "Nguyễn Văn Lãnh",
        "lanhdao",
        Some("Chủ tịch UBND xã Mỹ Hiệp"),
        now - Duration::days(1),
        730,
    )
    .expect("issue");
    Unit { ca, signer }
}

fn known(u: &Unit) -> Vec<KnownCert> {
    vec![
        KnownCert {
            serial: u.ca.serial.clone(),
            unit_code: "30112".into(),
            cert_der: u.ca.cert_der.clone(),
            is_ca: true,
            revoked_at: None,
            revoke_reason: None,
        },
        KnownCert {
            serial: u.signer.serial.clone(),
            unit_code: "30112".into(),
            cert_der: u.signer.cert_der.clone(),
            is_ca: false,
            revoked_at: None,
            revoke_reason: None,
        },
    ]
}

fn sign(pdf: &[u8], signer: &Issued, ca: &Issued, at: OffsetDateTime) -> Vec<u8> {
    sign_pdf(
        pdf,
        &SignRequest {
            key: &signer.key,
            cert_der: &signer.cert_der,
            ca_cert_der: &ca.cert_der,
            signer_name: "Nguyễn Văn Lãnh",
            reason: "Phê duyệt kết quả giải quyết",
            location: "Xã Mỹ Hiệp",
            at,
        },
    )
    .expect("sign")
}

fn result_pdf() -> Vec<u8> {
    let pdf = sample::pdf(&[
        "GIAY CHUNG NHAN",
        "Ho so 30112-251130-0001",
        "Nguyen Thi Be Ba",
    ]);
    stamp::stamp(
        &pdf,
        "https://motcua.example/xac-minh/abc123",
        &["Van ban dien tu da ky so", "Xac minh tai:"],
    )
    .expect("stamp")
}

#[test]
fn sign_then_verify_is_valid_and_names_the_signer() {
    let now = OffsetDateTime::now_utc();
    let u = unit("30112", now);
    let signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    let r = verify_pdf(&signed, &known(&u), time::OffsetDateTime::now_utc());
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.verdict.message());
    assert_eq!(r.verdict.message(), "hợp lệ (valid)");
    let s = r.signer.expect("signer");
    assert_eq!(s.name, "Nguyễn Văn Lãnh");
    assert_eq!(s.unit_code.as_deref(), Some("30112"));
    assert_eq!(s.serial, u.signer.serial);
    assert_eq!(
        r.signed_at.map(|t| t.unix_timestamp()),
        Some(now.unix_timestamp())
    );
    assert_eq!(r.sha256, motcua_signing::sha256_hex(&signed));
    // A second signature over the first keeps both valid.
    let twice = sign(&signed, &u.signer, &u.ca, now);
    let r2 = verify_pdf(&twice, &known(&u), time::OffsetDateTime::now_utc());
    assert_eq!(r2.verdict, Verdict::Valid, "{}", r2.verdict.message());
    assert_eq!(r2.signatures, 2);
}

#[test]
fn unsigned_and_non_pdf_files_are_not_valid() {
    let u = unit("30112", OffsetDateTime::now_utc());
    assert_eq!(
        verify_pdf(&result_pdf(), &known(&u), time::OffsetDateTime::now_utc()).verdict,
        Verdict::NoSignature
    );
    assert!(matches!(
        verify_pdf(
            b"not a pdf /ByteRange [0 1 2 3]",
            &known(&u),
            time::OffsetDateTime::now_utc()
        )
        .verdict,
        Verdict::Malformed(_)
    ));
}

#[test]
fn any_changed_byte_is_caught_with_a_clear_reason() {
    let now = OffsetDateTime::now_utc();
    let u = unit("30112", now);
    let signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    let k = known(&u);
    let contents = signed
        .windows(11)
        .rposition(|w| w == b"/Contents <")
        .expect("contents")
        + 11;
    // Every 97th byte of the file, plus the first and last byte of the
    // signature container: none may leave the verdict "valid".
    let der_hex_end = (contents..contents + 2 * 8192)
        .rev()
        .find(|&i| signed[i] != b'0')
        .expect("der end");
    let mut positions: Vec<usize> = (0..signed.len()).step_by(97).collect();
    // Inside the signature container, much denser: its unsigned parts too.
    positions.extend((contents..der_hex_end + 2).step_by(7));
    positions.extend([contents + 8000, signed.len() - 30]);
    for pos in positions {
        let mut t = signed.clone();
        // Stay printable so a digit stays a digit where the byte is one.
        t[pos] = match t[pos] {
            b'0' => b'1',
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => b'0',
            b'\n' => b' ',
            b' ' => b'\n',
            other => other ^ 0x01,
        };
        let v = verify_pdf(&t, &k, time::OffsetDateTime::now_utc()).verdict;
        assert!(
            !v.is_valid(),
            "byte {pos} changed but still valid: {}",
            String::from_utf8_lossy(&signed[pos.saturating_sub(40)..pos + 40])
        );
        let code = v.code();
        assert!(
            [
                "modified",
                "bad_signature",
                "malformed_signature",
                "no_signature",
                "appended"
            ]
            .contains(&code),
            "byte {pos}: {code}"
        );
    }
    // A changed word in the content: "modified after signing".
    let at = signed
        .windows(6)
        .position(|w| w == b"Nguyen")
        .expect("text");
    let mut t = signed.clone();
    t[at] = b'M';
    let v = verify_pdf(&t, &k, time::OffsetDateTime::now_utc()).verdict;
    assert_eq!(v, Verdict::Modified);
    assert!(v.message().contains("tệp đã bị sửa đổi sau khi ký"));
    // A changed byte inside the CMS signature value.
    let mut t = signed.clone();
    let hex_end = contents + 2 * 1400;
    let sig_pos = (contents..hex_end)
        .rev()
        .find(|&i| t[i] != b'0')
        .expect("der end");
    t[sig_pos - 4] = if t[sig_pos - 4] == b'a' { b'b' } else { b'a' };
    assert!(
        !verify_pdf(&t, &k, time::OffsetDateTime::now_utc())
            .verdict
            .is_valid()
    );
}

#[test]
fn appended_bytes_are_flagged() {
    let now = OffsetDateTime::now_utc();
    let u = unit("30112", now);
    let mut signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    signed.extend_from_slice(b"\n1 0 obj << /Evil true >> endobj\n");
    let v = verify_pdf(&signed, &known(&u), time::OffsetDateTime::now_utc()).verdict;
    assert_eq!(v, Verdict::Appended);
    assert!(v.message().contains("thêm vào sau khi ký"));
}

#[test]
fn revoked_certificate_is_shown_as_revoked() {
    let now = OffsetDateTime::now_utc();
    let u = unit("30112", now);
    let signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    let mut k = known(&u);
    k[1].revoked_at = Some(now);
    k[1].revoke_reason = Some("Lộ khóa".into());
    let v = verify_pdf(&signed, &k, time::OffsetDateTime::now_utc()).verdict;
    assert!(matches!(v, Verdict::Revoked { .. }), "{v:?}");
    assert!(v.message().contains("chứng thư đã bị thu hồi"));
    assert!(v.message().contains("Lộ khóa"));
}

#[test]
fn expired_certificate_is_shown_as_expired() {
    let now = OffsetDateTime::now_utc();
    let ca = ca::new_ca("30112", "Xã Mỹ Hiệp", now - Duration::days(400), 10).expect("ca");
    let signer = ca::issue(
        &ca.key,
        &ca.cert_der,
        "Nguyễn Văn Lãnh",
        "lanhdao",
        None,
        now - Duration::days(400),
        30,
    )
    .expect("issue");
    let u = Unit { ca, signer };
    let signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    let v = verify_pdf(&signed, &known(&u), time::OffsetDateTime::now_utc()).verdict;
    assert!(matches!(v, Verdict::Expired { .. }), "{v:?}");
    assert!(v.message().contains("chứng thư hết hạn"));
}

#[test]
fn a_ca_the_system_does_not_know_is_flagged() {
    let now = OffsetDateTime::now_utc();
    let ours = unit("30112", now);
    let theirs = unit("99999", now);
    let signed = sign(&result_pdf(), &theirs.signer, &theirs.ca, now);
    let v = verify_pdf(&signed, &known(&ours), time::OffsetDateTime::now_utc()).verdict;
    assert_eq!(v, Verdict::UnknownIssuer);
    assert!(
        v.message()
            .contains("không do đơn vị nào trên hệ thống cấp")
    );
    // A forged chain: their signer, our CA certificate embedded.
    let forged = sign(&result_pdf(), &theirs.signer, &ours.ca, now);
    assert_eq!(
        verify_pdf(&forged, &known(&ours), time::OffsetDateTime::now_utc()).verdict,
        Verdict::UnknownIssuer
    );
}

#[test]
fn the_stamp_shows_the_verification_address_on_the_page() {
    let now = OffsetDateTime::now_utc();
    let u = unit("30112", now);
    let signed = sign(&result_pdf(), &u.signer, &u.ca, now);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("signed.pdf");
    std::fs::write(&path, &signed).expect("write");
    match Command::new("pdftotext").arg(&path).arg("-").output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("GIAY CHUNG NHAN"), "{text}");
            assert!(
                text.contains("https://motcua.example/xac-minh/abc123"),
                "{text}"
            );
        }
        Err(e) => {
            assert!(
                std::env::var("MOTCUA_REQUIRE_TOOLS").is_err(),
                "pdftotext missing: {e}"
            );
            eprintln!("pdftotext not installed; text check skipped");
        }
    }
    // Poppler's own verifier (NSS) must find the signature valid and covering the file.
    match Command::new("pdfsig").arg(&path).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("Signature is Valid."), "{text}");
            assert!(text.contains("Total document signed"), "{text}");
            assert!(text.contains("adbe.pkcs7.detached"), "{text}");
            assert!(text.contains("Nguyễn Văn Lãnh"), "{text}");
        }
        Err(e) => {
            assert!(
                std::env::var("MOTCUA_REQUIRE_TOOLS").is_err(),
                "pdfsig missing: {e}"
            );
            eprintln!("pdfsig not installed; reader check skipped");
        }
    }
    match Command::new("qpdf").arg("--check").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "qpdf --check: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(
                std::env::var("MOTCUA_REQUIRE_TOOLS").is_err(),
                "qpdf missing: {e}"
            );
            eprintln!("qpdf not installed; structure check skipped");
        }
    }
}

#[test]
fn xref_streams_are_refused_clearly() {
    let pdf = b"%PDF-1.5\n1 0 obj << /Type /XRef /Size 2 /W [1 2 1] >> stream\nendstream endobj\nstartxref\n9\n%%EOF\n";
    let e = stamp::stamp(pdf, "https://x/y", &[]).expect_err("xref stream");
    assert!(matches!(e, motcua_signing::SignError::XrefStream));
    assert!(e.to_string().contains("xref stream"));
}
