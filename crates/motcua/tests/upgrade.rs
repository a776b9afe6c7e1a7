//! Upgrade safety: a data folder written by release 1 (committed under
//! tests/fixtures/release-1) still migrates and verifies with this build, and
//! the public lookup answers every citizen's code and key with the status and
//! appointment date that release printed. The committed folder is never
//! touched: the test works on a copy.
//!
//! The folder was made by `generate_fixture`, which is ignored. Run it only
//! on the release the folder is named after (newer code would no longer
//! write an old release's data); a later release gets a folder of its own:
//!
//!     cargo test -p motcua --test upgrade -- --ignored generate_fixture

use motcua_domain::calendar::VN_OFFSET;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Action, Channel, Role, Status};
use motcua_store::queue::TicketAction;
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-1");
const EXPECTED: &str = "expected.json";
/// The staff accounts' password in the fixture.
const PASSWORD: &str = "ban-phat-hanh-1-2026";
/// Public address printed in the signed result's QR code.
const BASE_URL: &str = "http://127.0.0.1:8080";

fn motcua(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .output()
        .expect("run motcua")
}

fn ok(args: &[&str], o: &Output) -> String {
    assert!(
        o.status.success(),
        "motcua {} failed ({}):\n{}\n{}",
        args.join(" "),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    ok(args, &motcua(dir, args))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The text of the lookup page's appointment line.
fn page_due(html: &str) -> Option<String> {
    let marker = "Ngày hẹn trả</dt><dd>";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find("</dd>")?;
    Some(html[start..start + len].to_string())
}

// ---- the upgrade test --------------------------------------------------------

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(data_dir: &Path, http: &reqwest::Client) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("MOTCUA_DATA_DIR", data_dir)
        .env_remove("MOTCUA_DATABASE")
        .env("MOTCUA_LOG", "error")
        .env("MOTCUA_LOOKUP_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing in {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_1_data_upgrades_and_answers_as_before() {
    let fixture = Path::new(FIXTURE);
    let expected: Value = serde_json::from_slice(
        &std::fs::read(fixture.join(EXPECTED)).expect("expected.json of the fixture"),
    )
    .expect("expected.json");
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    copy_dir(fixture, &data);

    run_ok(&data, &["migrate"]);
    let dossiers = expected["dossiers"].as_array().expect("dossiers");
    // Release 2: the clear lookup keys were hashed and are gone from every
    // file of the data folder (no leftover in free pages or the WAL).
    for entry in std::fs::read_dir(&data).expect("data dir").flatten() {
        if entry.file_name() == EXPECTED {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        for d in dossiers {
            let key = d["key"].as_str().expect("key");
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
                "the clear key of {} is still in {}",
                d["code"],
                entry.path().display()
            );
        }
    }
    let out = run_ok(&data, &["check"]);
    assert!(
        out.starts_with(&format!("{} ", dossiers.len())),
        "check saw another number of dossiers: {out}"
    );
    run_ok(&data, &["audit", "verify"]);
    run_ok(&data, &["index", "verify"]);

    let http = reqwest::Client::new();
    let server = serve(&data, &http).await;
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.base);
        async move {
            let r = http.get(url).send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.bytes().await.expect("body").to_vec())
        }
    };
    for (i, d) in dossiers.iter().enumerate() {
        let (code, key) = (text(d, "code"), text(d, "key"));
        let (status, body) = get(format!("/api/v1/lookup/{code}?key={key}")).await;
        assert_eq!(
            status,
            200,
            "{code}: the citizen's key no longer opens the dossier: {}",
            String::from_utf8_lossy(&body)
        );
        let v: Value = serde_json::from_slice(&body).expect("lookup json");
        assert_eq!(v["code"], d["code"], "{code}");
        assert_eq!(v["status"], d["status"], "{code}: status changed");
        assert_eq!(v["due_at"], d["due_at"], "{code}: appointment changed");
        // The shown date is the instant release 1 stored (unless paused).
        if let Some(ms) = d["due_at_ms"].as_i64().filter(|_| !d["due_at"].is_null()) {
            let stored = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .expect("instant")
                .to_offset(VN_OFFSET);
            assert_eq!(v["due_at"], json!(rfc3339(stored)), "{code}");
        }
        assert_eq!(v["paused"], d["paused"], "{code}");
        assert_eq!(v["late"], d["late"], "{code}");
        let (status, body) = get(format!("/tra-cuu?code={code}&key={key}")).await;
        assert_eq!(status, 200, "{code}: lookup page");
        let html = String::from_utf8_lossy(&body);
        let due_text = text(d, "due_text");
        assert!(
            html.contains(&due_text),
            "{code}: the page no longer prints \"{due_text}\" (now: {:?})",
            page_due(&html)
        );
        // Another dossier's key, and no key, open nothing.
        let other = text(&dossiers[(i + 1) % dossiers.len()], "key");
        let (status, _) = get(format!("/api/v1/lookup/{code}?key={other}")).await;
        assert_eq!(status, 404, "{code} opened with another dossier's key");
        let (status, _) = get(format!("/api/v1/lookup/{code}")).await;
        assert_eq!(status, 404, "{code} opened without a key");
    }

    // The signed result: the citizen downloads it, and it still verifies.
    let signed = &expected["signed_result"];
    let code = text(signed, "code");
    let key = dossiers
        .iter()
        .find(|d| d["code"] == signed["code"])
        .map(|d| text(d, "key"))
        .expect("signed dossier listed");
    let (status, pdf) = get(format!("/api/v1/lookup/{code}/result?key={key}")).await;
    assert_eq!(status, 200, "{code}: signed result not downloadable");
    drop(server);
    let file = tmp.path().join("ket-qua.pdf");
    std::fs::write(&file, &pdf).expect("write pdf");
    let file_arg = file.display().to_string();
    let out = run_ok(&data, &["verify", &file_arg]);
    assert!(
        out.contains(&text(signed, "sha256")),
        "not the file release 1 signed:\n{out}"
    );
    // Serving did not disturb the history either.
    run_ok(&data, &["check"]);
    run_ok(&data, &["audit", "verify"]);
}

// ---- the generator -----------------------------------------------------------

fn at(month: u8, day: u8, hour: u8, minute: u8) -> OffsetDateTime {
    let month = Month::try_from(month).expect("month");
    let date = Date::from_calendar_date(2026, month, day).expect("date");
    let time = time::Time::from_hms(hour, minute, 0).expect("time");
    PrimitiveDateTime::new(date, time).assume_offset(VN_OFFSET)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// A tiny valid-looking PDF standing in for a scan.
fn scan(label: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {label}\n%%EOF\n").into_bytes()
}

struct Staff {
    receptionist: User,
    specialist: User,
    leader: User,
}

struct Case {
    name: &'static str,
    code: String,
    key: String,
}

struct Gen {
    store: Store,
    staff: BTreeMap<&'static str, Staff>,
    cases: Vec<Case>,
    applicants: u32,
}

const UNITS: [(&str, &str); 3] = [
    ("30112", "myhiep"),
    ("28261", "mytho"),
    ("29869", "caolanh"),
];
const NAMES: [&str; 8] = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hữu Châu",
    "Phạm Ngọc Dũng",
    "Huỳnh Thị Hạnh",
    "Võ Minh Khánh",
    "Đặng Thanh Lan",
    "Bùi Quốc Sơn",
];

impl Gen {
    async fn user(&self, new: NewUser) -> User {
        self.store
            .create_user(&new, at(1, 5, 8, 0))
            .await
            .expect("create user");
        self.store
            .user_by_username(&new.username)
            .await
            .expect("read user")
            .expect("user")
    }

    async fn add_staff(&mut self) {
        let hash = motcua_web::auth::hash_password(PASSWORD).expect("hash");
        let account = |username: String, full_name: &str, role: Role, unit: Option<&str>| NewUser {
            username,
            full_name: full_name.into(),
            password_hash: hash.clone(),
            roles: vec![role],
            units: unit.map(|u| vec![u.to_string()]).unwrap_or_default(),
            province_code: None,
        };
        for (unit, short) in UNITS {
            let r = self
                .user(account(
                    format!("tiepnhan.{short}"),
                    "Ngô Thị Tiếp",
                    Role::Receptionist,
                    Some(unit),
                ))
                .await;
            let s = self
                .user(account(
                    format!("chuyenvien.{short}"),
                    "Lâm Văn Xử",
                    Role::Specialist,
                    Some(unit),
                ))
                .await;
            let l = self
                .user(account(
                    format!("lanhdao.{short}"),
                    "Trương Quốc Duyệt",
                    Role::Leader,
                    Some(unit),
                ))
                .await;
            self.user(account(
                format!("quantri.{short}"),
                "Đỗ Minh Quản",
                Role::UnitAdmin,
                Some(unit),
            ))
            .await;
            self.staff.insert(
                unit,
                Staff {
                    receptionist: r,
                    specialist: s,
                    leader: l,
                },
            );
        }
        self.user(NewUser {
            province_code: Some("82".into()),
            ..account(
                "giamsat.dongthap".into(),
                "Giám sát tỉnh Đồng Tháp",
                Role::ProvinceSupervisor,
                None,
            )
        })
        .await;
        self.user(account(
            "admin".into(),
            "Quản trị hệ thống",
            Role::Admin,
            None,
        ))
        .await;
    }

    fn staff(&self, unit: &str) -> &Staff {
        self.staff.get(unit).expect("unit staff")
    }

    /// A new dossier: online (the citizen uploads every required paper) or
    /// typed at the counter (papers presented).
    async fn file(
        &mut self,
        name: &'static str,
        unit: &'static str,
        procedure: &str,
        channel: Channel,
        t: OffsetDateTime,
    ) -> String {
        let (p, _) = self
            .store
            .procedure(procedure)
            .await
            .expect("read procedure")
            .expect("procedure");
        let mut documents = Vec::new();
        for d in p.required_documents() {
            let upload_id = if channel == Channel::Online {
                let meta = self
                    .store
                    .upload(
                        &scan(&format!("{name} {}", d.code)),
                        Some(&format!("{}.pdf", d.code)),
                        "citizen",
                        t,
                    )
                    .await
                    .expect("upload");
                Some(meta.id)
            } else {
                None
            };
            documents.push(DocumentRef {
                code: d.code.clone(),
                paper: upload_id.is_none(),
                upload_id,
            });
        }
        let n = self.applicants;
        self.applicants += 1;
        let year = 1960 + n * 3;
        let unit_name = self
            .store
            .unit(unit)
            .await
            .expect("unit")
            .map(|u| u.name)
            .unwrap_or_default();
        let applicant = ApplicantInput {
            full_name: NAMES[n as usize % NAMES.len()].into(),
            id_number: format!("087{}{:02}{:06}", n % 2, year % 100, 1000 + n),
            date_of_birth: format!("{year}-0{}-1{}", 1 + n % 9, n % 10),
            phone: format!("09{:08}", 12_345_000 + n),
            email: None,
            address: format!("Ấp {}, {unit_name}", 1 + n % 4),
        };
        let new = NewDossier {
            unit_code: unit.into(),
            procedure_code: procedure.into(),
            channel,
            applicant,
            fields: json!({}),
            documents,
        };
        let actor = if channel == Channel::Online {
            Actor::Citizen
        } else {
            Actor::Staff(self.staff(unit).receptionist.clone())
        };
        let rec = self
            .store
            .create_dossier(new, &actor, t)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        self.cases.push(Case {
            name,
            code: rec.row.code.clone(),
            key: rec.issued_key.clone().expect("a new dossier's key"),
        });
        rec.row.code
    }

    async fn act(&self, code: &str, mut req: ActionRequest, actor: &Actor, t: OffsetDateTime) {
        req.version = self
            .store
            .dossier_row(code)
            .await
            .expect("row")
            .expect("dossier")
            .version;
        let action = req.action.clone();
        self.store
            .act(code, &req, actor, t)
            .await
            .unwrap_or_else(|e| panic!("{code} {action}: {e}"));
    }
}

fn req(action: &str) -> ActionRequest {
    ActionRequest {
        action: action.into(),
        ..ActionRequest::default()
    }
}

fn noted(action: &str, note: &str) -> ActionRequest {
    ActionRequest {
        note: Some(note.into()),
        ..req(action)
    }
}

fn assign(to: &User) -> ActionRequest {
    ActionRequest {
        assignee: Some(to.username.clone()),
        ..req("assign")
    }
}

/// Dossiers of February 2026, around Tết (17/02), so that due dates cross the
/// lunar holidays; between them they take every lifecycle action.
async fn dossiers(g: &mut Gen) {
    let staff = |g: &Gen, unit: &str| {
        let s = g.staff(unit);
        (
            Actor::Staff(s.receptionist.clone()),
            Actor::Staff(s.specialist.clone()),
            Actor::Staff(s.leader.clone()),
            s.specialist.clone(),
        )
    };
    let citizen = Actor::Citizen;
    let (rec, spec, lead, specialist) = staff(g, "30112");

    // Online, refused at intake.
    let c = g
        .file(
            "online_refused",
            "30112",
            "HT-XNHN",
            Channel::Online,
            at(2, 9, 9, 0),
        )
        .await;
    let r = noted(
        "refuse_intake",
        "Thủ tục không thuộc thẩm quyền của UBND xã",
    );
    g.act(&c, r, &rec, at(2, 9, 10, 0)).await;

    // Online, not yet received (sent on a Thursday evening).
    g.file(
        "online_submitted",
        "30112",
        "CTR-TAM",
        Channel::Online,
        at(2, 12, 20, 15),
    )
    .await;

    // Online, through to a signed electronic result delivered online.
    let c = g
        .file(
            "online_returned_signed",
            "30112",
            "HT-XNHN",
            Channel::Online,
            at(2, 2, 8, 30),
        )
        .await;
    g.act(&c, req("receive"), &rec, at(2, 2, 9, 0)).await;
    g.act(&c, assign(&specialist), &rec, at(2, 2, 9, 30)).await;
    let record = g.store.dossier(&c).await.expect("read").expect("dossier");
    let pdf = motcua_web::documents::draft_result(&g.store, record, String::new(), at(2, 3, 10, 0))
        .await
        .unwrap_or_else(|e| panic!("draft result: {e:?}"));
    g.store
        .signing()
        .attach_result(&c, &pdf, Some("ket-qua.pdf"), &specialist, at(2, 3, 10, 0))
        .await
        .expect("attach result");
    g.act(&c, req("propose"), &spec, at(2, 3, 10, 5)).await;
    let leader = g.staff("30112").leader.clone();
    motcua_web::results::sign_result(&g.store, &c, &leader, BASE_URL, at(2, 3, 14, 0))
        .await
        .expect("sign result");
    g.act(&c, req("approve"), &lead, at(2, 3, 14, 5)).await;
    let r = ActionRequest {
        delivery: Some("online".into()),
        ..req("return_result")
    };
    g.act(&c, r, &rec, at(2, 4, 8, 0)).await;

    // Counter: supplement asked and given (across Tết), sent back once, returned by post.
    let c = g
        .file(
            "counter_returned_post",
            "30112",
            "HT-KSL",
            Channel::Counter,
            at(2, 10, 8, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 10, 8, 30)).await;
    let r = ActionRequest {
        missing: vec!["ban-sao-giay-to".into()],
        ..noted(
            "request_supplement",
            "Bản sao giấy tờ bị mờ, đề nghị bổ sung bản rõ nét",
        )
    };
    g.act(&c, r, &spec, at(2, 10, 14, 0)).await;
    g.act(&c, req("supplement"), &rec, at(2, 23, 9, 0)).await;
    g.act(&c, req("propose"), &spec, at(2, 24, 10, 0)).await;
    let r = noted(
        "send_back",
        "Đề nghị ghi rõ nơi đăng ký khai sinh trước đây",
    );
    g.act(&c, r, &lead, at(2, 24, 15, 0)).await;
    g.act(&c, req("propose"), &spec, at(2, 25, 9, 0)).await;
    g.act(&c, req("approve"), &lead, at(2, 25, 11, 0)).await;
    let r = ActionRequest {
        delivery: Some("post".into()),
        postal_address: Some("Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into()),
        tracking_number: Some("EV123456789VN".into()),
        ..req("return_result")
    };
    g.act(&c, r, &rec, at(2, 26, 9, 0)).await;

    // Counter: waiting for the citizen's papers (clock paused).
    let c = g
        .file(
            "counter_awaiting_supplement",
            "30112",
            "HT-NCMC",
            Channel::Counter,
            at(2, 11, 9, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 11, 9, 20)).await;
    let r = ActionRequest {
        missing: vec!["chung-cu".into()],
        ..noted("request_supplement", "Thiếu chứng cứ chứng minh")
    };
    g.act(&c, r, &spec, at(2, 11, 15, 0)).await;

    // Counter: rejected by the leader.
    let c = g
        .file(
            "counter_rejected",
            "30112",
            "CT-HDGD",
            Channel::Counter,
            at(2, 9, 10, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 9, 10, 30)).await;
    let r = noted("reject", "Tài sản đang có tranh chấp, không đủ điều kiện");
    g.act(&c, r, &lead, at(2, 10, 9, 0)).await;

    // Counter: withdrawn at the counter right after reception.
    let c = g
        .file(
            "counter_withdrawn",
            "30112",
            "CT-DC",
            Channel::Counter,
            at(2, 12, 8, 0),
        )
        .await;
    g.act(
        &c,
        noted("withdraw", "Công dân xin rút hồ sơ"),
        &rec,
        at(2, 12, 8, 30),
    )
    .await;

    // Online, withdrawn by the citizen before reception.
    let c = g
        .file(
            "online_withdrawn_by_citizen",
            "30112",
            "HKD-DK",
            Channel::Online,
            at(2, 5, 19, 0),
        )
        .await;
    let r = noted("withdraw", "Tôi nộp nhầm thủ tục");
    g.act(&c, r, &citizen, at(2, 5, 21, 0)).await;

    // Counter: late, apology with a new date, then approved (result waiting).
    let c = g
        .file(
            "counter_apology_result_ready",
            "30112",
            "HT-TDCC",
            Channel::Counter,
            at(2, 2, 14, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 2, 14, 30)).await;
    let r = ActionRequest {
        new_due: Some(rfc3339(at(2, 11, 16, 0))),
        ..noted(
            "apologize",
            "Hồ sơ cần xác minh thêm tại nơi cư trú trước đây",
        )
    };
    g.act(&c, r, &lead, at(2, 5, 15, 0)).await;
    g.act(&c, req("propose"), &spec, at(2, 10, 10, 0)).await;
    g.act(&c, req("approve"), &lead, at(2, 10, 15, 0)).await;

    // Counter: waiting for approval.
    let c = g
        .file(
            "counter_awaiting_approval",
            "30112",
            "CT-TCDS",
            Channel::Counter,
            at(2, 12, 9, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 12, 9, 15)).await;
    g.act(&c, req("propose"), &spec, at(2, 13, 10, 0)).await;

    // Counter: in processing, 7 working days from the Friday before Tết.
    let c = g
        .file(
            "counter_processing",
            "30112",
            "CTR-TT",
            Channel::Counter,
            at(2, 13, 8, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 13, 8, 10)).await;

    // Counter: same-day procedure, received, not yet assigned (linked to a queue ticket).
    g.file(
        "counter_received_same_day",
        "30112",
        "HT-TLHT",
        Channel::Counter,
        at(2, 13, 14, 0),
    )
    .await;

    // Another unit: online, the receptionist asks for a paper before assigning,
    // the citizen sends it from the lookup.
    let (rec, _, _, specialist) = staff(g, "28261");
    let c = g
        .file(
            "online_supplemented",
            "28261",
            "CTR-TAM",
            Channel::Online,
            at(2, 4, 10, 0),
        )
        .await;
    g.act(&c, req("receive"), &rec, at(2, 4, 10, 30)).await;
    let r = ActionRequest {
        missing: vec!["giay-to-cho-o".into()],
        ..noted("request_supplement", "Giấy tờ chỗ ở chưa có chữ ký")
    };
    g.act(&c, r, &rec, at(2, 4, 11, 0)).await;
    let meta = g
        .store
        .upload(
            &scan("online_supplemented giay-to-cho-o v2"),
            Some("giay-to-cho-o.pdf"),
            "citizen",
            at(2, 6, 20, 0),
        )
        .await
        .expect("upload");
    let r = ActionRequest {
        documents: vec![DocumentRef {
            code: "giay-to-cho-o".into(),
            upload_id: Some(meta.id),
            paper: false,
        }],
        ..req("supplement")
    };
    g.act(&c, r, &citizen, at(2, 6, 20, 5)).await;
    g.act(&c, assign(&specialist), &rec, at(2, 9, 8, 0)).await;

    // Another unit: a complaint in calendar days, through a mobile team.
    g.file(
        "mobile_received",
        "28261",
        "KN-L1",
        Channel::Mobile,
        at(2, 13, 9, 30),
    )
    .await;

    // Third unit: building permit (15 calendar days), returned at the counter.
    let (rec, spec, lead, specialist) = staff(g, "29869");
    let c = g
        .file(
            "counter_returned",
            "29869",
            "XD-GPXD",
            Channel::Counter,
            at(2, 3, 9, 0),
        )
        .await;
    g.act(&c, assign(&specialist), &rec, at(2, 3, 9, 30)).await;
    g.act(&c, req("propose"), &spec, at(2, 11, 10, 0)).await;
    g.act(&c, req("approve"), &lead, at(2, 12, 9, 0)).await;
    g.act(&c, req("return_result"), &rec, at(2, 12, 14, 0))
        .await;
}

fn case<'a>(g: &'a Gen, name: &str) -> &'a Case {
    g.cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// Ratings, feedback (one answered), and the queue of a morning at Mỹ Hiệp.
async fn around(g: &Gen) {
    let scores: [(&str, [u8; 5], Option<&str>, OffsetDateTime); 3] = [
        (
            "online_returned_signed",
            [5, 5, 5, 4, 5],
            Some("Nhận kết quả điện tử rất tiện"),
            at(2, 4, 9, 0),
        ),
        (
            "counter_returned_post",
            [3, 4, 3, 4, 4],
            None,
            at(2, 27, 8, 0),
        ),
        ("counter_returned", [4, 4, 5, 5, 4], None, at(2, 12, 16, 0)),
    ];
    for (name, s, comment, t) in scores {
        let row = g
            .store
            .dossier_row(&case(g, name).code)
            .await
            .expect("row")
            .expect("dossier");
        g.store
            .rate_dossier(&row, &s, comment, t)
            .await
            .unwrap_or_else(|e| panic!("rate {name}: {e}"));
    }
    let row = g
        .store
        .dossier_row(&case(g, "counter_returned_post").code)
        .await
        .expect("row")
        .expect("dossier");
    let f = g
        .store
        .submit_feedback(
            "30112",
            Some(&row),
            "Huỳnh Thị Hạnh",
            "0912345004",
            "Hồ sơ phải bổ sung hai lần, đề nghị hướng dẫn đầy đủ ngay từ đầu.",
            at(2, 27, 9, 0),
        )
        .await
        .expect("feedback");
    g.store
        .answer_feedback(
            "30112",
            f.id,
            "Đơn vị đã nhắc nhở cán bộ hướng dẫn một lần đầy đủ.",
            "quantri.myhiep",
            at(3, 2, 10, 0),
        )
        .await
        .expect("answer");
    g.store
        .submit_feedback(
            "28261",
            None,
            "Lê Minh Tâm",
            "0987654321",
            "Chờ ở quầy quá lâu vào buổi sáng thứ Hai.",
            at(2, 9, 11, 0),
        )
        .await
        .expect("feedback");

    let q = g.store.queue();
    let (services, counters) = q.setup("30112").await.expect("queue setup");
    let (service, counter) = (services[0].id, counters[0].id);
    for (m, phone) in [(40, Some("0912345678")), (42, None), (44, None)] {
        q.issue("30112", service, phone, at(2, 13, 13, m))
            .await
            .expect("ticket");
    }
    let (first, _) = q
        .call_next("30112", counter, at(2, 13, 13, 50))
        .await
        .expect("call")
        .expect("a ticket waits");
    q.act(
        "30112",
        counter,
        first.id,
        &TicketAction::Start,
        at(2, 13, 13, 51),
    )
    .await
    .expect("start");
    let link = TicketAction::LinkDossier(case(g, "counter_received_same_day").code.clone());
    q.act("30112", counter, first.id, &link, at(2, 13, 14, 1))
        .await
        .expect("link");
    let (second, _) = q
        .call_next("30112", counter, at(2, 13, 14, 5))
        .await
        .expect("call")
        .expect("a ticket waits");
    q.act(
        "30112",
        counter,
        second.id,
        &TicketAction::Skip,
        at(2, 13, 14, 8),
    )
    .await
    .expect("skip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "rewrites tests/fixtures/release-1: run by hand, on release 1 only"]
async fn generate_fixture() {
    let out = PathBuf::from(FIXTURE);
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("remove old fixture");
    }
    std::fs::create_dir_all(&out).expect("mkdir");
    // The binary lays the folder out and seeds units and catalog.
    run_ok(&out, &["migrate"]);
    let url = format!("sqlite://{}", out.join("motcua.sqlite").display());
    let mut store = Store::open(&url, &out.join("blobs")).await.expect("open");
    store.signing_key_file = Some(out.join("signing.key"));
    let mut g = Gen {
        store,
        staff: BTreeMap::new(),
        cases: Vec::new(),
        applicants: 0,
    };
    g.add_staff().await;
    for (unit, short) in UNITS {
        motcua_web::results::create_ca(&g.store, unit, "cli", at(1, 5, 9, 0))
            .await
            .expect("unit CA");
        motcua_web::results::issue(
            &g.store,
            unit,
            &format!("lanhdao.{short}"),
            "cli",
            at(1, 5, 9, 5),
            motcua_web::results::SIGNER_DAYS,
        )
        .await
        .expect("leader certificate");
    }
    dossiers(&mut g).await;
    around(&g).await;

    // Every action and every status is in the fixture.
    let mut actions = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for c in &g.cases {
        let rec = g
            .store
            .dossier(&c.code)
            .await
            .expect("read")
            .expect("dossier");
        actions.extend(rec.events.iter().map(|e| e.action.as_str()));
        statuses.insert(rec.row.status.clone());
    }
    for a in Action::ALL {
        assert!(actions.contains(a.as_str()), "no dossier took {a}");
    }
    for s in Status::ALL {
        assert!(statuses.contains(s.as_str()), "no dossier is {s}");
    }

    // What this release shows citizens: the lookup API and page.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(motcua_web::serve(
        listener,
        motcua_web::AppState {
            store: g.store.clone(),
        },
        async {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();
    let mut listed = Vec::new();
    for c in &g.cases {
        let url = format!("{base}/api/v1/lookup/{}?key={}", c.code, c.key);
        let r = http.get(url).send().await.expect("lookup");
        assert_eq!(r.status().as_u16(), 200, "{}", c.name);
        let v: Value = r.json().await.expect("json");
        let url = format!("{base}/tra-cuu?code={}&key={}", c.code, c.key);
        let html = http
            .get(url)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let row = g
            .store
            .dossier_row(&c.code)
            .await
            .expect("row")
            .expect("dossier");
        listed.push(json!({
            "case": c.name,
            "code": c.code,
            "key": c.key,
            "unit": row.unit_code,
            "procedure": row.procedure_code,
            "channel": row.channel,
            "status": v["status"],
            "due_at": v["due_at"],
            "due_text": page_due(&html).unwrap_or_else(|| panic!("{}: no due line", c.name)),
            "due_at_ms": row.due_at,
            "paused": v["paused"],
            "late": v["late"],
            "actions": v["history"]
                .as_array()
                .map(|h| h.iter().map(|e| e["action"].clone()).collect::<Vec<_>>()),
        }));
    }
    let _ = stop.send(());
    server.await.expect("join").expect("server");
    let signed_code = case(&g, "online_returned_signed").code.clone();
    let signed = g
        .store
        .signing()
        .result(&signed_code)
        .await
        .expect("read")
        .and_then(|r| r.signed_sha256)
        .expect("signed result");
    let expected = json!({
        "written_by": format!("motcua {}", env!("CARGO_PKG_VERSION")),
        "staff_password": PASSWORD,
        "dossiers": listed,
        "signed_result": { "code": signed_code, "sha256": signed },
    });
    std::fs::write(
        out.join(EXPECTED),
        serde_json::to_string_pretty(&expected).expect("json") + "\n",
    )
    .expect("write expected.json");

    drop(g);
    // The binary signs the chain heads (audit.key) and finds it all consistent.
    run_ok(&out, &["audit", "checkpoint"]);
    run_ok(&out, &["check"]);
    run_ok(&out, &["audit", "verify"]);
    run_ok(&out, &["index", "verify"]);
    compact(&out.join("motcua.sqlite")).await;
}

/// VACUUM the file; closing the last connection folds the WAL back in and removes it.
async fn compact(db: &Path) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open sqlite");
    for sql in ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
        sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
    }
    conn.close().await.expect("close");
    for side in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{side}", db.display()));
        assert!(!p.exists(), "{} left behind", p.display());
    }
}
