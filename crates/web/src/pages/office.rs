//! The officers' back office: sign-in, work queues, the dossier page (with
//! only the actions the officer may take now), counter intake with its
//! printed receipt, documents, and the units' working calendar.
//!
//! Every page works without JavaScript. Forms are protected against
//! cross-site posting by the router's CSRF layer (Origin / Sec-Fetch-Site
//! checks) on top of the SameSite=Lax session cookie.

use super::citizen::status_words;
use super::{
    Ctx, Lang, PageError, PageResult, base_url, local_path, processing_words, qr_svg, render,
    render_status, url_encode, when,
};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, token_hash};
use crate::error::{ApiError, status_of};
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_domain::calendar::{
    CalendarOverride, OffsetDateTime, OverrideKind, VN_OFFSET, WorkCalendar, format_vn, parse_date,
};
use motcua_domain::catalog::Procedure;
use motcua_domain::delivery::{Delivery, DeliveryMethod};
use motcua_domain::dossier::{ApplicantInput, Event, Projection, field};
use motcua_domain::lifecycle::{Action, Channel, Role, Status, needs_note};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, DossierRecord, ListFilter, NewDossier, Scope, StoreError,
    User,
};
use serde::Deserialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// Room for several 10 MB scans plus the form around them.
const FORM_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Rows of a work-queue page.
const PAGE_ROWS: i64 = 50;
/// Queues counted by listing stop counting here ("500+").
const COUNT_CAP: i64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dang-nhap", get(login_form).post(login))
        .route("/dang-xuat", post(logout))
        .route("/can-bo", get(queues))
        .route("/can-bo/ho-so/{code}", get(dossier_page))
        .route(
            "/can-bo/ho-so/{code}/thao-tac",
            post(act).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route("/can-bo/ho-so/{code}/bien-nhan", get(receipt))
        .route(
            "/can-bo/tiep-nhan",
            get(intake_form)
                .post(intake)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route("/can-bo/tai-lieu/{id}", get(document))
        .route("/can-bo/lich", get(calendar_page).post(calendar_post))
}

// ---- shared helpers ------------------------------------------------------------

/// Send a visitor who is not signed in to the login page, coming back to `next`.
fn sign_in(next: &str) -> Response {
    Redirect::to(&format!("/dang-nhap?next={}", url_encode(local_path(next)))).into_response()
}

fn not_found(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into(),
    )
}

fn store_err(lang: Lang) -> impl Fn(StoreError) -> PageError {
    move |e| PageError::new(lang, e.into())
}

/// A form as posted: its fields (repeated names kept) and its files.
#[derive(Default)]
struct Posted {
    fields: Vec<(String, String)>,
    /// (field name, file name, bytes), non-empty files only.
    files: Vec<(String, Option<String>, Vec<u8>)>,
}

impl Posted {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
    fn file(&self, name: &str) -> Option<&(String, Option<String>, Vec<u8>)> {
        self.files.iter().find(|(k, _, _)| k == name)
    }
}

/// Read an urlencoded or multipart form.
async fn read_form(s: &AppState, lang: Lang, req: Request) -> Result<Posted, PageError> {
    let bad = |m: String| {
        PageError::new(
            lang,
            Problem::new(ProblemKind::BadRequest, "bad_form", m).into(),
        )
    };
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(req, s)
            .await
            .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
        return Ok(Posted {
            fields,
            files: Vec::new(),
        });
    }
    let too_large = |e: String| {
        PageError::new(
            lang,
            Problem::new(
                ProblemKind::TooLarge,
                "file_too_large",
                format!("Tệp quá lớn hoặc việc gửi bị gián đoạn: {e}"),
            )
            .into(),
        )
    };
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|e| bad(format!("Biểu mẫu không hợp lệ: {e}")))?;
    let mut out = Posted::default();
    while let Some(f) = mp
        .next_field()
        .await
        .map_err(|e| too_large(e.to_string()))?
    {
        let name = f.name().unwrap_or("").to_string();
        if f.file_name().is_some() {
            let filename = f.file_name().map(str::to_string);
            let bytes = f.bytes().await.map_err(|e| too_large(e.to_string()))?;
            if !bytes.is_empty() {
                out.files.push((name, filename, bytes.to_vec()));
            }
        } else {
            let value = f.text().await.map_err(|e| bad(e.to_string()))?;
            out.fields.push((name, value));
        }
    }
    Ok(out)
}

/// One line of an error summary: where to go, what is wrong.
struct ErrorLine {
    href: String,
    message: String,
}

fn role_words(c: &Ctx, role: &str) -> String {
    match role.parse::<Role>() {
        Ok(r) => match c.lang {
            Lang::Vi => r.label_vi().to_string(),
            Lang::En => r.as_str().replace('_', " "),
        },
        Err(_) if role == "citizen" => c.tr("Người dân", "Citizen").to_string(),
        Err(_) => role.to_string(),
    }
}

fn channel_words(c: &Ctx, ch: &str) -> String {
    match ch.parse::<Channel>() {
        Ok(x) => match c.lang {
            Lang::Vi => x.label_vi(),
            Lang::En => match x {
                Channel::Online => "Online",
                Channel::Counter => "At the counter",
                Channel::Kiosk => "Self-service kiosk",
                Channel::Mobile => "Mobile team",
                Channel::Postal => "By post",
                Channel::Medical => "At a medical facility",
            },
        }
        .to_string(),
        Err(_) => ch.to_string(),
    }
}

/// An action as officers read it (buttons, history, notices).
fn action_label(c: &Ctx, a: Action) -> String {
    match c.lang {
        Lang::Vi => a.label_vi(),
        Lang::En => match a {
            Action::Submit => "Submitted online",
            Action::CreateAtCounter => "Filed at the counter",
            Action::Receive => "Receive the dossier",
            Action::RefuseIntake => "Refuse at intake",
            Action::Assign => "Assign to a specialist",
            Action::RequestSupplement => "Ask for a supplement",
            Action::Supplement => "Add the supplement",
            Action::Propose => "Propose for approval",
            Action::Approve => "Approve",
            Action::SendBack => "Send back for rework",
            Action::Reject => "Reject",
            Action::ReturnResult => "Return the result",
            Action::Withdraw => "Withdraw",
            Action::Apologize => "Apologize and set a new date",
            Action::ReissueKey => "Issue a new lookup key",
        },
    }
    .to_string()
}

/// Working time in words: "1 ngày 2 giờ 30 phút làm việc".
fn minutes_words(c: &Ctx, minutes: i64, per_day: i64) -> String {
    let per_day = per_day.max(1);
    let m = minutes.max(0);
    let (days, rest) = (m / per_day, m % per_day);
    let (hours, mins) = (rest / 60, rest % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} {}", c.tr("ngày", "days")));
    }
    if hours > 0 {
        parts.push(format!("{hours} {}", c.tr("giờ", "hours")));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins} {}", c.tr("phút", "minutes")));
    }
    format!(
        "{} {}",
        parts.join(" "),
        c.tr("làm việc", "of working time")
    )
}

/// "dd/mm/yyyy" of a date.
fn date_vn(d: motcua_domain::calendar::Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn weekday_words(c: &Ctx, d: motcua_domain::calendar::Date) -> &'static str {
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

/// The user's units with their names (one query for a province supervisor).
pub(super) async fn unit_choices(
    s: &AppState,
    user: &User,
) -> Result<Vec<(String, String)>, StoreError> {
    if let Some(p) = &user.province_code {
        return Ok(s
            .store
            .units(Some(p))
            .await?
            .into_iter()
            .filter(|u| user.units.contains(&u.code))
            .map(|u| (u.code, u.name))
            .collect());
    }
    let mut out = Vec::with_capacity(user.units.len());
    for u in &user.units {
        out.push((u.clone(), unit_name(s, u).await?));
    }
    Ok(out)
}

async fn unit_name(s: &AppState, code: &str) -> Result<String, StoreError> {
    Ok(s.store
        .unit(code)
        .await?
        .map_or_else(|| code.to_string(), |u| u.name))
}

// ---- sign in and out -----------------------------------------------------------

#[derive(Template)]
#[template(path = "office_login.html")]
struct LoginPage {
    c: Ctx,
    username: String,
    next: String,
    error: Option<ErrorLine>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn next_or_default(next: Option<&str>) -> String {
    match next.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => local_path(n).to_string(),
        None => "/can-bo".to_string(),
    }
}

async fn login_form(c: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    let next = next_or_default(q.next.as_deref());
    // Signed in already: the form stays, to sign in as someone else at a shared counter.
    render(&LoginPage {
        c,
        username: String::new(),
        next,
        error: None,
    })
}

async fn login(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    let previous = super::cookie(req.headers(), SESSION_COOKIE).map(|t| token_hash(t.trim()));
    let form = read_form(&s, lang, req).await?;
    let username = form.get("username").trim().to_string();
    let password = form.get("password").to_string();
    let next = next_or_default(Some(form.get("next")));
    // The same sign-in as the API: rate limit, lockout, Argon2id, decoy hash.
    let result = if username.is_empty() {
        Err(None)
    } else {
        crate::auth::sign_in(&s.store, &limits, peer.ip(), &username, password)
            .await
            .map_err(Some)
    };
    let mut retry_after = None;
    let (status, href, message) = match result {
        Ok((_, token)) => {
            // Switching user at a shared counter: the previous session ends.
            if let Some(old) = previous {
                s.store
                    .delete_session(&old)
                    .await
                    .map_err(store_err(lang))?;
            }
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&crate::auth::session_cookie(&token)) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            return Ok(resp);
        }
        Err(None) => (
            StatusCode::UNAUTHORIZED,
            "#username",
            c.tr("Nhập tên đăng nhập", "Enter your username")
                .to_string(),
        ),
        Err(Some(ApiError::Problem(p))) if p.kind == motcua_domain::ProblemKind::RateLimited => {
            retry_after = p.retry_after;
            (StatusCode::TOO_MANY_REQUESTS, "#password", p.message)
        }
        Err(Some(ApiError::Problem(_))) => (
            StatusCode::UNAUTHORIZED,
            "#password",
            c.tr(
                "Tên đăng nhập hoặc mật khẩu không đúng",
                "The username or password is wrong",
            )
            .to_string(),
        ),
        Err(Some(e)) => return Err(PageError::new(lang, e)),
    };
    let error = Some(ErrorLine {
        href: href.to_string(),
        message,
    });
    let page = render_status(
        status,
        &LoginPage {
            c,
            username,
            next,
            error,
        },
    )?;
    Ok(match retry_after {
        Some(seconds) => crate::limits::with_retry(seconds, page),
        None => page,
    })
}

async fn logout(State(s): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(token) = super::cookie(&headers, SESSION_COOKIE) {
        s.store.delete_session(&token_hash(token.trim())).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("motcua_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

// ---- work queues ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Mine,
    Submitted,
    Received,
    Processing,
    AwaitingSupplement,
    AwaitingApproval,
    ResultReady,
    DueSoon,
    Late,
    All,
}

impl Queue {
    const ALL: [Queue; 10] = [
        Queue::Mine,
        Queue::Submitted,
        Queue::Received,
        Queue::Processing,
        Queue::AwaitingSupplement,
        Queue::AwaitingApproval,
        Queue::ResultReady,
        Queue::DueSoon,
        Queue::Late,
        Queue::All,
    ];

    fn slug(self) -> &'static str {
        match self {
            Queue::Mine => "giao-cho-toi",
            Queue::Submitted => "cho-tiep-nhan",
            Queue::Received => "da-tiep-nhan",
            Queue::Processing => "dang-xu-ly",
            Queue::AwaitingSupplement => "cho-bo-sung",
            Queue::AwaitingApproval => "cho-phe-duyet",
            Queue::ResultReady => "cho-tra-ket-qua",
            Queue::DueSoon => "sap-den-han",
            Queue::Late => "qua-han",
            Queue::All => "tat-ca",
        }
    }

    fn from_slug(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.slug() == s)
    }

    fn label(self, c: &Ctx) -> &'static str {
        match self {
            Queue::Mine => c.tr("Giao cho tôi", "Assigned to me"),
            Queue::Submitted => c.tr("Chờ tiếp nhận", "Awaiting reception"),
            Queue::Received => c.tr("Đã tiếp nhận", "Received"),
            Queue::Processing => c.tr("Đang xử lý", "Being processed"),
            Queue::AwaitingSupplement => c.tr("Chờ bổ sung", "Awaiting supplement"),
            Queue::AwaitingApproval => c.tr("Chờ phê duyệt", "Awaiting approval"),
            Queue::ResultReady => c.tr("Chờ trả kết quả", "Result to return"),
            Queue::DueSoon => c.tr("Sắp đến hạn", "Due within a day"),
            Queue::Late => c.tr("Quá hạn", "Late"),
            Queue::All => c.tr("Tất cả", "All"),
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            Queue::Mine | Queue::Processing => Some(Status::Processing),
            Queue::Submitted => Some(Status::Submitted),
            Queue::Received => Some(Status::Received),
            Queue::AwaitingSupplement => Some(Status::AwaitingSupplement),
            Queue::AwaitingApproval => Some(Status::AwaitingApproval),
            Queue::ResultReady => Some(Status::ResultReady),
            Queue::DueSoon | Queue::Late | Queue::All => None,
        }
    }

    /// Whether the queue's count comes from the per-status counters.
    fn counted_by_status(self) -> bool {
        !matches!(self, Queue::Mine | Queue::DueSoon | Queue::Late)
    }

    fn filter(self, scope: Scope, user: &User, now: OffsetDateTime, limit: i64) -> ListFilter {
        let mut f = ListFilter::new(scope, limit);
        f.status = self.status();
        match self {
            Queue::Mine => f.assignee = Some(user.username.clone()),
            Queue::DueSoon => {
                f.open_clock = true;
                f.late = Some(false);
                f.due_before = Some(to_ms(now + time::Duration::days(1)));
            }
            Queue::Late => {
                f.open_clock = true;
                f.late = Some(true);
            }
            _ => {}
        }
        f
    }

    /// The queue a role starts from.
    fn default_for(user: &User) -> Queue {
        if user.has_role(Role::Receptionist) {
            Queue::Submitted
        } else if user.has_role(Role::Specialist) {
            Queue::Mine
        } else if user.has_role(Role::Leader) {
            Queue::AwaitingApproval
        } else {
            Queue::All
        }
    }
}

fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

struct QueueLink {
    href: String,
    label: String,
    count: String,
    current: bool,
}

struct Row {
    code: String,
    procedure: String,
    applicant: String,
    received: String,
    due: String,
    status: String,
    late: bool,
    paused: bool,
    assignee: String,
}

#[derive(Template)]
#[template(path = "office_queues.html")]
struct QueuesPage {
    c: Ctx,
    full_name: String,
    title: String,
    queues: Vec<QueueLink>,
    units: Vec<(String, String, bool)>,
    slug: String,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    oldest_first: bool,
    sort_href: String,
}

#[derive(Deserialize)]
struct QueueQuery {
    q: Option<String>,
    unit: Option<String>,
    cursor: Option<String>,
    /// "cu-nhat": oldest first; newest first otherwise.
    sort: Option<String>,
}

/// The dossiers `user` may see, narrowed to `unit` when given (403 for others).
fn scope_for(lang: Lang, user: &User, unit: &str) -> Result<Scope, PageError> {
    if !unit.is_empty() {
        if user.sees_unit(unit) {
            return Ok(Scope::Units(vec![unit.to_string()]));
        }
        return Err(PageError::new(
            lang,
            Problem::forbidden(
                "other_unit",
                "Bạn không làm việc tại đơn vị này / You do not work for this unit",
            )
            .into(),
        ));
    }
    if user.has_role(Role::Admin) {
        Ok(Scope::All)
    } else {
        Ok(Scope::Units(user.units.clone()))
    }
}

async fn queues(c: Ctx, State(s): State<AppState>, Query(q): Query<QueueQuery>) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = q.unit.as_deref().unwrap_or("").trim().to_string();
    let scope = scope_for(lang, &user, &unit)?;
    let current =
        q.q.as_deref()
            .and_then(Queue::from_slug)
            .unwrap_or_else(|| Queue::default_for(&user));
    let before_id = match q.cursor.as_deref().filter(|x| !x.is_empty()) {
        Some(x) => Some(x.parse::<i64>().map_err(|_| {
            PageError::new(
                lang,
                Problem::invalid("bad_cursor", "cursor", "Trang không hợp lệ").into(),
            )
        })?),
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let counts = s
        .store
        .count_by_status(&scope)
        .await
        .map_err(store_err(lang))?;
    let by_status = |st: Option<Status>| -> i64 {
        counts
            .iter()
            .filter(|(x, _)| st.is_none_or(|st| x == st.as_str()))
            .map(|(_, n)| *n)
            .sum()
    };
    let shown: Vec<Queue> = Queue::ALL
        .into_iter()
        .filter(|x| *x != Queue::Mine || user.has_role(Role::Specialist))
        .collect();
    let oldest_first = q.sort.as_deref() == Some("cu-nhat");
    let unit_q = if unit.is_empty() {
        String::new()
    } else {
        format!("&unit={}", url_encode(&unit))
    };
    let sort_q = if oldest_first { "&sort=cu-nhat" } else { "" };
    let mut links = Vec::new();
    for x in &shown {
        let count = if x.counted_by_status() {
            by_status(x.status()).to_string()
        } else {
            let f = x.filter(scope.clone(), &user, now, COUNT_CAP + 1);
            let n = s
                .store
                .list_dossiers(&f, now)
                .await
                .map_err(store_err(lang))?
                .len() as i64;
            if n > COUNT_CAP {
                format!("{COUNT_CAP}+")
            } else {
                n.to_string()
            }
        };
        links.push(QueueLink {
            href: format!("/can-bo?q={}{unit_q}", x.slug()),
            label: x.label(&c).to_string(),
            count,
            current: *x == current,
        });
    }
    let mut filter = current.filter(scope, &user, now, PAGE_ROWS);
    filter.before_id = before_id;
    filter.oldest_first = oldest_first;
    let rows = s
        .store
        .list_dossiers(&filter, now)
        .await
        .map_err(store_err(lang))?;
    let catalog = s.store.catalog().await.map_err(store_err(lang))?;
    let next_href = (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last().map(|r| r.id))
        .flatten()
        .map(|id| format!("/can-bo?q={}{unit_q}{sort_q}&cursor={id}", current.slug()));
    let first_href = before_id.map(|_| format!("/can-bo?q={}{unit_q}{sort_q}", current.slug()));
    let sort_href = format!(
        "/can-bo?q={}{unit_q}{}",
        current.slug(),
        if oldest_first { "" } else { "&sort=cu-nhat" }
    );
    let rows = rows
        .iter()
        .map(|r| {
            let paused = r.pause_remaining.is_some();
            Row {
                code: r.code.clone(),
                procedure: catalog
                    .iter()
                    .find(|(p, _)| p.code == r.procedure_code)
                    .map_or_else(|| r.procedure_code.clone(), |(p, _)| p.name.clone()),
                applicant: r.applicant_name.clone(),
                received: match r.received_at {
                    Some(t) => when(Some(t)),
                    None => format!(
                        "{} {}",
                        when(Some(r.submitted_at)),
                        c.tr("(nộp)", "(submitted)")
                    ),
                },
                due: if paused {
                    c.tr("Tạm dừng", "Paused").to_string()
                } else if r.due_at.is_none() {
                    "—".to_string()
                } else {
                    when(r.due_at)
                },
                status: r
                    .status()
                    .map(|st| status_words(&c, st))
                    .unwrap_or_else(|_| r.status.clone()),
                late: crate::view::is_late(r, now),
                paused,
                assignee: r.assignee.clone().unwrap_or_default(),
            }
        })
        .collect();
    let units = unit_choices(&s, &user)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .map(|(code, name)| {
            let sel = code == unit;
            (code, name, sel)
        })
        .collect();
    let title = current.label(&c).to_string();
    // A work list shows applicants' names: its reads are kept (no single dossier).
    s.store
        .log_access(
            &user.username,
            "",
            &format!("page:queue:{}", current.slug()),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(store_err(lang))?;
    render(&QueuesPage {
        full_name: user.full_name.clone(),
        c,
        title,
        queues: links,
        units,
        slug: current.slug().to_string(),
        rows,
        next_href,
        first_href,
        oldest_first,
        sort_href,
    })
}

// ---- the dossier page ----------------------------------------------------------

struct DocView {
    id: String,
    name: String,
    filename: String,
    size: String,
    /// "image", "pdf", "paper" or "file".
    kind: &'static str,
    added: String,
}

struct EventView {
    at: String,
    actor: String,
    role: String,
    action: String,
    detail: String,
    note: String,
}

struct PauseView {
    from: String,
    to: String,
    held: String,
    remaining: String,
    due_after: String,
    note: String,
}

struct ApologyView {
    at: String,
    new_due: String,
    note: String,
}

/// How the due date came to be, from the events.
struct Timing {
    processing: String,
    received: String,
    first_due: String,
    pauses: Vec<PauseView>,
    apologies: Vec<ApologyView>,
    due: String,
    remaining: String,
}

struct ActionForm {
    action: &'static str,
    label: String,
    help: String,
    /// "plain", "assign", "request_supplement", "apologize", "supplement" or "return_result".
    kind: &'static str,
    needs_note: bool,
    note: String,
    danger: bool,
    error: Option<String>,
    /// The field the error is about ("note", "assignee", "new_due", …).
    error_field: String,
}

struct SuppDoc {
    code: String,
    name: String,
    error: Option<String>,
}

struct Choice {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "office_dossier.html")]
struct DossierPage {
    c: Ctx,
    code: String,
    version: i64,
    procedure: String,
    procedure_code: String,
    unit: String,
    channel: String,
    status: String,
    late: bool,
    paused: bool,
    apologized: bool,
    assignee: String,
    applicant: Vec<(String, String)>,
    submitted: String,
    finished: String,
    returned: String,
    timing: Timing,
    documents: Vec<DocView>,
    events: Vec<EventView>,
    actions: Vec<ActionForm>,
    assignees: Vec<Choice>,
    missing: Vec<Choice>,
    supplement_docs: Vec<SuppDoc>,
    new_due: String,
    /// Result delivery choices of the return form, and what was typed.
    deliveries: Vec<Choice>,
    postal_address: String,
    tracking_number: String,
    /// How the result was delivered, once returned.
    delivery: String,
    /// Printable forms that apply now: (href, label).
    forms: Vec<(String, String)>,
    notice: Option<String>,
    conflict: Option<String>,
    kept_note: Option<String>,
    errors: Vec<ErrorLine>,
}

fn action_help(c: &Ctx, a: Action) -> &'static str {
    match a {
        Action::Receive => c.tr(
            "Hồ sơ đầy đủ: tiếp nhận và bắt đầu tính thời hạn giải quyết.",
            "The dossier is complete: receive it and start the clock.",
        ),
        Action::RefuseIntake => c.tr(
            "Hồ sơ không thuộc thẩm quyền hoặc không hợp lệ: từ chối và ghi rõ lý do.",
            "Not for this center or not valid: refuse and say why.",
        ),
        Action::Assign => c.tr(
            "Chuyển hồ sơ cho chuyên viên xử lý.",
            "Hand the dossier to a specialist.",
        ),
        Action::RequestSupplement => c.tr(
            "Thời hạn tạm dừng cho đến khi người dân bổ sung.",
            "The clock stops until the citizen supplies the documents.",
        ),
        Action::Supplement => c.tr(
            "Người dân mang giấy tờ bổ sung đến quầy: đính kèm bản quét hoặc xác nhận bản giấy.",
            "The citizen brought the missing papers: attach scans or confirm the paper copies.",
        ),
        Action::Propose => c.tr(
            "Trình lãnh đạo phê duyệt kết quả.",
            "Send the result to the leader for approval.",
        ),
        Action::Approve => c.tr(
            "Phê duyệt kết quả; hồ sơ chuyển sang chờ trả.",
            "Approve the result; it is then ready to return.",
        ),
        Action::SendBack => c.tr(
            "Trả lại chuyên viên để xử lý lại, ghi rõ lý do.",
            "Send back to the specialist, saying why.",
        ),
        Action::Reject => c.tr(
            "Từ chối giải quyết, ghi rõ lý do.",
            "Refuse to grant, saying why.",
        ),
        Action::ReturnResult => c.tr(
            "Người dân đã nhận kết quả.",
            "The citizen has collected the result.",
        ),
        Action::Withdraw => c.tr(
            "Người dân rút hồ sơ, ghi rõ lý do.",
            "The citizen withdraws the dossier.",
        ),
        Action::Apologize => c.tr(
            "Hồ sơ sẽ trễ hạn: lập phiếu xin lỗi và hẹn lại ngày trả (vẫn tính là trễ hạn).",
            "The dossier will be late: apologize and set a new date (it stays counted as late).",
        ),
        Action::ReissueKey => c.tr(
            "Người dân mất mã tra cứu: cấp mã mới (mã cũ hết hiệu lực) và in lại giấy tiếp nhận có mã mới.",
            "The citizen lost the lookup key: issue a new one (the old one stops working) and reprint the receipt with it.",
        ),
        Action::Submit | Action::CreateAtCounter => "",
    }
}

/// What the officer typed, to show again after a failure.
#[derive(Default)]
struct Typed {
    action: String,
    note: String,
    assignee: String,
    missing: Vec<String>,
    new_due: String,
    delivery: String,
    postal_address: String,
    tracking_number: String,
}

/// The working-time story of a dossier, by folding its events again.
fn timing(c: &Ctx, rec: &DossierRecord, p: &Procedure, cal: &WorkCalendar) -> Timing {
    let r = &rec.row;
    let per_day = cal.hours().minutes_per_day();
    let mut t = Timing {
        processing: processing_words(c, p.processing),
        received: when(r.received_at),
        first_due: String::new(),
        pauses: Vec::new(),
        apologies: Vec::new(),
        due: if r.pause_remaining.is_some() {
            c.tr("Tạm dừng chờ bổ sung", "Paused while awaiting a supplement")
                .to_string()
        } else if r.due_at.is_none() {
            c.tr(
                "Được tính khi tiếp nhận",
                "Set when the dossier is received",
            )
            .to_string()
        } else {
            when(r.due_at)
        },
        remaining: r
            .pause_remaining
            .map(|m| minutes_words(c, m, per_day))
            .unwrap_or_default(),
    };
    let Some((first, rest)) = rec.events.split_first() else {
        return t;
    };
    let Ok(mut proj) = Projection::start(first, p.processing, cal) else {
        return t;
    };
    if first.action == Action::CreateAtCounter {
        t.first_due = proj.due_at.map(format_vn).unwrap_or_default();
    }
    let mut open: Option<(OffsetDateTime, usize)> = None;
    for ev in rest {
        if proj.apply(ev, p.processing, cal).is_err() {
            break;
        }
        match ev.action {
            Action::Receive => t.first_due = proj.due_at.map(format_vn).unwrap_or_default(),
            Action::RequestSupplement => {
                t.pauses.push(PauseView {
                    from: format_vn(ev.at),
                    to: String::new(),
                    held: String::new(),
                    remaining: proj
                        .pause_remaining
                        .map(|m| minutes_words(c, m, per_day))
                        .unwrap_or_default(),
                    due_after: String::new(),
                    note: ev.note.clone().unwrap_or_default(),
                });
                open = Some((ev.at, t.pauses.len() - 1));
            }
            Action::Supplement
            | Action::Withdraw
            | Action::Reject
            | Action::Approve
            | Action::RefuseIntake => {
                if let Some((from, i)) = open.take()
                    && let Some(pv) = t.pauses.get_mut(i)
                {
                    pv.to = format_vn(ev.at);
                    pv.held = minutes_words(c, cal.working_minutes_between(from, ev.at), per_day);
                    if ev.action == Action::Supplement {
                        pv.due_after = proj.due_at.map(format_vn).unwrap_or_default();
                    }
                }
            }
            Action::Apologize => t.apologies.push(ApologyView {
                at: format_vn(ev.at),
                new_due: proj.due_at.map(format_vn).unwrap_or_default(),
                note: ev.note.clone().unwrap_or_default(),
            }),
            _ => {}
        }
    }
    t
}

fn event_view(c: &Ctx, e: &Event, p: &Procedure) -> EventView {
    let doc_name = |code: &str| {
        p.documents
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let list = |key: &str| -> Vec<String> {
        e.payload
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).map(doc_name).collect())
            .unwrap_or_default()
    };
    let detail = match e.action {
        Action::Assign => format!(
            "{} {}",
            c.tr("Giao cho", "Assigned to"),
            e.payload
                .get("assignee")
                .and_then(|v| v.as_str())
                .unwrap_or("")
        ),
        Action::RequestSupplement => {
            let m = list("missing");
            if m.is_empty() {
                String::new()
            } else {
                format!("{}: {}", c.tr("Cần bổ sung", "Missing"), m.join("; "))
            }
        }
        Action::Supplement => {
            let m = list("documents");
            if m.is_empty() {
                String::new()
            } else {
                format!("{}: {}", c.tr("Đã bổ sung", "Supplied"), m.join("; "))
            }
        }
        Action::Apologize => format!(
            "{}: {}",
            c.tr("Hẹn lại", "New date"),
            e.payload
                .get("new_due")
                .and_then(|v| v.as_str())
                .and_then(|s| motcua_domain::calendar::parse_instant(s).ok())
                .map(format_vn)
                .unwrap_or_default()
        ),
        Action::Submit | Action::CreateAtCounter => e
            .payload
            .get("channel")
            .and_then(|v| v.as_str())
            .map(|ch| channel_words(c, ch))
            .unwrap_or_default(),
        _ => String::new(),
    };
    EventView {
        at: format_vn(e.at),
        actor: e.actor.clone(),
        role: role_words(c, &e.role),
        action: action_label(c, e.action),
        detail,
        note: e.note.clone().unwrap_or_default(),
    }
}

/// Build the dossier page for `user`, with what they typed and what went wrong.
#[allow(clippy::too_many_arguments)]
async fn dossier_view(
    s: &AppState,
    c: Ctx,
    user: &User,
    rec: &DossierRecord,
    typed: &Typed,
    notice: Option<String>,
    conflict: Option<String>,
    problem: Option<&Problem>,
) -> Result<DossierPage, PageError> {
    let lang = c.lang;
    let now = OffsetDateTime::now_utc();
    let r = &rec.row;
    let proj = r.projection().map_err(|p| PageError::new(lang, p.into()))?;
    let (procedure, _) = s
        .store
        .procedure(&r.procedure_code)
        .await
        .map_err(store_err(lang))?
        .ok_or_else(|| {
            PageError::new(
                lang,
                Problem::conflict("corrupt_row", "Thủ tục của hồ sơ không còn trong danh mục")
                    .into(),
            )
        })?;
    let cal = s
        .store
        .calendar(Some(&r.unit_code))
        .await
        .map_err(store_err(lang))?;
    let unit = unit_name(s, &r.unit_code).await.map_err(store_err(lang))?;
    let timing = timing(&c, rec, &procedure, &cal);
    let doc_name = |code: Option<&str>| {
        code.and_then(|code| procedure.documents.iter().find(|d| d.code == code))
            .map_or_else(|| code.unwrap_or("").to_string(), |d| d.name.clone())
    };
    let documents = rec
        .documents
        .iter()
        .map(|d| {
            let ct = d.content_type.as_deref().unwrap_or("");
            let kind = if d.paper || d.sha256.is_none() {
                "paper"
            } else if ct.starts_with("image/") {
                "image"
            } else if ct == "application/pdf" {
                "pdf"
            } else {
                "file"
            };
            DocView {
                id: d.id.clone(),
                name: doc_name(d.code.as_deref()),
                filename: d.filename.clone().unwrap_or_default(),
                size: if kind == "paper" {
                    String::new()
                } else {
                    motcua_store::human_size(usize::try_from(d.size).unwrap_or(0))
                },
                kind,
                added: format_vn(d.created_at),
            }
        })
        .collect();
    let events = rec
        .events
        .iter()
        .map(|e| event_view(&c, e, &procedure))
        .collect();
    let allowed = crate::view::allowed_actions(r, &Actor::Staff(user.clone()));
    let (err_action, err_message) = match problem {
        Some(p) => (typed.action.as_str(), Some(p.message.clone())),
        None => ("", None),
    };
    let actions: Vec<ActionForm> = allowed
        .iter()
        .filter_map(|a| a.parse::<Action>().ok())
        .map(|a| {
            let name = a.as_str();
            ActionForm {
                action: name,
                label: action_label(&c, a),
                help: action_help(&c, a).to_string(),
                kind: match a {
                    Action::Assign => "assign",
                    Action::RequestSupplement => "request_supplement",
                    Action::Apologize => "apologize",
                    Action::Supplement => "supplement",
                    Action::ReturnResult => "return_result",
                    _ => "plain",
                },
                needs_note: needs_note(a),
                note: if typed.action == name {
                    typed.note.clone()
                } else {
                    String::new()
                },
                danger: matches!(a, Action::RefuseIntake | Action::Reject | Action::Withdraw),
                error: if err_action == name {
                    err_message.clone()
                } else {
                    None
                },
                error_field: match problem {
                    Some(p) if err_action == name => p.field.clone().unwrap_or_default(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    let errors = match problem {
        Some(p) => {
            let target = match p.field.as_deref().unwrap_or("") {
                "note" => format!("note-{}", typed.action),
                "assignee" => "assignee".to_string(),
                "new_due" => "new_due".to_string(),
                "delivery" => "delivery-counter".to_string(),
                "postal_address" => "postal_address".to_string(),
                "tracking_number" => "tracking_number".to_string(),
                "missing" => procedure
                    .documents
                    .first()
                    .map_or_else(String::new, |d| format!("missing-{}", d.code)),
                f if f.starts_with("documents.") => {
                    format!("supp-{}", f.trim_start_matches("documents."))
                }
                _ => format!("act-{}", typed.action),
            };
            vec![ErrorLine {
                href: format!("#{target}"),
                message: p.message.clone(),
            }]
        }
        None => Vec::new(),
    };
    // The typed note of an action that is no longer possible is shown with the conflict.
    let kept_note = (!typed.note.trim().is_empty()
        && !actions.iter().any(|a| a.action == typed.action))
    .then(|| typed.note.clone());
    let assignees = if actions.iter().any(|a| a.kind == "assign") {
        let current = if typed.assignee.is_empty() {
            r.assignee.clone().unwrap_or_default()
        } else {
            typed.assignee.clone()
        };
        s.store
            .users_of_unit(&r.unit_code)
            .await
            .map_err(store_err(lang))?
            .into_iter()
            .filter(|u| u.has_role(Role::Specialist) && !u.is_generated())
            .map(|u| Choice {
                checked: u.username == current,
                label: format!("{} ({})", u.full_name, u.username),
                value: u.username,
            })
            .collect()
    } else {
        Vec::new()
    };
    let chosen = if typed.delivery.is_empty() {
        DeliveryMethod::Counter.as_str()
    } else {
        typed.delivery.as_str()
    };
    let deliveries = DeliveryMethod::ALL
        .iter()
        .map(|m| Choice {
            value: m.as_str().to_string(),
            label: c.tr(m.label_vi(), m.label_en()).to_string(),
            checked: m.as_str() == chosen,
        })
        .collect();
    let delivery = rec
        .events
        .iter()
        .rev()
        .find(|e| e.action == Action::ReturnResult)
        .and_then(|e| Delivery::from_payload(&e.payload))
        .map(|d| match lang {
            Lang::Vi => d.words_vi(),
            Lang::En => d.words_en(),
        })
        .unwrap_or_default();
    let forms = crate::documents::applicable(rec)
        .into_iter()
        .map(|f| {
            (
                format!("/can-bo/ho-so/{}/mau/{}.pdf", url_encode(&r.code), f.slug()),
                c.tr(f.title_vi(), f.title_en()).to_string(),
            )
        })
        .collect();
    let missing = procedure
        .documents
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: d.name.clone(),
            checked: typed.missing.contains(&d.code),
        })
        .collect();
    let supplement_docs = {
        // Those asked for in the last request first; all documents otherwise.
        let asked: Vec<String> = rec
            .events
            .iter()
            .rev()
            .find(|e| e.action == Action::RequestSupplement)
            .and_then(|e| e.payload.get("missing"))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        procedure
            .documents
            .iter()
            .filter(|d| asked.is_empty() || asked.contains(&d.code))
            .map(|d| SuppDoc {
                code: d.code.clone(),
                name: d.name.clone(),
                error: problem
                    .filter(|p| {
                        typed.action == Action::Supplement.as_str()
                            && p.field.as_deref() == Some(&format!("documents.{}", d.code))
                    })
                    .map(|p| p.message.clone()),
            })
            .collect()
    };
    let applicant = vec![
        (
            c.tr("Họ và tên", "Full name").to_string(),
            r.applicant_name.clone(),
        ),
        (
            c.tr("Số định danh cá nhân", "Personal ID number")
                .to_string(),
            r.applicant_id_number.clone(),
        ),
        (
            c.tr("Ngày sinh", "Date of birth").to_string(),
            iso_to_vn(&r.applicant_dob),
        ),
        (
            c.tr("Số điện thoại", "Phone").to_string(),
            r.applicant_phone.clone(),
        ),
        (
            c.tr("Thư điện tử", "Email").to_string(),
            r.applicant_email
                .clone()
                .unwrap_or_else(|| c.tr("(không có)", "(none)").to_string()),
        ),
        (
            c.tr("Địa chỉ", "Address").to_string(),
            r.applicant_address.clone(),
        ),
    ];
    Ok(DossierPage {
        code: r.code.clone(),
        version: r.version,
        procedure: procedure.name.clone(),
        procedure_code: procedure.code.clone(),
        unit,
        channel: channel_words(&c, &r.channel),
        status: status_words(&c, proj.status),
        late: proj.is_late(now),
        paused: proj.pause_remaining.is_some(),
        apologized: proj.apologized,
        assignee: r.assignee.clone().unwrap_or_default(),
        applicant,
        submitted: when(Some(r.submitted_at)),
        finished: when(r.finished_at),
        returned: when(r.returned_at),
        timing,
        documents,
        events,
        actions,
        assignees,
        missing,
        supplement_docs,
        new_due: typed.new_due.clone(),
        deliveries,
        postal_address: typed.postal_address.clone(),
        tracking_number: typed.tracking_number.clone(),
        delivery,
        forms,
        notice,
        conflict,
        kept_note,
        errors,
        c,
    })
}

/// "1990-05-17" → "17/05/1990".
fn iso_to_vn(iso: &str) -> String {
    match parse_date(iso) {
        Ok(d) => date_vn(d),
        Err(_) => iso.to_string(),
    }
}

/// The dossier if this officer's units include its unit; else the same 404 as an unknown code.
async fn visible_dossier(
    s: &AppState,
    lang: Lang,
    user: &User,
    code: &str,
) -> Result<DossierRecord, PageError> {
    match s
        .store
        .dossier(code.trim())
        .await
        .map_err(store_err(lang))?
    {
        Some(rec) if user.sees_unit(&rec.row.unit_code) => {
            // Reads of personal data by staff are kept (who, when, which dossier).
            s.store
                .log_access(
                    &user.username,
                    &rec.row.code,
                    "page:dossier",
                    OffsetDateTime::now_utc(),
                )
                .await
                .map_err(store_err(lang))?;
            Ok(rec)
        }
        _ => Err(not_found(lang)),
    }
}

#[derive(Deserialize)]
struct OkQuery {
    ok: Option<String>,
}

async fn dossier_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let rec = visible_dossier(&s, c.lang, &user, &code).await?;
    let notice =
        q.ok.as_deref()
            .and_then(|a| a.parse::<Action>().ok())
            .map(|a| format!("{}: {}", c.tr("Đã thực hiện", "Done"), action_label(&c, a)));
    let page = dossier_view(&s, c, &user, &rec, &Typed::default(), notice, None, None).await?;
    render(&page)
}

/// Whether the dossier's last event is exactly what this form asked for
/// (a double click): same action, same note, same choice of assignee.
/// Actions with richer choices (dates, documents, delivery) never count.
fn same_request(last: &motcua_domain::dossier::Event, typed: &Typed) -> bool {
    let note = motcua_domain::text::nfc(&typed.note);
    let same_note = last.note.as_deref().unwrap_or("") == note.trim();
    let plain = matches!(
        last.action,
        Action::Receive
            | Action::RefuseIntake
            | Action::Propose
            | Action::Approve
            | Action::SendBack
            | Action::Reject
            | Action::Withdraw
    );
    let assign = last.action == Action::Assign
        && last.payload.get("assignee").and_then(|v| v.as_str()) == Some(typed.assignee.as_str());
    last.action.as_str() == typed.action && same_note && (plain || assign)
}

fn is_conflict(p: &Problem) -> bool {
    p.kind == ProblemKind::Conflict
        && matches!(
            p.code,
            "stale_version" | "version_conflict" | "illegal_transition"
        )
}

async fn act(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    req: Request,
) -> PageResult {
    let page_path = format!("/can-bo/ho-so/{}", url_encode(&code));
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&page_path));
    };
    let lang = c.lang;
    // Another unit's dossier is not disclosed, even to a forged post.
    let rec = visible_dossier(&s, lang, &user, &code).await?;
    let form = read_form(&s, lang, req).await?;
    let typed = Typed {
        action: form.get("action").to_string(),
        note: form.get("note").to_string(),
        assignee: form.get("assignee").to_string(),
        missing: form.all("missing"),
        new_due: form.get("new_due").to_string(),
        delivery: form.get("delivery").to_string(),
        postal_address: form.get("postal_address").to_string(),
        tracking_number: form.get("tracking_number").to_string(),
    };
    let version: i64 = form.get("version").trim().parse().unwrap_or(-1);
    let now = OffsetDateTime::now_utc();
    let mut problem: Option<Problem> = None;
    if typed.action == Action::Assign.as_str() && typed.assignee.is_empty() {
        problem = Some(Problem::invalid(
            "choose_assignee",
            "assignee",
            c.tr("Hãy chọn chuyên viên xử lý", "Choose a specialist"),
        ));
    }
    let mut documents = Vec::new();
    if problem.is_none() && typed.action == Action::Supplement.as_str() {
        let (procedure, _) = s
            .store
            .procedure(&rec.row.procedure_code)
            .await
            .map_err(store_err(lang))?
            .ok_or_else(|| not_found(lang))?;
        for d in &procedure.documents {
            if let Some((_, filename, bytes)) = form.file(&format!("file:{}", d.code)) {
                match s
                    .store
                    .upload(bytes, filename.as_deref(), &user.username, now)
                    .await
                {
                    Ok(meta) => documents.push(DocumentRef {
                        code: d.code.clone(),
                        upload_id: Some(meta.id),
                        paper: false,
                    }),
                    Err(StoreError::Problem(p)) => {
                        problem = Some(p.with_field(format!("documents.{}", d.code)));
                        break;
                    }
                    Err(e) => return Err(PageError::new(lang, e.into())),
                }
            } else if form.has(&format!("paper:{}", d.code)) {
                documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: None,
                    paper: true,
                });
            }
        }
        if problem.is_none() && documents.is_empty() {
            let first = procedure.documents.first().map_or("", |d| d.code.as_str());
            problem = Some(Problem::invalid(
                "no_document",
                format!("documents.{first}"),
                c.tr(
                    "Hãy đính kèm ít nhất một giấy tờ bổ sung hoặc xác nhận bản giấy",
                    "Attach at least one document or confirm a paper copy",
                ),
            ));
        }
    }
    if problem.is_none() {
        let request = ActionRequest {
            action: typed.action.clone(),
            version,
            note: Some(typed.note.clone()).filter(|n| !n.trim().is_empty()),
            assignee: Some(typed.assignee.clone()).filter(|a| !a.is_empty()),
            new_due: Some(typed.new_due.clone()).filter(|d| !d.is_empty()),
            missing: typed.missing.clone(),
            documents,
            delivery: Some(typed.delivery.clone()).filter(|d| !d.is_empty()),
            postal_address: Some(typed.postal_address.clone()).filter(|d| !d.is_empty()),
            tracking_number: Some(typed.tracking_number.clone()).filter(|d| !d.is_empty()),
            via: motcua_domain::lifecycle::Via::Page,
        };
        match s
            .store
            .act(&rec.row.code, &request, &Actor::Staff(user.clone()), now)
            .await
        {
            Ok(done) if done.issued_key.is_some() => {
                // A new key is shown once: on the receipt this officer prints now.
                return Ok(Redirect::to(&format!(
                    "/can-bo/ho-so/{}/bien-nhan",
                    url_encode(&done.row.code)
                ))
                .into_response());
            }
            Ok(done) => {
                return Ok(Redirect::to(&format!(
                    "/can-bo/ho-so/{}?ok={}",
                    url_encode(&done.row.code),
                    url_encode(&typed.action)
                ))
                .into_response());
            }
            Err(StoreError::Problem(p)) => problem = Some(p),
            Err(e) => return Err(PageError::new(lang, e.into())),
        }
    }
    let Some(problem) = problem else {
        return Err(not_found(lang));
    };
    if problem.kind == ProblemKind::NotFound {
        return Err(not_found(lang));
    }
    let fresh = visible_dossier(&s, lang, &user, &code).await?;
    if is_conflict(&problem) {
        // The same officer's double click: the first click did exactly this.
        // Anything less than the same request is a conflict, never "done".
        if let Some(last) = fresh.events.last()
            && version.checked_add(1) == Some(fresh.row.version)
            && last.actor == user.username
            && same_request(last, &typed)
        {
            return Ok(Redirect::to(&format!(
                "/can-bo/ho-so/{}?ok={}",
                url_encode(&fresh.row.code),
                url_encode(&typed.action)
            ))
            .into_response());
        }
        let mut message = c
            .tr(
                "Hồ sơ vừa được người khác cập nhật trước bạn, nên thao tác của bạn chưa được thực hiện. Dưới đây là tình trạng mới nhất; hãy xem lại rồi thao tác lại nếu vẫn cần. Ghi chú bạn đã nhập vẫn được giữ.",
                "Someone else has just updated this dossier, so your action was not taken. Below is its latest state; check it and act again if still needed. Your note is kept.",
            )
            .to_string();
        // Who changed it, when, how, and what it is now (the store's words).
        if matches!(problem.code, "stale_version" | "version_conflict") {
            message.push(' ');
            message.push_str(&problem.message);
        }
        let page = dossier_view(&s, c, &user, &fresh, &typed, None, Some(message), None).await?;
        return render_status(StatusCode::CONFLICT, &page);
    }
    let status = status_of(problem.kind);
    let page = dossier_view(&s, c, &user, &fresh, &typed, None, None, Some(&problem)).await?;
    render_status(status, &page)
}

// ---- documents -----------------------------------------------------------------

/// Only what is needed to show a scan; frameable by our own pages only.
const DOCUMENT_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'";

async fn document(c: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let missing = || {
        PageError::new(
            lang,
            Problem::not_found("document_not_found", "Không tìm thấy tài liệu").into(),
        )
    };
    let (dossier_id, meta) = s
        .store
        .document(&id)
        .await
        .map_err(store_err(lang))?
        .ok_or_else(missing)?;
    let (allowed, code) = match dossier_id {
        Some(d) => match s.store.dossier_unit(d).await.map_err(store_err(lang))? {
            Some((unit, code)) => (user.sees_unit(&unit), code),
            None => (false, String::new()),
        },
        None => (user.has_role(Role::Admin), String::new()),
    };
    if !allowed {
        return Err(missing());
    }
    // A scan of an ID card is personal data: its reads are kept too.
    s.store
        .log_access(
            &user.username,
            &code,
            &format!("page:document:{id}"),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(store_err(lang))?;
    let sha = meta.sha256.clone().ok_or_else(missing)?;
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| PageError::new(lang, ApiError::Store(e.into())))?;
    let ct = meta
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCUMENT_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

// ---- the receipt ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "office_receipt.html")]
struct ReceiptPage {
    c: Ctx,
    code: String,
    key: Option<String>,
    unit: String,
    province: String,
    place_date: String,
    applicant: String,
    applicant_id: String,
    applicant_phone: String,
    applicant_address: String,
    procedure: String,
    processing: String,
    documents: Vec<(String, String)>,
    received: String,
    due: String,
    officer: String,
    qr: String,
    lookup_url: String,
    received_yet: bool,
}

async fn receipt(
    c: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let rec = visible_dossier(&s, lang, &user, &code).await?;
    let r = &rec.row;
    let (procedure, _) = s
        .store
        .procedure(&r.procedure_code)
        .await
        .map_err(store_err(lang))?
        .ok_or_else(|| not_found(lang))?;
    let unit = s.store.unit(&r.unit_code).await.map_err(store_err(lang))?;
    let province = match &unit {
        Some(u) => s
            .store
            .provinces()
            .await
            .map_err(store_err(lang))?
            .into_iter()
            .find(|p| p.code == u.province_code)
            .map(|p| p.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let unit_name = unit.map_or_else(|| r.unit_code.clone(), |u| u.name);
    let reception = rec
        .events
        .iter()
        .find(|e| matches!(e.action, Action::Receive | Action::CreateAtCounter));
    let officer = match reception {
        Some(e) => match s
            .store
            .user_by_username(&e.actor)
            .await
            .map_err(store_err(lang))?
        {
            Some(u) => u.full_name,
            None => e.actor.clone(),
        },
        None => String::new(),
    };
    let day = reception.map_or_else(
        || OffsetDateTime::now_utc().to_offset(VN_OFFSET).date(),
        |e| e.at.to_offset(VN_OFFSET).date(),
    );
    let place = unit_name
        .split_once(' ')
        .map_or(unit_name.as_str(), |(_, rest)| rest)
        .to_string();
    let place_date = match lang {
        Lang::Vi => format!(
            "{place}, ngày {:02} tháng {:02} năm {}",
            day.day(),
            u8::from(day.month()),
            day.year()
        ),
        Lang::En => format!("{place}, {}", date_vn(day)),
    };
    let documents = rec
        .documents
        .iter()
        .map(|d| {
            let name = d
                .code
                .as_deref()
                .and_then(|code| procedure.documents.iter().find(|x| x.code == code))
                .map_or_else(|| d.code.clone().unwrap_or_default(), |x| x.name.clone());
            let how = if d.paper {
                c.tr("Bản giấy đã kiểm tra", "Paper copy checked")
            } else {
                c.tr("Bản điện tử", "Electronic copy")
            };
            (name, how.to_string())
        })
        .collect();
    // The key only if this officer issued it in the last half hour (intake
    // or "Cấp lại mã tra cứu"); a reprint carries the code alone.
    let key = s
        .store
        .issued_key(r, &user.username, OffsetDateTime::now_utc())
        .map_err(store_err(lang))?;
    let lookup_url = crate::documents::lookup_url(&base_url(&headers), &r.code, key.as_deref());
    let due = if r.pause_remaining.is_some() {
        c.tr("Tạm dừng chờ bổ sung", "Paused while awaiting a supplement")
            .to_string()
    } else {
        when(r.due_at)
    };
    render(&ReceiptPage {
        code: r.code.clone(),
        key,
        unit: unit_name,
        province,
        place_date,
        applicant: r.applicant_name.clone(),
        applicant_id: r.applicant_id_number.clone(),
        applicant_phone: r.applicant_phone.clone(),
        applicant_address: r.applicant_address.clone(),
        procedure: procedure.name.clone(),
        processing: processing_words(&c, procedure.processing),
        documents,
        received: when(r.received_at),
        due,
        officer,
        qr: strip_xml_declaration(qr_svg(&lookup_url)),
        lookup_url,
        received_yet: r.received_at.is_some(),
        c,
    })
}

/// Inline SVG needs no XML declaration inside HTML.
fn strip_xml_declaration(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}

// ---- counter intake ------------------------------------------------------------

struct Input {
    id: &'static str,
    label: String,
    hint: String,
    kind: &'static str,
    value: String,
    autocomplete: &'static str,
    optional: bool,
    error: Option<String>,
}

struct DocInput {
    code: String,
    name: String,
    required: bool,
    paper: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "office_intake.html")]
struct IntakePage {
    c: Ctx,
    allowed: bool,
    nonce: String,
    units: Vec<Choice>,
    channels: Vec<Choice>,
    groups: Vec<(String, Vec<Choice>)>,
    procedure: Option<(String, String, String)>,
    fields: Vec<Input>,
    docs: Vec<DocInput>,
    errors: Vec<ErrorLine>,
    unit_error: Option<String>,
    procedure_error: Option<String>,
    files_lost: bool,
    /// The text of "Quét thẻ căn cước" (kept when it could not be read).
    card: String,
    card_error: Option<String>,
    card_filled: bool,
}

#[derive(Deserialize)]
struct IntakeQuery {
    thu_tuc: Option<String>,
    unit: Option<String>,
}

const APPLICANT_FIELDS: [&str; 6] = [
    "full_name",
    "id_number",
    "date_of_birth",
    "phone",
    "email",
    "address",
];

fn applicant_input(c: &Ctx, id: &'static str, value: String, error: Option<String>) -> Input {
    let (label, hint, kind, autocomplete, optional) = match id {
        "full_name" => (
            c.tr("Họ và tên người nộp", "Applicant's full name"),
            c.tr(
                "Viết có dấu, như trên thẻ căn cước",
                "As on the ID card, with diacritics",
            ),
            "text",
            "off",
            false,
        ),
        "id_number" => (
            c.tr(
                "Số định danh cá nhân (số thẻ căn cước)",
                "Personal ID number",
            ),
            c.tr("12 chữ số", "12 digits"),
            "text",
            "off",
            false,
        ),
        "date_of_birth" => (
            c.tr("Ngày sinh", "Date of birth"),
            c.tr("Ví dụ 17/05/1990", "For example 17/05/1990"),
            "text",
            "off",
            false,
        ),
        "phone" => (
            c.tr("Số điện thoại", "Phone number"),
            c.tr(
                "10 chữ số, để nhắn tin về hồ sơ",
                "10 digits, for messages about the dossier",
            ),
            "tel",
            "off",
            false,
        ),
        "email" => (
            c.tr("Thư điện tử", "Email address"),
            "",
            "email",
            "off",
            true,
        ),
        _ => (
            c.tr("Địa chỉ liên hệ", "Postal address"),
            c.tr(
                "Số nhà, ấp/khóm, xã/phường, tỉnh",
                "House, hamlet, commune, province",
            ),
            "text",
            "off",
            false,
        ),
    };
    Input {
        id,
        label: label.to_string(),
        hint: hint.to_string(),
        kind,
        value,
        autocomplete,
        optional,
        error,
    }
}

/// A fresh form id: a second submission of the same form finds the first's dossier.
fn new_nonce() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    motcua_store::hex(&b)
}

type Slot = Arc<tokio::sync::Mutex<Option<String>>>;

/// The slot of an intake form: held while its dossier is being created, then
/// holding the dossier code, so a double click yields one dossier.
fn intake_slot(nonce: &str) -> Option<Slot> {
    static SLOTS: OnceLock<std::sync::Mutex<VecDeque<(String, Slot)>>> = OnceLock::new();
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut slots = SLOTS.get_or_init(Default::default).lock().ok()?;
    if let Some((_, slot)) = slots.iter().find(|(n, _)| n == nonce) {
        return Some(slot.clone());
    }
    let slot = Slot::default();
    slots.push_back((nonce.to_string(), slot.clone()));
    if slots.len() > 1024 {
        slots.pop_front();
    }
    Some(slot)
}

struct IntakeInput {
    unit: String,
    procedure: String,
    channel: String,
    values: Vec<String>,
    paper: Vec<String>,
    nonce: String,
    errors: Vec<Problem>,
    files_lost: bool,
    card: String,
    card_filled: bool,
}

async fn intake_page(s: &AppState, c: Ctx, user: &User, i: IntakeInput) -> PageResult {
    let lang = c.lang;
    let allowed = user.has_role(Role::Receptionist);
    let catalog = s.store.procedures().await.map_err(store_err(lang))?;
    let chosen = catalog.iter().find(|p| p.code == i.procedure).cloned();
    let units = unit_choices(s, user)
        .await
        .map_err(store_err(lang))?
        .into_iter()
        .map(|(code, name)| Choice {
            checked: code == i.unit || user.units.len() == 1,
            value: code,
            label: name,
        })
        .collect();
    let channels = [
        Channel::Counter,
        Channel::Kiosk,
        Channel::Mobile,
        Channel::Postal,
        Channel::Medical,
    ]
    .into_iter()
    .map(|ch| Choice {
        value: ch.as_str().to_string(),
        label: channel_words(&c, ch.as_str()),
        checked: ch.as_str() == i.channel,
    })
    .collect();
    let mut groups: Vec<(String, Vec<Choice>)> = Vec::new();
    for p in &catalog {
        let choice = Choice {
            value: p.code.clone(),
            label: p.name.clone(),
            checked: p.code == i.procedure,
        };
        match groups.iter_mut().find(|(f, _)| *f == p.field) {
            Some((_, list)) => list.push(choice),
            None => groups.push((p.field.clone(), vec![choice])),
        }
    }
    let field_error = |name: &str| {
        i.errors
            .iter()
            .find(|p| p.field.as_deref() == Some(name))
            .map(|p| p.message.clone())
    };
    let fields = APPLICANT_FIELDS
        .iter()
        .zip(i.values.iter())
        .map(|(id, v)| applicant_input(&c, id, v.clone(), field_error(&format!("applicant.{id}"))))
        .collect();
    let docs = chosen
        .as_ref()
        .map(|p| {
            p.documents
                .iter()
                .map(|d| DocInput {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    required: d.required,
                    paper: i.paper.contains(&d.code),
                    error: field_error(&format!("documents.{}", d.code)),
                })
                .collect()
        })
        .unwrap_or_default();
    let errors = i
        .errors
        .iter()
        .map(|p| {
            let f = p.field.as_deref().unwrap_or("");
            let target = if let Some(a) = f.strip_prefix("applicant.") {
                a.to_string()
            } else if let Some(d) = f.strip_prefix("documents.") {
                format!("file-{d}")
            } else if f == "unit_code" {
                "unit".to_string()
            } else if f == "channel" {
                "channel".to_string()
            } else if f == "card" || f.starts_with("card.") {
                "card-scan".to_string()
            } else {
                "procedure".to_string()
            };
            ErrorLine {
                href: format!("#{target}"),
                message: p.message.clone(),
            }
        })
        .collect();
    let procedure = chosen.as_ref().map(|p| {
        (
            p.code.clone(),
            p.name.clone(),
            processing_words(&c, p.processing),
        )
    });
    let page = IntakePage {
        allowed,
        nonce: i.nonce,
        units,
        channels,
        groups,
        procedure,
        fields,
        docs,
        unit_error: field_error("unit_code"),
        procedure_error: field_error("procedure_code"),
        files_lost: i.files_lost && !i.errors.is_empty(),
        card_error: i
            .errors
            .iter()
            .find(|p| {
                p.field
                    .as_deref()
                    .is_some_and(|f| f == "card" || f.starts_with("card."))
            })
            .map(|p| p.message.clone()),
        card: i.card,
        card_filled: i.card_filled,
        errors,
        c,
    };
    let status = if !allowed {
        StatusCode::FORBIDDEN
    } else if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

async fn intake_form(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let input = IntakeInput {
        unit: q.unit.unwrap_or_default(),
        procedure: q.thu_tuc.unwrap_or_default(),
        channel: Channel::Counter.as_str().to_string(),
        values: vec![String::new(); APPLICANT_FIELDS.len()],
        paper: Vec::new(),
        nonce: new_nonce(),
        errors: Vec::new(),
        files_lost: false,
        card: String::new(),
        card_filled: false,
    };
    intake_page(&s, c, &user, input).await
}

async fn intake(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/tiep-nhan"));
    };
    let lang = c.lang;
    let form = read_form(&s, lang, req).await?;
    let unit = form.get("unit").trim().to_string();
    let procedure_code = form.get("procedure").trim().to_string();
    let channel_text = match form.get("channel").trim() {
        "" => Channel::Counter.as_str().to_string(),
        ch => ch.to_string(),
    };
    let values: Vec<String> = APPLICANT_FIELDS
        .iter()
        .map(|f| form.get(f).to_string())
        .collect();
    let catalog = s.store.procedures().await.map_err(store_err(lang))?;
    let procedure = catalog.iter().find(|p| p.code == procedure_code).cloned();
    let paper: Vec<String> = procedure
        .as_ref()
        .map(|p| {
            p.documents
                .iter()
                .filter(|d| form.has(&format!("paper:{}", d.code)))
                .map(|d| d.code.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut nonce = form.get("nonce").to_string();
    if nonce.len() != 32 {
        nonce = new_nonce();
    }
    let files_lost = !form.files.is_empty();
    let mut input = IntakeInput {
        unit: unit.clone(),
        procedure: procedure_code.clone(),
        channel: channel_text.clone(),
        values: values.clone(),
        paper: paper.clone(),
        nonce: nonce.clone(),
        errors: Vec::new(),
        files_lost,
        card: String::new(),
        card_filled: false,
    };
    // "Điền từ thẻ": the ID card's QR code (or MRZ), as a scanner types it,
    // fills the applicant for the officer to check with the person; nothing
    // is saved until the dossier is received.
    if form.get("go") == "scan" {
        let raw = form.get("card_scan").trim();
        let today = OffsetDateTime::now_utc().to_offset(VN_OFFSET).date();
        let read = if raw.is_empty() {
            Err(Problem::invalid(
                "no_card",
                "card",
                c.tr(
                    "Hãy quét mã QR trên thẻ căn cước vào ô \"Quét thẻ căn cước\"",
                    "Scan the ID card's QR code into \"Scan the ID card\"",
                ),
            ))
        } else {
            motcua_domain::identity::parse_card(raw, today)
        };
        match read {
            Ok(card) => {
                let a = card.to_applicant();
                let dob = card.date_of_birth;
                input.values[0] = a.full_name;
                input.values[1] = a.id_number;
                input.values[2] = format!(
                    "{:02}/{:02}/{}",
                    dob.day(),
                    u8::from(dob.month()),
                    dob.year()
                );
                if !a.address.is_empty() {
                    input.values[5] = a.address;
                }
                input.card_filled = true;
            }
            Err(p) => {
                input.card = raw.to_string();
                input.errors = vec![p];
            }
        }
        return intake_page(&s, c, &user, input).await;
    }
    // "Chọn": show the chosen procedure's documents, keeping what was typed.
    if form.get("go") == "chon" || !user.has_role(Role::Receptionist) {
        input.files_lost = false;
        return intake_page(&s, c, &user, input).await;
    }
    let slot = intake_slot(&nonce);
    let _guard = match &slot {
        Some(slot) => {
            let guard = slot.clone().lock_owned().await;
            if let Some(code) = guard.as_ref() {
                return Ok(
                    Redirect::to(&format!("/can-bo/ho-so/{}/bien-nhan", url_encode(code)))
                        .into_response(),
                );
            }
            Some(guard)
        }
        None => None,
    };
    // Check every field at once, so the officer sees all that is wrong.
    let today = OffsetDateTime::now_utc().to_offset(VN_OFFSET).date();
    let mut errors: Vec<Problem> = Vec::new();
    if unit.is_empty() || !user.sees_unit(&unit) {
        errors.push(Problem::invalid(
            "choose_unit",
            "unit_code",
            c.tr("Hãy chọn đơn vị tiếp nhận", "Choose the receiving unit"),
        ));
    }
    let channel = match channel_text.parse::<Channel>() {
        Ok(ch) if ch != Channel::Online => Some(ch),
        _ => {
            errors.push(Problem::invalid(
                "bad_channel",
                "channel",
                c.tr("Hãy chọn hình thức nộp", "Choose how it was filed"),
            ));
            None
        }
    };
    if procedure.is_none() {
        errors.push(Problem::invalid(
            "choose_procedure",
            "procedure_code",
            c.tr("Hãy chọn thủ tục", "Choose a procedure"),
        ));
    }
    let checks: [Result<(), Problem>; 6] = [
        field::full_name(&values[0]).map(drop),
        field::id_number(&values[1]).map(drop),
        field::date_of_birth(&values[2], today).map(drop),
        field::phone(&values[3]).map(drop),
        field::email(Some(&values[4])).map(drop),
        field::address(&values[5]).map(drop),
    ];
    errors.extend(checks.into_iter().filter_map(Result::err));
    if let Some(p) = &procedure {
        for d in p.required_documents() {
            let has_file = form.file(&format!("file:{}", d.code)).is_some();
            if !has_file && !paper.contains(&d.code) {
                errors.push(Problem::invalid(
                    "missing_document",
                    format!("documents.{}", d.code),
                    format!(
                        "{}: {}",
                        c.tr(
                            "Cần bản quét hoặc xác nhận đã kiểm tra bản giấy",
                            "Attach a scan or confirm the paper copy",
                        ),
                        d.name
                    ),
                ));
            }
        }
    }
    let (Some(procedure), Some(channel), true) = (procedure, channel, errors.is_empty()) else {
        input.errors = errors;
        return intake_page(&s, c, &user, input).await;
    };
    let now = OffsetDateTime::now_utc();
    let mut documents = Vec::new();
    for d in &procedure.documents {
        if let Some((_, filename, bytes)) = form.file(&format!("file:{}", d.code)) {
            match s
                .store
                .upload(bytes, filename.as_deref(), &user.username, now)
                .await
            {
                Ok(meta) => documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: Some(meta.id),
                    paper: false,
                }),
                Err(StoreError::Problem(p)) => {
                    input.errors = vec![Problem::invalid(
                        p.code,
                        format!("documents.{}", d.code),
                        format!("{}: {}", d.name, p.message),
                    )];
                    return intake_page(&s, c, &user, input).await;
                }
                Err(e) => return Err(PageError::new(lang, e.into())),
            }
        } else if paper.contains(&d.code) {
            documents.push(DocumentRef {
                code: d.code.clone(),
                upload_id: None,
                paper: true,
            });
        }
    }
    let email = values[4].trim().to_string();
    let new = NewDossier {
        unit_code: unit,
        procedure_code: procedure.code.clone(),
        channel,
        applicant: ApplicantInput {
            full_name: values[0].clone(),
            id_number: values[1].clone(),
            date_of_birth: values[2].clone(),
            phone: values[3].clone(),
            email: (!email.is_empty()).then_some(email),
            address: values[5].clone(),
        },
        fields: serde_json::json!({}),
        documents,
    };
    match s
        .store
        .create_dossier(new, &Actor::Staff(user.clone()), now)
        .await
    {
        Ok(rec) => {
            if let Some(mut guard) = _guard {
                *guard = Some(rec.row.code.clone());
            }
            Ok(Redirect::to(&format!(
                "/can-bo/ho-so/{}/bien-nhan",
                url_encode(&rec.row.code)
            ))
            .into_response())
        }
        Err(StoreError::Problem(p)) if p.kind == ProblemKind::Forbidden => {
            input.errors = vec![Problem::invalid("other_unit", "unit_code", p.message)];
            intake_page(&s, c, &user, input).await
        }
        Err(StoreError::Problem(p)) => {
            let p = if p.field.is_none() {
                p.with_field("procedure_code")
            } else {
                p
            };
            input.errors = vec![p];
            intake_page(&s, c, &user, input).await
        }
        Err(e) => Err(PageError::new(lang, e.into())),
    }
}

// ---- the working calendar ------------------------------------------------------

struct DayView {
    date: String,
    weekday: String,
    name: String,
}

struct OverrideView {
    date: String,
    iso: String,
    weekday: String,
    kind: String,
    name: String,
    scope_label: String,
    scope: String,
    deletable: bool,
}

#[derive(Template)]
#[template(path = "office_calendar.html")]
struct CalendarPage {
    c: Ctx,
    year: i32,
    unit: String,
    unit_label: String,
    units: Vec<Choice>,
    admin: bool,
    can_edit: bool,
    days_off: Vec<DayView>,
    working_days: Vec<DayView>,
    overrides: Vec<OverrideView>,
    form_date: String,
    form_kind: String,
    form_name: String,
    form_scope: String,
    notice: Option<String>,
    errors: Vec<ErrorLine>,
    date_error: Option<String>,
    name_error: Option<String>,
    kind_error: Option<String>,
}

#[derive(Deserialize)]
struct CalendarQuery {
    nam: Option<String>,
    unit: Option<String>,
    ok: Option<String>,
}

/// National overrides are for admins; a unit's own for its unit admins.
fn may_edit_calendar(user: &User, unit: &str) -> bool {
    user.has_role(Role::Admin)
        || (!unit.is_empty()
            && user.has_role(Role::UnitAdmin)
            && user.units.iter().any(|u| u == unit))
}

struct CalendarForm {
    date: String,
    kind: String,
    name: String,
    scope: String,
}

#[allow(clippy::too_many_arguments)]
async fn calendar_view(
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
    let days_off = cal
        .holidays(year)
        .into_iter()
        .map(|h| DayView {
            date: date_vn(h.date),
            weekday: weekday_words(&c, h.date).to_string(),
            name: h.name,
        })
        .collect();
    let working_days = cal
        .overrides()
        .iter()
        .filter(|o| o.kind == OverrideKind::WorkingDay && o.date.year() == year)
        .map(|o| DayView {
            date: date_vn(o.date),
            weekday: weekday_words(&c, o.date).to_string(),
            name: o.name.clone(),
        })
        .collect();
    let overrides = s
        .store
        .overrides(unit_opt)
        .await
        .map_err(store_err(lang))?
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
        admin: user.has_role(Role::Admin),
        can_edit: may_edit_calendar(user, &unit),
        unit_label,
        unit,
        units,
        days_off,
        working_days,
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

fn parse_year(lang: Lang, raw: Option<&str>) -> Result<i32, PageError> {
    match raw.map(str::trim).filter(|y| !y.is_empty()) {
        None => Ok(OffsetDateTime::now_utc().to_offset(VN_OFFSET).year()),
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
fn calendar_unit(lang: Lang, user: &User, asked: Option<&str>) -> Result<String, PageError> {
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

async fn calendar_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let year = parse_year(c.lang, q.nam.as_deref())?;
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

async fn calendar_post(c: Ctx, State(s): State<AppState>, req: Request) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/lich"));
    };
    let lang = c.lang;
    let form = read_form(&s, lang, req).await?;
    let year = parse_year(lang, Some(form.get("nam")))?;
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
                .put_override(scope_opt, &o, &user.username, OffsetDateTime::now_utc())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            lang: Lang::Vi,
            large: false,
            user: None,
            path: "/".into(),
        }
    }

    #[test]
    fn working_time_in_words() {
        let c = ctx();
        assert_eq!(minutes_words(&c, 0, 480), "0 phút làm việc");
        assert_eq!(
            minutes_words(&c, 480 + 150, 480),
            "1 ngày 2 giờ 30 phút làm việc"
        );
        assert_eq!(minutes_words(&c, 960, 480), "2 ngày làm việc");
    }

    #[test]
    fn queue_slugs_round_trip() {
        for q in Queue::ALL {
            assert_eq!(Queue::from_slug(q.slug()), Some(q));
        }
        assert_eq!(Queue::from_slug("nope"), None);
    }

    #[test]
    fn next_stays_local() {
        assert_eq!(next_or_default(None), "/can-bo");
        assert_eq!(next_or_default(Some("//evil.example")), "/");
        assert_eq!(next_or_default(Some("https://evil.example")), "/");
        assert_eq!(
            next_or_default(Some("/can-bo/ho-so/30112-260302-0001")),
            "/can-bo/ho-so/30112-260302-0001"
        );
    }

    #[test]
    fn intake_slots_are_shared_by_nonce() {
        let n = new_nonce();
        let a = intake_slot(&n).expect("slot");
        let b = intake_slot(&n).expect("slot");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(intake_slot("short").is_none());
    }
}
