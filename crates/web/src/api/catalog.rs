use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Query;
use axum::Json;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::catalog::Procedure;
use motcua_domain::text::fold;
use motcua_domain::units::{Province, Unit};
use serde::Deserialize;

pub async fn provinces(State(s): State<AppState>) -> ApiResult<Json<Vec<Province>>> {
    Ok(Json(s.store.provinces().await?))
}

#[derive(Deserialize)]
pub struct UnitQuery {
    province: Option<String>,
}

pub async fn units(
    State(s): State<AppState>,
    Query(q): Query<UnitQuery>,
) -> ApiResult<Json<Vec<Unit>>> {
    Ok(Json(s.store.units(q.province.as_deref()).await?))
}

#[derive(Deserialize)]
pub struct ProcedureQuery {
    /// Words to find in the name, with or without diacritics.
    q: Option<String>,
    field: Option<String>,
}

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
