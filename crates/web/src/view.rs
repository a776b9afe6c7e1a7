//! JSON shapes of dossiers for staff and for the public lookup.

use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::catalog::Procedure;
use motcua_domain::delivery::DeliveryMethod;
use motcua_domain::dossier::Event;
use motcua_domain::lifecycle::{Action, Channel, Status};
use motcua_domain::payload::Payload;
use motcua_store::{Actor, DocumentMeta, DossierRecord, DossierRow};
use serde::Serialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// An instant as the API shows it: RFC 3339 in Vietnam time (+07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(pub OffsetDateTime);

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Only a year outside 0..=9999 fails; it shows as null, as it always has.
        match self.0.to_offset(VN_OFFSET).format(&Rfc3339) {
            Ok(text) => s.serialize_str(&text),
            Err(_) => s.serialize_none(),
        }
    }
}

impl utoipa::PartialSchema for Instant {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 instant in Vietnam time (+07:00)."))
            .examples([json!("2026-02-27T10:00:00+07:00")])
            .into()
    }
}

impl utoipa::ToSchema for Instant {}

pub fn instant(t: OffsetDateTime) -> Instant {
    Instant(t)
}

/// An instant stored as Unix milliseconds.
pub fn instant_ms(ms: Option<i64>) -> Option<Instant> {
    ms.and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
        .map(Instant)
}

fn status_of(row: &DossierRow) -> Option<Status> {
    row.status.parse().ok()
}

/// Actions the given actor could take now on this dossier: the domain's
/// `offered`, the same rules its `decide` applies.
pub fn allowed_actions(
    row: &DossierRow,
    actor: &Actor,
    procedure: &Procedure,
) -> Vec<&'static str> {
    let Ok(p) = row.projection() else {
        return Vec::new();
    };
    // Only the unit that works on it acts; a receiving unit that routed it follows.
    if let Actor::Staff(u) = actor
        && !u.sees_unit(&row.unit_code)
    {
        return Vec::new();
    }
    let owes = motcua_domain::decide::owes(procedure, &row.answers(), &row.channel);
    motcua_domain::decide::offered(&p, &actor.asker(), owes)
        .into_iter()
        .map(|a| a.as_str())
        .collect()
}

pub fn is_late(row: &DossierRow, now: OffsetDateTime) -> bool {
    row.projection().map(|p| p.is_late(now)).unwrap_or(false)
}

/// Due instant as shown: none while the clock is paused.
fn shown_due(row: &DossierRow) -> Option<Instant> {
    if row.pause_remaining.is_some() {
        None
    } else {
        instant_ms(row.due_at)
    }
}

/// A dossier in a work list.
#[derive(Serialize, ToSchema)]
pub struct DossierSummary {
    #[schema(example = "30112-260302-0001")]
    pub code: String,
    /// The unit competent to decide, which works on the dossier.
    pub unit_code: String,
    /// The unit whose center received it: `unit_code` unless the dossier was
    /// routed (reception regardless of boundary, Decree 118/2025, art. 14).
    pub received_by: String,
    pub procedure_code: String,
    pub procedure_name: String,
    #[schema(value_type = Channel)]
    pub channel: String,
    #[schema(value_type = Status)]
    pub status: String,
    /// Vietnamese label of the status.
    #[schema(required)]
    pub status_label: Option<&'static str>,
    /// Number of events so far; send it back with the next action.
    pub version: i64,
    /// Full name (staff only; masked below full reading rights).
    pub applicant_name: String,
    /// Username of the specialist in charge.
    #[schema(required)]
    pub assignee: Option<String>,
    #[schema(value_type = Instant)]
    pub submitted_at: Option<Instant>,
    #[schema(required)]
    pub received_at: Option<Instant>,
    /// Appointment (ngày hẹn trả), derived from events; null before reception and while paused for a supplement.
    #[schema(required)]
    pub due_at: Option<Instant>,
    /// When the center's work ended (approved, rejected, refused, withdrawn).
    #[schema(required)]
    pub finished_at: Option<Instant>,
    /// Clock stopped, awaiting a supplement.
    pub paused: bool,
    /// Derived: settled after the due date, open past it, or apologized for.
    pub late: bool,
}

pub fn summary(row: &DossierRow, procedure_name: &str, now: OffsetDateTime) -> DossierSummary {
    DossierSummary {
        code: row.code.clone(),
        unit_code: row.unit_code.clone(),
        received_by: row.received_by.clone(),
        procedure_code: row.procedure_code.clone(),
        procedure_name: procedure_name.to_string(),
        channel: row.channel.clone(),
        status: row.status.clone(),
        status_label: status_of(row).map(Status::label_vi),
        version: row.version,
        applicant_name: row.applicant_name.clone(),
        assignee: row.assignee.clone(),
        submitted_at: instant_ms(Some(row.submitted_at)),
        received_at: instant_ms(row.received_at),
        due_at: shown_due(row),
        finished_at: instant_ms(row.finished_at),
        paused: row.pause_remaining.is_some(),
        late: is_late(row, now),
    }
}

/// One append-only event of a dossier's history.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// 1, 2, 3… without gaps.
    pub seq: i64,
    pub at: Instant,
    /// Username, or `citizen`.
    pub actor: String,
    /// Role under which the action was taken (a Role, or `citizen`).
    #[schema(example = "receptionist")]
    pub role: String,
    pub action: Action,
    pub action_label: &'static str,
    #[schema(required)]
    pub from_status: Option<Status>,
    pub to_status: Status,
    #[schema(required)]
    pub note: Option<String>,
    /// Action details, one typed shape for every action (unknown fields never appear): `channel` and, at the counter, `digitized` (start), `assignee` (assign), `missing` (request_supplement), `documents` (supplement), `delivery` (return_result), `new_due` (apologize), `applicant` (correct_applicant: field → {from, to}); `due_at` (RFC 3339) where the event set the due instant and `pause_remaining` (working minutes) where it kept paused minutes — both from release 4; `via` (`api`, `page`, `kiosk`, `direct`), the door the request came through, from release 2.
    pub payload: Payload,
}

pub fn event(e: &Event) -> EventView {
    EventView {
        seq: e.seq,
        at: instant(e.at),
        actor: e.actor.clone(),
        role: e.role.clone(),
        action: e.action,
        action_label: e.action.label_vi(),
        from_status: e.from_status,
        to_status: e.to_status,
        note: e.note.clone(),
        payload: e.payload.clone(),
    }
}

/// The applicant as staff see them.
#[derive(Serialize, ToSchema)]
pub struct ApplicantView {
    pub full_name: String,
    pub id_number: String,
    /// YYYY-MM-DD.
    pub date_of_birth: String,
    pub phone: String,
    #[schema(required)]
    pub email: Option<String>,
    pub address: String,
}

/// The full record for staff: the summary plus applicant, history and documents.
#[derive(Serialize, ToSchema)]
pub struct Dossier {
    #[serde(flatten)]
    pub summary: DossierSummary,
    pub unit_name: String,
    pub applicant: ApplicantView,
    /// Free fields of the procedure's form.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// To give back to the citizen (printed on the receipt). Only in the answer of the action that issued it; absent otherwise (only its hash is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup_key: Option<String>,
    #[schema(required)]
    pub returned_at: Option<Instant>,
    /// An apology letter (phiếu xin lỗi) moved the date; counted as late.
    pub apologized: bool,
    /// Status to return to after the supplement.
    #[schema(required, value_type = Option<Status>)]
    pub paused_from: Option<String>,
    /// Working minutes left when the clock was paused.
    #[schema(required)]
    pub pause_remaining_minutes: Option<i64>,
    pub events: Vec<EventView>,
    pub documents: Vec<DocumentMeta>,
    /// Actions the caller may take now.
    #[schema(value_type = Vec<Action>)]
    pub allowed_actions: Vec<&'static str>,
}

pub fn full(
    rec: &DossierRecord,
    procedure: &Procedure,
    unit_name: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> Dossier {
    let r = &rec.row;
    Dossier {
        summary: summary(r, &procedure.name, now),
        unit_name: unit_name.to_string(),
        applicant: ApplicantView {
            full_name: r.applicant_name.clone(),
            id_number: r.applicant_id_number.clone(),
            date_of_birth: r.applicant_dob.clone(),
            phone: r.applicant_phone.clone(),
            email: r.applicant_email.clone(),
            address: r.applicant_address.clone(),
        },
        fields: serde_json::from_str(&r.fields).unwrap_or(Value::Null),
        // Only the answer of the action that issued a key carries it, once.
        lookup_key: rec.issued_key.clone(),
        returned_at: instant_ms(r.returned_at),
        apologized: r.apologized,
        paused_from: r.paused_from.clone(),
        pause_remaining_minutes: r.pause_remaining,
        events: rec.events.iter().map(event).collect(),
        documents: rec.documents.clone(),
        allowed_actions: allowed_actions(r, actor, procedure),
    }
}

/// What the officer asked the citizen to supplement.
#[derive(Serialize, ToSchema)]
pub struct SupplementRequest {
    #[schema(required)]
    pub note: Option<String>,
    #[schema(required)]
    pub documents: Option<Vec<String>>,
}

/// How the result is delivered, without the postal address.
#[derive(Serialize, ToSchema)]
pub struct PublicDelivery {
    pub method: DeliveryMethod,
    #[schema(required)]
    pub tracking_number: Option<String>,
}

/// One step of the public history.
#[derive(Serialize, ToSchema)]
pub struct HistoryStep {
    pub at: Instant,
    pub status: Status,
    pub status_label: &'static str,
    pub action: Action,
    pub action_label: &'static str,
}

/// Public progress (tra cứu hồ sơ): the name masked, no ID number, phone, email or address.
#[derive(Serialize, ToSchema)]
pub struct PublicDossier {
    pub code: String,
    pub procedure_name: String,
    pub unit_name: String,
    /// Masked: initials and the given name, e.g. "T. T. Mai".
    pub applicant_name: String,
    #[schema(value_type = Status)]
    pub status: String,
    #[schema(required)]
    pub status_label: Option<&'static str>,
    /// For the citizen's own actions.
    pub version: i64,
    #[schema(value_type = Instant)]
    pub submitted_at: Option<Instant>,
    #[schema(required)]
    pub received_at: Option<Instant>,
    /// Null before reception and while paused.
    #[schema(required)]
    pub due_at: Option<Instant>,
    #[schema(required)]
    pub finished_at: Option<Instant>,
    #[schema(required)]
    pub returned_at: Option<Instant>,
    /// Once returned: how the result is delivered and the postal tracking number if any. The postal address is not shown here.
    #[schema(required)]
    pub delivery: Option<PublicDelivery>,
    pub paused: bool,
    pub late: bool,
    /// While awaiting a supplement: what the officer asked for.
    #[schema(required)]
    pub supplement_request: Option<SupplementRequest>,
    pub history: Vec<HistoryStep>,
}

/// The public view: progress only, the name masked, no ID number or phone.
pub fn public(
    rec: &DossierRecord,
    procedure_name: &str,
    unit_name: &str,
    now: OffsetDateTime,
) -> PublicDossier {
    let r = &rec.row;
    let missing = rec
        .events
        .iter()
        .rev()
        .find(|e| e.action == Action::RequestSupplement)
        .filter(|_| r.status == Status::AwaitingSupplement.as_str())
        .map(|e| SupplementRequest {
            note: e.note.clone(),
            documents: e.payload.missing.clone(),
        });
    PublicDossier {
        code: r.code.clone(),
        procedure_name: procedure_name.to_string(),
        unit_name: unit_name.to_string(),
        applicant_name: motcua_domain::text::mask_name(&r.applicant_name),
        status: r.status.clone(),
        status_label: status_of(r).map(Status::label_vi),
        version: r.version,
        submitted_at: instant_ms(Some(r.submitted_at)),
        received_at: instant_ms(r.received_at),
        due_at: shown_due(r),
        finished_at: instant_ms(r.finished_at),
        returned_at: instant_ms(r.returned_at),
        delivery: rec
            .events
            .iter()
            .rev()
            .find(|e| e.action == Action::ReturnResult)
            .and_then(|e| motcua_domain::delivery::Delivery::from_payload(&e.payload))
            .map(|d| PublicDelivery {
                method: d.method,
                tracking_number: d.tracking_number,
            }),
        paused: r.pause_remaining.is_some(),
        late: is_late(r, now),
        supplement_request: missing,
        history: rec
            .events
            .iter()
            .map(|e| HistoryStep {
                at: instant(e.at),
                status: e.to_status,
                status_label: e.to_status.label_vi(),
                action: e.action,
                action_label: e.action.label_vi(),
            })
            .collect(),
    }
}
