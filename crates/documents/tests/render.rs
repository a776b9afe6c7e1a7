//! Every form rendered for a dossier with a full history; the text read back
//! with poppler's `pdftotext` must carry the names, codes and dates with their
//! diacritics, and each page is kept as a PNG under target/pdf-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

mod sample;

use motcua_documents::{Form, RegisterInfo, RegisterRow, ResultDocument};
use motcua_domain::lifecycle::Status;
use std::path::PathBuf;
use std::process::Command;
use time::macros::{date, datetime};

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("pdf-artifacts").join("documents");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir
}

/// Pages of a snapshot: the PNG files pdftoppm wrote for `name`.
fn pages(name: &str) -> usize {
    std::fs::read_dir(artifacts())
        .expect("artifact dir")
        .filter_map(Result::ok)
        .filter(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            f.strip_prefix(&format!("{name}-")).is_some_and(|rest| {
                rest.ends_with(".png") && rest[..rest.len() - 4].bytes().all(|b| b.is_ascii_digit())
            })
        })
        .count()
}

/// Text of a PDF by pdftotext, whitespace collapsed; PNG snapshots kept.
fn extract(pdf: &[u8], name: &str) -> String {
    let dir = artifacts();
    // Snapshots of an earlier run would hide a change in page count.
    for entry in std::fs::read_dir(&dir)
        .expect("artifact dir")
        .filter_map(Result::ok)
    {
        let f = entry.file_name().to_string_lossy().into_owned();
        if f.starts_with(&format!("{name}-")) && f.ends_with(".png") {
            std::fs::remove_file(entry.path()).expect("remove old snapshot");
        }
    }
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed");
    assert!(out.status.success(), "pdftotext failed on {name}");
    let png = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(dir.join(name))
        .status()
        .expect("pdftoppm (Debian poppler-utils) must be installed");
    assert!(png.success(), "pdftoppm failed on {name}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn has(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "missing {n:?} in:\n{text}");
    }
}

#[test]
fn every_form_reads_back_in_vietnamese() {
    let procedure = sample::procedure();
    let cal = sample::calendar();
    let events = sample::events();
    let info = sample::info(&procedure, &cal, &events);
    let common = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        // The center's heading, under its People's Committee.
        "UBND XÃ MỸ HIỆP",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "Số: 30112-260302-0007/TTPVHCC",
    ];
    let receipt = Form::Receipt.render(&info).expect("01");
    let t = extract(&receipt, "mau-01");
    // Forms 01–05 are A5: 148 × 210 mm.
    let size = Command::new("pdfinfo")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(&receipt)?;
            c.wait_with_output()
        })
        .expect("pdfinfo (Debian poppler-utils)");
    let info_text = String::from_utf8_lossy(&size.stdout);
    assert!(info_text.contains("419.528 x 595.276 pts"), "{info_text}");
    assert!(
        info_text.contains("Pages:           1"),
        "the receipt fits one A5 page: {info_text}"
    );
    has(&t, &common);
    assert!(!t.contains("UBND TỈNH"), "{t}");
    has(
        &t,
        &[
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            "Mỹ Hiệp, ngày 02 tháng 03 năm 2026",
            "Nguyễn Thị Ánh Tuyết",
            "Đăng ký nhận cha, mẹ, con",
            "09 giờ 15 phút, ngày 02/03/2026",
            // Three working days from Monday 09:15 (the appointment at reception).
            "09 giờ 15 phút, ngày 05/03/2026",
            "Giấy tờ tùy thân của người yêu cầu",
            "Trần Thị Thu Hương",
            "7KQ2M9XH4P",
        ],
    );
    let t = extract(
        &Form::ReceiptRoll.render(&info).expect("01-80mm"),
        "mau-01-80mm",
    );
    has(
        &t,
        &[
            "30112-260302-0007",
            "Nguyễn Thị Ánh Tuyết",
            "05/03/2026 09:15",
            "7KQ2M9XH4P",
        ],
    );
    let t = extract(
        &Form::SupplementRequest.render(&info).expect("02"),
        "mau-02",
    );
    has(&t, &common);
    has(
        &t,
        &[
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            "Mỹ Hiệp, ngày 03 tháng 03 năm 2026",
            "Chứng cứ chứng minh quan hệ cha, mẹ, con",
            "cần bản sao có chứng thực",
            "Lê Văn Đức",
        ],
    );
    let t = extract(&Form::Apology.render(&info).expect("04"), "mau-04");
    has(
        &t,
        &[
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            // The due date that stood: paused two days for the supplement.
            "14 giờ 45 phút, ngày 09/03/2026",
            "10 giờ 00 phút, ngày 12/03/2026",
            "xác minh thêm tại nơi cư trú",
            "Phạm Quốc Việt",
        ],
    );
    let t = extract(&Form::ControlSheet.render(&info).expect("05"), "mau-05");
    // Who received the proposal is the leader by name, not a role.
    let flat = t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!flat.contains("Lãnh đạo đơn vị"), "{flat}");
    has(
        &t,
        &[
            "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            "Tiếp nhận tại quầy",
            "Chuyển xử lý",
            "Trình phê duyệt",
            "Trước hạn",
            "Quá hạn",
            "Gửi qua dịch vụ bưu chính",
            "EB123456789VN",
        ],
    );
    let err = Form::Refusal.render(&info).expect_err("never refused");
    assert_eq!(err.to_problem().code, "form_not_applicable");
}

#[test]
fn register_as_pdf_and_csv() {
    let row = RegisterRow {
        code: "30112-260302-0007".into(),
        procedure_name: "Đăng ký nhận cha, mẹ, con".into(),
        applicant_name: "Nguyễn Thị Ánh Tuyết".into(),
        applicant_address: "Ấp Mỹ Thạnh, xã Mỹ Hiệp".into(),
        applicant_phone: "0912345678".into(),
        submitted_at: datetime!(2026-03-02 09:15 +7),
        received_at: Some(datetime!(2026-03-02 09:15 +7)),
        due_at: Some(datetime!(2026-03-12 10:00 +7)),
        finished_at: Some(datetime!(2026-03-11 15:20 +7)),
        returned_at: Some(datetime!(2026-03-12 08:05 +7)),
        status: Status::Returned,
        late: true,
        delivery: Some("Gửi qua dịch vụ bưu chính".into()),
    };
    let info = RegisterInfo {
        province_name: "Tỉnh Đồng Tháp".into(),
        unit_name: "Xã Mỹ Hiệp".into(),
        from: date!(2026 - 03 - 01),
        to: date!(2026 - 03 - 31),
        printed: date!(2026 - 04 - 01),
        rows: vec![row; 60],
    };
    let t = extract(&info.pdf().expect("pdf"), "mau-06");
    assert!(pages("mau-06") >= 2, "60 rows take more than one page");
    has(
        &t,
        &[
            "SỔ THEO DÕI HỒ SƠ",
            "Từ ngày 01/03/2026 đến ngày 31/03/2026",
            "Nguyễn Thị Ánh Tuyết",
            "Đã trả kết quả",
            "Quá hạn",
            "60 hồ sơ",
        ],
    );
    let csv = String::from_utf8(info.csv()).expect("utf-8");
    assert!(csv.starts_with("\u{feff}\"STT\",\"Mã hồ sơ\""), "{csv}");
    assert_eq!(csv.lines().count(), 61);
    assert!(csv.contains("\"Nguyễn Thị Ánh Tuyết\""));
}

#[test]
fn result_document_with_verification_qr() {
    let doc = ResultDocument {
        parent: "UBND TỈNH ĐỒNG THÁP".into(),
        unit: "UBND XÃ MỸ HIỆP".into(),
        number: "15/QĐ-UBND".into(),
        place: "Mỹ Hiệp".into(),
        date: date!(2026 - 03 - 11),
        kind: "QUYẾT ĐỊNH".into(),
        title: "Về việc công nhận cha, mẹ, con".into(),
        paragraphs: vec![
            "Công nhận ông Trần Văn Bình là cha của cháu Trần Ánh Dương.".into(),
            "Quyết định có hiệu lực kể từ ngày ký.".into(),
        ],
        signer_title: "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH".into(),
        signer_name: "Phạm Quốc Việt".into(),
        verification_url: "https://motcua.example.vn/xac-minh/abc".into(),
    };
    let t = extract(&doc.render().expect("render"), "result");
    has(
        &t,
        &[
            "QUYẾT ĐỊNH",
            "15/QĐ-UBND",
            "Mỹ Hiệp, ngày 11 tháng 03 năm 2026",
            "công nhận cha, mẹ, con",
            "TM. ỦY BAN NHÂN DÂN",
            "Phạm Quốc Việt",
        ],
    );
}
