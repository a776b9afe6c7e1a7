//! Official documents through the API: a dossier's forms as PDF and a
//! unit's register as PDF or CSV, with the same visibility as the dossier.

use crate::AppState;
use crate::auth::Staff;
use crate::documents::{self, RegisterQuery};
use crate::error::ApiResult;
use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use motcua_documents::Form;
use motcua_domain::Problem;
use serde::Deserialize;

pub async fn form(
    State(s): State<AppState>,
    Staff(user): Staff,
    headers: HeaderMap,
    Path((code, form)): Path<(String, String)>,
) -> ApiResult<Response> {
    let form = Form::from_slug(form.trim_end_matches(".pdf"))
        .ok_or_else(|| Problem::not_found("form_not_found", "Không có mẫu văn bản này"))?;
    let rec = s
        .store
        .dossier(&code)
        .await?
        .filter(|r| user.reads_dossiers_of(&r.row.unit_code))
        .ok_or_else(|| Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ"))?;
    s.store
        .log_access(
            &user.username,
            &rec.row.code,
            &format!("api:form:{}", form.slug()),
            s.now(),
        )
        .await?;
    let name = format!("mau-{}-{}.pdf", form.slug(), rec.row.code);
    let bytes = documents::render_form(
        &s,
        rec,
        form,
        documents::public_base(&s, &headers),
        &user.username,
    )
    .await?;
    Ok(documents::file_response(bytes, "application/pdf", &name))
}

#[derive(Deserialize)]
pub struct RegisterParams {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

pub async fn register(
    State(s): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<RegisterParams>,
) -> ApiResult<Response> {
    let rq = RegisterQuery::parse(
        &user,
        q.unit.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.format.as_deref(),
    )?;
    documents::register(&s, &user, &rq).await
}
