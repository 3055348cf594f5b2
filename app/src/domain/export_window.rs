//! Which days to ask Mixpanel's export for, and which instants count, for one experiment.
//!
//! Three clocks meet here. The run's days are the project's days (a test launched at 9pm in
//! Los Angeles started that day, not the next UTC day). The export API reads `from_date` and
//! `to_date` in the project's zone for projects created before 2023 and in UTC after, and
//! refuses a `to_date` after its own today. And every user exposed near the end needs a whole
//! conversion window after the exposure, so the export reaches past the run's last day by the
//! window, as far as the data exists.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::attribution::{local_to_utc, NEW_VS_RETURNING};
use super::brief::Brief;
use super::metric::Measure;

/// The project's time settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectClock {
    pub zone: Tz,
    /// Whether the project exports local time and reads dates in `zone` (created before 2023);
    /// otherwise both are UTC.
    pub local_export: bool,
}

impl ProjectClock {
    /// The zone the export API reads `from_date` / `to_date` in.
    pub fn api_zone(self) -> Tz {
        if self.local_export {
            self.zone
        } else {
            Tz::UTC
        }
    }

    /// The export API's today: `to_date` may not be later.
    pub fn api_today(self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.api_zone()).date_naive()
    }
}

/// What one pull asks for and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportWindow {
    /// Sent as `from_date` / `to_date` (inclusive, in the API's zone).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Exposures count within `[run_start, run_end)` (unix seconds): whole project days from
    /// the launch day to the end day (or today).
    pub run_start: i64,
    pub run_end: i64,
    /// Where the data asked for ends (unix seconds): a user whose window reaches past it has
    /// an incomplete window.
    pub data_end: i64,
}

/// How far around the run the data must reach: the pre-exposure period before the first day
/// (CUPED) and, after the last, the longest of the conversion window and the retention days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub before_days: u32,
    pub after_days: u32,
}

impl Reach {
    pub fn of(brief: &Brief) -> Self {
        let retention = std::iter::once(&brief.primary)
            .chain(&brief.secondary)
            .filter(|m| m.kind == Measure::Retention)
            .map(|m| m.retention_day.saturating_add(1))
            .max()
            .unwrap_or(0);
        let pre = if brief.cuped.enabled {
            brief.cuped.lookback_days
        } else {
            0
        };
        // New vs returning needs history before the pre-period to tell them apart.
        let history = if brief.segments.iter().any(|s| s == NEW_VS_RETURNING) {
            RETURNING_HISTORY_DAYS
        } else {
            0
        };
        Self {
            before_days: pre + history,
            after_days: brief.window_days.max(retention),
        }
    }
}

/// How far before the pre-period a pull looks for a returning user's earlier activity.
pub const RETURNING_HISTORY_DAYS: u32 = 28;

/// A conversion window of N days after, nothing before.
impl From<u32> for Reach {
    fn from(window_days: u32) -> Self {
        Self {
            before_days: 0,
            after_days: window_days,
        }
    }
}

/// The window for a run launched at `started`, ended at `ended` (None while running), reaching
/// as far around the run as `reach` says, as of `now`.
pub fn export_window(
    clock: ProjectClock,
    started: DateTime<Utc>,
    ended: Option<DateTime<Utc>>,
    reach: impl Into<Reach>,
    now: DateTime<Utc>,
) -> ExportWindow {
    let reach = reach.into();
    let local_day = |t: DateTime<Utc>| t.with_timezone(&clock.zone).date_naive();
    let first_day = local_day(started);
    let last_day = local_day(ended.unwrap_or(now)).max(first_day);
    let run_start = midnight(clock.zone, first_day);
    let run_end = midnight(clock.zone, next_day(last_day));
    let wanted_end = run_end.saturating_add(i64::from(reach.after_days) * 86_400);
    let wanted_start = run_start.saturating_sub(i64::from(reach.before_days) * 86_400);
    let api = clock.api_zone();
    let api_day = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .unwrap_or(now)
            .with_timezone(&api)
            .date_naive()
    };
    let from = api_day(wanted_start);
    let to = api_day(wanted_end - 1).min(clock.api_today(now)).max(from);
    let data_end = wanted_end
        .min(midnight(api, next_day(to)))
        .min(now.timestamp());
    ExportWindow {
        from,
        to,
        run_start,
        run_end,
        data_end,
    }
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}

/// The first instant of `day` in `zone` (a day that starts inside a skipped hour starts when
/// the clocks land).
fn midnight(zone: Tz, day: NaiveDate) -> i64 {
    local_to_utc(zone, day.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 instant")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    const LA: ProjectClock = ProjectClock {
        zone: chrono_tz::America::Los_Angeles,
        local_export: true,
    };

    #[test]
    fn cuped_asks_for_the_pre_period_and_retention_for_its_day() {
        let now = at("2024-06-30T12:00:00Z");
        let utc = ProjectClock {
            zone: chrono_tz::UTC,
            local_export: false,
        };
        let reach = Reach {
            before_days: 14,
            after_days: 8,
        };
        let w = export_window(
            utc,
            at("2024-06-01T10:00:00Z"),
            Some(at("2024-06-10T10:00:00Z")),
            reach,
            now,
        );
        // 14 days before June 1; the run (June 1-10) plus 8 days after: to June 18.
        assert_eq!((w.from, w.to), (day("2024-05-18"), day("2024-06-18")));
        assert_eq!(w.run_start, at("2024-06-01T00:00:00Z").timestamp());
        let mut brief = crate::domain::fixtures::complete_brief();
        brief.cuped.enabled = true;
        brief.secondary[1].kind = Measure::Retention;
        brief.secondary[1].retention_day = 30;
        assert_eq!(
            Reach::of(&brief),
            Reach {
                before_days: 14,
                after_days: 31
            }
        );
        // New vs returning looks 28 days further back for earlier activity.
        brief.segments = vec!["$os".into(), NEW_VS_RETURNING.into()];
        assert_eq!(Reach::of(&brief).before_days, 14 + RETURNING_HISTORY_DAYS);
    }

    #[test]
    fn a_local_project_is_asked_in_its_own_days_and_never_past_its_today() {
        // 2024-05-10 03:00 UTC is still May 9 in Los Angeles: asking for May 10 would be a 400.
        let now = at("2024-05-10T03:00:00Z");
        let w = export_window(LA, at("2024-05-01T16:00:00Z"), None, 14, now);
        assert_eq!((w.from, w.to), (day("2024-05-01"), day("2024-05-09")));
        // The run: May 1 00:00 PDT (07:00 UTC) to the end of May 9 PDT.
        assert_eq!(w.run_start, at("2024-05-01T07:00:00Z").timestamp());
        assert_eq!(w.run_end, at("2024-05-10T07:00:00Z").timestamp());
        assert_eq!(w.data_end, now.timestamp());
    }

    #[test]
    fn a_utc_project_gets_utc_dates_but_the_run_keeps_the_teams_days() {
        let clock = ProjectClock {
            local_export: false,
            ..LA
        };
        let now = at("2024-05-10T03:00:00Z");
        let w = export_window(clock, at("2024-05-01T16:00:00Z"), None, 14, now);
        assert_eq!((w.from, w.to), (day("2024-05-01"), day("2024-05-10")));
        assert_eq!(w.run_start, at("2024-05-01T07:00:00Z").timestamp());
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clocks_land() {
        // Santiago jumps from 00:00 to 01:00 on 2024-09-08: the day starts at 01:00 -03 (04:00Z).
        let clock = ProjectClock {
            zone: chrono_tz::America::Santiago,
            local_export: true,
        };
        let started = at("2024-09-08T12:00:00Z");
        let w = export_window(
            clock,
            started,
            Some(started),
            14,
            at("2024-12-01T00:00:00Z"),
        );
        assert_eq!(w.run_start, at("2024-09-08T04:00:00Z").timestamp());
    }

    #[test]
    fn a_finished_run_is_pulled_until_its_last_users_have_whole_windows() {
        let clock = ProjectClock {
            zone: Tz::UTC,
            local_export: false,
        };
        let started = at("2024-05-01T10:00:00Z");
        let ended = at("2024-05-20T18:00:00Z");
        // Long after: the export reaches May 20 + 14 days, and every window is complete.
        let later = at("2024-07-01T00:00:00Z");
        let w = export_window(clock, started, Some(ended), 14, later);
        assert_eq!((w.from, w.to), (day("2024-05-01"), day("2024-06-03")));
        assert_eq!(w.run_end, at("2024-05-21T00:00:00Z").timestamp());
        assert_eq!(w.data_end, at("2024-06-04T00:00:00Z").timestamp());
        // The day after it ended: clamped to today, and the data ends now.
        let soon = at("2024-05-21T12:00:00Z");
        let w = export_window(clock, started, Some(ended), 14, soon);
        assert_eq!(w.to, day("2024-05-21"));
        assert_eq!(w.data_end, soon.timestamp());
    }
}
