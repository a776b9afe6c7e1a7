//! The dossier page (`/can-bo/ho-so/{code}`) and its actions: the timeline,
//! the due-date story, and only the actions the domain allows this officer.

use super::*;

pub(super) struct DocView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) filename: String,
    pub(super) size: String,
    /// "image", "pdf", "paper" or "file".
    pub(super) kind: &'static str,
    pub(super) added: String,
}

pub(super) struct EventView {
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) role: String,
    pub(super) action: String,
    pub(super) detail: String,
    pub(super) note: String,
}

pub(super) struct PauseView {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) held: String,
    pub(super) remaining: String,
    pub(super) due_after: String,
    pub(super) note: String,
}

pub(super) struct ApologyView {
    pub(super) at: String,
    pub(super) new_due: String,
    pub(super) note: String,
}

/// How the due date came to be, from the events.
pub(super) struct Timing {
    pub(super) processing: String,
    pub(super) received: String,
    pub(super) first_due: String,
    pub(super) pauses: Vec<PauseView>,
    pub(super) apologies: Vec<ApologyView>,
    pub(super) due: String,
    pub(super) remaining: String,
}

pub(super) struct ActionForm {
    pub(super) action: &'static str,
    pub(super) label: String,
    pub(super) help: String,
    /// "plain", "assign", "request_supplement", "apologize", "supplement" or "return_result".
    pub(super) kind: &'static str,
    pub(super) needs_note: bool,
    pub(super) note: String,
    pub(super) danger: bool,
    pub(super) error: Option<String>,
    /// The field the error is about ("note", "assignee", "new_due", …).
    pub(super) error_field: String,
}

/// One input of the correction form.
pub(super) struct FixField {
    pub(super) name: &'static str,
    pub(super) label: String,
    pub(super) value: String,
    /// The input's type: "text", "date", "tel" or "email".
    pub(super) kind: &'static str,
}

/// An applicant field as officers read it.
pub(super) fn applicant_field_label(c: &Ctx, field: &str) -> &'static str {
    match field {
        "full_name" => c.tr("Họ và tên", "Full name"),
        "id_number" => c.tr("Số định danh cá nhân", "Personal ID number"),
        "date_of_birth" => c.tr("Ngày sinh", "Date of birth"),
        "phone" => c.tr("Số điện thoại", "Phone"),
        "email" => c.tr("Thư điện tử", "Email"),
        "address" => c.tr("Địa chỉ", "Address"),
        _ => "",
    }
}

/// What a leader approves: the electronic result (if any) and its signature.
pub(super) struct ApprovalCard {
    /// The attached result's file name; none for a paper-only result.
    pub(super) result: Option<String>,
    /// "Đã ký số bởi …", once signed.
    pub(super) signed: Option<String>,
    /// Offered "Ký và phê duyệt": an unsigned result and a certificate in force.
    pub(super) can_sign: bool,
}

pub(super) struct SuppDoc {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) error: Option<String>,
}

pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) checked: bool,
}

#[derive(Template)]
#[template(path = "office_dossier.html")]
pub(super) struct DossierPage {
    pub(super) c: Ctx,
    pub(super) code: String,
    pub(super) version: i64,
    pub(super) procedure: String,
    pub(super) procedure_code: String,
    /// The catalog version the dossier was received under (its time limit and fee).
    pub(super) catalog_version: i64,
    pub(super) unit: String,
    pub(super) channel: String,
    pub(super) status: String,
    pub(super) late: bool,
    pub(super) paused: bool,
    pub(super) apologized: bool,
    pub(super) assignee: String,
    pub(super) applicant: Vec<(String, String)>,
    pub(super) submitted: String,
    pub(super) finished: String,
    pub(super) returned: String,
    pub(super) timing: Timing,
    pub(super) documents: Vec<DocView>,
    pub(super) events: Vec<EventView>,
    pub(super) actions: Vec<ActionForm>,
    pub(super) assignees: Vec<Choice>,
    /// The units a dossier may be routed to (Decree 118/2025, art. 14).
    pub(super) route_units: Vec<Choice>,
    pub(super) approval: Option<ApprovalCard>,
    /// What is owed and paid.
    pub(super) fees: FeesView,
    pub(super) amount_vnd: String,
    pub(super) has_receipt: bool,
    pub(super) has_result_page: bool,
    /// The unit whose center received it, when another unit decides it.
    pub(super) received_by: String,
    /// The declaration as answered: its title and (section, [(question, answer)]).
    pub(super) declaration_title: String,
    pub(super) declaration: Answered,
    /// Why there is no electronic declaration, when there is none.
    pub(super) declaration_note: String,
    pub(super) missing: Vec<Choice>,
    /// Supplements were asked before: a new request needs the officer's
    /// confirmation that the dossier will count as late.
    pub(super) asked_before: i64,
    pub(super) confirm_late: bool,
    pub(super) supplement_docs: Vec<SuppDoc>,
    pub(super) new_due: String,
    /// Result delivery choices of the return form, and what was typed.
    pub(super) deliveries: Vec<Choice>,
    pub(super) postal_address: String,
    pub(super) tracking_number: String,
    /// The applicant's details in the correction form.
    pub(super) fix_fields: Vec<FixField>,
    /// How the result was delivered, once returned.
    pub(super) delivery: String,
    /// Printable forms that apply now: (href, label).
    pub(super) forms: Vec<(String, String)>,
    pub(super) notice: Option<String>,
    pub(super) conflict: Option<String>,
    pub(super) kept_note: Option<String>,
    pub(super) errors: Vec<ErrorLine>,
}

pub(super) fn action_help(c: &Ctx, a: Action) -> &'static str {
    match a {
        Action::Receive => c.tr(
            "Hồ sơ đầy đủ: tiếp nhận và bắt đầu tính thời hạn giải quyết.",
            "The dossier is complete: receive it and start the clock.",
        ),
        Action::RefuseIntake => c.tr(
            "Hồ sơ không thuộc thẩm quyền hoặc không hợp lệ: từ chối và ghi rõ lý do.",
            "Not for this center or not valid: refuse and say why.",
        ),
        Action::Assign => c.tr(
            "Chuyển hồ sơ cho chuyên viên xử lý.",
            "Hand the dossier to a specialist.",
        ),
        Action::RequestSupplement => c.tr(
            "Thời hạn tạm dừng cho đến khi người dân bổ sung.",
            "The clock stops until the citizen supplies the documents.",
        ),
        Action::Supplement => c.tr(
            "Người dân mang giấy tờ bổ sung đến quầy: đính kèm bản quét hoặc xác nhận bản giấy.",
            "The citizen brought the missing papers: attach scans or confirm the paper copies.",
        ),
        Action::Propose => c.tr(
            "Trình lãnh đạo phê duyệt kết quả.",
            "Send the result to the leader for approval.",
        ),
        Action::Approve => c.tr(
            "Phê duyệt kết quả; hồ sơ chuyển sang chờ trả.",
            "Approve the result; it is then ready to return.",
        ),
        Action::SendBack => c.tr(
            "Trả lại chuyên viên để xử lý lại, ghi rõ lý do.",
            "Send back to the specialist, saying why.",
        ),
        Action::Reject => c.tr(
            "Từ chối giải quyết, ghi rõ lý do.",
            "Refuse to grant, saying why.",
        ),
        Action::ReturnResult => c.tr(
            "Người dân đã nhận kết quả.",
            "The citizen has collected the result.",
        ),
        Action::Withdraw => c.tr(
            "Người dân rút hồ sơ, ghi rõ lý do.",
            "The citizen withdraws the dossier.",
        ),
        Action::Apologize => c.tr(
            "Hồ sơ sẽ trễ hạn: lập phiếu xin lỗi và hẹn lại ngày trả (vẫn tính là trễ hạn).",
            "The dossier will be late: apologize and set a new date (it stays counted as late).",
        ),
        Action::ReissueKey => c.tr(
            "Người dân mất mã tra cứu: cấp mã mới (mã cũ hết hiệu lực) và in lại giấy tiếp nhận có mã mới.",
            "The citizen lost the lookup key: issue a new one (the old one stops working) and reprint the receipt with it.",
        ),
        Action::CorrectApplicant => c.tr(
            "Thông tin người nộp bị nhập sai hoặc có ký tự không in được: sửa và ghi rõ lý do. Lịch sử giữ cả thông tin cũ và mới.",
            "The applicant's details were typed wrong or hold characters that cannot be printed: correct them, saying why. The history keeps both old and new.",
        ),
        Action::Route => c.tr(
            "Thủ tục thuộc thẩm quyền của xã, phường khác trong tỉnh: chuyển hồ sơ đến đơn vị đó (tiếp nhận không phụ thuộc địa giới hành chính, Điều 14 Nghị định 118/2025/NĐ-CP). Mã hồ sơ và hạn giải quyết giữ nguyên; đơn vị này vẫn xem được tình trạng, hạn và giấy tờ đã tiếp nhận.",
            "The procedure belongs to another commune of the province: route the dossier there (reception regardless of boundary, Decree 118/2025, art. 14). The code and due date stay; this unit keeps seeing the status, due date and the documents it took in.",
        ),
        Action::RecordPayment => c.tr(
            "Người dân nộp phí, lệ phí bằng tiền mặt tại quầy: hệ thống cấp biên lai điện tử, đánh số liên tục theo năm.",
            "The citizen pays the fees in cash at the counter: an electronic receipt is issued, numbered without gaps each year.",
        ),
        Action::VoidReceipt => c.tr(
            "Biên lai lập sai: hủy và ghi rõ lý do. Biên lai đã hủy vẫn được giữ, số không dùng lại.",
            "A receipt issued in error: void it, saying why. A voided receipt is kept and its number not reused.",
        ),
        Action::RefundPayment => c.tr(
            "Trả lại tiền phí, lệ phí đã thu (hồ sơ bị từ chối, rút, hoặc thu hai lần): chọn biên lai và ghi rõ căn cứ hoàn trả. Hệ thống không tự quyết định việc hoàn trả.",
            "Pay the fee back (the dossier was refused, withdrawn, or paid twice): choose the receipt and state the basis. motcua never decides a refund on its own.",
        ),
        // Taken by motcua itself, never offered to a person.
        Action::Submit | Action::CreateAtCounter | Action::ExpireUnpaid => "",
    }
}

/// What the officer typed, to show again after a failure.
#[derive(Default)]
pub(super) struct Typed {
    pub(super) action: String,
    pub(super) note: String,
    pub(super) assignee: String,
    pub(super) missing: Vec<String>,
    pub(super) confirm_late: bool,
    pub(super) new_due: String,
    pub(super) delivery: String,
    pub(super) postal_address: String,
    pub(super) tracking_number: String,
    /// For a correction: the applicant's details as typed.
    pub(super) applicant: Option<ApplicantInput>,
    /// For routing: the competent unit chosen.
    pub(super) to_unit: String,
    /// For a payment where the province sets the amount: as typed.
    pub(super) amount_vnd: String,
    /// For voiding: the receipt chosen.
    pub(super) receipt: String,
}

/// The working-time story of a dossier, by folding its events again.
pub(super) fn timing(c: &Ctx, rec: &DossierRecord, p: &Procedure, cal: &WorkCalendar) -> Timing {
    let r = &rec.row;
    let per_day = cal.hours().minutes_per_day();
    let mut t = Timing {
        processing: processing_words(c, p.processing),
        received: when(r.received_at),
        first_due: String::new(),
        pauses: Vec::new(),
        apologies: Vec::new(),
        due: if r.pause_remaining.is_some() {
            c.tr("Tạm dừng chờ bổ sung", "Paused while awaiting a supplement")
                .to_string()
        } else if r.due_at.is_none() {
            c.tr(
                "Được tính khi tiếp nhận",
                "Set when the dossier is received",
            )
            .to_string()
        } else {
            when(r.due_at)
        },
        remaining: r
            .pause_remaining
            .map(|m| minutes_words(c, m, per_day))
            .unwrap_or_default(),
    };
    let Some((first, rest)) = rec.events.split_first() else {
        return t;
    };
    let Ok(mut proj) = Projection::start(first, p.processing, cal) else {
        return t;
    };
    if first.action == Action::CreateAtCounter {
        t.first_due = proj.due_at.map(format_vn).unwrap_or_default();
    }
    let mut open: Option<(OffsetDateTime, usize)> = None;
    for ev in rest {
        if proj.apply(ev, p.processing, cal).is_err() {
            break;
        }
        match ev.action {
            Action::Receive => t.first_due = proj.due_at.map(format_vn).unwrap_or_default(),
            Action::RequestSupplement => {
                t.pauses.push(PauseView {
                    from: format_vn(ev.at),
                    to: String::new(),
                    held: String::new(),
                    remaining: proj
                        .pause_remaining
                        .map(|m| minutes_words(c, m, per_day))
                        .unwrap_or_default(),
                    due_after: String::new(),
                    note: ev.note.clone().unwrap_or_default(),
                });
                open = Some((ev.at, t.pauses.len() - 1));
            }
            Action::Supplement
            | Action::Withdraw
            | Action::Reject
            | Action::Approve
            | Action::RefuseIntake => {
                if let Some((from, i)) = open.take()
                    && let Some(pv) = t.pauses.get_mut(i)
                {
                    pv.to = format_vn(ev.at);
                    pv.held = minutes_words(c, cal.working_minutes_between(from, ev.at), per_day);
                    if ev.action == Action::Supplement {
                        pv.due_after = proj.due_at.map(format_vn).unwrap_or_default();
                    }
                }
            }
            Action::Apologize => t.apologies.push(ApologyView {
                at: format_vn(ev.at),
                new_due: proj.due_at.map(format_vn).unwrap_or_default(),
                note: ev.note.clone().unwrap_or_default(),
            }),
            _ => {}
        }
    }
    t
}

pub(super) fn event_view(c: &Ctx, e: &Event, p: &Procedure) -> EventView {
    let doc_name = |code: &str| {
        p.documents
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let list = |codes: &Option<Vec<String>>| -> Vec<String> {
        codes.iter().flatten().map(|c| doc_name(c)).collect()
    };
    let detail = match e.action {
        Action::Assign => format!(
            "{} {}",
            c.tr("Giao cho", "Assigned to"),
            e.payload.assignee.as_deref().unwrap_or("")
        ),
        Action::RequestSupplement => {
            let m = list(&e.payload.missing);
            if m.is_empty() {
                String::new()
            } else {
                format!("{}: {}", c.tr("Cần bổ sung", "Missing"), m.join("; "))
            }
        }
        Action::Supplement => {
            let m = list(&e.payload.documents);
            let mut parts = Vec::new();
            if !m.is_empty() {
                parts.push(format!(
                    "{}: {}",
                    c.tr("Đã bổ sung", "Supplied"),
                    m.join("; ")
                ));
            }
            if let Some(changed) = &e.payload.answers {
                let labels: Vec<String> = changed
                    .keys()
                    .map(|k| {
                        p.declaration
                            .as_ref()
                            .and_then(|d| d.field(k))
                            .map_or_else(|| k.clone(), |f| f.label.clone())
                    })
                    .collect();
                parts.push(format!(
                    "{}: {}",
                    c.tr("Đã sửa tờ khai", "Declaration corrected"),
                    labels.join("; ")
                ));
            }
            parts.join(". ")
        }
        Action::Apologize => format!(
            "{}: {}",
            c.tr("Hẹn lại", "New date"),
            e.payload
                .new_due
                .as_deref()
                .and_then(|s| motcua_domain::calendar::parse_instant(s).ok())
                .map(format_vn)
                .unwrap_or_default()
        ),
        Action::Route => format!(
            "{}: {}",
            c.tr("Chuyển đến đơn vị", "Routed to unit"),
            e.payload.to_unit.as_deref().unwrap_or("")
        ),
        Action::CorrectApplicant => {
            let names: Vec<String> = e
                .payload
                .applicant
                .iter()
                .flat_map(|o| o.keys())
                .map(|k| applicant_field_label(c, k).to_string())
                .collect();
            format!("{}: {}", c.tr("Đã sửa", "Corrected"), names.join(", "))
        }
        Action::Submit | Action::CreateAtCounter => e
            .payload
            .channel
            .map(|ch| channel_words(c, ch.as_str()))
            .unwrap_or_default(),
        _ => String::new(),
    };
    EventView {
        at: format_vn(e.at),
        // The citizen is a person, not an account name.
        actor: if e.actor == "citizen" {
            c.tr("Người dân", "The citizen").to_string()
        } else {
            e.actor.clone()
        },
        role: if e.role == "citizen" {
            String::new()
        } else {
            role_words(c, &e.role)
        },
        action: action_label(c, e.action),
        detail,
        note: e.note.clone().unwrap_or_default(),
    }
}

/// A declaration as answered: (section, [(question, answer)]).
pub(super) type Answered = Vec<(String, Vec<(String, String)>)>;

/// The declaration as answered under the dossier's catalog version, or why
/// there is none.
pub(super) fn declaration_view(
    procedure: &Procedure,
    answers: &motcua_domain::declaration::Answers,
) -> (String, Answered, String) {
    match &procedure.declaration {
        None => (
            String::new(),
            Vec::new(),
            "Hồ sơ tiếp nhận trước khi có tờ khai điện tử".into(),
        ),
        Some(_) if answers.is_empty() => (
            String::new(),
            Vec::new(),
            "Tờ khai nộp bằng giấy hoặc tệp (xem phần Giấy tờ)".into(),
        ),
        Some(d) => (d.title.clone(), d.answered(answers), String::new()),
    }
}

/// One document as the dossier pages list it.
pub(super) fn doc_view(d: &motcua_store::DocumentMeta, procedure: &Procedure) -> DocView {
    let name = d
        .code
        .as_deref()
        .and_then(|code| procedure.documents.iter().find(|pd| pd.code == code))
        .map_or_else(|| d.code.clone().unwrap_or_default(), |pd| pd.name.clone());
    let ct = d.content_type.as_deref().unwrap_or("");
    let kind = if d.paper || d.sha256.is_none() {
        "paper"
    } else if ct.starts_with("image/") {
        "image"
    } else if ct == "application/pdf" {
        "pdf"
    } else {
        "file"
    };
    DocView {
        id: d.id.clone(),
        name,
        filename: d.filename.clone().unwrap_or_default(),
        size: if kind == "paper" {
            String::new()
        } else {
            motcua_store::human_size(usize::try_from(d.size).unwrap_or(0))
        },
        kind,
        added: format_vn(d.created_at),
    }
}

/// Build the dossier page for `user`, with what they typed and what went wrong.
#[allow(clippy::too_many_arguments)]
pub(super) async fn dossier_view(
    s: &AppState,
    c: Ctx,
    user: &User,
    rec: &DossierRecord,
    typed: &Typed,
    notice: Option<String>,
    conflict: Option<String>,
    problem: Option<&Problem>,
) -> Result<DossierPage, PageError> {
    let lang = c.lang;
    let now = s.now();
    let r = &rec.row;
    let proj = r.projection().map_err(|p| PageError::new(lang, p.into()))?;
    let procedure = s.store.procedure_of(r).await.map_err(store_err(lang))?;
    let cal = s
        .store
        .calendar(Some(&r.unit_code))
        .await
        .map_err(store_err(lang))?;
    let unit = unit_name(s, &r.unit_code).await.map_err(store_err(lang))?;
    let timing = timing(&c, rec, &procedure, &cal);
    let documents = rec
        .documents
        .iter()
        .map(|d| doc_view(d, &procedure))
        .collect();
    let events = rec
        .events
        .iter()
        .map(|e| event_view(&c, e, &procedure))
        .collect();
    let fees = fees_view(s, &c, r, &procedure).await?;
    let mut allowed = crate::view::allowed_actions(r, &Actor::Staff(user.clone()), &procedure);
    // An apology is offered when it is due, not days ahead (the API may still send one).
    if !proj.apology_timely(&cal, now) {
        allowed.retain(|a| *a != Action::Apologize.as_str());
    }
    // The approval card shows what is approved: the result document and
    // whether it is signed; signing is offered with the approval only when
    // this leader can sign it.
    // The electronic result, read once for the approval card, the return
    // channel and the result link.
    let result = s
        .store
        .signing()
        .result(&r.code)
        .await
        .map_err(store_err(lang))?;
    let approves = allowed.contains(&Action::Approve.as_str());
    let approval = if approves {
        let can_sign = motcua_app::signing::can_sign(&s.store, r, result.as_ref(), user, now)
            .await
            .map_err(store_err(lang))?;
        Some(ApprovalCard {
            result: result.as_ref().map(|d| {
                d.filename
                    .clone()
                    .unwrap_or_else(|| format!("{}.pdf", r.code))
            }),
            signed: result.as_ref().and_then(|d| {
                d.signed_at.map(|at| {
                    format!(
                        "{} {} ({})",
                        c.tr("Đã ký số bởi", "Signed by"),
                        d.signer_name.clone().unwrap_or_default(),
                        format_vn(at)
                    )
                })
            }),
            can_sign,
        })
    } else {
        None
    };
    let signs = approval.as_ref().is_some_and(|a| a.can_sign);
    let (err_action, err_message) = match problem {
        Some(p) => (typed.action.as_str(), Some(p.message.clone())),
        None => ("", None),
    };
    let actions: Vec<ActionForm> = allowed
        .iter()
        .filter_map(|a| a.parse::<Action>().ok())
        .map(|a| {
            let name = a.as_str();
            ActionForm {
                action: name,
                label: if a == Action::Approve && signs {
                    c.tr("Ký và phê duyệt", "Sign and approve").to_string()
                } else if a == Action::ReturnResult {
                    c.tr(
                        "Trả kết quả cho người dân",
                        "Return the result to the citizen",
                    )
                    .to_string()
                } else {
                    action_label(&c, a)
                },
                help: action_help(&c, a).to_string(),
                kind: match a {
                    Action::Assign => "assign",
                    Action::RequestSupplement => "request_supplement",
                    Action::Apologize => "apologize",
                    Action::Supplement => "supplement",
                    Action::ReturnResult => "return_result",
                    Action::CorrectApplicant => "correct_applicant",
                    Action::Route => "route",
                    Action::RecordPayment => "record_payment",
                    // Both name a receipt in force.
                    Action::VoidReceipt | Action::RefundPayment => "void_receipt",
                    Action::Approve if signs => "sign_approve",
                    Action::Approve => "approve",
                    _ => "plain",
                },
                needs_note: needs_note(a),
                note: if typed.action == name {
                    typed.note.clone()
                } else {
                    String::new()
                },
                danger: matches!(a, Action::RefuseIntake | Action::Reject | Action::Withdraw),
                error: if err_action == name {
                    err_message.clone()
                } else {
                    None
                },
                error_field: match problem {
                    Some(p) if err_action == name => p.field.clone().unwrap_or_default(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    let errors = match problem {
        Some(p) => {
            let target = match p.field.as_deref().unwrap_or("") {
                "note" => format!("note-{}", typed.action),
                "assignee" => "assignee".to_string(),
                "new_due" => "new_due".to_string(),
                "delivery" => "delivery-counter".to_string(),
                "postal_address" => "postal_address".to_string(),
                "tracking_number" => "tracking_number".to_string(),
                "confirm_late" => "confirm_late".to_string(),
                "to_unit" => "to_unit".to_string(),
                "password" => "sign-password".to_string(),
                "amount_vnd" => "amount_vnd".to_string(),
                "receipt" => "receipt".to_string(),
                "applicant" => "fix-full_name".to_string(),
                f if f.starts_with("applicant.") => {
                    format!("fix-{}", f.trim_start_matches("applicant."))
                }
                "missing" => procedure
                    .documents
                    .first()
                    .map_or_else(String::new, |d| format!("missing-{}", d.code)),
                f if f.starts_with("documents.") => {
                    format!("supp-{}", f.trim_start_matches("documents."))
                }
                _ => format!("act-{}", typed.action),
            };
            vec![ErrorLine {
                href: format!("#{target}"),
                message: p.message.clone(),
            }]
        }
        None => Vec::new(),
    };
    // The typed note of an action that is no longer possible is shown with the conflict.
    let kept_note = (!typed.note.trim().is_empty()
        && !actions.iter().any(|a| a.action == typed.action))
    .then(|| typed.note.clone());
    let assignees = if actions.iter().any(|a| a.kind == "assign") {
        let current = if typed.assignee.is_empty() {
            r.assignee.clone().unwrap_or_default()
        } else {
            typed.assignee.clone()
        };
        s.store
            .users_of_unit(&r.unit_code)
            .await
            .map_err(store_err(lang))?
            .into_iter()
            // Generated bench accounts are never offered, though they may be assigned.
            .filter(|u| u.assignable_in(&r.unit_code) && !u.is_generated())
            .map(|u| Choice {
                checked: u.username == current,
                label: format!("{} ({})", u.full_name, u.username),
                value: u.username,
            })
            .collect()
    } else {
        Vec::new()
    };
    // What the rule allows: the other communes of the province.
    let route_units = if actions.iter().any(|a| a.kind == "route") {
        s.store
            .route_targets(&r.unit_code, None)
            .await
            .map_err(store_err(lang))?
            .into_iter()
            .map(|u| Choice {
                checked: u.code == typed.to_unit,
                label: format!("{} {} ({})", u.kind, u.name, u.code),
                value: u.code,
            })
            .collect()
    } else {
        Vec::new()
    };
    // Received here for another unit: say where it came from.
    let received_by = if r.received_by != r.unit_code {
        unit_name(s, &r.received_by)
            .await
            .map_err(store_err(lang))?
    } else {
        String::new()
    };
    // The officer starts from the domain's default return channel, and
    // from the applicant's address for the post.
    let returns = allowed.contains(&Action::ReturnResult.as_str());
    let signed_result = returns && result.as_ref().is_some_and(|d| d.signed_at.is_some());
    let default_delivery = motcua_domain::delivery::default_return(None, signed_result);
    let chosen = if typed.delivery.is_empty() {
        default_delivery.as_str()
    } else {
        typed.delivery.as_str()
    };
    let postal_address = if typed.postal_address.is_empty() {
        r.applicant_address.clone()
    } else {
        typed.postal_address.clone()
    };
    let deliveries = DeliveryMethod::ALL
        .iter()
        .map(|m| Choice {
            value: m.as_str().to_string(),
            label: c.tr(m.label_vi(), m.label_en()).to_string(),
            checked: m.as_str() == chosen,
        })
        .collect();
    let delivery = rec
        .events
        .iter()
        .rev()
        .find(|e| e.action == Action::ReturnResult)
        .and_then(|e| Delivery::from_payload(&e.payload))
        .map(|d| match lang {
            Lang::Vi => d.words_vi(),
            Lang::En => d.words_en(),
        })
        .unwrap_or_default();
    let applicable = crate::documents::applicable(rec);
    // Links only once they apply: the receipt after reception, the result
    // page while a result can be attached or signed, or once there is one.
    let has_receipt = applicable.contains(&motcua_documents::Form::Receipt);
    let has_result_page = {
        use motcua_domain::lifecycle::{ResultAction, result_statuses};
        let st = proj.status;
        result_statuses(ResultAction::Attach).contains(&st)
            || result_statuses(ResultAction::Sign).contains(&st)
            || result.is_some()
    };
    let mut forms: Vec<(String, String)> = applicable
        .into_iter()
        .map(|f| {
            (
                format!("/can-bo/ho-so/{}/mau/{}.pdf", url_encode(&r.code), f.slug()),
                c.tr(f.title_vi(), f.title_en()).to_string(),
            )
        })
        .collect();
    // The declaration as answered, printed for the citizen to sign.
    let answered = r.answers();
    let (declaration_title, declaration, declaration_note) =
        declaration_view(&procedure, &answered);
    if !declaration.is_empty() {
        forms.push((
            format!("/can-bo/ho-so/{}/mau/to-khai.pdf", url_encode(&r.code)),
            format!(
                "{} {}",
                declaration_title,
                c.tr("(để người dân ký)", "(for the citizen to sign)")
            ),
        ));
    }
    // Papers to bring, or answers of the declaration to correct online.
    let questions: Vec<Choice> = procedure
        .declaration
        .iter()
        .filter(|_| !answered.is_empty())
        .flat_map(|d| d.asked(&answered).cloned().collect::<Vec<_>>())
        .map(|f| {
            let value = format!("fields.{}", f.key);
            Choice {
                checked: typed.missing.contains(&value),
                label: format!("{}: {}", c.tr("Tờ khai", "Declaration"), f.label),
                value,
            }
        })
        .collect();
    let missing = procedure
        .documents
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: d.name.clone(),
            checked: typed.missing.contains(&d.code),
        })
        .chain(questions)
        .collect();
    let supplement_docs = {
        // Those asked for in the last request first; all documents otherwise.
        let asked: Vec<String> = rec
            .events
            .iter()
            .rev()
            .find(|e| e.action == Action::RequestSupplement)
            .and_then(|e| e.payload.missing.clone())
            .unwrap_or_default();
        procedure
            .documents
            .iter()
            .filter(|d| asked.is_empty() || asked.contains(&d.code))
            .map(|d| SuppDoc {
                code: d.code.clone(),
                name: d.name.clone(),
                error: problem
                    .filter(|p| {
                        typed.action == Action::Supplement.as_str()
                            && p.field.as_deref() == Some(&format!("documents.{}", d.code))
                    })
                    .map(|p| p.message.clone()),
            })
            .collect()
    };
    let fix = typed.applicant.clone().unwrap_or_else(|| ApplicantInput {
        full_name: r.applicant_name.clone(),
        id_number: r.applicant_id_number.clone(),
        date_of_birth: r.applicant_dob.clone(),
        phone: r.applicant_phone.clone(),
        email: r.applicant_email.clone(),
        address: r.applicant_address.clone(),
    });
    let fix_fields = [
        ("full_name", fix.full_name.clone(), "text"),
        ("id_number", fix.id_number.clone(), "text"),
        ("date_of_birth", fix.date_of_birth.clone(), "date"),
        ("phone", fix.phone.clone(), "tel"),
        ("email", fix.email.clone().unwrap_or_default(), "email"),
        ("address", fix.address.clone(), "text"),
    ]
    .into_iter()
    .map(|(name, value, kind)| FixField {
        name,
        label: applicant_field_label(&c, name).to_string(),
        value,
        kind,
    })
    .collect();
    let applicant = vec![
        (
            c.tr("Họ và tên", "Full name").to_string(),
            r.applicant_name.clone(),
        ),
        (
            c.tr("Số định danh cá nhân", "Personal ID number")
                .to_string(),
            r.applicant_id_number.clone(),
        ),
        (
            c.tr("Ngày sinh", "Date of birth").to_string(),
            iso_to_vn(&r.applicant_dob),
        ),
        (
            c.tr("Số điện thoại", "Phone").to_string(),
            r.applicant_phone.clone(),
        ),
        (
            c.tr("Thư điện tử", "Email").to_string(),
            r.applicant_email
                .clone()
                .unwrap_or_else(|| c.tr("(không có)", "(none)").to_string()),
        ),
        (
            c.tr("Địa chỉ", "Address").to_string(),
            r.applicant_address.clone(),
        ),
    ];
    Ok(DossierPage {
        code: r.code.clone(),
        version: r.version,
        procedure: procedure.name.clone(),
        procedure_code: procedure.code.clone(),
        catalog_version: r.catalog_version,
        unit,
        channel: channel_words(&c, &r.channel),
        status: status_words(&c, proj.status),
        late: proj.is_late(now),
        paused: proj.pause_remaining.is_some(),
        apologized: proj.apologized,
        assignee: r.assignee.clone().unwrap_or_default(),
        applicant,
        submitted: when(Some(r.submitted_at)),
        finished: when(r.finished_at),
        returned: when(r.returned_at),
        timing,
        documents,
        events,
        actions,
        assignees,
        route_units,
        approval,
        fees,
        amount_vnd: typed.amount_vnd.clone(),
        has_receipt,
        has_result_page,
        received_by,
        declaration_title,
        declaration,
        declaration_note,
        missing,
        asked_before: proj.supplement_requests,
        confirm_late: typed.confirm_late,
        supplement_docs,
        new_due: typed.new_due.clone(),
        deliveries,
        postal_address,
        tracking_number: typed.tracking_number.clone(),
        fix_fields,
        delivery,
        forms,
        notice,
        conflict,
        kept_note,
        errors,
        c,
    })
}

/// "1990-05-17" → "17/05/1990".
pub(super) fn iso_to_vn(iso: &str) -> String {
    match parse_date(iso) {
        Ok(d) => date_vn(d),
        Err(_) => iso.to_string(),
    }
}

/// The dossier if this officer's units include its unit; else the same 404 as an unknown code.
pub(super) async fn visible_dossier(
    s: &AppState,
    lang: Lang,
    user: &User,
    code: &str,
) -> Result<DossierRecord, PageError> {
    match s
        .store
        .dossier(code.trim())
        .await
        .map_err(store_err(lang))?
    {
        Some(rec) if user.reads_dossiers_of(&rec.row.unit_code) => {
            // Reads of personal data by staff are kept (who, when, which dossier).
            s.store
                .log_access(&user.username, &rec.row.code, "page:dossier", s.now())
                .await
                .map_err(store_err(lang))?;
            Ok(rec)
        }
        _ => Err(not_found(lang)),
    }
}

#[derive(Deserialize)]
pub(super) struct OkQuery {
    pub(super) ok: Option<String>,
}

pub(super) async fn dossier_page(
    c: Ctx,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<OkQuery>,
) -> PageResult {
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&c.path));
    };
    let notice =
        q.ok.as_deref()
            .and_then(|a| a.parse::<Action>().ok())
            .map(|a| format!("{}: {}", c.tr("Đã thực hiện", "Done"), action_label(&c, a)));
    let rec = match visible_dossier(&s, c.lang, &user, &code).await {
        Ok(rec) => rec,
        // Routed from this officer's unit to the competent one: what the
        // receiving unit keeps seeing.
        Err(e) => match routed_view(&s, c, &user, &code, notice).await? {
            Some(page) => return render(&page),
            None => return Err(e),
        },
    };
    let page = dossier_view(&s, c, &user, &rec, &Typed::default(), notice, None, None).await?;
    render(&page)
}

pub(super) fn is_conflict(p: &Problem) -> bool {
    p.kind == ProblemKind::Conflict
        && matches!(
            p.code,
            "stale_version" | "version_conflict" | "illegal_transition"
        )
}

pub(super) async fn act(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    req: Request,
) -> PageResult {
    let page_path = format!("/can-bo/ho-so/{}", url_encode(&code));
    let Some(user) = c.user.clone() else {
        return Ok(sign_in(&page_path));
    };
    let lang = c.lang;
    // Another unit's dossier is not disclosed, even to a forged post.
    let rec = visible_dossier(&s, lang, &user, &code).await?;
    let form = read_form(&s, lang, req).await?;
    let typed = Typed {
        action: form.get("action").to_string(),
        note: form.get("note").to_string(),
        assignee: form.get("assignee").to_string(),
        missing: form.all("missing"),
        confirm_late: form.has("confirm_late"),
        new_due: form.get("new_due").to_string(),
        delivery: form.get("delivery").to_string(),
        postal_address: form.get("postal_address").to_string(),
        tracking_number: form.get("tracking_number").to_string(),
        to_unit: form.get("to_unit").to_string(),
        amount_vnd: form.get("amount_vnd").to_string(),
        receipt: form.get("receipt").to_string(),
        applicant: (form.get("action") == Action::CorrectApplicant.as_str()).then(|| {
            ApplicantInput {
                full_name: form.get("fix:full_name").to_string(),
                id_number: form.get("fix:id_number").to_string(),
                date_of_birth: form.get("fix:date_of_birth").to_string(),
                phone: form.get("fix:phone").to_string(),
                email: Some(form.get("fix:email").trim().to_string()).filter(|e| !e.is_empty()),
                address: form.get("fix:address").to_string(),
            }
        }),
    };
    let version: i64 = form.get("version").trim().parse().unwrap_or(-1);
    let now = s.now();
    let mut problem: Option<Problem> = None;
    if typed.action == Action::Assign.as_str() && typed.assignee.is_empty() {
        problem = Some(Problem::invalid(
            "choose_assignee",
            "assignee",
            c.tr("Hãy chọn chuyên viên xử lý", "Choose a specialist"),
        ));
    }
    let mut documents = Vec::new();
    if problem.is_none() && typed.action == Action::Supplement.as_str() {
        let procedure = s
            .store
            .procedure_of(&rec.row)
            .await
            .map_err(store_err(lang))?;
        for d in &procedure.documents {
            if let Some((_, filename, bytes)) = form.file(&format!("file:{}", d.code)) {
                match s
                    .store
                    .upload(bytes, filename.as_deref(), &user.username, now)
                    .await
                {
                    Ok(meta) => documents.push(DocumentRef {
                        code: d.code.clone(),
                        upload_id: Some(meta.id),
                        paper: false,
                    }),
                    Err(StoreError::Problem(p)) => {
                        problem = Some(p.with_field(format!("documents.{}", d.code)));
                        break;
                    }
                    Err(e) => return Err(PageError::new(lang, e.into())),
                }
            } else if form.has(&format!("paper:{}", d.code)) {
                documents.push(DocumentRef {
                    code: d.code.clone(),
                    upload_id: None,
                    paper: true,
                });
            }
        }
        if problem.is_none() && documents.is_empty() {
            let first = procedure.documents.first().map_or("", |d| d.code.as_str());
            problem = Some(Problem::invalid(
                "no_document",
                format!("documents.{first}"),
                c.tr(
                    "Hãy đính kèm ít nhất một giấy tờ bổ sung hoặc xác nhận bản giấy",
                    "Attach at least one document or confirm a paper copy",
                ),
            ));
        }
    }
    if problem.is_none() {
        let request = ActionRequest {
            action: typed.action.clone(),
            version,
            note: Some(typed.note.clone()).filter(|n| !n.trim().is_empty()),
            assignee: Some(typed.assignee.clone()).filter(|a| !a.is_empty()),
            new_due: Some(typed.new_due.trim().to_string()).filter(|d| !d.is_empty()),
            missing: typed.missing.clone(),
            documents,
            delivery: Some(typed.delivery.clone()).filter(|d| !d.is_empty()),
            postal_address: Some(typed.postal_address.clone()).filter(|d| !d.is_empty()),
            tracking_number: Some(typed.tracking_number.clone()).filter(|d| !d.is_empty()),
            applicant: typed.applicant.clone(),
            confirm_late: typed.confirm_late,
            to_unit: Some(typed.to_unit.clone()).filter(|u| !u.is_empty()),
            answers: None,
            amount_vnd: typed_vnd(&typed.amount_vnd),
            receipt: Some(typed.receipt.clone()).filter(|r| !r.is_empty()),
            via: motcua_domain::lifecycle::Via::Page,
            method: None,
            order_ref: None,
        };
        // "Ký và phê duyệt": the leader's password again, then the signature
        // and the approval in one transaction.
        let signing = typed.action == Action::Approve.as_str() && form.has("sign");
        let outcome = if signing {
            let password = form.get("password").to_string();
            if password.is_empty()
                || !crate::auth::confirm_password(
                    &s.store,
                    &limits,
                    peer.ip(),
                    &user.username,
                    password,
                )
                .await
                .map_err(|e| PageError::new(lang, e))?
            {
                Err(StoreError::Problem(Problem::invalid(
                    "wrong_password",
                    "password",
                    c.tr(
                        "Mật khẩu không đúng; nhập lại mật khẩu đăng nhập của bạn để ký",
                        "Wrong password; type your sign-in password again to sign",
                    ),
                )))
            } else {
                motcua_app::signing::sign_and_approve(
                    &s.store,
                    &rec.row.code,
                    &request,
                    &user,
                    &crate::pages::base_url(&headers),
                    now,
                )
                .await
            }
        } else {
            s.store
                .act(&rec.row.code, &request, &Actor::Staff(user.clone()), now)
                .await
        };
        match outcome {
            Ok(done) if done.issued_key.is_some() => {
                // A new key is shown once: on the receipt this officer prints now.
                return Ok(Redirect::to(&format!(
                    "/can-bo/ho-so/{}/bien-nhan",
                    url_encode(&done.row.code)
                ))
                .into_response());
            }
            Ok(done) => {
                return Ok(Redirect::to(&format!(
                    "/can-bo/ho-so/{}?ok={}",
                    url_encode(&done.row.code),
                    url_encode(&typed.action)
                ))
                .into_response());
            }
            Err(StoreError::Problem(p)) => problem = Some(p),
            Err(e) => return Err(PageError::new(lang, e.into())),
        }
    }
    let Some(problem) = problem else {
        return Err(not_found(lang));
    };
    if problem.kind == ProblemKind::NotFound {
        return Err(not_found(lang));
    }
    let fresh = visible_dossier(&s, lang, &user, &code).await?;
    if is_conflict(&problem) {
        // The same officer's double click: the first click did exactly this.
        // Anything less than the same request is a conflict, never "done".
        if let Some(last) = fresh.events.last()
            && version.checked_add(1) == Some(fresh.row.version)
            && last.actor == user.username
            && motcua_domain::decide::repeats(last, &typed.action, &typed.note, &typed.assignee)
        {
            return Ok(Redirect::to(&format!(
                "/can-bo/ho-so/{}?ok={}",
                url_encode(&fresh.row.code),
                url_encode(&typed.action)
            ))
            .into_response());
        }
        let mut message = c
            .tr(
                "Hồ sơ vừa được người khác cập nhật trước bạn, nên thao tác của bạn chưa được thực hiện. Dưới đây là tình trạng mới nhất; hãy xem lại rồi thao tác lại nếu vẫn cần. Ghi chú bạn đã nhập vẫn được giữ.",
                "Someone else has just updated this dossier, so your action was not taken. Below is its latest state; check it and act again if still needed. Your note is kept.",
            )
            .to_string();
        // Who changed it, when, how, and what it is now (the store's words).
        if matches!(problem.code, "stale_version" | "version_conflict") {
            message.push(' ');
            message.push_str(&problem.message);
        }
        let page = dossier_view(&s, c, &user, &fresh, &typed, None, Some(message), None).await?;
        return render_status(StatusCode::CONFLICT, &page);
    }
    let status = status_of(problem.kind);
    let page = dossier_view(&s, c, &user, &fresh, &typed, None, None, Some(&problem)).await?;
    render_status(status, &page)
}

/// A dossier this officer's unit received and routed to the competent unit:
/// its status, due date, the documents taken in and the history without
/// the competent unit's internal notes (Decree 118/2025, art. 14).
#[derive(Template)]
#[template(path = "office_routed.html")]
pub(super) struct RoutedPage {
    pub(super) c: Ctx,
    pub(super) code: String,
    pub(super) procedure: String,
    pub(super) competent: String,
    pub(super) routed_at: String,
    pub(super) status: String,
    pub(super) late: bool,
    pub(super) due: String,
    pub(super) documents: Vec<DocView>,
    pub(super) events: Vec<EventView>,
    pub(super) notice: Option<String>,
}

pub(super) async fn routed_view(
    s: &AppState,
    c: Ctx,
    user: &User,
    code: &str,
    notice: Option<String>,
) -> Result<Option<RoutedPage>, PageError> {
    let lang = c.lang;
    let Some(rec) = s
        .store
        .routed_record(code.trim(), user)
        .await
        .map_err(store_err(lang))?
    else {
        return Ok(None);
    };
    let r = &rec.row;
    s.store
        .log_access(&user.username, &r.code, "page:dossier:routed", s.now())
        .await
        .map_err(store_err(lang))?;
    let proj = r.projection().map_err(|p| PageError::new(lang, p.into()))?;
    let procedure = s.store.procedure_of(r).await.map_err(store_err(lang))?;
    let competent = unit_name(s, &r.unit_code).await.map_err(store_err(lang))?;
    let events = rec
        .events
        .iter()
        .map(|e| event_view(&c, e, &procedure))
        .collect();
    Ok(Some(RoutedPage {
        code: r.code.clone(),
        procedure: procedure.name.clone(),
        competent: format!("{competent} ({})", r.unit_code),
        routed_at: when(r.routed_at),
        status: status_words(&c, proj.status),
        late: proj.is_late(s.now()),
        due: proj.due_at.map(format_vn).unwrap_or_default(),
        documents: rec
            .documents
            .iter()
            .map(|d| doc_view(d, &procedure))
            .collect(),
        events,
        notice,
        c,
    }))
}
