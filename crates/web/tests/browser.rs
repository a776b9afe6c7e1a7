//! End to end in a real browser (the harness in support/): a citizen
//! online, the officers at the counter and on the dossier, on a real SQLite
//! file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

mod support;

use motcua_domain::lifecycle::Role;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Browser, chromedriver, scan, server, sign_in, start_driver};

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";
const USERS: &[(&str, Role, &str)] = &[
    ("tiepnhan.myhiep", Role::Receptionist, UNIT),
    ("chuyenvien.myhiep", Role::Specialist, UNIT),
    ("lanhdao.myhiep", Role::Leader, UNIT),
    ("tiepnhan.mytho", Role::Receptionist, OTHER_UNIT),
];

/// Answer the procedure's declaration page by page: `typed` by question
/// key (a date as "d/m/y", a choice by its value); the other questions keep
/// what the page filled in from the applicant, or stay empty. Stops at
/// `stop_at`, unanswered, or when the questions end.
async fn declare(b: &mut Browser<'_>, typed: &[(&str, &str)], stop_at: Option<&str>) {
    loop {
        let url = b.url().await;
        let Some(step) = url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .and_then(|s| s.strip_prefix("to-khai-"))
            .map(str::to_string)
        else {
            return;
        };
        if stop_at == Some(step.as_str()) {
            return;
        }
        if let Some((_, v)) = typed.iter().find(|(k, _)| *k == step) {
            if b.try_find("#answer-day").await.is_some() {
                let parts: Vec<&str> = v.split('/').collect();
                for (box_id, part) in ["#answer-day", "#answer-month", "#answer-year"]
                    .iter()
                    .zip(parts)
                {
                    b.type_in(box_id, part).await;
                }
            } else if b.try_find("input[type=radio]").await.is_some() {
                b.click(&format!("input[type=radio][value='{v}']")).await;
            } else {
                b.type_in("#answer", v).await;
            }
        }
        b.click("button[value=next]").await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while b.url().await == url && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// After "Nộp hồ sơ": the commune (province 82, `UNIT`), then the
/// applicant's six questions as a mother of Mỹ Hiệp answers them.
async fn applicant(b: &mut Browser<'_>) {
    b.wait_path("/nop/").await;
    b.click("#answer option[value='82']").await;
    b.click("button[value=next]").await;
    b.wait_path("/nop/").await;
    b.click(&format!("#answer option[value='{UNIT}']")).await;
    b.click("button[value=next]").await;
    for value in [
        "Nguyễn Thị Bé Ba",
        "087190001234",
        "17/05/1990",
        "0912 345 678",
        "",
        "Ấp Mỹ Thạnh, xã Mỹ Hiệp, Đồng Tháp",
    ] {
        b.wait_path("/nop/").await;
        if !value.is_empty() {
            b.type_in("#answer", value).await;
        }
        b.click("button[value=next]").await;
    }
}

/// What the citizen declares for HT-XNHN (the confirmation of marital status).
const MARITAL_STATUS: &[(&str, &str)] = &[
    ("nyc_quan_he", "Bản thân"),
    ("xn_ho_ten", "Nguyễn Thị Bé Ba"),
    ("xn_ngay_sinh", "17/05/1990"),
    ("xn_gioi_tinh", "nu"),
    ("xn_muc_dich", "Đăng ký kết hôn"),
];

/// The citizen's whole online submission; returns (code, key).
async fn submit_online(b: &mut Browser<'_>, base: &str, files: &Path) -> (String, String) {
    b.go(&format!("{base}/")).await;
    b.type_in("#q", "xac nhan tinh trang hon nhan").await;
    b.click("form[role=search] button").await;
    // The results may still be loading: wait for them, then for the procedure's page.
    b.wait_path("/?q=").await;
    b.click("a[href='/thu-tuc/HT-XNHN']").await;
    b.wait_path("/thu-tuc/HT-XNHN").await;
    b.shot("procedure").await;
    b.click("form[action='/thu-tuc/HT-XNHN/nop'] button").await;
    applicant(b).await;
    // The declaration, one question per page; its paper form is then not asked.
    b.find("button[value=next]").await;
    declare(b, MARITAL_STATUS, None).await;
    for doc in ["giay-to-tuy-than"] {
        b.find("input[type=file]").await;
        let file = scan(files, &format!("{doc}.pdf"));
        b.attach("input[type=file]", &file).await;
        b.shot(&format!("upload-{doc}")).await;
        b.click("button[value=next]").await;
        // The upload goes by XHR with progress, then the page moves on.
        let deadline = Instant::now() + Duration::from_secs(15);
        while b.source().await.contains(&format!("giay-to-{doc}\"")) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    b.wait_path("/nop/").await;
    b.find("dl.summary").await;
    let check = b.source().await;
    assert!(
        check.contains("Nguyễn Thị Bé Ba")
            && check.contains("giay-to-tuy-than.pdf")
            && check.contains("Đăng ký kết hôn")
            && check.contains("17/05/1990"),
        "{check}"
    );
    b.shot("check-answers").await;
    b.click("form[action$='/gui'] button").await;
    let code = b.text("#dossier-code").await;
    let key = b.text("#lookup-key").await;
    assert!(
        b.source().await.contains("<svg"),
        "QR code on the confirmation page"
    );
    b.shot("confirmation").await;
    (code, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_submits_online_and_follows_the_dossier() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let files = tempfile::tempdir().expect("files");
    let mut b = Browser::open(&driver, "citizen").await;
    let (code, key) = submit_online(&mut b, &srv.base, files.path()).await;
    let rec = srv
        .store
        .dossier(&code)
        .await
        .expect("read")
        .expect("dossier exists");
    assert_eq!(rec.row.status, "submitted");
    assert_eq!(rec.row.applicant_name, "Nguyễn Thị Bé Ba");
    assert_eq!(rec.row.applicant_phone, "0912345678");
    assert_eq!(rec.documents.len(), 1);
    let fields: Value = serde_json::from_str(&rec.row.fields).expect("fields");
    assert_eq!(fields["xn_muc_dich"], "Đăng ký kết hôn");
    assert_eq!(fields["xn_ngay_sinh"], "1990-05-17");
    assert!(
        srv.store
            .dossier_row_by_key(&code, &key)
            .await
            .expect("read")
            .is_some(),
        "the shown key opens the dossier"
    );
    b.click("a.button").await;
    b.wait_path("/tra-cuu").await;
    assert_eq!(b.text("#status").await, "Đã nộp trực tuyến, chờ tiếp nhận");
    b.shot("lookup").await;
    // A wrong key looks like an unknown dossier.
    b.go(&format!("{}/tra-cuu?code={code}&key=AAAAAAAAAA", srv.base))
        .await;
    assert!(b.source().await.contains("Không tìm thấy hồ sơ"));
    b.close().await;
}

/// What a parent declares for a birth (HT-KS): the child, both parents
/// (not married: no marriage certificate asked), two copies of the extract.
const BIRTH: &[(&str, &str)] = &[
    ("nyc_quan_he", "Mẹ"),
    ("con_ho_ten", "Nguyễn Bảo An"),
    ("con_ngay_sinh", "27/11/2026"),
    ("con_gioi_tinh", "nu"),
    ("con_dan_toc", "Kinh"),
    ("con_quoc_tich", "Việt Nam"),
    ("con_noi_sinh", "Trạm y tế xã Mỹ Hiệp, tỉnh Đồng Tháp"),
    ("con_que_quan", "Xã Mỹ Hiệp, tỉnh Đồng Tháp"),
    ("co_thong_tin_me", "co"),
    ("co_thong_tin_cha", "co"),
    ("me_ho_ten", "Nguyễn Thị Bé Ba"),
    ("me_ngay_sinh", "17/05/1990"),
    ("cha_ho_ten", "Nguyễn Văn Bình"),
    ("cha_ngay_sinh", "03/09/1986"),
    ("cha_me_da_dkkh", "khong"),
    ("de_nghi_cap_ban_sao", "co"),
    ("so_ban", "2"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_registers_a_birth_online_with_the_childs_data() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let files = tempfile::tempdir().expect("files");
    let mut b = Browser::open(&driver, "birth").await;
    b.go(&format!("{}/thu-tuc/HT-KS", srv.base)).await;
    b.click("form[action='/thu-tuc/HT-KS/nop'] button").await;
    applicant(&mut b).await;
    b.find("button[value=next]").await;
    // The mother's own details come filled from what she typed as applicant.
    assert!(b.source().await.contains("value=\"Nguyễn Thị Bé Ba\""));
    declare(&mut b, BIRTH, None).await;
    b.shot("birth-declared").await;
    // The birth certificate and the ID card as scans; the paper declaration is not asked.
    for doc in ["giay-chung-sinh", "giay-to-tuy-than"] {
        b.find("input[type=file]").await;
        assert!(!b.url().await.contains("giay-to-to-khai"));
        let file = scan(files.path(), &format!("{doc}.pdf"));
        b.attach("input[type=file]", &file).await;
        b.click("button[value=next]").await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while b.source().await.contains(&format!("giay-to-{doc}\"")) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The power of attorney is optional: skipped.
    b.click("button[value=skip]").await;
    b.find("#fee").await;
    let check = b.source().await;
    assert!(
        check.contains("Nguyễn Bảo An")
            && check.contains("27/11/2026")
            && check.contains("Nguyễn Văn Bình"),
        "{check}"
    );
    b.shot("birth-check").await;
    b.click("form[action$='/gui'] button").await;
    let code = b.text("#dossier-code").await;
    let rec = srv
        .store
        .dossier(&code)
        .await
        .expect("read")
        .expect("dossier");
    let fields: Value = serde_json::from_str(&rec.row.fields).expect("fields");
    assert_eq!(fields["con_ho_ten"], "Nguyễn Bảo An");
    assert_eq!(fields["me_ngay_sinh"], "1990-05-17");
    assert_eq!(fields["so_ban"], "2");
    assert!(fields.get("gcnkh_so").is_none());
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_question_shows_its_error_and_keeps_the_answer() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let mut b = Browser::open(&driver, "validation").await;
    b.go(&format!("{}/thu-tuc/HT-XNHN", srv.base)).await;
    b.click("form[action='/thu-tuc/HT-XNHN/nop'] button").await;
    b.wait_path("/nop/").await;
    // Continue without choosing: each select and field says what is wrong.
    b.click("button[value=next]").await;
    let summary = b.text_containing(".error-summary", "Hãy chọn tỉnh").await;
    assert!(summary.contains("Hãy chọn tỉnh"), "{summary}");
    b.click("#answer option[value='82']").await;
    b.click("button[value=next]").await;
    b.wait_path("/nop/").await;
    b.click("button[value=next]").await;
    let summary = b.text_containing(".error-summary", "Hãy chọn xã").await;
    assert!(summary.contains("Hãy chọn xã"), "{summary}");
    b.click(&format!("#answer option[value='{UNIT}']")).await;
    b.click("button[value=next]").await;
    for (bad, good, message) in [
        ("X", "Lê Văn Tám", "Họ và tên"),
        ("12345", "087190001234", "12 chữ số"),
        ("31/02/1990", "01/02/1990", "Ngày sinh"),
        ("12345", "0912345678", "10 chữ số"),
        ("an@", "", "thư điện tử"),
        ("Ấp", "Ấp 1, xã Mỹ Hiệp", "Địa chỉ"),
    ] {
        b.type_in("#answer", bad).await;
        b.click("button[value=next]").await;
        let summary = b.text_containing(".error-summary", message).await;
        assert!(summary.contains(message), "{summary}");
        // The answer is kept, the error summary links to the field.
        let src = b.source().await;
        assert!(
            src.contains(&format!("value=\"{bad}\"")) && src.contains("href=\"#answer\""),
            "{src}"
        );
        b.shot("field-error").await;
        b.type_in("#answer", good).await;
        b.click("button[value=next]").await;
    }
    // The declaration: a day that does not exist is said so, the three
    // boxes keep what was typed.
    b.find("button[value=next]").await;
    declare(
        &mut b,
        &[("nyc_quan_he", "Bản thân"), ("xn_ho_ten", "Lê Văn Tám")],
        Some("xn_ngay_sinh"),
    )
    .await;
    for (part, v) in [
        ("#answer-day", "31"),
        ("#answer-month", "02"),
        ("#answer-year", "1990"),
    ] {
        b.type_in(part, v).await;
    }
    b.click("button[value=next]").await;
    let summary = b.text_containing(".error-summary", "không có thật").await;
    assert!(summary.contains("31/02/1990 không có thật"), "{summary}");
    assert!(b.source().await.contains("value=\"31\""));
    b.shot("impossible-date").await;
    b.type_in("#answer-day", "28").await;
    b.click("button[value=next]").await;
    declare(&mut b, &[("xn_muc_dich", "Đăng ký kết hôn")], None).await;
    // A required document cannot be skipped; a wrong file type is refused.
    b.find("input[type=file]").await;
    b.click("button[value=next]").await;
    let summary = b.text_containing(".error-summary", "Hãy chọn tệp").await;
    assert!(summary.contains("Hãy chọn tệp"), "{summary}");
    let dir = tempfile::tempdir().expect("dir");
    let gif = dir.path().join("anh.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00").expect("gif");
    b.attach("input[type=file]", &gif).await;
    b.click("button[value=next]").await;
    let summary = b
        .text_containing(".error-summary", "PDF, JPEG hoặc PNG")
        .await;
    assert!(summary.contains("PDF, JPEG hoặc PNG"), "{summary}");
    b.shot("wrong-file-type").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_procedures_with_or_without_diacritics() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let mut b = Browser::open(&driver, "search").await;
    for q in [
        "khai sinh",
        "KHAI SINH",
        "dang ky ket hon",
        "Đăng ký kết hôn",
        "đang ky ket hon",
    ] {
        b.go(&format!("{}/", srv.base)).await;
        b.type_in("#q", q).await;
        b.click("form[role=search] button").await;
        b.wait_path("/?q=").await;
        let src = b.source().await;
        let expect = if q.to_lowercase().contains("sinh") {
            "/thu-tuc/HT-KS\""
        } else {
            "/thu-tuc/HT-KH\""
        };
        let results = src
            .split("Kết quả tìm kiếm")
            .nth(1)
            .unwrap_or("")
            .split("Theo lĩnh vực")
            .next()
            .unwrap_or("");
        assert!(results.contains(expect), "{q}: {results}");
    }
    b.shot("search").await;
    b.close().await;
}

/// On the dossier page, take an action and wait for its confirmation.
async fn act(b: &mut Browser<'_>, base: &str, code: &str, action: &str) {
    b.go(&format!("{base}/can-bo/ho-so/{code}")).await;
    b.click(&format!("#act-{action}")).await;
    b.wait_path(&format!("/can-bo/ho-so/{code}?ok={action}"))
        .await;
    b.find("#notice").await;
    b.shot(action).await;
}

/// The receptionist receives the dossier and hands it to the specialist.
async fn receive_and_assign(b: &mut Browser<'_>, base: &str, code: &str) {
    act(b, base, code, "receive").await;
    b.go(&format!("{base}/can-bo/ho-so/{code}")).await;
    b.click("#assignee option[value='chuyenvien.myhiep']").await;
    b.click("#act-assign").await;
    b.wait_path(&format!("/can-bo/ho-so/{code}?ok=assign"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_carry_an_online_dossier_to_returned() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let files = tempfile::tempdir().expect("files");
    let mut citizen = Browser::open(&driver, "loop-citizen").await;
    let (code, key) = submit_online(&mut citizen, &srv.base, files.path()).await;

    let mut b = Browser::open(&driver, "loop-officers").await;
    sign_in(&mut b, &srv.base, "tiepnhan.myhiep").await;
    // The new dossier waits in the receptionist's queue.
    assert!(b.source().await.contains(&code), "queue lists the dossier");
    b.shot("queue").await;
    receive_and_assign(&mut b, &srv.base, &code).await;
    sign_in(&mut b, &srv.base, "chuyenvien.myhiep").await;
    act(&mut b, &srv.base, &code, "propose").await;
    sign_in(&mut b, &srv.base, "lanhdao.myhiep").await;
    act(&mut b, &srv.base, &code, "approve").await;
    sign_in(&mut b, &srv.base, "tiepnhan.myhiep").await;
    act(&mut b, &srv.base, &code, "return_result").await;
    // Only what this officer may do now is offered: once returned, nothing
    // but a new lookup key for a citizen who lost theirs, a correction, or
    // the fee still owed (paid when the result is collected).
    assert!(
        b.try_find(
            "[id^=act-]:not(#act-reissue_key):not(#act-correct_applicant):not(#act-record_payment)"
        )
        .await
        .is_none()
    );
    assert!(b.try_find("#act-record_payment").await.is_some());
    assert!(b.try_find("#act-reissue_key").await.is_some());

    citizen
        .go(&format!("{}/tra-cuu?code={code}&key={key}", srv.base))
        .await;
    assert_eq!(citizen.text("#status").await, "Đã trả kết quả");
    assert!(
        citizen.source().await.contains("Phê duyệt"),
        "the timeline lists every step"
    );
    citizen.shot("returned").await;
    assert_eq!(
        srv.store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row")
            .status,
        "returned"
    );
    b.close().await;
    citizen.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplement_request_goes_to_the_citizen_and_back() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let files = tempfile::tempdir().expect("files");
    let mut citizen = Browser::open(&driver, "supplement-citizen").await;
    let (code, key) = submit_online(&mut citizen, &srv.base, files.path()).await;
    let mut b = Browser::open(&driver, "supplement-officers").await;
    sign_in(&mut b, &srv.base, "tiepnhan.myhiep").await;
    receive_and_assign(&mut b, &srv.base, &code).await;
    sign_in(&mut b, &srv.base, "chuyenvien.myhiep").await;
    b.go(&format!("{}/can-bo/ho-so/{code}", srv.base)).await;
    b.click("#missing-giay-to-tuy-than").await;
    b.type_in(
        "#note-request_supplement",
        "Ảnh căn cước bị mờ, xin chụp lại rõ nét",
    )
    .await;
    b.click("#act-request_supplement").await;
    b.wait_path(&format!("/can-bo/ho-so/{code}?ok=request_supplement"))
        .await;
    b.shot("requested").await;

    citizen
        .go(&format!("{}/tra-cuu?code={code}&key={key}", srv.base))
        .await;
    assert!(
        citizen.wait_source("Ảnh căn cước bị mờ").await,
        "the citizen sees what is missing"
    );
    citizen.shot("asked").await;
    let scan_path = scan(files.path(), "can-cuoc-ro.pdf");
    citizen.attach("#doc-giay-to-tuy-than", &scan_path).await;
    citizen
        .click("form[action='/tra-cuu/bo-sung'] button")
        .await;
    citizen.wait_path("/tra-cuu?code=").await;
    citizen.find("[role=status]").await;
    assert_eq!(citizen.text("#status").await, "Đang xử lý");
    citizen.shot("supplemented").await;
    let rec = srv
        .store
        .dossier(&code)
        .await
        .expect("read")
        .expect("dossier");
    assert_eq!(rec.row.status, "processing");
    // The scan of the ID card, then its clearer replacement (the declaration
    // was answered online, not uploaded).
    assert_eq!(rec.documents.len(), 2);
    b.close().await;
    citizen.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_intake_prints_a_receipt_and_other_communes_cannot_look() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let mut b = Browser::open(&driver, "counter").await;
    sign_in(&mut b, &srv.base, "tiepnhan.myhiep").await;
    b.go(&format!("{}/can-bo/tiep-nhan?thu_tuc=HT-XNHN", srv.base))
        .await;
    for (id, value) in [
        ("full_name", "Huỳnh Văn Chín"),
        ("id_number", "087160004321"),
        ("date_of_birth", "09/09/1960"),
        ("phone", "0939123456"),
        ("address", "Ấp 2, xã Mỹ Hiệp, Đồng Tháp"),
    ] {
        b.type_in(&format!("#{id}"), value).await;
    }
    b.click("#paper-to-khai").await;
    b.click("#paper-giay-to-tuy-than").await;
    b.shot("typed-for-the-citizen").await;
    b.click("#intake-submit").await;
    b.wait_path("/can-bo/ho-so/").await;
    let code = b.text("#receipt-code").await;
    assert!(
        b.source()
            .await
            .contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    );
    b.shot("receipt").await;
    // Back to the intake form: its button works again (no dead disabled button).
    b.back().await;
    b.wait_path("/can-bo/tiep-nhan").await;
    b.find("#intake-submit").await;
    assert!(
        !b.disabled("#intake-submit").await,
        "the intake button is usable after Back"
    );
    b.shot("back-to-intake").await;
    let row = srv
        .store
        .dossier_row(&code)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        (row.status.as_str(), row.channel.as_str()),
        ("received", "counter")
    );
    assert!(row.due_at.is_some());

    // An officer of another commune gets "not found", in the browser too.
    sign_in(&mut b, &srv.base, "tiepnhan.mytho").await;
    b.go(&format!("{}/can-bo/ho-so/{code}", srv.base)).await;
    assert!(
        b.wait_source("Không tìm thấy").await,
        "another unit's dossier is hidden"
    );
    assert!(!b.source().await.contains("Huỳnh Văn Chín"));
    b.shot("other-unit").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_types_a_birth_declaration_for_the_citizen() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let mut b = Browser::open(&driver, "counter-birth").await;
    sign_in(&mut b, &srv.base, "tiepnhan.myhiep").await;
    b.go(&format!("{}/can-bo/tiep-nhan?thu_tuc=HT-KS", srv.base))
        .await;
    b.find("#declaration").await;
    for (id, value) in [
        ("#full_name", "Nguyễn Thị Bé Ba"),
        ("#id_number", "087190001234"),
        ("#date_of_birth", "17/05/1990"),
        ("#phone", "0912345678"),
        ("#address", "Ấp Mỹ Thạnh, xã Mỹ Hiệp, Đồng Tháp"),
        ("#d-nyc_ho_ten", "Nguyễn Thị Bé Ba"),
        ("#d-nyc_so_dinh_danh", "087190001234"),
        ("#d-nyc_quan_he", "Mẹ"),
        ("#d-con_ho_ten", "Nguyễn Bảo An"),
        ("#d-con_dan_toc", "Kinh"),
        ("#d-con_quoc_tich", "Việt Nam"),
        ("#d-con_noi_sinh", "Trạm y tế xã Mỹ Hiệp"),
        ("#d-con_que_quan", "Xã Mỹ Hiệp, tỉnh Đồng Tháp"),
        ("#d-me_ho_ten", "Nguyễn Thị Bé Ba"),
    ] {
        b.type_in(id, value).await;
    }
    for (key, (d, m, y)) in [
        ("nyc_ngay_sinh", ("17", "05", "1990")),
        ("con_ngay_sinh", ("27", "11", "2026")),
        ("me_ngay_sinh", ("17", "05", "1990")),
    ] {
        for (part, v) in [("day", d), ("month", m), ("year", y)] {
            b.type_in(&format!("input[name='d:{key}-{part}']"), v).await;
        }
    }
    for (key, value) in [
        ("con_gioi_tinh", "nu"),
        ("co_thong_tin_me", "co"),
        ("co_thong_tin_cha", "khong"),
        ("de_nghi_cap_ban_sao", "khong"),
    ] {
        b.click(&format!("input[name='d:{key}'][value='{value}']"))
            .await;
    }
    b.click("#paper-giay-chung-sinh").await;
    b.click("#paper-giay-to-tuy-than").await;
    b.shot("counter-birth-typed").await;
    b.click("#intake-submit").await;
    b.wait_path("/can-bo/ho-so/").await;
    let code = b.text("#receipt-code").await;
    let row = srv
        .store
        .dossier_row(&code)
        .await
        .expect("read")
        .expect("row");
    let fields: Value = serde_json::from_str(&row.fields).expect("fields");
    assert_eq!(fields["con_ho_ten"], "Nguyễn Bảo An");
    assert_eq!(fields["con_ngay_sinh"], "2026-11-27");
    assert_eq!(fields["co_thong_tin_cha"], "khong");
    assert!(
        fields.get("cha_ho_ten").is_none(),
        "the father's section was not asked"
    );
    // The officer's page shows the declaration, ready to print for signature.
    b.go(&format!("{}/can-bo/ho-so/{code}", srv.base)).await;
    b.find("#declaration").await;
    assert!(b.source().await.contains("/mau/to-khai.pdf"));
    b.shot("counter-birth-dossier").await;
    b.close().await;
}
