//! Accounts as their administrators see them: the failed sign-ins counted on
//! an account, per client, and clearing them (`signin::may_manage_account`).

use super::Unauthorized;
use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::error::ErrorBody;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::signin::may_manage_account;
use motcua_store::User;
use serde::Serialize;
use utoipa::ToSchema;

/// The account, if the signed-in staff member may manage it; an account they
/// may not manage answers like an unknown one.
async fn managed(s: &AppState, actor: &User, username: &str) -> ApiResult<User> {
    let target = s.store.user_by_username(username).await?;
    match target {
        Some(t) if may_manage_account(&actor.roles, &actor.units, &t.units) => Ok(t),
        _ => Err(Problem::not_found("unknown_user", "Không có tài khoản này").into()),
    }
}

/// Failed sign-ins counted on an account from one client.
#[derive(Serialize, ToSchema)]
pub struct ClientFailures {
    /// The client: its network address.
    client: String,
    failures: i64,
    /// Until when (Unix milliseconds) sign-in from this client is refused; in the past when not blocked.
    blocked_until_ms: i64,
}

/// The failed sign-ins counted on an account, per client.
#[derive(Serialize, ToSchema)]
pub struct SignInFailures {
    username: String,
    clients: Vec<ClientFailures>,
}

/// What clearing removed.
#[derive(Serialize, ToSchema)]
pub struct FailuresCleared {
    username: String,
    /// How many counters were removed.
    cleared: u64,
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{username}/sign-in-failures",
    operation_id = "signInFailures",
    tag = "session",
    summary = "Failed sign-ins counted on an account",
    description = "Per client address (IPv6 by /64): how many failures in a row and until when that client must wait. For the system administrator, or a unit administrator for the accounts of their units; any other account answers 404.",
    params(("username" = String, Path)),
    responses(
        (status = 200, description = "The clients with remembered failures.", body = SignInFailures),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Unknown account, or one the caller may not manage.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn sign_in_failures(
    State(s): State<AppState>,
    Staff(actor): Staff,
    Path(username): Path<String>,
) -> ApiResult<axum::Json<SignInFailures>> {
    let target = managed(&s, &actor, &username).await?;
    let rows = s.store.sign_in_failures(&target.username, s.now()).await?;
    let clients = rows
        .into_iter()
        .map(|(client, failures, until)| ClientFailures {
            client,
            failures,
            blocked_until_ms: until,
        })
        .collect();
    Ok(axum::Json(SignInFailures {
        username: target.username,
        clients,
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{username}/sign-in-failures",
    operation_id = "clearSignInFailures",
    tag = "session",
    summary = "Clear the failed sign-ins of an account",
    description = "Every client may try again at once. Same permission as reading them.",
    params(("username" = String, Path)),
    responses(
        (status = 200, description = "How many clients were cleared.", body = FailuresCleared),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Unknown account, or one the caller may not manage.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn clear_sign_in_failures(
    State(s): State<AppState>,
    Staff(actor): Staff,
    Path(username): Path<String>,
) -> ApiResult<axum::Json<FailuresCleared>> {
    let target = managed(&s, &actor, &username).await?;
    let cleared = s.store.clear_sign_in_failures(&target.username).await?;
    tracing::info!(by = %actor.username, account = %target.username, cleared, "sign-in failures cleared");
    Ok(axum::Json(FailuresCleared {
        username: target.username,
        cleared,
    }))
}
