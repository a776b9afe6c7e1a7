//! Official documents through the API: a dossier's forms as PDF and a
//! unit's register as PDF or CSV, with the same visibility as the dossier.

use super::Unauthorized;
use crate::AppState;
use crate::auth::Staff;
use crate::documents::{self, RegisterQuery};
use crate::error::ApiResult;
use crate::error::ErrorBody;
use crate::extract::Query;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use motcua_documents::Form;
use motcua_domain::Problem;
use serde::Deserialize;
use utoipa::IntoParams;

#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/forms/{form}",
    operation_id = "getDossierForm",
    tag = "documents",
    summary = "A form of Circular 01/2018/TT-VPCP for a dossier, as PDF",
    description = "`01` receipt and appointment (A4, with a QR code to the public lookup), `01-80mm` the same receipt for an 80 mm thermal printer, `02` supplement request, `03` refusal (at intake or of the request), `04` apology with the new date, `05` processing control sheet (every step, who handed to whom, when, due, on time or late, and the delivery of the result); 01–05 are laid out on A5. The control sheet was `06` before the forms were numbered as in Circular 01/2018 (where 06 is the register): `06` answers 410 `form_renumbered` for one release. Filled from the dossier and its events, dates in Vietnam time. Same visibility as the dossier; the read is logged. The QR code points at `MOTCUA_PUBLIC_URL` when set, else the address used.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), ("form" = String, Path, description = "Which form.")),
    responses(
        (status = 200, description = "The form.", content((String = "application/pdf"))),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Unknown code or form, or not of the caller's units — codes: `dossier_not_found`, `form_not_found`", body = ErrorBody),
        (status = 409, description = "The form does not apply to the dossier in its present history (e.g. 03 for a dossier never refused) — codes: `form_not_applicable`", body = ErrorBody),
        (status = 410, description = "A form number of an earlier release, now another form — codes: `form_renumbered` (the message names the new number)", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn form(
    State(s): State<AppState>,
    Staff(user): Staff,
    headers: HeaderMap,
    Path((code, form)): Path<(String, String)>,
) -> ApiResult<Response> {
    let slug = form.trim_end_matches(".pdf");
    if let Some(moved) = Form::renumbered_from(slug) {
        return Err(Problem::new(
            motcua_domain::ProblemKind::Gone,
            "form_renumbered",
            format!(
                "Mẫu {slug} nay là Sổ theo dõi hồ sơ (theo Thông tư 01/2018/TT-VPCP); {} là Mẫu {}: /api/v1/dossiers/{code}/forms/{}",
                "Phiếu kiểm soát quá trình giải quyết hồ sơ",
                moved.slug(),
                moved.slug()
            ),
        )
        .with_field("form")
        .into());
    }
    let form = Form::from_slug(slug)
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterParams {
    /// Unit code (required).
    #[param(example = "30112")]
    unit: Option<String>,
    /// First day, `YYYY-MM-DD` (required).
    #[param(format = Date)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (required).
    #[param(format = Date)]
    to: Option<String>,
    /// `pdf` (default) or `csv`.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/register",
    operation_id = "getRegister",
    tag = "documents",
    summary = "The dossier register (Mẫu 06) of a unit for a period, as PDF or CSV",
    description = "Dossiers of the unit submitted between `from` and `to` (Vietnam dates, inclusive, at most 366 days): code, procedure, applicant, address and phone, reception, appointment, result, return, status, late or not, delivery. PDF on A4 landscape, or CSV in UTF-8 with a byte-order mark and Vietnamese headers. Only units the caller works for; the read is logged.",
    params(RegisterParams),
    responses(
        (status = 200, description = "The register.", content((String = "application/pdf"), (String = "text/csv"))),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Not a unit of the caller — codes: `unit_not_found`", body = ErrorBody),
        (status = 422, description = "Bad or missing parameter — codes: `unit_required`, `bad_date`, `bad_period`, `period_too_long`, `bad_format`, `register_too_large`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
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
