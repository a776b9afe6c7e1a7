//! Paying a dossier's fee online from the lookup page: the citizen, holding
//! the dossier's key, is sent to the channel; the channel confirms to
//! motcua server to server (VNPay's IPN), which alone records the payment;
//! the page the citizen comes back to only says where the payment stands.

use super::*;
use motcua_domain::fees::PaymentState;

#[derive(Deserialize)]
pub(super) struct PayForm {
    key: String,
    kenh: String,
}

/// The address citizens reach this server by (the configured public one).
fn public_base(s: &AppState, headers: &HeaderMap) -> String {
    s.config
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| base_url(headers))
}

pub(super) async fn pay_online(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<PayForm>,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    // A wrong key looks exactly like an unknown code.
    let rec = find_by_key(&s, &code, &f.key).await?.ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into(),
        )
    })?;
    match f.kenh.as_str() {
        "vnpay" => {
            let back = format!("{}/thanh-toan/vnpay/ket-qua", public_base(&s, &headers));
            let (_, url) = motcua_app::vnpay::start(
                &s.store,
                &rec.row.code,
                &peer.ip().to_string(),
                &back,
                lang == super::super::Lang::En,
                s.now(),
            )
            .await
            .map_err(|e| PageError::new(lang, e.into()))?;
            Ok(Redirect::to(&url).into_response())
        }
        "vietqr" => {
            let (order, payload, account) =
                motcua_app::vietqr::start(&s.store, &rec.row.code, s.now())
                    .await
                    .map_err(|e| PageError::new(lang, e.into()))?;
            render(&QrPage {
                qr: qr_svg(&payload),
                payload,
                code: rec.row.code.clone(),
                key: f.key.clone(),
                amount: motcua_domain::text::format_vnd(order.amount_vnd),
                reference: order.reference,
                account_no: account.account_no,
                account_name: account.account_name,
                bank_bin: account.bank_bin,
                until: motcua_domain::calendar::format_vn(order.expires_at),
                c,
            })
        }
        _ => Err(PageError::new(
            lang,
            Problem::invalid("bad_method", "kenh", "Kênh thanh toán không hợp lệ").into(),
        )),
    }
}

/// A transfer to make by scanning the code in a banking app.
#[derive(Template)]
#[template(path = "payment_qr.html")]
struct QrPage {
    c: Ctx,
    qr: String,
    /// The code's text, for apps that paste instead of scanning.
    payload: String,
    code: String,
    key: String,
    amount: String,
    reference: String,
    account_no: String,
    account_name: String,
    bank_bin: String,
    until: String,
}

/// The bank's notification of a credit on the unit's account.
pub(crate) async fn bank_notice(
    State(s): State<AppState>,
    Path(unit): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (status, reply) = motcua_app::vietqr::notified(&s.store, &unit, auth, &body, s.now()).await;
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        reply,
    )
        .into_response()
}

/// VNPay's IPN: answered with its `RspCode` JSON, whatever happens.
pub(crate) async fn vnpay_ipn(
    State(s): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<Vec<(String, String)>>,
) -> axum::response::Response {
    let reply = motcua_app::vnpay::ipn(&s.store, &params, s.now()).await;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        reply.body(),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "payment_return.html")]
struct Returned {
    c: Ctx,
    /// The order, if VNPay's signature holds.
    code: Option<String>,
    state: String,
    paid: bool,
    amount: String,
}

/// Where VNPay sends the citizen back: it shows, it records nothing.
pub(crate) async fn vnpay_return(
    c: Ctx,
    State(s): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let order = motcua_app::vnpay::returned(&s.store, &params)
        .await
        .map_err(|e| PageError::new(c.lang, e.into()))?;
    let (code, state, paid, amount) = match &order {
        Some(o) => {
            // The IPN usually came first; if not yet, the page says it is being confirmed.
            let state = match o.state {
                PaymentState::Pending => c
                    .tr(
                        "Đang chờ xác nhận từ cổng thanh toán",
                        "Awaiting the gateway's confirmation",
                    )
                    .to_string(),
                other => c.tr(other.label_vi(), other.label_en()).to_string(),
            };
            (
                Some(o.dossier_code.clone()),
                state,
                o.state == PaymentState::Paid,
                motcua_domain::text::format_vnd(o.amount_vnd),
            )
        }
        None => (
            None,
            c.tr(
                "Không xác nhận được kết quả thanh toán",
                "The payment's result could not be verified",
            )
            .to_string(),
            false,
            String::new(),
        ),
    };
    render(&Returned {
        c,
        code,
        state,
        paid,
        amount,
    })
}
