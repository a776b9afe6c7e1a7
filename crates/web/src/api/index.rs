//! The service index (Decision 766/QĐ-TTg) as JSON: the same figures as the
//! pages under /giam-sat/chi-so.

use super::{BadQuery, Unauthorized};
use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::error::ErrorBody;
use crate::extract::Query;
use axum::Json;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::index::{self as idx, Group, Period, Value};
use motcua_domain::lifecycle::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// Province code (default: the supervisor's own).
    #[param(example = "82")]
    province: Option<String>,
    /// Period in Vietnam time: a year (2026), quarter (2026-Q1), month (2026-03) or range (2026-01-01..2026-03-31). Default: the current year.
    #[param(example = "2026-Q1")]
    period: Option<String>,
}

fn period(q: &IndexQuery, now: time::OffsetDateTime) -> Result<Period, Problem> {
    match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p).map_err(|e| e.with_field("period")),
        None => Period::year(now.to_offset(motcua_domain::calendar::VN_OFFSET).year()),
    }
}

/// The period a score covers (local days, inclusive).
#[derive(Serialize, ToSchema)]
#[schema(as = IndexPeriod)]
pub struct PeriodView {
    /// `2026`, `2026-Q1`, `2026-03` or `2026-01-01..2026-03-31`.
    key: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    label: String,
}

fn period_view(p: &Period) -> PeriodView {
    let d = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    PeriodView {
        key: p.key(),
        from: d(p.from),
        to: d(p.to),
        label: p.label_vi(),
    }
}

/// Points of one group of indicators.
#[derive(Serialize, ToSchema)]
pub struct GroupPoints {
    group: Group,
    label: &'static str,
    points_x100: i64,
    max_x100: i64,
}

/// A unit's score: total and points per group (no rating level: no source names one).
#[derive(Serialize, ToSchema)]
pub struct Card {
    /// Total points × 100 (0–10000).
    total_x100: i64,
    groups: Vec<GroupPoints>,
}

fn card(card: &idx::Scorecard) -> Card {
    Card {
        total_x100: card.total_x100,
        groups: idx::Group::ALL
            .iter()
            .zip(card.groups_x100)
            .map(|(g, p)| GroupPoints {
                group: *g,
                label: g.label_vi(),
                points_x100: p,
                max_x100: g.max_x100(),
            })
            .collect(),
    }
}

/// One unit in a province's ranking.
#[derive(Serialize, ToSchema)]
pub struct RankedUnit {
    #[serde(flatten)]
    card: Card,
    rank: usize,
    unit_code: String,
    unit_name: String,
}

/// A province's units ranked by the service index.
#[derive(Serialize, ToSchema)]
pub struct IndexRanking {
    province: String,
    period: PeriodView,
    units: Vec<RankedUnit>,
}

/// Whether an indicator could be counted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorState {
    NoData,
    NothingToCount,
    Rate,
}

/// One indicator with its counts, rate, points and source.
#[derive(Serialize, ToSchema)]
pub struct Indicator {
    code: &'static str,
    group: Group,
    name: &'static str,
    state: IndicatorState,
    #[schema(required)]
    numerator: Option<i64>,
    #[schema(required)]
    denominator: Option<i64>,
    /// Rate in hundredths of a percent (e.g. 9523 = 95.23 %), if any.
    #[schema(required)]
    rate_x100: Option<i64>,
    points_x100: i64,
    max_x100: i64,
    /// The portal's formula in plain words.
    formula: &'static str,
    /// What motcua assumes where the text leaves a choice.
    #[schema(required)]
    assumption: Option<&'static str>,
}

/// One unit's service index.
#[derive(Serialize, ToSchema)]
pub struct IndexUnit {
    #[serde(flatten)]
    card: Card,
    unit_code: String,
    unit_name: String,
    period: PeriodView,
    /// The counts the indicators are computed from, by metric.
    counts: BTreeMap<&'static str, i64>,
    indicators: Vec<Indicator>,
}

/// All units of a province ranked (supervisors of that province, administrators).
#[utoipa::path(
    get,
    path = "/api/v1/index",
    operation_id = "indexRanking",
    tag = "index",
    summary = "Rank a province's units by the service index (Decision 766/QĐ-TTg)",
    description = "Total and group scores (points in hundredths; groups 18/20/12/10/22/18 = 100, group 3 as two cards) of every unit of the province, computed as the national portal does, ranked; equal totals share a rank. Province supervisors (their province) and administrators.",
    params(IndexQuery),
    responses(
        (status = 200, description = "The ranking.", body = IndexRanking),
        (status = 401, response = Unauthorized),
        (status = 403, description = "Not a supervisor of this province.", body = ErrorBody),
        (status = 422, response = BadQuery),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn ranking(
    Staff(u): Staff,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> ApiResult<Json<IndexRanking>> {
    let p = period(&q, s.now())?;
    if !idx::may_rank_province(&u.roles) {
        return Err(Problem::forbidden(
            "forbidden_action",
            "Chỉ giám sát cấp tỉnh xem được xếp hạng toàn tỉnh",
        )
        .into());
    }
    let province = match (&q.province, &u.province_code) {
        (Some(p), _) if u.has_role(Role::Admin) => p.clone(),
        (Some(p), Some(own)) if p != own => {
            return Err(Problem::forbidden("other_province", "Bạn không giám sát tỉnh này").into());
        }
        (_, Some(own)) => own.clone(),
        (None, None) => {
            return Err(
                Problem::invalid("province_required", "province", "Cần mã tỉnh, ví dụ 82").into(),
            );
        }
        (Some(p), None) => p.clone(),
    };
    if !s
        .store
        .provinces()
        .await?
        .iter()
        .any(|x| x.code == province)
    {
        return Err(Problem::not_found("province_not_found", "Không tìm thấy tỉnh").into());
    }
    let rows = motcua_store::index::ranking(&s.store, &province, p).await?;
    Ok(Json(IndexRanking {
        province,
        period: period_view(&p),
        units: rows
            .iter()
            .map(|r| RankedUnit {
                card: card(&r.card),
                rank: r.rank,
                unit_code: r.unit.code.clone(),
                unit_name: r.unit.name.clone(),
            })
            .collect(),
    }))
}

/// One unit's indicators with their counts, rates, points and sources.
#[utoipa::path(
    get,
    path = "/api/v1/index/units/{code}",
    operation_id = "indexUnit",
    tag = "index",
    summary = "One unit's service index: every indicator with counts, rate, points and source",
    description = "Indicators without data in motcua are returned with state no_data; assumptions are stated per indicator.",
    params(("code" = String, Path, description = "Unit code.", example = "30112"), ("period" = Option<String>, Query, description = "Period in Vietnam time: a year (2026), quarter (2026-Q1), month (2026-03) or range (2026-01-01..2026-03-31). Default: the current year.", example = "2026-Q1")),
    responses(
        (status = 200, description = "The unit's scorecard.", body = IndexUnit),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not staff of this unit.", body = ErrorBody),
        (status = 404, description = "No such unit.", body = ErrorBody),
        (status = 422, response = BadQuery),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn unit(
    Staff(u): Staff,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<IndexQuery>,
) -> ApiResult<Json<IndexUnit>> {
    let p = period(&q, s.now())?;
    if !u.sees_unit(&code) {
        return Err(Problem::forbidden("other_unit", "Bạn không làm việc tại đơn vị này").into());
    }
    let unit = s
        .store
        .unit(&code)
        .await?
        .ok_or_else(|| Problem::not_found("unit_not_found", "Không tìm thấy đơn vị"))?;
    let tallies = s
        .store
        .index_tallies(None, Some(&code), p)
        .await?
        .remove(&code)
        .unwrap_or_default();
    let scored = idx::score(&idx::values(&tallies));
    let counts = &tallies.period;
    let indicators = scored
        .indicators
        .iter()
        .map(|i| {
            let (state, numerator, denominator) = match i.value {
                Value::NoData => (IndicatorState::NoData, None, None),
                Value::Ratio { denominator: 0, .. } => {
                    (IndicatorState::NothingToCount, Some(0), Some(0))
                }
                Value::Ratio {
                    numerator,
                    denominator,
                } => (IndicatorState::Rate, Some(numerator), Some(denominator)),
            };
            Indicator {
                code: i.code,
                group: i.group,
                name: i.name_vi,
                state,
                numerator,
                denominator,
                rate_x100: i.rate_x100(),
                points_x100: i.points_x100,
                max_x100: i.max_x100,
                formula: i.formula_vi,
                assumption: i.assumption,
            }
        })
        .collect();
    Ok(Json(IndexUnit {
        card: card(&scored),
        unit_code: unit.code,
        unit_name: unit.name,
        period: period_view(&p),
        counts: counts.0.iter().map(|(m, n)| (m.as_str(), *n)).collect(),
        indicators,
    }))
}

/// Score a province's figures with the ranking's arithmetic (the format of
/// `motcua index score`), to check them against the portal's published points.
#[utoipa::path(
    post,
    path = "/api/v1/index/score",
    operation_id = "indexScore",
    tag = "index",
    summary = "Score figures per unit and indicator as the national portal does",
    description = "Body: `{\"units\":[{\"code\":\"30112\",\"name\":\"…\",\"indicators\":{\"2.1\":{\"numerator\":2348,\"denominator\":2971}}}]}` with the portal's indicator codes. Answer: each given indicator's points and maximum (two decimals, as the portal publishes them) and the total. A malformed body is refused with the line, column and reason (422 `bad_index_file`). Any signed-in staff.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The scores.", body = motcua_domain::index::file::FileOut),
        (status = 401, response = Unauthorized),
        (status = 422, description = "Malformed figures — code `bad_index_file`, field `dòng L, cột C`.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn score(
    Staff(_): Staff,
    body: axum::body::Bytes,
) -> ApiResult<Json<motcua_domain::index::file::FileOut>> {
    let text = std::str::from_utf8(&body).map_err(|_| {
        Problem::invalid(
            "bad_index_file",
            "body",
            "Tệp số liệu phải là văn bản UTF-8",
        )
    })?;
    let units = idx::file::score_file(text)?;
    Ok(Json(idx::file::to_output(&units)))
}
