//! The VietQR adapter (INTEGRATIONS.md): a dynamic NAPAS QR per online
//! order, carrying the amount and the order's reference as the transfer's
//! purpose, to the unit's account; and the bank's notification of a credit
//! (SePay-shaped webhook, `Authorization: Apikey …`), recorded once and
//! matched to its order. A unit's account and key are its `vietqr` settings.

use motcua_domain::payment::vietqr::{self, Transfer};
use motcua_store::credits::{Credit, Matched};
use motcua_store::orders::PaymentOrder;
use motcua_store::{Store, StoreError};
use time::OffsetDateTime;

/// The unit's account, as the QR and the page show it.
#[derive(Debug, Clone)]
pub struct Account {
    pub bank_bin: String,
    pub account_no: String,
    pub account_name: String,
}

pub async fn account(store: &Store, unit: &str) -> Result<Option<Account>, StoreError> {
    let plain = store.integrations(Some(unit)).await?;
    let value = |k: &str| {
        plain
            .iter()
            .find(|s| s.system == "vietqr" && s.key == k)
            .and_then(|s| s.value.clone())
    };
    Ok(
        match (
            value("bank_bin"),
            value("account_no"),
            value("account_name"),
        ) {
            (Some(bank_bin), Some(account_no), Some(account_name)) => Some(Account {
                bank_bin,
                account_no,
                account_name,
            }),
            _ => None,
        },
    )
}

/// Open an order for the dossier; its QR payload and the account.
pub async fn start(
    store: &Store,
    code: &str,
    now: OffsetDateTime,
) -> Result<(PaymentOrder, String, Account), StoreError> {
    let row = store.dossier_row(code).await?.ok_or_else(|| {
        motcua_domain::Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ")
    })?;
    let acc = account(store, &row.unit_code).await?.ok_or_else(|| {
        motcua_domain::Problem::conflict(
            "channel_not_set_up",
            "Đơn vị chưa khai báo tài khoản nhận chuyển khoản VietQR; vui lòng chọn cách khác hoặc nộp tại quầy",
        )
    })?;
    let order = store.open_payment_order(code, "vietqr", now).await?;
    let payload = vietqr::payload(&Transfer {
        bin: &acc.bank_bin,
        account: &acc.account_no,
        amount_vnd: Some(order.amount_vnd),
        bill: None,
        purpose: Some(&order.reference),
    })?;
    Ok((order, payload, acc))
}

/// The bank's notification, answered as SePay expects: 401 without the
/// unit's key; otherwise `{"success":true}` once recorded (a retry of the
/// same credit changes nothing), 400 for a body that is not a credit.
pub async fn notified(
    store: &Store,
    unit: &str,
    authorization: Option<&str>,
    body: &[u8],
    now: OffsetDateTime,
) -> (u16, String) {
    match notified_inner(store, unit, authorization, body, now).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(unit, error = %e, "bank credit not recorded");
            (500, "{\"success\":false}".to_string())
        }
    }
}

async fn notified_inner(
    store: &Store,
    unit: &str,
    authorization: Option<&str>,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(u16, String), StoreError> {
    let key = store
        .integration_secret(unit, "vietqr", "webhook_key")
        .await?;
    let given = authorization
        .and_then(|a| a.strip_prefix("Apikey "))
        .unwrap_or("");
    let ok = key.as_deref().is_some_and(|k| {
        motcua_domain::payment::constant_time_eq(k.as_bytes(), given.trim().as_bytes())
    });
    if !ok {
        return Ok((401, "{\"success\":false}".to_string()));
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok((400, "{\"success\":false}".to_string()));
    };
    let text = |k: &str| match v.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let amount = v.get("transferAmount").and_then(serde_json::Value::as_u64);
    let (id, Some(amount)) = (text("id"), amount) else {
        return Ok((400, "{\"success\":false}".to_string()));
    };
    // Money going out of the account is not a citizen's payment.
    if id.is_empty() || text("transferType") != "in" {
        return Ok((200, "{\"success\":true}".to_string()));
    }
    let credit = Credit {
        provider_id: id,
        account_no: text("accountNumber"),
        amount_vnd: amount,
        // Some banks carry the purpose in `code`, all in `content`.
        content: format!("{} {}", text("code"), text("content")),
        reference_code: text("referenceCode"),
        transferred_at: text("transactionDate"),
    };
    match store.record_credit(unit, &credit, now).await? {
        Matched::Paid { order, receipt } => {
            tracing::info!(unit, order, receipt, "transfer matched");
        }
        Matched::Review { detail } => tracing::info!(unit, detail, "transfer kept for review"),
        Matched::Duplicate => {}
    }
    Ok((200, "{\"success\":true}".to_string()))
}
