//! The real browser the UI tests drive: Debian's Chromium through
//! chromedriver's W3C WebDriver protocol (plain JSON over loopback), and the
//! real server on a real database. Screenshots of every step are kept in
//! target/browser-artifacts/.
//!
//! Without chromedriver on the machine the tests say so and pass, unless
//! MOTCUA_REQUIRE_BROWSER is set (scripts/test sets it after installing
//! chromium and chromium-driver), in which case they fail.

// Each test file uses its own part of the harness.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use motcua_domain::lifecycle::Role;
use motcua_store::testing::{TestDb, databases, open_seeded};
use motcua_store::{NewUser, Store};
use motcua_web::AppState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

pub const PASSWORD: &str = "mat-khau-thu-nghiem";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn chromedriver() -> Option<PathBuf> {
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

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

pub struct Driver {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub async fn start_driver(path: &Path) -> Driver {
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
pub struct Browser<'a> {
    d: &'a Driver,
    session: String,
    name: String,
    shots: usize,
    _profile: tempfile::TempDir,
}

impl<'a> Browser<'a> {
    pub async fn open(d: &'a Driver, name: &str) -> Browser<'a> {
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

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Wait until the page's source holds `needle` (a navigation may still be
    /// under way when the driver answers); whether it came.
    pub async fn wait_source(&mut self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.source().await.contains(needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn try_find(&self, css: &str) -> Option<String> {
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
    pub async fn find(&mut self, css: &str) -> String {
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

    pub async fn text(&mut self, css: &str) -> String {
        let e = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The element's text once it contains `needle` (after a click the old page
    /// can still be shown for a moment), or its last text after 15 s.
    pub async fn text_containing(&mut self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = match self.try_find(css).await {
                Some(e) => self
                    .call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
                    .await
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                None => String::new(),
            };
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&mut self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Choose a file for an `<input type=file>` (its value reads back as a fake path).
    pub async fn attach(&mut self, css: &str, path: &Path) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": path.display().to_string() })),
        )
        .await;
    }

    /// Type into a field and read the value back: under load the element can
    /// go stale between finding and typing, and the keys are then lost.
    pub async fn type_in(&mut self, css: &str, text: &str) {
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
        panic!("could not type {text:?} into {css} on {}", self.url().await);
    }

    /// Wait until the page's path (and query) starts with `prefix`.
    pub async fn wait_path(&mut self, prefix: &str) {
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

    /// The current value of a form field (what the person sees in it).
    pub async fn value(&mut self, css: &str) -> String {
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
    pub async fn wait_text(&mut self, css: &str, expected: &str) {
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

    /// The accessibility rules axe-core (vendored, MPL-2.0) finds broken
    /// on the page: "rule: element, element…", one per rule.
    pub async fn axe(&self) -> Vec<String> {
        const AXE: &str = include_str!("axe.min.js");
        let script = format!(
            "{AXE}\n;var done = arguments[arguments.length - 1];\
             axe.run(document, {{resultTypes: ['violations']}}).then(function (r) {{\
               done(r.violations.map(function (v) {{\
                 return v.id + ': ' + v.nodes.map(function (n) {{ return n.target.join(' '); }}).join(', ');\
               }}));\
             }}, function (e) {{ done(['axe failed: ' + e]); }});"
        );
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({"script": script, "args": []})),
            )
            .await;
        match v.as_array() {
            Some(list) => list
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            None => vec![format!("axe did not answer: {v}")],
        }
    }

    /// Run a script in the page.
    pub async fn script(&self, js: &str) {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await;
    }

    /// The browser's Back button.
    pub async fn back(&self) {
        self.call(reqwest::Method::POST, "/back", Some(json!({})))
            .await;
    }

    /// Whether a form control is disabled now.
    pub async fn disabled(&mut self, css: &str) -> bool {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{e}/property/disabled"),
            None,
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// Keep a PNG of the page as a test artifact.
    pub async fn shot(&mut self, step: &str) {
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

    pub async fn close(self) {
        let _ = self
            .d
            .http
            .delete(format!("{}/session/{}", self.d.base, self.session))
            .send()
            .await;
    }
}

pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

/// The real server on one database, with these officers (all with [`PASSWORD`]).
pub struct Server {
    pub base: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The server on a fresh SQLite file.
pub async fn server(users: &[(&str, Role, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = databases(dir.path())
        .await
        .expect("db")
        .into_iter()
        .next()
        .expect("sqlite");
    let mut srv = server_on(&db, users).await;
    srv._dir = Some(dir);
    srv
}

/// The server on the given database (SQLite or PostgreSQL).
pub async fn server_on(db: &TestDb, users: &[(&str, Role, &str)]) -> Server {
    let store = open_seeded(db).await.expect("store");
    for (name, role, unit) in users {
        let new = NewUser {
            username: (*name).into(),
            full_name: format!("Cán bộ {name}"),
            password_hash: password_hash().into(),
            roles: vec![*role],
            units: vec![(*unit).into()],
            province_code: None,
        };
        store
            .create_user(&new, OffsetDateTime::now_utc())
            .await
            .expect("user");
    }
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
        _dir: None,
        _stop: stop,
    }
}

pub async fn sign_in(b: &mut Browser<'_>, base: &str, username: &str) {
    b.go(&format!("{base}/dang-nhap")).await;
    b.type_in("#username", username).await;
    b.type_in("#password", PASSWORD).await;
    b.click("#login-submit").await;
    // Off the sign-in page first: signed in as someone else, the page
    // before the answer already offers to sign out.
    let deadline = Instant::now() + Duration::from_secs(15);
    while b.url().await.contains("/dang-nhap") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Signed in: every page then offers to sign out (a supervisor lands on the index).
    b.find("form[action='/dang-xuat']").await;
}

/// A small real PDF, as a scanner would give.
pub fn scan(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("%PDF-1.4\n% {name}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")).expect("pdf");
    path
}
