//! Storage of motcua: SQLite (one file, the default) or PostgreSQL (by URL),
//! through the same operations, plus document bytes on disk.
//!
//! [`Store`] is the port the rest of the system uses. Each operation checks
//! the domain's rules, then runs one transaction on whichever backend is
//! configured.
//!
//! The SQL is written once for both backends, the same way in every module:
//! as methods of the handle `Sql`, in a macro `…_sql!` compiled for
//! `sqlx::Sqlite` and for `sqlx::Postgres`, which the module's operations
//! call through `on_db!(self, method(args))` (see `Sql` below).

// ---- running the same SQL on either backend ----------------------------------
//
// `on_db!` is defined first, so that every module below can use it.

/// `on_db!(store, method(args))`: the handle of `store.db`'s backend runs
/// `method(args)` (see `Sql`). `store` is the `Store`, or anything holding a
/// `db: Db` (the bulk loader).
macro_rules! on_db {
    ($store:expr, $method:ident ( $($arg:expr),* $(,)? )) => {
        match &$store.db {
            $crate::Db::Sqlite(db) => db.$method($($arg),*).await,
            $crate::Db::Postgres(db) => db.$method($($arg),*).await,
        }
    };
}

mod backend;
pub mod blobs;
pub mod bulk;
pub mod credits;
mod error;
pub mod index;
pub mod integrations;
pub mod model;
pub mod notices;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod queue;
pub mod routing;
pub mod secrets;
pub mod signing;
pub mod testing;
pub mod uploads;
pub mod versions;

pub use error::{Result, StoreError};
pub use model::*;

use backend::{Creation, Decision};
use blobs::BlobStore;
use motcua_domain::calendar::{
    CalendarOverride, Date, OffsetDateTime, VN_OFFSET, WorkCalendar, WorkingHours,
};
use motcua_domain::catalog::{ImportReport, Procedure, diff_catalog};
use motcua_domain::dossier::Projection;
use motcua_domain::lifecycle::{Action, Channel, Role, Status};
use motcua_domain::units::{Province, Unit, UnitList};
use motcua_domain::{Problem, ProblemKind};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The configured backend's handle.
#[derive(Clone)]
enum Db {
    Sqlite(Sql<sqlx::Sqlite>),
    Postgres(Sql<sqlx::Postgres>),
}

/// One backend's way to its database. Every module writes its SQL once, as
/// methods of this handle, in a macro compiled for `Sql<sqlx::Sqlite>` and
/// `Sql<sqlx::Postgres>`, and its operations call them through `on_db!`:
///
/// ```text
/// macro_rules! notices_sql {
///     ($db:ty) => {
///         use super::*;
///
///         impl crate::Sql<$db> {
///             pub(crate) async fn put_notice(&self, …) -> Result<()> { … .execute(&self.write) … }
///         }
///     };
/// }
///
/// mod sqlite {
///     notices_sql!(sqlx::Sqlite);
/// }
/// mod postgres {
///     notices_sql!(sqlx::Postgres);
/// }
///
/// impl Store {
///     pub async fn import_calendar_notice(&self, …) -> Result<Notice> {
///         … on_db!(self, put_notice(…))?; …
///     }
/// }
/// ```
///
/// - Each method picks its pool: `self.read`, or `self.write` for writes and
///   for the reads that must see them; a transaction is `self.write.begin()`.
///   Helpers that work inside a transaction are plain functions of the macro.
/// - The few differences between the databases are further arguments of the
///   macro (a `FOR UPDATE`, a `SKIP LOCKED`, a statement of each); what only
///   one backend does is a method written twice, once in an
///   `impl Sql<sqlx::Sqlite>` and once in an `impl Sql<sqlx::Postgres>`
///   (`announce_change`, `backup_database_into`).
/// - Every module's methods share the handle's one namespace: name them after
///   what they do (`put_notice`, not `put`); a name used twice does not compile.
/// - Work that must stay on one connection (the bulk loader's) runs on the
///   handle's own connection, `self.own()`.
pub(crate) struct Sql<DB: sqlx::Database> {
    /// Reads. SQLite: read-only connections beside the one writer.
    pub read: sqlx::Pool<DB>,
    /// Writes, and the reads that must see the latest ones.
    pub write: sqlx::Pool<DB>,
    /// Every new link of the history is keyed with it.
    pub audit_key: Arc<Vec<u8>>,
    /// A connection of the handle's own, for work that must stay on one
    /// session: the bulk loader's (`bulk.rs`), whose transactions span many
    /// calls and whose settings are not the server's. A pool would ping the
    /// connection at every release. None in the store's handle.
    pub own: Option<Arc<tokio::sync::Mutex<DB::Connection>>>,
}

impl<DB: sqlx::Database> Sql<DB> {
    /// The same database, with `conn` as the handle's own connection.
    pub(crate) fn with_own(&self, conn: DB::Connection) -> Self {
        Sql {
            own: Some(Arc::new(tokio::sync::Mutex::new(conn))),
            ..self.clone()
        }
    }

    /// The handle's own connection, for one method's statements.
    pub(crate) async fn own(&self) -> Result<tokio::sync::MutexGuard<'_, DB::Connection>> {
        match &self.own {
            Some(conn) => Ok(conn.lock().await),
            None => Err(StoreError::Config(
                "this work runs on a connection of its own (Store::bulk_loader)".into(),
            )),
        }
    }
}

impl<DB: sqlx::Database> Clone for Sql<DB> {
    fn clone(&self) -> Self {
        Sql {
            read: self.read.clone(),
            write: self.write.clone(),
            audit_key: Arc::clone(&self.audit_key),
            own: self.own.clone(),
        }
    }
}

// Parts of `impl Store` with their SQL, in files of their own.
mod audit;
mod frozen;
mod invalidation;
mod keys;
mod users;
mod worklist;

/// Keys just issued: dossier id → (key, issuer, when in UTC ms).
type IssuedKeys = HashMap<i64, (String, String, i64)>;

/// Every procedure ever imported, with whether it is still offered.
pub type Catalog = Arc<Vec<(Procedure, bool)>>;

#[derive(Default)]
struct Caches {
    catalog: RwLock<Option<Catalog>>,
    calendars: RwLock<HashMap<String, WorkCalendar>>,
    /// Units change only by import; every lookup and page names one.
    units: RwLock<HashMap<String, Unit>>,
    /// Catalog versions by id: written once, never changed.
    versions: RwLock<HashMap<i64, Arc<Vec<Procedure>>>>,
    /// When each version takes effect: read at every dossier creation,
    /// changed only by an import.
    version_list: RwLock<Option<Arc<Vec<motcua_domain::versions::Version>>>>,
    /// Moves at every clear: a value read from the database before a clear
    /// is not cached after it (it may predate the change).
    generation: std::sync::atomic::AtomicU64,
}

const DRAFT_TTL_MS: i64 = 24 * 3600 * 1000;

/// Upload limits.
pub const DEFAULT_MAX_UPLOAD: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct Store {
    db: Db,
    blobs: BlobStore,
    caches: Arc<Caches>,
    /// Calls of the queue, published to the display boards.
    bus: Arc<queue::Bus>,
    pub max_upload: usize,
    /// The secret lookup keys are hashed under (`<data-dir>/lookup.key`).
    lookup_secret: Arc<Vec<u8>>,
    /// The secret outside systems' credentials derive from
    /// (`<data-dir>/integrations.key`): a webhook's signing secret.
    integration_key: Arc<Vec<u8>>,
    /// Keys just issued. Memory only.
    issued: Arc<std::sync::Mutex<IssuedKeys>>,
    /// What the last purge of unattached uploads removed.
    last_purge: Arc<std::sync::Mutex<Option<uploads::PurgeReport>>>,
    /// The secret that seals the units' signing keys (`<data-dir>/signing.key`,
    /// created on first use); without it, nothing can be signed.
    pub signing_key_file: Option<std::path::PathBuf>,
}

pub(crate) fn lock_poisoned() -> StoreError {
    StoreError::Config("cache lock poisoned".into())
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    Ok(b)
}

/// What a dossier's index counters depend on besides its projection.
pub(crate) fn index_facts(
    channel: &str,
    procedure: &Procedure,
    digitized: bool,
    e_result: bool,
) -> motcua_domain::index::Facts {
    let channel = channel.parse().unwrap_or(Channel::Counter);
    motcua_domain::index::Facts::of(channel, procedure, digitized, e_result)
}

fn local_day(t: OffsetDateTime) -> Date {
    t.to_offset(VN_OFFSET).date()
}

impl Store {
    /// Open the database at `url` (`sqlite://…` / a file path, or `postgres://…`),
    /// apply migrations, and keep document bytes under `blob_dir`.
    pub async fn open(url: &str, blob_dir: &Path) -> Result<Self> {
        // The data folder holds the blobs and the secrets.
        let data_dir = blob_dir.parent().unwrap_or(Path::new("."));
        let lookup_secret = secrets::load_or_create(&data_dir.join(secrets::LOOKUP_KEY_FILE))?;
        let audit_key = Arc::new(secrets::load_or_create(
            &data_dir.join(secrets::AUDIT_KEY_FILE),
        )?);
        let integration_key =
            secrets::load_or_create(&data_dir.join(secrets::INTEGRATION_KEY_FILE))?;
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // At peak hours a request waits for a connection rather than fail:
            // the same 30 s as the SQLite pools (sqlx's default).
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Db::Postgres(Sql {
                read: pool.clone(),
                write: pool,
                audit_key,
                own: None,
            })
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(parent) = Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent)?;
            }
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // One writer connection: SQLite has one writer anyway, and queuing in
            // the pool avoids SQLITE_BUSY storms at peak times.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&write).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts.read_only(true))
                .await?;
            Db::Sqlite(Sql {
                read,
                write,
                audit_key,
                own: None,
            })
        };
        let caches: Arc<Caches> = Arc::default();
        if let Db::Postgres(inner) = &db {
            invalidation::listen(inner.write.clone(), Arc::downgrade(&caches));
        }
        let store = Store {
            db,
            blobs: BlobStore::new(blob_dir),
            caches,
            bus: Arc::default(),
            max_upload: DEFAULT_MAX_UPLOAD,
            lookup_secret: Arc::new(lookup_secret),
            integration_key: Arc::new(integration_key),
            issued: Arc::default(),
            last_purge: Arc::default(),
            signing_key_file: None,
        };
        store.hash_clear_lookup_keys().await?;
        store.mark_keyed_links().await?;
        store.freeze_pending().await?;
        store.rebuild_index_if_pending().await?;
        store.fold_applicant_names().await?;
        Ok(store)
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    // ---- units -------------------------------------------------------------

    pub async fn import_units(&self, list: &UnitList) -> Result<()> {
        on_db!(self, import_units(list))?;
        self.changed(invalidation::Cached::Units).await
    }
    pub async fn provinces(&self) -> Result<Vec<Province>> {
        on_db!(self, provinces())
    }
    pub async fn units(&self, province: Option<&str>) -> Result<Vec<Unit>> {
        on_db!(self, units(province))
    }
    pub async fn unit(&self, code: &str) -> Result<Option<Unit>> {
        if let Some(u) = self
            .caches
            .units
            .read()
            .map_err(|_| lock_poisoned())?
            .get(code)
        {
            return Ok(Some(u.clone()));
        }
        let generation = self.caches.generation();
        let found = on_db!(self, unit(code))?;
        if let Some(u) = &found
            && self.caches.generation() == generation
        {
            self.caches
                .units
                .write()
                .map_err(|_| lock_poisoned())?
                .insert(code.to_string(), u.clone());
        }
        Ok(found)
    }

    // ---- catalog -----------------------------------------------------------

    /// Every procedure with whether it is still offered (retired ones stay for old dossiers).
    pub async fn catalog(&self) -> Result<Catalog> {
        if let Some(c) = self
            .caches
            .catalog
            .read()
            .map_err(|_| lock_poisoned())?
            .as_ref()
        {
            return Ok(c.clone());
        }
        let generation = self.caches.generation();
        let specs = on_db!(self, procedure_specs())?;
        let mut procs = Vec::with_capacity(specs.len());
        for (spec, active) in specs {
            let text = format!("{{\"procedures\":[{spec}]}}");
            let mut parsed = motcua_domain::catalog::parse_catalog(&text)?;
            if let Some(p) = parsed.pop() {
                procs.push((p, active));
            }
        }
        let procs = Arc::new(procs);
        if self.caches.generation() == generation {
            *self.caches.catalog.write().map_err(|_| lock_poisoned())? = Some(procs.clone());
        }
        Ok(procs)
    }

    /// Procedures currently offered.
    pub async fn procedures(&self) -> Result<Vec<Procedure>> {
        Ok(self
            .catalog()
            .await?
            .iter()
            .filter(|(_, a)| *a)
            .map(|(p, _)| p.clone())
            .collect())
    }

    pub async fn procedure(&self, code: &str) -> Result<Option<(Procedure, bool)>> {
        Ok(self
            .catalog()
            .await?
            .iter()
            .find(|(p, _)| p.code == code)
            .cloned())
    }

    /// Replace (`replace`: retire what the file omits) or update the
    /// national catalog now; recorded as a version in force from `now`.
    pub async fn import_catalog(
        &self,
        incoming: &[Procedure],
        replace: bool,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        self.import_catalog_version(incoming, replace, None, now, "import", now)
            .await
    }

    /// Import a catalog as a version in force from `effective_from`,
    /// nationally or for one province. Only a national version already in
    /// force becomes the catalog the pages list; a province's or a future
    /// one applies to the dossiers received under it.
    pub async fn import_catalog_version(
        &self,
        incoming: &[Procedure],
        replace: bool,
        province: Option<&str>,
        effective_from: OffsetDateTime,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<ImportReport> {
        if let Some(p) = province
            && !self.provinces().await?.iter().any(|x| x.code == p)
        {
            return Err(Problem::invalid(
                "unknown_province",
                "province",
                format!("Không có tỉnh mã \"{p}\""),
            )
            .into());
        }
        let current: Vec<Procedure> = self
            .catalog()
            .await?
            .iter()
            .filter(|(_, a)| *a)
            .map(|(p, _)| p.clone())
            .collect();
        let mut report = diff_catalog(&current, incoming, replace);
        // A procedure that was retired and comes back counts as added again.
        let all = self.catalog().await?;
        for p in incoming {
            if all.iter().any(|(c, active)| c.code == p.code && !active)
                && !report.added.contains(&p.code)
            {
                report.added.push(p.code.clone());
                report.updated.remove(&p.code);
                report.unchanged = report.unchanged.saturating_sub(1);
            }
        }
        let rows: Vec<(String, String, String, String, String)> = incoming
            .iter()
            .map(|p| {
                let spec =
                    serde_json::to_string(p).map_err(|e| StoreError::Config(e.to_string()))?;
                Ok((
                    p.code.clone(),
                    p.name.clone(),
                    p.field.clone(),
                    p.folded_name(),
                    spec,
                ))
            })
            .collect::<Result<_>>()?;
        // The version holds the whole active catalog after this import.
        let mut active: Vec<&Procedure> = current
            .iter()
            .filter(|p| !replace && !incoming.iter().any(|i| i.code == p.code))
            .collect();
        active.extend(incoming.iter());
        let specs = active
            .iter()
            .map(|p| {
                serde_json::to_string(p)
                    .map(|s| (p.code.clone(), s))
                    .map_err(|e| StoreError::Config(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let version = versions::NewVersion {
            province_code: province,
            effective_from: model::to_ms(effective_from),
            note: "",
            by,
            specs,
        };
        let current_now = province.is_none() && effective_from <= now;
        on_db!(
            self,
            save_catalog(
                &rows,
                &report.retired,
                model::to_ms(now),
                &version,
                current_now
            )
        )?;
        self.changed(invalidation::Cached::Catalog).await?;
        Ok(report)
    }

    // ---- calendar ----------------------------------------------------------

    /// The working calendar of a unit (national overrides, the unit's own, its hours).
    pub async fn calendar(&self, unit: Option<&str>) -> Result<WorkCalendar> {
        let key = unit.unwrap_or("").to_string();
        if let Some(c) = self
            .caches
            .calendars
            .read()
            .map_err(|_| lock_poisoned())?
            .get(&key)
        {
            return Ok(c.clone());
        }
        let generation = self.caches.generation();
        let overrides: Vec<CalendarOverride> = on_db!(self, overrides(unit))?
            .into_iter()
            .map(|(_, o)| o)
            .collect();
        let hours = match unit {
            Some(u) => match on_db!(self, unit_hours(u))? {
                Some(text) => parse_sessions(&text)?,
                None => WorkingHours::default(),
            },
            None => WorkingHours::default(),
        };
        let notices = self.calendar_notices().await?;
        let cal = WorkCalendar::with_notices(hours, notices, overrides);
        if self.caches.generation() == generation {
            self.caches
                .calendars
                .write()
                .map_err(|_| lock_poisoned())?
                .insert(key, cal.clone());
        }
        Ok(cal)
    }

    pub async fn overrides(&self, unit: Option<&str>) -> Result<Vec<(String, CalendarOverride)>> {
        on_db!(self, overrides(unit))
    }

    /// Add or change a day off / make-up working day; `unit` None = national.
    pub async fn put_override(
        &self,
        unit: Option<&str>,
        o: &CalendarOverride,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        if let Some(u) = unit {
            self.require_unit(u).await?;
        }
        let name = motcua_domain::text::nfc(&o.name);
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Problem::invalid(
                "bad_name",
                "name",
                "Tên ngày nghỉ/ngày làm bù phải có từ 1 đến 200 ký tự",
            )
            .into());
        }
        let o = CalendarOverride { name, ..o.clone() };
        on_db!(
            self,
            put_override(unit.unwrap_or(""), &o, by, model::to_ms(now))
        )?;
        self.changed(invalidation::Cached::Calendars).await
    }

    pub async fn delete_override(&self, unit: Option<&str>, day: Date) -> Result<bool> {
        let done = on_db!(self, delete_override(unit.unwrap_or(""), day))?;
        self.changed(invalidation::Cached::Calendars).await?;
        Ok(done)
    }

    /// Set a unit's working sessions, e.g. "07:30-11:30,13:00-17:00".
    pub async fn set_unit_hours(&self, unit: &str, sessions: &str) -> Result<WorkingHours> {
        self.require_unit(unit).await?;
        let hours = parse_sessions(sessions)?;
        on_db!(self, set_unit_hours(unit, sessions))?;
        self.changed(invalidation::Cached::Calendars).await?;
        Ok(hours)
    }

    async fn require_unit(&self, code: &str) -> Result<Unit> {
        self.unit(code).await?.ok_or_else(|| {
            Problem::invalid(
                "unknown_unit",
                "unit_code",
                format!("Không có đơn vị hành chính mã \"{code}\""),
            )
            .into()
        })
    }

    // ---- documents ---------------------------------------------------------

    /// Keep an uploaded file (PDF, JPEG or PNG, told by its content) and
    /// return its id, to be named in a submission or a supplement.
    pub async fn upload(
        &self,
        bytes: &[u8],
        filename: Option<&str>,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<DocumentMeta> {
        self.upload_as(bytes, filename, by, None, now).await
    }

    /// The same, remembering the client (`uploads::UploadQuota::client`) that
    /// sent it, for the caps of unattached uploads.
    pub(crate) async fn upload_as(
        &self,
        bytes: &[u8],
        filename: Option<&str>,
        by: &str,
        client: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<DocumentMeta> {
        if bytes.is_empty() {
            return Err(Problem::invalid("empty_file", "file", "Tệp tải lên trống").into());
        }
        if bytes.len() > self.max_upload {
            return Err(Problem::new(
                ProblemKind::TooLarge,
                "file_too_large",
                format!("Tệp quá lớn: tối đa {}", human_size(self.max_upload)),
            )
            .with_field("file")
            .into());
        }
        let content_type = motcua_domain::documents::sniff(bytes).ok_or_else(|| {
            Problem::new(
                ProblemKind::UnsupportedMedia,
                "unsupported_file_type",
                "Chỉ nhận tệp PDF, JPEG hoặc PNG",
            )
            .with_field("file")
        })?;
        if content_type != "application/pdf" {
            motcua_domain::documents::check_image(bytes)
                .map_err(|m| Problem::invalid("bad_image", "file", m))?;
        }
        let sha = self.blobs.put(bytes).await?;
        let id = hex(&random_bytes::<16>()?);
        let filename = filename
            .map(|f| {
                motcua_domain::text::nfc(f)
                    .chars()
                    .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                    .take(200)
                    .collect::<String>()
            })
            .filter(|f| !f.is_empty());
        let meta = DocumentMeta {
            id,
            code: None,
            sha256: Some(sha),
            size: bytes.len() as i64,
            content_type: Some(content_type.to_string()),
            filename,
            paper: false,
            created_at: now,
        };
        on_db!(self, insert_document(&meta, by, client))?;
        Ok(meta)
    }

    /// A document's metadata and, when attached, its dossier id.
    pub async fn document(&self, id: &str) -> Result<Option<(Option<i64>, DocumentMeta)>> {
        on_db!(self, document(id))
    }

    // ---- dossiers ----------------------------------------------------------

    /// File a new dossier: online by the citizen (`submitted`), or at the
    /// counter by a receptionist (received at once, the clock starts).
    pub async fn create_dossier(
        &self,
        new: NewDossier,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<DossierRecord> {
        use motcua_domain::creation;
        let asker = actor.asker();
        creation::admit(&asker)?;
        let unit = self.require_unit(&new.unit_code).await?;
        if let Actor::Staff(u) = actor
            && !u.sees_unit(&unit.code)
        {
            return Err(
                Problem::forbidden("other_unit", "Bạn không làm việc tại đơn vị này").into(),
            );
        }
        let unknown = || {
            Problem::invalid(
                "unknown_procedure",
                "procedure_code",
                format!("Không có thủ tục mã \"{}\"", new.procedure_code),
            )
        };
        let (listed, current) = self
            .procedure(&new.procedure_code)
            .await?
            .ok_or_else(unknown)?;
        // Received under the version in force for the unit's province now:
        // its time limit and fee stay the dossier's.
        let catalog_version = self.version_in_force(&unit.province_code, now).await?;
        let in_version = self
            .procedure_in(catalog_version, &new.procedure_code)
            .await?;
        // Not in the version in force: not offered (creation refuses it).
        let offered = current && in_version.is_some();
        let procedure = in_version.unwrap_or(listed);
        let cal = self.calendar(Some(&unit.code)).await?;
        let created = creation::create(
            &creation::Facts {
                procedure: &procedure,
                offered,
                cal: &cal,
                now,
            },
            &asker,
            &creation::Filing {
                channel: new.channel,
                applicant: &new.applicant,
                fields: &new.fields,
                any_document: !new.documents.is_empty(),
                all_digital: new.documents.iter().all(|d| d.upload_id.is_some()),
            },
        )?;
        // The files named must exist and be free: only the database knows.
        self.check_documents(
            &procedure,
            &new.documents,
            matches!(actor, Actor::Staff(_)),
            true,
            creation::declared(&procedure, &created.fields),
        )
        .await?;
        let creation::Created {
            event,
            projection,
            index,
            applicant,
            channel,
            fields,
        } = created;
        let key = motcua_domain::dossier::lookup_key(random_bytes::<8>()?);
        let row = on_db!(
            self,
            create_dossier(Creation {
                catalog_version,
                unit_code: &unit.code,
                local_day: local_day(now),
                procedure_code: &procedure.code,
                channel: channel.as_str(),
                applicant: &applicant,
                fields: fields.to_string(),
                lookup_key: &key,
                secret: &self.lookup_secret,
                event: &event,
                projection: &projection,
                documents: &new.documents,
                actor: actor.name(),
                index: &index,
            })
        )?;
        let documents = on_db!(self, documents(row.id))?;
        self.keep_issued_key(row.id, &key, actor.name(), now)?;
        Ok(DossierRecord {
            row,
            events: vec![event],
            documents,
            issued_key: Some(key),
        })
    }

    /// Documents named in a submission: the domain's rules
    /// (`creation::check_documents`), then the uploads, which must exist and
    /// not be in another dossier.
    async fn check_documents(
        &self,
        procedure: &Procedure,
        docs: &[DocumentRef],
        staff: bool,
        complete: bool,
        declared: bool,
    ) -> Result<()> {
        let named: Vec<motcua_domain::creation::Named<'_>> = docs
            .iter()
            .map(|d| motcua_domain::creation::Named {
                code: &d.code,
                uploaded: d.upload_id.is_some(),
                paper: d.paper,
            })
            .collect();
        motcua_domain::creation::check_documents(procedure, &named, staff, complete, declared)?;
        for d in docs {
            if let Some(id) = &d.upload_id
                && !matches!(self.document(id).await?, Some((None, _)))
            {
                return Err(Problem::invalid(
                    "bad_upload",
                    format!("documents.{}", d.code),
                    format!(
                        "Tệp đính kèm cho giấy tờ \"{}\" không tồn tại hoặc đã được dùng",
                        d.code
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    /// Take an action on a dossier. The domain's `decide` checks role,
    /// state, version and the request's data and computes the event; the
    /// store checks the unit, gathers the facts and writes the event and the
    /// new row in one transaction.
    pub async fn act(
        &self,
        code: &str,
        req: &ActionRequest,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<DossierRecord> {
        self.act_with(code, req, actor, now, None).await
    }

    /// Approve and record the result's signature in one transaction: if
    /// the approval is refused, the signature is not kept, and the other way
    /// round. Only an approval carries a signature.
    pub async fn act_signed(
        &self,
        code: &str,
        req: &ActionRequest,
        actor: &Actor,
        now: OffsetDateTime,
        signed: signing::SignedResult,
    ) -> Result<DossierRecord> {
        if req.action != Action::Approve.as_str() {
            return Err(Problem::invalid(
                "not_an_approval",
                "action",
                "Chỉ ký số khi phê duyệt kết quả",
            )
            .into());
        }
        self.act_with(code, req, actor, now, Some(signed)).await
    }

    async fn act_with(
        &self,
        code: &str,
        req: &ActionRequest,
        actor: &Actor,
        now: OffsetDateTime,
        signed: Option<signing::SignedResult>,
    ) -> Result<DossierRecord> {
        use motcua_domain::decide::{self, RawCommand};
        let asker = actor.asker();
        let (action, _) = decide::admit(&asker, &req.action)?;
        let current = self
            .dossier_row(code)
            .await?
            .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
        if let Actor::Staff(u) = actor
            && !u.sees_unit(&current.unit_code)
        {
            // Same answer as an unknown code: other units' dossiers are not disclosed.
            return Err(Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into());
        }
        // Decided under the catalog version the dossier was received under.
        let procedure = self.procedure_of(&current).await?;
        let cal = self.calendar(Some(&current.unit_code)).await?;
        // Facts only the database holds: who may be assigned, which files exist.
        // Only the named assignee is looked up: `decide` needs to know whether they may be.
        let specialists: Vec<String> = match (action, req.assignee.as_deref()) {
            (Action::Assign, Some(name)) => self
                .user_by_username(name)
                .await?
                .filter(|u| u.assignable_in(&current.unit_code))
                .map(|u| u.username)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        // Whether an electronic result is attached: the index counts it.
        let e_result = self.has_result(current.id).await?;
        let route_targets = match (action, req.to_unit.as_deref()) {
            (Action::Route, Some(to)) => self
                .route_targets(&current.unit_code, Some(to))
                .await?
                .into_iter()
                .map(|u| u.code)
                .collect(),
            _ => Vec::new(),
        };
        if action == Action::Supplement {
            self.check_documents(
                &procedure,
                &req.documents,
                matches!(actor, Actor::Staff(_)),
                false,
                false,
            )
            .await?;
        }
        let documents = if action == Action::Supplement {
            req.documents.clone()
        } else {
            Vec::new()
        };
        let codes: Vec<&str> = req.documents.iter().map(|d| d.code.as_str()).collect();
        let raw = RawCommand {
            action: &req.action,
            note: req.note.as_deref(),
            assignee: req.assignee.as_deref(),
            new_due: req.new_due.as_deref(),
            missing: &req.missing,
            documents: &codes,
            delivery: req.delivery.as_deref(),
            postal_address: req.postal_address.as_deref(),
            tracking_number: req.tracking_number.as_deref(),
            applicant: req.applicant.as_ref(),
            confirm_late: req.confirm_late,
            to_unit: req.to_unit.as_deref(),
            answers: req.answers.as_ref(),
            amount_vnd: req.amount_vnd,
            receipt: req.receipt.as_deref(),
            method: req.method.as_deref(),
        };
        let request = decide::Request {
            raw,
            version: req.version,
            via: req.via,
        };
        let actor_name = actor.name().to_string();
        let issued_key = if action == Action::ReissueKey {
            Some(motcua_domain::dossier::lookup_key(random_bytes::<8>()?))
        } else {
            None
        };
        let new_key_hash = issued_key.as_ref().map(|k| self.lookup_key_hash(code, k));
        // Decided on the row read inside the write transaction: the one that counts.
        let decide = |row: &DossierRow| -> Result<Decision> {
            let state = row.projection()?;
            let on_file = row.applicant_on_file();
            let answers = row.answers();
            let d = decide::decide(
                &decide::Facts {
                    state: &state,
                    channel: &row.channel,
                    applicant: &on_file,
                    procedure: &procedure,
                    cal: &cal,
                    specialists: &specialists,
                    route_targets: &route_targets,
                    e_result,
                    answers: &answers,
                    now,
                },
                &asker,
                &request,
            )?;
            let mut event = d.event;
            if let Some(pay) = event.payload.payment.as_mut() {
                pay.order = req.order_ref.clone();
            }
            Ok(Decision {
                event,
                projection: d.projection,
                documents,
                index: d.index,
                moved: d.moved,
                new_key_hash: new_key_hash.filter(|_| d.effects.new_key),
                applicant: d.effects.applicant,
                answers: d.effects.answers,
                signature: signed.clone(),
            })
        };
        let row = match on_db!(self, act(code, decide, &actor_name)) {
            Err(StoreError::Problem(p))
                if p.kind == ProblemKind::Conflict
                    && matches!(p.code, "stale_version" | "version_conflict") =>
            {
                return Err(self.stale(code, p).await.into());
            }
            other => other?,
        };
        let mut record = self.record_for(row).await?;
        if let Some(key) = &issued_key {
            self.keep_issued_key(record.row.id, key, &actor_name, now)?;
        }
        record.issued_key = issued_key;
        Ok(record)
    }

    /// A stale action, said plainly: not done, who changed the dossier last,
    /// when and how, and where it stands now.
    async fn stale(&self, code: &str, p: Problem) -> Problem {
        let Ok(Some(rec)) = self.dossier(code).await else {
            return p;
        };
        let Some(last) = rec.events.last() else {
            return p;
        };
        let who = match last.role.as_str() {
            "citizen" => "người nộp hồ sơ".to_string(),
            _ => match self.user_by_username(&last.actor).await {
                Ok(Some(u)) if u.full_name != u.username => {
                    format!("{} ({})", u.full_name, u.username)
                }
                _ => last.actor.clone(),
            },
        };
        let status = rec
            .row
            .status
            .parse::<Status>()
            .map_or(rec.row.status.clone(), |s| s.label_vi().to_string());
        Problem {
            message: format!(
                "Thao tác của bạn chưa được thực hiện: hồ sơ đã được {who} cập nhật lúc {} ({}), sau phiên bản bạn đang xem; hiện ở trạng thái \"{status}\" (phiên bản {}). Hãy xem lại rồi thao tác lại nếu vẫn cần.",
                motcua_domain::calendar::format_vn(last.at),
                last.action.label_vi(),
                rec.row.version
            ),
            ..p
        }
    }

    async fn record_for(&self, row: DossierRow) -> Result<DossierRecord> {
        let events = on_db!(self, events(row.id))?;
        let documents = on_db!(self, documents(row.id))?;
        Ok(DossierRecord {
            row,
            events,
            documents,
            issued_key: None,
        })
    }

    pub async fn dossier_row(&self, code: &str) -> Result<Option<DossierRow>> {
        if !motcua_domain::dossier::is_well_formed_code(code) {
            return Ok(None);
        }
        on_db!(self, dossier_by_code(code))
    }

    pub async fn dossier(&self, code: &str) -> Result<Option<DossierRecord>> {
        match self.dossier_row(code).await? {
            Some(row) => Ok(Some(self.record_for(row).await?)),
            None => Ok(None),
        }
    }

    /// The register of a unit: dossiers submitted in [from, to), oldest
    /// first, each with its return event's data (the delivery choice) if
    /// returned. At most `limit` rows.
    pub async fn register(
        &self,
        unit: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<(DossierRow, Option<motcua_domain::payload::Payload>)>> {
        let rows = on_db!(
            self,
            register(unit, model::to_ms(from), model::to_ms(to), limit)
        )?;
        Ok(rows
            .into_iter()
            .map(|(r, p)| {
                (
                    r,
                    p.and_then(|p| motcua_domain::payload::Payload::parse(&p).ok()),
                )
            })
            .collect())
    }

    pub async fn list_dossiers(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<DossierRow>> {
        on_db!(self, list(filter, model::to_ms(now)))
    }

    /// Start a draft for a procedure that is offered.
    pub async fn new_draft(&self, procedure_code: &str, now: OffsetDateTime) -> Result<Draft> {
        match self.procedure(procedure_code).await? {
            Some((_, true)) => {}
            _ => {
                return Err(
                    Problem::not_found("procedure_not_found", "Không có thủ tục này").into(),
                );
            }
        }
        let at = model::to_ms(now);
        let d = Draft {
            id: hex(&random_bytes::<16>()?),
            procedure_code: procedure_code.to_string(),
            data: serde_json::json!({}),
            dossier_code: None,
            created_at: at,
            updated_at: at,
        };
        on_db!(self, put_draft(&d))?;
        Ok(d)
    }

    /// Drafts live a day after their last answer.
    pub async fn draft(&self, id: &str, now: OffsetDateTime) -> Result<Option<Draft>> {
        let not_before = model::to_ms(now) - DRAFT_TTL_MS;
        on_db!(self, draft(id, not_before))
    }

    pub async fn save_draft(&self, d: &Draft) -> Result<()> {
        on_db!(self, put_draft(d))
    }

    /// Forget drafts untouched for a day (they hold personal data).
    /// Forget one draft at once (the citizen abandons it on a shared machine).
    pub async fn delete_draft(&self, id: &str) -> Result<u64> {
        on_db!(self, delete_draft(id))
    }

    pub async fn purge_drafts(&self, now: OffsetDateTime) -> Result<u64> {
        on_db!(self, delete_drafts_before(model::to_ms(now) - DRAFT_TTL_MS))
    }

    pub async fn count_by_status(&self, scope: &Scope) -> Result<Vec<(String, i64)>> {
        on_db!(self, count_by_status(scope))
    }
}

/// "10 MB", "16 KB": sizes as people read them.
pub fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub dossiers: i64,
    pub files: usize,
}

/// Copy a folder tree (document blobs); returns the number of files copied.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            n += copy_tree(&entry.path(), &target)?;
        } else if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
            std::fs::copy(entry.path(), &target)?;
            n += 1;
        }
    }
    Ok(n)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parse working sessions "HH:MM-HH:MM,HH:MM-HH:MM".
pub fn parse_sessions(text: &str) -> Result<WorkingHours> {
    let bad = || {
        Problem::invalid(
            "bad_hours",
            "sessions",
            "Giờ làm việc phải có dạng 07:30-11:30,13:00-17:00",
        )
    };
    let mut sessions = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').ok_or_else(bad)?;
        let a = motcua_domain::catalog::parse_hhmm(a.trim()).ok_or_else(bad)?;
        let b = motcua_domain::catalog::parse_hhmm(b.trim()).ok_or_else(bad)?;
        sessions.push((a, b));
    }
    WorkingHours::new(sessions)
        .map_err(|e| Problem::invalid("bad_hours", "sessions", e.to_string()).into())
}
