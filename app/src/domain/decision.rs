//! The pre-registered decision rule, applied to the latest analysis. Every condition is reported
//! as met or not met with its numbers, so the verdict can be checked by anyone in the review.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::analysis::{p_value, signed_pct};
use super::brief::Brief;
use super::metric::{Engine, MetricRole};
use super::plan::plan;
use super::pre_period::PrePeriodCheck;
use super::results::Counts;
use super::stats::{self, AnalyzeResponse, Evidence, SrmStatus};
use super::verdict::Verdict;

/// One line of the rule: what was checked, whether it holds, and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Condition {
    pub name: String,
    pub met: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Decision {
    pub verdict: Verdict,
    /// Why, in one line ("rerun or extend: the primary metric is not significant").
    pub headline: String,
    pub conditions: Vec<Condition>,
}

/// What the rule reads besides the analysis: the plan's users per arm (`required_n`), users
/// exposed too recently for a whole conversion window (`incomplete_windows`, which keep a
/// fixed-horizon test from counting as ended), and the pre-period check when the reading has
/// one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub required_n: Option<u64>,
    pub incomplete_windows: u64,
    pub pre_period: Option<&'a PrePeriodCheck>,
}

impl<'a> Context<'a> {
    /// The context of one reading: the brief's plan, the counts' incomplete windows and the
    /// reading's pre-period check (see [`crate::domain::pre_period::check`]).
    pub fn of(brief: &Brief, counts: &Counts, pre_period: Option<&'a PrePeriodCheck>) -> Self {
        Self {
            required_n: plan(brief).ok().map(|p| p.n_per_arm),
            incomplete_windows: counts.incomplete_windows,
            pre_period,
        }
    }
}

/// Applies the brief's rule to `analysis` as of `today` (which decides whether the planned end
/// date has been reached).
pub fn decide(
    brief: &Brief,
    analysis: &AnalyzeResponse,
    context: Context<'_>,
    today: NaiveDate,
) -> Decision {
    let Context {
        required_n,
        incomplete_windows,
        pre_period,
    } = context;
    let mut conditions = Vec::new();
    let alpha = brief.alpha;

    let srm_ok = analysis.srm.status == SrmStatus::Healthy;
    conditions.push(Condition {
        name: "Sample ratio matches the planned split".into(),
        met: srm_ok,
        detail: match analysis.srm.status {
            SrmStatus::Healthy => format!("p = {} (healthy)", p_value(analysis.srm.p_value)),
            SrmStatus::Unhealthy => format!(
                "p = {}: assignment is broken, the data cannot be trusted",
                p_value(analysis.srm.p_value)
            ),
            SrmStatus::NotEnoughTraffic => "not enough users yet to check".into(),
        },
    });

    // The retro A/A check: arms that already differed before exposure cannot be compared
    // plainly; CUPED adjusts for the difference, so with CUPED on it does not block shipping.
    let imbalances: Vec<String> = pre_period
        .map(|p| {
            p.primary_imbalances()
                .map(|a| {
                    format!(
                        "{}: {} before exposure, p = {}",
                        a.arm,
                        a.lift_relative.map(signed_pct).unwrap_or_default(),
                        a.p_value.map(p_value).unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let balance_ok = imbalances.is_empty() || brief.cuped.enabled;
    if let Some(check) = pre_period.filter(|p| p.primary().is_some()) {
        conditions.push(Condition {
            name: "No pre-existing imbalance on the primary metric".into(),
            met: balance_ok,
            detail: match (imbalances.is_empty(), brief.cuped.enabled) {
                (true, _) => format!(
                    "the arms were alike in the {} days before exposure ({})",
                    check.lookback_days,
                    check
                        .primary()
                        .map(|m| m
                            .arms
                            .iter()
                            .map(|a| format!(
                                "{}: p = {}",
                                a.arm,
                                a.p_value.map(p_value).unwrap_or_else(|| "n/a".into())
                            ))
                            .collect::<Vec<_>>()
                            .join("; "))
                        .unwrap_or_default()
                ),
                (false, true) => format!(
                    "{}; CUPED adjusts the results for the difference",
                    imbalances.join("; ")
                ),
                (false, false) => format!(
                    "{}: the groups differed before the test, so a lift cannot be credited to the change",
                    imbalances.join("; ")
                ),
            },
        });
    }

    let primary = analysis
        .metrics
        .iter()
        .find(|m| m.role == MetricRole::Primary);
    let smallest_arm = primary
        .map(|m| m.arms.iter().map(|a| a.n).min().unwrap_or(0))
        .unwrap_or(0);
    let sample_ok = required_n.is_some_and(|n| smallest_arm >= n);
    conditions.push(Condition {
        name: "Every arm reached the required sample size".into(),
        met: sample_ok,
        detail: match required_n {
            Some(n) => format!("smallest arm has {smallest_arm} of {n} users"),
            None => "the brief's sample size cannot be computed".into(),
        },
    });

    let sequential = brief.rule.engine == Engine::Sequential;
    let date_ok = brief.planned_end.is_some_and(|end| today >= end);
    let windows_ok = incomplete_windows == 0;
    let end_ok = sequential || (date_ok && windows_ok);
    conditions.push(Condition {
        name: "Planned end date reached (or sequential test)".into(),
        met: end_ok,
        detail: match (sequential, brief.planned_end) {
            (true, _) => "sequential test: safe to decide at any look".into(),
            (false, Some(end)) if date_ok && !windows_ok => format!(
                "planned end {end}, today {today}, but {incomplete_windows} users were exposed \
                 too recently for a full {}-day window: pull again once their windows close",
                brief.window_days
            ),
            (false, Some(end)) => format!("planned end {end}, today {today}"),
            (false, None) => "no planned end date".into(),
        },
    });

    // The best treatment on the primary metric: it must beat the minimum lift with evidence.
    let min_lift = brief.rule.min_lift.unwrap_or(0.0);
    let direction = brief.primary.direction;
    let mut best: Option<(String, f64, bool)> = None; // (arm, lift, wins)
    let mut primary_detail = "no primary metric result".to_string();
    let mut any_significant_loss = false;
    if let Some(m) = primary {
        let mut details = Vec::new();
        for c in &m.comparisons {
            let Some(e) = c.estimate() else {
                details.push(format!("{}: no result", c.arm));
                continue;
            };
            // Direction-aware lift: positive is good for the team.
            let good_lift = if stats::is_better(direction, 1.0) {
                e.lift_relative
            } else {
                -e.lift_relative
            };
            let (evidence_ok, evidence) = match e.evidence {
                Evidence::PValue { adjusted, .. } => (
                    adjusted < alpha,
                    format!("adjusted p = {}", p_value(adjusted)),
                ),
                Evidence::Posterior { chance_to_win, .. } => (
                    chance_to_win >= 1.0 - alpha,
                    format!("chance to win {:.1}%", chance_to_win * 100.0),
                ),
            };
            if evidence_ok && good_lift < 0.0 {
                any_significant_loss = true;
            }
            let wins = evidence_ok && good_lift >= min_lift && good_lift > 0.0;
            details.push(format!(
                "{}: lift {} ({evidence})",
                c.arm,
                signed_pct(e.lift_relative)
            ));
            if best
                .as_ref()
                .is_none_or(|(_, l, w)| (wins, good_lift) > (*w, *l))
            {
                best = Some((c.arm.clone(), good_lift, wins));
            }
        }
        primary_detail = details.join("; ");
    }
    let primary_ok = best.as_ref().is_some_and(|(_, _, wins)| *wins);
    conditions.push(Condition {
        name: format!(
            "Primary metric beats the minimum lift of {}",
            signed_pct(min_lift)
        ),
        met: primary_ok,
        detail: primary_detail,
    });

    // Guardrails, for the best arm: none may be worse than the tolerated drop.
    let max_drop = brief.rule.max_guardrail_drop.unwrap_or(0.0);
    let mut broken = Vec::new();
    let mut checked = Vec::new();
    // A guardrail without a result cannot be checked, so it cannot count as passing.
    let mut unknown = Vec::new();
    if let Some((arm, _, _)) = &best {
        for m in analysis
            .metrics
            .iter()
            .filter(|m| m.role == MetricRole::Secondary)
        {
            let comparison = m.comparisons.iter().find(|c| &c.arm == arm);
            let Some(e) = comparison.and_then(|c| c.estimate()) else {
                unknown.push(match comparison.and_then(|c| c.no_result()) {
                    Some(why) => format!("{}: no result ({why})", m.name),
                    None => format!("{}: no result for {arm}", m.name),
                });
                continue;
            };
            let bad_change = if stats::is_worse(m.direction, e.lift_relative) {
                e.lift_relative.abs()
            } else {
                0.0
            };
            checked.push(format!("{} {}", m.name, signed_pct(e.lift_relative)));
            if bad_change > max_drop {
                broken.push(format!(
                    "{} moved {} the wrong way",
                    m.name,
                    signed_pct(e.lift_relative)
                ));
            }
        }
    }
    let guardrails_ok = broken.is_empty();
    let guardrails_known = unknown.is_empty();
    conditions.push(Condition {
        name: format!(
            "No guardrail worse by more than {}",
            signed_pct(max_drop).trim_start_matches('+')
        ),
        met: guardrails_ok && guardrails_known,
        detail: if !broken.is_empty() {
            broken.join("; ")
        } else if !unknown.is_empty() {
            format!("cannot be checked: {}", unknown.join("; "))
        } else if checked.is_empty() {
            "the brief has no guardrail".into()
        } else {
            checked.join("; ")
        },
    });

    let complete = sample_ok && end_ok;
    let (verdict, headline) = if analysis.srm.status == SrmStatus::Unhealthy {
        (
            Verdict::Invalid,
            "invalid: sample ratio mismatch, fix the assignment and rerun".to_string(),
        )
    } else if complete && srm_ok && primary_ok && guardrails_ok && guardrails_known && !balance_ok {
        (
            Verdict::Inconclusive,
            "inconclusive: the primary metric wins, but the arms already differed before exposure; turn CUPED on or rerun with fresh assignment".to_string(),
        )
    } else if complete && srm_ok && primary_ok && guardrails_ok && guardrails_known {
        let arm = best.map(|b| b.0).unwrap_or_default();
        (
            Verdict::Ship { arm: arm.clone() },
            format!("ship {arm}: every condition of the rule is met"),
        )
    } else if complete && (!guardrails_ok || any_significant_loss) {
        (
            Verdict::DontShip,
            "don't ship: the change hurts a metric the team protects".to_string(),
        )
    } else if complete && srm_ok && primary_ok {
        (
            Verdict::Inconclusive,
            format!(
                "inconclusive: the primary metric wins, but a guardrail has no result to check ({}); fix its data before shipping",
                unknown.join("; ")
            ),
        )
    } else if complete
        && best.as_ref().is_some_and(|(_, l, _)| *l < min_lift)
        && primary.is_some_and(|m| {
            m.comparisons.iter().any(|c| {
                c.estimate().is_some_and(
                    |e| matches!(e.evidence, Evidence::PValue { adjusted, .. } if adjusted < alpha),
                )
            })
        })
    {
        (
            Verdict::DontShip,
            "don't ship: the effect is real but smaller than the minimum worth shipping"
                .to_string(),
        )
    } else if complete {
        (
            Verdict::Inconclusive,
            "inconclusive: rerun or extend, the primary metric did not show a clear effect"
                .to_string(),
        )
    } else {
        (
            Verdict::Inconclusive,
            "not decided yet: keep running until every condition can be judged".to_string(),
        )
    };
    Decision {
        verdict,
        headline,
        conditions,
    }
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
