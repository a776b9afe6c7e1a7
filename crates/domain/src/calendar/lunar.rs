//! Vietnamese lunar calendar (âm lịch).
//!
//! Hồ Ngọc Đức's published algorithm, evaluated at UTC+7. The time zone is what
//! makes the Vietnamese calendar differ from the Chinese one (UTC+8) in some
//! years: a new moon just after 23:00 in Hà Nội starts the month a day earlier
//! than in Beijing (Tết 1968, 1985, 2007, 2030).
//!
//! Day numbers are Julian day numbers of the proleptic Gregorian calendar (the
//! one `time::Date` uses); the published code switches to the Julian calendar
//! before 1582, which no dossier will ever need.

use std::f64::consts::PI;
use std::fmt;

use time::Date;

/// Hours east of Greenwich for which the calendar is computed.
const TIME_ZONE: f64 = 7.0;

/// Julian day of the new moon of 1900-01-01 (k = 0 of the series).
const EPOCH: f64 = 2_415_021.076_998_695;

/// Mean length of a synodic month, in days.
const SYNODIC_MONTH: f64 = 29.530_588_853;

/// A date of the Vietnamese lunar calendar.
///
/// `year` is the solar year in which the lunar year starts (Tết), so 10 tháng
/// Chạp of Giáp Thìn is `LunarDate { year: 2024, month: 12, day: 10, .. }`
/// even though it falls in January 2025.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    /// Set for the intercalary month (tháng nhuận) that repeats `month`.
    pub leap: bool,
}

impl fmt::Display for LunarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)?;
        if self.leap {
            f.write_str(" nhuận")?;
        }
        Ok(())
    }
}

/// The lunar date of a solar date.
pub fn solar_to_lunar(d: Date) -> LunarDate {
    let day_number = i64::from(d.to_julian_day());
    let yy = i64::from(d.year());
    let k = ((day_number as f64 - EPOCH) / SYNODIC_MONTH).floor() as i64;
    // The published code tries k + 1, then k. When a new moon falls just
    // after local midnight the mean-month estimate is one month high (it
    // gives day 0 of a month for 2054-05-07), so keep stepping back.
    let mut k = k + 1;
    let mut month_start = new_moon_day(k);
    for _ in 0..3 {
        if month_start <= day_number {
            break;
        }
        k -= 1;
        month_start = new_moon_day(k);
    }
    let mut a11 = lunar_month_11(yy);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = lunar_month_11(yy - 1);
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1);
    }
    let lunar_day = day_number - month_start + 1;
    let diff = (month_start - a11).div_euclid(29);
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11);
        if diff >= leap_diff {
            lunar_month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if lunar_month > 12 {
        lunar_month -= 12;
    }
    if lunar_month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        // The solar year is an i32 and the lunar one is within one of it;
        // saturate rather than wrap at the very ends of the range.
        year: i32::try_from(lunar_year).unwrap_or(if lunar_year < 0 { i32::MIN } else { i32::MAX }),
        // Month is 1..=12 and day 1..=30 by construction of the algorithm.
        month: u8::try_from(lunar_month).unwrap_or(0),
        day: u8::try_from(lunar_day).unwrap_or(0),
        leap,
    }
}

/// The solar date of a lunar date, or `None` when that lunar date does not
/// exist (day 30 of a 29-day month, a leap flag on a month that is not the
/// leap month of that year, month or day out of range) or is outside the
/// range of `Date`.
pub fn lunar_to_solar(l: LunarDate) -> Option<Date> {
    if !(1..=12).contains(&l.month) || !(1..=30).contains(&l.day) {
        return None;
    }
    let month = i64::from(l.month);
    let year = i64::from(l.year);
    // Months 11 and 12 of lunar year Y follow the month 11 of solar year Y;
    // the others follow the month 11 of solar year Y - 1.
    let (a11, b11) = if month < 11 {
        (lunar_month_11(year - 1), lunar_month_11(year))
    } else {
        (lunar_month_11(year), lunar_month_11(year + 1))
    };
    let k = (0.5 + (a11 as f64 - EPOCH) / SYNODIC_MONTH).floor() as i64;
    let mut off = month - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if l.leap && month != leap_month {
            return None;
        }
        if l.leap || off >= leap_off {
            off += 1;
        }
    } else if l.leap {
        // A year of 12 months has no leap month at all.
        return None;
    }
    let month_start = new_moon_day(k + off);
    let next_month_start = new_moon_day(k + off + 1);
    let day = i64::from(l.day);
    if day > next_month_start - month_start {
        return None;
    }
    let jd = i32::try_from(month_start + day - 1).ok()?;
    Date::from_julian_day(jd).ok()
}

/// The leap month (1..=12) of lunar year `year`, if it has one.
pub fn leap_month(year: i32) -> Option<u8> {
    // The leap month of lunar year Y lies between the month 11 of solar year
    // Y - 1 and that of Y (leap 11 or 12 of Y itself lie after the latter).
    let year = i64::from(year);
    for (a11, b11, belongs_to_next) in [
        (lunar_month_11(year - 1), lunar_month_11(year), true),
        (lunar_month_11(year), lunar_month_11(year + 1), false),
    ] {
        if b11 - a11 <= 365 {
            continue;
        }
        let leap_off = leap_month_offset(a11);
        let mut month = leap_off - 2;
        if month < 0 {
            month += 12;
        }
        // Leap months 11 and 12 after a11 belong to the lunar year of a11;
        // the others to the following lunar year.
        let in_next = month < 11;
        if in_next == belongs_to_next {
            return u8::try_from(month).ok();
        }
    }
    None
}

/// Day number (local midnight at UTC+7) of the k-th new moon after 1900-01-01.
fn new_moon_day(k: i64) -> i64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    // Mean anomalies of the sun and the moon, and the moon's argument of latitude.
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 -= 0.4068 * (mpr * dr).sin();
    c1 += 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 += 0.0104 * (dr * 2.0 * f).sin();
    c1 -= 0.0051 * (dr * (m + mpr)).sin();
    c1 -= 0.0074 * (dr * (m - mpr)).sin();
    c1 += 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 -= 0.0004 * (dr * (2.0 * f - m)).sin();
    c1 -= 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 += 0.0010 * (dr * (2.0 * f - mpr)).sin();
    c1 += 0.0005 * (dr * (2.0 * mpr + m)).sin();
    // ΔT (terrestrial minus universal time), in days.
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    let jd_new = jd1 + c1 - delta_t;
    (jd_new + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// Sector (0..=11, 30° each, 0 = spring equinox) of the sun's longitude at the
/// start of local day `day_number`.
fn sun_longitude(day_number: i64) -> i64 {
    let t = (day_number as f64 - 2_451_545.5 - TIME_ZONE / 24.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin();
    dl += 0.000_290 * (dr * 3.0 * m).sin();
    let mut l = (l0 + dl) * dr;
    l -= PI * 2.0 * (l / (PI * 2.0)).floor();
    (l / PI * 6.0).floor() as i64
}

/// Start of the lunar month 11 of solar year `yy`: the month that contains
/// the winter solstice.
fn lunar_month_11(yy: i64) -> i64 {
    let off = julian_day_of_dec_31(yy) - 2_415_021;
    let k = (off as f64 / SYNODIC_MONTH).floor() as i64;
    let nm = new_moon_day(k);
    if sun_longitude(nm) >= 9 {
        new_moon_day(k - 1)
    } else {
        nm
    }
}

/// Offset (in months after `a11`) of the leap month of the year that starts
/// its count at the month 11 beginning on day `a11`: the first month with no
/// major solar term.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_longitude(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_longitude(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// Julian day number of 31 December of `yy` (proleptic Gregorian), valid for
/// any year, unlike `Date` which stops at ±9999.
fn julian_day_of_dec_31(yy: i64) -> i64 {
    // jdFromDate(31, 12, yy) of the published algorithm, Gregorian branch.
    let y = yy + 4800;
    let m = 9;
    31 + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)
        - 32045
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn julian_day_matches_time_crate() {
        for d in [
            date!(2000 - 12 - 31),
            date!(1900 - 12 - 31),
            date!(2199 - 12 - 31),
        ] {
            assert_eq!(
                julian_day_of_dec_31(i64::from(d.year())),
                i64::from(d.to_julian_day())
            );
        }
    }

    #[test]
    fn leap_months_of_known_years() {
        assert_eq!(leap_month(2023), Some(2));
        assert_eq!(leap_month(2025), Some(6));
        assert_eq!(leap_month(2024), None);
        assert_eq!(leap_month(2033), Some(11));
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        for d in [Date::MIN, Date::MAX] {
            let l = solar_to_lunar(d);
            let _ = lunar_to_solar(l);
            let _ = leap_month(l.year);
        }
    }
}
