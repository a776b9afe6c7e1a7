//! The queue in a real browser (Debian's Chromium through chromedriver, as
//! in browser.rs): a citizen takes a ticket at the kiosk, the officer calls
//! the next number at the counter, and the display board, open all along on
//! a 1920×1080 screen, shows the number at that counter and the waiting
//! counts by itself (live events, no reload). Then a citizen scans a
//! receipt's QR code at the kiosk to see the dossier's progress there, and
//! the officer fills the counter intake form by scanning the ID card's QR
//! code. Screenshots go to target/browser-artifacts/.
//!
//! Without chromedriver the test says so and passes, unless
//! MOTCUA_REQUIRE_BROWSER is set (scripts/test sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

mod support;

use motcua_domain::lifecycle::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Browser, chromedriver, server, sign_in, start_driver};

const UNIT: &str = "30112";
const USERS: &[(&str, Role, &str)] = &[("tiepnhan.myhiep", Role::Receptionist, UNIT)];
/// As a 2D scanner types the QR code of a chip ID card.
const CARD: &str = "087190001234|341234567|Nguyễn Thị Bé Ba|17051990|Nữ|Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Đồng Tháp|10082021";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_ticket_is_called_at_a_counter_and_shown_on_the_board() {
    let Some(path) = chromedriver() else { return };
    let srv = server(USERS).await;
    let driver = start_driver(&path).await;
    let (services, _) = srv.store.queue().setup(UNIT).await.expect("queue");
    let service = |name: &str| {
        services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .expect("service")
    };

    // The TV's board is open before anything happens, on a full HD screen.
    let mut board = Browser::open(&driver, "board").await;
    // The page's own size, as the TV's (a window's size includes its frame).
    board
        .call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": false}}),
            ),
        )
        .await;
    board.go(&format!("{}/bang/{UNIT}", srv.base)).await;
    assert_eq!(board.text("#counter-1").await, "—");
    let civil = format!(
        "#board-waiting li[data-service='{}'] .waiting-count",
        service("Hộ tịch")
    );
    assert_eq!(board.text(&civil).await, "0");
    fills_the_screen(&board).await;
    board.shot("empty").await;

    // A citizen takes a number at the kiosk.
    let mut kiosk = Browser::open(&driver, "kiosk").await;
    kiosk.go(&format!("{}/kiosk/{UNIT}", srv.base)).await;
    kiosk.shot("services").await;
    kiosk
        .click(&format!("#service-{}", service("Hộ tịch")))
        .await;
    kiosk.wait_path(&format!("/kiosk/{UNIT}/ve/")).await;
    let first_ticket = kiosk.url().await;
    let number = kiosk.text("#ticket-number").await;
    assert_eq!(number, "1");
    assert_eq!(kiosk.text("#ticket-service").await, "Hộ tịch");
    assert_eq!(kiosk.text("#ticket-ahead").await, "0");
    kiosk.shot("ticket").await;

    // The board counts the new ticket by itself, long before it would reload.
    let taken = Instant::now();
    board.wait_text(&civil, "1").await;
    assert!(taken.elapsed() < LIVE, "live, not at the next reload");
    board.shot("waiting-1").await;

    // The officer at counter 1 calls the next number.
    let mut officer = Browser::open(&driver, "counter-panel").await;
    sign_in(&mut officer, &srv.base, "tiepnhan.myhiep").await;
    officer
        .go(&format!("{}/can-bo/quay?unit={UNIT}&quay=1", srv.base))
        .await;
    officer.click("#call-next").await;
    officer.wait_text("#current-number", &number).await;
    officer.shot("called").await;

    // The board shows it at counter 1 by itself, and nobody waits any more.
    let called = Instant::now();
    board.wait_text("#counter-1", &number).await;
    board.wait_text("#now-number", &number).await;
    assert_eq!(board.text("#now-counter").await, "1");
    board.wait_text(&civil, "0").await;
    assert!(called.elapsed() < LIVE, "live, not at the next reload");
    board.shot("called-1").await;

    // Again, at another counter: the board follows live.
    kiosk.go(&format!("{}/kiosk/{UNIT}", srv.base)).await;
    kiosk
        .click(&format!("#service-{}", service("Chứng thực")))
        .await;
    kiosk.wait_path(&format!("/kiosk/{UNIT}/ve/")).await;
    let second = kiosk.text("#ticket-number").await;
    assert_eq!(second, "2");
    officer
        .go(&format!("{}/can-bo/quay?unit={UNIT}&quay=2", srv.base))
        .await;
    officer.click("#call-next").await;
    officer.wait_text("#current-number", &second).await;
    board.wait_text("#counter-2", &second).await;
    board.wait_text("#now-counter", "2").await;
    assert_eq!(board.text("#counter-1").await, number);
    let recent = board.text("#board-recent").await;
    assert!(recent.starts_with('2'), "newest call first: {recent}");
    fills_the_screen(&board).await;
    board.shot("called-2").await;

    // The first ticket's page now says where to go.
    kiosk.go(&first_ticket).await;
    let called = kiosk.text("#ticket-called").await;
    assert!(called.ends_with("quầy số 1"), "{called}");
    kiosk.shot("ticket-called").await;

    // The receipt's QR code scanned at the kiosk: the dossier's progress on the kiosk's screen.
    let (code, key) = dossier_with_key(&srv.store).await;
    kiosk.go(&format!("{}/kiosk/{UNIT}", srv.base)).await;
    let qr = motcua_web::documents::lookup_url(&srv.base, &code, Some(&key));
    kiosk.type_in("#receipt-scan", &qr).await;
    kiosk.click("#receipt-lookup").await;
    kiosk.wait_path(&format!("/kiosk/{UNIT}/tra-cuu")).await;
    assert_eq!(kiosk.text("#lookup-status").await, "Đã tiếp nhận");
    assert!(kiosk.text("#lookup-due").await.contains('/'));
    kiosk.shot("lookup-answer").await;
    kiosk.click("#kiosk-back").await;
    kiosk.find("#receipt-scan").await;

    // The officer fills the intake form by scanning the card's QR code.
    let dossiers = srv.store.count_dossiers().await.expect("count");
    officer
        .go(&format!("{}/can-bo/tiep-nhan?thu_tuc=HT-XNHN", srv.base))
        .await;
    officer.type_in("#card-scan", CARD).await;
    officer.click("#card-fill").await;
    officer.find("#card-filled").await;
    assert_eq!(officer.value("#full_name").await, "Nguyễn Thị Bé Ba");
    assert_eq!(officer.value("#id_number").await, "087190001234");
    assert_eq!(officer.value("#date_of_birth").await, "17/05/1990");
    assert_eq!(
        officer.value("#address").await,
        "Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Đồng Tháp"
    );
    assert_eq!(
        officer.value("#card-scan").await,
        "",
        "the scan is not kept"
    );
    officer.shot("filled-from-card").await;
    // Nothing was saved by the scan.
    assert_eq!(srv.store.count_dossiers().await.expect("count"), dossiers);
    // A bad scan is explained next to the field.
    officer.type_in("#card-scan", "087190001234|").await;
    officer.click("#card-fill").await;
    officer.find("#card-scan-error").await;
    assert!(officer.text(".error-summary").await.len() > 10);
    officer.shot("bad-card").await;

    board.close().await;
    kiosk.close().await;
    officer.close().await;
}

/// Well under the board feed's 25 s hold and its 15 s reload without JavaScript.
const LIVE: Duration = Duration::from_secs(8);

/// The board uses the whole screen without scrolling, its numbers at least
/// 8% of the screen's height.
async fn fills_the_screen(b: &Browser<'_>) {
    let v: Value = b
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": r#"
                const px = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
                const board = document.getElementById('board').getBoundingClientRect();
                return {
                    w: window.innerWidth, h: window.innerHeight,
                    scroll: document.documentElement.scrollHeight,
                    board_w: board.width, board_h: board.height,
                    now: px('#now-number'), counter: px('.counter-ticket'), waiting: px('.waiting-count'),
                };"#, "args": []})),
        )
        .await;
    let n = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert_eq!((n("w"), n("h")), (1920.0, 1080.0), "{v}");
    assert!(n("scroll") <= n("h"), "no scrolling: {v}");
    assert!(
        n("board_w") > 0.9 * n("w") && n("board_h") > 0.9 * n("h"),
        "{v}"
    );
    for k in ["counter", "waiting"] {
        assert!(n(k) >= 0.08 * n("h"), "{k} at least 8vh: {v}");
    }
    assert!(n("now") >= 0.25 * n("h"), "{v}");
}

/// A dossier received at the counter, and the key printed on its receipt.
async fn dossier_with_key(store: &motcua_store::Store) -> (String, String) {
    use motcua_domain::dossier::ApplicantInput;
    use motcua_domain::lifecycle::Channel;
    use motcua_store::{Actor, DocumentRef, NewDossier};
    let officer = store
        .user_by_username("tiepnhan.myhiep")
        .await
        .expect("read")
        .expect("user");
    let new = NewDossier {
        unit_code: UNIT.into(),
        procedure_code: "HT-XNHN".into(),
        channel: Channel::Counter,
        applicant: ApplicantInput {
            full_name: "Phạm Thị Hoa".into(),
            id_number: "087190001111".into(),
            date_of_birth: "1990-01-01".into(),
            phone: "0911222333".into(),
            email: None,
            address: "Ấp 4, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
        },
        fields: json!({}),
        documents: ["to-khai", "giay-to-tuy-than"]
            .iter()
            .map(|c| DocumentRef {
                code: (*c).into(),
                upload_id: None,
                paper: true,
            })
            .collect(),
    };
    let rec = store
        .create_dossier(new, &Actor::Staff(officer), time::OffsetDateTime::now_utc())
        .await
        .expect("create");
    (rec.row.code, rec.issued_key.expect("the receipt's key"))
}
