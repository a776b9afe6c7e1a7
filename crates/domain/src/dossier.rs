//! A dossier (hồ sơ): its applicant, its public code and key, and its
//! projection — the row every list and page reads — folded from its events.

use crate::calendar::{Date, OffsetDateTime, ProcessingTime, WorkCalendar};
use crate::fees::PayClock;
use crate::lifecycle::{Action, Status};
use crate::{Problem, ProblemKind};
use serde::{Deserialize, Serialize};

/// The applicant as typed by the citizen or the officer (raw, untrusted).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "The applicant (người nộp hồ sơ). Each field is checked and named in errors as `applicant.<field>`: full_name 2–100 letters, spaces, ' and -; id_number the 12-digit số định danh cá nhân (CCCD); date_of_birth YYYY-MM-DD, not in the future; phone a Vietnamese number (+84 and separators accepted); address 5–300 characters."
    )
)]
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ApplicantInput {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: String,
}

/// A validated applicant (NFC text, normalized phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub full_name: String,
    pub id_number: String,
    pub date_of_birth: Date,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
}

fn field_err(code: &'static str, field: &str, msg: &str) -> Problem {
    Problem::invalid(code, format!("applicant.{field}"), msg)
}

/// Normalize a Vietnamese mobile number to 10 digits: 03, 05, 07, 08 or 09
/// and eight more (the numbering plan since 2018); SMS reach only these.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let local = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() == 9) {
        format!("0{rest}")
    } else {
        digits
    };
    let mobile = matches!(
        local.as_bytes().get(1),
        Some(b'3' | b'5' | b'7' | b'8' | b'9')
    );
    (local.len() == 10
        && local.starts_with('0')
        && mobile
        && local.bytes().all(|b| b.is_ascii_digit()))
    .then_some(local)
}

/// One validator per applicant field, so a one-question-per-page form can
/// check each answer on its own page with the same rules as the API.
pub mod field {
    use super::*;

    /// NFC, invisible controls dropped, and only what the documents can print.
    fn printable(raw: &str, code: &'static str, field: &str) -> Result<String, Problem> {
        crate::text::printable_text(raw).map_err(|c| {
            field_err(
                code,
                field,
                &format!(
                    "Ký tự \"{c}\" (U+{:04X}) không in được trên giấy tờ; hãy bỏ hoặc thay ký tự này",
                    u32::from(c)
                ),
            )
        })
    }

    pub fn full_name(raw: &str) -> Result<String, Problem> {
        let full_name = printable(raw, "bad_full_name", "full_name")?;
        if full_name
            .chars()
            .any(|c| !(c.is_alphabetic() || c == ' ' || c == '\'' || c == '-'))
        {
            return Err(field_err(
                "bad_full_name",
                "full_name",
                "Họ và tên chỉ gồm chữ cái (không có chữ số hay ký hiệu)",
            ));
        }
        let len = full_name.chars().count();
        if !(2..=100).contains(&len)
            || !full_name
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-')
        {
            return Err(field_err(
                "bad_full_name",
                "full_name",
                "Họ và tên phải có từ 2 đến 100 chữ cái",
            ));
        }
        Ok(full_name)
    }

    pub fn id_number(raw: &str) -> Result<String, Problem> {
        let id: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(field_err(
                "bad_id_number",
                "id_number",
                "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số",
            ));
        }
        Ok(id)
    }

    /// `YYYY-MM-DD` or `dd/mm/yyyy`; not in the future, not before 1900.
    pub fn date_of_birth(raw: &str, today: Date) -> Result<Date, Problem> {
        let raw = raw.trim();
        let parsed = Date::parse(
            raw,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .or_else(|_| {
            Date::parse(
                raw,
                time::macros::format_description!("[day padding:none]/[month padding:none]/[year]"),
            )
        });
        let d = parsed.map_err(|_| {
            // Numbers in the right places that make no day: say so.
            let nums: Vec<u32> = raw
                .split(['/', '-'])
                .filter_map(|p| p.trim().parse().ok())
                .collect();
            let (day, month, year) = match nums.as_slice() {
                [y, m, d] if raw.contains('-') => (*d, *m, *y),
                [d, m, y] => (*d, *m, *y),
                _ => (0, 0, 0),
            };
            if year >= 1000 && (1..=31).contains(&day) && (1..=12).contains(&month) {
                field_err(
                    "impossible_date_of_birth",
                    "date_of_birth",
                    &format!("Ngày sinh: ngày {day:02}/{month:02}/{year} không có thật"),
                )
            } else {
                field_err(
                    "bad_date_of_birth",
                    "date_of_birth",
                    "Ngày sinh phải có dạng ngày/tháng/năm, ví dụ 17/05/1990",
                )
            }
        })?;
        if d > today {
            return Err(field_err(
                "bad_date_of_birth",
                "date_of_birth",
                "Ngày sinh không được sau hôm nay",
            ));
        }
        if d.year() < 1900 {
            return Err(field_err(
                "bad_date_of_birth",
                "date_of_birth",
                "Ngày sinh không hợp lệ",
            ));
        }
        Ok(d)
    }

    pub fn phone(raw: &str) -> Result<String, Problem> {
        normalize_phone(raw).ok_or_else(|| {
            field_err(
                "bad_phone",
                "phone",
                "Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09",
            )
        })
    }

    pub fn email(raw: Option<&str>) -> Result<Option<String>, Problem> {
        match raw.map(str::trim).filter(|e| !e.is_empty()) {
            None => Ok(None),
            Some(e) => {
                let ok = e.len() <= 254
                    && e.split_once('@').is_some_and(|(user, host)| {
                        !user.is_empty()
                            && host.contains('.')
                            && !host.starts_with('.')
                            && !host.ends_with('.')
                    })
                    && !e.contains(char::is_whitespace);
                if ok {
                    Ok(Some(e.to_string()))
                } else {
                    Err(field_err(
                        "bad_email",
                        "email",
                        "Địa chỉ thư điện tử không hợp lệ",
                    ))
                }
            }
        }
    }

    pub fn address(raw: &str) -> Result<String, Problem> {
        let address = printable(raw, "bad_address", "address")?;
        if !(5..=300).contains(&address.chars().count()) {
            return Err(field_err(
                "bad_address",
                "address",
                "Địa chỉ phải có từ 5 đến 300 ký tự",
            ));
        }
        Ok(address)
    }
}

impl ApplicantInput {
    /// Validate against `today` (local date) so a birth date in the future is refused.
    pub fn validate(&self, today: Date) -> Result<Applicant, Problem> {
        let id_number = field::id_number(&self.id_number)?;
        let date_of_birth = field::date_of_birth(&self.date_of_birth, today)?;
        // As the kiosk checks a card: the province code, and the century and
        // year the number encodes against the date of birth.
        crate::identity::check_personal_number(&id_number, Some(date_of_birth), None)
            .map_err(|p| Problem::invalid(p.code, "applicant.id_number", p.message))?;
        Ok(Applicant {
            full_name: field::full_name(&self.full_name)?,
            id_number,
            date_of_birth,
            phone: field::phone(&self.phone)?,
            email: field::email(self.email.as_deref())?,
            address: field::address(&self.address)?,
        })
    }
}

/// The dossier's free-form fields: a JSON object of bounded size.
pub fn validate_fields(fields: &serde_json::Value) -> Result<(), Problem> {
    let ok_shape = fields.as_object().is_some_and(|o| o.len() <= 100);
    if !ok_shape || fields.to_string().len() > 32 * 1024 {
        return Err(Problem::invalid(
            "bad_fields",
            "fields",
            "Trường \"fields\" phải là một đối tượng JSON, tối đa 32 KB",
        ));
    }
    Ok(())
}

/// Public dossier code: `<unit code>-<yymmdd>-<sequence of the day>`, e.g.
/// `28261-260213-0007`. The sequence restarts each day per unit, so the code
/// says where and when the dossier was filed, and the counter never skips.
pub fn dossier_code(unit_code: &str, day: Date, seq: i64) -> String {
    format!(
        "{unit_code}-{:02}{:02}{:02}-{seq:04}",
        day.year().rem_euclid(100),
        u8::from(day.month()),
        day.day()
    )
}

/// Check the shape of a code typed by a citizen before touching the database.
pub fn is_well_formed_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let (Some(unit), Some(day), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    unit.len() == 5
        && day.len() == 6
        && (4..=9).contains(&seq.len())
        && [unit, day, seq]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Characters of lookup keys: no 0/O, 1/I/L, easy to read aloud and type.
const KEY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const KEY_LEN: usize = 10;

/// A lookup key from 8 random bytes (31^10 ≈ 8·10^14 keys).
pub fn lookup_key(random: [u8; 8]) -> String {
    let mut n = u64::from_le_bytes(random);
    let base = KEY_ALPHABET.len() as u64;
    (0..KEY_LEN)
        .map(|_| {
            let c = KEY_ALPHABET[(n % base) as usize] as char;
            n /= base;
            c
        })
        .collect()
}

/// Normalize a key typed by a person (case, spaces, look-alike letters).
pub fn normalize_key(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            c => c,
        })
        .collect()
}

/// What the store keeps of a lookup key: HMAC-SHA256 under the server's
/// lookup secret, bound to the dossier's code. Fast, so lookups stay cheap;
/// keyed, so a copy of the database alone does not let anyone try keys.
pub fn lookup_key_hash(secret: &[u8], code: &str, key: &str) -> String {
    let message = format!("motcua-lookup-v1\n{code}\n{}", normalize_key(key));
    crate::audit::checkpoint_mac(secret, message.as_bytes())
}

/// One event as the projection needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub role: String,
    pub action: Action,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub note: Option<String>,
    pub payload: crate::payload::Payload,
    /// Time facts recorded beside an event written before events carried
    /// them in their payload (see [`Frozen`]). Not part of the hashed event.
    #[serde(skip)]
    pub frozen: Frozen,
}

/// The time facts an event fixed when it was taken: the due instant it set
/// (reception, resumption after a supplement) and the working minutes a
/// pause kept. A due date printed on a receipt is a promise: once recorded,
/// a later change of the calendar or of the catalog never moves it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frozen {
    pub due_at: Option<OffsetDateTime>,
    pub pause_remaining: Option<i64>,
}

impl Event {
    /// The due instant this event set when it was taken, if recorded.
    fn recorded_due(&self) -> Option<OffsetDateTime> {
        self.payload
            .due_at
            .as_deref()
            .and_then(|s| {
                OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
            })
            .or(self.frozen.due_at)
    }

    /// The working minutes this event's pause kept, if recorded.
    fn recorded_pause(&self) -> Option<i64> {
        self.payload.pause_remaining.or(self.frozen.pause_remaining)
    }

    /// Whether this event fixes a time fact that must be recorded with it:
    /// a reception (unless it waits for payment with the clock not
    /// started), a supplement request or a supplement, and the payment
    /// that ends a wait for payment.
    pub fn fixes_time(&self) -> bool {
        match self.action {
            Action::CreateAtCounter | Action::Receive => {
                self.payload.pay_clock != Some(PayClock::NotStarted)
            }
            Action::Supplement | Action::RequestSupplement => true,
            Action::RecordPayment => self.from_status == Some(Status::AwaitingPayment),
            _ => false,
        }
    }

    /// Write into the payload the time facts this event fixed, as the
    /// projection after it shows them; the refold then reads them instead of
    /// computing them again from a calendar that may have changed.
    pub fn record_time_facts(&mut self, after: &Projection) {
        let facts = time_facts(self, after);
        if let Some(due) = facts.due_at {
            // To the millisecond, as the row keeps it: a refold reading this
            // text must give back exactly the stored instant.
            let due = due
                .replace_nanosecond(due.nanosecond() / 1_000_000 * 1_000_000)
                .unwrap_or(due);
            let text = due
                .to_offset(crate::calendar::VN_OFFSET)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            self.payload.due_at = Some(text);
        }
        if let Some(minutes) = facts.pause_remaining {
            self.payload.pause_remaining = Some(minutes);
        }
    }
}

/// The time facts an event fixes, read off the projection after it: a
/// reception its due instant (and its pause when it waits for payment with
/// the clock paused), a payment that ends the wait the due instant it sets.
pub fn time_facts(ev: &Event, after: &Projection) -> Frozen {
    let due = Frozen {
        due_at: after.due_at,
        pause_remaining: None,
    };
    match ev.action {
        Action::CreateAtCounter | Action::Receive => Frozen {
            pause_remaining: after.pause_remaining,
            ..due
        },
        Action::Supplement => due,
        Action::RecordPayment if ev.from_status == Some(Status::AwaitingPayment) => due,
        Action::RequestSupplement | Action::Apologize => Frozen {
            due_at: None,
            pause_remaining: after.pause_remaining,
        },
        _ => Frozen::default(),
    }
}

/// The dossier row, as derived from its events. The store writes exactly this
/// after each event, and a consistency check can refold the events to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub status: Status,
    pub paused_from: Option<Status>,
    pub assignee: Option<String>,
    pub received_at: Option<OffsetDateTime>,
    /// The statutory due instant; while paused, the one that stood when the pause began.
    pub due_at: Option<OffsetDateTime>,
    /// Working minutes left when the clock was paused for a supplement.
    pub pause_remaining: Option<i64>,
    /// Since when the clock stands still (the request, or an apology given
    /// while paused): the citizen's working time from here is added back.
    pub paused_at: Option<OffsetDateTime>,
    /// How many supplements were requested; the national index counts a
    /// dossier with more than one as late (SERVICE-INDEX.md, LAW.md "Time").
    pub supplement_requests: i64,
    pub finished_at: Option<OffsetDateTime>,
    pub returned_at: Option<OffsetDateTime>,
    pub apologized: bool,
    /// Forwarded to the competent unit by the center that received it
    /// (Decree 118/2025, art. 14): it is routed at most once.
    pub routed: bool,
    /// Withdrawn while waiting for papers asked before its appointment: its
    /// processing ended at the request (the portal's 2.1).
    pub ended_waiting: bool,
    /// A receipt is in force: the fee is paid (a void takes it back).
    pub paid: bool,
    pub version: i64,
}

/// The new date an apology promised.
fn apology_due(ev: &Event) -> Result<OffsetDateTime, Problem> {
    ev.payload
        .new_due
        .as_deref()
        .and_then(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .ok_or_else(|| {
            Problem::invalid(
                "bad_event",
                "new_due",
                format!("Sự kiện {} thiếu new_due", ev.action),
            )
        })
}

impl Projection {
    /// Fold a dossier's events, oldest first.
    pub fn fold(
        events: &[Event],
        processing: ProcessingTime,
        cal: &WorkCalendar,
    ) -> Result<Self, Problem> {
        let mut iter = events.iter();
        let first = iter
            .next()
            .ok_or_else(|| Problem::invalid("bad_event", "events", "Hồ sơ không có sự kiện nào"))?;
        let mut p = Self::start(first, processing, cal)?;
        for ev in iter {
            p.apply(ev, processing, cal)?;
        }
        Ok(p)
    }

    /// For each event, the time facts it fixed, by folding the events as
    /// they are (recorded facts first, the calendar for the rest): what an
    /// upgrade records for events written before facts were recorded.
    pub fn fold_time_facts(
        events: &[Event],
        processing: ProcessingTime,
        cal: &WorkCalendar,
    ) -> Result<Vec<(i64, Frozen)>, Problem> {
        let mut out = Vec::new();
        let mut p: Option<Projection> = None;
        for ev in events {
            match &mut p {
                None => p = Some(Self::start(ev, processing, cal)?),
                Some(p) => p.apply(ev, processing, cal)?,
            }
            if let Some(p) = &p {
                let facts = time_facts(ev, p);
                if facts != Frozen::default() {
                    out.push((ev.seq, facts));
                }
            }
        }
        Ok(out)
    }

    /// The projection after a dossier's first event (submit or create at counter).
    pub fn start(
        ev: &Event,
        processing: ProcessingTime,
        cal: &WorkCalendar,
    ) -> Result<Self, Problem> {
        let mut p = Projection {
            status: Status::Submitted,
            paused_from: None,
            assignee: None,
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
            version: ev.seq,
        };
        match ev.action {
            Action::Submit => {}
            Action::CreateAtCounter => {
                p.status = ev.to_status;
                p.receive(ev, processing, cal);
            }
            other => {
                return Err(Problem::invalid(
                    "bad_event",
                    "action",
                    format!("Hồ sơ không thể bắt đầu bằng \"{}\"", other.label_vi()),
                ));
            }
        }
        Ok(p)
    }

    /// Apply one more event. The transition was already checked; this is the
    /// arithmetic of time: reception starts the clock, a supplement request
    /// pauses it, the supplement resumes it, an apology moves the date.
    pub fn apply(
        &mut self,
        ev: &Event,
        processing: ProcessingTime,
        cal: &WorkCalendar,
    ) -> Result<(), Problem> {
        if ev.seq != self.version + 1 {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "bad_event_order",
                "Thứ tự sự kiện không liền mạch",
            ));
        }
        match ev.action {
            Action::Receive => self.receive(ev, processing, cal),
            Action::Assign => {
                self.assignee = ev.payload.assignee.clone();
            }
            Action::RequestSupplement => {
                self.paused_from = Some(self.status);
                self.paused_at = Some(ev.at);
                self.supplement_requests += 1;
                self.pause_remaining = Some(ev.recorded_pause().unwrap_or_else(|| {
                    self.due_at
                        .map_or(0, |due| cal.working_minutes_between(ev.at, due))
                }));
            }
            Action::Supplement => {
                if let Some(remaining) = self.pause_remaining.take().filter(|m| *m > 0) {
                    self.due_at = Some(
                        ev.recorded_due()
                            .unwrap_or_else(|| self.resumed_due(ev.at, remaining, cal)),
                    );
                }
                self.paused_from = None;
                self.paused_at = None;
            }
            Action::RecordPayment => {
                self.paid = true;
                if ev.from_status == Some(Status::AwaitingPayment) {
                    self.due_at = match (self.pause_remaining.take(), ev.recorded_due()) {
                        (_, Some(recorded)) => Some(recorded),
                        // Paused at reception: resumes, moved by the unpaid time.
                        (Some(remaining), None) => Some(self.resumed_due(ev.at, remaining, cal)),
                        // Not started: the clock starts at the payment.
                        (None, None) => Some(cal.due(ev.at, processing)),
                    };
                    self.paused_from = None;
                    self.paused_at = None;
                }
            }
            // Voided or paid back: no receipt in force.
            Action::VoidReceipt | Action::RefundPayment => self.paid = false,
            Action::Approve
            | Action::Reject
            | Action::RefuseIntake
            | Action::Withdraw
            | Action::ExpireUnpaid => {
                // Stopped unpaid while the clock stood since reception: the
                // wait was the citizen's, never the center's lateness.
                if ev.action == Action::ExpireUnpaid && self.pause_remaining.is_some() {
                    self.ended_waiting = true;
                }
                if ev.action == Action::Withdraw && self.pause_remaining.is_some() {
                    self.ended_waiting = matches!(
                        (self.paused_at, self.due_at),
                        (Some(p), Some(d)) if p <= d
                    );
                }
                self.finished_at = Some(ev.at);
                self.pause_remaining = None;
                self.paused_from = None;
                self.paused_at = None;
            }
            Action::ReturnResult => self.returned_at = Some(ev.at),
            Action::Apologize => {
                self.due_at = Some(apology_due(ev)?);
                self.apologized = true;
                if self.pause_remaining.is_some() {
                    // A new date given while paused: the clock resumes toward it,
                    // and the citizen's time is counted from the apology on.
                    self.pause_remaining = ev
                        .recorded_pause()
                        .or_else(|| self.due_at.map(|d| cal.working_minutes_between(ev.at, d)));
                    self.paused_at = Some(ev.at);
                }
            }
            Action::Route => self.routed = true,
            Action::Propose
            | Action::SendBack
            | Action::Submit
            | Action::CreateAtCounter
            | Action::ReissueKey
            | Action::CorrectApplicant => {}
        }
        self.status = ev.to_status;
        self.version = ev.seq;
        Ok(())
    }

    /// Reception (online, or at the counter on creation): the clock starts,
    /// unless the dossier waits for payment with its clock not started; with
    /// it paused, the appointment is given and the clock stands at once.
    fn receive(&mut self, ev: &Event, processing: ProcessingTime, cal: &WorkCalendar) {
        self.received_at = Some(ev.at);
        let waits = ev.to_status == Status::AwaitingPayment;
        if waits && ev.payload.pay_clock != Some(PayClock::Paused) {
            return;
        }
        let due = ev
            .recorded_due()
            .unwrap_or_else(|| cal.due(ev.at, processing));
        self.due_at = Some(due);
        if waits {
            self.paused_from = Some(Status::Received);
            self.paused_at = Some(ev.at);
            self.pause_remaining = Some(
                ev.recorded_pause()
                    .unwrap_or_else(|| cal.working_minutes_between(ev.at, due)),
            );
        }
    }

    /// The due instant when a supplement arrives at `at`: the one standing
    /// when the clock stopped, moved by the working time the citizen took
    /// (Decree 118/2025: the supplement's time is not counted). A pause that
    /// took no working time moves nothing; the clock resumes where it stopped.
    fn resumed_due(
        &self,
        at: OffsetDateTime,
        remaining: i64,
        cal: &WorkCalendar,
    ) -> OffsetDateTime {
        match (self.paused_at, self.due_at) {
            (Some(since), Some(due)) => {
                cal.add_working_minutes(due, cal.working_minutes_between(since, at))
            }
            // Paused before the pause instant was kept: resume from the remainder.
            _ => cal.add_working_minutes(cal.next_working_instant(at), remaining),
        }
    }

    /// Late: settled after its due instant, still open past it, paused when
    /// already overdue, or apologized for (an apology stays counted as late).
    pub fn is_late(&self, now: OffsetDateTime) -> bool {
        self.late_from().is_some_and(|t| now > t)
    }

    /// The instant after which the dossier counts as late, if any. Stored with
    /// the row so that "late" lists are an index range instead of a scan; the
    /// epoch stands for "late whatever the time" (settled late, apologized).
    pub fn late_from(&self) -> Option<OffsetDateTime> {
        let always = OffsetDateTime::UNIX_EPOCH;
        if self.apologized {
            return Some(always);
        }
        match self.status {
            // Waiting for the citizen's payment is not the center's time.
            Status::Submitted
            | Status::Refused
            | Status::Withdrawn
            | Status::Stopped
            | Status::AwaitingPayment => None,
            Status::AwaitingSupplement => (self.pause_remaining == Some(0)).then_some(always),
            s if s.is_settled() => match (self.finished_at, self.due_at) {
                (Some(f), Some(d)) if f > d => Some(always),
                _ => None,
            },
            _ => self.due_at,
        }
    }
}

/// How pressing an open dossier is, for an officer's work list. Calendar
/// time, counted as a person reads a clock: whole days late, hours left on
/// the last day, days waiting to be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Submitted, not yet received, for this many whole days.
    Waiting { days: i64 },
    /// Past its due instant by this many days (at least 1).
    Late { days: i64 },
    /// Due within a day: this many hours left (at least 1).
    HoursLeft { hours: i64 },
    /// This many whole days left.
    DaysLeft { days: i64 },
    /// The clock stands still or has not started (papers or the fee asked
    /// of the citizen).
    Paused,
}

impl Projection {
    /// Whether an apology ("xin lỗi và hẹn lại ngày trả") is due: the clock
    /// runs and less than one working day is left, or the due instant has
    /// passed. Before that the dossier may still be settled on time.
    pub fn apology_timely(&self, cal: &crate::calendar::WorkCalendar, now: OffsetDateTime) -> bool {
        let running = matches!(
            self.status,
            Status::Received | Status::Processing | Status::AwaitingApproval
        );
        match self.due_at {
            Some(due) if running => {
                now >= due || cal.working_minutes_between(now, due) < cal.hours().minutes_per_day()
            }
            _ => false,
        }
    }

    /// None once the dossier is settled or closed.
    pub fn urgency(&self, submitted_at: OffsetDateTime, now: OffsetDateTime) -> Option<Urgency> {
        let ceil = |d: time::Duration, unit: i64| (d.whole_seconds() + unit - 1) / unit;
        match self.status {
            Status::Submitted => Some(Urgency::Waiting {
                days: (now - submitted_at).whole_days().max(0),
            }),
            Status::AwaitingSupplement | Status::AwaitingPayment => Some(Urgency::Paused),
            Status::Received | Status::Processing | Status::AwaitingApproval => {
                let due = self.due_at?;
                if now > due {
                    Some(Urgency::Late {
                        days: ceil(now - due, 86_400).max(1),
                    })
                } else if due - now < time::Duration::DAY {
                    Some(Urgency::HoursLeft {
                        hours: ceil(due - now, 3_600).max(1),
                    })
                } else {
                    Some(Urgency::DaysLeft {
                        days: (due - now).whole_days(),
                    })
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn bare(status: Status) -> Projection {
        Projection {
            status,
            paused_from: None,
            assignee: None,
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
            version: 1,
        }
    }

    #[test]
    fn urgency_reads_like_a_clock() {
        let at = datetime!(2026-03-02 09:00 +7);
        let mut p = bare(Status::Processing);
        p.due_at = Some(at);
        let h = time::Duration::hours;
        assert_eq!(
            p.urgency(at, at - h(3)),
            Some(Urgency::HoursLeft { hours: 3 })
        );
        assert_eq!(
            p.urgency(at, at - h(23) - time::Duration::minutes(59)),
            Some(Urgency::HoursLeft { hours: 24 })
        );
        assert_eq!(
            p.urgency(at, at - h(50)),
            Some(Urgency::DaysLeft { days: 2 })
        );
        assert_eq!(
            p.urgency(at, at + time::Duration::minutes(1)),
            Some(Urgency::Late { days: 1 })
        );
        assert_eq!(p.urgency(at, at + h(49)), Some(Urgency::Late { days: 3 }));
        p.status = Status::Submitted;
        assert_eq!(
            p.urgency(at, at + h(49)),
            Some(Urgency::Waiting { days: 2 })
        );
        p.status = Status::AwaitingSupplement;
        assert_eq!(p.urgency(at, at), Some(Urgency::Paused));
        p.status = Status::Returned;
        assert_eq!(p.urgency(at, at), None);
    }

    #[test]
    fn an_apology_is_due_within_the_last_working_day_or_after() {
        let cal = WorkCalendar::vietnam();
        // Due Wednesday 4 March 2026 at 16:00.
        let due = datetime!(2026-03-04 16:00 +7);
        let mut p = bare(Status::Processing);
        p.due_at = Some(due);
        assert!(!p.apology_timely(&cal, datetime!(2026-03-02 09:00 +7)));
        assert!(!p.apology_timely(&cal, datetime!(2026-03-03 15:00 +7)));
        assert!(p.apology_timely(&cal, datetime!(2026-03-03 17:00 +7)));
        assert!(p.apology_timely(&cal, datetime!(2026-03-05 08:00 +7)));
        p.status = Status::AwaitingSupplement;
        assert!(!p.apology_timely(&cal, datetime!(2026-03-05 08:00 +7)));
    }

    fn input() -> ApplicantInput {
        ApplicantInput {
            full_name: "Nguyễn Văn An".into(),
            id_number: "082090001234".into(),
            date_of_birth: "1990-05-17".into(),
            phone: "+84 912 345 678".into(),
            email: None,
            address: "Ấp 3, xã Mỹ Hiệp, Đồng Tháp".into(),
        }
    }

    #[test]
    fn applicant_validation() {
        let a = input().validate(date!(2026 - 02 - 13)).expect("valid");
        assert_eq!(a.phone, "0912345678");
        let mut bad = input();
        bad.id_number = "12345".into();
        assert_eq!(
            bad.validate(date!(2026 - 02 - 13))
                .expect_err("id")
                .field
                .as_deref(),
            Some("applicant.id_number")
        );
        let mut bad = input();
        bad.date_of_birth = "2030-01-01".into();
        assert_eq!(
            bad.validate(date!(2026 - 02 - 13)).expect_err("dob").code,
            "bad_date_of_birth"
        );
        let mut bad = input();
        bad.email = Some("an@".into());
        assert_eq!(
            bad.validate(date!(2026 - 02 - 13)).expect_err("email").code,
            "bad_email"
        ); // The messages name the real problem.
        let today = date!(2026 - 02 - 13);
        let mut bad = input();
        bad.date_of_birth = "31/02/1990".into();
        let e = bad.validate(today).expect_err("no such day");
        assert_eq!(e.code, "impossible_date_of_birth");
        assert!(
            e.message.contains("31/02/1990 không có thật"),
            "{}",
            e.message
        );
        let mut bad = input();
        bad.full_name = "Nguyễn Văn 2".into();
        let e = bad.validate(today).expect_err("digit");
        assert!(e.message.contains("chỉ gồm chữ cái"), "{}", e.message);
        // The number's year against the date of birth, its province code.
        let mut bad = input();
        bad.date_of_birth = "1991-05-17".into();
        let e = bad.validate(today).expect_err("year");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("id_number_mismatch", Some("applicant.id_number"))
        );
        // A mobile number of today's plan (03, 05, 07, 08, 09); a landline is not one.
        let mut bad = input();
        bad.phone = "0277 3851 234".into();
        assert_eq!(bad.validate(today).expect_err("landline").code, "bad_phone");
        bad.phone = "0123456789".into();
        assert_eq!(
            bad.validate(today).expect_err("old prefix").code,
            "bad_phone"
        );
        let mut bad = input();
        bad.id_number = "999090001234".into();
        assert_eq!(
            bad.validate(today).expect_err("province").code,
            "bad_id_province"
        );
    }

    #[test]
    fn codes_and_keys() {
        let code = dossier_code("28261", date!(2026 - 02 - 13), 7);
        assert_eq!(code, "28261-260213-0007");
        assert!(is_well_formed_code(&code));
        assert!(!is_well_formed_code("28261-260213"));
        assert!(!is_well_formed_code("2826a-260213-0007"));
        let k = lookup_key([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(k.len(), KEY_LEN);
        assert_ne!(k, lookup_key([8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(normalize_key(&k.to_lowercase()), k);
    }

    fn ev(
        seq: i64,
        at: OffsetDateTime,
        action: Action,
        to: Status,
        payload: serde_json::Value,
    ) -> Event {
        let payload = if payload.is_null() {
            crate::payload::Payload::default()
        } else {
            crate::payload::Payload::parse(&payload.to_string()).expect("payload")
        };
        Event {
            seq,
            at,
            actor: "t".into(),
            role: "receptionist".into(),
            action,
            from_status: None,
            to_status: to,
            note: None,
            payload,
            frozen: Default::default(),
        }
    }

    #[test]
    fn pause_moves_due_by_the_paused_working_time() {
        let cal = WorkCalendar::vietnam();
        let p = ProcessingTime::WorkingDays { amount: 3 };
        // Received Monday 2026-03-02 09:00, due Thursday 09:00.
        let events = vec![
            ev(
                1,
                datetime!(2026-03-02 09:00 +7),
                Action::CreateAtCounter,
                Status::Received,
                serde_json::Value::Null,
            ),
            ev(
                2,
                datetime!(2026-03-02 10:00 +7),
                Action::Assign,
                Status::Processing,
                serde_json::json!({"assignee": "cv"}),
            ),
            ev(
                3,
                datetime!(2026-03-03 09:00 +7),
                Action::RequestSupplement,
                Status::AwaitingSupplement,
                serde_json::Value::Null,
            ),
            ev(
                4,
                datetime!(2026-03-05 09:00 +7),
                Action::Supplement,
                Status::Processing,
                serde_json::Value::Null,
            ),
        ];
        let proj = Projection::fold(&events[..1], p, &cal).expect("fold");
        assert_eq!(proj.due_at, Some(datetime!(2026-03-05 09:00 +7)));
        let proj = Projection::fold(&events, p, &cal).expect("fold");
        // Paused two working days → due two working days later.
        assert_eq!(proj.due_at, Some(datetime!(2026-03-09 09:00 +7)));
        assert_eq!(proj.assignee.as_deref(), Some("cv"));
        assert_eq!(proj.status, Status::Processing);
        assert!(!proj.is_late(datetime!(2026-03-06 09:00 +7)));
        assert!(proj.is_late(datetime!(2026-03-09 09:01 +7)));
    }

    /// Received Monday 2 March 2026 09:00, returned the same day (due 17:00),
    /// then paused and resumed at the given instants.
    fn same_day_paused(paused: OffsetDateTime, resumed: OffsetDateTime) -> Projection {
        let cal = WorkCalendar::vietnam();
        let p = ProcessingTime::SameDay {
            cutoff: Some(time::macros::time!(15:00)),
        };
        let events = vec![
            ev(
                1,
                datetime!(2026-03-02 09:00 +7),
                Action::CreateAtCounter,
                Status::Received,
                serde_json::Value::Null,
            ),
            ev(
                2,
                paused,
                Action::RequestSupplement,
                Status::AwaitingSupplement,
                serde_json::Value::Null,
            ),
            ev(
                3,
                resumed,
                Action::Supplement,
                Status::Received,
                serde_json::Value::Null,
            ),
        ];
        Projection::fold(&events, p, &cal).expect("fold")
    }

    #[test]
    fn a_pause_that_took_no_working_time_moves_nothing() {
        // 40 seconds at the end of the day: the clock had a minute and a half
        // left; resuming "one minute from 16:59:10" used to cross 17:00 and
        // land on the next morning.
        let p = same_day_paused(
            datetime!(2026-03-02 16:58:30 +7),
            datetime!(2026-03-02 16:59:10 +7),
        );
        assert_eq!(p.due_at, Some(datetime!(2026-03-02 17:00 +7)));
        // Paused and resumed within the lunch break: no working time passed.
        let p = same_day_paused(
            datetime!(2026-03-02 11:40 +7),
            datetime!(2026-03-02 12:50 +7),
        );
        assert_eq!(p.due_at, Some(datetime!(2026-03-02 17:00 +7)));
        assert_eq!(p.supplement_requests, 1);
        assert_eq!(p.paused_at, None);
    }

    #[test]
    fn a_pause_adds_back_exactly_the_working_time_it_took() {
        // 16:00 → 17:00 and 07:30 → 08:00 next day: 90 working minutes.
        let p = same_day_paused(
            datetime!(2026-03-02 16:00 +7),
            datetime!(2026-03-03 08:00 +7),
        );
        assert_eq!(p.due_at, Some(datetime!(2026-03-03 09:00 +7)));
        // Half an hour in the morning: due 17:00 + 30 working minutes, which
        // is the next morning at 08:00 (the day ends at 17:00).
        let p = same_day_paused(
            datetime!(2026-03-02 10:00 +7),
            datetime!(2026-03-02 10:30 +7),
        );
        assert_eq!(p.due_at, Some(datetime!(2026-03-03 08:00 +7)));
    }

    #[test]
    fn apology_sets_new_date_and_counts_late() {
        let cal = WorkCalendar::vietnam();
        let p = ProcessingTime::WorkingDays { amount: 1 };
        let events = vec![
            ev(
                1,
                datetime!(2026-03-02 09:00 +7),
                Action::CreateAtCounter,
                Status::Received,
                serde_json::Value::Null,
            ),
            ev(
                2,
                datetime!(2026-03-03 08:00 +7),
                Action::Apologize,
                Status::Received,
                serde_json::json!({"new_due": "2026-03-10T10:00:00+07:00"}),
            ),
        ];
        let proj = Projection::fold(&events, p, &cal).expect("fold");
        assert_eq!(proj.due_at, Some(datetime!(2026-03-10 10:00 +7)));
        assert!(proj.is_late(datetime!(2026-03-04 09:00 +7)));
        let mut out_of_order = events.clone();
        out_of_order[1].seq = 5;
        assert!(Projection::fold(&out_of_order, p, &cal).is_err());
    }
}
