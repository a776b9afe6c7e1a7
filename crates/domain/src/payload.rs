//! What an event carries besides who, when, what and why: one typed shape
//! for every action. The stored text is hashed into the audit chain, so it
//! must stay byte for byte what earlier releases wrote: fields are in
//! alphabetical order (the order of a `serde_json` object either way), an
//! absent field is never written as `null`, and unknown fields are refused
//! rather than dropped.

use crate::delivery::Delivery;
use crate::lifecycle::{Channel, Via};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One corrected applicant field: what it was and what it became.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The data of an event. Which fields an action sets:
/// `channel` (and `digitized` at the counter) on creation, `assignee` on
/// assign, `missing` on a supplement request, `documents` on a supplement,
/// `delivery` on return, `new_due` on an apology, `applicant` on a
/// correction; `due_at` and `pause_remaining` where the event fixed them;
/// `via`, the door the request came through, on every action since release 2.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Declaration answers corrected by a supplement: {"key": {"from", "to"}}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<BTreeMap<String, Change>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant: Option<BTreeMap<String, Change>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitized: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<String>>,
    /// The due instant the event set (RFC 3339, Vietnam time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// A second supplement request, sent after the officer confirmed it counts as late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_confirmed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    /// The apology's new date (RFC 3339, Vietnam time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_due: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_remaining: Option<i64>,
    /// A reception that waits for payment: how the clock stands meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_clock: Option<crate::fees::PayClock>,
    /// A cash payment: its fee lines, total and receipt number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentFacts>,
    /// The receipt a void names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// The competent unit a dossier was routed to (Decree 118/2025, art. 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

/// What a payment event records (the facts the national sync sends later).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFacts {
    /// "cash" at the counter; the gateways add theirs.
    pub method: String,
    pub lines: Vec<crate::fees::FeeLine>,
    pub total_vnd: u64,
    /// The electronic receipt's number ("2026-000001"), allocated with the
    /// event in the same transaction, gapless per unit and year.
    pub receipt: String,
    /// The unit's registered receipt symbols when it was issued, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_symbol: Option<String>,
    /// The online payment order the channel confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

impl Payload {
    /// Read a stored payload.
    pub fn parse(text: &str) -> Result<Payload, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The stored text: what the audit chain hashes.
    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .unwrap_or(serde_json::Value::Null)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_reads_and_writes_back_byte_for_byte() {
        for text in [
            r#"{}"#,
            r#"{"channel":"online"}"#,
            r#"{"channel":"counter","digitized":false}"#,
            r#"{"assignee":"chuyenvien.myhiep","via":"page"}"#,
            r#"{"missing":["to-khai","giay-to-tuy-than"],"pause_remaining":1380,"via":"api"}"#,
            r#"{"documents":[]}"#,
            r#"{"delivery":{"method":"post","postal_address":"Ấp 2, xã Mỹ Hiệp","tracking_number":"EV123456789VN"}}"#,
            r#"{"delivery":{"method":"counter"},"via":"direct"}"#,
            r#"{"new_due":"2026-02-11T16:00:00+07:00","pause_remaining":0}"#,
            r#"{"due_at":"2026-03-05T09:00:00+07:00","via":"kiosk"}"#,
            r#"{"to_unit":"30115","via":"page"}"#,
            r#"{"due_at":"2026-03-05T09:00:00+07:00","pause_remaining":960,"pay_clock":"paused","via":"page"}"#,
            r#"{"pay_clock":"not_started","via":"page"}"#,
            r#"{"answers":{"xn_muc_dich":{"from":"Kết hôn","to":"Đăng ký kết hôn"}},"documents":[],"via":"page"}"#,
            r#"{"applicant":{"address":{"from":"Ấp 2 😀","to":"Ấp 2"},"email":{"from":null,"to":"a@b.vn"}},"via":"page"}"#,
        ] {
            let p = Payload::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.to_json(), text);
        }
    }

    #[test]
    fn unknown_fields_are_refused_not_dropped() {
        assert!(Payload::parse(r#"{"channel":"online","extra":1}"#).is_err());
        assert!(Payload::parse(r#"{"channel":"fax"}"#).is_err());
    }
}
