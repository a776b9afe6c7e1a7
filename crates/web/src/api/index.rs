//! The service index (Decision 766/QĐ-TTg) as JSON: the same figures as the
//! pages under /giam-sat/chi-so.

use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::Query;
use axum::Json;
use axum::extract::{Path, State};
use motcua_domain::Problem;
use motcua_domain::index::{self as idx, Period, Value};
use motcua_domain::lifecycle::Role;
use serde::Deserialize;
use serde_json::{Value as J, json};

#[derive(Deserialize)]
pub struct IndexQuery {
    province: Option<String>,
    period: Option<String>,
}

fn period(q: &IndexQuery, now: time::OffsetDateTime) -> Result<Period, Problem> {
    match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p).map_err(|e| e.with_field("period")),
        None => Period::year(now.to_offset(motcua_domain::calendar::VN_OFFSET).year()),
    }
}

fn period_json(p: &Period) -> J {
    let d = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    json!({ "key": p.key(), "from": d(p.from), "to": d(p.to), "label": p.label_vi() })
}

fn card_json(card: &idx::Scorecard) -> J {
    json!({
        "total_x100": card.total_x100,
        "rating": card.rating,
        "rating_label": card.rating.label_vi(),
        "groups": idx::Group::ALL.iter().zip(card.groups_x100).map(|(g, p)| json!({
            "group": g, "label": g.label_vi(), "points_x100": p, "max_x100": g.max_x100(),
        })).collect::<Vec<_>>(),
    })
}

/// All units of a province ranked (supervisors of that province, administrators).
pub async fn ranking(
    Staff(u): Staff,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> ApiResult<Json<J>> {
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
    Ok(Json(json!({
        "province": province,
        "period": period_json(&p),
        "units": rows.iter().map(|r| {
            let mut v = card_json(&r.card);
            v["rank"] = r.rank.into();
            v["unit_code"] = r.unit.code.clone().into();
            v["unit_name"] = r.unit.name.clone().into();
            v
        }).collect::<Vec<_>>(),
    })))
}

/// One unit's indicators with their counts, rates, points and sources.
pub async fn unit(
    Staff(u): Staff,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<IndexQuery>,
) -> ApiResult<Json<J>> {
    let p = period(&q, s.now())?;
    if !u.sees_unit(&code) {
        return Err(Problem::forbidden("other_unit", "Bạn không làm việc tại đơn vị này").into());
    }
    let unit = s
        .store
        .unit(&code)
        .await?
        .ok_or_else(|| Problem::not_found("unit_not_found", "Không tìm thấy đơn vị"))?;
    let counts = s
        .store
        .index_counts(None, Some(&code), p)
        .await?
        .remove(&code)
        .unwrap_or_default();
    let card = idx::score(&counts);
    let mut v = card_json(&card);
    v["unit_code"] = unit.code.into();
    v["unit_name"] = unit.name.into();
    v["period"] = period_json(&p);
    v["counts"] = json!(
        counts
            .0
            .iter()
            .map(|(m, n)| (m.as_str(), *n))
            .collect::<std::collections::BTreeMap<_, _>>()
    );
    v["indicators"] = card
        .indicators
        .iter()
        .map(|i| {
            let (state, num, den) = match i.value {
                Value::NoData => ("no_data", None, None),
                Value::NothingToCount => ("nothing_to_count", Some(0), Some(0)),
                Value::Rate {
                    numerator,
                    denominator,
                } => ("rate", Some(numerator), Some(denominator)),
            };
            json!({
                "code": i.code, "group": i.group, "name": i.name_vi, "state": state,
                "numerator": num, "denominator": den, "rate_x100": i.rate_x100(),
                "points_x100": i.points_x100, "max_x100": i.max_x100,
                "citation": i.citation, "formula": i.formula_vi, "assumption": i.assumption,
            })
        })
        .collect::<Vec<_>>()
        .into();
    Ok(Json(v))
}
