//! The motcua binary: serve, migrate, import, user, calendar, check.

mod bench;
mod demo;
mod integrations;
mod serve;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use motcua_domain::calendar::{
    CalendarOverride, OverrideKind, ProcessingTime, WorkCalendar, lunar, parse_date, parse_instant,
};
use motcua_domain::lifecycle::Role;
use motcua_store::{NewUser, Store};
use std::path::PathBuf;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Một cửa: phần mềm cho Trung tâm Phục vụ hành chính công cấp xã"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Settings {
    /// Folder for the SQLite file and uploaded documents.
    #[arg(
        long,
        global = true,
        env = "MOTCUA_DATA_DIR",
        default_value = "motcua-data"
    )]
    data_dir: PathBuf,
    /// Database URL: a SQLite file (default: <data-dir>/motcua.sqlite) or postgres://…
    #[arg(long, global = true, env = "MOTCUA_DATABASE")]
    database: Option<String>,
}

impl Settings {
    fn database_url(&self) -> String {
        self.database.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self.data_dir.join("motcua.sqlite").display())
        })
    }

    async fn open(&self) -> Result<Store> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        narrow_modes(&self.data_dir)?;
        let mut store = Store::open(&self.database_url(), &self.data_dir.join("blobs"))
            .await
            .with_context(|| "cannot open the database")?;
        store.signing_key_file = Some(self.data_dir.join(SIGNING_KEY_FILE));
        seed_reference_data(&store).await?;
        Ok(store)
    }

    /// The calendar for read-only commands: from the database if there is one,
    /// the statutory calendar otherwise (no file is created just to read).
    async fn calendar(&self, unit: Option<&str>) -> Result<WorkCalendar> {
        let exists = self.database.is_some() || self.data_dir.join("motcua.sqlite").exists();
        if !exists {
            if unit.is_some() {
                bail!("no database yet: run `motcua migrate` first to use a unit's calendar");
            }
            return Ok(WorkCalendar::vietnam());
        }
        Ok(self.open().await?.calendar(unit).await?)
    }
}

/// The data folder holds personal data and secrets: the folder and what is
/// in it are for the owner only (0700 / 0600). A folder left wider by an
/// earlier release or by hand is narrowed with all it holds, and said in the
/// log; a folder already 0700 is not walked (it may hold millions of files,
/// and others cannot reach into it whatever their modes).
fn narrow_modes(dir: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let top = std::fs::metadata(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .permissions()
            .mode();
        if top & 0o077 == 0 {
            return Ok(());
        }
        fn walk(p: &std::path::Path, narrowed: &mut usize) -> std::io::Result<()> {
            let meta = std::fs::symlink_metadata(p)?;
            if meta.file_type().is_symlink() {
                return Ok(());
            }
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(want))?;
                *narrowed += 1;
            }
            if meta.is_dir() {
                for entry in std::fs::read_dir(p)? {
                    walk(&entry?.path(), narrowed)?;
                }
            }
            Ok(())
        }
        let mut narrowed = 0;
        walk(dir, &mut narrowed).with_context(|| format!("cannot secure {}", dir.display()))?;
        if narrowed > 0 {
            tracing::warn!(
                folder = %dir.display(),
                narrowed,
                "data folder was readable by others: now for its owner only (0700/0600)"
            );
        }
    }
    Ok(())
}

/// A new database gets the national units and the shipped catalog.
async fn seed_reference_data(store: &Store) -> Result<()> {
    if store.provinces().await?.is_empty() {
        let list = motcua_domain::units::parse_units_csv(motcua_domain::units::NATIONAL_UNITS_CSV)?;
        store.import_units(&list).await?;
    }
    if store.catalog().await?.is_empty() {
        let procs =
            motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)?;
        store
            .import_catalog(&procs, false, OffsetDateTime::now_utc())
            .await?;
    }
    Ok(())
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Create or update the database schema.
    Migrate,
    /// Import reference data.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Working calendar: holidays, due dates, lunar dates, overrides.
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// Check that every dossier's row equals the projection of its events.
    Check,
    /// Benchmarks: generate a synthetic province, run a load on the server.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Tamper-evident history: verify the hash chains, or sign a checkpoint.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Personal data: what the system holds about a person.
    #[command(subcommand)]
    Privacy(PrivacyCmd),
    /// Service index (Decision 766/QĐ-TTg): rebuild or check its counters, rank a province.
    #[command(subcommand)]
    Index(IndexCmd),
    /// Work on a catalog file without a database.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Unit certificate authorities and signer certificates for electronic results.
    #[command(subcommand)]
    Signing(SigningCmd),
    /// Subscriptions of a province's systems to a unit's dossier events (signed webhooks).
    #[command(subcommand)]
    Webhook(integrations::WebhookCmd),
    /// A unit's outside systems: their settings (secrets sealed) and a check of each.
    #[command(subcommand)]
    Integrations(integrations::IntegrationsCmd),
    /// Effects waiting to go out (webhook deliveries): status, dead entries, retry.
    #[command(subcommand)]
    Outbox(integrations::OutboxCmd),
    /// Check the signatures of a PDF against the certificates the system issued;
    /// exits with status 2 when the file is not valid.
    Verify { file: PathBuf },
    /// Copy the database (online), the documents and the signing secret into an empty folder.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Bring a backup back into the data folder (which must hold no database yet).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

/// The secret sealing the units' signing keys, in the data folder.
const SIGNING_KEY_FILE: &str = "signing.key";
/// The secrets of a data folder, carried by backup and restore.
const SECRET_FILES: [&str; 4] = [
    SIGNING_KEY_FILE,
    motcua_store::secrets::AUDIT_KEY_FILE,
    motcua_store::secrets::LOOKUP_KEY_FILE,
    motcua_store::secrets::INTEGRATION_KEY_FILE,
];

#[derive(Subcommand)]
enum SigningCmd {
    /// Create the unit's certificate authority (key sealed under <data-dir>/signing.key).
    Ca {
        #[arg(long)]
        unit: String,
    },
    /// Issue a signer certificate to a leader of the unit (`--user`), or the
    /// unit's organisation certificate (`--organisation`) that signs the forms
    /// sent electronically to online applicants.
    Issue {
        #[arg(long)]
        unit: String,
        #[arg(
            long,
            required_unless_present = "organisation",
            conflicts_with = "organisation"
        )]
        user: Option<String>,
        #[arg(long)]
        organisation: bool,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = motcua_app::signing::SIGNER_DAYS)]
        days: u32,
        /// The leader's title, named on the signature stamp ("Chủ tịch UBND xã Mỹ Hiệp").
        #[arg(long, conflicts_with = "organisation")]
        title: Option<String>,
    },
    /// Revoke a certificate (a unit CA or a signer's).
    Revoke {
        serial: String,
        #[arg(long)]
        reason: String,
    },
    /// Print the unit's certificate authority as PEM, to import as trusted in PDF readers.
    ExportCa {
        #[arg(long)]
        unit: String,
    },
    /// List certificates and their state.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand)]
enum CatalogCmd {
    /// Check a catalog file (a province's own procedures and declarations)
    /// as an import would, without importing it: the first fault with its
    /// line or path, exit status 1.
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum IndexCmd {
    /// Recompute the index counters from the dossiers' events, ratings and feedback, and replace them.
    Rebuild,
    /// Compare the counters with a recomputation from the history (exit status 1 on a difference).
    Verify,
    /// Rank the units of a province for a period (2026, 2026-Q1, 2026-03, 2026-01-01..2026-03-31).
    Rank {
        #[arg(long)]
        province: String,
        #[arg(long)]
        period: String,
    },
    /// Score a file of figures per unit and indicator as the national portal
    /// does, to check them against its published points (format: README).
    Score {
        file: PathBuf,
        /// Print JSON: {"units":[{"code","indicators":{"2.1":{"points","max"}},"total"}]}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PrivacyCmd {
    /// Print, as JSON, everything held about the holder of an ID number (Decree 13/2023).
    Export {
        #[arg(long)]
        id_number: String,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk every unit's event chain and every signed checkpoint; report the first broken link.
    Verify,
    /// Sign the current chain heads with the audit key (<data-dir>/audit.key).
    Checkpoint,
}

#[derive(Subcommand)]
enum ImportCmd {
    /// The national list of units (CSV like data/admin-units-2025.csv).
    Units { file: PathBuf },
    /// The procedure catalog (JSON like data/catalog.json).
    Catalog {
        file: PathBuf,
        /// Retire the procedures the file does not list (default: only add and update).
        #[arg(long)]
        replace: bool,
        /// A province's own version (its code), instead of the national one.
        #[arg(long)]
        province: Option<String>,
        /// The day it takes effect (YYYY-MM-DD, from 00:00 Vietnam time;
        /// default: now). Dossiers received before keep their version.
        #[arg(long)]
        effective: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add (or update) a staff account.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        full_name: String,
        /// Password; better given by the environment than on the command line.
        #[arg(long, env = "MOTCUA_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// receptionist, specialist, leader, unit_admin, province_supervisor, admin (repeat or comma-separate).
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Unit codes the user works for (repeat or comma-separate).
        #[arg(long = "unit", value_delimiter = ',')]
        units: Vec<String>,
        /// Province code, for a province supervisor.
        #[arg(long)]
        province: Option<String>,
    },
    /// Clear the failed sign-ins counted on an account, from every client.
    Unblock { username: String },
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// List the days off of a year as `YYYY-MM-DD<TAB>name`.
    Holidays {
        year: i32,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Print the due instant of a processing time started at --from.
    Due {
        /// Start instant, `YYYY-MM-DDTHH:MM` in Vietnam time, or RFC 3339.
        #[arg(long)]
        from: String,
        #[arg(long, group = "amount")]
        working_days: Option<u32>,
        #[arg(long, group = "amount")]
        working_hours: Option<u32>,
        #[arg(long, group = "amount")]
        days: Option<u32>,
        /// Same-day processing with this cutoff (HH:MM).
        #[arg(long, group = "amount")]
        same_day: Option<String>,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Print the Vietnamese lunar date of a solar date as `YYYY-MM-DD` (` nhuận` after a leap month).
    Lunar { date: String },
    /// Declare a day off (`--kind day-off`) or a make-up working day (`--kind working-day`).
    Set {
        date: String,
        #[arg(long, value_parser = ["day-off", "working-day"])]
        kind: String,
        #[arg(long)]
        name: String,
        /// Only for this unit (default: national).
        #[arg(long)]
        unit: Option<String>,
    },
    /// Remove an override.
    Unset {
        date: String,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set a unit's working sessions, e.g. "07:30-11:30,13:00-17:00".
    Hours { unit: String, sessions: String },
    /// Load a year's official notice of days off (format: README, "Official
    /// calendars"); it replaces that year's shipped notice. A bad file is
    /// refused whole, naming the line.
    Import { file: std::path::PathBuf },
    /// List the official notices in force, year by year, with their source.
    Notices,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> Result<()> {
    // Every file and folder this process creates is for its owner only,
    // whatever the umask it was started with (SQLite's WAL and the blobs included).
    #[cfg(unix)]
    // SAFETY: umask only sets this process's file-creation mask; no memory is touched.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    init_tracing();
    match cli.command {
        Command::Serve(args) => serve::serve(cli.settings, args).await,
        Command::Migrate => {
            let store = cli.settings.open().await?;
            println!("Cơ sở dữ liệu sẵn sàng ({}).", store.backend_name());
            Ok(())
        }
        Command::Import(cmd) => import(cli.settings, cmd).await,
        Command::User(UserCmd::Add {
            username,
            full_name,
            password,
            roles,
            units,
            province,
        }) => {
            let roles = roles
                .iter()
                .map(|r| r.trim().parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            if password.chars().count() < 12 {
                bail!("mật khẩu cần ít nhất 12 ký tự (password must have at least 12 characters)");
            }
            let store = cli.settings.open().await?;
            let hash = motcua_app::credentials::hash_password(&password)?;
            let full_name = if full_name.is_empty() {
                username.clone()
            } else {
                full_name
            };
            let new = NewUser {
                username: username.clone(),
                full_name,
                password_hash: hash,
                roles,
                units,
                province_code: province,
            };
            store.create_user(&new, OffsetDateTime::now_utc()).await?;
            println!("Đã lưu tài khoản {username}.");
            Ok(())
        }
        Command::User(UserCmd::Unblock { username }) => {
            let store = cli.settings.open().await?;
            let cleared = store.clear_sign_in_failures(&username).await?;
            println!("Đã xóa số lần đăng nhập sai của {username} từ {cleared} máy.");
            Ok(())
        }
        Command::Calendar(cmd) => calendar(cli.settings, cmd).await,
        Command::Audit(cmd) => {
            let store = cli.settings.open().await?;
            match cmd {
                AuditCmd::Checkpoint => {
                    let n = store.audit_checkpoint(OffsetDateTime::now_utc()).await?;
                    println!("Đã ký điểm kiểm soát cho {n} chuỗi.");
                }
                AuditCmd::Verify => {
                    let report = store.audit_verify().await?;
                    println!(
                        "{} đơn vị, {} sự kiện, {} điểm kiểm soát.",
                        report.units, report.events, report.checkpoints
                    );
                    if !report.ok() {
                        for p in &report.problems {
                            eprintln!("{p}");
                        }
                        bail!(
                            "lịch sử đã bị sửa ngoài hệ thống (history was altered): {} chỗ",
                            report.problems.len()
                        );
                    }
                    println!("Mọi chuỗi băm còn nguyên vẹn.");
                }
            }
            Ok(())
        }
        Command::Privacy(PrivacyCmd::Export { id_number }) => {
            let store = cli.settings.open().await?;
            let data = store.personal_data(id_number.trim()).await?;
            println!("{}", serde_json::to_string_pretty(&data)?);
            Ok(())
        }
        Command::Signing(cmd) => signing(&cli.settings, cmd).await,
        Command::Webhook(cmd) => integrations::webhook(&cli.settings, cmd).await,
        Command::Outbox(cmd) => integrations::outbox(&cli.settings, cmd).await,
        Command::Integrations(cmd) => integrations::integrations(&cli.settings, cmd).await,
        Command::Verify { file } => verify(&cli.settings, &file).await,
        Command::Backup { to } => {
            let store = cli.settings.open().await?;
            let report = store.backup(&to).await?;
            // Without its secrets a copy is useless: sealed signing keys, lookup
            // keys that no longer match, checkpoints nobody can check.
            for name in SECRET_FILES {
                let key = cli.settings.data_dir.join(name);
                if key.exists() {
                    copy_private(&key, &to.join(name))?;
                }
            }
            println!(
                "Đã sao lưu {} hồ sơ và {} tệp vào {}.",
                report.dossiers,
                report.files,
                to.display()
            );
            Ok(())
        }
        Command::Restore { from } => restore(&cli.settings, &from),
        Command::Check => {
            let store = cli.settings.open().await?;
            let n = store.check_all().await?;
            println!("{n} hồ sơ khớp với lịch sử sự kiện.");
            // Not an inconsistency, data to correct: the documents print "?" there.
            for (code, c) in store.unprintable_dossiers().await? {
                println!(
                    "Cần sửa: hồ sơ {code} có ký tự không in được trên giấy tờ (U+{:04X}) trong họ tên hoặc địa chỉ; cán bộ tiếp nhận sửa bằng thao tác \"Sửa thông tin người nộp\"",
                    u32::from(c)
                );
            }
            Ok(())
        }
        // Needs no database: the figures come from the file.
        Command::Index(IndexCmd::Score { file, json }) => index_score(&file, json),
        Command::Catalog(CatalogCmd::Check { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("không đọc được {}", file.display()))?;
            let procs = motcua_domain::catalog::parse_catalog(&text).map_err(|p| {
                // The message names the line or the path at fault.
                anyhow::anyhow!(
                    "{}: {} ({})",
                    file.display(),
                    p.message,
                    p.field.clone().unwrap_or_default()
                )
            })?;
            let declared = procs.iter().filter(|p| p.declaration.is_some()).count();
            let questions: usize = procs
                .iter()
                .filter_map(|p| p.declaration.as_ref())
                .map(|d| d.fields().count())
                .sum();
            println!(
                "{}: hợp lệ — {} thủ tục, {declared} tờ khai ({questions} câu hỏi).",
                file.display(),
                procs.len()
            );
            Ok(())
        }
        Command::Index(cmd) => {
            let store = cli.settings.open().await?;
            match cmd {
                IndexCmd::Rebuild => {
                    let t = std::time::Instant::now();
                    let n = store.index_rebuild().await?;
                    println!(
                        "Đã tính lại {n} bộ đếm chỉ số từ lịch sử ({:.1} s).",
                        t.elapsed().as_secs_f64()
                    );
                }
                IndexCmd::Verify => {
                    let stored = store.index_counters().await?;
                    let fresh = store.index_recompute().await?;
                    if stored != fresh {
                        let diff = fresh
                            .iter()
                            .find(|(k, v)| stored.get(*k) != Some(*v))
                            .map(|(k, v)| format!("{k:?}: {v} ≠ {:?}", stored.get(k)))
                            .or_else(|| {
                                stored
                                    .iter()
                                    .find(|(k, _)| !fresh.contains_key(*k))
                                    .map(|(k, v)| format!("{k:?}: lưu {v}, tính lại 0"))
                            })
                            .unwrap_or_default();
                        bail!("bộ đếm chỉ số khác với lịch sử: {diff}");
                    }
                    if !store.index_months_consistent().await? {
                        bail!("bộ đếm chỉ số theo tháng khác tổng các bộ đếm theo ngày");
                    }
                    println!("{} bộ đếm chỉ số khớp với lịch sử.", stored.len());
                }
                IndexCmd::Score { .. } => {}
                IndexCmd::Rank { province, period } => {
                    let period = motcua_domain::index::Period::parse(&period)
                        .map_err(|p| anyhow::anyhow!(p.message))?;
                    let t = std::time::Instant::now();
                    let ranking = motcua_store::index::ranking(&store, &province, period).await?;
                    let took = t.elapsed();
                    for r in &ranking {
                        println!(
                            "{:>3}  {:<40} {:>6}",
                            r.rank,
                            r.unit.name,
                            motcua_domain::index::fmt_points(r.card.total_x100)
                        );
                    }
                    println!(
                        "{} đơn vị, {} — {:.1} ms",
                        ranking.len(),
                        period.label_vi(),
                        took.as_secs_f64() * 1000.0
                    );
                }
            }
            Ok(())
        }
        Command::Bench(cmd) => {
            let store = cli.settings.open().await?;
            // Generated dossiers never go into a real center's data.
            if matches!(cmd, bench::BenchCmd::Generate(_))
                && store.count_dossiers().await? > 0
                && store
                    .count_users_besides_prefix(bench::BENCH_PREFIX)
                    .await?
                    > 0
            {
                bail!(
                    "{} có hồ sơ và tài khoản thật; `bench generate` chỉ dùng cho thư mục dữ liệu thử (refusing to generate into real data)",
                    cli.settings.data_dir.display()
                );
            }
            bench::main(store, cmd).await
        }
    }
}

/// `motcua index score FILE`: the points of each given indicator and the
/// total of each unit, with the ranking's arithmetic.
fn index_score(file: &std::path::Path, json: bool) -> Result<()> {
    use motcua_domain::index::{self as idx, file as figures};
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("không đọc được {}: {e}", file.display()))?;
    let units = figures::score_file(&text).map_err(|p| {
        anyhow::anyhow!(
            "{} ({}): {}",
            file.display(),
            p.field.clone().unwrap_or_default(),
            p.message
        )
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&figures::to_output(&units))?
        );
        return Ok(());
    }
    for u in &units {
        println!("{} {}", u.code, u.name.as_deref().unwrap_or(""));
        for i in u
            .card
            .indicators
            .iter()
            .filter(|i| u.given.contains(&i.code))
        {
            println!(
                "  {:<5} {:>6} / {:>5}  {}",
                i.code,
                idx::fmt_points(i.points_x100),
                idx::fmt_points(i.max_x100),
                i.name_vi
            );
        }
        println!("  Tổng  {:>6} / 100,00", idx::fmt_points(u.card.total_x100));
    }
    Ok(())
}

/// Put a backup in place: the SQLite file and the documents. Refuses to
/// overwrite an existing database: restoring is a deliberate act.
fn restore(settings: &Settings, from: &std::path::Path) -> Result<()> {
    if settings
        .database
        .as_deref()
        .is_some_and(|d| d.starts_with("postgres"))
    {
        bail!(
            "PostgreSQL: restore the database with pg_restore (see README), then copy the blobs folder"
        );
    }
    let source = from.join("motcua.sqlite");
    if !source.exists() {
        bail!(
            "{} không phải bản sao lưu của motcua (no motcua.sqlite)",
            from.display()
        );
    }
    let target = settings.data_dir.join("motcua.sqlite");
    if target.exists() {
        bail!(
            "{} đã có cơ sở dữ liệu; hãy chọn thư mục dữ liệu trống (refusing to overwrite)",
            settings.data_dir.display()
        );
    }
    std::fs::create_dir_all(&settings.data_dir)?;
    std::fs::copy(&source, &target)?;
    let files = motcua_store::copy_tree(&from.join("blobs"), &settings.data_dir.join("blobs"))?;
    for name in SECRET_FILES {
        let key = from.join(name);
        if key.exists() {
            copy_private(&key, &settings.data_dir.join(name))?;
        }
    }
    println!(
        "Đã khôi phục cơ sở dữ liệu và {files} tệp vào {}.",
        settings.data_dir.display()
    );
    Ok(())
}

async fn import(settings: Settings, cmd: ImportCmd) -> Result<()> {
    match cmd {
        ImportCmd::Units { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let list = motcua_domain::units::parse_units_csv(&text)?;
            let store = settings.open().await?;
            store.import_units(&list).await?;
            println!(
                "Đã nhập {} tỉnh, {} đơn vị cấp xã.",
                list.provinces.len(),
                list.units.len()
            );
        }
        ImportCmd::Catalog {
            file,
            replace,
            province,
            effective,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let procs = motcua_domain::catalog::parse_catalog(&text)?;
            let store = settings.open().await?;
            let now = OffsetDateTime::now_utc();
            let from = match effective.as_deref() {
                Some(day) => parse_date(day)?
                    .midnight()
                    .assume_offset(motcua_domain::calendar::VN_OFFSET),
                None => now,
            };
            let report = store
                .import_catalog_version(&procs, replace, province.as_deref(), from, "cli", now)
                .await?;
            let version = store.catalog_versions().await?.last().map_or(1, |v| v.id);
            println!(
                "Phiên bản danh mục {version}{}, áp dụng từ {}.",
                province
                    .as_deref()
                    .map(|p| format!(" của tỉnh {p}"))
                    .unwrap_or_default(),
                vn_time(from)
            );
            println!("Thêm mới: {}", report.added.len());
            for c in &report.added {
                println!("  + {c}");
            }
            println!("Cập nhật: {}", report.updated.len());
            for (c, fields) in &report.updated {
                println!("  ~ {c}: {}", fields.join(", "));
            }
            println!("Ngừng áp dụng: {}", report.retired.len());
            for c in &report.retired {
                println!("  - {c}");
            }
            println!("Không đổi: {}", report.unchanged);
        }
    }
    Ok(())
}

async fn calendar(settings: Settings, cmd: CalendarCmd) -> Result<()> {
    match cmd {
        CalendarCmd::Holidays { year, unit } => {
            if !(1900..=2199).contains(&year) {
                bail!("năm phải từ 1900 đến 2199 (year must be 1900–2199)");
            }
            let cal = settings.calendar(unit.as_deref()).await?;
            for h in cal.holidays(year) {
                println!("{}\t{}", h.date, h.name);
            }
        }
        CalendarCmd::Due {
            from,
            working_days,
            working_hours,
            days,
            same_day,
            unit,
        } => {
            let from = parse_instant(&from)?;
            let p = match (working_days, working_hours, days, same_day) {
                (Some(n), ..) => ProcessingTime::WorkingDays { amount: n },
                (_, Some(n), ..) => ProcessingTime::WorkingHours { amount: n },
                (_, _, Some(n), _) => ProcessingTime::Days { amount: n },
                (_, _, _, Some(c)) => ProcessingTime::SameDay {
                    cutoff: Some(motcua_domain::calendar::parse_time(&c)?),
                },
                _ => bail!("cần một trong --working-days, --working-hours, --days, --same-day"),
            };
            let cal = settings.calendar(unit.as_deref()).await?;
            println!("{}", cal.due(from, p).format(&Rfc3339)?);
        }
        CalendarCmd::Lunar { date } => {
            println!("{}", lunar::solar_to_lunar(parse_date(&date)?));
        }
        CalendarCmd::Set {
            date,
            kind,
            name,
            unit,
        } => {
            let kind = if kind == "working-day" {
                OverrideKind::WorkingDay
            } else {
                OverrideKind::DayOff
            };
            let o = CalendarOverride {
                date: parse_date(&date)?,
                kind,
                name,
            };
            let store = settings.open().await?;
            store
                .put_override(unit.as_deref(), &o, "cli", OffsetDateTime::now_utc())
                .await?;
            println!("Đã lưu {} ({}).", o.date, o.name);
        }
        CalendarCmd::Unset { date, unit } => {
            let store = settings.open().await?;
            if !store
                .delete_override(unit.as_deref(), parse_date(&date)?)
                .await?
            {
                bail!("không có ngày ngoại lệ {date}");
            }
            println!("Đã xoá {date}.");
        }
        CalendarCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("không đọc được {}", file.display()))?;
            let store = settings.open().await?;
            let n = store
                .import_calendar_notice(&text, "cli", OffsetDateTime::now_utc())
                .await?;
            println!(
                "Đã nạp lịch nghỉ năm {} ({}): {} ngày nghỉ, {} ngày làm bù, {} ngày chờ ban hành.",
                n.year,
                n.source,
                n.days_off().count(),
                n.working_days().count(),
                n.pending().count()
            );
        }
        CalendarCmd::Notices => {
            let store = settings.open().await?;
            let imported = store.imported_notices().await?;
            for n in store.calendar_notices().await? {
                // Listed once per year: the one in force (imported wins).
                if imported
                    .iter()
                    .any(|i| i.notice.year == n.year && i.notice != n)
                {
                    continue;
                }
                let origin = imported.iter().find(|i| i.notice == n).map_or_else(
                    || "kèm phần mềm".to_string(),
                    |i| format!("nạp bởi {} lúc {}", i.imported_by, vn_time(i.imported_at)),
                );
                let verified = if n.verified {
                    "đã đối chiếu văn bản"
                } else {
                    "chưa kiểm chứng (nguồn thứ cấp)"
                };
                println!("{}	{}	{verified}	{origin}", n.year, n.source);
            }
        }
        CalendarCmd::Hours { unit, sessions } => {
            let store = settings.open().await?;
            let h = store.set_unit_hours(&unit, &sessions).await?;
            println!(
                "Đã lưu giờ làm việc của {unit}: {} phút mỗi ngày.",
                h.minutes_per_day()
            );
        }
    }
    Ok(())
}

/// Copy a secret file, readable by its owner only.
fn copy_private(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    let bytes = std::fs::read(from)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(to)
        .with_context(|| format!("cannot create {}", to.display()))?;
    std::io::Write::write_all(&mut f, &bytes)?;
    Ok(())
}

fn vn_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(motcua_domain::calendar::VN_OFFSET);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

fn print_cert(c: &motcua_store::signing::SigningCert) {
    let state = match (&c.revoked_at, &c.revoke_reason) {
        (Some(at), reason) => format!(
            "đã thu hồi {} ({})",
            vn_time(*at),
            reason.as_deref().unwrap_or("")
        ),
        (None, _) if c.not_after < OffsetDateTime::now_utc() => "hết hạn".to_string(),
        (None, _) => "còn hiệu lực".to_string(),
    };
    println!(
        "{}\t{}\t{}\t{}\t{} → {}\t{}",
        c.serial,
        c.unit_code,
        if c.is_ca { "CA" } else { "ký" },
        c.username.as_deref().unwrap_or(&c.subject),
        vn_time(c.not_before),
        vn_time(c.not_after),
        state
    );
}

async fn signing(settings: &Settings, cmd: SigningCmd) -> Result<()> {
    let store = settings.open().await?;
    let now = OffsetDateTime::now_utc();
    let by = "cli";
    let problem = |e: motcua_store::StoreError| match e {
        motcua_store::StoreError::Problem(p) => anyhow::anyhow!("{} ({})", p.message, p.code),
        other => anyhow::anyhow!(other),
    };
    match cmd {
        SigningCmd::Ca { unit } => {
            let c = motcua_app::signing::create_ca(&store, &unit, by, now)
                .await
                .map_err(problem)?;
            println!(
                "Đã tạo tổ chức chứng thực của đơn vị {}: {} (sê-ri {}), hiệu lực đến {}.",
                c.unit_code,
                c.subject,
                c.serial,
                vn_time(c.not_after)
            );
            println!(
                "Khóa được niêm phong bằng {}; hãy sao lưu tệp này (motcua backup làm việc đó).",
                settings.data_dir.join(SIGNING_KEY_FILE).display()
            );
        }
        SigningCmd::Issue {
            unit,
            organisation: true,
            days,
            ..
        } => {
            let c = motcua_app::seal::issue_organisation(&store, &unit, by, now, days)
                .await
                .map_err(problem)?;
            println!(
                "Đã cấp chứng thư số tổ chức \"{}\" cho đơn vị {}: sê-ri {}, hiệu lực đến {}. Giấy tờ gửi điện tử cho người nộp trực tuyến được ký bằng chứng thư này.",
                c.subject,
                c.unit_code,
                c.serial,
                vn_time(c.not_after)
            );
        }
        SigningCmd::Issue {
            unit,
            user,
            days,
            title,
            ..
        } => {
            let user = user.unwrap_or_default();
            let c =
                motcua_app::signing::issue(&store, &unit, &user, by, title.as_deref(), now, days)
                    .await
                    .map_err(problem)?;
            println!(
                "Đã cấp chứng thư ký cho {} ({}), đơn vị {}: sê-ri {}, hiệu lực đến {}.",
                c.subject,
                c.username.as_deref().unwrap_or(""),
                c.unit_code,
                c.serial,
                vn_time(c.not_after)
            );
        }
        SigningCmd::Revoke { serial, reason } => {
            let c = store
                .signing()
                .revoke(&serial, &reason, by, now)
                .await
                .map_err(problem)?;
            println!("Đã thu hồi chứng thư {} ({}).", c.serial, c.subject);
        }
        SigningCmd::ExportCa { unit } => {
            let ca = store
                .signing()
                .certs(Some(&unit))
                .await?
                .into_iter()
                .filter(|c| c.is_ca && c.revoked_at.is_none())
                .max_by_key(|c| c.issued_at)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "Đơn vị {unit} chưa có tổ chức chứng thực còn hiệu lực (motcua signing ca --unit {unit})"
                    )
                })?;
            print!("{}", motcua_signing::ca::certificate_pem(&ca.cert_der)?);
        }
        SigningCmd::List { unit } => {
            for c in store.signing().certs(unit.as_deref()).await? {
                print_cert(&c);
            }
        }
    }
    Ok(())
}

async fn verify(settings: &Settings, file: &std::path::Path) -> Result<()> {
    let bytes =
        std::fs::read(file).with_context(|| format!("không đọc được {}", file.display()))?;
    let store = settings.open().await?;
    let report = motcua_app::signing::verify(&store, &bytes, OffsetDateTime::now_utc()).await?;
    println!("Tệp: {}", file.display());
    println!("SHA-256: {}", report.sha256);
    if let Some(s) = &report.signer {
        let unit = match &s.unit_code {
            Some(code) => store
                .unit(code)
                .await?
                .map(|u| format!("{} ({code})", u.name))
                .unwrap_or_else(|| code.clone()),
            None => s.unit_name.clone(),
        };
        println!("Đơn vị: {unit}");
        println!("Người ký: {} ({})", s.name, s.username);
        println!("Chứng thư: {}", s.serial);
    }
    if let Some(t) = report.signed_at {
        println!("Thời điểm ký: {}", vn_time(t));
    }
    println!("Kết luận: {}", report.verdict.message());
    if !report.verdict.is_valid() {
        std::process::exit(2);
    }
    Ok(())
}
