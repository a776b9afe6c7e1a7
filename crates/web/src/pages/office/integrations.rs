//! The unit admin's connected systems (`/can-bo/ket-noi`): the province
//! systems subscribed to the unit's dossier events (add, whose secret is
//! shown once; stop), what is waiting in the outbox, and the deliveries
//! that failed every attempt, each with a retry button.

use super::*;

#[derive(Template)]
#[template(path = "office_integrations.html")]
struct IntegrationsPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    units: Vec<(String, String, bool)>,
    hooks: Vec<HookRow>,
    systems: Vec<SystemView>,
    dead: Vec<DeadRow>,
    pending: i64,
    dead_total: i64,
    url: String,
    notice: Option<String>,
    secret: Option<String>,
    error: Option<String>,
    /// Where the error summary's link goes.
    error_href: String,
}

struct SystemView {
    code: &'static str,
    name: &'static str,
    fields: Vec<FieldView>,
    /// Every required field set.
    complete: bool,
}

struct FieldView {
    key: &'static str,
    label: &'static str,
    secret: bool,
    /// A plain field's value (empty for a secret).
    value: String,
    set: bool,
}

struct HookRow {
    id: i64,
    url: String,
    active: bool,
    since: String,
}

struct DeadRow {
    id: i64,
    key: String,
    attempts: i64,
    error: String,
}

#[derive(Deserialize, Default)]
pub(super) struct IntegrationsQuery {
    unit: Option<String>,
    ok: Option<String>,
}

/// The unit shown: the one asked for, else the user's first; only one the
/// user may manage.
fn managed_unit(lang: Lang, user: &User, asked: Option<&str>) -> Result<String, PageError> {
    let unit = asked
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .or_else(|| user.units.first().cloned())
        .unwrap_or_default();
    if user.staff().may_manage_integrations(&unit) {
        Ok(unit)
    } else {
        Err(PageError::new(
            lang,
            Problem::forbidden(
                "forbidden_integrations",
                "Chỉ quản trị của đơn vị (hoặc quản trị hệ thống) quản lý kết nối / Only the unit's admin manages connected systems",
            )
            .into(),
        ))
    }
}

struct Shown {
    url: String,
    notice: Option<String>,
    secret: Option<String>,
    error: Option<String>,
    error_href: String,
}

async fn view(s: &AppState, c: Ctx, user: &User, unit: String, shown: Shown) -> PageResult {
    let unit_name = s
        .store
        .unit(&unit)
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| unit.clone());
    let mut units = Vec::new();
    for code in &user.units {
        if user.staff().may_manage_integrations(code) {
            let name = s
                .store
                .unit(code)
                .await?
                .map(|u| u.name)
                .unwrap_or_default();
            units.push((code.clone(), name, *code == unit));
        }
    }
    let hooks = s
        .store
        .webhooks(Some(&unit))
        .await?
        .into_iter()
        .map(|h| HookRow {
            id: h.id,
            url: h.url,
            active: h.active,
            since: motcua_domain::calendar::format_vn(h.created_at),
        })
        .collect();
    let dead = s
        .store
        .outbox_dead(Some(&unit), 100)
        .await?
        .into_iter()
        .map(|e| DeadRow {
            id: e.id,
            key: e.idempotency_key,
            attempts: e.attempts,
            error: e.last_error.unwrap_or_default(),
        })
        .collect();
    let settings = s.store.integrations(Some(&unit)).await?;
    let systems = motcua_domain::integrations::SYSTEMS
        .iter()
        .map(|spec| {
            let fields: Vec<FieldView> = spec
                .fields
                .iter()
                .map(|f| {
                    let stored = settings
                        .iter()
                        .find(|x| x.system == spec.code && x.key == f.key);
                    FieldView {
                        key: f.key,
                        label: c.tr(f.label_vi, f.label_en),
                        secret: f.secret,
                        value: stored.and_then(|x| x.value.clone()).unwrap_or_default(),
                        set: stored.is_some(),
                    }
                })
                .collect();
            let complete = spec
                .fields
                .iter()
                .zip(&fields)
                .all(|(f, v)| !f.required || v.set);
            SystemView {
                code: spec.code,
                name: c.tr(spec.name_vi, spec.name_en),
                fields,
                complete,
            }
        })
        .collect();
    let depth = s.store.outbox_depth(Some(&unit)).await?;
    let status = if shown.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    super::super::render_status(
        status,
        &IntegrationsPage {
            unit,
            unit_name,
            units,
            hooks,
            systems,
            dead,
            pending: depth.pending,
            dead_total: depth.dead,
            url: shown.url,
            notice: shown.notice,
            secret: shown.secret,
            error: shown.error,
            error_href: shown.error_href,
            c,
        },
    )
}

pub(super) async fn integrations_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IntegrationsQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let unit = managed_unit(c.lang, &user, q.unit.as_deref())?;
    let notice = q.ok.as_deref().map(|op| {
        match op {
            "stop" => c.tr("Đã dừng đăng ký.", "Subscription stopped."),
            "settings" => c.tr("Đã lưu cấu hình kết nối.", "Connection settings saved."),
            _ => c.tr(
                "Mục sẽ được gửi lại trong ít giây.",
                "The entry will be sent again in a few seconds.",
            ),
        }
        .to_string()
    });
    let shown = Shown {
        url: String::new(),
        notice,
        secret: None,
        error: None,
        error_href: String::new(),
    };
    view(&s, c, &user, unit, shown).await
}

pub(super) async fn integrations_post(
    c: Ctx,
    State(s): State<AppState>,
    req: Request,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/ket-noi"));
    };
    let lang = c.lang;
    let form = read_form(&s, lang, req).await?;
    let unit = managed_unit(lang, &user, Some(form.get("unit")))?;
    let back = |op: &str| {
        Redirect::to(&format!(
            "/can-bo/ket-noi?unit={}&ok={op}",
            url_encode(&unit)
        ))
        .into_response()
    };
    let id = form.get("id").trim().parse::<i64>().ok();
    match form.get("op") {
        "add" => {
            let url = form.get("url").trim().to_string();
            match motcua_app::webhooks::subscribe(&s.store, &unit, &url, &user.username, s.now())
                .await
            {
                Ok((hook, secret)) => {
                    let shown = Shown {
                        url: String::new(),
                        notice: Some(format!(
                            "{} #{}: {}",
                            c.tr("Đã đăng ký", "Subscribed"),
                            hook.id,
                            hook.url
                        )),
                        secret: Some(secret),
                        error: None,
                        error_href: String::new(),
                    };
                    view(&s, c, &user, unit, shown).await
                }
                Err(StoreError::Problem(p)) if p.kind == ProblemKind::Invalid => {
                    let shown = Shown {
                        url,
                        notice: None,
                        secret: None,
                        error: Some(p.message),
                        error_href: "#url".into(),
                    };
                    view(&s, c, &user, unit, shown).await
                }
                Err(e) => Err(PageError::new(lang, e.into())),
            }
        }
        "stop" => {
            // Only a subscription of this unit.
            let hook = match id {
                Some(id) => s.store.webhook(id).await?,
                None => None,
            };
            match hook.filter(|h| h.unit_code == unit) {
                Some(h) => {
                    s.store.stop_webhook(h.id).await?;
                    Ok(back("stop"))
                }
                None => Err(PageError::new(
                    lang,
                    Problem::not_found(
                        "webhook_not_found",
                        "Không có đăng ký này / No such subscription",
                    )
                    .into(),
                )),
            }
        }
        "settings" => {
            let code = form.trimmed("system").to_string();
            let Some(spec) = motcua_domain::integrations::system(&code) else {
                return Err(PageError::new(
                    lang,
                    Problem::invalid("unknown_system", "system", "Không có hệ thống này").into(),
                ));
            };
            // An empty box keeps what is stored (a secret is never shown back).
            for f in spec.fields {
                let value = form.get(f.key);
                if value.trim().is_empty() {
                    continue;
                }
                match s
                    .store
                    .set_integration(&unit, spec.code, f.key, value, &user.username, s.now())
                    .await
                {
                    Ok(()) => {}
                    Err(StoreError::Problem(p)) if p.kind == ProblemKind::Invalid => {
                        let shown = Shown {
                            url: String::new(),
                            notice: None,
                            secret: None,
                            error_href: format!("#{}-{}", spec.code, f.key),
                            error: Some(p.message),
                        };
                        return view(&s, c, &user, unit, shown).await;
                    }
                    Err(e) => return Err(PageError::new(lang, e.into())),
                }
            }
            Ok(back("settings"))
        }
        "retry" => match id {
            Some(id) if s.store.outbox_retry(id, Some(&unit), s.now()).await? => Ok(back("retry")),
            _ => Err(PageError::new(
                lang,
                Problem::not_found(
                    "outbox_entry_not_found",
                    "Không có mục gửi hỏng này / No such failed entry",
                )
                .into(),
            )),
        },
        _ => Err(PageError::new(
            lang,
            Problem::new(ProblemKind::BadRequest, "bad_op", "Thao tác không hợp lệ").into(),
        )),
    }
}
