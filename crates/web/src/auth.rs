//! Staff sign-in: the session token (see `motcua_app::credentials`) taken
//! from a cookie or an `Authorization: Bearer` header, and who it belongs to.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::User;
use std::time::Duration;
use time::OffsetDateTime;

pub const SESSION_COOKIE: &str = "motcua_session";
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

pub use motcua_app::credentials::{
    CredentialError, hash_password, new_token, token_hash, verify_password,
};

/// The token of an `Authorization: Bearer …` header (the scheme in any case, RFC 9110).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn token_from(parts: &Parts) -> Option<String> {
    if let Some(t) = bearer(&parts.headers) {
        return Some(t.to_string());
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// A signed-in staff member.
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            Problem::new(
                ProblemKind::Unauthorized,
                "unauthorized",
                "Vui lòng đăng nhập",
            )
        };
        let token = token_from(parts).ok_or_else(unauthorized)?;
        let user = state
            .store
            .session_user(&token_hash(&token), state.now())
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Staff(user))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match token_from(parts) {
            None => Ok(None),
            Some(token) => Ok(state
                .store
                .session_user(&token_hash(&token), state.now())
                .await?
                .map(Staff)),
        }
    }
}

/// A request on the citizen's side (lookup, citizen actions, submission,
/// rating): refused when it carries a valid staff session, so no officer
/// acts or rates in the citizen's name. A kiosk is a device, not a session.
pub struct Citizen;

pub fn staff_session_refused() -> Problem {
    Problem::forbidden(
        "staff_session",
        "Chức năng này dành cho người dân; cán bộ đang đăng nhập không dùng được, hãy đăng xuất (signed-in staff cannot act as a citizen)",
    )
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = token_from(parts)
            && state
                .store
                .session_user(&token_hash(&token), state.now())
                .await?
                .is_some()
        {
            return Err(staff_session_refused().into());
        }
        Ok(Citizen)
    }
}

/// A hash to verify against when the user is unknown, so both cases take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-for-timing").unwrap_or_default())
}

pub fn rate_limited(retry_after: u64) -> Problem {
    Problem::new(
        ProblemKind::RateLimited,
        "rate_limited",
        format!(
            "Bạn thao tác quá nhanh, vui lòng thử lại sau {retry_after} giây (too many requests)"
        ),
    )
    .with_retry_after(retry_after)
}

/// Sign a staff member in: per-client rate limit, a growing wait for a
/// client that keeps failing on one account (counted per client and account,
/// so nobody locks an officer out from elsewhere), Argon2id off the async
/// threads, a new session. Known and unknown usernames take the same path.
/// Returns the user and the session token.
pub async fn sign_in(
    store: &motcua_store::Store,
    limits: &crate::limits::Limits,
    client: std::net::IpAddr,
    username: &str,
    password: String,
    now: OffsetDateTime,
) -> Result<(User, String), ApiError> {
    limits.login.check(client).map_err(rate_limited)?;
    let username = username.trim();
    let client = crate::limits::client_key(client);
    let blocked_until = store.sign_in_blocked_until(&client, username, now).await?;
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    if blocked_until > now_ms {
        return Err(slowed(blocked_until - now_ms).into());
    }
    let user = store.user_by_username(username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Store(motcua_store::StoreError::Config(e.to_string())))?;
    let user = match user {
        Some(u) if ok && u.active => u,
        // Unknown and known accounts are counted alike: same answer, same work.
        _ => {
            store.record_sign_in(&client, username, false, now).await?;
            return Err(bad_credentials());
        }
    };
    store.record_sign_in(&client, username, true, now).await?;
    let token = new_token()
        .map_err(|e| ApiError::Store(motcua_store::StoreError::Config(e.to_string())))?;
    store
        .create_session(&token_hash(&token), user.id, now, SESSION_TTL)
        .await?;
    Ok((user, token))
}

/// Whether `password` is `username`'s, to confirm a weighty action (signing)
/// inside a session. A wrong one does not count toward the sign-in lockout:
/// the officer is already signed in; the per-client limit still slows guessing.
pub async fn confirm_password(
    store: &motcua_store::Store,
    limits: &crate::limits::Limits,
    client: std::net::IpAddr,
    username: &str,
    password: String,
) -> Result<bool, ApiError> {
    limits.login.check(client).map_err(rate_limited)?;
    let Some(user) = store.user_by_username(username).await? else {
        return Ok(false);
    };
    let hash = user.password_hash;
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Store(motcua_store::StoreError::Config(e.to_string())))
}

/// "This client failed too often on this account: wait", with the real wait.
fn slowed(wait_ms: i64) -> Problem {
    let seconds = u64::try_from(wait_ms.max(0))
        .unwrap_or(0)
        .div_ceil(1000)
        .max(1);
    let wait = if seconds >= 60 {
        format!("{} phút", seconds.div_ceil(60))
    } else {
        format!("{seconds} giây")
    };
    Problem::new(
        ProblemKind::RateLimited,
        "sign_in_slowed",
        format!(
            "Đăng nhập sai nhiều lần từ máy này; vui lòng chờ {wait} rồi thử lại (too many failed sign-ins from this device)"
        ),
    )
    .with_retry_after(seconds)
}

fn bad_credentials() -> ApiError {
    Problem::new(
        ProblemKind::Unauthorized,
        "bad_credentials",
        "Tên đăng nhập hoặc mật khẩu không đúng",
    )
    .into()
}

/// The session cookie for a new token.
pub fn session_cookie(token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    )
}

/// The client's address (the TCP peer; a reverse proxy must be trusted explicitly, see SECURITY.md).
pub fn client_ip(parts: &axum::http::Extensions) -> std::net::IpAddr {
    parts
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}
