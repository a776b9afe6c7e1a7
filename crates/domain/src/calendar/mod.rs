//! The working calendar: when a dossier is due.
//!
//! Deadlines count working days or working hours of a unit: Monday to Friday,
//! morning and afternoon sessions, minus public holidays: for a year with an
//! official notice ([`notice`]), the days it announces with its make-up
//! Saturdays; for other years, computed from the Labour Code (solar and lunar,
//! see [`lunar`]). Extra days off and make-up days entered locally are
//! [`CalendarOverride`]s on top. All instants returned are in Vietnam time
//! ([`VN_OFFSET`]).

mod holidays;
pub mod lunar;
pub mod notice;
mod working;

use std::fmt;

use serde::{Deserialize, Serialize};
pub use time::{Date, OffsetDateTime, Time, UtcOffset};
use time::{PrimitiveDateTime, macros::format_description};

pub use holidays::Holiday;
pub use working::{WorkCalendar, WorkingHours};

/// Vietnam time, UTC+7 all year round (no daylight saving time).
pub const VN_OFFSET: UtcOffset = time::macros::offset!(+7);

/// How long a procedure takes, as the catalog states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
pub enum ProcessingTime {
    WorkingDays {
        amount: u32,
    },
    WorkingHours {
        amount: u32,
    },
    /// Calendar days.
    Days {
        amount: u32,
    },
    /// Returned the same working day when received before `cutoff` (or, with
    /// none, during working hours), else the next working day. The 15:00
    /// cut-off is a rule of some sectors (civil status, certification, the
    /// Decree 63/2024 group), so it belongs to the procedure (LAW.md, "Time").
    SameDay {
        #[serde(default, with = "hhmm_opt", skip_serializing_if = "Option::is_none")]
        cutoff: Option<Time>,
    },
}

/// What an override does to its date.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "day_off: an extra day off; working_day: a make-up working day, or a computed holiday not kept."
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideKind {
    /// An extra day off (or a day off moved here).
    DayOff,
    /// A make-up working day, or a computed holiday the announcement did not keep.
    WorkingDay,
}

/// One line of a year's official announcement of days off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarOverride {
    #[serde(with = "ymd")]
    pub date: Date,
    pub kind: OverrideKind,
    pub name: String,
}

/// Errors of the calendar, with messages shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("Giờ làm việc phải có ít nhất một buổi")]
    NoSession,
    #[error(
        "Buổi làm việc {}–{} không hợp lệ: giờ bắt đầu phải trước giờ kết thúc",
        Hm(*.start),
        Hm(*.end)
    )]
    EmptySession { start: Time, end: Time },
    #[error(
        "Buổi làm việc bắt đầu lúc {} phải sau buổi trước (kết thúc lúc {}): các buổi phải theo thứ tự và không chồng lên nhau",
        Hm(*.start),
        Hm(*.previous_end)
    )]
    OverlappingSessions { previous_end: Time, start: Time },
    #[error("Giờ làm việc phải tròn phút (không có giây): {}", Hm(*.0))]
    NotWholeMinute(Time),
    #[error(
        "Thời điểm không hợp lệ: «{0}». Hãy nhập theo dạng YYYY-MM-DDTHH:MM (giờ Việt Nam) hoặc RFC 3339"
    )]
    InvalidInstant(String),
    #[error("Giờ không hợp lệ: «{0}». Hãy nhập theo dạng HH:MM")]
    InvalidTime(String),
    #[error("Ngày không hợp lệ: «{0}». Hãy nhập theo dạng YYYY-MM-DD")]
    InvalidDate(String),
}

/// Displays a time of day as "HH:MM".
struct Hm(Time);

impl fmt::Display for Hm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

/// Parse "YYYY-MM-DDTHH:MM" (Vietnam time; a space instead of the T and
/// seconds are accepted too) or RFC 3339 into an instant.
pub fn parse_instant(s: &str) -> Result<OffsetDateTime, CalendarError> {
    let s = s.trim();
    let invalid = || CalendarError::InvalidInstant(s.to_owned());
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return t.checked_to_offset(VN_OFFSET).ok_or_else(invalid);
    }
    let local = s.replacen(' ', "T", 1);
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    // As `format_vn` prints it and people type it: "20/03/2026 16:00".
    let vn = format_description!(
        "[day padding:none]/[month padding:none]/[year] [hour padding:none]:[minute]"
    );
    PrimitiveDateTime::parse(&local, minutes)
        .or_else(|_| PrimitiveDateTime::parse(&local, seconds))
        .or_else(|_| PrimitiveDateTime::parse(s, vn))
        .map(|p| p.assume_offset(VN_OFFSET))
        .map_err(|_| invalid())
}

/// Format an instant in Vietnam time as "dd/mm/yyyy HH:MM".
pub fn format_vn(t: OffsetDateTime) -> String {
    let l = to_local(t);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        l.day(),
        u8::from(l.month()),
        l.year(),
        l.hour(),
        l.minute()
    )
}

/// Parse "HH:MM" (or "HH:MM:SS") into a time of day.
pub fn parse_time(s: &str) -> Result<Time, CalendarError> {
    let s = s.trim();
    Time::parse(s, format_description!("[hour]:[minute]"))
        .or_else(|_| Time::parse(s, format_description!("[hour]:[minute]:[second]")))
        .map_err(|_| CalendarError::InvalidTime(s.to_owned()))
}

/// Parse "YYYY-MM-DD" into a date.
pub fn parse_date(s: &str) -> Result<Date, CalendarError> {
    let s = s.trim();
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| CalendarError::InvalidDate(s.to_owned()))
}

/// Parse a date a person typed on a page: "dd/mm/yyyy", or "YYYY-MM-DD".
pub fn parse_date_typed(s: &str) -> Result<Date, CalendarError> {
    let s = s.trim();
    parse_date(s)
        .or_else(|_| {
            Date::parse(
                s,
                format_description!("[day padding:none]/[month padding:none]/[year]"),
            )
        })
        .map_err(|_| CalendarError::InvalidDate(s.to_owned()))
}

/// The local (Vietnam) date and time of an instant. Saturates at the ends of
/// the representable range instead of panicking, since callers may pass any
/// offset.
fn to_local(t: OffsetDateTime) -> PrimitiveDateTime {
    match t.checked_to_offset(VN_OFFSET) {
        Some(l) => PrimitiveDateTime::new(l.date(), l.time()),
        None if t.year() < 0 => PrimitiveDateTime::MIN,
        None => PrimitiveDateTime::MAX,
    }
}

/// The instant of a local (Vietnam) date and time.
fn from_local(date: Date, time: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(date, time).assume_offset(VN_OFFSET)
}

/// Serde for an optional time of day as "HH:MM", the way staff type it.
mod hhmm_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Time;

    pub fn serialize<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(&super::Hm(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_time(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Serde for a date as "YYYY-MM-DD", whatever features of `time` other
/// crates turn on.
mod ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_date(&s).map_err(serde::de::Error::custom)
    }
}
