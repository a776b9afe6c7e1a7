//! A procedure's declaration over real HTTP, on every test database: a
//! parent registers a birth entirely online, one question per page, with
//! the child's and the parents' data and the conditional questions; the
//! officer sees the answers without retyping and prints the declaration; the
//! API publishes the declaration as JSON Schema and refuses wrong answers
//! with the field's path.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::lifecycle::Role;
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{NewUser, Store};
use motcua_web::AppState;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";

struct Env {
    store: Store,
    base: String,
    http: reqwest::Client,
    /// The browser's draft cookie, once the server set it (as a browser keeps it).
    nop: std::sync::Mutex<Option<String>>,
    _stop: oneshot::Sender<()>,
}

async fn env(db: &motcua_store::testing::TestDb) -> Env {
    let store = open_seeded(db).await.expect("store");
    store
        .create_user(
            &NewUser {
                username: "tiepnhan.myhiep".into(),
                full_name: "Cán bộ tiếp nhận".into(),
                password_hash: motcua_web::auth::hash_password(PASSWORD).expect("hash"),
                roles: vec![Role::Receptionist],
                units: vec![UNIT.into()],
                province_code: None,
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("user");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(motcua_web::serve(
        listener,
        AppState::new(store.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Env {
        store,
        base,
        http,
        nop: std::sync::Mutex::new(None),
        _stop: stop,
    }
}

struct Resp {
    status: u16,
    location: String,
    body: String,
}

impl Env {
    fn nop_cookie(&self) -> String {
        self.nop.lock().expect("lock").clone().unwrap_or_default()
    }
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let nop = self.nop_cookie();
        let req = if nop.is_empty() {
            req
        } else {
            req.header(COOKIE, nop)
        };
        let r = req.send().await.expect("request");
        if let Some(c) = r
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("nop="))
            .and_then(|v| v.split(';').next())
        {
            *self.nop.lock().expect("lock") = Some(c.to_string());
        }
        Resp {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body: r.text().await.expect("body"),
        }
    }
    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form))
            .await
    }
    async fn login(&self) -> String {
        let r = self
            .http
            .post(format!("{}/dang-nhap", self.base))
            .form(&[
                ("username", "tiepnhan.myhiep"),
                ("password", PASSWORD),
                ("next", "/can-bo"),
            ])
            .send()
            .await
            .expect("login");
        r.headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_string()
    }
}

/// What a parent answers at each step of the birth registration.
fn answer(step: &str) -> Vec<(&'static str, &'static str)> {
    let one = |v: &'static str| vec![("answer", v)];
    let date = |d: &'static str, m: &'static str, y: &'static str| {
        vec![("answer-day", d), ("answer-month", m), ("answer-year", y)]
    };
    match step {
        "tinh" => one("82"),
        "don-vi" => one(UNIT),
        "ho-ten" => one("Trần Thị Mai"),
        "so-dinh-danh" => one("087188001234"),
        "ngay-sinh" => one("12/04/1988"),
        "dien-thoai" => one("0912345678"),
        "email" => one(""),
        "dia-chi" => one("Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp"),
        "to-khai-nyc_quan_he" => one("Mẹ"),
        "to-khai-con_ho_ten" => one("Nguyễn Bảo An"),
        "to-khai-con_ngay_sinh" => date("27", "11", "2026"),
        "to-khai-con_gioi_tinh" => one("nu"),
        "to-khai-con_dan_toc" => one("Kinh"),
        "to-khai-con_quoc_tich" => one("Việt Nam"),
        "to-khai-con_noi_sinh" => one("Trạm y tế xã Mỹ Hiệp, tỉnh Đồng Tháp"),
        "to-khai-con_que_quan" => one("Xã Mỹ Hiệp, tỉnh Đồng Tháp"),
        "to-khai-co_thong_tin_me" => one("co"),
        "to-khai-co_thong_tin_cha" => one("co"),
        "to-khai-me_ho_ten" => one("Trần Thị Mai"),
        "to-khai-me_ngay_sinh" => date("12", "4", "1988"),
        "to-khai-cha_ho_ten" => one("Nguyễn Văn Bình"),
        "to-khai-cha_ngay_sinh" => date("3", "9", "1986"),
        "to-khai-cha_me_da_dkkh" => one("khong"),
        "to-khai-de_nghi_cap_ban_sao" => one("co"),
        "to-khai-so_ban" => one("2"),
        // Filled from the applicant's details, or optional and left empty.
        _ => Vec::new(),
    }
}

/// The text inputs of a page with the values it shows (not radios).
fn filled(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .skip(1)
        .filter(|tag| !tag.contains("type=\"radio\"") && !tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = tag[start..].find('"')? + start;
                Some(tag[start..end].to_string())
            };
            Some((attr("name")?, attr("value").unwrap_or_default()))
        })
        .collect()
}

#[tokio::test]
async fn a_parent_registers_a_birth_online_and_the_officer_sees_the_child_without_retyping() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let env = env(&db).await;
        let r = env.post("/thu-tuc/HT-KS/nop", &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let mut at = r.location.clone();
        let id = at.split('/').nth(2).expect("draft id").to_string();
        let mut seen: Vec<String> = Vec::new();
        // One question per page, until the check of the answers.
        while !at.ends_with("/kiem-tra") {
            let step = at.rsplit('/').next().expect("step").to_string();
            assert!(!seen.contains(&step), "asked twice: {step}");
            assert!(seen.len() < 80, "no end: {seen:?}");
            let page = env.get(&at, None).await;
            assert_eq!(page.status, 200, "{at}: {}", page.body);
            if step == "to-khai-nyc_ho_ten" {
                // Filled from the applicant's details typed before.
                assert!(
                    page.body.contains("value=\"Trần Thị Mai\""),
                    "{}",
                    page.body
                );
            }
            if step.starts_with("giay-to-") {
                // The paper declaration is not asked: it is answered here.
                assert_ne!(step, "giay-to-to-khai");
                let r = env.post(&at, &[("go", "skip")]).await;
                if r.status == 303 {
                    seen.push(step);
                    at = r.location;
                    continue;
                }
                // A required scan: upload one.
                // The ID card as two files, front and back; one scan otherwise.
                let boundary = "----motcua-test-boundary";
                let sides: &[&str] = if step == "giay-to-giay-to-tuy-than" {
                    &["mat-truoc", "mat-sau"]
                } else {
                    &["giay"]
                };
                let mut body = String::new();
                for side in sides {
                    body.push_str(&format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{side}.pdf\"\r\n\
                         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n% {side} {step}\n%%EOF\n\r\n"
                    ));
                }
                body.push_str(&format!("--{boundary}--\r\n"));
                let r = env
                    .send(
                        env.http
                            .post(format!("{}{at}", env.base))
                            .header(
                                reqwest::header::CONTENT_TYPE,
                                format!("multipart/form-data; boundary={boundary}"),
                            )
                            .body(body),
                    )
                    .await;
                assert_eq!(r.status, 303, "{step}: {}", r.body);
                seen.push(step);
                at = r.location;
                continue;
            }
            // As a browser sends the form: what the page filled in, unless
            // the parent typed something else.
            let mut form: Vec<(String, String)> = filled(&page.body);
            for (k, v) in answer(&step) {
                form.retain(|(name, _)| name != k);
                form.push((k.to_string(), v.to_string()));
            }
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = env.post(&at, &form).await;
            assert_eq!(r.status, 303, "{step}: {}", r.body);
            seen.push(step);
            at = r.location;
        }
        // The father's and mother's questions were asked; the marriage
        // certificate's number was not (the parents are not married).
        for asked in [
            "to-khai-cha_ho_ten",
            "to-khai-me_ngay_sinh",
            "to-khai-so_ban",
        ] {
            assert!(
                seen.iter().any(|s| s == asked),
                "{asked} not asked: {seen:?}"
            );
        }
        assert!(!seen.iter().any(|s| s == "to-khai-gcnkh_so"), "{seen:?}");
        // An impossible date is said as such, and the step is shown again.
        let r = env
            .post(
                &format!("/nop/{id}/to-khai-con_ngay_sinh"),
                &[
                    ("answer-day", "31"),
                    ("answer-month", "02"),
                    ("answer-year", "2026"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("31/02/2026 không có thật"), "{}", r.body);
        assert!(r.body.contains("value=\"31\""), "the answer is kept");
        // The check page shows the declaration and the fee before submitting.
        let check = env.get(&format!("/nop/{id}/kiem-tra"), None).await;
        assert_eq!(check.status, 200);
        // The same link in another browser (no draft cookie, or another's)
        // shows nothing of the answers.
        for other in [None, Some(format!("nop={}", "ab".repeat(32)))] {
            let mut req = env.http.get(format!("{}/nop/{id}/kiem-tra", env.base));
            if let Some(c) = other {
                req = req.header(COOKIE, c);
            }
            let r = req.send().await.expect("other browser");
            assert_eq!(r.status().as_u16(), 404);
            let body = r.text().await.expect("body");
            assert!(
                !body.contains("Nguyễn Thị") && !body.contains("087"),
                "{body}"
            );
        }
        assert!(check.body.contains("Nguyễn Bảo An") && check.body.contains("27/11/2026"));
        assert!(check.body.contains("id=\"fee\""), "{}", check.body);
        let r = env.post(&format!("/nop/{id}/gui"), &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let finished = env
            .store
            .draft(&id, OffsetDateTime::now_utc())
            .await
            .expect("draft")
            .expect("draft");
        let code = finished.dossier_code.clone().expect("submitted");
        // Finished: the answers left the draft (the dossier holds them).
        let kept: Vec<&String> = finished.data.as_object().expect("data").keys().collect();
        assert!(
            !kept
                .iter()
                .any(|k| *k == "declaration" || *k == "full_name"),
            "{kept:?}"
        );
        let row = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row");
        // The confirmation page: codes to copy, and the confirmation as PDF
        // offered with the lookup code it alone shows.
        let done = env.get(&format!("/nop/{id}/xong"), None).await;
        assert!(done.body.contains("data-copy=\"lookup-key\""));
        assert!(
            done.body.contains("role=\"img\""),
            "the QR code is an image"
        );
        let key = done
            .body
            .split("id=\"lookup-key\">")
            .nth(1)
            .and_then(|t| t.split('<').next())
            .expect("key shown")
            .to_string();
        let pdf_path = format!("/nop/{id}/phieu-xac-nhan.pdf");
        assert!(done.body.contains(&format!("action=\"{pdf_path}\"")));
        let r = env.post(&pdf_path, &[("key", "AAAAAAAAAA")]).await;
        assert_eq!(r.status, 404, "a wrong code gets nothing");
        let pdf = env
            .http
            .post(format!("{}{pdf_path}", env.base))
            .header(COOKIE, env.nop_cookie())
            .form(&[("key", key.as_str())])
            .send()
            .await
            .expect("pdf");
        assert_eq!(pdf.status().as_u16(), 200);
        let text = pdftotext(&pdf.bytes().await.expect("bytes")).expect("pdftotext");
        assert!(
            text.contains("PHIẾU XÁC NHẬN NỘP HỒ SƠ TRỰC TUYẾN"),
            "{text}"
        );
        assert!(
            text.contains(&code) && text.contains(&format!("Mã tra cứu: {key}")),
            "{text}"
        );
        let fields: Value = serde_json::from_str(&row.fields).expect("fields");
        assert_eq!(fields["con_ho_ten"], "Nguyễn Bảo An");
        assert_eq!(fields["con_ngay_sinh"], "2026-11-27");
        assert_eq!(fields["cha_ho_ten"], "Nguyễn Văn Bình");
        assert!(fields.get("gcnkh_so").is_none());
        let docs = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier")
            .documents;
        let id_card = docs
            .iter()
            .filter(|d| d.code.as_deref() == Some("giay-to-tuy-than"))
            .count();
        assert_eq!(id_card, 2, "front and back of the ID card: {docs:?}");
        // The officer: the declaration as answered, and its PDF to sign.
        let cookie = env.login().await;
        let page = env
            .get(&format!("/can-bo/ho-so/{code}"), Some(&cookie))
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"declaration\""), "{}", page.body);
        assert!(page.body.contains("Nguyễn Bảo An") && page.body.contains("Nguyễn Văn Bình"));
        let pdf = env
            .http
            .get(format!("{}/can-bo/ho-so/{code}/mau/to-khai.pdf", env.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("pdf");
        assert_eq!(pdf.status().as_u16(), 200);
        let bytes = pdf.bytes().await.expect("bytes");
        assert!(bytes.starts_with(b"%PDF"));
        // scripts/test installs poppler-utils.
        let text = pdftotext(&bytes).expect("pdftotext reads the declaration");
        assert!(text.contains("TỜ KHAI ĐĂNG KÝ KHAI SINH"), "{text}");
        assert!(text.contains("Nguyễn Bảo An"), "{text}");
        assert!(text.contains("27/11/2026"), "{text}");
        assert!(text.contains("Người yêu cầu"), "{text}");

        // The officer asks to correct one answer; the citizen corrects it
        // online from the lookup page, and the event records what changed.
        let key = env
            .store
            .issued_key(&row, "citizen", OffsetDateTime::now_utc())
            .expect("key")
            .expect("the key just issued");
        let desk = env
            .store
            .user_by_username("tiepnhan.myhiep")
            .await
            .expect("read")
            .map(motcua_store::Actor::Staff)
            .expect("officer");
        let act = |action: &str, version: i64| motcua_store::ActionRequest {
            action: action.into(),
            version,
            note: Some("Tên của cháu viết sai dấu".into()),
            missing: vec!["fields.con_ho_ten".into()],
            ..Default::default()
        };
        let received = env
            .store
            .act(
                &code,
                &act("receive", row.version),
                &desk,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("receive");
        env.store
            .act(
                &code,
                &act("request_supplement", received.row.version),
                &desk,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("request");
        let look = env
            .get(&format!("/tra-cuu?code={code}&key={key}"), None)
            .await;
        assert!(
            look.body.contains("name=\"ans:con_ho_ten\""),
            "{}",
            look.body
        );
        assert!(look.body.contains("value=\"Nguyễn Bảo An\""));
        let boundary = "----motcua-answers";
        let version = env
            .store
            .dossier_row(&code)
            .await
            .expect("read")
            .expect("row")
            .version;
        let part = |name: &str, value: &str| {
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
        };
        let body = format!(
            "{}{}{}{}--{boundary}--\r\n",
            part("code", &code),
            part("key", &key),
            part("version", &version.to_string()),
            part("ans:con_ho_ten", "Nguyễn Bảo Ân"),
        );
        let r = env
            .send(
                env.http
                    .post(format!("{}/tra-cuu/bo-sung", env.base))
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let rec = env
            .store
            .dossier(&code)
            .await
            .expect("read")
            .expect("dossier");
        let fields: Value = serde_json::from_str(&rec.row.fields).expect("fields");
        assert_eq!(fields["con_ho_ten"], "Nguyễn Bảo Ân");
        assert_eq!(fields["cha_ho_ten"], "Nguyễn Văn Bình", "the rest is kept");
        let last = rec.events.last().expect("event");
        let change = &last.payload.answers.as_ref().expect("answers changed")["con_ho_ten"];
        assert_eq!(
            (change.from.as_deref(), change.to.as_deref()),
            (Some("Nguyễn Bảo An"), Some("Nguyễn Bảo Ân"))
        );
        assert_eq!(rec.row.status, "received");
    }
}

/// The text of a PDF, read by pdftotext (poppler-utils).
fn pdftotext(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let file = dir.path().join("to-khai.pdf");
    std::fs::write(&file, bytes).ok()?;
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str()?, "-"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[tokio::test]
async fn the_api_publishes_the_declaration_and_refuses_wrong_answers_with_their_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let env = env(&db).await;
        let r = env.get("/api/v1/procedures/HT-KS/declaration", None).await;
        assert_eq!(r.status, 200);
        let schema: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["con_ngay_sinh"]["format"], "date");
        let r = env.get("/api/v1/procedures/HKD-DK/declaration", None).await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("declaration_not_found"));
        // A citizen's submission: each wrong answer refused with its path.
        let scan = env
            .store
            .upload(
                b"%PDF-1.4\n% cccd\n%%EOF\n",
                Some("cccd.pdf"),
                "citizen",
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("upload");
        let mut fields: HashMap<&str, &str> = [
            ("nyc_ho_ten", "Trần Thị Mai"),
            ("nyc_ngay_sinh", "1988-04-12"),
            ("nyc_so_dinh_danh", "087188001234"),
            ("nyc_quan_he", "Bản thân"),
            ("xn_ho_ten", "Trần Thị Mai"),
            ("xn_ngay_sinh", "1988-04-12"),
            ("xn_muc_dich", "Đăng ký kết hôn"),
        ]
        .into_iter()
        .collect();
        for (key, bad, code) in [
            ("xn_ngay_sinh", "31/02/1990", "impossible_date"),
            ("xn_ho_ten", "Trần Thị 2", "bad_name"),
            ("nyc_so_dinh_danh", "087190001234", "id_number_mismatch"),
        ] {
            let good = fields.insert(key, bad).expect("key");
            let r = env
                .send(
                    env.http
                        .post(format!("{}/api/v1/dossiers", env.base))
                        .json(&json!({
                            "unit_code": UNIT,
                            "procedure_code": "HT-XNHN",
                            "applicant": {"full_name": "Trần Thị Mai", "id_number": "087188001234",
                                "date_of_birth": "1988-04-12", "phone": "0912345678",
                                "address": "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp"},
                            "fields": fields,
                            "documents": [{"code": "giay-to-tuy-than", "upload_id": scan.id}],
                        })),
                )
                .await;
            assert_eq!(r.status, 422, "{key}: {}", r.body);
            let v: Value = serde_json::from_str(&r.body).expect("json");
            assert_eq!(v["error"]["code"], code, "{}", r.body);
            assert_eq!(v["error"]["field"], format!("fields.{key}"));
            fields.insert(key, good);
        }
        assert_eq!(env.store.count_dossiers().await.expect("count"), 0);
    }
}

/// A plausible answer to any question, consistent across the declaration:
/// every date is 17 May 1990, every personal number one of that year.
fn plausible(f: &motcua_domain::declaration::Field) -> String {
    use motcua_domain::declaration::Kind;
    match &f.kind {
        Kind::Text => "Nội dung khai".into(),
        Kind::LongText => "Nội dung khai chi tiết".into(),
        Kind::Name => "Nguyễn Thị Lan".into(),
        Kind::Date { .. } => "1990-05-17".into(),
        Kind::IdNumber { .. } => "087190001234".into(),
        Kind::Phone => "0912345678".into(),
        Kind::Email => "lan@example.vn".into(),
        Kind::Address => "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
        Kind::Choice { options } => options.first().map(|o| o.value.clone()).unwrap_or_default(),
        // "Yes" opens every conditional section, so every question is asked.
        Kind::YesNo => "co".into(),
        Kind::Count { min, .. } => (*min).max(1).to_string(),
    }
}

#[tokio::test]
async fn each_shipped_declaration_is_accepted_answered_and_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog =
        motcua_domain::catalog::parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog");
    let declared: Vec<_> = catalog.iter().filter(|p| p.declaration.is_some()).collect();
    assert!(declared.len() >= 10, "{}", declared.len());
    for db in databases(dir.path()).await.expect("dbs") {
        let env = env(&db).await;
        let cookie = env.login().await;
        for p in &declared {
            let decl = p.declaration.as_ref().expect("declaration");
            // Every question answered (the conditional ones too).
            let answers: serde_json::Map<String, Value> = decl
                .fields()
                .map(|(_, f)| (f.key.clone(), Value::String(plausible(f))))
                .collect();
            // Received at the counter: the other required papers checked on
            // paper; the declaration is answered.
            let documents: Vec<Value> = p
                .required_documents()
                .filter(|d| p.declaration_document().is_none_or(|x| x.code != d.code))
                .map(|d| json!({"code": d.code, "paper": true}))
                .collect();
            let r = env
                .send(
                    env.http
                        .post(format!("{}/api/v1/counter/dossiers", env.base))
                        .header(COOKIE, &cookie)
                        .json(&json!({
                            "unit_code": UNIT,
                            "procedure_code": p.code,
                            "channel": "counter",
                            "applicant": {"full_name": "Nguyễn Thị Lan", "id_number": "087190001234",
                                "date_of_birth": "1990-05-17", "phone": "0912345678",
                                "address": "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp"},
                            "fields": answers,
                            "documents": documents,
                        })),
                )
                .await;
            assert_eq!(r.status, 201, "{}: {}", p.code, r.body);
            let v: Value = serde_json::from_str(&r.body).expect("json");
            let code = v["code"].as_str().expect("code").to_string();
            let row = env
                .store
                .dossier_row(&code)
                .await
                .expect("read")
                .expect("row");
            let stored: Value = serde_json::from_str(&row.fields).expect("fields");
            // Every answer to a question asked is kept; the others dropped.
            let given: motcua_domain::declaration::Answers = answers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect();
            let asked = decl.asked(&given).count();
            assert!(
                asked * 10 >= answers.len() * 8,
                "{}: most questions asked",
                p.code
            );
            assert_eq!(
                stored.as_object().map(|o| o.len()),
                Some(asked),
                "{}: every answer asked is kept",
                p.code
            );
            // Printed for signature, with its title and the answers.
            let pdf = env
                .http
                .get(format!("{}/can-bo/ho-so/{code}/mau/to-khai.pdf", env.base))
                .header(COOKIE, &cookie)
                .send()
                .await
                .expect("pdf");
            assert_eq!(pdf.status().as_u16(), 200, "{}", p.code);
            let text = pdftotext(&pdf.bytes().await.expect("bytes")).expect("pdftotext");
            let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat(&text).contains(&flat(&decl.title.to_uppercase())),
                "{}: {text}",
                p.code
            );
            assert!(text.contains("Nguyễn Thị Lan"), "{}: {text}", p.code);
        }
    }
}

#[tokio::test]
async fn an_abandoned_draft_is_deleted_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = databases(dir.path())
        .await
        .expect("dbs")
        .into_iter()
        .next()
        .expect("sqlite");
    let env = env(&db).await;
    let r = env.post("/thu-tuc/HT-XNHN/nop", &[]).await;
    assert_eq!(r.status, 303);
    let id = r.location.split('/').nth(2).expect("draft id").to_string();
    let page = env.get(&r.location, None).await;
    assert!(page.body.contains(&format!("action=\"/nop/{id}/huy\"")));
    let r = env.post(&format!("/nop/{id}/huy"), &[]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"));
    assert!(
        env.store
            .draft(&id, OffsetDateTime::now_utc())
            .await
            .expect("read")
            .is_none()
    );
}
