//! The officers' back office over real HTTP, as a browser without
//! JavaScript would use it: sign in through the form, carry the session
//! cookie, follow no redirect by itself, post urlencoded and multipart forms.
//! Runs on every test database (SQLite always, PostgreSQL when
//! `MOTCUA_TEST_POSTGRES` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser, Store, User};
use motcua_web::AppState;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use std::sync::OnceLock;
use time::OffsetDateTime;
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp
const OTHER_UNIT: &str = "28261"; // Phường Mỹ Tho
/// Cấp Giấy xác nhận tình trạng hôn nhân: requires to-khai and giay-to-tuy-than.
const PROC: &str = "HT-XNHN";
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
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

struct Env {
    store: Store,
    backend: &'static str,
    base: String,
    http: reqwest::Client,
    receptionist: User,
    other: User,
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
        let receptionist =
            add_user(&store, "tiepnhan.myhiep", vec![Role::Receptionist], &[UNIT]).await;
        add_user(&store, "chuyenvien.myhiep", vec![Role::Specialist], &[UNIT]).await;
        add_user(&store, "lanhdao.myhiep", vec![Role::Leader], &[UNIT]).await;
        add_user(&store, "quantri.myhiep", vec![Role::UnitAdmin], &[UNIT]).await;
        store
            .create_user(
                &NewUser {
                    username: "giamsat.dongthap".into(),
                    full_name: "Giám sát Đồng Tháp".into(),
                    password_hash: password_hash().into(),
                    roles: vec![Role::ProvinceSupervisor],
                    units: Vec::new(),
                    province_code: Some("82".into()),
                },
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("supervisor");
        let other = add_user(
            &store,
            "tiepnhan.mytho",
            vec![Role::Receptionist],
            &[OTHER_UNIT],
        )
        .await;
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
            backend: store.backend_name(),
            store,
            base,
            http,
            receptionist,
            other,
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

/// One part of a multipart body: a field, or a file with its name and type.
struct Part {
    name: String,
    file: Option<(&'static str, &'static str)>,
    bytes: Vec<u8>,
}

fn text(name: &str, value: &str) -> Part {
    Part {
        name: name.to_string(),
        file: None,
        bytes: value.as_bytes().to_vec(),
    }
}

fn file(name: &str, filename: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Part {
    Part {
        name: name.to_string(),
        file: Some((filename, content_type)),
        bytes,
    }
}

/// A multipart/form-data body built by hand; returns (content type, body).
fn multipart(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "----motcua-test-boundary-7d1f";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let head = match p.file {
            Some((filename, ct)) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n",
                p.name
            ),
            None => format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                p.name
            ),
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
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
    async fn post_multipart(&self, path: &str, cookie: &str, parts: &[Part]) -> Resp {
        let (ct, body) = multipart(parts);
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, ct)
            .body(body);
        self.send(req).await
    }
    /// Sign in through the login form; returns the Cookie header value.
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
        assert_eq!(r.status, 303, "{}: {}", self.backend, r.body);
        assert_eq!(r.location(), "/can-bo");
        let set = r.header(SET_COOKIE.as_str()).to_string();
        let pair = set
            .split(';')
            .next()
            .expect("cookie pair")
            .trim()
            .to_string();
        assert!(pair.starts_with("motcua_session="), "{set}");
        pair
    }
    async fn status_of(&self, code: &str) -> String {
        self.store
            .dossier(code)
            .await
            .expect("read")
            .expect("dossier")
            .row
            .status
    }
    async fn version_of(&self, code: &str) -> i64 {
        self.store
            .dossier(code)
            .await
            .expect("read")
            .expect("dossier")
            .row
            .version
    }
    /// A dossier received at the counter of `by`'s unit, papers checked.
    async fn counter_dossier(&self, by: &User, unit: &str) -> String {
        let new = NewDossier {
            unit_code: unit.into(),
            procedure_code: PROC.into(),
            channel: Channel::Counter,
            applicant: applicant(),
            fields: serde_json::json!({}),
            documents: ["to-khai", "giay-to-tuy-than"]
                .iter()
                .map(|c| DocumentRef {
                    code: c.to_string(),
                    upload_id: None,
                    paper: true,
                })
                .collect(),
        };
        self.store
            .create_dossier(new, &Actor::Staff(by.clone()), OffsetDateTime::now_utc())
            .await
            .expect("counter dossier")
            .row
            .code
    }
    /// A dossier submitted online with uploaded scans; returns (code, a document id).
    async fn online_dossier(&self, unit: &str) -> (String, String) {
        let now = OffsetDateTime::now_utc();
        let mut documents = Vec::new();
        for code in ["to-khai", "giay-to-tuy-than"] {
            let meta = self
                .store
                .upload(&pdf(), Some(&format!("{code}.pdf")), "citizen", now)
                .await
                .expect("upload");
            documents.push(DocumentRef {
                code: code.into(),
                upload_id: Some(meta.id),
                paper: false,
            });
        }
        let new = NewDossier {
            unit_code: unit.into(),
            procedure_code: PROC.into(),
            channel: Channel::Online,
            applicant: applicant(),
            fields: serde_json::json!({}),
            documents,
        };
        let rec = self
            .store
            .create_dossier(new, &Actor::Citizen, now)
            .await
            .expect("online dossier");
        let doc = rec.documents.first().expect("a document").id.clone();
        (rec.row.code, doc)
    }
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        full_name: "Trần Thị Mai".into(),
        id_number: "087188001234".into(),
        date_of_birth: "1988-04-12".into(),
        phone: "0912345678".into(),
        email: None,
        address: "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
    }
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// The count shown on the queue link `slug`.
fn queue_count(body: &str, slug: &str) -> String {
    let at = body
        .find(&format!("href=\"/can-bo?q={slug}\""))
        .unwrap_or_else(|| panic!("no queue {slug} in {body}"));
    let rest = &body[at..];
    let start = rest.find("class=\"count\">").expect("count") + "class=\"count\">".len();
    let end = rest[start..].find('<').expect("end of count");
    rest[start..start + end].to_string()
}

/// The value of the hidden input `name` in the form of action `action`.
fn hidden_in_action(body: &str, action: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"action\" value=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action}"));
    let rest = &body[at..];
    let marker = format!("name=\"{name}\" value=\"");
    let start = rest.find(&marker).expect("hidden field") + marker.len();
    let end = rest[start..].find('"').expect("end");
    rest[start..start + end].to_string()
}

#[tokio::test]
async fn staff_sign_in_through_the_form_and_out() {
    let envs = envs().await;
    for env in &envs.list {
        // Not signed in: the back office sends to the login page, coming back after.
        let r = env.get("/can-bo?q=qua-han", None).await;
        r.expect(303);
        assert_eq!(r.location(), "/dang-nhap?next=/can-bo%3Fq%3Dqua-han");
        let r = env.get("/dang-nhap?next=/can-bo", None).await;
        r.expect(200);
        assert!(r.has("id=\"username\"") && r.has("id=\"password\""));
        assert!(r.has("<label for=\"username\">"));

        // A wrong password: 401, the username kept, an error summary linking to the field.
        let r = env
            .post_form(
                "/dang-nhap",
                None,
                &[
                    ("username", "tiepnhan.myhiep"),
                    ("password", "sai-mat-khau"),
                    ("next", "/can-bo"),
                ],
            )
            .await;
        r.expect(401);
        assert!(r.has("class=\"error-summary\""), "{}", r.body);
        assert!(r.has("href=\"#password\""));
        assert!(r.has("value=\"tiepnhan.myhiep\""));
        assert!(r.header(SET_COOKIE.as_str()).is_empty());
        // An unknown user gets the same answer.
        let r = env
            .post_form(
                "/dang-nhap",
                None,
                &[("username", "khong-co"), ("password", "x")],
            )
            .await;
        r.expect(401);

        // Right: the cookie as the API sets it, and back to `next` (never off-site).
        let r = env
            .post_form(
                "/dang-nhap",
                None,
                &[
                    ("username", "tiepnhan.myhiep"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        r.expect(303);
        assert_eq!(r.location(), "/");
        let set = r.header(SET_COOKIE.as_str());
        for part in [
            "motcua_session=",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=",
        ] {
            assert!(set.contains(part), "{set}");
        }
        let cookie = env.login("tiepnhan.myhiep").await;
        env.get("/can-bo", Some(&cookie)).await.expect(200);

        // At a shared counter the form stays available; switching user ends the old session.
        let first = env.login("chuyenvien.myhiep").await;
        let r = env.get("/dang-nhap", Some(&first)).await;
        r.expect(200);
        assert!(r.has("id=\"signed-in\"") && r.has("chuyenvien.myhiep"));
        let r = env
            .post_form(
                "/dang-nhap",
                Some(&first),
                &[("username", "lanhdao.myhiep"), ("password", PASSWORD)],
            )
            .await;
        r.expect(303);
        env.get("/can-bo", Some(&first)).await.expect(303);

        // Sign out: the session is gone and the cookie cleared.
        let r = env.post_form("/dang-xuat", Some(&cookie), &[]).await;
        r.expect(303);
        assert_eq!(r.location(), "/");
        assert!(r.header(SET_COOKIE.as_str()).contains("Max-Age=0"));
        env.get("/can-bo", Some(&cookie)).await.expect(303);
    }
}

#[tokio::test]
async fn work_queues_count_and_list_the_units_dossiers() {
    let envs = envs().await;
    for env in &envs.list {
        let (online, _) = env.online_dossier(UNIT).await;
        let counter = env.counter_dossier(&env.receptionist, UNIT).await;
        env.counter_dossier(&env.other, OTHER_UNIT).await;
        let cookie = env.login("tiepnhan.myhiep").await;

        // A receptionist starts on "Chờ tiếp nhận".
        let r = env.get("/can-bo", Some(&cookie)).await;
        r.expect(200);
        assert!(r.has("class=\"queues\""));
        assert!(r.has("href=\"/can-bo?q=cho-tiep-nhan\" class=\"current\""));
        assert_eq!(queue_count(&r.body, "cho-tiep-nhan"), "1");
        assert_eq!(queue_count(&r.body, "da-tiep-nhan"), "1");
        assert_eq!(queue_count(&r.body, "dang-xu-ly"), "0");
        assert_eq!(queue_count(&r.body, "qua-han"), "0");
        // Only this unit's dossiers: the other unit's is not counted.
        assert_eq!(queue_count(&r.body, "tat-ca"), "2");
        assert!(r.has(&format!("href=\"/can-bo/ho-so/{online}\"")));
        assert!(!r.has(&format!("href=\"/can-bo/ho-so/{counter}\"")));
        for head in ["Mã hồ sơ", "Thủ tục", "Người nộp", "Hạn trả", "Trạng thái"]
        {
            assert!(r.has(head), "{head}");
        }
        // Most urgent first by default, with how long each has waited or has left.
        assert!(r.has("<strong aria-current=\"true\">Gấp nhất trước</strong>"));
        assert!(r.has("Chờ tiếp nhận 0 ngày"), "{}", r.body);
        let r = env.get("/can-bo?q=da-tiep-nhan", Some(&cookie)).await;
        r.expect(200);
        assert!(r.has(&format!("href=\"/can-bo/ho-so/{counter}\"")));
        assert!(r.has("Cấp Giấy xác nhận tình trạng hôn nhân"));
        assert!(r.has("Trần Thị Mai"));
        assert!(r.has("class=\"tag urgency\">Còn "), "{}", r.body);
        assert!(!r.has("Chuyên viên:"), "no assignee repeated in each row");
        // The search box finds by code, name (without diacritics) or number.
        let all = |tim: &str| format!("/can-bo?q=tat-ca&tim={}", tim.replace(' ', "+"));
        let r = env.get(&all(&counter), Some(&cookie)).await;
        assert!(r.has(&format!("href=\"/can-bo/ho-so/{counter}\"")));
        assert!(!r.has(&format!("href=\"/can-bo/ho-so/{online}\"")));
        let r = env.get(&all("tran thi mai"), Some(&cookie)).await;
        assert!(r.has(&format!("href=\"/can-bo/ho-so/{counter}\"")));
        assert!(r.has(&format!("href=\"/can-bo/ho-so/{online}\"")));
        assert!(
            r.has("value=\"tran thi mai\""),
            "the words typed stay in the box"
        );
        let r = env.get(&all("Nguyễn Văn"), Some(&cookie)).await;
        r.expect(200);
        assert!(r.has("Không có hồ sơ nào khớp với"));
        // Other orders are a link away, and page on.
        let r = env
            .get("/can-bo?q=tat-ca&sort=cu-nhat", Some(&cookie))
            .await;
        assert!(r.has("<strong aria-current=\"true\">Cũ nhất trước</strong>"));
        let (a, b) = (r.body.find(&online), r.body.find(&counter));
        assert!(a < b, "the online one was made first");

        // Filtering by a unit the officer does not work for is forbidden.
        env.get(&format!("/can-bo?unit={OTHER_UNIT}"), Some(&cookie))
            .await
            .expect(403);
        env.get(&format!("/can-bo?unit={UNIT}&q=tat-ca"), Some(&cookie))
            .await
            .expect(200);

        // A specialist starts on the dossiers assigned to them; a leader on approvals.
        let specialist = env.login("chuyenvien.myhiep").await;
        let r = env.get("/can-bo", Some(&specialist)).await;
        assert!(r.has("href=\"/can-bo?q=giao-cho-toi\" class=\"current\""));
        let leader = env.login("lanhdao.myhiep").await;
        let r = env.get("/can-bo", Some(&leader)).await;
        assert!(r.has("href=\"/can-bo?q=cho-phe-duyet\" class=\"current\""));
        // A province supervisor lands on the index; a queue is still a click away.
        let supervisor = env.login("giamsat.dongthap").await;
        let r = env.get("/can-bo", Some(&supervisor)).await;
        r.expect(303);
        assert_eq!(r.location(), "/giam-sat/chi-so");
        env.get("/can-bo?q=tat-ca", Some(&supervisor))
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn an_officer_cannot_open_another_units_dossier_or_document() {
    let envs = envs().await;
    for env in &envs.list {
        let (theirs, doc) = env.online_dossier(OTHER_UNIT).await;
        let (ours, our_doc) = env.online_dossier(UNIT).await;
        let cookie = env.login("tiepnhan.myhiep").await;

        let r = env
            .get(&format!("/can-bo/ho-so/{theirs}"), Some(&cookie))
            .await;
        r.expect(404);
        assert!(r.has("Không tìm thấy hồ sơ"));
        assert!(!r.has("Trần Thị Mai"));
        let r = env
            .get("/can-bo/ho-so/30112-260101-9999", Some(&cookie))
            .await;
        r.expect(404);
        // The error page keeps the officer signed in, with the site's header.
        assert!(r.has("Đăng xuất (tiepnhan.myhiep)"), "{}", r.body);
        let r = env.get("/can-bo/khong-co", Some(&cookie)).await;
        r.expect(404);
        assert!(r.has("Đăng xuất (tiepnhan.myhiep)"));
        env.get(&format!("/can-bo/ho-so/{theirs}/bien-nhan"), Some(&cookie))
            .await
            .expect(404);
        env.get(&format!("/can-bo/tai-lieu/{doc}"), Some(&cookie))
            .await
            .expect(404);
        // Nor act on it with a forged form.
        let r = env
            .post_form(
                &format!("/can-bo/ho-so/{theirs}/thao-tac"),
                Some(&cookie),
                &[("action", "receive"), ("version", "1")],
            )
            .await;
        r.expect(404);
        assert_eq!(env.status_of(&theirs).await, "submitted");

        // Their own unit's document: the bytes, shown inline, frameable by our pages only.
        let r = env
            .get(&format!("/can-bo/tai-lieu/{our_doc}"), Some(&cookie))
            .await;
        r.expect(200);
        assert_eq!(r.header("content-type"), "application/pdf");
        assert_eq!(r.header("content-disposition"), "inline");
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert_eq!(r.header("x-frame-options"), "SAMEORIGIN");
        let csp = r.header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("sandbox"),
            "{csp}"
        );
        assert!(r.body.starts_with("%PDF-"));
        // And the dossier page previews it.
        let r = env
            .get(&format!("/can-bo/ho-so/{ours}"), Some(&cookie))
            .await;
        r.expect(200);
        assert!(r.has(&format!(
            "<iframe class=\"preview\" src=\"/can-bo/tai-lieu/{our_doc}\""
        )));
        // Signed out, nothing.
        env.get(&format!("/can-bo/tai-lieu/{our_doc}"), None)
            .await
            .expect(303);
    }
}

#[tokio::test]
async fn counter_intake_receives_at_once_and_prints_the_receipt() {
    let envs = envs().await;
    for env in &envs.list {
        let cookie = env.login("tiepnhan.myhiep").await;
        let r = env
            .get(&format!("/can-bo/tiep-nhan?thu_tuc={PROC}"), Some(&cookie))
            .await;
        r.expect(200);
        for id in [
            "id=\"full_name\"",
            "id=\"id_number\"",
            "id=\"date_of_birth\"",
            "id=\"phone\"",
            "id=\"email\"",
            "id=\"address\"",
            "id=\"intake-submit\"",
            "name=\"paper:to-khai\"",
            "name=\"file:giay-to-tuy-than\"",
        ] {
            assert!(r.has(id), "{id}");
        }
        let nonce = {
            let m = "name=\"nonce\" value=\"";
            let s = r.body.find(m).expect("nonce") + m.len();
            r.body[s..s + 32].to_string()
        };

        // Mistakes: every field at fault listed, what was typed kept, files to choose again.
        let before = env.store.count_dossiers().await.expect("count");
        let bad = [
            text("nonce", &nonce),
            text("unit", UNIT),
            text("procedure", PROC),
            text("channel", "counter"),
            text("full_name", "Trần Thị Mai"),
            text("id_number", "12345"),
            text("date_of_birth", "12/04/1988"),
            text("phone", "0912345678"),
            text("email", ""),
            text("address", "Ấp 2, xã Mỹ Hiệp"),
            file(
                "file:giay-to-tuy-than",
                "cccd.pdf",
                "application/pdf",
                pdf(),
            ),
        ];
        let r = env.post_multipart("/can-bo/tiep-nhan", &cookie, &bad).await;
        r.expect(422);
        assert!(r.has("class=\"error-summary\""));
        assert!(r.has("href=\"#id_number\""), "{}", r.body);
        assert!(r.has("href=\"#file-to-khai\""), "{}", r.body);
        assert!(r.has("value=\"Trần Thị Mai\""));
        assert!(r.has("value=\"12345\""));
        assert!(r.has("id=\"files-lost\""));
        assert_eq!(env.store.count_dossiers().await.expect("count"), before);

        // Right: one scan, one paper copy checked → received, then the receipt.
        let good = [
            text("nonce", &nonce),
            text("unit", UNIT),
            text("procedure", PROC),
            text("channel", "counter"),
            text("full_name", "Trần Thị Mai"),
            text("id_number", "087188001234"),
            text("date_of_birth", "12/04/1988"),
            text("phone", "0912 345 678"),
            text("email", ""),
            text("address", "Ấp 2, xã Mỹ Hiệp"),
            text("paper:to-khai", "1"),
            file(
                "file:giay-to-tuy-than",
                "cccd.pdf",
                "application/pdf",
                pdf(),
            ),
            text("go", "tiep-nhan"),
        ];
        let r = env
            .post_multipart("/can-bo/tiep-nhan", &cookie, &good)
            .await;
        r.expect(303);
        let receipt = r.location().to_string();
        let code = receipt
            .strip_prefix("/can-bo/ho-so/")
            .and_then(|x| x.strip_suffix("/bien-nhan"))
            .expect("receipt path")
            .to_string();
        assert!(code.starts_with(UNIT), "{code}");
        assert_eq!(env.status_of(&code).await, "received");
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(rec.row.channel, "counter");
        assert_eq!(rec.documents.len(), 2);
        assert!(rec.documents.iter().any(|d| d.paper));
        // A second click of the same form gives the same dossier, not a new one.
        let count = env.store.count_dossiers().await.expect("count");
        let r = env
            .post_multipart("/can-bo/tiep-nhan", &cookie, &good)
            .await;
        r.expect(303);
        assert_eq!(r.location(), receipt);
        assert_eq!(env.store.count_dossiers().await.expect("count"), count);

        let r = env.get(&receipt, Some(&cookie)).await;
        r.expect(200);
        assert!(r.has(&format!("<strong id=\"receipt-code\">{code}</strong>")));
        assert!(r.has("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(r.has("Độc lập - Tự do - Hạnh phúc"));
        assert!(r.has("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
        assert!(r.has("Trần Thị Mai"));
        // The key, shown to the officer who issued it, opens the dossier.
        let key = r
            .body
            .split("<strong id=\"receipt-key\">")
            .nth(1)
            .and_then(|x| x.split('<').next())
            .expect("the receipt shows the new key")
            .to_string();
        assert!(
            env.store
                .dossier_row_by_key(&code, &key)
                .await
                .expect("read")
                .is_some()
        );
        assert!(r.has("Bản giấy đã kiểm tra"));
        assert!(r.has("<svg"));
        assert!(r.has("Cán bộ tiepnhan.myhiep"));
        assert!(r.has(&format!("/tra-cuu?code={code}&#38;key={key}")));
    }
}

#[tokio::test]
async fn actions_through_the_forms_carry_a_dossier_to_returned() {
    let envs = envs().await;
    for env in &envs.list {
        let (code, _) = env.online_dossier(UNIT).await;
        let page = format!("/can-bo/ho-so/{code}");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        let receptionist = env.login("tiepnhan.myhiep").await;
        let specialist = env.login("chuyenvien.myhiep").await;
        let leader = env.login("lanhdao.myhiep").await;

        // Only what this officer may do now.
        let r = env.get(&page, Some(&receptionist)).await;
        r.expect(200);
        // The catalog version it is decided under is named on the page.
        assert!(r.has("danh mục phiên bản 1"), "{}", r.body);
        assert!(r.has("id=\"act-receive\""));
        assert!(r.has("id=\"note-refuse_intake\""));
        assert!(!r.has("id=\"act-propose\"") && !r.has("id=\"act-approve\""));
        // Not received yet: no receipt to print, no result page.
        assert!(!r.has("id=\"print-receipt\"") && !r.has("id=\"result-page\""));
        let version = hidden_in_action(&r.body, "receive", "version");
        let r = env
            .post_form(
                &act,
                Some(&receptionist),
                &[("action", "receive"), ("version", &version)],
            )
            .await;
        r.expect(303);
        assert_eq!(r.location(), format!("{page}?ok=receive"));
        assert_eq!(env.status_of(&code).await, "received");
        let r = env
            .get(&format!("{page}?ok=receive"), Some(&receptionist))
            .await;
        assert!(r.has("id=\"notice\""));
        assert!(r.has("Tiếp nhận lúc"));
        assert!(
            r.has("id=\"print-receipt\""),
            "received: the receipt applies"
        );

        // Assign: a select of the unit's specialists; nothing chosen is an error.
        assert!(r.has("<option value=\"chuyenvien.myhiep\""));
        let version = hidden_in_action(&r.body, "assign", "version");
        let r = env
            .post_form(
                &act,
                Some(&receptionist),
                &[
                    ("action", "assign"),
                    ("version", &version),
                    ("assignee", ""),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#assignee\""));
        let r = env
            .post_form(
                &act,
                Some(&receptionist),
                &[
                    ("action", "assign"),
                    ("version", &version),
                    ("assignee", "chuyenvien.myhiep"),
                ],
            )
            .await;
        r.expect(303);
        assert_eq!(env.status_of(&code).await, "processing");

        // The specialist asks for a supplement without a reason: 422, the ticks kept.
        let r = env.get(&page, Some(&specialist)).await;
        assert!(r.has("id=\"act-propose\""));
        assert!(r.has("id=\"act-request_supplement\""));
        assert!(!r.has("id=\"act-receive\""));
        let version = hidden_in_action(&r.body, "request_supplement", "version");
        let r = env
            .post_form(
                &act,
                Some(&specialist),
                &[
                    ("action", "request_supplement"),
                    ("version", &version),
                    ("missing", "to-khai"),
                    ("note", ""),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#note-request_supplement\""), "{}", r.body);
        assert!(r.has("id=\"missing-to-khai\" name=\"missing\" value=\"to-khai\" checked"));

        let r = env
            .post_form(
                &act,
                Some(&specialist),
                &[("action", "propose"), ("version", &version)],
            )
            .await;
        r.expect(303);
        assert_eq!(env.status_of(&code).await, "awaiting_approval");

        let r = env.get(&page, Some(&leader)).await;
        let version = hidden_in_action(&r.body, "approve", "version");
        assert!(r.has("id=\"note-send_back\""));
        env.post_form(
            &act,
            Some(&leader),
            &[("action", "approve"), ("version", &version)],
        )
        .await
        .expect(303);
        assert_eq!(env.status_of(&code).await, "result_ready");

        let r = env.get(&page, Some(&receptionist)).await;
        let version = hidden_in_action(&r.body, "return_result", "version");
        // Worded as what the officer does; without a signed electronic
        // result the default is the counter; the post is addressed already.
        assert!(r.has(">Trả kết quả cho người dân</button>"));
        assert!(
            r.has("id=\"delivery-counter\" name=\"delivery\" value=\"counter\" checked"),
            "{}",
            r.body
        );
        assert!(r.has("id=\"postal_address\" name=\"postal_address\" value=\"Ấp 2, xã Mỹ Hiệp"));
        // The history names the citizen in words, in Vietnamese and in English.
        assert!(r.has("Người dân") && !r.has("citizen ("), "{}", r.body);
        let en = env
            .get(&page, Some(&format!("{receptionist}; lang=en")))
            .await;
        assert!(en.has("Submitted online") && en.has("Propose for approval"));
        assert!(!en.has("propose ") && !en.has("create at counter"));
        env.post_form(
            &act,
            Some(&receptionist),
            &[("action", "return_result"), ("version", &version)],
        )
        .await
        .expect(303);
        assert_eq!(env.status_of(&code).await, "returned");
        let r = env.get(&page, Some(&receptionist)).await;
        // Nothing moves a returned dossier; the counter can still issue a new key.
        assert!(r.has("id=\"act-reissue_key\""));
        assert!(!r.has("id=\"act-return_result\""));
        // A specialist has nothing left to do.
        let r = env.get(&page, Some(&specialist)).await;
        assert!(r.has("id=\"no-actions\""));
        for label in [
            "Tiếp nhận hồ sơ",
            "Chuyển xử lý",
            "Trình phê duyệt",
            "Phê duyệt",
            "Trả kết quả",
        ] {
            assert!(r.has(label), "{label}");
        }
    }
}

#[tokio::test]
async fn a_stale_form_shows_the_conflict_and_keeps_the_note() {
    let envs = envs().await;
    for env in &envs.list {
        let code = env.counter_dossier(&env.receptionist, UNIT).await;
        let page = format!("/can-bo/ho-so/{code}");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        let receptionist = env.login("tiepnhan.myhiep").await;

        // The officer opens the page…
        let r = env.get(&page, Some(&receptionist)).await;
        let stale = hidden_in_action(&r.body, "request_supplement", "version");
        // …someone else acts first…
        let fresh = env.version_of(&code).await;
        env.store
            .act(
                &code,
                &motcua_store::ActionRequest {
                    action: "assign".into(),
                    version: fresh,
                    assignee: Some("chuyenvien.myhiep".into()),
                    ..Default::default()
                },
                &Actor::Staff(env.receptionist.clone()),
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("assign");
        // …and the officer's form, with a long note typed, arrives late.
        let note = "Thiếu bản sao giấy khai sinh có chứng thực; đề nghị bổ sung trong 5 ngày";
        let r = env
            .post_form(
                &act,
                Some(&receptionist),
                &[
                    ("action", "request_supplement"),
                    ("version", &stale),
                    ("missing", "to-khai"),
                    ("note", note),
                ],
            )
            .await;
        r.expect(409);
        assert!(r.has("Hồ sơ vừa được người khác cập nhật"));
        assert!(r.has("id=\"conflict\""));
        // The current state, and the note in the form of the same action, nothing lost.
        assert!(r.has("Đang xử lý"));
        assert!(r.has(&format!(
            "aria-describedby=\"note-request_supplement-hint\">{note}</textarea>"
        )));
        assert_ne!(
            hidden_in_action(&r.body, "request_supplement", "version"),
            stale
        );
        assert_eq!(env.status_of(&code).await, "processing");

        // An action no longer possible: the note is kept beside the conflict message.
        let r = env
            .post_form(
                &act,
                Some(&receptionist),
                &[
                    ("action", "refuse_intake"),
                    ("version", &stale),
                    ("note", note),
                ],
            )
            .await;
        r.expect(409);
        assert!(r.has(&format!("readonly>{note}</textarea>")), "{}", r.body);

        // A cross-site post is refused before it reaches the handler.
        let version = env.version_of(&code).await.to_string();
        let req = env
            .http
            .post(format!("{}{act}", env.base))
            .header(COOKIE, &receptionist)
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .form(&[("action", "withdraw"), ("version", &version), ("note", "x")]);
        env.send(req).await.expect(403);
        assert_eq!(env.status_of(&code).await, "processing");
    }
}

#[tokio::test]
async fn unit_admins_edit_the_calendar_others_read_it() {
    let envs = envs().await;
    for env in &envs.list {
        let admin = env.login("quantri.myhiep").await;
        let r = env.get("/can-bo/lich?nam=2026", Some(&admin)).await;
        r.expect(200);
        assert!(r.has("Tết Nguyên đán"));
        assert!(r.has("17/02/2026"));
        assert!(r.has("id=\"add-override\""));
        // Where each day comes from: the 2026 notice, unverified, with its
        // make-up Saturdays and the pending 24/11 to switch on.
        assert!(
            r.has("9441/TB-BNV") && r.has("chưa kiểm chứng"),
            "{}",
            r.body
        );
        let made_up = r.body.split("id=\"working-days\"").nth(1).unwrap_or("");
        assert!(made_up.contains("10/01/2026") && made_up.contains("22/08/2026"));
        assert!(r.has("id=\"apply-2026-11-24\""));
        let r = env.get("/can-bo/lich?nam=2027", Some(&admin)).await;
        assert!(r.has("Tính theo Bộ luật Lao động 2019"), "{}", r.body);
        let r = env
            .post_form(
                "/can-bo/lich",
                Some(&admin),
                &[
                    ("op", "add"),
                    ("nam", "2026"),
                    ("unit", UNIT),
                    ("scope", UNIT),
                    ("date", "2026-11-24"),
                    ("kind", "day_off"),
                    ("name", "Ngày Văn hóa Việt Nam"),
                ],
            )
            .await;
        r.expect(303);
        let r = env.get(r.location(), Some(&admin)).await;
        assert!(!r.has("id=\"apply-2026-11-24\""));
        let off = r.body.split("id=\"days-off\"").nth(1).unwrap_or("");
        assert!(off.contains("24/11/2026") && off.contains("Ngoại lệ của đơn vị"));
        let cal = env.store.calendar(Some(UNIT)).await.expect("calendar");
        assert!(!cal.is_working_day(time::macros::date!(2026 - 11 - 24)));
        // The national calendar is untouched.
        let national = env.store.calendar(None).await.expect("calendar");
        assert!(national.is_working_day(time::macros::date!(2026 - 11 - 24)));

        let r = env
            .post_form(
                "/can-bo/lich",
                Some(&admin),
                &[
                    ("op", "add"),
                    ("nam", "2026"),
                    ("unit", UNIT),
                    ("scope", UNIT),
                    ("date", "2026-13-40"),
                    ("kind", "day_off"),
                    ("name", ""),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#date\"") && r.has("href=\"#name\""));

        let r = env
            .post_form(
                "/can-bo/lich",
                Some(&admin),
                &[
                    ("op", "add"),
                    ("nam", "2026"),
                    ("unit", UNIT),
                    ("scope", UNIT),
                    ("date", "2026-02-28"),
                    ("kind", "working_day"),
                    ("name", "Làm bù Tết"),
                ],
            )
            .await;
        r.expect(303);
        let r = env.get(r.location(), Some(&admin)).await;
        assert!(r.has("Làm bù Tết"));
        assert!(r.has("id=\"delete-2026-02-28\""));
        let cal = env.store.calendar(Some(UNIT)).await.expect("calendar");
        assert!(cal.is_working_day(time::macros::date!(2026 - 02 - 28)));

        // National days are for system admins only.
        env.post_form(
            "/can-bo/lich",
            Some(&admin),
            &[
                ("op", "add"),
                ("nam", "2026"),
                ("unit", UNIT),
                ("scope", ""),
                ("date", "2026-03-02"),
                ("kind", "day_off"),
                ("name", "Nghỉ"),
            ],
        )
        .await
        .expect(403);

        // A receptionist reads, without forms, and cannot post.
        let receptionist = env.login("tiepnhan.myhiep").await;
        let r = env.get("/can-bo/lich?nam=2026", Some(&receptionist)).await;
        r.expect(200);
        assert!(r.has("Làm bù Tết"));
        assert!(!r.has("id=\"add-override\"") && !r.has("id=\"delete-2026-02-28\""));
        env.post_form(
            "/can-bo/lich",
            Some(&receptionist),
            &[
                ("op", "delete"),
                ("nam", "2026"),
                ("unit", UNIT),
                ("scope", UNIT),
                ("date", "2026-02-28"),
            ],
        )
        .await
        .expect(403);

        let r = env
            .post_form(
                "/can-bo/lich",
                Some(&admin),
                &[
                    ("op", "delete"),
                    ("nam", "2026"),
                    ("unit", UNIT),
                    ("scope", UNIT),
                    ("date", "2026-02-28"),
                ],
            )
            .await;
        r.expect(303);
        let cal = env.store.calendar(Some(UNIT)).await.expect("calendar");
        assert!(!cal.is_working_day(time::macros::date!(2026 - 02 - 28)));
    }
}

/// Walk a dossier through the store to the status an action needs.
async fn walk_to(env: &Env, code: &str, steps: &[(&str, &str)]) {
    for (action, who) in steps {
        let user = env
            .store
            .user_by_username(who)
            .await
            .expect("read")
            .expect("user");
        let req = motcua_store::ActionRequest {
            action: (*action).into(),
            version: env.version_of(code).await,
            assignee: Some("chuyenvien.myhiep".into()),
            note: Some("lý do".into()),
            missing: vec!["to-khai".into()],
            documents: vec![DocumentRef {
                code: "to-khai".into(),
                upload_id: None,
                paper: true,
            }],
            ..Default::default()
        };
        env.store
            .act(code, &req, &Actor::Staff(user), OffsetDateTime::now_utc())
            .await
            .unwrap_or_else(|e| panic!("{action} by {who}: {e}"));
    }
}

#[tokio::test]
async fn a_second_supplement_request_warns_and_waits_for_confirmation() {
    let envs = envs().await;
    for env in &envs.list {
        let (code, _) = env.online_dossier(UNIT).await;
        walk_to(
            env,
            &code,
            &[
                ("receive", "tiepnhan.myhiep"),
                ("assign", "tiepnhan.myhiep"),
                ("request_supplement", "chuyenvien.myhiep"),
                ("supplement", "tiepnhan.myhiep"),
            ],
        )
        .await;
        let page = format!("/can-bo/ho-so/{code}");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        let specialist = env.login("chuyenvien.myhiep").await;
        let r = env.get(&page, Some(&specialist)).await;
        r.expect(200);
        assert!(r.has("id=\"second-supplement\""), "{}", r.body);
        assert!(r.has("Hồ sơ đã được yêu cầu bổ sung"));
        let version = hidden_in_action(&r.body, "request_supplement", "version");
        let ask = |confirm: bool| {
            let mut fields = vec![
                ("action", "request_supplement"),
                ("version", version.as_str()),
                ("missing", "to-khai"),
                ("note", "Tờ khai còn thiếu chữ ký"),
            ];
            if confirm {
                fields.push(("confirm_late", "1"));
            }
            fields
        };
        // Without the tick: refused with the warning, nothing written.
        let r = env.post_form(&act, Some(&specialist), &ask(false)).await;
        r.expect(422);
        assert!(r.has("href=\"#confirm_late\""), "{}", r.body);
        assert!(r.has("tính là trễ hạn"));
        assert_eq!(env.status_of(&code).await, "processing");
        assert_eq!(env.version_of(&code).await.to_string(), version);
        // Confirmed: the request goes out and the event says it was confirmed.
        let r = env.post_form(&act, Some(&specialist), &ask(true)).await;
        r.expect(303);
        assert_eq!(env.status_of(&code).await, "awaiting_supplement");
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        let last = rec.events.last().expect("event");
        assert_eq!(last.payload.late_confirmed, Some(true));
        assert_eq!(rec.row.supplement_requests, 2);
    }
}

#[tokio::test]
async fn every_page_action_from_a_stale_version_says_why_and_changes_nothing() {
    let envs = envs().await;
    for env in &envs.list {
        // A second receptionist changes each dossier while the first looks at it.
        add_user(
            &env.store,
            "tiepnhan2.myhiep",
            vec![Role::Receptionist],
            &[UNIT],
        )
        .await;
        let assign = [("assign", "tiepnhan.myhiep")];
        let to_approval = [
            ("assign", "tiepnhan.myhiep"),
            ("propose", "chuyenvien.myhiep"),
        ];
        let to_ready = [
            ("assign", "tiepnhan.myhiep"),
            ("propose", "chuyenvien.myhiep"),
            ("approve", "lanhdao.myhiep"),
        ];
        // (action, officer, online, the steps that bring the dossier there)
        type Case<'a> = (&'a str, &'a str, bool, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            ("receive", "tiepnhan.myhiep", true, &[]),
            ("refuse_intake", "tiepnhan.myhiep", true, &[]),
            ("assign", "tiepnhan.myhiep", false, &[]),
            ("request_supplement", "tiepnhan.myhiep", false, &[]),
            (
                "supplement",
                "tiepnhan.myhiep",
                false,
                &[("request_supplement", "tiepnhan.myhiep")],
            ),
            ("withdraw", "tiepnhan.myhiep", false, &[]),
            ("propose", "chuyenvien.myhiep", false, &assign),
            ("apologize", "lanhdao.myhiep", false, &assign),
            ("approve", "lanhdao.myhiep", false, &to_approval),
            ("send_back", "lanhdao.myhiep", false, &to_approval),
            ("reject", "lanhdao.myhiep", false, &to_approval),
            ("return_result", "tiepnhan.myhiep", false, &to_ready),
            ("reissue_key", "tiepnhan.myhiep", false, &[]),
            ("correct_applicant", "tiepnhan.myhiep", false, &[]),
        ];
        // One sign-in each: sign-ins are rate-limited per client.
        let mut cookies = std::collections::HashMap::new();
        for officer in ["tiepnhan.myhiep", "chuyenvien.myhiep", "lanhdao.myhiep"] {
            cookies.insert(officer, env.login(officer).await);
        }
        for (action, officer, online, steps) in cases {
            let code = if *online {
                env.online_dossier(UNIT).await.0
            } else {
                env.counter_dossier(&env.receptionist, UNIT).await
            };
            walk_to(env, &code, steps).await;
            let cookie = cookies[officer].clone();
            // The officer opens the page and fills the form…
            let page = env
                .get(&format!("/can-bo/ho-so/{code}"), Some(&cookie))
                .await;
            // An apology is not offered days ahead of the due date; the
            // form may still come (an older page, the API) and is checked the same.
            let stale = if *action == "apologize" {
                assert!(!page.has("id=\"act-apologize\""), "apology offered early");
                env.version_of(&code).await.to_string()
            } else {
                hidden_in_action(&page.body, action, "version")
            };
            // …the other receptionist gives the citizen a new key meanwhile…
            walk_to(env, &code, &[("reissue_key", "tiepnhan2.myhiep")]).await;
            let before = env.store.dossier(&code).await.expect("read").expect("rec");
            // …and the form arrives.
            let r = env
                .post_form(
                    &format!("/can-bo/ho-so/{code}/thao-tac"),
                    Some(&cookie),
                    &[
                        ("action", action),
                        ("version", &stale),
                        ("note", "lý do của tôi"),
                        ("assignee", "chuyenvien.myhiep"),
                        ("new_due", "2030-01-02T10:00"),
                        ("missing", "to-khai"),
                        ("paper:to-khai", "on"),
                        ("fix:full_name", "Trần Thị Mai"),
                        ("fix:id_number", "087188001234"),
                        ("fix:date_of_birth", "1988-04-12"),
                        ("fix:phone", "0912345678"),
                        ("fix:address", "Ấp 3, xã Mỹ Hiệp, tỉnh Đồng Tháp"),
                    ],
                )
                .await;
            assert_eq!(r.status, 409, "{action} from a stale page: {}", r.body);
            assert!(r.has("id=\"conflict\""), "{action}");
            assert!(
                r.has("chưa được thực hiện"),
                "{action}: says it was not done"
            );
            assert!(
                r.has("tiepnhan2.myhiep") && r.has("Cấp lại mã tra cứu"),
                "{action}: says who changed the dossier and how"
            );
            let after = env.store.dossier(&code).await.expect("read").expect("rec");
            assert_eq!(after.row, before.row, "{action} changed the dossier");
            assert_eq!(after.events.len(), before.events.len());
        }

        // Two tabs of one officer: tab A assigns to one specialist, tab B, on
        // the old version, to another: B is told plainly it did not happen.
        add_user(
            &env.store,
            "chuyenvien2.myhiep",
            vec![Role::Specialist],
            &[UNIT],
        )
        .await;
        let code = env.counter_dossier(&env.receptionist, UNIT).await;
        let cookie = env.login("tiepnhan.myhiep").await;
        let page = env
            .get(&format!("/can-bo/ho-so/{code}"), Some(&cookie))
            .await;
        let old = hidden_in_action(&page.body, "assign", "version");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        let tab = |assignee: &'static str| {
            let (act, cookie, old) = (act.clone(), cookie.clone(), old.clone());
            async move {
                env.post_form(
                    &act,
                    Some(&cookie),
                    &[
                        ("action", "assign"),
                        ("version", &old),
                        ("assignee", assignee),
                    ],
                )
                .await
            }
        };
        tab("chuyenvien.myhiep").await.expect(303);
        let b = tab("chuyenvien2.myhiep").await;
        assert_eq!(
            b.status,
            409,
            "tab B was told it was done: {}",
            b.location()
        );
        assert!(b.has("chưa được thực hiện"));
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.assignee.as_deref(), Some("chuyenvien.myhiep"));
        // The same form sent twice (a double click) is still one success.
        let again = tab("chuyenvien.myhiep").await;
        assert_eq!(again.status, 303);
        assert!(again.location().ends_with("?ok=assign"));
    }
}

#[tokio::test]
async fn a_receptionist_corrects_the_applicant_with_an_event() {
    let envs = envs().await;
    for env in &envs.list {
        let code = env.counter_dossier(&env.receptionist, UNIT).await;
        // Stored by an earlier release, before input was checked: unprintable.
        env.store
            .execute_raw(&format!(
                "UPDATE dossiers SET applicant_address = 'Ấp 2 \u{1F600}' WHERE code = '{code}'"
            ))
            .await
            .expect("old data");
        let listed = env.store.unprintable_dossiers().await.expect("check");
        assert!(listed.iter().any(|(c, _)| c == &code), "{listed:?}");
        let page = format!("/can-bo/ho-so/{code}");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        // Only the counter corrects what the counter typed.
        let specialist = env.login("chuyenvien.myhiep").await;
        let r = env.get(&page, Some(&specialist)).await;
        assert!(
            !r.has("value=\"correct_applicant\""),
            "offered to a specialist"
        );
        let receptionist = env.login("tiepnhan.myhiep").await;
        let r = env.get(&page, Some(&receptionist)).await;
        assert!(r.has("id=\"fix-address\""), "{}", r.body);
        let version = hidden_in_action(&r.body, "correct_applicant", "version");
        let form = |address: &'static str, id: &'static str, note: &'static str| {
            vec![
                ("action", "correct_applicant"),
                ("fix:full_name", "Trần Thị Mai"),
                ("fix:id_number", id),
                ("fix:date_of_birth", "1988-04-12"),
                ("fix:phone", "0912345678"),
                ("fix:address", address),
                ("note", note),
            ]
        };
        let post = |fields: Vec<(&'static str, &'static str)>| {
            let mut fields: Vec<(&str, &str)> = fields;
            fields.push(("version", &version));
            let (act, cookie) = (act.clone(), receptionist.clone());
            async move { env.post_form(&act, Some(&cookie), &fields).await }
        };
        // A wrong ID number is named on its field; a correction needs a reason.
        let r = post(form("Ấp 2, xã Mỹ Hiệp", "0871", "Sai địa chỉ")).await;
        r.expect(422);
        assert!(r.has("href=\"#fix-id_number\""), "{}", r.body);
        let r = post(form("Ấp 2, xã Mỹ Hiệp", "087188001234", "")).await;
        r.expect(422);
        assert!(r.has("href=\"#note-correct_applicant\""), "{}", r.body);
        // What the font cannot print is refused at input too.
        let r = post(form("Ấp 2 \u{1F600}", "087188001234", "Sai địa chỉ")).await;
        r.expect(422);
        assert!(r.has("href=\"#fix-address\""), "{}", r.body);
        assert_eq!(env.version_of(&code).await.to_string(), version);
        let r = post(form(
            "Ấp 2, xã Mỹ Hiệp",
            "087188001234",
            "Người dân báo sai địa chỉ",
        ))
        .await;
        r.expect(303);
        let rec = env.store.dossier(&code).await.expect("read").expect("rec");
        assert_eq!(rec.row.applicant_address, "Ấp 2, xã Mỹ Hiệp");
        assert_eq!(
            rec.row.status, "received",
            "a correction never moves the dossier"
        );
        let last = rec.events.last().expect("event");
        assert_eq!(last.action.as_str(), "correct_applicant");
        assert_eq!(last.actor, "tiepnhan.myhiep");
        assert_eq!(
            serde_json::to_value(&last.payload).expect("json")["applicant"],
            serde_json::json!({ "address": { "from": "Ấp 2 \u{1F600}", "to": "Ấp 2, xã Mỹ Hiệp" } })
        );
        assert_eq!(
            serde_json::to_value(&last.payload).expect("json")["via"],
            "page"
        );
        env.store
            .check_consistency(&code)
            .await
            .expect("consistent");
        assert!(
            env.store
                .unprintable_dossiers()
                .await
                .expect("check")
                .is_empty()
        );
        let r = env.get(&page, Some(&receptionist)).await;
        assert!(r.has("Đã sửa: Địa chỉ"), "{}", r.body);
        // The same details again change nothing and say so.
        let version = hidden_in_action(&r.body, "correct_applicant", "version");
        let mut fields = form("Ấp 2, xã Mỹ Hiệp", "087188001234", "lần nữa");
        fields.push(("version", &version));
        let r = env.post_form(&act, Some(&receptionist), &fields).await;
        r.expect(422);
        assert!(r.has("không có gì thay đổi"), "{}", r.body);
    }
}

#[tokio::test]
async fn a_unit_admin_subscribes_a_webhook_and_retries_a_failed_delivery() {
    let envs = envs().await;
    for env in &envs.list {
        let admin = env.login("quantri.myhiep").await;
        let r = env.get("/can-bo/ket-noi", Some(&admin)).await;
        r.expect(200);
        assert!(r.has("id=\"no-hooks\"") && r.has("id=\"no-dead\""));
        assert!(
            r.has("href=\"/can-bo/ket-noi\""),
            "in the unit admin's navigation"
        );

        // Other people: the receptionist, and another unit's page.
        let clerk = env.login("tiepnhan.myhiep").await;
        env.get("/can-bo/ket-noi", Some(&clerk)).await.expect(403);
        let r = env.get("/can-bo", Some(&clerk)).await;
        assert!(
            !r.has("href=\"/can-bo/ket-noi\""),
            "not in a receptionist's"
        );
        env.get(&format!("/can-bo/ket-noi?unit={OTHER_UNIT}"), Some(&admin))
            .await
            .expect(403);

        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[("op", "add"), ("unit", UNIT), ("url", "ftp://tinh.gov.vn")],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#url\"") && r.has("value=\"ftp://tinh.gov.vn\""));

        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[
                    ("op", "add"),
                    ("unit", UNIT),
                    ("url", "https://hethong.tinh.gov.vn/motcua"),
                ],
            )
            .await;
        r.expect(200);
        assert!(r.has("id=\"secret\">whsec_"), "the secret is shown once");
        let hooks = env.store.webhooks(Some(UNIT)).await.expect("hooks");
        assert_eq!(hooks.len(), 1);
        let r = env.get("/can-bo/ket-noi", Some(&admin)).await;
        assert!(!r.has("whsec_"), "and never again");
        assert!(r.has("https://hethong.tinh.gov.vn/motcua"));

        // A delivery that failed every attempt: listed, then sent again.
        let (code, _) = env.online_dossier(UNIT).await;
        let key = format!("webhook:{}:{code}:1", hooks[0].id);
        let entry = env
            .store
            .outbox_entry(&key)
            .await
            .expect("read")
            .expect("the submission's delivery");
        env.store
            .outbox_failed(entry.id, "HTTP 503", None)
            .await
            .expect("dead");
        let r = env.get("/can-bo/ket-noi", Some(&admin)).await;
        assert!(r.has(&format!("id=\"retry-{}\"", entry.id)) && r.has("HTTP 503"));
        // Another unit's officer cannot retry it.
        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&clerk),
                &[
                    ("op", "retry"),
                    ("unit", UNIT),
                    ("id", &entry.id.to_string()),
                ],
            )
            .await;
        r.expect(403);
        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[
                    ("op", "retry"),
                    ("unit", UNIT),
                    ("id", &entry.id.to_string()),
                ],
            )
            .await;
        r.expect(303);
        let entry = env
            .store
            .outbox_entry(&key)
            .await
            .expect("read")
            .expect("entry");
        assert_eq!(entry.state, "pending", "{}", env.backend);

        // The outside systems' settings: a bad address is shown on its box,
        // a secret is stored and never shown back.
        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[
                    ("op", "settings"),
                    ("unit", UNIT),
                    ("system", "vnpay"),
                    ("payment_url", "vnpay.vn"),
                ],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#vnpay-payment_url\""));
        let secret = "BI-MAT-VNPAY-7f2c";
        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[
                    ("op", "settings"),
                    ("unit", UNIT),
                    ("system", "vnpay"),
                    ("tmn_code", "MYHIEP01"),
                    ("hash_secret", secret),
                ],
            )
            .await;
        r.expect(303);
        let r = env.get("/can-bo/ket-noi", Some(&admin)).await;
        assert!(r.has("value=\"MYHIEP01\"") && !r.has(secret));
        assert!(r.has("placeholder=\"đã đặt\""));
        let stored = env
            .store
            .integration_secret(UNIT, "vnpay", "hash_secret")
            .await
            .expect("open");
        assert_eq!(stored.as_deref(), Some(secret));
        // An empty secret box keeps the stored one.
        env.post_form(
            "/can-bo/ket-noi",
            Some(&admin),
            &[
                ("op", "settings"),
                ("unit", UNIT),
                ("system", "vnpay"),
                ("tmn_code", "MYHIEP02"),
                ("hash_secret", ""),
            ],
        )
        .await
        .expect(303);
        let stored = env
            .store
            .integration_secret(UNIT, "vnpay", "hash_secret")
            .await
            .expect("open");
        assert_eq!(stored.as_deref(), Some(secret));

        let r = env
            .post_form(
                "/can-bo/ket-noi",
                Some(&admin),
                &[
                    ("op", "stop"),
                    ("unit", UNIT),
                    ("id", &hooks[0].id.to_string()),
                ],
            )
            .await;
        r.expect(303);
        assert!(
            !env.store
                .webhook(hooks[0].id)
                .await
                .expect("read")
                .expect("hook")
                .active
        );
    }
}

#[tokio::test]
async fn a_counter_routes_a_dossier_to_the_competent_commune_and_keeps_following_it() {
    let envs = envs().await;
    for env in &envs.list {
        let code = env.counter_dossier(&env.receptionist, UNIT).await;
        let page = format!("/can-bo/ho-so/{code}");
        let act = format!("/can-bo/ho-so/{code}/thao-tac");
        let desk = env.login("tiepnhan.myhiep").await;
        let r = env.get(&page, Some(&desk)).await;
        r.expect(200);
        // The choice offered is what the rule allows: the province's other communes.
        assert!(r.has("name=\"to_unit\""), "{}", r.body);
        assert!(r.has(&format!("value=\"{OTHER_UNIT}\"")));
        assert!(
            !r.has("value=\"26506\""),
            "a unit of another province is offered"
        );
        assert!(!r.has(&format!("<option value=\"{UNIT}\"")));
        let version = hidden_in_action(&r.body, "route", "version");
        // No unit chosen: the error names the field, nothing is written.
        let r = env
            .post_form(
                &act,
                Some(&desk),
                &[("action", "route"), ("version", &version)],
            )
            .await;
        r.expect(422);
        assert!(r.has("href=\"#to_unit\""), "{}", r.body);
        assert_eq!(env.version_of(&code).await.to_string(), version);
        let r = env
            .post_form(
                &act,
                Some(&desk),
                &[
                    ("action", "route"),
                    ("version", &version),
                    ("to_unit", OTHER_UNIT),
                ],
            )
            .await;
        r.expect(303);
        // The receiving officer still opens it: status, due date, no action.
        let r = env.get(r.location(), Some(&desk)).await;
        r.expect(200);
        assert!(r.has("id=\"routed\""), "{}", r.body);
        assert!(r.has("Phường Mỹ Tho"), "{}", r.body);
        assert!(r.has("Điều 14 Nghị định 118/2025/NĐ-CP"));
        assert!(
            !r.has("/thao-tac"),
            "the receiving unit is offered an action"
        );
        // The competent unit works on it, and sees where it was received.
        let theirs = env.login("tiepnhan.mytho").await;
        let r = env.get(&page, Some(&theirs)).await;
        r.expect(200);
        assert!(r.has("id=\"received-by\""), "{}", r.body);
        assert!(r.has("name=\"assignee\""), "{}", r.body);
        assert!(!r.has("name=\"to_unit\""), "routed twice");
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(
            (row.unit_code.as_str(), row.received_by.as_str()),
            (OTHER_UNIT, UNIT)
        );
    }
}

#[tokio::test]
async fn the_counter_types_the_declaration_and_the_paper_form_is_not_needed() {
    let envs = envs().await;
    for env in &envs.list {
        let cookie = env.login("tiepnhan.myhiep").await;
        let r = env
            .get(&format!("/can-bo/tiep-nhan?thu_tuc={PROC}"), Some(&cookie))
            .await;
        r.expect(200);
        // Every question of the marital-status declaration on the one screen,
        // the declarant's own filled from the applicant once typed.
        assert!(r.has("id=\"declaration\""), "{}", r.body);
        assert!(r.has("name=\"d:xn_muc_dich\""));
        assert!(r.has("name=\"d:xn_ngay_sinh-day\""));
        let nonce = {
            let m = "name=\"nonce\" value=\"";
            let s = r.body.find(m).expect("nonce") + m.len();
            r.body[s..s + 32].to_string()
        };
        let form = |day: &'static str| {
            vec![
                text("nonce", &nonce),
                text("unit", UNIT),
                text("procedure", PROC),
                text("channel", "counter"),
                text("full_name", "Trần Thị Mai"),
                text("id_number", "087188001234"),
                text("date_of_birth", "12/04/1988"),
                text("phone", "0912345678"),
                text("email", ""),
                text("address", "Ấp 2, xã Mỹ Hiệp"),
                text("d:nyc_ho_ten", "Trần Thị Mai"),
                text("d:nyc_ngay_sinh-day", "12"),
                text("d:nyc_ngay_sinh-month", "4"),
                text("d:nyc_ngay_sinh-year", "1988"),
                text("d:nyc_so_dinh_danh", "087188001234"),
                text("d:nyc_quan_he", "Bản thân"),
                text("d:xn_ho_ten", "Trần Thị Mai"),
                text("d:xn_ngay_sinh-day", day),
                text("d:xn_ngay_sinh-month", "02"),
                text("d:xn_ngay_sinh-year", "1988"),
                text("d:xn_muc_dich", "Đăng ký kết hôn"),
                text("paper:giay-to-tuy-than", "1"),
            ]
        };
        let before = env.store.count_dossiers().await.expect("count");
        // A day that does not exist: said so, linked to its boxes, nothing written.
        let r = env
            .post_multipart("/can-bo/tiep-nhan", &cookie, &form("31"))
            .await;
        r.expect(422);
        assert!(r.has("href=\"#d-xn_ngay_sinh\""), "{}", r.body);
        assert!(r.has("31/02/1988 không có thật"), "{}", r.body);
        assert!(r.has("value=\"Đăng ký kết hôn\""), "typed answers are kept");
        assert_eq!(env.store.count_dossiers().await.expect("count"), before);
        // Right: received without the paper declaration, the answers kept.
        let r = env
            .post_multipart("/can-bo/tiep-nhan", &cookie, &form("28"))
            .await;
        r.expect(303);
        let code = r
            .location()
            .trim_start_matches("/can-bo/ho-so/")
            .trim_end_matches("/bien-nhan")
            .to_string();
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        let fields: serde_json::Value = serde_json::from_str(&row.fields).expect("fields");
        assert_eq!(fields["xn_ngay_sinh"], "1988-02-28");
        assert_eq!(fields["xn_muc_dich"], "Đăng ký kết hôn");
        let page = env
            .get(&format!("/can-bo/ho-so/{code}"), Some(&cookie))
            .await;
        page.expect(200);
        assert!(page.has("id=\"declaration\""));
        assert!(
            page.has("/mau/to-khai.pdf"),
            "the declaration prints for signature"
        );
    }
}
