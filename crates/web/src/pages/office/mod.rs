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
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use motcua_domain::calendar::{
    CalendarOverride, OffsetDateTime, OverrideKind, VN_OFFSET, WorkCalendar, format_vn, parse_date,
};
use motcua_domain::catalog::Procedure;
use motcua_domain::delivery::{Delivery, DeliveryMethod};
use motcua_domain::dossier::{ApplicantInput, Event, Projection, Urgency, field};
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

mod calendar;
mod declare;
mod documents;
mod dossier;
mod intake;
mod integrations;
mod login;
pub(crate) mod payments;
mod queues;
mod receipt;
mod takings;

use calendar::*;
use declare::*;
use documents::*;
use dossier::*;
use intake::*;
use integrations::*;
use login::*;
use payments::*;
use queues::*;
use receipt::*;
use takings::*;

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
            "/can-bo/ho-so/{code}/bien-lai/{receipt}",
            get(office_receipt),
        )
        .route("/can-bo/thu-phi", get(takings))
        .route("/can-bo/thu-phi/doi-soat", post(takings::settle_credit))
        .route("/can-bo/thu-phi/sao-ke", post(takings::import_statement))
        .route(
            "/can-bo/tiep-nhan",
            get(intake_form)
                .post(intake)
                .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
        )
        .route("/can-bo/tai-lieu/{id}", get(document))
        .route("/can-bo/lich", get(calendar_page).post(calendar_post))
        .route(
            "/can-bo/ket-noi",
            get(integrations_page).post(integrations_post),
        )
}

// ---- shared helpers ------------------------------------------------------------

/// Send a visitor who is not signed in to the login page, coming back to `next`.
use super::sign_in;

use super::dossier_not_found as not_found;

fn store_err(lang: Lang) -> impl Fn(StoreError) -> PageError {
    move |e| PageError::new(lang, e.into())
}

use super::form::read_form;

/// One line of an error summary: where to go, what is wrong.
struct ErrorLine {
    href: String,
    message: String,
}

fn role_words(c: &Ctx, role: &str) -> String {
    match role.parse::<Role>() {
        Ok(r) => c.tr(r.label_vi(), r.label_en()).to_string(),
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
    c.tr(a.label_vi(), a.label_en()).to_string()
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
