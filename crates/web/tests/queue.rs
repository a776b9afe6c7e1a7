//! The queue over real HTTP, as a browser without JavaScript uses it (and
//! as the board's EventSource reads its feed): the kiosk, the ticket page,
//! the officer's counter panel, the board and its event stream, the card
//! scan on the counter intake form, appointments and the figures. Runs on
//! every test database (SQLite always, PostgreSQL when
//! `MOTCUA_TEST_POSTGRES` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser, Store};
use motcua_web::AppState;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use std::sync::OnceLock;
use time::OffsetDateTime;
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp
const OTHER_UNIT: &str = "28261";
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";
const CARD: &str = "087190001234|341234567|Nguyễn Thị Bé Ba|17051990|Nữ|Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Đồng Tháp|10082021";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

async fn add_user(store: &Store, username: &str, role: Role, unit: &str) {
    let new = NewUser {
        username: username.into(),
        full_name: format!("Cán bộ {username}"),
        password_hash: password_hash().into(),
        roles: vec![role],
        units: vec![unit.into()],
        province_code: None,
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("create user");
}

struct Env {
    store: Store,
    base: String,
    http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

struct Envs {
    list: Vec<Env>,
    _dir: tempfile::TempDir,
}

async fn envs() -> Envs {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut list = Vec::new();
    for db in databases(dir.path()).await.expect("test databases") {
        let store = open_seeded(&db).await.expect("seeded store");
        add_user(&store, "tiepnhan.myhiep", Role::Receptionist, UNIT).await;
        add_user(&store, "chuyenvien.myhiep", Role::Specialist, UNIT).await;
        add_user(&store, "quantri.myhiep", Role::UnitAdmin, UNIT).await;
        add_user(&store, "tiepnhan.mytho", Role::Receptionist, OTHER_UNIT).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store.clone());
        tokio::spawn(motcua_web::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        list.push(Env {
            store,
            base,
            http,
            _stop: stop,
        });
    }
    Envs { list, _dir: dir }
}

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn location(&self) -> &str {
        self.header(LOCATION.as_str())
    }
    fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
    fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

impl Env {
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request");
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }
    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn post_form(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    /// A multipart form of text fields, as the intake form posts.
    async fn post_multipart(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Resp {
        let boundary = "----motcua-queue-test-3f9a";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(req).await
    }
    async fn login(&self, username: &str) -> String {
        let r = self
            .post_form(
                "/dang-nhap",
                None,
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/can-bo"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let set = r.header(SET_COOKIE.as_str()).to_string();
        set.split(';').next().expect("cookie").trim().to_string()
    }
    async fn service(&self, unit: &str, name: &str) -> i64 {
        let (services, _) = self.store.queue().setup(unit).await.expect("setup");
        services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .expect("service")
    }
    /// Take a ticket at the kiosk; returns the ticket page's path.
    async fn take(&self, unit: &str, service: i64, phone: &str) -> String {
        let r = self
            .post_form(
                &format!("/kiosk/{unit}/ve"),
                None,
                &[("service", &service.to_string()), ("phone", phone)],
            )
            .await;
        r.expect(303);
        assert!(
            r.location().starts_with(&format!("/kiosk/{unit}/ve/")),
            "{}",
            r.location()
        );
        r.location().to_string()
    }
}

/// The text of the element with `id` (its first text, tags stripped).
fn text_of(body: &str, id: &str) -> String {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[start..];
    let open = rest.find('>').expect("tag end") + 1;
    let close = rest[open..].find("</").expect("close") + open;
    rest[open..close].trim().to_string()
}

/// Server-sent events as (id, event, data).
fn events(body: &str) -> Vec<(String, String, serde_json::Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut id = String::new();
            let mut event = String::new();
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.to_string();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    event = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).ok();
                }
            }
            data.map(|d| (id, event, d))
        })
        .collect()
}

#[tokio::test]
async fn a_citizen_takes_a_ticket_at_the_kiosk() {
    let envs = envs().await;
    for env in &envs.list {
        let kiosk = env.get(&format!("/kiosk/{UNIT}"), None).await;
        kiosk.expect(200);
        assert!(
            kiosk
                .header("content-security-policy")
                .contains("script-src 'self'")
        );
        for text in [
            "Hộ tịch",
            "Chứng thực",
            "Cư trú và khác",
            "Xã Mỹ Hiệp",
            "id=\"phone\"",
        ] {
            assert!(kiosk.has(text), "{text}");
        }
        let ho_tich = env.service(UNIT, "Hộ tịch").await;
        let first = env.take(UNIT, ho_tich, "").await;
        let second = env.take(UNIT, ho_tich, "0912 345 678").await;
        let page = env.get(&first, None).await;
        page.expect(200);
        assert_eq!(text_of(&page.body, "ticket-number"), "1");
        assert_eq!(text_of(&page.body, "ticket-service"), "Hộ tịch");
        assert_eq!(text_of(&page.body, "ticket-ahead"), "0");
        let page = env.get(&second, None).await;
        assert_eq!(text_of(&page.body, "ticket-number"), "2");
        assert_eq!(text_of(&page.body, "ticket-ahead"), "1");
        // One person ahead, 6 minutes each by default, over the 2 counters serving civil status.
        assert_eq!(text_of(&page.body, "ticket-wait"), "3");
        assert!(page.has("nhắn tin"), "the phone was taken for a message");
        // The kiosk counts who waits.
        let kiosk = env.get(&format!("/kiosk/{UNIT}"), None).await;
        assert!(kiosk.has("2 người đang chờ"), "{}", kiosk.body);
        // Printing on an 80 mm thermal printer: the ticket's own print layout.
        let css = env.get("/static/app.css", None).await;
        assert!(css.has("@page ticket{size:80mm") && css.has(".ticket{page:ticket"));
        let printing = env.get(&format!("{first}?in=1"), None).await;
        assert!(printing.has("data-autoprint=\"1\"") && printing.has("/static/kiosk.js"));
        env.get("/static/kiosk.js", None).await.expect(200);
        // Mistakes are explained on the kiosk page, nothing is issued.
        let r = env
            .post_form(
                &format!("/kiosk/{UNIT}/ve"),
                None,
                &[("service", &ho_tich.to_string()), ("phone", "12345")],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#phone\"") && r.has("value=\"12345\""));
        let r = env
            .post_form(&format!("/kiosk/{UNIT}/ve"), None, &[("phone", "")])
            .await;
        r.expect(422);
        assert!(r.has("Hãy chạm vào một dịch vụ"));
        let other_service = env.service(OTHER_UNIT, "Hộ tịch").await;
        env.post_form(
            &format!("/kiosk/{UNIT}/ve"),
            None,
            &[("service", &other_service.to_string())],
        )
        .await
        .expect(422);
        let third = env.take(UNIT, ho_tich, "").await;
        assert_eq!(
            text_of(&env.get(&third, None).await.body, "ticket-number"),
            "3",
            "refused tickets used no number"
        );
        // Unknown units and tickets, or a ticket under another unit, are not found.
        env.get("/kiosk/99999", None).await.expect(404);
        env.get(&format!("/kiosk/{UNIT}/ve/NOSUCHTICKET"), None)
            .await
            .expect(404);
        let token = first.rsplit('/').next().expect("token");
        env.get(&format!("/kiosk/{OTHER_UNIT}/ve/{token}"), None)
            .await
            .expect(404);
    }
}

#[tokio::test]
async fn the_officer_calls_numbers_and_the_board_shows_them() {
    let envs = envs().await;
    for env in &envs.list {
        let ho_tich = env.service(UNIT, "Hộ tịch").await;
        let cu_tru = env.service(UNIT, "Cư trú và khác").await;
        let t1 = env.take(UNIT, ho_tich, "0912345678").await;
        env.take(UNIT, ho_tich, "").await;
        // Not signed in: to the sign-in page and back.
        let r = env.get("/can-bo/quay", None).await;
        r.expect(303);
        assert!(r.location().starts_with("/dang-nhap?next=/can-bo/quay"));
        let cookie = env.login("tiepnhan.myhiep").await;
        let r = env.get("/can-bo/quay", Some(&cookie)).await;
        r.expect(200);
        assert!(r.has("id=\"quay\"") && r.has("Quầy 4 · Đa năng"));
        let panel = format!("/can-bo/quay?unit={UNIT}&quay=1");
        let r = env.get(&panel, Some(&cookie)).await;
        r.expect(200);
        assert!(r.has("id=\"no-current\"") && r.has("id=\"call-next\""));
        assert_eq!(text_of(&r.body, "waiting-total"), "2");
        // Call next: number 1 to counter 1, shown on the panel and the board.
        let call = |quay: &'static str| {
            let cookie = cookie.clone();
            async move {
                env.post_form(
                    "/can-bo/quay",
                    Some(&cookie),
                    &[("unit", UNIT), ("quay", quay), ("go", "call")],
                )
                .await
            }
        };
        let r = call("1").await;
        r.expect(303);
        assert_eq!(
            r.location(),
            format!("/can-bo/quay?unit={UNIT}&quay=1&ok=call&so=1")
        );
        let r = env.get(r.location(), Some(&cookie)).await;
        assert_eq!(text_of(&r.body, "current-number"), "1");
        assert_eq!(text_of(&r.body, "notice"), "Đã mời số 1 đến quầy số 1.");
        assert!(r.has("href=\"tel:0912345678\""));
        assert!(r.has(&format!("href=\"/can-bo/tiep-nhan?unit={UNIT}\"")));
        let board = env.get(&format!("/bang/{UNIT}"), None).await;
        board.expect(200);
        assert_eq!(text_of(&board.body, "counter-1"), "1");
        assert_eq!(text_of(&board.body, "now-number"), "1");
        assert_eq!(
            text_of(&board.body, "now-words"),
            "Mời công dân số 1 đến quầy số 1"
        );
        assert!(board.has("<noscript><meta http-equiv=\"refresh\" content=\"15\"></noscript>"));
        assert!(board.has("/static/board.js") && board.has("data-after=\"1~"));
        env.get("/static/board.js", None).await.expect(200);
        // The ticket page tells the citizen where to go.
        let page = env.get(&t1, None).await;
        assert!(text_of(&page.body, "ticket-called").contains("quầy số 1"));
        // Counter 4 calls: number 2; counter 1's ticket is not counter 4's to act on.
        let r = call("4").await;
        assert!(
            r.location().ends_with("&quay=4&ok=call&so=2"),
            "{}",
            r.location()
        );
        let ticket_id = {
            let t = env
                .store
                .queue()
                .tickets(
                    UNIT,
                    OffsetDateTime::now_utc()
                        .to_offset(time::macros::offset!(+7))
                        .date(),
                    &[],
                )
                .await
                .expect("tickets");
            t[0].id.to_string()
        };
        let act = |quay: &'static str, go: &'static str, extra: Vec<(&'static str, String)>| {
            let cookie = cookie.clone();
            let ticket_id = ticket_id.clone();
            async move {
                let mut form: Vec<(&str, String)> = vec![
                    ("unit", UNIT.to_string()),
                    ("quay", quay.to_string()),
                    ("ticket", ticket_id),
                    ("go", go.to_string()),
                ];
                form.extend(extra);
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                env.post_form("/can-bo/quay", Some(&cookie), &pairs).await
            }
        };
        let r = act("4", "finish", vec![]).await;
        r.expect(409);
        assert!(r.has("Số này vừa thay đổi"));
        // Recall, start, hold, resume, link (bad code), transfer.
        for go in ["recall", "start", "hold", "resume"] {
            let r = act("1", go, vec![]).await;
            r.expect(303);
            assert!(
                r.location().contains(&format!("ok={go}")),
                "{go}: {}",
                r.location()
            );
        }
        let r = act("1", "link", vec![("dossier_code", "abc".into())]).await;
        r.expect(422);
        assert!(r.has("href=\"#dossier-code\"") && r.has("value=\"abc\""));
        let r = act(
            "1",
            "transfer",
            vec![
                ("service", cu_tru.to_string()),
                ("to_counter", String::new()),
            ],
        )
        .await;
        r.expect(303);
        // Counter 3 (residence) gets it first.
        let r = call("3").await;
        assert!(r.location().ends_with("ok=call&so=1"), "{}", r.location());
        let board = env.get(&format!("/bang/{UNIT}"), None).await;
        assert_eq!(text_of(&board.body, "counter-3"), "1");
        assert_eq!(text_of(&board.body, "counter-4"), "2");
        // Nobody left for counter 2.
        let r = call("2").await;
        assert!(r.location().ends_with("ok=empty"), "{}", r.location());
        let r = env.get(r.location(), Some(&cookie)).await;
        assert!(r.has("Không còn ai chờ"));
        // No counter chosen: said so.
        let r = env
            .post_form(
                "/can-bo/quay",
                Some(&cookie),
                &[("unit", UNIT), ("go", "call")],
            )
            .await;
        r.expect(422);
        assert!(r.has("Hãy chọn quầy"));
        // A specialist, or a receptionist of another unit, does not call here.
        let specialist = env.login("chuyenvien.myhiep").await;
        env.get(&panel, Some(&specialist)).await.expect(403);
        let other = env.login("tiepnhan.mytho").await;
        let r = env
            .post_form(
                "/can-bo/quay",
                Some(&other),
                &[("unit", UNIT), ("quay", "1"), ("go", "call")],
            )
            .await;
        r.expect(403);
        env.get("/bang/99999", None).await.expect(404);
        // The figures count today's tickets.
        let r = env.get("/can-bo/thong-ke-quay", Some(&cookie)).await;
        r.expect(200);
        assert!(r.has("id=\"by-service\"") && r.has("Hộ tịch") && r.has("Quầy 4"));
        env.get(
            &format!("/can-bo/thong-ke-quay?unit={OTHER_UNIT}"),
            Some(&cookie),
        )
        .await
        .expect(403);
    }
}

#[tokio::test]
async fn the_board_stream_sends_each_call_once_in_order_and_resumes() {
    let envs = envs().await;
    for env in &envs.list {
        let s = env.service(UNIT, "Chứng thực").await;
        for _ in 0..4 {
            env.take(UNIT, s, "").await;
        }
        let cookie = env.login("tiepnhan.myhiep").await;
        for _ in 0..3 {
            env.post_form(
                "/can-bo/quay",
                Some(&cookie),
                &[("unit", UNIT), ("quay", "2"), ("go", "call")],
            )
            .await
            .expect(303);
        }
        let r = env
            .get(&format!("/bang/{UNIT}/su-kien?after=0"), None)
            .await;
        r.expect(200);
        assert!(r.header("content-type").starts_with("text/event-stream"));
        assert!(r.body.starts_with("retry: "));
        let mut got = events(&r.body);
        // Each answer ends with the waiting counts, after the calls.
        let (id, event, counts) = got.pop().expect("the counts");
        assert_eq!(event, "waiting");
        assert_eq!(id, "3~0.1.0", "the last call and the counts");
        assert_eq!(waiting_of(&counts, s), 1);
        let ids: Vec<&str> = got.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"], "{}", r.body);
        for (i, (_, event, data)) in got.iter().enumerate() {
            assert_eq!(event, "call");
            assert_eq!(data["number"], i as i64 + 1);
            assert_eq!(data["counter"], 2);
            assert_eq!(
                data["say"],
                format!("Mời công dân số {} đến quầy số 2", i + 1)
            );
        }
        // A reconnecting EventSource sends the last id it saw.
        let r = env
            .send(
                env.http
                    .get(format!("{}/bang/{UNIT}/su-kien?after=0", env.base))
                    .header("Last-Event-ID", "1"),
            )
            .await;
        let ids: Vec<String> = events(&r.body).into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(ids, ["2", "3", "3~0.1.0"]);
        // Live: a board waiting after the last call gets the next one when it is made.
        let waiting = {
            let http = env.http.clone();
            let url = format!("{}/bang/{UNIT}/su-kien?after=3", env.base);
            tokio::spawn(async move {
                http.get(url)
                    .send()
                    .await
                    .expect("stream")
                    .text()
                    .await
                    .expect("body")
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        env.post_form(
            "/can-bo/quay",
            Some(&cookie),
            &[("unit", UNIT), ("quay", "4"), ("go", "call")],
        )
        .await
        .expect(303);
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("in time")
            .expect("task");
        let got = events(&body);
        assert_eq!(got.len(), 2, "{body}");
        assert_eq!(got[0].0, "4");
        assert_eq!(got[0].2["number"], 4);
        assert_eq!(got[0].2["counter"], 4);
        assert_eq!(
            (got[1].0.as_str(), got[1].1.as_str()),
            ("4~0.0.0", "waiting")
        );
        env.get("/bang/99999/su-kien", None).await.expect(404);
    }
}

#[tokio::test]
async fn scanning_an_id_card_fills_the_counter_intake_form() {
    let envs = envs().await;
    for env in &envs.list {
        let cookie = env.login("tiepnhan.myhiep").await;
        let form = env.get("/can-bo/tiep-nhan", Some(&cookie)).await;
        form.expect(200);
        assert!(form.has("id=\"card-scan\"") && form.has("id=\"card-fill\""));
        let before = env.store.count_dossiers().await.expect("count");
        let r = env
            .post_multipart(
                "/can-bo/tiep-nhan",
                &cookie,
                &[
                    ("unit", UNIT),
                    ("procedure", "HT-XNHN"),
                    ("phone", "0912345678"),
                    ("card_scan", &format!("{CARD}\n")),
                    ("go", "scan"),
                ],
            )
            .await;
        r.expect(200);
        for value in [
            "value=\"Nguyễn Thị Bé Ba\"",
            "value=\"087190001234\"",
            "value=\"17/05/1990\"",
            "value=\"Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Đồng Tháp\"",
            "value=\"0912345678\"",
            "id=\"card-filled\"",
            "id=\"chosen-procedure\"",
        ] {
            assert!(r.has(value), "{value}: {}", r.body);
        }
        assert_eq!(
            env.store.count_dossiers().await.expect("count"),
            before,
            "nothing saved by a scan"
        );
        // A card that cannot be read: said clearly, linked to the field, text kept.
        for (raw, message) in [("087190001234|341234567", "card"), ("", "Hãy quét mã QR")] {
            let r = env
                .post_multipart(
                    "/can-bo/tiep-nhan",
                    &cookie,
                    &[("unit", UNIT), ("card_scan", raw), ("go", "scan")],
                )
                .await;
            r.expect(422);
            assert!(
                r.has("href=\"#card-scan\"") && r.has("id=\"card-scan-error\""),
                "{}",
                r.body
            );
            if message != "card" {
                assert!(r.has(message), "{}", r.body);
            } else {
                assert!(r.has(&format!(">{raw}</textarea>")), "{}", r.body);
            }
        }
    }
}

#[tokio::test]
async fn the_kiosk_reads_a_card_and_books_and_checks_in_appointments() {
    let envs = envs().await;
    for env in &envs.list {
        let r = env
            .post_form(&format!("/kiosk/{UNIT}/the"), None, &[("card", CARD)])
            .await;
        r.expect(200);
        assert!(r.has("id=\"card-data\"") && r.has("Nguyễn Thị Bé Ba") && r.has("17/05/1990"));
        assert!(!r.has(CARD), "the card's text is not kept on the page");
        let r = env
            .post_form(&format!("/kiosk/{UNIT}/the"), None, &[("card", "xin chào")])
            .await;
        r.expect(422);
        assert!(r.has("href=\"#kiosk-card\""));
        // Book the first time of the last day offered, through the form.
        let s = env.service(UNIT, "Chứng thực").await;
        let r = env
            .get(&format!("/dat-lich/{UNIT}?service={s}"), None)
            .await;
        r.expect(200);
        let day = {
            let marker = "<option value=\"20";
            let last = r.body.rfind(marker).expect("a day") + "<option value=\"".len();
            r.body[last..last + 10].to_string()
        };
        let r = env
            .post_form(
                &format!("/dat-lich/{UNIT}"),
                None,
                &[("service", &s.to_string()), ("day", &day), ("go", "show")],
            )
            .await;
        r.expect(200);
        assert!(r.has("name=\"slot\" value=\"07:30\""), "{}", r.body);
        let r = env
            .post_form(
                &format!("/dat-lich/{UNIT}"),
                None,
                &[
                    ("service", &s.to_string()),
                    ("day", &day),
                    ("slot", "07:30"),
                    ("full_name", ""),
                    ("go", "book"),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#full_name\""));
        let r = env
            .post_form(
                &format!("/dat-lich/{UNIT}"),
                None,
                &[
                    ("service", &s.to_string()),
                    ("day", &day),
                    ("slot", "07:30"),
                    ("full_name", "Lê Văn Tám"),
                    ("phone", "0912345678"),
                    ("go", "book"),
                ],
            )
            .await;
        r.expect(303);
        let page = env.get(r.location(), None).await;
        page.expect(200);
        let code = text_of(&page.body, "appointment-code");
        assert_eq!(code.len(), 6);
        assert!(text_of(&page.body, "appointment-when").ends_with("07:30"));
        assert!(!page.has("Lê Văn Tám"), "the name is masked");
        // At the kiosk on another day: told when to come.
        let r = env
            .post_form(&format!("/kiosk/{UNIT}/hen"), None, &[("code", &code)])
            .await;
        r.expect(422);
        assert!(r.has("Lịch hẹn này vào ngày") && r.has("href=\"#appointment-code\""));
        let r = env
            .post_form(&format!("/kiosk/{UNIT}/hen"), None, &[("code", "")])
            .await;
        r.expect(422);
        env.get(&format!("/dat-lich/{UNIT}/ZZZZZZ"), None)
            .await
            .expect(404);
    }
}

#[tokio::test]
async fn a_unit_admin_sets_up_counters_and_services() {
    let envs = envs().await;
    for env in &envs.list {
        let admin = env.login("quantri.myhiep").await;
        let r = env
            .get(&format!("/can-bo/quay/cau-hinh?unit={UNIT}"), Some(&admin))
            .await;
        r.expect(200);
        assert!(r.has("id=\"counter-form-4\"") && r.has("value=\"5\""));
        let chung_thuc = env.service(UNIT, "Chứng thực").await.to_string();
        let r = env
            .post_form(
                "/can-bo/quay/cau-hinh",
                Some(&admin),
                &[
                    ("unit", UNIT),
                    ("number", "5"),
                    ("name", "Quầy 5 · Chứng thực nhanh"),
                    ("service", &chung_thuc),
                    ("active", "1"),
                    ("go", "counter"),
                ],
            )
            .await;
        r.expect(303);
        let counters = env.store.queue().counters(UNIT).await.expect("counters");
        let five = counters.iter().find(|k| k.number == 5).expect("counter 5");
        assert_eq!(five.name, "Quầy 5 · Chứng thực nhanh");
        assert_eq!(five.services, vec![chung_thuc.parse::<i64>().expect("id")]);
        // The new counter calls at once.
        let cookie = env.login("tiepnhan.myhiep").await;
        let r = env
            .get(&format!("/can-bo/quay?unit={UNIT}&quay=5"), Some(&cookie))
            .await;
        assert!(r.has("Quầy 5 · Chứng thực nhanh"));
        assert!(!r.has("id=\"setup-link\""), "only unit admins set up");
        // A new service shows on the kiosk.
        let r = env
            .post_form(
                "/can-bo/quay/cau-hinh",
                Some(&admin),
                &[
                    ("unit", UNIT),
                    ("name", "Đất đai"),
                    ("field", "Hoạt động xây dựng"),
                    ("active", "1"),
                    ("go", "service"),
                ],
            )
            .await;
        r.expect(303);
        assert!(
            env.get(&format!("/kiosk/{UNIT}"), None)
                .await
                .has("Đất đai")
        );
        // Mistakes and other people.
        let r = env
            .post_form(
                "/can-bo/quay/cau-hinh",
                Some(&admin),
                &[
                    ("unit", UNIT),
                    ("number", "6"),
                    ("name", ""),
                    ("go", "counter"),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("Tên quầy"));
        env.get(&format!("/can-bo/quay/cau-hinh?unit={UNIT}"), Some(&cookie))
            .await
            .expect(403);
        env.post_form(
            "/can-bo/quay/cau-hinh",
            Some(&cookie),
            &[
                ("unit", UNIT),
                ("number", "7"),
                ("name", "X"),
                ("go", "counter"),
            ],
        )
        .await
        .expect(403);
        assert_eq!(
            env.store
                .queue()
                .counters(UNIT)
                .await
                .expect("counters")
                .len(),
            5
        );
    }
}

/// The waiting count of a service in a `waiting` event's data.
fn waiting_of(data: &serde_json::Value, service: i64) -> i64 {
    data.as_array()
        .expect("list")
        .iter()
        .find(|w| w["service"] == service)
        .and_then(|w| w["waiting"].as_i64())
        .expect("service in the counts")
}

/// Read the board's feed in the background, as its EventSource does.
fn listen(env: &Env, last_event_id: &str) -> tokio::task::JoinHandle<String> {
    let req = env
        .http
        .get(format!("{}/bang/{UNIT}/su-kien", env.base))
        .header("Last-Event-ID", last_event_id);
    tokio::spawn(async move {
        req.send()
            .await
            .expect("stream")
            .text()
            .await
            .expect("body")
    })
}

/// Well under the feed's 25 s hold: an answer this soon was woken by the change.
const LIVE: std::time::Duration = std::time::Duration::from_secs(8);

#[tokio::test]
async fn the_board_stream_sends_waiting_counts_as_tickets_are_taken_and_called() {
    let envs = envs().await;
    for env in &envs.list {
        let s = env.service(UNIT, "Hộ tịch").await;
        // The page says where its feed starts: no call yet, the counts shown.
        let board = env.get(&format!("/bang/{UNIT}"), None).await;
        board.expect(200);
        assert!(board.has("<noscript><meta http-equiv=\"refresh\" content=\"15\"></noscript>"));
        let start = board
            .body
            .split("data-after=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("data-after")
            .to_string();
        assert_eq!(start, "0~0.0.0");

        // A ticket taken while the board waits: the counts come at once.
        let feed = listen(env, &start);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        env.take(UNIT, s, "").await;
        let body = tokio::time::timeout(LIVE, feed)
            .await
            .expect("woken by the ticket")
            .expect("task");
        let got = events(&body);
        assert_eq!(got.len(), 1, "{body}");
        let (id, event, data) = &got[0];
        assert_eq!(event, "waiting");
        assert_eq!(waiting_of(data, s), 1);
        assert!(id.starts_with("0~") && *id != start, "{id}");
        let seen = id.clone();

        // A board that reconnects showing old counts gets the new ones at once.
        let body = tokio::time::timeout(LIVE, listen(env, &start))
            .await
            .expect("answered at once")
            .expect("task");
        let got = events(&body);
        assert_eq!(got.len(), 1, "{body}");
        assert_eq!(got[0].0, seen);

        // A call: the call, then the counts without the called ticket.
        let feed = listen(env, &seen);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let cookie = env.login("tiepnhan.myhiep").await;
        env.post_form(
            "/can-bo/quay",
            Some(&cookie),
            &[("unit", UNIT), ("quay", "1"), ("go", "call")],
        )
        .await
        .expect(303);
        let body = tokio::time::timeout(LIVE, feed)
            .await
            .expect("woken by the call")
            .expect("task");
        let got = events(&body);
        let kinds: Vec<&str> = got.iter().map(|(_, e, _)| e.as_str()).collect();
        assert_eq!(kinds, ["call", "waiting"], "{body}");
        assert_eq!(got[0].0, "1");
        assert_eq!(waiting_of(&got[1].2, s), 0);
        assert_eq!(got[1].0, "1~0.0.0");
    }
}

/// A dossier received at the counter of the unit, and the key on its receipt.
async fn dossier_with_key(env: &Env) -> (String, String) {
    let officer = env
        .store
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
        fields: serde_json::json!({}),
        documents: ["to-khai", "giay-to-tuy-than"]
            .iter()
            .map(|c| DocumentRef {
                code: (*c).into(),
                upload_id: None,
                paper: true,
            })
            .collect(),
    };
    let rec = env
        .store
        .create_dossier(new, &Actor::Staff(officer), OffsetDateTime::now_utc())
        .await
        .expect("create");
    (rec.row.code, rec.issued_key.expect("the receipt's key"))
}

#[tokio::test]
async fn the_kiosk_looks_a_dossier_up_on_its_own_screen() {
    let envs = envs().await;
    for env in &envs.list {
        let (code, key) = dossier_with_key(env).await;
        let path = format!("/kiosk/{UNIT}/tra-cuu");
        // The kiosk's home sends the lookup to the kiosk, not to the public site.
        let home = env.get(&format!("/kiosk/{UNIT}"), None).await;
        assert!(
            home.has(&format!("action=\"{path}\"")),
            "the home's lookup form stays on the kiosk"
        );
        assert!(!home.has("action=\"/tra-cuu\""));
        let form = env.get(&path, None).await;
        form.expect(200);
        assert!(form.has("id=\"lookup-code\"") && form.has("id=\"lookup-key\""));

        // The right code and key: the status and due date, worded as the public page.
        let public = env
            .get(&format!("/tra-cuu?code={code}&key={key}"), None)
            .await;
        public.expect(200);
        let r = env
            .post_form(&path, None, &[("code", &code), ("key", &key)])
            .await;
        r.expect(200);
        assert_eq!(
            text_of(&r.body, "lookup-status"),
            text_of(&public.body, "status")
        );
        assert_eq!(text_of(&r.body, "lookup-status"), "Đã tiếp nhận");
        let due = text_of(&r.body, "lookup-due");
        assert!(due.contains('/') && public.has(&due), "{due}");
        assert_eq!(r.header("cache-control"), "no-store");
        assert!(
            r.has(&format!("content=\"60;url=/kiosk/{UNIT}\"")),
            "goes home by itself"
        );
        assert!(r.has("id=\"kiosk-back\""));
        assert!(!r.has(&key), "the key is not shown on a shared screen");

        // A key typed in lower case with spaces, as people do.
        let loose = format!(" {} ", key.to_lowercase());
        let r = env
            .post_form(&path, None, &[("code", &code), ("key", &loose)])
            .await;
        r.expect(200);

        // The receipt's QR code, typed by the scanner into the code box.
        let scanned = motcua_web::documents::lookup_url("http://10.0.0.5:8080", &code, Some(&key));
        let r = env
            .post_form(&path, None, &[("code", &scanned), ("key", "")])
            .await;
        r.expect(200);
        assert_eq!(text_of(&r.body, "lookup-status"), "Đã tiếp nhận");

        // A wrong key and a wrong code get the same answer: no hint which was wrong.
        let wrong_key = env
            .post_form(&path, None, &[("code", &code), ("key", "ABCDEFGHJK")])
            .await;
        wrong_key.expect(404);
        let other = format!("{UNIT}-260302-9999");
        let wrong_code = env
            .post_form(&path, None, &[("code", &other), ("key", &key)])
            .await;
        wrong_code.expect(404);
        for r in [&wrong_key, &wrong_code] {
            assert!(r.has("Không tìm thấy hồ sơ"), "{}", r.body);
            assert!(!r.has("lookup-status"));
            assert!(r.has("id=\"kiosk-back\""));
        }
        assert_eq!(
            wrong_key.body.replace(&code, "CODE"),
            wrong_code.body.replace(&other, "CODE")
        );

        // An empty form: the error summary, each error linked to its field.
        let r = env
            .post_form(&path, None, &[("code", ""), ("key", "")])
            .await;
        r.expect(422);
        assert!(r.has("class=\"error-summary\""));
        assert!(r.has("Có lỗi cần sửa"));
        assert!(r.has("href=\"#lookup-code\"") && r.has("href=\"#lookup-key\""));
        assert!(r.has("<title>Lỗi: "));
        // The code alone: only the key is asked for, the code kept.
        let r = env.post_form(&path, None, &[("code", &code)]).await;
        r.expect(422);
        assert!(r.has("id=\"lookup-key-error\"") && !r.has("id=\"lookup-code-error\""));
        assert!(r.has(&format!("value=\"{code}\"")));
        // A staff session reads dossiers in the back office.
        let cookie = env.login("tiepnhan.myhiep").await;
        env.post_form(&path, Some(&cookie), &[("code", &code), ("key", &key)])
            .await
            .expect(403);
        env.post_form(
            "/kiosk/99999/tra-cuu",
            None,
            &[("code", &code), ("key", &key)],
        )
        .await
        .expect(404);
    }
}
