//! The kiosk (`/kiosk/{unit}`): a citizen takes a ticket, checks in a booking,
//! or reads their chip ID card to fill forms.

use super::*;

pub(super) struct ServiceButton {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) waiting: i64,
}

/// The applicant data read from a card, to be checked by the person.
pub(super) struct CardView {
    pub(super) rows: Vec<(String, String)>,
    pub(super) mrz: bool,
}

#[derive(Template)]
#[template(path = "kiosk_home.html")]
pub(super) struct KioskPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) services: Vec<ServiceButton>,
    pub(super) print: bool,
    pub(super) phone: String,
    pub(super) appointment_code: String,
    pub(super) card: String,
    pub(super) card_view: Option<CardView>,
    pub(super) errors: Vec<ErrorLine>,
    pub(super) phone_error: Option<String>,
    pub(super) service_error: Option<String>,
    pub(super) code_error: Option<String>,
    pub(super) card_error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct KioskQuery {
    /// "1": this kiosk prints its tickets.
    #[serde(rename = "in")]
    pub(super) print: Option<String>,
}

#[derive(Default)]
pub(super) struct KioskInput {
    pub(super) phone: String,
    pub(super) appointment_code: String,
    pub(super) card: String,
    pub(super) card_view: Option<CardView>,
    pub(super) problems: Vec<Problem>,
}

pub(super) async fn kiosk_page(
    s: &AppState,
    c: Ctx,
    unit: &str,
    print: bool,
    i: KioskInput,
) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(s, lang, unit).await?;
    let q = s.store.queue();
    let (services, _) = q.setup(unit).await.map_err(page_err(lang))?;
    let waiting = q
        .tickets(unit, today(s), &WAITING)
        .await
        .map_err(page_err(lang))?;
    let services = waiting_by_service(&services, &waiting)
        .into_iter()
        .map(|(id, name, waiting)| ServiceButton { id, name, waiting })
        .collect();
    let field_error = |names: &[&str]| {
        i.problems
            .iter()
            .find(|p| {
                p.field.as_deref().is_some_and(|f| {
                    names
                        .iter()
                        .any(|n| f == *n || f.starts_with(&format!("{n}.")))
                })
            })
            .map(|p| p.message.clone())
    };
    let errors = i
        .problems
        .iter()
        .map(|p| {
            let target = match p.field.as_deref().unwrap_or("") {
                "phone" => "phone",
                "code" => "appointment-code",
                f if f == "card" || f.starts_with("card.") => "kiosk-card",
                _ => "services",
            };
            ErrorLine {
                href: format!("#{target}"),
                message: p.message.clone(),
            }
        })
        .collect::<Vec<_>>();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = KioskPage {
        unit: unit.to_string(),
        unit_name,
        services,
        print,
        phone: i.phone,
        appointment_code: i.appointment_code,
        card: i.card,
        card_view: i.card_view,
        phone_error: field_error(&["phone"]),
        service_error: field_error(&["service"]),
        code_error: field_error(&["code"]),
        card_error: field_error(&["card"]),
        errors,
        c,
    };
    render_status(status, &page)
}

pub(super) async fn kiosk(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<KioskQuery>,
) -> PageResult {
    let print = q.print.as_deref() == Some("1");
    kiosk_page(&s, c, &unit, print, KioskInput::default()).await
}

pub(super) fn ticket_href(unit: &str, token: &str, print: bool) -> String {
    format!(
        "/kiosk/{}/ve/{}{}",
        url_encode(unit),
        url_encode(token),
        if print { "?in=1" } else { "" }
    )
}

/// Tickets and check-ins count against the client's public rate limit (the
/// one of lookups): a kiosk never comes near it, a script filling the queue
/// with junk numbers does.
pub(super) fn limit(limits: &Limits, peer: SocketAddr, lang: Lang) -> Result<(), PageError> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))
}

pub(super) async fn take_ticket(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    limit(&limits, peer, lang)?;
    let form = form_fields(&s, lang, req).await?;
    let print = form.trimmed("in") == "1";
    let phone = form.trimmed("phone").to_string();
    unit_name(&s, lang, &unit).await?;
    let service = form.trimmed("service").parse::<i64>().unwrap_or(-1);
    let phone_arg = (!phone.is_empty()).then_some(phone.as_str());
    match s
        .store
        .queue()
        .issue(&unit, service, phone_arg, now(&s))
        .await
    {
        Ok(t) => Ok(Redirect::to(&ticket_href(&unit, &t.token, print)).into_response()),
        Err(motcua_store::StoreError::Problem(p)) if p.kind == ProblemKind::Invalid => {
            let p = if p.code == "unknown_service" {
                Problem::invalid(
                    "choose_service",
                    "service",
                    c.tr("Hãy chạm vào một dịch vụ", "Touch one of the services"),
                )
            } else {
                p
            };
            let input = KioskInput {
                phone,
                problems: vec![p],
                ..KioskInput::default()
            };
            kiosk_page(&s, c, &unit, print, input).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

#[derive(Template)]
#[template(path = "kiosk_ticket.html")]
pub(super) struct TicketPage {
    pub(super) c: Ctx,
    pub(super) unit: String,
    pub(super) unit_name: String,
    pub(super) number: i64,
    pub(super) service: String,
    pub(super) date: String,
    pub(super) time: String,
    pub(super) status: String,
    pub(super) waiting: bool,
    pub(super) counter: Option<i64>,
    pub(super) ahead: i64,
    pub(super) minutes: i64,
    pub(super) phone: bool,
    pub(super) appointment: Option<String>,
    pub(super) print: bool,
}

pub(super) async fn ticket_page(
    c: Ctx,
    State(s): State<AppState>,
    Path((unit, token)): Path<(String, String)>,
    Query(q): Query<KioskQuery>,
) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(&s, lang, &unit).await?;
    let q_ = s.store.queue();
    let t = match q_.ticket_by_token(&token).await.map_err(page_err(lang))? {
        Some(t) if t.unit_code == unit => t,
        _ => {
            return Err(PageError::new(
                lang,
                Problem::not_found("ticket_not_found", "Không tìm thấy số thứ tự này").into(),
            ));
        }
    };
    let e = q_.estimate(&t).await.map_err(page_err(lang))?;
    render(&TicketPage {
        unit,
        unit_name,
        number: t.number,
        service: t.service_name.clone(),
        date: dmy(t.day),
        time: hhmm(t.issued_at),
        status: status_words(&c, t.status).to_string(),
        waiting: t.status.is_waiting(),
        counter: t.counter_number,
        ahead: e.ahead,
        minutes: e.minutes,
        phone: t.phone.is_some(),
        appointment: t.appointment_code.clone(),
        print: q.print.as_deref() == Some("1"),
        c,
    })
}

pub(super) async fn check_in(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    limit(&limits, peer, lang)?;
    let form = form_fields(&s, lang, req).await?;
    let print = form.trimmed("in") == "1";
    let code = form.trimmed("code").to_string();
    unit_name(&s, lang, &unit).await?;
    if code.is_empty() {
        let input = KioskInput {
            problems: vec![Problem::invalid(
                "no_code",
                "code",
                c.tr(
                    "Hãy nhập mã lịch hẹn (6 ký tự)",
                    "Enter the appointment code (6 characters)",
                ),
            )],
            ..KioskInput::default()
        };
        return kiosk_page(&s, c, &unit, print, input).await;
    }
    match s.store.queue().check_in(&unit, &code, now(&s)).await {
        Ok(t) => Ok(Redirect::to(&ticket_href(&unit, &t.token, print)).into_response()),
        Err(motcua_store::StoreError::Problem(p)) if p.kind == ProblemKind::Invalid => {
            let input = KioskInput {
                appointment_code: code,
                problems: vec![p.with_field("code")],
                ..KioskInput::default()
            };
            kiosk_page(&s, c, &unit, print, input).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

/// The rows of a card as the person checks them.
pub(super) fn card_rows(
    c: &Ctx,
    card: &motcua_domain::identity::CardData,
) -> Vec<(String, String)> {
    use motcua_domain::identity::Gender;
    let mut rows = vec![
        (
            c.tr("Họ và tên", "Full name").to_string(),
            card.full_name.clone(),
        ),
        (
            c.tr("Số định danh cá nhân", "Personal ID number")
                .to_string(),
            card.id_number.clone(),
        ),
        (
            c.tr("Ngày sinh", "Date of birth").to_string(),
            dmy(card.date_of_birth),
        ),
        (
            c.tr("Giới tính", "Sex").to_string(),
            match card.gender {
                Gender::Male => c.tr("Nam", "Male"),
                Gender::Female => c.tr("Nữ", "Female"),
            }
            .to_string(),
        ),
    ];
    if let Some(a) = &card.address {
        rows.push((
            c.tr("Nơi thường trú", "Permanent residence").to_string(),
            a.clone(),
        ));
    }
    if let Some(d) = card.issued_on {
        rows.push((c.tr("Ngày cấp", "Issued on").to_string(), dmy(d)));
    }
    rows
}

pub(super) async fn read_card(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let print = form.trimmed("in") == "1";
    let raw = form.trimmed("card").to_string();
    let input = if raw.is_empty() {
        KioskInput {
            problems: vec![Problem::invalid(
                "no_card",
                "card",
                c.tr(
                    "Hãy đưa mã QR trên thẻ căn cước vào máy quét",
                    "Hold the ID card's QR code under the scanner",
                ),
            )],
            ..KioskInput::default()
        }
    } else {
        match motcua_domain::identity::parse_card(&raw, today(&s)) {
            Ok(card) => KioskInput {
                card_view: Some(CardView {
                    rows: card_rows(&c, &card),
                    mrz: !raw.contains('|'),
                }),
                ..KioskInput::default()
            },
            Err(p) => KioskInput {
                card: raw,
                problems: vec![p],
                ..KioskInput::default()
            },
        }
    };
    kiosk_page(&s, c, &unit, print, input).await
}
