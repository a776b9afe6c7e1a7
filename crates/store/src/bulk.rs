//! Bulk loading, for the benchmark's synthetic province (`motcua bench`):
//! many dossiers with their events and document metadata, written as
//! multi-row INSERTs in large transactions on a connection of their own.
//!
//! The caller computes each row with the domain's [`Projection`] of its
//! events, exactly as [`Store::act`] does, and the loader links every event
//! into its unit's hash chain as `backend.rs` does, so generated data passes
//! the same checks as real data (`check_all`, `audit_verify`). As everywhere
//! in the store, the SQL is written once for both backends as methods of the
//! handle `Sql` (the few differences are arguments of `bulk_sql!`); the
//! loader's handle carries its own connection (`Sql::own`), on which its
//! long transactions run.

use crate::backend::day_text;
use crate::model::to_ms;
use crate::{Db, Result, Sql, Store};
use motcua_domain::calendar::{Date, OffsetDateTime};
use motcua_domain::dossier::{Applicant, Event, Projection};
use motcua_domain::lifecycle::Status;
use sqlx::{AssertSqlSafe, ConnectOptions, Row};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// One dossier to load: its row is `projection` (the fold of `events`).
#[derive(Debug, Clone)]
pub struct BulkDossier {
    /// Chosen by the caller from [`BulkLoader::next_id`] upward, in order.
    pub id: i64,
    pub code: String,
    pub unit_code: String,
    pub procedure_code: String,
    pub channel: &'static str,
    pub applicant: Applicant,
    pub fields: String,
    /// [`Store::lookup_key_hash`] of the dossier's key.
    pub lookup_hash: String,
    pub projection: Projection,
    /// Oldest first; the first one is the submission.
    pub events: Vec<Event>,
    pub documents: Vec<BulkDocument>,
}

/// A document's metadata row (the bytes, if any, are the caller's business).
#[derive(Debug, Clone)]
pub struct BulkDocument {
    pub id: String,
    pub code: String,
    pub sha256: Option<String>,
    pub size: i64,
    pub content_type: Option<&'static str>,
    pub filename: Option<String>,
    pub paper: bool,
    pub uploaded_by: String,
    pub created_at: OffsetDateTime,
}

/// Rows per statement: at most 2,000 parameters, so that the driver's
/// argument buffer (16 bytes a value) stays under the 64 KiB whose free makes
/// glibc consolidate its heap (seen in `perf` at 4% of the load with 5,000).
const DOSSIER_ROWS: usize = 66; // × 31 columns
const EVENT_ROWS: usize = 140; // × 14
const DOCUMENT_ROWS: usize = 200; // × 10
const COUNTER_ROWS: usize = 600; // × 3

const DOSSIER_HEAD: &str = "dossiers (id, code, unit_code, procedure_code, channel, status, paused_from, \
     assignee, applicant_name, applicant_id_number, applicant_dob, applicant_phone, applicant_email, applicant_address, \
     fields, lookup_hash, version, submitted_at, received_at, due_at, pause_remaining, finished_at, returned_at, \
     apologized, updated_at, late_from, paused_at, supplement_requests, received_by, ended_waiting, applicant_folded)";
const EVENT_HEAD: &str = "dossier_events (dossier_id, seq, at, actor, role, action, from_status, to_status, note, payload, \
     unit_code, unit_seq, prev_hash, hash)";
const DOCUMENT_HEAD: &str = "documents (id, dossier_id, doc_code, sha256, size, content_type, filename, paper, \
     uploaded_by, created_at)";
const HEAD_HEAD: &str = "audit_heads (unit_code, seq, hash)";
const HEAD_TAIL: &str =
    " ON CONFLICT (unit_code) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
const INDEX_HEAD: &str = "index_counts (day, unit_code, metric, n)";
const INDEX_TAIL: &str =
    " ON CONFLICT (day, unit_code, metric) DO UPDATE SET n = index_counts.n + excluded.n";
const INDEX_MONTH_HEAD: &str = "index_counts_month (month, unit_code, metric, n)";
const INDEX_MONTH_TAIL: &str =
    " ON CONFLICT (month, unit_code, metric) DO UPDATE SET n = index_counts_month.n + excluded.n";
const COUNTER_HEAD: &str = "code_counters (unit_code, day, last)";
const COUNTER_TAIL: &str = " ON CONFLICT (unit_code, day) DO UPDATE SET last = \
     CASE WHEN excluded.last > code_counters.last THEN excluded.last ELSE code_counters.last END";

/// `head [middle] VALUES ($1, …), (…)` for `rows` rows of `cols` columns;
/// with `numbered` false, `?` instead of `$n`: SQLite looks a numbered
/// parameter's name up by a linear scan, which makes binding thousands of
/// them quadratic (minutes per statement), while `?` binds by position.
fn insert_sql(
    numbered: bool,
    verb: &str,
    head: &str,
    middle: &str,
    tail: &str,
    cols: usize,
    rows: usize,
) -> Arc<str> {
    let mut s = String::with_capacity(head.len() + rows * cols * 7 + tail.len() + 32);
    s.push_str(verb);
    s.push_str(head);
    s.push_str(middle);
    s.push_str(" VALUES ");
    let mut n = 1;
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if numbered {
                let _ = write!(s, "${n}");
            } else {
                s.push('?');
            }
            n += 1;
        }
        s.push(')');
    }
    s.push_str(tail);
    s.into()
}

/// Statements by (table, rows), built once: the connection caches them prepared.
pub(crate) struct SqlCache {
    numbered: bool,
    cache: HashMap<(&'static str, usize), Arc<str>>,
}

impl SqlCache {
    fn get(
        &mut self,
        verb: &str,
        head: &'static str,
        middle: &str,
        tail: &str,
        cols: usize,
        rows: usize,
    ) -> Arc<str> {
        let numbered = self.numbered;
        self.cache
            .entry((head, rows))
            .or_insert_with(|| insert_sql(numbered, verb, head, middle, tail, cols, rows))
            .clone()
    }
}

/// An event ready to write: its place in the unit's chain computed.
pub(crate) struct Linked<'a> {
    dossier_id: i64,
    unit_code: &'a str,
    event: &'a Event,
    payload: String,
    unit_seq: i64,
    prev_hash: String,
    hash: String,
}

/// The newest link of each unit's chain, as the loader extends them.
#[derive(Default)]
struct Chains {
    heads: HashMap<String, (i64, String)>,
    /// Links are keyed as the server keys them.
    key: Arc<Vec<u8>>,
    /// Units whose head moved since the last commit.
    dirty: std::collections::BTreeSet<String>,
}

impl Chains {
    /// Link a dossier's events after its unit's head. Events are chained in
    /// load order, dossier by dossier (the server chains them in commit
    /// order); the verification checks the links, which hold either way.
    fn link<'a>(&mut self, d: &'a BulkDossier) -> Vec<Linked<'a>> {
        if !self.dirty.contains(&d.unit_code) {
            self.dirty.insert(d.unit_code.clone());
        }
        let key = Arc::clone(&self.key);
        let head = self
            .heads
            .entry(d.unit_code.clone())
            .or_insert_with(|| (0, motcua_domain::audit::GENESIS.to_string()));
        d.events
            .iter()
            .map(|e| {
                let link = motcua_domain::audit::Link {
                    unit_code: &d.unit_code,
                    unit_seq: head.0 + 1,
                    prev_hash: &head.1,
                    dossier_code: &d.code,
                };
                let hash = motcua_domain::audit::keyed_event_hash(&key, &link, e);
                let prev_hash = std::mem::replace(&mut head.1, hash.clone());
                head.0 += 1;
                Linked {
                    dossier_id: d.id,
                    unit_code: &d.unit_code,
                    event: e,
                    payload: e.payload.to_json(),
                    unit_seq: head.0,
                    prev_hash,
                    hash,
                }
            })
            .collect()
    }
}

macro_rules! bulk_sql {
    // `$insert` starts each INSERT; `$overriding` follows the dossiers' columns;
    // `$size_sql` measures the database, `$indexes_sql` lists the indexes of
    // the loaded tables; `$finish` runs once the load is over.
    ($db:ty, $insert:literal, $overriding:literal, $size_sql:literal, $indexes_sql:literal, $finish:expr) => {
        use super::*;
        type Db = $db;

        impl crate::Sql<Db> {
            /// The highest dossier id (0 when there is none).
            pub(crate) async fn bulk_max_dossier_id(&self) -> Result<i64> {
                let mut conn = self.own().await?;
                let v: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM dossiers")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(v.unwrap_or(0))
            }

            pub(crate) async fn bulk_exec(&self, sql: &'static str) -> Result<()> {
                let mut conn = self.own().await?;
                sqlx::query(sql).execute(&mut *conn).await?;
                Ok(())
            }

            pub(crate) async fn bulk_counters(
                &self,
                from: &str,
                to: &str,
            ) -> Result<Vec<(String, String, i64)>> {
                let mut conn = self.own().await?;
                let rows = sqlx::query(
                    "SELECT unit_code, day, last FROM code_counters WHERE day >= $1 AND day <= $2",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect())
            }

            /// (name, definition) of the non-unique indexes of the loaded tables.
            pub(crate) async fn bulk_secondary_indexes(&self) -> Result<Vec<(String, String)>> {
                let mut conn = self.own().await?;
                let rows: Vec<(String, String)> =
                    sqlx::query_as($indexes_sql).fetch_all(&mut *conn).await?;
                Ok(rows
                    .into_iter()
                    .filter(|(_, def)| !def.to_ascii_uppercase().starts_with("CREATE UNIQUE"))
                    .collect())
            }

            pub(crate) async fn bulk_exec_owned(&self, sql: String) -> Result<()> {
                let mut conn = self.own().await?;
                sqlx::query::<Db>(AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub(crate) async fn bulk_heads(&self) -> Result<Vec<(String, i64, String)>> {
                let mut conn = self.own().await?;
                Ok(
                    sqlx::query_as("SELECT unit_code, seq, hash FROM audit_heads")
                        .fetch_all(&mut *conn)
                        .await?,
                )
            }

            pub(crate) async fn bulk_save_heads(
                &self,
                sql: &mut SqlCache,
                rows: &[(&str, i64, &str)],
            ) -> Result<()> {
                let mut conn = self.own().await?;
                for chunk in rows.chunks(COUNTER_ROWS) {
                    let text = sql.get("INSERT INTO ", HEAD_HEAD, "", HEAD_TAIL, 3, chunk.len());
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for (unit, seq, hash) in chunk {
                        q = q.bind(*unit).bind(*seq).bind(*hash);
                    }
                    q.execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(crate) async fn bulk_save_counters(
                &self,
                sql: &mut SqlCache,
                rows: &[(String, String, i64)],
            ) -> Result<()> {
                let mut conn = self.own().await?;
                for chunk in rows.chunks(COUNTER_ROWS) {
                    let text = sql.get(
                        "INSERT INTO ",
                        COUNTER_HEAD,
                        "",
                        COUNTER_TAIL,
                        3,
                        chunk.len(),
                    );
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for (unit, day, last) in chunk {
                        q = q.bind(unit.as_str()).bind(day.as_str()).bind(*last);
                    }
                    q.execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Add to the service index's counters (see `crate::index`).
            pub(crate) async fn bulk_add_index(
                &self,
                sql: &mut SqlCache,
                monthly: bool,
                rows: &[(String, String, &'static str, i64)],
            ) -> Result<()> {
                let mut conn = self.own().await?;
                let (head, tail) = if monthly {
                    (INDEX_MONTH_HEAD, INDEX_MONTH_TAIL)
                } else {
                    (INDEX_HEAD, INDEX_TAIL)
                };
                for chunk in rows.chunks(COUNTER_ROWS / 2) {
                    let text = sql.get("INSERT INTO ", head, "", tail, 4, chunk.len());
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for (day, unit, metric, n) in chunk {
                        q = q
                            .bind(day.as_str())
                            .bind(unit.as_str())
                            .bind(*metric)
                            .bind(*n);
                    }
                    q.execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(crate) async fn bulk_insert(
                &self,
                sql: &mut SqlCache,
                batch: &[BulkDossier],
                events: &[Linked<'_>],
            ) -> Result<()> {
                let mut conn = self.own().await?;
                for chunk in batch.chunks(DOSSIER_ROWS) {
                    let text = sql.get($insert, DOSSIER_HEAD, $overriding, "", 31, chunk.len());
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for d in chunk {
                        let p = &d.projection;
                        let first = d.events.first().map_or(0, |e| to_ms(e.at));
                        let last = d.events.last().map_or(first, |e| to_ms(e.at));
                        q = q
                            .bind(d.id)
                            .bind(d.code.as_str())
                            .bind(d.unit_code.as_str())
                            .bind(d.procedure_code.as_str())
                            .bind(d.channel)
                            .bind(p.status.as_str())
                            .bind(p.paused_from.map(Status::as_str))
                            .bind(p.assignee.as_deref())
                            .bind(d.applicant.full_name.as_str())
                            .bind(d.applicant.id_number.as_str())
                            .bind(day_text(d.applicant.date_of_birth))
                            .bind(d.applicant.phone.as_str())
                            .bind(d.applicant.email.as_deref())
                            .bind(d.applicant.address.as_str())
                            .bind(d.fields.as_str())
                            .bind(d.lookup_hash.as_str())
                            .bind(p.version)
                            .bind(first)
                            .bind(p.received_at.map(to_ms))
                            .bind(p.due_at.map(to_ms))
                            .bind(p.pause_remaining)
                            .bind(p.finished_at.map(to_ms))
                            .bind(p.returned_at.map(to_ms))
                            .bind(p.apologized)
                            .bind(last)
                            .bind(p.late_from().map(to_ms))
                            .bind(p.paused_at.map(to_ms))
                            .bind(p.supplement_requests)
                            // Generated dossiers are decided where they are received.
                            .bind(d.unit_code.as_str())
                            .bind(p.ended_waiting)
                            .bind(motcua_domain::text::fold(&d.applicant.full_name));
                    }
                    q.execute(&mut *conn).await?;
                }
                for chunk in events.chunks(EVENT_ROWS) {
                    let text = sql.get($insert, EVENT_HEAD, "", "", 14, chunk.len());
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for l in chunk {
                        let e = l.event;
                        q = q
                            .bind(l.dossier_id)
                            .bind(e.seq)
                            .bind(to_ms(e.at))
                            .bind(e.actor.as_str())
                            .bind(e.role.as_str())
                            .bind(e.action.as_str())
                            .bind(e.from_status.map(Status::as_str))
                            .bind(e.to_status.as_str())
                            .bind(e.note.as_deref())
                            .bind(l.payload.as_str())
                            .bind(l.unit_code)
                            .bind(l.unit_seq)
                            .bind(l.prev_hash.as_str())
                            .bind(l.hash.as_str());
                    }
                    q.execute(&mut *conn).await?;
                }
                let docs: Vec<(i64, &BulkDocument)> = batch
                    .iter()
                    .flat_map(|d| d.documents.iter().map(move |x| (d.id, x)))
                    .collect();
                for chunk in docs.chunks(DOCUMENT_ROWS) {
                    let text = sql.get($insert, DOCUMENT_HEAD, "", "", 10, chunk.len());
                    let mut q = sqlx::query::<Db>(AssertSqlSafe(text));
                    for (id, x) in chunk {
                        q = q
                            .bind(x.id.as_str())
                            .bind(*id)
                            .bind(x.code.as_str())
                            .bind(x.sha256.as_deref())
                            .bind(x.size)
                            .bind(x.content_type)
                            .bind(x.filename.as_deref())
                            .bind(x.paper)
                            .bind(x.uploaded_by.as_str())
                            .bind(to_ms(x.created_at));
                    }
                    q.execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(crate) async fn database_size(&self) -> Result<i64> {
                Ok(sqlx::query_scalar($size_sql).fetch_one(&self.read).await?)
            }

            pub(crate) async fn dossier_id_range(&self) -> Result<Option<(i64, i64)>> {
                let r = sqlx::query("SELECT MIN(id), MAX(id) FROM dossiers")
                    .fetch_one(&self.read)
                    .await?;
                let lo: Option<i64> = r.get(0);
                let hi: Option<i64> = r.get(1);
                Ok(lo.zip(hi))
            }

            pub(crate) async fn dossier_near_id(&self, id: i64) -> Result<Option<SampleDossier>> {
                let r = sqlx::query(
                    "SELECT id, code, unit_code, status, version FROM dossiers \
                     WHERE id >= $1 ORDER BY id LIMIT 1",
                )
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
                Ok(r.map(|r| SampleDossier {
                    id: r.get(0),
                    code: r.get(1),
                    unit_code: r.get(2),
                    status: r.get(3),
                    version: r.get(4),
                }))
            }

            /// Leave the database ready to serve (`$finish`, in order).
            pub(crate) async fn bulk_finish(&self) -> Result<()> {
                let mut conn = self.own().await?;
                for sql in $finish {
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    };
}

mod sqlite {
    // OR FAIL: a constraint error still stops the load (and the transaction
    // is never committed), but SQLite need not keep a statement journal to
    // undo half a statement (`subjournalPageIfRequired`, 3% in `perf`).
    bulk_sql!(
        sqlx::Sqlite,
        "INSERT OR FAIL INTO ",
        "",
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ('dossiers', 'dossier_events', 'documents')",
        // Fold the write-ahead log back into the file so it does not stay huge.
        ["PRAGMA wal_checkpoint(TRUNCATE)"]
    );

    impl Sql<sqlx::Sqlite> {
        /// A handle whose own connection has a 1 GiB page cache and no
        /// foreign-key checks (the generator writes only rows that refer to
        /// existing units, procedures and dossiers); the server's connections
        /// keep their settings.
        pub(crate) async fn bulk_handle(&self) -> Result<crate::Db> {
            let opts = (*self.write.connect_options())
                .clone()
                .foreign_keys(false)
                .pragma("cache_size", "-1048576")
                .pragma("temp_store", "memory")
                // Statements of thousands of parameters would flood the log.
                .disable_statement_logging();
            let conn = opts.connect().await?;
            Ok(crate::Db::Sqlite(self.with_own(conn)))
        }
    }
}

mod postgres {
    // Dossier ids are chosen by the loader (events refer to them), so the
    // identity column is overridden and its sequence moved past them at the end.
    bulk_sql!(
        sqlx::Postgres,
        "INSERT INTO ",
        " OVERRIDING SYSTEM VALUE",
        "SELECT pg_database_size(current_database())",
        "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename IN ('dossiers', 'dossier_events', 'documents')",
        [
            "SELECT setval(pg_get_serial_sequence('dossiers', 'id'), \
             GREATEST((SELECT MAX(id) FROM dossiers), 1))",
            // Autovacuum would analyze soon anyway; the benchmark should not wait for it.
            "ANALYZE dossiers",
            "ANALYZE dossier_events",
            "ANALYZE documents",
        ]
    );

    impl Sql<sqlx::Postgres> {
        /// A handle with a connection of its own, which does not wait for
        /// each commit's flush.
        pub(crate) async fn bulk_handle(&self) -> Result<crate::Db> {
            let mut conn = (*self.write.connect_options())
                .clone()
                .disable_statement_logging()
                .connect()
                .await?;
            // A lost load on a crash is acceptable; waiting for each commit's flush is not.
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut conn)
                .await?;
            Ok(crate::Db::Postgres(self.with_own(conn)))
        }
    }
}

/// A dossier picked for the benchmark's lookups and lists.
#[derive(Debug, Clone)]
pub struct SampleDossier {
    pub id: i64,
    pub code: String,
    pub unit_code: String,
    pub status: String,
    pub version: i64,
}

/// Writes [`BulkDossier`]s in large transactions on its own connection.
/// Nothing else may write dossiers or events while it loads: ids are taken
/// from `MAX(id) + 1` and the chain heads read once, at the start.
pub struct BulkLoader {
    /// A handle with the loader's own connection.
    db: Db,
    sql: SqlCache,
    chains: Chains,
    next_id: i64,
    in_tx: bool,
    rows_in_tx: usize,
    /// Commit after this many dossiers.
    pub tx_dossiers: usize,
    /// Secondary indexes dropped for the load, to build again at the end.
    dropped: Vec<(String, String)>,
    /// The catalog's procedures (for the index's counters).
    procedures: HashMap<String, motcua_domain::catalog::Procedure>,
    /// Index counters of the dossiers of the open transaction.
    index: crate::index::CounterMap,
}

impl Store {
    /// A loader on a new connection of its own. On SQLite it has a 1 GiB page
    /// cache and no foreign-key checks (the generator writes only rows that
    /// refer to existing units, procedures and dossiers); the server's
    /// connections keep their settings.
    pub async fn bulk_loader(&self) -> Result<BulkLoader> {
        let db = on_db!(self, bulk_handle())?;
        // PostgreSQL's parameters are numbered; SQLite's are not (see `insert_sql`).
        let numbered = matches!(db, Db::Postgres(_));
        let mut loader = BulkLoader {
            db,
            sql: SqlCache {
                numbered,
                cache: HashMap::new(),
            },
            chains: Chains {
                heads: HashMap::new(),
                key: self.audit_key(),
                dirty: Default::default(),
            },
            next_id: 0,
            in_tx: false,
            rows_in_tx: 0,
            tx_dossiers: 100_000,
            dropped: Vec::new(),
            procedures: Default::default(),
            index: Default::default(),
        };
        loader.next_id = on_db!(loader, bulk_max_dossier_id())? + 1;
        loader.chains.heads = on_db!(loader, bulk_heads())?
            .into_iter()
            .map(|(u, s, h)| (u, (s, h)))
            .collect();
        loader.procedures = self
            .catalog()
            .await?
            .iter()
            .map(|(p, _)| (p.code.clone(), p.clone()))
            .collect();
        Ok(loader)
    }

    /// Bytes the database takes (SQLite: pages of the main file; PostgreSQL: the database).
    pub async fn database_size(&self) -> Result<i64> {
        on_db!(self, database_size())
    }

    /// Lowest and highest dossier id, if any.
    pub async fn dossier_id_range(&self) -> Result<Option<(i64, i64)>> {
        on_db!(self, dossier_id_range())
    }

    /// The first dossier with an id at or above `id`.
    pub async fn dossier_near_id(&self, id: i64) -> Result<Option<SampleDossier>> {
        on_db!(self, dossier_near_id(id))
    }
}

impl BulkLoader {
    /// Drop the non-unique indexes of dossiers, events and documents until
    /// [`Self::finish`] builds them again: one sort at the end instead of
    /// keeping them up to date row by row. Their definitions are printed to
    /// stderr first, in case the load dies before the end.
    pub async fn drop_secondary_indexes(&mut self) -> Result<usize> {
        let found = on_db!(self, bulk_secondary_indexes())?;
        for (name, def) in found {
            eprintln!("dropping index {name} for the load; to rebuild by hand: {def};");
            // Names come from the catalog, quoted as identifiers.
            let sql = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
            on_db!(self, bulk_exec_owned(sql))?;
            self.dropped.push((name, def));
        }
        Ok(self.dropped.len())
    }

    /// The id the next dossier must take (ids go up by one, in load order).
    pub fn next_id(&self) -> i64 {
        self.next_id
    }

    /// Existing code counters of every unit between two local days (inclusive).
    pub async fn counters(&mut self, from: Date, to: Date) -> Result<HashMap<(String, Date), i64>> {
        let (from, to) = (day_text(from), day_text(to));
        let rows = on_db!(self, bulk_counters(&from, &to))?;
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        Ok(rows
            .into_iter()
            .filter_map(|(unit, day, last)| Date::parse(&day, fmt).ok().map(|d| ((unit, d), last)))
            .collect())
    }

    async fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            on_db!(self, bulk_exec("BEGIN"))?;
            self.in_tx = true;
        }
        Ok(())
    }

    /// Commit what is pending, with the chain heads it moved.
    pub async fn commit(&mut self) -> Result<()> {
        if self.in_tx {
            let dirty = std::mem::take(&mut self.chains.dirty);
            let rows: Vec<(&str, i64, &str)> = dirty
                .iter()
                .filter_map(|u| {
                    self.chains
                        .heads
                        .get(u)
                        .map(|(s, h)| (u.as_str(), *s, h.as_str()))
                })
                .collect();
            on_db!(self, bulk_save_heads(&mut self.sql, &rows))?;
            // The index counters commit with the dossiers they count.
            let taken = std::mem::take(&mut self.index);
            let months: Vec<(String, String, &'static str, i64)> = crate::index::by_month(&taken)
                .into_iter()
                .map(|((month, unit, m), n)| (month, unit, m.as_str(), n))
                .collect();
            let index: Vec<(String, String, &'static str, i64)> = taken
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|((unit, day, m), n)| (day_text(day), unit, m.as_str(), n))
                .collect();
            on_db!(self, bulk_add_index(&mut self.sql, false, &index))?;
            on_db!(self, bulk_add_index(&mut self.sql, true, &months))?;
            on_db!(self, bulk_exec("COMMIT"))?;
            self.in_tx = false;
            self.rows_in_tx = 0;
        }
        Ok(())
    }

    /// Write a batch (ids must continue from [`Self::next_id`]); commits
    /// every [`Self::tx_dossiers`] dossiers.
    pub async fn insert(&mut self, batch: &[BulkDossier]) -> Result<()> {
        for (i, d) in batch.iter().enumerate() {
            if d.id != self.next_id + i as i64 {
                return Err(crate::StoreError::Config(format!(
                    "bulk ids must be consecutive: got {} where {} was expected",
                    d.id,
                    self.next_id + i as i64
                )));
            }
        }
        self.begin().await?;
        let mut events = Vec::with_capacity(batch.len() * 8);
        for d in batch {
            events.extend(self.chains.link(d));
            // Same rule as the server's: online, or a reception event that
            // says so; generated dossiers get no electronic result.
            let digitized = d
                .events
                .first()
                .and_then(|e| e.payload.digitized)
                .unwrap_or(false);
            let procedure = self.procedures.get(&d.procedure_code).ok_or_else(|| {
                crate::StoreError::Config(format!("unknown procedure {}", d.procedure_code))
            })?;
            let facts = crate::index_facts(d.channel, procedure, digitized, false);
            for x in motcua_domain::index::contribution(&d.projection, facts) {
                *self
                    .index
                    .entry((d.unit_code.clone(), x.day, x.metric))
                    .or_insert(0) += x.delta;
            }
        }
        on_db!(self, bulk_insert(&mut self.sql, batch, &events))?;
        self.next_id += batch.len() as i64;
        self.rows_in_tx += batch.len();
        if self.rows_in_tx >= self.tx_dossiers {
            self.commit().await?;
        }
        Ok(())
    }

    /// Raise the code counters to at least the given last sequence of each
    /// (unit, local day), so later real submissions continue after them.
    pub async fn save_counters(&mut self, last: &HashMap<(String, Date), i64>) -> Result<()> {
        let mut rows: Vec<(String, String, i64)> = last
            .iter()
            .map(|((unit, day), n)| (unit.clone(), day_text(*day), *n))
            .collect();
        rows.sort();
        self.begin().await?;
        on_db!(self, bulk_save_counters(&mut self.sql, &rows))?;
        self.commit().await
    }

    /// Commit what is pending and leave the database ready to serve.
    pub async fn finish(mut self) -> Result<()> {
        self.commit().await?;
        for (_, def) in std::mem::take(&mut self.dropped) {
            on_db!(self, bulk_exec_owned(def))?;
        }
        on_db!(self, bulk_finish())
    }
}
