//! The VNPay 2.1.0 adapter (INTEGRATIONS.md): the signed redirect that
//! sends a citizen to pay a dossier's fee, the IPN that alone marks the
//! payment paid, the return page that only displays, and QueryDR for
//! orders whose IPN never came. A unit's merchant code, addresses and
//! secret are its sealed `vnpay` settings.

use motcua_domain::payment::vnpay::{self as proto, IpnReply, Outcome};
use motcua_store::orders::{PaymentOrder, Settled, Settlement};
use motcua_store::{Store, StoreError};
use time::OffsetDateTime;

/// The client QueryDR goes out with: a timeout always set.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap_or_default()
}

/// A unit's VNPay settings.
#[derive(Clone)]
pub struct Merchant {
    pub tmn_code: String,
    pub hash_secret: String,
    pub payment_url: String,
    pub api_url: String,
}

// The secret never reaches a log.
impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("tmn_code", &self.tmn_code)
            .field("payment_url", &self.payment_url)
            .finish_non_exhaustive()
    }
}

/// The unit's merchant, when every field is set.
pub async fn merchant(store: &Store, unit: &str) -> Result<Option<Merchant>, StoreError> {
    let plain = store.integrations(Some(unit)).await?;
    let value = |k: &str| {
        plain
            .iter()
            .find(|s| s.system == "vnpay" && s.key == k)
            .and_then(|s| s.value.clone())
    };
    let secret = store
        .integration_secret(unit, "vnpay", "hash_secret")
        .await?;
    Ok(
        match (
            value("tmn_code"),
            secret,
            value("payment_url"),
            value("api_url"),
        ) {
            (Some(tmn_code), Some(hash_secret), Some(payment_url), Some(api_url)) => {
                Some(Merchant {
                    tmn_code,
                    hash_secret,
                    payment_url,
                    api_url,
                })
            }
            _ => None,
        },
    )
}

/// `yyyyMMddHHmmss` in Vietnam time.
pub fn vnp_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(motcua_domain::calendar::VN_OFFSET);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Open an order for the dossier and the address of VNPay's payment page.
pub async fn start(
    store: &Store,
    code: &str,
    ip: &str,
    return_url: &str,
    english: bool,
    now: OffsetDateTime,
) -> Result<(PaymentOrder, String), StoreError> {
    let row = store.dossier_row(code).await?.ok_or_else(|| {
        motcua_domain::Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ")
    })?;
    let m = merchant(store, &row.unit_code).await?.ok_or_else(|| {
        motcua_domain::Problem::conflict(
            "channel_not_set_up",
            "Đơn vị chưa kết nối cổng thanh toán VNPay; vui lòng chọn cách khác hoặc nộp tại quầy",
        )
    })?;
    let order = store.open_payment_order(code, "vnpay", now).await?;
    let info = proto::order_info(&format!("Thanh toan phi ho so {code}"));
    let params = proto::pay_params(
        &proto::PayRequest {
            tmn_code: &m.tmn_code,
            amount_vnd: order.amount_vnd,
            txn_ref: &order.reference,
            order_info: &info,
            create_date: &vnp_date(now),
            expire_date: &vnp_date(order.expires_at),
            ip,
            locale: if english { "en" } else { "vn" },
            return_url,
        },
        &m.hash_secret,
    );
    let url = proto::pay_url(&m.payment_url, &params);
    Ok((order, url))
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Handle an IPN: signature → order → amount → not already confirmed →
/// record, answering VNPay's code. A replay answers `02` and changes nothing.
pub async fn ipn(store: &Store, params: &[(String, String)], now: OffsetDateTime) -> IpnReply {
    match ipn_inner(store, params, now).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "VNPay IPN not recorded");
            IpnReply::Other
        }
    }
}

async fn ipn_inner(
    store: &Store,
    params: &[(String, String)],
    now: OffsetDateTime,
) -> Result<IpnReply, StoreError> {
    let reference = param(params, "vnp_TxnRef");
    let order = store.payment_order(reference).await?;
    // The secret is the order's unit's: an unknown order cannot be verified.
    let merchant = match &order {
        Some(o) => merchant(store, &o.unit_code).await?,
        None => None,
    };
    let signature_ok = merchant
        .as_ref()
        .is_some_and(|m| proto::verify(&m.hash_secret, params));
    if order.is_none() {
        return Ok(IpnReply::OrderNotFound);
    }
    let already = order
        .as_ref()
        .is_some_and(|o| o.state != motcua_domain::fees::PaymentState::Pending);
    if let Err(reply) = proto::check_ipn(
        signature_ok,
        order.as_ref().map(|o| o.amount_vnd),
        already,
        param(params, "vnp_Amount"),
    ) {
        return Ok(reply);
    }
    let settlement = match proto::outcome(
        param(params, "vnp_ResponseCode"),
        param(params, "vnp_TransactionStatus"),
    ) {
        Outcome::Paid => Settlement::Paid {
            provider_txn: param(params, "vnp_TransactionNo").to_string(),
        },
        Outcome::Cancelled => Settlement::Cancelled,
        Outcome::Failed => Settlement::Failed {
            detail: format!(
                "vnp_ResponseCode={} vnp_TransactionStatus={}",
                param(params, "vnp_ResponseCode"),
                param(params, "vnp_TransactionStatus")
            ),
        },
    };
    Ok(
        match store
            .settle_payment_order(reference, &settlement, now)
            .await?
        {
            Settled::Already(_) => IpnReply::AlreadyConfirmed,
            // Recorded, closed, or kept for the accountant: VNPay's part is done.
            Settled::Recorded { .. } | Settled::Closed(_) | Settled::Review { .. } => {
                IpnReply::Confirmed
            }
        },
    )
}

/// What the return page may show: the order named, if the signature holds.
/// It records nothing: only the IPN (or QueryDR) does.
pub async fn returned(
    store: &Store,
    params: &[(String, String)],
) -> Result<Option<PaymentOrder>, StoreError> {
    let Some(order) = store.payment_order(param(params, "vnp_TxnRef")).await? else {
        return Ok(None);
    };
    let ok = merchant(store, &order.unit_code)
        .await?
        .is_some_and(|m| proto::verify(&m.hash_secret, params));
    Ok(ok.then_some(order))
}

/// Ask VNPay where an order stands (QueryDR) and settle it when the answer
/// is final: what makes a lost IPN harmless. None: still open, or no answer
/// to trust.
pub async fn query(
    store: &Store,
    http: &reqwest::Client,
    order: &PaymentOrder,
    now: OffsetDateTime,
) -> Result<Option<Settled>, StoreError> {
    let Some(m) = merchant(store, &order.unit_code).await? else {
        return Ok(None);
    };
    let request_id = format!("Q{}{}", order.reference, now.unix_timestamp());
    let (created, info, ip) = (
        vnp_date(order.created_at),
        proto::order_info(&format!("Truy van {}", order.reference)),
        "127.0.0.1",
    );
    let hash = proto::pipe_hash(
        &m.hash_secret,
        &[
            &request_id,
            "2.1.0",
            "querydr",
            &m.tmn_code,
            &order.reference,
            &created,
            &vnp_date(now),
            ip,
            &info,
        ],
    );
    let body = serde_json::json!({
        "vnp_RequestId": request_id,
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": m.tmn_code,
        "vnp_TxnRef": order.reference,
        "vnp_OrderInfo": info,
        "vnp_TransactionDate": created,
        "vnp_CreateDate": vnp_date(now),
        "vnp_IpAddr": ip,
        "vnp_SecureHash": hash,
    });
    let answer: serde_json::Value = match http.post(&m.api_url).json(&body).send().await {
        Ok(r) => match r.json().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(order = %order.reference, error = %e, "VNPay querydr: unreadable answer");
                return Ok(None);
            }
        },
        Err(e) => {
            tracing::warn!(order = %order.reference, error = %e, "VNPay querydr: no answer");
            return Ok(None);
        }
    };
    let f = |k: &str| match answer.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let fields = [
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
    ]
    .map(f);
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let expected = proto::pipe_hash(&m.hash_secret, &refs);
    let signed = motcua_domain::payment::constant_time_eq(
        f("vnp_SecureHash").to_ascii_lowercase().as_bytes(),
        expected.as_bytes(),
    );
    if !signed || f("vnp_TxnRef") != order.reference || f("vnp_ResponseCode") != "00" {
        tracing::warn!(order = %order.reference, code = %f("vnp_ResponseCode"), signed, "VNPay querydr: not trusted");
        return Ok(None);
    }
    if f("vnp_Amount").parse::<u128>().ok() != Some(u128::from(order.amount_vnd) * 100) {
        tracing::warn!(order = %order.reference, "VNPay querydr: amount differs from the order");
        return Ok(None);
    }
    let settlement = match (f("vnp_TransactionStatus").as_str(), f("vnp_TransactionNo")) {
        ("00", txn) => Settlement::Paid { provider_txn: txn },
        // 01: not finished yet; ask again later.
        ("01", _) => return Ok(None),
        (status, _) => Settlement::Failed {
            detail: format!("querydr vnp_TransactionStatus={status}"),
        },
    };
    Ok(Some(
        store
            .settle_payment_order(&order.reference, &settlement, now)
            .await?,
    ))
}

/// Query every VNPay order still pending `after` its creation (15 minutes
/// by default): a lost IPN never leaves a payment stuck. Returns how many
/// were settled.
pub async fn query_pending(
    store: &Store,
    http: &reqwest::Client,
    after: time::Duration,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut settled = 0;
    for o in store
        .pending_orders_of_channel("vnpay", 500)
        .await?
        .into_iter()
        .filter(|o| o.created_at + after <= now)
    {
        if query(store, http, &o, now).await?.is_some() {
            settled += 1;
        }
    }
    Ok(settled)
}
