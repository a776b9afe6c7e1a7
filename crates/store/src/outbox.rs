//! The outbox: effects of the history on the outside world, written in the
//! transaction of the event that causes them (a webhook delivery now; SMS,
//! the national portal and payments later) and handed to a worker that
//! delivers each one, retries with back-off and gives up after a number of
//! attempts ("dead", listed for a person to retry). A claim leases entries
//! for a while: a worker that dies mid-delivery leaves its entries to the
//! next claim after the lease, so nothing committed is lost; a receiver may
//! see an entry twice and deduplicates on its idempotency key. On
//! PostgreSQL the claim reads `FOR UPDATE SKIP LOCKED`, so several
//! processes share the outbox without handing out one entry twice.

use crate::model::{from_ms, to_ms};
use crate::{Result, Store};
use serde::Serialize;
use time::OffsetDateTime;

/// A province's system that receives the events of one unit's dossiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub unit_code: String,
    pub url: String,
    /// With the server's integration key, gives the secret (never stored).
    #[serde(skip)]
    pub nonce: String,
    pub active: bool,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub unit_code: String,
    /// The subscription (for a webhook).
    pub target_id: Option<i64>,
    pub idempotency_key: String,
    pub payload: String,
    /// pending, done or dead.
    pub state: String,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How full the outbox is, for the metrics and the administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxDepth {
    pub pending: i64,
    /// When the oldest pending entry was written.
    #[serde(with = "time::serde::rfc3339::option")]
    pub oldest_pending: Option<OffsetDateTime>,
    pub dead: i64,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    unit_code: String,
    url: String,
    nonce: String,
    active: bool,
    created_by: String,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            unit_code: r.unit_code,
            url: r.url,
            nonce: r.nonce,
            active: r.active,
            created_by: r.created_by,
            created_at: from_ms(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    kind: String,
    unit_code: String,
    target_id: Option<i64>,
    idempotency_key: String,
    payload: String,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    created_at: i64,
}

impl From<EntryRow> for OutboxEntry {
    fn from(r: EntryRow) -> Self {
        OutboxEntry {
            id: r.id,
            kind: r.kind,
            unit_code: r.unit_code,
            target_id: r.target_id,
            idempotency_key: r.idempotency_key,
            payload: r.payload,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: from_ms(r.next_attempt_at),
            last_error: r.last_error,
            created_at: from_ms(r.created_at),
        }
    }
}

macro_rules! entry_columns {
    () => {
        "id, kind, unit_code, target_id, idempotency_key, payload, state, \
         CAST(attempts AS BIGINT) AS attempts, next_attempt_at, last_error, created_at"
    };
}
macro_rules! webhook_columns {
    () => {
        "id, unit_code, url, nonce, active, created_by, created_at"
    };
}

macro_rules! outbox_sql {
    ($db:ty, $skip_locked:literal) => {
        use super::*;

        impl crate::Sql<$db> {
            pub(crate) async fn add_webhook(
                &self,
                unit: &str,
                url: &str,
                nonce: &str,
                by: &str,
                now: i64,
            ) -> Result<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO webhooks (unit_code, url, nonce, active, created_by, created_at) \
                     VALUES ($1, $2, $3, TRUE, $4, $5) RETURNING id",
                )
                .bind(unit)
                .bind(url)
                .bind(nonce)
                .bind(by)
                .bind(now)
                .fetch_one(&self.write)
                .await?)
            }

            pub(crate) async fn webhooks(&self, unit: Option<&str>) -> Result<Vec<Webhook>> {
                let sql = concat!(
                    "SELECT ", webhook_columns!(), " FROM webhooks WHERE ($1 IS NULL OR unit_code = $1) ORDER BY unit_code, id"
                );
                let rows: Vec<WebhookRow> = sqlx::query_as(sql).bind(unit).fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(Webhook::from).collect())
            }

            pub(crate) async fn webhook(&self, id: i64) -> Result<Option<Webhook>> {
                let sql = concat!("SELECT ", webhook_columns!(), " FROM webhooks WHERE id = $1");
                let row: Option<WebhookRow> = sqlx::query_as(sql).bind(id).fetch_optional(&self.write).await?;
                Ok(row.map(Webhook::from))
            }

            pub(crate) async fn stop_webhook(&self, id: i64) -> Result<bool> {
                let done = sqlx::query("UPDATE webhooks SET active = FALSE WHERE id = $1 AND active")
                    .bind(id)
                    .execute(&self.write)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn outbox_claim(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxEntry>> {
                let sql = concat!(
                    "UPDATE outbox SET lease_until = $1 WHERE id IN (SELECT id FROM outbox \
                     WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
                     ORDER BY id LIMIT $3", $skip_locked, ") RETURNING ", entry_columns!()
                );
                let mut rows: Vec<EntryRow> = sqlx::query_as(sql)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.write)
                    .await?;
                rows.sort_by_key(|r| r.id);
                Ok(rows.into_iter().map(OutboxEntry::from).collect())
            }

            pub(crate) async fn outbox_delivered(&self, id: i64, now: i64) -> Result<()> {
                sqlx::query(
                    "UPDATE outbox SET state = 'done', done_at = $2, attempts = attempts + 1, lease_until = NULL, \
                     last_error = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub(crate) async fn outbox_failed(&self, id: i64, error: &str, next: Option<i64>) -> Result<()> {
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, lease_until = NULL, last_error = $2, \
                     state = CASE WHEN $3 IS NULL THEN 'dead' ELSE 'pending' END, \
                     next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $1",
                )
                .bind(id)
                .bind(error)
                .bind(next)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub(crate) async fn outbox_dead(&self, unit: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
                let sql = concat!(
                    "SELECT ", entry_columns!(), " FROM outbox WHERE state = 'dead' AND ($1 IS NULL OR unit_code = $1) \
                     ORDER BY id DESC LIMIT $2"
                );
                let rows: Vec<EntryRow> = sqlx::query_as(sql).bind(unit).bind(limit).fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(OutboxEntry::from).collect())
            }

            pub(crate) async fn outbox_entry(&self, key: &str) -> Result<Option<OutboxEntry>> {
                let sql = concat!("SELECT ", entry_columns!(), " FROM outbox WHERE idempotency_key = $1");
                let row: Option<EntryRow> = sqlx::query_as(sql).bind(key).fetch_optional(&self.write).await?;
                Ok(row.map(OutboxEntry::from))
            }

            pub(crate) async fn outbox_retry(&self, id: i64, unit: Option<&str>, now: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $3, lease_until = NULL \
                     WHERE id = $1 AND state = 'dead' AND ($2 IS NULL OR unit_code = $2)",
                )
                .bind(id)
                .bind(unit)
                .bind(now)
                .execute(&self.write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn outbox_depth(&self, unit: Option<&str>) -> Result<OutboxDepth> {
                let (pending, oldest, dead): (i64, Option<i64>, i64) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                     MIN(CASE WHEN state = 'pending' THEN created_at END), \
                     CAST(COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS BIGINT) \
                     FROM outbox WHERE state <> 'done' AND ($1 IS NULL OR unit_code = $1)",
                )
                .bind(unit)
                .fetch_one(&self.read)
                .await?;
                Ok(OutboxDepth {
                    pending,
                    oldest_pending: oldest.map(from_ms),
                    dead,
                })
            }
        }
    };
}

mod sqlite {
    outbox_sql!(sqlx::Sqlite, "");
}
mod postgres {
    outbox_sql!(sqlx::Postgres, " FOR UPDATE SKIP LOCKED");
}

impl Store {
    /// The signing secret of a subscription (derived, never stored).
    pub fn webhook_secret(&self, hook: &Webhook) -> String {
        motcua_domain::webhook::subscription_secret(&self.integration_key, hook.id, &hook.nonce)
    }

    /// Subscribe `url` to the events of `unit`'s dossiers; `nonce` with the
    /// integration key gives its secret.
    pub async fn add_webhook(
        &self,
        unit: &str,
        url: &str,
        nonce: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Webhook> {
        if self.unit(unit).await?.is_none() {
            return Err(motcua_domain::Problem::invalid(
                "unknown_unit",
                "unit",
                format!("Không có đơn vị mã \"{unit}\""),
            )
            .into());
        }
        let url = motcua_domain::webhook::check_url(url)?;
        let id = on_db!(self, add_webhook(unit, &url, nonce, by, to_ms(now)))?;
        self.webhook(id)
            .await?
            .ok_or_else(|| crate::StoreError::Config("webhook vanished".into()))
    }

    /// Subscriptions, of one unit or of all.
    pub async fn webhooks(&self, unit: Option<&str>) -> Result<Vec<Webhook>> {
        on_db!(self, webhooks(unit))
    }

    pub async fn webhook(&self, id: i64) -> Result<Option<Webhook>> {
        on_db!(self, webhook(id))
    }

    /// Stop a subscription: later events are no longer sent to it; entries
    /// already written for it die at their next attempt.
    pub async fn stop_webhook(&self, id: i64) -> Result<bool> {
        on_db!(self, stop_webhook(id))
    }

    /// Lease up to `limit` entries due at `now` until `lease_until`.
    pub async fn outbox_claim(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>> {
        on_db!(self, outbox_claim(to_ms(now), to_ms(lease_until), limit))
    }

    pub async fn outbox_delivered(&self, id: i64, now: OffsetDateTime) -> Result<()> {
        on_db!(self, outbox_delivered(id, to_ms(now)))
    }

    /// A failed attempt: tried again at `next`, or dead when None.
    pub async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        next: Option<OffsetDateTime>,
    ) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        on_db!(self, outbox_failed(id, &error, next.map(to_ms)))
    }

    /// Dead entries, newest first (of one unit, or all).
    pub async fn outbox_dead(&self, unit: Option<&str>, limit: i64) -> Result<Vec<OutboxEntry>> {
        on_db!(self, outbox_dead(unit, limit))
    }

    pub async fn outbox_entry(&self, idempotency_key: &str) -> Result<Option<OutboxEntry>> {
        on_db!(self, outbox_entry(idempotency_key))
    }

    /// Try a dead entry again from `now` (only one of `unit`, when given).
    pub async fn outbox_retry(
        &self,
        id: i64,
        unit: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        on_db!(self, outbox_retry(id, unit, to_ms(now)))
    }

    /// Waiting and dead entries, of one unit or all.
    pub async fn outbox_depth(&self, unit: Option<&str>) -> Result<OutboxDepth> {
        on_db!(self, outbox_depth(unit))
    }
}
