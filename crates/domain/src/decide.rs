//! One decision function for every action on a dossier after its creation:
//! from the dossier's state, a typed command, who asks, the procedure and
//! the calendar, it returns the event, the new projection, the index deltas
//! and the effects the store must carry out, or a refusal saying why. The
//! store only gathers the facts and writes the result; pages and the API
//! offer exactly what [`offered`] says this function would accept.

use crate::calendar::{OffsetDateTime, VN_OFFSET, WorkCalendar};
use crate::catalog::Procedure;
use crate::delivery::Delivery;
use crate::dossier::{Applicant, ApplicantInput, Event, Projection};
use crate::index::{Delta, Facts as IndexFacts};
use crate::lifecycle::{
    Action, Principal, Role, Status, Via, allowed_roles, citizen_may, needs_note, next_status,
    system_may,
};
use crate::payload::{Change, Payload};
use crate::{Problem, ProblemKind};
use std::collections::BTreeMap;

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// The applicant, who proved it with the dossier's lookup key.
    Citizen,
    Staff {
        name: &'a str,
        roles: &'a [Role],
    },
    /// motcua itself, on a rule of time (an unpaid dossier stopping).
    System,
}

impl Asker<'_> {
    pub fn name(&self) -> &str {
        match self {
            Asker::Citizen => "citizen",
            Asker::Staff { name, .. } => name,
            Asker::System => "system",
        }
    }

    /// The principal under which `action` is allowed for this asker, if any.
    pub fn principal_for(&self, action: Action) -> Option<Principal> {
        match self {
            Asker::Citizen => citizen_may(action).then_some(Principal::Citizen),
            Asker::System => system_may(action).then_some(Principal::System),
            Asker::Staff { roles, .. } => roles
                .iter()
                .copied()
                .find(|r| allowed_roles(action).contains(r))
                .map(Principal::Staff),
        }
    }
}

/// What the asker wants, with the data that action needs, already parsed.
#[derive(Debug, Clone)]
pub enum Command {
    Receive,
    RefuseIntake,
    Assign {
        assignee: String,
    },
    RequestSupplement {
        missing: Vec<String>,
        /// The officer confirmed that a second request makes the dossier count as late.
        confirm_late: bool,
    },
    /// The codes of the documents supplied (checked against the procedure;
    /// the store checks that their files exist and are free).
    Supplement {
        documents: Vec<String>,
        /// Declaration answers corrected, by question key.
        answers: crate::declaration::Answers,
    },
    Propose,
    Approve,
    SendBack,
    Reject,
    ReturnResult {
        delivery: Delivery,
    },
    Withdraw,
    Apologize {
        new_due: OffsetDateTime,
    },
    ReissueKey,
    CorrectApplicant {
        applicant: ApplicantInput,
    },
    /// Forward to the unit competent to decide (Decree 118/2025, art. 14).
    Route {
        to_unit: String,
    },
    /// Cash taken at the counter: the dossier's fee lines, or the amount
    /// the officer enters (with a reason) where the province sets it; or a
    /// payment an online channel confirmed (`method`, motcua only).
    RecordPayment {
        amount_vnd: Option<u64>,
        method: String,
    },
    /// Void a receipt issued in error (a reason is required).
    VoidReceipt {
        receipt: String,
    },
    /// Pay the fee back (a reason is required), naming the receipt.
    RefundPayment {
        receipt: String,
    },
    /// Stop a dossier whose fee was not paid within its days (motcua only).
    ExpireUnpaid,
}

/// The raw fields of an action request, as a page or the API received them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCommand<'a> {
    pub action: &'a str,
    pub note: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub new_due: Option<&'a str>,
    pub missing: &'a [String],
    pub documents: &'a [&'a str],
    pub delivery: Option<&'a str>,
    pub postal_address: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub applicant: Option<&'a ApplicantInput>,
    /// For a second supplement request: the officer confirmed the warning.
    pub confirm_late: bool,
    /// For routing: the code of the competent unit.
    pub to_unit: Option<&'a str>,
    /// For a supplement: declaration answers corrected, by question key.
    pub answers: Option<&'a crate::declaration::Answers>,
    /// For a payment: the amount entered where the province sets it.
    pub amount_vnd: Option<u64>,
    /// For voiding: the receipt's number.
    pub receipt: Option<&'a str>,
    /// For a payment confirmed online (motcua only): the channel, one of
    /// [`ONLINE_METHODS`].
    pub method: Option<&'a str>,
}

/// The channels through which a fee is paid online.
pub const ONLINE_METHODS: &[&str] = &["vnpay", "vietqr", "paygov"];

/// The action a request names, if it is one taken on an existing dossier
/// and the asker holds a role that may take it.
pub fn admit(asker: &Asker<'_>, action: &str) -> Result<(Action, Principal), Problem> {
    let action: Action = action.parse().map_err(|_| {
        Problem::invalid(
            "unknown_action",
            "action",
            format!("Không có thao tác \"{action}\""),
        )
    })?;
    if matches!(action, Action::Submit | Action::CreateAtCounter) {
        return Err(Problem::invalid(
            "unknown_action",
            "action",
            "Thao tác này chỉ dùng khi nộp hồ sơ mới",
        ));
    }
    let principal = asker
        .principal_for(action)
        .ok_or_else(|| forbidden(action))?;
    Ok((action, principal))
}

impl Command {
    /// Parse the fields of a request for `action` into a command, or say
    /// which field is wrong.
    pub fn parse(action: Action, raw: &RawCommand<'_>) -> Result<Command, Problem> {
        Ok(match action {
            Action::Submit | Action::CreateAtCounter => {
                return Err(Problem::invalid(
                    "unknown_action",
                    "action",
                    "Thao tác này chỉ dùng khi nộp hồ sơ mới",
                ));
            }
            Action::Receive => Command::Receive,
            Action::RefuseIntake => Command::RefuseIntake,
            Action::Assign => Command::Assign {
                assignee: raw.assignee.unwrap_or("").to_string(),
            },
            Action::RequestSupplement => Command::RequestSupplement {
                missing: raw.missing.to_vec(),
                confirm_late: raw.confirm_late,
            },
            Action::Supplement => Command::Supplement {
                documents: raw.documents.iter().map(|d| d.to_string()).collect(),
                answers: raw.answers.cloned().unwrap_or_default(),
            },
            Action::Propose => Command::Propose,
            Action::Approve => Command::Approve,
            Action::SendBack => Command::SendBack,
            Action::Reject => Command::Reject,
            Action::ReturnResult => Command::ReturnResult {
                delivery: Delivery::validate(
                    raw.delivery,
                    raw.postal_address,
                    raw.tracking_number,
                )?,
            },
            Action::Withdraw => Command::Withdraw,
            Action::Apologize => Command::Apologize {
                new_due: crate::calendar::parse_instant(raw.new_due.unwrap_or("")).map_err(
                    |_| {
                        Problem::invalid(
                            "bad_new_due",
                            "new_due",
                            "Ngày hẹn mới phải có dạng ngày/tháng/năm giờ:phút, ví dụ 20/03/2026 16:00",
                        )
                    },
                )?,
            },
            Action::ReissueKey => Command::ReissueKey,
            Action::CorrectApplicant => Command::CorrectApplicant {
                applicant: raw.applicant.cloned().ok_or_else(|| {
                    Problem::invalid(
                        "applicant_required",
                        "applicant",
                        "Cần nhập thông tin người nộp đã sửa",
                    )
                })?,
            },
            Action::Route => Command::Route {
                to_unit: raw
                    .to_unit
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| {
                        Problem::invalid(
                            "to_unit_required",
                            "to_unit",
                            "Cần chọn đơn vị có thẩm quyền giải quyết",
                        )
                    })?
                    .to_string(),
            },
            Action::RecordPayment => Command::RecordPayment {
                amount_vnd: raw.amount_vnd,
                method: match raw.method {
                    None => "cash".to_string(),
                    Some(m) if ONLINE_METHODS.contains(&m) => m.to_string(),
                    Some(m) => {
                        return Err(Problem::invalid(
                            "bad_method",
                            "method",
                            format!("Không có kênh thanh toán \"{m}\""),
                        ));
                    }
                },
            },
            Action::VoidReceipt => Command::VoidReceipt {
                receipt: raw
                    .receipt
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        Problem::invalid("receipt_required", "receipt", "Cần chọn biên lai cần hủy")
                    })?
                    .to_string(),
            },
            Action::RefundPayment => Command::RefundPayment {
                receipt: raw
                    .receipt
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        Problem::invalid(
                            "receipt_required",
                            "receipt",
                            "Cần chọn biên lai được hoàn trả",
                        )
                    })?
                    .to_string(),
            },
            Action::ExpireUnpaid => Command::ExpireUnpaid,
        })
    }

    pub fn action(&self) -> Action {
        match self {
            Command::Receive => Action::Receive,
            Command::RefuseIntake => Action::RefuseIntake,
            Command::Assign { .. } => Action::Assign,
            Command::RequestSupplement { .. } => Action::RequestSupplement,
            Command::Supplement { .. } => Action::Supplement,
            Command::Propose => Action::Propose,
            Command::Approve => Action::Approve,
            Command::SendBack => Action::SendBack,
            Command::Reject => Action::Reject,
            Command::ReturnResult { .. } => Action::ReturnResult,
            Command::Withdraw => Action::Withdraw,
            Command::Apologize { .. } => Action::Apologize,
            Command::ReissueKey => Action::ReissueKey,
            Command::CorrectApplicant { .. } => Action::CorrectApplicant,
            Command::Route { .. } => Action::Route,
            Command::RecordPayment { .. } => Action::RecordPayment,
            Command::VoidReceipt { .. } => Action::VoidReceipt,
            Command::RefundPayment { .. } => Action::RefundPayment,
            Command::ExpireUnpaid => Action::ExpireUnpaid,
        }
    }
}

/// The applicant's details as the dossier holds them (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantOnFile {
    pub full_name: String,
    pub id_number: String,
    pub date_of_birth: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
}

/// What the decision knows of the dossier and the world.
pub struct Facts<'a> {
    /// The dossier now (its version, status, assignee, due instant…).
    pub state: &'a Projection,
    /// How it was filed ("online", "counter", …).
    pub channel: &'a str,
    pub applicant: &'a ApplicantOnFile,
    pub procedure: &'a Procedure,
    pub cal: &'a WorkCalendar,
    /// Who among those a request names may be assigned (the unit's active
    /// specialists; the store looks up only the one named).
    pub specialists: &'a [String],
    /// Where the dossier may be routed: the other units of its unit's
    /// province (the store looks up only the one a request names).
    pub route_targets: &'a [String],
    /// An electronic result is attached (the index counts it).
    pub e_result: bool,
    /// The declaration's answers on file.
    pub answers: &'a crate::declaration::Answers,
    pub now: OffsetDateTime,
}

/// One request: its raw fields, the version it was taken from and the door
/// it came through.
pub struct Request<'a> {
    pub raw: RawCommand<'a>,
    pub version: i64,
    pub via: Via,
}

/// What the store must do besides writing the event and the projection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// Issue a new lookup key (the old one stops working).
    pub new_key: bool,
    /// Replace the applicant's details.
    pub applicant: Option<Applicant>,
    /// Replace the declaration's answers (all of them, checked).
    pub answers: Option<crate::declaration::Answers>,
}

/// The outcome of an accepted request.
#[derive(Debug, Clone)]
pub struct Decision {
    pub event: Event,
    pub projection: Projection,
    pub index: Vec<Delta>,
    /// Counters of the competent side that leave the routing unit for the
    /// unit routed to (only a routing has any).
    pub moved: Vec<Delta>,
    pub effects: Effects,
}

fn forbidden(action: Action) -> Problem {
    Problem::forbidden(
        "forbidden_action",
        format!("Bạn không có quyền \"{}\"", action.label_vi()),
    )
}

/// Whether a dossier of `procedure` with `answers`, filed online or not,
/// owes a fee (the domain's `Quote::owes`): what the money actions ask.
pub fn owes(procedure: &Procedure, answers: &crate::declaration::Answers, channel: &str) -> bool {
    crate::fees::quote(procedure, answers, channel == "online").owes()
}

/// Whether `asker` may take `action` on a dossier in `state` that `owes` a
/// fee or not, leaving aside the request's own data (note, version,
/// fields). Both [`decide`] and [`offered`] ask this, so what is offered
/// is what would be accepted.
fn may(
    state: &Projection,
    asker: &Asker<'_>,
    action: Action,
    owes: bool,
) -> Result<(Principal, crate::lifecycle::Status), Problem> {
    let principal = asker
        .principal_for(action)
        .ok_or_else(|| forbidden(action))?;
    let to = next_status(state.status, state.paused_from, action)?;
    match action {
        Action::RecordPayment if state.paid => {
            return Err(Problem::conflict(
                "already_paid",
                "Hồ sơ đã nộp phí, lệ phí; biên lai đang có hiệu lực",
            ));
        }
        Action::RecordPayment if !owes => {
            return Err(Problem::conflict(
                "nothing_to_pay",
                "Hồ sơ này không phải nộp phí, lệ phí (miễn hoặc không thu)",
            ));
        }
        Action::ExpireUnpaid if state.paid => {
            return Err(Problem::conflict(
                "already_paid",
                "Hồ sơ đã nộp phí, lệ phí",
            ));
        }
        Action::VoidReceipt | Action::RefundPayment if !state.paid => {
            return Err(
                Problem::conflict("no_receipt", "Hồ sơ không có biên lai còn hiệu lực")
                    .with_field("receipt"),
            );
        }
        _ => {}
    }
    if action == Action::Route && state.routed {
        return Err(Problem::new(
            ProblemKind::Conflict,
            "already_routed",
            "Hồ sơ đã được chuyển đến đơn vị có thẩm quyền; đơn vị đó giải quyết, không chuyển tiếp",
        )
        .with_field("action"));
    }
    if matches!(action, Action::Propose | Action::RequestSupplement)
        && !is_own_work(principal, state.assignee.as_deref(), asker.name())
    {
        return Err(Problem::forbidden(
            "not_assignee",
            "Hồ sơ được giao cho chuyên viên khác",
        ));
    }
    Ok((principal, to))
}

/// Asking a second time for papers: allowed, but the national index counts
/// a dossier with more than one supplement request as late (Decree
/// 118/2025; SERVICE-INDEX.md), so the officer confirms it first.
pub fn second_supplement_warning() -> Problem {
    Problem::invalid(
        "second_supplement_counts_late",
        "confirm_late",
        "Hồ sơ đã được yêu cầu bổ sung một lần. Yêu cầu bổ sung lần thứ hai sẽ làm hồ sơ bị \
         tính là trễ hạn trong Bộ chỉ số phục vụ người dân, doanh nghiệp. Hãy xác nhận nếu vẫn \
         cần yêu cầu bổ sung.",
    )
}

/// A specialist works on the dossiers handed to them: acting as a
/// specialist on a dossier assigned to someone else is refused
/// (`not_assignee`), for lifecycle actions and the result document alike.
pub fn is_own_work(principal: Principal, assignee: Option<&str>, name: &str) -> bool {
    !matches!(principal, Principal::Staff(Role::Specialist)) || assignee.is_none_or(|a| a == name)
}

/// Whether `last` is exactly what a request for `action` with `note` and
/// `assignee` asks (a double click that lost the race to itself): same
/// action, same note, same choice of assignee. Actions with richer choices
/// (dates, documents, delivery) never count, so they are never taken as done.
pub fn repeats(last: &Event, action: &str, note: &str, assignee: &str) -> bool {
    let note = crate::text::nfc(note);
    let same_note = last.note.as_deref().unwrap_or("") == note.trim();
    let plain = matches!(
        last.action,
        Action::Receive
            | Action::RefuseIntake
            | Action::Propose
            | Action::Approve
            | Action::SendBack
            | Action::Reject
            | Action::Withdraw
    );
    let assign =
        last.action == Action::Assign && last.payload.assignee.as_deref() == Some(assignee);
    last.action.as_str() == action && same_note && (plain || assign)
}

/// The actions `asker` could take now on a dossier in `state` that `owes`
/// a fee or not ([`owes`]).
pub fn offered(state: &Projection, asker: &Asker<'_>, owes: bool) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| !matches!(a, Action::Submit | Action::CreateAtCounter))
        .filter(|a| may(state, asker, *a, owes).is_ok())
        .collect()
}

/// Where a reception leads: a dossier of a pay-first procedure that owes
/// waits for payment (with its clock as the procedure says), the others
/// are received.
pub fn reception_status(
    procedure: &Procedure,
    answers: &crate::declaration::Answers,
    online: bool,
) -> (Status, Option<crate::fees::PayClock>) {
    match crate::fees::waits_for_payment(procedure, answers, online) {
        Some(clock) => (Status::AwaitingPayment, Some(clock)),
        None => (Status::Received, None),
    }
}

/// When an unpaid dossier received at `received_at` stops: its procedure's
/// days to pay, counted in calendar days, at the same time of day.
pub fn unpaid_expiry(procedure: &Procedure, received_at: OffsetDateTime) -> Option<OffsetDateTime> {
    procedure
        .pay_first
        .map(|f| received_at + time::Duration::days(i64::from(f.expire_days)))
}

/// A note as written: printable, at most 2000 characters, required by some actions.
fn checked_note(action: Action, raw: Option<&str>) -> Result<Option<String>, Problem> {
    let note = match raw.map(crate::text::printable_text) {
        None => None,
        Some(Ok(n)) => Some(n).filter(|n| !n.is_empty()),
        Some(Err(c)) => {
            return Err(Problem::invalid(
                "unprintable_note",
                "note",
                format!(
                    "Ký tự \"{c}\" (U+{:04X}) không in được trên giấy tờ; hãy bỏ hoặc thay ký tự này",
                    u32::from(c)
                ),
            ));
        }
    };
    if needs_note(action) && note.is_none() {
        return Err(Problem::invalid(
            "note_required",
            "note",
            "Cần ghi rõ lý do",
        ));
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(Problem::invalid(
            "note_too_long",
            "note",
            "Ghi chú tối đa 2000 ký tự",
        ));
    }
    Ok(note)
}

/// What a correction changes, field by field: {"field": {"from": …, "to": …}}.
fn applicant_changes(on_file: &ApplicantOnFile, fixed: &Applicant) -> BTreeMap<String, Change> {
    let dob = fixed.date_of_birth.to_string();
    let pairs: [(&str, Option<&str>, Option<&str>); 6] = [
        (
            "full_name",
            Some(&on_file.full_name),
            Some(&fixed.full_name),
        ),
        (
            "id_number",
            Some(&on_file.id_number),
            Some(&fixed.id_number),
        ),
        ("date_of_birth", Some(&on_file.date_of_birth), Some(&dob)),
        ("phone", Some(&on_file.phone), Some(&fixed.phone)),
        ("email", on_file.email.as_deref(), fixed.email.as_deref()),
        ("address", Some(&on_file.address), Some(&fixed.address)),
    ];
    pairs
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| {
            (
                field.to_string(),
                Change {
                    from: from.map(str::to_string),
                    to: to.map(str::to_string),
                },
            )
        })
        .collect()
}

/// What a cash payment takes: the dossier's fee lines (at the online price
/// for an online dossier), or where the province sets the amount, the one
/// the officer enters with its basis in the note. The receipt's number is
/// the store's to allocate.
fn payment_facts(
    facts: &Facts<'_>,
    amount_vnd: Option<u64>,
    noted: bool,
) -> Result<crate::payload::PaymentFacts, Problem> {
    // Whether anything is owed was asked by `may`.
    let q = crate::fees::quote(facts.procedure, facts.answers, facts.channel == "online");
    if amount_vnd.is_some_and(|v| v > crate::fees::MAX_VND) {
        return Err(Problem::invalid(
            "amount_too_large",
            "amount_vnd",
            "Số tiền quá lớn; kiểm tra lại số đã nhập",
        ));
    }
    let (lines, total_vnd) = match (&q.set_by_province, amount_vnd) {
        (Some(_), Some(vnd)) if vnd > 0 => {
            if !noted {
                return Err(Problem::invalid(
                    "note_required",
                    "note",
                    "Ghi căn cứ của mức thu do tỉnh quy định",
                ));
            }
            let line = crate::fees::FeeLine {
                charge: facts.procedure.charge.unwrap_or_default(),
                label: facts.procedure.name.clone(),
                vnd,
            };
            (vec![line], vnd)
        }
        (Some(_), _) => {
            return Err(Problem::invalid(
                "amount_required",
                "amount_vnd",
                "Tỉnh quy định mức thu của thủ tục này: nhập số tiền (đồng) và ghi căn cứ",
            ));
        }
        (None, _) => (q.lines, q.total_vnd),
    };
    Ok(crate::payload::PaymentFacts {
        method: "cash".into(),
        lines,
        total_vnd,
        receipt: String::new(),
        series: None,
        template_symbol: None,
        order: None,
    })
}

/// Decide a request on a dossier: every rule of the action, in one place.
pub fn decide(
    facts: &Facts<'_>,
    asker: &Asker<'_>,
    req: &Request<'_>,
) -> Result<Decision, Problem> {
    let (action, _) = admit(asker, req.raw.action)?;
    let note = checked_note(action, req.raw.note)?;
    let command = Command::parse(action, &req.raw)?;
    let mut payload = Payload::default();
    let mut effects = Effects::default();
    match &command {
        Command::Assign { assignee } => {
            if !facts.specialists.iter().any(|s| s == assignee) {
                return Err(Problem::invalid(
                    "bad_assignee",
                    "assignee",
                    "Người được giao phải là chuyên viên của đơn vị",
                ));
            }
            payload.assignee = Some(assignee.clone());
        }
        Command::Apologize { new_due } => {
            let floor = facts.state.due_at.map_or(facts.now, |d| d.max(facts.now));
            if *new_due <= floor {
                return Err(Problem::invalid(
                    "bad_new_due",
                    "new_due",
                    "Ngày hẹn mới phải sau ngày hẹn hiện tại và sau thời điểm này",
                ));
            }
            let text = new_due
                .to_offset(VN_OFFSET)
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    Problem::invalid("bad_new_due", "new_due", "Ngày hẹn mới không hợp lệ")
                })?;
            payload.new_due = Some(text);
        }
        Command::RequestSupplement {
            missing,
            confirm_late,
        } => {
            if facts.state.supplement_requests > 0 && *confirm_late {
                payload.late_confirmed = Some(true);
            }
            // A document, or a question of the declaration (`fields.<key>`)
            // for the citizen to correct online.
            let known = |m: &str| match m.strip_prefix("fields.") {
                Some(key) => facts
                    .procedure
                    .declaration
                    .as_ref()
                    .is_some_and(|d| d.field(key).is_some()),
                None => facts.procedure.documents.iter().any(|d| d.code == m),
            };
            if let Some(m) = missing.iter().find(|m| !known(m)) {
                return Err(Problem::invalid(
                    "unknown_document",
                    "missing",
                    format!("Thủ tục không có giấy tờ hay câu hỏi tờ khai mã \"{m}\""),
                ));
            }
            payload.missing = Some(missing.clone());
        }
        Command::ReturnResult { delivery } => {
            payload.delivery = Some(delivery.clone());
        }
        Command::Supplement { documents, answers } => {
            payload.documents = Some(documents.clone());
            if !answers.is_empty() {
                let Some(decl) = &facts.procedure.declaration else {
                    return Err(Problem::invalid(
                        "no_declaration",
                        "answers",
                        "Thủ tục này không có tờ khai điện tử",
                    ));
                };
                let mut merged = facts.answers.clone();
                merged.extend(answers.iter().map(|(k, v)| (k.clone(), v.clone())));
                let today = facts.now.to_offset(VN_OFFSET).date();
                let checked = decl.validate(&merged, today).map_err(|all| {
                    all.into_iter().next().unwrap_or_else(|| {
                        Problem::invalid("bad_answer", "answers", "Tờ khai không hợp lệ")
                    })
                })?;
                // What changed, question by question, as a correction records it.
                let changes: BTreeMap<String, Change> = checked
                    .keys()
                    .chain(facts.answers.keys())
                    .filter(|k| checked.get(*k) != facts.answers.get(*k))
                    .map(|k| {
                        (
                            k.clone(),
                            Change {
                                from: facts.answers.get(k).cloned(),
                                to: checked.get(k).cloned(),
                            },
                        )
                    })
                    .collect();
                if !changes.is_empty() {
                    payload.answers = Some(changes);
                    effects.answers = Some(checked);
                }
            }
        }
        Command::ReissueKey => effects.new_key = true,
        Command::CorrectApplicant { applicant } => {
            let fixed = applicant.validate(facts.now.to_offset(VN_OFFSET).date())?;
            let changes = applicant_changes(facts.applicant, &fixed);
            if changes.is_empty() {
                return Err(Problem::invalid(
                    "nothing_changed",
                    "applicant",
                    "Thông tin người nộp không có gì thay đổi",
                ));
            }
            payload.applicant = Some(changes);
            effects.applicant = Some(fixed);
        }
        Command::Route { to_unit } => {
            if !facts.route_targets.iter().any(|u| u == to_unit) {
                return Err(Problem::invalid(
                    "bad_unit",
                    "to_unit",
                    format!(
                        "\"{to_unit}\" không phải đơn vị cấp xã khác trong cùng tỉnh với đơn vị tiếp nhận"
                    ),
                ));
            }
            payload.to_unit = Some(to_unit.clone());
        }
        // The amount is checked once the action is known to be allowed (below).
        Command::RecordPayment { .. } => {}
        Command::VoidReceipt { receipt } | Command::RefundPayment { receipt } => {
            payload.receipt = Some(receipt.clone())
        }
        Command::ExpireUnpaid => {}
        Command::Receive
        | Command::RefuseIntake
        | Command::Propose
        | Command::Approve
        | Command::SendBack
        | Command::Reject
        | Command::Withdraw => {}
    }
    payload.via = Some(req.via);
    if facts.state.version != req.version {
        return Err(Problem::new(
            ProblemKind::Conflict,
            "stale_version",
            format!(
                "Hồ sơ đã thay đổi (phiên bản {} thay vì {}); vui lòng tải lại",
                facts.state.version, req.version
            ),
        )
        .with_field("version"));
    }
    let owes = owes(facts.procedure, facts.answers, facts.channel);
    let (principal, mut to) = may(facts.state, asker, action, owes)?;
    let mut note = note;
    match &command {
        Command::RecordPayment { amount_vnd, method } => {
            // Cash is taken by people at the counter; an online channel's
            // payment is recorded by motcua when the channel confirms it, or
            // by the accountant from the bank's statement, saying which credit.
            let online = method != "cash";
            let by_books = principal == Principal::Staff(Role::Accountant) && note.is_some();
            let allowed = if online {
                principal == Principal::System || by_books
            } else {
                principal != Principal::System
            };
            if !allowed {
                return Err(forbidden(action));
            }
            // Money received online is what it is: the dossier's fee, read
            // here in the payment's transaction, must be exactly that amount.
            let mut facts = if online {
                let paid = payment_facts(facts, None, note.is_some())?;
                if *amount_vnd != Some(paid.total_vnd) {
                    let fmt = crate::text::format_vnd;
                    return Err(Problem::conflict(
                        "amount_changed",
                        format!(
                            "Số tiền đã nhận ({}) khác số tiền hồ sơ phải nộp ({})",
                            amount_vnd.map_or_else(|| "không rõ".to_string(), fmt),
                            fmt(paid.total_vnd)
                        ),
                    ));
                }
                paid
            } else {
                payment_facts(facts, *amount_vnd, note.is_some())?
            };
            facts.method = method.clone();
            payload.payment = Some(facts);
        }
        Command::Receive => {
            let (status, clock) =
                reception_status(facts.procedure, facts.answers, facts.channel == "online");
            to = status;
            payload.pay_clock = clock;
        }
        Command::ExpireUnpaid => {
            let expiry = facts
                .state
                .received_at
                .and_then(|r| unpaid_expiry(facts.procedure, r));
            if expiry.is_none_or(|e| facts.now < e) {
                return Err(Problem::conflict(
                    "not_expired",
                    "Hồ sơ chưa hết thời hạn nộp phí, lệ phí",
                ));
            }
            note = Some(format!(
                "Quá {} ngày kể từ khi tiếp nhận mà chưa nộp phí, lệ phí",
                facts.procedure.pay_first.map_or(0, |f| f.expire_days)
            ));
        }
        _ => {}
    }
    // A warning, not a rule of the lifecycle: asked once everything else holds.
    if let Command::RequestSupplement { confirm_late, .. } = &command
        && facts.state.supplement_requests > 0
        && !confirm_late
    {
        return Err(second_supplement_warning());
    }
    let mut projection = facts.state.clone();
    let mut event = Event {
        seq: facts.state.version + 1,
        at: facts.now,
        actor: asker.name().to_string(),
        role: principal.as_str().to_string(),
        action,
        from_status: Some(facts.state.status),
        to_status: to,
        note,
        payload,
        frozen: Default::default(),
    };
    projection.apply(&event, facts.procedure.processing, facts.cal)?;
    event.record_time_facts(&projection);
    // Only an online dossier's reception can happen here (counter dossiers
    // are received when created), and online dossiers are digitized by
    // nature; for the others the reception part of before and after is the
    // same and cancels out.
    let channel = facts
        .channel
        .parse()
        .unwrap_or(crate::lifecycle::Channel::Counter);
    let index_facts = IndexFacts::of(channel, facts.procedure, true, facts.e_result);
    let index = crate::index::deltas(Some(facts.state), &projection, index_facts);
    // Routing hands the competent unit's counters (2.1's, so far) to the
    // unit that decides from now on (Decree 118/2025, art. 14).
    let moved = if action == Action::Route {
        crate::index::contribution(&projection, index_facts)
            .into_iter()
            .filter(|d| d.metric.side() == crate::index::Side::Competent)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Decision {
        event,
        projection,
        index,
        moved,
        effects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Status;

    fn state(status: Status, assignee: Option<&str>) -> Projection {
        Projection {
            status,
            paused_from: (status == Status::AwaitingSupplement).then_some(Status::Processing),
            assignee: assignee.map(str::to_string),
            received_at: None,
            due_at: None,
            pause_remaining: None,
            paused_at: None,
            supplement_requests: 0,
            finished_at: None,
            returned_at: None,
            apologized: false,
            routed: false,
            ended_waiting: false,
            paid: false,
            version: 3,
        }
    }

    fn askers() -> Vec<(&'static str, Asker<'static>)> {
        vec![
            ("citizen", Asker::Citizen),
            (
                "receptionist",
                Asker::Staff {
                    name: "r",
                    roles: &[Role::Receptionist],
                },
            ),
            (
                "specialist",
                Asker::Staff {
                    name: "s",
                    roles: &[Role::Specialist],
                },
            ),
            (
                "other_specialist",
                Asker::Staff {
                    name: "s2",
                    roles: &[Role::Specialist],
                },
            ),
            (
                "leader",
                Asker::Staff {
                    name: "l",
                    roles: &[Role::Leader],
                },
            ),
            (
                "unit_admin",
                Asker::Staff {
                    name: "ua",
                    roles: &[Role::UnitAdmin],
                },
            ),
            (
                "province_supervisor",
                Asker::Staff {
                    name: "ps",
                    roles: &[Role::ProvinceSupervisor],
                },
            ),
            (
                "admin",
                Asker::Staff {
                    name: "a",
                    roles: &[Role::Admin],
                },
            ),
            (
                "accountant",
                Asker::Staff {
                    name: "k",
                    roles: &[Role::Accountant],
                },
            ),
            ("system", Asker::System),
        ]
    }

    /// Who may do what in which state, written out by hand from the
    /// lifecycle of DESIGN.md (the dossier is assigned to "specialist", it
    /// owes a fee; "+paid": a receipt is in force).
    /// Adding a role, an action or a state extends this table.
    const TABLE: &str = "
submitted                 | citizen             | withdraw
submitted                 | receptionist        | receive refuse_intake withdraw reissue_key correct_applicant
received                  | citizen             | withdraw
received                  | receptionist        | assign request_supplement withdraw apologize reissue_key correct_applicant route record_payment
received                  | specialist          | request_supplement
received                  | leader              | assign apologize
received                  | accountant          | record_payment
received                  | system              | record_payment
processing                | citizen             | withdraw
processing                | receptionist        | assign request_supplement withdraw apologize reissue_key correct_applicant record_payment
processing                | specialist          | request_supplement propose
processing                | leader              | assign reject apologize
processing                | accountant          | record_payment
processing                | system              | record_payment
awaiting_supplement       | citizen             | supplement withdraw
awaiting_supplement       | receptionist        | supplement withdraw apologize reissue_key correct_applicant record_payment
awaiting_supplement       | leader              | apologize
awaiting_supplement       | accountant          | record_payment
awaiting_supplement       | system              | record_payment
awaiting_approval         | receptionist        | apologize reissue_key correct_applicant record_payment
awaiting_approval         | leader              | approve send_back reject apologize
awaiting_approval         | accountant          | record_payment
awaiting_approval         | system              | record_payment
result_ready              | receptionist        | return_result apologize reissue_key correct_applicant record_payment
result_ready              | leader              | apologize
result_ready              | accountant          | record_payment
result_ready              | system              | record_payment
returned                  | receptionist        | reissue_key correct_applicant record_payment
returned                  | accountant          | record_payment
returned                  | system              | record_payment
refused                   | receptionist        | reissue_key correct_applicant
rejected                  | receptionist        | reissue_key correct_applicant
withdrawn                 | receptionist        | reissue_key correct_applicant
awaiting_payment          | citizen             | withdraw
awaiting_payment          | receptionist        | withdraw reissue_key correct_applicant record_payment
awaiting_payment          | accountant          | record_payment
awaiting_payment          | system              | record_payment expire_unpaid
stopped                   | receptionist        | reissue_key correct_applicant
submitted+paid            | citizen             | withdraw
submitted+paid            | receptionist        | receive refuse_intake withdraw reissue_key correct_applicant
submitted+paid            | accountant          | void_receipt refund_payment
received+paid             | citizen             | withdraw
received+paid             | receptionist        | assign request_supplement withdraw apologize reissue_key correct_applicant route
received+paid             | specialist          | request_supplement
received+paid             | leader              | assign apologize
received+paid             | accountant          | void_receipt refund_payment
processing+paid           | citizen             | withdraw
processing+paid           | receptionist        | assign request_supplement withdraw apologize reissue_key correct_applicant
processing+paid           | specialist          | request_supplement propose
processing+paid           | leader              | assign reject apologize
processing+paid           | accountant          | void_receipt refund_payment
awaiting_supplement+paid  | citizen             | supplement withdraw
awaiting_supplement+paid  | receptionist        | supplement withdraw apologize reissue_key correct_applicant
awaiting_supplement+paid  | leader              | apologize
awaiting_supplement+paid  | accountant          | void_receipt refund_payment
awaiting_approval+paid    | receptionist        | apologize reissue_key correct_applicant
awaiting_approval+paid    | leader              | approve send_back reject apologize
awaiting_approval+paid    | accountant          | void_receipt refund_payment
result_ready+paid         | receptionist        | return_result apologize reissue_key correct_applicant
result_ready+paid         | leader              | apologize
result_ready+paid         | accountant          | void_receipt refund_payment
returned+paid             | receptionist        | reissue_key correct_applicant
returned+paid             | accountant          | void_receipt refund_payment
refused+paid              | receptionist        | reissue_key correct_applicant
refused+paid              | accountant          | void_receipt refund_payment
rejected+paid             | receptionist        | reissue_key correct_applicant
rejected+paid             | accountant          | void_receipt refund_payment
withdrawn+paid            | receptionist        | reissue_key correct_applicant
withdrawn+paid            | accountant          | void_receipt refund_payment
awaiting_payment+paid     | citizen             | withdraw
awaiting_payment+paid     | receptionist        | withdraw reissue_key correct_applicant
awaiting_payment+paid     | accountant          | void_receipt refund_payment
stopped+paid              | receptionist        | reissue_key correct_applicant
stopped+paid              | accountant          | void_receipt refund_payment
";

    /// What the table says for (state, asker); nothing when it has no line.
    fn expected(status: &str, asker: &str) -> Vec<String> {
        let mut out: Vec<String> = TABLE
            .lines()
            .filter_map(|l| {
                let mut parts = l.split('|').map(str::trim);
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(s), Some(a), Some(actions)) if s == status && a == asker => Some(
                        actions
                            .split_whitespace()
                            .map(str::to_string)
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                }
            })
            .flatten()
            .collect();
        out.sort();
        out
    }

    static NO_ANSWERS: std::sync::LazyLock<crate::declaration::Answers> =
        std::sync::LazyLock::new(Default::default);

    /// Another commune of the same province, the one routing tests name.
    static ROUTE_TARGETS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| vec!["30115".to_string()]);

    fn facts<'a>(
        st: &'a Projection,
        on_file: &'a ApplicantOnFile,
        procedure: &'a Procedure,
        cal: &'a WorkCalendar,
        specialists: &'a [String],
    ) -> Facts<'a> {
        Facts {
            state: st,
            channel: "online",
            applicant: on_file,
            procedure,
            cal,
            specialists,
            route_targets: &ROUTE_TARGETS,
            e_result: false,
            answers: &NO_ANSWERS,
            now: time::macros::datetime!(2026-03-02 09:00 +7),
        }
    }

    #[test]
    fn what_is_offered_is_the_literal_table_and_exactly_what_decide_accepts() {
        let mut procedure = crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .into_iter()
            // A fee to pay, so that a payment is accepted where offered.
            .find(|p| !p.documents.is_empty() && matches!(p.fee, crate::catalog::Fee::Flat { .. }))
            .expect("a procedure with documents and a fee");
        // Paid first, three days to pay: the wait began long before `now`.
        procedure.pay_first = Some(crate::fees::PayFirst {
            clock: crate::fees::PayClock::NotStarted,
            expire_days: 3,
        });
        let doc = procedure.documents[0].code.clone();
        let cal = WorkCalendar::vietnam();
        let specialists = vec!["s".to_string()];
        let on_file = ApplicantOnFile {
            full_name: "Trần Thị Mai".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 2".into(),
        };
        let fixed = ApplicantInput {
            full_name: "Trần Thị Mai".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 3, xã Mỹ Hiệp".into(),
        };
        let missing = vec![doc.clone()];
        let documents = [doc.as_str()];
        let mut lines = 0;
        for (st, paid) in Status::ALL.iter().flat_map(|s| [(s, false), (s, true)]) {
            let mut state = state(*st, Some("s"));
            state.paid = paid;
            if *st == Status::AwaitingPayment {
                state.received_at = Some(time::macros::datetime!(2026-02-02 09:00 +7));
            }
            let key = format!("{st}{}", if paid { "+paid" } else { "" });
            for (name, asker) in askers() {
                let mut got: Vec<String> = offered(&state, &asker, true)
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect();
                got.sort();
                let want = expected(&key, name);
                lines += usize::from(!want.is_empty());
                assert_eq!(got, want, "{key} as {name}");
                // decide accepts a well-formed request exactly for what is offered.
                for action in Action::ALL
                    .iter()
                    .filter(|a| !matches!(a, Action::Submit | Action::CreateAtCounter))
                {
                    let raw = RawCommand {
                        action: action.as_str(),
                        note: Some("lý do"),
                        assignee: Some("s"),
                        new_due: Some("2030-01-02T10:00"),
                        missing: &missing,
                        documents: &documents,
                        applicant: Some(&fixed),
                        to_unit: Some("30115"),
                        receipt: Some("2026-000001"),
                        // motcua records what an online channel confirmed.
                        method: (name == "system").then_some("vnpay"),
                        // …for the amount received, the dossier's fee.
                        amount_vnd: (name == "system")
                            .then(|| crate::fees::quote(&procedure, &NO_ANSWERS, true).total_vnd),
                        ..RawCommand::default()
                    };
                    let req = Request {
                        raw,
                        version: 3,
                        via: Via::Direct,
                    };
                    let ok = decide(
                        &facts(&state, &on_file, &procedure, &cal, &specialists),
                        &asker,
                        &req,
                    );
                    assert_eq!(
                        ok.is_ok(),
                        want.iter().any(|w| w == action.as_str()),
                        "{key} as {name} doing {action}: {:?}",
                        ok.err()
                    );
                }
            }
        }
        assert_eq!(
            lines,
            TABLE.lines().filter(|l| !l.trim().is_empty()).count()
        );
    }

    #[test]
    fn a_stale_version_and_a_missing_reason_are_refused() {
        let procedure = crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .remove(0);
        let cal = WorkCalendar::vietnam();
        let on_file = ApplicantOnFile {
            full_name: "A".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 2".into(),
        };
        let state = state(Status::Submitted, None);
        let receptionist = Asker::Staff {
            name: "r",
            roles: &[Role::Receptionist],
        };
        let f = facts(&state, &on_file, &procedure, &cal, &[]);
        let req = |action: &'static str, note: Option<&'static str>, version| Request {
            raw: RawCommand {
                action,
                note,
                ..RawCommand::default()
            },
            version,
            via: Via::Api,
        };
        let e = decide(&f, &receptionist, &req("receive", None, 2)).expect_err("stale");
        assert_eq!(e.code, "stale_version");
        let e = decide(&f, &receptionist, &req("refuse_intake", None, 3)).expect_err("note");
        assert_eq!(e.code, "note_required");
        let d = decide(&f, &receptionist, &req("receive", None, 3)).expect("receive");
        assert_eq!(d.event.seq, 4);
        assert_eq!(d.event.payload.via, Some(Via::Api));
        // The due instant it set is recorded in the event itself.
        assert!(d.event.payload.due_at.is_some(), "{:?}", d.event.payload);
        assert_eq!(d.projection.status, Status::Received);
    }

    #[test]
    fn a_second_supplement_request_needs_the_officer_to_confirm_it_counts_late() {
        let procedure = crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .remove(0);
        let doc = procedure.documents[0].code.clone();
        let cal = WorkCalendar::vietnam();
        let on_file = ApplicantOnFile {
            full_name: "A".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 2".into(),
        };
        let receptionist = Asker::Staff {
            name: "r",
            roles: &[Role::Receptionist],
        };
        let missing = vec![doc];
        let req = |confirm_late| Request {
            raw: RawCommand {
                action: "request_supplement",
                note: Some("Thiếu bản sao"),
                missing: &missing,
                confirm_late,
                ..RawCommand::default()
            },
            version: 3,
            via: Via::Page,
        };
        let mut first = state(Status::Received, None);
        let d = decide(
            &facts(&first, &on_file, &procedure, &cal, &[]),
            &receptionist,
            &req(false),
        )
        .expect("the first request needs no confirmation");
        assert_eq!(d.projection.supplement_requests, 1);
        assert_eq!(d.event.payload.late_confirmed, None);
        first.supplement_requests = 1;
        let e = decide(
            &facts(&first, &on_file, &procedure, &cal, &[]),
            &receptionist,
            &req(false),
        )
        .expect_err("a second request is held for confirmation");
        assert_eq!(e.code, "second_supplement_counts_late");
        assert_eq!(e.field.as_deref(), Some("confirm_late"));
        let d = decide(
            &facts(&first, &on_file, &procedure, &cal, &[]),
            &receptionist,
            &req(true),
        )
        .expect("confirmed");
        assert_eq!(d.projection.supplement_requests, 2);
        assert_eq!(d.event.payload.late_confirmed, Some(true));
    }

    #[test]
    fn only_the_same_plain_request_counts_as_a_repeat() {
        let event = |action: Action, note: Option<&str>, assignee: Option<&str>| Event {
            seq: 4,
            at: OffsetDateTime::UNIX_EPOCH,
            actor: "r".into(),
            role: "receptionist".into(),
            action,
            from_status: None,
            to_status: Status::Processing,
            note: note.map(str::to_string),
            payload: Payload {
                assignee: assignee.map(str::to_string),
                ..Default::default()
            },
            frozen: Default::default(),
        };
        let approve = event(Action::Approve, Some("Đồng ý"), None);
        assert!(repeats(&approve, "approve", " Đồng ý ", ""));
        assert!(!repeats(&approve, "approve", "Đồng ý khác", ""));
        assert!(!repeats(&approve, "reject", "Đồng ý", ""));
        let assign = event(Action::Assign, None, Some("s"));
        assert!(repeats(&assign, "assign", "", "s"));
        assert!(!repeats(&assign, "assign", "", "s2"));
        // A supplement request names documents: never taken as done.
        let supplement = event(Action::RequestSupplement, Some("Thiếu"), None);
        assert!(!repeats(&supplement, "request_supplement", "Thiếu", ""));
    }

    #[test]
    fn a_dossier_is_routed_once_to_another_unit_of_the_province() {
        let procedure = crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .remove(0);
        let cal = WorkCalendar::vietnam();
        let on_file = ApplicantOnFile {
            full_name: "A".into(),
            id_number: "087188001234".into(),
            date_of_birth: "1988-04-12".into(),
            phone: "0912345678".into(),
            email: None,
            address: "Ấp 2".into(),
        };
        let receptionist = Asker::Staff {
            name: "r",
            roles: &[Role::Receptionist],
        };
        let req = |to_unit: Option<&'static str>| Request {
            raw: RawCommand {
                action: "route",
                to_unit,
                ..RawCommand::default()
            },
            version: 3,
            via: Via::Page,
        };
        let mut st = state(Status::Received, None);
        st.due_at = Some(time::macros::datetime!(2026-03-05 09:00 +7));
        let f = facts(&st, &on_file, &procedure, &cal, &[]);
        let e = decide(&f, &receptionist, &req(None)).expect_err("no unit");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("to_unit_required", Some("to_unit"))
        );
        let e = decide(&f, &receptionist, &req(Some("79001"))).expect_err("not in the list");
        assert_eq!((e.code, e.field.as_deref()), ("bad_unit", Some("to_unit")));
        let d = decide(&f, &receptionist, &req(Some("30115"))).expect("routed");
        assert_eq!(d.event.payload.to_unit.as_deref(), Some("30115"));
        assert_eq!(d.event.to_status, Status::Received);
        // The due instant set at reception stands; no counter moves.
        assert_eq!(d.projection.due_at, st.due_at);
        assert!(d.projection.routed);
        assert!(d.index.is_empty(), "{:?}", d.index);
        let e = decide(
            &facts(&d.projection, &on_file, &procedure, &cal, &[]),
            &receptionist,
            &Request {
                version: 4,
                ..req(Some("30115"))
            },
        )
        .expect_err("routed once");
        assert_eq!(e.code, "already_routed");
        assert!(!offered(&d.projection, &receptionist, true).contains(&Action::Route));
    }
}
