use crate::AppState;
use crate::auth::{SESSION_COOKIE, Staff, session_cookie, sign_in, token_hash};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::limits::Limits;
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_store::User;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

fn user_json(u: &User) -> serde_json::Value {
    json!({ "username": u.username, "full_name": u.full_name, "roles": u.roles, "units": u.units, "province_code": u.province_code })
}

pub async fn login(
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<Login>,
) -> ApiResult<Response> {
    let (user, token) = sign_in(
        &s.store,
        &limits,
        peer.ip(),
        &body.username,
        body.password,
        s.now(),
    )
    .await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&token)) {
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
    let bearer = crate::auth::bearer(&headers);
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
