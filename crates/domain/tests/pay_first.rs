//! A procedure paid before processing: the dossier waits for payment at
//! reception, its clock not started or paused as the catalog says, starts
//! or resumes at the payment, and stops when the days to pay are over.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_domain::calendar::{OffsetDateTime, WorkCalendar};
use motcua_domain::catalog::{Procedure, parse_catalog};
use motcua_domain::creation::{self, Filing};
use motcua_domain::decide::{self, ApplicantOnFile, Asker, Facts, RawCommand, Request};
use motcua_domain::dossier::{ApplicantInput, Projection};
use motcua_domain::fees::{PayClock, PayFirst};
use motcua_domain::lifecycle::{Action, Channel, Role, Status, Via};
use time::macros::datetime;

fn procedure(clock: PayClock) -> Procedure {
    let mut p = parse_catalog(motcua_domain::catalog::DEFAULT_CATALOG_JSON)
        .expect("catalog")
        .into_iter()
        .find(|p| p.code == "CTR-TT")
        .expect("CTR-TT: 20,000 đ at the counter");
    p.pay_first = Some(PayFirst {
        clock,
        expire_days: 3,
    });
    p
}

fn applicant() -> ApplicantInput {
    ApplicantInput {
        full_name: "Trần Thị Mai".into(),
        id_number: "087188001234".into(),
        date_of_birth: "1988-04-12".into(),
        phone: "0912345678".into(),
        email: None,
        address: "Ấp 2, xã Mỹ Hiệp".into(),
    }
}

const RECEPTIONIST: Asker<'static> = Asker::Staff {
    name: "tiepnhan",
    roles: &[Role::Receptionist],
};

/// Filed at the counter on Monday 2 March 2026 at 09:00.
fn filed(p: &Procedure, fields: serde_json::Value) -> Projection {
    let cal = WorkCalendar::vietnam();
    let input = applicant();
    let created = creation::create(
        &creation::Facts {
            procedure: p,
            offered: true,
            cal: &cal,
            now: datetime!(2026-03-02 09:00 +7),
        },
        &RECEPTIONIST,
        &Filing {
            channel: Channel::Counter,
            applicant: &input,
            fields: &fields,
            all_digital: false,
            any_document: false,
        },
    )
    .expect("filed");
    created.projection
}

fn act(
    p: &Procedure,
    state: &Projection,
    asker: &Asker<'_>,
    action: Action,
    now: OffsetDateTime,
) -> Result<decide::Decision, motcua_domain::Problem> {
    let cal = WorkCalendar::vietnam();
    let on_file = ApplicantOnFile {
        full_name: "Trần Thị Mai".into(),
        id_number: "087188001234".into(),
        date_of_birth: "1988-04-12".into(),
        phone: "0912345678".into(),
        email: None,
        address: "Ấp 2, xã Mỹ Hiệp".into(),
    };
    decide::decide(
        &Facts {
            state,
            channel: "counter",
            applicant: &on_file,
            procedure: p,
            cal: &cal,
            specialists: &[],
            route_targets: &[],
            e_result: false,
            answers: &Default::default(),
            now,
        },
        asker,
        &Request {
            raw: RawCommand {
                action: action.as_str(),
                ..RawCommand::default()
            },
            version: state.version,
            via: Via::Direct,
        },
    )
}

#[test]
fn not_started_the_clock_starts_at_the_payment() {
    let p = procedure(PayClock::NotStarted);
    let waiting = filed(&p, serde_json::json!({}));
    assert_eq!(waiting.status, Status::AwaitingPayment);
    assert_eq!(waiting.due_at, None, "no appointment before payment");
    assert!(waiting.received_at.is_some());
    // Paid on Wednesday at 10:00: the two working days run from there.
    let paid_at = datetime!(2026-03-04 10:00 +7);
    let d = act(&p, &waiting, &RECEPTIONIST, Action::RecordPayment, paid_at).expect("paid");
    assert_eq!(d.projection.status, Status::Received);
    assert!(d.projection.paid);
    let cal = WorkCalendar::vietnam();
    assert_eq!(d.projection.due_at, Some(cal.due(paid_at, p.processing)));
    // The due instant is recorded in the payment's event.
    assert!(d.event.payload.due_at.is_some());
    // Paid once: a second payment is refused by the rule, not by the store.
    let again = act(
        &p,
        &d.projection,
        &RECEPTIONIST,
        Action::RecordPayment,
        paid_at,
    )
    .expect_err("already paid");
    assert_eq!(again.code, "already_paid");
}

#[test]
fn paused_the_appointment_moves_by_the_unpaid_working_time() {
    let p = procedure(PayClock::Paused);
    let waiting = filed(&p, serde_json::json!({}));
    assert_eq!(waiting.status, Status::AwaitingPayment);
    let cal = WorkCalendar::vietnam();
    let received = datetime!(2026-03-02 09:00 +7);
    let first_due = cal.due(received, p.processing);
    assert_eq!(waiting.due_at, Some(first_due), "given at reception");
    assert!(waiting.pause_remaining.is_some());
    // One working day unpaid (Monday 09:00 → Tuesday 09:00).
    let paid_at = datetime!(2026-03-03 09:00 +7);
    let d = act(&p, &waiting, &RECEPTIONIST, Action::RecordPayment, paid_at).expect("paid");
    let moved = cal.add_working_minutes(first_due, cal.working_minutes_between(received, paid_at));
    assert_eq!(d.projection.due_at, Some(moved));
    assert!(moved > first_due);
    assert_eq!(d.projection.pause_remaining, None);
}

#[test]
fn an_exempt_applicant_is_received_at_once() {
    let mut p = procedure(PayClock::NotStarted);
    p.exemptions = vec![motcua_domain::catalog::Exemption {
        who: "Hộ nghèo".into(),
        proof: "Giấy chứng nhận hộ nghèo".into(),
        basis: "thử".into(),
    }];
    // Claimed by the answer the fee reads (`mien_phi`).
    let answers = [("mien_phi".to_string(), "co".to_string())].into();
    let (status, clock) = decide::reception_status(&p, &answers, false);
    assert_eq!((status, clock), (Status::Received, None));
    let (status, _) = decide::reception_status(&p, &Default::default(), false);
    assert_eq!(status, Status::AwaitingPayment);
}

#[test]
fn an_unpaid_dossier_stops_when_its_days_are_over_and_only_motcua_stops_it() {
    let p = procedure(PayClock::NotStarted);
    let waiting = filed(&p, serde_json::json!({}));
    let before = datetime!(2026-03-05 08:59 +7);
    let err = act(&p, &waiting, &Asker::System, Action::ExpireUnpaid, before)
        .expect_err("three days not over");
    assert_eq!(err.code, "not_expired");
    let after = datetime!(2026-03-05 09:00 +7);
    let d = act(&p, &waiting, &Asker::System, Action::ExpireUnpaid, after).expect("stopped");
    assert_eq!(d.projection.status, Status::Stopped);
    assert_eq!(d.event.role, "system");
    assert!(
        d.event
            .note
            .as_deref()
            .is_some_and(|n| n.contains("3 ngày"))
    );
    assert_eq!(d.projection.finished_at, Some(after));
    // Not a person's action.
    let err =
        act(&p, &waiting, &RECEPTIONIST, Action::ExpireUnpaid, after).expect_err("staff may not");
    assert_eq!(err.code, "forbidden_action");
}

#[test]
fn a_dossier_stopped_unpaid_with_its_clock_paused_is_not_the_centers_lateness() {
    let mut p = procedure(PayClock::Paused);
    p.pay_first = Some(PayFirst {
        clock: PayClock::Paused,
        expire_days: 10,
    });
    let waiting = filed(&p, serde_json::json!({}));
    // Past its appointment (given at reception) and its ten days.
    let after = datetime!(2026-03-12 10:00 +7);
    let d = act(&p, &waiting, &Asker::System, Action::ExpireUnpaid, after).expect("stopped");
    assert!(d.projection.due_at.is_some_and(|due| due < after));
    assert!(
        !motcua_domain::index::ended_late(&d.projection),
        "the wait was the citizen's"
    );
    assert!(d.projection.ended_waiting);
}
