//! How late a dossier is, as the lists behind the index show it.

use crate::calendar::{OffsetDateTime, WorkCalendar};

/// Whole working days of the unit's calendar from the due instant to the end
/// of processing (`ended`: settled, or the clock stopped for a supplement),
/// or to `now` while it still runs; `None` when not past due. Working days,
/// as the time limits are counted; a part of a day does not count as one.
pub fn working_days_late(
    cal: &WorkCalendar,
    due: OffsetDateTime,
    ended: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<i64> {
    let end = ended.unwrap_or(now);
    (end > due)
        .then(|| cal.working_minutes_between(due, end) / cal.hours().minutes_per_day().max(1))
}

/// "quá hạn 2 ngày làm việc"; "quá hạn dưới 1 ngày làm việc" for less.
pub fn lateness_vi(days: i64) -> String {
    if days < 1 {
        "quá hạn dưới 1 ngày làm việc".into()
    } else {
        format!("quá hạn {days} ngày làm việc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn late_in_working_days() {
        let cal = WorkCalendar::vietnam();
        // Due Thursday 5 March 2026 09:00.
        let due = datetime!(2026-03-05 09:00 +7);
        let late = |end| working_days_late(&cal, due, Some(end), datetime!(2026-12-01 00:00 +7));
        assert_eq!(late(datetime!(2026-03-05 08:00 +7)), None);
        assert_eq!(late(datetime!(2026-03-05 10:00 +7)), Some(0));
        assert_eq!(late(datetime!(2026-03-06 09:00 +7)), Some(1));
        // The weekend is not counted: Friday 09:00 to Monday 09:00 is one day.
        assert_eq!(late(datetime!(2026-03-09 09:00 +7)), Some(2));
        // Still open: counted to now.
        assert_eq!(
            working_days_late(&cal, due, None, datetime!(2026-03-10 09:00 +7)),
            Some(3)
        );
        assert_eq!(lateness_vi(0), "quá hạn dưới 1 ngày làm việc");
        assert_eq!(lateness_vi(3), "quá hạn 3 ngày làm việc");
    }
}
