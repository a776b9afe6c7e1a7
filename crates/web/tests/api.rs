//! The JSON API over real HTTP against the real server, on every test
//! database (SQLite always, PostgreSQL when `MOTCUA_TEST_POSTGRES` is set).
//!
//! Each test opens fresh seeded databases, starts the server in-process on a
//! free port for each, signs staff in through `POST /api/v1/session` and
//! talks to it with a plain HTTP client, as an API client would.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser, Store, User};
use motcua_web::AppState;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;
use time::OffsetDateTime;
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp
const OTHER_UNIT: &str = "28261";
/// Cấp Giấy xác nhận tình trạng hôn nhân: 3 working days; requires to-khai and giay-to-tuy-than.
const PROC: &str = "HT-XNHN";
const REQUIRED_DOCS: [&str; 2] = ["to-khai", "giay-to-tuy-than"];
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";
/// Uploads above this are refused (set on the test store).
const MAX_UPLOAD: usize = 16 * 1024;

const FULL_NAME: &str = "Trần Thị Mai";
const ID_NUMBER: &str = "087188001234";
const PHONE: &str = "0912345678";

/// Every route of the API, with its methods: the public surface, stated
/// once more by hand so that adding or dropping an endpoint is a decision
/// this test sees. The router and the document both come from
/// crates/web/src/api/mod.rs; the probe below checks that they agree.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/openapi.json", &["get"]),
    ("/api/v1/provinces", &["get"]),
    ("/api/v1/units", &["get"]),
    ("/api/v1/units/{code}/hours", &["put"]),
    ("/api/v1/procedures", &["get"]),
    ("/api/v1/procedures/{code}", &["get"]),
    ("/api/v1/session", &["post", "delete"]),
    ("/api/v1/me", &["get"]),
    (
        "/api/v1/users/{username}/sign-in-failures",
        &["get", "delete"],
    ),
    ("/api/v1/uploads", &["post"]),
    ("/api/v1/dossiers", &["post", "get"]),
    ("/api/v1/counter/dossiers", &["post"]),
    ("/api/v1/dossiers/{code}", &["get"]),
    ("/api/v1/dossiers/{code}/actions", &["post"]),
    ("/api/v1/dossiers/{code}/forms/{form}", &["get"]),
    ("/api/v1/dossiers/{code}/result", &["post", "get"]),
    ("/api/v1/documents/{id}", &["get"]),
    ("/api/v1/register", &["get"]),
    ("/api/v1/lookup/{code}", &["get"]),
    ("/api/v1/lookup/{code}/actions", &["post"]),
    ("/api/v1/lookup/{code}/result", &["get"]),
    ("/api/v1/verify", &["post"]),
    ("/api/v1/index", &["get"]),
    ("/api/v1/index/units/{code}", &["get"]),
    ("/api/v1/index/score", &["post"]),
    ("/api/v1/procedures/{code}/declaration", &["get"]),
    ("/api/v1/calendar/due", &["get"]),
    ("/api/v1/calendar/holidays", &["get"]),
    ("/api/v1/calendar/lunar", &["get"]),
    ("/api/v1/calendar/overrides", &["get"]),
    ("/api/v1/calendar/overrides/{date}", &["put", "delete"]),
];

// ---- the environment -------------------------------------------------------

/// One password hash for every account: Argon2 is slow on purpose.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

/// A running server on one database, with signed-in staff.
struct Env {
    store: Store,
    backend: &'static str,
    base: String,
    http: reqwest::Client,
    /// Bearer tokens of the staff of unit 30112.
    receptionist: String,
    specialist: String,
    leader: String,
    unit_admin: String,
    /// A receptionist of another unit (28261).
    other: String,
    /// A system administrator (all units, the national calendar).
    admin: String,
    receptionist_user: User,
    _stop: oneshot::Sender<()>,
}

struct Envs {
    list: Vec<Env>,
    _dir: tempfile::TempDir,
}

async fn add_user(store: &Store, username: &str, roles: Vec<Role>, units: &[&str]) -> User {
    let new = NewUser {
        username: username.into(),
        full_name: format!("Cán bộ {username}"),
        password_hash: password_hash().into(),
        roles,
        units: units.iter().map(|u| u.to_string()).collect(),
        province_code: None,
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("create user");
    store
        .user_by_username(username)
        .await
        .expect("read user")
        .expect("user exists")
}

/// Fresh seeded databases, each with its own server listening on 127.0.0.1.
async fn envs() -> Envs {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut list = Vec::new();
    for db in databases(dir.path()).await.expect("test databases") {
        let mut store = open_seeded(&db).await.expect("seeded store");
        store.max_upload = MAX_UPLOAD;
        let receptionist_user =
            add_user(&store, "tiepnhan.myhiep", vec![Role::Receptionist], &[UNIT]).await;
        add_user(&store, "chuyenvien.myhiep", vec![Role::Specialist], &[UNIT]).await;
        add_user(&store, "lanhdao.myhiep", vec![Role::Leader], &[UNIT]).await;
        add_user(&store, "quantri.myhiep", vec![Role::UnitAdmin], &[UNIT]).await;
        add_user(
            &store,
            "tiepnhan.mytho",
            vec![Role::Receptionist],
            &[OTHER_UNIT],
        )
        .await;
        add_user(&store, "admin", vec![Role::Admin], &[]).await;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store.clone());
        // These tests submit far more than one citizen would, from one address.
        let limits =
            motcua_web::limits::Limits::from_settings(&Default::default()).without_intake_limits();
        tokio::spawn(motcua_web::serve_with(
            listener,
            state,
            limits,
            async move {
                let _ = stopped.await;
            },
        ));
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let backend = store.backend_name();
        let mut env = Env {
            store,
            backend,
            base,
            http,
            receptionist: String::new(),
            specialist: String::new(),
            leader: String::new(),
            unit_admin: String::new(),
            other: String::new(),
            admin: String::new(),
            receptionist_user,
            _stop: stop,
        };
        env.receptionist = env.login("tiepnhan.myhiep").await;
        env.specialist = env.login("chuyenvien.myhiep").await;
        env.leader = env.login("lanhdao.myhiep").await;
        env.unit_admin = env.login("quantri.myhiep").await;
        env.other = env.login("tiepnhan.mytho").await;
        env.admin = env.login("admin").await;
        list.push(env);
    }
    Envs { list, _dir: dir }
}

/// An HTTP answer, read whole.
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Expect `status` and return the JSON body.
    fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self.json()
    }
    /// Expect an error in the API's format, with its status, machine code and field.
    fn error(&self, status: u16, code: &str, field: Option<&str>) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        let v = self.json();
        let e = &v["error"];
        assert_eq!(e["code"], code, "body: {v}");
        assert_eq!(e["field"].as_str(), field, "body: {v}");
        let message = e["message"].as_str().expect("message");
        assert!(!message.trim().is_empty(), "empty message: {v}");
        let keys: BTreeSet<&str> = e
            .as_object()
            .expect("error object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["code", "field", "message"]),
            "body: {v}"
        );
        v
    }
}

enum Body {
    None,
    Json(Value),
    /// Bytes sent as they are, with this Content-Type (or none).
    Raw(Vec<u8>, Option<&'static str>),
}

impl Env {
    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Body) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(bytes, content_type) => {
                let r = req.body(bytes);
                match content_type {
                    Some(ct) => r.header(CONTENT_TYPE, ct),
                    None => r,
                }
            }
        };
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("body").to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, Body::None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Body::Json(body)).await
    }

    async fn login(&self, username: &str) -> String {
        let v = self
            .post(
                "/api/v1/session",
                None,
                json!({ "username": username, "password": PASSWORD }),
            )
            .await
            .ok(200);
        assert_eq!(v["user"]["username"], username);
        v["token"].as_str().expect("token").to_string()
    }

    /// Upload one PDF (as the citizen when `token` is None); its id.
    async fn upload_pdf(&self, title: &str, token: Option<&str>) -> String {
        let r = self
            .call(
                Method::POST,
                &format!("/api/v1/uploads?filename={title}.pdf"),
                token,
                Body::Raw(pdf(title), Some("application/pdf")),
            )
            .await;
        let v = r.ok(201);
        assert_eq!(v["content_type"], "application/pdf");
        assert_eq!(v["filename"], format!("{title}.pdf"));
        assert_eq!(v["size"], pdf(title).len());
        v["id"].as_str().expect("upload id").to_string()
    }

    /// Upload the required documents; the `documents` list of a submission.
    async fn required_uploads(&self) -> Value {
        let mut docs = Vec::new();
        for code in REQUIRED_DOCS {
            let id = self.upload_pdf(code, None).await;
            docs.push(json!({ "code": code, "upload_id": id }));
        }
        Value::Array(docs)
    }

    /// Submit an HT-XNHN dossier online; (code, lookup key, version).
    async fn submit_online(&self) -> (String, String, i64) {
        let body = submission(self.required_uploads().await);
        let v = self.post("/api/v1/dossiers", None, body).await.ok(201);
        (
            v["code"].as_str().expect("code").to_string(),
            v["lookup_key"].as_str().expect("key").to_string(),
            v["version"].as_i64().expect("version"),
        )
    }

    /// A dossier received at the counter with paper documents; its full view.
    async fn counter_dossier(&self) -> Value {
        let docs: Vec<Value> = REQUIRED_DOCS
            .iter()
            .map(|c| json!({ "code": c, "paper": true }))
            .collect();
        self.post(
            "/api/v1/counter/dossiers",
            Some(&self.receptionist),
            submission(Value::Array(docs)),
        )
        .await
        .ok(201)
    }

    async fn act(&self, token: &str, code: &str, body: Value) -> Resp {
        self.post(
            &format!("/api/v1/dossiers/{code}/actions"),
            Some(token),
            body,
        )
        .await
    }

    async fn lookup(&self, code: &str, key: &str) -> Resp {
        self.get(&format!("/api/v1/lookup/{code}?key={key}"), None)
            .await
    }

    async fn count(&self) -> i64 {
        self.store.count_dossiers().await.expect("count")
    }
}

/// A small but well-formed one-page PDF.
fn pdf(title: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({title}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        tail.push_str(&format!("{off:010} 00000 n \n"));
    }
    tail.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(tail.as_bytes());
    out
}

fn applicant() -> Value {
    json!({
        "full_name": FULL_NAME,
        "id_number": ID_NUMBER,
        "date_of_birth": "1988-04-12",
        "phone": PHONE,
        "email": "mai.tran@example.vn",
        "address": "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp",
    })
}

fn submission(documents: Value) -> Value {
    json!({
        "unit_code": UNIT,
        "procedure_code": PROC,
        "applicant": applicant(),
        // The declaration of HT-XNHN, answered (the paper form is then not needed).
        "fields": {
            "nyc_ho_ten": FULL_NAME,
            "nyc_ngay_sinh": "1988-04-12",
            "nyc_so_dinh_danh": ID_NUMBER,
            "nyc_quan_he": "Bản thân",
            "xn_ho_ten": FULL_NAME,
            "xn_ngay_sinh": "1988-04-12",
            "xn_muc_dich": "Đăng ký kết hôn"
        },
        "documents": documents,
    })
}

fn action(name: &str, version: i64) -> Value {
    json!({ "action": name, "version": version })
}

fn version_of(v: &Value) -> i64 {
    v["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {v}"))
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| {
            x[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key} in {x}"))
                .to_string()
        })
        .collect()
}

// ---- the whole loop ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dossier_goes_through_its_whole_life_over_http() {
    for env in envs().await.list {
        let b = env.backend;
        let before = env.count().await;

        // The citizen uploads the required documents and submits online.
        let documents = env.required_uploads().await;
        let first_upload = documents[0]["upload_id"].as_str().expect("id").to_string();
        let v = env
            .post("/api/v1/dossiers", None, submission(documents))
            .await
            .ok(201);
        assert_eq!(v["status"], "submitted", "{b}");
        let code = v["code"].as_str().expect("code").to_string();
        let key = v["lookup_key"].as_str().expect("key").to_string();
        assert!(code.starts_with(&format!("{UNIT}-")), "{b}: code {code}");
        assert_eq!(key.len(), 10, "{b}: key {key}");
        assert_eq!(env.count().await, before + 1, "{b}");

        // Public lookup: progress, the name masked, nothing private.
        let r = env.lookup(&code, &key).await;
        let public = r.ok(200);
        assert_eq!(public["code"], code.as_str());
        assert_eq!(public["status"], "submitted");
        assert_eq!(
            public["procedure_name"],
            "Cấp Giấy xác nhận tình trạng hôn nhân"
        );
        assert_eq!(public["unit_name"], "Xã Mỹ Hiệp");
        assert_eq!(public["applicant_name"], "T. T. Mai");
        assert_eq!(public["received_at"], Value::Null);
        assert_eq!(public["due_at"], Value::Null);
        let text = r.text();
        for secret in [
            FULL_NAME,
            ID_NUMBER,
            PHONE,
            "912345678",
            "mai.tran@example.vn",
            "Ấp 2",
        ] {
            assert!(
                !text.contains(secret),
                "{b}: lookup discloses {secret}: {text}"
            );
        }

        // The receptionist receives: the clock starts, 3 working days.
        let v = env
            .act(&env.receptionist, &code, action("receive", 1))
            .await
            .ok(200);
        assert_eq!(v["status"], "received", "{b}");
        let received_at = v["received_at"].as_str().expect("received_at").to_string();
        let due_at = v["due_at"].as_str().expect("due_at").to_string();
        assert!(
            due_at > received_at,
            "{b}: due {due_at} after {received_at}"
        );
        assert!(due_at.ends_with("+07:00"), "{b}: {due_at}");

        // ... and assigns to the specialist.
        let v = env
            .act(&env.receptionist, &code, json!({ "action": "assign", "version": version_of(&v), "assignee": "chuyenvien.myhiep" }))
            .await
            .ok(200);
        assert_eq!(v["status"], "processing");
        assert_eq!(v["assignee"], "chuyenvien.myhiep");

        // The specialist asks for a supplement; a note is required.
        let ver = version_of(&v);
        env.act(&env.specialist, &code, json!({ "action": "request_supplement", "version": ver, "missing": ["giay-to-tuy-than"] }))
            .await
            .error(422, "note_required", Some("note"));
        let note = "Bản chụp CCCD bị mờ, đề nghị nộp lại bản rõ nét";
        let v = env
            .act(
                &env.specialist,
                &code,
                json!({ "action": "request_supplement", "version": ver, "note": note, "missing": ["giay-to-tuy-than"] }),
            )
            .await
            .ok(200);
        assert_eq!(v["status"], "awaiting_supplement", "{b}");
        assert_eq!(v["paused"], true);

        let public = env.lookup(&code, &key).await.ok(200);
        assert_eq!(public["status"], "awaiting_supplement", "{b}");
        assert_eq!(public["paused"], true);
        assert_eq!(
            public["due_at"],
            Value::Null,
            "{b}: no due date while paused"
        );
        assert_eq!(public["supplement_request"]["note"], note);
        assert_eq!(
            public["supplement_request"]["documents"],
            json!(["giay-to-tuy-than"])
        );

        // The citizen supplements with the lookup key; a wrong key is refused like an unknown code.
        let upload = env.upload_pdf("cccd-ro-net", None).await;
        let supplement = json!({
            "action": "supplement",
            "version": version_of(&public),
            "documents": [{ "code": "giay-to-tuy-than", "upload_id": upload }],
        });
        env.post(
            &format!("/api/v1/lookup/{code}/actions?key=WRONGKEY22"),
            None,
            supplement.clone(),
        )
        .await
        .error(404, "dossier_not_found", None);
        let public = env
            .post(
                &format!("/api/v1/lookup/{code}/actions?key={key}"),
                None,
                supplement,
            )
            .await
            .ok(200);
        assert_eq!(public["status"], "processing", "{b}");
        assert_eq!(public["paused"], false);
        assert_eq!(public["supplement_request"], Value::Null);
        assert!(
            public["due_at"].is_string(),
            "{b}: the clock runs again: {public}"
        );
        assert!(!public.to_string().contains(ID_NUMBER));

        // Specialist proposes, leader sends back with a note, proposes again, leader approves.
        let v = env
            .act(
                &env.specialist,
                &code,
                action("propose", version_of(&public)),
            )
            .await
            .ok(200);
        assert_eq!(v["status"], "awaiting_approval");
        env.act(&env.leader, &code, action("send_back", version_of(&v)))
            .await
            .error(422, "note_required", Some("note"));
        let v = env
            .act(&env.leader, &code, json!({ "action": "send_back", "version": version_of(&v), "note": "Bổ sung căn cứ pháp lý" }))
            .await
            .ok(200);
        assert_eq!(v["status"], "processing");
        let v = env
            .act(&env.specialist, &code, action("propose", version_of(&v)))
            .await
            .ok(200);
        assert_eq!(v["status"], "awaiting_approval");
        let v = env
            .act(&env.leader, &code, action("approve", version_of(&v)))
            .await
            .ok(200);
        assert_eq!(v["status"], "result_ready", "{b}");
        assert!(v["finished_at"].is_string());

        // The receptionist returns the result.
        let v = env
            .act(
                &env.receptionist,
                &code,
                action("return_result", version_of(&v)),
            )
            .await
            .ok(200);
        assert_eq!(v["status"], "returned", "{b}");
        assert_eq!(
            v["allowed_actions"],
            json!(["reissue_key", "correct_applicant", "record_payment"]),
            "{b}: nothing follows a returned dossier but a new key, a correction or the fee paid on collection"
        );

        let public = env.lookup(&code, &key).await.ok(200);
        assert_eq!(public["status"], "returned", "{b}");
        assert!(public["finished_at"].is_string(), "{b}: {public}");
        assert!(public["returned_at"].is_string(), "{b}: {public}");
        assert_eq!(public["late"], false);
        let steps = [
            ("submit", "submitted"),
            ("receive", "received"),
            ("assign", "processing"),
            ("request_supplement", "awaiting_supplement"),
            ("supplement", "processing"),
            ("propose", "awaiting_approval"),
            ("send_back", "processing"),
            ("propose", "awaiting_approval"),
            ("approve", "result_ready"),
            ("return_result", "returned"),
        ];
        let history: Vec<(String, String)> = public["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| {
                assert!(
                    h["at"].as_str().is_some_and(|a| a.ends_with("+07:00")),
                    "{h}"
                );
                (
                    h["action"].as_str().expect("action").into(),
                    h["status"].as_str().expect("status").into(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = steps
            .iter()
            .map(|(a, s)| (a.to_string(), s.to_string()))
            .collect();
        assert_eq!(history, expected, "{b}");

        // Staff see every event with its actor and role, and the full applicant.
        let full = env
            .get(&format!("/api/v1/dossiers/{code}"), Some(&env.receptionist))
            .await
            .ok(200);
        assert_eq!(full["applicant"]["id_number"], ID_NUMBER);
        assert_eq!(full["applicant"]["full_name"], FULL_NAME);
        // …but never the citizen's key (only its holder has it).
        assert!(full.get("lookup_key").is_none());
        assert!(!full.to_string().contains(key.as_str()));
        assert_eq!(full["version"], 10);
        let who: Vec<(String, String, String)> = full["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().expect("a").into(),
                    e["actor"].as_str().expect("actor").into(),
                    e["role"].as_str().expect("role").into(),
                )
            })
            .collect();
        let expected_who = [
            ("submit", "citizen", "citizen"),
            ("receive", "tiepnhan.myhiep", "receptionist"),
            ("assign", "tiepnhan.myhiep", "receptionist"),
            ("request_supplement", "chuyenvien.myhiep", "specialist"),
            ("supplement", "citizen", "citizen"),
            ("propose", "chuyenvien.myhiep", "specialist"),
            ("send_back", "lanhdao.myhiep", "leader"),
            ("propose", "chuyenvien.myhiep", "specialist"),
            ("approve", "lanhdao.myhiep", "leader"),
            ("return_result", "tiepnhan.myhiep", "receptionist"),
        ];
        let expected_who: Vec<(String, String, String)> = expected_who
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(who, expected_who, "{b}");
        let events = full["events"].as_array().expect("events");
        assert_eq!(events[3]["note"], note);
        assert_eq!(events[6]["note"], "Bổ sung căn cứ pháp lý");
        let seqs: Vec<i64> = events
            .iter()
            .map(|e| e["seq"].as_i64().expect("seq"))
            .collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>());

        // Its documents: the two uploads and the supplement, readable by staff of the unit only.
        let docs = full["documents"].as_array().expect("documents");
        assert_eq!(docs.len(), 3, "{b}: {docs:?}");
        let doc = docs
            .iter()
            .find(|d| d["id"] == first_upload.as_str())
            .expect("first upload attached");
        assert_eq!(doc["code"], "to-khai");
        let r = env
            .get(
                &format!("/api/v1/documents/{first_upload}"),
                Some(&env.specialist),
            )
            .await;
        assert_eq!(r.status, 200, "{b}");
        assert_eq!(r.headers[CONTENT_TYPE], "application/pdf");
        assert_eq!(r.body, pdf("to-khai"));
        env.get(
            &format!("/api/v1/documents/{first_upload}"),
            Some(&env.other),
        )
        .await
        .error(404, "document_not_found", None);
        env.get(&format!("/api/v1/documents/{first_upload}"), None)
            .await
            .error(401, "unauthorized", None);
        env.store
            .check_consistency(&code)
            .await
            .expect("row is the projection of its events");

        // Counter intake: received at once with its appointment date, paper documents recorded.
        let v = env.counter_dossier().await;
        assert_eq!(v["status"], "received", "{b}");
        assert_eq!(v["channel"], "counter");
        assert!(v["received_at"].is_string());
        assert!(
            v["due_at"].as_str().is_some_and(|d| d.ends_with("+07:00")),
            "{b}: {v}"
        );
        assert_eq!(v["version"], 1);
        assert_eq!(v["events"][0]["action"], "create_at_counter");
        assert_eq!(v["events"][0]["actor"], "tiepnhan.myhiep");
        let papers: Vec<bool> = v["documents"]
            .as_array()
            .expect("docs")
            .iter()
            .map(|d| d["paper"] == true)
            .collect();
        assert_eq!(papers, vec![true, true], "{b}: {v}");
        assert!(
            v["allowed_actions"]
                .as_array()
                .expect("actions")
                .contains(&json!("assign"))
        );
        assert_eq!(env.count().await, before + 2, "{b}");

        // A citizen cannot claim paper documents online.
        let paper: Vec<Value> = REQUIRED_DOCS
            .iter()
            .map(|c| json!({ "code": c, "paper": true }))
            .collect();
        env.post("/api/v1/dossiers", None, submission(Value::Array(paper)))
            .await
            .error(422, "paper_needs_counter", Some("documents.to-khai"));
        assert_eq!(env.count().await, before + 2, "{b}");
    }
}

// ---- errors ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_submissions_are_refused_and_nothing_is_written() {
    for env in envs().await.list {
        let b = env.backend;
        let docs = env.required_uploads().await;
        let before = env.count().await;

        // Malformed JSON.
        env.call(
            Method::POST,
            "/api/v1/dossiers",
            None,
            Body::Raw(
                b"{\"unit_code\": \"30112\",".to_vec(),
                Some("application/json"),
            ),
        )
        .await
        .error(400, "malformed_json", Some("body"));
        // No Content-Type.
        env.call(
            Method::POST,
            "/api/v1/dossiers",
            None,
            Body::Raw(submission(docs.clone()).to_string().into_bytes(), None),
        )
        .await
        .error(415, "json_expected", Some("body"));
        // JSON of the wrong shape.
        env.post("/api/v1/dossiers", None, json!({ "unit_code": UNIT }))
            .await
            .error(422, "invalid_json", Some("body"));

        // Unknown procedure, unknown unit.
        let mut body = submission(docs.clone());
        body["procedure_code"] = json!("KHONG-CO");
        env.post("/api/v1/dossiers", None, body).await.error(
            422,
            "unknown_procedure",
            Some("procedure_code"),
        );
        let mut body = submission(docs.clone());
        body["unit_code"] = json!("99999");
        env.post("/api/v1/dossiers", None, body).await.error(
            422,
            "unknown_unit",
            Some("unit_code"),
        );

        // A required document missing; an unknown document code.
        let only_first = json!([docs[0].clone()]);
        env.post("/api/v1/dossiers", None, submission(only_first))
            .await
            .error(422, "missing_document", Some("documents.giay-to-tuy-than"));
        let mut extra = docs.as_array().expect("docs").clone();
        extra.push(json!({ "code": "khong-co", "upload_id": docs[0]["upload_id"] }));
        env.post("/api/v1/dossiers", None, submission(Value::Array(extra)))
            .await
            .error(422, "unknown_document", Some("documents.khong-co"));
        // An upload id that does not exist.
        let ghost = json!([docs[0].clone(), { "code": "giay-to-tuy-than", "upload_id": "00000000000000000000000000000000" }]);
        env.post("/api/v1/dossiers", None, submission(ghost))
            .await
            .error(422, "bad_upload", Some("documents.giay-to-tuy-than"));

        // Applicant fields, each named.
        for (field, value, code) in [
            ("id_number", json!("12345"), "bad_id_number"),
            ("full_name", json!("<script>"), "bad_full_name"),
            (
                "date_of_birth",
                json!("31/02/1988"),
                "impossible_date_of_birth",
            ),
            ("date_of_birth", json!("2999-01-01"), "bad_date_of_birth"),
            ("phone", json!("12345"), "bad_phone"),
            ("email", json!("mai@"), "bad_email"),
            ("address", json!("Ấp"), "bad_address"),
        ] {
            let mut body = submission(docs.clone());
            body["applicant"][field] = value;
            env.post("/api/v1/dossiers", None, body).await.error(
                422,
                code,
                Some(&format!("applicant.{field}")),
            );
        }
        let mut body = submission(docs.clone());
        body["fields"] = json!(["not", "an", "object"]);
        env.post("/api/v1/dossiers", None, body)
            .await
            .error(422, "bad_fields", Some("fields"));

        // Counter intake refuses an online channel and needs a receptionist of the unit.
        let paper: Vec<Value> = REQUIRED_DOCS
            .iter()
            .map(|c| json!({ "code": c, "paper": true }))
            .collect();
        let mut body = submission(Value::Array(paper.clone()));
        body["channel"] = json!("online");
        env.post("/api/v1/counter/dossiers", Some(&env.receptionist), body)
            .await
            .error(422, "bad_channel", Some("channel"));
        let mut body = submission(Value::Array(paper.clone()));
        body["channel"] = json!("fax");
        env.post("/api/v1/counter/dossiers", Some(&env.receptionist), body)
            .await
            .error(422, "unknown_channel", Some("channel"));
        env.post(
            "/api/v1/counter/dossiers",
            None,
            submission(Value::Array(paper.clone())),
        )
        .await
        .error(401, "unauthorized", None);
        env.post(
            "/api/v1/counter/dossiers",
            Some(&env.specialist),
            submission(Value::Array(paper.clone())),
        )
        .await
        .error(403, "forbidden_action", None);
        env.post(
            "/api/v1/counter/dossiers",
            Some(&env.other),
            submission(Value::Array(paper)),
        )
        .await
        .error(403, "other_unit", None);

        assert_eq!(
            env.count().await,
            before,
            "{b}: a refused submission wrote a dossier"
        );

        // The uploads named in the refused submissions are still free: they make a valid one.
        let v = env
            .post("/api/v1/dossiers", None, submission(docs.clone()))
            .await
            .ok(201);
        assert_eq!(v["status"], "submitted");
        assert_eq!(env.count().await, before + 1, "{b}");

        // ... and now they are taken: using one again is refused, nothing written.
        let mut reused = env.required_uploads().await;
        reused[1] = docs[1].clone();
        env.post("/api/v1/dossiers", None, submission(reused.clone()))
            .await
            .error(422, "bad_upload", Some("documents.giay-to-tuy-than"));
        assert_eq!(env.count().await, before + 1, "{b}");
        // The fresh upload of that refused submission is still free too.
        reused[1] =
            json!({ "code": "giay-to-tuy-than", "upload_id": env.upload_pdf("cccd", None).await });
        env.post("/api/v1/dossiers", None, submission(reused))
            .await
            .ok(201);
        assert_eq!(env.count().await, before + 2, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_are_checked_for_size_and_type() {
    for env in envs().await.list {
        let b = env.backend;
        let mut big = pdf("lon");
        big.resize(MAX_UPLOAD + 1, b' ');
        env.call(
            Method::POST,
            "/api/v1/uploads",
            None,
            Body::Raw(big, Some("application/pdf")),
        )
        .await
        .error(413, "file_too_large", Some("file"));
        // Exactly at the limit is fine.
        let mut fits = pdf("vua");
        fits.resize(MAX_UPLOAD, b' ');
        let v = env
            .call(
                Method::POST,
                "/api/v1/uploads",
                None,
                Body::Raw(fits, Some("application/pdf")),
            )
            .await
            .ok(201);
        assert_eq!(v["size"], MAX_UPLOAD, "{b}");

        // The type is told by content, not by the declared type or name.
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        env.call(
            Method::POST,
            "/api/v1/uploads?filename=anh.pdf",
            None,
            Body::Raw(gif, Some("application/pdf")),
        )
        .await
        .error(415, "unsupported_file_type", Some("file"));
        let html = b"<html><body>%PDF-1.4</body></html>".to_vec();
        env.call(
            Method::POST,
            "/api/v1/uploads",
            None,
            Body::Raw(html, Some("text/html")),
        )
        .await
        .error(415, "unsupported_file_type", Some("file"));
        env.call(
            Method::POST,
            "/api/v1/uploads",
            None,
            Body::Raw(Vec::new(), None),
        )
        .await
        .error(422, "empty_file", Some("file"));

        // JPEG and PNG are accepted and named for what they are (with a readable size).
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x04, b'J', b'F'];
        jpeg.extend_from_slice(&[
            0xFF, 0xC0, 0x00, 0x11, 0x08, 0x06, 0x40, 0x04, 0xB0, 3, 1, 0x22, 0,
        ]);
        let v = env
            .call(Method::POST, "/api/v1/uploads", None, Body::Raw(jpeg, None))
            .await
            .ok(201);
        assert_eq!(v["content_type"], "image/jpeg");
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&[0, 0, 4, 0xB0, 0, 0, 6, 0x40, 8, 2, 0, 0, 0]);
        let v = env
            .call(
                Method::POST,
                "/api/v1/uploads",
                None,
                Body::Raw(png, Some("application/octet-stream")),
            )
            .await
            .ok(201);
        assert_eq!(v["content_type"], "image/png");
        // A picture claiming 100,000 × 100,000 pixels is a decompression bomb.
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0]);
        env.call(Method::POST, "/api/v1/uploads", None, Body::Raw(bomb, None))
            .await
            .error(422, "bad_image", Some("file"));
        assert_eq!(
            v["code"],
            Value::Null,
            "{b}: a fresh upload belongs to no dossier"
        );
        assert_eq!(env.count().await, 0, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_lookup_key_looks_exactly_like_an_unknown_code() {
    for env in envs().await.list {
        let b = env.backend;
        let (code, key, _) = env.submit_online().await;
        // The key is forgiving about case and spaces, as people type it.
        let typed = format!("{} {}", key[..5].to_lowercase(), &key[5..]);
        env.get(
            &format!("/api/v1/lookup/{code}?key={}", typed.replace(' ', "%20")),
            None,
        )
        .await
        .ok(200);

        let wrong_key = env.lookup(&code, "ZZZZZZZZZZ").await;
        let no_key = env.get(&format!("/api/v1/lookup/{code}"), None).await;
        let unknown = env.lookup(&format!("{UNIT}-010101-9999"), &key).await;
        let garbage = env.lookup("khong-phai-ma", &key).await;
        wrong_key.error(404, "dossier_not_found", None);
        for other in [&no_key, &unknown, &garbage] {
            assert_eq!(other.status, 404, "{b}");
            assert_eq!(
                other.body,
                wrong_key.body,
                "{b}: bodies differ: {} vs {}",
                other.text(),
                wrong_key.text()
            );
            assert_eq!(other.headers[CONTENT_TYPE], wrong_key.headers[CONTENT_TYPE]);
        }
        // The citizen's actions behave the same way.
        let act = json!({ "action": "withdraw", "version": 1, "note": "Tôi không cần nữa" });
        let wrong = env
            .post(
                &format!("/api/v1/lookup/{code}/actions?key=ZZZZZZZZZZ"),
                None,
                act.clone(),
            )
            .await;
        assert_eq!(wrong.body, wrong_key.body, "{b}");
        // With the right key a citizen may withdraw, but not receive.
        env.post(
            &format!("/api/v1/lookup/{code}/actions?key={key}"),
            None,
            action("receive", 1),
        )
        .await
        .error(403, "forbidden_action", None);
        let v = env
            .post(
                &format!("/api/v1/lookup/{code}/actions?key={key}"),
                None,
                act,
            )
            .await
            .ok(200);
        assert_eq!(v["status"], "withdrawn", "{b}");
        assert!(v["finished_at"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actions_check_version_state_role_sign_in_and_unit() {
    for env in envs().await.list {
        let b = env.backend;
        let (code, _, version) = env.submit_online().await;
        assert_eq!(version, 1);
        let path = format!("/api/v1/dossiers/{code}");

        // No token, a bad token.
        env.get(&path, None).await.error(401, "unauthorized", None);
        env.get(&path, Some("not-a-token"))
            .await
            .error(401, "unauthorized", None);
        env.post(&format!("{path}/actions"), None, action("receive", 1))
            .await
            .error(401, "unauthorized", None);
        env.get("/api/v1/dossiers", None)
            .await
            .error(401, "unauthorized", None);

        // Staff of another unit see nothing and can do nothing.
        let hidden = env.get(&path, Some(&env.other)).await;
        hidden.error(404, "dossier_not_found", None);
        let unknown = env
            .get(
                &format!("/api/v1/dossiers/{UNIT}-010101-9999"),
                Some(&env.other),
            )
            .await;
        assert_eq!(
            hidden.body, unknown.body,
            "{b}: another unit's dossier looks unknown"
        );
        env.act(&env.other, &code, action("receive", 1))
            .await
            .error(404, "dossier_not_found", None);

        // A role that may not take the action.
        env.act(&env.specialist, &code, action("receive", 1))
            .await
            .error(403, "forbidden_action", None);
        env.act(
            &env.leader,
            &code,
            json!({ "action": "refuse_intake", "version": 1, "note": "x" }),
        )
        .await
        .error(403, "forbidden_action", None);
        // An action that the state does not allow.
        env.act(&env.receptionist, &code, action("return_result", 1))
            .await
            .error(409, "illegal_transition", Some("action"));
        env.act(&env.leader, &code, action("approve", 1))
            .await
            .error(409, "illegal_transition", Some("action"));
        // An unknown action.
        env.act(&env.receptionist, &code, action("dance", 1))
            .await
            .error(422, "unknown_action", Some("action"));
        // A stale version.
        env.act(&env.receptionist, &code, action("receive", 0))
            .await
            .error(409, "stale_version", Some("version"));
        // Assign to someone who is not a specialist of the unit.
        let v = env
            .act(&env.receptionist, &code, action("receive", 1))
            .await
            .ok(200);
        assert_eq!(version_of(&v), 2);
        env.act(
            &env.receptionist,
            &code,
            json!({ "action": "assign", "version": 2, "assignee": "lanhdao.myhiep" }),
        )
        .await
        .error(422, "bad_assignee", Some("assignee"));
        env.act(&env.receptionist, &code, action("receive", 1))
            .await
            .error(409, "stale_version", Some("version"));

        // None of the refusals wrote anything: still version 2, two events.
        let full = env.get(&path, Some(&env.receptionist)).await.ok(200);
        assert_eq!(full["version"], 2, "{b}");
        assert_eq!(full["status"], "received");
        assert_eq!(full["events"].as_array().expect("events").len(), 2, "{b}");
        assert_eq!(
            full["allowed_actions"],
            json!([
                "assign",
                "request_supplement",
                "withdraw",
                "apologize",
                "reissue_key",
                "correct_applicant",
                "route",
                "record_payment"
            ]),
            "{b}"
        );
        // A correction names the field that is wrong, needs a reason, and
        // is the counter's: a specialist is refused.
        let fix = |id: &str, note: &str| {
            json!({ "action": "correct_applicant", "version": 2, "note": note, "applicant": {
                "full_name": "Nguyễn Văn An", "id_number": id, "date_of_birth": "1990-05-17",
                "phone": "0912345678", "address": "Ấp 1, xã Mỹ Hiệp" } })
        };
        env.act(&env.receptionist, &code, fix("12", "sai số"))
            .await
            .error(422, "bad_id_number", Some("applicant.id_number"));
        env.act(&env.receptionist, &code, fix("087190001234", ""))
            .await
            .error(422, "note_required", Some("note"));
        env.act(&env.specialist, &code, fix("087190001234", "sai số"))
            .await
            .error(403, "forbidden_action", None);

        // List filters are checked.
        env.get("/api/v1/dossiers?status=lost", Some(&env.receptionist))
            .await
            .error(422, "unknown_status", Some("status"));
        env.get("/api/v1/dossiers?limit=0", Some(&env.receptionist))
            .await
            .error(422, "bad_limit", Some("limit"));
        env.get("/api/v1/dossiers?cursor=abc", Some(&env.receptionist))
            .await
            .error(422, "bad_cursor", Some("cursor"));
        env.get("/api/v1/dossiers?late=maybe", Some(&env.receptionist))
            .await
            .error(422, "bad_query", Some("query"));
        env.get(
            &format!("/api/v1/dossiers?unit={OTHER_UNIT}"),
            Some(&env.receptionist),
        )
        .await
        .error(403, "other_unit", Some("unit"));
        let list = env.get("/api/v1/dossiers", Some(&env.other)).await.ok(200);
        assert_eq!(
            list["items"],
            json!([]),
            "{b}: another unit's list is empty"
        );

        // Unknown paths answer in the same format.
        env.get("/api/v1/khong-co", None)
            .await
            .error(404, "not_found", None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_officers_acting_at_once_one_wins_one_gets_a_conflict() {
    for env in envs().await.list {
        let b = env.backend;
        for round in 0..3 {
            let v = env.counter_dossier().await;
            let code = v["code"].as_str().expect("code").to_string();
            let ver = version_of(&v);
            let assign =
                json!({ "action": "assign", "version": ver, "assignee": "chuyenvien.myhiep" });
            let (r1, r2) = tokio::join!(
                env.act(&env.receptionist, &code, assign.clone()),
                env.act(&env.leader, &code, assign)
            );
            let mut statuses = [r1.status, r2.status];
            statuses.sort_unstable();
            assert_eq!(
                statuses,
                [200, 409],
                "{b} round {round}: {} / {}",
                r1.text(),
                r2.text()
            );
            let loser = if r1.status == 409 { &r1 } else { &r2 };
            let code_409 = loser.json()["error"]["code"]
                .as_str()
                .expect("code")
                .to_string();
            assert!(
                ["stale_version", "version_conflict"].contains(&code_409.as_str()),
                "{b}: {}",
                loser.text()
            );

            let full = env
                .get(&format!("/api/v1/dossiers/{code}"), Some(&env.receptionist))
                .await
                .ok(200);
            assert_eq!(full["version"], ver + 1, "{b}");
            let assigns = full["events"]
                .as_array()
                .expect("events")
                .iter()
                .filter(|e| e["action"] == "assign")
                .count();
            assert_eq!(assigns, 1, "{b}: exactly one assignment recorded");
            env.store
                .check_consistency(&code)
                .await
                .expect("consistent");
        }
    }
}

// ---- the work list -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_work_list_pages_by_keyset_newest_first_and_filters_late() {
    for env in envs().await.list {
        let b = env.backend;
        let mut created = Vec::new();
        let mut online = Vec::new();
        for i in 0..7 {
            let code = if i % 3 == 2 {
                env.counter_dossier().await["code"]
                    .as_str()
                    .expect("code")
                    .to_string()
            } else {
                let code = env.submit_online().await.0;
                online.push(code.clone());
                code
            };
            created.push(code);
        }
        // One dossier received at the counter 30 days ago: long overdue.
        let month_ago = OffsetDateTime::now_utc() - time::Duration::days(30);
        let late = env
            .store
            .create_dossier(
                NewDossier {
                    unit_code: UNIT.into(),
                    procedure_code: PROC.into(),
                    channel: Channel::Counter,
                    applicant: serde_json::from_value::<ApplicantInput>(applicant())
                        .expect("applicant"),
                    fields: json!({}),
                    documents: REQUIRED_DOCS
                        .iter()
                        .map(|c| DocumentRef {
                            code: c.to_string(),
                            upload_id: None,
                            paper: true,
                        })
                        .collect(),
                },
                &Actor::Staff(env.receptionist_user.clone()),
                month_ago,
            )
            .await
            .expect("late dossier")
            .row
            .code;
        created.push(late.clone());
        let newest_first: Vec<String> = created.iter().rev().cloned().collect();

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = Vec::new();
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/dossiers?limit=3&cursor={c}"),
                None => "/api/v1/dossiers?limit=3".to_string(),
            };
            let page = env.get(&path, Some(&env.receptionist)).await.ok(200);
            let codes = strings(&page["items"], "code");
            pages.push(codes.len());
            seen.extend(codes);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(pages.len() < 10, "{b}: paging does not end");
        }
        assert_eq!(pages, vec![3, 3, 2], "{b}");
        assert_eq!(seen, newest_first, "{b}: every dossier once, newest first");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 8);

        // Summaries carry what a work list shows.
        let page = env
            .get("/api/v1/dossiers?limit=1", Some(&env.receptionist))
            .await
            .ok(200);
        let item = &page["items"][0];
        assert_eq!(item["code"], late.as_str());
        assert_eq!(
            item["procedure_name"],
            "Cấp Giấy xác nhận tình trạng hôn nhân"
        );
        assert_eq!(item["applicant_name"], FULL_NAME);
        assert_eq!(item["status"], "received");
        assert_eq!(item["late"], true);

        // Late only, on time only, by status, by unit.
        let late_list = env
            .get("/api/v1/dossiers?late=true", Some(&env.receptionist))
            .await
            .ok(200);
        assert_eq!(
            strings(&late_list["items"], "code"),
            vec![late.clone()],
            "{b}"
        );
        assert_eq!(late_list["next_cursor"], Value::Null);
        let on_time = env
            .get("/api/v1/dossiers?late=false", Some(&env.receptionist))
            .await
            .ok(200);
        assert_eq!(
            strings(&on_time["items"], "code"),
            newest_first[1..].to_vec(),
            "{b}"
        );
        let submitted = env
            .get("/api/v1/dossiers?status=submitted", Some(&env.receptionist))
            .await
            .ok(200);
        let online_newest_first: Vec<String> = online.iter().rev().cloned().collect();
        assert_eq!(online_newest_first.len(), 5);
        assert_eq!(
            strings(&submitted["items"], "code"),
            online_newest_first,
            "{b}"
        );
        let received = env
            .get(
                &format!("/api/v1/dossiers?status=received&unit={UNIT}"),
                Some(&env.receptionist),
            )
            .await
            .ok(200);
        assert_eq!(received["items"].as_array().expect("items").len(), 3, "{b}");
        // The system admin administers and reads no citizen's dossier.
        env.get("/api/v1/dossiers?limit=200", Some(&env.admin))
            .await
            .error(403, "no_dossier_access", None);
    }
}

// ---- catalog, units, calendar ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn units_and_procedures_are_listed_and_searched_without_diacritics() {
    for env in envs().await.list {
        let b = env.backend;
        let provinces = env.get("/api/v1/provinces", None).await.ok(200);
        assert_eq!(provinces.as_array().expect("provinces").len(), 34, "{b}");
        let units = env.get("/api/v1/units?province=82", None).await.ok(200);
        let units = units.as_array().expect("units");
        assert_eq!(units.len(), 102, "{b}");
        for u in units {
            for key in ["code", "name", "type"] {
                assert!(u[key].as_str().is_some_and(|s| !s.is_empty()), "{b}: {u}");
            }
        }
        let my_hiep = units.iter().find(|u| u["code"] == UNIT).expect("30112");
        assert_eq!(my_hiep["name"], "Xã Mỹ Hiệp");
        assert_eq!(my_hiep["type"], "xã");

        let found = env
            .get("/api/v1/procedures?q=dang%20ky%20khai%20sinh", None)
            .await
            .ok(200);
        let codes = strings(&found, "code");
        assert!(codes.contains(&"HT-KS".to_string()), "{b}: {codes:?}");
        assert!(!codes.contains(&PROC.to_string()), "{b}: {codes:?}");
        let all = env.get("/api/v1/procedures", None).await.ok(200);
        assert!(all.as_array().expect("all").len() > codes.len());

        let ks = env.get("/api/v1/procedures/HT-KS", None).await.ok(200);
        assert_eq!(ks["name"], "Đăng ký khai sinh");
        assert_eq!(ks["field"], "Hộ tịch");
        assert_eq!(
            ks["processing"],
            json!({ "amount": 0, "unit": "same_day", "cutoff": "15:00" })
        );
        assert_eq!(ks["fee"]["kind"], "free");
        assert_eq!(ks["online_level"], "full");
        let required: Vec<(String, bool)> = ks["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().expect("code").to_string(),
                    d["required"].as_bool().expect("required"),
                )
            })
            .collect();
        assert_eq!(required[0], ("to-khai".to_string(), true));
        assert!(
            required.contains(&("van-ban-uy-quyen".to_string(), false)),
            "{b}: {required:?}"
        );
        let xnhn = env
            .get(&format!("/api/v1/procedures/{PROC}"), None)
            .await
            .ok(200);
        assert_eq!(
            xnhn["processing"],
            json!({ "amount": 3, "unit": "working_days" })
        );
        env.get("/api/v1/procedures/KHONG-CO", None)
            .await
            .error(404, "procedure_not_found", None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_calendar_computes_due_dates_and_admins_manage_overrides() {
    for env in envs().await.list {
        let b = env.backend;
        // Tết 2026 falls inside: five working days from Friday 13/02 end on 27/02.
        let due = env
            .get(
                "/api/v1/calendar/due?from=2026-02-13T10:00&working_days=5",
                None,
            )
            .await
            .ok(200);
        assert_eq!(due["due"], "2026-02-27T10:00:00+07:00", "{b}: {due}");
        assert_eq!(due["due_local"], "27/02/2026 10:00");
        assert_eq!(due["from"], "2026-02-13T10:00:00+07:00");
        let with_unit = env
            .get(
                &format!("/api/v1/calendar/due?from=2026-02-13T10:00&working_days=5&unit={UNIT}"),
                None,
            )
            .await
            .ok(200);
        assert_eq!(with_unit["due"], due["due"]);
        env.get(
            "/api/v1/calendar/due?from=2026-02-13T10:00&working_days=5&unit=99999",
            None,
        )
        .await
        .error(422, "unknown_unit", Some("unit"));
        env.get("/api/v1/calendar/due?from=2026-02-13T10:00", None)
            .await
            .error(422, "bad_processing", Some("working_days"));
        env.get("/api/v1/calendar/due?from=13/02/2026&working_days=1", None)
            .await
            .error(422, "bad_from", Some("from"));
        let lunar = env
            .get("/api/v1/calendar/lunar?date=2030-02-02", None)
            .await
            .ok(200);
        assert_eq!(
            lunar["lunar"], "2030-01-01",
            "{b}: Tết 2030 in Vietnam is 2 February"
        );

        let day = "2026-03-10";
        let next_day = "/api/v1/calendar/due?from=2026-03-09T10:00&working_days=1";
        assert_eq!(
            env.get(next_day, None).await.ok(200)["due"],
            "2026-03-10T10:00:00+07:00"
        );
        let holidays_2026 = || env.get("/api/v1/calendar/holidays?year=2026", None);
        let days_off = strings(&holidays_2026().await.ok(200)["days_off"], "date");
        assert!(!days_off.contains(&day.to_string()));
        assert!(
            days_off.contains(&"2026-09-02".to_string()),
            "{b}: {days_off:?}"
        );

        // Only an admin changes the national calendar.
        let body = json!({ "kind": "day_off", "name": "Nghỉ bù thử nghiệm" });
        let path = format!("/api/v1/calendar/overrides/{day}");
        let e = &env;
        let put = |token: Option<String>| {
            let (path, body) = (path.clone(), body.clone());
            async move {
                e.call(Method::PUT, &path, token.as_deref(), Body::Json(body))
                    .await
            }
        };
        put(Some(env.receptionist.clone()))
            .await
            .error(403, "forbidden_calendar", None);
        put(Some(env.unit_admin.clone()))
            .await
            .error(403, "forbidden_calendar", None);
        put(None).await.error(401, "unauthorized", None);
        let v = put(Some(env.admin.clone())).await.ok(200);
        assert_eq!(
            v,
            json!({ "date": day, "kind": "day_off", "name": "Nghỉ bù thử nghiệm", "unit": null }),
            "{b}"
        );

        let holidays = holidays_2026().await.ok(200);
        let off = holidays["days_off"]
            .as_array()
            .expect("days_off")
            .iter()
            .find(|d| d["date"] == day)
            .cloned();
        assert_eq!(
            off,
            Some(json!({ "date": day, "name": "Nghỉ bù thử nghiệm" })),
            "{b}"
        );
        assert_eq!(
            env.get(next_day, None).await.ok(200)["due"],
            "2026-03-11T10:00:00+07:00",
            "{b}: the day off is skipped"
        );
        let overrides = env.get("/api/v1/calendar/overrides", None).await.ok(200);
        assert_eq!(
            overrides,
            json!([{ "scope": null, "date": day, "kind": "day_off", "name": "Nghỉ bù thử nghiệm" }]),
            "{b}"
        );

        // A make-up working Saturday is listed as a working day.
        let sat = json!({ "kind": "working_day", "name": "Làm bù" });
        env.call(
            Method::PUT,
            "/api/v1/calendar/overrides/2026-03-14",
            Some(&env.admin),
            Body::Json(sat),
        )
        .await
        .ok(200);
        let holidays = holidays_2026().await.ok(200);
        assert_eq!(
            holidays["working_days"],
            json!([{ "date": "2026-03-14", "name": "Làm bù" }]),
            "{b}"
        );
        env.call(
            Method::PUT,
            "/api/v1/calendar/overrides/14-03-2026",
            Some(&env.admin),
            Body::Json(body.clone()),
        )
        .await
        .error(422, "bad_date", Some("date"));

        // Deleting needs an admin too, and brings the day back.
        let delete = |token: String| {
            let path = path.clone();
            async move {
                e.call(Method::DELETE, &path, Some(&token), Body::None)
                    .await
            }
        };
        delete(env.receptionist.clone())
            .await
            .error(403, "forbidden_calendar", None);
        let r = delete(env.admin.clone()).await;
        assert_eq!(r.status, 204, "{b}: {}", r.text());
        let days_off = strings(&holidays_2026().await.ok(200)["days_off"], "date");
        assert!(!days_off.contains(&day.to_string()), "{b}");
        assert_eq!(
            env.get(next_day, None).await.ok(200)["due"],
            "2026-03-10T10:00:00+07:00"
        );
        delete(env.admin.clone())
            .await
            .error(404, "override_not_found", None);

        // A unit admin sets their own unit's hours, and no one else's.
        let hours = json!({ "sessions": "07:00-11:00,13:30-17:30" });
        let v = env
            .call(
                Method::PUT,
                &format!("/api/v1/units/{UNIT}/hours"),
                Some(&env.unit_admin),
                Body::Json(hours.clone()),
            )
            .await
            .ok(200);
        assert_eq!(
            v,
            json!({ "unit": UNIT, "sessions": ["07:00-11:00", "13:30-17:30"], "minutes_per_day": 480 }),
            "{b}"
        );
        env.call(
            Method::PUT,
            &format!("/api/v1/units/{OTHER_UNIT}/hours"),
            Some(&env.unit_admin),
            Body::Json(hours),
        )
        .await
        .error(403, "forbidden_calendar", None);
        env.call(
            Method::PUT,
            &format!("/api/v1/units/{UNIT}/hours"),
            Some(&env.unit_admin),
            Body::Json(json!({ "sessions": "17:00-07:00" })),
        )
        .await
        .error(422, "bad_hours", Some("sessions"));
    }
}

// ---- sessions and the API document ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_sign_in_with_a_cookie_or_a_bearer_token_and_sign_out() {
    for env in envs().await.list {
        let b = env.backend;
        let r = env
            .post(
                "/api/v1/session",
                None,
                json!({ "username": "lanhdao.myhiep", "password": PASSWORD }),
            )
            .await;
        let v = r.ok(200);
        let token = v["token"].as_str().expect("token").to_string();
        assert_eq!(v["user"]["roles"], json!(["leader"]), "{b}");
        assert_eq!(v["user"]["units"], json!([UNIT]));
        let cookie = r.headers[SET_COOKIE].to_str().expect("cookie").to_string();
        assert!(
            cookie.starts_with(&format!("motcua_session={token};")),
            "{b}: {cookie}"
        );
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(!r.text().contains("password"), "{b}: {}", r.text());

        let me = env.get("/api/v1/me", Some(&token)).await.ok(200);
        assert_eq!(me["username"], "lanhdao.myhiep");
        let by_cookie = env
            .http
            .get(format!("{}/api/v1/me", env.base))
            .header(COOKIE, format!("motcua_session={token}"))
            .send()
            .await
            .expect("me by cookie");
        assert_eq!(by_cookie.status().as_u16(), 200, "{b}");

        env.post(
            "/api/v1/session",
            None,
            json!({ "username": "lanhdao.myhiep", "password": "sai" }),
        )
        .await
        .error(401, "bad_credentials", None);
        env.post(
            "/api/v1/session",
            None,
            json!({ "username": "khong.co", "password": PASSWORD }),
        )
        .await
        .error(401, "bad_credentials", None);
        env.post("/api/v1/session", None, json!({ "username": "x" }))
            .await
            .error(422, "invalid_json", Some("body"));

        let r = env
            .call(Method::DELETE, "/api/v1/session", Some(&token), Body::None)
            .await;
        assert_eq!(r.status, 204, "{b}");
        assert!(
            r.headers[SET_COOKIE]
                .to_str()
                .expect("cookie")
                .contains("Max-Age=0")
        );
        env.get("/api/v1/me", Some(&token))
            .await
            .error(401, "unauthorized", None);
        // Other sessions live on.
        env.get("/api/v1/me", Some(&env.leader)).await.ok(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_openapi_document_describes_every_route() {
    for env in envs().await.list {
        let r = env.get("/api/openapi.json", None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers[CONTENT_TYPE], "application/json");
        let doc = r.json();
        assert_eq!(doc, generated(), "served as generated");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        assert!(doc["info"]["title"].is_string());
        let paths = doc["paths"].as_object().expect("paths");
        // The documented actions are the domain's, no more, no fewer.
        let actions: Vec<&str> = doc["components"]["schemas"]["Action"]["enum"]
            .as_array()
            .expect("Action enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let known: Vec<&str> = motcua_domain::lifecycle::Action::ALL
            .iter()
            .map(|a| a.as_str())
            .collect();
        assert_eq!(actions, known, "the Action enum of the document");

        let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
        let registered: BTreeSet<&str> = ROUTES.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            documented, registered,
            "documented paths differ from the routes this test expects"
        );
        for (path, methods) in ROUTES {
            let item = paths[*path].as_object().expect("path item");
            let ops: BTreeSet<&str> = item
                .keys()
                .map(String::as_str)
                .filter(|k| ["get", "put", "post", "delete", "patch"].contains(k))
                .collect();
            assert_eq!(ops, methods.iter().copied().collect(), "methods of {path}");
            for m in *methods {
                let op = &item[*m];
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{m} {path}: no summary"
                );
                let responses = op["responses"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{m} {path}: no responses"));
                assert!(
                    responses.keys().any(|k| k.starts_with('2')),
                    "{m} {path}: no success response"
                );
                // Every {parameter} in the path is declared.
                for name in path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                {
                    let declared = op["parameters"]
                        .as_array()
                        .into_iter()
                        .chain(item.get("parameters").and_then(Value::as_array))
                        .flatten()
                        .any(|p| p["name"] == name && p["in"] == "path");
                    assert!(declared, "{m} {path}: path parameter {name} undeclared");
                }
            }
        }
        // The router itself agrees: each documented method reaches a
        // handler (the router's own 404 and 405 have no body), and each
        // undocumented one is refused by the router with 405.
        for (path, item) in paths {
            let concrete = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x0" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            for m in ["get", "post", "put", "delete"] {
                let method =
                    reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
                let r = env
                    .http
                    .request(method, format!("{}{concrete}", env.base))
                    .header(CONTENT_TYPE, "application/json")
                    .body("{}")
                    .send()
                    .await
                    .expect("probe");
                let status = r.status().as_u16();
                let body = r.bytes().await.expect("body");
                if item.get(m).is_some() {
                    assert!(
                        status != 405 && !(status == 404 && body.is_empty()),
                        "{m} {path} is documented but the router does not route it ({status})"
                    );
                } else {
                    assert_eq!(status, 405, "{m} {path} is routed but not documented");
                }
            }
        }
        // Every $ref points at something that exists.
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes");
        assert!(
            schemes
                .values()
                .any(|s| s["type"] == "http" && s["scheme"] == "bearer")
        );
        assert!(schemes.values().any(|s| s["type"] == "apiKey"
            && s["in"] == "cookie"
            && s["name"] == "motcua_session"));
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external $ref {r}"));
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
        let error = &doc["components"]["schemas"]["Error"];
        assert_eq!(
            error["properties"]["error"]["required"],
            json!(["code", "message", "field"])
        );
    }
}

/// The document the server generates, as JSON.
fn generated() -> Value {
    serde_json::to_value(motcua_web::api::document()).expect("document as JSON")
}

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

/// crates/web/openapi.json is the generated document, pretty-printed, so
/// that a change of the API shows in review. `MOTCUA_UPDATE_OPENAPI=1`
/// writes it afresh.
#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    let fresh = motcua_web::api::document()
        .to_pretty_json()
        .expect("document as JSON")
        + "\n";
    if std::env::var_os("MOTCUA_UPDATE_OPENAPI").is_some() {
        std::fs::write(SNAPSHOT, &fresh).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "crates/web/openapi.json is not the document the code generates (first difference at line {}).\n\
             Refresh it with: MOTCUA_UPDATE_OPENAPI=1 cargo test -p motcua-web --test api the_committed_openapi_json\n\
             committed: {:?}\ngenerated: {:?}",
            line + 1,
            committed.lines().nth(line).unwrap_or(""),
            fresh.lines().nth(line).unwrap_or(""),
        );
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

// ---- response bodies against the OpenAPI document ------------------------------

/// Check `v` against `schema` of the OpenAPI document (the subset it uses:
/// `$ref`, `type` with `null`, `enum`, `required`, `properties`, `items`,
/// `oneOf`/`anyOf`/`allOf`, `additionalProperties`). Returns what is wrong,
/// with its JSON path; a property the schema does not declare is wrong too,
/// so the document keeps up with the answers.
fn shape_errors(doc: &Value, schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
        return shape_errors(doc, target, v, path, out);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|o| {
                let mut e = Vec::new();
                shape_errors(doc, o, v, path, &mut e);
                e.is_empty()
            });
            if !fits {
                out.push(format!("{path}: fits none of {key}: {v}"));
            }
            return;
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        // One object with every part's properties and requirements.
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for part in all {
            let part = match part.get("$ref").and_then(Value::as_str) {
                Some(r) => doc.pointer(r.trim_start_matches('#')).expect("allOf $ref"),
                None => part,
            };
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                properties.extend(p.clone());
            }
            if let Some(r) = part.get("required").and_then(Value::as_array) {
                required.extend(r.iter().cloned());
            }
        }
        let merged = json!({ "type": "object", "properties": properties, "required": required });
        return shape_errors(doc, &merged, v, path, out);
    }
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = schema.get("nullable") == Some(&Value::Bool(true));
    let fits = allowed.is_empty()
        || allowed.contains(&kind)
        || (kind == "integer" && allowed.contains(&"number"))
        || (kind == "null" && nullable);
    if !fits {
        out.push(format!(
            "{path}: {kind} where the document says {allowed:?}"
        ));
        return;
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        out.push(format!("{path}: {v} is not among {options:?}"));
    }
    match v {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !map.contains_key(r) {
                    out.push(format!("{path}.{r}: required, missing"));
                }
            }
            let extra = schema.get("additionalProperties");
            for (k, x) in map {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => shape_errors(doc, s, x, &format!("{path}.{k}"), out),
                    None => match extra {
                        Some(Value::Object(_)) => shape_errors(
                            doc,
                            extra.unwrap_or(&Value::Null),
                            x,
                            &format!("{path}.{k}"),
                            out,
                        ),
                        Some(Value::Bool(true)) => {}
                        _ if props.is_none() => {}
                        _ => out.push(format!("{path}.{k}: not in the document")),
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, x) in items.iter().enumerate() {
                    shape_errors(doc, s, x, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// The documented schema of `method path` answering `status` as JSON.
fn response_schema<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> &'a Value {
    let op = &doc["paths"][path][method];
    let resp = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path}: status {status} is not documented"));
    let resp = match resp.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .expect("response $ref"),
        None => resp,
    };
    &resp["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn answers_have_the_shapes_the_openapi_document_gives() {
    let doc = generated();
    for env in envs().await.list {
        let (code, key, version) = env.submit_online().await;
        let counter = env.counter_dossier().await;
        let counter_code = counter["code"].as_str().expect("code").to_string();
        let receptionist = env.receptionist.clone();
        let failures = format!(
            "/api/v1/users/{}/sign-in-failures",
            env.receptionist_user.username
        );
        let checks: Vec<(&str, &str, Resp)> = vec![
            (
                "/api/v1/session",
                "post",
                env.post(
                    "/api/v1/session",
                    None,
                    json!({ "username": env.receptionist_user.username, "password": PASSWORD }),
                )
                .await,
            ),
            (
                "/api/v1/uploads",
                "post",
                env.call(
                    Method::POST,
                    "/api/v1/uploads?filename=a.pdf",
                    None,
                    Body::Raw(pdf("a"), Some("application/pdf")),
                )
                .await,
            ),
            (
                "/api/v1/dossiers/{code}/actions",
                "post",
                env.act(
                    &receptionist,
                    &code,
                    json!({ "action": "receive", "version": version }),
                )
                .await,
            ),
            (
                "/api/v1/dossiers/{code}",
                "get",
                env.get("/api/v1/dossiers/30112-260302-9999", Some(&receptionist))
                    .await,
            ),
            ("/api/v1/me", "get", env.get("/api/v1/me", None).await),
            (
                "/api/v1/users/{username}/sign-in-failures",
                "get",
                env.get(&failures, Some(&env.admin)).await,
            ),
            (
                "/api/v1/calendar/overrides",
                "get",
                env.get("/api/v1/calendar/overrides", None).await,
            ),
            (
                "/api/v1/index/units/{code}",
                "get",
                env.get("/api/v1/index/units/30112", Some(&env.leader))
                    .await,
            ),
            (
                "/api/v1/provinces",
                "get",
                env.get("/api/v1/provinces", None).await,
            ),
            (
                "/api/v1/units",
                "get",
                env.get("/api/v1/units?province=82", None).await,
            ),
            (
                "/api/v1/procedures",
                "get",
                env.get("/api/v1/procedures", None).await,
            ),
            (
                "/api/v1/procedures/{code}",
                "get",
                env.get("/api/v1/procedures/HT-XNHN", None).await,
            ),
            (
                "/api/v1/lookup/{code}",
                "get",
                env.lookup(&code, &key).await,
            ),
            (
                "/api/v1/lookup/{code}",
                "get",
                env.lookup(&code, "SAI-KHOA-00").await,
            ),
            (
                "/api/v1/me",
                "get",
                env.get("/api/v1/me", Some(&receptionist)).await,
            ),
            (
                "/api/v1/dossiers",
                "get",
                env.get("/api/v1/dossiers?unit=30112", Some(&receptionist))
                    .await,
            ),
            (
                "/api/v1/dossiers/{code}",
                "get",
                env.get(
                    &format!("/api/v1/dossiers/{counter_code}"),
                    Some(&receptionist),
                )
                .await,
            ),
            (
                "/api/v1/calendar/due",
                "get",
                env.get(
                    "/api/v1/calendar/due?from=2026-03-02T08:00:00%2B07:00&working_days=5",
                    None,
                )
                .await,
            ),
            (
                "/api/v1/calendar/holidays",
                "get",
                env.get("/api/v1/calendar/holidays?year=2026", None).await,
            ),
            (
                "/api/v1/calendar/lunar",
                "get",
                env.get("/api/v1/calendar/lunar?date=2026-02-17", None)
                    .await,
            ),
            (
                "/api/v1/index",
                "get",
                env.get("/api/v1/index?province=82", None).await,
            ),
        ];
        let mut problems = Vec::new();
        for (path, method, r) in &checks {
            assert_ne!(r.status, 500, "{method} {path}: {}", r.text());
            let schema = response_schema(&doc, path, method, r.status);
            let mut e = Vec::new();
            shape_errors(
                &doc,
                schema,
                &r.json(),
                &format!("{method} {path} {}", r.status),
                &mut e,
            );
            problems.extend(e);
        }
        // The counter intake's answer too.
        let schema = response_schema(&doc, "/api/v1/counter/dossiers", "post", 201);
        shape_errors(
            &doc,
            schema,
            &counter,
            "post /api/v1/counter/dossiers 201",
            &mut problems,
        );
        assert!(
            problems.is_empty(),
            "{}: answers differ from the OpenAPI document:\n{}",
            env.backend,
            problems.join("\n")
        );
    }
}
