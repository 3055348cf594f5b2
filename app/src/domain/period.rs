//! The calendar periods the program view groups by: ISO weeks (the weekly review, velocity) and
//! quarters (win rate over time). Dates are UTC calendar dates everywhere, so whether a test that
//! ended at 23:30 on 31 March counts in Q1 never depends on the server's time zone.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PeriodError {
    #[error("'{0}' is not an ISO week: write it as 2026-W47")]
    BadWeek(String),
    #[error("'{0}' is not a quarter: write it as 2026-Q1")]
    BadQuarter(String),
}

/// An ISO 8601 week (Monday to Sunday; week 1 holds the year's first Thursday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        Self {
            year: w.year(),
            week: w.week(),
        }
    }

    /// "2026-W47" (also accepts "2026w47" and surrounding spaces, as people type it).
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError::BadWeek(raw.trim().to_owned());
        let upper = raw.trim().to_ascii_uppercase();
        let (year, week) = upper.split_once('W').ok_or_else(bad)?;
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        // from_isoywd_opt refuses week 53 in years that have only 52.
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(Self { year, week })
    }

    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("an IsoWeek is only built from a valid week")
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday() + Days::new(6)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        IsoWeek::of(date) == self
    }

    pub fn next(self) -> Self {
        Self::of(self.monday() + Days::new(7))
    }

    pub fn previous(self) -> Self {
        Self::of(self.monday() - Days::new(7))
    }

    /// Every week from `first` to `last`, both included (empty when `last` is before `first`).
    pub fn range(first: IsoWeek, last: IsoWeek) -> Vec<IsoWeek> {
        let mut weeks = Vec::new();
        let mut w = first;
        while w <= last {
            weeks.push(w);
            w = w.next();
        }
        weeks
    }
}

impl std::fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// A calendar quarter: Q1 is January to March.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            q: (date.month0() / 3) + 1,
        }
    }

    /// "2026-Q1", the form used in URLs.
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError::BadQuarter(raw.trim().to_owned());
        let upper = raw.trim().to_ascii_uppercase();
        let (year, q) = upper.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year
            .trim_end_matches('-')
            .trim()
            .parse()
            .map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Self { year, q })
    }

    /// "Q1 2026", for people.
    pub fn label(self) -> String {
        format!("Q{} {}", self.q, self.year)
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_weeks_follow_the_thursday_rule_across_new_year() {
        // 1 January 2027 is a Friday: it belongs to the last week of 2026 (2026 has 53 weeks).
        assert_eq!(IsoWeek::of(d(2027, 1, 1)).to_string(), "2026-W53");
        assert_eq!(IsoWeek::of(d(2027, 1, 4)).to_string(), "2027-W01");
        let w = IsoWeek::parse("2026-W47").unwrap();
        assert_eq!((w.monday(), w.sunday()), (d(2026, 11, 16), d(2026, 11, 22)));
        assert_eq!(w.next().to_string(), "2026-W48");
        assert_eq!(
            IsoWeek::parse("2027-W01").unwrap().previous().to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn a_week_is_parsed_leniently_but_never_invented() {
        assert_eq!(IsoWeek::parse(" 2026w07 ").unwrap().to_string(), "2026-W07");
        assert!(IsoWeek::parse("2025-W53").is_err(), "2025 has 52 weeks");
        assert!(IsoWeek::parse("2026-W00").is_err());
        assert_eq!(
            IsoWeek::parse("next week").unwrap_err().to_string(),
            "'next week' is not an ISO week: write it as 2026-W47"
        );
    }

    #[test]
    fn a_week_range_includes_both_ends() {
        let first = IsoWeek::parse("2026-W52").unwrap();
        let weeks = IsoWeek::range(first, IsoWeek::parse("2027-W02").unwrap());
        let labels: Vec<_> = weeks.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]);
        assert!(IsoWeek::range(first, first.previous()).is_empty());
    }

    #[test]
    fn quarters_change_on_the_first_of_april_july_and_october() {
        assert_eq!(Quarter::of(d(2026, 3, 31)).to_string(), "2026-Q1");
        assert_eq!(Quarter::of(d(2026, 4, 1)).to_string(), "2026-Q2");
        assert_eq!(Quarter::of(d(2026, 12, 31)).label(), "Q4 2026");
        assert_eq!(
            Quarter::parse("2026-q3").unwrap(),
            Quarter { year: 2026, q: 3 }
        );
        assert!(Quarter::parse("2026-Q5").is_err());
    }
}
