//! The SQL of the operations in `lib.rs` (units, catalog, calendar,
//! documents, dossiers, drafts), written once in `backend_sql!` as methods
//! of the handle [`crate::Sql`] and compiled for each backend. The other
//! parts of the store keep theirs beside their operations, the same way.
//!
//! `$1` placeholders, `RETURNING` and `ON CONFLICT` mean the same on SQLite
//! and PostgreSQL, so one macro body serves both; the few differences live in
//! the migrations. Parameters are always numbered in order of first use.

use crate::model::*;
use crate::{Result, StoreError};
use motcua_domain::calendar::{CalendarOverride, Date, OverrideKind};
use motcua_domain::dossier::Event;
use motcua_domain::lifecycle::Status;
use motcua_domain::units::{Province, Unit, UnitList};
use motcua_domain::{Problem, ProblemKind};

/// What a dossier's first transaction writes.
pub(crate) struct Creation<'a> {
    pub unit_code: &'a str,
    pub local_day: Date,
    pub procedure_code: &'a str,
    /// The catalog version the dossier is received under.
    pub catalog_version: i64,
    pub channel: &'a str,
    pub applicant: &'a motcua_domain::dossier::Applicant,
    pub fields: String,
    /// The new dossier's lookup key; only its hash under `secret` is stored
    /// (the code it is bound to is allocated in the transaction).
    pub lookup_key: &'a str,
    pub secret: &'a [u8],
    pub event: &'a Event,
    pub projection: &'a motcua_domain::dossier::Projection,
    pub documents: &'a [DocumentRef],
    pub actor: &'a str,
    /// The index counters this first event changes.
    pub index: &'a [motcua_domain::index::Delta],
}

/// What an action writes, decided from the row read inside the transaction.
pub(crate) struct Decision {
    pub event: Event,
    pub projection: motcua_domain::dossier::Projection,
    pub documents: Vec<DocumentRef>,
    /// The index counters the event changes (see `motcua_domain::index::deltas`).
    pub index: Vec<motcua_domain::index::Delta>,
    /// Counters the routing hands from the receiving unit to the competent one.
    pub moved: Vec<motcua_domain::index::Delta>,
    /// The hash of a new lookup key, for the row.
    pub new_key_hash: Option<String>,
    /// Corrected applicant details, for the row.
    pub applicant: Option<motcua_domain::dossier::Applicant>,
    /// Corrected declaration answers, for the row.
    pub answers: Option<motcua_domain::declaration::Answers>,
    /// The result's signature, made for this approval.
    pub signature: Option<crate::signing::SignedResult>,
}

pub(crate) fn day_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM`: the key of the monthly index counters.
pub(crate) fn month_text(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn bad_upload(code: &str) -> StoreError {
    Problem::invalid(
        "bad_upload",
        format!("documents.{code}"),
        format!(
            "Tệp đính kèm cho giấy tờ \"{code}\" không tồn tại hoặc đã được dùng cho hồ sơ khác"
        ),
    )
    .into()
}

#[derive(sqlx::FromRow)]
struct DocRow {
    id: String,
    doc_code: Option<String>,
    sha256: Option<String>,
    size: i64,
    content_type: Option<String>,
    filename: Option<String>,
    paper: bool,
    created_at: i64,
}

impl From<DocRow> for DocumentMeta {
    fn from(r: DocRow) -> Self {
        DocumentMeta {
            id: r.id,
            code: r.doc_code,
            sha256: r.sha256,
            size: r.size,
            content_type: r.content_type,
            filename: r.filename,
            paper: r.paper,
            created_at: from_ms(r.created_at),
        }
    }
}

/// The urgency order of a work list over a dossier row, `before` and
/// `after` around it: an open dossier by its due instant (most overdue
/// first), one not yet received by when it was submitted (longest waiting
/// first); closed ones after all.
macro_rules! concat_due {
    ($before:literal, $after:literal) => {
        concat!(
            $before,
            "(CASE WHEN status IN ('submitted', 'received', 'processing', 'awaiting_supplement', \
             'awaiting_approval') THEN COALESCE(due_at, submitted_at) ELSE 9000000000000000 END)",
            $after
        )
    };
}

macro_rules! backend_sql {
    // `$lock` locks a row read for update where the database needs it;
    // `$one_statement`: data-modifying CTEs exist (PostgreSQL).
    ($db:ty, $lock:literal, $one_statement:literal) => {
        use super::*;
        use sqlx::{QueryBuilder, Row, Transaction};

        type Db = $db;

        /// Restrict a query to the scope's units (an empty list matches nothing).
        fn push_scope(q: &mut QueryBuilder<Db>, scope: &Scope) {
            if let Scope::Units(units) = scope {
                if units.is_empty() {
                    q.push(" AND 1 = 0");
                    return;
                }
                q.push(" AND unit_code IN (");
                let mut sep = q.separated(", ");
                for u in units {
                    sep.push_bind(u.clone());
                }
                q.push(")");
            }
        }

        async fn attach_documents(tx: &mut Transaction<'static, Db>, dossier_id: i64, docs: &[DocumentRef], by: &str, now: i64) -> Result<()> {
            for (i, d) in docs.iter().enumerate() {
                if let Some(upload) = &d.upload_id {
                    let done = sqlx::query(
                        "UPDATE documents SET dossier_id = $1, doc_code = $2 WHERE id = $3 AND dossier_id IS NULL",
                    )
                    .bind(dossier_id)
                    .bind(&d.code)
                    .bind(upload)
                    .execute(&mut **tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(bad_upload(&d.code));
                    }
                } else if d.paper {
                    sqlx::query(
                        "INSERT INTO documents (id, dossier_id, doc_code, sha256, size, content_type, filename, paper, uploaded_by, created_at) \
                         VALUES ($1, $2, $3, NULL, 0, NULL, NULL, $4, $5, $6)",
                    )
                    .bind(format!("paper-{dossier_id}-{now}-{i}"))
                    .bind(dossier_id)
                    .bind(&d.code)
                    .bind(true)
                    .bind(by)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(())
        }

        /// Append an event as the next link of its unit's chain. The
        /// head row is locked (PostgreSQL) or the writer is alone (SQLite),
        /// so links never fork.
        #[allow(clippy::too_many_arguments)]
        async fn insert_event(
            tx: &mut Transaction<'static, Db>,
            audit_key: &[u8],
            dossier_id: i64,
            dossier_code: &str,
            unit_code: &str,
            procedure_code: &str,
            e: &Event,
            index: &[motcua_domain::index::Delta],
        ) -> Result<()> {
            let (prev_seq, prev_hash) = chain_head(tx, unit_code).await?;
            let link = motcua_domain::audit::Link { unit_code, unit_seq: prev_seq + 1, prev_hash: &prev_hash, dossier_code };
            let hash = motcua_domain::audit::keyed_event_hash(audit_key, &link, e);
            sqlx::query(
                "INSERT INTO dossier_events (dossier_id, seq, at, actor, role, action, from_status, to_status, note, payload, \
                 unit_code, unit_seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(dossier_id)
            .bind(e.seq)
            .bind(to_ms(e.at))
            .bind(&e.actor)
            .bind(&e.role)
            .bind(e.action.as_str())
            .bind(e.from_status.map(Status::as_str))
            .bind(e.to_status.as_str())
            .bind(&e.note)
            .bind(e.payload.to_json())
            .bind(unit_code)
            .bind(link.unit_seq)
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
            enqueue_webhooks(tx, dossier_code, unit_code, procedure_code, e).await?;
            // The service index's counters move in the event's own transaction.
            // On PostgreSQL the usual single change rides with the chain head's
            // write: no extra round trip while the unit's locks are held.
            if let ([d], true) = (index, $one_statement) {
                sqlx::query(
                    "WITH daily AS (INSERT INTO index_counts (day, unit_code, metric, n) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (day, unit_code, metric) DO UPDATE SET n = index_counts.n + excluded.n), \
                     monthly AS (INSERT INTO index_counts_month (month, unit_code, metric, n) VALUES ($5, $2, $3, $4) \
                     ON CONFLICT (month, unit_code, metric) DO UPDATE SET n = index_counts_month.n + excluded.n) \
                     INSERT INTO audit_heads (unit_code, seq, hash) VALUES ($2, $6, $7) \
                     ON CONFLICT (unit_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                )
                .bind(day_text(d.day))
                .bind(unit_code)
                .bind(d.metric.as_str())
                .bind(d.delta)
                .bind(month_text(d.day))
                .bind(link.unit_seq)
                .bind(&hash)
                .execute(&mut **tx)
                .await?;
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO audit_heads (unit_code, seq, hash) VALUES ($1, $2, $3) \
                 ON CONFLICT (unit_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .bind(unit_code)
            .bind(link.unit_seq)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
            add_counts(tx, unit_code, index).await
        }

        /// The head of a unit's chain (its last link), locked for the
        /// transaction on PostgreSQL; the genesis before its first event.
        async fn chain_head(tx: &mut Transaction<'static, Db>, unit_code: &str) -> Result<(i64, String)> {
            let head: Option<(i64, String)> =
                sqlx::query_as(concat!("SELECT seq, hash FROM audit_heads WHERE unit_code = $1", $lock))
                    .bind(unit_code)
                    .fetch_optional(&mut **tx)
                    .await?;
            Ok(head.unwrap_or_else(|| (0, motcua_domain::audit::GENESIS.to_string())))
        }

        /// Each of the unit's subscribers' delivery of the event, written with
        /// it: committed together, or not at all (see `outbox.rs`).
        async fn enqueue_webhooks(
            tx: &mut Transaction<'static, Db>,
            dossier_code: &str,
            unit_code: &str,
            procedure_code: &str,
            e: &Event,
        ) -> Result<()> {
            let message = motcua_domain::webhook::DossierEventMessage::of(dossier_code, unit_code, procedure_code, e);
            sqlx::query(
                "INSERT INTO outbox (kind, unit_code, target_id, idempotency_key, payload, next_attempt_at, created_at) \
                 SELECT 'webhook', unit_code, id, 'webhook:' || CAST(id AS TEXT) || ':' || CAST($2 AS TEXT), $3, $4, $4 \
                 FROM webhooks WHERE unit_code = $1 AND active",
            )
            .bind(unit_code)
            .bind(&message.id)
            .bind(message.to_json())
            .bind(to_ms(e.at))
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// Put a routing event, already a link of the receiving unit's chain,
        /// into the competent unit's chain too (Decree 118/2025, art. 14): its
        /// history there starts with how the dossier arrived. The competent
        /// unit's subscribers hear of it like any event of theirs.
        #[allow(clippy::too_many_arguments)]
        async fn insert_second_link(
            tx: &mut Transaction<'static, Db>,
            audit_key: &[u8],
            dossier_id: i64,
            dossier_code: &str,
            unit_code: &str,
            procedure_code: &str,
            e: &Event,
        ) -> Result<()> {
            let (prev_seq, prev_hash) = chain_head(tx, unit_code).await?;
            let link = motcua_domain::audit::Link { unit_code, unit_seq: prev_seq + 1, prev_hash: &prev_hash, dossier_code };
            let hash = motcua_domain::audit::keyed_event_hash(audit_key, &link, e);
            sqlx::query(
                "INSERT INTO event_links (event_id, unit_code, unit_seq, prev_hash, hash) \
                 SELECT id, $1, $2, $3, $4 FROM dossier_events WHERE dossier_id = $5 AND seq = $6",
            )
            .bind(unit_code)
            .bind(link.unit_seq)
            .bind(&prev_hash)
            .bind(&hash)
            .bind(dossier_id)
            .bind(e.seq)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO audit_heads (unit_code, seq, hash) VALUES ($1, $2, $3) \
                 ON CONFLICT (unit_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .bind(unit_code)
            .bind(link.unit_seq)
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
            enqueue_webhooks(tx, dossier_code, unit_code, procedure_code, e).await?;
            Ok(())
        }

        /// Add to the index counters, per day and per month. PostgreSQL
        /// does both in one statement (one round trip while the unit's
        /// locks are held); SQLite, in-process, runs two.
        pub(crate) async fn add_counts(
            tx: &mut Transaction<'static, Db>,
            unit_code: &str,
            index: &[motcua_domain::index::Delta],
        ) -> Result<()> {
            for d in index {
                if $one_statement {
                    sqlx::query(
                        "WITH daily AS (INSERT INTO index_counts (day, unit_code, metric, n) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (day, unit_code, metric) DO UPDATE SET n = index_counts.n + excluded.n) \
                         INSERT INTO index_counts_month (month, unit_code, metric, n) VALUES ($5, $2, $3, $4) \
                         ON CONFLICT (month, unit_code, metric) DO UPDATE SET n = index_counts_month.n + excluded.n",
                    )
                    .bind(day_text(d.day))
                    .bind(unit_code)
                    .bind(d.metric.as_str())
                    .bind(d.delta)
                    .bind(month_text(d.day))
                    .execute(&mut **tx)
                    .await?;
                    continue;
                }
                sqlx::query(
                    "INSERT INTO index_counts (day, unit_code, metric, n) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (day, unit_code, metric) DO UPDATE SET n = index_counts.n + excluded.n",
                )
                .bind(day_text(d.day))
                .bind(unit_code)
                .bind(d.metric.as_str())
                .bind(d.delta)
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "INSERT INTO index_counts_month (month, unit_code, metric, n) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (month, unit_code, metric) DO UPDATE SET n = index_counts_month.n + excluded.n",
                )
                .bind(month_text(d.day))
                .bind(unit_code)
                .bind(d.metric.as_str())
                .bind(d.delta)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }

        impl crate::Sql<Db> {
            pub async fn import_units(&self, list: &UnitList) -> Result<()> {
                let mut tx = self.write.begin().await?;
                for p in &list.provinces {
                    sqlx::query(
                        "INSERT INTO provinces (code, name, kind) VALUES ($1, $2, $3) \
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                    )
                    .bind(&p.code)
                    .bind(&p.name)
                    .bind(&p.kind)
                    .execute(&mut *tx)
                    .await?;
                }
                for u in &list.units {
                    sqlx::query(
                        "INSERT INTO units (code, province_code, name, kind, name_folded) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (code) DO UPDATE SET province_code = excluded.province_code, name = excluded.name, \
                         kind = excluded.kind, name_folded = excluded.name_folded",
                    )
                    .bind(&u.code)
                    .bind(&u.province_code)
                    .bind(&u.name)
                    .bind(&u.kind)
                    .bind(motcua_domain::text::fold(&u.name))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn provinces(&self) -> Result<Vec<Province>> {
                let rows = sqlx::query("SELECT code, name, kind FROM provinces ORDER BY code").fetch_all(&self.read).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| Province { code: r.get(0), name: r.get(1), kind: r.get(2) })
                    .collect())
            }

            pub async fn units(&self, province: Option<&str>) -> Result<Vec<Unit>> {
                let rows = match province {
                    Some(p) => {
                        sqlx::query("SELECT code, name, kind, province_code FROM units WHERE province_code = $1 ORDER BY name_folded")
                            .bind(p)
                            .fetch_all(&self.read)
                            .await?
                    }
                    None => {
                        sqlx::query("SELECT code, name, kind, province_code FROM units ORDER BY province_code, name_folded")
                            .fetch_all(&self.read)
                            .await?
                    }
                };
                Ok(rows
                    .into_iter()
                    .map(|r| Unit { code: r.get(0), name: r.get(1), kind: r.get(2), province_code: r.get(3) })
                    .collect())
            }

            pub async fn unit(&self, code: &str) -> Result<Option<Unit>> {
                let row = sqlx::query("SELECT code, name, kind, province_code FROM units WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(row.map(|r| Unit { code: r.get(0), name: r.get(1), kind: r.get(2), province_code: r.get(3) }))
            }

            /// (spec JSON, active) of every procedure ever imported.
            pub async fn procedure_specs(&self) -> Result<Vec<(String, bool)>> {
                let rows = sqlx::query("SELECT spec, active FROM procedures ORDER BY code").fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            pub async fn save_catalog(
                &self,
                procs: &[(String, String, String, String, String)],
                retired: &[String],
                now: i64,
                version: &crate::versions::NewVersion<'_>,
                current: bool,
            ) -> Result<()> {
                let mut tx = self.write.begin().await?;
                // A new database's first import is version 1 itself (the
                // migration left it empty), in force from the beginning.
                let first_empty: bool = sqlx::query_scalar(
                    "SELECT NOT EXISTS (SELECT 1 FROM catalog_version_procedures WHERE version_id = 1)",
                )
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = if first_empty {
                    sqlx::query("UPDATE catalog_versions SET created_by = $1, created_at = $2 WHERE id = 1")
                        .bind(version.by)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    1
                } else {
                    let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM catalog_versions")
                        .fetch_one(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO catalog_versions (id, province_code, effective_from, note, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(version.province_code)
                    .bind(version.effective_from)
                    .bind(version.note)
                    .bind(version.by)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    id
                };
                for (code, spec) in &version.specs {
                    sqlx::query("INSERT INTO catalog_version_procedures (version_id, code, spec) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(code)
                        .bind(spec)
                        .execute(&mut *tx)
                        .await?;
                }
                // A province's version, or one not yet in force, leaves the
                // catalog the pages list as it is.
                let (procs, retired) = if current { (procs, retired) } else { (&[][..], &[][..]) };
                for (code, name, field, folded, spec) in procs {
                    sqlx::query(
                        "INSERT INTO procedures (code, name, field, name_folded, spec, active, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                         field = excluded.field, name_folded = excluded.name_folded, spec = excluded.spec, \
                         active = excluded.active, updated_at = excluded.updated_at",
                    )
                    .bind(code)
                    .bind(name)
                    .bind(field)
                    .bind(folded)
                    .bind(spec)
                    .bind(true)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                for code in retired {
                    sqlx::query("UPDATE procedures SET active = $1, updated_at = $2 WHERE code = $3")
                        .bind(false)
                        .bind(now)
                        .bind(code)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            /// Overrides of the national scope ('') and of `unit` (if given).
            pub async fn overrides(&self, unit: Option<&str>) -> Result<Vec<(String, CalendarOverride)>> {
                let rows = sqlx::query(
                    "SELECT scope, day, kind, name FROM calendar_overrides WHERE scope = '' OR scope = $1 ORDER BY day, scope",
                )
                .bind(unit.unwrap_or(""))
                .fetch_all(&self.read)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let day: String = r.get(1);
                    let kind: String = r.get(2);
                    let date = parse_day(&day).ok_or_else(|| Problem::conflict("corrupt_row", "Ngày ngoại lệ hỏng"))?;
                    let kind = if kind == "working_day" { OverrideKind::WorkingDay } else { OverrideKind::DayOff };
                    out.push((r.get(0), CalendarOverride { date, kind, name: r.get(3) }));
                }
                Ok(out)
            }

            pub async fn put_override(&self, scope: &str, o: &CalendarOverride, by: &str, now: i64) -> Result<()> {
                let kind = match o.kind {
                    OverrideKind::DayOff => "day_off",
                    OverrideKind::WorkingDay => "working_day",
                };
                sqlx::query(
                    "INSERT INTO calendar_overrides (scope, day, kind, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (scope, day) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
                     created_by = excluded.created_by, created_at = excluded.created_at",
                )
                .bind(scope)
                .bind(day_text(o.date))
                .bind(kind)
                .bind(&o.name)
                .bind(by)
                .bind(now)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub async fn delete_override(&self, scope: &str, day: Date) -> Result<bool> {
                let done = sqlx::query("DELETE FROM calendar_overrides WHERE scope = $1 AND day = $2")
                    .bind(scope)
                    .bind(day_text(day))
                    .execute(&self.write)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            pub async fn unit_hours(&self, unit: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT sessions FROM unit_hours WHERE unit_code = $1")
                    .bind(unit)
                    .fetch_optional(&self.read)
                    .await?)
            }

            pub async fn set_unit_hours(&self, unit: &str, sessions: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO unit_hours (unit_code, sessions) VALUES ($1, $2) \
                     ON CONFLICT (unit_code) DO UPDATE SET sessions = excluded.sessions",
                )
                .bind(unit)
                .bind(sessions)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub async fn insert_document(&self, d: &DocumentMeta, by: &str, client: Option<&str>) -> Result<()> {
                sqlx::query(
                    "INSERT INTO documents (id, dossier_id, doc_code, sha256, size, content_type, filename, paper, uploaded_by, created_at, client) \
                     VALUES ($1, NULL, NULL, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&d.id)
                .bind(&d.sha256)
                .bind(d.size)
                .bind(&d.content_type)
                .bind(&d.filename)
                .bind(d.paper)
                .bind(by)
                .bind(to_ms(d.created_at))
                .bind(client)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub async fn document(&self, id: &str) -> Result<Option<(Option<i64>, DocumentMeta)>> {
                let row = sqlx::query(
                    "SELECT dossier_id, id, doc_code, sha256, size, content_type, filename, paper, created_at FROM documents WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(|r| {
                    (
                        r.get(0),
                        DocumentMeta {
                            id: r.get(1),
                            code: r.get(2),
                            sha256: r.get(3),
                            size: r.get(4),
                            content_type: r.get(5),
                            filename: r.get(6),
                            paper: r.get(7),
                            created_at: from_ms(r.get(8)),
                        },
                    )
                }))
            }

            /// Allocate the code and write the dossier, its first event and its
            /// documents in one transaction. The per-unit, per-day counter row is
            /// locked by the upsert until commit, so codes never repeat or skip.
            pub async fn create_dossier(&self, c: Creation<'_>) -> Result<DossierRow> {
                let mut tx = self.write.begin().await?;
                let day = day_text(c.local_day);
                let seq: i64 = sqlx::query_scalar(
                    "INSERT INTO code_counters (unit_code, day, last) VALUES ($1, $2, 1) \
                     ON CONFLICT (unit_code, day) DO UPDATE SET last = code_counters.last + 1 RETURNING last",
                )
                .bind(c.unit_code)
                .bind(&day)
                .fetch_one(&mut *tx)
                .await?;
                let code = motcua_domain::dossier::dossier_code(c.unit_code, c.local_day, seq);
                let now = to_ms(c.event.at);
                let mut row = DossierRow {
                    id: 0,
                    code: code.clone(),
                    unit_code: c.unit_code.to_string(),
                    procedure_code: c.procedure_code.to_string(),
                    channel: c.channel.to_string(),
                    status: String::new(),
                    paused_from: None,
                    assignee: None,
                    applicant_name: c.applicant.full_name.clone(),
                    applicant_id_number: c.applicant.id_number.clone(),
                    applicant_dob: day_text(c.applicant.date_of_birth),
                    applicant_phone: c.applicant.phone.clone(),
                    applicant_email: c.applicant.email.clone(),
                    applicant_address: c.applicant.address.clone(),
                    fields: c.fields,
                    lookup_hash: motcua_domain::dossier::lookup_key_hash(c.secret, &code, c.lookup_key),
                    version: 0,
                    submitted_at: now,
                    received_at: None,
                    due_at: None,
                    pause_remaining: None,
                    paused_at: None,
                    supplement_requests: 0,
                    finished_at: None,
                    returned_at: None,
                    apologized: false,
                    updated_at: now,
                    late_from: None,
                    catalog_version: c.catalog_version,
                    received_by: c.unit_code.to_string(),
                    routed_at: None,
                    ended_waiting: false,
                    paid: false,
                };
                row.set_projection(c.projection);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO dossiers (code, unit_code, procedure_code, channel, status, paused_from, assignee, \
                     applicant_name, applicant_id_number, applicant_dob, applicant_phone, applicant_email, applicant_address, \
                     fields, lookup_hash, version, submitted_at, received_at, due_at, pause_remaining, finished_at, returned_at, \
                     apologized, updated_at, late_from, catalog_version, received_by, applicant_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28) RETURNING id",
                )
                .bind(&row.code)
                .bind(&row.unit_code)
                .bind(&row.procedure_code)
                .bind(&row.channel)
                .bind(&row.status)
                .bind(&row.paused_from)
                .bind(&row.assignee)
                .bind(&row.applicant_name)
                .bind(&row.applicant_id_number)
                .bind(&row.applicant_dob)
                .bind(&row.applicant_phone)
                .bind(&row.applicant_email)
                .bind(&row.applicant_address)
                .bind(&row.fields)
                .bind(&row.lookup_hash)
                .bind(row.version)
                .bind(row.submitted_at)
                .bind(row.received_at)
                .bind(row.due_at)
                .bind(row.pause_remaining)
                .bind(row.finished_at)
                .bind(row.returned_at)
                .bind(row.apologized)
                .bind(row.updated_at)
                .bind(row.late_from)
                .bind(row.catalog_version)
                .bind(&row.received_by)
                .bind(motcua_domain::text::fold(&row.applicant_name))
                .fetch_one(&mut *tx)
                .await?;
                row.id = id;
                insert_event(&mut tx, &self.audit_key, id, &row.code, &row.unit_code, &row.procedure_code, c.event, c.index).await?;
                attach_documents(&mut tx, id, c.documents, c.actor, now).await?;

                tx.commit().await?;
                Ok(row)
            }

            /// Take an action: read the row inside the transaction, let `decide`
            /// check and compute, then write the event and the new projection
            /// guarded by the version that was read.
            pub async fn act<F>(&self, code: &str, decide: F, by: &str) -> Result<DossierRow>
            where
                F: FnOnce(&DossierRow) -> Result<Decision>,
            {
                let mut tx = self.write.begin().await?;
                let mut row: DossierRow = sqlx::query_as(concat!("SELECT ", dossier_columns!(), " FROM dossiers WHERE code = $1"))
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
                let mut decision = decide(&row)?;
                let old_version = row.version;
                let at = to_ms(decision.event.at);
                row.set_projection(&decision.projection);
                row.updated_at = at;
                let done = sqlx::query(
                    "UPDATE dossiers SET status = $1, paused_from = $2, assignee = $3, version = $4, received_at = $5, \
                     due_at = $6, pause_remaining = $7, finished_at = $8, returned_at = $9, apologized = $10, updated_at = $11, \
                     late_from = $12, paused_at = $13, supplement_requests = $14, ended_waiting = $17, paid = $18 WHERE id = $15 AND version = $16",
                )
                .bind(&row.status)
                .bind(&row.paused_from)
                .bind(&row.assignee)
                .bind(row.version)
                .bind(row.received_at)
                .bind(row.due_at)
                .bind(row.pause_remaining)
                .bind(row.finished_at)
                .bind(row.returned_at)
                .bind(row.apologized)
                .bind(row.updated_at)
                .bind(row.late_from)
                .bind(row.paused_at)
                .bind(row.supplement_requests)
                .bind(row.id)
                .bind(old_version)
                .bind(row.ended_waiting)
                .bind(row.paid)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(Problem::new(
                        ProblemKind::Conflict,
                        "version_conflict",
                        "Hồ sơ vừa được người khác cập nhật; vui lòng tải lại và thử lại",
                    )
                    .into());
                }
                // The event goes in after the guarded update: on PostgreSQL a
                // concurrent action waits on the row lock above and finds the
                // version moved, instead of colliding on the event number.
                // Counters of the receiving side stay with the unit that
                // received the dossier; the rest go to the competent unit.
                // Routing writes into two chains: their heads are locked in the
                // units' order, so two routings crossing each other never deadlock.
                if let (motcua_domain::lifecycle::Action::Route, Some(to)) = (decision.event.action, decision.event.payload.to_unit.as_deref()) {
                    let mut units = [row.unit_code.as_str(), to];
                    units.sort_unstable();
                    for u in units {
                        sqlx::query(concat!("SELECT seq FROM audit_heads WHERE unit_code = $1", $lock))
                            .bind(u)
                            .fetch_optional(&mut *tx)
                            .await?;
                    }
                }
                // Money: a payment takes the next receipt number of its unit
                // and year inside this transaction; a void names a receipt of
                // this dossier still in force. Whether one is in force is the
                // projection's `paid`, checked by the decision on this
                // version; `payments_in_force` keeps it one at most.
                if let Some(pay) = decision.event.payload.payment.as_mut() {
                    let year = i64::from(decision.event.at.to_offset(motcua_domain::calendar::VN_OFFSET).year());
                    let no: i64 = sqlx::query_scalar(
                        "INSERT INTO receipt_counters (unit_code, year, last) VALUES ($1, $2, 1) \
                         ON CONFLICT (unit_code, year) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last",
                    )
                    .bind(&row.unit_code)
                    .bind(year)
                    .fetch_one(&mut *tx)
                    .await?;
                    pay.receipt = format!("{year}-{no:06}");
                    // The symbols the unit registered for its receipts, as they stand now.
                    let symbols: Vec<(String, String)> = sqlx::query_as(
                        "SELECT key, value FROM integration_settings WHERE unit_code = $1 AND system = 'receipts' AND secret = FALSE",
                    )
                    .bind(&row.unit_code)
                    .fetch_all(&mut *tx)
                    .await?;
                    let symbol = |k: &str| symbols.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
                    pay.series = symbol("series");
                    pay.template_symbol = symbol("template_symbol");
                    sqlx::query(
                        "INSERT INTO payments (dossier_id, unit_code, method, total_vnd, lines, receipt_year, receipt_no, \
                         receipt, paid_at, paid_by, event_seq, payer_name, payer_address, series, template_symbol, order_ref) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(row.id)
                    .bind(&row.unit_code)
                    .bind(&pay.method)
                    .bind(i64::try_from(pay.total_vnd).map_err(|_| {
                        Problem::invalid("amount_too_large", "amount_vnd", "Số tiền quá lớn")
                    })?)
                    .bind(serde_json::to_string(&pay.lines).unwrap_or_default())
                    .bind(year)
                    .bind(no)
                    .bind(&pay.receipt)
                    .bind(at)
                    .bind(by)
                    .bind(decision.event.seq)
                    .bind(&row.applicant_name)
                    .bind(&row.applicant_address)
                    .bind(&pay.series)
                    .bind(&pay.template_symbol)
                    .bind(&pay.order)
                    .execute(&mut *tx)
                    .await?;
                }
                // A void or a refund names a receipt of this dossier still in
                // force, issued by this unit (a dossier may have been routed since).
                let closing = match decision.event.action {
                    motcua_domain::lifecycle::Action::VoidReceipt => Some(
                        "UPDATE payments SET voided_at = $1, voided_by = $2, void_reason = $3 \
                         WHERE dossier_id = $4 AND receipt = $5 AND voided_at IS NULL AND refunded_at IS NULL AND unit_code = $6",
                    ),
                    motcua_domain::lifecycle::Action::RefundPayment => Some(
                        "UPDATE payments SET refunded_at = $1, refunded_by = $2, refund_reason = $3 \
                         WHERE dossier_id = $4 AND receipt = $5 AND voided_at IS NULL AND refunded_at IS NULL AND unit_code = $6",
                    ),
                    _ => None,
                };
                if let Some(sql) = closing {
                    let receipt = decision.event.payload.receipt.clone().unwrap_or_default();
                    let done = sqlx::query(sql)
                        .bind(at)
                        .bind(by)
                        .bind(&decision.event.note)
                        .bind(row.id)
                        .bind(&receipt)
                        .bind(&row.unit_code)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        return Err(Problem::conflict(
                            "no_such_receipt",
                            format!("Hồ sơ không có biên lai số {receipt} còn hiệu lực"),
                        )
                        .with_field("receipt")
                        .into());
                    }
                }
                let (own, received): (Vec<_>, Vec<_>) = decision.index.iter().copied().partition(|d| {
                    d.metric.side() == motcua_domain::index::Side::Competent || row.received_by == row.unit_code
                });
                insert_event(&mut tx, &self.audit_key, row.id, &row.code, &row.unit_code, &row.procedure_code, &decision.event, &own).await?;
                add_counts(&mut tx, &row.received_by, &received).await?;
                if let (motcua_domain::lifecycle::Action::Route, Some(to)) = (decision.event.action, decision.event.payload.to_unit.as_deref()) {
                    sqlx::query("UPDATE dossiers SET unit_code = $1, routed_at = $2 WHERE id = $3")
                        .bind(to)
                        .bind(at)
                        .bind(row.id)
                        .execute(&mut *tx)
                        .await?;
                    row.unit_code = to.to_string();
                    row.routed_at = Some(at);
                    insert_second_link(&mut tx, &self.audit_key, row.id, &row.code, to, &row.procedure_code, &decision.event).await?;
                    // The competent side's counters follow the dossier.
                    let back: Vec<motcua_domain::index::Delta> = decision
                        .moved
                        .iter()
                        .map(|d| motcua_domain::index::Delta { delta: -d.delta, ..*d })
                        .collect();
                    add_counts(&mut tx, &row.received_by, &back).await?;
                    add_counts(&mut tx, to, &decision.moved).await?;
                }
                attach_documents(&mut tx, row.id, &decision.documents, by, at).await?;
                if let Some(hash) = &decision.new_key_hash {
                    sqlx::query("UPDATE dossiers SET lookup_hash = $1 WHERE id = $2")
                        .bind(hash)
                        .bind(row.id)
                        .execute(&mut *tx)
                        .await?;
                    row.lookup_hash = hash.clone();
                }
                if let Some(signed) = &decision.signature {
                    let sig = &signed.signature;
                    let done = sqlx::query(crate::signing::RECORD_SIGNATURE)
                        .bind(&sig.public_id)
                        .bind(&sig.signed_sha256)
                        .bind(sig.signed_size)
                        .bind(&signed.by)
                        .bind(&sig.signer_name)
                        .bind(&sig.cert_serial)
                        .bind(at)
                        .bind(signed.dossier_id)
                        .bind(&signed.original_sha256)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 || signed.dossier_id != row.id {
                        return Err(crate::signing::result_changed());
                    }
                }
                if let Some(answers) = &decision.answers {
                    row.fields = serde_json::Value::Object(
                        answers
                            .iter()
                            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                            .collect(),
                    )
                    .to_string();
                    sqlx::query("UPDATE dossiers SET fields = $1 WHERE id = $2")
                        .bind(&row.fields)
                        .bind(row.id)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(a) = &decision.applicant {
                    row.applicant_name = a.full_name.clone();
                    row.applicant_id_number = a.id_number.clone();
                    row.applicant_dob = day_text(a.date_of_birth);
                    row.applicant_phone = a.phone.clone();
                    row.applicant_email = a.email.clone();
                    row.applicant_address = a.address.clone();
                    sqlx::query(
                        "UPDATE dossiers SET applicant_name = $1, applicant_id_number = $2, applicant_dob = $3, \
                         applicant_phone = $4, applicant_email = $5, applicant_address = $6, applicant_folded = $7 WHERE id = $8",
                    )
                    .bind(&row.applicant_name)
                    .bind(&row.applicant_id_number)
                    .bind(&row.applicant_dob)
                    .bind(&row.applicant_phone)
                    .bind(&row.applicant_email)
                    .bind(&row.applicant_address)
                    .bind(motcua_domain::text::fold(&row.applicant_name))
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(row)
            }

            pub async fn dossier_by_code(&self, code: &str) -> Result<Option<DossierRow>> {
                Ok(sqlx::query_as(concat!("SELECT ", dossier_columns!(), " FROM dossiers WHERE code = $1"))
                    .bind(code).fetch_optional(&self.read).await?)
            }

            pub async fn events(&self, dossier_id: i64) -> Result<Vec<Event>> {
                let rows: Vec<EventRow> = sqlx::query_as(concat!(
                    "SELECT ", crate::model::event_columns!(), " FROM dossier_events e \
                     LEFT JOIN event_frozen f ON f.event_id = e.id WHERE e.dossier_id = $1 ORDER BY e.seq",
                ))
                .bind(dossier_id)
                .fetch_all(&self.read)
                .await?;
                rows.into_iter().map(|r| r.into_event().map_err(StoreError::from)).collect()
            }

            pub async fn documents(&self, dossier_id: i64) -> Result<Vec<DocumentMeta>> {
                let rows: Vec<DocRow> = sqlx::query_as(
                    "SELECT id, doc_code, sha256, size, content_type, filename, paper, created_at FROM documents \
                     WHERE dossier_id = $1 ORDER BY created_at, id",
                )
                .bind(dossier_id)
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(DocumentMeta::from).collect())
            }

            pub async fn list(&self, f: &ListFilter, now: i64) -> Result<Vec<DossierRow>> {
                let mut q = QueryBuilder::<Db>::new(concat!("SELECT ", dossier_columns!(), " FROM dossiers WHERE 1 = 1"));
                push_scope(&mut q, &f.scope);
                if f.open_clock {
                    q.push(" AND status IN ('received', 'processing', 'awaiting_approval')");
                }
                if let Some(before) = f.due_before {
                    q.push(" AND due_at < ").push_bind(before);
                }
                if let Some(s) = f.status {
                    q.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(a) = &f.assignee {
                    q.push(" AND assignee = ").push_bind(a.clone());
                }
                if let Some(late) = f.late {
                    // `late_from` is the projection's (`Projection::late_from`); a plain
                    // comparison lets both databases use the partial index on it.
                    if late {
                        q.push(" AND late_from < ").push_bind(now);
                    } else {
                        q.push(" AND (late_from IS NULL OR late_from >= ").push_bind(now).push(")");
                    }
                }
                match &f.search {
                    Some(Search::CodePrefix(c)) => {
                        q.push(" AND code LIKE ").push_bind(format!("{c}%"));
                    }
                    Some(Search::IdNumber(n)) => {
                        q.push(" AND applicant_id_number = ").push_bind(n.clone());
                    }
                    Some(Search::Name(n)) => {
                        q.push(" AND applicant_folded LIKE ").push_bind(format!("%{n}%"));
                    }
                    None => {}
                }
                if f.by_due {
                    if let Some((key, id)) = f.due_cursor {
                        q.push(concat_due!(" AND (", " > ")).push_bind(key);
                        q.push(concat_due!(" OR (", " = ")).push_bind(key).push(" AND id > ").push_bind(id).push("))");
                    }
                    q.push(concat_due!(" ORDER BY ", " ASC, id ASC LIMIT ")).push_bind(f.limit);
                    return Ok(q.build_query_as().fetch_all(&self.read).await?);
                }
                if let Some(cursor) = f.before_id {
                    q.push(if f.oldest_first { " AND id > " } else { " AND id < " }).push_bind(cursor);
                }
                q.push(if f.oldest_first { " ORDER BY id ASC LIMIT " } else { " ORDER BY id DESC LIMIT " }).push_bind(f.limit);
                Ok(q.build_query_as().fetch_all(&self.read).await?)
            }

            /// A unit's dossiers submitted in [from, to) (UTC ms), oldest first,
            /// with the data of their return event (delivery choice) if any.
            pub async fn register(&self, unit: &str, from: i64, to: i64, limit: i64) -> Result<Vec<(DossierRow, Option<String>)>> {
                let rows: Vec<DossierRow> = sqlx::query_as(concat!(
                    "SELECT ", dossier_columns!(), " FROM dossiers WHERE unit_code = $1 AND submitted_at >= $2 AND submitted_at < $3 \
                     ORDER BY submitted_at, id LIMIT $4"
                ))
                .bind(unit)
                .bind(from)
                .bind(to)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
                let returns: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT e.dossier_id, e.payload FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id \
                     WHERE d.unit_code = $1 AND d.submitted_at >= $2 AND d.submitted_at < $3 AND e.action = 'return_result'",
                )
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
                .await?;
                let mut by_id: std::collections::HashMap<i64, String> = returns.into_iter().collect();
                Ok(rows.into_iter().map(|r| { let p = by_id.remove(&r.id); (r, p) }).collect())
            }

            pub async fn put_draft(&self, d: &Draft) -> Result<()> {
                sqlx::query(
                    "INSERT INTO drafts (id, procedure_code, data, dossier_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (id) DO UPDATE SET data = excluded.data, dossier_code = excluded.dossier_code, updated_at = excluded.updated_at",
                )
                .bind(&d.id)
                .bind(&d.procedure_code)
                .bind(d.data.to_string())
                .bind(&d.dossier_code)
                .bind(d.created_at)
                .bind(d.updated_at)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub async fn draft(&self, id: &str, not_before: i64) -> Result<Option<Draft>> {
                let row = sqlx::query(
                    "SELECT id, procedure_code, data, dossier_code, created_at, updated_at FROM drafts WHERE id = $1 AND updated_at >= $2",
                )
                .bind(id)
                .bind(not_before)
                .fetch_optional(&self.read)
                .await?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let data: String = r.get(2);
                        Ok(Some(Draft {
                            id: r.get(0),
                            procedure_code: r.get(1),
                            data: serde_json::from_str(&data).unwrap_or_else(|_| serde_json::json!({})),
                            dossier_code: r.get(3),
                            created_at: r.get(4),
                            updated_at: r.get(5),
                        }))
                    }
                }
            }

            pub async fn delete_draft(&self, id: &str) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM drafts WHERE id = $1").bind(id).execute(&self.write).await?.rows_affected())
            }

            pub async fn delete_drafts_before(&self, before: i64) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM drafts WHERE updated_at < $1").bind(before).execute(&self.write).await?.rows_affected())
            }

            /// Dossiers per status in the scope, for the work queues' counters.
            pub async fn count_by_status(&self, scope: &Scope) -> Result<Vec<(String, i64)>> {
                let mut q = QueryBuilder::<Db>::new("SELECT status, COUNT(*) FROM dossiers WHERE 1 = 1");
                push_scope(&mut q, scope);
                q.push(" GROUP BY status");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            }
        }
    };
}

pub(crate) mod sqlite {
    backend_sql!(sqlx::Sqlite, "", false);
}

pub(crate) mod postgres {
    backend_sql!(sqlx::Postgres, " FOR UPDATE", true);
}
