//! Uploads nobody has attached yet: the caps that keep one client (or all
//! of them) from filling the disk, the figures an administrator reads, and
//! the daily purge of what was never used, with its files.

use crate::model::{DocumentMeta, from_ms, to_ms};
use crate::{Result, Store};
use motcua_domain::{Problem, ProblemKind};
use std::time::Duration;
use time::OffsetDateTime;

/// Unattached uploads older than this are deleted with their files.
pub const UNATTACHED_TTL: Duration = Duration::from_secs(24 * 3600);

/// Who is uploading and how much unattached data they and everybody may hold.
#[derive(Debug, Clone)]
pub struct UploadQuota {
    /// The client address (IPv6 by /64) or `account:<username>`.
    pub client: String,
    pub per_client_bytes: u64,
    pub total_bytes: u64,
}

/// Unattached bytes per client, the biggest first, and in total.
#[derive(Debug, Clone, Default)]
pub struct UnattachedUsage {
    pub total_bytes: i64,
    pub total_files: i64,
    pub clients: Vec<(String, i64, i64)>,
}

/// What the last purge removed.
#[derive(Debug, Clone)]
pub struct PurgeReport {
    pub at: OffsetDateTime,
    pub files: u64,
    pub bytes: u64,
    pub blobs: u64,
}

macro_rules! uploads_sql {
    ($db:ty) => {
        use super::*;
        use sqlx::Row;

        impl crate::Sql<$db> {
            pub(crate) async fn unattached_bytes(&self, client: Option<&str>) -> Result<i64> {
                let r = match client {
                    Some(c) => sqlx::query(
                        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM documents WHERE dossier_id IS NULL AND client = $1",
                    )
                    .bind(c)
                    .fetch_one(&self.read)
                    .await?,
                    None => sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM documents WHERE dossier_id IS NULL")
                        .fetch_one(&self.read)
                        .await?,
                };
                Ok(r.try_get::<i64, _>(0)?)
            }

            pub(crate) async fn unattached_usage(&self) -> Result<UnattachedUsage> {
                let rows = sqlx::query(
                    "SELECT COALESCE(client, ''), CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM documents \
                     WHERE dossier_id IS NULL GROUP BY client ORDER BY 2 DESC LIMIT 50",
                )
                .fetch_all(&self.read)
                .await?;
                let totals = sqlx::query(
                    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM documents WHERE dossier_id IS NULL",
                )
                .fetch_one(&self.read)
                .await?;
                let mut clients = Vec::with_capacity(rows.len());
                for r in &rows {
                    clients.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
                }
                Ok(UnattachedUsage {
                    total_bytes: totals.try_get(0)?,
                    total_files: totals.try_get(1)?,
                    clients,
                })
            }

            /// Delete unattached rows older than `before`; return (id, sha256, size) of each.
            pub(crate) async fn delete_unattached(
                &self,
                before: i64,
            ) -> Result<Vec<(String, Option<String>, i64)>> {
                let rows = sqlx::query(
                    "DELETE FROM documents WHERE dossier_id IS NULL AND created_at < $1 RETURNING id, sha256, size",
                )
                .bind(before)
                .fetch_all(&self.write)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
                }
                Ok(out)
            }

            /// Whether any document row still names these bytes.
            pub(crate) async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_one(&self.write)
                    .await?;
                Ok(n > 0)
            }
        }
    };
}

mod sqlite {
    uploads_sql!(sqlx::Sqlite);
}
mod postgres {
    uploads_sql!(sqlx::Postgres);
}

fn quota_full(message: &str) -> Problem {
    Problem::new(ProblemKind::RateLimited, "upload_quota", message).with_retry_after(3600)
}

impl Store {
    /// An upload from the public side (or a device): the caps are checked
    /// first, and the row remembers the client until it is attached.
    pub async fn upload_from(
        &self,
        bytes: &[u8],
        filename: Option<&str>,
        by: &str,
        quota: &UploadQuota,
        now: OffsetDateTime,
    ) -> Result<DocumentMeta> {
        let len = bytes.len() as u64;
        let mine = on_db!(self, unattached_bytes(Some(quota.client.as_str())))?;
        if mine.max(0) as u64 + len > quota.per_client_bytes {
            return Err(quota_full(
                "Bạn đã tải lên nhiều tệp chưa dùng cho hồ sơ nào; hãy nộp hồ sơ hoặc thử lại sau (upload quota reached)",
            )
            .into());
        }
        let all = on_db!(self, unattached_bytes(None))?;
        if all.max(0) as u64 + len > quota.total_bytes {
            tracing::warn!(total = all, "unattached uploads reached their total cap");
            return Err(quota_full(
                "Hệ thống đang nhận quá nhiều tệp, vui lòng thử lại sau (uploads are full)",
            )
            .into());
        }
        self.upload_as(bytes, filename, by, Some(&quota.client), now)
            .await
    }

    /// Unattached bytes per client and in total, for the administrator.
    pub async fn unattached_usage(&self) -> Result<UnattachedUsage> {
        on_db!(self, unattached_usage())
    }

    /// Delete uploads never attached within a day, and their files when no
    /// other document shares the bytes. Remembered for the admin's page.
    pub async fn purge_unattached(&self, now: OffsetDateTime) -> Result<PurgeReport> {
        let before = to_ms(now) - UNATTACHED_TTL.as_millis() as i64;
        let gone = on_db!(self, delete_unattached(before))?;
        let mut report = PurgeReport {
            at: from_ms(to_ms(now)),
            files: gone.len() as u64,
            bytes: gone.iter().map(|(_, _, s)| (*s).max(0) as u64).sum(),
            blobs: 0,
        };
        let mut shas: Vec<&String> = gone.iter().filter_map(|(_, s, _)| s.as_ref()).collect();
        shas.sort();
        shas.dedup();
        for sha in shas {
            if !on_db!(self, blob_in_use(sha))? && self.blobs().remove(sha).await? {
                report.blobs += 1;
            }
        }
        if let Ok(mut last) = self.last_purge.lock() {
            *last = Some(report.clone());
        }
        Ok(report)
    }

    /// The last purge of this process, if any.
    pub fn last_unattached_purge(&self) -> Option<PurgeReport> {
        self.last_purge.lock().ok().and_then(|l| l.clone())
    }
}
