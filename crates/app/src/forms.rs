//! Official documents from stored dossiers: gathers what a form needs
//! (procedure, calendar, unit and province names, staff names) and renders
//! it off the async threads; the register (Mẫu 06) of a unit and period.
//! Shared by the officers' pages, the API and the demo; the caller has
//! already checked that the user sees the dossier's unit.

use motcua_documents::{DossierInfo, Form, ReceivedDocument, RegisterInfo, RegisterRow};
use motcua_domain::Problem;
use motcua_domain::calendar::{Date, OffsetDateTime, VN_OFFSET, WorkCalendar};
use motcua_domain::catalog::Procedure;
use motcua_domain::delivery::Delivery;
use motcua_store::{DossierRecord, Store, StoreError, User};
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, StoreError>;

/// Percent-encoding of a URL component (RFC 3986 unreserved characters and
/// `/` pass as they are).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The public lookup URL of a dossier: code and key when the key is at hand
/// (just issued), the code alone otherwise.
pub fn lookup_url(base: &str, code: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!(
            "{base}/tra-cuu?code={}&key={}",
            url_encode(code),
            url_encode(key)
        ),
        None => format!("{base}/tra-cuu?code={}", url_encode(code)),
    }
}

/// What a form needs besides the dossier record, owned so that rendering
/// can move to a blocking thread.
struct Context {
    procedure: Procedure,
    calendar: WorkCalendar,
    province_name: String,
    unit_name: String,
    staff_names: BTreeMap<String, String>,
}

fn corrupt() -> StoreError {
    Problem::conflict(
        "corrupt_row",
        "Hồ sơ trỏ tới thủ tục hoặc đơn vị không còn trong danh mục",
    )
    .into()
}

async fn unit_names(s: &Store, unit_code: &str) -> Result<(String, String)> {
    let unit = s.unit(unit_code).await?.ok_or_else(corrupt)?;
    let province = s
        .provinces()
        .await?
        .into_iter()
        .find(|p| p.code == unit.province_code)
        .map(|p| {
            // The list names "Đồng Tháp" (a tỉnh) but "Thành phố Hà Nội".
            let lower = p.name.to_lowercase();
            if p.kind == "tỉnh" && !lower.starts_with("tỉnh") {
                format!("Tỉnh {}", p.name)
            } else {
                p.name
            }
        })
        .unwrap_or_default();
    Ok((province, unit.name))
}

async fn context(s: &Store, rec: &DossierRecord) -> Result<Context> {
    let r = &rec.row;
    let procedure = s.procedure_of(r).await?;
    let calendar = s.calendar(Some(&r.unit_code)).await?;
    let (province_name, unit_name) = unit_names(s, &r.unit_code).await?;
    let mut staff_names = BTreeMap::new();
    let names = rec
        .events
        .iter()
        .flat_map(|e| std::iter::once(e.actor.clone()).chain(e.payload.assignee.clone()));
    for name in names {
        if name == "citizen" || staff_names.contains_key(&name) {
            continue;
        }
        let full = match s.user_by_username(&name).await? {
            Some(u) => u.full_name,
            None => name.clone(),
        };
        staff_names.insert(name, full);
    }
    Ok(Context {
        procedure,
        calendar,
        province_name,
        unit_name,
        staff_names,
    })
}

fn info<'a>(ctx: &'a Context, rec: &'a DossierRecord, lookup: String) -> DossierInfo<'a> {
    let r = &rec.row;
    DossierInfo {
        code: r.code.clone(),
        lookup_key: rec.issued_key.clone(),
        province_name: ctx.province_name.clone(),
        unit_name: ctx.unit_name.clone(),
        procedure: &ctx.procedure,
        calendar: &ctx.calendar,
        applicant_name: r.applicant_name.clone(),
        applicant_id_number: r.applicant_id_number.clone(),
        applicant_phone: r.applicant_phone.clone(),
        applicant_email: r.applicant_email.clone(),
        applicant_address: r.applicant_address.clone(),
        events: &rec.events,
        documents: rec
            .documents
            .iter()
            .map(|d| ReceivedDocument {
                code: d.code.clone(),
                paper: d.paper,
            })
            .collect(),
        staff_names: ctx.staff_names.clone(),
        lookup_url: lookup,
    }
}

/// The forms that apply to a dossier now (for links).
pub fn applicable(rec: &DossierRecord) -> Vec<Form> {
    Form::ALL
        .into_iter()
        .filter(|f| f.applies_to(&rec.events))
        .collect()
}

fn render_err(e: motcua_documents::DocumentError) -> StoreError {
    StoreError::Problem(e.to_problem())
}

fn join_err(e: tokio::task::JoinError) -> StoreError {
    StoreError::Config(format!("rendering stopped: {e}"))
}

/// Render one form of a dossier as PDF bytes.
/// `viewer` is the officer printing: a key they issued in the last half hour
/// is printed with the form, never anyone else's.
pub async fn render_form(
    store: &Store,
    mut rec: DossierRecord,
    form: Form,
    base: String,
    viewer: &str,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let ctx = context(store, &rec).await?;
    rec.issued_key = store.issued_key(&rec.row, viewer, now)?;
    tokio::task::spawn_blocking(move || {
        let lookup = lookup_url(&base, &rec.row.code, rec.issued_key.as_deref());
        form.render(&info(&ctx, &rec, lookup)).map_err(render_err)
    })
    .await
    .map_err(join_err)?
}

/// The citizen's "phiếu xác nhận nộp hồ sơ trực tuyến", with the lookup code
/// they hold (checked by the caller against the dossier).
pub async fn render_online_confirmation(
    store: &Store,
    mut rec: DossierRecord,
    key: String,
    base: String,
) -> Result<Vec<u8>> {
    let ctx = context(store, &rec).await?;
    rec.issued_key = Some(key);
    tokio::task::spawn_blocking(move || {
        let lookup = lookup_url(&base, &rec.row.code, rec.issued_key.as_deref());
        motcua_documents::online::render_online_confirmation(&info(&ctx, &rec, lookup))
            .map_err(render_err)
    })
    .await
    .map_err(join_err)?
}

/// A result document drafted from the dossier (`ResultDocument::for_dossier`):
/// the officer's `text`, or the default wording when it is empty.
pub async fn draft_result(
    s: &Store,
    rec: DossierRecord,
    text: String,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let ctx = context(s, &rec).await?;
    tokio::task::spawn_blocking(move || {
        let doc = motcua_documents::ResultDocument::for_dossier(
            &info(&ctx, &rec, String::new()),
            &text,
            now,
        );
        doc.render().map_err(render_err)
    })
    .await
    .map_err(join_err)?
}

/// Longest register period, and most rows, in one request.
pub const REGISTER_MAX_DAYS: i64 = 366;
pub const REGISTER_MAX_ROWS: i64 = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterFormat {
    Pdf,
    Csv,
}

/// Validated register request.
pub struct RegisterQuery {
    pub unit: String,
    pub from: Date,
    pub to: Date,
    pub format: RegisterFormat,
}

impl RegisterQuery {
    /// Check the raw query of the register (page or API) for `user`: the
    /// unit must be one the user sees (else the same 404 as an unknown unit).
    pub fn parse(
        user: &User,
        unit: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        format: Option<&str>,
    ) -> std::result::Result<RegisterQuery, Problem> {
        let unit = unit.map(str::trim).unwrap_or("").to_string();
        if unit.is_empty() {
            return Err(Problem::invalid("unit_required", "unit", "Hãy chọn đơn vị"));
        }
        if !user.reads_dossiers_of(&unit) {
            return Err(Problem::not_found(
                "unit_not_found",
                "Không tìm thấy đơn vị",
            ));
        }
        let date = |raw: Option<&str>, field: &'static str| {
            motcua_domain::calendar::parse_date(raw.unwrap_or("")).map_err(|_| {
                Problem::invalid(
                    "bad_date",
                    field,
                    "Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-03-01",
                )
            })
        };
        let from = date(from, "from")?;
        let to = date(to, "to")?;
        if to < from {
            return Err(Problem::invalid(
                "bad_period",
                "to",
                "Ngày kết thúc phải từ ngày bắt đầu trở đi",
            ));
        }
        if (to - from).whole_days() >= REGISTER_MAX_DAYS {
            return Err(Problem::invalid(
                "period_too_long",
                "to",
                "Mỗi lần in sổ tối đa 366 ngày",
            ));
        }
        let format = match format.map(str::trim).unwrap_or("pdf") {
            "pdf" | "" => RegisterFormat::Pdf,
            "csv" => RegisterFormat::Csv,
            _ => {
                return Err(Problem::invalid(
                    "bad_format",
                    "format",
                    "Định dạng phải là pdf hoặc csv",
                ));
            }
        };
        Ok(RegisterQuery {
            unit,
            from,
            to,
            format,
        })
    }
}

fn local_midnight(d: Date) -> OffsetDateTime {
    d.midnight().assume_offset(VN_OFFSET)
}

/// A rendered file: its bytes, media type and file name.
pub struct File {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: String,
}

/// Build the register (Mẫu 06) of a unit for a period and render it. The
/// read of personal data is logged once for the register.
pub async fn register(
    store: &Store,
    user: &User,
    q: &RegisterQuery,
    now: OffsetDateTime,
) -> Result<File> {
    let start = local_midnight(q.from);
    let end = local_midnight(q.to.next_day().unwrap_or(q.to));
    let rows = store
        .register(&q.unit, start, end, REGISTER_MAX_ROWS + 1)
        .await?;
    if rows.len() as i64 > REGISTER_MAX_ROWS {
        return Err(Problem::invalid(
            "register_too_large",
            "to",
            "Khoảng thời gian có quá nhiều hồ sơ; hãy chọn khoảng ngắn hơn",
        )
        .into());
    }
    store
        .log_access(
            &user.username,
            &format!("register:{}:{}..{}", q.unit, q.from, q.to),
            match q.format {
                RegisterFormat::Pdf => "register:pdf",
                RegisterFormat::Csv => "register:csv",
            },
            now,
        )
        .await?;
    let procedures: BTreeMap<String, String> = store
        .procedures()
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let (province_name, unit_name) = unit_names(store, &q.unit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (r, ret) in rows {
        let p = r.projection()?;
        let t = |ms: i64| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        out.push(RegisterRow {
            procedure_name: procedures
                .get(&r.procedure_code)
                .cloned()
                .unwrap_or_else(|| r.procedure_code.clone()),
            applicant_name: r.applicant_name.clone(),
            applicant_address: r.applicant_address.clone(),
            applicant_phone: r.applicant_phone.clone(),
            submitted_at: t(r.submitted_at),
            received_at: p.received_at,
            due_at: p.due_at,
            finished_at: p.finished_at,
            returned_at: p.returned_at,
            status: p.status,
            late: p.is_late(now),
            delivery: ret
                .as_ref()
                .and_then(Delivery::from_payload)
                .map(|d| d.words_vi()),
            code: r.code,
        });
    }
    let info = RegisterInfo {
        province_name,
        unit_name,
        from: q.from,
        to: q.to,
        printed: now.to_offset(VN_OFFSET).date(),
        rows: out,
    };
    let name = format!("so-theo-doi-{}-{}-{}", q.unit, q.from, q.to);
    match q.format {
        RegisterFormat::Csv => Ok(File {
            bytes: info.csv(),
            content_type: "text/csv; charset=utf-8",
            filename: format!("{name}.csv"),
        }),
        RegisterFormat::Pdf => {
            let bytes = tokio::task::spawn_blocking(move || info.pdf().map_err(render_err))
                .await
                .map_err(join_err)??;
            Ok(File {
                bytes,
                content_type: "application/pdf",
                filename: format!("{name}.pdf"),
            })
        }
    }
}

/// The dossier's declaration as answered, printed for the citizen's
/// signature (`None`: the dossier carries no electronic declaration).
pub async fn render_declaration(
    store: &Store,
    rec: DossierRecord,
    base: String,
    now: OffsetDateTime,
) -> Result<Option<Vec<u8>>> {
    let ctx = context(store, &rec).await?;
    let answers = rec.row.answers();
    let Some(decl) = ctx
        .procedure
        .declaration
        .clone()
        .filter(|_| !answers.is_empty())
    else {
        return Ok(None);
    };
    let day = motcua_domain::calendar::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(rec.row.submitted_at) * 1_000_000,
    )
    .unwrap_or(now)
    .to_offset(motcua_domain::calendar::VN_OFFSET)
    .date();
    tokio::task::spawn_blocking(move || {
        let lookup = lookup_url(&base, &rec.row.code, None);
        motcua_documents::declaration::render(&info(&ctx, &rec, lookup), &decl, &answers, day)
            .map(Some)
            .map_err(render_err)
    })
    .await
    .map_err(join_err)?
}
