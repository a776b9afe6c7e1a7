//! Services and counters of a unit, set up by its unit admin (`/can-bo/quay/cau-hinh`).

use super::*;

pub(super) fn may_set_up(user: &User, unit: &str) -> bool {
    user.staff().may_set_up_queue(unit)
}

pub(super) struct CounterForm {
    pub(super) number: i64,
    pub(super) name: String,
    pub(super) active: bool,
    pub(super) services: Vec<Choice>,
}

pub(super) struct ServiceForm {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) active: bool,
    pub(super) fields: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "queue_setup.html")]
pub(super) struct SetupPage {
    pub(super) c: Ctx,
    pub(super) allowed: bool,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) units: Vec<Choice>,
    pub(super) counters: Vec<CounterForm>,
    pub(super) services: Vec<ServiceForm>,
    pub(super) all_services: Vec<Choice>,
    pub(super) all_fields: Vec<Choice>,
    pub(super) next_number: i64,
    pub(super) notice: Option<String>,
    pub(super) errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
pub(super) struct SetupQuery {
    pub(super) unit: Option<String>,
    pub(super) ok: Option<String>,
}

pub(super) async fn setup_view(
    s: &AppState,
    c: Ctx,
    user: &User,
    unit: String,
    notice: Option<String>,
    problems: Vec<Problem>,
) -> PageResult {
    let lang = c.lang;
    let unit = if unit.is_empty() {
        user.units.first().cloned().unwrap_or_default()
    } else {
        unit
    };
    let allowed = may_set_up(user, &unit);
    let mut page = SetupPage {
        allowed,
        unit_name: String::new(),
        units: unit_choices(s, user, &unit).await?,
        counters: Vec::new(),
        services: Vec::new(),
        all_services: Vec::new(),
        all_fields: Vec::new(),
        next_number: 1,
        notice,
        errors: problems
            .iter()
            .map(|p| ErrorLine {
                href: match p.field.as_deref() {
                    Some("name") => "#new-service-name",
                    _ => "#new-counter-name",
                }
                .to_string(),
                message: p.message.clone(),
            })
            .collect(),
        unit: unit.clone(),
        c,
    };
    let status = if !allowed {
        StatusCode::FORBIDDEN
    } else if let Some(p) = problems.first() {
        crate::error::status_of(p.kind)
    } else {
        StatusCode::OK
    };
    if !allowed {
        return render_status(status, &page);
    }
    page.unit_name = unit_name(s, lang, &unit).await?;
    let (services, counters) = s.store.queue().setup(&unit).await.map_err(page_err(lang))?;
    let mut fields: Vec<String> = s
        .store
        .procedures()
        .await
        .map_err(page_err(lang))?
        .into_iter()
        .map(|p| p.field)
        .collect();
    fields.sort();
    fields.dedup();
    page.all_fields = fields
        .iter()
        .map(|f| Choice {
            value: f.clone(),
            label: f.clone(),
            checked: false,
        })
        .collect();
    page.all_services = services
        .iter()
        .map(|x| Choice {
            value: x.id.to_string(),
            label: x.name.clone(),
            checked: false,
        })
        .collect();
    page.next_number = counters.iter().map(|k| k.number).max().unwrap_or(0) + 1;
    page.counters = counters
        .iter()
        .map(|k| CounterForm {
            number: k.number,
            name: k.name.clone(),
            active: k.active,
            services: services
                .iter()
                .map(|x| Choice {
                    value: x.id.to_string(),
                    label: x.name.clone(),
                    checked: k.services.contains(&x.id),
                })
                .collect(),
        })
        .collect();
    page.services = services
        .iter()
        .map(|x| ServiceForm {
            id: x.id,
            name: x.name.clone(),
            active: x.active,
            fields: fields
                .iter()
                .map(|f| Choice {
                    value: f.clone(),
                    label: f.clone(),
                    checked: x.fields.contains(f),
                })
                .collect(),
        })
        .collect();
    render_status(status, &page)
}

pub(super) async fn setup_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<SetupQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let notice = match q.ok.as_deref() {
        Some("counter") => Some(c.tr("Đã lưu quầy.", "The counter was saved.").to_string()),
        Some("service") => Some(
            c.tr("Đã lưu dịch vụ.", "The service was saved.")
                .to_string(),
        ),
        _ => None,
    };
    let unit = q.unit.unwrap_or_default().trim().to_string();
    setup_view(&s, c, &user, unit, notice, Vec::new()).await
}

pub(super) async fn setup_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/quay/cau-hinh"));
    };
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let unit = form.trimmed("unit").to_string();
    if !may_set_up(&user, &unit) {
        return setup_view(&s, c, &user, unit, None, Vec::new()).await;
    }
    let q = s.store.queue();
    let active = form.trimmed("active") == "1";
    let (result, ok) = match form.trimmed("go") {
        "counter" => {
            let services: Vec<i64> = form
                .all("service")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect();
            let number = form.trimmed("number").parse::<i64>().unwrap_or(0);
            (
                q.put_counter(&unit, number, form.trimmed("name"), active, &services)
                    .await
                    .map(drop),
                "counter",
            )
        }
        "service" => {
            let fields: Vec<String> = form
                .all_trimmed("field")
                .iter()
                .map(|f| f.to_string())
                .collect();
            (
                q.put_service(&unit, form.trimmed("name"), &fields, active)
                    .await
                    .map(drop),
                "service",
            )
        }
        _ => (
            Err(Problem::new(
                ProblemKind::BadRequest,
                "bad_action",
                "Thao tác không hợp lệ",
            )
            .into()),
            "",
        ),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/can-bo/quay/cau-hinh?unit={}&ok={ok}",
            url_encode(&unit)
        ))
        .into_response()),
        Err(motcua_store::StoreError::Problem(p)) => {
            setup_view(&s, c, &user, unit, None, vec![p]).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}
