use crate::AppState;
use crate::auth::{
    SESSION_COOKIE, SESSION_TTL, Staff, hash_password, new_token, token_hash, verify_password,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{StoreError, User};
use serde::Deserialize;
use serde_json::json;
use std::sync::OnceLock;
use time::OffsetDateTime;

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

fn user_json(u: &User) -> serde_json::Value {
    json!({ "username": u.username, "full_name": u.full_name, "roles": u.roles, "units": u.units, "province_code": u.province_code })
}

/// A hash to verify against when the user is unknown, so both cases take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-for-timing").unwrap_or_default())
}

pub async fn login(State(s): State<AppState>, Json(body): Json<Login>) -> ApiResult<Response> {
    let user = s.store.user_by_username(body.username.trim()).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Store(StoreError::Config(e.to_string())))?;
    let user = match user {
        Some(u) if ok && u.active => u,
        _ => {
            return Err(Problem::new(
                ProblemKind::Unauthorized,
                "bad_credentials",
                "Tên đăng nhập hoặc mật khẩu không đúng",
            )
            .into());
        }
    };
    let token = new_token().map_err(|e| ApiError::Store(StoreError::Config(e.to_string())))?;
    s.store
        .create_session(
            &token_hash(&token),
            user.id,
            OffsetDateTime::now_utc(),
            SESSION_TTL,
        )
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    );
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, v);
    }
    Ok((
        StatusCode::OK,
        headers,
        axum::Json(json!({ "token": token, "user": user_json(&user) })),
    )
        .into_response())
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v);
    if let Some(token) = bearer.or(cookie) {
        s.store.delete_session(&token_hash(token.trim())).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

pub async fn me(Staff(u): Staff) -> axum::Json<serde_json::Value> {
    axum::Json(user_json(&u))
}
