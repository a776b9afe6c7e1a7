//! Upgrade safety: a data folder written by release 1 (committed under
//! tests/fixtures/release-1) still migrates and verifies with this build, and
//! the public lookup answers every citizen's code and key with the status and
//! appointment date that release printed. The committed folder is never
//! touched: the test works on a copy.
//!
//! How the folder was made, and how a later release adds its own, is in
//! tests/fixtures/README.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::calendar::VN_OFFSET;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-1");
const EXPECTED: &str = "expected.json";

mod common;
use common::motcua;

fn ok(args: &[&str], o: &Output) -> String {
    assert!(
        o.status.success(),
        "motcua {} failed ({}):\n{}\n{}",
        args.join(" "),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    ok(args, &motcua(dir, args))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The text of the lookup page's appointment line.
fn page_due(html: &str) -> Option<String> {
    let marker = "Ngày hẹn trả</dt><dd>";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find("</dd>")?;
    Some(html[start..start + len].to_string())
}

// ---- the upgrade test --------------------------------------------------------

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(data_dir: &Path, http: &reqwest::Client) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .env("MOTCUA_LOOKUP_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_1_data_upgrades_and_answers_as_before() {
    let fixture = Path::new(FIXTURE);
    let expected: Value = serde_json::from_slice(
        &std::fs::read(fixture.join(EXPECTED)).expect("expected.json of the fixture"),
    )
    .expect("expected.json");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    copy_dir(fixture, &data);

    run_ok(&data, &["migrate"]);
    let dossiers = expected["dossiers"].as_array().expect("dossiers");
    // Release 2: the clear lookup keys were hashed and are gone from every
    // file of the data folder (no leftover in free pages or the WAL).
    for entry in std::fs::read_dir(&data).expect("data dir").flatten() {
        if entry.file_name() == EXPECTED {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        for d in dossiers {
            let key = d["key"].as_str().expect("key");
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "the clear key of {} is still in {}",
                d["code"],
                entry.path().display()
            );
        }
    }
    // Release 4: due dates are promises. Days off declared after the
    // dossiers were received (inside their time limits) move none of them:
    // `check` stays green and every page below prints the date of release 1.
    for day in ["2026-02-10", "2026-02-26"] {
        run_ok(
            &data,
            &[
                "calendar",
                "set",
                day,
                "--kind",
                "day-off",
                "--name",
                "Nghỉ đột xuất",
            ],
        );
    }
    // Release 6: a year's official notice is data. Importing a 2026 notice
    // with one more day off inside the fixture's time limits moves no date
    // either (the pages below still print release 1's).
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/calendars/2026.txt"),
    )
    .expect("shipped 2026 notice");
    let notice = data.join("notice-2026.txt");
    std::fs::write(
        &notice,
        format!("{shipped}2026-02-12 day-off Nghỉ đột xuất theo thông báo\n"),
    )
    .expect("write notice");
    run_ok(
        &data,
        &["calendar", "import", notice.to_str().expect("path")],
    );
    let _ = std::fs::remove_file(&notice);
    // Release 6: catalog versions. The catalog of release 1 became version 1
    // and every dossier points to it; a new catalog that lengthens every time
    // limit is version 2 and changes none of them (check refolds each
    // dossier with its own version; the pages below print release 1's dates).
    let mut longer: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog.json"),
        )
        .expect("catalog"),
    )
    .expect("catalog json");
    for p in longer["procedures"].as_array_mut().expect("procedures") {
        p["processing"] = json!({"amount": 30, "unit": "working_days"});
    }
    let catalog = data.join("longer.json");
    std::fs::write(&catalog, longer.to_string()).expect("write catalog");
    let out = run_ok(
        &data,
        &["import", "catalog", catalog.to_str().expect("path")],
    );
    assert!(out.contains("Phiên bản danh mục 2"), "{out}");
    let _ = std::fs::remove_file(&catalog);
    // Release 6: migration 0019 derived each dossier's supplement count and
    // pause instant from its events; `check` refolds the events and compares
    // the whole projection, so a wrong backfill (dossiers 4, 5 and 13 of the
    // fixture asked for papers; 5 is still waiting) fails here.
    let out = run_ok(&data, &["check"]);
    assert!(
        out.starts_with(&format!("{} ", dossiers.len())),
        "check saw another number of dossiers: {out}"
    );
    run_ok(&data, &["audit", "verify"]);
    run_ok(&data, &["index", "verify"]);
    // Release 6: reception regardless of boundary (migration 0022). Every
    // dossier of release 1 was received by the unit that decides it.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("motcua.sqlite").display()
    ))
    .await
    .expect("database");
    let (same, routed): (i64, i64) = sqlx::query_as(
        "SELECT SUM(CASE WHEN received_by = unit_code THEN 1 ELSE 0 END), \
         SUM(CASE WHEN routed_at IS NULL THEN 0 ELSE 1 END) FROM dossiers",
    )
    .fetch_one(&db)
    .await
    .expect("units");
    // Release 7: the index counts as the portal does (migration 0023); the
    // counters were recomputed once when the store opened after it.
    let (pending, taken): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM index_rebuild_pending), \
         (SELECT COALESCE(SUM(n), 0) FROM index_counts WHERE metric = 'taken')",
    )
    .fetch_one(&db)
    .await
    .expect("counters");
    // Declarations: the catalog of release 1 (version 1, which every dossier
    // of the fixture points to) has none, so those dossiers show "received
    // before electronic declarations"; the catalog imported above (version
    // 2) brings them for new dossiers.
    let declared: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version_id, SUM(CASE WHEN spec LIKE '%\"declaration\"%' THEN 1 ELSE 0 END) \
         FROM catalog_version_procedures GROUP BY version_id ORDER BY version_id",
    )
    .fetch_all(&db)
    .await
    .expect("versions");
    assert_eq!(declared.first(), Some(&(1, 0)), "{declared:?}");
    assert!(
        declared.get(1).is_some_and(|(_, n)| *n >= 10),
        "{declared:?}"
    );
    // Work lists search names without diacritics (migration 0025): every
    // name of release 1 was folded when the store opened.
    let names: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT applicant_name, applicant_folded FROM dossiers")
            .fetch_all(&db)
            .await
            .expect("names");
    assert_eq!(names.len(), dossiers.len());
    for (name, folded) in &names {
        assert_eq!(
            folded.as_deref(),
            Some(motcua_domain::text::fold(name).as_str()),
            "{name}"
        );
    }
    // Fees (migration 0026): dossiers of release 1 paid nothing through the
    // system; their receipts start at number 1 of the year.
    let (payments, counters): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM receipt_counters)",
    )
    .fetch_one(&db)
    .await
    .expect("payments");
    assert_eq!((payments, counters), (0, 0));
    // Paid first (migration 0028): no dossier of release 1 holds a receipt,
    // none waits for payment; the pay-first rule comes with the newer
    // catalog version, and the dossiers keep the version they had.
    let (paid, waiting): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM dossiers WHERE paid), \
         (SELECT COUNT(*) FROM dossiers WHERE status = 'awaiting_payment')",
    )
    .fetch_one(&db)
    .await
    .expect("paid");
    assert_eq!((paid, waiting), (0, 0));
    // Online payment (migrations 0031–0033): no order, no credit, and no
    // unit had an online channel, so none counts 3.5a–3.6 yet.
    let (orders, credits, enabled): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM payment_orders), (SELECT COUNT(*) FROM bank_credits), \
         (SELECT COUNT(*) FROM payment_enabled)",
    )
    .fetch_one(&db)
    .await
    .expect("online payment");
    assert_eq!((orders, credits, enabled), (0, 0, 0));
    let pay_first: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version_id, SUM(CASE WHEN spec LIKE '%\"pay_first\"%' THEN 1 ELSE 0 END) \
         FROM catalog_version_procedures GROUP BY version_id ORDER BY version_id",
    )
    .fetch_all(&db)
    .await
    .expect("versions");
    assert_eq!(pay_first.first(), Some(&(1, 0)), "{pay_first:?}");
    assert!(
        pay_first.last().is_some_and(|(_, n)| *n >= 1),
        "{pay_first:?}"
    );
    db.close().await;
    assert_eq!(
        pending, 0,
        "the counters were not recomputed after the upgrade"
    );
    assert!(taken > 0, "no dossier of release 1 counts in 2.1");
    assert_eq!(
        (same, routed),
        (dossiers.len() as i64, 0),
        "receiving unit ≠ competent unit after the upgrade"
    );

    let http = reqwest::Client::new();
    let server = serve(&data, &http).await;
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.base);
        async move {
            let r = http.get(url).send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.bytes().await.expect("body").to_vec())
        }
    };
    for (i, d) in dossiers.iter().enumerate() {
        let (code, key) = (text(d, "code"), text(d, "key"));
        let (status, body) = get(format!("/api/v1/lookup/{code}?key={key}")).await;
        assert_eq!(
            status,
            200,
            "{code}: the citizen's key no longer opens the dossier: {}",
            String::from_utf8_lossy(&body)
        );
        let v: Value = serde_json::from_slice(&body).expect("lookup json");
        assert_eq!(v["code"], d["code"], "{code}");
        assert_eq!(v["status"], d["status"], "{code}: status changed");
        assert_eq!(v["due_at"], d["due_at"], "{code}: appointment changed");
        // The shown date is the instant release 1 stored (unless paused).
        if let Some(ms) = d["due_at_ms"].as_i64().filter(|_| !d["due_at"].is_null()) {
            let stored = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .expect("instant")
                .to_offset(VN_OFFSET);
            assert_eq!(v["due_at"], json!(rfc3339(stored)), "{code}");
        }
        assert_eq!(v["paused"], d["paused"], "{code}");
        assert_eq!(v["late"], d["late"], "{code}");
        let (status, body) = get(format!("/tra-cuu?code={code}&key={key}")).await;
        assert_eq!(status, 200, "{code}: lookup page");
        let html = String::from_utf8_lossy(&body);
        let due_text = text(d, "due_text");
        assert!(
            html.contains(&due_text),
            "{code}: the page no longer prints \"{due_text}\" (now: {:?})",
            page_due(&html)
        );
        // Another dossier's key, and no key, open nothing.
        let other = text(&dossiers[(i + 1) % dossiers.len()], "key");
        let (status, _) = get(format!("/api/v1/lookup/{code}?key={other}")).await;
        assert_eq!(status, 404, "{code} opened with another dossier's key");
        let (status, _) = get(format!("/api/v1/lookup/{code}")).await;
        assert_eq!(status, 404, "{code} opened without a key");
    }

    // The signed result: the citizen downloads it, and it still verifies.
    let signed = &expected["signed_result"];
    let code = text(signed, "code");
    let key = dossiers
        .iter()
        .find(|d| d["code"] == signed["code"])
        .map(|d| text(d, "key"))
        .expect("signed dossier listed");
    let (status, pdf) = get(format!("/api/v1/lookup/{code}/result?key={key}")).await;
    assert_eq!(status, 200, "{code}: signed result not downloadable");

    // Release 3: new links of the history are keyed, after the unkeyed ones.
    let waiting = dossiers
        .iter()
        .find(|d| d["status"] == "submitted")
        .expect("a submitted dossier");
    let (code, key) = (text(waiting, "code"), text(waiting, "key"));
    // Release 5: the outbox. A province's system subscribed to the unit
    // after the upgrade gets the next event of its dossiers.
    let unit = code
        .split('-')
        .next()
        .expect("unit of the code")
        .to_string();
    let added = run_ok(
        &data,
        &[
            "webhook",
            "add",
            "--unit",
            &unit,
            "--url",
            "http://127.0.0.1:9/motcua",
        ],
    );
    assert!(added.contains("whsec_"), "{added}");
    // And the unit's outside systems can be configured on the old data.
    run_ok(
        &data,
        &[
            "integrations",
            "set",
            "--unit",
            &unit,
            "--system",
            "vietqr",
            "--field",
            "bank_bin=970415",
        ],
    );
    let shown = run_ok(&data, &["integrations", "show", "--unit", &unit]);
    assert!(shown.contains("970415"), "{shown}");
    let (_, body) = get(format!("/api/v1/lookup/{code}?key={key}")).await;
    let v: Value = serde_json::from_slice(&body).expect("lookup json");
    let r = http
        .post(format!(
            "{}/api/v1/lookup/{code}/actions?key={key}",
            server.base
        ))
        .json(&json!({ "action": "withdraw", "version": v["version"], "note": "Không cần nữa" }))
        .send()
        .await
        .expect("withdraw");
    assert_eq!(r.status().as_u16(), 200, "{code}: withdraw after upgrade");
    drop(server);
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("motcua.sqlite").display()
    ))
    .await
    .expect("database");
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT hash FROM dossier_events ORDER BY id DESC LIMIT 2")
            .fetch_all(&db)
            .await
            .expect("links");
    db.close().await;
    assert!(
        motcua_domain::audit::is_keyed(&hashes[0]) && !motcua_domain::audit::is_keyed(&hashes[1]),
        "the new link is not keyed after the old unkeyed ones: {hashes:?}"
    );
    let file = tmp.path().join("ket-qua.pdf");
    std::fs::write(&file, &pdf).expect("write pdf");
    let file_arg = file.display().to_string();
    let out = run_ok(&data, &["verify", &file_arg]);
    assert!(
        out.contains(&text(signed, "sha256")),
        "not the file release 1 signed:\n{out}"
    );
    // Serving did not disturb the history either.
    run_ok(&data, &["check"]);
    run_ok(&data, &["audit", "verify"]);
    // The withdrawal's delivery waits in the outbox (nobody listens on port 9).
    let status = run_ok(&data, &["outbox", "status"]);
    assert!(status.contains("đang chờ (pending)\t1"), "{status}");

    // The due dates recorded for release 1's events are signed: moving one
    // by a day directly in the database is caught.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("motcua.sqlite").display()
    ))
    .await
    .expect("database");
    let moved =
        sqlx::query("UPDATE event_frozen SET due_at = due_at + 86400000 WHERE due_at IS NOT NULL")
            .execute(&db)
            .await
            .expect("tamper")
            .rows_affected();
    db.close().await;
    assert!(moved > 0, "no due date of release 1 was recorded");
    let o = motcua(&data, &["audit", "verify"]);
    assert!(!o.status.success(), "a moved due date went unnoticed");
    assert!(String::from_utf8_lossy(&o.stderr).contains("recorded due date altered"));
}

// ---- the generator -----------------------------------------------------------

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// Every event payload written by release 1 reads into the typed payload and
/// writes back byte for byte: the audit chain hashes that text.
#[tokio::test]
async fn every_stored_payload_reads_and_writes_back_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    copy_dir(Path::new(FIXTURE), &data);
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("motcua.sqlite").display()
    ))
    .await
    .expect("database");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT action, payload FROM dossier_events ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("events");
    db.close().await;
    let mut actions = std::collections::BTreeSet::new();
    for (action, text) in &rows {
        let typed = motcua_domain::payload::Payload::parse(text)
            .unwrap_or_else(|e| panic!("{action}: {text}: {e}"));
        assert_eq!(&typed.to_json(), text, "{action}");
        actions.insert(action.clone());
    }
    // The fixture holds every action release 1 knew.
    assert_eq!(actions.len(), 14, "{actions:?}");
}

/// A due date recorded for a release-1 event cannot be deleted unnoticed:
/// the refold would quietly fall back to today's calendar.
#[tokio::test]
async fn a_deleted_recorded_due_date_is_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    copy_dir(Path::new(FIXTURE), &data);
    run_ok(&data, &["migrate"]);
    run_ok(&data, &["audit", "verify"]);
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("motcua.sqlite").display()
    ))
    .await
    .expect("database");
    let gone = sqlx::query(
        "DELETE FROM event_frozen WHERE event_id = (SELECT MIN(event_id) FROM event_frozen)",
    )
    .execute(&db)
    .await
    .expect("delete")
    .rows_affected();
    db.close().await;
    assert_eq!(gone, 1);
    let o = motcua(&data, &["audit", "verify"]);
    assert!(!o.status.success(), "a deleted due date went unnoticed");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("recorded due date deleted"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
