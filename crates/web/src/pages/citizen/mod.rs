//! The citizen portal: find a procedure, read what it needs (here), submit
//! online one question per page (`flow.rs`), follow the dossier by its code
//! and key (`lookup.rs`).

use super::{
    Ctx, PageError, PageResult, base_url, fee_words, processing_words, qr_svg, render,
    render_status, url_encode, when,
};
use crate::AppState;
use crate::extract::Query;
use crate::limits::Limits;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::catalog::{OnlineLevel, Procedure};
use motcua_domain::dossier::{ApplicantInput, field, normalize_key};
use motcua_domain::lifecycle::{Action, Channel, Status};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{ActionRequest, Actor, DocumentRef, DossierRecord, Draft, NewDossier};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

mod declare;
mod flow;
mod lookup;
mod papers;
mod pay;

use flow::*;
use lookup::*;
pub use lookup::{LookupView, SupplementView, action_words, status_words};
// The kiosk answers the same lookup on its own screen.
pub(crate) use lookup::{find_by_key, lookup_view, split_scanned};
use papers::*;

/// Room for a 10 MB scan plus the form around it.
const UPLOAD_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/thu-tuc/{code}", get(procedure))
        .route("/thu-tuc/{code}/nop", post(start))
        .route("/nop/{id}/gui", post(submit))
        .route("/nop/{id}/xong", get(done))
        .route("/nop/{id}/phieu-xac-nhan.pdf", post(confirmation_pdf))
        .route("/nop/{id}/huy", post(abandon))
        .route(
            "/nop/{id}/{step}",
            get(question)
                .post(answer)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/tra-cuu", get(lookup))
        .route("/tra-cuu/{code}/giay-to/{file}", get(paper))
        .route("/tra-cuu/{code}/bien-lai/{receipt}", get(fee_receipt))
        .route("/tra-cuu/{code}/thanh-toan", post(pay::pay_online))
        .route("/thanh-toan/vnpay/ipn", get(pay::vnpay_ipn))
        .route("/thanh-toan/vnpay/ket-qua", get(pay::vnpay_return))
        .route(
            "/thanh-toan/vietqr/{unit}/thong-bao",
            post(pay::bank_notice),
        )
        .route(
            "/tra-cuu/bo-sung",
            post(supplement).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Ctx,
    q: String,
    results: Vec<Procedure>,
    fields: Vec<(String, Vec<Procedure>)>,
    field_open: String,
}

#[derive(Deserialize)]
struct HomeQuery {
    q: Option<String>,
    field: Option<String>,
}

/// The procedures matching what was typed, best first (the domain's search).
pub fn search(procs: &[Procedure], q: &str) -> Vec<Procedure> {
    motcua_domain::search::search(procs, q)
        .into_iter()
        .cloned()
        .collect()
}

async fn home(c: Ctx, State(s): State<AppState>, Query(q): Query<HomeQuery>) -> PageResult {
    let lang = c.lang;
    let procs = s
        .store
        .procedures()
        .await
        .map_err(|e| PageError::new(lang, e.into()))?;
    let query = q.q.unwrap_or_default();
    let results = search(&procs, &query);
    let mut fields: Vec<(String, Vec<Procedure>)> = Vec::new();
    for p in procs {
        match fields.iter_mut().find(|(f, _)| *f == p.field) {
            Some((_, list)) => list.push(p),
            None => fields.push((p.field.clone(), vec![p])),
        }
    }
    render(&Home {
        c,
        q: query,
        results,
        fields,
        field_open: q.field.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedurePage {
    c: Ctx,
    p: Procedure,
    processing: String,
    fee: String,
    full_online: bool,
    active: bool,
    /// The document the online declaration replaces, if any.
    declared_doc: String,
}

async fn procedure(c: Ctx, State(s): State<AppState>, Path(code): Path<String>) -> PageResult {
    let lang = c.lang;
    let Some((p, active)) = s
        .store
        .procedure(&code)
        .await
        .map_err(|e| PageError::new(lang, e.into()))?
    else {
        return Err(PageError::new(
            lang,
            Problem::not_found("procedure_not_found", "Không có thủ tục này").into(),
        ));
    };
    let processing = processing_words(&c, p.processing);
    let fee = fee_words(&c, &p.fee);
    let full_online = p.online_level == OnlineLevel::Full;
    let declared_doc = p
        .declaration_document()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    render(&ProcedurePage {
        declared_doc,
        c,
        p,
        processing,
        fee,
        full_online,
        active,
    })
}

async fn start(c: Ctx, State(s): State<AppState>, Path(code): Path<String>) -> PageResult {
    let lang = c.lang;
    let err = |e: motcua_store::StoreError| PageError::new(lang, e.into());
    let mut d = s.store.new_draft(&code, s.now()).await.map_err(err)?;
    // The draft is bound to this browser: its secret in a cookie, its hash
    // in the draft. A link to the draft shows nothing elsewhere. The cookie
    // outlives any draft (a week); each draft expires a day after its last answer.
    let pass = match c.draft_pass.clone() {
        Some(p) => p,
        None => motcua_app::credentials::new_token()
            .map_err(|e| err(motcua_store::StoreError::Config(e.to_string())))?,
    };
    if let Some(m) = d.data.as_object_mut() {
        m.insert(
            flow::OWNER.into(),
            motcua_app::credentials::token_hash(&pass).into(),
        );
    }
    s.store.save_draft(&d).await.map_err(err)?;
    let mut resp = Redirect::to(&format!("/nop/{}/tinh", d.id)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "{}={pass}; Path=/nop; Max-Age=604800; HttpOnly; SameSite=Lax",
        super::DRAFT_COOKIE
    )) {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    Ok(resp)
}
