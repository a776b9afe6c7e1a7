//! What the store hands out and takes in.

use motcua_domain::calendar::OffsetDateTime;
use motcua_domain::dossier::{ApplicantInput, Event, Projection};
use motcua_domain::lifecycle::{Action, Channel, Principal, Reading, Role, Status};
use motcua_domain::{Problem, ProblemKind};
use serde::Serialize;

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(motcua_domain::calendar::VN_OFFSET)
}

/// A staff account with its roles and the units it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub roles: Vec<Role>,
    /// Units the user works for (all units of `province_code` for a supervisor).
    pub units: Vec<String>,
    pub province_code: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
}

/// Accounts made by `motcua bench` start with this: no real person.
pub const GENERATED_PREFIX: &str = "bench.";

impl User {
    /// An account made by the benchmark generator, never offered in pickers.
    pub fn is_generated(&self) -> bool {
        self.username.starts_with(GENERATED_PREFIX)
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// Whether the user may see the figures of `unit` (index, queue
    /// statistics, calendar): no personal data.
    pub fn sees_unit(&self, unit: &str) -> bool {
        self.has_role(Role::Admin) || self.units.iter().any(|u| u == unit)
    }

    /// The user as the domain's permission rules see them.
    pub fn staff(&self) -> motcua_domain::permissions::Staff<'_> {
        motcua_domain::permissions::Staff {
            roles: &self.roles,
            units: &self.units,
        }
    }

    /// Whether a dossier of `unit` may be assigned to this user: an active
    /// specialist of the unit. The store's facts for `decide` and the
    /// dossier page's picker both ask this.
    pub fn assignable_in(&self, unit: &str) -> bool {
        self.active && self.has_role(Role::Specialist) && self.units.iter().any(|u| u == unit)
    }

    /// The most this user's roles read of dossiers (`lifecycle::reading`).
    pub fn reading(&self) -> Reading {
        self.roles
            .iter()
            .map(|r| motcua_domain::lifecycle::reading(*r))
            .max()
            .unwrap_or(Reading::Nothing)
    }

    /// Whether the user reads the contents of `unit`'s dossiers: personal
    /// data, documents, results, history.
    pub fn reads_dossiers_of(&self, unit: &str) -> bool {
        self.reading() == Reading::Full && self.units.iter().any(|u| u == unit)
    }

    /// Whether the user sees `unit`'s work lists (names masked unless the
    /// user reads the dossiers).
    pub fn lists_dossiers_of(&self, unit: &str) -> bool {
        self.reading() >= Reading::MaskedLists && self.units.iter().any(|u| u == unit)
    }

    /// The units whose lists the user sees.
    pub fn listed_units(&self) -> Vec<String> {
        if self.reading() >= Reading::MaskedLists {
            self.units.clone()
        } else {
            Vec::new()
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub units: Vec<String>,
    pub province_code: Option<String>,
}

/// Who takes an action.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The applicant, who proved it with the dossier's lookup key.
    Citizen,
    Staff(User),
    /// motcua itself, on a rule of time (an unpaid dossier stopping).
    System,
}

impl Actor {
    /// The actor as the domain's decisions see it.
    pub fn asker(&self) -> motcua_domain::decide::Asker<'_> {
        match self {
            Actor::Citizen => motcua_domain::decide::Asker::Citizen,
            Actor::System => motcua_domain::decide::Asker::System,
            Actor::Staff(u) => motcua_domain::decide::Asker::Staff {
                name: &u.username,
                roles: &u.roles,
            },
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Citizen => "citizen",
            Actor::System => "system",
            Actor::Staff(u) => &u.username,
        }
    }
    /// The principal under which `action` is allowed for this actor, if any.
    pub fn principal_for(&self, action: Action) -> Option<Principal> {
        self.asker().principal_for(action)
    }
}

/// A document named in a submission: an earlier upload, or a paper the officer saw.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "A document named in a submission or a supplement: an earlier upload (`upload_id` from POST /api/v1/uploads, not yet used by any dossier), or (staff only) a paper seen at the counter (`paper`). `code` is a document code from the procedure's `documents`."
    )
)]
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct DocumentRef {
    pub code: String,
    #[serde(default)]
    pub upload_id: Option<String>,
    /// Presented on paper at the counter (only staff may say so).
    #[serde(default)]
    pub paper: bool,
}

#[derive(Debug, Clone)]
pub struct NewDossier {
    pub unit_code: String,
    pub procedure_code: String,
    pub channel: Channel,
    pub applicant: ApplicantInput,
    pub fields: serde_json::Value,
    pub documents: Vec<DocumentRef>,
}

/// A request to act on a dossier.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(description = "An action on a dossier. `version` is the dossier's version as last read; another value gives 409 `stale_version`. `note` (at most 2000 characters) is the reason, required for refuse_intake, request_supplement, send_back, reject, withdraw and apologize. `new_due` (apologize) is `YYYY-MM-DDTHH:MM` (Vietnam time) or RFC 3339, later than now and the current date. With `delivery` `post`, `postal_address` is required (422 `postal_address_required`). `applicant` (correct_applicant) carries all the applicant's details as they should be; 422 `nothing_changed` when nothing differs.", example = json!({"action": "request_supplement", "version": 3, "note": "Bản chụp CCCD bị mờ", "missing": ["giay-to-tuy-than"]})))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = motcua_domain::lifecycle::Action))]
    pub action: String,
    pub version: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// For assign: the specialist's username.
    #[serde(default)]
    pub assignee: Option<String>,
    /// For apologize: the new appointment instant.
    #[serde(default)]
    pub new_due: Option<String>,
    /// For request_supplement: the document codes that are missing.
    #[serde(default)]
    pub missing: Vec<String>,
    /// For supplement: documents added.
    #[serde(default)]
    pub documents: Vec<DocumentRef>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<motcua_domain::delivery::DeliveryMethod>))]
    /// For return_result: "online", "counter" (the default) or "post".
    #[serde(default)]
    pub delivery: Option<String>,
    /// For return_result by post: where to (required).
    #[serde(default)]
    pub postal_address: Option<String>,
    /// For return_result by post: the postal tracking number, if known.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// For a second request_supplement: the officer confirms it counts as late.
    #[serde(default)]
    pub confirm_late: bool,
    /// For correct_applicant: the applicant's details as they should be.
    #[serde(default)]
    pub applicant: Option<motcua_domain::dossier::ApplicantInput>,
    /// For route: the code of the unit competent to decide, another
    /// commune of the same province (422 `bad_unit` otherwise).
    #[serde(default)]
    pub to_unit: Option<String>,
    /// For supplement: declaration answers corrected, by question key
    /// (checked with the whole declaration; 422 with the path `fields.<key>`).
    #[serde(default)]
    pub answers: Option<std::collections::BTreeMap<String, String>>,
    /// For record_payment: the amount in đồng, only where the province sets
    /// it (then `note` gives its basis; 422 `amount_required` without it).
    #[serde(default)]
    pub amount_vnd: Option<u64>,
    /// For void_receipt: the receipt's number ("2026-000001"); `note` says why.
    #[serde(default)]
    pub receipt: Option<String>,
    /// Through which door the request came (set by the server, recorded in the event).
    #[serde(skip)]
    pub via: motcua_domain::lifecycle::Via,
    /// A payment an online channel confirmed: the channel and its order's
    /// reference (set by motcua only, never read from a request).
    #[serde(skip)]
    pub method: Option<String>,
    #[serde(skip)]
    pub order_ref: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "An uploaded file or a paper seen at the counter. `id` is the upload id to name in `documents[].upload_id`; `code` the document code once attached to a dossier (null for a fresh upload); `sha256` null for a paper document; `size` in bytes (0 for paper); `content_type` told from the content, not the name; `paper`: presented on paper at the counter (bản giấy)."
    )
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentMeta {
    pub id: String,
    pub code: Option<String>,
    pub sha256: Option<String>,
    pub size: i64,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    pub paper: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The dossier row as stored (a projection of its events).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DossierRow {
    pub id: i64,
    pub code: String,
    pub unit_code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    pub paused_from: Option<String>,
    pub assignee: Option<String>,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_dob: String,
    pub applicant_phone: String,
    pub applicant_email: Option<String>,
    pub applicant_address: String,
    pub fields: String,
    /// HMAC of the lookup key ([`motcua_domain::dossier::lookup_key_hash`]); never the key.
    pub lookup_hash: String,
    pub version: i64,
    pub submitted_at: i64,
    pub received_at: Option<i64>,
    pub due_at: Option<i64>,
    pub pause_remaining: Option<i64>,
    pub paused_at: Option<i64>,
    pub supplement_requests: i64,
    pub finished_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub apologized: bool,
    pub updated_at: i64,
    /// Derived from the projection ([`Projection::late_from`]), kept for the index.
    pub late_from: Option<i64>,
    /// The catalog version it was received under ([`Store::procedure_of`](crate::Store::procedure_of)).
    pub catalog_version: i64,
    /// The unit whose center received it; `unit_code` is the unit competent
    /// to decide it, which works on it (Decree 118/2025, art. 14). The same
    /// unit unless the dossier was routed.
    pub received_by: String,
    /// When it was routed to the competent unit.
    pub routed_at: Option<i64>,
    /// See [`Projection::ended_waiting`].
    pub ended_waiting: bool,
    /// See [`Projection::paid`].
    pub paid: bool,
}

/// The columns of [`DossierRow`], as a literal so queries stay static strings.
macro_rules! dossier_columns {
    () => {
        "id, code, unit_code, procedure_code, channel, status, paused_from, assignee, \
    applicant_name, applicant_id_number, applicant_dob, applicant_phone, applicant_email, applicant_address, fields, \
    lookup_hash, version, submitted_at, received_at, due_at, pause_remaining, paused_at, supplement_requests, finished_at, returned_at, apologized, updated_at, late_from, catalog_version, received_by, routed_at, ended_waiting, paid"
    };
}
pub(crate) use dossier_columns;

fn corrupt(what: &str) -> Problem {
    Problem::new(
        ProblemKind::Conflict,
        "corrupt_row",
        format!("Dữ liệu hồ sơ hỏng: {what}"),
    )
}

impl DossierRow {
    /// The applicant's details as the row holds them.
    pub fn applicant_on_file(&self) -> motcua_domain::decide::ApplicantOnFile {
        motcua_domain::decide::ApplicantOnFile {
            full_name: self.applicant_name.clone(),
            id_number: self.applicant_id_number.clone(),
            date_of_birth: self.applicant_dob.clone(),
            phone: self.applicant_phone.clone(),
            email: self.applicant_email.clone(),
            address: self.applicant_address.clone(),
        }
    }

    pub fn status(&self) -> Result<Status, Problem> {
        self.status.parse().map_err(|_| corrupt("status"))
    }

    pub fn projection(&self) -> Result<Projection, Problem> {
        Ok(Projection {
            status: self.status()?,
            paused_from: self
                .paused_from
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| corrupt("paused_from"))?,
            assignee: self.assignee.clone(),
            received_at: self.received_at.map(from_ms),
            due_at: self.due_at.map(from_ms),
            pause_remaining: self.pause_remaining,
            paused_at: self.paused_at.map(from_ms),
            supplement_requests: self.supplement_requests,
            finished_at: self.finished_at.map(from_ms),
            returned_at: self.returned_at.map(from_ms),
            apologized: self.apologized,
            routed: self.routed_at.is_some(),
            ended_waiting: self.ended_waiting,
            paid: self.paid,
            version: self.version,
        })
    }

    /// The declaration's answers on file (empty: none, or a paper declaration).
    pub fn answers(&self) -> motcua_domain::declaration::Answers {
        serde_json::from_str::<serde_json::Value>(&self.fields)
            .map(|v| motcua_domain::declaration::answers_of(&v))
            .unwrap_or_default()
    }

    pub(crate) fn set_projection(&mut self, p: &Projection) {
        self.status = p.status.as_str().to_string();
        self.paused_from = p.paused_from.map(|s| s.as_str().to_string());
        self.assignee = p.assignee.clone();
        self.received_at = p.received_at.map(to_ms);
        self.due_at = p.due_at.map(to_ms);
        self.pause_remaining = p.pause_remaining;
        self.paused_at = p.paused_at.map(to_ms);
        self.supplement_requests = p.supplement_requests;
        self.finished_at = p.finished_at.map(to_ms);
        self.returned_at = p.returned_at.map(to_ms);
        self.apologized = p.apologized;
        self.ended_waiting = p.ended_waiting;
        self.paid = p.paid;
        self.version = p.version;
        self.late_from = p.late_from().map(to_ms);
    }
}

/// A dossier with its history, for staff and for API answers.
#[derive(Debug, Clone)]
pub struct DossierRecord {
    pub row: DossierRow,
    pub events: Vec<Event>,
    pub documents: Vec<DocumentMeta>,
    /// The clear lookup key, only in the record returned by the action that
    /// issued it (submission, counter intake, reissue): shown once, never stored.
    pub issued_key: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub payload: String,
    /// Recorded time facts of an event written before events carried them.
    pub frozen_due: Option<i64>,
    pub frozen_pause: Option<i64>,
}

/// The columns of an `EventRow`, events as `e` joined with their recorded facts as `f`.
macro_rules! event_columns {
    () => {
        "e.seq, e.at, e.actor, e.role, e.action, e.from_status, e.to_status, e.note, e.payload, \
         f.due_at AS frozen_due, f.pause_remaining AS frozen_pause"
    };
}
pub(crate) use event_columns;

impl EventRow {
    pub(crate) fn into_event(self) -> Result<Event, Problem> {
        Ok(Event {
            seq: self.seq,
            at: from_ms(self.at),
            actor: self.actor,
            role: self.role,
            action: self.action.parse().map_err(|_| corrupt("event action"))?,
            from_status: self
                .from_status
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| corrupt("event status"))?,
            to_status: self
                .to_status
                .parse()
                .map_err(|_| corrupt("event status"))?,
            note: self.note,
            payload: motcua_domain::payload::Payload::parse(&self.payload)
                .map_err(|_| corrupt("event payload"))?,
            frozen: motcua_domain::dossier::Frozen {
                due_at: self.frozen_due.map(from_ms),
                pause_remaining: self.frozen_pause,
            },
        })
    }
}

/// Which dossiers a list may show.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Units(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct ListFilter {
    pub scope: Scope,
    pub status: Option<Status>,
    pub late: Option<bool>,
    pub assignee: Option<String>,
    /// Keyset: only dossiers past this id in the list's order (below it
    /// newest first, above it oldest first).
    pub before_id: Option<i64>,
    /// Oldest first (the queue order of a counter) instead of newest first.
    pub oldest_first: bool,
    pub limit: i64,
    /// Only dossiers whose clock runs (received, processing, awaiting approval).
    pub open_clock: bool,
    /// Only dossiers due before this instant (UTC ms).
    pub due_before: Option<i64>,
    /// Most urgent first (the store's `due_key!`) instead of by id; the keyset is
    /// then `due_cursor`, the last row's (key, id).
    pub by_due: bool,
    pub due_cursor: Option<(i64, i64)>,
    /// Only dossiers matching what an officer typed in the search box.
    pub search: Option<Search>,
}

/// A row's place in the urgency order, as the store's SQL computes it
/// (`concat_due!` in backend.rs): the keyset cursor of a list by due date.
pub fn due_key(row: &DossierRow) -> i64 {
    const CLOSED: i64 = 9_000_000_000_000_000;
    match row.status.as_str() {
        "submitted" | "received" | "processing" | "awaiting_supplement" | "awaiting_approval" => {
            row.due_at.unwrap_or(row.submitted_at)
        }
        // Waiting for the citizen's payment is not urgent for the center: with
        // the closed ones, after every dossier whose clock runs.
        _ => CLOSED,
    }
}

/// The cursor after `row` in a list by due date ("key.id").
pub fn due_cursor(row: &DossierRow) -> String {
    format!("{}.{}", due_key(row), row.id)
}

pub fn parse_due_cursor(s: &str) -> Option<(i64, i64)> {
    let (k, id) = s.split_once('.')?;
    Some((k.parse().ok()?, id.parse().ok()?))
}

/// What an officer typed to find a dossier: a code (or its beginning), a
/// 12-digit personal number, or a name, matched without diacritics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    CodePrefix(String),
    IdNumber(String),
    /// Folded ([`motcua_domain::text::fold`]); matched anywhere in the name.
    Name(String),
}

impl Search {
    pub fn parse(raw: &str) -> Option<Search> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Search::IdNumber(t.to_string()));
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return Some(Search::CodePrefix(t.to_string()));
        }
        // LIKE's own wildcards are not a person's name.
        let folded: String = motcua_domain::text::fold(t)
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        (!folded.is_empty()).then_some(Search::Name(folded))
    }
}

impl ListFilter {
    pub fn new(scope: Scope, limit: i64) -> Self {
        ListFilter {
            scope,
            status: None,
            late: None,
            assignee: None,
            before_id: None,
            oldest_first: false,
            limit,
            open_clock: false,
            due_before: None,
            by_due: false,
            due_cursor: None,
            search: None,
        }
    }
}

/// An online submission in progress: the answers of a one-question-per-page flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub procedure_code: String,
    pub data: serde_json::Value,
    /// Set once submitted: the dossier it became.
    pub dossier_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One link of a unit's event chain, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChainRow {
    pub unit_code: String,
    pub unit_seq: i64,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub dossier_code: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub payload: String,
    pub frozen_due: Option<i64>,
    pub frozen_pause: Option<i64>,
    pub frozen_mac: Option<String>,
}

impl ChainRow {
    pub(crate) fn event(&self) -> Result<Event, Problem> {
        EventRow {
            seq: self.seq,
            at: self.at,
            actor: self.actor.clone(),
            role: self.role.clone(),
            action: self.action.clone(),
            from_status: self.from_status.clone(),
            to_status: self.to_status.clone(),
            note: self.note.clone(),
            payload: self.payload.clone(),
            frozen_due: self.frozen_due,
            frozen_pause: self.frozen_pause,
        }
        .into_event()
    }
}

/// What `audit verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub units: usize,
    pub events: i64,
    pub checkpoints: usize,
    /// The first broken link of each broken chain, in words.
    pub problems: Vec<String>,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}
