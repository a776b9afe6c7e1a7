//! Every main page checked by axe-core in a real browser (the harness in
//! support/): the citizen's, the kiosk's and board's, the officers' and the
//! supervisor's. A rule axe finds broken fails the test with the page, the
//! rule and the elements.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

mod support;

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser};
use support::{Browser, chromedriver, server, sign_in, start_driver};
use time::OffsetDateTime;

const UNIT: &str = "30112";
const USERS: &[(&str, Role, &str)] = &[
    ("tiepnhan.myhiep", Role::Receptionist, UNIT),
    ("lanhdao.myhiep", Role::Leader, UNIT),
];

/// Open `url` and keep what axe says about it.
async fn check(b: &mut Browser<'_>, url: &str, found: &mut Vec<String>) {
    b.go(url).await;
    b.find("body").await;
    for v in b.axe().await {
        found.push(format!("{url} — {v}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_passes_axe() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let base = srv.base.clone();
    srv.store
        .create_user(
            &NewUser {
                username: "giamsat.dongthap".into(),
                full_name: "Giám sát Đồng Tháp".into(),
                password_hash: support::password_hash().into(),
                roles: vec![Role::ProvinceSupervisor],
                units: Vec::new(),
                province_code: Some("82".into()),
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("supervisor");
    let receptionist = srv
        .store
        .user_by_username("tiepnhan.myhiep")
        .await
        .expect("read")
        .expect("user");
    let rec = srv
        .store
        .create_dossier(
            NewDossier {
                unit_code: UNIT.into(),
                procedure_code: "HT-XNHN".into(),
                channel: Channel::Counter,
                applicant: ApplicantInput {
                    full_name: "Trần Thị Mai".into(),
                    id_number: "087188001234".into(),
                    date_of_birth: "1988-04-12".into(),
                    phone: "0912345678".into(),
                    email: None,
                    address: "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
                },
                fields: serde_json::json!({}),
                documents: ["to-khai", "giay-to-tuy-than"]
                    .iter()
                    .map(|c| DocumentRef {
                        code: (*c).into(),
                        upload_id: None,
                        paper: true,
                    })
                    .collect(),
            },
            &Actor::Staff(receptionist),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("dossier");
    let code = rec.row.code.clone();
    let mut found = Vec::new();
    let mut b = Browser::open(&driver, "axe").await;
    // The checker itself finds a broken rule: an image without a text.
    b.go(&format!("{base}/")).await;
    b.find("body").await;
    b.script("document.body.appendChild(document.createElement('img'))")
        .await;
    let broken = b.axe().await;
    assert!(
        broken.iter().any(|v| v.starts_with("image-alt")),
        "{broken:?}"
    );
    for page in [
        "/",
        "/?q=khai+sinh",
        "/thu-tuc/HT-KS",
        "/tra-cuu",
        "/tra-cuu?code=&key=",
        "/tra-cuu?code=30112-260101-9999&key=AAAAAAAAAA",
        "/dang-nhap",
        "/khong-co-trang-nay",
        "/phan-anh",
        "/kiosk/30112",
        "/bang/30112",
    ] {
        check(&mut b, &format!("{base}{page}"), &mut found).await;
    }
    // The online flow: a choice, a text question with its error.
    b.go(&format!("{base}/thu-tuc/HT-KS")).await;
    b.click("form[action='/thu-tuc/HT-KS/nop'] button").await;
    b.wait_path("/nop/").await;
    let first = b.url().await;
    check(&mut b, &first, &mut found).await;
    b.click("#answer option[value='82']").await;
    b.click("button[value=next]").await;
    b.wait_path("/nop/").await;
    b.click(&format!("#answer option[value='{UNIT}']")).await;
    b.click("button[value=next]").await;
    // The name question, sent empty: the page comes back with its error.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !b.url().await.ends_with("/ho-ten") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.click("button[value=next]").await;
    b.find(".error-summary").await;
    for v in b.axe().await {
        found.push(format!("question with an error — {v}"));
    }
    // The officers.
    sign_in(&mut b, &base, "tiepnhan.myhiep").await;
    for page in [
        "/can-bo".to_string(),
        "/can-bo?q=tat-ca&tim=tran".to_string(),
        "/can-bo/tiep-nhan?thu_tuc=HT-KS".to_string(),
        format!("/can-bo/ho-so/{code}"),
        format!("/can-bo/ho-so/{code}/bien-nhan"),
    ] {
        check(&mut b, &format!("{base}{page}"), &mut found).await;
    }
    sign_in(&mut b, &base, "giamsat.dongthap").await;
    for page in ["/giam-sat/chi-so", &format!("/giam-sat/chi-so/{UNIT}")] {
        check(&mut b, &format!("{base}{page}"), &mut found).await;
    }
    b.close().await;
    assert!(found.is_empty(), "axe:\n{}", found.join("\n"));
}
