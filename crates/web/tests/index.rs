//! The service index over real HTTP on every test database: the province
//! ranking and a unit's page show the counted dossiers, the drill-down lists
//! exactly them (and nobody else's staff may open it), exports carry the
//! figures of the screen, a citizen rates a returned dossier once, and
//! feedback gets a deadline and is answered by the unit only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_app::clock::ManualClock;
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Action, Channel, Role};
use motcua_store::testing::{TestDb, databases, open_seeded};
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use motcua_web::AppState;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use std::sync::OnceLock;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::oneshot;

const UNIT: &str = "30112"; // Xã Mỹ Hiệp, Đồng Tháp (82)
const OTHER_UNIT: &str = "28261"; // Phường Mỹ Tho, Đồng Tháp
const PROC: &str = "HT-XNHN"; // 3 working days
const PASSWORD: &str = "mat-khau-thu-nghiem-2026";

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| motcua_web::auth::hash_password(PASSWORD).expect("hash"))
}

async fn add_user(
    store: &Store,
    username: &str,
    roles: Vec<Role>,
    units: &[&str],
    province: Option<&str>,
) -> User {
    let new = NewUser {
        username: username.into(),
        full_name: format!("Cán bộ {username}"),
        password_hash: password_hash().into(),
        roles,
        units: units.iter().map(|u| u.to_string()).collect(),
        province_code: province.map(str::to_string),
    };
    store
        .create_user(&new, OffsetDateTime::now_utc())
        .await
        .expect("create user");
    store
        .user_by_username(username)
        .await
        .expect("read")
        .expect("user")
}

struct Env {
    store: Store,
    base: String,
    http: reqwest::Client,
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
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Env {
    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.bytes().await.expect("body").to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }
    async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req).await
    }
    async fn login(&self, username: &str) -> String {
        let r = self
            .post(
                "/dang-nhap",
                None,
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/can-bo"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        r.header(SET_COOKIE.as_str())
            .split(';')
            .next()
            .expect("cookie")
            .trim()
            .to_string()
    }
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        full_name: "Phạm Thị Hoa".into(),
        id_number: "087190001111".into(),
        date_of_birth: "1990-01-01".into(),
        phone: "0911222333".into(),
        email: None,
        address: "Ấp 4, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
    }
}

/// A paper dossier received at `at`, taken to a result at `done` (and returned when asked).
async fn settled(
    store: &Store,
    people: &[(Role, User)],
    at: OffsetDateTime,
    done: OffsetDateTime,
    give_back: bool,
) -> (String, String) {
    let who = |r: Role| {
        Actor::Staff(
            people
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, u)| u.clone())
                .expect("role"),
        )
    };
    let docs = ["to-khai", "giay-to-tuy-than"]
        .iter()
        .map(|c| DocumentRef {
            code: (*c).into(),
            upload_id: None,
            paper: true,
        })
        .collect();
    let new = NewDossier {
        unit_code: UNIT.into(),
        procedure_code: PROC.into(),
        channel: Channel::Counter,
        applicant: applicant(),
        fields: serde_json::json!({}),
        documents: docs,
    };
    let rec = store
        .create_dossier(new, &who(Role::Receptionist), at)
        .await
        .expect("create");
    let code = rec.row.code;
    let key = rec.issued_key.expect("the new dossier's key");
    let mut version = rec.row.version;
    let mut steps = vec![
        (
            Action::Assign,
            Role::Receptionist,
            at + Duration::minutes(5),
        ),
        (
            Action::Propose,
            Role::Specialist,
            done - Duration::minutes(5),
        ),
        (Action::Approve, Role::Leader, done),
    ];
    if give_back {
        steps.push((
            Action::ReturnResult,
            Role::Receptionist,
            done + Duration::hours(1),
        ));
    }
    for (action, role, t) in steps {
        let mut req = ActionRequest {
            action: action.as_str().into(),
            version,
            ..Default::default()
        };
        if action == Action::Assign {
            req.assignee = Some("chuyenvien.myhiep".into());
        }
        version = store
            .act(&code, &req, &who(role), t)
            .await
            .expect("act")
            .row
            .version;
    }
    (code, key)
}

/// Cells of the table with this id, as text (tags stripped, entities decoded).
fn table_cells(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id}"));
    let end = html[start..].find("</table>").expect("end") + start;
    let t = &html[start..end];
    t.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split(['<'])
                .fold((Vec::new(), None::<String>), |(mut cells, cur), part| {
                    if ["td>", "td ", "th>", "th "]
                        .iter()
                        .any(|t| part.starts_with(t))
                    {
                        if let Some(c) = cur {
                            cells.push(c);
                        }
                        let text = part.split_once('>').map_or("", |(_, t)| t);
                        (cells, Some(text.to_string()))
                    } else if let Some(mut c) = cur {
                        c.push_str(part.split_once('>').map_or("", |(_, t)| t));
                        (cells, Some(c))
                    } else {
                        (cells, None)
                    }
                })
        })
        .map(|(mut cells, cur)| {
            if let Some(c) = cur {
                cells.push(c);
            }
            cells
                .into_iter()
                .map(|c| {
                    c.trim()
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&#39;", "'")
                        .replace("&#x27;", "'")
                        .replace("&amp;", "&")
                })
                .collect()
        })
        .collect()
}

/// A cell of an XLSX sheet: a numeric cell (no `t` attribute, or `t="n"`) or text.
#[derive(Debug, Clone, PartialEq)]
enum XCell {
    Num(f64),
    Text(String),
}

/// The figure a screen cell shows ("13,33", "66,67 %", "2"), as the
/// spreadsheet should hold it (percentages as fractions).
fn screen_number(text: &str) -> f64 {
    let (t, scale) = match text.strip_suffix(" %") {
        Some(t) => (t, 100.0),
        None => (text, 1.0),
    };
    t.replace(',', ".").parse::<f64>().expect(text) / scale
}

/// The XLSX rows hold the screen's cells: the same texts, and the same
/// figures as numbers wherever the sheet has a number.
fn assert_same_cells(sheet: &[Vec<XCell>], screen: &[Vec<String>]) {
    assert_eq!(sheet.len(), screen.len(), "{sheet:?}");
    for (x, h) in sheet.iter().zip(screen) {
        assert_eq!(x.len(), h.len(), "{x:?} / {h:?}");
        for (xc, hc) in x.iter().zip(h) {
            match xc {
                XCell::Num(v) => assert!((v - screen_number(hc)).abs() < 1e-9, "{v} / {hc}"),
                XCell::Text(t) => assert_eq!(t, hc),
            }
        }
    }
}

/// The first sheet of an XLSX, read from its XML: shared strings looked up,
/// numeric cells as numbers; header row first like `csv_rows`.
fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<XCell>> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut part = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .expect(name)
            .read_to_string(&mut text)
            .expect("utf-8 XML");
        text
    };
    let unescape = |t: &str| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    };
    let strings: Vec<String> = part("xl/sharedStrings.xml")
        .split("<si>")
        .skip(1)
        .map(|si| {
            let t = &si[si.find("<t").expect("<t>")..];
            let t = &t[t.find('>').expect(">") + 1..];
            unescape(&t[..t.find("</t>").expect("</t>")])
        })
        .collect();
    let sheet = part("xl/worksheets/sheet1.xml");
    let mut rows: Vec<Vec<XCell>> = Vec::new();
    for row in sheet.split("<row ").skip(1) {
        let row = &row[..row.find("</row>").unwrap_or(row.len())];
        let mut cells = Vec::new();
        for cell in row.split("<c ").skip(1) {
            let head = &cell[..cell.find('>').expect(">")];
            let value = cell
                .find("<v>")
                .map(|i| &cell[i + 3..i + 3 + cell[i + 3..].find("</v>").expect("</v>")])
                .unwrap_or("");
            // Empty cells are not written: place each by its reference ("E2").
            let at = head.find("r=\"").expect("cell reference") + 3;
            let col = head[at..]
                .chars()
                .take_while(char::is_ascii_uppercase)
                .fold(0usize, |n, ch| n * 26 + (ch as usize - 'A' as usize + 1))
                - 1;
            cells.resize(col, XCell::Text(String::new()));
            cells.push(if head.contains("t=\"s\"") {
                XCell::Text(strings[value.parse::<usize>().expect("string index")].clone())
            } else if head.contains(" t=\"") && !head.contains("t=\"n\"") {
                XCell::Text(unescape(value))
            } else {
                XCell::Num(value.parse().expect("a numeric cell holds a number"))
            });
        }
        rows.push(cells);
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for r in &mut rows {
        r.resize(width, XCell::Text(String::new()));
    }
    rows
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').expect("UTF-8 BOM");
    let mut rows = Vec::new();
    let (mut row, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cur)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cur));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cur.push(c),
        }
    }
    rows
}

/// What every test starts from: three dossiers of March 2026 in UNIT (two
/// on time, one late), the unit's staff, another unit's receptionist and the
/// province's supervisor, served over HTTP on a clock standing at `now`.
struct Fixture {
    env: Env,
    on_time: (String, String),
    on_time2: String,
    late: (String, String),
}

/// Mid-March 2026: March is the month in progress.
const NOW: OffsetDateTime = datetime!(2026-03-20 10:00 +7);

async fn start(db: &TestDb, now: OffsetDateTime) -> Fixture {
    let store = open_seeded(db).await.expect("store");
    let people = vec![
        (
            Role::Receptionist,
            add_user(
                &store,
                "tiepnhan.myhiep",
                vec![Role::Receptionist],
                &[UNIT],
                None,
            )
            .await,
        ),
        (
            Role::Specialist,
            add_user(
                &store,
                "chuyenvien.myhiep",
                vec![Role::Specialist],
                &[UNIT],
                None,
            )
            .await,
        ),
        (
            Role::Leader,
            add_user(&store, "lanhdao.myhiep", vec![Role::Leader], &[UNIT], None).await,
        ),
    ];
    add_user(
        &store,
        "tiepnhan.mytho",
        vec![Role::Receptionist],
        &[OTHER_UNIT],
        None,
    )
    .await;
    add_user(
        &store,
        "giamsat.dongthap",
        vec![Role::ProvinceSupervisor],
        &[],
        Some("82"),
    )
    .await;
    // March 2026: two on time (one returned, to be rated), one late (due Thursday 5th 09:00).
    let on_time = settled(
        &store,
        &people,
        datetime!(2026-03-02 09:00 +7),
        datetime!(2026-03-04 10:00 +7),
        true,
    )
    .await;
    let (on_time2, _) = settled(
        &store,
        &people,
        datetime!(2026-03-09 09:00 +7),
        datetime!(2026-03-10 10:00 +7),
        false,
    )
    .await;
    let late = settled(
        &store,
        &people,
        datetime!(2026-03-02 09:00 +7),
        datetime!(2026-03-06 10:00 +7),
        false,
    )
    .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let mut state = AppState::new(store.clone());
    state.clock = std::sync::Arc::new(ManualClock::new(now));
    tokio::spawn(motcua_web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Fixture {
        env: Env {
            store,
            base,
            http,
            _stop: stop,
        },
        on_time,
        on_time2,
        late,
    }
}

#[tokio::test]
async fn ranking_drill_down_exports_rating_and_feedback() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let Fixture {
            env,
            on_time: (on_time, on_time_key),
            on_time2,
            late: (late, late_key),
        } = start(&db, NOW).await;

        let sup = env.login("giamsat.dongthap").await;
        let r = env.get("/giam-sat/chi-so?ky=2026-03", Some(&sup)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let html = r.text();
        let rows = table_cells(&html, "xep-hang");
        let units = env.store.units(Some("82")).await.expect("units").len();
        assert_eq!(rows.len(), units + 1, "header and every unit");
        let mine = rows
            .iter()
            .find(|r| r.get(1).map(String::as_str) == Some(UNIT))
            .expect("unit row");
        // 2.1: 2 of 3 on time → 13,33 of 20. Online services: every procedure
        // of the catalog is offered online (3.1 at 100 % ≥ 80 %: 2 points);
        // no dossier came online (3.2, 3.3: 0). No payment data: 0.
        assert_eq!(mine[4], "13,33", "{mine:?}");
        assert_eq!(mine[5], "2,00");
        assert_eq!(mine[6], "0,00");
        // No invented rating level: the columns end with the total.
        assert!(
            !rows[0].iter().any(|h| h.contains("Xếp loại")),
            "{:?}",
            rows[0]
        );
        assert!(
            html.contains("id=\"portal-formula\""),
            "the portal's formula is cited"
        );
        // CSV export: the very same cells.
        let csv = env
            .get(
                "/giam-sat/chi-so?ky=2026-03&tinh=82&bang=xep-hang&xuat=csv",
                Some(&sup),
            )
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.header(CONTENT_TYPE.as_str()).starts_with("text/csv"));
        assert_eq!(csv_rows(&csv.text()), rows);
        let xlsx = env
            .get(
                "/giam-sat/chi-so?ky=2026-03&tinh=82&bang=xep-hang&xuat=xlsx",
                Some(&sup),
            )
            .await;
        assert_eq!(xlsx.status, 200);
        assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");
        // XLSX export: the same cells, and every figure a numeric cell a
        // spreadsheet can add up (not the text "13,33"); codes stay text.
        let sheet = xlsx_rows(&xlsx.body);
        assert_same_cells(&sheet, &rows);
        let mine_x = sheet
            .iter()
            .find(|r| r.get(1) == Some(&XCell::Text(UNIT.into())))
            .expect("unit row in the sheet");
        assert!(matches!(mine_x[0], XCell::Num(_)), "rank: {mine_x:?}");
        assert_eq!(mine_x[4], XCell::Num(13.33), "{mine_x:?}");
        assert_eq!(mine_x[5], XCell::Num(2.0), "{mine_x:?}");
        assert!(
            mine_x[3..].iter().all(|c| matches!(c, XCell::Num(_))),
            "every score is a number: {mine_x:?}"
        );
        assert!(html.contains("<svg"), "trend chart drawn server-side");

        // The unit page and its drill-down: exactly the late dossier behind the lost points.
        let rec = env.login("tiepnhan.myhiep").await;
        let page = env
            .get(&format!("/giam-sat/chi-so/{UNIT}?ky=2026-03"), Some(&rec))
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(page.text().contains("Giả định:"), "assumptions are marked");
        let ind = table_cells(&page.text(), "chi-so");
        let row21 = ind.iter().find(|r| r[0] == "2.1").expect("2.1");
        assert_eq!(
            (row21[3].as_str(), row21[4].as_str(), row21[6].as_str()),
            ("2", "3", "13,33")
        );
        let csv = env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}?ky=2026-03&bang=chi-so&xuat=csv"),
                Some(&rec),
            )
            .await;
        assert_eq!(csv_rows(&csv.text()), ind);
        let xlsx = env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}?ky=2026-03&bang=chi-so&xuat=xlsx"),
                Some(&rec),
            )
            .await;
        let sheet = xlsx_rows(&xlsx.body);
        assert_same_cells(&sheet, &ind);
        let x21 = sheet
            .iter()
            .find(|r| r[0] == XCell::Text("2.1".into()))
            .expect("2.1 in the sheet");
        // Counts, the rate (a fraction shown as a percentage) and the points.
        assert_eq!(x21[3..5], [XCell::Num(2.0), XCell::Num(3.0)]);
        assert!(
            matches!(x21[5], XCell::Num(r) if (r - 0.6667).abs() < 1e-9),
            "{x21:?}"
        );
        assert_eq!(x21[6], XCell::Num(13.33));
        let drill = env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026-03&loai=qua-han"),
                Some(&rec),
            )
            .await;
        assert_eq!(drill.status, 200);
        let d = drill.text();
        assert!(
            d.contains(&format!("href=\"/can-bo/ho-so/{late}\"")),
            "late dossier listed"
        );
        assert!(
            !d.contains(&on_time) && !d.contains(&on_time2),
            "on-time dossiers not listed as late"
        );
        let ok = env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026-03&loai=dung-han"),
                Some(&rec),
            )
            .await
            .text();
        assert!(ok.contains(&on_time) && ok.contains(&on_time2) && !ok.contains(&late));
        // Another unit's staff: neither the page nor the dossiers; unit staff get no province ranking.
        let other = env.login("tiepnhan.mytho").await;
        assert_eq!(
            env.get(
                &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026-03&loai=qua-han"),
                Some(&other)
            )
            .await
            .status,
            403
        );
        assert_eq!(
            env.get(&format!("/giam-sat/chi-so/{UNIT}?ky=2026-03"), Some(&other))
                .await
                .status,
            403
        );
        let r = env.get("/giam-sat/chi-so?ky=2026-03", Some(&other)).await;
        assert_eq!(r.status, 303);
        assert!(
            r.header(LOCATION.as_str())
                .starts_with(&format!("/giam-sat/chi-so/{OTHER_UNIT}"))
        );
        assert_eq!(
            env.get("/giam-sat/chi-so?ky=2026-13", Some(&sup))
                .await
                .status,
            422
        );
        assert_eq!(
            env.get("/giam-sat/chi-so?ky=2026-03", None).await.status,
            303
        );

        // JSON: the same ranking for the supervisor; refused to unit staff.
        let api = env.get("/api/v1/index?period=2026-03", Some(&sup)).await;
        assert_eq!(api.status, 200, "{}", api.text());
        let v: serde_json::Value = serde_json::from_slice(&api.body).expect("json");
        assert_eq!(v["units"].as_array().map(Vec::len), Some(units));
        let u = v["units"]
            .as_array()
            .and_then(|a| a.iter().find(|u| u["unit_code"] == UNIT))
            .expect("unit");
        assert_eq!(u["groups"][1]["points_x100"], 1333);
        assert_eq!(
            env.get("/api/v1/index?period=2026-03", Some(&rec))
                .await
                .status,
            403
        );
        // The portal's figures, scored with the same arithmetic.
        let token = sup.clone();
        let posted = env
            .http
            .post(format!("{}/api/v1/index/score", env.base))
            .header(reqwest::header::COOKIE, &token)
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"units":[{"code":"30112","indicators":{"2.1":{"numerator":2348,"denominator":2971}}}]}"#)
            .send()
            .await
            .expect("score");
        assert_eq!(posted.status().as_u16(), 200);
        let v: serde_json::Value = posted.json().await.expect("json");
        assert_eq!(v["units"][0]["indicators"]["2.1"]["points"], 15.81);
        let bad = env
            .http
            .post(format!("{}/api/v1/index/score", env.base))
            .header(reqwest::header::COOKIE, &token)
            .header(CONTENT_TYPE, "application/json")
            .body("{\"units\":[{\"code\":\"1\",\n\"indicators\":{\"9.9\":{}}}]}")
            .send()
            .await
            .expect("score");
        assert_eq!(bad.status().as_u16(), 422);
        let e: serde_json::Value = bad.json().await.expect("json");
        assert_eq!(e["error"]["code"], "bad_index_file", "{e}");
        assert!(
            e["error"]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("dòng 2")),
            "{e}"
        );
        let one = env
            .get(
                &format!("/api/v1/index/units/{UNIT}?period=2026-03"),
                Some(&rec),
            )
            .await;
        assert_eq!(one.status, 200);
        assert_eq!(
            env.get(
                &format!("/api/v1/index/units/{UNIT}?period=2026-03"),
                Some(&other)
            )
            .await
            .status,
            403
        );

        // Rating: from the lookup page, once.
        let look = env
            .get(&format!("/tra-cuu?code={on_time}&key={on_time_key}"), None)
            .await
            .text();
        assert!(
            look.contains("/tra-cuu/danh-gia?code="),
            "rating link on the lookup page"
        );
        let form = env
            .get(
                &format!("/tra-cuu/danh-gia?code={on_time}&key={on_time_key}"),
                None,
            )
            .await;
        assert_eq!(form.status, 200);
        let scores = [
            ("code", on_time.as_str()),
            ("key", on_time_key.as_str()),
            ("overall", "2"),
            ("attitude", "3"),
            ("timeliness", "4"),
            ("convenience", "4"),
            ("publicity", "5"),
        ];
        let first = env.post("/tra-cuu/danh-gia", None, &scores).await;
        assert_eq!(first.status, 200, "{}", first.text());
        assert!(first.text().contains("id=\"thanks\""));
        let again = env.post("/tra-cuu/danh-gia", None, &scores).await;
        assert_eq!(again.status, 409);
        let wrong = env
            .post(
                "/tra-cuu/danh-gia",
                None,
                &[("code", on_time.as_str()), ("key", "AAAAAAAAAA")],
            )
            .await;
        assert_eq!(wrong.status, 404);
        let unsat = env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026&loai=khong-hai-long"),
                Some(&rec),
            )
            .await
            .text();
        assert!(unsat.contains(&on_time));
        // A dossier not yet returned cannot be rated.
        assert_eq!(
            env.get(
                &format!("/tra-cuu/danh-gia?code={late}&key={late_key}"),
                None
            )
            .await
            .status,
            409
        );

        // Feedback: deadline in working days, answered by the unit only.
        let sent = env
            .post(
                "/phan-anh",
                None,
                &[
                    ("unit", UNIT),
                    ("name", "Võ Văn Tâm"),
                    ("contact", "0909123456"),
                    ("content", "Xin hướng dẫn rõ hơn về giấy tờ cần nộp."),
                ],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.text());
        assert!(sent.text().contains("id=\"sent\""));
        let bad = env
            .post(
                "/phan-anh",
                None,
                &[
                    ("unit", "99999"),
                    ("name", "Võ Văn Tâm"),
                    ("contact", "0909123456"),
                    ("content", "Nội dung đủ dài để gửi."),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        let list = env.store.feedback_list(UNIT).await.expect("list");
        assert_eq!(list.len(), 1);
        let id = list[0].id;
        let cal = env.store.calendar(Some(UNIT)).await.expect("cal");
        assert_eq!(
            list[0].due_at,
            cal.due(
                list[0].at,
                motcua_domain::calendar::ProcessingTime::WorkingDays { amount: 15 }
            )
        );
        let staff_list = env.get("/can-bo/phan-anh", Some(&rec)).await.text();
        assert!(staff_list.contains(&format!("id=\"pakn-{id}\"")));
        let intrude = env
            .post(
                &format!("/can-bo/phan-anh/{id}"),
                Some(&other),
                &[("unit", UNIT), ("answer", "Không phải việc của tôi")],
            )
            .await;
        assert_eq!(intrude.status, 403);
        let answered = env
            .post(
                &format!("/can-bo/phan-anh/{id}"),
                Some(&rec),
                &[("unit", UNIT), ("answer", "Đơn vị đã bổ sung hướng dẫn.")],
            )
            .await;
        assert_eq!(answered.status, 303, "{}", answered.text());
        let twice = env
            .post(
                &format!("/can-bo/phan-anh/{id}"),
                Some(&rec),
                &[("unit", UNIT), ("answer", "Lần nữa nhé.")],
            )
            .await;
        assert_eq!(twice.status, 409);
        assert_eq!(
            env.store.index_counters().await.expect("k"),
            env.store.index_recompute().await.expect("r")
        );
    }
}

#[tokio::test]
async fn the_month_in_progress_is_marked_and_months_to_come_are_not_scored() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let f = start(&db, NOW).await;
        let sup = f.env.login("giamsat.dongthap").await;
        let note = "(tháng đang diễn ra, số liệu đến ngày 20/03/2026)";
        // The year so far: January to March, March marked as running.
        let year = f.env.get("/giam-sat/chi-so?ky=2026", Some(&sup)).await;
        assert_eq!(year.status, 200, "{}", year.text());
        let html = year.text();
        let trend = table_cells(&html, "xu-huong");
        let months: Vec<&str> = trend[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            months,
            [
                "tháng 1/2026",
                "tháng 2/2026",
                &format!("tháng 3/2026 {note}")
            ]
        );
        assert!(html.contains("id=\"partial\""), "the year is not over");
        assert!(html.contains("id=\"partial-month\""), "{html}");
        assert!(
            html.contains(">3/26*<"),
            "the running month's bar is starred"
        );
        // A month gone by is not marked.
        let feb = f
            .env
            .get(&format!("/giam-sat/chi-so/{UNIT}?ky=2026-02"), Some(&sup))
            .await
            .text();
        assert!(!feb.contains("đang diễn ra"), "{feb}");
        let mar = f
            .env
            .get(&format!("/giam-sat/chi-so/{UNIT}?ky=2026-03"), Some(&sup))
            .await
            .text();
        assert!(mar.contains("số liệu đến ngày 20/03/2026"), "{mar}");
        assert!(table_cells(&mar, "xu-huong")[1][0].ends_with(note));
    }
}

#[tokio::test]
async fn drill_down_names_the_procedure_and_says_how_late() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let f = start(&db, NOW).await;
        let sup = f.env.login("giamsat.dongthap").await;
        let page = |loai: &'static str| {
            let env = &f.env;
            let sup = sup.clone();
            async move {
                let r = env
                    .get(
                        &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026-03&loai={loai}"),
                        Some(&sup),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text());
                table_cells(&r.text(), "ho-so")
            }
        };
        let late = page("qua-han").await;
        assert_eq!(late[0][2], "Thủ tục", "{:?}", late[0]);
        assert_eq!(late.len(), 2, "{late:?}");
        let row = &late[1];
        assert_eq!(row[0], f.late.0);
        assert_eq!(row[1], PROC);
        assert_eq!(row[2], "Cấp Giấy xác nhận tình trạng hôn nhân");
        // Due Thursday 5 March 09:00, decided Friday 6 March 10:00: one
        // working day and an hour late.
        assert_eq!(
            row.last().map(String::as_str),
            Some("quá hạn 1 ngày làm việc")
        );
        let on_time = page("dung-han").await;
        assert_eq!(on_time.len(), 3);
        assert!(
            on_time[1..]
                .iter()
                .all(|r| r.last().is_some_and(String::is_empty)),
            "{on_time:?}"
        );
        assert!(on_time[1..].iter().any(|r| r[0] == f.on_time2));
        // The export holds the days as a number.
        let xlsx = f
            .env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}/ho-so?ky=2026-03&loai=qua-han&xuat=xlsx"),
                Some(&sup),
            )
            .await;
        let sheet = xlsx_rows(&xlsx.body);
        assert_eq!(sheet[1].last(), Some(&XCell::Num(1.0)), "{sheet:?}");
    }
}

#[tokio::test]
async fn periods_are_chosen_with_controls_and_a_mistyped_one_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let f = start(&db, NOW).await;
        let sup = f.env.login("giamsat.dongthap").await;
        // The page shows the controls for its period, filled in.
        let html = f
            .env
            .get("/giam-sat/chi-so?ky=2026-Q1", Some(&sup))
            .await
            .text();
        assert!(
            html.contains("<form class=\"filter\" method=\"get\""),
            "a GET form"
        );
        assert!(html.contains("<option value=\"quy\" selected>"), "{html}");
        assert!(html.contains("id=\"tu\" name=\"tu\" value=\"01/01/2026\""));
        // Month, quarter and range chosen with the controls: the same page as the link's.
        let by_link = table_cells(
            &f.env
                .get("/giam-sat/chi-so?ky=2026-03", Some(&sup))
                .await
                .text(),
            "xep-hang",
        );
        let month = f
            .env
            .get(
                "/giam-sat/chi-so?kieu=thang&nam=2026&quy=1&thang=3",
                Some(&sup),
            )
            .await;
        assert_eq!(month.status, 200, "{}", month.text());
        assert_eq!(table_cells(&month.text(), "xep-hang"), by_link);
        let range = f
            .env
            .get(
                "/giam-sat/chi-so?kieu=khoang&nam=2026&tu=01%2F03%2F2026&den=31%2F03%2F2026",
                Some(&sup),
            )
            .await;
        assert_eq!(range.status, 200, "{}", range.text());
        assert_eq!(table_cells(&range.text(), "xep-hang")[1..], by_link[1..]);
        let days = f
            .env
            .get(
                "/giam-sat/chi-so?kieu=khoang&tu=2%2F3%2F2026&den=2026-03-20",
                Some(&sup),
            )
            .await;
        assert_eq!(days.status, 200, "{}", days.text());
        assert!(
            days.text().contains("02/03/2026 – 20/03/2026"),
            "{}",
            days.text()
        );
        assert!(days.text().contains("<option value=\"khoang\" selected>"));
        // A mistyped day: the form again, as typed, with what to fix linked to the field.
        let bad = f
            .env
            .get(
                "/giam-sat/chi-so?kieu=khoang&nam=2026&tu=01%2F03%2F2026&den=31%2F02%2F2026",
                Some(&sup),
            )
            .await;
        assert_eq!(bad.status, 422);
        let t = bad.text();
        assert!(t.contains("class=\"error-summary\""), "{t}");
        assert!(
            t.contains("<a href=\"#den\">Đến ngày phải có dạng ngày/tháng/năm"),
            "{t}"
        );
        assert!(t.contains("id=\"den-error\""));
        assert!(t.contains("value=\"31/02/2026\""), "what was typed is kept");
        // A mistyped year on a unit's page; a mistyped link's period.
        let year = f
            .env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}?kieu=nam&nam=26"),
                Some(&sup),
            )
            .await;
        assert_eq!(year.status, 422);
        assert!(
            year.text()
                .contains("<a href=\"#nam\">Năm phải là số có bốn chữ số")
        );
        assert!(
            year.text()
                .contains(&format!("action=\"/giam-sat/chi-so/{UNIT}\""))
        );
        let link = f.env.get("/giam-sat/chi-so?ky=2026-13", Some(&sup)).await;
        assert_eq!(link.status, 422);
        assert!(
            link.text().contains("<a href=\"#kieu\">"),
            "{}",
            link.text()
        );
    }
}

#[tokio::test]
async fn figures_are_right_aligned_and_sort_by_their_column_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    for db in databases(dir.path()).await.expect("dbs") {
        let f = start(&db, NOW).await;
        let sup = f.env.login("giamsat.dongthap").await;
        // Links are escaped either way ("&amp;" or "&#38;").
        let html = f
            .env
            .get("/giam-sat/chi-so?ky=2026-03", Some(&sup))
            .await
            .text()
            .replace("&#38;", "&amp;");
        // The total (column 9) is a figure: right-aligned, its header a link
        // sorting highest first; the unit's name is not.
        assert!(html.contains("<td class=\"num\">"), "figures right-aligned");
        assert!(
            html.contains("href=\"/giam-sat/chi-so?ky=2026-03&amp;tinh=82&amp;sort=xep-hang.9.giam#xep-hang-title\""),
            "{html}"
        );
        assert!(!html.contains("sort=xep-hang.2"), "names do not sort");
        let totals = |html: &str| -> Vec<(String, f64)> {
            table_cells(html, "xep-hang")[1..]
                .iter()
                .map(|r| (r[1].clone(), r[9].replace(',', ".").parse().expect("total")))
                .collect()
        };
        // Lowest total first: the unit with dossiers (the highest) comes last.
        let up = f
            .env
            .get("/giam-sat/chi-so?ky=2026-03&sort=xep-hang.9", Some(&sup))
            .await;
        assert_eq!(up.status, 200, "{}", up.text());
        let rows = totals(&up.text());
        assert!(rows.windows(2).all(|w| w[0].1 <= w[1].1), "{rows:?}");
        assert_eq!(rows.last().map(|r| r.0.as_str()), Some(UNIT));
        assert!(up.text().contains("aria-sort=\"ascending\""));
        assert!(
            up.text().contains("sort=xep-hang.9.giam#"),
            "the header now sorts the other way"
        );
        // Sorted the other way round; the export comes in the same order.
        let down = f
            .env
            .get(
                "/giam-sat/chi-so?ky=2026-03&sort=xep-hang.9.giam",
                Some(&sup),
            )
            .await
            .text()
            .replace("&#38;", "&amp;");
        assert_eq!(totals(&down).first().map(|r| r.0.as_str()), Some(UNIT));
        assert!(down.contains("sort=xep-hang.9.giam&amp;bang=xep-hang&amp;xuat=csv"));
        let csv = f
            .env
            .get(
                "/giam-sat/chi-so?ky=2026-03&tinh=82&sort=xep-hang.9&bang=xep-hang&xuat=csv",
                Some(&sup),
            )
            .await;
        assert_eq!(csv_rows(&csv.text()), table_cells(&up.text(), "xep-hang"));
        // A unit's officers by the steps they took; a column of names cannot sort.
        let unit = f
            .env
            .get(
                &format!("/giam-sat/chi-so/{UNIT}?ky=2026-03&sort=can-bo.1.giam"),
                Some(&sup),
            )
            .await;
        assert_eq!(unit.status, 200, "{}", unit.text());
        let steps: Vec<i64> = table_cells(&unit.text(), "can-bo")[1..]
            .iter()
            .map(|r| r[1].parse().expect("steps"))
            .collect();
        assert!(
            steps.windows(2).all(|w| w[0] >= w[1]) && steps.len() >= 2,
            "{steps:?}"
        );
        for bad in ["xep-hang.2", "xep-hang.99", "khong-co.9", "xep-hang.9.len"] {
            let r = f
                .env
                .get(
                    &format!("/giam-sat/chi-so?ky=2026-03&sort={bad}"),
                    Some(&sup),
                )
                .await;
            assert_eq!(r.status, 422, "{bad}");
        }
    }
}
