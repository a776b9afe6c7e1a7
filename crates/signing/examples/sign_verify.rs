//! How long stamping + signing and verifying a typical result take.
//!
//!     cargo run --release -p motcua-signing --example sign_verify [ROUNDS]
//!
//! The result is a one-page PDF with a few lines of text; the stamp adds the
//! QR code; verification checks the whole chain against the unit's CA.

use motcua_signing::sign::{SignRequest, sign_pdf};
use motcua_signing::verify::{KnownCert, verify_pdf};
use motcua_signing::{Secret, ca, keys, sample, stamp};
use std::time::Instant;
use time::OffsetDateTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let now = OffsetDateTime::now_utc();
    let unit_ca = ca::new_ca("30112", "Xã Mỹ Hiệp", now, 10)?;
    let signer = ca::issue(
        &unit_ca.key,
        &unit_ca.cert_der,
        "Nguyễn Văn Lãnh",
        "lanhdao",
        Some("Chủ tịch UBND xã Mỹ Hiệp"),
        now,
        730,
    )?;
    let secret = Secret::random()?;
    let sealed = keys::seal(&signer.key, &secret)?;
    let known = vec![KnownCert {
        serial: unit_ca.serial.clone(),
        unit_code: "30112".into(),
        cert_der: unit_ca.cert_der.clone(),
        is_ca: true,
        revoked_at: None,
        revoke_reason: None,
    }];
    let lines: Vec<String> = (1..=30)
        .map(|i| format!("Dong {i}: noi dung ket qua giai quyet thu tuc hanh chinh"))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let pdf = sample::pdf(&refs);

    let t = Instant::now();
    let mut signed = Vec::new();
    for _ in 0..rounds {
        // What the server does per signature: open the sealed key, stamp, sign.
        let key = keys::open(&sealed, &secret)?;
        let stamped = stamp::stamp(
            &pdf,
            "https://motcua.example/xac-minh/0123456789abcdef01234567",
            &["Van ban dien tu da ky so", "Xac minh tai:"],
        )?;
        signed = sign_pdf(
            &stamped,
            &SignRequest {
                key: &key,
                cert_der: &signer.cert_der,
                ca_cert_der: &unit_ca.cert_der,
                signer_name: "Nguyễn Văn Lãnh",
                reason: "Phê duyệt",
                location: "Xã Mỹ Hiệp",
                at: now,
            },
        )?;
    }
    let sign_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);

    let t = Instant::now();
    for _ in 0..rounds {
        let r = verify_pdf(&signed, &known, time::OffsetDateTime::now_utc());
        assert!(r.verdict.is_valid(), "{}", r.verdict.message());
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!(
        "input {} bytes, signed {} bytes, {rounds} rounds: open key + stamp + sign {sign_ms:.2} ms, verify {verify_ms:.2} ms",
        pdf.len(),
        signed.len()
    );
    Ok(())
}
