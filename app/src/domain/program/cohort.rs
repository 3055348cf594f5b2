//! Names for the experiments behind each dashboard number, so every number can be a link:
//! `/program/list?cohort=shipped:team:Growth&…filters` lists exactly the experiments the
//! dashboard counted, recomputed by the same `report` code.

use serde::{Deserialize, Serialize};

use crate::domain::period::{IsoWeek, Quarter};
use crate::domain::program::report::{Group, Report, WinRate};

/// Which win-rate row a number comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Slice {
    All,
    Quarter(Quarter),
    Team(String),
    Surface(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cohort {
    Selected,
    Shipped(Slice),
    Concluded(Slice),
    Invalid(Slice),
    /// Every conclusion in the range, invalid ones included (velocity).
    Ended(Option<IsoWeek>),
    Launched(Option<IsoWeek>),
    Running(Option<String>),
    Timed,
    RanOver,
    StoppedEarly,
    BriefComplete,
    BriefIncomplete,
    Decided,
    Followed,
    Overridden,
    NoResults,
    SrmChecked,
    SrmFailed,
    SrmUnchecked,
}

const SIMPLE: [(&str, Cohort); 12] = [
    ("selected", Cohort::Selected),
    ("timed", Cohort::Timed),
    ("ran-over", Cohort::RanOver),
    ("stopped-early", Cohort::StoppedEarly),
    ("brief-complete", Cohort::BriefComplete),
    ("brief-incomplete", Cohort::BriefIncomplete),
    ("decided", Cohort::Decided),
    ("followed", Cohort::Followed),
    ("overridden", Cohort::Overridden),
    ("no-results", Cohort::NoResults),
    ("srm-checked", Cohort::SrmChecked),
    ("srm-failed", Cohort::SrmFailed),
];

impl Cohort {
    /// The URL form: `shipped`, `shipped:team:Growth`, `launched:week:2026-W03`, `running:surface:cart`.
    pub fn slug(&self) -> String {
        let slice = |name: &str, s: &Slice| match s {
            Slice::All => name.to_owned(),
            Slice::Quarter(q) => format!("{name}:quarter:{q}"),
            Slice::Team(t) => format!("{name}:team:{t}"),
            Slice::Surface(s) => format!("{name}:surface:{s}"),
        };
        match self {
            Cohort::Shipped(s) => slice("shipped", s),
            Cohort::Concluded(s) => slice("concluded", s),
            Cohort::Invalid(s) => slice("invalid", s),
            Cohort::Ended(w) => w.map_or("ended".into(), |w| format!("ended:week:{w}")),
            Cohort::Launched(w) => w.map_or("launched".into(), |w| format!("launched:week:{w}")),
            Cohort::Running(s) => s
                .as_ref()
                .map_or("running".into(), |s| format!("running:surface:{s}")),
            Cohort::SrmUnchecked => "srm-unchecked".into(),
            simple => SIMPLE
                .iter()
                .find(|(_, c)| c == simple)
                .map(|(slug, _)| (*slug).to_owned())
                .unwrap_or_default(),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, ':');
        let (name, by, value) = (parts.next()?, parts.next(), parts.next());
        let slice = || -> Option<Slice> {
            Some(match (by, value) {
                (None, _) => Slice::All,
                (Some("quarter"), Some(q)) => Slice::Quarter(Quarter::parse(q).ok()?),
                (Some("team"), Some(t)) => Slice::Team(t.to_owned()),
                (Some("surface"), Some(s)) => Slice::Surface(s.to_owned()),
                _ => return None,
            })
        };
        let week = || -> Option<Option<IsoWeek>> {
            match (by, value) {
                (None, _) => Some(None),
                (Some("week"), Some(w)) => IsoWeek::parse(w).ok().map(Some),
                _ => None,
            }
        };
        Some(match name {
            "shipped" => Cohort::Shipped(slice()?),
            "concluded" => Cohort::Concluded(slice()?),
            "invalid" => Cohort::Invalid(slice()?),
            "ended" => Cohort::Ended(week()?),
            "launched" => Cohort::Launched(week()?),
            "running" => match (by, value) {
                (None, _) => Cohort::Running(None),
                (Some("surface"), Some(s)) => Cohort::Running(Some(s.to_owned())),
                _ => return None,
            },
            "srm-unchecked" => Cohort::SrmUnchecked,
            other => SIMPLE.iter().find(|(s, _)| *s == other)?.1.clone(),
        })
    }

    /// The list page's heading.
    pub fn describe(&self) -> String {
        let slice = |what: &str, s: &Slice| match s {
            Slice::All => what.to_owned(),
            Slice::Quarter(q) => format!("{what}, {}", q.label()),
            Slice::Team(t) => format!("{what}, team {t}"),
            Slice::Surface(s) => format!("{what}, surface {s}"),
        };
        match self {
            Cohort::Selected => "All selected experiments".into(),
            Cohort::Shipped(s) => slice("Concluded with a ship verdict", s),
            Cohort::Concluded(s) => slice("Concluded (invalid ones left out)", s),
            Cohort::Invalid(s) => slice("Concluded as invalid", s),
            Cohort::Ended(None) => "Concluded in the range".into(),
            Cohort::Ended(Some(w)) => format!("Concluded in week {w}"),
            Cohort::Launched(None) => "Launched in the range".into(),
            Cohort::Launched(Some(w)) => format!("Launched in week {w}"),
            Cohort::Running(None) => "Running now".into(),
            Cohort::Running(Some(s)) => format!("Running now on surface {s}"),
            Cohort::Timed => "Concluded with planned and actual dates".into(),
            Cohort::RanOver => "Ran longer than planned".into(),
            Cohort::StoppedEarly => "Stopped before the planned end date".into(),
            Cohort::BriefComplete => "Launched with a complete brief".into(),
            Cohort::BriefIncomplete => "Launched with an incomplete brief".into(),
            Cohort::Decided => "Concluded with the rule's verdict recorded".into(),
            Cohort::Followed => "Decisions that followed the rule".into(),
            Cohort::Overridden => "Decisions that overrode the rule".into(),
            Cohort::NoResults => "Concluded with no results recorded".into(),
            Cohort::SrmChecked => "Launched, with enough results to check the split".into(),
            Cohort::SrmFailed => "Failing the sample ratio check".into(),
            Cohort::SrmUnchecked => "Launched, split not checked yet".into(),
        }
    }
}

fn rate<'a>(r: &'a Report, s: &Slice) -> Option<&'a WinRate> {
    let find = |rows: &'a [(String, WinRate)], key: &str| {
        rows.iter().find(|(k, _)| k == key).map(|(_, w)| w)
    };
    match s {
        Slice::All => Some(&r.win),
        Slice::Quarter(q) => r.by_quarter.iter().find(|(k, _)| k == q).map(|(_, w)| w),
        Slice::Team(t) => find(&r.by_team, t),
        Slice::Surface(x) => find(&r.by_surface, x),
    }
}

impl Report {
    /// The keys behind a number (empty when the slice has no such row).
    pub fn keys(&self, cohort: &Cohort) -> Vec<String> {
        let week = |w: &IsoWeek| self.velocity.weeks.iter().find(|c| c.week == *w);
        let group: Option<&Group> = match cohort {
            Cohort::Selected => Some(&self.selected),
            Cohort::Shipped(s) => rate(self, s).map(|w| &w.shipped),
            Cohort::Concluded(s) => rate(self, s).map(|w| &w.concluded),
            Cohort::Invalid(s) => rate(self, s).map(|w| &w.invalid),
            Cohort::Ended(None) => Some(&self.velocity.concluded),
            Cohort::Ended(Some(w)) => week(w).map(|c| &c.concluded),
            Cohort::Launched(None) => Some(&self.launched),
            Cohort::Launched(Some(w)) => week(w).map(|c| &c.launched),
            Cohort::Running(None) => Some(&self.velocity.running),
            Cohort::Running(Some(s)) => self
                .velocity
                .by_surface
                .iter()
                .find(|l| l.surface == *s)
                .map(|l| &l.running),
            Cohort::Timed => Some(&self.durations.timed),
            Cohort::RanOver => Some(&self.durations.ran_over),
            Cohort::StoppedEarly => Some(&self.durations.stopped_early),
            Cohort::BriefComplete => Some(&self.brief_complete),
            Cohort::BriefIncomplete => {
                let complete: std::collections::HashSet<&str> =
                    self.brief_complete.keys.iter().map(|k| &**k).collect();
                return (self.launched.keys.iter())
                    .filter(|k| !complete.contains(&***k))
                    .map(|k| k.to_string())
                    .collect();
            }
            Cohort::Decided => Some(&self.decisions.decided),
            Cohort::Followed => Some(&self.decisions.followed),
            Cohort::Overridden => Some(&self.decisions.overridden),
            Cohort::NoResults => Some(&self.decisions.no_results),
            Cohort::SrmChecked => Some(&self.srm.checked),
            Cohort::SrmFailed => Some(&self.srm.failed),
            Cohort::SrmUnchecked => Some(&self.srm.unchecked),
        };
        group
            .map(|g| g.keys.iter().map(|k| k.to_string()).collect())
            .unwrap_or_default()
    }
}
