use super::{BadJson, JsonExpected, Unauthorized};
use crate::AppState;
use crate::auth::{Citizen, Staff};
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::limits::Limits;
use crate::view;
use crate::view::{Dossier, DossierSummary, Instant, PublicDossier};
use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use motcua_domain::dossier::{ApplicantInput, normalize_key};
use motcua_domain::lifecycle::{Channel, Reading, Status, Via};
use motcua_domain::{Problem, ProblemKind};
use motcua_store::{
    ActionRequest, Actor, DocumentMeta, DocumentRef, DossierRecord, ListFilter, NewDossier, Scope,
    User,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Original file name, kept for display.
    #[param(example = "to-khai.pdf")]
    filename: Option<String>,
}

/// Upload one scanned document (raw bytes in the body). Its id is then named
/// in a submission or a supplement.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    operation_id = "upload",
    tag = "dossiers",
    summary = "Upload a document",
    description = "Upload one scanned document as the raw request body (not multipart). Its type is told from its content: PDF, JPEG or PNG only, whatever the Content-Type or name. The returned id is then named in a submission (`documents[].upload_id`) or a supplement; each upload serves one dossier. Citizens need no account.",
    params(UploadQuery),
    request_body(description = "The file's bytes.", content((String = "application/pdf"), (String = "image/jpeg"), (String = "image/png"), (String = "application/octet-stream"))),
    responses(
        (status = 201, description = "Stored, not yet attached (`code` is null).", body = DocumentMeta),
        (status = 413, description = "Larger than the configured limit (10 MB by default); field `file` — codes: `file_too_large`", body = ErrorBody),
        (status = 415, description = "Not a PDF, JPEG or PNG; field `file` — codes: `unsupported_file_type`", body = ErrorBody),
        (status = 422, description = "Empty body (field `file`) or bad query — codes: `empty_file`, `bad_query`", body = ErrorBody),
    ),
    security((), ("bearerAuth" = []), ("sessionCookie" = [])),
)]
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

/// A dossier as filed online or typed at the counter.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"unit_code": "30112", "procedure_code": "HT-XNHN", "applicant": {"full_name": "Trần Thị Mai", "id_number": "087188001234", "date_of_birth": "1988-04-12", "phone": "0912345678", "address": "Ấp 2, xã Mỹ Hiệp, tỉnh Đồng Tháp"}, "fields": {}, "documents": [{"code": "to-khai", "upload_id": "3f1c0e9a5b7d42e8a6c1d2b3e4f50617"}, {"code": "giay-to-tuy-than", "upload_id": "9b2d4f6a8c0e41d3b5a7c9e1f3a5b7c9"}]}))]
pub struct Submission {
    #[schema(example = "30112")]
    unit_code: String,
    #[schema(example = "HT-XNHN")]
    procedure_code: String,
    applicant: ApplicantInput,
    /// Free fields of the procedure's form (at most 32 KB of JSON).
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    fields: Value,
    /// Every required document of the procedure must be named, each code once.
    #[serde(default)]
    documents: Vec<DocumentRef>,
    /// Counter intake only (default `counter`; `online` is refused). Ignored for online submission.
    #[serde(default)]
    #[schema(value_type = Option<Channel>)]
    channel: Option<String>,
}

/// A dossier just filed online.
#[derive(Serialize, ToSchema)]
pub struct Submitted {
    #[schema(example = "30112-260302-0001")]
    code: String,
    #[schema(value_type = Status)]
    status: String,
    /// Secret key for the public lookup and the citizen's own actions; give it only to the applicant.
    #[schema(required, example = "7KQ2MXR9TA")]
    lookup_key: Option<String>,
    version: i64,
    #[schema(value_type = Instant)]
    submitted_at: Option<Instant>,
}

/// A page of the work list.
#[derive(Serialize, ToSchema)]
pub struct DossierPage {
    /// Newest first (oldest first with `sort=oldest`).
    items: Vec<DossierSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required)]
    next_cursor: Option<String>,
}

fn empty_object() -> Value {
    json!({})
}

/// The dossier's procedure (in its catalog version) and its unit's name.
async fn names(
    s: &AppState,
    rec: &motcua_store::DossierRow,
) -> ApiResult<(motcua_domain::catalog::Procedure, String)> {
    let procedure = s.store.procedure_of(rec).await?;
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
#[utoipa::path(
    post,
    path = "/api/v1/dossiers",
    operation_id = "submitDossier",
    tag = "dossiers",
    summary = "Submit a dossier online (nộp hồ sơ trực tuyến)",
    description = "A citizen files a dossier; no account needed. Upload the documents first with POST /api/v1/uploads and name every required one. The dossier starts as `submitted`; the clock starts when a receptionist receives it. Keep the returned `lookup_key`: it is the only way to follow or supplement the dossier. A refused submission writes nothing.",
    request_body(content = Submission, content_type = "application/json"),
    responses(
        (status = 201, description = "Filed.", body = Submitted),
        (status = 400, response = BadJson),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Invalid submission; `field` names the input at fault: unknown_unit (unit_code); unknown_procedure (procedure_code); retired_procedure (procedure_code); bad_full_name / bad_id_number / bad_date_of_birth / bad_phone / bad_email / bad_address (applicant.<field>); bad_fields (fields); missing_document / unknown_document / duplicate_document / bad_upload / missing_upload / paper_needs_counter (documents.<code>); invalid_json (body)", body = ErrorBody),
    ),
)]
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
    let out = Submitted {
        code: r.code.clone(),
        status: r.status.clone(),
        lookup_key: rec.issued_key.clone(),
        version: r.version,
        submitted_at: view::instant_ms(Some(r.submitted_at)),
    };
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// A receptionist types the dossier for the citizen; it is received at once.
#[utoipa::path(
    post,
    path = "/api/v1/counter/dossiers",
    operation_id = "createAtCounter",
    tag = "dossiers",
    summary = "Receive a dossier at the counter (tiếp nhận tại quầy)",
    description = "A receptionist types the dossier for the citizen; it is `received` at once and its appointment (`due_at`) is computed. Documents may be uploads or papers seen at the counter (`paper: true`).",
    request_body(content = Submission, content_type = "application/json"),
    responses(
        (status = 201, description = "Received; the full record.", body = Dossier),
        (status = 400, response = BadJson),
        (status = 401, response = Unauthorized),
        (status = 403, description = "Not a receptionist (`forbidden_action`) or not of this unit (`other_unit`) — codes: `forbidden_action`, `other_unit`", body = ErrorBody),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Invalid submission (as for online submission), or `channel` is `online` or unknown (field `channel`) — codes: `bad_channel`, `unknown_channel`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this status.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Only this unit (one of the caller's).
    unit: Option<String>,
    /// true: only late dossiers; false: only those on time.
    late: Option<bool>,
    /// Only those assigned to this username.
    assignee: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
    /// `newest` (default), `oldest` first, or `due`: most urgent first (most
    /// overdue, then longest waiting); the cursor follows the chosen order.
    sort: Option<String>,
    /// A dossier code or its beginning, a 12-digit personal number, or part
    /// of the applicant's name (with or without diacritics).
    q: Option<String>,
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
#[utoipa::path(
    get,
    path = "/api/v1/dossiers",
    operation_id = "listDossiers",
    tag = "dossiers",
    summary = "Work list (danh sách hồ sơ)",
    description = "Dossiers of the caller's units (all units for an admin), newest first, in keyset pages: pass `next_cursor` as `cursor` until it is null.",
    params(ListQuery),
    responses(
        (status = 200, description = "A page.", body = DossierPage),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`unit` is not one of the caller's units; field `unit` — codes: `other_unit`", body = ErrorBody),
        (status = 422, description = "Bad filter: unknown status (field `status`), cursor, limit, or unreadable query — codes: `unknown_status`, `bad_cursor`, `bad_limit`, `bad_query`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(s): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<DossierPage>> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<Status>)
        .transpose()
        .map_err(|p| p.with_field("status"))?;
    let by_due = q.sort.as_deref() == Some("due");
    let bad_cursor = || Problem::invalid("bad_cursor", "cursor", "Con trỏ trang không hợp lệ");
    let (mut before_id, mut due_cursor) = (None, None);
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        if by_due {
            due_cursor = Some(motcua_store::parse_due_cursor(c).ok_or_else(bad_cursor)?);
        } else {
            before_id = Some(c.parse::<i64>().map_err(|_| bad_cursor())?);
        }
    }
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
        by_due,
        due_cursor,
        search: q.q.as_deref().and_then(motcua_store::Search::parse),
    };
    let now = s.now();
    let rows = s.store.list_dossiers(&filter, now).await?;
    s.store
        .log_access(&user.username, "", "api:list", now)
        .await?;
    let catalog = s.store.catalog().await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| {
            rows.last().map(|r| {
                if by_due {
                    motcua_store::due_cursor(r)
                } else {
                    r.id.to_string()
                }
            })
        })
        .flatten();
    let items = rows
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
                v.applicant_name = motcua_domain::text::mask_name(&r.applicant_name);
            }
            v
        })
        .collect();
    Ok(axum::Json(DossierPage { items, next_cursor }))
}

fn not_found() -> ApiError {
    Problem::not_found("dossier_not_found", "Không tìm thấy hồ sơ").into()
}

#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}",
    operation_id = "getDossier",
    tag = "dossiers",
    summary = "A dossier with its history",
    description = "The full record: applicant, every event with actor and role, documents, and the actions the caller may take. A dossier of another unit answers exactly like an unknown code.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001")),
    responses(
        (status = 200, description = "The dossier. For the unit that received it and routed it to the competent unit (Decree 118/2025, art. 14): the documents taken in up to the routing, and the later events without actor, role, note or payload.", body = Dossier),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Unknown code, or not of the caller's units — codes: `dossier_not_found`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Dossier>> {
    let rec = s.store.dossier(&code).await?.ok_or_else(not_found)?;
    let rec = if user.reads_dossiers_of(&rec.row.unit_code) {
        rec
    } else {
        // Routed from the caller's unit: what the receiving unit keeps.
        s.store
            .routed_record(&code, &user)
            .await?
            .ok_or_else(not_found)?
    };
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

#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{code}/actions",
    operation_id = "actOnDossier",
    tag = "dossiers",
    summary = "Act on a dossier (xử lý hồ sơ)",
    description = "Take one action, checked for role, unit, state and version; the event and the dossier row are written in one transaction. Two officers acting on the same version: one succeeds, the other gets 409. Who may do what: receive, refuse_intake, return_result, supplement, withdraw — receptionist; assign — receptionist, leader; request_supplement — receptionist, specialist (the assigned one); propose — specialist (the assigned one); approve, send_back, reject — leader; apologize — receptionist, leader. Transitions: submitted→received (receive) or →refused (refuse_intake); received/processing→processing (assign); received/processing→awaiting_supplement (request_supplement, the clock stops); awaiting_supplement→back where it was (supplement, the clock resumes); processing→awaiting_approval (propose); awaiting_approval→result_ready (approve) or →processing (send_back); processing/awaiting_approval→rejected (reject); result_ready→returned (return_result); submitted/received/processing/awaiting_supplement/awaiting_payment→withdrawn (withdraw). Fees: record_payment — receptionist, accountant, while a fee is owed and no receipt is in force; void_receipt — accountant, with a reason. A dossier of a procedure paid before processing (catalog `pay_first`) that owes a fee goes from reception to awaiting_payment (portal status 6); record_payment then moves it to received and starts (or resumes) its clock; motcua alone stops it (expire_unpaid → stopped) when its days to pay are over.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001")),
    request_body(content = ActionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated dossier.", body = Dossier),
        (status = 400, response = BadJson),
        (status = 401, response = Unauthorized),
        (status = 403, description = "The caller's roles may not take this action, or the dossier is assigned to another specialist — codes: `forbidden_action`, `not_assignee`", body = ErrorBody),
        (status = 404, description = "Unknown code, or not of the caller's units — codes: `dossier_not_found`", body = ErrorBody),
        (status = 409, description = "Not allowed in the current status (`illegal_transition`, field `action`), or the version is not the current one (`stale_version`, field `version`; `version_conflict` when another officer wrote at the same instant) — codes: `illegal_transition`, `stale_version`, `version_conflict`", body = ErrorBody),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Invalid request — codes: `unknown_action (action)`, `note_required (note)`, `note_too_long (note)`, `bad_assignee (assignee)`, `bad_new_due (new_due)`, `unknown_document (missing)`, `bad_upload etc. (documents.<code>)`, `invalid_json (body)`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn act(
    State(s): State<AppState>,
    Staff(user): Staff,
    Path(code): Path<String>,
    Json(mut req): Json<ActionRequest>,
) -> ApiResult<axum::Json<Dossier>> {
    let actor = Actor::Staff(user);
    let now = s.now();
    req.via = Via::Api;
    let rec = s.store.act(&code, &req, &actor, now).await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::full(&rec, &p, &u, &actor, now)))
}

/// A document's bytes, for staff of its unit.
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    operation_id = "getDocument",
    tag = "dossiers",
    summary = "A document's content",
    description = "The bytes of an uploaded document, for staff of its dossier's unit (unattached uploads: admins only). Served inline with its detected type and a sandboxing Content-Security-Policy.",
    params(("id" = String, Path, description = "Upload id.")),
    responses(
        (status = 200, description = "The file.", content((String = "application/pdf"), (String = "image/jpeg"), (String = "image/png"))),
        (status = 401, response = Unauthorized),
        (status = 404, description = "Unknown, a paper document, or not visible to the caller — codes: `document_not_found`", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
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
    // Not yet in a dossier: only its uploader's form previews it, not staff.
    let code = match dossier_id {
        Some(id) => {
            s.store
                .document_readable_by(&user, id, meta.created_at)
                .await?
        }
        None => None,
    };
    let (allowed, code) = (code.is_some(), code.unwrap_or_default());
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Lookup key (mã tra cứu) printed on the receipt; case, spaces and dashes are ignored. A wrong or missing key gets the same 404 as an unknown code.
    #[param(example = "7KQ2MXR9TA")]
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
#[utoipa::path(
    get,
    path = "/api/v1/lookup/{code}",
    operation_id = "lookupDossier",
    tag = "public",
    summary = "Follow a dossier (tra cứu hồ sơ)",
    description = "Public progress by code and lookup key: status, dates, history, and what to supplement. The applicant's name is masked; no ID number, phone, email or address. A wrong or missing key gives a 404 byte for byte the same as an unknown code.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), KeyQuery),
    responses(
        (status = 200, description = "Progress.", body = PublicDossier),
        (status = 404, description = "Unknown code or wrong key — codes: `dossier_not_found`", body = ErrorBody),
    ),
)]
pub async fn lookup(
    _: Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<axum::Json<PublicDossier>> {
    limits
        .lookup
        .check(peer.ip())
        .map_err(crate::auth::rate_limited)?;
    let rec = by_key(&s, &code, q.key.as_deref()).await?;
    let (p, u) = names(&s, &rec.row).await?;
    Ok(axum::Json(view::public(&rec, &p.name, &u, s.now())))
}

/// The citizen supplements or withdraws their own dossier, proven by its key.
#[utoipa::path(
    post,
    path = "/api/v1/lookup/{code}/actions",
    operation_id = "citizenAct",
    tag = "public",
    summary = "The citizen supplements or withdraws",
    description = "The applicant, proven by the lookup key, may `supplement` (with new uploads, when asked) or `withdraw` (with a note) their own dossier. Same body, version check and errors as the staff actions.",
    params(("code" = String, Path, description = "Dossier code (mã hồ sơ): `<unit code>-<yymmdd>-<sequence>`.", pattern = "^[0-9]{5}-[0-9]{6}-[0-9]{4,9}$", example = "30112-260302-0001"), KeyQuery),
    request_body(content = ActionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The new public progress.", body = PublicDossier),
        (status = 400, response = BadJson),
        (status = 403, description = "Any other action — codes: `forbidden_action`", body = ErrorBody),
        (status = 404, description = "Unknown code or wrong key — codes: `dossier_not_found`", body = ErrorBody),
        (status = 409, description = "Illegal in this status, or stale version — codes: `illegal_transition`, `stale_version`, `version_conflict`", body = ErrorBody),
        (status = 415, response = JsonExpected),
        (status = 422, description = "Invalid request — codes: `note_required (note)`, `bad_upload / missing_upload / paper_needs_counter (documents.<code>)`, `invalid_json (body)`", body = ErrorBody),
    ),
)]
pub async fn citizen_act(
    _: Citizen,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(q): Query<KeyQuery>,
    Json(mut req): Json<ActionRequest>,
) -> ApiResult<axum::Json<PublicDossier>> {
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
    Ok(axum::Json(view::public(&rec, &p.name, &u, now)))
}
