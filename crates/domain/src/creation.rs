//! The rules of filing a new dossier, online by the citizen or at the
//! counter by a receptionist: who may, which procedure, the applicant, the
//! first event and what it starts (a counter dossier is received at once
//! and its clock runs). The store checks the unit and the uploaded files,
//! allocates the code and writes the result.

use crate::Problem;
use crate::calendar::{OffsetDateTime, VN_OFFSET, WorkCalendar};
use crate::catalog::Procedure;
use crate::decide::Asker;
use crate::dossier::{Applicant, ApplicantInput, Event, Projection};
use crate::index::Delta;
use crate::lifecycle::{Action, Channel, Principal, Status};
use crate::payload::Payload;

/// What the filing needs to know.
pub struct Facts<'a> {
    pub procedure: &'a Procedure,
    /// Whether the catalog still offers the procedure.
    pub offered: bool,
    pub cal: &'a WorkCalendar,
    pub now: OffsetDateTime,
}

/// What is filed.
pub struct Filing<'a> {
    /// The channel asked for (a citizen's filing is online whatever is asked).
    pub channel: Channel,
    pub applicant: &'a ApplicantInput,
    pub fields: &'a serde_json::Value,
    /// Whether every document named is an electronic file (none on paper).
    pub all_digital: bool,
    pub any_document: bool,
}

/// A dossier ready to write: its first event, its projection, its index
/// deltas, its checked applicant and the channel it is filed under.
#[derive(Debug, Clone)]
pub struct Created {
    pub event: Event,
    pub projection: Projection,
    pub index: Vec<Delta>,
    pub applicant: Applicant,
    pub channel: Channel,
    /// The fields as stored: the declaration's checked answers when the
    /// procedure has one and they were given, else the free fields as sent.
    pub fields: serde_json::Value,
}

/// The fields of a filing, checked: against the procedure's declaration
/// when it has one and answers were given (every problem is reported; the
/// first one is returned with its path `fields.<key>`); otherwise the free
/// fields' shape. With no answers the declaration is the paper or scanned
/// form among the documents.
pub fn checked_fields(
    procedure: &Procedure,
    fields: &serde_json::Value,
    today: crate::calendar::Date,
) -> Result<serde_json::Value, Vec<Problem>> {
    crate::dossier::validate_fields(fields).map_err(|p| vec![p])?;
    let given = fields.as_object().filter(|o| !o.is_empty());
    let (Some(decl), Some(given)) = (&procedure.declaration, given) else {
        return Ok(fields.clone());
    };
    let mut answers = crate::declaration::Answers::new();
    for (k, v) in given {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => if *b { "co" } else { "khong" }.to_string(),
            _ => {
                return Err(vec![Problem::invalid(
                    "bad_answer",
                    format!("fields.{k}"),
                    "Câu trả lời phải là chuỗi ký tự",
                )]);
            }
        };
        answers.insert(k.clone(), text);
    }
    let checked = decl.validate(&answers, today)?;
    Ok(serde_json::Value::Object(
        checked
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
    ))
}

/// Whether the fields carry an electronic declaration.
pub fn declared(procedure: &Procedure, fields: &serde_json::Value) -> bool {
    procedure.declaration.is_some() && fields.as_object().is_some_and(|o| !o.is_empty())
}

/// How `asker` files a dossier (online or at the counter), if they may.
pub fn admit(asker: &Asker<'_>) -> Result<(Action, Principal), Problem> {
    let action = match asker {
        Asker::Citizen => Action::Submit,
        Asker::Staff { .. } => Action::CreateAtCounter,
        Asker::System => {
            return Err(Problem::forbidden(
                "forbidden_action",
                "Hồ sơ do người dân hoặc cán bộ nộp",
            ));
        }
    };
    let principal = asker.principal_for(action).ok_or_else(|| {
        Problem::forbidden(
            "forbidden_action",
            format!("Bạn không có quyền \"{}\"", action.label_vi()),
        )
    })?;
    Ok((action, principal))
}

/// Decide a filing: every rule of a new dossier, in one place.
pub fn create(
    facts: &Facts<'_>,
    asker: &Asker<'_>,
    filing: &Filing<'_>,
) -> Result<Created, Problem> {
    let (action, principal) = admit(asker)?;
    if !facts.offered {
        return Err(Problem::invalid(
            "retired_procedure",
            "procedure_code",
            "Thủ tục này không còn được áp dụng",
        ));
    }
    let applicant = filing
        .applicant
        .validate(facts.now.to_offset(VN_OFFSET).date())?;
    let today = facts.now.to_offset(VN_OFFSET).date();
    let fields = checked_fields(facts.procedure, filing.fields, today).map_err(|all| {
        all.into_iter()
            .next()
            .unwrap_or_else(|| Problem::invalid("bad_fields", "fields", "Tờ khai không hợp lệ"))
    })?;
    let channel = if action == Action::Submit {
        Channel::Online
    } else {
        filing.channel
    };
    let mut payload = Payload {
        channel: Some(filing.channel),
        ..Default::default()
    };
    // Digitized at reception: every document an electronic file (index 3.1).
    // Written into the event so a recomputation reads it from history.
    let digitized = filing.any_document && filing.all_digital;
    let mut to_status = Status::Submitted;
    if action == Action::CreateAtCounter {
        payload.digitized = Some(digitized);
        let answers = crate::declaration::answers_of(&fields);
        let (status, clock) = crate::decide::reception_status(facts.procedure, &answers, false);
        to_status = status;
        payload.pay_clock = clock;
    }
    let mut event = Event {
        seq: 1,
        at: facts.now,
        actor: asker.name().to_string(),
        role: principal.as_str().to_string(),
        action,
        from_status: None,
        to_status,
        note: None,
        payload,
        frozen: Default::default(),
    };
    let projection = Projection::start(&event, facts.procedure.processing, facts.cal)?;
    event.record_time_facts(&projection);
    let index = crate::index::deltas(
        None,
        &projection,
        // A new dossier has no result yet.
        crate::index::Facts::of(channel, facts.procedure, digitized, false),
    );
    Ok(Created {
        event,
        projection,
        index,
        applicant,
        channel,
        fields,
    })
}

/// A document named in a filing or a supplement, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub code: &'a str,
    /// An electronic file was uploaded for it.
    pub uploaded: bool,
    /// The officer checked the paper copy.
    pub paper: bool,
}

/// The documents named: known codes, each once, a file or (at the counter)
/// a checked paper copy each; with `complete`, every required one present.
/// Whether the uploaded files exist and are free is for the store to check.
/// `declared`: the dossier carries the electronic declaration, which stands
/// for the declaration among the documents (`Procedure::declaration_document`).
pub fn check_documents(
    procedure: &Procedure,
    docs: &[Named<'_>],
    staff: bool,
    complete: bool,
    declared: bool,
) -> Result<(), Problem> {
    let stands_for = if declared {
        procedure.declaration_document().map(|d| d.code.as_str())
    } else {
        None
    };
    let mut seen = std::collections::HashSet::new();
    // A document may come as several files (the front and back of a card,
    // the pages of a paper); a paper copy is checked once.
    let mut files = std::collections::HashSet::new();
    for d in docs {
        let field = format!("documents.{}", d.code);
        if !procedure.documents.iter().any(|s| s.code == d.code) {
            return Err(Problem::invalid(
                "unknown_document",
                field,
                format!("Thủ tục không có giấy tờ mã \"{}\"", d.code),
            ));
        }
        let another_file = d.uploaded && files.contains(d.code);
        if d.uploaded {
            files.insert(d.code);
        }
        if !seen.insert(d.code) && !another_file {
            return Err(Problem::invalid(
                "duplicate_document",
                field,
                "Giấy tờ được nêu hai lần",
            ));
        }
        match (d.uploaded, d.paper) {
            (true, _) => {}
            (false, true) if staff => {}
            (false, true) => {
                return Err(Problem::invalid(
                    "paper_needs_counter",
                    field,
                    "Chỉ cán bộ tiếp nhận mới xác nhận giấy tờ bản giấy",
                ));
            }
            (false, false) => {
                return Err(Problem::invalid(
                    "missing_upload",
                    field,
                    "Cần tải lên tệp cho giấy tờ này",
                ));
            }
        }
    }
    if complete
        && let Some(missing) = procedure
            .required_documents()
            .find(|r| !seen.contains(r.code.as_str()) && Some(r.code.as_str()) != stands_for)
    {
        return Err(Problem::invalid(
            "missing_document",
            format!("documents.{}", missing.code),
            format!("Thiếu giấy tờ bắt buộc: {}", missing.name),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_may_come_as_several_files_but_a_paper_is_checked_once() {
        let procedure = crate::catalog::parse_catalog(crate::catalog::DEFAULT_CATALOG_JSON)
            .expect("catalog")
            .into_iter()
            .find(|p| p.code == "HT-XNHN")
            .expect("HT-XNHN");
        let file = |code| Named {
            code,
            uploaded: true,
            paper: false,
        };
        let paper = |code| Named {
            code,
            uploaded: false,
            paper: true,
        };
        let two_sides = [
            file("giay-to-tuy-than"),
            file("giay-to-tuy-than"),
            file("to-khai"),
        ];
        check_documents(&procedure, &two_sides, false, true, false).expect("front and back");
        let twice = [paper("giay-to-tuy-than"), paper("giay-to-tuy-than")];
        let e = check_documents(&procedure, &twice, true, false, false).expect_err("twice");
        assert_eq!(e.code, "duplicate_document");
        // Answered online, the declaration stands for its paper form.
        check_documents(&procedure, &[file("giay-to-tuy-than")], false, true, true)
            .expect("declared");
        let e = check_documents(&procedure, &[file("giay-to-tuy-than")], false, true, false)
            .expect_err("the declaration is missing");
        assert_eq!(e.code, "missing_document");
    }
}
