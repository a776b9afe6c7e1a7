//! Working hours and the working calendar: which instants count towards a
//! deadline, and when a deadline falls.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use time::{Date, Duration, Month, OffsetDateTime, Time, macros::time};

use super::holidays::{self, Holiday, is_weekend};
use super::notice::{self, Notice};
use super::{CalendarError, CalendarOverride, OverrideKind, ProcessingTime, from_local, to_local};

/// Local (Vietnam time) working sessions of a working day, sorted and not
/// overlapping, each a half-open interval [start, end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    sessions: Vec<(Time, Time)>,
    minutes_per_day: i64,
}

impl WorkingHours {
    /// Checks the sessions: at least one, each starting before it ends, in
    /// order and not overlapping (one may start when the previous ends), on
    /// whole minutes so that minute counts stay exact.
    pub fn new(sessions: Vec<(Time, Time)>) -> Result<Self, CalendarError> {
        if sessions.is_empty() {
            return Err(CalendarError::NoSession);
        }
        let mut previous_end: Option<Time> = None;
        for &(start, end) in &sessions {
            for t in [start, end] {
                if t.second() != 0 || t.nanosecond() != 0 {
                    return Err(CalendarError::NotWholeMinute(t));
                }
            }
            if start >= end {
                return Err(CalendarError::EmptySession { start, end });
            }
            if let Some(previous_end) = previous_end.filter(|&p| start < p) {
                return Err(CalendarError::OverlappingSessions {
                    previous_end,
                    start,
                });
            }
            previous_end = Some(end);
        }
        let minutes_per_day = sessions
            .iter()
            .map(|&(start, end)| (end - start).whole_minutes())
            .sum();
        Ok(Self {
            sessions,
            minutes_per_day,
        })
    }

    pub fn sessions(&self) -> &[(Time, Time)] {
        &self.sessions
    }

    /// Working minutes in one working day (480 by default).
    pub fn minutes_per_day(&self) -> i64 {
        self.minutes_per_day
    }

    /// End of the last session of a working day.
    fn day_end(&self) -> Time {
        self.sessions.last().map_or(Time::MIDNIGHT, |&(_, end)| end)
    }
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:00–17:00, the usual hours of a commune office.
    fn default() -> Self {
        Self {
            sessions: vec![(time!(07:30), time!(11:30)), (time!(13:00), time!(17:00))],
            minutes_per_day: 480,
        }
    }
}

/// Years with statutory holidays, each computed once into a lock-free,
/// lazily filled slot. The lunar algorithm is only meant for a few centuries
/// around now; outside these years only weekends and overrides count.
const HOLIDAY_FIRST_YEAR: i32 = 1800;
const HOLIDAY_LAST_YEAR: i32 = 2399;
/// Bound on the table of other years with overrides, so odd inputs cannot
/// grow it forever.
const MAX_OTHER_YEARS: usize = 1024;
/// Bound on an amount of minutes: more than the whole range of `Date`, small
/// enough that no arithmetic on it overflows.
const MAX_MINUTES: i64 = 1 << 40;

/// One solar year of a calendar, computed once.
struct Year {
    /// Days off after overrides, sorted by date.
    holidays: Vec<Holiday>,
    /// Weekend days worked (the notice's and the overrides'), sorted by date.
    make_up: Vec<Holiday>,
    /// Bit `ordinal - 1` set when that day is a working day.
    working: [u64; 6],
    working_days: i64,
}

impl Year {
    fn build(year: i32, notice: Option<&Notice>, overrides: &[CalendarOverride]) -> Self {
        let mut list = match notice {
            // The announced days replace the computed ones (swaps included).
            Some(n) => n
                .days_off()
                .map(|d| Holiday {
                    date: d.date,
                    name: d.name.clone(),
                })
                .collect(),
            None if (HOLIDAY_FIRST_YEAR..=HOLIDAY_LAST_YEAR).contains(&year) => {
                holidays::statutory(year)
            }
            None => Vec::new(),
        };
        // A compensatory day could in theory spill into the next year; that
        // year's table would not see it, so keep each year to its own days.
        list.retain(|h| h.date.year() == year);
        // The notice's make-up days first, then local overrides, which win.
        let mut layered: Vec<CalendarOverride> = notice
            .map(|n| n.working_days().collect())
            .unwrap_or_default();
        let local = overrides_of(overrides, year);
        layered.retain(|o| local.binary_search_by_key(&o.date, |l| l.date).is_err());
        layered.extend(local.iter().cloned());
        layered.sort_by_key(|o| o.date);
        let this_year = layered.as_slice();
        for o in this_year {
            list.retain(|h| h.date != o.date);
            if o.kind == OverrideKind::DayOff {
                list.push(Holiday {
                    date: o.date,
                    name: o.name.clone(),
                });
            }
        }
        list.sort_by_key(|h| h.date);

        let mut working = [0_u64; 6];
        let mut working_days = 0;
        let mut day = Date::from_calendar_date(year, Month::January, 1).ok();
        while let Some(d) = day.filter(|d| d.year() == year) {
            let is_working = if list.binary_search_by_key(&d, |h| h.date).is_ok() {
                false
            } else if this_year
                .binary_search_by_key(&d, |o| o.date)
                .is_ok_and(|i| this_year[i].kind == OverrideKind::WorkingDay)
            {
                true
            } else {
                !is_weekend(d)
            };
            if is_working {
                let i = usize::from(d.ordinal() - 1);
                working[i / 64] |= 1 << (i % 64);
                working_days += 1;
            }
            day = d.next_day();
        }
        let make_up = this_year
            .iter()
            .filter(|o| o.kind == OverrideKind::WorkingDay && is_weekend(o.date))
            .map(|o| Holiday {
                date: o.date,
                name: o.name.clone(),
            })
            .collect();
        Self {
            holidays: list,
            make_up,
            working,
            working_days,
        }
    }

    fn is_working(&self, d: Date) -> bool {
        let i = usize::from(d.ordinal() - 1);
        self.working[i / 64] & (1 << (i % 64)) != 0
    }
}

struct Inner {
    hours: WorkingHours,
    /// Official notices, one per year, sorted by year.
    notices: Vec<Notice>,
    /// Sorted by date, one per date.
    overrides: Vec<CalendarOverride>,
    /// Slot `year - HOLIDAY_FIRST_YEAR`.
    cached: Box<[OnceLock<Year>]>,
    /// Years outside the slots that have overrides.
    others: RwLock<HashMap<i32, Arc<Year>>>,
}

/// A unit's working calendar. Cloning is cheap (the data is shared), and the
/// holidays of each year are computed once, on first use, so that `due()` for
/// millions of dossiers costs only table look-ups.
#[derive(Clone)]
pub struct WorkCalendar {
    inner: Arc<Inner>,
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkCalendar")
            .field("hours", &self.inner.hours)
            .field("overrides", &self.inner.overrides)
            .finish_non_exhaustive()
    }
}

impl WorkCalendar {
    /// The shipped official notices, then `overrides`; when two overrides
    /// share a date, the later one in `overrides` wins.
    pub fn new(hours: WorkingHours, overrides: Vec<CalendarOverride>) -> Self {
        Self::with_notices(hours, notice::shipped(), overrides)
    }

    /// With the given notices (the last one of a year wins) instead of the
    /// shipped ones.
    pub fn with_notices(
        hours: WorkingHours,
        notices: Vec<Notice>,
        overrides: Vec<CalendarOverride>,
    ) -> Self {
        let mut notices = notices;
        notices.reverse();
        notices.sort_by_key(|n| n.year);
        notices.dedup_by_key(|n| n.year);
        let mut by_date = overrides;
        // Reversed then stably sorted, the last given of a date comes first
        // and dedup keeps it.
        by_date.reverse();
        by_date.sort_by_key(|o| o.date);
        by_date.dedup_by_key(|o| o.date);
        let slots = usize::try_from(HOLIDAY_LAST_YEAR - HOLIDAY_FIRST_YEAR + 1).unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                hours,
                notices,
                overrides: by_date,
                cached: (0..slots).map(|_| OnceLock::new()).collect(),
                others: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// Default hours, statutory holidays only.
    pub fn vietnam() -> Self {
        Self::new(WorkingHours::default(), Vec::new())
    }

    pub fn hours(&self) -> &WorkingHours {
        &self.inner.hours
    }

    /// The overrides in force, sorted by date, one per date.
    pub fn overrides(&self) -> &[CalendarOverride] {
        &self.inner.overrides
    }

    /// The official notice of `year`, if one is known.
    pub fn notice(&self, year: i32) -> Option<&Notice> {
        self.inner
            .notices
            .binary_search_by_key(&year, |n| n.year)
            .ok()
            .and_then(|i| self.inner.notices.get(i))
    }

    /// The weekend days of `year` that are worked (make-up days), sorted.
    pub fn make_up_days(&self, year: i32) -> Vec<Holiday> {
        self.with_year(year, Vec::new, |y| y.make_up.clone())
    }

    /// Calls `plain` for a year that has only weekends (outside the holiday
    /// years, no override), else `table` with the year's table.
    fn with_year<R>(
        &self,
        year: i32,
        plain: impl FnOnce() -> R,
        table: impl FnOnce(&Year) -> R,
    ) -> R {
        let slot = year
            .checked_sub(HOLIDAY_FIRST_YEAR)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.inner.cached.get(i));
        if let Some(slot) = slot {
            return table(
                slot.get_or_init(|| Year::build(year, self.notice(year), &self.inner.overrides)),
            );
        }
        if overrides_of(&self.inner.overrides, year).is_empty() && self.notice(year).is_none() {
            return plain();
        }
        let found = self
            .inner
            .others
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&year)
            .cloned();
        let y = found.unwrap_or_else(|| {
            let y = Arc::new(Year::build(year, self.notice(year), &self.inner.overrides));
            let mut others = self
                .inner
                .others
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if others.len() < MAX_OTHER_YEARS {
                others.insert(year, Arc::clone(&y));
            }
            y
        });
        table(&y)
    }

    /// Statutory days off of `year` (Labour Code 2019 art. 112) with their
    /// compensatory days, then the overrides of that year applied (DayOff adds
    /// a day with its name, WorkingDay removes one), sorted by date. Holidays
    /// on a weekend are listed too: they are still holidays.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        self.with_year(year, Vec::new, |y| y.holidays.clone())
    }

    /// Monday to Friday and not a day off, or any day overridden as a
    /// working day (a make-up Saturday).
    pub fn is_working_day(&self, d: Date) -> bool {
        self.with_year(d.year(), || !is_weekend(d), |y| y.is_working(d))
    }

    fn working_minutes_of_year(&self, year: i32) -> i64 {
        self.with_year(year, || weekdays_in_year(year), |y| y.working_days)
            * self.inner.hours.minutes_per_day
    }

    /// Earliest working instant >= `t` (`t` itself if it is inside a session).
    pub fn next_working_instant(&self, t: OffsetDateTime) -> OffsetDateTime {
        let local = to_local(t);
        let (mut date, mut time) = (local.date(), local.time());
        loop {
            if self.is_working_day(date) {
                for &(start, end) in self.hours().sessions() {
                    if time < end {
                        return from_local(date, time.max(start));
                    }
                }
            }
            match date.next_day() {
                Some(next) => (date, time) = (next, Time::MIDNIGHT),
                None => return from_local(Date::MAX, Time::MAX),
            }
        }
    }

    /// Add `minutes` of working time to `from` (zero or less adds nothing).
    /// A result exactly at the end of a session is that end, the earliest
    /// instant with that much working time behind it, not the start of the
    /// next session.
    pub fn add_working_minutes(&self, from: OffsetDateTime, minutes: i64) -> OffsetDateTime {
        let local = to_local(from);
        let (mut date, mut time) = (local.date(), local.time());
        let mut remaining = Duration::minutes(minutes.clamp(0, MAX_MINUTES));
        if remaining.is_zero() {
            return from_local(date, time);
        }
        loop {
            // Whole years at once, so that huge amounts stay cheap.
            if time == Time::MIDNIGHT && date.ordinal() == 1 {
                let year_total = Duration::minutes(self.working_minutes_of_year(date.year()));
                let skip_to = next_new_year(date).filter(|_| remaining > year_total);
                if let Some(next) = skip_to {
                    remaining -= year_total;
                    date = next;
                    continue;
                }
            }
            if self.is_working_day(date) {
                for &(start, end) in self.hours().sessions() {
                    if time >= end {
                        continue;
                    }
                    let start = time.max(start);
                    let available = end - start;
                    if remaining <= available {
                        return from_local(date, start + remaining);
                    }
                    remaining -= available;
                }
            }
            match date.next_day() {
                Some(next) => (date, time) = (next, Time::MIDNIGHT),
                None => return from_local(Date::MAX, Time::MAX),
            }
        }
    }

    /// Working minutes in [a, b), whole minutes; 0 if b <= a.
    pub fn working_minutes_between(&self, a: OffsetDateTime, b: OffsetDateTime) -> i64 {
        if b <= a {
            return 0;
        }
        let (a, b) = (to_local(a), to_local(b));
        let (mut date, mut time) = (a.date(), a.time());
        let mut total = Duration::ZERO;
        while date <= b.date() {
            let whole_year =
                time == Time::MIDNIGHT && date.ordinal() == 1 && date.year() < b.year();
            let skip_to = next_new_year(date).filter(|_| whole_year);
            if let Some(next) = skip_to {
                total += Duration::minutes(self.working_minutes_of_year(date.year()));
                date = next;
                continue;
            }
            if self.is_working_day(date) {
                for &(start, end) in self.hours().sessions() {
                    let low = time.max(start);
                    let high = if date == b.date() {
                        end.min(b.time())
                    } else {
                        end
                    };
                    if high > low {
                        total += high - low;
                    }
                }
            }
            match date.next_day() {
                Some(next) => (date, time) = (next, Time::MIDNIGHT),
                None => break,
            }
        }
        total.whole_minutes()
    }

    /// End of the last session of `d` if it is a working day, else of the
    /// next working day.
    fn end_of_working_day_from(&self, d: Date) -> OffsetDateTime {
        let mut date = d;
        while !self.is_working_day(date) {
            match date.next_day() {
                Some(next) => date = next,
                None => return from_local(Date::MAX, Time::MAX),
            }
        }
        from_local(date, self.hours().day_end())
    }

    /// Due instant of a procedure received at `from`:
    ///  - `WorkingDays { n }`: n working days of working time from the next
    ///    working instant (Fri 10:00 + 5 = 10:00 on the 5th working day
    ///    after); 0 → the end of that working day.
    ///  - `WorkingHours { n }`: n hours of working time; 0 → the next working
    ///    instant.
    ///  - `Days { n }`: the end of the local date n calendar days later, or of
    ///    the next working day when that date is a day off (Civil Code: a
    ///    period ending on a day off ends on the next working day).
    ///  - `SameDay { cutoff }`: the end of the same day when received on a
    ///    working day before the cutoff (none: before the day's end), else the
    ///    end of the next working day.
    pub fn due(&self, from: OffsetDateTime, p: ProcessingTime) -> OffsetDateTime {
        let per_day = self.hours().minutes_per_day();
        match p {
            ProcessingTime::WorkingDays { amount: 0 } => {
                let start = to_local(self.next_working_instant(from));
                self.end_of_working_day_from(start.date())
            }
            ProcessingTime::WorkingDays { amount } => {
                self.add_working_minutes(from, i64::from(amount) * per_day)
            }
            ProcessingTime::WorkingHours { amount: 0 } => self.next_working_instant(from),
            ProcessingTime::WorkingHours { amount } => {
                self.add_working_minutes(from, i64::from(amount) * 60)
            }
            ProcessingTime::Days { amount } => {
                let date = to_local(from)
                    .date()
                    .checked_add(Duration::days(i64::from(amount)))
                    .unwrap_or(Date::MAX);
                self.end_of_working_day_from(date)
            }
            ProcessingTime::SameDay { cutoff } => {
                let local = to_local(from);
                let cutoff = cutoff.unwrap_or_else(|| self.hours().day_end());
                if self.is_working_day(local.date()) && local.time() < cutoff {
                    from_local(local.date(), self.hours().day_end())
                } else {
                    match local.date().next_day() {
                        Some(next) => self.end_of_working_day_from(next),
                        None => from_local(Date::MAX, Time::MAX),
                    }
                }
            }
        }
    }
}

/// The overrides of `year`, from a list sorted by date.
fn overrides_of(overrides: &[CalendarOverride], year: i32) -> &[CalendarOverride] {
    let first = overrides.partition_point(|o| o.date.year() < year);
    let last = overrides.partition_point(|o| o.date.year() <= year);
    overrides.get(first..last).unwrap_or_default()
}

/// Monday to Friday days of `year`: 52 weeks of 5, plus the one or two days
/// left over, without walking the year.
fn weekdays_in_year(year: i32) -> i64 {
    let Ok(first) = Date::from_calendar_date(year, Month::January, 1) else {
        return 0;
    };
    let leftover = time::util::days_in_year(year) - 364;
    let extra = (0..leftover)
        .filter_map(|i| first.checked_add(Duration::days(i64::from(i))))
        .filter(|&d| !is_weekend(d))
        .count();
    260 + i64::try_from(extra).unwrap_or(0)
}

fn next_new_year(d: Date) -> Option<Date> {
    Date::from_calendar_date(d.year().checked_add(1)?, Month::January, 1).ok()
}
