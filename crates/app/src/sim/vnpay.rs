//! SIMULATOR of the VNPay 2.1.0 payment gateway, for tests and the demo.
//! It serves the payment page a citizen is sent to, checks the redirect's
//! signature with its own parser and its own HMAC-SHA512, lets the citizen
//! pay or cancel, then calls the merchant's registered IPN and sends the
//! browser back to the return URL, as VNPay does; it answers QueryDR. It
//! can be told to lose the IPN, to send it twice, or to sign with another
//! secret. Named a simulator everywhere it appears.

use axum::extract::{Form, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// How the simulator misbehaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switches {
    /// The IPN is never sent (the classic failure: only QueryDR finds the payment).
    pub lose_ipn: bool,
    /// The IPN is sent twice.
    pub ipn_twice: bool,
    /// Callbacks are signed with another secret (a forgery).
    pub wrong_secret: bool,
}

#[derive(Debug, Clone)]
struct Txn {
    amount: String,
    order_info: String,
    return_url: String,
    /// "00" paid, "02" failed or cancelled, "01" not finished.
    status: String,
    response_code: String,
    transaction_no: String,
    pay_date: String,
}

struct Inner {
    secret: String,
    tmn_code: String,
    ipn_url: String,
    switches: Switches,
    txns: HashMap<String, Txn>,
    /// Every IPN sent: (reference, the merchant's RspCode).
    ipn_replies: Vec<(String, String)>,
    next_no: u64,
}

type Shared = Arc<Mutex<Inner>>;

/// The simulator, serving until dropped.
pub struct VnpaySimulator {
    addr: SocketAddr,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for VnpaySimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    // A poisoned lock only means a test panicked while holding it.
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The simulator's own form decoding and encoding.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn hmac512(secret: &str, text: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signed text: sorted non-empty vnp_* but the hash, encoded, joined.
fn signed(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, v)| {
            k.starts_with("vnp_")
                && !v.is_empty()
                && *k != "vnp_SecureHash"
                && *k != "vnp_SecureHashType"
        })
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn query_string(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl VnpaySimulator {
    /// Start on a free local port for the merchant `tmn_code` with `secret`,
    /// whose IPN is registered at `ipn_url`.
    pub async fn start(tmn_code: &str, secret: &str, ipn_url: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner {
            secret: secret.to_string(),
            tmn_code: tmn_code.to_string(),
            ipn_url: ipn_url.to_string(),
            switches: Switches::default(),
            txns: HashMap::new(),
            ipn_replies: Vec::new(),
            next_no: 14_000_000,
        }));
        let app = Router::new()
            .route("/paymentv2/vpcpay.html", get(page))
            .route("/paymentv2/mo-phong/tra", post(pay))
            .route("/merchant_webapi/api/transaction", post(querydr))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(VnpaySimulator { addr, inner, task })
    }

    pub fn payment_url(&self) -> String {
        format!("http://{}/paymentv2/vpcpay.html", self.addr)
    }
    pub fn api_url(&self) -> String {
        format!("http://{}/merchant_webapi/api/transaction", self.addr)
    }
    /// Where the payment page's "pay" button posts.
    pub fn pay_url(&self) -> String {
        format!("http://{}/paymentv2/mo-phong/tra", self.addr)
    }
    pub fn set(&self, switches: Switches) {
        lock(&self.inner).switches = switches;
    }
    /// Every IPN sent and what the merchant answered.
    pub fn ipn_replies(&self) -> Vec<(String, String)> {
        lock(&self.inner).ipn_replies.clone()
    }
    /// The callback parameters VNPay would send for `reference` (signed
    /// with the simulator's secret), to replay or tamper with.
    pub fn callback(&self, reference: &str) -> Option<BTreeMap<String, String>> {
        let g = lock(&self.inner);
        let t = g.txns.get(reference)?;
        Some(callback_params(&g, reference, t))
    }
    /// Sign `params` as the gateway does.
    pub fn sign(&self, params: &mut BTreeMap<String, String>) {
        let g = lock(&self.inner);
        params.remove("vnp_SecureHash");
        let h = hmac512(&g.secret, &signed(params));
        params.insert("vnp_SecureHash".into(), h);
    }
}

fn callback_params(g: &Inner, reference: &str, t: &Txn) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = [
        ("vnp_Amount", t.amount.clone()),
        ("vnp_BankCode", "NCB".to_string()),
        ("vnp_BankTranNo", format!("VNP{}", t.transaction_no)),
        ("vnp_CardType", "ATM".to_string()),
        ("vnp_OrderInfo", t.order_info.clone()),
        ("vnp_PayDate", t.pay_date.clone()),
        ("vnp_ResponseCode", t.response_code.clone()),
        ("vnp_TmnCode", g.tmn_code.clone()),
        ("vnp_TransactionNo", t.transaction_no.clone()),
        ("vnp_TransactionStatus", t.status.clone()),
        ("vnp_TxnRef", reference.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let secret = if g.switches.wrong_secret {
        "not-the-merchants-secret"
    } else {
        g.secret.as_str()
    };
    let h = hmac512(secret, &signed(&p));
    p.insert("vnp_SecureHash".into(), h);
    p
}

async fn page(State(s): State<Shared>, uri: axum::http::Uri) -> Response {
    let params = parse_query(uri.query().unwrap_or(""));
    let mut g = lock(&s);
    let given = params.get("vnp_SecureHash").cloned().unwrap_or_default();
    let ok = given.eq_ignore_ascii_case(&hmac512(&g.secret, &signed(&params)))
        && params.get("vnp_TmnCode") == Some(&g.tmn_code)
        && params.get("vnp_Version").map(String::as_str) == Some("2.1.0");
    if !ok {
        return Html("<h1>MÔ PHỎNG VNPAY — Sai chữ ký (code 97)</h1>".to_string()).into_response();
    }
    let reference = params.get("vnp_TxnRef").cloned().unwrap_or_default();
    let amount = params.get("vnp_Amount").cloned().unwrap_or_default();
    g.txns.insert(
        reference.clone(),
        Txn {
            amount: amount.clone(),
            order_info: params.get("vnp_OrderInfo").cloned().unwrap_or_default(),
            return_url: params.get("vnp_ReturnUrl").cloned().unwrap_or_default(),
            status: "01".into(),
            response_code: "01".into(),
            transaction_no: String::new(),
            pay_date: String::new(),
        },
    );
    let vnd = amount.parse::<u64>().map(|a| a / 100).unwrap_or(0);
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Cổng thanh toán VNPay (MÔ PHỎNG)</title></head><body>\
         <h1>Cổng thanh toán VNPay — MÔ PHỎNG</h1><p>Đơn hàng <strong id=\"ref\">{reference}</strong>: <strong id=\"amount\">{vnd}</strong> đồng</p>\
         <form method=\"post\" action=\"/paymentv2/mo-phong/tra\"><input type=\"hidden\" name=\"ref\" value=\"{reference}\">\
         <button name=\"ket_qua\" value=\"thanh_cong\" id=\"pay\">Thanh toán</button> <button name=\"ket_qua\" value=\"huy\" id=\"cancel\">Hủy giao dịch</button></form></body></html>"
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
struct PayForm {
    #[serde(rename = "ref")]
    reference: String,
    ket_qua: String,
}

async fn pay(State(s): State<Shared>, Form(f): Form<PayForm>) -> Response {
    let (params, ipn_url, times, return_url) = {
        let mut g = lock(&s);
        g.next_no += 1;
        let no = g.next_no.to_string();
        let now = time::OffsetDateTime::now_utc()
            .to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC));
        let date = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let Some(t) = g.txns.get_mut(&f.reference) else {
            return Html("<h1>MÔ PHỎNG VNPAY — Không có giao dịch</h1>".to_string())
                .into_response();
        };
        let paid = f.ket_qua == "thanh_cong";
        t.status = if paid { "00" } else { "02" }.into();
        t.response_code = if paid { "00" } else { "24" }.into();
        t.transaction_no = no;
        t.pay_date = date;
        let t = t.clone();
        let times = match (g.switches.lose_ipn, g.switches.ipn_twice) {
            (true, _) => 0,
            (false, true) => 2,
            (false, false) => 1,
        };
        (
            callback_params(&g, &f.reference, &t),
            g.ipn_url.clone(),
            times,
            t.return_url,
        )
    };
    let http = reqwest::Client::new();
    let url = format!("{ipn_url}?{}", query_string(&params));
    for _ in 0..times {
        let code = match http.get(&url).send().await {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| {
                    v.get("RspCode")
                        .and_then(|c| c.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        lock(&s).ipn_replies.push((f.reference.clone(), code));
    }
    Redirect::to(&format!("{return_url}?{}", query_string(&params))).into_response()
}

async fn querydr(
    State(s): State<Shared>,
    Json(body): Json<serde_json::Value>,
) -> Json<serde_json::Value> {
    let g = lock(&s);
    let f = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let request = [
        f("vnp_RequestId"),
        f("vnp_Version"),
        f("vnp_Command"),
        f("vnp_TmnCode"),
        f("vnp_TxnRef"),
        f("vnp_TransactionDate"),
        f("vnp_CreateDate"),
        f("vnp_IpAddr"),
        f("vnp_OrderInfo"),
    ]
    .join("|");
    let mut answer: BTreeMap<&str, String> = BTreeMap::new();
    answer.insert("vnp_ResponseId", format!("R{}", f("vnp_RequestId")));
    answer.insert("vnp_Command", "querydr".into());
    answer.insert("vnp_TmnCode", g.tmn_code.clone());
    let txn = g.txns.get(&f("vnp_TxnRef"));
    let code = if !f("vnp_SecureHash").eq_ignore_ascii_case(&hmac512(&g.secret, &request)) {
        "97"
    } else if txn.is_none() {
        "91"
    } else {
        "00"
    };
    answer.insert("vnp_ResponseCode", code.into());
    answer.insert(
        "vnp_Message",
        if code == "00" {
            "QueryDR Success"
        } else {
            "Error"
        }
        .into(),
    );
    if let Some(t) = txn {
        answer.insert("vnp_TxnRef", f("vnp_TxnRef"));
        answer.insert("vnp_Amount", t.amount.clone());
        answer.insert("vnp_BankCode", "NCB".into());
        answer.insert("vnp_PayDate", t.pay_date.clone());
        answer.insert("vnp_TransactionNo", t.transaction_no.clone());
        answer.insert("vnp_TransactionType", "01".into());
        answer.insert("vnp_TransactionStatus", t.status.clone());
        answer.insert("vnp_OrderInfo", t.order_info.clone());
    }
    let order = [
        "vnp_ResponseId",
        "vnp_Command",
        "vnp_ResponseCode",
        "vnp_Message",
        "vnp_TmnCode",
        "vnp_TxnRef",
        "vnp_Amount",
        "vnp_BankCode",
        "vnp_PayDate",
        "vnp_TransactionNo",
        "vnp_TransactionType",
        "vnp_TransactionStatus",
        "vnp_OrderInfo",
        "vnp_PromotionCode",
        "vnp_PromotionAmount",
    ];
    let text = order
        .iter()
        .map(|k| answer.get(k).cloned().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|");
    let mut out = serde_json::Map::new();
    for (k, v) in &answer {
        out.insert((*k).to_string(), serde_json::Value::String(v.clone()));
    }
    out.insert(
        "vnp_SecureHash".into(),
        serde_json::Value::String(hmac512(&g.secret, &text)),
    );
    Json(serde_json::Value::Object(out))
}
