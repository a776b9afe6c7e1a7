//! VNPay 2.1.0 (INTEGRATIONS.md): the signed redirect that sends a citizen
//! to pay, the signature of what VNPay sends back (return URL and IPN), the
//! IPN's answer codes and the QueryDR signature. The IPN alone marks a
//! payment paid; the return URL only displays.

use hmac::{Hmac, Mac};
use sha2::Sha512;

/// `application/x-www-form-urlencoded` as browsers and VNPay's own clients
/// write it: letters, digits and `*-._` kept, space as `+`, the rest `%XX`.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What VNPay signs: the non-empty `vnp_*` parameters but the hash itself,
/// sorted by key, each key and value form-encoded, joined `k=v&…`.
pub fn signed_text(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| {
            k.starts_with("vnp_")
                && !v.is_empty()
                && k != "vnp_SecureHash"
                && k != "vnp_SecureHashType"
        })
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac_sha512_hex(secret: &str, text: &str) -> String {
    // A key of any length is accepted by HMAC: `new_from_slice` cannot fail here.
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

/// `vnp_SecureHash` of `params`: lowercase hex HMAC-SHA512.
pub fn sign(secret: &str, params: &[(String, String)]) -> String {
    hmac_sha512_hex(secret, &signed_text(params))
}

/// Whether `params` carry a `vnp_SecureHash` that `secret` made (compared
/// in constant time, hex case ignored).
pub fn verify(secret: &str, params: &[(String, String)]) -> bool {
    let Some((_, given)) = params.iter().find(|(k, _)| k == "vnp_SecureHash") else {
        return false;
    };
    let expected = sign(secret, params);
    super::constant_time_eq(given.to_ascii_lowercase().as_bytes(), expected.as_bytes())
}

/// One redirect to VNPay's payment page.
#[derive(Debug, Clone)]
pub struct PayRequest<'a> {
    pub tmn_code: &'a str,
    pub amount_vnd: u64,
    /// Unique per day: our payment order's reference.
    pub txn_ref: &'a str,
    /// ASCII, no diacritics (`[A-Za-z0-9 .,:_-]`).
    pub order_info: &'a str,
    /// `yyyyMMddHHmmss`, Vietnam time.
    pub create_date: &'a str,
    pub expire_date: &'a str,
    pub ip: &'a str,
    /// `vn` or `en`.
    pub locale: &'a str,
    pub return_url: &'a str,
}

/// The parameters of a payment redirect, signed last.
pub fn pay_params(r: &PayRequest<'_>, secret: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("vnp_Version", "2.1.0".to_string()),
        ("vnp_Command", "pay".to_string()),
        ("vnp_TmnCode", r.tmn_code.to_string()),
        // VNPay counts in hundredths of a đồng.
        ("vnp_Amount", (u128::from(r.amount_vnd) * 100).to_string()),
        ("vnp_CreateDate", r.create_date.to_string()),
        ("vnp_ExpireDate", r.expire_date.to_string()),
        ("vnp_CurrCode", "VND".to_string()),
        ("vnp_IpAddr", r.ip.to_string()),
        ("vnp_Locale", r.locale.to_string()),
        ("vnp_OrderInfo", r.order_info.to_string()),
        ("vnp_OrderType", "other".to_string()),
        ("vnp_ReturnUrl", r.return_url.to_string()),
        ("vnp_TxnRef", r.txn_ref.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let hash = sign(secret, &p);
    p.push(("vnp_SecureHash".to_string(), hash));
    p
}

/// The address the citizen is sent to: the payment page with the signed query.
pub fn pay_url(payment_url: &str, params: &[(String, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    format!("{payment_url}?{}", query.join("&"))
}

/// What a callback says of the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    /// `24`: the citizen cancelled.
    Cancelled,
    Failed,
}

/// Paid only when both codes are `00`; `24` is a cancellation; any other
/// code a failure.
pub fn outcome(response_code: &str, transaction_status: &str) -> Outcome {
    match (response_code, transaction_status) {
        ("00", "00") => Outcome::Paid,
        ("24", _) => Outcome::Cancelled,
        _ => Outcome::Failed,
    }
}

/// The IPN's answers (`RspCode`, `Message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpnReply {
    Confirmed,
    OrderNotFound,
    AlreadyConfirmed,
    InvalidAmount,
    BadSignature,
    Other,
}

impl IpnReply {
    pub fn code(self) -> &'static str {
        match self {
            IpnReply::Confirmed => "00",
            IpnReply::OrderNotFound => "01",
            IpnReply::AlreadyConfirmed => "02",
            IpnReply::InvalidAmount => "04",
            IpnReply::BadSignature => "97",
            IpnReply::Other => "99",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            IpnReply::Confirmed => "Confirm Success",
            IpnReply::OrderNotFound => "Order not found",
            IpnReply::AlreadyConfirmed => "Order already confirmed",
            IpnReply::InvalidAmount => "Invalid amount",
            IpnReply::BadSignature => "Invalid signature",
            IpnReply::Other => "Unknown error",
        }
    }
    /// The JSON body VNPay expects.
    pub fn body(self) -> String {
        format!(
            "{{\"RspCode\":\"{}\",\"Message\":\"{}\"}}",
            self.code(),
            self.message()
        )
    }
}

/// The checks of an IPN, in VNPay's order, on what the store knows of the
/// order it names: signature → order → amount → not already confirmed.
pub fn check_ipn(
    signature_ok: bool,
    order_amount_vnd: Option<u64>,
    already_confirmed: bool,
    vnp_amount: &str,
) -> Result<(), IpnReply> {
    if !signature_ok {
        return Err(IpnReply::BadSignature);
    }
    let Some(amount) = order_amount_vnd else {
        return Err(IpnReply::OrderNotFound);
    };
    if vnp_amount.parse::<u128>().ok() != Some(u128::from(amount) * 100) {
        return Err(IpnReply::InvalidAmount);
    }
    if already_confirmed {
        return Err(IpnReply::AlreadyConfirmed);
    }
    Ok(())
}

/// QueryDR's `vnp_SecureHash`s: HMAC-SHA512 over fields joined by `|` in
/// the specified order — the request's `RequestId|Version|querydr|TmnCode|
/// TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo`, the answer's
/// `ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|
/// PayDate|TransactionNo|TransactionType|TransactionStatus|OrderInfo|
/// PromotionCode|PromotionAmount`.
pub fn pipe_hash(secret: &str, fields: &[&str]) -> String {
    hmac_sha512_hex(secret, &fields.join("|"))
}

/// An order's text as VNPay accepts it: diacritics folded away, only
/// `[A-Za-z0-9 .,:_-]` kept, at most 255 characters.
pub fn order_info(text: &str) -> String {
    crate::text::unaccent(text)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,:_-".contains(*c))
        .take(255)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The return/IPN fixture of the public reference client
    /// (lehuygiang28/vnpay, test/__helpers__/test-fixtures.ts,
    /// `DEFAULT_RETURN_QUERY_INPUT`, secret `test_secret`): its hash was made
    /// by that implementation, not by this code.
    #[test]
    fn the_reference_implementations_vector_verifies() {
        let p = pairs(&[
            ("vnp_Amount", "1000000"),
            ("vnp_BankCode", "NCB"),
            ("vnp_BankTranNo", "VNP14422574"),
            ("vnp_CardType", "ATM"),
            (
                "vnp_OrderInfo",
                "Thanh toan don hang 2024-05-21T02:17:31.249Z",
            ),
            ("vnp_PayDate", "20240521091806"),
            ("vnp_ResponseCode", "00"),
            ("vnp_TmnCode", "TEST_TMN_CODE"),
            ("vnp_TransactionNo", "14422574"),
            ("vnp_TransactionStatus", "00"),
            ("vnp_TxnRef", "1716257871703"),
            (
                "vnp_SecureHash",
                "649982421beb422556a1374713c74e58e716ecbd05007c0c0e1f7effdfaf361dbf146889ca446139afe11b9954c4d5c486e99e3b86fcfab6957f29eb0be72895",
            ),
        ]);
        assert!(verify("test_secret", &p));
        assert!(!verify("other_secret", &p));
        let mut forged = p.clone();
        forged[0].1 = "2000000".into();
        assert!(
            !verify("test_secret", &forged),
            "a changed amount breaks it"
        );
    }

    #[test]
    fn a_redirect_is_signed_over_its_sorted_encoded_parameters() {
        let r = PayRequest {
            tmn_code: "MYHIEP01",
            amount_vnd: 10_000,
            txn_ref: "TT26120800001",
            order_info: "Ho so 30112-261208-0001",
            create_date: "20261208090000",
            expire_date: "20261208091500",
            ip: "127.0.0.1",
            locale: "vn",
            return_url: "https://motcua.example/thanh-toan/vnpay/ket-qua",
        };
        let p = pay_params(&r, "s3cret");
        assert!(verify("s3cret", &p));
        let amount = p
            .iter()
            .find(|(k, _)| k == "vnp_Amount")
            .map(|(_, v)| v.as_str());
        assert_eq!(amount, Some("1000000"), "đồng × 100");
        let url = pay_url("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", &p);
        assert!(
            url.contains("vnp_OrderInfo=Ho+so+30112-261208-0001"),
            "{url}"
        );
        assert!(
            url.contains("vnp_ReturnUrl=https%3A%2F%2Fmotcua.example"),
            "{url}"
        );
    }

    #[test]
    fn ipn_checks_in_order_and_outcomes() {
        assert_eq!(
            check_ipn(false, Some(1), false, "100"),
            Err(IpnReply::BadSignature)
        );
        assert_eq!(
            check_ipn(true, None, false, "100"),
            Err(IpnReply::OrderNotFound)
        );
        assert_eq!(
            check_ipn(true, Some(1), false, "200"),
            Err(IpnReply::InvalidAmount)
        );
        assert_eq!(
            check_ipn(true, Some(1), true, "100"),
            Err(IpnReply::AlreadyConfirmed)
        );
        assert_eq!(check_ipn(true, Some(1), false, "100"), Ok(()));
        assert_eq!(
            IpnReply::AlreadyConfirmed.body(),
            r#"{"RspCode":"02","Message":"Order already confirmed"}"#
        );
        assert_eq!(outcome("00", "00"), Outcome::Paid);
        assert_eq!(outcome("00", "01"), Outcome::Failed);
        assert_eq!(outcome("24", "02"), Outcome::Cancelled);
        assert_eq!(outcome("51", "02"), Outcome::Failed);
        assert_eq!(
            order_info("Hồ sơ 30112: chứng thực"),
            "Ho so 30112: chung thuc"
        );
    }
}
