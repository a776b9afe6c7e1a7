//! Every shipped declaration filled in a real browser (the harness in
//! support/), on each database: online by a citizen, one question per page,
//! every "yes" taken so each conditional question is asked; and at the
//! counter by an officer on one screen, every "no" taken so the conditional
//! sections stay closed. What is stored is what was asked, nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

mod support;

use motcua_domain::catalog::{DEFAULT_CATALOG_JSON, Procedure, parse_catalog};
use motcua_domain::declaration::{Answers, Declaration, Field, Kind};
use motcua_domain::lifecycle::Role;
use motcua_store::testing::databases;
use serde_json::Value;
use std::time::{Duration, Instant};
use support::{Browser, Server, chromedriver, scan, server_on, sign_in, start_driver};

const UNIT: &str = "30112";
const USERS: &[(&str, Role, &str)] = &[("tiepnhan.myhiep", Role::Receptionist, UNIT)];

/// Which way the conditional questions go.
#[derive(Clone, Copy)]
enum Branch {
    Open,
    Closed,
}

/// A plausible answer, as stored (a date as `YYYY-MM-DD`).
fn answer(f: &Field, branch: Branch) -> String {
    match &f.kind {
        Kind::Text => "Nội dung khai".into(),
        Kind::LongText => "Nội dung khai chi tiết".into(),
        Kind::Name => "Nguyễn Thị Lan".into(),
        Kind::Date { .. } => "1990-05-17".into(),
        Kind::IdNumber { .. } => "087190001234".into(),
        Kind::Phone => "0912345678".into(),
        Kind::Email => "lan@example.vn".into(),
        Kind::Address => "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
        Kind::Choice { options } => match branch {
            Branch::Open => options.first(),
            Branch::Closed => options.last(),
        }
        .map(|o| o.value.clone())
        .unwrap_or_default(),
        Kind::YesNo => match branch {
            Branch::Open => "co".into(),
            Branch::Closed => "khong".into(),
        },
        Kind::Count { min, .. } => (*min).max(1).to_string(),
    }
}

/// The answers the citizen or officer gives: to every question asked once
/// the earlier answers are known.
fn plan(decl: &Declaration, branch: Branch) -> Answers {
    let all: Answers = decl
        .fields()
        .map(|(_, f)| (f.key.clone(), answer(f, branch)))
        .collect();
    decl.asked(&all)
        .map(|f| (f.key.clone(), answer(f, branch)))
        .collect()
}

/// Give one answer in the element(s) named by `id` (`#answer` online,
/// `#d-key` at the counter) or, for radios and dates, by `name`.
async fn give(b: &mut Browser<'_>, f: &Field, value: &str, id: &str, name: &str) {
    match &f.kind {
        Kind::Date { .. } => {
            let parts: Vec<&str> = value.split('-').collect();
            for (part, v) in ["year", "month", "day"].iter().zip(parts) {
                b.type_in(&format!("input[name='{name}-{part}']"), v).await;
            }
        }
        Kind::Choice { .. } | Kind::YesNo => {
            b.click(&format!("input[name='{name}'][value='{value}']"))
                .await;
        }
        _ => b.type_in(id, value).await,
    }
}

/// The applicant's six questions, then the declaration page by page, the
/// documents (a scan for each one asked, optional ones skipped), the check.
async fn online(b: &mut Browser<'_>, base: &str, p: &Procedure, answers: &Answers) -> String {
    let decl = p.declaration.as_ref().expect("declaration");
    let files = tempfile::tempdir().expect("files");
    b.go(&format!("{base}/thu-tuc/{}", p.code)).await;
    b.click(&format!("form[action='/thu-tuc/{}/nop'] button", p.code))
        .await;
    b.wait_path("/nop/").await;
    b.click("#answer option[value='82']").await;
    b.click("button[value=next]").await;
    b.wait_path("/nop/").await;
    b.click(&format!("#answer option[value='{UNIT}']")).await;
    b.click("button[value=next]").await;
    let mut seen = 0;
    loop {
        b.wait_path("/nop/").await;
        let url = b.url().await;
        let step = url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        if step == "kiem-tra" {
            break;
        }
        seen += 1;
        assert!(seen < 200, "{}: the questions do not end", p.code);
        if let Some(key) = step.strip_prefix("to-khai-") {
            let f = decl.field(key).expect("a question of the declaration");
            let v = answers
                .get(key)
                .unwrap_or_else(|| panic!("{}: {key} asked but not planned", p.code));
            give(b, f, v, "#answer", "answer").await;
            b.click("button[value=next]").await;
        } else if step.starts_with("giay-to-") {
            if b.try_find("button[value=skip]").await.is_some() {
                b.click("button[value=skip]").await;
            } else {
                let file = scan(files.path(), &format!("{step}.pdf"));
                b.attach("input[type=file]", &file).await;
                b.click("button[value=next]").await;
            }
        } else {
            let typed = match step.as_str() {
                "ho-ten" => "Nguyễn Thị Lan",
                "so-dinh-danh" => "087190001234",
                "ngay-sinh" => "17/05/1990",
                "dien-thoai" => "0912 345 678",
                "dia-chi" => "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp",
                _ => "",
            };
            if !typed.is_empty() {
                b.type_in("#answer", typed).await;
            }
            b.click("button[value=next]").await;
        }
        // The next page, or the same one again with its error summary.
        let deadline = Instant::now() + Duration::from_secs(15);
        while b.url().await == url && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if b.url().await == url {
            b.shot(&format!("stuck-{}", p.code)).await;
            panic!("{}: stuck on {step}:\n{}", p.code, b.source().await);
        }
    }
    b.find("dl.summary").await;
    b.click("form[action$='/gui'] button").await;
    b.text("#dossier-code").await
}

/// The counter's one screen: the applicant, every question asked, the
/// other papers checked.
async fn counter(b: &mut Browser<'_>, base: &str, p: &Procedure, answers: &Answers) -> String {
    let decl = p.declaration.as_ref().expect("declaration");
    b.go(&format!("{base}/can-bo/tiep-nhan?thu_tuc={}", p.code))
        .await;
    b.find("#declaration").await;
    for (id, value) in [
        ("#full_name", "Nguyễn Thị Lan"),
        ("#id_number", "087190001234"),
        ("#date_of_birth", "17/05/1990"),
        ("#phone", "0912345678"),
        ("#address", "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp"),
    ] {
        b.type_in(id, value).await;
    }
    for (_, f) in decl.fields() {
        if let Some(v) = answers.get(&f.key) {
            let (id, name) = (format!("#d-{}", f.key), format!("d:{}", f.key));
            give(b, f, v, &id, &name).await;
        }
    }
    let declared = p.declaration_document().map(|d| d.code.clone());
    for d in p.required_documents() {
        if Some(&d.code) != declared.as_ref() {
            b.click(&format!("#paper-{}", d.code)).await;
        }
    }
    b.click("#intake-submit").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !b.url().await.contains("/can-bo/ho-so/") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !b.url().await.contains("/can-bo/ho-so/") {
        b.shot(&format!("refused-{}", p.code)).await;
        panic!("{}: refused at the counter:\n{}", p.code, b.source().await);
    }
    b.text("#receipt-code").await
}

/// The stored answers are exactly those planned.
async fn stored(srv: &Server, code: &str, p: &Procedure, answers: &Answers) {
    let row = srv
        .store
        .dossier_row(code)
        .await
        .expect("read")
        .expect("dossier");
    let fields: Value = serde_json::from_str(&row.fields).expect("fields");
    let got: Answers = fields
        .as_object()
        .expect("answers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(&got, answers, "{}", p.code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_declaration_is_filled_online_and_at_the_counter() {
    let Some(path) = chromedriver() else { return };
    let catalog = parse_catalog(DEFAULT_CATALOG_JSON).expect("catalog");
    let declared: Vec<&Procedure> = catalog.iter().filter(|p| p.declaration.is_some()).collect();
    assert!(declared.len() >= 10, "{}", declared.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let driver = start_driver(&path).await;
    for (n, db) in databases(dir.path()).await.expect("dbs").iter().enumerate() {
        let srv = server_on(db, USERS).await;
        let mut citizen = Browser::open(&driver, &format!("declare-db{n}")).await;
        let mut officer = Browser::open(&driver, &format!("counter-db{n}")).await;
        sign_in(&mut officer, &srv.base, "tiepnhan.myhiep").await;
        let mut branched = 0;
        for p in &declared {
            let decl = p.declaration.as_ref().expect("declaration");
            let open = plan(decl, Branch::Open);
            let code = online(&mut citizen, &srv.base, p, &open).await;
            stored(&srv, &code, p, &open).await;
            let closed = plan(decl, Branch::Closed);
            if closed.len() < open.len() {
                branched += 1;
            }
            let code = counter(&mut officer, &srv.base, p, &closed).await;
            stored(&srv, &code, p, &closed).await;
        }
        assert!(branched >= 5, "the other way asks less: {branched}");
        citizen.close().await;
        officer.close().await;
    }
}
