//! The service index of Decision 766/QĐ-TTg for supervisors and centers:
//! the province's ranking, each unit's indicators with their figures and the
//! article they come from, the dossiers behind every count, monthly trends as
//! server-drawn SVG, the officers' work, and every table as CSV or XLSX with
//! exactly the figures on the screen. Also the citizens' side: a
//! satisfaction rating once per returned dossier, and feedback (phản ánh,
//! kiến nghị) that the unit answers within a deadline.

use super::{Ctx, Lang, PageError, PageResult, render, url_encode, when};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Extension, Router};
use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::index::{self as idx, Group, Period, Value};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::User;
use motcua_store::index::{Drill, RankedUnit, ranking};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

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

/// A cell as shown; `href` makes it a link on the screen (not in exports).
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: None,
    }
}

fn link(text: impl Into<String>, href: String) -> Cell {
    Cell {
        text: text.into(),
        href: Some(href),
    }
}

/// One table: the screen and both exports are drawn from this same value.
pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
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

/// XLSX: whole numbers as numbers, everything else as the text on the screen.
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v.text.parse::<i64>() {
                Ok(n) if !v.text.starts_with('0') || v.text == "0" => {
                    sheet.write_number(r, c, n as f64)?;
                }
                _ => {
                    sheet.write_string(r, c, &v.text)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

fn export(t: &Table, format: &str, name: &str) -> PageResult {
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
}

fn now(s: &AppState) -> OffsetDateTime {
    s.now()
}

use super::sign_in;

fn period_of(q: &IndexQuery, now: OffsetDateTime) -> Result<Period, Problem> {
    match q.ky.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Period::parse(k),
        None => Period::year(now.to_offset(VN_OFFSET).year()),
    }
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
            text: idx::RATING_NOTE,
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

// ---- province ranking ------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_ranking.html")]
struct RankingPage {
    c: Ctx,
    province: String,
    province_name: String,
    period_key: String,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    tables: Vec<Table>,
    chart: String,
    notes: Vec<Note>,
    export_base: String,
    form_action: String,
}

fn ranking_table(rows: &[RankedUnit], period: &Period) -> Table {
    let mut headers = vec![
        "Hạng".to_string(),
        "Mã đơn vị".to_string(),
        "Đơn vị".to_string(),
    ];
    headers.extend(group_headers());
    headers.push("Tổng điểm (100)".into());
    headers.push("Xếp loại".into());
    Table {
        id: "xep-hang",
        title: format!("Xếp hạng các đơn vị, {}", period.label_vi()),
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    cell(r.rank.to_string()),
                    cell(r.unit.code.clone()),
                    link(
                        r.unit.name.clone(),
                        format!(
                            "/giam-sat/chi-so/{}?ky={}",
                            r.unit.code,
                            url_encode(&period.key())
                        ),
                    ),
                ];
                row.extend(r.card.groups_x100.iter().map(|g| cell(idx::fmt_points(*g))));
                row.push(cell(idx::fmt_points(r.card.total_x100)));
                row.push(cell(r.card.rating.label_vi()));
                row
            })
            .collect(),
    }
}

/// Monthly scores of a set of units: the average total per month.
async fn monthly(
    s: &AppState,
    province: Option<&str>,
    unit: Option<&str>,
    units: usize,
    period: &Period,
) -> Result<Vec<(Period, [i64; 5], i64)>, PageError> {
    let mut out = Vec::new();
    for m in period.months() {
        let counts = s.store.index_counts(province, unit, m).await?;
        let n = units.max(1) as i64;
        let mut groups = [0i64; 5];
        let mut total = 0;
        // Units without any count still score (see NOTHING_TO_COUNT_NOTE).
        let empty = idx::Counts::default();
        let mut seen = 0;
        for c in counts.values() {
            let card = idx::score(c);
            for (g, v) in groups.iter_mut().zip(card.groups_x100) {
                *g += v;
            }
            total += card.total_x100;
            seen += 1;
        }
        let blank = idx::score(&empty);
        for _ in seen..units.max(1) {
            for (g, v) in groups.iter_mut().zip(blank.groups_x100) {
                *g += v;
            }
            total += blank.total_x100;
        }
        out.push((
            m,
            groups.map(|g| (2 * g + n) / (2 * n)),
            (2 * total + n) / (2 * n),
        ));
    }
    Ok(out)
}

fn trend_table(rows: &[(Period, [i64; 5], i64)], title: String) -> Table {
    let mut headers = vec!["Kỳ".to_string()];
    headers.extend(group_headers());
    headers.push("Tổng điểm (100)".into());
    Table {
        id: "xu-huong",
        title,
        headers,
        rows: rows
            .iter()
            .map(|(p, g, t)| {
                let mut row = vec![cell(p.label_vi())];
                row.extend(g.iter().map(|v| cell(idx::fmt_points(*v))));
                row.push(cell(idx::fmt_points(*t)));
                row
            })
            .collect(),
    }
}

fn chart_of(rows: &[(Period, [i64; 5], i64)], title: &str) -> String {
    let bars: Vec<(String, i64)> = rows
        .iter()
        .map(|(p, _, t)| {
            (
                format!("{}/{}", u8::from(p.from.month()), p.from.year() % 100),
                *t,
            )
        })
        .collect();
    bar_chart(title, &bars)
}

async fn ranking_page(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let period = period_of(&q, s.now()).map_err(|p| PageError::new(lang, p.into()))?;
    if !idx::may_rank_province(&user.roles) {
        // Unit staff see their own unit's index.
        return match user.units.first() {
            Some(u) => Ok(Redirect::to(&format!(
                "/giam-sat/chi-so/{u}?ky={}",
                url_encode(&period.key())
            ))
            .into_response()),
            None => Err(forbidden(lang)),
        };
    }
    let province = province_for(&s, &user, q.tinh.as_deref())
        .await?
        .ok_or_else(|| forbidden(lang))?;
    let province_name = s
        .store
        .provinces()
        .await?
        .into_iter()
        .find(|p| p.code == province)
        .map(|p| p.name)
        .ok_or_else(|| {
            PageError::new(
                lang,
                Problem::not_found("province_not_found", "Không tìm thấy tỉnh").into(),
            )
        })?;
    let rows = ranking(&s.store, &province, period).await?;
    let main = ranking_table(&rows, &period);
    let trend_rows = monthly(&s, Some(&province), None, rows.len(), &period).await?;
    let chart = chart_of(&trend_rows, "Điểm trung bình của các đơn vị theo tháng");
    let trend = trend_table(&trend_rows, "Điểm trung bình theo tháng".into());
    if let Some(f) = q.xuat.as_deref() {
        let t = if q.bang.as_deref() == Some("xu-huong") {
            &trend
        } else {
            &main
        };
        return export(
            t,
            f,
            &format!("chi-so-{province}-{}-{}", t.id, period.key()),
        );
    }
    render(&RankingPage {
        form_action: "/giam-sat/chi-so".into(),
        export_base: format!(
            "/giam-sat/chi-so?ky={}&tinh={}",
            url_encode(&period.key()),
            url_encode(&province)
        ),
        province,
        province_name,
        period_key: period.key(),
        period_label: period.label_vi(),
        periods: period_choices(&period, s.now()),
        tables: vec![main, trend],
        chart,
        notes: notes(),
        c,
    })
}

// ---- one unit ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_unit.html")]
struct UnitPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    period_key: String,
    period_label: String,
    periods: Vec<(String, String, bool)>,
    total: String,
    rating: String,
    rank: Option<(usize, usize)>,
    tables: Vec<Table>,
    chart: String,
    notes: Vec<Note>,
    export_base: String,
    form_action: String,
}

fn indicator_table(unit: &str, period: &Period, card: &idx::Scorecard) -> Table {
    let headers = [
        "Mã",
        "Chỉ số",
        "Nhóm",
        "Tử số",
        "Mẫu số",
        "Tỷ lệ",
        "Điểm",
        "Điểm tối đa",
        "Căn cứ",
        "Ghi chú",
    ];
    Table {
        id: "chi-so",
        title: format!("Các chỉ số, {}", period.label_vi()),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: card
            .indicators
            .iter()
            .map(|i| {
                let (num, den, state) = match i.value {
                    Value::NoData => (String::new(), String::new(), "Không có dữ liệu".to_string()),
                    Value::NothingToCount => {
                        ("0".into(), "0".into(), "Không phát sinh".to_string())
                    }
                    Value::Rate {
                        numerator,
                        denominator,
                    } => (
                        numerator.to_string(),
                        denominator.to_string(),
                        String::new(),
                    ),
                };
                let note = [state.as_str(), i.assumption.unwrap_or("")]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                let drills = Drill::for_indicator(i.code);
                let name = match drills.first() {
                    Some(d) => link(
                        i.name_vi,
                        format!(
                            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}",
                            url_encode(&period.key()),
                            d.as_str()
                        ),
                    ),
                    None => cell(i.name_vi),
                };
                vec![
                    cell(i.code),
                    name,
                    cell(i.group.label_vi()),
                    cell(num),
                    cell(den),
                    cell(i.rate_x100().map(idx::fmt_rate).unwrap_or_default()),
                    cell(idx::fmt_points(i.points_x100)),
                    cell(idx::fmt_points(i.max_x100)),
                    cell(format!("{}; {}", i.citation, i.formula_vi)),
                    cell(note),
                ]
            })
            .collect(),
    }
}

fn groups_table(card: &idx::Scorecard) -> Table {
    let mut rows: Vec<Vec<Cell>> = Group::ALL
        .iter()
        .zip(card.groups_x100)
        .map(|(g, p)| {
            vec![
                cell(format!("{}. {}", g.number(), g.label_vi())),
                cell(idx::fmt_points(p)),
                cell(idx::fmt_points(g.max_x100())),
            ]
        })
        .collect();
    rows.push(vec![
        cell("Tổng"),
        cell(idx::fmt_points(card.total_x100)),
        cell("100,00"),
    ]);
    Table {
        id: "nhom",
        title: "Điểm theo nhóm".into(),
        headers: vec!["Nhóm chỉ số".into(), "Điểm".into(), "Điểm tối đa".into()],
        rows,
    }
}

fn officer_table(rows: &[motcua_store::index::OfficerStats]) -> Table {
    Table {
        id: "can-bo",
        title: "Công việc của từng cán bộ".into(),
        headers: [
            "Cán bộ",
            "Số bước đã xử lý",
            "Hồ sơ tiếp nhận",
            "Hồ sơ quyết định (duyệt, từ chối)",
            "Trong đó đúng hạn",
            "Thời gian trung bình mỗi bước (phút)",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|o| {
                vec![
                    cell(o.username.clone()),
                    cell(o.actions.to_string()),
                    cell(o.received.to_string()),
                    cell(o.settled.to_string()),
                    cell(o.settled_on_time.to_string()),
                    cell(o.avg_step_minutes.to_string()),
                ]
            })
            .collect(),
    }
}

async fn unit_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    if !user.sees_unit(&unit) {
        return Err(forbidden(lang));
    }
    let period = period_of(&q, s.now()).map_err(|p| PageError::new(lang, p.into()))?;
    let u = s.store.unit(&unit).await?.ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found("unit_not_found", "Không tìm thấy đơn vị").into(),
        )
    })?;
    let counts = s
        .store
        .index_counts(None, Some(&unit), period)
        .await?
        .remove(&unit)
        .unwrap_or_default();
    let card = idx::score(&counts);
    // The unit's place in its province (the same ranking as the province page).
    let ranked = ranking(&s.store, &u.province_code, period).await?;
    let rank = ranked
        .iter()
        .find(|r| r.unit.code == unit)
        .map(|r| (r.rank, ranked.len()));
    let trend_rows = monthly(&s, None, Some(&unit), 1, &period).await?;
    let officers = s.store.officer_stats(&unit, period).await?;
    let tables = vec![
        groups_table(&card),
        indicator_table(&unit, &period, &card),
        trend_table(&trend_rows, "Điểm theo tháng".into()),
        officer_table(&officers),
    ];
    if let Some(f) = q.xuat.as_deref() {
        let which = q.bang.as_deref().unwrap_or("chi-so");
        let t = tables.iter().find(|t| t.id == which).ok_or_else(|| {
            PageError::new(
                lang,
                Problem::invalid("bad_table", "bang", "Không có bảng này").into(),
            )
        })?;
        return export(t, f, &format!("chi-so-{unit}-{}-{}", t.id, period.key()));
    }
    render(&UnitPage {
        form_action: format!("/giam-sat/chi-so/{unit}"),
        export_base: format!("/giam-sat/chi-so/{unit}?ky={}", url_encode(&period.key())),
        unit,
        unit_name: u.name,
        period_key: period.key(),
        period_label: period.label_vi(),
        periods: period_choices(&period, s.now()),
        total: idx::fmt_points(card.total_x100),
        rating: card.rating.label_vi().to_string(),
        rank,
        chart: chart_of(&trend_rows, "Tổng điểm theo tháng"),
        tables,
        notes: notes(),
        c,
    })
}

// ---- drill-down --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_drill.html")]
struct DrillPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    period_key: String,
    period_label: String,
    drill: String,
    drills: Vec<(String, String, bool)>,
    tables: Vec<Table>,
    next: Option<String>,
    first_page: bool,
    export_base: String,
}

const DRILL_PAGE: i64 = 50;

/// The rows of a drill-down list: names masked and no link for who does
/// not read the dossiers themselves (a province supervisor).
fn dossier_rows(rows: &[motcua_store::DossierRow], user: &User) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            let reads = user.reads_dossiers_of(&r.unit_code);
            let status = r
                .status
                .parse::<motcua_domain::lifecycle::Status>()
                .map(|s| s.label_vi().to_string())
                .unwrap_or_else(|_| r.status.clone());
            vec![
                if reads {
                    link(r.code.clone(), format!("/can-bo/ho-so/{}", r.code))
                } else {
                    cell(r.code.clone())
                },
                cell(r.procedure_code.clone()),
                cell(if reads {
                    r.applicant_name.clone()
                } else {
                    motcua_domain::text::mask_name(&r.applicant_name)
                }),
                cell(when(r.received_at)),
                cell(when(r.due_at)),
                cell(when(r.finished_at)),
                cell(status),
            ]
        })
        .collect()
}

async fn drill_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    if !user.lists_dossiers_of(&unit) {
        return Err(forbidden(lang));
    }
    let period = period_of(&q, s.now()).map_err(|p| PageError::new(lang, p.into()))?;
    let drill = match q.loai.as_deref() {
        None => Drill::Late,
        Some(l) => Drill::parse(l).ok_or_else(|| {
            PageError::new(
                lang,
                Problem::invalid("bad_drill", "loai", "Không có danh sách này").into(),
            )
        })?,
    };
    let u = s.store.unit(&unit).await?.ok_or_else(|| {
        PageError::new(
            lang,
            Problem::not_found("unit_not_found", "Không tìm thấy đơn vị").into(),
        )
    })?;
    let headers = [
        "Mã hồ sơ",
        "Thủ tục",
        "Người nộp",
        "Tiếp nhận",
        "Hẹn trả",
        "Giải quyết xong",
        "Trạng thái",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    if let Some(f) = q.xuat.as_deref() {
        // The whole list (bounded), page after page.
        let mut all = Vec::new();
        let mut after = None;
        while all.len() < 20_000 {
            let page = s
                .store
                .index_dossiers(&unit, period, drill, after, 500)
                .await?;
            after = page.last().map(|r| r.id);
            let done = page.len() < 500;
            all.extend(page);
            if done {
                break;
            }
        }
        let t = Table {
            id: "ho-so",
            title: drill.label_vi().into(),
            headers,
            rows: dossier_rows(&all, &user),
        };
        return export(
            &t,
            f,
            &format!("ho-so-{unit}-{}-{}", drill.as_str(), period.key()),
        );
    }
    let rows = s
        .store
        .index_dossiers(&unit, period, drill, q.sau, DRILL_PAGE)
        .await?;
    let next = (rows.len() as i64 == DRILL_PAGE).then(|| {
        format!(
            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}&sau={}",
            url_encode(&period.key()),
            drill.as_str(),
            rows.last().map_or(0, |r| r.id)
        )
    });
    let table = Table {
        id: "ho-so",
        title: format!("{} — {}, {}", drill.label_vi(), u.name, period.label_vi()),
        headers,
        rows: dossier_rows(&rows, &user),
    };
    render(&DrillPage {
        drills: Drill::ALL
            .iter()
            .map(|d| {
                (
                    d.as_str().to_string(),
                    d.label_vi().to_string(),
                    *d == drill,
                )
            })
            .collect(),
        unit_name: u.name,
        period_key: period.key(),
        period_label: period.label_vi(),
        export_base: format!(
            "/giam-sat/chi-so/{unit}/ho-so?ky={}&loai={}",
            url_encode(&period.key()),
            drill.as_str()
        ),
        drill: drill.as_str().to_string(),
        tables: vec![table],
        unit,
        next,
        first_page: q.sau.is_none(),
        c,
    })
}

// ---- forms -------------------------------------------------------------------------

async fn form(
    s: &AppState,
    lang: Lang,
    req: Request,
) -> Result<HashMap<String, String>, PageError> {
    let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(req, s)
        .await
        .map_err(|e| {
            PageError::new(
                lang,
                Problem::new(
                    ProblemKind::BadRequest,
                    "bad_form",
                    format!("Không đọc được biểu mẫu: {}", e.body_text()),
                )
                .into(),
            )
        })?;
    Ok(fields.into_iter().collect())
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", String::as_str)
}

async fn find_by_key(
    s: &AppState,
    code: &str,
    key: &str,
) -> Result<Option<motcua_store::DossierRow>, PageError> {
    let key = motcua_domain::dossier::normalize_key(key);
    Ok(s.store.dossier_row_by_key(code, &key).await?)
}

fn not_found_dossier(lang: Lang) -> PageError {
    PageError::new(
        lang,
        Problem::not_found(
            "dossier_not_found",
            "Không tìm thấy hồ sơ; kiểm tra mã hồ sơ và mã tra cứu",
        )
        .into(),
    )
}

// ---- satisfaction rating -----------------------------------------------------------

#[derive(Template)]
#[template(path = "index_rate.html")]
struct RatePage {
    c: Ctx,
    code: String,
    key: String,
    criteria: Vec<(&'static str, &'static str)>,
    done: bool,
    already: bool,
}

#[derive(Deserialize, Default)]
struct KeyQuery {
    code: Option<String>,
    key: Option<String>,
    unit: Option<String>,
}

async fn rate_form(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<KeyQuery>,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let (code, key) = (q.code.unwrap_or_default(), q.key.unwrap_or_default());
    let row = find_by_key(&s, &code, &key)
        .await?
        .ok_or_else(|| not_found_dossier(lang))?;
    if row.status != motcua_domain::lifecycle::Status::Returned.as_str() {
        return Err(PageError::new(
            lang,
            Problem::conflict("not_returned", "Chỉ đánh giá được sau khi đã nhận kết quả").into(),
        ));
    }
    let already = s.store.rating(&row).await?.is_some();
    render(&RatePage {
        c,
        code: row.code,
        key: motcua_domain::dossier::normalize_key(&key),
        criteria: idx::RATING_CRITERIA.to_vec(),
        done: false,
        already,
    })
}

async fn rate_post(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    c.citizen_only()?;
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let f = form(&s, lang, req).await?;
    let row = find_by_key(&s, field(&f, "code"), field(&f, "key"))
        .await?
        .ok_or_else(|| not_found_dossier(lang))?;
    let mut scores = Vec::new();
    for (name, label) in idx::RATING_CRITERIA {
        let v = field(&f, name).trim().parse::<u8>().map_err(|_| {
            PageError::new(
                lang,
                Problem::invalid(
                    "bad_rating",
                    *name,
                    format!("Chưa chấm tiêu chí \"{label}\" (1 đến 5)"),
                )
                .into(),
            )
        })?;
        scores.push(v);
    }
    let comment = Some(field(&f, "comment")).filter(|c| !c.trim().is_empty());
    s.store
        .rate_dossier(&row, &scores, comment, now(&s))
        .await?;
    render(&RatePage {
        c,
        code: row.code,
        key: String::new(),
        criteria: Vec::new(),
        done: true,
        already: false,
    })
}

// ---- feedback ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "index_feedback.html")]
struct FeedbackFormPage {
    c: Ctx,
    unit: String,
    code: String,
    key: String,
    sent: Option<(i64, String)>,
}

async fn feedback_form(c: Ctx, Query(q): Query<KeyQuery>) -> PageResult {
    render(&FeedbackFormPage {
        c,
        unit: q.unit.unwrap_or_default(),
        code: q.code.unwrap_or_default(),
        key: q.key.unwrap_or_default(),
        sent: None,
    })
}

async fn feedback_post(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    limits
        .lookup
        .check(peer.ip())
        .map_err(|wait| PageError::new(lang, crate::auth::rate_limited(wait).into()))?;
    let f = form(&s, lang, req).await?;
    let code = field(&f, "code").trim();
    // About a dossier: code and key prove it is the applicant's; the unit follows.
    let dossier = if code.is_empty() {
        None
    } else {
        Some(
            find_by_key(&s, code, field(&f, "key"))
                .await?
                .ok_or_else(|| not_found_dossier(lang))?,
        )
    };
    let unit = match &dossier {
        Some(d) => d.unit_code.clone(),
        None => field(&f, "unit").trim().to_string(),
    };
    if s.store.unit(&unit).await?.is_none() {
        return Err(PageError::new(
            lang,
            Problem::invalid(
                "unknown_unit",
                "unit",
                "Không có đơn vị mã này (5 chữ số, ví dụ 30112)",
            )
            .into(),
        ));
    }
    let fb = s
        .store
        .submit_feedback(
            &unit,
            dossier.as_ref(),
            field(&f, "name"),
            field(&f, "contact"),
            field(&f, "content"),
            now(&s),
        )
        .await?;
    render(&FeedbackFormPage {
        c,
        unit,
        code: String::new(),
        key: String::new(),
        sent: Some((fb.id, motcua_domain::calendar::format_vn(fb.due_at))),
    })
}

#[derive(Template)]
#[template(path = "index_feedback_list.html")]
struct FeedbackListPage {
    c: Ctx,
    unit: String,
    unit_name: String,
    units: Vec<(String, String, bool)>,
    may_answer: bool,
    items: Vec<FeedbackView>,
}

struct FeedbackView {
    id: i64,
    at: String,
    due: String,
    name: String,
    contact: String,
    content: String,
    dossier: Option<String>,
    state: &'static str,
    late: bool,
    answer: Option<String>,
    answered: String,
}

async fn feedback_list(
    c: Ctx,
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let lang = c.lang;
    let unit = q
        .unit
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| user.units.first().cloned())
        .unwrap_or_default();
    if unit.is_empty() || !user.sees_unit(&unit) {
        return Err(forbidden(lang));
    }
    let unit_name = s
        .store
        .unit(&unit)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let mut units = Vec::new();
    for code in user.units.iter().take(200) {
        let name = s
            .store
            .unit(code)
            .await?
            .map_or_else(|| code.clone(), |u| u.name);
        units.push((code.clone(), name, *code == unit));
    }
    let t = now(&s);
    let items = s
        .store
        .feedback_list(&unit)
        .await?
        .into_iter()
        .map(|f| {
            let (state, late) = match f.answered_at {
                Some(a) if a <= f.due_at => ("Đã trả lời đúng hạn", false),
                Some(_) => ("Đã trả lời quá hạn", true),
                None if t > f.due_at => ("Quá hạn, chưa trả lời", true),
                None => ("Chờ trả lời", false),
            };
            FeedbackView {
                id: f.id,
                at: motcua_domain::calendar::format_vn(f.at),
                due: motcua_domain::calendar::format_vn(f.due_at),
                name: f.name,
                contact: f.contact,
                content: f.content,
                dossier: f.dossier_code,
                state,
                late,
                answer: f.answer,
                answered: f
                    .answered_at
                    .map(motcua_domain::calendar::format_vn)
                    .unwrap_or_default(),
            }
        })
        .collect();
    render(&FeedbackListPage {
        may_answer: idx::may_answer_feedback(&user.roles),
        unit,
        unit_name,
        units,
        items,
        c,
    })
}

async fn feedback_answer(
    c: Ctx,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    req: Request,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in("/can-bo/phan-anh"));
    };
    let lang = c.lang;
    let f = form(&s, lang, req).await?;
    let unit = field(&f, "unit").to_string();
    if !user.sees_unit(&unit) || !idx::may_answer_feedback(&user.roles) {
        return Err(forbidden(lang));
    }
    s.store
        .answer_feedback(&unit, id, field(&f, "answer"), &user.username, now(&s))
        .await?;
    Ok(Redirect::to(&format!("/can-bo/phan-anh?unit={}", url_encode(&unit))).into_response())
}
