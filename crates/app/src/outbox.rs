//! Delivering the outbox: one worker claims the entries that are due,
//! hands each to the port of its kind and records what happened. A failed
//! delivery is tried again later (doubling waits with jitter, see
//! `motcua_domain::webhook::retry_after_secs`); after the last attempt it is
//! dead and waits for a person. Delivery is at least once: an entry whose
//! worker died mid-delivery is claimed again after its lease, so receivers
//! deduplicate on the delivery id header.

use crate::clock::SharedClock;
use motcua_domain::webhook::{self, ID_HEADER, MAX_ATTEMPTS, SIGNATURE_HEADER};
use motcua_store::outbox::{OutboxEntry, Webhook};
use motcua_store::{Store, StoreError};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Why a delivery did not go through. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Transport(String),
    /// Nobody to deliver to any more (a stopped subscription): no retry.
    #[error("{0}")]
    Gone(String),
}

pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// The port of a webhook: POST a JSON body with headers to a URL.
pub trait WebhookPort: Send + Sync {
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'static str, String)],
        body: &'a str,
    ) -> DeliveryFuture<'a>;
}

/// The adapter: HTTP(S) with a timeout; any 2xx answer is a delivery.
#[derive(Debug, Clone)]
pub struct HttpWebhook {
    client: reqwest::Client,
}

impl HttpWebhook {
    pub fn new(timeout: Duration) -> Result<Self, DeliveryError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("motcua/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DeliveryError::Transport(e.to_string()))?;
        Ok(HttpWebhook { client })
    }
}

impl WebhookPort for HttpWebhook {
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'static str, String)],
        body: &'a str,
    ) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(url)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_string());
            for (name, value) in headers {
                req = req.header(*name, value);
            }
            // The error's text names the host and the cause, never a header.
            let resp = req
                .send()
                .await
                .map_err(|e| DeliveryError::Transport(e.without_url().to_string()))?;
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(DeliveryError::Status(status))
            }
        })
    }
}

/// The headers of a signed delivery of `body` to `hook`, sent at `now`
/// under the delivery id `id`.
pub fn signed_headers(
    store: &Store,
    hook: &Webhook,
    body: &str,
    id: &str,
    now: time::OffsetDateTime,
) -> [(&'static str, String); 2] {
    let secret = store.webhook_secret(hook);
    [
        (
            SIGNATURE_HEADER,
            webhook::sign(secret.as_bytes(), now.unix_timestamp(), body),
        ),
        (ID_HEADER, id.to_string()),
    ]
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub delivered: usize,
    pub failed: usize,
    pub dead: usize,
}

/// The outbox's worker.
#[derive(Clone)]
pub struct OutboxWorker {
    pub store: Store,
    pub clock: SharedClock,
    pub webhooks: Arc<dyn WebhookPort>,
    /// How long a claimed entry is held before another worker may take it.
    pub lease: Duration,
    pub batch: i64,
}

fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

impl OutboxWorker {
    /// Claim what is due and deliver it, once.
    pub async fn run_once(&self) -> Result<Pass, StoreError> {
        let now = self.clock.now();
        let lease = time::Duration::try_from(self.lease).unwrap_or(time::Duration::MINUTE);
        let entries = self
            .store
            .outbox_claim(now, now + lease, self.batch)
            .await?;
        let mut pass = Pass::default();
        if entries.is_empty() {
            return Ok(pass);
        }
        // The subscriptions once per pass, not once per entry; a storage
        // failure here is the pass's, never counted against a delivery.
        let hooks: HashMap<i64, Webhook> = self
            .store
            .webhooks(None)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        for e in entries {
            match self.deliver(&e, &hooks).await {
                Ok(()) => {
                    self.store.outbox_delivered(e.id, self.clock.now()).await?;
                    pass.delivered += 1;
                }
                Err(error) => {
                    let attempts = u32::try_from(e.attempts + 1).unwrap_or(u32::MAX);
                    let gone = matches!(error, DeliveryError::Gone(_));
                    let next = (attempts < MAX_ATTEMPTS && !gone).then(|| {
                        self.clock.now()
                            + time::Duration::seconds(webhook::retry_after_secs(attempts, jitter()))
                    });
                    tracing::warn!(entry = e.id, kind = %e.kind, attempts, error = %error, "delivery failed");
                    self.store
                        .outbox_failed(e.id, &error.to_string(), next)
                        .await?;
                    if next.is_some() {
                        pass.failed += 1;
                    } else {
                        pass.dead += 1;
                    }
                }
            }
        }
        Ok(pass)
    }

    async fn deliver(
        &self,
        e: &OutboxEntry,
        hooks: &HashMap<i64, Webhook>,
    ) -> Result<(), DeliveryError> {
        match e.kind.as_str() {
            "webhook" => {
                let hook = e.target_id.and_then(|id| hooks.get(&id));
                let Some(hook) = hook.filter(|h| h.active) else {
                    return Err(DeliveryError::Gone(
                        "đăng ký nhận đã dừng (subscription stopped)".into(),
                    ));
                };
                let headers = signed_headers(
                    &self.store,
                    hook,
                    &e.payload,
                    &e.idempotency_key,
                    self.clock.now(),
                );
                self.webhooks.post(&hook.url, &headers, &e.payload).await
            }
            other => Err(DeliveryError::Gone(format!(
                "loại hiệu ứng không rõ: {other} (unknown kind)"
            ))),
        }
    }
}
