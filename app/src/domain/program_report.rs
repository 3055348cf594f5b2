//! Every number on the program dashboard, computed in one pass over the program's entries.
//! Each count carries the keys of the experiments behind it, so any number can be traced.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::lifecycle::Status;
use super::period::{IsoWeek, Quarter};
use super::program::{Entry, ProgramFilter, SrmCheck};
use super::verdict::{Verdict, VerdictKind};
use super::win_rate::Tally;

/// A count and the experiments behind it. The keys stay on the server (`skip`): the page links
/// each number to `/program/list`, which recomputes them with this same code, rather than
/// shipping tens of thousands of keys into every page of a large program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub n: u64,
    #[serde(skip)]
    pub keys: Vec<String>,
}

impl Group {
    fn add(&mut self, key: &str) {
        self.n += 1;
        self.keys.push(key.to_owned());
    }

    /// n of `of` as a fraction; None when `of` is empty.
    pub fn share_of(&self, of: &Group) -> Option<f64> {
        (of.n > 0).then(|| self.n as f64 / of.n as f64)
    }
}

/// Win rate of one slice: shipped over concluded, invalid ones counted apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WinRate {
    pub shipped: Group,
    /// Concluded with a verdict other than invalid: the denominator.
    pub concluded: Group,
    pub invalid: Group,
}

impl WinRate {
    fn add(&mut self, e: &Entry, kind: VerdictKind) {
        match kind {
            VerdictKind::Invalid => self.invalid.add(&e.key),
            VerdictKind::Ship => {
                self.shipped.add(&e.key);
                self.concluded.add(&e.key);
            }
            VerdictKind::DontShip | VerdictKind::Inconclusive => self.concluded.add(&e.key),
        }
    }

    pub fn tally(&self) -> Tally {
        Tally {
            shipped: self.shipped.n,
            concluded: self.concluded.n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekCount {
    pub week: IsoWeek,
    pub launched: Group,
    pub concluded: Group,
}

/// Running tests on one surface, against the 1-2 per surface guideline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurfaceLoad {
    pub surface: String,
    pub running: Group,
}

/// Most programs keep one or two tests per surface at a time; more and they interact.
pub const MAX_RUNNING_PER_SURFACE: u64 = 2;
/// The velocity guideline: one or two launches a week.
pub const WEEKLY_LAUNCHES: (f64, f64) = (1.0, 2.0);
/// The chart shows 26 weeks unless a date range says otherwise, and never more than three years.
pub const DEFAULT_WEEKS: u64 = 26;
pub const MAX_WEEKS: usize = 156;

impl SurfaceLoad {
    pub fn over_guideline(&self) -> bool {
        self.running.n > MAX_RUNNING_PER_SURFACE
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Velocity {
    pub weeks: Vec<WeekCount>,
    /// In the date range (all time without one).
    pub launched: Group,
    pub concluded: Group,
    /// Now, whatever the dates.
    pub running: Group,
    pub by_surface: Vec<SurfaceLoad>,
}

impl Velocity {
    /// Average launches a week over the weeks the chart shows.
    pub fn launches_per_week(&self) -> Option<f64> {
        let launched: u64 = self.weeks.iter().map(|w| w.launched.n).sum();
        (!self.weeks.is_empty()).then(|| launched as f64 / self.weeks.len() as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    /// Concluded in the range with planned and actual start and end dates.
    pub timed: Group,
    pub planned_median_days: Option<f64>,
    pub actual_median_days: Option<f64>,
    /// Ran longer than planned.
    pub ran_over: Group,
    /// Closed before the planned end date, with a reason.
    pub stopped_early: Group,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub key: String,
    pub title: String,
    pub verdict: Verdict,
    pub computed: Verdict,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    /// Concluded in the range with the rule's verdict recorded at closing.
    pub decided: Group,
    pub followed: Group,
    pub overridden: Group,
    /// Concluded without results: the rule had nothing to say, reported apart.
    pub no_results: Group,
    pub overrides: Vec<Override>,
}

/// Sample ratio mismatch among tests launched in the range, from each one's latest results
/// reading (the same chi-square test the results view runs). Computed from readings rather than
/// from "invalid" verdicts because a team can close a broken test with another verdict; the
/// invalid verdicts are the win rate's `invalid` group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SrmRate {
    pub checked: Group,
    pub failed: Group,
    /// No results yet, or too few users to test the split.
    pub unchecked: Group,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub today: NaiveDate,
    /// Experiments the team/surface/tag filter selects, any status, any date.
    pub selected: Group,
    pub win: WinRate,
    pub by_quarter: Vec<(super::period::Quarter, WinRate)>,
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
pub fn report(entries: &[Entry], filter: &ProgramFilter, today: NaiveDate) -> Report {
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

    for e in entries.iter().filter(|e| filter.selects(e)) {
        r.selected.add(&e.key);
        if e.status == Status::Running {
            r.velocity.running.add(&e.key);
            running.entry(e.surface.clone()).or_default().add(&e.key);
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
        teams.entry(e.team.clone()).or_default().add(e, kind);
        surfaces.entry(e.surface.clone()).or_default().add(e, kind);
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

fn decision(d: &mut Decisions, e: &Entry, c: &super::verdict::Conclusion) {
    let Some(computed) = &c.computed else {
        d.no_results.add(&e.key);
        return;
    };
    d.decided.add(&e.key);
    if c.overridden() {
        d.overridden.add(&e.key);
        d.overrides.push(Override {
            key: e.key.clone(),
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
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
