//! The queue's rules: the states a ticket goes through at the counter,
//! which state each officer's action applies to, how long a new ticket will
//! likely wait, the appointment slots of a day and when a booked person may
//! check in. The store keeps tickets, calls and appointments; it asks here.

use crate::Problem;
use crate::calendar::{Date, OffsetDateTime, VN_OFFSET, WorkCalendar};
use serde::Serialize;

/// Minutes a ticket is assumed to take when the day has no finished ticket yet.
pub const DEFAULT_SERVICE_MINUTES: i64 = 6;
/// Appointments a slot takes per service.
pub const SLOT_CAPACITY: i64 = 3;
/// Length of an appointment slot.
pub const SLOT_MINUTES: i64 = 30;
/// A booked person who checks in this long before the slot, or up to this long
/// after it starts, goes ahead of walk-ins.
pub const CHECK_IN_EARLY_MINUTES: i64 = 30;
pub const CHECK_IN_LATE_MINUTES: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    Skipped,
    Held,
    /// Sent to another service or counter; waits there ahead of walk-ins.
    Transferred,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 7] = [
        TicketStatus::Waiting,
        TicketStatus::Called,
        TicketStatus::Serving,
        TicketStatus::Done,
        TicketStatus::Skipped,
        TicketStatus::Held,
        TicketStatus::Transferred,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::Skipped => "skipped",
            TicketStatus::Held => "held",
            TicketStatus::Transferred => "transferred",
        }
    }
    pub fn parse(s: &str) -> Option<TicketStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
    /// Still in the queue, not yet called.
    pub fn is_waiting(self) -> bool {
        matches!(self, TicketStatus::Waiting | TicketStatus::Transferred)
    }
}

/// What an officer does with the ticket at their counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketAction {
    /// Call the same number again (the board repeats it).
    Recall,
    /// The citizen came: serving starts.
    Start,
    /// Nobody came (no-show).
    Skip,
    /// Put aside (the citizen fetches a paper); stays with this counter.
    Hold,
    /// Call a held ticket back.
    Resume,
    Finish,
    /// Send to another service, or to one counter.
    Transfer {
        service_id: i64,
        counter_id: Option<i64>,
    },
    /// Link the dossier created or returned for this citizen.
    LinkDossier(String),
}

impl TicketAction {
    /// Statuses the action applies to.
    pub fn applies_to(&self) -> &'static [&'static str] {
        match self {
            TicketAction::Recall | TicketAction::Hold | TicketAction::Finish => {
                &["called", "serving"]
            }
            TicketAction::Start => &["called"],
            TicketAction::Skip => &["called", "held"],
            TicketAction::Resume => &["held"],
            TicketAction::Transfer { .. } => &["called", "serving", "held"],
            TicketAction::LinkDossier(_) => &[
                "waiting",
                "called",
                "serving",
                "done",
                "skipped",
                "held",
                "transferred",
            ],
        }
    }
}

/// How long a new ticket will likely wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Tickets of the same service called before this one.
    pub ahead: i64,
    /// Minutes, from the day's average service time (or the default) and the
    /// counters serving the service.
    pub minutes: i64,
    /// Average minutes a ticket of this service took today (default when none finished).
    pub service_minutes: i64,
}

impl Estimate {
    /// From the tickets ahead, the milliseconds each finished ticket of the
    /// service took today and the counters serving it.
    pub fn of(status: TicketStatus, ahead: i64, service_times_ms: &[i64], counters: i64) -> Self {
        let service_minutes = if service_times_ms.is_empty() {
            DEFAULT_SERVICE_MINUTES
        } else {
            let total: i64 = service_times_ms.iter().map(|m| (*m).max(0)).sum();
            let avg_ms = total / service_times_ms.len() as i64;
            (avg_ms + 59_999) / 60_000
        }
        .max(1);
        let counters = counters.max(1);
        let (ahead, minutes) = if status.is_waiting() {
            // Those ahead, shared among the counters serving the service.
            (ahead, (ahead * service_minutes + counters - 1) / counters)
        } else {
            (0, 0)
        };
        Estimate {
            ahead,
            minutes,
            service_minutes,
        }
    }
}

/// The slots of a service on a day with the places left in each: every
/// SLOT_MINUTES of the unit's working sessions, none on days off, none past.
/// `taken` holds the appointments already booked per slot label.
pub fn slots(
    cal: &WorkCalendar,
    day: Date,
    now: OffsetDateTime,
    taken: &[(String, i64)],
) -> Vec<(String, i64)> {
    if !cal.is_working_day(day) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &(start, end) in cal.hours().sessions() {
        let mut t = start;
        loop {
            let slot_end = t + time::Duration::minutes(SLOT_MINUTES);
            if slot_end > end || slot_end < t {
                break;
            }
            if day.with_time(t).assume_offset(VN_OFFSET) > now {
                let label = format!("{:02}:{:02}", t.hour(), t.minute());
                let used = taken
                    .iter()
                    .find(|(s, _)| *s == label)
                    .map_or(0, |(_, n)| *n);
                out.push((label, (SLOT_CAPACITY - used).max(0)));
            }
            t = slot_end;
        }
    }
    out
}

/// Whether `slot` may be booked among the open slots of its day.
pub fn may_book(open: &[(String, i64)], slot: &str) -> Result<(), Problem> {
    match open.iter().find(|(s, _)| s == slot) {
        None => Err(Problem::invalid(
            "bad_slot",
            "slot",
            "Hãy chọn một khung giờ còn trống trong ngày làm việc",
        )),
        Some((_, left)) if *left <= 0 => Err(slot_full()),
        Some(_) => Ok(()),
    }
}

/// The refusal when the last place of a slot went while the person chose it.
pub fn slot_full() -> Problem {
    Problem::invalid(
        "slot_full",
        "slot",
        "Khung giờ này đã kín lịch, hãy chọn giờ khác",
    )
}

/// The name on a booking, as people type it (NFC, trimmed, 2 to 100 letters).
pub fn booking_name(raw: &str) -> Result<String, Problem> {
    let name = crate::text::nfc(raw.trim());
    let n = name.chars().count();
    if !(2..=100).contains(&n) {
        return Err(Problem::invalid(
            "bad_name",
            "full_name",
            "Hãy nhập họ và tên (2 đến 100 ký tự)",
        ));
    }
    Ok(name)
}

/// Checking in a booked person at the kiosk: their ticket goes ahead of
/// walk-ins (priority 1) from CHECK_IN_EARLY_MINUTES before the slot to
/// CHECK_IN_LATE_MINUTES after it starts; later, it waits like any other
/// (priority 0). Earlier, or on another day, they are told when to come.
/// A booking that already has its ticket gets it again, whatever the time.
pub fn check_in(
    day: Date,
    slot: &str,
    has_ticket: bool,
    now: OffsetDateTime,
) -> Result<i64, Problem> {
    let Some(start) = crate::catalog::parse_hhmm(slot) else {
        return Err(Problem::invalid(
            "bad_slot",
            "slot",
            "Giờ hẹn lưu trong hệ thống không đúng dạng HH:MM",
        ));
    };
    let minutes = (now - day.with_time(start).assume_offset(VN_OFFSET)).whole_minutes();
    if !has_ticket {
        if day != now.to_offset(VN_OFFSET).date() {
            return Err(Problem::invalid(
                "not_today",
                "code",
                format!(
                    "Lịch hẹn này vào ngày {:02}/{:02}/{}, lúc {}",
                    day.day(),
                    u8::from(day.month()),
                    day.year(),
                    slot
                ),
            ));
        }
        if minutes < -CHECK_IN_EARLY_MINUTES {
            return Err(Problem::invalid(
                "too_early",
                "code",
                format!(
                    "Lịch hẹn lúc {slot}: mời ông/bà quay lại từ {CHECK_IN_EARLY_MINUTES} phút trước giờ hẹn"
                ),
            ));
        }
    }
    Ok(i64::from(minutes <= CHECK_IN_LATE_MINUTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_applies_to_the_states_written_here() {
        // Literal: a change of the queue's rules changes this table.
        let table: [(TicketAction, &[&str]); 8] = [
            (TicketAction::Recall, &["called", "serving"]),
            (TicketAction::Start, &["called"]),
            (TicketAction::Skip, &["called", "held"]),
            (TicketAction::Hold, &["called", "serving"]),
            (TicketAction::Resume, &["held"]),
            (TicketAction::Finish, &["called", "serving"]),
            (
                TicketAction::Transfer {
                    service_id: 1,
                    counter_id: None,
                },
                &["called", "serving", "held"],
            ),
            (
                TicketAction::LinkDossier(String::new()),
                &[
                    "waiting",
                    "called",
                    "serving",
                    "done",
                    "skipped",
                    "held",
                    "transferred",
                ],
            ),
        ];
        for (action, states) in table {
            assert_eq!(action.applies_to(), states, "{action:?}");
        }
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
        }
        assert!(TicketStatus::Transferred.is_waiting() && !TicketStatus::Held.is_waiting());
    }

    fn at(d: Date, h: u8, m: u8) -> OffsetDateTime {
        d.with_hms(h, m, 0).unwrap().assume_offset(VN_OFFSET)
    }

    #[test]
    fn the_wait_is_shared_among_counters_and_rounds_up() {
        use TicketStatus::*;
        // No finished ticket: 6 minutes each; 5 ahead over 2 counters = 15.
        assert_eq!(Estimate::of(Waiting, 5, &[], 2).minutes, 15);
        // 90 s and 150 s average 2 minutes; 3 ahead, 1 counter = 6.
        let e = Estimate::of(Transferred, 3, &[90_000, 150_000], 1);
        assert_eq!((e.ahead, e.minutes, e.service_minutes), (3, 6, 2));
        // Being served: nobody ahead, no wait; no counter counts as one.
        assert_eq!(Estimate::of(Serving, 4, &[], 0).minutes, 0);
        assert_eq!(Estimate::of(Waiting, 1, &[1_000], 0).minutes, 1);
    }

    #[test]
    fn slots_cover_the_working_sessions_from_now_on() {
        let cal = WorkCalendar::vietnam();
        let monday = time::macros::date!(2026 - 12 - 07);
        let all = slots(&cal, monday, at(monday, 6, 0), &[]);
        // 07:30–11:30 and 13:00–17:00: 8 + 8 half hours.
        assert_eq!(all.len(), 16);
        assert_eq!(all[0], ("07:30".to_string(), SLOT_CAPACITY));
        assert_eq!(all[8].0, "13:00");
        let taken = [("13:00".to_string(), 2), ("13:30".to_string(), 5)];
        let later = slots(&cal, monday, at(monday, 12, 0), &taken);
        assert_eq!(later[0], ("13:00".to_string(), 1));
        assert_eq!(later[1], ("13:30".to_string(), 0));
        assert_eq!(may_book(&later, "13:00"), Ok(()));
        assert_eq!(
            may_book(&later, "13:30").map_err(|p| p.code),
            Err("slot_full")
        );
        assert_eq!(
            may_book(&later, "08:00").map_err(|p| p.code),
            Err("bad_slot")
        );
        let sunday = time::macros::date!(2026 - 12 - 06);
        assert!(slots(&cal, sunday, at(sunday, 6, 0), &[]).is_empty());
    }

    #[test]
    fn check_in_goes_ahead_only_around_the_slot() {
        let day = time::macros::date!(2026 - 12 - 07);
        let code = |r: Result<i64, Problem>| r.map_err(|p| p.code);
        assert_eq!(
            code(check_in(day, "09:00", false, at(day, 8, 29))),
            Err("too_early")
        );
        assert_eq!(code(check_in(day, "09:00", false, at(day, 8, 30))), Ok(1));
        assert_eq!(code(check_in(day, "09:00", false, at(day, 9, 30))), Ok(1));
        assert_eq!(code(check_in(day, "09:00", false, at(day, 9, 31))), Ok(0));
        let yesterday = time::macros::date!(2026 - 12 - 06);
        assert_eq!(
            code(check_in(day, "09:00", false, at(yesterday, 9, 0))),
            Err("not_today")
        );
        // A second check-in returns the ticket already given.
        assert_eq!(code(check_in(day, "09:00", true, at(day, 7, 0))), Ok(1));
        assert_eq!(booking_name("  Lê Văn An ").as_deref(), Ok("Lê Văn An"));
        assert_eq!(booking_name("A").map_err(|p| p.code), Err("bad_name"));
    }
}
