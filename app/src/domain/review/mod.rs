//! The weekly review meeting: what is running (and is it healthy), what is overdue, which
//! decisions are waiting, what ended since the last review, and which proposals to triage. Built
//! from the experiments and their latest results, so the page, the Markdown export and the
//! benchmark all read the same agenda.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

mod candidate;
pub mod items;
pub mod markdown;
pub mod record;

use crate::domain::lifecycle::Status;
use crate::domain::period::IsoWeek;
use crate::domain::program::SrmCheck;
pub use crate::domain::review::candidate::Candidate;
use crate::domain::review::items::{ended_item, proposal_item};
pub use crate::domain::review::items::{primary_hidden, primary_lift};
use crate::domain::verdict::Verdict;

/// Guardrail metrics of a running test: every treatment arm, against the brief's tolerated drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Guardrails {
    NoResults,
    Holding,
    /// "refunds +3.1% (one_page)": each guardrail that moved the wrong way by more than allowed.
    Breached(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub srm: SrmCheck,
    pub guardrails: Guardrails,
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        self.srm != SrmCheck::Failed && !matches!(self.guardrails, Guardrails::Breached(_))
    }
}

/// The primary metric's relative lift for one arm, with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lift {
    pub arm: String,
    pub lift: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningItem {
    pub key: String,
    pub title: String,
    pub team: String,
    pub owner: String,
    pub surface: String,
    pub planned_end: Option<NaiveDate>,
    /// Negative once the planned end has passed.
    pub days_left: Option<i64>,
    pub health: Health,
    /// The decision rule's verdict on the latest results; None while the primary metric is
    /// hidden (a fixed-horizon test before its end date: no peeking) or without results.
    pub rule_says: Option<Verdict>,
    pub primary_hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndedItem {
    pub key: String,
    pub title: String,
    pub team: String,
    pub ended: NaiveDate,
    pub verdict: Verdict,
    pub overridden: bool,
    pub lift: Option<Lift>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalItem {
    pub key: String,
    pub title: String,
    pub team: String,
    pub owner: String,
    pub surface: String,
    pub proposed: NaiveDate,
    /// 0.0 to 1.0, the brief's checklist.
    pub completeness: f64,
    /// What still blocks "ready" (the gate's own messages).
    pub missing: Vec<String>,
    /// Tests running now on the same surface.
    pub overlaps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agenda {
    pub week: IsoWeek,
    /// The day the lists are computed for: today, or the week's Sunday for a past week.
    pub as_of: NaiveDate,
    /// "Ended since the last review" starts here.
    pub since: DateTime<Utc>,
    pub running: Vec<RunningItem>,
    pub overdue: Vec<RunningItem>,
    pub decisions: Vec<RunningItem>,
    pub ended: Vec<EndedItem>,
    pub proposals: Vec<ProposalItem>,
    pub parked: Vec<ProposalItem>,
}

/// Builds the agenda from the experiments that can appear on it and their latest counts.
/// `parked` holds the keys of proposals a review parked: they leave the triage queue.
pub fn agenda<C: Borrow<Candidate>>(
    week: IsoWeek,
    today: NaiveDate,
    since: DateTime<Utc>,
    candidates: &[C],
    parked: &HashSet<String>,
) -> Agenda {
    let as_of = today.min(week.sunday());
    let mut running: Vec<RunningItem> = candidates
        .iter()
        .map(C::borrow)
        .filter(|c| c.experiment.status == Status::Running && !c.experiment.archived)
        .map(|c| c.running_item(as_of))
        .collect();
    running.sort_by(|a, b| {
        (a.planned_end.is_none(), a.planned_end, &a.key).cmp(&(
            b.planned_end.is_none(),
            b.planned_end,
            &b.key,
        ))
    });
    let overdue = running
        .iter()
        .filter(|r| r.days_left.is_some_and(|d| d < 0))
        .cloned()
        .collect();
    let decisions = running
        .iter()
        .filter(|r| {
            let due_this_week = r
                .planned_end
                .is_some_and(|end| end >= as_of && end <= week.sunday());
            // A sequential test may stop at any look once the rule has an answer.
            let early_answer = !r.primary_hidden
                && matches!(
                    r.rule_says,
                    Some(Verdict::Ship { .. } | Verdict::DontShip | Verdict::Invalid)
                );
            r.days_left.is_none_or(|d| d >= 0) && (due_this_week || early_answer)
        })
        .cloned()
        .collect();
    let week_end = week.sunday();
    let mut ended: Vec<EndedItem> = candidates
        .iter()
        .map(C::borrow)
        .filter(|c| c.experiment.status == Status::Done)
        .filter(|c| {
            c.experiment
                .ended_at
                .is_some_and(|t| t > since && t.date_naive() <= week_end)
        })
        .filter_map(|c| ended_item(&c.experiment, c.counts.as_ref()))
        .collect();
    ended.sort_by(|a, b| b.ended.cmp(&a.ended).then(a.key.cmp(&b.key)));
    // Running tests by surface, once: a proposal's overlaps are a lookup, not a scan.
    let mut on_surface: HashMap<&str, Vec<String>> = HashMap::new();
    for r in running.iter().filter(|r| !r.surface.is_empty()) {
        on_surface
            .entry(&r.surface)
            .or_default()
            .push(r.key.clone());
    }
    let (mut proposals, mut parked_items) = (Vec::new(), Vec::new());
    for c in candidates
        .iter()
        .map(C::borrow)
        .filter(|c| c.experiment.status == Status::Proposed && !c.experiment.archived)
    {
        let overlaps = on_surface
            .get(c.experiment.surface.as_str())
            .cloned()
            .unwrap_or_default();
        let item = proposal_item(&c.experiment, c.readiness(), overlaps);
        if parked.contains(c.experiment.key.as_str()) {
            parked_items.push(item);
        } else {
            proposals.push(item);
        }
    }
    proposals.sort_by(|a, b| (a.proposed, &a.key).cmp(&(b.proposed, &b.key)));
    Agenda {
        week,
        as_of,
        since,
        running,
        overdue,
        decisions,
        ended,
        proposals,
        parked: parked_items,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
