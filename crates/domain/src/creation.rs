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
}

/// How `asker` files a dossier (online or at the counter), if they may.
pub fn admit(asker: &Asker<'_>) -> Result<(Action, Principal), Problem> {
    let action = match asker {
        Asker::Citizen => Action::Submit,
        Asker::Staff { .. } => Action::CreateAtCounter,
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
    crate::dossier::validate_fields(filing.fields)?;
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
    if action == Action::CreateAtCounter {
        payload.digitized = Some(digitized);
    }
    let mut event = Event {
        seq: 1,
        at: facts.now,
        actor: asker.name().to_string(),
        role: principal.as_str().to_string(),
        action,
        from_status: None,
        to_status: if action == Action::Submit {
            Status::Submitted
        } else {
            Status::Received
        },
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
pub fn check_documents(
    procedure: &Procedure,
    docs: &[Named<'_>],
    staff: bool,
    complete: bool,
) -> Result<(), Problem> {
    let mut seen = std::collections::HashSet::new();
    for d in docs {
        let field = format!("documents.{}", d.code);
        if !procedure.documents.iter().any(|s| s.code == d.code) {
            return Err(Problem::invalid(
                "unknown_document",
                field,
                format!("Thủ tục không có giấy tờ mã \"{}\"", d.code),
            ));
        }
        if !seen.insert(d.code) {
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
            .find(|r| !seen.contains(r.code.as_str()))
    {
        return Err(Problem::invalid(
            "missing_document",
            format!("documents.{}", missing.code),
            format!("Thiếu giấy tờ bắt buộc: {}", missing.name),
        ));
    }
    Ok(())
}
