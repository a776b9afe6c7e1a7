//! The queue in a real browser (Debian's Chromium through chromedriver, as
//! in browser.rs): a citizen takes a ticket at the kiosk, the officer calls
//! the next number at the counter, and the display board, open all along,
//! shows the number at that counter by itself (live events, no reload).
//! Then the officer fills the counter intake form by scanning the ID card's
//! QR code. Screenshots go to target/browser-artifacts/.
//!
//! Without chromedriver the test says so and passes, unless
//! MOTCUA_REQUIRE_BROWSER is set (scripts/test sets it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use base64::Engine;
use motcua_domain::lifecycle::Role;
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{NewUser, Store};
use motcua_web::AppState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const PASSWORD: &str = "mat-khau-thu-nghiem";
const UNIT: &str = "30112";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// As a 2D scanner types the QR code of a chip ID card.
const CARD: &str = "087190001234|341234567|Nguyễn Thị Bé Ba|17051990|Nữ|Ấp Mỹ Thạnh, Xã Mỹ Hiệp, Đồng Tháp|10082021";

fn chromedriver() -> Option<PathBuf> {
    let p = PathBuf::from(
        std::env::var("MOTCUA_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
    );
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("MOTCUA_REQUIRE_BROWSER").is_none(),
        "MOTCUA_REQUIRE_BROWSER is set but {} is missing",
        p.display()
    );
    eprintln!("chromedriver not found: browser tests skipped (scripts/test installs it)");
    None
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start_driver(path: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/status")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, base, http }
}

/// One browser window.
struct Browser<'a> {
    d: &'a Driver,
    session: String,
    name: String,
    shots: usize,
    _profile: tempfile::TempDir,
}

impl<'a> Browser<'a> {
    async fn open(d: &'a Driver, name: &str) -> Browser<'a> {
        let profile = tempfile::tempdir().expect("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("MOTCUA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1200,1000", format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let v: Value = d
            .http
            .post(format!("{}/session", d.base))
            .json(&caps)
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            d,
            session,
            name: name.into(),
            shots: 0,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.d.base, self.session, path);
        let mut req = self.d.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver json");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.get(ELEMENT).and_then(Value::as_str).map(str::to_string)
    }

    /// Wait for an element: pages load and navigate on their own time.
    async fn find(&mut self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            if Instant::now() > deadline {
                self.shot("missing-element").await;
                panic!(
                    "no element {css} on {} in:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&mut self, css: &str) -> String {
        let e = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn click(&mut self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Type into a field and read the value back: under load the element can
    /// go stale between finding and typing, and the keys are then lost.
    async fn type_in(&mut self, css: &str, text: &str) {
        for _ in 0..5 {
            let e = self.find(css).await;
            self.call(
                reqwest::Method::POST,
                &format!("/element/{e}/clear"),
                Some(json!({})),
            )
            .await;
            self.call(
                reqwest::Method::POST,
                &format!("/element/{e}/value"),
                Some(json!({ "text": text })),
            )
            .await;
            let now = self
                .call(
                    reqwest::Method::GET,
                    &format!("/element/{e}/property/value"),
                    None,
                )
                .await;
            if now.as_str() == Some(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("could not type {text:?} into {css}");
    }

    /// Wait until the page's path (and query) starts with `prefix`.
    async fn wait_path(&mut self, prefix: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let url = self.url().await;
            let path = url
                .splitn(4, '/')
                .nth(3)
                .map(|p| format!("/{p}"))
                .unwrap_or_default();
            if path.starts_with(prefix) {
                return;
            }
            if Instant::now() > deadline {
                self.shot("wrong-page").await;
                panic!(
                    "expected {prefix}, still on {url}:\n{}",
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Keep a PNG of the page as a test artifact.
    async fn shot(&mut self, step: &str) {
        self.shots += 1;
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(data) = b64
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        {
            let _ = std::fs::write(
                artifacts().join(format!("{}-{:02}-{step}.png", self.name, self.shots)),
                data,
            );
        }
    }

    /// The current value of a form field (what the person sees in it).
    async fn value(&mut self, css: &str) -> String {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{e}/property/value"),
            None,
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// Wait until the element's text is `expected` (pages that change by themselves).
    async fn wait_text(&mut self, css: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.text(css).await;
            if now == expected {
                return;
            }
            if Instant::now() > deadline {
                self.shot("wrong-text").await;
                panic!("{css} shows {now:?}, expected {expected:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn close(self) {
        let _ = self
            .d
            .http
            .delete(format!("{}/session/{}", self.d.base, self.session))
            .send()
            .await;
    }
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

struct Server {
    base: String,
    store: Store,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = databases(dir.path())
        .await
        .expect("db")
        .into_iter()
        .next()
        .expect("sqlite");
    let store = open_seeded(&db).await.expect("store");
    let new = NewUser {
        username: "tiepnhan.myhiep".into(),
        full_name: "Cán bộ tiếp nhận".into(),
        password_hash: password_hash().into(),
        roles: vec![Role::Receptionist],
        units: vec![UNIT.into()],
        province_code: None,
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("user");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(store.clone());
    tokio::spawn(motcua_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Server {
        base,
        store,
        _dir: dir,
        _stop: stop,
    }
}

async fn sign_in(b: &mut Browser<'_>, base: &str, username: &str) {
    b.go(&format!("{base}/dang-nhap")).await;
    b.type_in("#username", username).await;
    b.type_in("#password", PASSWORD).await;
    b.click("#login-submit").await;
    b.find("ul.queues").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_ticket_is_called_at_a_counter_and_shown_on_the_board() {
    let Some(path) = chromedriver() else { return };
    let srv = server().await;
    let driver = start_driver(&path).await;
    let (services, _) = srv.store.queue().setup(UNIT).await.expect("queue");
    let service = |name: &str| {
        services
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .expect("service")
    };

    // The TV's board is open before anything happens.
    let mut board = Browser::open(&driver, "board").await;
    board.go(&format!("{}/bang/{UNIT}", srv.base)).await;
    assert_eq!(board.text("#counter-1").await, "—");
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

    // The officer at counter 1 calls the next number.
    let mut officer = Browser::open(&driver, "counter-panel").await;
    sign_in(&mut officer, &srv.base, "tiepnhan.myhiep").await;
    officer
        .go(&format!("{}/can-bo/quay?unit={UNIT}&quay=1", srv.base))
        .await;
    officer.click("#call-next").await;
    officer.wait_text("#current-number", &number).await;
    officer.shot("called").await;

    // The board shows it at counter 1 by itself.
    board.wait_text("#counter-1", &number).await;
    board.wait_text("#now-number", &number).await;
    assert_eq!(board.text("#now-counter").await, "1");
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
    board.shot("called-2").await;

    // The first ticket's page now says where to go.
    kiosk.go(&first_ticket).await;
    let called = kiosk.text("#ticket-called").await;
    assert!(called.ends_with("quầy số 1"), "{called}");
    kiosk.shot("ticket-called").await;

    // The officer fills the intake form by scanning the card's QR code.
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
    assert_eq!(srv.store.count_dossiers().await.expect("count"), 0);
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
