//! Every number on the program dashboard, computed in one pass over the program's entries.
//! Each count carries the keys of the experiments behind it, so any number can be traced.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::lifecycle::Status;
use crate::domain::period::{IsoWeek, Quarter};
pub use crate::domain::program::counts::{
    Decisions, Durations, Group, Override, SrmRate, SurfaceLoad, Velocity, WeekCount, WinRate,
    DEFAULT_WEEKS, MAX_RUNNING_PER_SURFACE, MAX_WEEKS, WEEKLY_LAUNCHES,
};
use crate::domain::program::{Entry, ProgramFilter, SrmCheck};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub today: NaiveDate,
    /// Experiments the team/surface/tag filter selects, any status, any date.
    pub selected: Group,
    pub win: WinRate,
    pub by_quarter: Vec<(crate::domain::period::Quarter, WinRate)>,
    pub by_team: Vec<(String, WinRate)>,
    pub by_surface: Vec<(String, WinRate)>,
    pub velocity: Velocity,
    pub durations: Durations,
    /// Launched in the range, and of those, the ones whose brief was complete.
    pub launched: Group,
    pub brief_complete: Group,
    pub decisions: Decisions,
    pub srm: SrmRate,
}

/// Computes the whole report. `today` fixes "running now" and the default chart window.
/// `entries` are plain or shared (`Arc<Entry>`, as the dashboard's cache holds them).
pub fn report<E: std::borrow::Borrow<Entry>>(
    entries: &[E],
    filter: &ProgramFilter,
    today: NaiveDate,
) -> Report {
    let mut r = Report {
        today,
        ..Default::default()
    };
    let (first, last) = chart_weeks(filter, today);
    let mut weeks: Vec<WeekCount> = IsoWeek::range(first, last)
        .into_iter()
        .map(|week| WeekCount {
            week,
            launched: Group::default(),
            concluded: Group::default(),
        })
        .collect();
    let week_slot = |w: IsoWeek| weeks_index(first, w);
    let mut quarters: BTreeMap<Quarter, WinRate> = BTreeMap::new();
    let mut teams: BTreeMap<String, WinRate> = BTreeMap::new();
    let mut surfaces: BTreeMap<String, WinRate> = BTreeMap::new();
    let mut running: BTreeMap<String, Group> = BTreeMap::new();
    let (mut planned, mut actual) = (Vec::new(), Vec::new());

    for e in entries.iter().map(E::borrow).filter(|e| filter.selects(e)) {
        r.selected.add(&e.key);
        if e.status == Status::Running {
            r.velocity.running.add(&e.key);
            slot_for(&mut running, &e.surface).add(&e.key);
        }
        // The chart's bars obey the date range too, so a bar never counts what the totals don't.
        let slot = |day: Option<chrono::NaiveDate>| {
            day.filter(|d| filter.in_range(Some(*d)))
                .and_then(|d| week_slot(IsoWeek::of(d)))
        };
        if let Some(w) = slot(e.started).and_then(|i| weeks.get_mut(i)) {
            w.launched.add(&e.key);
        }
        if let Some(w) = slot(e.ended)
            .filter(|_| e.conclusion.is_some())
            .and_then(|i| weeks.get_mut(i))
        {
            w.concluded.add(&e.key);
        }
        if e.started.is_some() && filter.in_range(e.started) {
            r.launched.add(&e.key);
            r.velocity.launched.add(&e.key);
            if e.brief_complete {
                r.brief_complete.add(&e.key);
            }
            match e.srm {
                SrmCheck::Healthy => r.srm.checked.add(&e.key),
                SrmCheck::Failed => {
                    r.srm.checked.add(&e.key);
                    r.srm.failed.add(&e.key);
                }
                SrmCheck::NoResults | SrmCheck::TooFewUsers => r.srm.unchecked.add(&e.key),
            }
        }
        let (Some(c), Some(ended)) = (&e.conclusion, e.ended) else {
            continue;
        };
        if !filter.in_range(Some(ended)) {
            continue;
        }
        let kind = c.verdict.kind();
        r.velocity.concluded.add(&e.key);
        r.win.add(e, kind);
        quarters.entry(Quarter::of(ended)).or_default().add(e, kind);
        slot_for(&mut teams, &e.team).add(e, kind);
        slot_for(&mut surfaces, &e.surface).add(e, kind);
        decision(&mut r.decisions, e, c);
        if c.stopped_early.is_some() {
            r.durations.stopped_early.add(&e.key);
        }
        if let (Some(ps), Some(pe), Some(s)) = (e.planned_start, e.planned_end, e.started) {
            let (p, a) = ((pe - ps).num_days(), (ended - s).num_days());
            r.durations.timed.add(&e.key);
            planned.push(p);
            actual.push(a);
            if a > p {
                r.durations.ran_over.add(&e.key);
            }
        }
    }
    r.durations.planned_median_days = median(&mut planned);
    r.durations.actual_median_days = median(&mut actual);
    r.by_quarter = quarters.into_iter().collect();
    r.by_team = teams.into_iter().collect();
    r.by_surface = surfaces.into_iter().collect();
    r.velocity.weeks = weeks;
    r.velocity.by_surface = running
        .into_iter()
        .map(|(surface, running)| SurfaceLoad { surface, running })
        .collect();
    r
}

/// The value under `name`, made on first use. `entry(name.clone())` would copy the name once
/// per experiment; this copies it once per team or surface.
fn slot_for<'a, V: Default>(map: &'a mut BTreeMap<String, V>, name: &str) -> &'a mut V {
    if !map.contains_key(name) {
        map.insert(name.to_owned(), V::default());
    }
    map.get_mut(name).expect("inserted above")
}

fn decision(d: &mut Decisions, e: &Entry, c: &crate::domain::verdict::Conclusion) {
    let Some(computed) = &c.computed else {
        d.no_results.add(&e.key);
        return;
    };
    d.decided.add(&e.key);
    if c.overridden() {
        d.overridden.add(&e.key);
        d.overrides.push(Override {
            key: e.key.to_string(),
            title: e.title.clone(),
            verdict: c.verdict.clone(),
            computed: computed.clone(),
            reason: c.override_reason.clone().unwrap_or_default(),
        });
    } else {
        d.followed.add(&e.key);
    }
}

/// The weeks the velocity chart covers: the date range, or the last 26 weeks up to today.
fn chart_weeks(filter: &ProgramFilter, today: NaiveDate) -> (IsoWeek, IsoWeek) {
    let last = IsoWeek::of(filter.to.unwrap_or(today));
    let default_first = filter.to.unwrap_or(today) - Days::new(7 * (DEFAULT_WEEKS - 1));
    let mut first = IsoWeek::of(filter.from.unwrap_or(default_first));
    let cap = filter.to.unwrap_or(today) - Days::new(7 * (MAX_WEEKS as u64 - 1));
    if first < IsoWeek::of(cap) {
        first = IsoWeek::of(cap);
    }
    (first, last)
}

fn weeks_index(first: IsoWeek, w: IsoWeek) -> Option<usize> {
    let days = (w.monday() - first.monday()).num_days();
    (days >= 0).then_some((days / 7) as usize)
}

/// Median of whole days (the mean of the middle two for an even count).
fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
