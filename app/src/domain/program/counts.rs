//! The counts the program dashboard is made of: each one a number and the experiments behind
//! it, grouped the way the dashboard shows them.

use serde::{Deserialize, Serialize};

use crate::domain::period::IsoWeek;
use crate::domain::program::win_rate::Tally;
use crate::domain::verdict::{Verdict, VerdictKind};

/// A count and the experiments behind it. The keys stay on the server (`skip`): the page links
/// each number to `/program/list`, which recomputes them with this same code, rather than
/// shipping tens of thousands of keys into every page of a large program. Shared (`Arc`), so
/// handing a report to a page's sections copies no keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub n: u64,
    #[serde(skip)]
    pub keys: std::sync::Arc<Vec<std::sync::Arc<str>>>,
}

impl Group {
    /// Counts one experiment; its key is kept when given (see [`super::report::numbers`]).
    pub(super) fn add(&mut self, key: Option<&std::sync::Arc<str>>) {
        self.n += 1;
        // The report is still being built here, so the keys are not shared yet: no copy. Each
        // key is the entry's own, shared: a count of 10,000 experiments allocates no strings.
        if let Some(key) = key {
            std::sync::Arc::make_mut(&mut self.keys).push(key.clone());
        }
    }

    /// The experiments' keys, in the order they were counted.
    pub fn key_names(&self) -> Vec<&str> {
        self.keys.iter().map(|k| &**k).collect()
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
    pub(super) fn add(&mut self, key: Option<&std::sync::Arc<str>>, kind: VerdictKind) {
        match kind {
            VerdictKind::Invalid => self.invalid.add(key),
            VerdictKind::Ship => {
                self.shipped.add(key);
                self.concluded.add(key);
            }
            VerdictKind::DontShip | VerdictKind::Inconclusive => self.concluded.add(key),
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
