//! The outside systems a unit may connect and what each needs to know:
//! merchant codes, accounts, addresses, and the secrets (sealed at rest,
//! never shown back). 102 units of a province each have their own, so they
//! are data in the database, not environment variables. The adapters that
//! use them come with each capability; this list says what they will ask.

use crate::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    /// Sealed at rest, never shown back.
    pub secret: bool,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemSpec {
    pub code: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub fields: &'static [FieldSpec],
}

const fn field(
    key: &'static str,
    label_vi: &'static str,
    label_en: &'static str,
    secret: bool,
    required: bool,
) -> FieldSpec {
    FieldSpec {
        key,
        label_vi,
        label_en,
        secret,
        required,
    }
}

/// Every system a unit can configure (see INTEGRATIONS.md for the protocols).
pub const SYSTEMS: &[SystemSpec] = &[
    SystemSpec {
        code: "vnpay",
        name_vi: "Cổng thanh toán VNPay",
        name_en: "VNPay payment gateway",
        fields: &[
            field(
                "tmn_code",
                "Mã website (vnp_TmnCode)",
                "Terminal code (vnp_TmnCode)",
                false,
                true,
            ),
            field(
                "hash_secret",
                "Chuỗi bí mật (vnp_HashSecret)",
                "Hash secret (vnp_HashSecret)",
                true,
                true,
            ),
            field(
                "payment_url",
                "Địa chỉ thanh toán",
                "Payment URL",
                false,
                true,
            ),
            field(
                "api_url",
                "Địa chỉ tra cứu giao dịch (querydr)",
                "Query API URL (querydr)",
                false,
                true,
            ),
        ],
    },
    SystemSpec {
        code: "vietqr",
        name_vi: "Chuyển khoản VietQR (NAPAS)",
        name_en: "VietQR transfer (NAPAS)",
        fields: &[
            field("bank_bin", "Mã ngân hàng (BIN)", "Bank BIN", false, true),
            field("account_no", "Số tài khoản", "Account number", false, true),
            field("account_name", "Tên tài khoản", "Account name", false, true),
            field(
                "webhook_key",
                "Khóa xác thực thông báo của ngân hàng",
                "Bank notification key",
                true,
                true,
            ),
        ],
    },
    SystemSpec {
        code: "sms",
        name_vi: "Tin nhắn thương hiệu (SMS brandname)",
        name_en: "SMS brandname",
        fields: &[
            field("provider", "Nhà cung cấp", "Provider", false, true),
            field("brandname", "Tên thương hiệu", "Brandname", false, true),
            field("username", "Tài khoản", "Username", false, true),
            field("password", "Mật khẩu", "Password", true, true),
            field("endpoint", "Địa chỉ dịch vụ", "Endpoint", false, true),
        ],
    },
    SystemSpec {
        code: "zalo_zns",
        name_vi: "Zalo ZNS",
        name_en: "Zalo ZNS",
        fields: &[
            field("app_id", "App ID", "App ID", false, true),
            field(
                "app_secret",
                "Khóa bí mật ứng dụng",
                "App secret",
                true,
                true,
            ),
            field(
                "refresh_token",
                "Refresh token",
                "Refresh token",
                true,
                true,
            ),
        ],
    },
    // Not a connection: the symbols a unit registered for its electronic
    // receipts, printed on each one and kept with it as issued.
    SystemSpec {
        code: "receipts",
        name_vi: "Biên lai điện tử (ký hiệu đã đăng ký)",
        name_en: "Electronic receipts (registered symbols)",
        fields: &[
            field(
                "template_symbol",
                "Ký hiệu mẫu số biên lai",
                "Receipt template symbol",
                false,
                true,
            ),
            field("series", "Ký hiệu biên lai", "Receipt series", false, true),
        ],
    },
    SystemSpec {
        code: "national_portal",
        name_vi: "Cổng Dịch vụ công quốc gia (đồng bộ hồ sơ)",
        name_en: "National Public Service Portal (dossier sync)",
        fields: &[
            field(
                "unit_identifier",
                "Mã định danh đơn vị",
                "Unit identifier code",
                false,
                true,
            ),
            field("endpoint", "Địa chỉ dịch vụ", "Endpoint", false, true),
            field("client_id", "Tài khoản kết nối", "Client id", false, true),
            field(
                "client_secret",
                "Mật khẩu kết nối",
                "Client secret",
                true,
                true,
            ),
        ],
    },
];

pub fn system(code: &str) -> Option<&'static SystemSpec> {
    SYSTEMS.iter().find(|s| s.code == code)
}

impl SystemSpec {
    pub fn field(&self, key: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// Check one value a person sets: a known system and field, at most 2,000
/// characters, no control characters; an address must be http(s).
pub fn check_value(system_code: &str, key: &str, value: &str) -> Result<String, Problem> {
    let spec = system(system_code).ok_or_else(|| {
        Problem::invalid(
            "unknown_system",
            "system",
            format!("Không có hệ thống \"{system_code}\""),
        )
    })?;
    let f = spec.field(key).ok_or_else(|| {
        Problem::invalid(
            "unknown_field",
            key.to_string(),
            format!("{} không có trường \"{key}\"", spec.name_vi),
        )
    })?;
    let v = crate::text::nfc(value.trim());
    if v.is_empty() || v.chars().count() > 2000 || v.chars().any(char::is_control) {
        return Err(Problem::invalid(
            "bad_value",
            key.to_string(),
            format!(
                "{}: giá trị từ 1 đến 2.000 ký tự, không xuống dòng",
                f.label_vi
            ),
        ));
    }
    if (key == "endpoint" || key.ends_with("_url"))
        && !(v.starts_with("https://") || v.starts_with("http://"))
    {
        return Err(Problem::invalid(
            "bad_url",
            key.to_string(),
            format!("{}: phải là địa chỉ http(s)://…", f.label_vi),
        ));
    }
    Ok(v)
}

/// The required fields of `system_code` not among `set`.
pub fn missing<'a>(system_code: &str, set: &[&str]) -> Vec<&'a str>
where
    'static: 'a,
{
    system(system_code)
        .map(|s| {
            s.fields
                .iter()
                .filter(|f| f.required && !set.contains(&f.key))
                .map(|f| f.key)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_against_the_list() {
        assert_eq!(
            check_value("vnpay", "tmn_code", " ABC123 ").as_deref(),
            Ok("ABC123")
        );
        let code = |r: Result<String, Problem>| r.map_err(|p| p.code);
        assert_eq!(code(check_value("paypal", "x", "y")), Err("unknown_system"));
        assert_eq!(
            code(check_value("vnpay", "nope", "y")),
            Err("unknown_field")
        );
        assert_eq!(
            code(check_value("vnpay", "tmn_code", "a\nb")),
            Err("bad_value")
        );
        assert_eq!(
            code(check_value("vnpay", "payment_url", "ftp://x")),
            Err("bad_url")
        );
        assert_eq!(
            missing("vnpay", &["tmn_code", "payment_url"]),
            vec!["hash_secret", "api_url"]
        );
        // Every system it connects to has at least one secret (the receipt
        // symbols are no connection); every system has distinct keys.
        for s in SYSTEMS {
            assert!(
                s.code == "receipts" || s.fields.iter().any(|f| f.secret),
                "{}",
                s.code
            );
            let mut keys: Vec<_> = s.fields.iter().map(|f| f.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), s.fields.len(), "{}", s.code);
        }
    }
}
