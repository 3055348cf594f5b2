//! Which readings the lift-over-time chart shows.
//!
//! A scheduled pull every hour leaves 24 readings a day: an eight-week test ends with more
//! than 1,300, and a table row per reading made its page megabytes long (3,231 readings: a
//! 6 MB page, a quarter of a second to draw). Up to [`MOST_SHOWN`] readings are all shown.
//! Past that, the chart shows the last reading of each period (an hour, a day, a week ...),
//! the shortest period of a fixed ladder that leaves at most [`MOST_SHOWN`]; periods start at
//! UTC midnight, so "each day" is each UTC day. The latest reading is always the last shown,
//! and the page says how many readings it shows out of how many.

use chrono::{DateTime, Utc};

/// The most readings the chart shows.
pub const MOST_SHOWN: usize = 60;

/// The periods tried, shortest first, in seconds.
const PERIODS: [i64; 13] = [
    60,
    5 * 60,
    15 * 60,
    30 * 60,
    3_600,
    3 * 3_600,
    6 * 3_600,
    12 * 3_600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    14 * 86_400,
    28 * 86_400,
];

/// How the shown readings were chosen, for the line under the chart's heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Thinning {
    /// Every reading.
    All,
    /// The last reading of each period of this many seconds.
    LastPer(i64),
}

impl Thinning {
    /// "the last reading of each day" (or "of every 2 days" ...), or `None` when every reading is shown.
    pub fn describe(self) -> Option<String> {
        let Thinning::LastPer(seconds) = self else {
            return None;
        };
        let period = match seconds {
            60 => "each minute".to_string(),
            3_600 => "each hour".to_string(),
            86_400 => "each day".to_string(),
            604_800 => "each week".to_string(),
            s if s % 604_800 == 0 => format!("every {} weeks", s / 604_800),
            s if s % 86_400 == 0 => format!("every {} days", s / 86_400),
            s if s % 3_600 == 0 => format!("every {} hours", s / 3_600),
            s => format!("every {} minutes", s / 60),
        };
        Some(format!("the last reading of {period}"))
    }
}

/// The positions in `taken` (oldest first) of the readings to chart, oldest first, and how
/// they were chosen. The latest reading is always the last of them.
pub fn shown(taken: &[DateTime<Utc>]) -> (Vec<usize>, Thinning) {
    if taken.len() <= MOST_SHOWN {
        return ((0..taken.len()).collect(), Thinning::All);
    }
    let mut last = Vec::new();
    for period in PERIODS {
        last = last_of_each(taken, period);
        if last.len() <= MOST_SHOWN {
            return (last, Thinning::LastPer(period));
        }
    }
    // Years of readings: the longest period, whatever it leaves.
    (last, Thinning::LastPer(PERIODS[PERIODS.len() - 1]))
}

/// The position of the last reading in each period of `seconds` that has one.
fn last_of_each(taken: &[DateTime<Utc>], seconds: i64) -> Vec<usize> {
    let period = |at: &DateTime<Utc>| at.timestamp().div_euclid(seconds);
    let mut last: Vec<usize> = Vec::new();
    for (i, at) in taken.iter().enumerate() {
        match last.last_mut() {
            Some(prev) if period(&taken[*prev]) == period(at) => *prev = i,
            _ => last.push(i),
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn hourly(hours: i64) -> Vec<DateTime<Utc>> {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 0).unwrap();
        (0..hours).map(|h| start + Duration::hours(h)).collect()
    }

    #[test]
    fn up_to_sixty_readings_are_all_shown() {
        let taken = hourly(60);
        assert_eq!(shown(&taken), ((0..60).collect(), Thinning::All));
        assert_eq!(shown(&[]), (Vec::new(), Thinning::All));
    }

    /// Eight weeks of hourly pulls (1,344 readings, the last at 23:30 on the 56th day, then one
    /// more at 00:30 the next day): the last of each day, 57 points, ending with the latest.
    #[test]
    fn hourly_readings_show_each_days_last() {
        let taken = hourly(56 * 24 + 1);
        let (shown, how) = shown(&taken);
        assert_eq!(how, Thinning::LastPer(86_400));
        assert_eq!(how.describe().unwrap(), "the last reading of each day");
        assert_eq!(shown.len(), 57);
        assert_eq!(shown[0], 23, "the first day's last reading, 23:30");
        assert_eq!(shown[1], 47);
        assert_eq!(
            *shown.last().unwrap(),
            taken.len() - 1,
            "the latest reading"
        );
        assert!(shown.windows(2).all(|w| w[0] < w[1]), "oldest first");
    }

    /// A hundred readings posted within one afternoon still make a chart: the last of each
    /// five minutes, not one point for the day.
    #[test]
    fn many_readings_in_one_day_show_a_shorter_period() {
        let start = Utc.with_ymd_and_hms(2026, 12, 7, 14, 0, 0).unwrap();
        let taken: Vec<_> = (0..100).map(|i| start + Duration::minutes(2 * i)).collect();
        let (shown, how) = shown(&taken);
        assert_eq!(
            how.describe().unwrap(),
            "the last reading of every 5 minutes"
        );
        assert_eq!(shown.len(), 40);
        assert_eq!(*shown.last().unwrap(), 99);
    }

    /// 100 days of two readings a day: the last of each two days, ending with the latest.
    #[test]
    fn a_long_test_shows_a_longer_period_ending_with_the_latest() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 6, 0, 0).unwrap();
        let taken: Vec<_> = (0..200).map(|i| start + Duration::hours(12 * i)).collect();
        let (shown, how) = shown(&taken);
        assert_eq!(how.describe().unwrap(), "the last reading of every 2 days");
        assert!(shown.len() <= MOST_SHOWN && shown.len() >= 50);
        assert_eq!(*shown.last().unwrap(), 199);
        assert_eq!(Thinning::All.describe(), None);
    }
}
