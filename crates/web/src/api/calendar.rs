use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::view;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use motcua_domain::Problem;
use motcua_domain::calendar::{
    CalendarOverride, OverrideKind, ProcessingTime, format_vn, lunar, parse_date, parse_instant,
};
use motcua_domain::catalog::ProcessingSpec;
use motcua_store::User;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct DueQuery {
    from: Option<String>,
    working_days: Option<u32>,
    working_hours: Option<u32>,
    days: Option<u32>,
    same_day_cutoff: Option<String>,
    unit: Option<String>,
}

async fn unit_calendar(
    s: &AppState,
    unit: Option<&str>,
) -> ApiResult<motcua_domain::calendar::WorkCalendar> {
    if let Some(u) = unit
        && s.store.unit(u).await?.is_none()
    {
        return Err(Problem::invalid(
            "unknown_unit",
            "unit",
            format!("Không có đơn vị hành chính mã \"{u}\""),
        )
        .into());
    }
    Ok(s.store.calendar(unit).await?)
}

/// Compute a due instant the way dossiers get theirs.
pub async fn due(
    State(s): State<AppState>,
    Query(q): Query<DueQuery>,
) -> ApiResult<axum::Json<Value>> {
    let from = match q.from.as_deref() {
        Some(f) => {
            parse_instant(f).map_err(|e| Problem::invalid("bad_from", "from", e.to_string()))?
        }
        None => s.now(),
    };
    let given = [
        q.working_days.is_some(),
        q.working_hours.is_some(),
        q.days.is_some(),
        q.same_day_cutoff.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Problem::invalid(
            "bad_processing",
            "working_days",
            "Cần đúng một trong: working_days, working_hours, days, same_day_cutoff",
        )
        .into());
    }
    let spec = if let Some(n) = q.working_days {
        ProcessingSpec {
            amount: n,
            unit: "working_days".into(),
            cutoff: None,
        }
    } else if let Some(n) = q.working_hours {
        ProcessingSpec {
            amount: n,
            unit: "working_hours".into(),
            cutoff: None,
        }
    } else if let Some(n) = q.days {
        ProcessingSpec {
            amount: n,
            unit: "days".into(),
            cutoff: None,
        }
    } else {
        ProcessingSpec {
            amount: 0,
            unit: "same_day".into(),
            cutoff: q.same_day_cutoff.clone(),
        }
    };
    let processing: ProcessingTime = spec.to_time("processing")?;
    let cal = unit_calendar(&s, q.unit.as_deref()).await?;
    let due = cal.due(from, processing);
    Ok(axum::Json(json!({
        "from": view::instant(from),
        "due": view::instant(due),
        "due_local": format_vn(due),
        "processing": ProcessingSpec::from_time(processing),
        "working_minutes": cal.working_minutes_between(from, due),
    })))
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    unit: Option<String>,
}

pub async fn holidays(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> ApiResult<axum::Json<Value>> {
    let year = q.year.unwrap_or_else(|| s.now().year());
    if !(1900..=2199).contains(&year) {
        return Err(Problem::invalid("bad_year", "year", "Năm phải từ 1900 đến 2199").into());
    }
    let cal = unit_calendar(&s, q.unit.as_deref()).await?;
    let days: Vec<Value> = cal
        .holidays(year)
        .into_iter()
        .map(|h| json!({ "date": h.date.to_string(), "name": h.name }))
        .collect();
    let make_up: Vec<Value> = cal
        .overrides()
        .iter()
        .filter(|o| o.kind == OverrideKind::WorkingDay && o.date.year() == year)
        .map(|o| json!({ "date": o.date.to_string(), "name": o.name }))
        .collect();
    Ok(axum::Json(
        json!({ "year": year, "days_off": days, "working_days": make_up }),
    ))
}

#[derive(Deserialize)]
pub struct LunarQuery {
    date: String,
}

pub async fn lunar(Query(q): Query<LunarQuery>) -> ApiResult<axum::Json<Value>> {
    let d = parse_date(&q.date).map_err(|e| Problem::invalid("bad_date", "date", e.to_string()))?;
    let l = lunar::solar_to_lunar(d);
    Ok(axum::Json(
        json!({ "solar": d.to_string(), "lunar": l.to_string(), "year": l.year, "month": l.month, "day": l.day, "leap": l.leap }),
    ))
}

#[derive(Deserialize)]
pub struct UnitScope {
    unit: Option<String>,
}

pub async fn overrides(
    State(s): State<AppState>,
    Query(q): Query<UnitScope>,
) -> ApiResult<axum::Json<Value>> {
    let list = s.store.overrides(q.unit.as_deref()).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|(scope, o)| json!({ "scope": if scope.is_empty() { Value::Null } else { scope.into() }, "date": o.date.to_string(), "kind": o.kind, "name": o.name }))
            .collect(),
    ))
}

/// National overrides are for admins; a unit's own for its unit admin.
fn may_edit_calendar(user: &User, unit: Option<&str>) -> Result<(), ApiError> {
    if user.staff().may_edit_calendar(unit) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "forbidden_calendar",
            "Bạn không có quyền sửa lịch làm việc này",
        )
        .into())
    }
}

#[derive(Deserialize)]
pub struct OverrideBody {
    kind: OverrideKind,
    name: String,
    #[serde(default)]
    unit: Option<String>,
}

pub async fn put_override(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(date): Path<String>,
    Json(body): Json<OverrideBody>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let date =
        parse_date(&date).map_err(|e| Problem::invalid("bad_date", "date", e.to_string()))?;
    may_edit_calendar(&user, body.unit.as_deref())?;
    let o = CalendarOverride {
        date,
        kind: body.kind,
        name: body.name,
    };
    s.store
        .put_override(body.unit.as_deref(), &o, &user.username, s.now())
        .await?;
    Ok((
        StatusCode::OK,
        axum::Json(
            json!({ "date": date.to_string(), "kind": o.kind, "name": motcua_domain::text::nfc(&o.name), "unit": body.unit }),
        ),
    ))
}

pub async fn delete_override(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(date): Path<String>,
    Query(q): Query<UnitScope>,
) -> ApiResult<StatusCode> {
    let date =
        parse_date(&date).map_err(|e| Problem::invalid("bad_date", "date", e.to_string()))?;
    may_edit_calendar(&user, q.unit.as_deref())?;
    if s.store.delete_override(q.unit.as_deref(), date).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("override_not_found", "Không có ngày ngoại lệ này").into())
    }
}

#[derive(Deserialize)]
pub struct HoursBody {
    sessions: String,
}

pub async fn set_hours(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(unit): Path<String>,
    Json(body): Json<HoursBody>,
) -> ApiResult<axum::Json<Value>> {
    may_edit_calendar(&user, Some(&unit))?;
    let hours = s.store.set_unit_hours(&unit, &body.sessions).await?;
    let sessions: Vec<String> = hours
        .sessions()
        .iter()
        .map(|(a, b)| {
            format!(
                "{:02}:{:02}-{:02}:{:02}",
                a.hour(),
                a.minute(),
                b.hour(),
                b.minute()
            )
        })
        .collect();
    Ok(axum::Json(
        json!({ "unit": unit, "sessions": sessions, "minutes_per_day": hours.minutes_per_day() }),
    ))
}
