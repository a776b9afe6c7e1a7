//! The command line as an operator uses it: the real binary, a real data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::motcua;

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

#[test]
fn calendar_commands_print_what_the_issue_asks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "due",
            "--from",
            "2026-02-13T10:00",
            "--working-days",
            "5",
        ],
    ));
    assert_eq!(out.trim(), "2026-02-27T10:00:00+07:00");
    let out = stdout(&motcua(dir.path(), &["calendar", "lunar", "2030-02-02"]));
    assert_eq!(out.trim(), "2030-01-01");
    let out = stdout(&motcua(dir.path(), &["calendar", "lunar", "2025-08-01"]));
    assert_eq!(out.trim(), "2025-06-08 nhuận");
    let out = stdout(&motcua(dir.path(), &["calendar", "holidays", "2026"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.len() > 11 && l.as_bytes()[10] == b'\t'),
        "{out}"
    );
    for day in [
        "2026-01-01",
        "2026-02-17",
        "2026-04-26",
        "2026-04-27",
        "2026-04-30",
        "2026-05-01",
        "2026-09-02",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(day)),
            "{day} missing in\n{out}"
        );
    }
    // Reading the calendar does not create a database.
    assert!(!dir.path().join("motcua.sqlite").exists());
}

#[test]
fn index_score_reproduces_the_portals_points_and_refuses_a_bad_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("so-lieu.json");
    // Hand-computed: 2.1 20 × 2348/2971 = 15.81 (as the portal published);
    // 3.3 25 % of the 50 % target: 3.00; 5.4 81 % of the 90 % target: 5.40;
    // 5.2 with no feedback: 6.00. Total 30.21.
    std::fs::write(
        &file,
        r#"{"units":[
  {"code":"30112","name":"Xã Mỹ Hiệp","indicators":{
    "2.1":{"numerator":2348,"denominator":2971},
    "3.3":{"numerator":25,"denominator":100},
    "5.4":{"numerator":81,"denominator":100},
    "5.2":{"numerator":0,"denominator":0}}},
  {"code":"28261","indicators":{}}
]}"#,
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let out = stdout(&motcua(dir.path(), &["index", "score", path, "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let u = &v["units"][0];
    assert_eq!(u["code"], "30112");
    assert_eq!(u["indicators"]["2.1"]["points"], 15.81);
    assert_eq!(u["indicators"]["2.1"]["max"], 20.0);
    assert_eq!(u["indicators"]["3.3"]["points"], 3.0);
    assert_eq!(u["indicators"]["5.4"]["points"], 5.4);
    assert_eq!(u["indicators"]["5.2"]["points"], 6.0);
    assert_eq!(u["total"], 30.21);
    assert_eq!(v["units"][1]["total"], 0.0);
    let text = stdout(&motcua(dir.path(), &["index", "score", path]));
    assert!(text.contains("2.1    15,81 / 20,00"), "{text}");
    assert!(text.contains("Tổng   30,21 / 100,00"), "{text}");
    // A malformed file: refused with its line and the field at fault.
    std::fs::write(
        &file,
        "{\"units\":[{\"code\":\"30112\",\"indicators\":{\n\"2.1\":{\"numerator\":9,\"denominator\":4}}}]}",
    )
    .expect("write");
    let o = motcua(dir.path(), &["index", "score", path]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("dòng 2") && err.contains("numerator above denominator"),
        "{err}"
    );
    // Scoring a file needs no database.
    assert!(!dir.path().join("motcua.sqlite").exists());
}

#[test]
fn catalog_check_validates_declarations_without_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog.json");
    let out = stdout(&motcua(
        dir.path(),
        &["catalog", "check", shipped.to_str().expect("path")],
    ));
    assert!(out.contains("102 thủ tục, 10 tờ khai"), "{out}");
    // A province's own declaration with a condition on a question that
    // does not come before it: refused with the path at fault.
    let file = dir.path().join("tinh.json");
    std::fs::write(
        &file,
        r#"{"procedures":[{"code":"X-1","name":"Thủ tục thử","field":"Thử","processing":{"amount":1,"unit":"working_days"},
  "fee":{"kind":"free"},"online_level":"full","documents":[],
  "declaration":{"title":"TỜ KHAI","template":"Mẫu của tỉnh","sections":[{"title":"Phần 1","fields":[
    {"key":"ho_ten","label":"Họ và tên","type":"name","when":{"field":"co_con","is":["co"]}},
    {"key":"co_con","label":"Có con?","type":"yes_no"}]}]}}]}"#,
    )
    .expect("write");
    let o = motcua(
        dir.path(),
        &["catalog", "check", file.to_str().expect("path")],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("procedures[0].declaration.sections[0].fields[0].when.field"),
        "{err}"
    );
    assert!(!dir.path().join("motcua.sqlite").exists());
}

#[test]
fn overrides_change_the_calendar() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "set",
            "2027-01-04",
            "--kind",
            "day-off",
            "--name",
            "Nghỉ thêm dịp Tết Dương lịch",
        ],
    ));
    stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "set",
            "2027-01-09",
            "--kind",
            "working-day",
            "--name",
            "Làm bù ngày 04/01",
        ],
    ));
    let out = stdout(&motcua(dir.path(), &["calendar", "holidays", "2027"]));
    assert!(
        out.contains("2027-01-04\tNghỉ thêm dịp Tết Dương lịch"),
        "{out}"
    );
    // 2027 has no official notice yet: the overrides alone move it. From
    // Friday 8/1, Saturday 9/1 is a working day.
    let out = stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "due",
            "--from",
            "2027-01-08T08:00",
            "--working-days",
            "1",
        ],
    ));
    assert_eq!(out.trim(), "2027-01-09T08:00:00+07:00");
    stdout(&motcua(dir.path(), &["calendar", "unset", "2027-01-09"]));
    let out = stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "due",
            "--from",
            "2027-01-08T08:00",
            "--working-days",
            "1",
        ],
    ));
    assert_eq!(out.trim(), "2027-01-11T08:00:00+07:00");
}

#[test]
fn a_years_notice_is_imported_and_a_bad_one_refused_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let due = |from: &str| {
        stdout(&motcua(
            dir.path(),
            &["calendar", "due", "--from", from, "--working-days", "1"],
        ))
        .trim()
        .to_string()
    };
    // The shipped 2026 notice: Saturday 10/1 is worked, Friday 2/1 is off.
    assert_eq!(due("2026-01-09T08:00"), "2026-01-10T08:00:00+07:00");
    // From the 1/1 holiday the clock starts Monday 5/1 07:30 (2/1 is off).
    assert_eq!(due("2026-01-01T08:00"), "2026-01-05T17:00:00+07:00");
    let good = dir.path().join("2027.txt");
    std::fs::write(
        &good,
        "# Thông báo thử\nyear: 2027\nsource: Thông báo thử nghiệm 1/TB\nverified: no\n\
         2027-01-01 day-off Tết Dương lịch\n2027-01-04 day-off Nghỉ hoán đổi\n\
         2027-01-09 working-day Làm bù cho ngày 04/01/2027\n",
    )
    .expect("write");
    let out = stdout(&motcua(
        dir.path(),
        &["calendar", "import", good.to_str().expect("path")],
    ));
    assert!(
        out.contains("năm 2027") && out.contains("2 ngày nghỉ, 1 ngày làm bù"),
        "{out}"
    );
    // Friday 8/1 + 1 working day: Saturday 9/1 counts.
    assert_eq!(due("2027-01-08T08:00"), "2027-01-09T08:00:00+07:00");
    // The notice replaced the computed year: Tết 2027 is not in it.
    let out = stdout(&motcua(dir.path(), &["calendar", "holidays", "2027"]));
    assert_eq!(out.lines().count(), 2, "{out}");

    let bad = dir.path().join("bad.txt");
    std::fs::write(
        &bad,
        "year: 2027\nsource: X\n2027-01-01 day-off Tết\n2027-01-05 working-day Sai\n",
    )
    .expect("write");
    let o = motcua(
        dir.path(),
        &["calendar", "import", bad.to_str().expect("path")],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Dòng 4") && err.contains("thứ Bảy hoặc Chủ nhật"),
        "{err}"
    );
    // Refused whole: the good notice is still the one in force.
    let out = stdout(&motcua(dir.path(), &["calendar", "holidays", "2027"]));
    assert!(out.contains("2027-01-04\tNghỉ hoán đổi"), "{out}");
    let out = stdout(&motcua(dir.path(), &["calendar", "notices"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("2025\t") && lines[0].contains("kèm phần mềm"),
        "{out}"
    );
    assert!(
        lines[1].contains("9441/TB-BNV") && lines[1].contains("chưa kiểm chứng"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("2027\tThông báo thử nghiệm") && lines[2].contains("nạp bởi cli"),
        "{out}"
    );
}

#[test]
fn catalog_import_reports_and_refuses_bad_files_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/catalog.json");
    let text = std::fs::read_to_string(&catalog).expect("catalog");
    let out = stdout(&motcua(
        dir.path(),
        &["import", "catalog", catalog.to_str().expect("path")],
    ));
    let shipped = motcua_domain::catalog::parse_catalog(&text)
        .expect("catalog")
        .len();
    assert!(out.contains(&format!("Không đổi: {shipped}")), "{out}");

    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let procs = doc["procedures"].as_array_mut().expect("array");
    procs.retain(|p| p["code"] != "KN-L1");
    procs[0]["fee"] = serde_json::json!({"kind": "flat", "vnd": 5000});
    let changed = dir.path().join("changed.json");
    std::fs::write(&changed, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let out = stdout(&motcua(
        dir.path(),
        &[
            "import",
            "catalog",
            "--replace",
            changed.to_str().expect("path"),
        ],
    ));
    assert!(out.contains("~ HT-KS: fee"), "{out}");
    assert!(out.contains("- KN-L1"), "{out}");

    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        text.replacen("\"amount\": 3", "\"amount\": \"ba\"", 1),
    )
    .expect("write");
    let o = motcua(
        dir.path(),
        &["import", "catalog", broken.to_str().expect("path")],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("processing.amount") && err.contains("dòng"),
        "{err}"
    );
    // Refused whole: the catalog is as the previous import left it.
    let again = stdout(&motcua(
        dir.path(),
        &["import", "catalog", changed.to_str().expect("path")],
    ));
    assert!(
        again.contains("Thêm mới: 0") && again.contains("Cập nhật: 0"),
        "{again}"
    );
}

#[test]
fn user_add_checks_roles_and_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = motcua(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "tiepnhan.myhiep",
            "--password",
            "mat-khau-dai-du",
            "--role",
            "receptionist",
            "--unit",
            "30112",
        ],
    );
    stdout(&ok);
    let bad_role = motcua(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x.y",
            "--password",
            "mat-khau-dai-du",
            "--role",
            "mayor",
            "--unit",
            "30112",
        ],
    );
    assert!(!bad_role.status.success());
    let bad_unit = motcua(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x.y",
            "--password",
            "mat-khau-dai-du",
            "--role",
            "leader",
            "--unit",
            "00000",
        ],
    );
    assert!(!bad_unit.status.success());
    assert!(String::from_utf8_lossy(&bad_unit.stderr).contains("00000"));
}

#[test]
fn audit_verify_and_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&motcua(dir.path(), &["migrate"]));
    let out = stdout(&motcua(dir.path(), &["audit", "checkpoint"]));
    assert!(out.contains("điểm kiểm soát"), "{out}");
    let out = stdout(&motcua(dir.path(), &["audit", "verify"]));
    assert!(
        out.contains("1 điểm kiểm soát") && out.contains("nguyên vẹn"),
        "{out}"
    );
    // The key is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("audit.key"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "audit.key readable by others: {mode:o}");
    // A different key cannot vouch for the checkpoint.
    std::fs::write(dir.path().join("audit.key"), [7u8; 32]).expect("write");
    let o = motcua(dir.path(), &["audit", "verify"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("checkpoint"));
}

/// Dossiers with real document bytes, written through the store into `data`.
async fn some_dossiers(data: &Path) -> Vec<String> {
    use motcua_store::{Actor, DocumentRef, NewDossier, Store};
    let store = Store::open(
        &format!("sqlite://{}", data.join("motcua.sqlite").display()),
        &data.join("blobs"),
    )
    .await
    .expect("open");
    let list = motcua_domain::units::parse_units_csv(motcua_domain::units::NATIONAL_UNITS_CSV)
        .expect("units");
    store.import_units(&list).await.expect("units");
    let procs = motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
        .expect("catalog");
    store
        .import_catalog(&procs, false, time::OffsetDateTime::now_utc())
        .await
        .expect("catalog");
    let mut codes = Vec::new();
    for i in 0..3 {
        let mut docs = Vec::new();
        for d in ["to-khai", "giay-to-tuy-than"] {
            let bytes = format!("%PDF-1.4\n% {d} {i}\n%%EOF\n");
            let meta = store
                .upload(
                    bytes.as_bytes(),
                    Some("scan.pdf"),
                    "citizen",
                    time::OffsetDateTime::now_utc(),
                )
                .await
                .expect("upload");
            docs.push(DocumentRef {
                code: d.into(),
                upload_id: Some(meta.id),
                paper: false,
            });
        }
        let new = NewDossier {
            unit_code: "30112".into(),
            procedure_code: "HT-XNHN".into(),
            channel: motcua_domain::lifecycle::Channel::Online,
            applicant: motcua_domain::dossier::ApplicantInput {
                full_name: "Phan Văn Bảy".into(),
                id_number: "087190005555".into(),
                date_of_birth: "1990-02-03".into(),
                phone: "0987654321".into(),
                email: None,
                address: "Ấp 3, xã Mỹ Hiệp".into(),
            },
            fields: serde_json::json!({}),
            documents: docs,
        };
        codes.push(
            store
                .create_dossier(new, &Actor::Citizen, time::OffsetDateTime::now_utc())
                .await
                .expect("create")
                .row
                .code,
        );
    }
    codes
}

async fn open_store(d: &Path) -> motcua_store::Store {
    let url = format!("sqlite://{}", d.join("motcua.sqlite").display());
    motcua_store::Store::open(&url, &d.join("blobs"))
        .await
        .expect("open")
}

#[test]
fn backup_then_restore_gives_back_the_same_dossiers_events_and_bytes() {
    let root = tempfile::tempdir().expect("tempdir");
    let (a, backup, b) = (
        root.path().join("a"),
        root.path().join("backup"),
        root.path().join("b"),
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let codes = rt.block_on(some_dossiers(&a));
    stdout(&motcua(
        &a,
        &["backup", "--to", backup.to_str().expect("path")],
    ));
    // A second backup into the same folder is refused; so is restoring over a database.
    assert!(
        !motcua(&a, &["backup", "--to", backup.to_str().expect("path")])
            .status
            .success()
    );
    assert!(
        !motcua(&a, &["restore", "--from", backup.to_str().expect("path")])
            .status
            .success()
    );
    stdout(&motcua(
        &b,
        &["restore", "--from", backup.to_str().expect("path")],
    ));
    rt.block_on(async {
        let (sa, sb) = (open_store(&a).await, open_store(&b).await);
        for code in &codes {
            let (ra, rb) = (
                sa.dossier(code).await.expect("a").expect("in a"),
                sb.dossier(code).await.expect("b").expect("in b"),
            );
            assert_eq!(ra.row, rb.row);
            assert_eq!(ra.events, rb.events);
            assert_eq!(ra.documents, rb.documents);
            for d in &rb.documents {
                let sha = d.sha256.as_deref().expect("sha");
                assert_eq!(
                    sa.blobs().get(sha).await.expect("a bytes"),
                    sb.blobs().get(sha).await.expect("b bytes")
                );
            }
        }
        assert!(sb.audit_verify().await.expect("verify").ok());
    });
    // Everything about one person, for a data-subject request.
    let out = stdout(&motcua(
        &b,
        &["privacy", "export", "--id-number", "087190005555"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["dossiers"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["dossiers"][0]["applicant"]["phone"], "0987654321");
}

/// Every file and folder of the data folder is for its owner only, whatever
/// the umask, and wider modes from before are narrowed on start.
#[cfg(unix)]
#[test]
fn the_data_folder_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // What an earlier release (or a careless copy) left: world-readable.
    std::fs::create_dir_all(data.join("blobs/ab")).expect("dirs");
    std::fs::write(data.join("blobs/ab/old"), b"x").expect("file");
    for p in [data.clone(), data.join("blobs"), data.join("blobs/ab")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    std::fs::set_permissions(
        data.join("blobs/ab/old"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    stdout(&motcua(&data, &["migrate"]));
    stdout(&motcua(&data, &["audit", "checkpoint"]));
    fn walk(p: &Path, seen: &mut Vec<(String, u32)>) {
        let mode = std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        seen.push((p.display().to_string(), mode));
        if p.is_dir() {
            for e in std::fs::read_dir(p).expect("read") {
                walk(&e.expect("entry").path(), seen);
            }
        }
    }
    let mut seen = Vec::new();
    walk(&data, &mut seen);
    assert!(seen.len() >= 5, "{seen:?}");
    for (path, mode) in &seen {
        assert_eq!(mode & 0o077, 0, "{path} is {mode:o}");
    }
    assert!(seen.iter().any(|(p, _)| p.ends_with("motcua.sqlite")));
    assert!(seen.iter().any(|(p, _)| p.ends_with("lookup.key")));
}

/// Generated dossiers and accounts never go into a real center's data.
#[tokio::test]
async fn bench_generate_refuses_a_data_folder_with_real_dossiers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    some_dossiers(&data).await;
    let o = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args([
            "user",
            "add",
            "--username",
            "tiepnhan.myhiep",
            "--role",
            "receptionist",
            "--unit",
            "30112",
        ])
        .env("MOTCUA_DATA_DIR", &data)
        .env("MOTCUA_USER_PASSWORD", "mat-khau-du-dai-2026")
        .env_remove("MOTCUA_DATABASE")
        .output()
        .expect("user add");
    stdout(&o);
    let o = motcua(&data, &["bench", "generate", "--dossiers", "10"]);
    assert!(!o.status.success(), "bench generate wrote into real data");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refusing to generate into real data"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A dossier stored before input was checked, with an emoji in the address:
/// `check` stays green (its history is consistent) and names it for correction.
#[tokio::test]
async fn check_names_dossiers_holding_characters_the_documents_cannot_print() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let codes = some_dossiers(&data).await;
    let url = format!("sqlite://{}", data.join("motcua.sqlite").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("db");
    sqlx::query("UPDATE dossiers SET applicant_address = 'Ấp 1 🏠, xã Mỹ Hiệp' WHERE code = $1")
        .bind(&codes[1])
        .execute(&mut db)
        .await
        .expect("an earlier release's row");
    db.close().await.expect("close");
    let out = stdout(&motcua(&data, &["check"]));
    assert!(
        out.contains(&format!("hồ sơ {} có ký tự không in được", codes[1])),
        "{out}"
    );
    assert!(out.contains("U+1F3E0"), "{out}");
    assert!(
        !out.contains(&codes[0]) && !out.contains(&codes[2]),
        "{out}"
    );
}
