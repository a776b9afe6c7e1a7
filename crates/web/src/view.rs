//! JSON shapes of dossiers for staff and for the public lookup.

use motcua_domain::calendar::{OffsetDateTime, VN_OFFSET};
use motcua_domain::dossier::Event;
use motcua_domain::lifecycle::{Action, Status};
use motcua_store::{Actor, DossierRecord, DossierRow};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

pub fn instant(t: OffsetDateTime) -> Value {
    t.to_offset(VN_OFFSET)
        .format(&Rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

pub fn instant_ms(ms: Option<i64>) -> Value {
    match ms
        .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
    {
        Some(t) => instant(t),
        None => Value::Null,
    }
}

fn status_of(row: &DossierRow) -> Option<Status> {
    row.status.parse().ok()
}

/// Actions the given actor could take now on this dossier: the domain's
/// `offered`, the same rules its `decide` applies.
pub fn allowed_actions(row: &DossierRow, actor: &Actor) -> Vec<&'static str> {
    let Ok(p) = row.projection() else {
        return Vec::new();
    };
    motcua_domain::decide::offered(&p, &actor.asker())
        .into_iter()
        .map(|a| a.as_str())
        .collect()
}

pub fn is_late(row: &DossierRow, now: OffsetDateTime) -> bool {
    row.projection().map(|p| p.is_late(now)).unwrap_or(false)
}

/// Due instant as shown: none while the clock is paused.
fn shown_due(row: &DossierRow) -> Value {
    if row.pause_remaining.is_some() {
        Value::Null
    } else {
        instant_ms(row.due_at)
    }
}

pub fn summary(row: &DossierRow, procedure_name: &str, now: OffsetDateTime) -> Value {
    json!({
        "code": row.code,
        "unit_code": row.unit_code,
        "procedure_code": row.procedure_code,
        "procedure_name": procedure_name,
        "channel": row.channel,
        "status": row.status,
        "status_label": status_of(row).map(Status::label_vi),
        "version": row.version,
        "applicant_name": row.applicant_name,
        "assignee": row.assignee,
        "submitted_at": instant_ms(Some(row.submitted_at)),
        "received_at": instant_ms(row.received_at),
        "due_at": shown_due(row),
        "finished_at": instant_ms(row.finished_at),
        "paused": row.pause_remaining.is_some(),
        "late": is_late(row, now),
    })
}

pub fn event(e: &Event) -> Value {
    json!({
        "seq": e.seq,
        "at": instant(e.at),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "action_label": e.action.label_vi(),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": e.note,
        "payload": e.payload,
    })
}

pub fn full(
    rec: &DossierRecord,
    procedure_name: &str,
    unit_name: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> Value {
    let r = &rec.row;
    let mut v = summary(r, procedure_name, now);
    if let Some(o) = v.as_object_mut() {
        o.insert("unit_name".into(), unit_name.into());
        o.insert(
            "applicant".into(),
            json!({
                "full_name": r.applicant_name,
                "id_number": r.applicant_id_number,
                "date_of_birth": r.applicant_dob,
                "phone": r.applicant_phone,
                "email": r.applicant_email,
                "address": r.applicant_address,
            }),
        );
        o.insert(
            "fields".into(),
            serde_json::from_str(&r.fields).unwrap_or(Value::Null),
        );
        // Only the answer of the action that issued a key carries it, once.
        if let Some(key) = &rec.issued_key {
            o.insert("lookup_key".into(), key.clone().into());
        }
        o.insert("returned_at".into(), instant_ms(r.returned_at));
        o.insert("apologized".into(), r.apologized.into());
        o.insert("paused_from".into(), r.paused_from.clone().into());
        o.insert("pause_remaining_minutes".into(), r.pause_remaining.into());
        o.insert("events".into(), rec.events.iter().map(event).collect());
        o.insert(
            "documents".into(),
            serde_json::to_value(&rec.documents).unwrap_or(Value::Null),
        );
        o.insert("allowed_actions".into(), json!(allowed_actions(r, actor)));
    }
    v
}

/// The public view: progress only, the name masked, no ID number or phone.
pub fn public(
    rec: &DossierRecord,
    procedure_name: &str,
    unit_name: &str,
    now: OffsetDateTime,
) -> Value {
    let r = &rec.row;
    let missing = rec
        .events
        .iter()
        .rev()
        .find(|e| e.action == Action::RequestSupplement)
        .filter(|_| r.status == Status::AwaitingSupplement.as_str())
        .map(|e| json!({ "note": e.note, "documents": e.payload.missing }));
    json!({
        "code": r.code,
        "procedure_name": procedure_name,
        "unit_name": unit_name,
        "applicant_name": motcua_domain::text::mask_name(&r.applicant_name),
        "status": r.status,
        "status_label": status_of(r).map(Status::label_vi),
        "version": r.version,
        "submitted_at": instant_ms(Some(r.submitted_at)),
        "received_at": instant_ms(r.received_at),
        "due_at": shown_due(r),
        "finished_at": instant_ms(r.finished_at),
        "returned_at": instant_ms(r.returned_at),
        "delivery": rec
            .events
            .iter()
            .rev()
            .find(|e| e.action == Action::ReturnResult)
            .and_then(|e| motcua_domain::delivery::Delivery::from_payload(&e.payload))
            .map(|d| json!({ "method": d.method, "tracking_number": d.tracking_number })),
        "paused": r.pause_remaining.is_some(),
        "late": is_late(r, now),
        "supplement_request": missing,
        "history": rec.events.iter().map(|e| json!({
            "at": instant(e.at),
            "status": e.to_status,
            "status_label": e.to_status.label_vi(),
            "action": e.action,
            "action_label": e.action.label_vi(),
        })).collect::<Vec<_>>(),
    })
}
