//! Databases for tests: a SQLite file in a temporary folder always, and a
//! fresh PostgreSQL database when `MOTCUA_TEST_POSTGRES` names a server
//! (scripts/test starts one). The same suites run against each.

use crate::{Result, Store, StoreError};
use std::path::{Path, PathBuf};

pub const POSTGRES_ENV: &str = "MOTCUA_TEST_POSTGRES";

/// A test database; its folder (blobs, SQLite file) lives under `dir`.
pub struct TestDb {
    pub url: String,
    pub dir: PathBuf,
}

fn unique() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    crate::hex(&b)
}

/// Database URLs to test against, each new and empty: SQLite, and PostgreSQL if configured.
pub async fn databases(dir: &Path) -> Result<Vec<TestDb>> {
    let mut out = vec![TestDb {
        url: format!("sqlite://{}", dir.join("test.sqlite").display()),
        dir: dir.join("sqlite"),
    }];
    if let Ok(admin) = std::env::var(POSTGRES_ENV)
        && !admin.is_empty()
    {
        out.push(TestDb {
            url: create_postgres_database(&admin).await?,
            dir: dir.join("postgres"),
        });
    }
    Ok(out)
}

/// Create an empty database on the server at `admin_url`; return its URL.
pub async fn create_postgres_database(admin_url: &str) -> Result<String> {
    use sqlx::Connection;
    let name = format!("motcua_test_{}", unique());
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .ok_or_else(|| StoreError::Config("bad postgres URL".into()))?;
    Ok(format!("{base}/{name}"))
}

/// Open a store on a test database with the national units and the shipped catalog.
pub async fn open_seeded(db: &TestDb) -> Result<Store> {
    let store = Store::open(&db.url, &db.dir.join("blobs")).await?;
    let list = motcua_domain::units::parse_units_csv(motcua_domain::units::NATIONAL_UNITS_CSV)?;
    store.import_units(&list).await?;
    let procs =
        motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)?;
    store
        .import_catalog(&procs, false, time::OffsetDateTime::now_utc())
        .await?;
    Ok(store)
}

/// A citizen's online submission of "HT-XNHN" to `unit` at `at`, with both
/// required documents uploaded: the smallest real dossier a test needs.
/// Returns its code.
pub async fn submit_online(store: &Store, unit: &str, at: time::OffsetDateTime) -> Result<String> {
    let mut documents = Vec::new();
    for code in ["to-khai", "giay-to-tuy-than"] {
        let meta = store
            .upload(
                format!("%PDF-1.4\n% {code} {at} {unit}\n%%EOF\n").as_bytes(),
                Some("scan.pdf"),
                "citizen",
                at,
            )
            .await?;
        documents.push(crate::DocumentRef {
            code: code.into(),
            upload_id: Some(meta.id),
            paper: false,
        });
    }
    let new = crate::NewDossier {
        unit_code: unit.into(),
        procedure_code: "HT-XNHN".into(),
        channel: motcua_domain::lifecycle::Channel::Online,
        applicant: motcua_domain::dossier::ApplicantInput {
            full_name: "Trần Thị Mai".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 2, xã Mỹ Hiệp".into(),
        },
        fields: serde_json::json!({}),
        documents,
    };
    Ok(store
        .create_dossier(new, &crate::Actor::Citizen, at)
        .await?
        .row
        .code)
}
