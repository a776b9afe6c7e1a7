//! The webhook of dossier events: what a province's own system receives
//! for every event of the dossiers of a unit it subscribed to, and how it
//! knows the message came from us. The message names the dossier and the
//! step, never the applicant: no name, no ID number, no lookup key.
//!
//! Signature: header `X-Motcua-Signature: t=<unix seconds>,v1=<hex>` where
//! `<hex>` is HMAC-SHA256 under the subscription's secret of
//! `<unix seconds>.<body>`; a receiver recomputes it, compares in constant
//! time and refuses a timestamp too far from its clock.

use crate::Problem;
use crate::dossier::Event;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

pub const SIGNATURE_HEADER: &str = "X-Motcua-Signature";
/// The message's own id, the same at every delivery of it: receivers
/// deduplicate on it.
pub const ID_HEADER: &str = "X-Motcua-Delivery";

/// One event of a dossier, as subscribers receive it (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DossierEventMessage {
    /// Always "dossier.event".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `<dossier code>:<event seq>`, unique and stable.
    pub id: String,
    pub dossier_code: String,
    pub unit_code: String,
    pub procedure_code: String,
    pub seq: i64,
    pub action: &'static str,
    pub from_status: Option<&'static str>,
    pub to_status: &'static str,
    /// RFC 3339, UTC.
    pub at: String,
    /// The due instant this event set, if it set one (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
}

/// UTC, to the millisecond the history stores.
fn rfc3339(t: time::OffsetDateTime) -> String {
    let ms = t.nanosecond() / 1_000_000 * 1_000_000;
    t.replace_nanosecond(ms)
        .unwrap_or(t)
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl DossierEventMessage {
    pub fn of(dossier_code: &str, unit_code: &str, procedure_code: &str, e: &Event) -> Self {
        DossierEventMessage {
            kind: "dossier.event",
            id: format!("{dossier_code}:{}", e.seq),
            dossier_code: dossier_code.to_string(),
            unit_code: unit_code.to_string(),
            procedure_code: procedure_code.to_string(),
            seq: e.seq,
            action: e.action.as_str(),
            from_status: e.from_status.map(|s| s.as_str()),
            to_status: e.to_status.as_str(),
            at: rfc3339(e.at),
            due_at: e.frozen.due_at.map(rfc3339),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The signature header's value for `body` sent at `unix_seconds`.
pub fn sign(secret: &[u8], unix_seconds: i64, body: &str) -> String {
    let mac = crate::audit::hmac_hex(secret, format!("{unix_seconds}.{body}").as_bytes());
    format!("t={unix_seconds},v1={mac}")
}

/// A subscription's secret, derived from the server's integration key and
/// the subscription's id and nonce: the database never holds it, and a new
/// nonce gives a new secret.
pub fn subscription_secret(master: &[u8], id: i64, nonce: &str) -> String {
    let mac = crate::audit::hmac_hex(master, format!("webhook-secret\n{id}\n{nonce}").as_bytes());
    format!("whsec_{mac}")
}

/// A subscriber's address: http or https, a host, no spaces or fragments,
/// at most 500 characters.
pub fn check_url(raw: &str) -> Result<String, Problem> {
    let url = raw.trim();
    let bad = || {
        Problem::invalid(
            "bad_url",
            "url",
            "Địa chỉ nhận phải có dạng https://may-chu/duong-dan (tối đa 500 ký tự, không có dấu cách)",
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if url.len() > 500
        || host.is_empty()
        || host.starts_with(':')
        || url.contains(char::is_whitespace)
        || url.contains('#')
        || host.contains('@')
    {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// When an effect that failed `attempts` times is tried again, in seconds
/// from now: doubling from 30 s up to 6 h, with up to a fifth more at
/// random (`jitter` in 0..1) so that failed deliveries do not return
/// together. After `MAX_ATTEMPTS` the effect is dead: a person decides.
pub fn retry_after_secs(attempts: u32, jitter: f64) -> i64 {
    let base = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    let capped = base.min(6 * 3600);
    capped + (capped as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as i64
}

pub const MAX_ATTEMPTS: u32 = 12;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Action, Status};

    #[test]
    fn the_message_names_the_step_and_never_the_person() {
        let e = Event {
            seq: 2,
            at: time::macros::datetime!(2026-12-07 08:30 +7),
            actor: "tiepnhan".into(),
            role: "receptionist".into(),
            action: Action::Receive,
            from_status: Some(Status::Submitted),
            to_status: Status::Received,
            note: Some("Nguyễn Văn A, 087190001234".into()),
            payload: Default::default(),
            frozen: crate::dossier::Frozen {
                due_at: Some(time::macros::datetime!(2026-12-09 08:30 +7)),
                ..Default::default()
            },
        };
        let m = DossierEventMessage::of("30112-261207-0001", "30112", "HT-KS", &e);
        assert_eq!(
            m.to_json(),
            r#"{"type":"dossier.event","id":"30112-261207-0001:2","dossier_code":"30112-261207-0001","unit_code":"30112","procedure_code":"HT-KS","seq":2,"action":"receive","from_status":"submitted","to_status":"received","at":"2026-12-07T01:30:00Z","due_at":"2026-12-09T01:30:00Z"}"#
        );
    }

    #[test]
    fn instants_are_given_to_the_millisecond() {
        let t = time::macros::datetime!(2026-12-07 15:48:32.451926870 UTC);
        assert_eq!(rfc3339(t), "2026-12-07T15:48:32.451Z");
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Computed independently: printf '1765000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign(b"whsec_test", 1_765_000_000, r#"{"a":1}"#),
            "t=1765000000,v1=bff821b803d16fd6792090a808f6943d2c920f931b611f5bc0a3299fb108c453"
        );
    }

    #[test]
    fn urls_and_back_off() {
        assert_eq!(
            check_url(" https://hue.gov.vn/hooks/motcua ").as_deref(),
            Ok("https://hue.gov.vn/hooks/motcua")
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://a b",
            "https://u@h/",
            "hue.gov.vn",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert_eq!(retry_after_secs(1, 0.0), 30);
        assert_eq!(retry_after_secs(2, 0.0), 60);
        assert_eq!(retry_after_secs(3, 1.0), 144);
        assert_eq!(retry_after_secs(30, 0.0), 6 * 3600);
        let secret = subscription_secret(b"k", 7, "n1");
        assert!(secret.starts_with("whsec_") && secret.len() == 70);
        assert_ne!(secret, subscription_secret(b"k", 7, "n2"));
    }
}
