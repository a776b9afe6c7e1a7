//! Subscribing a province's system to a unit's dossier events: the
//! address is checked, a fresh nonce drawn, and the signing secret (derived
//! from the server's integration key, never stored) returned once.

use motcua_store::outbox::Webhook;
use motcua_store::{Store, StoreError};
use time::OffsetDateTime;

/// Subscribe `url` to the events of `unit`'s dossiers; returns the
/// subscription and its secret, to show once.
pub async fn subscribe(
    store: &Store,
    unit: &str,
    url: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<(Webhook, String), StoreError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    let nonce = motcua_store::hex(&b);
    let hook = store.add_webhook(unit.trim(), url, &nonce, by, now).await?;
    let secret = store.webhook_secret(&hook);
    Ok((hook, secret))
}
