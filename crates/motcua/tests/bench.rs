//! `motcua bench`: the generated province is data like any other (every row
//! is the projection of its events, every chain verifies, codes continue),
//! it is the same for the same seed, and the load command runs. No timing
//! is asserted: figures belong in BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::Channel;
use motcua_store::testing::{TestDb, databases};
use motcua_store::{Actor, DocumentRef, DossierRow, ListFilter, NewDossier, Scope, Store};
use std::path::Path;
use std::process::{Command, Output};
use time::macros::datetime;

const UNTIL: &str = "2026-03-31T17:00";

fn motcua(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", &db.dir)
        .env("MOTCUA_DATABASE", &db.url)
        .env("MOTCUA_LOG", "error")
        .output()
        .expect("run motcua")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn generate(db: &TestDb, n: u32, seed: u32) -> String {
    ok(motcua(
        db,
        &[
            "bench",
            "generate",
            "--dossiers",
            &n.to_string(),
            "--years",
            "1",
            "--seed",
            &seed.to_string(),
            "--until",
            UNTIL,
        ],
    ))
}

async fn open(db: &TestDb) -> Store {
    Store::open(&db.url, &db.dir.join("blobs"))
        .await
        .expect("open")
}

async fn all_rows(store: &Store) -> Vec<DossierRow> {
    let mut rows = store
        .list_dossiers(
            &ListFilter::new(Scope::All, 1_000_000),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("list");
    rows.reverse();
    rows
}

async fn dbs(dir: &Path) -> Vec<TestDb> {
    databases(dir).await.expect("test databases")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_province_passes_the_checks_of_real_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in dbs(dir.path()).await {
        let out = generate(&db, 2500, 7);
        assert!(out.contains("Loaded 2.500 dossiers"), "{out}");
        let store = open(&db).await;
        // Every row is the fold of its events with the unit's calendar (due dates included).
        assert_eq!(store.check_all().await.expect("consistent"), 2500);
        // Every event is a link of its unit's hash chain.
        let audit = store.audit_verify().await.expect("audit");
        assert!(audit.ok(), "{:?}", audit.problems);
        assert_eq!(audit.events as usize, {
            let rows = all_rows(&store).await;
            rows.iter().map(|r| r.version as usize).sum::<usize>()
        });

        // A realistic mix: most returned, most online, some paused, some late.
        let rows = all_rows(&store).await;
        let share = |f: &dyn Fn(&DossierRow) -> bool| {
            rows.iter().filter(|r| f(r)).count() as f64 / rows.len() as f64
        };
        assert!(share(&|r| r.status == "returned") > 0.8);
        assert!((0.75..0.95).contains(&share(&|r| r.channel == "online")));
        assert!(share(&|r| r.status != "returned") > 0.02);
        assert!(share(&|r| r.apologized) > 0.005);

        // The late list (an index range on `late_from`) is exactly the domain's `is_late`,
        // and the not-late list its complement, at a time inside the history and now.
        for at in [
            datetime!(2026-03-20 08:00 UTC),
            time::OffsetDateTime::now_utc(),
        ] {
            let codes = |late: bool| {
                let mut f = ListFilter::new(Scope::All, 1_000_000);
                f.late = Some(late);
                let store = &store;
                async move {
                    store
                        .list_dossiers(&f, at)
                        .await
                        .expect("list")
                        .into_iter()
                        .map(|r| r.code)
                        .collect::<std::collections::BTreeSet<_>>()
                }
            };
            let expected: std::collections::BTreeSet<String> = rows
                .iter()
                .filter(|r| r.projection().expect("projection").is_late(at))
                .map(|r| r.code.clone())
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(codes(true).await, expected);
            let on_time = codes(false).await;
            assert_eq!(on_time.len() + expected.len(), rows.len());
            assert!(on_time.is_disjoint(&expected));
        }
        let units: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.unit_code.as_str()).collect();
        assert!(units.len() > 90, "{} units", units.len());
        assert!(
            rows.iter()
                .all(|r| r.unit_code.starts_with('2') || r.unit_code.starts_with('3'))
        );

        // A real submission on the last generated day continues the unit's sequence.
        let last = rows.last().expect("rows");
        let day_prefix = &last.code[..12];
        let highest = rows
            .iter()
            .filter(|r| r.code.starts_with(day_prefix))
            .map(|r| r.code[13..].parse::<u32>().expect("seq"))
            .max()
            .expect("same day");
        let procedure = store
            .procedure("HT-XNHN")
            .await
            .expect("catalog")
            .expect("procedure")
            .0;
        let mut documents = Vec::new();
        for d in procedure.required_documents() {
            let up = store
                .upload(
                    b"%PDF-1.4 test",
                    Some("a.pdf"),
                    "citizen",
                    datetime!(2026-03-31 17:30 +7),
                )
                .await
                .expect("upload");
            documents.push(DocumentRef {
                code: d.code.clone(),
                upload_id: Some(up.id),
                paper: false,
            });
        }
        let rec = store
            .create_dossier(
                NewDossier {
                    unit_code: last.unit_code.clone(),
                    procedure_code: procedure.code.clone(),
                    channel: Channel::Online,
                    applicant: ApplicantInput {
                        full_name: "Nguyễn Văn An".into(),
                        id_number: "087090001234".into(),
                        date_of_birth: "1990-05-17".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: "Ấp 1, Đồng Tháp".into(),
                    },
                    fields: serde_json::json!({}),
                    documents,
                },
                &Actor::Citizen,
                datetime!(2026-03-31 17:30 +7),
            )
            .await
            .expect("a real submission after the generated ones");
        assert_eq!(rec.row.code, format!("{day_prefix}-{:04}", highest + 1));
        let audit = store.audit_verify().await.expect("audit");
        assert!(audit.ok(), "{:?}", audit.problems);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_province() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (Lookup hashes differ between data folders: each has its own secret.)
    let summary = |rows: Vec<DossierRow>| -> Vec<(String, String, i64, Option<i64>)> {
        rows.into_iter()
            .map(|r| (r.code, r.status, r.version, r.due_at))
            .collect()
    };
    let mut runs = Vec::new();
    for (i, seed) in [(0, 42), (1, 42), (2, 43)] {
        let db = TestDb {
            url: format!(
                "sqlite://{}",
                dir.path().join(format!("{i}.sqlite")).display()
            ),
            dir: dir.path().join(format!("d{i}")),
        };
        generate(&db, 800, seed);
        runs.push(summary(all_rows(&open(&db).await).await));
    }
    assert_eq!(runs[0].len(), 800);
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0], runs[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_run_smoke() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb {
        url: format!("sqlite://{}", dir.path().join("smoke.sqlite").display()),
        dir: dir.path().join("data"),
    };
    generate(&db, 300, 1);
    let out = ok(motcua(&db, &["bench", "run", "--smoke", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json report");
    let phases = v["phases"].as_array().expect("phases");
    let phase = |prefix: &str| {
        phases
            .iter()
            .find(|p| p["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no phase {prefix} in {out}"))
    };
    for name in [
        "intake, online",
        "intake, counter",
        "raw insert",
        "transitions",
        "public lookup",
        "work list, unit, first page",
        "work list, province supervisor, deep cursor",
    ] {
        let p = phase(name);
        assert!(p["count"].as_u64().is_some_and(|c| c > 0), "{p}");
        assert_eq!(p["errors"], 0, "{p}");
    }
    assert!(v["peak_rss_bytes"].as_u64().is_some_and(|b| b > 0));
    assert!(v["database_bytes"].as_u64().is_some_and(|b| b > 0));
    // What the run wrote over HTTP and straight into the database is still consistent.
    let store = open(&db).await;
    let n = store.check_all().await.expect("consistent");
    assert_eq!(n as u64, v["dossiers_after"].as_u64().expect("count"));
    let audit = store.audit_verify().await.expect("audit");
    assert!(audit.ok(), "{:?}", audit.problems);
}
