//! The service index's counts (Decision 766/QĐ-TTg, see
//! `motcua_domain::index`): a counter per unit, local day and metric, moved
//! in the transaction of every event, rating and feedback that changes it;
//! a full recomputation from the history for checks and `motcua index
//! rebuild`; the dossiers behind a count; satisfaction ratings and feedback.

use crate::backend::{day_text, month_text};
use crate::model::{DossierRow, from_ms, to_ms};
use crate::{Result, Store, StoreError, index_facts};
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET};
use motcua_domain::dossier::Projection;
use motcua_domain::index::{self as idx, Counts, Delta, Metric, Period};
use motcua_domain::lifecycle::Status;
use motcua_domain::{Problem, ProblemKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Counter key: (unit, local day, metric).
pub type CounterMap = BTreeMap<(String, Date, Metric), i64>;

/// Which dossiers to list behind an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drill {
    /// Processing ended on time in the period.
    OnTime,
    /// Processing ended late in the period (they cost points in 2.1).
    Late,
    /// Received online in the period.
    Online,
    /// Received at the counter (or kiosk, post…) in the period.
    Direct,
    /// Received in the period without being digitized (they cost points in 3.1).
    NotDigitized,
    /// Rated "not satisfied" in the period (they cost points in 5.3).
    Unsatisfied,
}

impl Drill {
    pub const ALL: [Drill; 6] = [
        Drill::OnTime,
        Drill::Late,
        Drill::Online,
        Drill::Direct,
        Drill::NotDigitized,
        Drill::Unsatisfied,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Drill::OnTime => "dung-han",
            Drill::Late => "qua-han",
            Drill::Online => "truc-tuyen",
            Drill::Direct => "truc-tiep",
            Drill::NotDigitized => "chua-so-hoa",
            Drill::Unsatisfied => "khong-hai-long",
        }
    }
    pub fn parse(s: &str) -> Option<Drill> {
        Drill::ALL.into_iter().find(|d| d.as_str() == s)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Drill::OnTime => "Hồ sơ giải quyết trước hạn, đúng hạn",
            Drill::Late => "Hồ sơ giải quyết quá hạn",
            Drill::Online => "Hồ sơ tiếp nhận trực tuyến",
            Drill::Direct => "Hồ sơ tiếp nhận trực tiếp",
            Drill::NotDigitized => "Hồ sơ chưa được số hóa khi tiếp nhận",
            Drill::Unsatisfied => "Hồ sơ bị đánh giá không hài lòng",
        }
    }
    /// The drill-downs that explain an indicator (what raised and what lowered it).
    pub fn for_indicator(code: &str) -> &'static [Drill] {
        match code {
            "2.1" => &[Drill::Late, Drill::OnTime],
            "3.3" => &[Drill::Direct, Drill::Online],
            "4.2" => &[Drill::NotDigitized],
            "5.4" => &[Drill::Late, Drill::Unsatisfied],
            _ => &[],
        }
    }
}

/// A satisfaction rating given by the citizen after the result was returned.
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub dossier_code: String,
    pub scores: Vec<u8>,
    pub comment: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A feedback (phản ánh, kiến nghị) and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub id: i64,
    pub unit_code: String,
    pub dossier_code: Option<String>,
    pub name: String,
    pub contact: String,
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub answer: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub answered_by: Option<String>,
}

/// One officer's work in a unit over a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OfficerStats {
    pub username: String,
    /// Events taken (each step counts once).
    pub actions: i64,
    /// Dossiers settled by this officer's decision (approve or reject).
    pub settled: i64,
    pub settled_on_time: i64,
    /// Dossiers received (at the counter or from online).
    pub received: i64,
    /// Average minutes between the previous event and this officer's step.
    pub avg_step_minutes: i64,
}

fn day_start_ms(d: Date) -> i64 {
    to_ms(d.midnight().assume_offset(VN_OFFSET))
}

fn period_ms(p: Period) -> (i64, i64) {
    let end = p.to.next_day().map_or(i64::MAX, day_start_ms);
    (day_start_ms(p.from), end)
}

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

macro_rules! index_sql {
    ($db:ty, $backend:ident) => {
        use super::*;
        use sqlx::{QueryBuilder, Row};
        type Db = $db;

        /// Keep the rows of one unit, or of a province's units, by `column`.
        fn push_units(q: &mut QueryBuilder<Db>, column: &'static str, province: Option<&str>, unit: Option<&str>) {
            if let Some(u) = unit {
                q.push(" AND ").push(column).push(" = ").push_bind(u.to_string());
            }
            if let Some(p) = province {
                q.push(" AND ").push(column).push(" IN (SELECT code FROM units WHERE province_code = ").push_bind(p.to_string()).push(")");
            }
        }

        /// The same counter update as a dossier event's, in `tx`.
        async fn add_in_tx(tx: &mut sqlx::Transaction<'static, Db>, unit: &str, deltas: &[Delta]) -> Result<()> {
            crate::backend::$backend::add_counts(tx, unit, deltas).await
        }

        impl crate::Sql<$db> {
            /// Sums over `key` in [from, to] of the daily (`monthly` false) or monthly counters.
            /// Only the `only` metrics when it is not empty.
            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn index_sums(
                &self,
                province: Option<&str>,
                unit: Option<&str>,
                monthly: bool,
                from: &str,
                to: &str,
                only: &[Metric],
            ) -> Result<Vec<(String, String, i64)>> {
                let mut q = QueryBuilder::<Db>::new(if monthly {
                    "SELECT unit_code, metric, CAST(SUM(n) AS BIGINT) FROM index_counts_month WHERE month >= "
                } else {
                    "SELECT unit_code, metric, CAST(SUM(n) AS BIGINT) FROM index_counts WHERE day >= "
                });
                q.push_bind(from.to_string()).push(if monthly { " AND month <= " } else { " AND day <= " }).push_bind(to.to_string());
                push_units(&mut q, "unit_code", province, unit);
                if !only.is_empty() {
                    q.push(" AND metric IN (");
                    let mut list = q.separated(", ");
                    for m in only {
                        list.push_bind(m.as_str());
                    }
                    q.push(")");
                }
                q.push(" GROUP BY unit_code, metric");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1), r.get::<Option<i64>, _>(2).unwrap_or(0))).collect())
            }

            pub(crate) async fn index_counter_rows(&self) -> Result<Vec<(String, String, String, i64)>> {
                Ok(sqlx::query_as("SELECT unit_code, day, metric, n FROM index_counts WHERE n <> 0").fetch_all(&self.read).await?)
            }

            pub(crate) async fn index_month_counter_rows(&self) -> Result<Vec<(String, String, String, i64)>> {
                Ok(sqlx::query_as("SELECT unit_code, month, metric, n FROM index_counts_month WHERE n <> 0").fetch_all(&self.read).await?)
            }

            pub(crate) async fn dossier_page(&self, after: i64, limit: i64) -> Result<Vec<(i64, String, String, String, i64, String, bool)>> {
                Ok(sqlx::query_as(
                    "SELECT id, unit_code, procedure_code, channel, catalog_version, received_by, \
                     EXISTS (SELECT 1 FROM dossier_results r WHERE r.dossier_id = dossiers.id) \
                     FROM dossiers WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.read)
                .await?)
            }

            pub(crate) async fn events_between(&self, lo: i64, hi: i64) -> Result<Vec<(i64, crate::model::EventRow)>> {
                let rows = sqlx::query(
                    concat!(
                        "SELECT e.dossier_id, ", crate::model::event_columns!(), " FROM dossier_events e \
                         LEFT JOIN event_frozen f ON f.event_id = e.id \
                         WHERE e.dossier_id >= $1 AND e.dossier_id <= $2 ORDER BY e.dossier_id, e.seq",
                    ),
                )
                .bind(lo)
                .bind(hi)
                .fetch_all(&self.read)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        (
                            r.get(0),
                            crate::model::EventRow {
                                seq: r.get(1),
                                at: r.get(2),
                                actor: r.get(3),
                                role: r.get(4),
                                action: r.get(5),
                                from_status: r.get(6),
                                to_status: r.get(7),
                                note: r.get(8),
                                payload: r.get(9),
                                frozen_due: r.get(10),
                                frozen_pause: r.get(11),
                            },
                        )
                    })
                    .collect())
            }

            /// Per receiving unit, the procedures with a dossier submitted online in [from, to).
            pub(crate) async fn online_procedures_used(
                &self,
                province: Option<&str>,
                unit: Option<&str>,
                from: i64,
                to: i64,
            ) -> Result<Vec<(String, i64)>> {
                let mut q = QueryBuilder::<Db>::new(
                    "SELECT received_by, COUNT(DISTINCT procedure_code) FROM dossiers WHERE channel = 'online' AND received_at >= ",
                );
                q.push_bind(from).push(" AND received_at < ").push_bind(to);
                push_units(&mut q, "received_by", province, unit);
                q.push(" GROUP BY received_by");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            /// When each unit's online payment was enabled.
            pub(crate) async fn payment_enabled_since(
                &self,
                province: Option<&str>,
                unit: Option<&str>,
            ) -> Result<Vec<(String, i64)>> {
                let mut q = QueryBuilder::<Db>::new("SELECT unit_code, since FROM payment_enabled WHERE 1 = 1");
                push_units(&mut q, "unit_code", province, unit);
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            /// Per unit and procedure, the dossiers received in [from, to):
            /// (unit, procedure, dossiers, claiming an exemption, paid online).
            pub(crate) async fn fee_dossiers(
                &self,
                province: Option<&str>,
                unit: Option<&str>,
                from: i64,
                to: i64,
            ) -> Result<Vec<(String, String, i64, i64, i64)>> {
                let mut q = QueryBuilder::<Db>::new(
                    "SELECT d.received_by, d.procedure_code, COUNT(*), \
                     SUM(CASE WHEN d.fields LIKE '%\"mien_phi\":\"co\"%' THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.dossier_id = d.id AND p.method <> 'cash' \
                     AND p.voided_at IS NULL AND p.refunded_at IS NULL) THEN 1 ELSE 0 END) \
                     FROM dossiers d WHERE d.received_at >= ",
                );
                q.push_bind(from).push(" AND d.received_at < ").push_bind(to);
                push_units(&mut q, "d.received_by", province, unit);
                q.push(" GROUP BY d.received_by, d.procedure_code");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
                    .collect())
            }

            pub(crate) async fn index_rebuild_pending(&self) -> Result<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM index_rebuild_pending").fetch_one(&self.write).await?;
                Ok(n > 0)
            }

            pub(crate) async fn clear_index_rebuild(&self) -> Result<()> {
                sqlx::query("DELETE FROM index_rebuild_pending").execute(&self.write).await?;
                Ok(())
            }

            /// Per unit, feedback received in [from, to) still unanswered and past its deadline at `to`.
            pub(crate) async fn feedback_overdue(
                &self,
                province: Option<&str>,
                unit: Option<&str>,
                from: i64,
                to: i64,
            ) -> Result<Vec<(String, i64)>> {
                let mut q = QueryBuilder::<Db>::new(
                    "SELECT unit_code, COUNT(*) FROM feedback WHERE answered_at IS NULL AND at >= ",
                );
                q.push_bind(from).push(" AND at < ").push_bind(to).push(" AND due_at < ").push_bind(to);
                push_units(&mut q, "unit_code", province, unit);
                q.push(" GROUP BY unit_code");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            }

            pub(crate) async fn has_result(&self, dossier_id: i64) -> Result<bool> {
                let found: Option<i64> = sqlx::query_scalar("SELECT dossier_id FROM dossier_results WHERE dossier_id = $1")
                    .bind(dossier_id)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(found.is_some())
            }

            pub(crate) async fn all_ratings(&self) -> Result<Vec<(String, i64, i64)>> {
                Ok(sqlx::query_as("SELECT unit_code, at, overall FROM ratings").fetch_all(&self.read).await?)
            }

            pub(crate) async fn all_feedback(&self) -> Result<Vec<(String, i64, i64, Option<i64>)>> {
                Ok(sqlx::query_as("SELECT unit_code, at, due_at, answered_at FROM feedback").fetch_all(&self.read).await?)
            }

            pub(crate) async fn replace_index_counters(&self, rows: &CounterMap) -> Result<()> {
                let mut tx = self.write.begin().await?;
                sqlx::query("DELETE FROM index_counts").execute(&mut *tx).await?;
                sqlx::query("DELETE FROM index_counts_month").execute(&mut *tx).await?;
                let list: Vec<_> = rows.iter().filter(|(_, n)| **n != 0).collect();
                for chunk in list.chunks(500) {
                    let mut q = QueryBuilder::<Db>::new("INSERT INTO index_counts (day, unit_code, metric, n) ");
                    q.push_values(chunk, |mut b, ((unit, day, metric), n)| {
                        b.push_bind(day_text(*day)).push_bind(unit.clone()).push_bind(metric.as_str()).push_bind(**n);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                let months = by_month(rows);
                let list: Vec<_> = months.iter().collect();
                for chunk in list.chunks(500) {
                    let mut q = QueryBuilder::<Db>::new("INSERT INTO index_counts_month (month, unit_code, metric, n) ");
                    q.push_values(chunk, |mut b, ((month, unit, metric), n)| {
                        b.push_bind(month.clone()).push_bind(unit.clone()).push_bind(metric.as_str()).push_bind(**n);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn add_index_counters(&self, rows: &CounterMap) -> Result<()> {
                let mut tx = self.write.begin().await?;
                let list: Vec<_> = rows.iter().filter(|(_, n)| **n != 0).collect();
                for chunk in list.chunks(500) {
                    let mut q = QueryBuilder::<Db>::new("INSERT INTO index_counts (day, unit_code, metric, n) ");
                    q.push_values(chunk, |mut b, ((unit, day, metric), n)| {
                        b.push_bind(day_text(*day)).push_bind(unit.clone()).push_bind(metric.as_str()).push_bind(**n);
                    });
                    q.push(" ON CONFLICT (day, unit_code, metric) DO UPDATE SET n = index_counts.n + excluded.n");
                    q.build().execute(&mut *tx).await?;
                }
                let months = by_month(rows);
                let list: Vec<_> = months.iter().collect();
                for chunk in list.chunks(500) {
                    let mut q = QueryBuilder::<Db>::new("INSERT INTO index_counts_month (month, unit_code, metric, n) ");
                    q.push_values(chunk, |mut b, ((month, unit, metric), n)| {
                        b.push_bind(month.clone()).push_bind(unit.clone()).push_bind(metric.as_str()).push_bind(**n);
                    });
                    q.push(" ON CONFLICT (month, unit_code, metric) DO UPDATE SET n = index_counts_month.n + excluded.n");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn index_drill(
                &self,
                unit: &str,
                from: i64,
                to: i64,
                drill: Drill,
                after: Option<i64>,
                limit: i64,
            ) -> Result<Vec<DossierRow>> {
                let mut q = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    "d.id, d.code, d.unit_code, d.procedure_code, d.channel, d.status, d.paused_from, d.assignee, \
                     d.applicant_name, d.applicant_id_number, d.applicant_dob, d.applicant_phone, d.applicant_email, \
                     d.applicant_address, d.fields, d.lookup_hash, d.version, d.submitted_at, d.received_at, d.due_at, \
                     d.pause_remaining, d.paused_at, d.supplement_requests, d.finished_at, d.returned_at, d.apologized, d.updated_at, d.late_from, d.catalog_version, \
                     d.received_by, d.routed_at, d.ended_waiting, d.paid",
                    " FROM dossiers d"
                ));
                if drill == Drill::Unsatisfied {
                    q.push(" JOIN ratings r ON r.dossier_id = d.id");
                }
                // Reception counts for the unit that received the dossier;
                // the rest for the unit competent to decide it (`Metric::side`).
                let column = match drill {
                    Drill::Online | Drill::Direct | Drill::NotDigitized => " WHERE d.received_by = ",
                    Drill::OnTime | Drill::Late | Drill::Unsatisfied => " WHERE d.unit_code = ",
                };
                q.push(column).push_bind(unit.to_string());
                // Lateness of an ended dossier as `index::ended_late` says.
                let late = "(d.apologized = TRUE OR d.supplement_requests > 1 OR (d.finished_at > d.due_at AND d.ended_waiting = FALSE))";
                match drill {
                    // The dossiers 2.1 counts: ended in the period, or still
                    // open at its end (late once past the appointment, unless
                    // waiting for papers asked in time), as `index::contribution` counts them.
                    Drill::OnTime | Drill::Late => {
                        let not = if drill == Drill::Late { "" } else { "NOT " };
                        q.push(" AND ((d.received_at IS NOT NULL AND d.status IN ('result_ready', 'returned', 'rejected', 'withdrawn', 'stopped')");
                        q.push(" AND d.finished_at >= ").push_bind(from).push(" AND d.finished_at < ").push_bind(to);
                        q.push(" AND ").push(not).push(late);
                        q.push(") OR (d.received_at < ").push_bind(to);
                        q.push(" AND (d.finished_at IS NULL OR d.finished_at >= ").push_bind(to).push(")");
                        q.push(" AND ").push(not).push("(d.apologized = TRUE OR d.supplement_requests > 1 OR (d.due_at < ");
                        q.push_bind(to);
                        q.push(" AND NOT (d.pause_remaining IS NOT NULL AND d.paused_at IS NOT NULL AND d.paused_at <= d.due_at)))))");
                    }
                    Drill::Online | Drill::Direct | Drill::NotDigitized => {
                        q.push(" AND d.received_at >= ").push_bind(from).push(" AND d.received_at < ").push_bind(to);
                        if drill == Drill::Online {
                            q.push(" AND d.channel = 'online'");
                        } else {
                            q.push(" AND d.channel <> 'online'");
                        }
                        if drill == Drill::NotDigitized {
                            // The reception event says whether every document was a file.
                            q.push(
                                " AND NOT EXISTS (SELECT 1 FROM dossier_events e WHERE e.dossier_id = d.id AND e.seq = 1 \
                                 AND e.payload LIKE '%\"digitized\":true%')",
                            );
                        }
                    }
                    Drill::Unsatisfied => {
                        q.push(" AND r.at >= ").push_bind(from).push(" AND r.at < ").push_bind(to);
                        q.push(" AND r.overall <= 2");
                    }
                }
                if let Some(a) = after {
                    q.push(" AND d.id > ").push_bind(a);
                }
                q.push(" ORDER BY d.id LIMIT ").push_bind(limit);
                Ok(q.build_query_as().fetch_all(&self.read).await?)
            }

            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn insert_rating(
                &self,
                dossier_id: i64,
                unit: &str,
                at: i64,
                scores: &str,
                overall: i64,
                comment: Option<&str>,
                deltas: &[Delta],
            ) -> Result<bool> {
                let mut tx = self.write.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO ratings (dossier_id, unit_code, at, scores, overall, comment) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (dossier_id) DO NOTHING",
                )
                .bind(dossier_id)
                .bind(unit)
                .bind(at)
                .bind(scores)
                .bind(overall)
                .bind(comment)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                add_in_tx(&mut tx, unit, deltas).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub(crate) async fn rating(&self, dossier_id: i64) -> Result<Option<(i64, String, Option<String>)>> {
                Ok(sqlx::query_as("SELECT at, scores, comment FROM ratings WHERE dossier_id = $1")
                    .bind(dossier_id)
                    .fetch_optional(&self.read)
                    .await?)
            }

            #[allow(clippy::too_many_arguments)]
            pub(crate) async fn insert_feedback(
                &self,
                unit: &str,
                dossier_id: Option<i64>,
                name: &str,
                contact: &str,
                content: &str,
                at: i64,
                due: i64,
                deltas: &[Delta],
            ) -> Result<i64> {
                let mut tx = self.write.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO feedback (unit_code, dossier_id, name, contact, content, at, due_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(unit)
                .bind(dossier_id)
                .bind(name)
                .bind(contact)
                .bind(content)
                .bind(at)
                .bind(due)
                .fetch_one(&mut *tx)
                .await?;
                add_in_tx(&mut tx, unit, deltas).await?;
                tx.commit().await?;
                Ok(id)
            }

            /// Answer once: the row is only updated while it has no answer.
            pub(crate) async fn answer_feedback(
                &self,
                id: i64,
                unit: &str,
                answer: &str,
                by: &str,
                at: i64,
                deltas: &[Delta],
            ) -> Result<bool> {
                let mut tx = self.write.begin().await?;
                let done = sqlx::query(
                    "UPDATE feedback SET answer = $1, answered_by = $2, answered_at = $3 \
                     WHERE id = $4 AND unit_code = $5 AND answered_at IS NULL",
                )
                .bind(answer)
                .bind(by)
                .bind(at)
                .bind(id)
                .bind(unit)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                add_in_tx(&mut tx, unit, deltas).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub(crate) async fn feedback_rows(&self, unit: &str, id: Option<i64>) -> Result<Vec<Feedback>> {
                let mut q = QueryBuilder::<Db>::new(
                    "SELECT f.id, f.unit_code, d.code, f.name, f.contact, f.content, f.at, f.due_at, f.answer, f.answered_at, \
                     f.answered_by FROM feedback f LEFT JOIN dossiers d ON d.id = f.dossier_id WHERE f.unit_code = ",
                );
                q.push_bind(unit.to_string());
                if let Some(id) = id {
                    q.push(" AND f.id = ").push_bind(id);
                }
                q.push(" ORDER BY f.id DESC LIMIT 500");
                let rows = q.build().fetch_all(&self.read).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| Feedback {
                        id: r.get(0),
                        unit_code: r.get(1),
                        dossier_code: r.get(2),
                        name: r.get(3),
                        contact: r.get(4),
                        content: r.get(5),
                        at: from_ms(r.get(6)),
                        due_at: from_ms(r.get(7)),
                        answer: r.get(8),
                        answered_at: r.get::<Option<i64>, _>(9).map(from_ms),
                        answered_by: r.get(10),
                    })
                    .collect())
            }

            /// Events of a unit's dossiers in a period, with the previous event's instant.
            pub(crate) async fn officer_events(
                &self,
                unit: &str,
                from: i64,
                to: i64,
            ) -> Result<Vec<(String, String, i64, Option<i64>, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT e.actor, e.action, e.at, p.at, \
                     CASE WHEN d.finished_at IS NOT NULL AND d.due_at IS NOT NULL AND d.finished_at <= d.due_at \
                     AND d.apologized = FALSE THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END \
                     FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id \
                     LEFT JOIN dossier_events p ON p.dossier_id = e.dossier_id AND p.seq = e.seq - 1 \
                     WHERE d.unit_code = $1 AND e.at >= $2 AND e.at < $3 AND e.role <> 'citizen'",
                )
                .bind(unit)
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
                .await?)
            }
        }
    };
}

mod sqlite {
    index_sql!(sqlx::Sqlite, sqlite);
}

mod postgres {
    index_sql!(sqlx::Postgres, postgres);
}

fn add_counts(out: &mut HashMap<String, Counts>, rows: Vec<(String, String, i64)>) {
    for (unit, metric, n) in rows {
        if let Some(m) = Metric::parse(&metric) {
            out.entry(unit).or_default().add(m, n);
        }
    }
}

/// Monthly sums of daily counters, non-zero only.
pub(crate) fn by_month(rows: &CounterMap) -> BTreeMap<(String, String, Metric), i64> {
    let mut out = BTreeMap::new();
    for ((unit, day, metric), n) in rows {
        *out.entry((month_text(*day), unit.clone(), *metric))
            .or_insert(0) += *n;
    }
    out.retain(|_, n| *n != 0);
    out
}

/// A range of local days, both ends included.
type Days = (Date, Date);

/// The whole months inside a period, and the days before and after them.
fn split_months(p: Period) -> (Option<Days>, Vec<Days>) {
    let first = if p.from.day() == 1 {
        Some(p.from)
    } else {
        Period::month(p.from.year(), u8::from(p.from.month()))
            .ok()
            .and_then(|m| m.to.next_day())
    };
    let last = if p.to.next_day().is_none_or(|d| d.day() == 1) {
        Some(p.to)
    } else {
        Period::month(p.to.year(), u8::from(p.to.month()))
            .ok()
            .and_then(|m| m.from.previous_day())
    };
    match (first, last) {
        (Some(a), Some(b)) if a <= b => {
            let mut days = Vec::new();
            if let Some(before) = a.previous_day().filter(|d| *d >= p.from) {
                days.push((p.from, before));
            }
            if let Some(after) = b.next_day().filter(|d| *d <= p.to) {
                days.push((after, p.to));
            }
            (Some((a, b)), days)
        }
        _ => (None, vec![(p.from, p.to)]),
    }
}

/// The metrics read from the beginning of time (2.1 of a period).
const CUMULATIVE: &[Metric] = &[
    Metric::Taken,
    Metric::FinishedOnTime,
    Metric::FinishedLate,
    Metric::LateOpen,
];

fn add_all(map: &mut CounterMap, unit: &str, deltas: &[Delta]) {
    for d in deltas {
        *map.entry((unit.to_string(), d.day, d.metric)).or_insert(0) += d.delta;
    }
}

fn forbidden_unit() -> StoreError {
    Problem::not_found("unit_not_found", "Không tìm thấy đơn vị").into()
}

impl Store {
    /// Counts per unit over a period, for a province's units or one unit.
    pub async fn index_counts(
        &self,
        province: Option<&str>,
        unit: Option<&str>,
        period: Period,
    ) -> Result<HashMap<String, Counts>> {
        // Whole months from the monthly counters, the remaining days from the daily ones.
        let (months, days) = split_months(period);
        let mut out = HashMap::new();
        if let Some((a, b)) = months {
            let (a, b) = (month_text(a), month_text(b));
            add_counts(
                &mut out,
                on_db!(self, index_sums(province, unit, true, &a, &b, &[]))?,
            );
        }
        for (a, b) in days {
            let (a, b) = (day_text(a), day_text(b));
            add_counts(
                &mut out,
                on_db!(self, index_sums(province, unit, false, &a, &b, &[]))?,
            );
        }
        Ok(out)
    }

    /// Counts per unit summed from the beginning through `day`: only the
    /// metrics summed from the beginning (`index::progress`).
    pub async fn index_counts_through(
        &self,
        province: Option<&str>,
        unit: Option<&str>,
        day: Date,
    ) -> Result<HashMap<String, Counts>> {
        let mut out = HashMap::new();
        let first = Date::from_calendar_date(day.year(), day.month(), 1)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        if let Some(before) = first.previous_day() {
            add_counts(
                &mut out,
                on_db!(
                    self,
                    index_sums(
                        province,
                        unit,
                        true,
                        "0000-01",
                        &month_text(before),
                        CUMULATIVE
                    )
                )?,
            );
        }
        add_counts(
            &mut out,
            on_db!(
                self,
                index_sums(
                    province,
                    unit,
                    false,
                    &day_text(first),
                    &day_text(day),
                    CUMULATIVE
                )
            )?,
        );
        Ok(out)
    }

    /// What the index is computed from, per unit, for a period: the counters
    /// over it, from the beginning through its end and before its start,
    /// and the catalog's online services used in it.
    pub async fn index_tallies(
        &self,
        province: Option<&str>,
        unit: Option<&str>,
        period: Period,
    ) -> Result<HashMap<String, idx::Tallies>> {
        let mut period_counts = self.index_counts(province, unit, period).await?;
        let mut through = self.index_counts_through(province, unit, period.to).await?;
        let mut before = match period.from.previous_day() {
            Some(d) => self.index_counts_through(province, unit, d).await?,
            None => HashMap::new(),
        };
        // 3.1 and 3.2: the procedures offered now, all of them online
        // (partly or fully) in the commune level's catalog.
        let catalog = self.catalog().await?;
        let total =
            i64::try_from(catalog.iter().filter(|(_, active)| *active).count()).unwrap_or(i64::MAX);
        let (from, to) = period_ms(period);
        let mut used: HashMap<String, i64> =
            on_db!(self, online_procedures_used(province, unit, from, to))?
                .into_iter()
                .collect();
        let mut overdue: HashMap<String, i64> =
            on_db!(self, feedback_overdue(province, unit, from, to))?
                .into_iter()
                .collect();
        let mut payments = self
            .payment_tallies(province, unit, &catalog, period)
            .await?;
        let mut codes: std::collections::BTreeSet<String> = period_counts.keys().cloned().collect();
        codes.extend(through.keys().cloned());
        codes.extend(used.keys().cloned());
        match (unit, province) {
            (Some(u), _) => {
                codes.insert(u.to_string());
            }
            (None, Some(p)) => codes.extend(self.units(Some(p)).await?.into_iter().map(|u| u.code)),
            (None, None) => {}
        }
        Ok(codes
            .into_iter()
            .map(|code| {
                let t = idx::Tallies {
                    period: period_counts.remove(&code).unwrap_or_default(),
                    through_end: through.remove(&code).unwrap_or_default(),
                    before_start: before.remove(&code).unwrap_or_default(),
                    procedures: Some(idx::ProcedureTally {
                        total,
                        online: total,
                        online_used: used.remove(&code).unwrap_or(0),
                    }),
                    feedback_overdue: overdue.remove(&code).unwrap_or(0),
                    payments: payments.remove(&code),
                };
                (code, t)
            })
            .collect())
    }

    /// 3.5a, 3.5b and 3.6 per unit whose online payment was enabled by the
    /// period's end, counting dossiers received from then. A dossier has a
    /// financial obligation when its procedure charges a fee and it claims no
    /// exemption (ASSUMPTION, shown with the indicator: the portal's
    /// definition of "hồ sơ có nghĩa vụ tài chính" is not published).
    async fn payment_tallies(
        &self,
        province: Option<&str>,
        unit: Option<&str>,
        catalog: &crate::Catalog,
        period: Period,
    ) -> Result<HashMap<String, idx::PaymentTally>> {
        let (from, to) = period_ms(period);
        let fee: std::collections::HashSet<&str> = catalog
            .iter()
            .filter(|(p, active)| {
                *active && !matches!(p.fee, motcua_domain::catalog::Fee::Free { .. })
            })
            .map(|(p, _)| p.code.as_str())
            .collect();
        let fee_procedures = i64::try_from(fee.len()).unwrap_or(i64::MAX);
        let mut out = HashMap::new();
        for (code, since) in on_db!(self, payment_enabled_since(province, unit))? {
            if since >= to {
                continue;
            }
            let mut t = idx::PaymentTally {
                fee_procedures,
                ..Default::default()
            };
            for (_, procedure, n, exempt, online) in
                on_db!(self, fee_dossiers(None, Some(&code), from.max(since), to))?
            {
                if !fee.contains(procedure.as_str()) {
                    continue;
                }
                t.fee_procedures_used += i64::from(n > 0);
                t.fee_procedures_paid_online += i64::from(online > 0);
                t.owing += n - exempt;
                t.paid_online += online;
            }
            out.insert(code, t);
        }
        Ok(out)
    }

    /// Every non-zero counter as stored.
    pub async fn index_counters(&self) -> Result<CounterMap> {
        let rows = on_db!(self, index_counter_rows())?;
        let mut out = CounterMap::new();
        for (unit, day, metric, n) in rows {
            let (Some(day), Some(m)) = (parse_day(&day), Metric::parse(&metric)) else {
                return Err(Problem::conflict("corrupt_row", "Bộ đếm chỉ số hỏng").into());
            };
            *out.entry((unit, day, m)).or_insert(0) += n;
        }
        out.retain(|_, n| *n != 0);
        Ok(out)
    }

    /// Every non-zero monthly counter as stored: (month, unit, metric) → n.
    pub async fn index_month_counters(&self) -> Result<BTreeMap<(String, String, Metric), i64>> {
        let rows = on_db!(self, index_month_counter_rows())?;
        let mut out = BTreeMap::new();
        for (unit, month, metric, n) in rows {
            let m = Metric::parse(&metric)
                .ok_or_else(|| Problem::conflict("corrupt_row", "Bộ đếm chỉ số hỏng"))?;
            *out.entry((month, unit, m)).or_insert(0) += n;
        }
        out.retain(|_, n| *n != 0);
        Ok(out)
    }

    /// The monthly counters equal the sums of the daily ones.
    pub async fn index_months_consistent(&self) -> Result<bool> {
        Ok(self.index_month_counters().await? == by_month(&self.index_counters().await?))
    }

    /// The counters recomputed from the history: every dossier's events
    /// refolded, plus the ratings and feedback tables.
    pub async fn index_recompute(&self) -> Result<CounterMap> {
        let mut out = CounterMap::new();
        let mut cals: HashMap<String, motcua_domain::calendar::WorkCalendar> = HashMap::new();
        let mut after = 0i64;
        loop {
            let page = on_db!(self, dossier_page(after, 2000))?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                break;
            };
            let (lo, hi) = (first.0, last.0);
            after = hi;
            let events = on_db!(self, events_between(lo, hi))?;
            let mut by_id: HashMap<i64, Vec<motcua_domain::dossier::Event>> = HashMap::new();
            for (id, e) in events {
                by_id.entry(id).or_default().push(e.into_event()?);
            }
            for (id, unit, proc_code, channel, version, received_by, e_result) in &page {
                let Some(events) = by_id.get(id) else {
                    continue;
                };
                // The time limit each dossier was received under.
                let procedure = self
                    .procedure_in(*version, proc_code)
                    .await?
                    .ok_or_else(|| {
                        Problem::conflict(
                            "corrupt_row",
                            "Hồ sơ trỏ tới thủ tục không có trong phiên bản danh mục của nó",
                        )
                    })?;
                let procedure = &procedure;
                if !cals.contains_key(unit) {
                    cals.insert(unit.clone(), self.calendar(Some(unit)).await?);
                }
                let cal = cals
                    .get(unit)
                    .ok_or_else(|| StoreError::Config("calendar cache".into()))?;
                let p = Projection::fold(events, procedure.processing, cal)?;
                let digitized = events
                    .first()
                    .and_then(|e| e.payload.digitized)
                    .unwrap_or(false);
                let facts = index_facts(channel, procedure, digitized, *e_result);
                // Each counter for its side's unit (`Metric::side`).
                let (own, received): (Vec<Delta>, Vec<Delta>) = idx::contribution(&p, facts)
                    .into_iter()
                    .partition(|d| d.metric.side() == idx::Side::Competent);
                add_all(&mut out, unit, &own);
                add_all(&mut out, received_by, &received);
            }
        }
        for (unit, at, overall) in on_db!(self, all_ratings())? {
            let overall = u8::try_from(overall).unwrap_or(0);
            add_all(
                &mut out,
                &unit,
                &idx::rating_contribution(from_ms(at), overall),
            );
        }
        for (unit, at, due, answered) in on_db!(self, all_feedback())? {
            let d = idx::feedback_contribution(from_ms(at), from_ms(due), answered.map(from_ms));
            add_all(&mut out, &unit, &d);
        }
        out.retain(|_, n| *n != 0);
        Ok(out)
    }

    /// Whether an electronic result is attached to the dossier.
    pub(crate) async fn has_result(&self, dossier_id: i64) -> Result<bool> {
        on_db!(self, has_result(dossier_id))
    }

    /// The counters the first electronic result of `row` moves, by unit:
    /// the receiving side's for the unit that received it, the rest for the
    /// unit that decides it.
    pub(crate) async fn result_counters(
        &self,
        row: &DossierRow,
    ) -> Result<Vec<(String, Vec<Delta>)>> {
        let p = row.projection()?;
        let procedure = self.procedure_of(row).await?;
        let digitized = on_db!(self, events(row.id))?
            .first()
            .and_then(|e| e.payload.digitized)
            .unwrap_or(false);
        let change = idx::fact_change(
            &p,
            index_facts(&row.channel, &procedure, digitized, false),
            index_facts(&row.channel, &procedure, digitized, true),
        );
        let (competent, receiving): (Vec<Delta>, Vec<Delta>) = change
            .into_iter()
            .partition(|d| d.metric.side() == idx::Side::Competent);
        Ok(vec![
            (row.unit_code.clone(), competent),
            (row.received_by.clone(), receiving),
        ])
    }

    /// Replace the counters by a recomputation; returns the number of rows.
    pub async fn index_rebuild(&self) -> Result<usize> {
        let fresh = self.index_recompute().await?;
        on_db!(self, replace_index_counters(&fresh))?;
        Ok(fresh.len())
    }

    /// Recompute the counters once after an upgrade that changed what they
    /// count (migration 0023), then forget the request.
    pub(crate) async fn rebuild_index_if_pending(&self) -> Result<()> {
        if on_db!(self, index_rebuild_pending())? {
            // A history that cannot be refolded must not keep the server from
            // starting: the request stays, and `motcua index rebuild` says why.
            match self.index_rebuild().await {
                Ok(rows) => {
                    on_db!(self, clear_index_rebuild())?;
                    tracing::info!(rows, "index counters recomputed for the portal's formula");
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "index counters not recomputed; run `motcua index rebuild`"
                ),
            }
        }
        Ok(())
    }

    /// Add counters computed elsewhere (the bulk loader's).
    pub async fn index_add(&self, rows: &CounterMap) -> Result<()> {
        on_db!(self, add_index_counters(rows))
    }

    /// The dossiers behind a count, oldest id first, after `after` (keyset paging).
    pub async fn index_dossiers(
        &self,
        unit: &str,
        period: Period,
        drill: Drill,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DossierRow>> {
        let (from, to) = period_ms(period);
        let limit = limit.clamp(1, 500);
        on_db!(self, index_drill(unit, from, to, drill, after, limit))
    }

    /// Rate a returned dossier once. The caller has checked the lookup key.
    pub async fn rate_dossier(
        &self,
        row: &DossierRow,
        scores: &[u8],
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        if row.status != Status::Returned.as_str() {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "not_returned",
                "Chỉ đánh giá được sau khi đã nhận kết quả",
            )
            .into());
        }
        idx::validate_rating(scores)?;
        let comment = comment
            .map(motcua_domain::text::nfc)
            .filter(|c| !c.trim().is_empty());
        if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
            return Err(
                Problem::invalid("comment_too_long", "comment", "Góp ý tối đa 1000 ký tự").into(),
            );
        }
        let overall = scores.first().copied().unwrap_or(0);
        let text: Vec<String> = scores.iter().map(u8::to_string).collect();
        let deltas = idx::rating_contribution(now, overall);
        let fresh = on_db!(
            self,
            insert_rating(
                row.id,
                &row.unit_code,
                to_ms(now),
                &text.join(","),
                i64::from(overall),
                comment.as_deref(),
                &deltas
            )
        )?;
        if !fresh {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "already_rated",
                "Hồ sơ này đã được đánh giá",
            )
            .into());
        }
        Ok(())
    }

    pub async fn rating(&self, row: &DossierRow) -> Result<Option<Rating>> {
        let r = on_db!(self, rating(row.id))?;
        Ok(r.map(|(at, scores, comment)| Rating {
            dossier_code: row.code.clone(),
            scores: scores.split(',').filter_map(|s| s.parse().ok()).collect(),
            comment,
            at: from_ms(at),
        }))
    }

    /// Receive a feedback for a unit (optionally about one of its dossiers);
    /// its answer is due [`idx::FEEDBACK_WORKING_DAYS`] working days later.
    pub async fn submit_feedback(
        &self,
        unit_code: &str,
        dossier: Option<&DossierRow>,
        name: &str,
        contact: &str,
        content: &str,
        now: OffsetDateTime,
    ) -> Result<Feedback> {
        let unit = self.unit(unit_code).await?.ok_or_else(forbidden_unit)?;
        if dossier.is_some_and(|d| d.unit_code != unit.code) {
            return Err(
                Problem::invalid("bad_unit", "unit", "Hồ sơ không thuộc đơn vị này").into(),
            );
        }
        let name = motcua_domain::text::nfc(name).trim().to_string();
        let contact = motcua_domain::text::nfc(contact).trim().to_string();
        let content = motcua_domain::text::nfc(content).trim().to_string();
        if !(2..=100).contains(&name.chars().count()) {
            return Err(Problem::invalid(
                "bad_name",
                "name",
                "Họ và tên phải có từ 2 đến 100 ký tự",
            )
            .into());
        }
        if !(5..=200).contains(&contact.chars().count()) {
            return Err(Problem::invalid(
                "bad_contact",
                "contact",
                "Cần số điện thoại hoặc địa chỉ thư để nhận trả lời",
            )
            .into());
        }
        if !(10..=4000).contains(&content.chars().count()) {
            return Err(Problem::invalid(
                "bad_content",
                "content",
                "Nội dung phải có từ 10 đến 4000 ký tự",
            )
            .into());
        }
        let cal = self.calendar(Some(&unit.code)).await?;
        let due = cal.due(
            now,
            motcua_domain::calendar::ProcessingTime::WorkingDays {
                amount: idx::FEEDBACK_WORKING_DAYS,
            },
        );
        let deltas = idx::feedback_contribution(now, due, None);
        let id = on_db!(
            self,
            insert_feedback(
                &unit.code,
                dossier.map(|d| d.id),
                &name,
                &contact,
                &content,
                to_ms(now),
                to_ms(due),
                &deltas
            )
        )?;
        self.feedback(&unit.code, id).await
    }

    pub async fn feedback(&self, unit: &str, id: i64) -> Result<Feedback> {
        on_db!(self, feedback_rows(unit, Some(id)))?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Problem::not_found("feedback_not_found", "Không tìm thấy phản ánh, kiến nghị")
                    .into()
            })
    }

    pub async fn feedback_list(&self, unit: &str) -> Result<Vec<Feedback>> {
        on_db!(self, feedback_rows(unit, None))
    }

    /// Answer a feedback of `unit` (once).
    pub async fn answer_feedback(
        &self,
        unit: &str,
        id: i64,
        answer: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Feedback> {
        let f = self.feedback(unit, id).await?;
        let answer = motcua_domain::text::nfc(answer).trim().to_string();
        if !(5..=4000).contains(&answer.chars().count()) {
            return Err(Problem::invalid(
                "bad_answer",
                "answer",
                "Câu trả lời phải có từ 5 đến 4000 ký tự",
            )
            .into());
        }
        if f.answered_at.is_some() {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "already_answered",
                "Phản ánh này đã được trả lời",
            )
            .into());
        }
        // The answer moves the feedback from "pending" to on time or late.
        let before = idx::feedback_contribution(f.at, f.due_at, None);
        let after = idx::feedback_contribution(f.at, f.due_at, Some(now));
        let deltas: Vec<Delta> = after.into_iter().filter(|d| !before.contains(d)).collect();
        let done = on_db!(
            self,
            answer_feedback(id, unit, &answer, by, to_ms(now), &deltas)
        )?;
        if !done {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "already_answered",
                "Phản ánh này đã được trả lời",
            )
            .into());
        }
        self.feedback(unit, id).await
    }

    /// Per officer of a unit over a period: steps taken, dossiers settled and
    /// on time, received, and the average time their step took since the
    /// previous one.
    pub async fn officer_stats(&self, unit: &str, period: Period) -> Result<Vec<OfficerStats>> {
        let (from, to) = period_ms(period);
        let rows = on_db!(self, officer_events(unit, from, to))?;
        let mut by: BTreeMap<String, (OfficerStats, i64, i64)> = BTreeMap::new();
        for (actor, action, at, prev, on_time) in rows {
            let e = by.entry(actor.clone()).or_insert_with(|| {
                (
                    OfficerStats {
                        username: actor.clone(),
                        ..Default::default()
                    },
                    0,
                    0,
                )
            });
            e.0.actions += 1;
            match action.as_str() {
                "approve" | "reject" => {
                    e.0.settled += 1;
                    if on_time == 1 {
                        e.0.settled_on_time += 1;
                    }
                }
                "create_at_counter" | "receive" => e.0.received += 1,
                _ => {}
            }
            if let Some(p) = prev {
                e.1 += (at - p).max(0) / 60_000;
                e.2 += 1;
            }
        }
        Ok(by
            .into_values()
            .map(|(mut s, minutes, n)| {
                s.avg_step_minutes = if n > 0 { minutes / n } else { 0 };
                s
            })
            .collect())
    }
}

/// One unit's place in its province's ranking.
#[derive(Debug, Clone, Serialize)]
pub struct RankedUnit {
    pub rank: usize,
    pub unit: motcua_domain::units::Unit,
    /// The counters over the period.
    pub counts: Counts,
    pub card: idx::Scorecard,
}

/// All units of a province ranked by total score for a period: aggregate
/// queries over the counters, the arithmetic in the domain.
pub async fn ranking(store: &Store, province: &str, period: Period) -> Result<Vec<RankedUnit>> {
    let units = store.units(Some(province)).await?;
    let mut tallies = store.index_tallies(Some(province), None, period).await?;
    let cards: Vec<(motcua_domain::units::Unit, Counts, idx::Scorecard)> = units
        .into_iter()
        .map(|u| {
            let t = tallies.remove(&u.code).unwrap_or_default();
            let card = idx::score(&idx::values(&t));
            (u, t.period, card)
        })
        .collect();
    let totals: Vec<i64> = cards.iter().map(|(_, _, s)| s.total_x100).collect();
    let order = idx::rank(&totals);
    let mut slots: Vec<Option<(motcua_domain::units::Unit, Counts, idx::Scorecard)>> =
        cards.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|(rank, i)| {
            slots
                .get_mut(i)
                .and_then(Option::take)
                .map(|(unit, counts, card)| RankedUnit {
                    rank,
                    unit,
                    counts,
                    card,
                })
        })
        .collect())
}
