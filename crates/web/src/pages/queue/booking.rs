//! Booking a slot ahead (`/dat-lich/{unit}`) and the booking's page.

use super::*;

#[derive(Template)]
#[template(path = "queue_booking.html")]
pub(super) struct BookingPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) services: Vec<Choice>,
    pub(super) days: Vec<Choice>,
    pub(super) slots: Vec<(String, i64, bool)>,
    pub(super) chosen: bool,
    pub(super) full_name: String,
    pub(super) phone: String,
    pub(super) errors: Vec<ErrorLine>,
    pub(super) service_error: Option<String>,
    pub(super) slot_error: Option<String>,
    pub(super) name_error: Option<String>,
    pub(super) phone_error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct BookingQuery {
    pub(super) service: Option<String>,
    pub(super) day: Option<String>,
}

pub(super) struct BookingInput {
    pub(super) service: Option<i64>,
    pub(super) day: Option<Date>,
    pub(super) slot: String,
    pub(super) full_name: String,
    pub(super) phone: String,
    pub(super) problems: Vec<Problem>,
}

/// The next working days a slot can be booked on.
pub(super) async fn booking_days(
    s: &AppState,
    unit: &str,
) -> Result<Vec<Date>, motcua_store::StoreError> {
    let cal = s.store.calendar(Some(unit)).await?;
    let mut out = Vec::new();
    let mut d = today(s);
    for _ in 0..30 {
        if cal.is_working_day(d) {
            out.push(d);
            if out.len() == 10 {
                break;
            }
        }
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    Ok(out)
}

pub(super) async fn booking_page(s: &AppState, c: Ctx, unit: &str, i: BookingInput) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(s, lang, unit).await?;
    let q = s.store.queue();
    let (services, _) = q.setup(unit).await.map_err(page_err(lang))?;
    let days = booking_days(s, unit).await.map_err(page_err(lang))?;
    let service = i
        .service
        .filter(|id| services.iter().any(|x| x.id == *id && x.active));
    let day = i.day.filter(|d| days.contains(d));
    let slots = match (service, day) {
        (Some(sv), Some(d)) => q
            .slots(unit, sv, d, now(s))
            .await
            .map_err(page_err(lang))?
            .into_iter()
            .map(|(label, left)| {
                let checked = label == i.slot;
                (label, left, checked)
            })
            .collect(),
        _ => Vec::new(),
    };
    let field_error = |name: &str| {
        i.problems
            .iter()
            .find(|p| p.field.as_deref() == Some(name))
            .map(|p| p.message.clone())
    };
    let errors: Vec<ErrorLine> = i
        .problems
        .iter()
        .map(|p| ErrorLine {
            href: match p.field.as_deref() {
                Some("full_name") => "#full_name",
                Some("phone") => "#phone",
                Some("slot") => "#slots",
                _ => "#service",
            }
            .to_string(),
            message: p.message.clone(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = BookingPage {
        unit: unit.to_string(),
        unit_name,
        services: services
            .iter()
            .filter(|x| x.active)
            .map(|x| Choice {
                value: x.id.to_string(),
                label: x.name.clone(),
                checked: Some(x.id) == service,
            })
            .collect(),
        days: days
            .iter()
            .map(|d| Choice {
                value: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
                label: format!("{} {}", weekday(&c, *d), dmy(*d)),
                checked: Some(*d) == day,
            })
            .collect(),
        chosen: service.is_some() && day.is_some(),
        slots,
        full_name: i.full_name,
        phone: i.phone,
        service_error: field_error("service"),
        slot_error: field_error("slot"),
        name_error: field_error("full_name"),
        phone_error: field_error("phone"),
        errors,
        c,
    };
    render_status(status, &page)
}

pub(super) fn weekday(c: &Ctx, d: Date) -> &'static str {
    use time::Weekday::*;
    match d.weekday() {
        Monday => c.tr("Thứ Hai", "Monday"),
        Tuesday => c.tr("Thứ Ba", "Tuesday"),
        Wednesday => c.tr("Thứ Tư", "Wednesday"),
        Thursday => c.tr("Thứ Năm", "Thursday"),
        Friday => c.tr("Thứ Sáu", "Friday"),
        Saturday => c.tr("Thứ Bảy", "Saturday"),
        Sunday => c.tr("Chủ Nhật", "Sunday"),
    }
}

pub(super) async fn booking(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<BookingQuery>,
) -> PageResult {
    let input = BookingInput {
        service: q.service.as_deref().and_then(|v| v.parse().ok()),
        day: q.day.as_deref().and_then(|d| parse_date(d).ok()),
        slot: String::new(),
        full_name: String::new(),
        phone: String::new(),
        problems: Vec::new(),
    };
    booking_page(&s, c, &unit, input).await
}

pub(super) async fn book(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let mut input = BookingInput {
        service: form.trimmed("service").parse().ok(),
        day: parse_date(form.trimmed("day")).ok(),
        slot: form.trimmed("slot").to_string(),
        full_name: form.trimmed("full_name").to_string(),
        phone: form.trimmed("phone").to_string(),
        problems: Vec::new(),
    };
    unit_name(&s, lang, &unit).await?;
    let (Some(service), Some(day)) = (input.service, input.day) else {
        input.problems.push(Problem::invalid(
            "choose_service",
            "service",
            c.tr(
                "Hãy chọn dịch vụ và ngày rồi bấm \"Xem giờ trống\"",
                "Choose a service and a day, then \"Show free times\"",
            ),
        ));
        return booking_page(&s, c, &unit, input).await;
    };
    if form.trimmed("go") != "book" {
        return booking_page(&s, c, &unit, input).await;
    }
    limit(&limits, peer, lang)?;
    let phone = (!input.phone.is_empty()).then_some(input.phone.as_str());
    match s
        .store
        .queue()
        .book(
            &unit,
            service,
            day,
            &input.slot,
            &input.full_name,
            phone,
            now(&s),
        )
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!(
            "/dat-lich/{}/{}",
            url_encode(&unit),
            url_encode(&a.code)
        ))
        .into_response()),
        Err(motcua_store::StoreError::Problem(p)) if p.kind == ProblemKind::Invalid => {
            input.problems.push(p);
            booking_page(&s, c, &unit, input).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

#[derive(Template)]
#[template(path = "queue_booked.html")]
pub(super) struct BookedPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) code: String,
    pub(super) service: String,
    pub(super) day: String,
    pub(super) slot: String,
    pub(super) name: String,
    pub(super) checked_in: bool,
}

pub(super) async fn booked(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((unit, code)): Path<(String, String)>,
) -> PageResult {
    let lang = c.lang;
    // Booking codes are guessable like dossier codes: limited like lookups.
    limit(&limits, peer, lang)?;
    let unit_name = unit_name(&s, lang, &unit).await?;
    let q = s.store.queue();
    let Some(a) = q.appointment(&unit, &code).await.map_err(page_err(lang))? else {
        return Err(PageError::new(
            lang,
            Problem::not_found("appointment_not_found", "Không tìm thấy lịch hẹn").into(),
        ));
    };
    let service = q
        .services(&unit)
        .await
        .map_err(page_err(lang))?
        .into_iter()
        .find(|x| x.id == a.service_id)
        .map(|x| x.name)
        .unwrap_or_default();
    render(&BookedPage {
        unit,
        unit_name,
        code: a.code,
        service,
        day: format!("{} {}", weekday(&c, a.day), dmy(a.day)),
        slot: a.slot,
        name: motcua_domain::text::mask_name(&a.full_name),
        checked_in: a.ticket_id.is_some(),
        c,
    })
}
