//! How the result reaches the applicant: downloaded online, collected at
//! the counter, or sent by post (with the postal address and, once known,
//! the tracking number). Recorded in the data of the return event.

use crate::Problem;
use crate::text::nfc;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "How the result reaches the applicant: download online, at the counter, or by post."
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    Online,
    Counter,
    Post,
}

impl DeliveryMethod {
    pub const ALL: [DeliveryMethod; 3] = [
        DeliveryMethod::Online,
        DeliveryMethod::Counter,
        DeliveryMethod::Post,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMethod::Online => "online",
            DeliveryMethod::Counter => "counter",
            DeliveryMethod::Post => "post",
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            DeliveryMethod::Online => "Nhận kết quả trực tuyến (tải về)",
            DeliveryMethod::Counter => "Nhận trực tiếp tại Bộ phận Một cửa",
            DeliveryMethod::Post => "Gửi qua dịch vụ bưu chính",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            DeliveryMethod::Online => "Download online",
            DeliveryMethod::Counter => "Collected at the counter",
            DeliveryMethod::Post => "Sent by post",
        }
    }
}

/// How a result is returned unless the officer says otherwise: the way the
/// citizen asked for at submission; else online when a signed electronic
/// result exists (nobody needs to travel for it); else at the counter.
pub fn default_return(asked: Option<DeliveryMethod>, signed_result: bool) -> DeliveryMethod {
    match asked {
        Some(m) => m,
        None if signed_result => DeliveryMethod::Online,
        None => DeliveryMethod::Counter,
    }
}

/// A validated delivery choice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub method: DeliveryMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}

fn given(raw: Option<&str>) -> Option<String> {
    raw.map(nfc)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Delivery {
    /// Check an officer's choice. No method means the counter (the default
    /// of a one-stop center); post needs an address; the address and the
    /// tracking number only mean something for post and are dropped otherwise.
    pub fn validate(
        method: Option<&str>,
        postal_address: Option<&str>,
        tracking_number: Option<&str>,
    ) -> Result<Delivery, Problem> {
        let method = match given(method).as_deref() {
            None => DeliveryMethod::Counter,
            Some(m) => DeliveryMethod::ALL
                .into_iter()
                .find(|d| d.as_str() == m)
                .ok_or_else(|| {
                    Problem::invalid(
                        "bad_delivery",
                        "delivery",
                        "Hình thức trả kết quả phải là online, counter hoặc post",
                    )
                })?,
        };
        if method != DeliveryMethod::Post {
            return Ok(Delivery {
                method,
                postal_address: None,
                tracking_number: None,
            });
        }
        let address = given(postal_address).ok_or_else(|| {
            Problem::invalid(
                "postal_address_required",
                "postal_address",
                "Gửi qua bưu chính cần địa chỉ nhận",
            )
        })?;
        if !(5..=300).contains(&address.chars().count()) {
            return Err(Problem::invalid(
                "bad_postal_address",
                "postal_address",
                "Địa chỉ nhận phải có từ 5 đến 300 ký tự",
            ));
        }
        let tracking = given(tracking_number);
        if let Some(t) = &tracking
            && (t.len() > 40
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' '))
        {
            return Err(Problem::invalid(
                "bad_tracking_number",
                "tracking_number",
                "Mã bưu gửi chỉ gồm chữ, số và dấu gạch ngang, tối đa 40 ký tự",
            ));
        }
        Ok(Delivery {
            method,
            postal_address: Some(address),
            tracking_number: tracking,
        })
    }

    /// The choice recorded in a return event's data, if any.
    pub fn from_payload(payload: &crate::payload::Payload) -> Option<Delivery> {
        payload.delivery.clone()
    }

    /// In words, Vietnamese: "Gửi qua dịch vụ bưu chính — địa chỉ: …; mã bưu gửi: …".
    pub fn words_vi(&self) -> String {
        let mut s = self.method.label_vi().to_string();
        if let Some(a) = &self.postal_address {
            s.push_str(" — địa chỉ nhận: ");
            s.push_str(a);
        }
        if let Some(t) = &self.tracking_number {
            s.push_str("; mã bưu gửi: ");
            s.push_str(t);
        }
        s
    }

    pub fn words_en(&self) -> String {
        let mut s = self.method.label_en().to_string();
        if let Some(a) = &self.postal_address {
            s.push_str(" — address: ");
            s.push_str(a);
        }
        if let Some(t) = &self.tracking_number {
            s.push_str("; tracking number: ");
            s.push_str(t);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_goes_back_the_way_asked_else_online_when_signed() {
        use DeliveryMethod::*;
        assert_eq!(default_return(Some(Post), true), Post);
        assert_eq!(default_return(Some(Counter), true), Counter);
        assert_eq!(default_return(None, true), Online);
        assert_eq!(default_return(None, false), Counter);
    }

    #[test]
    fn post_needs_an_address() {
        let e = Delivery::validate(Some("post"), None, None).expect_err("no address");
        assert_eq!(e.code, "postal_address_required");
        assert_eq!(e.field.as_deref(), Some("postal_address"));
        let e = Delivery::validate(Some("post"), Some("   "), None).expect_err("blank");
        assert_eq!(e.code, "postal_address_required");
        let d = Delivery::validate(
            Some("post"),
            Some("Ấp 3, xã Mỹ Hiệp, tỉnh Đồng Tháp"),
            Some("EB123456789VN"),
        )
        .expect("valid");
        assert_eq!(d.method, DeliveryMethod::Post);
        assert_eq!(d.tracking_number.as_deref(), Some("EB123456789VN"));
        assert!(d.words_vi().contains("Mỹ Hiệp"));
    }

    #[test]
    fn default_is_counter_and_unknown_is_refused() {
        let d = Delivery::validate(None, Some("ignored"), None).expect("default");
        assert_eq!(d.method, DeliveryMethod::Counter);
        assert_eq!(d.postal_address, None);
        let e = Delivery::validate(Some("pigeon"), None, None).expect_err("unknown");
        assert_eq!(e.code, "bad_delivery");
        let e = Delivery::validate(Some("post"), Some("Ấp 3, Mỹ Hiệp"), Some("<script>"))
            .expect_err("tracking");
        assert_eq!(e.code, "bad_tracking_number");
    }

    #[test]
    fn round_trips_through_event_data() {
        let d = Delivery::validate(Some("online"), None, None).expect("online");
        let payload = crate::payload::Payload {
            delivery: Some(d.clone()),
            ..Default::default()
        };
        assert_eq!(Delivery::from_payload(&payload), Some(d));
        assert_eq!(Delivery::from_payload(&Default::default()), None);
    }
}
