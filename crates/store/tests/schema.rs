//! The SQLite and PostgreSQL schemas stay in step: after both migrate, the
//! same tables, the same columns with the same nullability, the same named
//! indexes, and triggers guarding the same events of the same tables. Runs
//! when `MOTCUA_TEST_POSTGRES` names a server (always under `scripts/test`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use sqlx::Row;
use std::collections::BTreeMap;

/// table → (columns with "NOT NULL" or "NULL", indexes).
type Shape = BTreeMap<String, (BTreeMap<String, bool>, Vec<String>)>;

async fn sqlite_shape(url: &str) -> (Shape, Vec<String>) {
    let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut shape = Shape::new();
    for t in tables {
        let mut columns = BTreeMap::new();
        for r in sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&t)
            .fetch_all(&pool)
            .await
            .expect("columns")
        {
            let (name, notnull, pk): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
            // A primary key is never null, whatever SQLite reports.
            columns.insert(name, notnull == 1 || pk > 0);
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .expect("indexes");
        shape.insert(t, (columns, indexes));
    }
    // SQLite needs one trigger per event where PostgreSQL has one for
    // several: what must match is which (table, event) is guarded.
    let mut triggers = Vec::new();
    for r in sqlx::query("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(&pool)
        .await
        .expect("triggers")
    {
        let (table, sql): (String, String) = (r.get(0), r.get(1));
        let upper = sql.to_uppercase();
        let head = upper.split(" ON ").next().unwrap_or("");
        for event in ["INSERT", "UPDATE", "DELETE"] {
            if head.contains(event) {
                triggers.push(format!("{table} {event}"));
            }
        }
    }
    triggers.sort();
    pool.close().await;
    (shape, triggers)
}

async fn postgres_shape(url: &str) -> (Shape, Vec<String>) {
    let pool = sqlx::PgPool::connect(url).await.expect("postgres");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut shape = Shape::new();
    for t in tables {
        let mut columns = BTreeMap::new();
        for r in sqlx::query(
            "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .expect("columns")
        {
            let (name, nullable): (String, String) = (r.get(0), r.get(1));
            columns.insert(name, nullable == "NO");
        }
        // Indexes a constraint made (primary keys, UNIQUE) have no name in SQLite.
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = $1 \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY 1",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .expect("indexes");
        shape.insert(t, (columns, indexes));
    }
    let triggers: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT event_object_table::text || ' ' || event_manipulation::text \
         FROM information_schema.triggers WHERE trigger_schema = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("triggers");
    pool.close().await;
    (shape, triggers)
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_stay_in_step() {
    let Ok(admin) = std::env::var(motcua_store::testing::POSTGRES_ENV) else {
        eprintln!(
            "skipped: {} is not set",
            motcua_store::testing::POSTGRES_ENV
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("motcua.sqlite").display());
    let pg = motcua_store::testing::create_postgres_database(&admin)
        .await
        .expect("database");
    for url in [&sqlite, &pg] {
        motcua_store::Store::open(url, &dir.path().join("blobs"))
            .await
            .expect("migrate");
    }
    let (lite, lite_triggers) = sqlite_shape(&sqlite).await;
    let (post, post_triggers) = postgres_shape(&pg).await;
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        post.keys().collect::<Vec<_>>(),
        "tables differ"
    );
    for (table, (columns, indexes)) in &lite {
        let (pg_columns, pg_indexes) = &post[table];
        assert_eq!(
            columns, pg_columns,
            "{table}: columns or their nullability differ (true = NOT NULL)"
        );
        assert_eq!(indexes, pg_indexes, "{table}: indexes differ");
    }
    assert_eq!(lite_triggers, post_triggers, "triggers differ");
}
