//! Electronic results over real HTTP, on every test database: the specialist
//! attaches the PDF, a leader of the unit signs it (nobody else can), the
//! citizen downloads it from the lookup once returned, and the public
//! verification page and API tell a genuine copy from an altered one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, DossierRecord, NewDossier, NewUser, Store, User,
};
use motcua_web::AppState;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::sync::OnceLock;
use time::OffsetDateTime;
use tokio::sync::oneshot;

const UNIT: &str = "30112";
const OTHER_UNIT: &str = "28261";
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

async fn add_user(store: &Store, username: &str, full_name: &str, role: Role, unit: &str) -> User {
    let new = NewUser {
        username: username.into(),
        full_name: full_name.into(),
        password_hash: password_hash().into(),
        roles: vec![role],
        units: vec![unit.into()],
        province_code: None,
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("user");
    store
        .user_by_username(username)
        .await
        .expect("read")
        .expect("user")
}

struct Resp {
    status: u16,
    content_type: String,
    location: String,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}", self.text());
        self
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json")
    }
}

struct Env {
    store: Store,
    base: String,
    http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl Env {
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (content_type, location) = (h(CONTENT_TYPE.as_str()), h(LOCATION.as_str()));
        Resp {
            status: r.status().as_u16(),
            content_type,
            location,
            body: r.bytes().await.expect("body").to_vec(),
        }
    }
    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn post(&self, path: &str, cookie: Option<&str>, ct: &str, body: Vec<u8>) -> Resp {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, ct)
            .body(body);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn post_file(&self, path: &str, cookie: Option<&str>, bytes: &[u8]) -> Resp {
        let boundary = "----motcua-result-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ket-qua.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.post(
            path,
            cookie,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }
    async fn login(&self, username: &str) -> String {
        let req = self.http.post(format!("{}/dang-nhap", self.base)).form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/can-bo"),
        ]);
        let r = req.send().await.expect("login");
        assert_eq!(r.status().as_u16(), 303);
        let set = r
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("cookie");
        set.split(';').next().expect("pair").trim().to_string()
    }
    async fn act(&self, code: &str, user: &User, action: &str, assignee: Option<&str>) {
        let version = self
            .store
            .dossier_row(code)
            .await
            .expect("row")
            .expect("row")
            .version;
        let req = ActionRequest {
            action: action.into(),
            version,
            assignee: assignee.map(str::to_string),
            ..ActionRequest::default()
        };
        self.store
            .act(
                code,
                &req,
                &Actor::Staff(user.clone()),
                OffsetDateTime::now_utc(),
            )
            .await
            .expect(action);
    }
}

/// The real server on a free port, with a client that does not follow redirects.
async fn start(store: &Store) -> Env {
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
        store: store.clone(),
        base,
        http,
        _stop: stop,
    }
}

/// A marital-status confirmation received at the counter with its paper documents.
async fn counter_dossier(store: &Store, receptionist: &User, now: OffsetDateTime) -> DossierRecord {
    store
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
                    address: "Ấp 2, xã Mỹ Hiệp".into(),
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
            &Actor::Staff(receptionist.clone()),
            now,
        )
        .await
        .expect("dossier")
}

fn result_pdf() -> Vec<u8> {
    motcua_signing::sample::pdf(&[
        "UY BAN NHAN DAN XA MY HIEP",
        "GIAY XAC NHAN TINH TRANG HON NHAN",
        "Ba Tran Thi Mai",
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_sign_download_and_verify_with_authorization() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let mut store = open_seeded(&db).await.expect("store");
        store.signing_key_file = Some(db.dir.join("signing.key"));
        let receptionist =
            add_user(&store, "tiepnhan", "Lê Tiếp Nhận", Role::Receptionist, UNIT).await;
        let specialist = add_user(
            &store,
            "chuyenvien",
            "Phạm Chuyên Viên",
            Role::Specialist,
            UNIT,
        )
        .await;
        add_user(
            &store,
            "chuyenvien2",
            "Võ Chuyên Viên",
            Role::Specialist,
            UNIT,
        )
        .await;
        let leader = add_user(&store, "lanhdao", "Nguyễn Văn Lãnh", Role::Leader, UNIT).await;
        add_user(
            &store,
            "lanhdao.mytho",
            "Đỗ Lãnh Đạo",
            Role::Leader,
            OTHER_UNIT,
        )
        .await;
        let now = OffsetDateTime::now_utc();
        for (unit, who) in [(UNIT, "lanhdao"), (OTHER_UNIT, "lanhdao.mytho")] {
            motcua_app::signing::create_ca(&store, unit, "admin", now)
                .await
                .expect("ca");
            motcua_app::signing::issue(
                &store,
                unit,
                who,
                "admin",
                Some("Chủ tịch UBND xã"),
                now,
                30,
            )
            .await
            .expect("issue");
        }

        let env = start(&store).await;

        let rec = counter_dossier(&store, &receptionist, now).await;
        let code = rec.row.code.clone();
        let key = rec.issued_key.clone().expect("the new dossier's key");
        env.act(&code, &receptionist, "assign", Some("chuyenvien"))
            .await;

        let page = format!("/can-bo/ho-so/{code}/ket-qua");
        let sign_path = format!("/can-bo/ho-so/{code}/ky-so");
        // A visitor without a session is sent to sign in, and cannot post.
        let r = env.get(&page, None).await;
        assert_eq!(r.status, 303);
        assert!(r.location.starts_with("/dang-nhap"), "{}", r.location);
        assert_eq!(env.post_file(&page, None, &result_pdf()).await.status, 303);
        assert_eq!(
            env.post(
                &sign_path,
                None,
                "application/x-www-form-urlencoded",
                vec![]
            )
            .await
            .status,
            303
        );

        let s_cookie = env.login("chuyenvien").await;
        let s2_cookie = env.login("chuyenvien2").await;
        let l_cookie = env.login("lanhdao").await;
        let o_cookie = env.login("lanhdao.mytho").await;
        let r_cookie = env.login("tiepnhan").await;

        let r = env.get(&page, Some(&s_cookie)).await;
        r.expect(200);
        assert!(r.text().contains("id=\"attach\""));
        assert!(!r.text().contains("id=\"sign\""));
        // Only the assigned specialist attaches; others are refused.
        env.post_file(&page, Some(&l_cookie), &result_pdf())
            .await
            .expect(403);
        env.post_file(&page, Some(&r_cookie), &result_pdf())
            .await
            .expect(403);
        env.post_file(&page, Some(&s2_cookie), &result_pdf())
            .await
            .expect(403);
        env.post_file(&page, Some(&o_cookie), &result_pdf())
            .await
            .expect(404);
        let r = env
            .post_file(&page, Some(&s_cookie), b"\x89PNG\r\n\x1a\nxxxx")
            .await;
        r.expect(415);
        assert!(r.text().contains("PDF"), "{}", r.text());
        let r = env.post_file(&page, Some(&s_cookie), &result_pdf()).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, format!("{page}?ok=attach").as_str())
        );

        // Signing before the specialist proposes is refused, with the reason.
        let r = env
            .post(
                &format!("/api/v1/dossiers/{code}/result"),
                Some(&l_cookie),
                "application/json",
                br#"{"action":"sign_result"}"#.to_vec(),
            )
            .await;
        r.expect(409);
        assert_eq!(r.json()["error"]["code"], "illegal_transition");
        env.act(&code, &specialist, "propose", None).await;

        // Not a leader, another unit's leader: refused; the page offers no button.
        env.post(
            &sign_path,
            Some(&s_cookie),
            "application/x-www-form-urlencoded",
            vec![],
        )
        .await
        .expect(403);
        env.post(
            &sign_path,
            Some(&r_cookie),
            "application/x-www-form-urlencoded",
            vec![],
        )
        .await
        .expect(403);
        env.post(
            &sign_path,
            Some(&o_cookie),
            "application/x-www-form-urlencoded",
            vec![],
        )
        .await
        .expect(404);
        let r = env
            .post(
                &format!("/api/v1/dossiers/{code}/result"),
                Some(&o_cookie),
                "application/json",
                br#"{"action":"sign_result"}"#.to_vec(),
            )
            .await;
        r.expect(404);
        let r = env
            .post(
                &format!("/api/v1/dossiers/{code}/result"),
                Some(&s_cookie),
                "application/json",
                br#"{"action":"sign_result"}"#.to_vec(),
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["error"]["code"], "forbidden_action");
        assert!(
            !env.get(&page, Some(&s_cookie))
                .await
                .text()
                .contains("id=\"sign\"")
        );

        let r = env.get(&page, Some(&l_cookie)).await;
        assert!(r.text().contains("id=\"sign\""), "{}", r.text());
        let r = env
            .post(
                &sign_path,
                Some(&l_cookie),
                "application/x-www-form-urlencoded",
                vec![],
            )
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, format!("{page}?ok=sign").as_str()),
            "{}",
            r.text()
        );
        let r = env.get(&page, Some(&l_cookie)).await;
        assert!(
            r.text().contains("Nguyễn Văn Lãnh (lanhdao)"),
            "{}",
            r.text()
        );
        assert!(!r.text().contains("id=\"sign\""));
        let r = env
            .post(
                &format!("/api/v1/dossiers/{code}/result"),
                Some(&l_cookie),
                "application/json",
                br#"{"action":"sign_result"}"#.to_vec(),
            )
            .await;
        r.expect(409);
        assert_eq!(r.json()["error"]["code"], "result_already_signed");
        let info = env
            .get(&format!("/api/v1/dossiers/{code}/result"), Some(&s_cookie))
            .await;
        info.expect(200);
        let info = info.json();
        assert_eq!(info["signed"], true);
        assert_eq!(info["signed_by"], "lanhdao");
        let verify_path = info["verify_path"]
            .as_str()
            .expect("verify path")
            .to_string();
        env.get(&format!("/api/v1/dossiers/{code}/result"), Some(&o_cookie))
            .await
            .expect(404);

        // The citizen: nothing before the result is returned, nothing with a wrong key.
        let download = format!("/tra-cuu/{code}/ket-qua?key={key}");
        env.get(&download, None).await.expect(409);
        env.act(&code, &leader, "approve", None).await;
        env.act(&code, &receptionist, "return_result", None).await;
        env.get(&format!("/tra-cuu/{code}/ket-qua?key=SAIKHOA123"), None)
            .await
            .expect(404);
        env.get(&format!("/api/v1/lookup/{code}/result"), None)
            .await
            .expect(404);
        let lookup = env
            .get(&format!("/tra-cuu?code={code}&key={key}"), None)
            .await;
        assert!(
            lookup.text().contains("id=\"download-result\""),
            "{}",
            lookup.text()
        );
        let r = env.get(&download, None).await;
        r.expect(200);
        assert_eq!(r.content_type, "application/pdf");
        let signed = r.body.clone();
        assert!(
            flat(&pdf_text(&signed)).contains(verify_path.as_str()),
            "the stamp names the verification page"
        );
        let api = env
            .get(&format!("/api/v1/lookup/{code}/result?key={key}"), None)
            .await;
        assert_eq!(api.body, signed);

        // Verification: the API and the public page.
        let v = env
            .post("/api/v1/verify", None, "application/pdf", signed.clone())
            .await;
        v.expect(200);
        let v = v.json();
        assert_eq!(v["verdict"], "valid", "{v}");
        assert_eq!(v["unit"]["code"], UNIT);
        assert_eq!(v["signer"]["name"], "Nguyễn Văn Lãnh");
        let mut altered = signed.clone();
        let at = altered.windows(4).position(|w| w == b"Mai)").expect("name");
        altered[at] = b'N';
        let v = env
            .post("/api/v1/verify", None, "application/pdf", altered.clone())
            .await
            .json();
        assert_eq!(v["verdict"], "modified");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("tệp đã bị sửa đổi sau khi ký"))
        );
        env.post("/api/v1/verify", None, "application/pdf", vec![])
            .await
            .expect(422);

        let r = env.get(&verify_path, None).await;
        r.expect(200);
        let t = r.text();
        assert!(t.contains("Xã Mỹ Hiệp"), "{t}");
        assert!(t.contains("Nguyễn Văn Lãnh"), "{t}");
        assert!(t.contains(&motcua_signing::sha256_hex(&signed)), "{t}");
        assert!(t.contains("Còn hiệu lực"), "{t}");
        let r = env.post_file(&verify_path, None, &signed).await;
        r.expect(200);
        assert!(r.text().contains("Khớp"), "{}", r.text());
        let r = env.post_file(&verify_path, None, &altered).await;
        r.expect(200);
        assert!(r.text().contains("Tệp đã bị sửa đổi"), "{}", r.text());
        // Another dossier's signed result, checked against this one's page: a
        // valid file, but not this document, and the page says which it is.
        let rec2 = counter_dossier(&store, &receptionist, now).await;
        let code2 = rec2.row.code.clone();
        env.act(&code2, &receptionist, "assign", Some("chuyenvien"))
            .await;
        store
            .signing()
            .attach_result(&code2, &result_pdf(), Some("kq.pdf"), &specialist, now)
            .await
            .expect("attach");
        env.act(&code2, &specialist, "propose", None).await;
        let second = motcua_app::signing::sign_result(&store, &code2, &leader, &env.base, now)
            .await
            .expect("sign the second");
        let second_page = format!("/xac-minh/{}", second.public_id.expect("public id"));
        let r = env.post_file(&second_page, None, &signed).await;
        r.expect(200);
        let t = r.text();
        assert!(!t.contains("Tệp đã bị sửa đổi"), "{t}");
        assert!(t.contains("Đây là một văn bản khác"), "{t}");
        assert!(
            t.contains(&format!("hồ sơ {code}")),
            "names the other dossier: {t}"
        );
        env.get("/xac-minh/0000ffff0000ffff0000ffff", None)
            .await
            .expect(404);
        env.get("/xac-minh/not-hex", None).await.expect(404);

        // Revoked: the page and the API say so.
        let serial = info["cert_serial"].as_str().expect("serial");
        store
            .signing()
            .revoke(serial, "Lộ khóa", "admin", OffsetDateTime::now_utc())
            .await
            .expect("revoke");
        assert!(
            env.get(&verify_path, None)
                .await
                .text()
                .contains("Chứng thư đã bị thu hồi")
        );
        let v = env
            .post("/api/v1/verify", None, "application/pdf", signed.clone())
            .await
            .json();
        assert_eq!(v["verdict"], "revoked");
    }
}

fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write");
    let out = child.wait_with_output().expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Words of the text, whatever the layout put between them.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_drafted_from_the_dossier_is_signed_and_reads_in_vietnamese() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let mut store = open_seeded(&db).await.expect("store");
        store.signing_key_file = Some(db.dir.join("signing.key"));
        let receptionist =
            add_user(&store, "tiepnhan", "Lê Tiếp Nhận", Role::Receptionist, UNIT).await;
        let specialist = add_user(
            &store,
            "chuyenvien",
            "Phạm Chuyên Viên",
            Role::Specialist,
            UNIT,
        )
        .await;
        add_user(&store, "lanhdao", "Nguyễn Văn Lãnh", Role::Leader, UNIT).await;
        add_user(
            &store,
            "lanhdao.mytho",
            "Đỗ Lãnh Đạo",
            Role::Leader,
            OTHER_UNIT,
        )
        .await;
        let now = OffsetDateTime::now_utc();
        motcua_app::signing::create_ca(&store, UNIT, "admin", now)
            .await
            .expect("ca");
        motcua_app::signing::issue(
            &store,
            UNIT,
            "lanhdao",
            "admin",
            Some("Chủ tịch UBND xã"),
            now,
            30,
        )
        .await
        .expect("issue");
        let env = start(&store).await;
        let rec = counter_dossier(&store, &receptionist, now).await;
        let code = rec.row.code.clone();
        env.act(&code, &receptionist, "assign", Some("chuyenvien"))
            .await;
        let draft = format!("/can-bo/ho-so/{code}/ket-qua/tao");
        let form = "application/x-www-form-urlencoded";
        let s_cookie = env.login("chuyenvien").await;
        let l_cookie = env.login("lanhdao").await;
        let o_cookie = env.login("lanhdao.mytho").await;

        // The page offers the draft to the assigned specialist only.
        let page = env
            .get(&format!("/can-bo/ho-so/{code}/ket-qua"), Some(&s_cookie))
            .await;
        assert!(page.text().contains("id=\"draft\""));
        // Nobody else drafts: the leader is refused, another unit does not see it,
        // nothing is attached.
        env.post(&draft, None, form, b"noi_dung=".to_vec())
            .await
            .expect(303);
        env.post(&draft, Some(&l_cookie), form, b"noi_dung=".to_vec())
            .await
            .expect(403);
        env.post(&draft, Some(&o_cookie), form, b"noi_dung=".to_vec())
            .await
            .expect(404);
        let too_long = format!("noi_dung={}", "a".repeat(5001));
        let r = env
            .post(&draft, Some(&s_cookie), form, too_long.into_bytes())
            .await;
        r.expect(422);
        assert!(r.text().contains("5.000"), "{}", r.text());
        assert!(store.signing().result(&code).await.expect("read").is_none());

        // The default wording, then the specialist's own text replaces it.
        let r = env
            .post(&draft, Some(&s_cookie), form, b"noi_dung=".to_vec())
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        let original = format!("/can-bo/ho-so/{code}/ket-qua/tep?loai=goc");
        let text = flat(&pdf_text(&env.get(&original, Some(&s_cookie)).await.body));
        for want in [
            "UBND XÃ MỸ HIỆP",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "VĂN BẢN KẾT QUẢ",
            code.as_str(),
            "Trần Thị Mai",
            "087188001234",
            "Ủy ban nhân dân xã Mỹ Hiệp xác nhận thủ tục",
        ] {
            assert!(text.contains(want), "{want} missing in:\n{text}");
        }
        let own = "Cấp giấy xác nhận tình trạng hôn nhân cho bà Trần Thị Mai.\n\nGiấy có giá trị 6 tháng kể từ ngày cấp.";
        let body = serde_urlencoded_pair("noi_dung", own);
        env.post(&draft, Some(&s_cookie), form, body.into_bytes())
            .await
            .expect(303);
        let text = flat(&pdf_text(&env.get(&original, Some(&s_cookie)).await.body));
        assert!(text.contains("Cấp giấy xác nhận tình trạng hôn nhân cho bà Trần Thị Mai."));
        assert!(text.contains("Giấy có giá trị 6 tháng kể từ ngày cấp."));
        assert!(!text.contains("xác nhận thủ tục"), "{text}");

        // The leader signs the drafted result and it verifies.
        env.act(&code, &specialist, "propose", None).await;
        env.post(
            &format!("/can-bo/ho-so/{code}/ky-so"),
            Some(&l_cookie),
            form,
            vec![],
        )
        .await
        .expect(303);
        let signed = env
            .get(
                &format!("/can-bo/ho-so/{code}/ket-qua/tep?loai=da-ky"),
                Some(&l_cookie),
            )
            .await;
        let report =
            motcua_app::signing::verify(&store, &signed.body, time::OffsetDateTime::now_utc())
                .await
                .expect("verify");
        assert_eq!(report.verdict, motcua_signing::verify::Verdict::Valid);
        assert!(flat(&pdf_text(&signed.body)).contains("Trần Thị Mai"));
    }
}

/// `name=value` form-encoded (UTF-8, spaces as `+`).
fn serde_urlencoded_pair(name: &str, value: &str) -> String {
    let mut out = format!("{name}=");
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_applicant_downloads_the_forms_signed_with_the_centers_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let mut store = open_seeded(&db).await.expect("store");
        store.signing_key_file = Some(db.dir.join("signing.key"));
        let receptionist =
            add_user(&store, "tiepnhan", "Lê Tiếp Nhận", Role::Receptionist, UNIT).await;
        let now = OffsetDateTime::now_utc();
        let mut documents = Vec::new();
        for code in ["to-khai", "giay-to-tuy-than"] {
            let meta = store
                .upload(&result_pdf(), Some("scan.pdf"), "citizen", now)
                .await
                .expect("upload");
            documents.push(DocumentRef {
                code: code.into(),
                upload_id: Some(meta.id),
                paper: false,
            });
        }
        let created = store
            .create_dossier(
                NewDossier {
                    unit_code: UNIT.into(),
                    procedure_code: "HT-XNHN".into(),
                    channel: Channel::Online,
                    applicant: ApplicantInput {
                        full_name: "Trần Thị Mai".into(),
                        id_number: "087188001234".into(),
                        date_of_birth: "1988-04-12".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: "Ấp 2, xã Mỹ Hiệp".into(),
                    },
                    fields: serde_json::json!({}),
                    documents,
                },
                &Actor::Citizen,
                now,
            )
            .await
            .expect("online dossier");
        let code = created.row.code.clone();
        let key = created.issued_key.clone().expect("key");
        let env = start(&store).await;
        env.act(&code, &receptionist, "receive", None).await;
        let lookup = format!("/tra-cuu?code={code}&key={key}");
        let receipt = format!("/tra-cuu/{code}/giay-to/01.pdf?key={key}");

        // No organisation certificate yet: the receipt goes unsigned, and the
        // page says so.
        let page = env.get(&lookup, None).await;
        page.expect(200);
        assert!(page.text().contains("id=\"paper-01\""), "{}", page.text());
        assert!(page.text().contains("chưa được ký số"));
        assert!(!page.text().contains("id=\"paper-02\""));
        let unsigned = env.get(&receipt, None).await;
        unsigned.expect(200);
        let report = motcua_app::signing::verify(&store, &unsigned.body, now)
            .await
            .expect("verify");
        assert_eq!(report.verdict, motcua_signing::verify::Verdict::NoSignature);
        assert!(flat(&pdf_text(&unsigned.body)).contains("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"));

        // The unit's authority issues the organisation certificate: the same
        // receipt now carries the center's signature, which verifies.
        motcua_app::signing::create_ca(&store, UNIT, "admin", now)
            .await
            .expect("ca");
        let org = motcua_app::seal::issue_organisation(&store, UNIT, "admin", now, 30)
            .await
            .expect("organisation certificate");
        assert!(org.username.is_none() && !org.is_ca);
        let page = env.get(&lookup, None).await;
        assert!(
            page.text()
                .contains("được ký số bằng chứng thư số của Trung tâm")
        );
        let signed = env.get(&receipt, None).await;
        signed.expect(200);
        let report = motcua_app::signing::verify(&store, &signed.body, now)
            .await
            .expect("verify");
        assert_eq!(report.verdict, motcua_signing::verify::Verdict::Valid);
        let signer = report.signer.expect("signer");
        assert!(
            signer.name.starts_with("Trung tâm Phục vụ hành chính công"),
            "{}",
            signer.name
        );
        assert_eq!(signer.serial, org.serial);

        // Another key, another form, the internal control sheet: not found.
        env.get(
            &format!("/tra-cuu/{code}/giay-to/01.pdf?key=AAAAAAAAAA"),
            None,
        )
        .await
        .expect(404);
        env.get(&format!("/tra-cuu/{code}/giay-to/03.pdf?key={key}"), None)
            .await
            .expect(404);
        env.get(&format!("/tra-cuu/{code}/giay-to/05.pdf?key={key}"), None)
            .await
            .expect(404);
        // A counter dossier's papers are handed over in person, stamped.
        let counter = counter_dossier(&store, &receptionist, now).await;
        let ckey = counter.issued_key.clone().expect("key");
        let page = env
            .get(
                &format!("/tra-cuu?code={}&key={ckey}", counter.row.code),
                None,
            )
            .await;
        assert!(!page.text().contains("id=\"papers\""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_signs_and_approves_in_one_step_behind_their_password() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let mut store = open_seeded(&db).await.expect("store");
        store.signing_key_file = Some(db.dir.join("signing.key"));
        let receptionist =
            add_user(&store, "tiepnhan", "Lê Tiếp Nhận", Role::Receptionist, UNIT).await;
        let specialist = add_user(
            &store,
            "chuyenvien",
            "Phạm Chuyên Viên",
            Role::Specialist,
            UNIT,
        )
        .await;
        add_user(&store, "lanhdao", "Nguyễn Văn Lãnh", Role::Leader, UNIT).await;
        add_user(&store, "phochutich", "Võ Thị Phó", Role::Leader, UNIT).await;
        let now = OffsetDateTime::now_utc();
        motcua_app::signing::create_ca(&store, UNIT, "admin", now)
            .await
            .expect("ca");
        motcua_app::signing::issue(
            &store,
            UNIT,
            "lanhdao",
            "admin",
            Some("Chủ tịch UBND xã"),
            now,
            30,
        )
        .await
        .expect("issue");
        let env = start(&store).await;
        let form = "application/x-www-form-urlencoded";
        let s_cookie = env.login("chuyenvien").await;
        let l_cookie = env.login("lanhdao").await;
        let p_cookie = env.login("phochutich").await;
        // One dossier with an electronic result, one with a paper result.
        let mut codes = Vec::new();
        for drafted in [true, false] {
            let code = counter_dossier(&store, &receptionist, now).await.row.code;
            env.act(&code, &receptionist, "assign", Some("chuyenvien"))
                .await;
            if drafted {
                env.post(
                    &format!("/can-bo/ho-so/{code}/ket-qua/tao"),
                    Some(&s_cookie),
                    form,
                    b"noi_dung=".to_vec(),
                )
                .await
                .expect(303);
            }
            env.act(&code, &specialist, "propose", None).await;
            codes.push(code);
        }
        let (code, paper) = (codes[0].clone(), codes[1].clone());
        let page = |cookie: String, code: String| {
            let env = &env;
            async move {
                env.get(&format!("/can-bo/ho-so/{code}"), Some(&cookie))
                    .await
                    .text()
            }
        };
        // A leader with a certificate is offered "Ký và phê duyệt" behind a password.
        let p = page(l_cookie.clone(), code.clone()).await;
        assert!(p.contains("Ký và phê duyệt") && p.contains("id=\"sign-password\""));
        assert!(p.contains("id=\"result-unsigned\"") && p.contains("/ket-qua/tep"));
        // Without a certificate, or for a paper result: plain "Phê duyệt".
        let p = page(p_cookie.clone(), code.clone()).await;
        assert!(!p.contains("Ký và phê duyệt") && !p.contains("sign-password"));
        assert!(p.contains(">Phê duyệt</button>"), "{p}");
        let p = page(l_cookie.clone(), paper.clone()).await;
        assert!(p.contains("id=\"paper-result\"") && !p.contains("sign-password"));

        let version = store
            .dossier_row(&code)
            .await
            .expect("row")
            .expect("row")
            .version;
        let post = |password: &str, version: i64| {
            let body = format!(
                "action=approve&version={version}&sign=1&{}",
                serde_urlencoded_pair("password", password)
            );
            let env = &env;
            let cookie = l_cookie.clone();
            let path = format!("/can-bo/ho-so/{code}/thao-tac");
            async move {
                env.post(&path, Some(&cookie), form, body.into_bytes())
                    .await
            }
        };
        let unsigned_and_waiting = || async {
            let row = store.dossier_row(&code).await.expect("row").expect("row");
            let result = store.signing().result(&code).await.expect("r").expect("r");
            row.status == "awaiting_approval" && result.signed_at.is_none()
        };
        // A wrong password: nothing signed, nothing approved, and nothing
        // counted toward the sign-in lockout (the per-client rate limit,
        // shared with sign-ins, still slows guessing).
        for _ in 0..4 {
            let r = post("sai-mat-khau", version).await;
            assert_ne!(r.status, 303);
            assert!(r.text().contains("Mật khẩu không đúng"), "{}", r.text());
        }
        assert!(unsigned_and_waiting().await);
        assert!(
            store
                .sign_in_failures("lanhdao", OffsetDateTime::now_utc())
                .await
                .expect("failures")
                .is_empty()
        );
        // A stale page: the approval is refused, so the signature is not kept.
        let r = post(PASSWORD, version - 1).await;
        assert_ne!(r.status, 303, "{}", r.text());
        assert!(unsigned_and_waiting().await);
        // The right password: signed and approved by one action.
        post(PASSWORD, version).await.expect(303);
        let rec = store.dossier(&code).await.expect("read").expect("dossier");
        assert_eq!(rec.row.status, "result_ready");
        let last = rec.events.last().expect("event");
        assert_eq!(
            (last.action.as_str(), last.actor.as_str()),
            ("approve", "lanhdao")
        );
        let result = store.signing().result(&code).await.expect("r").expect("r");
        assert_eq!(result.signed_by.as_deref(), Some("lanhdao"));
        let signed = env
            .get(
                &format!("/can-bo/ho-so/{code}/ket-qua/tep?loai=da-ky"),
                Some(&l_cookie),
            )
            .await;
        let report = motcua_app::signing::verify(&store, &signed.body, OffsetDateTime::now_utc())
            .await
            .expect("verify");
        assert_eq!(report.verdict, motcua_signing::verify::Verdict::Valid);
        // The stamp is drawn in Vietnamese and names the signer and title.
        let text = flat(&pdf_text(&signed.body));
        for want in [
            "Văn bản điện tử đã ký số – Xã Mỹ Hiệp",
            "Người ký: Nguyễn Văn Lãnh, Chủ tịch UBND xã",
            "Xác minh tính xác thực tại:",
        ] {
            assert!(text.contains(want), "{want} missing in:\n{text}");
        }
    }
}
