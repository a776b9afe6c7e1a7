//! Per-client rate limits (token buckets in memory) for the public lookup
//! and for signing in: guessing codes, keys or passwords gets slow.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The unit a client is counted as: its IPv4 address, or the /64 of an IPv6
/// one (a single subscriber commonly holds a whole /64).
pub fn client_net(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The same, as the text stored with what is counted per client.
pub fn client_key(ip: IpAddr) -> String {
    match client_net(ip) {
        IpAddr::V6(v6) => format!("{v6}/64"),
        v4 => v4.to_string(),
    }
}

pub struct RateLimiter {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` 0 turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            per_minute: f64::from(per_minute),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Take one token for `client`, or say in how many seconds to come back.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_key(&client_key(client))
    }

    /// The same for any requester: a client address or a signed-in account.
    pub fn check_key(&self, key: &str) -> Result<(), u64> {
        if self.per_minute <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let rate = self.per_minute / 60.0;
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        if map.len() > 50_000 {
            // Forget clients whose bucket has refilled: they lose nothing.
            let burst = self.burst;
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// At most `per_day` submissions per (requester, unit) and Vietnam day, so
/// one client cannot fill a unit's queue or use up its day's numbers.
pub struct DailyCap {
    per_day: u32,
    counts: Mutex<HashMap<(String, String), (time::Date, u32)>>,
}

impl DailyCap {
    pub fn new(per_day: u32) -> Self {
        DailyCap {
            per_day,
            counts: Mutex::default(),
        }
    }

    /// Count one for (`who`, `unit`) today, or refuse with the seconds until midnight.
    pub fn check(&self, who: &str, unit: &str, now: time::OffsetDateTime) -> Result<(), u64> {
        if self.per_day == 0 {
            return Ok(());
        }
        let local = now.to_offset(motcua_domain::calendar::VN_OFFSET);
        let today = local.date();
        let Ok(mut map) = self.counts.lock() else {
            return Ok(());
        };
        if map.len() > 50_000 {
            map.retain(|_, (day, _)| *day == today);
        }
        let entry = map
            .entry((who.to_string(), unit.to_string()))
            .or_insert((today, 0));
        if entry.0 != today {
            *entry = (today, 0);
        }
        if entry.1 >= self.per_day {
            let midnight = today.next_day().map(|d| {
                d.midnight()
                    .assume_offset(motcua_domain::calendar::VN_OFFSET)
            });
            let wait = midnight.map_or(3600, |m| (m - local).whole_seconds().max(1) as u64);
            return Err(wait);
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The limits of one server.
pub struct Limits {
    pub lookup: RateLimiter,
    pub login: RateLimiter,
    /// Uploads per requester (client address, or account when signed in).
    pub upload: RateLimiter,
    /// Online submissions per requester.
    pub submit: RateLimiter,
    /// Submissions per requester and unit and day.
    pub daily: DailyCap,
    /// Bytes of uploads not yet attached, per requester and in total.
    pub unattached_per_client: u64,
    pub unattached_total: u64,
    /// Header-read deadline, idle close and connection cap.
    pub connections: crate::serve::ConnLimits,
}

/// Who is counted for uploads and submissions: the signed-in account (a kiosk
/// device, staff), or else the client address (IPv6 by /64).
pub fn requester(client: IpAddr, account: Option<&str>) -> String {
    match account {
        Some(a) => format!("account:{a}"),
        None => client_key(client),
    }
}

impl Limits {
    /// The limits of the configuration (0 switches one off).
    pub fn from_settings(c: &motcua_app::config::LimitSettings) -> Self {
        let mb = |v: u32| u64::from(v).saturating_mul(1024 * 1024);
        let off_is_max = |b: u64| if b == 0 { u64::MAX } else { b };
        Limits {
            lookup: RateLimiter::new(c.lookups_per_minute, 30),
            login: RateLimiter::new(c.logins_per_minute, 10),
            upload: RateLimiter::new(c.uploads_per_minute, 20),
            submit: RateLimiter::new(c.submissions_per_minute, 3),
            daily: DailyCap::new(c.submissions_per_day),
            unattached_per_client: off_is_max(mb(c.unattached_mb_per_client)),
            unattached_total: off_is_max(mb(c.unattached_mb_total)),
            connections: crate::serve::ConnLimits {
                header_timeout: Duration::from_secs(u64::from(c.header_timeout_secs.max(1))),
                max_connections: c.max_connections.max(1) as usize,
                ..Default::default()
            },
        }
    }

    /// Without the limits on uploads and submissions: for a load that stands
    /// for many citizens behind one address (tests of the whole flow, benchmarks).
    pub fn without_intake_limits(mut self) -> Self {
        self.upload = RateLimiter::new(0, 1);
        self.submit = RateLimiter::new(0, 1);
        self.daily = DailyCap::new(0);
        self.unattached_per_client = u64::MAX;
        self.unattached_total = u64::MAX;
        self
    }

    /// The caps of unattached uploads for one requester.
    pub fn quota(&self, requester: String) -> motcua_store::uploads::UploadQuota {
        motcua_store::uploads::UploadQuota {
            client: requester,
            per_client_bytes: self.unattached_per_client,
            total_bytes: self.unattached_total,
        }
    }
}

/// An upload counted against its requester: the per-minute limit, then the
/// caps of unattached bytes (checked by the store before it writes).
pub async fn guarded_upload(
    store: &motcua_store::Store,
    limits: &Limits,
    who: String,
    bytes: &[u8],
    filename: Option<&str>,
    by: &str,
    now: time::OffsetDateTime,
) -> Result<motcua_store::DocumentMeta, motcua_store::StoreError> {
    limits
        .upload
        .check_key(&who)
        .map_err(|wait| motcua_store::StoreError::Problem(crate::auth::rate_limited(wait)))?;
    store
        .upload_from(bytes, filename, by, &limits.quota(who), now)
        .await
}

/// A submission counted against its requester: per minute, and per unit and day.
pub fn check_submission(
    limits: &Limits,
    who: &str,
    unit: &str,
    now: time::OffsetDateTime,
) -> Result<(), motcua_domain::Problem> {
    limits
        .submit
        .check_key(who)
        .map_err(crate::auth::rate_limited)?;
    limits.daily.check(who, unit, now).map_err(|wait| {
        motcua_domain::Problem::new(
            motcua_domain::ProblemKind::RateLimited,
            "daily_limit",
            "Máy này đã nộp nhiều hồ sơ cho đơn vị này trong hôm nay; vui lòng thử lại vào ngày mai hoặc đến Bộ phận Một cửa (daily limit reached)",
        )
        .with_retry_after(wait)
    })
}

/// "Try again later", as JSON for the API.
pub fn too_many_json(retry_after: u64) -> Response {
    let body = serde_json::json!({"error": {
        "code": "rate_limited",
        "message": format!("Bạn thao tác quá nhanh, vui lòng thử lại sau {retry_after} giây (too many requests)"),
        "field": null
    }});
    with_retry(
        retry_after,
        (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response(),
    )
}

pub fn with_retry(retry_after: u64, mut resp: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

pub const RETRY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_cap_counts_per_requester_and_unit_and_starts_again_tomorrow() {
        let cap = DailyCap::new(2);
        let noon = time::macros::datetime!(2026-12-03 12:00 +7);
        assert!(cap.check("1.2.3.4", "30112", noon).is_ok());
        assert!(cap.check("1.2.3.4", "30112", noon).is_ok());
        let wait = cap.check("1.2.3.4", "30112", noon).expect_err("capped");
        assert_eq!(wait, 12 * 3600);
        assert!(cap.check("1.2.3.4", "28261", noon).is_ok());
        assert!(cap.check("5.6.7.8", "30112", noon).is_ok());
        let tomorrow = time::macros::datetime!(2026-12-04 07:00 +7);
        assert!(cap.check("1.2.3.4", "30112", tomorrow).is_ok());
    }

    #[test]
    fn bucket_allows_a_burst_then_refuses() {
        let l = RateLimiter::new(60, 3);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(l.check(ip).is_ok() && l.check(ip).is_ok() && l.check(ip).is_ok());
        let wait = l.check(ip).expect_err("limited");
        assert!((1..=2).contains(&wait), "{wait}");
        // Another client is not affected; the same /64 is the same client.
        assert!(l.check([10, 0, 0, 2].into()).is_ok());
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(
            client_key(a),
            client_key("2001:db8:1:3::1".parse().expect("ip"))
        );
        // Off means off.
        let off = RateLimiter::new(0, 1);
        assert!((0..100).all(|_| off.check(ip).is_ok()));
    }
}
