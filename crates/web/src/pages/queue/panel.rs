//! The officer's counter panel (`/can-bo/quay`): call next, recall, skip,
//! hold, transfer, finish, link to a dossier.

use super::*;

pub(super) fn may_work_counter(user: &User, unit: &str) -> bool {
    user.staff().may_work_counter(unit)
}

pub(super) struct TicketView {
    pub(super) id: i64,
    pub(super) number: i64,
    pub(super) service: String,
    pub(super) status: String,
    pub(super) called: bool,
    pub(super) issued: String,
    pub(super) since: String,
    pub(super) phone: Option<String>,
    pub(super) dossier: Option<String>,
    pub(super) appointment: Option<String>,
}

impl TicketView {
    fn new(c: &Ctx, t: &Ticket) -> Self {
        TicketView {
            id: t.id,
            number: t.number,
            service: t.service_name.clone(),
            status: status_words(c, t.status).to_string(),
            called: t.status == TicketStatus::Called,
            issued: hhmm(t.issued_at),
            since: t.called_at.map(hhmm).unwrap_or_default(),
            phone: t.phone.clone(),
            dossier: t.dossier_code.clone(),
            appointment: t.appointment_code.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "queue_panel.html")]
pub(super) struct PanelPage {
    pub(super) c: Ctx,
    pub(super) allowed: bool,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) units: Vec<Choice>,
    pub(super) counters: Vec<Choice>,
    pub(super) counter: Option<(i64, String)>,
    pub(super) current: Option<TicketView>,
    pub(super) held: Vec<TicketView>,
    pub(super) next_up: Vec<TicketView>,
    pub(super) waiting_total: usize,
    pub(super) services: Vec<Choice>,
    pub(super) other_counters: Vec<Choice>,
    pub(super) dossier_code: String,
    pub(super) can_set_up: bool,
    pub(super) notice: Option<String>,
    pub(super) errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
pub(super) struct PanelQuery {
    pub(super) unit: Option<String>,
    pub(super) quay: Option<String>,
    pub(super) ok: Option<String>,
    pub(super) so: Option<String>,
}

pub(super) async fn unit_choices(
    s: &AppState,
    user: &User,
    chosen: &str,
) -> Result<Vec<Choice>, PageError> {
    let mut out = Vec::new();
    for code in user.units.iter().take(200) {
        let name = s
            .store
            .unit(code)
            .await
            .map_err(page_err(Lang::Vi))?
            .map_or_else(|| code.clone(), |u| u.name);
        out.push(Choice {
            checked: code == chosen,
            value: code.clone(),
            label: name,
        });
    }
    Ok(out)
}

pub(super) struct PanelState {
    pub(super) unit: String,
    pub(super) quay: Option<i64>,
    pub(super) notice: Option<String>,
    pub(super) dossier_code: String,
    pub(super) problems: Vec<Problem>,
}

pub(super) async fn panel_page(s: &AppState, c: Ctx, user: &User, st: PanelState) -> PageResult {
    let lang = c.lang;
    let unit = if st.unit.is_empty() && user.units.len() == 1 {
        user.units[0].clone()
    } else {
        st.unit.clone()
    };
    let allowed = unit.is_empty() || may_work_counter(user, &unit);
    let units = unit_choices(s, user, &unit).await?;
    let mut page = PanelPage {
        allowed,
        unit_name: String::new(),
        units,
        counters: Vec::new(),
        counter: None,
        current: None,
        held: Vec::new(),
        next_up: Vec::new(),
        waiting_total: 0,
        services: Vec::new(),
        other_counters: Vec::new(),
        dossier_code: st.dossier_code,
        can_set_up: may_set_up(user, &unit),
        notice: st.notice,
        errors: st
            .problems
            .iter()
            .map(|p| ErrorLine {
                href: match p.field.as_deref() {
                    Some("dossier_code") => "#dossier-code",
                    Some("service") => "#transfer-service",
                    Some("counter") => "#transfer-counter",
                    _ => "#call-next",
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
    } else if let Some(p) = st.problems.first() {
        crate::error::status_of(p.kind)
    } else {
        StatusCode::OK
    };
    if unit.is_empty() || !allowed {
        return render_status(status, &page);
    }
    page.unit_name = unit_name(s, lang, &unit).await?;
    let q = s.store.queue();
    let (services, counters) = q.setup(&unit).await.map_err(page_err(lang))?;
    let counter: Option<&Counter> = st
        .quay
        .and_then(|n| counters.iter().find(|k| k.number == n && k.active));
    page.counters = counters
        .iter()
        .filter(|k| k.active)
        .map(|k| Choice {
            value: k.number.to_string(),
            label: k.name.clone(),
            checked: counter.is_some_and(|x| x.id == k.id),
        })
        .collect();
    let Some(counter) = counter else {
        return render_status(status, &page);
    };
    page.counter = Some((counter.number, counter.name.clone()));
    let c = &page.c;
    page.current = q
        .current(counter.id)
        .await
        .map_err(page_err(lang))?
        .map(|t| TicketView::new(c, &t));
    let day = q
        .tickets(&unit, today(s), &[])
        .await
        .map_err(page_err(lang))?;
    page.held = day
        .iter()
        .filter(|t| t.status == TicketStatus::Held && t.counter_id == Some(counter.id))
        .map(|t| TicketView::new(c, t))
        .collect();
    let mine: Vec<&Ticket> = day
        .iter()
        .filter(|t| {
            t.status.is_waiting()
                && match t.target_counter_id {
                    Some(k) => k == counter.id,
                    None => counter.services.contains(&t.service_id),
                }
        })
        .collect();
    page.waiting_total = mine.len();
    page.next_up = mine.iter().take(5).map(|t| TicketView::new(c, t)).collect();
    page.services = services
        .iter()
        .filter(|x| x.active)
        .map(|x| Choice {
            value: x.id.to_string(),
            label: x.name.clone(),
            checked: false,
        })
        .collect();
    page.other_counters = counters
        .iter()
        .filter(|k| k.active && k.id != counter.id)
        .map(|k| Choice {
            value: k.number.to_string(),
            label: k.name.clone(),
            checked: false,
        })
        .collect();
    render_status(status, &page)
}

pub(super) fn panel_href(unit: &str, quay: Option<i64>, ok: &str, so: Option<i64>) -> String {
    let mut href = format!("/can-bo/quay?unit={}", url_encode(unit));
    if let Some(n) = quay {
        href.push_str(&format!("&quay={n}"));
    }
    if !ok.is_empty() {
        href.push_str(&format!("&ok={ok}"));
    }
    if let Some(n) = so {
        href.push_str(&format!("&so={n}"));
    }
    href
}

pub(super) fn notice_words(
    c: &Ctx,
    ok: &str,
    so: Option<i64>,
    quay: Option<i64>,
) -> Option<String> {
    let n = so.unwrap_or_default();
    let k = quay.unwrap_or_default();
    let text = match (ok, c.lang) {
        ("call", Lang::Vi) => format!("Đã mời số {n} đến quầy số {k}."),
        ("call", Lang::En) => format!("Number {n} was called to counter {k}."),
        ("recall", Lang::Vi) | ("resume", Lang::Vi) => format!("Đã mời lại số {n}."),
        ("recall", Lang::En) | ("resume", Lang::En) => format!("Number {n} was called again."),
        ("start", Lang::Vi) => format!("Đang phục vụ số {n}."),
        ("start", Lang::En) => format!("Serving number {n}."),
        ("skip", Lang::Vi) => format!("Số {n}: công dân vắng mặt."),
        ("skip", Lang::En) => format!("Number {n}: nobody came."),
        ("hold", Lang::Vi) => format!("Đã tạm giữ số {n}."),
        ("hold", Lang::En) => format!("Number {n} is on hold."),
        ("finish", Lang::Vi) => format!("Đã xong số {n}."),
        ("finish", Lang::En) => format!("Number {n} is done."),
        ("transfer", Lang::Vi) => format!("Đã chuyển số {n}."),
        ("transfer", Lang::En) => format!("Number {n} was transferred."),
        ("link", Lang::Vi) => format!("Đã gắn hồ sơ với số {n}."),
        ("link", Lang::En) => format!("The dossier was linked to number {n}."),
        ("empty", _) => c
            .tr(
                "Không còn ai chờ ở các dịch vụ của quầy này.",
                "Nobody is waiting for this counter's services.",
            )
            .to_string(),
        _ => return None,
    };
    Some(text)
}

pub(super) async fn panel(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<PanelQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let quay = q.quay.as_deref().and_then(|n| n.trim().parse::<i64>().ok());
    let so = q.so.as_deref().and_then(|n| n.trim().parse::<i64>().ok());
    let notice = notice_words(&c, q.ok.as_deref().unwrap_or(""), so, quay);
    let st = PanelState {
        unit: q.unit.unwrap_or_default().trim().to_string(),
        quay,
        notice,
        dossier_code: String::new(),
        problems: Vec::new(),
    };
    panel_page(&s, c, &user, st).await
}

pub(super) async fn panel_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/quay"));
    };
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let unit = form.trimmed("unit").to_string();
    let quay = form.trimmed("quay").parse::<i64>().ok();
    let go = form.trimmed("go").to_string();
    let dossier_code = form.trimmed("dossier_code").to_string();
    let mut st = PanelState {
        unit: unit.clone(),
        quay,
        notice: None,
        dossier_code: dossier_code.clone(),
        problems: Vec::new(),
    };
    if !may_work_counter(&user, &unit) {
        return panel_page(&s, c, &user, st).await;
    }
    let q = s.store.queue();
    let (_, counters) = q.setup(&unit).await.map_err(page_err(lang))?;
    let Some(counter) = quay.and_then(|n| counters.iter().find(|k| k.number == n && k.active))
    else {
        st.problems.push(Problem::invalid(
            "choose_counter",
            "counter",
            c.tr("Hãy chọn quầy", "Choose the counter"),
        ));
        return panel_page(&s, c, &user, st).await;
    };
    let ticket = form.trimmed("ticket").parse::<i64>().unwrap_or(-1);
    let result = match go.as_str() {
        "call" => q
            .call_next(&unit, counter.id, now(&s))
            .await
            .map(|r| match r {
                Some((t, _)) => ("call", Some(t.number)),
                None => ("empty", None),
            }),
        other => {
            let action = match other {
                "recall" => Some(TicketAction::Recall),
                "start" => Some(TicketAction::Start),
                "skip" => Some(TicketAction::Skip),
                "hold" => Some(TicketAction::Hold),
                "resume" => Some(TicketAction::Resume),
                "finish" => Some(TicketAction::Finish),
                "transfer" => {
                    let target = match form.trimmed("to_counter") {
                        "" => None,
                        n => n
                            .parse::<i64>()
                            .ok()
                            .and_then(|n| counters.iter().find(|k| k.number == n))
                            .map(|k| k.id)
                            .or(Some(-1)),
                    };
                    Some(TicketAction::Transfer {
                        service_id: form.trimmed("service").parse().unwrap_or(-1),
                        counter_id: target,
                    })
                }
                "link" => Some(TicketAction::LinkDossier(dossier_code.clone())),
                _ => None,
            };
            match action {
                None => Err(Problem::new(
                    ProblemKind::BadRequest,
                    "bad_action",
                    "Thao tác không hợp lệ",
                )
                .into()),
                Some(a) => q
                    .act(&unit, counter.id, ticket, &a, now(&s))
                    .await
                    .map(|(t, _)| (other, Some(t.number))),
            }
        }
    };
    match result {
        Ok((ok, so)) => {
            let ok = match ok {
                "call" | "empty" | "recall" | "start" | "skip" | "hold" | "resume" | "finish"
                | "transfer" | "link" => ok,
                _ => "",
            };
            Ok(Redirect::to(&panel_href(&unit, Some(counter.number), ok, so)).into_response())
        }
        Err(motcua_store::StoreError::Problem(p)) => {
            st.problems.push(p);
            panel_page(&s, c, &user, st).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_event_is_one_sse_message_with_its_id() {
        let c = Call {
            seq: 7,
            unit_code: "30112".into(),
            ticket_id: 1,
            number: 1023,
            counter_number: 3,
            counter_name: "Quầy 3".into(),
            service_name: "Hộ tịch\nx".into(),
            at: OffsetDateTime::UNIX_EPOCH,
        };
        let e = call_event(&c);
        assert!(e.starts_with("id: 7\nevent: call\ndata: {"), "{e}");
        assert!(e.ends_with("}\n\n"));
        // A newline in a name cannot break the message: JSON escapes it.
        assert_eq!(e.matches('\n').count(), 4);
        assert!(e.contains("Mời công dân số 1023 đến quầy số 3"));
    }

    #[test]
    fn panel_links_stay_local_and_encoded() {
        assert_eq!(
            panel_href("30112", Some(3), "call", Some(12)),
            "/can-bo/quay?unit=30112&quay=3&ok=call&so=12"
        );
        assert_eq!(panel_href("a&b", None, "", None), "/can-bo/quay?unit=a%26b");
    }
}
