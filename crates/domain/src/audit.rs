//! Tamper-evident history: every dossier event is a link in its unit's hash
//! chain. A link's hash covers its content and the previous link's hash, so
//! changing, deleting or reordering any event breaks every later link; a
//! signed checkpoint of the chain heads stops a rewrite of the whole chain.

use crate::dossier::Event;
use sha2::{Digest, Sha256};

/// The hash before a unit's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where an event sits in its unit's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<'a> {
    pub unit_code: &'a str,
    pub unit_seq: i64,
    pub prev_hash: &'a str,
    pub dossier_code: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The hash of one event in its chain. Fields are length-prefixed so no two
/// different events can serialize to the same bytes.
pub fn event_hash(link: &Link<'_>, e: &Event) -> String {
    let at_ms = (e.at.unix_timestamp_nanos() / 1_000_000) as i64;
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"motcua-event-v1");
    field(link.unit_code.as_bytes());
    field(&link.unit_seq.to_be_bytes());
    field(link.prev_hash.as_bytes());
    field(link.dossier_code.as_bytes());
    field(&e.seq.to_be_bytes());
    field(&at_ms.to_be_bytes());
    field(e.actor.as_bytes());
    field(e.role.as_bytes());
    field(e.action.as_str().as_bytes());
    field(e.from_status.map(|s| s.as_str()).unwrap_or("").as_bytes());
    field(e.to_status.as_str().as_bytes());
    field(e.note.as_deref().unwrap_or("").as_bytes());
    field(e.payload.to_string().as_bytes());
    hex(&h.finalize())
}

/// Compare secrets (or their hashes) without an early exit that would leak
/// how much of them matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// HMAC-SHA256 (RFC 2104) of a checkpoint with the server's audit key.
pub fn checkpoint_mac(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.iter().map(|b| b ^ 0x36).collect::<Vec<_>>());
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>());
    outer.update(inner.finalize());
    hex(&outer.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Action, Status};
    use time::macros::datetime;

    fn ev(note: &str) -> Event {
        Event {
            seq: 1,
            at: datetime!(2026-03-02 09:00 +7),
            actor: "a".into(),
            role: "receptionist".into(),
            action: Action::Receive,
            from_status: Some(Status::Submitted),
            to_status: Status::Received,
            note: Some(note.into()),
            payload: serde_json::json!({"b": 1, "a": 2}),
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let link = Link {
            unit_code: "30112",
            unit_seq: 1,
            prev_hash: GENESIS,
            dossier_code: "30112-260302-0001",
        };
        let h = event_hash(&link, &ev("x"));
        assert_eq!(h.len(), 64);
        assert_eq!(h, event_hash(&link, &ev("x")));
        assert_ne!(h, event_hash(&link, &ev("y")));
        assert_ne!(
            h,
            event_hash(
                &Link {
                    unit_seq: 2,
                    ..link.clone()
                },
                &ev("x")
            )
        );
        assert_ne!(
            h,
            event_hash(
                &Link {
                    prev_hash: "1",
                    ..link.clone()
                },
                &ev("x")
            )
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            checkpoint_mac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
