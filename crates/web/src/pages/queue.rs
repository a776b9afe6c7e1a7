//! The queue at the center: the kiosk where a citizen takes a numbered
//! ticket (or checks in an appointment, reads a receipt's QR code or the chip
//! ID card), the officer's counter panel, the display board for a TV with its
//! live feed of calls, online appointments and the queue's figures.
//!
//! Everything works without JavaScript except the live board, which then
//! refreshes itself every few seconds. `static/board.js` listens to the
//! server-sent events of `/bang/{unit}/su-kien` (reconnecting by itself and
//! resuming after the last call it saw), chimes and says the call in
//! Vietnamese when the browser has a vi-VN voice; `static/kiosk.js` prints
//! the ticket on a kiosk set up to print.

use super::{Ctx, Lang, PageError, PageResult, local_path, render, render_status, url_encode};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET, parse_date};
use motcua_domain::lifecycle::Role;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::User;
use motcua_store::queue::{Call, Counter, QueueStats, Service, Ticket, TicketAction, TicketStatus};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/board.js",
            get(|| {
                super::asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/board.js"),
                )
            }),
        )
        .route(
            "/static/kiosk.js",
            get(|| {
                super::asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/kiosk.js"),
                )
            }),
        )
        .route("/kiosk/{unit}", get(kiosk))
        .route("/kiosk/{unit}/ve", post(take_ticket))
        .route("/kiosk/{unit}/ve/{token}", get(ticket_page))
        .route("/kiosk/{unit}/hen", post(check_in))
        .route("/kiosk/{unit}/the", post(read_card))
        .route("/bang/{unit}", get(board))
        .route("/bang/{unit}/su-kien", get(board_events))
        .route("/can-bo/quay", get(panel).post(panel_post))
        .route("/can-bo/quay/cau-hinh", get(setup_page).post(setup_post))
        .route("/can-bo/thong-ke-quay", get(stats_page))
        .route("/dat-lich/{unit}", get(booking).post(book))
        .route("/dat-lich/{unit}/{code}", get(booked))
}

// ---- helpers -------------------------------------------------------------------

struct ErrorLine {
    href: String,
    message: String,
}

struct Choice {
    value: String,
    label: String,
    checked: bool,
}

fn sign_in(next: &str) -> Response {
    Redirect::to(&format!("/dang-nhap?next={}", url_encode(local_path(next)))).into_response()
}

fn page_err(lang: Lang) -> impl Fn(motcua_store::StoreError) -> PageError {
    move |e| PageError::new(lang, e.into())
}

fn not_found(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found("unit_not_found", "Không tìm thấy đơn vị này").into(),
    )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn today() -> Date {
    now().to_offset(VN_OFFSET).date()
}

/// "08:05": local time of day.
fn hhmm(t: OffsetDateTime) -> String {
    let l = t.to_offset(VN_OFFSET);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// "02/03/2026".
fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// The unit's name, or a 404 page when there is no such unit.
async fn unit_name(s: &AppState, lang: Lang, code: &str) -> Result<String, PageError> {
    match s.store.unit(code).await.map_err(page_err(lang))? {
        Some(u) => Ok(u.name),
        None => Err(not_found(lang)),
    }
}

/// An urlencoded form as (name, value) pairs.
async fn form_fields(s: &AppState, lang: Lang, req: Request) -> Result<Form, PageError> {
    let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(req, s)
        .await
        .map_err(|e| {
            PageError::new(
                lang,
                Problem::new(
                    ProblemKind::BadRequest,
                    "bad_form",
                    format!("Biểu mẫu không hợp lệ: {e}"),
                )
                .into(),
            )
        })?;
    Ok(Form(fields))
}

struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }
}

fn status_words(c: &Ctx, s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Waiting => c.tr("Đang chờ", "Waiting"),
        TicketStatus::Called => c.tr("Đang mời", "Called"),
        TicketStatus::Serving => c.tr("Đang phục vụ", "Being served"),
        TicketStatus::Done => c.tr("Đã xong", "Done"),
        TicketStatus::Skipped => c.tr("Vắng mặt", "No-show"),
        TicketStatus::Held => c.tr("Tạm giữ", "On hold"),
        TicketStatus::Transferred => c.tr("Đã chuyển, đang chờ", "Transferred, waiting"),
    }
}

/// "Mời công dân số 12 đến quầy số 3": what the board says.
fn call_words(number: i64, counter: i64) -> String {
    format!("Mời công dân số {number} đến quầy số {counter}")
}

fn waiting_by_service(services: &[Service], waiting: &[Ticket]) -> Vec<(i64, String, i64)> {
    services
        .iter()
        .filter(|s| s.active)
        .map(|s| {
            (
                s.id,
                s.name.clone(),
                waiting.iter().filter(|t| t.service_id == s.id).count() as i64,
            )
        })
        .collect()
}

const WAITING: [TicketStatus; 2] = [TicketStatus::Waiting, TicketStatus::Transferred];

// ---- the kiosk -----------------------------------------------------------------

struct ServiceButton {
    id: i64,
    name: String,
    waiting: i64,
}

/// The applicant data read from a card, to be checked by the person.
struct CardView {
    rows: Vec<(String, String)>,
    mrz: bool,
}

#[derive(Template)]
#[template(path = "kiosk_home.html")]
struct KioskPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    services: Vec<ServiceButton>,
    print: bool,
    phone: String,
    appointment_code: String,
    card: String,
    card_view: Option<CardView>,
    errors: Vec<ErrorLine>,
    phone_error: Option<String>,
    service_error: Option<String>,
    code_error: Option<String>,
    card_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct KioskQuery {
    /// "1": this kiosk prints its tickets.
    #[serde(rename = "in")]
    print: Option<String>,
}

#[derive(Default)]
struct KioskInput {
    phone: String,
    appointment_code: String,
    card: String,
    card_view: Option<CardView>,
    problems: Vec<Problem>,
}

async fn kiosk_page(s: &AppState, c: Ctx, unit: &str, print: bool, i: KioskInput) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(s, lang, unit).await?;
    let q = s.store.queue();
    let (services, _) = q.setup(unit).await.map_err(page_err(lang))?;
    let waiting = q
        .tickets(unit, today(), &WAITING)
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

async fn kiosk(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<KioskQuery>,
) -> PageResult {
    let print = q.print.as_deref() == Some("1");
    kiosk_page(&s, c, &unit, print, KioskInput::default()).await
}

fn ticket_href(unit: &str, token: &str, print: bool) -> String {
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
fn limit(limits: &Limits, peer: SocketAddr, lang: Lang) -> Result<(), PageError> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))
}

async fn take_ticket(
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
    let print = form.get("in") == "1";
    let phone = form.get("phone").to_string();
    unit_name(&s, lang, &unit).await?;
    let service = form.get("service").parse::<i64>().unwrap_or(-1);
    let phone_arg = (!phone.is_empty()).then_some(phone.as_str());
    match s
        .store
        .queue()
        .issue(&unit, service, phone_arg, now())
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
struct TicketPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    number: i64,
    service: String,
    date: String,
    time: String,
    status: String,
    waiting: bool,
    counter: Option<i64>,
    ahead: i64,
    minutes: i64,
    phone: bool,
    appointment: Option<String>,
    print: bool,
}

async fn ticket_page(
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

async fn check_in(
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
    let print = form.get("in") == "1";
    let code = form.get("code").to_string();
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
    match s.store.queue().check_in(&unit, &code, now()).await {
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
fn card_rows(c: &Ctx, card: &motcua_domain::identity::CardData) -> Vec<(String, String)> {
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

async fn read_card(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let print = form.get("in") == "1";
    let raw = form.get("card").to_string();
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
        match motcua_domain::identity::parse_card(&raw, today()) {
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

// ---- the display board ---------------------------------------------------------

struct CallView {
    number: i64,
    counter: i64,
    at: String,
    words: String,
}

impl From<&Call> for CallView {
    fn from(c: &Call) -> Self {
        CallView {
            number: c.number,
            counter: c.counter_number,
            at: hhmm(c.at),
            words: call_words(c.number, c.counter_number),
        }
    }
}

struct CounterView {
    number: i64,
    name: String,
    ticket: Option<i64>,
}

#[derive(Template)]
#[template(path = "queue_board.html")]
struct BoardPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    latest: Option<CallView>,
    counters: Vec<CounterView>,
    recent: Vec<CallView>,
    waiting: Vec<(i64, String, i64)>,
    last_seq: i64,
    clock: String,
}

async fn board(c: Ctx, State(s): State<AppState>, Path(unit): Path<String>) -> PageResult {
    let lang = c.lang;
    let unit_name = unit_name(&s, lang, &unit).await?;
    let q = s.store.queue();
    let (services, counters) = q.setup(&unit).await.map_err(page_err(lang))?;
    let last_seq = q.last_call_seq(&unit).await.map_err(page_err(lang))?;
    let recent = q
        .recent_calls(&unit, now(), 60)
        .await
        .map_err(page_err(lang))?;
    let waiting = q
        .tickets(&unit, today(), &WAITING)
        .await
        .map_err(page_err(lang))?;
    let counters = counters
        .iter()
        .filter(|k| k.active)
        .map(|k| CounterView {
            number: k.number,
            name: k.name.clone(),
            ticket: recent
                .iter()
                .find(|r| r.counter_number == k.number)
                .map(|r| r.number),
        })
        .collect();
    render(&BoardPage {
        unit,
        unit_name,
        latest: recent.first().map(CallView::from),
        counters,
        recent: recent.iter().take(8).map(CallView::from).collect(),
        waiting: waiting_by_service(&services, &waiting),
        last_seq,
        clock: hhmm(now()),
        c,
    })
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<String>,
}

/// How long a request of the board waits for the next call before it
/// answers with the waiting counts alone (then the board asks again).
const HOLD: Duration = Duration::from_secs(25);
/// After a call, how long to wait for more calls to send in the same answer.
const GATHER: Duration = Duration::from_millis(50);

/// The board's live feed as server-sent events: each call once, in order,
/// with its sequence number as the event id.
///
/// Each answer holds the calls made after the board's last event id (sent
/// by the browser as Last-Event-ID when it reconnects, or `?after=` the
/// first time), waiting up to HOLD for the first one, then ends; the
/// EventSource reconnects after `retry` and resumes exactly where it was.
/// Answers that end are what make every reconnect exercised all day, keep
/// a server shutdown from waiting on open boards, and need no streaming
/// body: long polling spoken in the event-stream format.
async fn board_events(
    State(s): State<AppState>,
    Path(unit): Path<String>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response, PageError> {
    unit_name(&s, Lang::Vi, &unit).await?;
    let queue = s.store.queue();
    let last = queue
        .last_call_seq(&unit)
        .await
        .map_err(page_err(Lang::Vi))?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or_else(|| q.after.as_deref().and_then(|a| a.trim().parse().ok()));
    // Beyond the last call (a restored database): start from the last one.
    let after = resume.map_or(last, |a| a.clamp(0, last));
    let mut feed = queue.feed(&unit, after);
    let mut out = String::from("retry: 500\n\n");
    let first = tokio::select! {
        n = tokio::time::timeout(HOLD, feed.next()) => n.ok(),
        _ = tokio::signal::ctrl_c() => None,
    };
    match first {
        Some(Ok(call)) => {
            out.push_str(&call_event(&call));
            while out.len() < 64 * 1024 {
                match tokio::time::timeout(GATHER, feed.next()).await {
                    Ok(Ok(call)) => out.push_str(&call_event(&call)),
                    _ => break,
                }
            }
        }
        Some(Err(e)) => tracing::warn!(error = %e, "board feed failed"),
        None => {
            let counts = match (
                queue.services(&unit).await,
                queue.tickets(&unit, today(), &WAITING).await,
            ) {
                (Ok(services), Ok(waiting)) => waiting_by_service(&services, &waiting),
                _ => Vec::new(),
            };
            let data = serde_json::Value::Array(
                counts
                    .iter()
                    .map(|(id, name, n)| serde_json::json!({"service": id, "name": name, "waiting": n}))
                    .collect(),
            );
            out.push_str(&format!("event: waiting\ndata: {data}\n\n"));
        }
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// One call as a server-sent event (its data is JSON on one line).
fn call_event(c: &Call) -> String {
    let data = serde_json::json!({
        "seq": c.seq,
        "number": c.number,
        "counter": c.counter_number,
        "counter_name": c.counter_name,
        "service": c.service_name,
        "at": hhmm(c.at),
        "say": call_words(c.number, c.counter_number),
    });
    format!("id: {}\nevent: call\ndata: {data}\n\n", c.seq)
}

// ---- the officer's counter panel -----------------------------------------------

fn may_work_counter(user: &User, unit: &str) -> bool {
    user.sees_unit(unit)
        && !user.has_role(Role::Admin)
        && (user.has_role(Role::Receptionist) || user.has_role(Role::UnitAdmin))
}

struct TicketView {
    id: i64,
    number: i64,
    service: String,
    status: String,
    called: bool,
    issued: String,
    since: String,
    phone: Option<String>,
    dossier: Option<String>,
    appointment: Option<String>,
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
struct PanelPage {
    c: Ctx,
    allowed: bool,
    unit: String,
    unit_name: String,
    units: Vec<Choice>,
    counters: Vec<Choice>,
    counter: Option<(i64, String)>,
    current: Option<TicketView>,
    held: Vec<TicketView>,
    next_up: Vec<TicketView>,
    waiting_total: usize,
    services: Vec<Choice>,
    other_counters: Vec<Choice>,
    dossier_code: String,
    can_set_up: bool,
    notice: Option<String>,
    errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
struct PanelQuery {
    unit: Option<String>,
    quay: Option<String>,
    ok: Option<String>,
    so: Option<String>,
}

async fn unit_choices(s: &AppState, user: &User, chosen: &str) -> Result<Vec<Choice>, PageError> {
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

struct PanelState {
    unit: String,
    quay: Option<i64>,
    notice: Option<String>,
    dossier_code: String,
    problems: Vec<Problem>,
}

async fn panel_page(s: &AppState, c: Ctx, user: &User, st: PanelState) -> PageResult {
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
        .tickets(&unit, today(), &[])
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

fn panel_href(unit: &str, quay: Option<i64>, ok: &str, so: Option<i64>) -> String {
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

fn notice_words(c: &Ctx, ok: &str, so: Option<i64>, quay: Option<i64>) -> Option<String> {
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

async fn panel(c: Ctx, State(s): State<AppState>, Query(q): Query<PanelQuery>) -> PageResult {
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

async fn panel_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/quay"));
    };
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let unit = form.get("unit").to_string();
    let quay = form.get("quay").parse::<i64>().ok();
    let go = form.get("go").to_string();
    let dossier_code = form.get("dossier_code").to_string();
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
    let ticket = form.get("ticket").parse::<i64>().unwrap_or(-1);
    let result = match go.as_str() {
        "call" => q
            .call_next(&unit, counter.id, now())
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
                    let target = match form.get("to_counter") {
                        "" => None,
                        n => n
                            .parse::<i64>()
                            .ok()
                            .and_then(|n| counters.iter().find(|k| k.number == n))
                            .map(|k| k.id)
                            .or(Some(-1)),
                    };
                    Some(TicketAction::Transfer {
                        service_id: form.get("service").parse().unwrap_or(-1),
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
                    .act(&unit, counter.id, ticket, &a, now())
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

// ---- services and counters of a unit (its unit admin) ----------------------------

fn may_set_up(user: &User, unit: &str) -> bool {
    user.has_role(Role::Admin)
        || (!unit.is_empty()
            && user.has_role(Role::UnitAdmin)
            && user.units.iter().any(|u| u == unit))
}

struct CounterForm {
    number: i64,
    name: String,
    active: bool,
    services: Vec<Choice>,
}

struct ServiceForm {
    id: i64,
    name: String,
    active: bool,
    fields: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "queue_setup.html")]
struct SetupPage {
    c: Ctx,
    allowed: bool,
    unit: String,
    unit_name: String,
    units: Vec<Choice>,
    counters: Vec<CounterForm>,
    services: Vec<ServiceForm>,
    all_services: Vec<Choice>,
    all_fields: Vec<Choice>,
    next_number: i64,
    notice: Option<String>,
    errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
struct SetupQuery {
    unit: Option<String>,
    ok: Option<String>,
}

async fn setup_view(
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

async fn setup_page(c: Ctx, State(s): State<AppState>, Query(q): Query<SetupQuery>) -> PageResult {
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

async fn setup_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/quay/cau-hinh"));
    };
    let lang = c.lang;
    let form = form_fields(&s, lang, req).await?;
    let unit = form.get("unit").to_string();
    if !may_set_up(&user, &unit) {
        return setup_view(&s, c, &user, unit, None, Vec::new()).await;
    }
    let q = s.store.queue();
    let active = form.get("active") == "1";
    let (result, ok) = match form.get("go") {
        "counter" => {
            let services: Vec<i64> = form
                .all("service")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect();
            let number = form.get("number").parse::<i64>().unwrap_or(0);
            (
                q.put_counter(&unit, number, form.get("name"), active, &services)
                    .await
                    .map(drop),
                "counter",
            )
        }
        "service" => {
            let fields: Vec<String> = form.all("field").iter().map(|f| f.to_string()).collect();
            (
                q.put_service(&unit, form.get("name"), &fields, active)
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

// ---- statistics ----------------------------------------------------------------

struct FigureRow {
    label: String,
    tickets: i64,
    served: i64,
    skipped: i64,
    avg_wait: String,
    max_wait: String,
    avg_service: String,
}

#[derive(Template)]
#[template(path = "queue_stats.html")]
struct StatsPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    units: Vec<Choice>,
    from: String,
    to: String,
    total: FigureRow,
    /// (title, table id, rows)
    sections: Vec<(String, &'static str, Vec<FigureRow>)>,
    errors: Vec<ErrorLine>,
}

#[derive(Deserialize, Default)]
struct StatsQuery {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn minutes_text(c: &Ctx, seconds: Option<i64>) -> String {
    match seconds {
        None => "—".to_string(),
        Some(s) if s < 60 => format!("{s} {}", c.tr("giây", "s")),
        Some(s) => format!("{} {}", (s + 30) / 60, c.tr("phút", "min")),
    }
}

fn figure_row(label: String, f: &motcua_store::queue::Figures, c: &Ctx) -> FigureRow {
    FigureRow {
        label,
        tickets: f.tickets,
        served: f.served,
        skipped: f.skipped,
        avg_wait: minutes_text(c, f.avg_wait_s),
        max_wait: minutes_text(c, f.max_wait_s),
        avg_service: minutes_text(c, f.avg_service_s),
    }
}

async fn stats_page(c: Ctx, State(s): State<AppState>, Query(q): Query<StatsQuery>) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => user.units.first().cloned().unwrap_or_default(),
    };
    if unit.is_empty() || !user.sees_unit(&unit) {
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "other_unit",
                "Bạn không làm việc tại đơn vị này / You do not work for this unit",
            )
            .into(),
        ));
    }
    let mut errors = Vec::new();
    let mut day = |raw: Option<&str>, default: Date, id: &str| -> Date {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None => default,
            Some(r) => parse_date(r).unwrap_or_else(|_| {
                errors.push(ErrorLine {
                    href: format!("#{id}"),
                    message: c
                        .tr(
                            "Ngày phải có dạng năm-tháng-ngày, ví dụ 2026-03-02",
                            "Dates look like 2026-03-02",
                        )
                        .to_string(),
                });
                default
            }),
        }
    };
    let to = day(q.to.as_deref(), today(), "to");
    let from = day(
        q.from.as_deref(),
        to.checked_sub(time::Duration::days(6)).unwrap_or(to),
        "from",
    );
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    // At most a year at a time.
    let from = from.max(to.checked_sub(time::Duration::days(366)).unwrap_or(from));
    let unit_name = unit_name(&s, lang, &unit).await?;
    let stats: QueueStats = s
        .store
        .queue()
        .stats(&unit, from, to)
        .await
        .map_err(page_err(lang))?;
    let iso = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let page = StatsPage {
        units: unit_choices(&s, &user, &unit).await?,
        from: iso(from),
        to: iso(to),
        total: figure_row(c.tr("Tổng cộng", "Total").to_string(), &stats.total, &c),
        sections: vec![
            (
                c.tr("Theo dịch vụ", "By service").to_string(),
                "by-service",
                stats
                    .by_service
                    .iter()
                    .map(|(k, f)| figure_row(k.clone(), f, &c))
                    .collect(),
            ),
            (
                c.tr("Theo quầy", "By counter").to_string(),
                "by-counter",
                stats
                    .by_counter
                    .iter()
                    .map(|(k, f)| {
                        let label = match k {
                            Some(n) => format!("{} {n}", c.tr("Quầy", "Counter")),
                            None => c.tr("Chưa được gọi", "Never called").to_string(),
                        };
                        figure_row(label, f, &c)
                    })
                    .collect(),
            ),
            (
                c.tr("Theo giờ lấy số", "By hour taken").to_string(),
                "by-hour",
                stats
                    .by_hour
                    .iter()
                    .map(|(h, f)| figure_row(format!("{h:02}:00–{h:02}:59"), f, &c))
                    .collect(),
            ),
            (
                c.tr("Theo ngày", "By day").to_string(),
                "by-day",
                stats
                    .by_day
                    .iter()
                    .map(|(d, f)| figure_row(dmy(*d), f, &c))
                    .collect(),
            ),
        ],
        errors,
        unit,
        unit_name,
        c,
    };
    render(&page)
}

// ---- appointments ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "queue_booking.html")]
struct BookingPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    services: Vec<Choice>,
    days: Vec<Choice>,
    slots: Vec<(String, i64, bool)>,
    chosen: bool,
    full_name: String,
    phone: String,
    errors: Vec<ErrorLine>,
    service_error: Option<String>,
    slot_error: Option<String>,
    name_error: Option<String>,
    phone_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct BookingQuery {
    service: Option<String>,
    day: Option<String>,
}

struct BookingInput {
    service: Option<i64>,
    day: Option<Date>,
    slot: String,
    full_name: String,
    phone: String,
    problems: Vec<Problem>,
}

/// The next working days a slot can be booked on.
async fn booking_days(s: &AppState, unit: &str) -> Result<Vec<Date>, motcua_store::StoreError> {
    let cal = s.store.calendar(Some(unit)).await?;
    let mut out = Vec::new();
    let mut d = today();
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

async fn booking_page(s: &AppState, c: Ctx, unit: &str, i: BookingInput) -> PageResult {
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
            .slots(unit, sv, d, now())
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

fn weekday(c: &Ctx, d: Date) -> &'static str {
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

async fn booking(
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

async fn book(
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
        service: form.get("service").parse().ok(),
        day: parse_date(form.get("day")).ok(),
        slot: form.get("slot").to_string(),
        full_name: form.get("full_name").to_string(),
        phone: form.get("phone").to_string(),
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
    if form.get("go") != "book" {
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
            now(),
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
struct BookedPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    code: String,
    service: String,
    day: String,
    slot: String,
    name: String,
    checked_in: bool,
}

async fn booked(
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
