//! SIMULATOR of a citizen's bank and of the payee's bank notifications, for
//! tests and the demo: it scans a VietQR code with its own TLV parser and
//! CRC check, makes the transfer, and notifies the payee's system the way
//! SePay does (`POST` JSON, `Authorization: Apikey …`, retried until
//! `{"success":true}`), with its own ids. It can deliver a notification
//! twice, as a retrying aggregator does. Named a simulator everywhere.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a scanned code asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub bin: String,
    pub account: String,
    pub amount: Option<u64>,
    pub purpose: Option<String>,
}

fn crc(bytes: &[u8]) -> u16 {
    let mut c: u16 = 0xFFFF;
    for b in bytes {
        c ^= u16::from(*b) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 == 0 {
                c << 1
            } else {
                (c << 1) ^ 0x1021
            };
        }
    }
    c
}

/// Split `ID LEN VALUE` fields.
fn fields(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let id = rest.get(0..2).ok_or("truncated id")?;
        let len: usize = rest
            .get(2..4)
            .ok_or("truncated length")?
            .parse()
            .map_err(|_| "bad length")?;
        let value = rest.get(4..4 + len).ok_or("truncated value")?;
        out.push((id.to_string(), value.to_string()));
        rest = &rest[4 + len..];
    }
    Ok(out)
}

/// Read a VietQR code as a banking app does: CRC first, then the fields.
pub fn scan(payload: &str) -> Result<Scanned, String> {
    let body = payload
        .get(..payload.len().saturating_sub(4))
        .ok_or("too short")?;
    let given = payload
        .get(payload.len().saturating_sub(4)..)
        .ok_or("too short")?;
    if !body.ends_with("6304") || format!("{:04X}", crc(body.as_bytes())) != given {
        return Err("CRC mismatch".into());
    }
    let top = fields(body.trim_end_matches("6304"))?;
    let get =
        |f: &[(String, String)], id: &str| f.iter().find(|(i, _)| i == id).map(|(_, v)| v.clone());
    let merchant = fields(&get(&top, "38").ok_or("no field 38")?)?;
    let beneficiary = fields(&get(&merchant, "01").ok_or("no beneficiary")?)?;
    let extra = match get(&top, "62") {
        Some(v) => fields(&v)?,
        None => Vec::new(),
    };
    Ok(Scanned {
        bin: get(&beneficiary, "00").ok_or("no BIN")?,
        account: get(&beneficiary, "01").ok_or("no account")?,
        amount: get(&top, "54").and_then(|a| a.parse().ok()),
        purpose: get(&extra, "08"),
    })
}

/// The bank, notifying one payee system.
pub struct BankSimulator {
    webhook_url: String,
    api_key: String,
    twice: Mutex<bool>,
    next_id: AtomicU64,
    http: reqwest::Client,
}

impl BankSimulator {
    pub fn new(webhook_url: &str, api_key: &str) -> Self {
        BankSimulator {
            webhook_url: webhook_url.to_string(),
            api_key: api_key.to_string(),
            twice: Mutex::new(false),
            next_id: AtomicU64::new(92_000_000),
            http: reqwest::Client::new(),
        }
    }

    /// Deliver every notification twice (an aggregator's retry).
    pub fn deliver_twice(&self, on: bool) {
        *self
            .twice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = on;
    }

    /// A transfer of `amount` to `account` with `content`, notified to the
    /// payee; the HTTP status of each delivery.
    pub async fn transfer(&self, account: &str, amount: u64, content: &str) -> Vec<u16> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let body = serde_json::json!({
            "id": id,
            "gateway": "MBBank",
            "transactionDate": "2026-12-08 09:30:00",
            "accountNumber": account,
            "code": null,
            "content": content,
            "transferType": "in",
            "transferAmount": amount,
            "accumulated": 0,
            "subAccount": null,
            "referenceCode": format!("FT{id}"),
            "description": format!("BankAPINotify {content}"),
        });
        let times = if *self
            .twice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            2
        } else {
            1
        };
        let mut out = Vec::new();
        for _ in 0..times {
            let status = self
                .http
                .post(&self.webhook_url)
                .header("Authorization", format!("Apikey {}", self.api_key))
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            out.push(status);
        }
        out
    }

    /// Scan `payload` and pay exactly what it asks.
    pub async fn pay_qr(&self, payload: &str) -> Result<Vec<u16>, String> {
        let s = scan(payload)?;
        let amount = s
            .amount
            .ok_or("a static code: the amount is typed by hand")?;
        Ok(self
            .transfer(&s.account, amount, s.purpose.as_deref().unwrap_or(""))
            .await)
    }
}

/// A banking app's page for the demo: paste a code's text, transfer.
/// Serves until the returned task is aborted.
pub async fn serve_app(
    bank: std::sync::Arc<BankSimulator>,
) -> std::io::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    use axum::extract::{Form, State};
    use axum::response::Html;
    use axum::routing::get;
    #[derive(serde::Deserialize)]
    struct Pasted {
        ma_qr: String,
    }
    const PAGE: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Ngân hàng (MÔ PHỎNG)</title></head><body>\
        <h1>Ứng dụng ngân hàng — MÔ PHỎNG</h1><form method=\"post\"><label for=\"ma_qr\">Nội dung mã QR</label><br>\
        <textarea id=\"ma_qr\" name=\"ma_qr\" rows=\"4\" cols=\"70\"></textarea><br><button>Chuyển khoản</button></form>";
    async fn show() -> Html<String> {
        Html(format!("{PAGE}</body></html>"))
    }
    async fn pay(
        State(b): State<std::sync::Arc<BankSimulator>>,
        Form(f): Form<Pasted>,
    ) -> Html<String> {
        let said = match b.pay_qr(f.ma_qr.trim()).await {
            Ok(statuses) => format!("Đã chuyển khoản; hệ thống nhận trả lời {statuses:?}"),
            Err(e) => format!("Không đọc được mã QR: {e}"),
        };
        Html(format!("{PAGE}<p id=\"ket-qua\">{said}</p></body></html>"))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/", get(show).post(pay))
        .with_state(bank);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_simulator_reads_a_published_code() {
        let s = super::scan("00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C").expect("scan");
        assert_eq!(
            (
                s.bin.as_str(),
                s.account.as_str(),
                s.amount,
                s.purpose.as_deref()
            ),
            (
                "970415",
                "0011001932418",
                Some(120_000),
                Some("ung ho lu lut")
            )
        );
        assert!(super::scan("00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15D").is_err());
    }
}
