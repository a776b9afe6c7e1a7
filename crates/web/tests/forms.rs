//! Official documents over HTTP, on SQLite and PostgreSQL: a dossier goes
//! through its real lifecycle (counter intake, supplement, apology,
//! approval, return by post) and every form that applies is fetched from
//! the API and the officers' pages; poppler's `pdftotext` reads back the
//! names, codes and dates with their diacritics, `pdftoppm` keeps a PNG of
//! each page under target/pdf-artifacts/. Also: who may fetch what, the
//! register as PDF and CSV, and the validation of the delivery choice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::lifecycle::Role;
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{NewUser, Store};
use motcua_web::AppState;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp
const OTHER_UNIT: &str = "28261";
const PROC: &str = "HT-XNHN";
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";
const APPLICANT: &str = "Đỗ Thị Ngọc Ánh";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

struct Env {
    store: Store,
    backend: &'static str,
    base: String,
    http: reqwest::Client,
    receptionist: String,
    specialist: String,
    leader: String,
    unit_admin: String,
    admin: String,
    other: String,
    _stop: oneshot::Sender<()>,
}

struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        serde_json::from_slice(&self.body).expect("json")
    }
    fn error(&self, status: u16, code: &str) -> Value {
        let v = self.json(status);
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        v
    }
    fn pdf(&self) -> &[u8] {
        assert_eq!(self.status, 200, "body: {}", self.text());
        assert_eq!(self.headers[CONTENT_TYPE], "application/pdf");
        assert!(self.body.starts_with(b"%PDF-"));
        &self.body
    }
}

async fn add_user(store: &Store, username: &str, full_name: &str, role: Role, units: &[&str]) {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                full_name: full_name.into(),
                password_hash: password_hash().into(),
                roles: vec![role],
                units: units.iter().map(|u| u.to_string()).collect(),
                province_code: None,
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("create user");
}

async fn envs(dir: &std::path::Path) -> Vec<Env> {
    let mut out = Vec::new();
    for db in databases(dir).await.expect("databases") {
        let store = open_seeded(&db).await.expect("seeded");
        add_user(
            &store,
            "tiepnhan.myhiep",
            "Trần Thị Thu Hương",
            Role::Receptionist,
            &[UNIT],
        )
        .await;
        add_user(
            &store,
            "chuyenvien.myhiep",
            "Lê Văn Đức",
            Role::Specialist,
            &[UNIT],
        )
        .await;
        add_user(
            &store,
            "lanhdao.myhiep",
            "Phạm Quốc Việt",
            Role::Leader,
            &[UNIT],
        )
        .await;
        add_user(
            &store,
            "tiepnhan.mytho",
            "Ngô Minh Tâm",
            Role::Receptionist,
            &[OTHER_UNIT],
        )
        .await;
        add_user(
            &store,
            "quantri.myhiep",
            "Võ Thanh Tùng",
            Role::UnitAdmin,
            &[UNIT],
        )
        .await;
        add_user(&store, "admin", "Quản trị hệ thống", Role::Admin, &[]).await;
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
        let mut env = Env {
            backend: store.backend_name(),
            store,
            base,
            http,
            receptionist: String::new(),
            specialist: String::new(),
            leader: String::new(),
            unit_admin: String::new(),
            admin: String::new(),
            other: String::new(),
            _stop: stop,
        };
        env.receptionist = env.login("tiepnhan.myhiep").await;
        env.specialist = env.login("chuyenvien.myhiep").await;
        env.leader = env.login("lanhdao.myhiep").await;
        env.unit_admin = env.login("quantri.myhiep").await;
        env.admin = env.login("admin").await;
        env.other = env.login("tiepnhan.mytho").await;
        out.push(env);
    }
    out
}

impl Env {
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("send");
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.bytes().await.expect("body").to_vec(),
        }
    }
    /// GET through the API with a bearer token.
    async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(req).await
    }
    /// GET a page with the session cookie of `token`.
    async fn page(&self, path: &str, token: &str) -> Resp {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, format!("motcua_session={token}"));
        self.send(req).await
    }
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(req).await
    }
    async fn login(&self, username: &str) -> String {
        let v = self
            .post(
                "/api/v1/session",
                None,
                json!({ "username": username, "password": PASSWORD }),
            )
            .await
            .json(200);
        v["token"].as_str().expect("token").to_string()
    }
    /// Act through the API; the new version.
    async fn act(&self, token: &str, code: &str, body: Value) -> i64 {
        let v = self
            .post(
                &format!("/api/v1/dossiers/{code}/actions"),
                Some(token),
                body,
            )
            .await
            .json(200);
        v["version"].as_i64().expect("version")
    }
    async fn counter_dossier(&self) -> (String, String, i64) {
        let v = self
            .post(
                "/api/v1/counter/dossiers",
                Some(&self.receptionist),
                json!({
                    "unit_code": UNIT,
                    "procedure_code": PROC,
                    "applicant": applicant(),
                    "documents": [
                        { "code": "to-khai", "paper": true },
                        { "code": "giay-to-tuy-than", "paper": true },
                    ],
                }),
            )
            .await
            .json(201);
        (
            v["code"].as_str().expect("code").to_string(),
            v["lookup_key"].as_str().expect("key").to_string(),
            v["version"].as_i64().expect("version"),
        )
    }
    fn artifacts(&self) -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
        let dir = target
            .join("pdf-artifacts")
            .join(format!("web-{}", self.backend));
        std::fs::create_dir_all(&dir).expect("artifact dir");
        dir
    }
    /// The text of a PDF (whitespace collapsed), with PNG pages kept.
    fn text_of(&self, pdf: &[u8], name: &str) -> String {
        let dir = self.artifacts();
        // Snapshots of an earlier run would hide a change in page count.
        for entry in std::fs::read_dir(&dir).expect("artifact dir").flatten() {
            let f = entry.file_name().to_string_lossy().into_owned();
            if f.starts_with(&format!("{name}-")) && f.ends_with(".png") {
                std::fs::remove_file(entry.path()).expect("remove old snapshot");
            }
        }
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, pdf).expect("write pdf");
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (Debian poppler-utils) must be installed");
        assert!(out.status.success(), "pdftotext {name}");
        let png = Command::new("pdftoppm")
            .args(["-png", "-r", "60"])
            .arg(&path)
            .arg(dir.join(name))
            .status()
            .expect("pdftoppm (Debian poppler-utils) must be installed");
        assert!(png.success(), "pdftoppm {name}");
        String::from_utf8(out.stdout)
            .expect("utf-8 text")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A small but well-formed one-page PDF, as a scanned document.
fn tiny_pdf(title: &str) -> Vec<u8> {
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
        "full_name": APPLICANT,
        "id_number": "087190004321",
        "date_of_birth": "1990-07-21",
        "phone": "0987654321",
        "address": "Ấp Mỹ Phú, xã Mỹ Hiệp, tỉnh Đồng Tháp",
    })
}

fn has(backend: &str, text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{backend}: missing {n:?} in:\n{text}");
    }
}

/// "HH giờ MM phút, ngày dd/mm/yyyy" in Vietnam time.
fn long(t: OffsetDateTime) -> String {
    let l = t.to_offset(VN_OFFSET);
    format!(
        "{:02} giờ {:02} phút, ngày {:02}/{:02}/{}",
        l.hour(),
        l.minute(),
        l.day(),
        u8::from(l.month()),
        l.year()
    )
}

fn place_date(t: OffsetDateTime) -> String {
    let l = t.to_offset(VN_OFFSET);
    format!(
        "Mỹ Hiệp, ngày {:02} tháng {:02} năm {}",
        l.day(),
        u8::from(l.month()),
        l.year()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_form_of_a_dossier_through_its_lifecycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in envs(dir.path()).await {
        let b = env.backend;
        let (code, key, v) = env.counter_dossier().await;
        let v = env
            .act(
                &env.receptionist,
                &code,
                json!({"action": "assign", "version": v, "assignee": "chuyenvien.myhiep"}),
            )
            .await;
        let v = env
            .act(&env.specialist, &code, json!({"action": "request_supplement", "version": v,
                "note": "Giấy tờ tùy thân đã hết hạn; đề nghị nộp bản còn hiệu lực.", "missing": ["giay-to-tuy-than"]}))
            .await;
        // A dossier paused for a supplement: Mẫu 02 applies, Mẫu 04 not yet.
        let r = env
            .get(
                &format!("/api/v1/dossiers/{code}/forms/04"),
                Some(&env.receptionist),
            )
            .await;
        r.error(409, "form_not_applicable");
        let v = env
            .act(
                &env.receptionist,
                &code,
                json!({"action": "supplement", "version": v,
                "documents": [{"code": "giay-to-tuy-than", "paper": true}]}),
            )
            .await;
        let new_due = (OffsetDateTime::now_utc() + time::Duration::days(30))
            .to_offset(VN_OFFSET)
            .replace_time(time::Time::from_hms(10, 30, 0).expect("10:30"));
        let new_due_text = format!(
            "{}-{:02}-{:02}T10:30",
            new_due.year(),
            u8::from(new_due.month()),
            new_due.day()
        );
        let v = env
            .act(&env.leader, &code, json!({"action": "apologize", "version": v,
                "note": "Cần xác minh tình trạng hôn nhân tại nơi cư trú trước đây.", "new_due": new_due_text}))
            .await;
        let v = env
            .act(
                &env.specialist,
                &code,
                json!({"action": "propose", "version": v}),
            )
            .await;
        let v = env
            .act(
                &env.leader,
                &code,
                json!({"action": "approve", "version": v}),
            )
            .await;
        env.act(
            &env.receptionist,
            &code,
            json!({"action": "return_result", "version": v,
            "delivery": "post", "postal_address": "Số 5, ấp Mỹ Phú, xã Mỹ Hiệp, tỉnh Đồng Tháp",
            "tracking_number": "EB987654321VN"}),
        )
        .await;

        // Expected dates, from the stored history and the domain's calendar.
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        let received = rec.events[0].at;
        let (procedure, _) = env
            .store
            .procedure(PROC)
            .await
            .expect("proc")
            .expect("exists");
        let cal = env.store.calendar(Some(UNIT)).await.expect("calendar");
        let first_due = cal.due(received, procedure.processing);
        let supplement_at = rec.events[2].at;
        let apology_at = rec.events[4].at;

        let heading = [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "UBND XÃ MỸ HIỆP",
            "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
            "/TTPVHCC",
        ];
        let api = |f: &str| format!("/api/v1/dossiers/{code}/forms/{f}");
        let r = env.get(&api("01"), Some(&env.receptionist)).await;
        let t = env.text_of(r.pdf(), "mau-01");
        has(b, &t, &heading);
        has(
            b,
            &t,
            &[
                "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                &code,
                &key,
                APPLICANT,
                "Cấp Giấy xác nhận tình trạng hôn nhân",
                "Ấp Mỹ Phú, xã Mỹ Hiệp, tỉnh Đồng Tháp",
                &place_date(received),
                &long(received),
                &long(first_due),
                "Trần Thị Thu Hương",
                "Gửi qua dịch vụ bưu chính",
            ],
        );
        let r = env.get(&api("01-80mm"), Some(&env.receptionist)).await;
        let t = env.text_of(r.pdf(), "mau-01-80mm");
        has(b, &t, &[&code, &key, APPLICANT, "Trần Thị Thu Hương"]);
        let r = env.get(&api("02"), Some(&env.receptionist)).await;
        let t = env.text_of(r.pdf(), "mau-02");
        has(b, &t, &heading);
        has(
            b,
            &t,
            &[
                "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                &place_date(supplement_at),
                "Giấy tờ tùy thân",
                "đã hết hạn; đề nghị nộp bản còn hiệu lực",
                "Lê Văn Đức",
            ],
        );
        let r = env.get(&api("04"), Some(&env.leader)).await;
        let t = env.text_of(r.pdf(), "mau-04");
        has(
            b,
            &t,
            &[
                "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                &place_date(apology_at),
                &long(new_due),
                "xác minh tình trạng hôn nhân",
                "Phạm Quốc Việt",
            ],
        );
        // The control sheet is Mẫu 05 as in Circular 01/2018; "06" was its
        // number in the previous release and now says where it went.
        let r = env.get(&api("06"), Some(&env.specialist)).await;
        let moved = r.error(410, "form_renumbered");
        assert!(
            moved["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("Mẫu 05"),
            "{b}: {moved}"
        );
        let r = env.get(&api("05"), Some(&env.specialist)).await;
        let t = env.text_of(r.pdf(), "mau-05");
        has(
            b,
            &t,
            &[
                "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                "Tiếp nhận tại quầy",
                "Yêu cầu bổ sung",
                "Phê duyệt",
                "Trả kết quả",
                "Lê Văn Đức",
                "EB987654321VN",
                "Đã trả kết quả",
            ],
        );
        // Never refused: no Mẫu 03; an unknown form is not found.
        env.get(&api("03"), Some(&env.receptionist))
            .await
            .error(409, "form_not_applicable");
        env.get(&api("07"), Some(&env.receptionist))
            .await
            .error(404, "form_not_found");

        // The officer's page links the forms that apply and shows the delivery.
        let page = env
            .page(&format!("/can-bo/ho-so/{code}"), &env.receptionist)
            .await;
        assert_eq!(page.status, 200, "{b}");
        let html = page.text();
        for f in ["01", "01-80mm", "02", "04", "05"] {
            assert!(
                html.contains(&format!("/can-bo/ho-so/{code}/mau/{f}.pdf")),
                "{b}: link {f}"
            );
        }
        assert!(
            !html.contains(&format!("/can-bo/ho-so/{code}/mau/03.pdf")),
            "{b}"
        );
        assert!(html.contains("Gửi qua dịch vụ bưu chính"), "{b}");
        assert!(html.contains("EB987654321VN"), "{b}");
        let r = env
            .page(
                &format!("/can-bo/ho-so/{code}/mau/01-80mm.pdf"),
                &env.receptionist,
            )
            .await;
        let t = env.text_of(r.pdf(), "page-mau-01-80mm");
        has(b, &t, &[&code, APPLICANT]);
        // A bookmark of the old control sheet address lands on Mẫu 05.
        let r = env
            .page(
                &format!("/can-bo/ho-so/{code}/mau/06.pdf"),
                &env.receptionist,
            )
            .await;
        assert_eq!(r.status, 301, "{b}");
        assert_eq!(
            r.headers[reqwest::header::LOCATION],
            format!("/can-bo/ho-so/{code}/mau/05.pdf").as_str(),
            "{b}"
        );
        let r = env
            .page(
                &format!("/can-bo/ho-so/{code}/mau/03.pdf"),
                &env.receptionist,
            )
            .await;
        assert_eq!(r.status, 409, "{b}");

        // The public lookup tells how the result comes, without the address.
        let v = env
            .get(&format!("/api/v1/lookup/{code}?key={key}"), None)
            .await
            .json(200);
        assert_eq!(v["delivery"]["method"], "post", "{b}: {v}");
        assert_eq!(v["delivery"]["tracking_number"], "EB987654321VN");
        let html = env
            .send(
                env.http
                    .get(format!("{}/tra-cuu?code={code}&key={key}", env.base)),
            )
            .await
            .text();
        assert!(html.contains("Gửi qua dịch vụ bưu chính"), "{b}");
        assert!(!html.contains("Số 5, ấp Mỹ Phú"), "{b}: address not public");

        // Each read of personal data is logged.
        let log: Vec<String> = env
            .store
            .access_log(&code)
            .await
            .expect("log")
            .into_iter()
            .map(|(_, _, what)| what)
            .collect();
        for w in ["api:form:01", "api:form:05", "page:form:01-80mm"] {
            assert!(log.iter().any(|x| x == w), "{b}: {w} not in {log:?}");
        }

        // A dossier submitted online and refused at intake: Mẫu 03 with the
        // reason, no receipt.
        let mut docs = Vec::new();
        for doc in ["to-khai", "giay-to-tuy-than"] {
            let r = env
                .send(
                    env.http
                        .post(format!("{}/api/v1/uploads?filename={doc}.pdf", env.base))
                        .header(CONTENT_TYPE, "application/pdf")
                        .body(tiny_pdf(doc)),
                )
                .await;
            let id = r.json(201)["id"].as_str().expect("upload id").to_string();
            docs.push(json!({"code": doc, "upload_id": id}));
        }
        let v = env
            .post(
                "/api/v1/dossiers",
                None,
                json!({"unit_code": UNIT, "procedure_code": PROC, "applicant": applicant(), "documents": docs}),
            )
            .await
            .json(201);
        let refused = v["code"].as_str().expect("code").to_string();
        env.act(
            &env.receptionist,
            &refused,
            json!({"action": "refuse_intake", "version": v["version"],
            "note": "Hồ sơ không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã."}),
        )
        .await;
        let r = env
            .get(
                &format!("/api/v1/dossiers/{refused}/forms/03"),
                Some(&env.receptionist),
            )
            .await;
        let t = env.text_of(r.pdf(), "mau-03");
        has(
            b,
            &t,
            &[
                "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
                &refused,
                APPLICANT,
                "không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã",
            ],
        );
        env.get(
            &format!("/api/v1/dossiers/{refused}/forms/01"),
            Some(&env.receptionist),
        )
        .await
        .error(409, "form_not_applicable");

        // The register of the unit for this month, as PDF and CSV.
        let today = OffsetDateTime::now_utc().to_offset(VN_OFFSET).date();
        let from = today.previous_day().expect("yesterday");
        let to = today.next_day().expect("tomorrow");
        let q = format!("unit={UNIT}&from={from}&to={to}");
        let r = env
            .get(&format!("/api/v1/register?{q}"), Some(&env.leader))
            .await;
        let t = env.text_of(r.pdf(), "mau-05");
        has(
            b,
            &t,
            &[
                "SỔ THEO DÕI HỒ SƠ",
                &code,
                &refused,
                "UBND XÃ MỸ HIỆP",
                "2 hồ sơ",
            ],
        );
        let r = env
            .get(
                &format!("/api/v1/register?{q}&format=csv"),
                Some(&env.leader),
            )
            .await;
        assert_eq!(r.status, 200, "{b}: {}", r.text());
        assert_eq!(r.headers[CONTENT_TYPE], "text/csv; charset=utf-8");
        let csv = r.text();
        assert!(
            csv.starts_with("\u{feff}\"STT\",\"Mã hồ sơ\""),
            "{b}: {csv}"
        );
        assert!(csv.contains(&format!("\"{code}\"")), "{b}");
        assert!(csv.contains(APPLICANT), "{b}");
        assert!(csv.contains("Gửi qua dịch vụ bưu chính"), "{b}");
        let r = env
            .page(
                &format!("/can-bo/so-theo-doi?{q}&format=pdf"),
                &env.receptionist,
            )
            .await;
        env.text_of(r.pdf(), "page-mau-05");
        let r = env.page("/can-bo/so-theo-doi", &env.receptionist).await;
        assert_eq!(r.status, 200, "{b}");
        assert!(r.text().contains("Sổ theo dõi hồ sơ"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forms_and_register_follow_the_dossier_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in envs(dir.path()).await {
        let b = env.backend;
        let (code, _, _) = env.counter_dossier().await;
        let api = format!("/api/v1/dossiers/{code}/forms/01");
        let page = format!("/can-bo/ho-so/{code}/mau/01.pdf");
        // Signed out: 401 from the API, the sign-in page from the pages.
        env.get(&api, None).await.error(401, "unauthorized");
        let r = env.send(env.http.get(format!("{}{page}", env.base))).await;
        assert_eq!(r.status, 303, "{b}");
        assert!(
            r.headers[LOCATION]
                .to_str()
                .expect("location")
                .starts_with("/dang-nhap")
        );
        // Every role of the unit that processes dossiers prints what it reads.
        let register =
            format!("/api/v1/register?unit={UNIT}&from=2026-01-01&to=2026-01-31&format=csv");
        for token in [&env.receptionist, &env.specialist, &env.leader] {
            env.get(&api, Some(token)).await.pdf();
            env.page(&page, token).await.pdf();
            let r = env.get(&register, Some(token)).await;
            assert_eq!(r.status, 200, "{b}: {}", r.text());
        }
        // Administrators (of the unit, of the system) read no citizen's papers.
        for token in [&env.unit_admin, &env.admin] {
            env.get(&api, Some(token))
                .await
                .error(404, "dossier_not_found");
            assert_eq!(env.page(&page, token).await.status, 404, "{b}");
            env.get(&register, Some(token))
                .await
                .error(404, "unit_not_found");
        }
        // Another unit's officer: exactly like an unknown dossier.
        env.get(&api, Some(&env.other))
            .await
            .error(404, "dossier_not_found");
        assert_eq!(env.page(&page, &env.other).await.status, 404, "{b}");
        env.get(
            "/api/v1/dossiers/30112-260101-9999/forms/01",
            Some(&env.receptionist),
        )
        .await
        .error(404, "dossier_not_found");
        // Nothing was logged for the refused reads.
        let log = env.store.access_log(&code).await.expect("log");
        assert!(
            log.iter().all(|(_, who, _)| who != "tiepnhan.mytho"),
            "{b}: {log:?}"
        );
        // The register: only one's own units, and checked parameters.
        let q = |s: &str| format!("/api/v1/register?{s}");
        env.get(
            &q("unit=30112&from=2026-01-01&to=2026-01-31"),
            Some(&env.other),
        )
        .await
        .error(404, "unit_not_found");
        env.get(&q("unit=30112&from=2026-01-01&to=2026-01-31"), None)
            .await
            .error(401, "unauthorized");
        env.get(&q("from=2026-01-01&to=2026-01-31"), Some(&env.receptionist))
            .await
            .error(422, "unit_required");
        env.get(
            &q("unit=30112&from=01/01/2026&to=2026-01-31"),
            Some(&env.receptionist),
        )
        .await
        .error(422, "bad_date");
        env.get(
            &q("unit=30112&from=2026-02-01&to=2026-01-31"),
            Some(&env.receptionist),
        )
        .await
        .error(422, "bad_period");
        env.get(
            &q("unit=30112&from=2025-01-01&to=2026-01-31"),
            Some(&env.receptionist),
        )
        .await
        .error(422, "period_too_long");
        env.get(
            &q("unit=30112&from=2026-01-01&to=2026-01-31&format=xlsx"),
            Some(&env.receptionist),
        )
        .await
        .error(422, "bad_format");
        let r = env
            .page(
                "/can-bo/so-theo-doi?unit=30112&from=2026-02-01&to=2026-01-31",
                &env.receptionist,
            )
            .await;
        assert_eq!(r.status, 422, "{b}");
        assert!(
            r.text()
                .contains("Ngày kết thúc phải từ ngày bắt đầu trở đi")
        );
        let r = env
            .page(
                "/can-bo/so-theo-doi?unit=30112&from=2026-01-01&to=2026-01-31",
                &env.other,
            )
            .await;
        assert_eq!(r.status, 404, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_delivery_choice_is_validated_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in envs(dir.path()).await {
        let b = env.backend;
        let (code, _, v) = env.counter_dossier().await;
        let v = env
            .act(
                &env.receptionist,
                &code,
                json!({"action": "assign", "version": v, "assignee": "chuyenvien.myhiep"}),
            )
            .await;
        let v = env
            .act(
                &env.specialist,
                &code,
                json!({"action": "propose", "version": v}),
            )
            .await;
        let v = env
            .act(
                &env.leader,
                &code,
                json!({"action": "approve", "version": v}),
            )
            .await;
        let path = format!("/api/v1/dossiers/{code}/actions");
        let bad = [
            (
                json!({"delivery": "post"}),
                "postal_address_required",
                "postal_address",
            ),
            (
                json!({"delivery": "post", "postal_address": "  "}),
                "postal_address_required",
                "postal_address",
            ),
            (
                json!({"delivery": "post", "postal_address": "Ấp 1"}),
                "bad_postal_address",
                "postal_address",
            ),
            (
                json!({"delivery": "post", "postal_address": "Ấp Mỹ Phú, xã Mỹ Hiệp", "tracking_number": "<b>x</b>"}),
                "bad_tracking_number",
                "tracking_number",
            ),
            (json!({"delivery": "drone"}), "bad_delivery", "delivery"),
        ];
        for (extra, code_, field) in bad {
            let mut body = json!({"action": "return_result", "version": v});
            for (k, x) in extra.as_object().expect("object") {
                body[k] = x.clone();
            }
            let e = env
                .post(&path, Some(&env.receptionist), body)
                .await
                .error(422, code_);
            assert_eq!(e["error"]["field"], field, "{b}");
        }
        // Nothing was written by the refused attempts.
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(rec.row.version, v, "{b}");
        assert_eq!(rec.row.status, "result_ready", "{b}");
        // The officers' form: post without an address shows the error on the field.
        let form = format!(
            "action=return_result&version={v}&delivery=post&postal_address=&tracking_number=&note="
        );
        let r = env
            .send(
                env.http
                    .post(format!("{}/can-bo/ho-so/{code}/thao-tac", env.base))
                    .header(COOKIE, format!("motcua_session={}", env.receptionist))
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form),
            )
            .await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(
            r.text().contains("Gửi qua bưu chính cần địa chỉ nhận"),
            "{b}"
        );
        assert!(r.text().contains("id=\"postal_address\""), "{b}");
        // Online download: recorded in the return event.
        env.act(
            &env.receptionist,
            &code,
            json!({"action": "return_result", "version": v, "delivery": "online",
            "postal_address": "ignored for online"}),
        )
        .await;
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        let last = rec.events.last().expect("event");
        assert_eq!(
            serde_json::to_value(&last.payload).expect("json")["delivery"],
            json!({"method": "online"}),
            "{b}"
        );
        // Without a choice, the counter.
        let (code2, _, v2) = env.counter_dossier().await;
        let v2 = env
            .act(
                &env.receptionist,
                &code2,
                json!({"action": "assign", "version": v2, "assignee": "chuyenvien.myhiep"}),
            )
            .await;
        let v2 = env
            .act(
                &env.specialist,
                &code2,
                json!({"action": "propose", "version": v2}),
            )
            .await;
        let v2 = env
            .act(
                &env.leader,
                &code2,
                json!({"action": "approve", "version": v2}),
            )
            .await;
        env.act(
            &env.receptionist,
            &code2,
            json!({"action": "return_result", "version": v2}),
        )
        .await;
        let rec = env
            .store
            .dossier(&code2)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(
            serde_json::to_value(&rec.events.last().expect("event").payload).expect("json")["delivery"]
                ["method"],
            "counter",
            "{b}"
        );
        // The projection check still holds with the new event data.
        env.store
            .check_consistency(&code2)
            .await
            .expect("consistent");
    }
}
