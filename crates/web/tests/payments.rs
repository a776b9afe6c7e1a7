//! Fees paid in cash at the counter, on each database: the payment is an
//! event of the dossier with its fee lines; its electronic receipt is
//! numbered per unit and year without gaps (under concurrency and across a
//! void); only the accountant voids, with a reason; the officer and the
//! citizen (with the lookup code) download the receipt as PDF. A procedure
//! paid before processing waits for payment, then its clock starts; unpaid,
//! it stops when its days are over.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::dossier::ApplicantInput;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{ActionRequest, Actor, DocumentRef, NewDossier, NewUser, Store, User};
use motcua_web::AppState;
use time::OffsetDateTime;

const UNIT: &str = "30112";
const PASSWORD: &str = "mat-khau-thu-nghiem";

async fn user(store: &Store, name: &str, role: Role) -> User {
    store
        .create_user(
            &NewUser {
                username: name.into(),
                full_name: format!("Cán bộ {name}"),
                password_hash: motcua_web::auth::hash_password(PASSWORD).expect("hash"),
                roles: vec![role],
                units: vec![UNIT.into()],
                province_code: None,
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("user");
    store
        .user_by_username(name)
        .await
        .expect("read")
        .expect("user")
}

/// A dossier received at the counter with its papers; (code, key).
async fn dossier(store: &Store, by: &User, procedure: &str) -> (String, String) {
    // Every paper the procedure requires, seen at the counter.
    let required: Vec<String> = store
        .procedure(procedure)
        .await
        .expect("read")
        .expect("procedure")
        .0
        .required_documents()
        .map(|d| d.code.clone())
        .collect();
    let rec = store
        .create_dossier(
            NewDossier {
                unit_code: UNIT.into(),
                procedure_code: procedure.into(),
                channel: Channel::Counter,
                applicant: ApplicantInput {
                    full_name: "Trần Thị Mai".into(),
                    id_number: "087188001234".into(),
                    date_of_birth: "1988-04-12".into(),
                    phone: "0912345678".into(),
                    email: None,
                    address: "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
                },
                fields: serde_json::json!({}),
                documents: required
                    .into_iter()
                    .map(|code| DocumentRef {
                        code,
                        upload_id: None,
                        paper: true,
                    })
                    .collect(),
            },
            &Actor::Staff(by.clone()),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("dossier");
    (rec.row.code.clone(), rec.issued_key.clone().expect("key"))
}

async fn act(store: &Store, code: &str, by: &User, req: ActionRequest) -> Result<(), String> {
    let version = store
        .dossier_row(code)
        .await
        .expect("read")
        .expect("row")
        .version;
    store
        .act(
            code,
            &ActionRequest { version, ..req },
            &Actor::Staff(by.clone()),
            OffsetDateTime::now_utc(),
        )
        .await
        .map(|_| ())
        .map_err(|e| match e {
            motcua_store::StoreError::Problem(p) => p.code.to_string(),
            other => other.to_string(),
        })
}

fn pay() -> ActionRequest {
    ActionRequest {
        action: "record_payment".into(),
        ..ActionRequest::default()
    }
}

fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_at_the_counter_gets_a_gapless_receipt_only_the_accountant_voids() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let clerk = user(&store, "tiepnhan.myhiep", Role::Receptionist).await;
        let accountant = user(&store, "ketoan.myhiep", Role::Accountant).await;
        let year = OffsetDateTime::now_utc()
            .to_offset(motcua_domain::calendar::VN_OFFSET)
            .year();
        let (code, key) = dossier(&store, &clerk, "HT-TLHT").await;

        // The fee lines of the catalog: one copy of an extract, 8.000 đồng.
        act(&store, &code, &clerk, pay()).await.expect("paid");
        let paid = store.payments(&code).await.expect("payments");
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].receipt, format!("{year}-000001"));
        assert_eq!(paid[0].total_vnd, 8000);
        let rec = store.dossier(&code).await.expect("read").expect("dossier");
        let last = rec.events.last().expect("event");
        assert_eq!(last.action.as_str(), "record_payment");
        let facts = last.payload.payment.as_ref().expect("payment in the event");
        assert_eq!(facts.receipt, paid[0].receipt);
        assert_eq!(rec.row.status, "received", "a payment moves nothing");
        // Paid once: a second payment is refused and takes no number.
        assert_eq!(
            act(&store, &code, &clerk, pay()).await,
            Err("already_paid".into())
        );

        // Voiding: not the counter's; the accountant, with a reason.
        let void = |note: Option<&str>| ActionRequest {
            action: "void_receipt".into(),
            receipt: Some(format!("{year}-000001")),
            note: note.map(str::to_string),
            ..ActionRequest::default()
        };
        assert_eq!(
            act(&store, &code, &clerk, void(Some("nhầm"))).await,
            Err("forbidden_action".into())
        );
        assert_eq!(
            act(&store, &code, &accountant, void(None)).await,
            Err("note_required".into())
        );
        act(&store, &code, &accountant, void(Some("Thu nhầm số bản")))
            .await
            .expect("voided");
        assert_eq!(
            act(&store, &code, &accountant, void(Some("lần hai"))).await,
            Err("no_receipt".into())
        );
        // Paid again: the next number; the voided one is never reused.
        act(&store, &code, &clerk, pay()).await.expect("paid again");
        let receipts: Vec<String> = store
            .payments(&code)
            .await
            .expect("payments")
            .iter()
            .map(|p| p.receipt.clone())
            .collect();
        assert_eq!(
            receipts,
            vec![format!("{year}-000001"), format!("{year}-000002")]
        );

        // Where the province sets the amount: entered, with its basis.
        let (set, _) = dossier(&store, &clerk, "HT-XNHN").await;
        assert_eq!(
            act(&store, &set, &clerk, pay()).await,
            Err("amount_required".into())
        );
        let typed = ActionRequest {
            amount_vnd: Some(15_000),
            ..pay()
        };
        assert_eq!(
            act(&store, &set, &clerk, typed.clone()).await,
            Err("note_required".into())
        );
        act(
            &store,
            &set,
            &clerk,
            ActionRequest {
                note: Some("Nghị quyết HĐND tỉnh".into()),
                ..typed
            },
        )
        .await
        .expect("paid as entered");

        // The unit registers its receipt symbols: receipts from now on carry
        // them; those issued before keep what they had (none).
        for (key, value) in [("template_symbol", "01BLP0-001"), ("series", "MH-26E")] {
            store
                .set_integration(
                    UNIT,
                    "receipts",
                    key,
                    value,
                    "quantri",
                    OffsetDateTime::now_utc(),
                )
                .await
                .expect("symbols");
        }
        // Twelve counters at once: twelve receipts, no gap, no twice.
        let mut codes = Vec::new();
        for _ in 0..12 {
            codes.push(dossier(&store, &clerk, "HT-TLHT").await.0);
        }
        let runs: Vec<_> = codes
            .iter()
            .map(|c| {
                let (store, clerk, c) = (store.clone(), clerk.clone(), c.clone());
                tokio::spawn(async move { act(&store, &c, &clerk, pay()).await })
            })
            .collect();
        for r in runs {
            r.await.expect("join").expect("paid");
        }
        let mut numbers = Vec::new();
        for c in &codes {
            for p in store.payments(c).await.expect("payments") {
                numbers.push(p.receipt);
            }
        }
        numbers.sort();
        let expected: Vec<String> = (4..16).map(|n| format!("{year}-{n:06}")).collect();
        assert_eq!(numbers, expected);
        let symbols = store.payments(&codes[0]).await.expect("payments");
        assert_eq!(
            (
                symbols[0].template_symbol.as_deref(),
                symbols[0].series.as_deref()
            ),
            (Some("01BLP0-001"), Some("MH-26E"))
        );
        assert_eq!(
            store.payments(&code).await.expect("payments")[0].series,
            None
        );

        // A later correction of the applicant does not rewrite a receipt.
        act(
            &store,
            &code,
            &clerk,
            ActionRequest {
                action: "correct_applicant".into(),
                note: Some("Sai họ tên".into()),
                applicant: Some(ApplicantInput {
                    full_name: "Trần Thị Mai Anh".into(),
                    id_number: "087188001234".into(),
                    date_of_birth: "1988-04-12".into(),
                    phone: "0912345678".into(),
                    email: None,
                    address: "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp".into(),
                }),
                ..ActionRequest::default()
            },
        )
        .await
        .expect("corrected");
        let kept = store.payments(&code).await.expect("payments");
        assert!(
            kept.iter().all(|p| p.payer_name == "Trần Thị Mai"),
            "{kept:?}"
        );

        // The person's data export lists what they paid.
        let export = store.personal_data("087188001234").await.expect("export");
        let receipts: usize = export["dossiers"]
            .as_array()
            .expect("dossiers")
            .iter()
            .map(|d| d["payments"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(receipts, 15, "every receipt, the voided one too");

        // The receipt as PDF, for the officer and for the citizen with the key.
        let (base, http, cookie, _stop) = served(&store, "tiepnhan.myhiep").await;
        let page = http
            .get(format!("{base}/can-bo/ho-so/{code}"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        assert!(page.contains("id=\"receipts\"") && page.contains(&format!("{year}-000002")));
        let voided = http
            .get(format!(
                "{base}/can-bo/ho-so/{code}/bien-lai/{year}-000001.pdf"
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("pdf");
        assert_eq!(voided.status().as_u16(), 200);
        let text = pdftotext(&voided.bytes().await.expect("bytes"));
        assert!(
            text.contains("BIÊN LAI THU PHÍ, LỆ PHÍ") && text.contains("BIÊN LAI ĐÃ HỦY"),
            "{text}"
        );
        assert!(text.contains("8.000"), "{text}");
        assert!(
            text.contains("Ký hiệu: chưa đăng ký"),
            "issued before the symbols: {text}"
        );
        let later = http
            .get(format!(
                "{base}/can-bo/ho-so/{}/bien-lai/{}.pdf",
                codes[0], symbols[0].receipt
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("pdf");
        let text = pdftotext(&later.bytes().await.expect("bytes"));
        assert!(
            text.contains("Mẫu số: 01BLP0-001") && text.contains("Ký hiệu: MH-26E"),
            "{text}"
        );
        let lookup = http
            .get(format!("{base}/tra-cuu?code={code}&key={key}"))
            .send()
            .await
            .expect("lookup")
            .text()
            .await
            .expect("body");
        assert!(
            lookup.contains(&format!("id=\"receipt-{year}-000002\"")),
            "{lookup}"
        );
        assert!(
            !lookup.contains(&format!("receipt-{year}-000001")),
            "a voided receipt is not the citizen's"
        );
        let mine = http
            .get(format!(
                "{base}/tra-cuu/{code}/bien-lai/{year}-000002?key={key}"
            ))
            .send()
            .await
            .expect("citizen pdf");
        assert_eq!(mine.status().as_u16(), 200);
        let text = pdftotext(&mine.bytes().await.expect("bytes"));
        assert!(
            text.contains(&format!("{year}-000002")) && !text.contains("ĐÃ HỦY"),
            "{text}"
        );
        assert!(
            text.contains("Trần Thị Mai") && !text.contains("Mai Anh"),
            "the payer as they paid: {text}"
        );
        let wrong = http
            .get(format!(
                "{base}/tra-cuu/{code}/bien-lai/{year}-000002?key=AAAAAAAAAA"
            ))
            .send()
            .await
            .expect("wrong key");
        assert_eq!(wrong.status().as_u16(), 404);

        // The day's takings: cash by officer, voided receipts apart, and the CSV.
        let day = http
            .get(format!("{base}/can-bo/thu-phi"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("takings")
            .text()
            .await
            .expect("body");
        // 8.000 (paid again) + 15.000 (entered) + 12 × 8.000; the voided one apart.
        assert!(day.contains("id=\"takings-total\">119.000"), "{day}");
        assert!(day.contains(&format!("{year}-000001")) && day.contains("Thu nhầm số bản"));
        let csv = http
            .get(format!("{base}/can-bo/thu-phi?dinh_dang=csv"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("csv")
            .text()
            .await
            .expect("body");
        assert_eq!(csv.lines().count(), 1 + 15, "{csv}");
        let cells = |l: &str| -> Vec<String> {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        };
        let sum: u64 = csv
            .lines()
            .skip(1)
            .map(cells)
            .filter(|c| c.get(5).is_some_and(String::is_empty))
            .filter_map(|c| c.get(2).and_then(|v| v.parse::<u64>().ok()))
            .sum();
        assert_eq!(sum, 119_000, "the file adds up to the page");
        // The same table as XLSX, amounts as numeric cells (every receipt, 127.000 in all).
        let xlsx = http
            .get(format!("{base}/can-bo/thu-phi?dinh_dang=xlsx"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("xlsx")
            .bytes()
            .await
            .expect("bytes");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.to_vec())).expect("zip");
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet"),
            &mut sheet,
        )
        .expect("xml");
        let amounts: u64 = sheet
            .split("<c r=\"C")
            .skip(2)
            .filter_map(|c| {
                let v = &c[c.find("<v>")? + 3..];
                v[..v.find("</v>")?].parse::<u64>().ok()
            })
            .sum();
        assert_eq!(amounts, 127_000, "{sheet}");
        let bad = http
            .get(format!("{base}/can-bo/thu-phi?ngay=31/02/2026"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("bad day");
        assert_eq!(bad.status().as_u16(), 422);
        let far = http
            .get(format!("{base}/can-bo/thu-phi?ngay=31/12/9999"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("far day");
        assert_eq!(
            far.status().as_u16(),
            422,
            "a far year is refused, not a crash"
        );
        // An amount beyond any fee is refused, not stored.
        let (big, _) = dossier(&store, &clerk, "HT-XNHN").await;
        assert_eq!(
            act(
                &store,
                &big,
                &clerk,
                ActionRequest {
                    amount_vnd: Some(u64::MAX),
                    note: Some("nhập nhầm".into()),
                    ..pay()
                }
            )
            .await,
            Err("amount_too_large".into())
        );
    }
}

/// A staff session on a running server: (base URL, client, cookie, stop).
async fn served(
    store: &Store,
    username: &str,
) -> (
    String,
    reqwest::Client,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(motcua_web::serve(
        listener,
        AppState::new(store.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let cookie = login(&http, &base, username).await;
    (base, http, cookie, stop)
}

/// Sign `username` in; the session cookie.
async fn login(http: &reqwest::Client, base: &str, username: &str) -> String {
    let login = http
        .post(format!("{base}/dang-nhap"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/can-bo"),
        ])
        .send()
        .await
        .expect("login");
    login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_string()
}

/// What the API offers this session on a dossier.
async fn offered(http: &reqwest::Client, base: &str, cookie: &str, code: &str) -> Vec<String> {
    let body: serde_json::Value = http
        .get(format!("{base}/api/v1/dossiers/{code}"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    body["allowed_actions"]
        .as_array()
        .expect("allowed_actions")
        .iter()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pay_first_dossier_waits_for_payment_its_clock_starts_when_paid_unpaid_ones_stop() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let clerk = user(&store, "tiepnhan.myhiep", Role::Receptionist).await;
        let (base, http, cookie, _stop) = served(&store, "tiepnhan.myhiep").await;

        // Nothing owed (birth registration is free): no payment is offered.
        let (free, _) = dossier(&store, &clerk, "HT-KS").await;
        let free_offer = offered(&http, &base, &cookie, &free).await;
        assert!(free_offer.contains(&"assign".to_string()), "{free_offer:?}");
        assert!(!free_offer.contains(&"record_payment".to_string()));
        assert_eq!(
            act(&store, &free, &clerk, pay()).await,
            Err("nothing_to_pay".into())
        );

        // A certified copy is paid first (catalog `pay_first`): it waits,
        // with no appointment, and only the payment is offered to move it.
        let (code, key) = dossier(&store, &clerk, "CT-BSBC").await;
        let row = store.dossier_row(&code).await.expect("read").expect("row");
        assert_eq!(row.status, "awaiting_payment");
        // The citizen sees what to pay (one page, one copy: 2.000 đồng) and until when.
        let lookup = http
            .get(format!("{base}/tra-cuu?code={code}&key={key}"))
            .send()
            .await
            .expect("lookup")
            .text()
            .await
            .expect("body");
        assert!(
            lookup.contains("id=\"owing-total\"><strong>2.000 ₫")
                && lookup.contains("id=\"owing-until\"")
                && lookup.contains("Chờ nộp phí, lệ phí"),
            "{lookup}"
        );
        assert_eq!(row.due_at, None);
        let waiting = offered(&http, &base, &cookie, &code).await;
        assert!(
            waiting.contains(&"record_payment".to_string()),
            "{waiting:?}"
        );
        assert!(!waiting.contains(&"assign".to_string()), "{waiting:?}");
        let queue = http
            .get(format!("{base}/can-bo?q=cho-nop-phi"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("queue")
            .text()
            .await
            .expect("body");
        assert!(
            queue.contains(&code),
            "the queue of dossiers awaiting payment"
        );

        let before = OffsetDateTime::now_utc();
        act(&store, &code, &clerk, pay()).await.expect("paid");
        let rec = store.dossier(&code).await.expect("read").expect("dossier");
        assert_eq!(rec.row.status, "received");
        let due = rec.row.due_at.expect("the clock started");
        assert!(
            due >= before.unix_timestamp() * 1000,
            "counted from the payment"
        );
        let paid_event = rec.events.last().expect("event");
        assert!(
            paid_event.payload.due_at.is_some(),
            "the due instant is in the event"
        );
        let after = offered(&http, &base, &cookie, &code).await;
        assert!(after.contains(&"assign".to_string()));
        assert!(!after.contains(&"record_payment".to_string()), "paid once");

        // A refund is the accountant's, with its basis; the receipt then no
        // longer stands and the day's cash is net of it.
        let accountant = user(&store, "ketoan.myhiep", Role::Accountant).await;
        let receipt = store.payments(&code).await.expect("payments")[0]
            .receipt
            .clone();
        let refund = |note: Option<&str>| ActionRequest {
            action: "refund_payment".into(),
            receipt: Some(receipt.clone()),
            note: note.map(str::to_string),
            ..ActionRequest::default()
        };
        assert_eq!(
            act(&store, &code, &clerk, refund(Some("thu nhầm"))).await,
            Err("forbidden_action".into())
        );
        assert_eq!(
            act(&store, &code, &accountant, refund(None)).await,
            Err("note_required".into())
        );
        act(
            &store,
            &code,
            &accountant,
            refund(Some("Người dân rút yêu cầu chứng thực")),
        )
        .await
        .expect("refunded");
        let back = &store.payments(&code).await.expect("payments")[0];
        assert_eq!(back.state(), motcua_domain::fees::PaymentState::Refunded);
        assert_eq!(back.refunded_by.as_deref(), Some("ketoan.myhiep"));
        assert_eq!(
            act(&store, &code, &accountant, refund(Some("lần hai"))).await,
            Err("no_receipt".into()),
            "refunded once"
        );
        // The accountant's day starts from the takings.
        let books = login(&http, &base, "ketoan.myhiep").await;
        let home = http
            .get(format!("{base}/can-bo"))
            .header("cookie", &books)
            .send()
            .await
            .expect("home");
        assert_eq!(
            home.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/can-bo/thu-phi")
        );
        let owed_again = offered(&http, &base, &cookie, &code).await;
        assert!(
            owed_again.contains(&"record_payment".to_string()),
            "{owed_again:?}"
        );
        let day = http
            .get(format!("{base}/can-bo/thu-phi"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("takings")
            .text()
            .await
            .expect("body");
        assert!(
            day.contains("id=\"takings-total\">2.000 ₫")
                && day.contains("id=\"refunded-total\">2.000 ₫")
                && day.contains("id=\"takings-net\">0 ₫")
                && day.contains("Người dân rút yêu cầu chứng thực"),
            "{day}"
        );

        // Unpaid: stopped by motcua once its three days are over, not before.
        let (unpaid, _) = dossier(&store, &clerk, "CT-BSBC").await;
        let now = OffsetDateTime::now_utc();
        assert_eq!(store.expire_unpaid(now).await.expect("run"), 0);
        let later = now + time::Duration::days(3) + time::Duration::minutes(1);
        assert_eq!(store.expire_unpaid(later).await.expect("run"), 1);
        let rec = store
            .dossier(&unpaid)
            .await
            .expect("read")
            .expect("dossier");
        assert_eq!(rec.row.status, "stopped");
        let last = rec.events.last().expect("event");
        assert_eq!(
            (last.actor.as_str(), last.role.as_str()),
            ("system", "system")
        );
        assert!(last.note.as_deref().is_some_and(|n| n.contains("3 ngày")));
        assert_eq!(store.expire_unpaid(later).await.expect("again"), 0, "once");
        let report = store.audit_verify().await.expect("verify");
        assert!(report.ok(), "{report:?}");
    }
}
