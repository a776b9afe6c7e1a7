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
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
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
        let (tokens, at) = map.entry(client_net(client)).or_insert((self.burst, now));
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

/// The limits of one server.
pub struct Limits {
    pub lookup: RateLimiter,
    pub login: RateLimiter,
}

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Limits {
    /// Defaults, or `MOTCUA_LOOKUP_PER_MINUTE` / `MOTCUA_LOGIN_PER_MINUTE` (0 = off).
    pub fn from_env() -> Self {
        Limits {
            lookup: RateLimiter::new(env_u32("MOTCUA_LOOKUP_PER_MINUTE", 60), 30),
            login: RateLimiter::new(env_u32("MOTCUA_LOGIN_PER_MINUTE", 10), 10),
        }
    }
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
    fn bucket_allows_a_burst_then_refuses() {
        let l = RateLimiter::new(60, 3);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(l.check(ip).is_ok() && l.check(ip).is_ok() && l.check(ip).is_ok());
        let wait = l.check(ip).expect_err("limited");
        assert!((1..=2).contains(&wait), "{wait}");
        // Another client is not affected.
        assert!(l.check([10, 0, 0, 2].into()).is_ok());
        // Off means off.
        let off = RateLimiter::new(0, 1);
        assert!((0..100).all(|_| off.check(ip).is_ok()));
    }
}
