//! Paying a fee online through VNPay, on each database, against the VNPay
//! simulator: the citizen is sent to the gateway with a signed redirect and
//! comes back to a page that only displays; the IPN alone records the
//! payment, once; replayed, forged, wrong-amount and unknown-order IPNs are
//! answered as VNPay specifies and change nothing; a lost IPN is found by
//! QueryDR; two confirmations at once record one payment. By VietQR, against
//! the bank simulator: a transfer is matched on its code and amount, once
//! however often the bank notifies; the rest waits for the accountant.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_app::sim::bank::BankSimulator;
use motcua_app::sim::vnpay::{Switches, VnpaySimulator};
use motcua_domain::dossier::ApplicantInput;
use motcua_domain::index::Period;
use motcua_domain::lifecycle::{Channel, Role};
use motcua_store::testing::{databases, open_seeded};
use motcua_store::{Actor, DocumentRef, NewDossier, NewUser, Store};
use motcua_web::AppState;
use std::collections::BTreeMap;
use time::OffsetDateTime;

const UNIT: &str = "30112";
const SECRET: &str = "bi-mat-vnpay-thu-nghiem";

/// A certified copy filed at the counter (paid before processing): (code, key).
async fn waiting(store: &Store) -> (String, String) {
    let clerk = store
        .user_by_username("tiepnhan")
        .await
        .expect("read")
        .expect("user");
    let rec = store
        .create_dossier(
            NewDossier {
                unit_code: UNIT.into(),
                procedure_code: "CT-BSBC".into(),
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
                documents: vec![DocumentRef {
                    code: "ban-chinh".into(),
                    upload_id: None,
                    paper: true,
                }],
            },
            &Actor::Staff(clerk),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("filed");
    assert_eq!(rec.row.status, "awaiting_payment");
    (rec.row.code, rec.issued_key.expect("key"))
}

/// The citizen pays: lookup page → gateway → pay. Returns (reference, return URL).
async fn pay(
    http: &reqwest::Client,
    base: &str,
    sim: &VnpaySimulator,
    code: &str,
    key: &str,
) -> (String, String) {
    let lookup = http
        .get(format!("{base}/tra-cuu?code={code}&key={key}"))
        .send()
        .await
        .expect("lookup")
        .text()
        .await
        .expect("body");
    assert!(lookup.contains("id=\"pay-vnpay\""), "{lookup}");
    let go = http
        .post(format!("{base}/tra-cuu/{code}/thanh-toan"))
        .form(&[("key", key), ("kenh", "vnpay")])
        .send()
        .await
        .expect("start");
    assert_eq!(go.status().as_u16(), 303);
    let to = go
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert!(to.starts_with(&sim.payment_url()), "{to}");
    assert!(to.contains("vnp_Amount=200000"), "2.000 đồng × 100: {to}");
    let page = http
        .get(&to)
        .send()
        .await
        .expect("gateway")
        .text()
        .await
        .expect("page");
    let reference = page
        .split("id=\"ref\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the simulator accepted the signature")
        .to_string();
    let back = http
        .post(sim.pay_url())
        .form(&[("ref", reference.as_str()), ("ket_qua", "thanh_cong")])
        .send()
        .await
        .expect("pay");
    let back = back
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("back to the return URL")
        .to_string();
    (reference, back)
}

async fn ipn(http: &reqwest::Client, base: &str, params: &BTreeMap<String, String>) -> String {
    let v: serde_json::Value = http
        .get(format!("{base}/thanh-toan/vnpay/ipn"))
        .query(params)
        .send()
        .await
        .expect("ipn")
        .json()
        .await
        .expect("json");
    v["RspCode"].as_str().expect("RspCode").to_string()
}

/// A store with a receptionist and a server on it: (base URL, stop).
async fn serve(store: &Store) -> (String, tokio::sync::oneshot::Sender<()>) {
    store
        .create_user(
            &NewUser {
                username: "tiepnhan".into(),
                full_name: "Cán bộ tiếp nhận".into(),
                password_hash: "x".into(),
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(motcua_web::serve(
        listener,
        AppState::new(store.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    (base, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_pays_through_vnpay_and_only_the_ipn_records_it_once() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let (base, _stop) = serve(&store).await;
        let sim =
            VnpaySimulator::start("MYHIEP01", SECRET, &format!("{base}/thanh-toan/vnpay/ipn"))
                .await
                .expect("simulator");
        let now = OffsetDateTime::now_utc();
        for (key, value) in [
            ("tmn_code", "MYHIEP01".to_string()),
            ("payment_url", sim.payment_url()),
            ("api_url", sim.api_url()),
            ("hash_secret", SECRET.to_string()),
        ] {
            store
                .set_integration(UNIT, "vnpay", key, &value, "quantri", now)
                .await
                .expect("setting");
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");

        // Paid: the IPN records it, with its receipt, as motcua itself.
        let (code, key) = waiting(&store).await;
        let (reference, back) = pay(&http, &base, &sim, &code, &key).await;
        assert_eq!(
            sim.ipn_replies(),
            vec![(reference.clone(), "00".to_string())]
        );
        let rec = store.dossier(&code).await.expect("read").expect("dossier");
        assert_eq!(rec.row.status, "received", "paid: the clock starts");
        let paid = store.payments(&code).await.expect("payments");
        assert_eq!(paid.len(), 1);
        assert_eq!(
            (paid[0].method.as_str(), paid[0].total_vnd),
            ("vnpay", 2000)
        );
        let event = rec.events.last().expect("event");
        assert_eq!(event.role, "system");
        assert_eq!(
            event
                .payload
                .payment
                .as_ref()
                .and_then(|p| p.order.as_deref()),
            Some(reference.as_str())
        );
        // The return page shows; it records nothing.
        let shown = http
            .get(&back)
            .send()
            .await
            .expect("return")
            .text()
            .await
            .expect("body");
        assert!(shown.contains("Đã nộp") && shown.contains(&code), "{shown}");

        // A replay: 02, nothing changes.
        let callback = sim.callback(&reference).expect("callback");
        assert_eq!(ipn(&http, &base, &callback).await, "02");
        // Wrong amount, signed by the gateway: 04.
        let mut wrong = callback.clone();
        wrong.insert("vnp_Amount".into(), "100".into());
        sim.sign(&mut wrong);
        assert_eq!(ipn(&http, &base, &wrong).await, "04");
        // Unknown order: 01.
        let mut unknown = callback.clone();
        unknown.insert("vnp_TxnRef".into(), "MCKHONGCO0000".into());
        sim.sign(&mut unknown);
        assert_eq!(ipn(&http, &base, &unknown).await, "01");
        // Forged (signed with another secret) on a pending order: 97.
        let (second, second_key) = waiting(&store).await;
        sim.set(Switches {
            lose_ipn: true,
            ..Switches::default()
        });
        let (lost, _) = pay(&http, &base, &sim, &second, &second_key).await;
        sim.set(Switches {
            wrong_secret: true,
            ..Switches::default()
        });
        let forged = sim.callback(&lost).expect("callback");
        assert_eq!(ipn(&http, &base, &forged).await, "97");
        assert!(store.payments(&second).await.expect("payments").is_empty());
        assert_eq!(store.payments(&code).await.expect("payments").len(), 1);

        // The IPN was lost: QueryDR after 15 minutes finds the payment.
        sim.set(Switches::default());
        let early = motcua_app::vnpay::query_pending(
            &store,
            &http,
            time::Duration::minutes(15),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("query");
        assert_eq!(early, 0, "not before 15 minutes");
        let later = OffsetDateTime::now_utc() + time::Duration::minutes(16);
        let n = motcua_app::vnpay::query_pending(&store, &http, time::Duration::minutes(15), later)
            .await
            .expect("query");
        assert_eq!(n, 1);
        let found = store.payments(&second).await.expect("payments");
        assert_eq!(found.len(), 1, "found by QueryDR");
        // The IPN arriving after all: already confirmed.
        let late = sim.callback(&lost).expect("callback");
        assert_eq!(ipn(&http, &base, &late).await, "02");

        // Two confirmations at once record one payment.
        let (third, third_key) = waiting(&store).await;
        sim.set(Switches {
            lose_ipn: true,
            ..Switches::default()
        });
        let (race, _) = pay(&http, &base, &sim, &third, &third_key).await;
        let params = sim.callback(&race).expect("callback");
        let (a, b) = tokio::join!(ipn(&http, &base, &params), ipn(&http, &base, &params));
        let mut codes = vec![a, b];
        codes.sort();
        assert_eq!(codes, vec!["00".to_string(), "02".to_string()]);
        assert_eq!(store.payments(&third).await.expect("payments").len(), 1);
        // A crash after the payment was written and before its order was
        // closed (what kill -9 inside the IPN leaves): VNPay's retry finds
        // the payment and completes the order; nothing is written twice.
        let (fourth, fourth_key) = waiting(&store).await;
        let (crashed, _) = pay(&http, &base, &sim, &fourth, &fourth_key).await;
        let row = store
            .dossier_row(&fourth)
            .await
            .expect("read")
            .expect("row");
        store
            .act(
                &fourth,
                &motcua_store::ActionRequest {
                    action: "record_payment".into(),
                    version: row.version,
                    method: Some("vnpay".into()),
                    order_ref: Some(crashed.clone()),
                    amount_vnd: Some(2000),
                    ..Default::default()
                },
                &Actor::System,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("the payment as written before the crash");
        let pending = store
            .payment_order(&crashed)
            .await
            .expect("read")
            .expect("order");
        assert_eq!(pending.state, motcua_domain::fees::PaymentState::Pending);
        let retry = sim.callback(&crashed).expect("callback");
        assert_eq!(
            ipn(&http, &base, &retry).await,
            "00",
            "the retry completes it"
        );
        let done = store
            .payment_order(&crashed)
            .await
            .expect("read")
            .expect("order");
        assert_eq!(done.state, motcua_domain::fees::PaymentState::Paid);
        assert_eq!(store.payments(&fourth).await.expect("payments").len(), 1);
        // The index's online payment (3.5a, 3.6) counts them, from the day
        // VNPay was set up for the unit.
        let today = OffsetDateTime::now_utc()
            .to_offset(motcua_domain::calendar::VN_OFFSET)
            .date();
        let year = Period::year(today.year()).expect("period");
        let tallies = store
            .index_tallies(None, Some(UNIT), year)
            .await
            .expect("tallies");
        let pay = tallies[UNIT].payments.expect("online payment enabled");
        assert_eq!((pay.owing, pay.paid_online), (4, 4), "{pay:?}");
        assert_eq!(
            (pay.fee_procedures_used, pay.fee_procedures_paid_online),
            (1, 1)
        );
        assert!(pay.fee_procedures > 1);
        let report = store.audit_verify().await.expect("verify");
        assert!(report.ok(), "{report:?}");
    }
}

/// The QR page of a dossier's transfer: its payload.
async fn qr(http: &reqwest::Client, base: &str, code: &str, key: &str) -> String {
    let page = http
        .post(format!("{base}/tra-cuu/{code}/thanh-toan"))
        .form(&[("key", key), ("kenh", "vietqr")])
        .send()
        .await
        .expect("qr")
        .text()
        .await
        .expect("page");
    page.split("data-payload=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("no QR on the page: {page}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vietqr_transfer_is_matched_on_code_and_amount_once_and_the_rest_waits_for_review() {
    let dir = tempfile::tempdir().expect("dir");
    for db in databases(dir.path()).await.expect("dbs") {
        let store = open_seeded(&db).await.expect("store");
        let (base, _stop) = serve(&store).await;
        let now = OffsetDateTime::now_utc();
        for (key, value) in [
            ("bank_bin", "970415"),
            ("account_no", "113366668888"),
            (
                "account_name",
                "TRUNG TAM PHUC VU HANH CHINH CONG XA MY HIEP",
            ),
            ("webhook_key", "khoa-thong-bao-ngan-hang"),
        ] {
            store
                .set_integration(UNIT, "vietqr", key, value, "quantri", now)
                .await
                .expect("setting");
        }
        let http = reqwest::Client::new();
        let notify = format!("{base}/thanh-toan/vietqr/{UNIT}/thong-bao");
        let bank = BankSimulator::new(&notify, "khoa-thong-bao-ngan-hang");

        // Scanned and paid: recorded once, though the bank notifies twice.
        let (code, key) = waiting(&store).await;
        let payload = qr(&http, &base, &code, &key).await;
        let scanned = motcua_app::sim::bank::scan(&payload).expect("a valid VietQR");
        assert_eq!(
            (scanned.bin.as_str(), scanned.amount),
            ("970415", Some(2000))
        );
        bank.deliver_twice(true);
        assert_eq!(bank.pay_qr(&payload).await.expect("paid"), vec![200, 200]);
        bank.deliver_twice(false);
        let paid = store.payments(&code).await.expect("payments");
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].method, "vietqr");
        let row = store.dossier_row(&code).await.expect("read").expect("row");
        assert_eq!(row.status, "received");

        // Without the unit's key: 401, nothing recorded.
        let intruder = BankSimulator::new(&notify, "khong-phai-khoa");
        let (other, other_key) = waiting(&store).await;
        let payload = qr(&http, &base, &other, &other_key).await;
        assert_eq!(intruder.pay_qr(&payload).await.expect("sent"), vec![401]);
        assert!(store.payments(&other).await.expect("payments").is_empty());

        // Short by 1.000 đồng, and a transfer naming no order: for the accountant.
        let reference = motcua_app::sim::bank::scan(&payload)
            .expect("scan")
            .purpose
            .expect("purpose");
        assert_eq!(
            bank.transfer("113366668888", 1000, &reference).await,
            vec![200]
        );
        assert_eq!(
            bank.transfer("113366668888", 50_000, "ung ho").await,
            vec![200]
        );
        assert!(store.payments(&other).await.expect("payments").is_empty());
        let review = store.credits_to_review(UNIT).await.expect("review");
        assert_eq!(review.len(), 2, "{review:?}");
        assert!(review[0].detail.contains("thiếu"), "{review:?}");
        assert_eq!(review[0].order_ref.as_deref(), Some(reference.as_str()));
        assert!(review[1].order_ref.is_none());
        // The accountant's day: online money by channel, what to review.
        store
            .create_user(
                &NewUser {
                    username: "ketoan".into(),
                    full_name: "Kế toán".into(),
                    password_hash: motcua_web::auth::hash_password("mat-khau-ke-toan")
                        .expect("hash"),
                    roles: vec![Role::Accountant],
                    units: vec![UNIT.into()],
                    province_code: None,
                },
                now,
            )
            .await
            .expect("accountant");
        let books = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let login = books
            .post(format!("{base}/dang-nhap"))
            .form(&[
                ("username", "ketoan"),
                ("password", "mat-khau-ke-toan"),
                ("next", "/can-bo"),
            ])
            .send()
            .await
            .expect("login");
        let cookie = login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_string();
        let day = books
            .get(format!("{base}/can-bo/thu-phi"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("takings")
            .text()
            .await
            .expect("body");
        let review_table = day
            .split("id=\"review\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .unwrap_or_default();
        assert_eq!(review_table.matches("<tr>").count(), 1 + 2, "{day}");
        assert!(
            day.contains("id=\"by-channel\"") && day.contains("Chuyển khoản VietQR"),
            "{day}"
        );
        // The accountant settles credits: one as the fee of the dossier it
        // was for (the bank dropped the reference), one as handled outside.
        assert_eq!(
            bank.transfer("113366668888", 2000, "nop phi chung thuc")
                .await,
            vec![200]
        );
        let review = store.credits_to_review(UNIT).await.expect("review");
        assert_eq!(review.len(), 3);
        let settle = |credit: String, code: &str, why: &str| {
            let (books, base, cookie) = (books.clone(), base.clone(), cookie.clone());
            let (code, why) = (code.to_string(), why.to_string());
            async move {
                books
                    .post(format!("{base}/can-bo/thu-phi/doi-soat"))
                    .header("cookie", &cookie)
                    .form(&[
                        ("don_vi", UNIT),
                        ("giao_dich", credit.as_str()),
                        ("ma_ho_so", code.as_str()),
                        ("ly_do", why.as_str()),
                    ])
                    .send()
                    .await
                    .expect("settle")
                    .status()
                    .as_u16()
            }
        };
        // 1.000 đồng is not what the dossier owes: refused, nothing written.
        assert_eq!(
            settle(review[0].provider_id.clone(), &other, "sao kê").await,
            409
        );
        assert_eq!(
            settle(review[2].provider_id.clone(), &other, "").await,
            422,
            "a basis is required"
        );
        assert_eq!(
            settle(
                review[2].provider_id.clone(),
                &other,
                "Sao kê ngày 08/12, người nộp gọi điện xác nhận"
            )
            .await,
            303
        );
        let settled = store.payments(&other).await.expect("payments");
        assert_eq!(settled.len(), 1);
        assert_eq!(
            (settled[0].method.as_str(), settled[0].paid_by.as_str()),
            ("vietqr", "ketoan")
        );
        assert_eq!(
            settle(review[1].provider_id.clone(), "", "Đã hoàn trả người gửi").await,
            303
        );
        assert_eq!(
            store.credits_to_review(UNIT).await.expect("review").len(),
            1
        );
        // A day the bank did not notify: the accountant imports its statement.
        let (fifth, fifth_key) = waiting(&store).await;
        let lost = motcua_app::sim::bank::scan(&qr(&http, &base, &fifth, &fifth_key).await)
            .expect("scan")
            .purpose
            .expect("purpose");
        let import = |csv: String| {
            let (books, base, cookie) = (books.clone(), base.clone(), cookie.clone());
            async move {
                let boundary = "----motcua-sao-ke";
                let body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"don_vi\"\r\n\r\n{UNIT}\r\n\
                     --{boundary}\r\nContent-Disposition: form-data; name=\"sao_ke\"; filename=\"sao-ke.csv\"\r\n\
                     Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
                );
                let r = books
                    .post(format!("{base}/can-bo/thu-phi/sao-ke"))
                    .header("cookie", &cookie)
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body)
                    .send()
                    .await
                    .expect("import");
                (r.status().as_u16(), r.text().await.expect("body"))
            }
        };
        let bad = import("ma_giao_dich,ngay,so_tien,noi_dung\nFT9,08/12/2026,abc,x\n".into()).await;
        assert_eq!(bad.0, 422, "{}", bad.1);
        assert!(bad.1.contains("dòng 2, so_tien"), "{}", bad.1);
        let csv = format!(
            "ma_giao_dich,ngay,so_tien,noi_dung\nFT77001,08/12/2026,\"2.000\",\"CT DEN {lost} nop phi\"\n"
        );
        let (status, page) = import(csv.clone()).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Khớp giao dịch"), "{page}");
        assert_eq!(store.payments(&fifth).await.expect("payments").len(), 1);
        // The same statement again: nothing twice.
        let (_, again) = import(csv).await;
        assert!(again.contains("Đã nhập trước đây"), "{again}");
        assert_eq!(store.payments(&fifth).await.expect("payments").len(), 1);
        let report = store.audit_verify().await.expect("verify");
        assert!(report.ok(), "{report:?}");
    }
}
