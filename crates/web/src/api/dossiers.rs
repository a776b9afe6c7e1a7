use crate::AppState;
use crate::auth::{Citizen, Staff};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::limits::Limits;
use crate::view;
use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::dossier::{ApplicantInput, normalize_key};
use motcua_domain::lifecycle::{Channel, Reading, Status, Via};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{
    ActionRequest, Actor, DocumentRef, DossierRecord, ListFilter, NewDossier, Scope, User,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct UploadQuery {
    filename: Option<String>,
}

/// Upload one scanned document (raw bytes in the body). Its id is then named
/// in a submission or a supplement.
pub async fn upload(
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    staff: Option<Staff>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> ApiResult<Response> {
    let limit = s.store.max_upload;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            ProblemKind::TooLarge,
            "file_too_large",
            format!("Tệp quá lớn: tối đa {}", motcua_store::human_size(limit)),
        )
        .with_field("file")
    })?;
    let by = staff
        .as_ref()
        .map_or("citizen", |Staff(u)| u.username.as_str());
    let who = crate::limits::requester(
        peer.ip(),
        staff.as_ref().map(|Staff(u)| u.username.as_str()),
    );
    let meta = crate::limits::guarded_upload(
        &s.store,
        &limits,
        who,
        &bytes,
        q.filename.as_deref(),
        by,
        s.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(meta)).into_response())
}

#[derive(Deserialize)]
pub struct Submission {
    unit_code: String,
    procedure_code: String,
    applicant: ApplicantInput,
    #[serde(default = "empty_object")]
    fields: Value,
    #[serde(default)]
    documents: Vec<DocumentRef>,
    #[serde(default)]
    channel: Option<String>,
}

fn empty_object() -> Value {
    json!({})
}

async fn names(s: &AppState, rec: &motcua_store::DossierRow) -> ApiResult<(String, String)> {
    let procedure = s
        .store
        .procedure(&rec.procedure_code)
        .await?
        .map(|(p, _)| p.name)
        .unwrap_or_default();
    let unit = s
        .store
        .unit(&rec.unit_code)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok((procedure, unit))
}

async fn create(
    s: &AppState,
    body: Submission,
    actor: Actor,
    channel: Channel,
) -> ApiResult<DossierRecord> {
    let new = NewDossier {
        unit_code: body.unit_code.trim().to_string(),
        procedure_code: body.procedure_code.trim().to_string(),
        channel,
        applicant: body.applicant,
        fields: body.fields,
        documents: body.documents,
    };
    Ok(s.store.create_dossier(new, &actor, s.now()).await?)
}

/// Online submission by a citizen (no account needed).
pub async fn submit(
    _: Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<Submission>,
) -> ApiResult<Response> {
    crate::limits::check_submission(
        &limits,
        &crate::limits::requester(peer.ip(), None),
        body.unit_code.trim(),
        s.now(),
    )?;
    let rec = create(&s, body, Actor::Citizen, Channel::Online).await?;
    let r = &rec.row;
    let out = json!({
        "code": r.code,
        "status": r.status,
        "lookup_key": rec.issued_key,
        "version": r.version,
        "submitted_at": view::instant_ms(Some(r.submitted_at)),
    });
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// A receptionist types the dossier for the citizen; it is received at once.
pub async fn create_at_counter(
    State(s): State<AppState>,
    Staff(user): Staff,
    Json(body): Json<Submission>,
) -> ApiResult<Response> {
    let channel = match body.channel.as_deref() {
        None => Channel::Counter,
        Some(c) => c.parse::<Channel>().map_err(|p| p.with_field("channel"))?,
    };
    if channel == Channel::Online {
        return Err(Problem::invalid(
            "bad_channel",
            "channel",
            "Hồ sơ trực tuyến do người dân tự nộp",
        )
        .into());
    }
    let actor = Actor::Staff(user);
    let rec = create(&s, body, actor.clone(), channel).await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(view::full(&rec, &p, &u, &actor, s.now())),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    unit: Option<String>,
    late: Option<bool>,
    assignee: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
    /// `newest` (default) or `oldest`.
    sort: Option<String>,
}

fn scope_for(user: &User, unit: Option<&str>) -> Result<Scope, ApiError> {
    match unit {
        _ if user.reading() == Reading::Nothing => Err(Problem::forbidden(
            "no_dossier_access",
            "Vai trò của bạn quản trị hệ thống, không xem hồ sơ của người dân",
        )
        .into()),
        Some(u) if user.lists_dossiers_of(u) => Ok(Scope::Units(vec![u.to_string()])),
        Some(_) => Err(
            Problem::forbidden("other_unit", "Bạn không làm việc tại đơn vị này")
                .with_field("unit")
                .into(),
        ),
        None => Ok(Scope::Units(user.listed_units())),
    }
}

/// Staff work list, newest first, in keyset pages.
pub async fn list(
    State(s): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Value>> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<Status>)
        .transpose()
        .map_err(|p| p.with_field("status"))?;
    let before_id =
        match q.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                Problem::invalid("bad_cursor", "cursor", "Con trỏ trang không hợp lệ")
            })?),
            None => None,
        };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(
            Problem::invalid("bad_limit", "limit", "Số dòng mỗi trang từ 1 đến 200").into(),
        );
    }
    let filter = ListFilter {
        scope: scope_for(&user, q.unit.as_deref())?,
        status,
        late: q.late,
        assignee: q.assignee,
        before_id,
        oldest_first: q.sort.as_deref() == Some("oldest"),
        limit,
        open_clock: false,
        due_before: None,
    };
    let now = s.now();
    let rows = s.store.list_dossiers(&filter, now).await?;
    s.store
        .log_access(&user.username, "", "api:list", now)
        .await?;
    let catalog = s.store.catalog().await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let name = catalog
                .iter()
                .find(|(p, _)| p.code == r.procedure_code)
                .map(|(p, _)| p.name.as_str())
                .unwrap_or("");
            let mut v = view::summary(r, name, now);
            // Below full reading, a list names nobody.
            if !user.reads_dossiers_of(&r.unit_code) {
                v["applicant_name"] = motcua_domain::text::mask_name(&r.applicant_name).into();
            }
            v
        })
        .collect();
    Ok(axum::Json(
        json!({ "items": items, "next_cursor": next_cursor }),
    ))
}

fn not_found() -> ApiError {
    Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into()
}

pub async fn show(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let rec = s.store.dossier(&code).await?.ok_or_else(not_found)?;
    if !user.reads_dossiers_of(&rec.row.unit_code) {
        return Err(not_found());
    }
    // Reads of personal data by staff are kept (who, when, which dossier).
    s.store
        .log_access(&user.username, &rec.row.code, "api:dossier", s.now())
        .await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::full(
        &rec,
        &p,
        &u,
        &Actor::Staff(user),
        s.now(),
    )))
}

pub async fn act(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
    Json(mut req): Json<ActionRequest>,
) -> ApiResult<axum::Json<Value>> {
    let actor = Actor::Staff(user);
    let now = s.now();
    req.via = Via::Api;
    let rec = s.store.act(&code, &req, &actor, now).await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::full(&rec, &p, &u, &actor, now)))
}

/// A document's bytes, for staff of its unit.
pub async fn document(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let missing = || {
        ApiError::from(Problem::not_found(
            "document_not_found",
            "Không tìm thấy tài liệu",
        ))
    };
    let (dossier_id, meta) = s.store.document(&id).await?.ok_or_else(missing)?;
    let (allowed, code) = match dossier_id {
        Some(id) => match s.store.dossier_unit(id).await? {
            Some((unit, code)) => (user.reads_dossiers_of(&unit), code),
            None => (false, String::new()),
        },
        // Not yet in a dossier: only its uploader's form previews it, not staff.
        None => (false, String::new()),
    };
    let sha = meta.sha256.clone().ok_or_else(missing)?;
    if !allowed {
        return Err(missing());
    }
    // A scan of an ID card is personal data: its reads are kept too.
    s.store
        .log_access(
            &user.username,
            &code,
            &format!("api:document:{id}"),
            s.now(),
        )
        .await?;
    let bytes = s
        .store
        .blobs()
        .get(&sha)
        .await
        .map_err(|e| ApiError::Store(e.into()))?;
    let ct = meta
        .content_type
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
}

/// The dossier if `key` is its lookup key; a wrong key looks like an unknown code.
async fn by_key(s: &AppState, code: &str, key: Option<&str>) -> ApiResult<DossierRecord> {
    let key = normalize_key(key.unwrap_or(""));
    s.store
        .dossier_by_key(code, &key)
        .await?
        .ok_or_else(not_found)
}

/// Public progress of a dossier, by its code and lookup key.
pub async fn lookup(
    _: Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<axum::Json<Value>> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(crate::auth::rate_limited)?;
    let rec = by_key(&s, &code, q.key.as_deref()).await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::public(&rec, &p, &u, s.now())))
}

/// The citizen supplements or withdraws their own dossier, proven by its key.
pub async fn citizen_act(
    _: Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
    Json(mut req): Json<ActionRequest>,
) -> ApiResult<axum::Json<Value>> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(crate::auth::rate_limited)?;
    let rec = by_key(&s, &code, q.key.as_deref()).await?;
    let now = s.now();
    req.via = Via::Api;
    let rec = s
        .store
        .act(&rec.row.code, &req, &Actor::Citizen, now)
        .await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::public(&rec, &p, &u, now)))
}
