use super::{BadJson, BadQuery, JsonExpected, Unauthorized};
use crate::AppState;
use crate::auth::Staff;
use crate::error::ErrorBody;
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
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// Reception instant: `YYYY-MM-DDTHH:MM` in Vietnam time, or RFC 3339. Default: now.
    #[param(example = "2026-02-13T10:00")]
    from: Option<String>,
    /// Working days.
    #[param(minimum = 1, maximum = 365, example = 5)]
    working_days: Option<u32>,
    /// Working hours.
    #[param(minimum = 1, maximum = 365)]
    working_hours: Option<u32>,
    /// Calendar days.
    #[param(minimum = 1, maximum = 365)]
    days: Option<u32>,
    /// Same working day if received before this HH:MM, else the next.
    #[param(example = "15:00")]
    same_day_cutoff: Option<String>,
    /// Use this unit's calendar and hours.
    #[param(example = "30112")]
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

/// A computed due instant.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-02-13T10:00:00+07:00", "due": "2026-02-27T10:00:00+07:00", "due_local": "27/02/2026 10:00", "processing": {"amount": 5, "unit": "working_days"}, "working_minutes": 2400}))]
pub struct Due {
    from: view::Instant,
    due: view::Instant,
    /// dd/mm/yyyy HH:mm in Vietnam time.
    #[schema(example = "27/02/2026 10:00")]
    due_local: String,
    processing: ProcessingSpec,
    /// Working minutes between from and due.
    working_minutes: i64,
}

/// Compute a due instant the way dossiers get theirs.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/due",
    operation_id = "computeDue",
    tag = "calendar",
    summary = "Compute a due instant (tính ngày hẹn trả)",
    description = "The appointment a dossier received at `from` would get, in the working calendar (national, or of `unit`): weekends, holidays, overrides and working sessions. Give exactly one of working_days, working_hours, days, same_day_cutoff. Example: from=2026-02-13T10:00&working_days=5 → 2026-02-27T10:00:00+07:00 (Tết in between).",
    params(DueQuery),
    responses(
        (status = 200, description = "The due instant.", body = Due),
        (status = 422, description = "Bad `from` (field `from`), not exactly one amount (field `working_days`), bad amount or cutoff, unknown unit (field `unit`) — codes: `bad_from`, `bad_processing`, `bad_processing_amount`, `bad_cutoff`, `unknown_unit`, `bad_query`", body = ErrorBody),
    ),
)]
pub async fn due(
    State(s): State<AppState>,
    Query(q): Query<DueQuery>,
) -> ApiResult<axum::Json<Due>> {
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
    Ok(axum::Json(Due {
        from: view::instant(from),
        due: view::instant(due),
        due_local: format_vn(due),
        processing: ProcessingSpec::from_time(processing),
        working_minutes: cal.working_minutes_between(from, due),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Default: the current year.
    #[param(minimum = 1900, maximum = 2199, example = 2026)]
    year: Option<i32>,
    /// Include this unit's own overrides.
    unit: Option<String>,
}

/// A dated day of the calendar.
#[derive(Serialize, ToSchema)]
pub struct NamedDay {
    /// YYYY-MM-DD.
    #[schema(format = Date, example = "2026-09-02")]
    date: String,
    name: String,
}

/// The days off and make-up working days of a year.
#[derive(Serialize, ToSchema)]
pub struct Holidays {
    year: i32,
    /// Days off (ngày nghỉ): computed holidays (Tết and Hùng Kings from the Vietnamese lunar calendar) plus day-off overrides, in date order.
    days_off: Vec<NamedDay>,
    /// Make-up working days (ngày làm bù) of the year.
    working_days: Vec<NamedDay>,
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/holidays",
    operation_id = "listHolidays",
    tag = "calendar",
    summary = "Days off of a year (ngày nghỉ lễ)",
    description = "Statutory holidays computed for the year (lunar ones at UTC+7) with the overrides in force, and the make-up working days.",
    params(YearQuery),
    responses(
        (status = 200, description = "The year's days off.", body = Holidays),
        (status = 422, description = "Year outside 1900–2199 (field `year`), unknown unit, bad query — codes: `bad_year`, `unknown_unit`, `bad_query`", body = ErrorBody),
    ),
)]
pub async fn holidays(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> ApiResult<axum::Json<Holidays>> {
    let year = q.year.unwrap_or_else(|| s.now().year());
    if !(1900..=2199).contains(&year) {
        return Err(Problem::invalid("bad_year", "year", "Năm phải từ 1900 đến 2199").into());
    }
    let cal = unit_calendar(&s, q.unit.as_deref()).await?;
    let days_off = cal
        .holidays(year)
        .into_iter()
        .map(|h| NamedDay {
            date: h.date.to_string(),
            name: h.name,
        })
        .collect();
    let working_days = cal
        .overrides()
        .iter()
        .filter(|o| o.kind == OverrideKind::WorkingDay && o.date.year() == year)
        .map(|o| NamedDay {
            date: o.date.to_string(),
            name: o.name.clone(),
        })
        .collect();
    Ok(axum::Json(Holidays {
        year,
        days_off,
        working_days,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LunarQuery {
    /// Solar date YYYY-MM-DD.
    #[param(format = Date, example = "2030-02-02")]
    date: String,
}

/// A solar date and its Vietnamese lunar date.
#[derive(Serialize, ToSchema)]
pub struct Lunar {
    #[schema(format = Date, example = "2026-02-17")]
    solar: String,
    /// YYYY-MM-DD of the lunar date, with " nhuận" after a leap month.
    #[schema(example = "2026-01-01")]
    lunar: String,
    year: i32,
    month: u8,
    day: u8,
    leap: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/lunar",
    operation_id = "lunarDate",
    tag = "calendar",
    summary = "Lunar date (âm lịch)",
    description = "The Vietnamese lunar date (UTC+7) of a solar date.",
    params(LunarQuery),
    responses(
        (status = 200, description = "The lunar date.", body = Lunar),
        (status = 422, description = "Bad or missing date — codes: `bad_date`, `bad_query`", body = ErrorBody),
    ),
)]
pub async fn lunar(Query(q): Query<LunarQuery>) -> ApiResult<axum::Json<Lunar>> {
    let d = parse_date(&q.date).map_err(|e| Problem::invalid("bad_date", "date", e.to_string()))?;
    let l = lunar::solar_to_lunar(d);
    Ok(axum::Json(Lunar {
        solar: d.to_string(),
        lunar: l.to_string(),
        year: l.year,
        month: l.month,
        day: l.day,
        leap: l.leap,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitScope {
    /// A unit's code: its own overrides too when listing; the unit whose override to remove when deleting (omit for the national calendar).
    unit: Option<String>,
}

/// A day the announcement of days off changes.
#[derive(Serialize, ToSchema)]
pub struct Override {
    /// Unit code, or null for the national calendar.
    #[schema(required)]
    scope: Option<String>,
    #[schema(format = Date, example = "2026-09-02")]
    date: String,
    kind: OverrideKind,
    name: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/overrides",
    operation_id = "listOverrides",
    tag = "calendar",
    summary = "Calendar overrides",
    description = "Days off and make-up working days entered from the official announcements: the national ones, plus the unit's own with `unit`.",
    params(UnitScope),
    responses(
        (status = 200, description = "Overrides.", body = Vec<Override>),
        (status = 422, response = BadQuery),
    ),
)]
pub async fn overrides(
    State(s): State<AppState>,
    Query(q): Query<UnitScope>,
) -> ApiResult<axum::Json<Vec<Override>>> {
    let list = s.store.overrides(q.unit.as_deref()).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|(scope, o)| Override {
                scope: (!scope.is_empty()).then_some(scope),
                date: o.date.to_string(),
                kind: o.kind,
                name: o.name,
            })
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

#[derive(Deserialize, ToSchema)]
#[schema(as = OverrideInput)]
pub struct OverrideBody {
    kind: OverrideKind,
    #[schema(min_length = 1, max_length = 200, example = "Nghỉ bù Quốc khánh")]
    name: String,
    /// A unit's own override; omit for the national calendar (admin only).
    #[serde(default)]
    unit: Option<String>,
}

/// The override as saved.
#[derive(Serialize, ToSchema)]
pub struct OverrideSaved {
    #[schema(format = Date, example = "2026-09-02")]
    date: String,
    kind: OverrideKind,
    name: String,
    #[schema(required)]
    unit: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/calendar/overrides/{date}",
    operation_id = "putOverride",
    tag = "calendar",
    summary = "Add or change an override",
    description = "Make a date a day off or a working day. National overrides (no `unit`) need an admin; a unit's own, an admin or that unit's admin. Due dates computed afterwards use it.",
    params(("date" = String, Path, description = "The date, YYYY-MM-DD.", format = Date, example = "2026-09-01")),
    request_body(content = OverrideBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved.", body = OverrideSaved),
        (status = 400, response = BadJson),
        (status = 401, response = Unauthorized),
        (status = 403, description = "Not allowed to edit this calendar — codes: `forbidden_calendar`", body = ErrorBody),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Bad date (field `date`), bad name (field `name`), unknown unit, bad JSON — codes: `bad_date`, `bad_name`, `unknown_unit`, `invalid_json`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn put_override(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(date): Path<String>,
    Json(body): Json<OverrideBody>,
) -> ApiResult<(StatusCode, axum::Json<OverrideSaved>)> {
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
        axum::Json(OverrideSaved {
            date: date.to_string(),
            kind: o.kind,
            name: motcua_domain::text::nfc(&o.name),
            unit: body.unit,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/calendar/overrides/{date}",
    operation_id = "deleteOverride",
    tag = "calendar",
    summary = "Remove an override",
    description = "Remove the override of that date (national, or of `unit`). Same permissions as PUT.",
    params(("date" = String, Path, description = "The date, YYYY-MM-DD.", format = Date, example = "2026-09-01"), UnitScope),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = Unauthorized),
        (status = 403, description = "Not allowed to edit this calendar — codes: `forbidden_calendar`", body = ErrorBody),
        (status = 404, description = "No override on that date — codes: `override_not_found`", body = ErrorBody),
        (status = 422, description = "Bad date (field `date`) — codes: `bad_date`, `bad_query`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = HoursInput)]
pub struct HoursBody {
    /// Working sessions, local time, in order, not overlapping.
    #[schema(example = "07:30-11:30,13:00-17:00")]
    sessions: String,
}

/// A unit's working hours as saved.
#[derive(Serialize, ToSchema)]
pub struct Hours {
    unit: String,
    #[schema(example = json!(["07:30-11:30", "13:00-17:00"]))]
    sessions: Vec<String>,
    #[schema(example = 480)]
    minutes_per_day: i64,
}

#[utoipa::path(
    put,
    path = "/api/v1/units/{code}/hours",
    operation_id = "setUnitHours",
    tag = "calendar",
    summary = "Set a unit's working hours",
    description = "Sets the morning/afternoon sessions (giờ làm việc) deadlines of the unit are counted in. For an admin or the unit's own unit admin.",
    params(("code" = String, Path, description = "Unit code.", example = "30112")),
    request_body(content = HoursBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The hours now in force.", body = Hours),
        (status = 401, response = Unauthorized),
        (status = 403, description = "Not an admin or this unit's admin — codes: `forbidden_calendar`", body = ErrorBody),
        (status = 400, response = BadJson),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Bad sessions (field `sessions`), unknown unit (field `unit_code`), or bad JSON — codes: `bad_hours`, `unknown_unit`, `invalid_json`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn set_hours(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(unit): Path<String>,
    Json(body): Json<HoursBody>,
) -> ApiResult<axum::Json<Hours>> {
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
    Ok(axum::Json(Hours {
        unit,
        sessions,
        minutes_per_day: hours.minutes_per_day(),
    }))
}
