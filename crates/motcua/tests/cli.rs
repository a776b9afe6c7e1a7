//! The command line as an operator uses it: the real binary, a real data folder.

use std::path::Path;
use std::process::{Command, Output};

fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .output()
        .expect("run motcua")
}

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
fn overrides_change_the_calendar() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "set",
            "2026-01-02",
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
            "2026-01-10",
            "--kind",
            "working-day",
            "--name",
            "Làm bù ngày 02/01",
        ],
    ));
    let out = stdout(&motcua(dir.path(), &["calendar", "holidays", "2026"]));
    assert!(
        out.contains("2026-01-02\tNghỉ thêm dịp Tết Dương lịch"),
        "{out}"
    );
    // From Thursday 1/1 (holiday): Friday 2/1 off, Saturday 10/1 is a working day.
    let out = stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "due",
            "--from",
            "2026-01-09T08:00",
            "--working-days",
            "1",
        ],
    ));
    assert_eq!(out.trim(), "2026-01-10T08:00:00+07:00");
    stdout(&motcua(dir.path(), &["calendar", "unset", "2026-01-10"]));
    let out = stdout(&motcua(
        dir.path(),
        &[
            "calendar",
            "due",
            "--from",
            "2026-01-09T08:00",
            "--working-days",
            "1",
        ],
    ));
    assert_eq!(out.trim(), "2026-01-12T08:00:00+07:00");
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
    assert!(out.contains("Không đổi: 28"), "{out}");

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
