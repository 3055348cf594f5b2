//! The review agenda's items, built from one experiment and its latest counts: health (sample
//! ratio, guardrails), what the decision rule says (unless the primary metric is still hidden),
//! the primary metric's lift, and a proposal's readiness and overlaps.

use chrono::NaiveDate;

use crate::domain::analysis::analyze;
use crate::domain::decision::{decide, Context};
use crate::domain::experiment::Experiment;
use crate::domain::lifecycle::Status;
use crate::domain::metric::{Engine, MetricRole};
use crate::domain::pre_period;
use crate::domain::program::SrmCheck;
use crate::domain::results::Counts;
use crate::domain::review::{EndedItem, Guardrails, Health, Lift, ProposalItem, RunningItem};
use crate::domain::stats::{self, AnalyzeResponse};

/// The results view hides a fixed-horizon or Bayesian test's primary metric until the planned
/// end date (`api::results::ssr::view`); the review keeps the same rule.
pub fn primary_hidden(e: &Experiment, as_of: NaiveDate) -> bool {
    e.status == Status::Running
        && e.brief.rule.engine != Engine::Sequential
        && e.brief.planned_end.is_some_and(|end| as_of < end)
}

pub(super) fn running_item(
    e: &Experiment,
    counts: Option<&Counts>,
    as_of: NaiveDate,
) -> RunningItem {
    let analysis = counts.and_then(|c| analyze(&e.brief, c).ok());
    let hidden = primary_hidden(e, as_of);
    RunningItem {
        key: e.key.to_string(),
        title: e.title.clone(),
        team: e.team.clone(),
        owner: e.owner.clone(),
        surface: e.surface.clone(),
        planned_end: e.brief.planned_end,
        days_left: e.brief.planned_end.map(|end| (end - as_of).num_days()),
        health: Health {
            srm: SrmCheck::of(&e.brief, counts),
            guardrails: analysis
                .as_ref()
                .map_or(Guardrails::NoResults, |a| guardrails(e, a)),
        },
        rule_says: analysis
            .as_ref()
            .zip(counts)
            .filter(|_| !hidden)
            .map(|(a, c)| {
                let check = pre_period::check(&e.brief, c);
                decide(&e.brief, a, Context::of(&e.brief, c, check.as_ref()), as_of).verdict
            }),
        primary_hidden: hidden,
    }
}

fn guardrails(e: &Experiment, a: &AnalyzeResponse) -> Guardrails {
    let max_drop = e.brief.rule.max_guardrail_drop.unwrap_or(0.0);
    let mut broken = Vec::new();
    for m in a.metrics.iter().filter(|m| m.role == MetricRole::Secondary) {
        for c in &m.comparisons {
            let Some(est) = c.estimate() else { continue };
            if stats::is_worse(m.direction, est.lift_relative) && est.lift_relative.abs() > max_drop
            {
                broken.push(format!(
                    "{} {} ({})",
                    m.name,
                    crate::domain::analysis::signed_pct(est.lift_relative),
                    c.arm
                ));
            }
        }
    }
    if broken.is_empty() {
        Guardrails::Holding
    } else {
        Guardrails::Breached(broken)
    }
}

/// The primary metric's lift of the shipped arm (or of the first treatment for other verdicts).
pub fn primary_lift(e: &Experiment, counts: &Counts) -> Option<Lift> {
    let a = analyze(&e.brief, counts).ok()?;
    let m = a.metrics.iter().find(|m| m.role == MetricRole::Primary)?;
    let shipped = e
        .conclusion
        .as_ref()
        .and_then(|c| c.verdict.arm().map(str::to_owned));
    let c = match shipped {
        Some(arm) => m.comparisons.iter().find(|c| c.arm == arm)?,
        None => m.comparisons.first()?,
    };
    let est = c.estimate()?;
    Some(Lift {
        arm: c.arm.clone(),
        lift: est.lift_relative,
        low: est.ci_low,
        high: est.ci_high,
    })
}

pub(super) fn ended_item(e: &Experiment, counts: Option<&Counts>) -> Option<EndedItem> {
    let c = e.conclusion.as_ref()?;
    Some(EndedItem {
        key: e.key.to_string(),
        title: e.title.clone(),
        team: e.team.clone(),
        ended: e.ended_at?.date_naive(),
        verdict: c.verdict.clone(),
        overridden: c.overridden(),
        lift: counts.and_then(|counts| primary_lift(e, counts)),
        summary: c.summary.clone(),
    })
}

/// A proposal on the triage queue; `readiness` is the brief's (completeness, what is missing)
/// and `overlaps` the running tests on its surface.
pub(super) fn proposal_item(
    e: &Experiment,
    readiness: &(f64, Vec<String>),
    overlaps: Vec<String>,
) -> ProposalItem {
    ProposalItem {
        key: e.key.to_string(),
        title: e.title.clone(),
        team: e.team.clone(),
        owner: e.owner.clone(),
        surface: e.surface.clone(),
        proposed: e.created_at.date_naive(),
        completeness: readiness.0,
        missing: readiness.1.clone(),
        overlaps,
    }
}
