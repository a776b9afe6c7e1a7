//! Checking a unit's connected systems: every required field set, every
//! secret opens with this server's key, and each webhook subscription
//! answers a signed ping. Systems whose adapter is not in this release are
//! reported as configured but not tried, never as working.

use crate::clock::SharedClock;
use crate::outbox::WebhookPort;
use motcua_domain::integrations::{SYSTEMS, missing};
use motcua_store::{Store, StoreError};
use std::collections::BTreeMap;

/// The online payment channels a unit has set up (every required field
/// set), in the order the lookup page offers them; one read of its settings.
pub async fn online_channels(store: &Store, unit: &str) -> Result<Vec<&'static str>, StoreError> {
    let settings = store.integrations(Some(unit)).await?;
    Ok(["vnpay", "vietqr"]
        .into_iter()
        .filter(|system| {
            let keys: Vec<&str> = settings
                .iter()
                .filter(|s| s.system == *system)
                .map(|s| s.key.as_str())
                .collect();
            !keys.is_empty() && missing(system, &keys).is_empty()
        })
        .collect())
}

/// One line of `motcua integrations check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub unit_code: String,
    pub system: String,
    pub ok: bool,
    pub message: String,
}

pub async fn check(
    store: &Store,
    unit: Option<&str>,
    webhooks: &dyn WebhookPort,
    clock: &SharedClock,
) -> Result<Vec<CheckLine>, StoreError> {
    let mut out = Vec::new();
    let mut by_system: BTreeMap<(String, String), Vec<(String, bool)>> = BTreeMap::new();
    for s in store.integrations(unit).await? {
        by_system
            .entry((s.unit_code, s.system))
            .or_default()
            .push((s.key, s.secret));
    }
    for ((unit_code, system), fields) in by_system {
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let absent = missing(&system, &keys);
        let name = SYSTEMS
            .iter()
            .find(|s| s.code == system)
            .map_or(system.as_str(), |s| s.name_vi);
        let mut line = CheckLine {
            unit_code: unit_code.clone(),
            system: system.clone(),
            ok: false,
            message: String::new(),
        };
        if !absent.is_empty() {
            line.message = format!("{name}: thiếu {}", absent.join(", "));
            out.push(line);
            continue;
        }
        let mut opened = true;
        for (key, _) in fields.iter().filter(|(_, secret)| *secret) {
            if let Err(e) = store.integration_secret(&unit_code, &system, key).await {
                line.message = format!("{name}: {e}");
                opened = false;
                break;
            }
        }
        if opened {
            line.ok = true;
            line.message = format!(
                "{name}: đủ cấu hình, khóa bí mật mở được; bản này chưa có bộ kết nối để thử gọi (configured; no adapter in this release to call it)"
            );
        }
        out.push(line);
    }
    for hook in store.webhooks(unit).await?.into_iter().filter(|h| h.active) {
        let now = clock.now();
        let body = serde_json::json!({
            "type": "ping",
            "unit_code": hook.unit_code,
            "subscription": hook.id,
        })
        .to_string();
        let id = format!("ping:{}:{}", hook.id, now.unix_timestamp());
        let headers = crate::outbox::signed_headers(store, &hook, &body, &id, now);
        let result = webhooks.post(&hook.url, &headers, &body).await;
        out.push(CheckLine {
            unit_code: hook.unit_code.clone(),
            system: format!("webhook #{}", hook.id),
            ok: result.is_ok(),
            message: match result {
                Ok(()) => format!("{}: trả lời tin thử (answered the ping)", hook.url),
                Err(e) => format!("{}: {e}", hook.url),
            },
        });
    }
    Ok(out)
}
