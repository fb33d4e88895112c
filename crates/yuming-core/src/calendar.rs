//! Working days in mainland China: Monday to Friday, less the public holidays, plus the
//! weekend days worked in exchange (调休), as the State Council publishes them each November
//! for the next year. Deadlines counted in working days (complaints: acknowledgement within 1
//! working day, resolution within a configured number) use this calendar, in China Standard
//! Time.
//!
//! The data are the State Council's notices (国务院办公厅关于2025年/2026年部分节假日安排的
//! 通知, 2024-11-12 and 2025-11-04). A year without data counts weekends only and says so
//! ([`WorkCalendar::covers`]), so that the operator adds the next year when it is published.

use std::collections::BTreeSet;

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::clock::Timestamp;

/// China Standard Time.
const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// A run of days off within one month: (month, first day, last day).
type DaysOff = (u8, u8, u8);

/// Days off (放假) per year.
const HOLIDAYS: &[(i32, &[DaysOff])] = &[
    (
        2025,
        &[
            (1, 1, 1),   // 元旦
            (1, 28, 31), // 春节 (to 2-04)
            (2, 1, 4),
            (4, 4, 6),   // 清明节
            (5, 1, 5),   // 劳动节
            (5, 31, 31), // 端午节 (to 6-02)
            (6, 1, 2),
            (10, 1, 8), // 国庆节、中秋节
        ],
    ),
    (
        2026,
        &[
            (1, 1, 3),   // 元旦
            (2, 15, 23), // 春节
            (4, 4, 6),   // 清明节
            (5, 1, 5),   // 劳动节
            (6, 19, 21), // 端午节
            (9, 25, 27), // 中秋节
            (10, 1, 7),  // 国庆节
        ],
    ),
];

/// Weekend days worked in exchange (调休上班), per year: (month, day).
const WORKED_WEEKENDS: &[(i32, &[(u8, u8)])] = &[
    (2025, &[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)]),
    (2026, &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]),
];

/// A working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<Date>,
    worked_weekends: BTreeSet<Date>,
    years: BTreeSet<i32>,
}

fn date(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

impl WorkCalendar {
    /// Mainland China's calendar for the years with published data.
    pub fn china() -> WorkCalendar {
        let mut holidays = BTreeSet::new();
        let mut years = BTreeSet::new();
        for (year, ranges) in HOLIDAYS {
            years.insert(*year);
            for (month, first, last) in *ranges {
                for day in *first..=*last {
                    if let Some(d) = date(*year, *month, day) {
                        holidays.insert(d);
                    }
                }
            }
        }
        let worked_weekends = WORKED_WEEKENDS
            .iter()
            .flat_map(|(year, days)| days.iter().filter_map(|(m, d)| date(*year, *m, *d)))
            .collect();
        WorkCalendar {
            holidays,
            worked_weekends,
            years,
        }
    }

    /// This calendar with days the operator adds (`[care] holidays` and `worked_days`: a year's
    /// notice published after this release); each year named there counts as covered.
    pub fn with_days(mut self, holidays: &[Date], worked_weekends: &[Date]) -> WorkCalendar {
        for day in holidays {
            self.holidays.insert(*day);
            self.years.insert(day.year());
        }
        for day in worked_weekends {
            self.worked_weekends.insert(*day);
            self.years.insert(day.year());
        }
        self
    }

    /// Whether the calendar has the holidays of `year` (otherwise only weekends count).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: Date) -> bool {
        if self.worked_weekends.contains(&day) {
            return true;
        }
        if self.holidays.contains(&day) {
            return false;
        }
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// The day (China time) of `at`.
    pub fn day_of(at: Timestamp) -> Date {
        OffsetDateTime::from_unix_timestamp(at.0)
            .map(|t| t.to_offset(CST).date())
            .unwrap_or(Date::MIN)
    }

    /// The end (23:59:59 China time) of the `n`-th working day after the day of `from`: a
    /// matter received at any time on a day is due by the end of the `n`-th working day that
    /// follows (received on a Friday with `n = 1`: due Monday night, unless Monday is a
    /// holiday).
    pub fn deadline(&self, from: Timestamp, n: u32) -> Timestamp {
        let mut day = Self::day_of(from);
        let mut counted = 0;
        // Bounded: a year has more than 200 working days.
        for _ in 0..(n as usize * 7 + 60) {
            if counted >= n {
                break;
            }
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        let end = day
            .with_hms(23, 59, 59)
            .map(|t| t.assume_offset(CST).unix_timestamp())
            .unwrap_or(i64::MAX);
        Timestamp(end)
    }
}

/// A `YYYY-MM-DD` day.
pub fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(2000..=2100).contains(&year) {
        return None;
    }
    date(year, month, day)
}

/// `at` as a China Standard Time date and time, `2026-12-07 18:30`, for texts that leave the
/// console (notices, exports).
pub fn china_datetime(at: Timestamp) -> String {
    match OffsetDateTime::from_unix_timestamp(at.0) {
        Ok(t) => {
            let t = t.to_offset(CST);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => at.0.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn at(t: time::OffsetDateTime) -> Timestamp {
        Timestamp(t.unix_timestamp())
    }

    #[test]
    fn holidays_and_worked_weekends_follow_the_published_notices() {
        let cal = WorkCalendar::china();
        let day = |y, m, d| date(y, m, d).expect("date");
        // 2026: 春节 2-15..2-23 off, 2-14 (Saturday) and 2-28 (Saturday) worked.
        assert!(!cal.is_working_day(day(2026, 2, 16)));
        assert!(!cal.is_working_day(day(2026, 2, 23)));
        assert!(cal.is_working_day(day(2026, 2, 14)));
        assert!(cal.is_working_day(day(2026, 2, 28)));
        assert!(cal.is_working_day(day(2026, 2, 24)));
        // 国庆 10-01..10-07 off, 10-10 (Saturday) worked.
        assert!(!cal.is_working_day(day(2026, 10, 7)));
        assert!(cal.is_working_day(day(2026, 10, 10)));
        // An ordinary weekend and weekday.
        assert!(!cal.is_working_day(day(2026, 12, 5)));
        assert!(cal.is_working_day(day(2026, 12, 7)));
        assert!(cal.covers(2026) && cal.covers(2025));
        // A later year's notice, added by the operator.
        assert!(!cal.covers(2027));
        let holiday = parse_day("2027-02-08").unwrap();
        let worked = parse_day("2027-02-20").unwrap();
        let later = cal.clone().with_days(&[holiday], &[worked]);
        assert!(later.covers(2027));
        assert!(!later.is_working_day(holiday) && cal.is_working_day(holiday));
        assert!(later.is_working_day(worked) && !cal.is_working_day(worked));
        assert_eq!(parse_day("2027-02-30"), None);
        assert_eq!(parse_day("27-2-8"), None);
        assert_eq!(
            china_datetime(at(datetime!(2026-12-07 10:30 UTC))),
            "2026-12-07 18:30"
        );
        assert!(!cal.covers(2030));
    }

    #[test]
    fn deadlines_count_working_days_in_china_time() {
        let cal = WorkCalendar::china();
        // Friday 2026-12-04 15:00 CST: one working day → Monday 12-07 end of day.
        assert_eq!(
            cal.deadline(at(datetime!(2026-12-04 15:00 +8)), 1),
            at(datetime!(2026-12-07 23:59:59 +8))
        );
        // Friday 23:30 CST is 15:30 UTC the same day: still Friday in China.
        assert_eq!(
            cal.deadline(at(datetime!(2026-12-04 15:30 UTC)), 1),
            at(datetime!(2026-12-07 23:59:59 +8))
        );
        // Received on 09-30, the National Day week off: due on the worked Saturday 10-10.
        assert_eq!(
            cal.deadline(at(datetime!(2026-09-30 10:00 +8)), 1),
            at(datetime!(2026-10-08 23:59:59 +8))
        );
        assert_eq!(
            cal.deadline(at(datetime!(2026-09-30 10:00 +8)), 3),
            at(datetime!(2026-10-10 23:59:59 +8))
        );
        // 15 working days from Friday 2026-02-13 cross the Spring Festival.
        assert_eq!(
            cal.deadline(at(datetime!(2026-02-13 09:00 +8)), 15),
            at(datetime!(2026-03-12 23:59:59 +8))
        );
    }
}
