//! The service index of Decision 766/QĐ-TTg for supervisors and centers:
//! the province's ranking, each unit's indicators with their figures and the
//! article they come from, the dossiers behind every count, monthly trends as
//! server-drawn SVG, the officers' work, and every table as CSV or XLSX with
//! exactly the figures on the screen. Also the citizens' side: a
//! satisfaction rating once per returned dossier, and feedback (phản ánh,
//! kiến nghị) that the unit answers within a deadline.

use super::{Ctx, Lang, PageError, PageResult, render, render_status, url_encode, when};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Extension, Router};
use motcua_domain::Problem;
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET};
use motcua_domain::index::{self as idx, Group, Period, Value};
use motcua_store::User;
use motcua_store::index::{Drill, RankedUnit, ranking};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

mod drill;
mod ranking;
mod unit;
mod voice;

use drill::*;
use ranking::*;
use unit::*;
use voice::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/giam-sat/chi-so", get(ranking_page))
        .route("/giam-sat/chi-so/{unit}", get(unit_page))
        .route("/giam-sat/chi-so/{unit}/ho-so", get(drill_page))
        .route("/can-bo/phan-anh", get(feedback_list))
        .route("/can-bo/phan-anh/{id}", post(feedback_answer))
        .route("/tra-cuu/danh-gia", get(rate_form).post(rate_post))
        .route("/phan-anh", get(feedback_form).post(feedback_post))
}

// ---- tables, exports and charts ------------------------------------------------

/// A cell as shown; `href` makes it a link on the screen (not in exports);
/// `num` is the figure behind the text, so exports write a number a
/// spreadsheet can add up, not the text with its decimal comma.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub num: Option<Num>,
}

/// A figure, kept as integers so the screen, the sort and the export agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Num {
    /// A count or a rank.
    Whole(i64),
    /// Points in hundredths (1334 is 13,34 points).
    Points(i64),
    /// A rate in hundredths of a percent (9523 is 95,23 %).
    Rate(i64),
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: None,
        num: None,
    }
}

fn link(text: impl Into<String>, href: String) -> Cell {
    Cell {
        text: text.into(),
        href: Some(href),
        num: None,
    }
}

fn count(n: i64) -> Cell {
    Cell {
        num: Some(Num::Whole(n)),
        ..cell(n.to_string())
    }
}

fn points(x100: i64) -> Cell {
    Cell {
        num: Some(Num::Points(x100)),
        ..cell(idx::fmt_points(x100))
    }
}

fn rate(x100: i64) -> Cell {
    Cell {
        num: Some(Num::Rate(x100)),
        ..cell(idx::fmt_rate(x100))
    }
}

/// One table: the screen and both exports are drawn from this same value.
#[derive(Default)]
pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The page's address its column headers sort from; none: not sortable.
    pub sort_base: Option<String>,
    /// The column it is sorted by, and whether highest first.
    pub sorted: Option<(usize, bool)>,
}

impl Num {
    fn key(self) -> i64 {
        match self {
            Num::Whole(n) | Num::Points(n) | Num::Rate(n) => n,
        }
    }
}

impl Table {
    /// A column of figures: right-aligned, and sortable when the table is.
    pub fn is_num(&self, col: &usize) -> bool {
        self.rows
            .iter()
            .any(|r| r.get(*col).is_some_and(|c| c.num.is_some()))
    }
    pub fn sorts(&self, col: &usize) -> bool {
        self.sort_base.is_some() && self.is_num(col)
    }
    /// Highest first, then lowest first when already so; back to the table.
    pub fn sort_href(&self, col: &usize) -> String {
        let desc = self.sorted != Some((*col, true));
        format!(
            "{}&sort={}.{col}{}#{}-title",
            self.sort_base.as_deref().unwrap_or(""),
            self.id,
            if desc { ".giam" } else { "" },
            self.id
        )
    }
    pub fn aria_sort(&self, col: &usize) -> &'static str {
        match self.sorted {
            Some((c, true)) if c == *col => "descending",
            Some((c, false)) if c == *col => "ascending",
            _ => "",
        }
    }
}

/// The exports of a sorted page come in the same order.
fn with_sort(base: String, sort: Option<&str>) -> String {
    match sort.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => format!("{base}&sort={}", url_encode(s)),
        None => base,
    }
}

/// Lets each table sort from `base` and sorts the one `sort` names
/// ("xep-hang.9.giam": table, column, highest first). Rows without a figure
/// stay last either way; equal figures keep their order.
fn sort_tables(tables: &mut [&mut Table], base: &str, sort: Option<&str>) -> Result<(), Problem> {
    for t in tables.iter_mut() {
        t.sort_base = Some(base.to_string());
    }
    let Some(spec) = sort.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let bad = || Problem::invalid("bad_sort", "sort", "Không sắp xếp được bảng theo cột này");
    let mut parts = spec.split('.');
    let (id, col, dir) = (parts.next(), parts.next(), parts.next());
    let col: usize = col.and_then(|c| c.parse().ok()).ok_or_else(bad)?;
    let desc = match dir {
        None => false,
        Some("giam") => true,
        Some(_) => return Err(bad()),
    };
    let t = tables
        .iter_mut()
        .find(|t| Some(t.id) == id)
        .filter(|t| t.is_num(&col))
        .ok_or_else(bad)?;
    t.rows.sort_by_key(|r| {
        let k = r.get(col).and_then(|c| c.num).map(Num::key);
        (k.is_none(), k.map(|k| if desc { -k } else { k }))
    });
    t.sorted = Some((col, desc));
    Ok(())
}

/// CSV in UTF-8 with a byte-order mark, so spreadsheet programs read the diacritics.
pub fn to_csv(t: &Table) -> String {
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<&str>| {
        cells
            .into_iter()
            .map(motcua_domain::text::csv_field)
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&line(t.headers.iter().map(String::as_str).collect()));
    out.push_str("\r\n");
    for r in &t.rows {
        out.push_str(&line(r.iter().map(|c| c.text.as_str()).collect()));
        out.push_str("\r\n");
    }
    out
}

/// XLSX: figures as numeric cells (points with two decimals, rates as
/// percentages), everything else as the text on the screen.
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Format;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let two = Format::new().set_num_format("0.00");
    let pct = Format::new().set_num_format("0.00%");
    for (c, h) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v.num {
                Some(Num::Whole(n)) => sheet.write_number(r, c, n as f64)?,
                Some(Num::Points(x)) => {
                    sheet.write_number_with_format(r, c, x as f64 / 100.0, &two)?
                }
                Some(Num::Rate(x)) => {
                    sheet.write_number_with_format(r, c, x as f64 / 10_000.0, &pct)?
                }
                None => sheet.write_string(r, c, &v.text)?,
            };
        }
    }
    book.save_to_buffer()
}

/// A table as a file: `csv` or `xlsx`, named `name`.
pub(crate) fn export(t: &Table, format: &str, name: &str) -> PageResult {
    let (body, ctype, ext) = match format {
        "csv" => (to_csv(t).into_bytes(), "text/csv; charset=utf-8", "csv"),
        "xlsx" => (
            to_xlsx(t).map_err(|e| {
                PageError::from(motcua_store::StoreError::Config(format!("xlsx: {e}")))
            })?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => {
            return Err(Problem::invalid(
                "bad_format",
                "xuat",
                "Định dạng xuất phải là csv hoặc xlsx",
            )
            .into());
        }
    };
    Ok(crate::documents::file_response(
        body,
        ctype,
        &format!("{name}.{ext}"),
    ))
}

/// A bar chart as inline SVG: one bar per (label, value in hundredths) on a 0–100 scale.
pub fn bar_chart(title: &str, bars: &[(String, i64)]) -> String {
    let (w, h, left, bottom, top) = (640i64, 240i64, 36i64, 28i64, 12i64);
    let plot_h = h - bottom - top;
    let n = bars.len().max(1) as i64;
    let slot = (w - left - 8) / n;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"{t}\" class=\"chart\"><title>{t}</title>",
        t = askama_escape(title)
    );
    for v in [0i64, 25, 50, 75, 100] {
        let y = top + plot_h - plot_h * v / 100;
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{w}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ccc\" stroke-width=\"1\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">{v}</text>",
            left - 4,
            y + 4
        ));
    }
    for (i, (label, x100)) in bars.iter().enumerate() {
        let v = (*x100).clamp(0, 10_000);
        let bh = plot_h * v / 10_000;
        let x = left + 4 + slot * i as i64;
        let y = top + plot_h - bh;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bw}\" height=\"{bh}\" fill=\"#1d5fa8\"><title>{l}: {p}</title></rect><text x=\"{cx}\" y=\"{ly}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{l}</text>",
            bw = (slot - 6).max(2),
            cx = x + slot / 2 - 3,
            ly = h - 10,
            l = askama_escape(label),
            p = idx::fmt_points(v)
        ));
    }
    s.push_str("</svg>");
    s
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---- common ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct IndexQuery {
    ky: Option<String>,
    tinh: Option<String>,
    xuat: Option<String>,
    bang: Option<String>,
    loai: Option<String>,
    sau: Option<i64>,
    unit: Option<String>,
    sort: Option<String>,
    // The period controls: a kind and the fields it needs.
    kieu: Option<String>,
    nam: Option<String>,
    quy: Option<String>,
    thang: Option<String>,
    tu: Option<String>,
    den: Option<String>,
}

fn now(s: &AppState) -> OffsetDateTime {
    s.now()
}

use super::sign_in;

/// Today in Vietnam, from the injected clock.
fn today(s: &AppState) -> Date {
    s.now().to_offset(VN_OFFSET).date()
}

/// Whether the figures shown are of a period not over yet: the chosen
/// period, and the month of the trend that is still running.
pub(super) struct Progress {
    /// "dd/mm/yyyy": the figures count up to this day.
    today: String,
    period: bool,
    /// The label of the trend's month in progress ("tháng 3/2026").
    month: Option<String>,
}

impl Progress {
    fn of(period: &Period, today: Date) -> Self {
        Progress {
            today: idx::fmt_date(today),
            period: period.in_progress(today),
            month: period
                .months_until(today)
                .into_iter()
                .find(|m| m.in_progress(today))
                .map(|m| m.label_vi()),
        }
    }
}

/// The controls' fields, when the form was sent.
fn period_form(q: &IndexQuery) -> Option<idx::PeriodForm> {
    let f = |v: &Option<String>| v.clone().unwrap_or_default();
    q.kieu.as_ref().map(|kind| idx::PeriodForm {
        kind: kind.clone(),
        year: f(&q.nam),
        quarter: f(&q.quy),
        month: f(&q.thang),
        from: f(&q.tu),
        to: f(&q.den),
    })
}

/// The period asked: by the controls, else by `ky` (the links), else this year.
fn period_of(q: &IndexQuery, now: OffsetDateTime) -> Result<Period, Problem> {
    if let Some(f) = period_form(q) {
        return f.period();
    }
    match q.ky.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Period::parse(k),
        None => Period::year(now.to_offset(VN_OFFSET).year()),
    }
}

/// The period controls as shown: the chosen period's fields, or what was
/// typed with the field to fix.
pub(super) struct PeriodControls {
    form: idx::PeriodForm,
    /// (field, message) after a mistyped period.
    error: Option<(String, String)>,
}

impl PeriodControls {
    fn showing(p: &Period) -> Self {
        PeriodControls {
            form: idx::PeriodForm::of(p),
            error: None,
        }
    }
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    fn kind_is(&self, kind: &str) -> bool {
        self.form.kind == kind
    }
    fn number_is(&self, value: &str, n: &u8) -> bool {
        value.trim().parse::<u8>().ok() == Some(*n)
    }
}

#[derive(Template)]
#[template(path = "index_period_error.html")]
pub(super) struct PeriodErrorPage {
    c: Ctx,
    form_action: String,
    periods: Vec<(String, String, bool)>,
    pc: PeriodControls,
}

/// A mistyped period: the controls again, as typed, with what to fix (422).
fn period_error(
    c: Ctx,
    s: &AppState,
    form_action: String,
    q: &IndexQuery,
    p: Problem,
) -> PageResult {
    let this_year = Period::year(today(s).year()).map_err(|p| PageError::new(c.lang, p.into()))?;
    // A mistyped `ky` (from an edited link) is fixed with the controls.
    let field = match p.field.as_deref() {
        Some("ky") | None => "kieu".to_string(),
        Some(f) => f.to_string(),
    };
    let form = period_form(q).unwrap_or_else(|| idx::PeriodForm::of(&this_year));
    render_status(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        &PeriodErrorPage {
            periods: period_choices(&this_year, s.now()),
            pc: PeriodControls {
                form,
                error: Some((field, p.message)),
            },
            form_action,
            c,
        },
    )
}

fn forbidden(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::forbidden(
            "other_unit",
            "Bạn không làm việc tại đơn vị này / You do not work for this unit",
        )
        .into(),
    )
}

/// Quick choices of period: this year and last, this year's quarters and months.
fn period_choices(current: &Period, now: OffsetDateTime) -> Vec<(String, String, bool)> {
    let y = now.to_offset(VN_OFFSET).year();
    let mut out = Vec::new();
    let mut push = |p: Result<Period, Problem>| {
        if let Ok(p) = p {
            out.push((p.key(), p.label_vi(), p == *current));
        }
    };
    push(Period::year(y));
    push(Period::year(y - 1));
    for q in 1..=4 {
        push(Period::quarter(y, q));
    }
    for m in 1..=12 {
        push(Period::month(y, m));
    }
    out
}

struct Note {
    text: &'static str,
}

fn notes() -> Vec<Note> {
    vec![
        Note {
            text: idx::MISSING_DATA_NOTE,
        },
        Note {
            text: idx::NOTHING_TO_COUNT_NOTE,
        },
        Note {
            text: idx::NO_RATING_NOTE,
        },
        Note {
            text: idx::FORMULA_NOTE,
        },
        Note {
            text: idx::SPLIT_ASSUMPTION,
        },
    ]
}

fn group_headers() -> Vec<String> {
    Group::ALL
        .iter()
        .map(|g| format!("{}. {} ({})", g.number(), g.label_vi(), g.max_x100() / 100))
        .collect()
}

/// The province a user ranks: a supervisor's own; an administrator's choice.
async fn province_for(
    s: &AppState,
    user: &User,
    asked: Option<&str>,
) -> Result<Option<String>, PageError> {
    if user.has_role(motcua_domain::lifecycle::Role::Admin) {
        if let Some(p) = asked.filter(|p| !p.is_empty()) {
            return Ok(Some(p.to_string()));
        }
        if let Some(p) = &user.province_code {
            return Ok(Some(p.clone()));
        }
        return Ok(s.store.provinces().await?.first().map(|p| p.code.clone()));
    }
    Ok(user.province_code.clone())
}
