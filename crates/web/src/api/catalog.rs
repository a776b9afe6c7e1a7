use super::BadQuery;
use crate::AppState;
use crate::error::ApiResult;
use crate::error::ErrorBody;
use crate::extract::Query;
use axum::Json;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::catalog::Procedure;
use motcua_domain::text::fold;
use motcua_domain::units::{Province, Unit};
use serde::Deserialize;
use utoipa::IntoParams;

#[utoipa::path(
    get,
    path = "/api/v1/provinces",
    operation_id = "listProvinces",
    tag = "catalog",
    summary = "List provinces",
    description = "The 34 provinces and cities (tỉnh, thành phố) after 1 July 2025.",
    responses(
        (status = 200, description = "Provinces.", body = Vec<Province>),
    ),
)]
pub async fn provinces(State(s): State<AppState>) -> ApiResult<Json<Vec<Province>>> {
    Ok(Json(s.store.provinces().await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Province code.
    #[param(example = "82")]
    province: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/units",
    operation_id = "listUnits",
    tag = "catalog",
    summary = "List commune-level units",
    description = "Communes, wards and special zones (xã, phường, đặc khu), optionally of one province, e.g. 102 units for Đồng Tháp (82).",
    params(UnitQuery),
    responses(
        (status = 200, description = "Units.", body = Vec<Unit>),
        (status = 422, response = BadQuery),
    ),
)]
pub async fn units(
    State(s): State<AppState>,
    Query(q): Query<UnitQuery>,
) -> ApiResult<Json<Vec<Unit>>> {
    Ok(Json(s.store.units(q.province.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// Words of the name, with or without diacritics.
    #[param(example = "dang ky khai sinh")]
    q: Option<String>,
    /// Field (lĩnh vực), diacritics ignored.
    #[param(example = "Hộ tịch")]
    field: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/procedures",
    operation_id = "listProcedures",
    tag = "catalog",
    summary = "List and search procedures",
    description = "Procedures currently offered (thủ tục hành chính). `q` matches every word in the name, ignoring diacritics and đ/d: `dang ky khai sinh` finds \"Đăng ký khai sinh\".",
    params(ProcedureQuery),
    responses(
        (status = 200, description = "Matching procedures, in catalog order.", body = Vec<Procedure>),
        (status = 422, response = BadQuery),
    ),
)]
pub async fn procedures(
    State(s): State<AppState>,
    Query(q): Query<ProcedureQuery>,
) -> ApiResult<Json<Vec<Procedure>>> {
    let words: Vec<String> =
        q.q.as_deref()
            .map(fold)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
    let field = q.field.as_deref().map(fold);
    let list = s
        .store
        .procedures()
        .await?
        .into_iter()
        .filter(|p| {
            let name = p.folded_name();
            words.iter().all(|w| name.contains(w.as_str()))
                && field.as_ref().is_none_or(|f| &fold(&p.field) == f)
        })
        .collect();
    Ok(Json(list))
}

#[utoipa::path(
    get,
    path = "/api/v1/procedures/{code}",
    operation_id = "getProcedure",
    tag = "catalog",
    summary = "One procedure",
    description = "A procedure with its processing time, fee and documents; retired procedures are still shown for old dossiers.",
    params(("code" = String, Path, description = "Procedure code.", example = "HT-KS")),
    responses(
        (status = 200, description = "The procedure.", body = Procedure),
        (status = 404, description = "No such procedure — codes: `procedure_not_found`", body = ErrorBody),
    ),
)]
pub async fn procedure(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Procedure>> {
    match s.store.procedure(&code).await? {
        Some((p, _)) => Ok(Json(p)),
        None => Err(Problem::not_found(
            "procedure_not_found",
            format!("Không có thủ tục mã \"{code}\""),
        )
        .into()),
    }
}

/// A procedure's declaration as JSON Schema: the answers a submission's
/// `fields` carries.
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{code}/declaration",
    operation_id = "getDeclaration",
    tag = "catalog",
    summary = "A procedure's declaration (tờ khai) as JSON Schema",
    description = "The questions of the procedure's declaration as a JSON Schema (draft 2020-12): every answer is a string (dates `YYYY-MM-DD`, choices by value, yes/no `co`/`khong`, counts in digits); questions asked only under a condition are `if`/`then` rules. A submission (`POST /api/v1/dossiers`, `POST /api/v1/counter/dossiers`) sends the answers as `fields`; they are checked against the declaration (422 with the path `fields.<key>`: a day that does not exist, a name with digits, a personal number that does not match the birth date…). Sent empty, the declaration is the paper or scanned form among the documents. The schema's contents differ per procedure, so it is described here generically.",
    params(("code" = String, Path, description = "Procedure code.", example = "HT-KS")),
    responses(
        (status = 200, description = "The declaration's JSON Schema.", body = Object),
        (status = 404, description = "No such procedure, or no declaration written for it yet — codes: `procedure_not_found`, `declaration_not_found`", body = ErrorBody),
    ),
)]
pub async fn declaration(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (p, _) = s.store.procedure(&code).await?.ok_or_else(|| {
        Problem::not_found(
            "procedure_not_found",
            format!("Không có thủ tục mã \"{code}\""),
        )
    })?;
    let d = p.declaration.as_ref().ok_or_else(|| {
        Problem::not_found(
            "declaration_not_found",
            "Thủ tục này chưa có tờ khai điện tử; tờ khai nộp kèm như một giấy tờ",
        )
    })?;
    Ok(Json(motcua_domain::declaration::json_schema(d)))
}
