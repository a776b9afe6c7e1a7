use super::{BadJson, JsonExpected, Unauthorized};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, Staff, session_cookie, sign_in, token_hash};
use crate::error::ApiResult;
use crate::error::ErrorBody;
use crate::extract::Json;
use crate::limits::Limits;
use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::lifecycle::Role;
use motcua_store::User;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct Login {
    #[schema(example = "tiepnhan.myhiep")]
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// A signed-in staff member.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    username: String,
    full_name: String,
    roles: Vec<Role>,
    /// Units whose dossiers the user sees (an admin sees all).
    units: Vec<String>,
    #[schema(required)]
    province_code: Option<String>,
}

impl UserView {
    fn of(u: &User) -> Self {
        UserView {
            username: u.username.clone(),
            full_name: u.full_name.clone(),
            roles: u.roles.clone(),
            units: u.units.clone(),
            province_code: u.province_code.clone(),
        }
    }
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// Session token (64 hex digits) for `Authorization: Bearer`; the same value is set in the `motcua_session` cookie. Valid 12 hours.
    token: String,
    user: UserView,
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    operation_id = "signIn",
    tag = "session",
    summary = "Sign in (đăng nhập)",
    description = "Checks the password (Argon2id) and opens a 12-hour session: the token is set as the HttpOnly cookie `motcua_session` and returned for API clients to send as `Authorization: Bearer <token>`.",
    request_body(content = Login, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in.", body = Session, headers(("Set-Cookie" = String, description = "`motcua_session=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=43200`"))),
        (status = 400, response = BadJson),
        (status = 415, response = JsonExpected),
        (status = 401, description = "Wrong username or password, or the account is disabled — codes: `bad_credentials`", body = ErrorBody),
        (status = 422, response = BadJson),
    ),
)]
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
        axum::Json(Session {
            token,
            user: UserView::of(&user),
        }),
    )
        .into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    operation_id = "signOut",
    tag = "session",
    summary = "Sign out (đăng xuất)",
    description = "Ends the session given by the bearer token or the cookie, and clears the cookie. Always 204.",
    responses(
        (status = 204, description = "Signed out.", headers(("Set-Cookie" = String, description = "Clears `motcua_session` (Max-Age=0)."))),
    ),
    security((), ("bearerAuth" = []), ("sessionCookie" = [])),
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "session",
    summary = "Who am I",
    description = "The signed-in staff member.",
    responses(
        (status = 200, description = "The user.", body = UserView),
        (status = 401, response = Unauthorized),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn me(Staff(u): Staff) -> axum::Json<UserView> {
    axum::Json(UserView::of(&u))
}
