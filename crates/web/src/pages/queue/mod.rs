//! The queue at the center: the kiosk where a citizen takes a numbered
//! ticket (or checks in an appointment, reads a receipt's QR code or the chip
//! ID card), the officer's counter panel, the display board for a TV with its
//! live feed of calls, online appointments and the queue's figures.
//!
//! Everything works without JavaScript except the live board, which then
//! refreshes itself every 15 seconds. `static/board.js` listens to the
//! server-sent events of `/bang/{unit}/su-kien` (calls and waiting counts,
//! reconnecting by itself and resuming after the last call and the counts
//! it saw), chimes and says the call in
//! Vietnamese when the browser has a vi-VN voice; `static/kiosk.js` prints
//! the ticket on a kiosk set up to print.

use super::{Ctx, Lang, PageError, PageResult, render, render_status, url_encode};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET, parse_date};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::User;
use motcua_store::queue::{Call, Counter, QueueStats, Service, Ticket, TicketAction, TicketStatus};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

mod board;
mod booking;
mod kiosk;
mod lookup;
mod panel;
mod setup;
mod stats;

use board::*;
use booking::*;
use kiosk::*;
use lookup::*;
use panel::*;
use setup::*;
use stats::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/board.js",
            get(|| {
                super::asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../../static/board.js"),
                )
            }),
        )
        .route(
            "/static/kiosk.js",
            get(|| {
                super::asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../../static/kiosk.js"),
                )
            }),
        )
        .route("/kiosk/{unit}", get(kiosk))
        .route("/kiosk/{unit}/ve", post(take_ticket))
        .route("/kiosk/{unit}/ve/{token}", get(ticket_page))
        .route("/kiosk/{unit}/hen", post(check_in))
        .route("/kiosk/{unit}/the", post(read_card))
        .route(
            "/kiosk/{unit}/tra-cuu",
            get(kiosk_lookup_page).post(kiosk_lookup),
        )
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

use super::sign_in;

fn page_err(lang: Lang) -> impl Fn(motcua_store::StoreError) -> PageError {
    move |e| PageError::new(lang, e.into())
}

fn not_found(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found("unit_not_found", "Không tìm thấy đơn vị này").into(),
    )
}

fn now(s: &AppState) -> OffsetDateTime {
    s.now()
}

fn today(s: &AppState) -> Date {
    now(s).to_offset(VN_OFFSET).date()
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

use super::form::read_form as form_fields;

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
