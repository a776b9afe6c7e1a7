//! The system administrator's view of what anonymous clients left behind:
//! unattached uploads per client and in total, the caps, and the last purge
//! (`/can-bo/tai-len-chua-dung`). No dossier contents here.

use super::{Ctx, PageError, PageResult, render};
use crate::AppState;
use crate::limits::Limits;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Extension, Router};
use motcua_domain::Problem;
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new().route("/can-bo/tai-len-chua-dung", get(unattached))
}

#[derive(Template)]
#[template(path = "admin_uploads.html")]
struct UploadsPage {
    c: Ctx,
    total: String,
    total_files: i64,
    per_client_cap: String,
    total_cap: String,
    clients: Vec<(String, String, i64)>,
    last_purge: Option<String>,
}

fn size(bytes: u64) -> String {
    if bytes == u64::MAX {
        "không giới hạn".to_string()
    } else {
        motcua_store::human_size(usize::try_from(bytes).unwrap_or(usize::MAX))
    }
}

async fn unattached(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(
            Redirect::to(&format!("/dang-nhap?next={}", super::url_encode(&c.path)))
                .into_response(),
        );
    };
    if !user.staff().may_administer_system() {
        return Err(PageError::new(
            c.lang,
            Problem::forbidden("forbidden", "Chỉ quản trị hệ thống xem được trang này").into(),
        ));
    }
    let usage = s.store.unattached_usage().await?;
    let last_purge = s.store.last_unattached_purge().map(|p| {
        format!(
            "{}: {} tệp, {} ({} tệp dữ liệu đã xóa)",
            motcua_domain::calendar::format_vn(p.at),
            p.files,
            size(p.bytes),
            p.blobs
        )
    });
    render(&UploadsPage {
        total: size(usage.total_bytes.max(0) as u64),
        total_files: usage.total_files,
        per_client_cap: size(limits.unattached_per_client),
        total_cap: size(limits.unattached_total),
        clients: usage
            .clients
            .into_iter()
            .map(|(client, bytes, files)| (client, size(bytes.max(0) as u64), files))
            .collect(),
        last_purge,
        c,
    })
}
