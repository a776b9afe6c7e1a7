//! Printable official documents for officers: each form of a dossier as
//! PDF (`/can-bo/ho-so/{code}/mau/{01|01-80mm|02|03|04|05}.pdf`) and the
//! dossier register (Mẫu 06) of a unit for a period (`/can-bo/so-theo-doi`,
//! PDF or CSV). The control sheet was `06.pdf` before the forms were
//! numbered as in Circular 01/2018: that address redirects for good. Same rule as the dossier page: only dossiers of the officer's
//! units, anything else is the same 404 as an unknown code; every read of
//! personal data is logged.

use super::office::unit_choices;
use super::{Ctx, PageError, PageResult, render};
use crate::AppState;
use crate::documents::{self, RegisterQuery};
use crate::extract::Query;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use motcua_documents::Form;
use motcua_domain::Problem;
use motcua_domain::calendar::VN_OFFSET;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/can-bo/ho-so/{code}/mau/{file}", get(form_pdf))
        .route("/can-bo/so-theo-doi", get(register))
}

use super::sign_in;

use super::dossier_not_found as not_found;

async fn form_pdf(
    c: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((code, file)): Path<(String, String)>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    if let Some(form) = file.strip_suffix(".pdf").and_then(Form::renumbered_from) {
        let to = format!(
            "/can-bo/ho-so/{}/mau/{}.pdf",
            super::url_encode(&code),
            form.slug()
        );
        // 301, as bookmarks and printed links expect of a moved address.
        return Ok((
            StatusCode::MOVED_PERMANENTLY,
            [(axum::http::header::LOCATION, to)],
        )
            .into_response());
    }
    if file == DECLARATION_PDF {
        return declaration_pdf(&s, lang, &user, &headers, &code).await;
    }
    let form = file
        .strip_suffix(".pdf")
        .and_then(Form::from_slug)
        .ok_or_else(|| {
            PageError::new(
                lang,
                Problem::not_found("form_not_found", "Không có mẫu văn bản này").into(),
            )
        })?;
    let rec = match s
        .store
        .dossier(code.trim())
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
    {
        Some(rec) if user.reads_dossiers_of(&rec.row.unit_code) => rec,
        _ => return Err(not_found(lang)),
    };
    s.store
        .log_access(
            &user.username,
            &rec.row.code,
            &format!("page:form:{}", form.slug()),
            s.now(),
        )
        .await
        .map_err(|e| PageError::new(lang, e.into()))?;
    let name = format!("mau-{}-{}.pdf", form.slug(), rec.row.code);
    let bytes = documents::render_form(
        &s,
        rec,
        form,
        documents::public_base(&s, &headers),
        &user.username,
    )
    .await
    .map_err(|e| PageError::new(lang, e))?;
    Ok(documents::file_response(bytes, "application/pdf", &name))
}

/// The file name of the printed declaration beside the forms.
pub(super) const DECLARATION_PDF: &str = "to-khai.pdf";

/// The dossier's declaration as answered, printed for the citizen to sign.
async fn declaration_pdf(
    s: &AppState,
    lang: super::Lang,
    user: &motcua_store::User,
    headers: &HeaderMap,
    code: &str,
) -> PageResult {
    let rec = match s
        .store
        .dossier(code.trim())
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
    {
        Some(rec) if user.reads_dossiers_of(&rec.row.unit_code) => rec,
        _ => return Err(not_found(lang)),
    };
    s.store
        .log_access(&user.username, &rec.row.code, "page:form:to-khai", s.now())
        .await
        .map_err(|e| PageError::new(lang, e.into()))?;
    let name = format!("to-khai-{}.pdf", rec.row.code);
    let bytes = motcua_app::forms::render_declaration(
        &s.store,
        rec,
        documents::public_base(s, headers),
        s.now(),
    )
    .await
    .map_err(|e| PageError::new(lang, e.into()))?
    .ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found(
                "declaration_not_found",
                "Hồ sơ không có tờ khai điện tử (tờ khai nộp bằng giấy hoặc tệp)",
            )
            .into(),
        )
    })?;
    Ok(documents::file_response(bytes, "application/pdf", &name))
}

#[derive(Deserialize)]
struct RegisterParams {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

struct UnitChoice {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "office_register.html")]
struct RegisterPage {
    c: Ctx,
    units: Vec<UnitChoice>,
    from: String,
    to: String,
    csv: bool,
    error: Option<String>,
    error_field: String,
}

async fn register(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<RegisterParams>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let mut problem = None;
    if q.unit.is_some() || q.from.is_some() || q.to.is_some() {
        match RegisterQuery::parse(
            &user,
            q.unit.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            q.format.as_deref(),
        ) {
            Ok(rq) => match documents::register(&s, &user, &rq).await {
                Ok(resp) => return Ok(resp),
                Err(crate::error::ApiError::Problem(p)) => problem = Some(p),
                Err(e) => return Err(PageError::new(lang, e)),
            },
            Err(p) if p.code == "unit_not_found" => {
                return Err(PageError::new(lang, p.into()));
            }
            Err(p) => problem = Some(p),
        }
    }
    let today = s.now().to_offset(VN_OFFSET).date();
    let first = today.replace_day(1).unwrap_or(today);
    let units = unit_choices(&s, &user)
        .await
        .map_err(|e| PageError::new(lang, e.into()))?;
    let chosen = q.unit.clone().unwrap_or_default();
    let page = RegisterPage {
        units: units
            .into_iter()
            .map(|(code, name)| UnitChoice {
                checked: code == chosen,
                label: format!("{name} ({code})"),
                value: code,
            })
            .collect(),
        from: q.from.clone().unwrap_or_else(|| first.to_string()),
        to: q.to.clone().unwrap_or_else(|| today.to_string()),
        csv: q.format.as_deref() == Some("csv"),
        error: problem.as_ref().map(|p| p.message.clone()),
        error_field: problem
            .as_ref()
            .and_then(|p| p.field.clone())
            .unwrap_or_default(),
        c,
    };
    let mut resp = render(&page)?;
    if problem.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}
