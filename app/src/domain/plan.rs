//! The brief's plan: required sample size and duration from STATISTICS.md section 1, the end
//! date it suggests, and the power the planned dates really give. Computed in the browser as the
//! brief is typed, and on the server for the same brief, from the one stats implementation.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::brief::Brief;
use super::metric::MetricKind;
use super::stats;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub n_per_arm: u64,
    pub total_users: u64,
    pub days_needed: Option<u64>,
    pub recommended_days: Option<u64>,
    /// Planned start + recommended days.
    pub suggested_end: Option<NaiveDate>,
    /// Users per arm the planned dates collect, and the power that gives, when it is less than
    /// the target power.
    pub shortfall: Option<Shortfall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub planned_days: i64,
    pub n_per_arm_planned: u64,
    pub achieved_power: f64,
}

/// Why a brief has no plan yet: an input is missing, or the engine refused the inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("enter the minimum detectable effect")]
    NoMde,
    #[error("enter the baseline conversion rate")]
    NoBaselineRate,
    #[error("enter the baseline mean")]
    NoBaselineMean,
    #[error("enter the baseline standard deviation")]
    NoBaselineSd,
    #[error("{0}")]
    Inputs(#[from] stats::StatsInputError),
}

/// The sample-size request a brief implies, or why it cannot be computed yet.
pub fn request_for(brief: &Brief) -> Result<stats::SampleSizeRequest, PlanError> {
    let mde = brief.mde.ok_or(PlanError::NoMde)?;
    let baseline = match brief.primary.kind {
        MetricKind::Proportion => stats::SampleSizeBaseline::Proportion {
            baseline_rate: brief.baseline_rate.ok_or(PlanError::NoBaselineRate)?,
        },
        // A ratio has no brief of its own yet (the gate refuses it); planned as a mean.
        MetricKind::Mean | MetricKind::Ratio => stats::SampleSizeBaseline::Mean {
            baseline_mean: brief.baseline_mean.ok_or(PlanError::NoBaselineMean)?,
            sd: brief.baseline_sd.ok_or(PlanError::NoBaselineSd)?,
        },
    };
    Ok(stats::SampleSizeRequest {
        baseline,
        mde_relative: mde,
        alpha: brief.alpha,
        power: brief.power,
        arms: brief.arms.len().max(2) as u32,
        bonferroni: false,
        daily_traffic: brief.daily_traffic.map(|t| t as f64),
    })
}

/// The plan for a brief; Err says in words what is missing or wrong.
pub fn plan(brief: &Brief) -> Result<Plan, PlanError> {
    let req = request_for(brief)?;
    let size = stats::sample_size(&req)?;
    let suggested_end = match (brief.planned_start, size.recommended_days) {
        (Some(start), Some(days)) => Some(start + Duration::days(days as i64)),
        _ => None,
    };
    let shortfall = match (brief.planned_start, brief.planned_end, brief.daily_traffic) {
        (Some(start), Some(end), Some(traffic)) if end > start => {
            let planned_days = (end - start).num_days();
            let arms = brief.arms.len().max(2) as u64;
            let n_planned = (planned_days as u64).saturating_mul(traffic) / arms;
            (n_planned < size.n_per_arm).then(|| Shortfall {
                planned_days,
                n_per_arm_planned: n_planned,
                achieved_power: stats::achieved_power(&req, n_planned),
            })
        }
        _ => None,
    };
    Ok(Plan {
        n_per_arm: size.n_per_arm,
        total_users: size.total_users,
        days_needed: size.days_needed,
        recommended_days: size.recommended_days,
        suggested_end,
        shortfall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{complete_brief, date};

    #[test]
    fn the_worked_example_needs_57763_per_arm_and_two_weeks() {
        let p = plan(&complete_brief()).unwrap(); // 10% baseline, +5%, 10,000/day, 2 arms
        assert_eq!(p.n_per_arm, 57_763);
        assert_eq!(p.total_users, 115_526);
        assert_eq!(p.days_needed, Some(12));
        assert_eq!(p.recommended_days, Some(14));
        assert_eq!(p.suggested_end, Some(date(2026, 11, 16)));
        assert_eq!(p.shortfall, None, "14 planned days collect 70,000 per arm");
    }

    #[test]
    fn an_end_date_shorter_than_needed_reports_the_real_power() {
        let mut b = complete_brief();
        b.planned_end = Some(date(2026, 11, 9)); // 7 days -> 35,000 per arm
        let s = plan(&b).unwrap().shortfall.unwrap();
        assert_eq!((s.planned_days, s.n_per_arm_planned), (7, 35_000));
        assert!(
            s.achieved_power > 0.5 && s.achieved_power < 0.8,
            "{}",
            s.achieved_power
        );
    }

    #[test]
    fn a_missing_input_is_named() {
        let mut b = complete_brief();
        b.mde = None;
        assert_eq!(plan(&b).unwrap_err(), PlanError::NoMde);
        assert_eq!(
            PlanError::NoMde.to_string(),
            "enter the minimum detectable effect"
        );
    }
}
