//! The program dashboard's inputs: the filter (kept in the URL) and the slim view of one
//! experiment every program metric is computed from. The metrics themselves are in
//! `report` (tallied in `counts` and `win_rate`); the experiments behind each number in `cohort`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub mod cohort;
pub mod counts;
pub mod report;
pub mod win_rate;

use crate::domain::brief::Brief;
use crate::domain::experiment::{Experiment, FieldError};
use crate::domain::lifecycle::Status;
use crate::domain::results::Counts;
use crate::domain::stats::{self, Alpha, SrmStatus};
use crate::domain::verdict::Conclusion;

/// The dashboard's filters as they arrive from the URL: plain strings, parsed once into a
/// `ProgramFilter`. Every field is a query parameter, so a filtered dashboard can be shared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgramQuery {
    /// First day, inclusive, `YYYY-MM-DD` (what `<input type="date">` sends).
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    pub team: String,
    pub surface: String,
    pub tag: String,
}

impl ProgramQuery {
    /// `from=…&team=…` with the empty parameters left out, for links that keep the filter.
    pub fn to_query_string(&self) -> String {
        crate::domain::url::query_string(
            [
                ("from", &self.from),
                ("to", &self.to),
                ("team", &self.team),
                ("surface", &self.surface),
                ("tag", &self.tag),
            ]
            .map(|(k, v)| (k, v.as_str())),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.to_query_string().is_empty()
    }
}

/// The parsed filter. Dates select by the event each metric is about: conclusions by the day
/// the experiment ended, launches by the day it started; "running now" ignores dates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub team: Option<String>,
    pub surface: Option<String>,
    pub tag: Option<String>,
}

impl ProgramFilter {
    pub fn parse(q: &ProgramQuery) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut date = |field: &str, raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new(
                        field,
                        format!("'{raw}' is not a date: write it as 2026-01-31"),
                    ));
                    None
                }
            }
        };
        let from = date("from", &q.from);
        let to = date("to", &q.to);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FieldError::new(
                    "to",
                    format!("the range ends ({t}) before it starts ({f})"),
                ));
            }
        }
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            from,
            to,
            team: text(&q.team),
            surface: text(&q.surface).map(|s| s.to_lowercase()),
            tag: text(&q.tag).map(|s| s.to_lowercase()),
        })
    }

    /// Team, surface and tag: who the experiment belongs to (dates are per metric).
    pub fn selects(&self, e: &Entry) -> bool {
        self.team.as_ref().is_none_or(|t| *t == e.team)
            && self.surface.as_ref().is_none_or(|s| *s == e.surface)
            && self.tag.as_ref().is_none_or(|t| e.tags.contains(t))
    }

    /// Whether an event on `day` falls in the date range (no day: never).
    pub fn in_range(&self, day: Option<NaiveDate>) -> bool {
        day.is_some_and(|d| self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t))
    }
}

/// How the latest results reading stands on sample ratio mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SrmCheck {
    NoResults,
    /// Fewer than 8 users per arm: too early to test the split.
    TooFewUsers,
    Healthy,
    /// p < 0.001 against the planned weights: assignment or logging is broken.
    Failed,
}

impl SrmCheck {
    /// The same test, threshold and traffic floor as the results view (`stats::srm`).
    pub fn of(brief: &Brief, latest: Option<&Counts>) -> Self {
        let Some(counts) = latest else {
            return SrmCheck::NoResults;
        };
        let users: Vec<u64> = counts.arms.iter().map(|a| a.users).collect();
        let weights: Vec<f64> = brief.arms.iter().map(|a| a.weight).collect();
        match stats::srm(&users, &weights, Alpha::SRM_DEFAULT).status {
            SrmStatus::Healthy => SrmCheck::Healthy,
            SrmStatus::Unhealthy => SrmCheck::Failed,
            SrmStatus::NotEnoughTraffic => SrmCheck::TooFewUsers,
        }
    }
}

/// One experiment as the program metrics see it: small, so 2,000 of them stay cheap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Shared with every count of the dashboard's report that includes this experiment.
    pub key: std::sync::Arc<str>,
    pub title: String,
    pub team: String,
    pub surface: String,
    pub tags: Vec<String>,
    pub status: Status,
    /// UTC calendar days of the launch and the conclusion.
    pub started: Option<NaiveDate>,
    pub ended: Option<NaiveDate>,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    /// The brief passes the ready gate today. Briefs lock at launch (no edit path exists once
    /// an experiment runs), so for a launched experiment the stored brief *is* the brief it
    /// launched with, and this says whether it was complete before launch. The launch gate
    /// requires it, so anything below 100% means the rule was bypassed (imports, seeded data)
    /// or the checklist has grown stricter since.
    pub brief_complete: bool,
    pub conclusion: Option<Conclusion>,
    pub srm: SrmCheck,
}

impl Entry {
    pub fn new(e: &Experiment, latest: Option<&Counts>) -> Self {
        let day = |t: Option<DateTime<Utc>>| t.map(|t| t.date_naive());
        Self {
            key: e.key.as_str().into(),
            title: e.title.clone(),
            team: e.team.clone(),
            surface: e.surface.clone(),
            tags: e.tags.clone(),
            status: e.status,
            started: day(e.started_at),
            ended: day(e.ended_at),
            planned_start: e.brief.planned_start,
            planned_end: e.brief.planned_end,
            brief_complete: e.brief.validate().is_empty(),
            conclusion: e.conclusion.clone(),
            srm: SrmCheck::of(&e.brief, latest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_parsed_once_and_bad_dates_name_their_field() {
        let q = ProgramQuery {
            from: "2026-01-01".into(),
            to: "2025-12-31".into(),
            ..Default::default()
        };
        let errors = ProgramFilter::parse(&q).unwrap_err();
        assert_eq!(errors[0].field, "to");
        let q = ProgramQuery {
            from: "yesterday".into(),
            team: " Growth ".into(),
            surface: "Checkout".into(),
            ..Default::default()
        };
        assert_eq!(
            ProgramFilter::parse(&q).unwrap_err()[0].to_string(),
            "from: 'yesterday' is not a date: write it as 2026-01-31"
        );
    }

    #[test]
    fn the_query_string_keeps_only_what_is_set_and_encodes_it() {
        let q = ProgramQuery {
            team: "Growth & Retention".into(),
            tag: "q4".into(),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "team=Growth%20%26%20Retention&tag=q4");
        assert!(ProgramQuery::default().is_empty());
    }
}
