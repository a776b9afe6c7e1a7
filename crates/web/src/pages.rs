//! Pages. A minimal landing page and public lookup for now; they use only the
//! store and the views the API uses, so the full web front can grow here.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Query;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use motcua_domain::calendar::{OffsetDateTime, format_vn};
use motcua_domain::text::{fold, format_vnd};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/tra-cuu", get(lookup))
        .route("/healthz", get(|| async { "ok" }))
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.5;color:#0b0c0c}\
header{border-bottom:4px solid #b10e1e;margin-bottom:1rem}h1{font-size:1.6rem}table{border-collapse:collapse;width:100%}\
td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}input,button{font-size:1rem;padding:.4rem}\
.late{color:#b10e1e;font-weight:bold}";

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} — Một cửa</title><style>{STYLE}</style></head><body><header><p><strong>Một cửa</strong> · Trung tâm Phục vụ hành chính công</p></header>\
         <main>{body}</main></body></html>",
        escape(title)
    ))
}

#[derive(Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
}

async fn home(State(s): State<AppState>, Query(q): Query<HomeQuery>) -> ApiResult<Html<String>> {
    let words = q.q.as_deref().map(fold).unwrap_or_default();
    let procs = s.store.procedures().await?;
    let mut rows = String::new();
    for p in procs
        .iter()
        .filter(|p| words.split(' ').all(|w| p.folded_name().contains(w)))
    {
        let fee = match p.fee.amount(false, 1) {
            Some(0) => "Miễn phí".to_string(),
            Some(v) => format_vnd(v),
            None => "Theo quy định của tỉnh".to_string(),
        };
        let time = match p.processing {
            motcua_domain::calendar::ProcessingTime::WorkingDays { amount } => {
                format!("{amount} ngày làm việc")
            }
            motcua_domain::calendar::ProcessingTime::WorkingHours { amount } => {
                format!("{amount} giờ làm việc")
            }
            motcua_domain::calendar::ProcessingTime::Days { amount } => format!("{amount} ngày"),
            motcua_domain::calendar::ProcessingTime::SameDay { cutoff } => {
                format!(
                    "Trong ngày (nhận trước {:02}:{:02})",
                    cutoff.hour(),
                    cutoff.minute()
                )
            }
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.code),
            escape(&p.name),
            escape(&p.field),
            escape(&time),
            escape(&fee)
        ));
    }
    let body = format!(
        "<h1>Thủ tục hành chính cấp xã</h1>\
         <form action=\"/\" method=\"get\"><label for=\"q\">Tìm thủ tục</label> <input id=\"q\" name=\"q\" value=\"{}\"> <button>Tìm</button></form>\
         <h2>Tra cứu hồ sơ</h2><form action=\"/tra-cuu\" method=\"get\"><label for=\"code\">Mã hồ sơ</label> <input id=\"code\" name=\"code\" required> \
         <label for=\"key\">Mã tra cứu</label> <input id=\"key\" name=\"key\" required> <button>Tra cứu</button></form>\
         <h2>Danh mục</h2><table><thead><tr><th>Mã</th><th>Tên thủ tục</th><th>Lĩnh vực</th><th>Thời hạn</th><th>Lệ phí</th></tr></thead><tbody>{rows}</tbody></table>\
         <p>API: <a href=\"/api/openapi.json\">/api/openapi.json</a></p>",
        escape(q.q.as_deref().unwrap_or(""))
    );
    Ok(page("Thủ tục hành chính", &body))
}

#[derive(Deserialize)]
pub struct LookupQuery {
    code: Option<String>,
    key: Option<String>,
}

async fn lookup(
    State(s): State<AppState>,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Html<String>> {
    let code = q.code.unwrap_or_default();
    let key = motcua_domain::dossier::normalize_key(q.key.as_deref().unwrap_or(""));
    let found = match s.store.dossier(code.trim()).await? {
        Some(rec)
            if !key.is_empty()
                && crate::auth::constant_time_eq(key.as_bytes(), rec.row.lookup_key.as_bytes()) =>
        {
            Some(rec)
        }
        _ => None,
    };
    let Some(rec) = found else {
        return Ok(page(
            "Không tìm thấy hồ sơ",
            "<h1>Không tìm thấy hồ sơ</h1><p>Vui lòng kiểm tra mã hồ sơ và mã tra cứu in trên giấy tiếp nhận.</p><p><a href=\"/\">Quay lại</a></p>",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let late = crate::view::is_late(&rec.row, now);
    let proj = rec.row.projection().ok();
    let status = proj.as_ref().map(|p| p.status.label_vi()).unwrap_or("");
    let due = match proj.as_ref() {
        Some(p) if p.pause_remaining.is_some() => "Tạm dừng, chờ bổ sung hồ sơ".to_string(),
        Some(p) => p
            .due_at
            .map(format_vn)
            .unwrap_or_else(|| "Chưa tiếp nhận".into()),
        None => String::new(),
    };
    let mut steps = String::new();
    for e in &rec.events {
        steps.push_str(&format!(
            "<li>{} — {}</li>",
            escape(&format_vn(e.at)),
            escape(e.action.label_vi())
        ));
    }
    let body = format!(
        "<h1>Hồ sơ {}</h1><p>Người nộp: {}</p><p>Trạng thái: <strong>{}</strong>{}</p><p>Ngày hẹn trả: {}</p><h2>Các bước</h2><ol>{steps}</ol>",
        escape(&rec.row.code),
        escape(&motcua_domain::text::mask_name(&rec.row.applicant_name)),
        escape(status),
        if late {
            " <span class=\"late\">(trễ hạn)</span>"
        } else {
            ""
        },
        escape(&due)
    );
    Ok(page(&format!("Hồ sơ {}", rec.row.code), &body))
}
