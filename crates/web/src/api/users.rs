//! Accounts as their administrators see them: the failed sign-ins counted on
//! an account, per client, and clearing them (`signin::may_manage_account`).

use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiResult;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::signin::may_manage_account;
use motcua_store::User;
use serde_json::{Value, json};

/// The account, if the signed-in staff member may manage it; an account they
/// may not manage answers like an unknown one.
async fn managed(s: &AppState, actor: &User, username: &str) -> ApiResult<User> {
    let target = s.store.user_by_username(username).await?;
    match target {
        Some(t) if may_manage_account(&actor.roles, &actor.units, &t.units) => Ok(t),
        _ => Err(Problem::not_found("unknown_user", "Không có tài khoản này").into()),
    }
}

pub async fn sign_in_failures(
    State(s): State<AppState>,
    Staff(actor): Staff,
    Path(username): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let target = managed(&s, &actor, &username).await?;
    let rows = s.store.sign_in_failures(&target.username, s.now()).await?;
    let clients: Vec<Value> = rows
        .into_iter()
        .map(|(client, failures, until)| {
            json!({"client": client, "failures": failures, "blocked_until_ms": until})
        })
        .collect();
    Ok(axum::Json(
        json!({"username": target.username, "clients": clients}),
    ))
}

pub async fn clear_sign_in_failures(
    State(s): State<AppState>,
    Staff(actor): Staff,
    Path(username): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let target = managed(&s, &actor, &username).await?;
    let cleared = s.store.clear_sign_in_failures(&target.username).await?;
    tracing::info!(by = %actor.username, account = %target.username, cleared, "sign-in failures cleared");
    Ok(axum::Json(
        json!({"username": target.username, "cleared": cleared}),
    ))
}
