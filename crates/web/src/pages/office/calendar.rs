//! The unit's working calendar (`/can-bo/lich`): days off, make-up days, hours.

use super::*;

pub(super) struct DayView {
    pub(super) date: String,
    pub(super) iso: String,
    pub(super) weekday: String,
    pub(super) name: String,
    /// Where the day comes from: the official notice, the Labour Code's
    /// computation, or an exception entered here.
    pub(super) origin: String,
}

pub(super) struct OverrideView {
    pub(super) date: String,
    pub(super) iso: String,
    pub(super) weekday: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) scope_label: String,
    pub(super) scope: String,
    pub(super) deletable: bool,
}

#[derive(Template)]
#[template(path = "office_calendar.html")]
pub(super) struct CalendarPage {
    pub(super) c: Ctx,
    pub(super) year: i32,
    pub(super) unit: String,
    pub(super) unit_label: String,
    pub(super) units: Vec<Choice>,
    pub(super) admin: bool,
    pub(super) can_edit: bool,
    pub(super) days_off: Vec<DayView>,
    pub(super) working_days: Vec<DayView>,
    /// Days a notice announces in principle, not enacted: switched on here.
    pub(super) pending: Vec<DayView>,
    /// The year's notice: its source, and whether it was read in the text.
    pub(super) notice_source: Option<String>,
    pub(super) overrides: Vec<OverrideView>,
    pub(super) form_date: String,
    pub(super) form_kind: String,
    pub(super) form_name: String,
    pub(super) form_scope: String,
    pub(super) notice: Option<String>,
    pub(super) errors: Vec<ErrorLine>,
    pub(super) date_error: Option<String>,
    pub(super) name_error: Option<String>,
    pub(super) kind_error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CalendarQuery {
    pub(super) nam: Option<String>,
    pub(super) unit: Option<String>,
    pub(super) ok: Option<String>,
}

/// National overrides are for admins; a unit's own for its unit admins.
pub(super) fn may_edit_calendar(user: &User, unit: &str) -> bool {
    user.staff().may_edit_calendar(Some(unit))
}

pub(super) struct CalendarForm {
    pub(super) date: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) scope: String,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn calendar_view(
    s: &AppState,
    c: Ctx,
    user: &User,
    year: i32,
    unit: String,
    form: CalendarForm,
    notice: Option<String>,
    errors: Vec<Problem>,
) -> PageResult {
    let lang = c.lang;
    let unit_opt = (!unit.is_empty()).then_some(unit.as_str());
    let cal = s.store.calendar(unit_opt).await.map_err(store_err(lang))?;
    let entered = s.store.overrides(unit_opt).await.map_err(store_err(lang))?;
    let year_notice = cal.notice(year);
    let notice_source = year_notice.map(|n| {
        if n.verified {
            n.source.clone()
        } else {
            format!(
                "{} — {}",
                n.source,
                c.tr(
                    "chưa kiểm chứng (nguồn thứ cấp), tỉnh có thể nạp lại",
                    "unverified (secondary source); a province can load a corrected notice"
                )
            )
        }
    });
    let origin = |date: time::Date| -> String {
        match entered.iter().rev().find(|(_, o)| o.date == date) {
            Some((scope, _)) if scope.is_empty() => {
                c.tr("Ngoại lệ toàn quốc", "National exception").to_string()
            }
            Some(_) => c.tr("Ngoại lệ của đơn vị", "Unit exception").to_string(),
            None => match year_notice {
                Some(n) => format!("{} {}", c.tr("Theo", "Per"), n.source),
                None => c
                    .tr(
                        "Tính theo Bộ luật Lao động 2019, điều 112 (chưa có thông báo của năm)",
                        "Computed from the Labour Code 2019, art. 112 (no notice for the year yet)",
                    )
                    .to_string(),
            },
        }
    };
    let view = |date: time::Date, name: String| DayView {
        date: date_vn(date),
        iso: date.to_string(),
        weekday: weekday_words(&c, date).to_string(),
        name,
        origin: origin(date),
    };
    let days_off = cal
        .holidays(year)
        .into_iter()
        .map(|h| view(h.date, h.name))
        .collect();
    let working_days = cal
        .make_up_days(year)
        .into_iter()
        .map(|h| view(h.date, h.name))
        .collect();
    let pending = year_notice
        .map(|n| {
            n.pending()
                .filter(|d| cal.is_working_day(d.date))
                .map(|d| view(d.date, d.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let overrides = entered
        .into_iter()
        .filter(|(_, o)| o.date.year() == year)
        .map(|(scope, o)| OverrideView {
            date: date_vn(o.date),
            iso: o.date.to_string(),
            weekday: weekday_words(&c, o.date).to_string(),
            kind: match o.kind {
                OverrideKind::DayOff => c.tr("Ngày nghỉ", "Day off"),
                OverrideKind::WorkingDay => c.tr("Ngày làm việc (làm bù)", "Working day"),
            }
            .to_string(),
            name: o.name,
            scope_label: if scope.is_empty() {
                c.tr("Toàn quốc", "National").to_string()
            } else {
                c.tr("Đơn vị", "Unit").to_string()
            },
            deletable: may_edit_calendar(user, &scope),
            scope,
        })
        .collect();
    let units = unit_choices(s, user)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .map(|(code, name)| Choice {
            checked: code == unit,
            value: code,
            label: name,
        })
        .collect();
    let unit_label = if unit.is_empty() {
        c.tr("Lịch chung toàn quốc", "National calendar")
            .to_string()
    } else {
        unit_name(s, &unit).await.map_err(store_err(lang))?
    };
    let field_error = |name: &str| {
        errors
            .iter()
            .find(|p| p.field.as_deref() == Some(name))
            .map(|p| p.message.clone())
    };
    let error_lines = errors
        .iter()
        .map(|p| ErrorLine {
            href: format!(
                "#{}",
                match p.field.as_deref() {
                    Some("name") => "name",
                    Some("kind") => "kind-day_off",
                    _ => "date",
                }
            ),
            message: p.message.clone(),
        })
        .collect::<Vec<_>>();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CalendarPage {
        year,
        // The national calendar's controls: who may edit it.
        admin: user.staff().may_edit_calendar(None),
        can_edit: may_edit_calendar(user, &unit),
        unit_label,
        unit,
        units,
        days_off,
        working_days,
        pending,
        notice_source,
        overrides,
        form_date: form.date,
        form_kind: form.kind,
        form_name: form.name,
        form_scope: form.scope,
        notice,
        date_error: field_error("date"),
        name_error: field_error("name"),
        kind_error: field_error("kind"),
        errors: error_lines,
        c,
    };
    render_status(status, &page)
}

pub(super) fn parse_year(
    lang: Lang,
    raw: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<i32, PageError> {
    match raw.map(str::trim).filter(|y| !y.is_empty()) {
        None => Ok(now.to_offset(VN_OFFSET).year()),
        Some(y) => match y.parse::<i32>() {
            Ok(y) if (1900..=2199).contains(&y) => Ok(y),
            _ => Err(PageError::new(
                lang,
                Problem::invalid("bad_year", "nam", "Năm phải từ 1900 đến 2199").into(),
            )),
        },
    }
}

/// The unit whose calendar is shown: the asked one (if the user works there),
/// else the user's first; an admin without a unit sees the national calendar.
pub(super) fn calendar_unit(
    lang: Lang,
    user: &User,
    asked: Option<&str>,
) -> Result<String, PageError> {
    match asked.map(str::trim) {
        Some("") if user.has_role(Role::Admin) => Ok(String::new()),
        Some(u) if !u.is_empty() => {
            if user.sees_unit(u) {
                Ok(u.to_string())
            } else {
                Err(PageError::new(
                    lang,
                    Problem::forbidden(
                        "other_unit",
                        "Bạn không làm việc tại đơn vị này / You do not work for this unit",
                    )
                    .into(),
                ))
            }
        }
        _ => Ok(user.units.first().cloned().unwrap_or_default()),
    }
}

pub(super) async fn calendar_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let year = parse_year(c.lang, q.nam.as_deref(), s.now())?;
    let unit = calendar_unit(c.lang, &user, q.unit.as_deref())?;
    let notice = match q.ok.as_deref() {
        Some("add") => Some(
            c.tr("Đã lưu ngày ngoại lệ.", "The day was saved.")
                .to_string(),
        ),
        Some("delete") => Some(
            c.tr("Đã xóa ngày ngoại lệ.", "The day was removed.")
                .to_string(),
        ),
        _ => None,
    };
    let form = CalendarForm {
        date: String::new(),
        kind: "day_off".into(),
        name: String::new(),
        scope: unit.clone(),
    };
    calendar_view(&s, c, &user, year, unit, form, notice, Vec::new()).await
}

pub(super) async fn calendar_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/lich"));
    };
    let lang = c.lang;
    let form = read_form(&s, lang, req).await?;
    let year = parse_year(lang, Some(form.get("nam")), s.now())?;
    let unit = calendar_unit(lang, &user, Some(form.get("unit")))?;
    let scope = form.get("scope").trim().to_string();
    if !may_edit_calendar(&user, &scope) {
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "forbidden_calendar",
                "Bạn không có quyền sửa lịch làm việc này / You may not edit this calendar",
            )
            .into(),
        ));
    }
    let back = |op: &str| {
        Redirect::to(&format!(
            "/can-bo/lich?nam={year}&unit={}&ok={op}",
            url_encode(&unit)
        ))
        .into_response()
    };
    let scope_opt = (!scope.is_empty()).then_some(scope.as_str());
    let date_text = form.get("date").trim().to_string();
    let kind_text = form.get("kind").to_string();
    let name = form.get("name").to_string();
    let mut errors = Vec::new();
    let date = match parse_date(&date_text) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(Problem::invalid("bad_date", "date", e.to_string()));
            None
        }
    };
    if form.get("op") == "delete" {
        if let Some(d) = date {
            s.store
                .delete_override(scope_opt, d)
                .await
                .map_err(store_err(lang))?;
            return Ok(back("delete"));
        }
    } else {
        let kind = match kind_text.as_str() {
            "day_off" => Some(OverrideKind::DayOff),
            "working_day" => Some(OverrideKind::WorkingDay),
            _ => {
                errors.push(Problem::invalid(
                    "bad_kind",
                    "kind",
                    c.tr(
                        "Hãy chọn ngày nghỉ hoặc ngày làm việc",
                        "Choose a day off or a working day",
                    ),
                ));
                None
            }
        };
        if name.trim().is_empty() {
            errors.push(Problem::invalid(
                "bad_name",
                "name",
                c.tr(
                    "Hãy nhập tên ngày, ví dụ \"Nghỉ bù Tết\"",
                    "Enter a name, e.g. \"Tết make-up day off\"",
                ),
            ));
        }
        if let (Some(date), Some(kind), true) = (date, kind, errors.is_empty()) {
            let o = CalendarOverride {
                date,
                kind,
                name: name.clone(),
            };
            match s
                .store
                .put_override(scope_opt, &o, &user.username, s.now())
                .await
            {
                Ok(()) => return Ok(back("add")),
                Err(StoreError::Problem(p)) => errors.push(p),
                Err(e) => return Err(PageError::new(lang, e.into())),
            }
        }
    }
    let form = CalendarForm {
        date: date_text,
        kind: kind_text,
        name,
        scope,
    };
    calendar_view(&s, c, &user, year, unit, form, None, errors).await
}
