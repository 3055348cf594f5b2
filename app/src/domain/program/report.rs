//! Every number on the program dashboard, computed in one pass over the program's entries.
//! Each count carries the keys of the experiments behind it, so any number can be traced.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};

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

/// Computes the whole report, each number with the keys of the experiments behind it.
/// `today` fixes "running now" and the default chart window. `entries` are plain or shared
/// (`Arc<Entry>`, as the dashboard's cache holds them).
pub fn report<E: Borrow<Entry>>(entries: &[E], filter: &ProgramFilter, today: NaiveDate) -> Report {
    build(entries, filter, today, true)
}

/// The same report without the keys behind the numbers: what the dashboard page shows (each
/// number links to `/program/list`, which computes that number's keys with [`report`]).
/// Collecting ~100,000 keys and dropping them again was a third of the dashboard's render after
/// a write at 10,000 experiments.
pub fn numbers<E: Borrow<Entry>>(
    entries: &[E],
    filter: &ProgramFilter,
    today: NaiveDate,
) -> Report {
    build(entries, filter, today, false)
}

fn build<E: Borrow<Entry>>(
    entries: &[E],
    filter: &ProgramFilter,
    today: NaiveDate,
    keep_keys: bool,
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
    // A day's bar: whole weeks since the first week's Monday (no ISO week worked out per day).
    let first_monday = first.monday();
    let week_slot = |d: NaiveDate| {
        let days = (d - first_monday).num_days();
        (days >= 0).then_some((days / 7) as usize)
    };
    let mut quarters: BTreeMap<Quarter, WinRate> = BTreeMap::new();
    // Keyed by the entries' own names: a lookup hashes the name instead of comparing it with
    // others, and no name is copied until the end.
    let mut teams: HashMap<&str, WinRate> = HashMap::new();
    let mut surfaces: HashMap<&str, WinRate> = HashMap::new();
    let mut running: HashMap<&str, Group> = HashMap::new();
    let (mut planned, mut actual) = (Vec::new(), Vec::new());

    for e in entries.iter().map(E::borrow).filter(|e| filter.selects(e)) {
        let key = keep_keys.then_some(&e.key);
        r.selected.add(key);
        if e.status == Status::Running {
            r.velocity.running.add(key);
            running.entry(e.surface.as_str()).or_default().add(key);
        }
        // The chart's bars obey the date range too, so a bar never counts what the totals don't.
        let slot = |day: Option<chrono::NaiveDate>| {
            day.filter(|d| filter.in_range(Some(*d)))
                .and_then(week_slot)
        };
        if let Some(w) = slot(e.started).and_then(|i| weeks.get_mut(i)) {
            w.launched.add(key);
        }
        if let Some(w) = slot(e.ended)
            .filter(|_| e.conclusion.is_some())
            .and_then(|i| weeks.get_mut(i))
        {
            w.concluded.add(key);
        }
        if e.started.is_some() && filter.in_range(e.started) {
            r.launched.add(key);
            r.velocity.launched.add(key);
            if e.brief_complete {
                r.brief_complete.add(key);
            }
            match e.srm {
                SrmCheck::Healthy => r.srm.checked.add(key),
                SrmCheck::Failed => {
                    r.srm.checked.add(key);
                    r.srm.failed.add(key);
                }
                SrmCheck::NoResults | SrmCheck::TooFewUsers => r.srm.unchecked.add(key),
            }
        }
        let (Some(c), Some(ended)) = (&e.conclusion, e.ended) else {
            continue;
        };
        if !filter.in_range(Some(ended)) {
            continue;
        }
        let kind = c.verdict.kind();
        r.velocity.concluded.add(key);
        r.win.add(key, kind);
        quarters
            .entry(Quarter::of(ended))
            .or_default()
            .add(key, kind);
        teams.entry(e.team.as_str()).or_default().add(key, kind);
        surfaces
            .entry(e.surface.as_str())
            .or_default()
            .add(key, kind);
        decision(&mut r.decisions, e, key, c);
        if c.stopped_early.is_some() {
            r.durations.stopped_early.add(key);
        }
        if let (Some(ps), Some(pe), Some(s)) = (e.planned_start, e.planned_end, e.started) {
            let (p, a) = ((pe - ps).num_days(), (ended - s).num_days());
            r.durations.timed.add(key);
            planned.push(p);
            actual.push(a);
            if a > p {
                r.durations.ran_over.add(key);
            }
        }
    }
    r.durations.planned_median_days = median(&mut planned);
    r.durations.actual_median_days = median(&mut actual);
    r.by_quarter = quarters.into_iter().collect();
    r.by_team = by_name(teams);
    r.by_surface = by_name(surfaces);
    r.velocity.weeks = weeks;
    r.velocity.by_surface = by_name(running)
        .into_iter()
        .map(|(surface, running)| SurfaceLoad { surface, running })
        .collect();
    r
}

/// A map by name as the report lists it: names owned, in name order.
fn by_name<V>(map: HashMap<&str, V>) -> Vec<(String, V)> {
    let mut named: Vec<(String, V)> = map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

fn decision(
    d: &mut Decisions,
    e: &Entry,
    key: Option<&std::sync::Arc<str>>,
    c: &crate::domain::verdict::Conclusion,
) {
    let Some(computed) = &c.computed else {
        d.no_results.add(key);
        return;
    };
    d.decided.add(key);
    if c.overridden() {
        d.overridden.add(key);
        d.overrides.push(Override {
            key: e.key.to_string(),
            title: e.title.clone(),
            verdict: c.verdict.clone(),
            computed: computed.clone(),
            reason: c.override_reason.clone().unwrap_or_default(),
        });
    } else {
        d.followed.add(key);
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
